/*
 * merge_apply: server-side apply (structured-merge-diff's Updater.Apply) and the
 * ownership bookkeeping of ordinary writes (Updater.Update), spec 6.3/6.4.
 * Pure: the live object is never modified; results are new objects.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "merge.h"
#include "merge_int.h"

static const struct schema_node *root_of(const struct merge_kind *k)
{
	const struct schema_node *r = k ? schema_root(k->group, k->kind) : NULL;

	return r ? r : schema_deduced();
}

/* live (+) config under the schema: maps merge, assoc lists merge by key, sets union. */
static cJSON *ssa_merge(const cJSON *l, const cJSON *c, const struct schema_node *n);

static cJSON *merge_map(const cJSON *l, const cJSON *c, const struct schema_node *n)
{
	cJSON *out = cJSON_Duplicate(l, true);
	const cJSON *it;

	for (it = c->child; out && it; it = it->next) {
		const cJSON *old = cJSON_GetObjectItemCaseSensitive(out, it->string);
		cJSON *v = old ? ssa_merge(old, it, schema_child(n, it->string))
			       : cJSON_Duplicate(it, true);

		/* v NULL is out of memory: the merge fails rather than lose the member. */
		if (json_object_set(out, it->string, v) < 0) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

static cJSON *merge_list(const cJSON *l, const cJSON *c, const struct schema_node *n)
{
	cJSON *out = cJSON_Duplicate(l, true);
	const cJSON *it;

	for (it = c->child; out && it; it = it->next) {
		char *key = fs_item_key(n, it);
		cJSON *old = NULL, *x;
		int idx = 0, at = -1;

		for (x = out->child; key && x; x = x->next, idx++) {
			char *k2 = fs_item_key(n, x);
			bool same = k2 && !strcmp(k2, key);
			free(k2);
			if (same) {
				old = x;
				at = idx;
				break;
			}
		}
		free(key);
		if (old && n->kind == SCHEMA_SET)
			continue;
		if ((old ? json_array_replace(out, at, ssa_merge(old, it, schema_item(n)))
			 : json_array_append(out, cJSON_Duplicate(it, true))) < 0) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

static cJSON *ssa_merge(const cJSON *l, const cJSON *c, const struct schema_node *n)
{
	enum fs_shape sl = fs_shape_of(n, l), sc = fs_shape_of(n, c);

	if (!l || sl != sc || sc == FS_LEAF)
		return cJSON_Duplicate(c, true);
	if (sc == FS_MAP)
		return merge_map(l, c, n);
	return merge_list(l, c, n);
}

/* A copy of o without its first member named skip (NULL: a plain copy). */
static cJSON *dup_except(const cJSON *o, const char *skip)
{
	const cJSON *drop = skip ? cJSON_GetObjectItemCaseSensitive(o, skip) : NULL, *c;
	cJSON *out;

	if (!drop)
		return cJSON_Duplicate(o, true);
	if (!(out = cJSON_CreateObject()))
		return NULL;
	for (c = o->child; c; c = c->next) {
		if (c == drop)
			continue;
		if (json_object_add(out, c->string, cJSON_Duplicate(c, true)) < 0) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

/* A copy of obj without metadata.managedFields, which is never copied: it is often the
 * largest part of a stored object. Top-level members named skip (may be NULL) are left
 * out too. */
static cJSON *without_managed_root(const cJSON *obj, const char *skip)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *c;
	cJSON *out, *d;

	if (!cJSON_IsObject(obj) || (!cJSON_IsObject(md) && !skip))
		return dup_except(obj, NULL);
	if (!(out = cJSON_CreateObject()))
		return NULL;
	for (c = obj->child; c; c = c->next) {
		if (skip && c->string && !strcmp(c->string, skip))
			continue;
		d = c == md && cJSON_IsObject(md) ? dup_except(c, "managedFields")
						  : cJSON_Duplicate(c, true);
		if (json_object_add(out, c->string, d) < 0) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

static cJSON *without_managed(const cJSON *obj)
{
	return without_managed_root(obj, NULL);
}

/* Deletes every top-level member named name (NULL: none). */
static void drop_all(cJSON *obj, const char *name)
{
	while (name && cJSON_GetObjectItemCaseSensitive(obj, name))
		cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
}

/* IgnoreManagedFieldsTimestampsTransformer: a write that changes nothing but
 * managedFields timestamps keeps the stored managedFields. */
static void keep_old_timestamps(const cJSON *old, cJSON *obj)
{
	const cJSON *om = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(old, "metadata"), "managedFields");
	cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	if (!old || !om || !md || merge_objects_differ(old, obj))
		return;
	/* Out of memory keeps the new managedFields: a correct answer either way. */
	(void)json_object_set(md, "managedFields", cJSON_Duplicate(om, true));
}

/* apiVersion and kind of an apply body must be the endpoint's (want: its apiVersion). */
static int check_type(const struct merge_kind *k, const cJSON *config, const char *want,
		      struct kstatus *e)
{
	const cJSON *av = cJSON_GetObjectItemCaseSensitive(config, "apiVersion");
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(config, "kind");

	if (!cJSON_IsString(av) || strcmp(av->valuestring, want))
		return merge_fail(e, 400, "BadRequest",
				  "Incorrect version specified in apply patch. Specified patch "
				  "version: %s, expected: %s",
				  cJSON_IsString(av) ? av->valuestring : "", want);
	if (k && k->kind && (!cJSON_IsString(kind) || strcmp(kind->valuestring, k->kind)))
		return merge_fail(e, 400, "BadRequest", "invalid object type: %s%s, Kind=%s",
				  k->group && k->group[0] ? "" : "/", want,
				  cJSON_IsString(kind) ? kind->valuestring : "");
	return 0;
}

static bool is_core(const struct merge_kind *k)
{
	return !(k && k->group && k->group[0]);
}

static int check_config(const struct merge_kind *k, const cJSON *config, struct kstatus *e)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(config, "metadata");
	const cJSON *mf = cJSON_GetObjectItemCaseSensitive(md, "managedFields");
	char want[256], why[768];
	int rc;

	if (!cJSON_IsObject(config))
		return merge_fail(e, 400, "BadRequest", "error decoding YAML: not an object");
	mf_api_version(k, want, sizeof(want));
	if ((rc = check_type(k, config, want, e)) < 0)
		return rc;
	if (mf && !cJSON_IsNull(mf))
		return merge_fail(e, 400, "BadRequest", "metadata.managedFields must be nil");
	if (fs_validate(config, root_of(k), why, sizeof(why)) < 0)
		return merge_fail(e, 400, "BadRequest",
				  "failed to create typed patch object (%s%s, Kind=%s): %s",
				  is_core(k) ? "/" : "", want, k && k->kind ? k->kind : "", why);
	return 0;
}

struct conflict_ctx {
	struct merge_conflicts *out;
	const char *manager;
	int rc;
};

static int add_conflict(const char *path, void *vctx)
{
	struct conflict_ctx *ctx = vctx;
	struct merge_conflicts *c = ctx->out;
	struct merge_conflict *v = realloc(c->items, (c->n + 1) * sizeof(*v));
	char *m, *p;

	if (!v)
		return ctx->rc = MERGE_ENOMEM;
	c->items = v;
	m = strdup(ctx->manager);
	p = strdup(path);
	if (!m || !p) {
		free(m);
		free(p);
		return ctx->rc = MERGE_ENOMEM;
	}
	v[c->n].manager = m;
	v[c->n].path = p;
	c->n++;
	return 0;
}

/* Lists the paths of both (manager i's conflicts) into out; MERGE_ENOMEM on failure. */
static int list_conflicts(const struct mf_entry *m, const cJSON *both, struct merge_conflicts *out)
{
	struct conflict_ctx ctx = {out, NULL, 0};
	char *who = mf_print_manager(m);

	if (!who)
		return MERGE_ENOMEM;
	ctx.manager = who;
	fs_each_path(both, add_conflict, &ctx);
	free(who);
	return ctx.rc;
}

/* Collects (others' sets) & changed, minus allowed, into conflicts (when out is not NULL);
 * sets *found to the number of managers in conflict. A field set that cannot be built is
 * MERGE_ENOMEM, never "no conflict". */
static int find_conflicts(const struct mf_list *l, int self, const cJSON *changed,
			  const cJSON *allowed, struct merge_conflicts *out, size_t *found)
{
	*found = 0;
	for (size_t i = 0; i < l->n; i++) {
		cJSON *both;
		int rc = 0;

		if ((int)i == self)
			continue;
		if (!(both = fs_and(l->v[i].set, changed)))
			return MERGE_ENOMEM;
		fs_sub(both, allowed);
		if (!fs_empty(both)) {
			(*found)++;
			if (out)
				rc = list_conflicts(&l->v[i], both, out);
		}
		cJSON_Delete(both);
		if (rc < 0)
			return rc;
	}
	return 0;
}

/* Others lose what changed (the write is forced or had no conflicts) and what vanished. */
static void take_from_others(struct mf_list *l, int self, const cJSON *changed,
			     const cJSON *removed)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		if ((int)i == self)
			continue;
		fs_sub(l->v[i].set, changed);
		fs_sub(l->v[i].set, removed);
	}
}

struct apply_state {
	unsigned long failures; /* fs_failures() at the start: more is out of memory */
	struct mf_list mf;
	cJSON *merged;
	cJSON *newset;
	cJSON *changed;
	cJSON *removed;
	int self;
};

static void state_dispose(struct apply_state *st)
{
	mf_dispose(&st->mf);
	cJSON_Delete(st->merged);
	cJSON_Delete(st->newset);
	cJSON_Delete(st->changed);
	cJSON_Delete(st->removed);
}

/*
 * smd prunes by removing the whole old set and then adding back what is still owned
 * (addBackOwnedItems): a node whose "." is no longer sent survives while anything below
 * it is still owned. Without this, kubectl's CSA->SSA migration (an Update-style set
 * with "f:data":{".":{},...} copied into the Apply entry) made the next apply drop data.
 */
static void spare_owned_parents(cJSON *gone, const cJSON *keep)
{
	const cJSON *k;
	cJSON *c;

	if (!gone || !keep)
		return;
	if (fs_is_member(gone))
		for (k = keep->child; k; k = k->next)
			if (strcmp(k->string, ".") != 0) {
				cJSON_DeleteItemFromObjectCaseSensitive(gone, ".");
				break;
			}
	for (c = gone->child; c; c = c->next)
		if (strcmp(c->string, ".") != 0)
			spare_owned_parents(c, cJSON_GetObjectItemCaseSensitive(keep, c->string));
}

/* Whether a manager other than self owns anything of the object. */
static bool others_manage(const struct mf_list *l, int self)
{
	for (size_t i = 0; i < l->n; i++)
		if ((int)i != self)
			return true;
	return false;
}

/* Step 3 of spec 6.3: drop what this applier no longer sends, unless someone owns it. */
static void prune(struct apply_state *st, const struct schema_node *root)
{
	cJSON *gone, *keep;
	size_t i;

	if (st->self < 0)
		return;
	gone = cJSON_Duplicate(st->mf.v[st->self].set, true);
	keep = cJSON_Duplicate(st->newset, true);
	fs_sub(gone, st->newset);
	for (i = 0; i < st->mf.n; i++)
		if ((int)i != st->self) {
			fs_sub(gone, st->mf.v[i].set);
			fs_add(keep, st->mf.v[i].set);
		}
	spare_owned_parents(gone, keep);
	fs_clean(gone);
	fs_remove_from(st->merged, root, gone);
	cJSON_Delete(keep);
	cJSON_Delete(gone);
}

static int diff_live(struct apply_state *st, const struct merge_kind *k, const cJSON *live,
		     const char *subresource)
{
	const struct schema_node *root = root_of(k);
	cJSON *base = live ? without_managed(live) : cJSON_CreateObject();
	cJSON *cur = without_managed(st->merged);

	mf_fill_skeleton(base, k);
	mf_fill_skeleton(cur, k);
	st->changed = fs_new();
	st->removed = fs_new();
	if (!base || !cur || !st->changed || !st->removed) {
		cJSON_Delete(base);
		cJSON_Delete(cur);
		return MERGE_ENOMEM;
	}
	fs_compare(base, cur, root, st->changed, st->removed);
	fs_clean(st->changed);
	fs_clean(st->removed);
	fs_strip(st->changed, k, subresource);
	fs_strip(st->removed, k, subresource);
	cJSON_Delete(base);
	cJSON_Delete(cur);
	return 0;
}

/* Stable sort by manager: paths within a manager stay in set order (conflict.go). */
static void sort_conflicts(struct merge_conflicts *c)
{
	size_t i, j;

	for (i = 1; i < c->n; i++)
		for (j = i; j > 0 && strcmp(c->items[j - 1].manager, c->items[j].manager) > 0;
		     j--) {
			struct merge_conflict t = c->items[j];
			c->items[j] = c->items[j - 1];
			c->items[j - 1] = t;
		}
}

static int set_conflict(struct merge_conflicts *conflicts, struct kstatus *e)
{
	char *msg;

	sort_conflicts(conflicts);
	msg = merge_conflicts_message(conflicts);

	merge_fail(e, 409, "Conflict", "%s", msg ? msg : "Apply failed");
	free(msg);
	return MERGE_ECONFLICT;
}

#define LAST_APPLIED "kubectl.kubernetes.io/last-applied-configuration"

static const cJSON *last_applied_of(const cJSON *obj)
{
	const cJSON *a = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "annotations");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, LAST_APPLIED);

	return cJSON_IsString(v) && v->valuestring[0] ? v : NULL;
}

/* lastappliedmanager.go: for manager "kubectl", conflicts on fields recorded in the
 * client-side apply annotation are allowed (CSA -> SSA upgrade). */
static cJSON *last_applied_set(const cJSON *live, const struct merge_kind *k,
			       const char *subresource)
{
	const cJSON *v = last_applied_of(live);
	cJSON *obj = v ? cJSON_Parse(v->valuestring) : NULL, *set;

	if (!cJSON_IsObject(obj)) {
		cJSON_Delete(obj);
		return NULL;
	}
	set = fs_from_apply(obj, root_of(k));
	fs_strip(set, k, subresource);
	cJSON_Delete(obj);
	return set;
}

static void sort_keys(cJSON *v)
{
	cJSON *c, *sorted;

	for (c = v ? v->child : NULL; c; c = c->next)
		sort_keys(c);
	if (!cJSON_IsObject(v) || !(sorted = cJSON_CreateObject()))
		return;
	while (v->child) {
		cJSON *min = v->child;
		for (c = v->child; c; c = c->next)
			if (strcmp(c->string, min->string) < 0)
				min = c;
		/* Array-style moves keep each member's key and cannot fail. */
		cJSON_AddItemToArray(sorted, cJSON_DetachItemViaPointer(v, min));
	}
	while (sorted->child)
		cJSON_AddItemToArray(v, cJSON_DetachItemViaPointer(sorted, sorted->child));
	cJSON_Delete(sorted);
}

/* Go's encoding/json: sorted keys, <>& escaped, a trailing newline (Encoder.Encode). */
static char *go_json(const cJSON *v)
{
	cJSON *c = cJSON_Duplicate(v, true);
	char *s, *out, *o;
	const char *p;

	sort_keys(c);
	s = c ? cJSON_PrintUnformatted(c) : NULL;
	cJSON_Delete(c);
	out = s ? malloc(strlen(s) * 6 + 2) : NULL;
	for (p = s, o = out; out && *p; p++) {
		if (*p == '<' || *p == '>' || *p == '&')
			o += sprintf(o, "\\u00%02x", (unsigned char)*p);
		else
			*o++ = *p;
	}
	if (out)
		strcpy(o, "\n");
	free(s);
	return out;
}

/* lastappliedupdater.go: kubectl's apply rewrites an existing annotation to the config. */
static void sync_last_applied(cJSON *obj, const cJSON *config)
{
	cJSON *copy, *ann;
	char *s;

	if (!last_applied_of(obj))
		return;
	copy = cJSON_Duplicate(config, true);
	ann = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(copy, "metadata"),
					       "annotations");
	cJSON_DeleteItemFromObjectCaseSensitive(ann, LAST_APPLIED);
	s = copy ? go_json(copy) : NULL;
	cJSON_Delete(copy);
	if (!s)
		return;
	ann = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "metadata"),
					       "annotations");
	/* Out of memory keeps the old annotation: kubectl rewrites it on its next apply. */
	(void)json_object_set(ann, LAST_APPLIED, cJSON_CreateString(s));
	free(s);
}

