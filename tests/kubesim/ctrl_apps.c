/*
 * ctrl_apps: the Job controller, simulated at the status level (no pods): a Job starts
 * at once and completes --pod-ready-ms later, unless the template's image matches
 * --fail-images, in which case it never does; and the status write the workload
 * controllers share. (StatefulSets: ctrl_sts.c, DaemonSets: ctrl_ds.c.)
 */
#include "controllers_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TAG_READY "ready"

static bool template_fails(struct controllers *c, const cJSON *obj)
{
	const char *glob = ctrl_config(c)->fail_images;
	const cJSON *ctr;
	if (!glob || !*glob)
		return false;
	cJSON_ArrayForEach(ctr, ctrl_path(obj, "spec", "template", "spec"))
	{
		if (!ctr->string || strcmp(ctr->string, "containers") != 0)
			continue;
		const cJSON *x;
		cJSON_ArrayForEach(x, ctr)
		{
			const char *image = ctrl_str(x, "image", NULL, NULL);
			if (image && fnmatch(glob, image, 0) == 0)
				return true;
		}
	}
	return false;
}

static bool is_ready_tag(const char *tag)
{
	return tag && strcmp(tag, TAG_READY) == 0;
}

void ctrl_put_status(struct controllers *c, const struct restype *rt, const cJSON *live,
		     cJSON *st)
{
	if (cJSON_Compare(st, ctrl_path(live, "status", NULL, NULL), true)) {
		cJSON_Delete(st);
		return;
	}
	cJSON *copy = cJSON_Duplicate(live, true);
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "status");
	cJSON_AddItemToObject(copy, "status", st);
	ctrl_update(c, rt, copy, CTRL_MANAGER, true);
	cJSON_Delete(copy);
}

static void add_nonzero(cJSON *o, const char *key, int64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, (double)v);
}

static void schedule_ready(struct controllers *c, enum ctrl_kind k, const struct restype *rt,
			   const cJSON *obj)
{
	ctrl_enqueue_at(c, ctrl_now(c) + ctrl_config(c)->pod_ready_ms, k, rt, ctrl_namespace(obj),
			ctrl_name(obj), TAG_READY);
}

static void job_condition(cJSON *st, const char *type, const char *now)
{
	cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
	cJSON *cond = cJSON_CreateObject();
	cJSON_AddStringToObject(cond, "type", type);
	cJSON_AddStringToObject(cond, "status", "True");
	cJSON_AddStringToObject(cond, "lastProbeTime", now);
	cJSON_AddStringToObject(cond, "lastTransitionTime", now);
	cJSON_AddItemToArray(conds, cond);
}

void job_sync(struct controllers *c, const char *ns, const char *name, const char *tag)
{
	const struct restype *rt = ctrl_types(c)->job;
	const cJSON *job = store_get(ctrl_store(c), rt, ns, name);
	char now[32];
	if (!job || ctrl_path(job, "status", "completionTime", NULL) ||
	    cJSON_IsTrue(ctrl_path(job, "spec", "suspend", NULL)))
		return;
	const cJSON *old = ctrl_path(job, "status", NULL, NULL);
	int64_t completions = ctrl_int(job, "spec", "completions", NULL, 1);
	int64_t parallelism = ctrl_int(job, "spec", "parallelism", NULL, 1);
	ctrl_now_str(c, now);
	cJSON *st = cJSON_CreateObject();
	const char *start = ctrl_str(old, "startTime", NULL, NULL);
	cJSON_AddStringToObject(st, "startTime", start ? start : now);
	if (is_ready_tag(tag) && !template_fails(c, job)) {
		cJSON_AddStringToObject(st, "completionTime", now);
		add_nonzero(st, "succeeded", completions);
		cJSON_AddNumberToObject(st, "ready", 0);
		job_condition(st, "Complete", now);
	} else {
		add_nonzero(st, "active", parallelism < completions ? parallelism : completions);
		cJSON_AddNumberToObject(st, "ready", 0);
		if (!start && !template_fails(c, job))
			schedule_ready(c, CK_JOB, rt, job);
	}
	ctrl_put_status(c, rt, job, st);
}
