/*
 * ctrl_history: ControllerRevisions for StatefulSets and DaemonSets (k8s 1.28
 * pkg/controller/history, statefulset/stateful_set_utils.go newRevision,
 * daemon/update.go). Each distinct template gets one revision "<owner>-<hash>" whose
 * data is the template as a replacing patch; returning to an old template raises that
 * revision's number instead of making a new one, and revisions beyond
 * revisionHistoryLimit are deleted oldest first. kubectl's rollout history and undo
 * for these kinds read them.
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* {"spec":{"template":{..., "$patch":"replace"}}} as getPatch builds it. */
static cJSON *revision_data(const cJSON *owner)
{
	cJSON *data = cJSON_CreateObject();
	cJSON *tmpl = cJSON_Duplicate(ctrl_path(owner, "spec", "template", NULL), true);
	if (!tmpl)
		tmpl = cJSON_CreateObject();
	cJSON_AddStringToObject(tmpl, "$patch", "replace");
	cJSON_AddItemToObject(cJSON_AddObjectToObject(data, "spec"), "template", tmpl);
	return data;
}

static cJSON *revision_new(const cJSON *owner, const char *kind, const char *name, const char *hash,
			   int64_t number)
{
	cJSON *cr = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(cr, "metadata");
	const cJSON *tl =
	    ctrl_path(ctrl_path(owner, "spec", "template", "metadata"), "labels", NULL, NULL);
	cJSON_AddStringToObject(cr, "apiVersion", "apps/v1");
	cJSON_AddStringToObject(cr, "kind", "ControllerRevision");
	cJSON_AddStringToObject(meta, "name", name);
	cJSON_AddStringToObject(meta, "namespace", ctrl_namespace(owner));
	cJSON *labels = tl ? cJSON_Duplicate(tl, true) : cJSON_CreateObject();
	cJSON_AddStringToObject(labels, "controller.kubernetes.io/hash", hash);
	cJSON_AddItemToObject(meta, "labels", labels);
	const cJSON *ann = ctrl_path(owner, "metadata", "annotations", NULL);
	if (ann)
		cJSON_AddItemToObject(meta, "annotations", cJSON_Duplicate(ann, true));
	cJSON *refs = cJSON_AddArrayToObject(meta, "ownerReferences");
	cJSON_AddItemToArray(
	    refs, ctrl_owner_ref_new("apps/v1", kind, ctrl_name(owner), ctrl_uid(owner)));
	cJSON_AddItemToObject(cr, "data", revision_data(owner));
	cJSON_AddNumberToObject(cr, "revision", (double)number);
	return cr;
}

static int cmp_number(const void *a, const void *b)
{
	int64_t x = ctrl_int(*(const cJSON *const *)a, "revision", NULL, NULL, 0);
	int64_t y = ctrl_int(*(const cJSON *const *)b, "revision", NULL, NULL, 0);
	return x < y ? -1 : x > y;
}

/* Deletes the oldest revisions beyond the limit, never the live one (keep). */
static void truncate_history(struct controllers *c, const struct restype *rt, const cJSON *owner,
			     const char *keep)
{
	const cJSON **revs = NULL;
	size_t n = ctrl_owned(c, ctrl_uid(owner), rt, &revs);
	int64_t limit = ctrl_int(owner, "spec", "revisionHistoryLimit", NULL, 10);
	char(*names)[254] = calloc(n + 1, sizeof(*names));
	size_t k = 0;
	qsort(revs, n, sizeof(*revs), cmp_number);
	for (size_t i = 0; names && n > (size_t)limit + 1 && i < n - (size_t)limit - 1; i++)
		if (strcmp(ctrl_name(revs[i]), keep) != 0)
			snprintf(names[k++], sizeof(names[0]), "%s", ctrl_name(revs[i]));
	free(revs);
	for (size_t i = 0; i < k; i++)
		ctrl_delete(c, rt, ctrl_namespace(owner), names[i], "Background", -1);
	free(names);
}

int ctrl_revision_sync(struct controllers *c, const cJSON *owner, const char *kind,
		       const char *hash)
{
	const struct restype *rt = ctrl_types(c)->cr;
	const cJSON **revs = NULL;
	char name[300];
	int64_t max = 0, have = -1;
	if (!rt || !ctrl_uid(owner))
		return -1;
	snprintf(name, sizeof(name), "%s-%s", ctrl_name(owner), hash);
	size_t n = ctrl_owned(c, ctrl_uid(owner), rt, &revs);
	for (size_t i = 0; i < n; i++) {
		int64_t r = ctrl_int(revs[i], "revision", NULL, NULL, 0);
		if (strcmp(ctrl_name(revs[i]), name) == 0)
			have = r;
		else if (r > max)
			max = r;
	}
	free(revs);
	if (have > max)
		return 0;
	if (have >= 0) {
		/* Back to an older template: that revision becomes the newest. */
		cJSON *cr = cJSON_Duplicate(
		    store_get(ctrl_store(c), rt, ctrl_namespace(owner), name), true);
		ctrl_set_int(cr, "revision", max + 1);
		int rc = ctrl_update(c, rt, cr, CTRL_MANAGER, false);
		cJSON_Delete(cr);
		return rc < 0 ? rc : 0;
	}
	cJSON *cr = revision_new(owner, kind, name, hash, max + 1);
	int rc = ctrl_create(c, rt, cr, CTRL_MANAGER, NULL);
	cJSON_Delete(cr);
	if (rc >= 0)
		truncate_history(c, rt, owner, name);
	return rc < 0 ? rc : 0;
}