static int merge_oom(struct kstatus *e)
{
	return merge_fail(e, 500, "InternalError", "out of memory");
}

/* Steps 1-3 of spec 6.3: live (without managedFields) merged with config, the
 * applier's new field set, and what it no longer sends pruned. */
static int apply_merge(struct apply_state *st, const struct merge_kind *k, const cJSON *live,
		       const cJSON *config, const char *manager, const char *subresource)
{
	const struct schema_node *root = root_of(k);
	cJSON *base;

	if (mf_decode(&st->mf, live) < 0)
		return MERGE_ENOMEM;
	st->self = mf_find(&st->mf, manager, "Apply", NULL, subresource);
	base = live ? without_managed(live) : cJSON_CreateObject();
	st->merged = base ? ssa_merge(base, config, root) : NULL;
	cJSON_Delete(base);
	st->newset = fs_from_apply(config, root);
	if (!st->merged || !st->newset)
		return MERGE_ENOMEM;
	fs_strip(st->newset, k, subresource);
	prune(st, root);
	return 0;
}

/* Whether the merge changed the object (explicit nulls dropped): a create always does. */
static bool apply_changes_object(const cJSON *live, const cJSON *merged)
{
	cJSON *base, *now_obj;
	bool changed;

	if (!live)
		return true;
	base = without_managed(live);
	now_obj = cJSON_Duplicate(merged, true);
	merge_drop_nulls(now_obj);
	changed = !base || !merge_equal(base, now_obj);
	cJSON_Delete(base);
	cJSON_Delete(now_obj);
	return changed;
}

