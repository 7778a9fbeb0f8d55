/*
 * ctrl_history: ControllerRevisions for StatefulSets and DaemonSets as the 1.32
 * controllers make them (pkg/controller/history/controller_history.go,
 * statefulset/stateful_set_utils.go newRevision and getPatch, daemon/update.go
 * constructHistory and snapshot). A revision's data is the parent's spec.template as a
 * replacing patch, encoded the way Go encodes it (keys sorted, creationTimestamp null,
 * resources {}), because kubectl rollout undo compares those bytes with its own
 * encoding. Returning to an earlier template renumbers that revision instead of making
 * a new one; a name clash with other data raises the collision count; revisions
 * beyond revisionHistoryLimit that nothing uses are deleted oldest first.
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STS_HASH_LABEL "controller.kubernetes.io/hash"
#define DS_HASH_LABEL "controller-revision-hash"
#define MAX_COLLISIONS 8

static const char safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

/* ---- the data bytes ---------------------------------------------------------------- */

static int cmp_key(const void *a, const void *b)
{
	return strcmp((*(cJSON *const *)a)->string, (*(cJSON *const *)b)->string);
}

/* Sorts keys, as json.Marshal of a map does, dropping nulls (omitempty pointers)
 * when drop is set. */
static void go_sort(cJSON *v, bool drop)
{
	cJSON *x, *next;
	size_t n = 0, i = 0;
	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return;
	for (x = v->child; x; x = next) {
		next = x->next;
		if (drop && cJSON_IsNull(x) && cJSON_IsObject(v))
			cJSON_Delete(cJSON_DetachItemViaPointer(v, x));
		else {
			go_sort(x, drop);
			n++;
		}
	}
	if (!cJSON_IsObject(v) || n < 2)
		return;
	cJSON **arr = malloc(n * sizeof(*arr));
	if (!arr)
		return;
	for (x = v->child; x; x = x->next)
		arr[i++] = x;
	qsort(arr, n, sizeof(*arr), cmp_key);
	for (i = 0; i < n; i++) {
		arr[i]->prev = i ? arr[i - 1] : arr[n - 1];
		arr[i]->next = i + 1 < n ? arr[i + 1] : NULL;
	}
	v->child = arr[0];
	free(arr);
}

static void drop_empty(cJSON *obj, const char *key)
{
	cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (v && (cJSON_IsNull(v) || (cJSON_IsObject(v) && !v->child)))
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
}

/* The fields a typed Go encoding always writes: metadata.creationTimestamp (a struct,
 * so null) and each container's resources (a struct, so {}); empty maps it omits. */
static void go_fields(cJSON *tmpl)
{
	static const char *const lists[] = {"initContainers", "containers", "ephemeralContainers"};
	cJSON *meta = ctrl_obj_child(tmpl, "metadata");
	cJSON *spec = ctrl_obj_child(tmpl, "spec");
	cJSON *ctr;
	drop_empty(meta, "labels");
	drop_empty(meta, "annotations");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "creationTimestamp");
	cJSON_AddNullToObject(meta, "creationTimestamp");
	for (size_t i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		cJSON_ArrayForEach(ctr, cJSON_GetObjectItemCaseSensitive(spec, lists[i]))
		{
			if (cJSON_IsObject(ctr) && !cJSON_GetObjectItemCaseSensitive(ctr, "resources"))
				cJSON_AddObjectToObject(ctr, "resources");
		}
	}
}

char *ctrl_revision_patch(const cJSON *owner)
{
	const cJSON *t = ctrl_path(owner, "spec", "template", NULL);
	cJSON *tmpl = t ? cJSON_Duplicate(t, true) : cJSON_CreateObject();
	cJSON *data = cJSON_CreateObject();
	char *out = NULL;
	if (!tmpl || !data)
		goto out;
	/* nulls go first, so that the creationTimestamp null added next stays */
	go_sort(tmpl, true);
	go_fields(tmpl);
	cJSON_AddStringToObject(tmpl, "$patch", "replace");
	cJSON_AddItemToObject(cJSON_AddObjectToObject(data, "spec"), "template", tmpl);
	tmpl = NULL;
	go_sort(data, false);
	out = cJSON_PrintUnformatted(data);
out:
	cJSON_Delete(tmpl);
	cJSON_Delete(data);
	return out;
}

static void safe_encode(uint32_t h, char *out)
{
	char dec[16];
	size_t i;
	snprintf(dec, sizeof(dec), "%u", h);
	for (i = 0; dec[i]; i++)
		out[i] = safe_alphabet[(unsigned char)dec[i] % 27];
	out[i] = '\0';
}

