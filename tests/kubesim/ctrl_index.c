/*
 * ctrl_index: owner uid -> dependents (type, namespace, name), kept up to date from
 * store events. The Deployment, ReplicaSet and garbage collectors look dependents up
 * here instead of listing a whole namespace on every reconcile, which would make 1,000
 * Deployments quadratic. Protected by the store lock (events arrive with it held).
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct dep_entry {
	char *owner_uid;
	struct ctrl_dep dep;
	struct dep_entry *next;
};

#define INDEX_BUCKETS 16384

struct ctrl_index {
	struct dep_entry *buckets[INDEX_BUCKETS];
};

struct ctrl_index *ctrl_index_new(void)
{
	return calloc(1, sizeof(struct ctrl_index));
}

void ctrl_index_free(struct ctrl_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < INDEX_BUCKETS; i++) {
		struct dep_entry *e = x->buckets[i], *next;
		for (; e; e = next) {
			next = e->next;
			free(e->owner_uid);
			free(e->dep.ns);
			free(e->dep.name);
			free(e);
		}
	}
	free(x);
}

static size_t bucket_of(const char *uid)
{
	uint32_t h = 2166136261u;
	for (; *uid; uid++)
		h = (h ^ (unsigned char)*uid) * 16777619u;
	return h % INDEX_BUCKETS;
}

static bool same(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

static struct dep_entry **find(struct ctrl_index *x, const char *uid, const struct restype *rt,
			       const char *ns, const char *name)
{
	struct dep_entry **p = &x->buckets[bucket_of(uid)];
	for (; *p; p = &(*p)->next) {
		struct dep_entry *e = *p;
		if (e->dep.rt == rt && strcmp(e->owner_uid, uid) == 0 && same(e->dep.ns, ns) &&
		    same(e->dep.name, name))
			return p;
	}
	return p;
}

static void index_add(struct ctrl_index *x, const char *uid, const struct restype *rt,
		      const char *ns, const char *name)
{
	struct dep_entry **p = find(x, uid, rt, ns, name);
	if (*p)
		return;
	struct dep_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return;
	e->owner_uid = strdup(uid);
	e->dep.rt = rt;
	e->dep.ns = strdup(ns ? ns : "");
	e->dep.name = strdup(name ? name : "");
	*p = e;
}

static void index_remove(struct ctrl_index *x, const char *uid, const struct restype *rt,
			 const char *ns, const char *name)
{
	struct dep_entry **p = find(x, uid, rt, ns, name);
	struct dep_entry *e = *p;
	if (!e)
		return;
	*p = e->next;
	free(e->owner_uid);
	free(e->dep.ns);
	free(e->dep.name);
	free(e);
}

static bool has_owner(const cJSON *obj, const char *uid)
{
	const cJSON *ref;
	cJSON_ArrayForEach(ref, ctrl_path(obj, "metadata", "ownerReferences", NULL))
	{
		const char *u = ctrl_str(ref, "uid", NULL, NULL);
		if (u && strcmp(u, uid) == 0)
			return true;
	}
	return false;
}

/* Objects without a controller are indexed under "orphan/<ns>" so the adopting
 * controllers find them without a namespace scan. */
static void orphan_key(char *out, size_t n, const char *ns)
{
	snprintf(out, n, "orphan/%s", ns ? ns : "");
}

void ctrl_index_update(struct ctrl_index *x, const struct restype *rt, const cJSON *old,
		       const cJSON *obj, bool orphans)
{
	const cJSON *ref;
	char key[128];
	if (orphans && old && !ctrl_controller_ref(old)) {
		orphan_key(key, sizeof(key), ctrl_namespace(old));
		index_remove(x, key, rt, ctrl_namespace(old), ctrl_name(old));
	}
	if (orphans && obj && !ctrl_controller_ref(obj)) {
		orphan_key(key, sizeof(key), ctrl_namespace(obj));
		index_add(x, key, rt, ctrl_namespace(obj), ctrl_name(obj));
	}
	cJSON_ArrayForEach(ref, ctrl_path(old, "metadata", "ownerReferences", NULL))
	{
		const char *u = ctrl_str(ref, "uid", NULL, NULL);
		if (u && (!obj || !has_owner(obj, u)))
			index_remove(x, u, rt, ctrl_namespace(old), ctrl_name(old));
	}
	cJSON_ArrayForEach(ref, ctrl_path(obj, "metadata", "ownerReferences", NULL))
	{
		const char *u = ctrl_str(ref, "uid", NULL, NULL);
		if (u)
			index_add(x, u, rt, ctrl_namespace(obj), ctrl_name(obj));
	}
}

size_t ctrl_index_dependents(struct ctrl_index *x, const char *uid, const struct restype *rt,
			     struct ctrl_dep **out)
{
	size_t n = 0, cap = 0;
	struct ctrl_dep *deps = NULL;
	*out = NULL;
	if (!uid)
		return 0;
	for (struct dep_entry *e = x->buckets[bucket_of(uid)]; e; e = e->next) {
		if (strcmp(e->owner_uid, uid) != 0 || (rt && e->dep.rt != rt))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			struct ctrl_dep *nd = realloc(deps, cap * sizeof(*nd));
			if (!nd)
				break;
			deps = nd;
		}
		deps[n].rt = e->dep.rt;
		deps[n].ns = strdup(e->dep.ns);
		deps[n].name = strdup(e->dep.name);
		n++;
	}
	*out = deps;
	return n;
}

