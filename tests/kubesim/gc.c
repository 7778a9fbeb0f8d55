/*
 * gc: the garbage collector and the namespace lifecycle controller (spec sections 11
 * and 12; k8s 1.28 pkg/controller/garbagecollector, pkg/controller/namespace).
 * Background: dependents whose owners are all gone are deleted, those with another
 * live owner only lose the dangling reference. Foreground: dependents are deleted
 * (foreground too) and the owner's foregroundDeletion finalizer is removed once no
 * blocking dependent is left. Orphan: the owner's reference is removed from every
 * dependent, then the orphan finalizer. A Terminating namespace is emptied, then its
 * "kubernetes" finalizer is removed, which lets the store drop it.
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define GC_MANAGER "kube-controller-manager"

static bool being_deleted(const cJSON *obj)
{
	return ctrl_path(obj, "metadata", "deletionTimestamp", NULL) != NULL;
}

bool ctrl_has_finalizer(const cJSON *obj, const char *f)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, ctrl_path(obj, "metadata", "finalizers", NULL))
	{
		if (cJSON_IsString(v) && strcmp(v->valuestring, f) == 0)
			return true;
	}
	return false;
}

/* Writes obj without finalizer f (the store removes a deleted object whose last
 * finalizer goes). */
void ctrl_remove_finalizer(struct controllers *c, const struct restype *rt, const cJSON *obj,
			     const char *f)
{
	cJSON *copy = cJSON_Duplicate(obj, true);
	cJSON *fins = (cJSON *)ctrl_path(copy, "metadata", "finalizers", NULL);
	cJSON *v = fins ? fins->child : NULL;
	while (v) {
		cJSON *next = v->next;
		if (cJSON_IsString(v) && strcmp(v->valuestring, f) == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(fins, v));
		v = next;
	}
	ctrl_update(c, rt, copy, GC_MANAGER, false);
	cJSON_Delete(copy);
}

/* Writes dep without its ownerReferences entries for uid. */
static void remove_owner_ref(struct controllers *c, const struct restype *rt, const cJSON *dep,
			     const char *uid)
{
	cJSON *copy = cJSON_Duplicate(dep, true);
	cJSON *refs = (cJSON *)ctrl_path(copy, "metadata", "ownerReferences", NULL);
	cJSON *v = refs ? refs->child : NULL;
	while (v) {
		cJSON *next = v->next;
		const char *u = ctrl_str(v, "uid", NULL, NULL);
		if (u && strcmp(u, uid) == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(refs, v));
		v = next;
	}
	if (refs && !refs->child)
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(copy, "metadata"),
							"ownerReferences");
	ctrl_update(c, rt, copy, GC_MANAGER, false);
	cJSON_Delete(copy);
}

/* True when the owner a reference names exists with that uid. */
static bool owner_alive(struct controllers *c, const cJSON *dep, const cJSON *ref)
{
	const struct restype *rt = ctrl_ref_type(c, ref);
	const char *name = ctrl_str(ref, "name", NULL, NULL),
		   *uid = ctrl_str(ref, "uid", NULL, NULL);
	if (!rt || !name || !uid)
		return false;
	const cJSON *o =
	    store_get(ctrl_store(c), rt, rt->namespaced ? ctrl_namespace(dep) : NULL, name);
	return o && ctrl_uid(o) && strcmp(ctrl_uid(o), uid) == 0;
}

static bool references(const cJSON *obj, const char *uid, bool blocking_only)
{
	const cJSON *ref;
	cJSON_ArrayForEach(ref, ctrl_path(obj, "metadata", "ownerReferences", NULL))
	{
		const char *u = ctrl_str(ref, "uid", NULL, NULL);
		if (u && strcmp(u, uid) == 0 &&
		    (!blocking_only ||
		     cJSON_IsTrue(cJSON_GetObjectItem(ref, "blockOwnerDeletion"))))
			return true;
	}
	return false;
}

enum gc_mode { GC_DANGLING, GC_FOREGROUND, GC_ORPHAN };