/* The fields the write changed and removed. They matter only to other managers
 * (conflicts, taking their fields): with none (every create) nothing is compared. */
static int apply_diff(struct apply_state *st, const struct merge_kind *k, const cJSON *live,
		      const char *subresource)
{
	if (others_manage(&st->mf, st->self))
		return diff_live(st, k, live, subresource);
	st->changed = fs_new();
	st->removed = fs_new();
	return st->changed && st->removed ? 0 : MERGE_ENOMEM;
}

/* The applier's entry: its new set and version, a new time when the object changed. */
static int apply_own(struct apply_state *st, const char *manager, const char *apiv,
		     const char *subresource, bool changed_obj, const char *now)
{
	struct mf_entry *m;

	if (st->self < 0) {
		if ((st->self = mf_add(&st->mf, manager, "Apply", apiv, subresource)) < 0)
			return MERGE_ENOMEM;
		changed_obj = true;
	}
	m = &st->mf.v[st->self];
	cJSON_Delete(m->set);
	m->set = st->newset;
	st->newset = NULL;
	free(m->api_version);
	m->api_version = strdup(apiv);
	if (changed_obj)
		mf_set_time(m, now);
	mf_drop_empty(&st->mf);
	return mf_store(st->merged, &st->mf);
}

/* Step 4: others' fields the write changes conflict, except the allowed ones; a
 * forced write, or one with none left, takes them over. */