void ctrl_revision_hash(const char *data, int64_t collision, char *out)
{
	char num[24];
	uint32_t h = 2166136261u;
	snprintf(num, sizeof(num), "%lld", (long long)collision);
	/* fnv.New32 (FNV-1: multiply, then xor) over the data, then the count's digits. */
	for (const char *p = data ? data : ""; *p; p++)
		h = (h * 16777619u) ^ (unsigned char)*p;
	for (const char *p = collision >= 0 ? num : ""; *p; p++)
		h = (h * 16777619u) ^ (unsigned char)*p;
	safe_encode(h, out);
}

/* ---- the revisions of one owner ----------------------------------------------------- */

struct revset {
	const cJSON **revs; /* borrowed, sorted by revision number */
	size_t n;
	int64_t max;
};

static int cmp_number(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int64_t rx = ctrl_int(x, "revision", NULL, NULL, 0);
	int64_t ry = ctrl_int(y, "revision", NULL, NULL, 0);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(ctrl_name(x), ctrl_name(y));
}

static void revset_load(struct controllers *c, const cJSON *owner, struct revset *rs)
{
	const cJSON **all = NULL;
	size_t n = ctrl_owned(c, ctrl_uid(owner), ctrl_types(c)->cr, &all);
	rs->n = 0;
	rs->max = 0;
	rs->revs = all;
	for (size_t i = 0; all && i < n; i++)
		if (ctrl_controlled_by(all[i], ctrl_uid(owner)))
			all[rs->n++] = all[i];
	qsort(all, rs->n, sizeof(*all), cmp_number);
	if (rs->n)
		rs->max = ctrl_int(all[rs->n - 1], "revision", NULL, NULL, 0);
}

static bool data_equal(const cJSON *cr, const char *patch)
{
	char *s = cJSON_PrintUnformatted(ctrl_path(cr, "data", NULL, NULL));
	bool eq = s && strcmp(s, patch) == 0;
	free(s);
	return eq;
}

static cJSON *revision_new(const cJSON *owner, bool sts, const char *name, const char *hash,
			   cJSON *data, int64_t number)
{
	cJSON *cr = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(cr, "metadata");
	const cJSON *tl =
	    ctrl_path(ctrl_path(owner, "spec", "template", "metadata"), "labels", NULL, NULL);
	const cJSON *ann = ctrl_path(owner, "metadata", "annotations", NULL);
	cJSON_AddStringToObject(cr, "apiVersion", "apps/v1");
	cJSON_AddStringToObject(cr, "kind", "ControllerRevision");
	cJSON_AddStringToObject(meta, "name", name);
	cJSON_AddStringToObject(meta, "namespace", ctrl_namespace(owner));
	cJSON *labels = tl ? cJSON_Duplicate(tl, true) : cJSON_CreateObject();
	ctrl_set_str(labels, sts ? STS_HASH_LABEL : DS_HASH_LABEL, hash);
	cJSON_AddItemToObject(meta, "labels", labels);
	/* Both controllers copy all of the parent's annotations (change-cause too). */
	if (ann)
		cJSON_AddItemToObject(meta, "annotations", cJSON_Duplicate(ann, true));
	cJSON_AddItemToArray(cJSON_AddArrayToObject(meta, "ownerReferences"),
			     ctrl_owner_ref_new("apps/v1", sts ? "StatefulSet" : "DaemonSet",
						ctrl_name(owner), ctrl_uid(owner)));
	cJSON_AddItemToObject(cr, "data", data);
	cJSON_AddNumberToObject(cr, "revision", (double)number);
	return cr;
}

static void owner_hash(const cJSON *owner, bool sts, const char *patch, int64_t collision,
		       char *out)
{
	if (sts) {
		ctrl_revision_hash(patch, collision, out);
		return;
	}
	cJSON *cc = collision >= 0 ? cJSON_CreateNumber((double)collision) : NULL;
	ctrl_template_hash(ctrl_path(owner, "spec", "template", NULL), cc, out);
	cJSON_Delete(cc);
}

static void fill_out(struct ctrl_history *out, const cJSON *cr, bool sts)
{
	const char *hash = ctrl_str(cr, "metadata", "labels", sts ? STS_HASH_LABEL : DS_HASH_LABEL);
	snprintf(out->update, sizeof(out->update), "%s", ctrl_name(cr));
	snprintf(out->hash, sizeof(out->hash), "%s", hash ? hash : "");
	out->number = ctrl_int(cr, "revision", NULL, NULL, 0);
}

/* CreateControllerRevision: a clash with equal data is that revision; with other data
 * the collision count goes up and the next hash is tried. */