/* Dependents of uid that still block its foreground deletion. */
static int blocking_dependents(struct controllers *c, const char *uid)
{
	struct ctrl_dep *deps = NULL;
	size_t n = ctrl_index_dependents(ctrl_index(c), uid, NULL, &deps);
	int blocking = 0;

	for (size_t i = 0; i < n; i++) {
		const cJSON *dep = store_get(ctrl_store(c), deps[i].rt, deps[i].ns, deps[i].name);
		if (dep && references(dep, uid, true))
			blocking++;
	}
	ctrl_deps_free(deps, n);
	return blocking;
}

/* Foreground: the dependent is deleted in the foreground too. */
static void dep_foreground(struct controllers *c, const struct ctrl_dep *d, const cJSON *dep)
{
	if (!ctrl_path(dep, "metadata", "deletionTimestamp", NULL))
		ctrl_delete(c, d->rt, d->ns, d->name, "Foreground", -1);
}

/* The owner uid is gone: a dependent with another live owner only loses the
 * reference, any other is deleted in the background. */
static void dep_dangling(struct controllers *c, const struct ctrl_dep *d, const cJSON *dep,
			 const char *uid)
{
	bool alive = false;
	const cJSON *ref;

	cJSON_ArrayForEach(ref, ctrl_path(dep, "metadata", "ownerReferences", NULL))
	{
		const char *u = ctrl_str(ref, "uid", NULL, NULL);
		if (u && strcmp(u, uid) != 0 && owner_alive(c, dep, ref))
			alive = true;
	}
	if (alive)
		remove_owner_ref(c, d->rt, dep, uid);
	else if (!ctrl_path(dep, "metadata", "deletionTimestamp", NULL))
		ctrl_delete(c, d->rt, d->ns, d->name, "Background", -1);
}

/* Applies mode to every dependent of uid; returns how many blocking dependents remain. */
static int gc_dependents(struct controllers *c, const char *uid, enum gc_mode mode)
{
	struct ctrl_dep *deps = NULL;
	size_t n = ctrl_index_dependents(ctrl_index(c), uid, NULL, &deps);

	for (size_t i = 0; i < n; i++) {
		const cJSON *dep = store_get(ctrl_store(c), deps[i].rt, deps[i].ns, deps[i].name);
		if (!dep || !references(dep, uid, false))
			continue;
		if (mode == GC_ORPHAN)
			remove_owner_ref(c, deps[i].rt, dep, uid);
		else if (mode == GC_FOREGROUND)
			dep_foreground(c, &deps[i], dep);
		else
			dep_dangling(c, &deps[i], dep, uid);
	}
	ctrl_deps_free(deps, n);
	/* Deletes above may have removed some at once: count what is really left. */
	return mode == GC_FOREGROUND ? blocking_dependents(c, uid) : 0;
}

/* An owner being deleted: its orphan or foregroundDeletion finalizer goes once the
 * dependents are orphaned, or gone. */
static void gc_finalize(struct controllers *c, const struct restype *rt, const char *ns,
			const char *name, const cJSON *obj, const char *uid)
{
	char owner_uid[64];
	const char *fin;

	snprintf(owner_uid, sizeof(owner_uid), "%s", uid);
	if (ctrl_has_finalizer(obj, "orphan")) {
		fin = "orphan";
		gc_dependents(c, owner_uid, GC_ORPHAN);
	} else if (ctrl_has_finalizer(obj, "foregroundDeletion")) {
		fin = "foregroundDeletion";
		if (gc_dependents(c, owner_uid, GC_FOREGROUND) > 0)
			return;
	} else {
		return;
	}
	if ((obj = store_get(ctrl_store(c), rt, ns, name)))
		ctrl_remove_finalizer(c, rt, obj, fin);
}

/* ---- CustomResourceDefinitions (apiextensions crd_finalizer.go) ------------------------ */

#define CRD_CLEANUP "customresourcecleanup.apiextensions.k8s.io"
#define CRD_MANAGER "kube-apiserver"

static bool is_crd(const struct restype *rt)
{
	return rt && !rt->custom && strcmp(rt->group, "apiextensions.k8s.io") == 0 &&
	       strcmp(rt->resource, "customresourcedefinitions") == 0;
}