static int apply_conflicts(struct apply_state *st, const cJSON *allowed, bool force,
			   struct merge_conflicts *conflicts, struct kstatus *e)
{
	size_t found;
	int rc;

	rc = find_conflicts(&st->mf, st->self, st->changed, allowed, force ? NULL : conflicts,
			    &found);
	if (rc < 0 || fs_failures() != st->failures)
		return merge_oom(e);
	if (found && !force)
		return set_conflict(conflicts, e);
	take_from_others(&st->mf, st->self, st->changed, st->removed);
	return 0;
}

/* What kubectl's and the timestamps' transformers do to the result. */
static void apply_finish(cJSON *merged, const cJSON *live, const cJSON *config,
			 const char *manager)
{
	if (!strcmp(manager, "kubectl"))
		sync_last_applied(merged, config);
	keep_old_timestamps(live, merged);
}

int merge_apply(cJSON **out, struct merge_conflicts *conflicts, const struct merge_kind *k,
		const cJSON *live, const cJSON *config, const char *manager, bool force,
		const char *subresource, const char *now, struct kstatus *e)
{
	struct apply_state st = {.self = -1, .failures = fs_failures()};
	struct merge_conflicts spare = {0};
	cJSON *allowed = NULL;
	char apiv[256];
	bool changed_obj;
	int rc;

	*out = NULL;
	if (!conflicts)
		conflicts = &spare; /* caller not interested: freed below */
	memset(conflicts, 0, sizeof(*conflicts));
	if ((rc = check_config(k, config, e)) < 0)
		return rc;
	mf_api_version(k, apiv, sizeof(apiv));
	if (apply_merge(&st, k, live, config, manager, subresource) < 0)
		goto oom;
	changed_obj = apply_changes_object(live, st.merged);
	merge_defaults(st.merged, k);
	/* explicit nulls still present: setting another manager's field to null conflicts */
	if (apply_diff(&st, k, live, subresource) < 0)
		goto oom;
	merge_drop_nulls(st.merged);
	if (!force && !strcmp(manager, "kubectl"))
		allowed = last_applied_set(live, k, subresource);
	if ((rc = apply_conflicts(&st, allowed, force, conflicts, e)) < 0)
		goto out;
	if (apply_own(&st, manager, apiv, subresource, changed_obj, now) < 0 ||
	    fs_failures() != st.failures)
		goto oom;
	apply_finish(st.merged, live, config, manager);
	*out = st.merged;
	st.merged = NULL;
	goto out;
oom:
	rc = merge_oom(e);
out:
	merge_conflicts_dispose(&spare);
	cJSON_Delete(allowed);
	state_dispose(&st);
	return rc;
}