void ctrl_deps_free(struct ctrl_dep *deps, size_t n)
{
	for (size_t i = 0; deps && i < n; i++) {
		free(deps[i].ns);
		free(deps[i].name);
	}
	free(deps);
}

/* Borrowed, deduplicated objects of type rt owned (any reference) by uid. */
size_t ctrl_owned(struct controllers *c, const char *uid, const struct restype *rt,
		  const cJSON ***out)
{
	struct ctrl_dep *deps = NULL;
	size_t n = ctrl_index_dependents(ctrl_index(c), uid, rt, &deps), k = 0;
	const cJSON **objs = calloc(n ? n : 1, sizeof(*objs));
	for (size_t i = 0; objs && i < n; i++) {
		const cJSON *o = store_get(ctrl_store(c), deps[i].rt, deps[i].ns, deps[i].name);
		if (o && has_owner(o, uid))
			objs[k++] = o;
	}
	ctrl_deps_free(deps, n);
	*out = objs;
	return k;
}

size_t ctrl_orphans(struct controllers *c, const struct restype *rt, const char *ns,
		    const cJSON ***out)
{
	struct ctrl_dep *deps = NULL;
	char key[128];
	orphan_key(key, sizeof(key), ns);
	size_t n = ctrl_index_dependents(ctrl_index(c), key, rt, &deps), k = 0;
	const cJSON **objs = calloc(n ? n : 1, sizeof(*objs));
	for (size_t i = 0; objs && i < n; i++) {
		const cJSON *o = store_get(ctrl_store(c), deps[i].rt, deps[i].ns, deps[i].name);
		if (o && !ctrl_controller_ref(o))
			objs[k++] = o;
	}
	ctrl_deps_free(deps, n);
	*out = objs;
	return k;
}

struct claim {
	char name[254];
	bool adopt;
};

static void claim_write(struct controllers *c, const struct restype *rt, const cJSON *owner,
			const char *api_version, const char *kind, const struct claim *cl)
{
	const cJSON *live = store_get(ctrl_store(c), rt, ctrl_namespace(owner), cl->name);
	if (!live)
		return;
	cJSON *copy = cJSON_Duplicate(live, true);
	cJSON *meta = ctrl_obj_child(copy, "metadata");
	cJSON *refs = cJSON_GetObjectItemCaseSensitive(meta, "ownerReferences");
	if (cl->adopt) {
		if (!cJSON_IsArray(refs)) {
			cJSON_DeleteItemFromObjectCaseSensitive(meta, "ownerReferences");
			refs = cJSON_AddArrayToObject(meta, "ownerReferences");
		}
		cJSON_AddItemToArray(
		    refs, ctrl_owner_ref_new(api_version, kind, ctrl_name(owner), ctrl_uid(owner)));
	} else {
		cJSON *v = refs ? refs->child : NULL;
		while (v) {
			cJSON *next = v->next;
			const char *u = ctrl_str(v, "uid", NULL, NULL);
			if (u && strcmp(u, ctrl_uid(owner)) == 0)
				cJSON_Delete(cJSON_DetachItemViaPointer(refs, v));
			v = next;
		}
		if (refs && !refs->child)
			cJSON_DeleteItemFromObjectCaseSensitive(meta, "ownerReferences");
	}
	ctrl_update(c, rt, copy, CTRL_MANAGER, false);
	cJSON_Delete(copy);
}

void ctrl_claim(struct controllers *c, const cJSON *owner, const char *api_version,
		const char *kind, const struct restype *rt, const cJSON *selector)
{
	const cJSON **objs = NULL;
	struct claim *todo = NULL;
	size_t n = 0, k = 0;
	if (ctrl_selector_empty(selector) || !ctrl_uid(owner))
		return;
	/* Release what no longer matches; adopt matching orphans unless being deleted. */
	n = ctrl_owned(c, ctrl_uid(owner), rt, &objs);
	todo = calloc(n + 1, sizeof(*todo));
	for (size_t i = 0; todo && i < n; i++) {
		if (ctrl_controlled_by(objs[i], ctrl_uid(owner)) &&
		    !ctrl_selector_matches(selector,
					   ctrl_path(objs[i], "metadata", "labels", NULL))) {
			snprintf(todo[k].name, sizeof(todo[k].name), "%s", ctrl_name(objs[i]));
			todo[k++].adopt = false;
		}
	}
	free(objs);
	for (size_t i = 0; i < k; i++)
		claim_write(c, rt, owner, api_version, kind, &todo[i]);
	free(todo);
	if (ctrl_path(owner, "metadata", "deletionTimestamp", NULL))
		return;
	n = ctrl_orphans(c, rt, ctrl_namespace(owner), &objs);
	todo = calloc(n + 1, sizeof(*todo));
	k = 0;
	for (size_t i = 0; todo && i < n; i++) {
		if (!ctrl_path(objs[i], "metadata", "deletionTimestamp", NULL) &&
		    ctrl_selector_matches(selector,
					  ctrl_path(objs[i], "metadata", "labels", NULL))) {
			snprintf(todo[k].name, sizeof(todo[k].name), "%s", ctrl_name(objs[i]));
			todo[k++].adopt = true;
		}
	}
	free(objs);
	for (size_t i = 0; i < k; i++)
		claim_write(c, rt, owner, api_version, kind, &todo[i]);
	free(todo);
}