/* Writes the CRD's Terminating condition through /status when it differs. */
static void crd_set_terminating(struct controllers *c, const struct restype *rt,
				const cJSON *crd, const char *status, const char *reason,
				const char *msg)
{
	cJSON *copy = cJSON_Duplicate(crd, true);
	cJSON *conds = (cJSON *)ctrl_path(copy, "status", "conditions", NULL), *cond = NULL, *it;
	char now[32];

	cJSON_ArrayForEach(it, conds)
	{
		if (strcmp(ctrl_str(it, "type", NULL, NULL) ?: "", "Terminating") == 0)
			cond = it;
	}
	if (!cJSON_IsArray(conds) || !cond ||
	    (strcmp(ctrl_str(cond, "status", NULL, NULL) ?: "", status) == 0 &&
	     strcmp(ctrl_str(cond, "reason", NULL, NULL) ?: "", reason) == 0)) {
		cJSON_Delete(copy);
		return;
	}
	ctrl_now_str(c, now);
	if (strcmp(ctrl_str(cond, "status", NULL, NULL) ?: "", status) != 0)
		ctrl_set_str(cond, "lastTransitionTime", now);
	ctrl_set_str(cond, "status", status);
	ctrl_set_str(cond, "reason", reason);
	ctrl_set_str(cond, "message", msg);
	ctrl_update_sub(c, rt, copy, CRD_MANAGER, "status");
	cJSON_Delete(copy);
}

struct crobj {
	char ns[254], name[254];
	bool deleting;
};

/* Deletes the instances of the custom type ct not yet being deleted; returns how many
 * instances there are. */
static size_t crd_delete_instances(struct controllers *c, const struct restype *ct)
{
	const cJSON **objs = NULL;
	size_t n = store_list(ctrl_store(c), ct, NULL, &objs);
	struct crobj *todo = calloc(n ? n : 1, sizeof(*todo));

	for (size_t i = 0; todo && i < n; i++) {
		snprintf(todo[i].ns, sizeof(todo[i].ns), "%s", ctrl_namespace(objs[i]) ?: "");
		snprintf(todo[i].name, sizeof(todo[i].name), "%s", ctrl_name(objs[i]));
		todo[i].deleting = being_deleted(objs[i]);
	}
	free(objs);
	for (size_t i = 0; todo && i < n; i++)
		if (!todo[i].deleting)
			ctrl_delete(c, ct, todo[i].ns[0] ? todo[i].ns : NULL, todo[i].name,
				    "Background", -1);
	free(todo);
	return n;
}

/* A CRD being deleted: its instances go (their own finalizers honoured), then the
 * cleanup finalizer, which lets the store drop the CRD and stop serving its type. */
static void crd_finalize(struct controllers *c, const struct restype *rt, const char *name,
			 const cJSON *crd, const char *uid)
{
	const char *group = ctrl_str(crd, "spec", "group", NULL);
	const char *plural = ctrl_str(crd, "spec", "names", "plural");
	const struct restype *ct = group && plural ? store_type(ctrl_store(c), group, plural) : NULL;

	if (!ctrl_has_finalizer(crd, CRD_CLEANUP))
		return;
	crd_set_terminating(c, rt, crd, "True", "InstanceDeletionInProgress",
			    "CustomResource deletion is in progress");
	if (ct && ct->custom && (crd = store_get(ctrl_store(c), rt, NULL, name)) &&
	    crd_delete_instances(c, ct) > 0) {
		ctrl_enqueue_at(c, ctrl_now(c) + 100, CK_GC, rt, NULL, name, uid);
		return;
	}
	if ((crd = store_get(ctrl_store(c), rt, NULL, name)))
		crd_set_terminating(c, rt, crd, "False", "InstanceDeletionCompleted",
				    "removed all instances");
	if ((crd = store_get(ctrl_store(c), rt, NULL, name)))
		ctrl_remove_finalizer(c, rt, crd, CRD_CLEANUP);
}