/* decodeLiveOrNew: which managedFields a non-apply write starts from. */
static int base_managed(struct mf_list *l, const cJSON *obj, const cJSON *old,
			const char *subresource)
{
	const cJSON *mf = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "managedFields");
	int rc;

	if (subresource && subresource[0])
		return mf_decode(l, old);
	if (cJSON_GetArraySize(mf) == 1 && cJSON_IsObject(mf->child) && !mf->child->child) {
		memset(l, 0, sizeof(*l)); /* [{}] resets */
		return 0;
	}
	if ((rc = mf_decode(l, obj)) < 0 || l->n)
		return rc;
	return mf_decode(l, old);
}

/* The fields a non-apply write changed and removed, comparing old with obj (without
 * managedFields and what the subresource does not record). */
static int update_diff(struct apply_state *st, const struct merge_kind *k, const cJSON *old,
		       const cJSON *obj, const char *subresource)
{
	const char *skip = mf_unrecorded_root(k, subresource);
	cJSON *base = old ? without_managed_root(old, skip) : cJSON_CreateObject();
	int rc = 0;

	st->merged = without_managed_root(obj, skip);
	mf_fill_skeleton(base, k);
	mf_fill_skeleton(st->merged, k);
	drop_all(base, skip); /* the skeleton may have added it back */
	drop_all(st->merged, skip);
	st->changed = fs_new();
	st->removed = fs_new();
	if (!base || !st->merged || !st->changed || !st->removed) {
		rc = MERGE_ENOMEM;
		goto out;
	}
	fs_compare(base, st->merged, root_of(k), st->changed, st->removed);
	fs_clean(st->changed);
	fs_clean(st->removed);
	fs_strip(st->changed, k, subresource);
	fs_strip(st->removed, k, subresource);
out:
	cJSON_Delete(base);
	return rc;
}