static int history_create(struct controllers *c, const cJSON *owner, bool sts, const char *patch,
			  int64_t number, struct ctrl_history *out)
{
	const struct restype *rt = ctrl_types(c)->cr;
	char hash[16], name[300];
	for (int i = 0; i < MAX_COLLISIONS; i++) {
		owner_hash(owner, sts, patch, out->collision, hash);
		snprintf(name, sizeof(name), "%.223s-%s", ctrl_name(owner), hash);
		const cJSON *have = store_get(ctrl_store(c), rt, ctrl_namespace(owner), name);
		if (have && data_equal(have, patch)) {
			fill_out(out, have, sts);
			return 0;
		}
		if (!have) {
			cJSON *cr = revision_new(owner, sts, name, hash, cJSON_Parse(patch), number);
			cJSON *made = NULL;
			int rc = ctrl_create(c, rt, cr, CTRL_MANAGER, &made);
			if (rc >= 0)
				fill_out(out, made ? made : cr, sts);
			cJSON_Delete(made);
			cJSON_Delete(cr);
			return rc < 0 ? rc : 0;
		}
		out->collision = out->collision < 0 ? 1 : out->collision + 1;
	}
	return -1;
}

static int history_renumber(struct controllers *c, const cJSON *cr, int64_t number, bool sts,
			    struct ctrl_history *out)
{
	cJSON *copy = cJSON_Duplicate(cr, true);
	ctrl_set_int(copy, "revision", number);
	int rc = ctrl_update(c, ctrl_types(c)->cr, copy, CTRL_MANAGER, false);
	fill_out(out, copy, sts);
	cJSON_Delete(copy);
	return rc < 0 ? rc : 0;
}

int ctrl_history_sync(struct controllers *c, const cJSON *owner, bool sts,
		      struct ctrl_history *out)
{
	struct revset rs;
	const cJSON *cc = ctrl_path(owner, "status", "collisionCount", NULL);
	const cJSON *equal = NULL;
	int rc = -1;
	memset(out, 0, sizeof(*out));
	/* the StatefulSet controller always hashes with a count (0 when unset) */
	out->collision = cJSON_IsNumber(cc) ? (int64_t)cc->valuedouble : (sts ? 0 : -1);
	char *patch = ctrl_revision_patch(owner);
	if (!patch || !ctrl_types(c)->cr || !ctrl_uid(owner)) {
		free(patch);
		return -1;
	}
	revset_load(c, owner, &rs);
	for (size_t i = 0; i < rs.n; i++)
		if (data_equal(rs.revs[i], patch))
			equal = rs.revs[i];
	if (equal && equal == rs.revs[rs.n - 1]) {
		fill_out(out, equal, sts);
		rc = 0;
	} else if (equal)
		rc = history_renumber(c, equal, rs.max + 1, sts, out);
	else
		rc = history_create(c, owner, sts, patch, rs.max + 1, out);
	free(rs.revs);
	free(patch);
	return rc;
}

cJSON *ctrl_revision_template(struct controllers *c, const char *ns, const char *name)
{
	const cJSON *cr = store_get(ctrl_store(c), ctrl_types(c)->cr, ns, name);
	const cJSON *t = ctrl_path(cr, "data", "spec", "template");
	if (!t)
		return NULL;
	cJSON *tmpl = cJSON_Duplicate(t, true);
	cJSON_DeleteItemFromObjectCaseSensitive(tmpl, "$patch");
	return tmpl;
}

static bool is_live(const char *name, const char *const *live, size_t nlive)
{
	for (size_t i = 0; i < nlive; i++)
		if (live[i] && strcmp(live[i], name) == 0)
			return true;
	return false;
}

void ctrl_history_truncate(struct controllers *c, const cJSON *owner, const char *const *live,
			   size_t nlive)
{
	struct revset rs;
	int64_t limit = ctrl_int(owner, "spec", "revisionHistoryLimit", NULL, 10);
	revset_load(c, owner, &rs);
	char(*names)[254] = calloc(rs.n + 1, sizeof(*names));
	size_t k = 0;
	for (size_t i = 0; names && i < rs.n; i++)
		if (!is_live(ctrl_name(rs.revs[i]), live, nlive))
			snprintf(names[k++], sizeof(names[0]), "%s", ctrl_name(rs.revs[i]));
	free(rs.revs);
	/* names is oldest first: delete all but the newest `limit` of them */
	for (size_t i = 0; limit >= 0 && k > (size_t)limit && i < k - (size_t)limit; i++)
		ctrl_delete(c, ctrl_types(c)->cr, ctrl_namespace(owner), names[i], "Background",
			    -1);
	free(names);
}