void gc_sync(struct controllers *c, const struct restype *rt, const char *ns, const char *name,
	     const char *uid)
{
	const cJSON *obj = rt ? store_get(ctrl_store(c), rt, ns, name) : NULL;
	if (obj && uid && *uid && (!ctrl_uid(obj) || strcmp(ctrl_uid(obj), uid) != 0))
		obj = NULL; /* a new object with the same name: the old owner is gone */
	if (!uid || !*uid)
		uid = ctrl_uid(obj);
	if (!uid)
		return;
	if (!obj)
		gc_dependents(c, uid, GC_DANGLING);
	else if (is_crd(rt) && being_deleted(obj))
		crd_finalize(c, rt, name, obj, uid);
	else if (being_deleted(obj))
		gc_finalize(c, rt, ns, name, obj, uid);
}

/* ---- namespaces ------------------------------------------------------------------------- */

struct nsobj {
	const struct restype *rt;
	char name[254];
	bool deleting;
};

/* Deletes everything in ns; returns how many objects were there. */
static size_t ns_empty(struct controllers *c, const char *ns)
{
	const struct restype *const *rts = NULL;
	size_t nt = store_types(ctrl_store(c), &rts), total = 0;
	const struct restype **types = malloc((nt ? nt : 1) * sizeof(*types));
	if (!types)
		return 1;
	memcpy(types, rts, nt * sizeof(*types));
	for (size_t i = 0; i < nt; i++) {
		const cJSON **objs = NULL;
		if (!types[i]->namespaced)
			continue;
		size_t n = store_list(ctrl_store(c), types[i], ns, &objs);
		struct nsobj *todo = calloc(n ? n : 1, sizeof(*todo));
		for (size_t j = 0; todo && j < n; j++) {
			todo[j].rt = types[i];
			snprintf(todo[j].name, sizeof(todo[j].name), "%s", ctrl_name(objs[j]));
			todo[j].deleting =
			    ctrl_path(objs[j], "metadata", "deletionTimestamp", NULL);
		}
		free(objs);
		for (size_t j = 0; todo && j < n; j++)
			if (!todo[j].deleting)
				ctrl_delete(c, todo[j].rt, ns, todo[j].name, "Background", -1);
		free(todo);
		total += n;
	}
	free(types);
	return total;
}

static size_t ns_count(struct controllers *c, const char *ns)
{
	const struct restype *const *rts = NULL;
	size_t nt = store_types(ctrl_store(c), &rts), total = 0;
	for (size_t i = 0; i < nt; i++) {
		const cJSON **objs = NULL;
		if (!rts[i]->namespaced)
			continue;
		total += store_list(ctrl_store(c), rts[i], ns, &objs);
		free(objs);
	}
	return total;
}

void ns_sync(struct controllers *c, const char *name)
{
	const struct restype *rt = ctrl_types(c)->ns;
	const cJSON *nsobj = rt ? store_get(ctrl_store(c), rt, NULL, name) : NULL;
	if (!nsobj || !ctrl_path(nsobj, "metadata", "deletionTimestamp", NULL))
		return;
	if (ns_empty(c, name) > 0 && ns_count(c, name) > 0) {
		/* Finalizers or foreground deletions still hold objects: look again soon. */
		ctrl_enqueue_at(c, ctrl_now(c) + 100, CK_NS, rt, NULL, name, NULL);
		return;
	}
	nsobj = store_get(ctrl_store(c), rt, NULL, name);
	if (!nsobj)
		return;
	/* Like the real controller (namespaced_resources_deleter.go finalizeNamespace): drop
	 * only our "kubernetes" token, keep others, and write through /finalize, the one
	 * path that may change spec.finalizers. */
	cJSON *copy = cJSON_Duplicate(nsobj, true);
	cJSON *fins = cJSON_GetObjectItem(cJSON_GetObjectItem(copy, "spec"), "finalizers");
	cJSON *v = fins ? fins->child : NULL;
	while (v) {
		cJSON *next = v->next;
		if (cJSON_IsString(v) && strcmp(v->valuestring, "kubernetes") == 0)
			cJSON_Delete(cJSON_DetachItemViaPointer(fins, v));
		v = next;
	}
	ctrl_update_sub(c, rt, copy, GC_MANAGER, "finalize");
	cJSON_Delete(copy);
}