/* The writer's Update entry loses what it removed and gains what it changed (a new
 * entry only when it changed something); its time moves only when it took fields
 * (managedFieldsUpdater). */
static int update_own(struct apply_state *st, const char *manager, const char *apiv,
		      const char *subresource, const char *now)
{
	int self = mf_find(&st->mf, manager, "Update", apiv, subresource);

	take_from_others(&st->mf, self, st->changed, st->removed);
	if (self >= 0)
		fs_sub(st->mf.v[self].set, st->removed);
	else if (!fs_empty(st->changed) &&
		 (self = mf_add(&st->mf, manager, "Update", apiv, subresource)) < 0)
		return MERGE_ENOMEM;
	if (self >= 0 && !fs_empty(st->changed)) {
		fs_add(st->mf.v[self].set, st->changed);
		mf_set_time(&st->mf.v[self], now);
	}
	return 0;
}

int merge_record_update(cJSON *obj, const struct merge_kind *k, const cJSON *old,
			const char *manager, const char *subresource, const char *now,
			struct kstatus *e)
{
	struct apply_state st = {.self = -1, .failures = fs_failures()};
	char apiv[256];
	int rc = 0;

	if (!cJSON_IsObject(obj))
		return merge_fail(e, 400, "BadRequest", "object is not a JSON object");
	mf_api_version(k, apiv, sizeof(apiv));
	if (base_managed(&st.mf, obj, old, subresource) < 0)
		return merge_oom(e);
	if (update_diff(&st, k, old, obj, subresource) < 0 ||
	    update_own(&st, manager, apiv, subresource, now) < 0 || fs_failures() != st.failures) {
		rc = merge_oom(e);
		goto out;
	}
	mf_drop_empty(&st.mf);
	mf_cap_updates(&st.mf);
	if ((rc = mf_store(obj, &st.mf)) < 0) {
		merge_oom(e);
		goto out;
	}
	keep_old_timestamps(old, obj);
out:
	state_dispose(&st);
	return rc;
}
