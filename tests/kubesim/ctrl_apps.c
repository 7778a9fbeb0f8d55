/*
 * ctrl_apps: StatefulSet, DaemonSet and Job controllers, simulated at the status level
 * (no pods): a change is observed at once and completes --pod-ready-ms later, unless
 * the template's image matches --fail-images, in which case it never does. The status
 * fields are the ones kubectl's rollout status and wait read, kept consistent with
 * each other (observedGeneration, revisions, ready/updated/available counts).
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

/* Writes obj with status st (consumed) when it differs from the stored status. */
static void put_status(struct controllers *c, const struct restype *rt, const cJSON *live,
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

void sts_sync(struct controllers *c, const char *ns, const char *name, const char *tag)
{
	const struct restype *rt = ctrl_types(c)->sts;
	const cJSON *sts = store_get(ctrl_store(c), rt, ns, name);
	char hash[16], rev[300];
	if (!sts)
		return;
	ctrl_template_hash(ctrl_path(sts, "spec", "template", NULL),
			   ctrl_path(sts, "status", "collisionCount", NULL), hash);
	snprintf(rev, sizeof(rev), "%s-%s", name, hash);
	ctrl_revision_sync(c, sts, "StatefulSet", hash);
	int64_t want = ctrl_int(sts, "spec", "replicas", NULL, 1);
	const cJSON *old = ctrl_path(sts, "status", NULL, NULL);
	const char *cur_rev = ctrl_str(old, "currentRevision", NULL, NULL);
	bool fails = template_fails(c, sts);
	bool same_rev = ctrl_str(old, "updateRevision", NULL, NULL) &&
			strcmp(ctrl_str(old, "updateRevision", NULL, NULL), rev) == 0;
	bool done = !fails && (is_ready_tag(tag) && same_rev);
	int64_t ready = ctrl_int(old, "readyReplicas", NULL, NULL, 0);
	if (ready > want)
		ready = want;
	cJSON *st = cJSON_CreateObject();
	add_nonzero(st, "observedGeneration", ctrl_int(sts, "metadata", "generation", NULL, 0));
	cJSON_AddNumberToObject(st, "replicas", (double)want);
	add_nonzero(st, "readyReplicas", done ? want : ready);
	add_nonzero(st, "currentReplicas",
		    done ? want : (cur_rev ? ctrl_int(old, "currentReplicas", NULL, NULL, 0) : 0));
	add_nonzero(st, "updatedReplicas",
		    done ? want : (same_rev ? ctrl_int(old, "updatedReplicas", NULL, NULL, 0) : 0));
	cJSON_AddStringToObject(st, "currentRevision", done || !cur_rev ? rev : cur_rev);
	cJSON_AddStringToObject(st, "updateRevision", rev);
	if (ctrl_path(old, "collisionCount", NULL, NULL))
		cJSON_AddNumberToObject(st, "collisionCount",
					(double)ctrl_int(old, "collisionCount", NULL, NULL, 0));
	add_nonzero(st, "availableReplicas", done ? want : ready);
	bool complete = ctrl_int(st, "readyReplicas", NULL, NULL, 0) == want &&
			ctrl_int(st, "updatedReplicas", NULL, NULL, 0) == want;
	if (!complete && !fails && !is_ready_tag(tag))
		schedule_ready(c, CK_STS, rt, sts);
	else if (!complete && !fails && !same_rev)
		schedule_ready(c, CK_STS, rt, sts);
	put_status(c, rt, sts, st);
}

void ds_sync(struct controllers *c, const char *ns, const char *name, const char *tag)
{
	const struct restype *rt = ctrl_types(c)->ds;
	const cJSON *ds = store_get(ctrl_store(c), rt, ns, name);
	if (!ds)
		return;
	char hash[16];
	ctrl_template_hash(ctrl_path(ds, "spec", "template", NULL),
			   ctrl_path(ds, "status", "collisionCount", NULL), hash);
	ctrl_revision_sync(c, ds, "DaemonSet", hash);
	const cJSON *old = ctrl_path(ds, "status", NULL, NULL);
	int64_t gen = ctrl_int(ds, "metadata", "generation", NULL, 0);
	bool fails = template_fails(c, ds);
	bool seen = ctrl_int(old, "observedGeneration", NULL, NULL, 0) == gen;
	bool done = !fails && seen && is_ready_tag(tag);
	int64_t updated =
	    done ? 1 : (seen ? ctrl_int(old, "updatedNumberScheduled", NULL, NULL, 0) : 0);
	int64_t ready = done ? 1 : ctrl_int(old, "numberReady", NULL, NULL, 0);
	/* One simulated node: one pod is desired. */
	cJSON *st = cJSON_CreateObject();
	cJSON_AddNumberToObject(st, "currentNumberScheduled", 1);
	cJSON_AddNumberToObject(st, "numberMisscheduled", 0);
	cJSON_AddNumberToObject(st, "desiredNumberScheduled", 1);
	cJSON_AddNumberToObject(st, "numberReady", (double)ready);
	add_nonzero(st, "observedGeneration", gen);
	add_nonzero(st, "updatedNumberScheduled", updated);
	add_nonzero(st, "numberAvailable", ready);
	add_nonzero(st, "numberUnavailable", 1 - ready);
	if (!fails && !(updated == 1 && ready == 1) && (!is_ready_tag(tag) || !seen))
		schedule_ready(c, CK_DS, rt, ds);
	put_status(c, rt, ds, st);
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
	put_status(c, rt, job, st);
}
