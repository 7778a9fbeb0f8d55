/*
 * store_write: the one write path. Metadata rules of the semantics spec §3
 * (resourceVersion, uid, creationTimestamp, generation, no-op writes), the
 * namespace admission of §12, deletion with finalizers of §11 and the small
 * per-kind strategies the registry applies (Namespace, CRD). Defaulting,
 * validation and patching happen before, in the HTTP layer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include <openssl/evp.h>

#include "admission_classes.h"
#include "field_err.h"
#include "jsonedit.h"
#include "merge.h"
#include "oom.h"
#include "store_int.h"
#include "validate.h"

static const char *meta_str(const cJSON *o, const char *key)
{
	return obj_str(cJSON_GetObjectItemCaseSensitive(o, "metadata"), key, NULL);
}

static void meta_del(cJSON *meta, const char *key)
{
	cJSON_DeleteItemFromObjectCaseSensitive(meta, key);
}

static void meta_copy(cJSON *dst, const cJSON *src, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, key);

	meta_del(dst, key);
	/* Out of memory refuses the write (oom.h); it never stores an object without the
	 * field. Anything else is a bug: kubesim stops. */
	if (v && json_object_add(dst, key, cJSON_Duplicate(v, 1)) < 0 && !oom_seen())
		abort();
}

static void set_item(cJSON *o, const char *key, cJSON *v)
{
	if (json_object_set(o, key, v) < 0 && !oom_seen())
		abort();
}

static bool jeq(const cJSON *a, const cJSON *b, bool skip_mf_time, bool in_mf);

/* Below managedFields (in_mf), an entry's "time" does not count. */
static bool counted(const cJSON *x, bool in_mf)
{
	return !(in_mf && strcmp(x->string, "time") == 0);
}

static bool jeq_object(const cJSON *a, const cJSON *b, bool skip_mf_time, bool in_mf)
{
	const cJSON *x, *y;
	int na = 0, nb = 0;

	cJSON_ArrayForEach(x, a)
	{
		if (!counted(x, in_mf))
			continue;
		na++;
		y = cJSON_GetObjectItemCaseSensitive(b, x->string);
		if (!y || !jeq(x, y, skip_mf_time,
			       in_mf || (skip_mf_time && strcmp(x->string, "managedFields") == 0)))
			return false;
	}
	cJSON_ArrayForEach(y, b)
	{
		if (counted(y, in_mf))
			nb++;
	}
	return na == nb;
}

/* Structural equality; skip_mf_time ignores managedFields[].time (§3 no-op rule). */
static bool jeq(const cJSON *a, const cJSON *b, bool skip_mf_time, bool in_mf)
{
	const cJSON *x, *y;

	if (!a || !b)
		return a == b;
	if ((a->type & 0xff) != (b->type & 0xff))
		return false;
	if (cJSON_IsObject(a))
		return jeq_object(a, b, skip_mf_time, in_mf);
	if (cJSON_IsArray(a)) {
		for (x = a->child, y = b->child; x && y; x = x->next, y = y->next)
			if (!jeq(x, y, skip_mf_time, in_mf))
				return false;
		return !x && !y;
	}
	return cJSON_Compare(a, b, true);
}

static void put_first(cJSON *o, const char *key)
{
	cJSON *it = cJSON_DetachItemFromObjectCaseSensitive(o, key);

	if (!it)
		return;
	it->next = o->child;
	it->prev = o->child ? o->child->prev : it;
	if (o->child)
		o->child->prev = it;
	o->child = it;
}

/* kind, apiVersion, metadata first and status last, as the Go structs serialise. */
static void canonical_order(cJSON *o, const struct restype *rt)
{
	set_item(o, "apiVersion", cJSON_CreateString(rt->api_version));
	set_item(o, "kind", cJSON_CreateString(rt->kind));
	put_first(o, "metadata");
	put_first(o, "apiVersion");
	put_first(o, "kind");
	json_object_move_last(o, "status");
	json_object_move_last(cJSON_GetObjectItem(o, "metadata"), "managedFields");
}

static void set_rv(cJSON *meta, uint64_t rv)
{
	char b[24];

	snprintf(b, sizeof(b), "%llu", (unsigned long long)rv);
	set_item(meta, "resourceVersion", cJSON_CreateString(b));
	json_object_move_last(meta, "managedFields");
}

static int64_t meta_generation(const cJSON *o)
{
	const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "generation");

	return cJSON_IsNumber(g) ? (int64_t)g->valuedouble : 0;
}

static bool changed_outside_meta(const cJSON *a, const cJSON *b, bool skip_status)
{
	const cJSON *x, *y;

	cJSON_ArrayForEach(x, a)
	{
		if (strcmp(x->string, "metadata") == 0 ||
		    (skip_status && strcmp(x->string, "status") == 0))
			continue;
		y = cJSON_GetObjectItemCaseSensitive(b, x->string);
		if (!jeq(x, y, false, false))
			return true;
	}
	cJSON_ArrayForEach(y, b)
	{
		if (strcmp(y->string, "metadata") == 0 ||
		    (skip_status && strcmp(y->string, "status") == 0))
			continue;
		if (!cJSON_GetObjectItemCaseSensitive(a, y->string))
			return true;
	}
	return false;
}

/* metadata.generation of the new state per the type's strategy. */
static void bump_generation(const struct restype *rt, const cJSON *old, cJSON *obj)
{
	cJSON *meta = cJSON_GetObjectItem(obj, "metadata");
	int64_t g = meta_generation(old);
	bool bump = false;

	switch (rt->generation) {
	case GEN_NONE:
		meta_del(meta, "generation");
		return;
	case GEN_SPEC_ANNOT:
		bump = !jeq(cJSON_GetObjectItem(cJSON_GetObjectItem(old, "metadata"), "annotations"),
			    cJSON_GetObjectItem(meta, "annotations"), false, false);
		/* fall through */
	case GEN_SPEC:
		bump = bump || !jeq(cJSON_GetObjectItem(old, "spec"), cJSON_GetObjectItem(obj, "spec"),
				    false, false);
		break;
	case GEN_NON_METADATA:
		bump = changed_outside_meta(old, obj, rt->has_status);
		break;
	}
	set_item(meta, "generation", cJSON_CreateNumber((double)(g ? g : 1) + (bump ? 1 : 0)));
}

static int check_namespace(struct store *st, const struct restype *rt, const char *ns,
			   bool creating, struct kstatus *e)
{
	const struct restype *nst = store_type(st, "", "namespaces");
	struct entry *en;
	int rc;

	if (!rt->namespaced)
		return 0;
	if (!ns || !*ns)
		return kstatus_set(e, 400, "BadRequest", "the namespace of the provided object "
							  "was not specified");
	en = store_find(st, nst, NULL, ns);
	if (!en) {
		rc = kstatus_set(e, 404, "NotFound", "namespaces \"%s\" not found", ns);
		if (e && e->code == 404 && !e->kind[0]) {
			snprintf(e->name, sizeof(e->name), "%s", ns);
			snprintf(e->kind, sizeof(e->kind), "namespaces");
		}
		return rc;
	}
	if (creating && meta_str(en->so->obj, "deletionTimestamp")) {
		rc = kstatus_set(e, 403, "Forbidden",
				 "%s \"%s\" is forbidden: unable to create new content in "
				 "namespace %s because it is being terminated",
				 rt->resource, "", ns);
		if (e && e->code == 403 && !e->causes) {
			cJSON *c = cJSON_CreateObject();

			e->causes = cJSON_CreateArray();
			cJSON_AddStringToObject(c, "reason", "NamespaceTerminating");
			cJSON_AddStringToObject(c, "message", e->message);
			cJSON_AddStringToObject(c, "field", "metadata.namespace");
			cJSON_AddItemToArray(e->causes, c);
			snprintf(e->kind, sizeof(e->kind), "%s", rt->resource);
			snprintf(e->group, sizeof(e->group), "%s", rt->group);
		}
		return rc;
	}
	return 0;
}

static int kstatus_with(struct kstatus *e, const struct restype *rt, const char *name, int code,
			const char *reason, const char *what)
{
	if (*rt->group)
		kstatus_set(e, code, reason, "%s%s.%s \"%s\"%s",
			    code == 409 && strcmp(reason, "Conflict") == 0
				    ? "Operation cannot be fulfilled on "
				    : "",
			    rt->resource, rt->group, name, what);
	else
		kstatus_set(e, code, reason, "%s%s \"%s\"%s",
			    code == 409 && strcmp(reason, "Conflict") == 0
				    ? "Operation cannot be fulfilled on "
				    : "",
			    rt->resource, name, what);
	if (e && e->code == code && !e->kind[0]) {
		snprintf(e->name, sizeof(e->name), "%s", name);
		snprintf(e->group, sizeof(e->group), "%s", rt->group);
		snprintf(e->kind, sizeof(e->kind), "%s", rt->resource);
	}
	return -code;
}

static void generate_name(const char *base, char *out, size_t outlen)
{
	static const char alpha[] = "bcdfghjklmnpqrstvwxz2456789";
	unsigned char r[5];
	char sfx[6];
	int i;

	if (getrandom(r, 5, 0) != 5)
		for (i = 0; i < 5; i++)
			r[i] = (unsigned char)rand();
	for (i = 0; i < 5; i++)
		sfx[i] = alpha[r[i] % 27];
	sfx[5] = '\0';
	snprintf(out, outlen, "%.58s%s", base, sfx);
}

/* spec.finalizers of a Namespace: ["kubernetes"] on create; an update keeps the old
 * value, only the finalize subresource replaces it (k8s pkg/registry/core/namespace
 * strategy.go PrepareForCreate, PrepareForUpdate and namespaceFinalizeStrategy). */
static void namespace_finalizers(cJSON *obj, const cJSON *old, bool finalize)
{
	cJSON *spec = obj_child(obj, "spec");
	const cJSON *of = cJSON_GetObjectItem(cJSON_GetObjectItem(old, "spec"), "finalizers");
	cJSON *f;

	if (finalize)
		return;
	if (!old) {
		f = cJSON_CreateArray();
		cJSON_AddItemToArray(f, cJSON_CreateString("kubernetes"));
		set_item(spec, "finalizers", f);
	} else if (of) {
		set_item(spec, "finalizers", cJSON_Duplicate(of, 1));
	} else {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "finalizers");
	}
}

/* A Secret's stringData is write-only: decoding the v1 body merges it into data (base64),
 * over existing keys, and drops it (k8s pkg/apis/core/v1/conversion.go
 * Convert_v1_Secret_To_core_Secret). Runs before storage, so dry-run shows it too. */
static void secret_convert(cJSON *obj)
{
	cJSON *sd = cJSON_DetachItemFromObjectCaseSensitive(obj, "stringData"), *it, *data;

	if (cJSON_GetArraySize(sd) > 0) {
		data = cJSON_GetObjectItem(obj, "data");
		if (!cJSON_IsObject(data)) {
			cJSON_DeleteItemFromObjectCaseSensitive(obj, "data");
			data = cJSON_AddObjectToObject(obj, "data");
		}
		cJSON_ArrayForEach(it, sd)
		{
			size_t n = cJSON_IsString(it) ? strlen(it->valuestring) : 0;
			char *b = cJSON_IsString(it) && it->string ? malloc(4 * ((n + 2) / 3) + 1) : NULL;

			if (!b)
				continue; /* api_validate rejects non-string values first */
			EVP_EncodeBlock((unsigned char *)b, (const unsigned char *)it->valuestring, (int)n);
			set_item(data, it->string, cJSON_CreateString(b));
			free(b);
		}
	}
	cJSON_Delete(sd);
}

/* dropStatefulSetDisabledFields: the MaxUnavailableStatefulSet gate is off in 1.32, so
 * rollingUpdate.maxUnavailable is dropped unless the stored object already has it. */
static void sts_drop_disabled(cJSON *obj, const cJSON *old)
{
	const cJSON *ous = cJSON_GetObjectItem(cJSON_GetObjectItem(old, "spec"), "updateStrategy");
	cJSON *us = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "spec"), "updateStrategy");

	if (cJSON_GetObjectItem(cJSON_GetObjectItem(ous, "rollingUpdate"), "maxUnavailable"))
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(us, "rollingUpdate"),
						"maxUnavailable");
}

/* status.storedVersions: the versions kept so far (an update starts from the old
 * status) plus the storage version now (customresourcedefinition strategy). */
static cJSON *crd_stored_versions(const cJSON *old, const cJSON *spec)
{
	cJSON *stored = cJSON_IsArray(old) ? cJSON_Duplicate(old, 1) : cJSON_CreateArray();
	const cJSON *v;

	cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "versions"))
	{
		const char *name = obj_str(v, "name", NULL);

		if (cJSON_IsTrue(cJSON_GetObjectItem(v, "storage")) && name &&
		    !obj_array_has(stored, name))
			cJSON_AddItemToArray(stored, cJSON_CreateString(name));
	}
	return stored;
}

/* A CRD's status on every write of its main resource: on update obj carries the old
 * status, so the conditions stay as they were (a no-op apply is a no-op) and
 * storedVersions only grows; acceptedNames follows spec.names. */
static void crd_status(cJSON *obj)
{
	cJSON *status = obj_child(obj, "status");
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");

	/* kubesim's CRDs are accepted and established at once: there is no naming
	 * controller to wait for */
	store_condition_set(obj, "NamesAccepted", "True", "NoConflicts", "no conflicts found");
	store_condition_set(obj, "Established", "True", "InitialNamesAccepted",
			    "the initial names have been accepted");
	set_item(status, "acceptedNames",
		 cJSON_Duplicate(cJSON_GetObjectItem(spec, "names"), 1) ?: cJSON_CreateObject());
	set_item(status, "storedVersions",
		 crd_stored_versions(cJSON_GetObjectItem(status, "storedVersions"), spec));
}

static void namespace_strategy(cJSON *obj, const cJSON *old, bool finalize)
{
	cJSON *meta = cJSON_GetObjectItem(obj, "metadata");

	obj_set_str(obj_child(meta, "labels"), "kubernetes.io/metadata.name",
		    meta_str(obj, "name"));
	namespace_finalizers(obj, old, finalize);
	if (!old)
		obj_set_str(obj_child(obj, "status"), "phase", "Active");
}

static bool is_builtin(const struct restype *rt, const char *group, const char *resource)
{
	return !rt->custom && strcmp(rt->group, group) == 0 && strcmp(rt->resource, resource) == 0;
}

/* Per-kind strategy after the generic rules: Namespace, Secret and CRD status. old is
 * NULL on create. */
static void strategy_prepare(const struct restype *rt, cJSON *obj, const cJSON *old,
			     bool finalize)
{
	if (is_builtin(rt, "", "namespaces"))
		namespace_strategy(obj, old, finalize);
	else if (is_builtin(rt, "", "secrets"))
		secret_convert(obj);
	else if (!rt->custom && strcmp(rt->resource, "customresourcedefinitions") == 0)
		crd_status(obj);
	else if (is_builtin(rt, "apps", "statefulsets"))
		sts_drop_disabled(obj, old);
}

static void merge_kind_of(const struct restype *rt, struct merge_kind *k)
{
	k->group = rt->group;
	k->version = rt->version;
	k->kind = rt->kind;
}

/* The registry's defaulting (merge.h) runs on every write, controllers' too. */
static void store_defaults(const struct restype *rt, cJSON *obj)
{
	struct merge_kind k;

	merge_kind_of(rt, &k);
	merge_defaults(obj, &k);
}

void store_managed_update(const struct restype *rt, const cJSON *old, cJSON *obj,
			  const char *manager, const char *subresource)
{
	struct merge_kind k;
	struct kstatus e = {0};
	char now[32];

	merge_kind_of(rt, &k);
	store_time_now(now);
	/* Fails only on allocation; the write goes on without ownership then. */
	merge_record_update(obj, &k, old, manager, subresource, now, &e);
}

/* The object about to be stored was built after an allocation failed: it may lack
 * members, so it is not stored (a real server's storage error). */
static int oom_refuse(struct kstatus *e)
{
	if (!oom_seen())
		return 0;
	if (e) { /* whatever the partial object made a check say, the cause is this */
		kstatus_dispose(e);
		memset(e, 0, sizeof(*e));
	}
	return kstatus_set(e, 500, "InternalError", "Internal error occurred: out of memory");
}

static bool is_crd_type(const struct restype *rt)
{
	return !rt->custom && strcmp(rt->resource, "customresourcedefinitions") == 0;
}

static const char *manager_of(const struct store_wopts *o)
{
	return o && o->manager ? o->manager : "unknown";
}

/* The namespace a create writes to: the request's, else the body's; both given must
 * agree. */
static int create_namespace(const struct restype *rt, const cJSON *meta, const char **ns,
			    struct kstatus *e)
{
	const char *mns = obj_str(meta, "namespace", NULL);

	if (!rt->namespaced)
		return 0;
	if (!*ns || !**ns)
		*ns = mns;
	else if (mns && *mns && strcmp(mns, *ns) != 0)
		return kstatus_set(e, 400, "BadRequest",
				   "the namespace of the provided object does not match the "
				   "namespace sent on the request");
	return 0;
}

/* metadata.name, generated from generateName when missing; a taken name is refused. */
static int create_name(struct store *st, const struct restype *rt, const char *ns,
		       cJSON *meta, struct kstatus *e)
{
	const char *name = obj_str(meta, "name", NULL), *gen = obj_str(meta, "generateName", NULL);
	bool generated = (!name || !*name) && gen && *gen;
	char namebuf[256];

	if (generated) {
		for (int tries = 0; tries < 8; tries++) {
			generate_name(gen, namebuf, sizeof(namebuf));
			if (!store_find(st, rt, ns, namebuf))
				break;
		}
		obj_set_str(meta, "name", namebuf);
	} else if (!name || !*name) {
		struct field_errs v;

		field_errs_init(&v);
		field_err(&v, "metadata.name", "FieldValueRequired",
			  "Required value: name or generateName is required");
		return field_errs_invalid(&v, rt->group, rt->kind, "", e);
	}
	name = obj_str(meta, "name", NULL);
	if (store_find(st, rt, ns, name) && generated)
		/* all eight draws were taken (NewGenerateNameConflict) */
		return kstatus_with(e, rt, name, 409, "AlreadyExists",
				    " already exists, the server was not able to generate a unique "
				    "name for the object");
	if (store_find(st, rt, ns, name))
		return kstatus_with(e, rt, name, 409, "AlreadyExists", " already exists");
	return 0;
}

/* What the server sets on create whatever the body says (§3). */
static void create_server_fields(const struct restype *rt, cJSON *obj, cJSON *meta,
				 const char *ns)
{
	static const char *const dropped[] = {"resourceVersion", "deletionTimestamp",
					      "deletionGracePeriodSeconds", "selfLink"};
	char uid[37], now[32];

	for (size_t i = 0; i < sizeof(dropped) / sizeof(dropped[0]); i++)
		meta_del(meta, dropped[i]);
	if (rt->namespaced)
		obj_set_str(meta, "namespace", ns);
	else
		meta_del(meta, "namespace");
	store_uuid(uid);
	obj_set_str(meta, "uid", uid);
	store_time_now(now);
	obj_set_str(meta, "creationTimestamp", now);
	if (rt->generation != GEN_NONE)
		set_item(meta, "generation", cJSON_CreateNumber(1));
	else
		meta_del(meta, "generation");
	if (rt->has_status)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
}

/* obj as a create stores it: placed, named, stamped, defaulted, validated and its
 * managedFields recorded. *ns becomes the namespace it goes to. Lock held. */
static int create_prepare(struct store *st, const struct restype *rt, const char **ns,
			  cJSON *obj, const struct store_wopts *o, struct kstatus *e)
{
	cJSON *meta = obj_child(obj, "metadata");
	int rc;

	if ((rc = create_namespace(rt, meta, ns, e)) < 0 ||
	    (rc = check_namespace(st, rt, *ns, true, e)) < 0 ||
	    (rc = create_name(st, rt, *ns, meta, e)) < 0)
		return rc;
	create_server_fields(rt, obj, meta, *ns);
	strategy_prepare(rt, obj, NULL, false);
	store_status_prepare(st, rt, obj);
	if ((rc = admission_classes_run(st, rt, obj, NULL, e)) < 0)
		return rc;
	store_defaults(rt, obj);
	if (o && o->admit && (rc = o->admit(o->admit_ud, rt, NULL, obj, e)) < 0)
		return rc;
	if ((rc = validate_object(rt, obj, NULL, e)) < 0)
		return rc;
	canonical_order(obj, rt);
	if (!o || !o->managed_done) {
		meta_del(meta, "managedFields");
		store_managed_update(rt, NULL, obj, manager_of(o), NULL);
	}
	canonical_order(obj, rt);
	if ((rc = store_size_check(obj, !o || !o->managed_done, e)) < 0)
		return rc;
	return oom_refuse(e);
}

/* Stores *objp under the next resourceVersion and publishes the event. The store keeps
 * *objp, or a copy when the caller wants the object back (want). Lock held. */
static int write_commit(struct store *st, const struct restype *rt, struct entry *en,
			const char *ns, cJSON **objp, bool want, enum store_ev type,
			const cJSON *old, struct kstatus *e)
{
	cJSON *obj = *objp;
	int rc;

	st->rv++;
	set_rv(cJSON_GetObjectItem(obj, "metadata"), st->rv);
	if ((rc = oom_refuse(e)) < 0) { /* no object without its resourceVersion */
		st->rv--;
		return rc;
	}
	if (is_crd_type(rt))
		store_crd_sync(st, obj, false);
	store_commit(st, (struct rtype *)rt, en, ns, meta_str(obj, "name"),
		     want ? cJSON_Duplicate(obj, 1) : obj, type, old);
	if (!want)
		*objp = NULL;
	return 0;
}

/* The end of every write, after the lock is released: an allocation failure is
 * reported as one, and the caller gets obj or it is freed. */
static int write_finish(int rc, cJSON *obj, cJSON **out, struct kstatus *e)
{
	if (rc < 0 && oom_seen())
		rc = oom_refuse(e);
	if (rc >= 0 && out)
		*out = obj;
	else
		cJSON_Delete(obj);
	return rc;
}

int store_create(struct store *st, const struct restype *rt, const char *ns, const cJSON *in,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e)
{
	cJSON *obj = NULL;
	int rc = 0;

	store_lock(st);
	if (!cJSON_IsObject(in)) {
		rc = kstatus_set(e, 400, "BadRequest", "the body of the request is not an object");
		goto out;
	}
	obj = cJSON_Duplicate(in, 1);
	if ((rc = create_prepare(st, rt, &ns, obj, o, e)) < 0 || (o && o->dry_run))
		goto out;
	rc = write_commit(st, rt, NULL, ns, &obj, out != NULL, STORE_ADDED, NULL, e);
out:
	store_unlock(st);
	return write_finish(rc, obj, out, e);
}

/* New state for a main-resource write: body plus what the server keeps. */
static cJSON *prepare_main(const struct restype *rt, const cJSON *old, const cJSON *in)
{
	cJSON *obj = cJSON_Duplicate(in, 1), *meta = obj_child(obj, "metadata");
	const cJSON *ometa = cJSON_GetObjectItem(old, "metadata");
	const cJSON *mf = cJSON_GetObjectItem(meta, "managedFields");
	static const char *keep[] = {"uid", "creationTimestamp", "deletionTimestamp",
				     "deletionGracePeriodSeconds", "generation", "name",
				     "namespace"};
	size_t i;

	for (i = 0; i < sizeof(keep) / sizeof(keep[0]); i++)
		meta_copy(meta, ometa, keep[i]);
	meta_del(meta, "selfLink");
	if (!mf)
		meta_copy(meta, ometa, "managedFields");
	if (rt->has_status) {
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		if (cJSON_GetObjectItem(old, "status"))
			cJSON_AddItemToObject(obj, "status",
					      cJSON_Duplicate(cJSON_GetObjectItem(old, "status"), 1));
	}
	return obj;
}

/* A copy of o without its first member named key (and, below metadata, without the
 * first member named meta_key when that is not NULL). */
static cJSON *dup_without(const cJSON *o, const char *key, const char *meta_key)
{
	const cJSON *drop = cJSON_GetObjectItemCaseSensitive(o, key), *c;
	const cJSON *md = meta_key ? cJSON_GetObjectItemCaseSensitive(o, "metadata") : NULL;
	cJSON *out = cJSON_CreateObject(), *d;

	if (!cJSON_IsObject(md))
		md = NULL;
	for (c = o->child; out && c; c = c->next) {
		if (c == drop)
			continue;
		d = c == md ? dup_without(c, meta_key, NULL) : cJSON_Duplicate(c, 1);
		if (json_object_add(out, c->string, d) < 0 && !oom_seen())
			abort();
	}
	if (!out)
		abort();
	return out;
}

/* New state for a /status write: old object with the body's status and annotations.
 * old's status and managedFields are not copied: the first is replaced, the second is
 * recomputed from old (store_managed_update) or taken from the body (managed_done). */
static cJSON *prepare_status(const cJSON *old, const cJSON *in)
{
	cJSON *obj = dup_without(old, "status", "managedFields"), *meta = obj_child(obj, "metadata");
	const cJSON *ann = cJSON_GetObjectItem(cJSON_GetObjectItem(in, "metadata"), "annotations");

	if (cJSON_GetObjectItem(in, "status"))
		cJSON_AddItemToObject(obj, "status",
				      cJSON_Duplicate(cJSON_GetObjectItem(in, "status"), 1));
	if (ann)
		set_item(meta, "annotations", cJSON_Duplicate(ann, 1));
	return obj;
}

static bool finalizers_empty(const struct restype *rt, const cJSON *obj)
{
	const cJSON *f = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "finalizers");

	if (cJSON_GetArraySize(f) > 0)
		return false;
	if (!rt->custom && !*rt->group && strcmp(rt->resource, "namespaces") == 0)
		return cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "spec"),
							      "finalizers")) == 0;
	return true;
}

/* ShouldDeleteDuringUpdate: an update that leaves no finalizer on an object being
 * deleted removes it, unless a grace period is still running (a terminating pod). */
static bool should_delete_on_update(const struct restype *rt, const cJSON *old, const cJSON *obj)
{
	const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(old, "metadata"),
					     "deletionGracePeriodSeconds");

	if (!meta_str(old, "deletionTimestamp") || !finalizers_empty(rt, obj))
		return false;
	return !cJSON_IsNumber(g) || g->valuedouble == 0;
}

static void remove_entry(struct store *st, struct rtype *rt, struct entry *en, cJSON *last);

static bool is_subresource(const struct store_wopts *o, const char *sub)
{
	return o && o->subresource && strcmp(o->subresource, sub) == 0;
}

/* The entry an update replaces: it exists and, when the body names a resourceVersion,
 * is still at it. Lock held. */
static int update_target(struct store *st, const struct restype *rt, const char *ns,
			 const cJSON *in, struct entry **out, struct kstatus *e)
{
	const char *name = meta_str(in, "name"), *rv = meta_str(in, "resourceVersion");

	*out = name ? store_find(st, rt, ns, name) : NULL;
	if (!*out)
		return kstatus_not_found(e, rt, name ? name : "");
	if (rv && *rv && strcmp(rv, meta_str((*out)->so->obj, "resourceVersion")) != 0)
		return kstatus_with(e, rt, name, 409, "Conflict",
				    ": the object has been modified; please apply your changes to "
				    "the latest version and try again");
	return 0;
}

/* *objp, the new state of an update, from old and the body: the main resource goes
 * through the strategy, defaulting and validation; /status takes only status (and what
 * a server-side apply computed). The caller frees *objp whatever this returns. */
static int update_prepare(struct store *st, const struct restype *rt, const cJSON *old,
			  const cJSON *in, const struct store_wopts *o, cJSON **objp,
			  struct kstatus *e)
{
	bool status = is_subresource(o, "status");
	cJSON *obj = status ? prepare_status(old, in) : prepare_main(rt, old, in);
	cJSON *meta = cJSON_GetObjectItem(obj, "metadata");
	int rc;

	*objp = obj;

	if (status && o->managed_done) { /* server-side apply to /status computed them */
		const cJSON *im = cJSON_GetObjectItem(in, "metadata");

		meta_copy(meta, cJSON_GetObjectItem(im, "managedFields") ? im
				: cJSON_GetObjectItem(old, "metadata"), "managedFields");
	}
	if (!status) {
		strategy_prepare(rt, obj, old, is_subresource(o, "finalize"));
		if ((rc = admission_classes_run(st, rt, obj, old, e)) < 0)
			return rc;
		store_defaults(rt, obj);
		if (o && o->admit && (rc = o->admit(o->admit_ud, rt, old, obj, e)) < 0)
			return rc;
		if ((rc = validate_object(rt, obj, old, e)) < 0)
			return rc;
	}
	if (!o || !o->managed_done)
		store_managed_update(rt, old, obj, manager_of(o), o ? o->subresource : NULL);
	if (!status) {
		bump_generation(rt, old, obj);
		store_status_prepare(st, rt, obj);
	}
	set_item(meta, "resourceVersion", cJSON_CreateString(meta_str(old, "resourceVersion")));
	canonical_order(obj, rt);
	if ((rc = store_size_check(obj, !o || !o->managed_done, e)) < 0)
		return rc;
	return oom_refuse(e);
}

int store_update(struct store *st, const struct restype *rt, const char *ns, const cJSON *in,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e)
{
	cJSON *obj = NULL;
	const cJSON *old;
	struct entry *en;
	int rc;

	store_lock(st);
	if ((rc = update_target(st, rt, ns, in, &en, e)) < 0)
		goto out;
	old = en->so->obj;
	if ((rc = update_prepare(st, rt, old, in, o, &obj, e)) < 0)
		goto out;
	if (jeq(old, obj, true, false)) { /* a no-op write keeps the object as it was */
		cJSON_Delete(obj);
		obj = cJSON_Duplicate(old, 1);
		rc = 1;
		goto out;
	}
	if (o && o->dry_run)
		goto out;
	if (should_delete_on_update(rt, old, obj)) {
		remove_entry(st, (struct rtype *)rt, en, cJSON_Duplicate(obj, 1));
		goto out;
	}
	rc = write_commit(st, rt, en, ns, &obj, out != NULL, STORE_MODIFIED, old, e);
out:
	store_unlock(st);
	return write_finish(rc, obj, out, e);
}

/* Removes en with a DELETED event carrying last (owned) under a new RV; for a CRD, its
 * objects go too. Lock held. */
static void remove_entry(struct store *st, struct rtype *rt, struct entry *en, cJSON *last)
{
	struct sobj *keep = en->so;

	keep->refs++;
	st->rv++;
	set_rv(cJSON_GetObjectItem(last, "metadata"), st->rv);
	if (is_crd_type(&rt->pub)) {
		const cJSON *spec = cJSON_GetObjectItem(last, "spec");
		const struct restype *ct =
			store_type(st, obj_str(spec, "group", NULL) ?: "",
				   obj_str(cJSON_GetObjectItem(spec, "names"), "plural", NULL) ?: "");

		if (ct && ct->custom) {
			while (((struct rtype *)ct)->head) {
				struct entry *c = ((struct rtype *)ct)->head;
				cJSON *lo = cJSON_Duplicate(c->so->obj, 1);

				st->rv++;
				set_rv(cJSON_GetObjectItem(lo, "metadata"), st->rv);
				store_commit(st, (struct rtype *)ct, c, c->ns, c->name, lo,
					     STORE_DELETED, c->so->obj);
			}
			store_crd_sync(st, last, true);
		}
		set_rv(cJSON_GetObjectItem(last, "metadata"), st->rv);
	}
	store_commit(st, rt, en, en->ns, en->name, last, STORE_DELETED, keep->obj);
	sobj_unref(keep);
}

static void add_finalizer(cJSON *meta, const char *f)
{
	cJSON *arr = cJSON_GetObjectItem(meta, "finalizers"), *it;

	if (!cJSON_IsArray(arr)) {
		meta_del(meta, "finalizers");
		arr = cJSON_AddArrayToObject(meta, "finalizers");
	}
	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && strcmp(it->valuestring, f) == 0)
			return;
	}
	cJSON_AddItemToArray(arr, cJSON_CreateString(f));
}

static const char *default_propagation(const struct restype *rt)
{
	if (!rt->custom && strcmp(rt->group, "batch") == 0 && strcmp(rt->resource, "jobs") == 0)
		return "Orphan";
	return "Background";
}

/* BeforeDelete's early check: a Conflict on "<Kind>.<group>" (the kind, not the
 * resource, as the registry names it there). */
static int precondition_failed(struct kstatus *e, const struct restype *rt, const char *name,
			       const char *what, const char *want, const char *have,
			       const char *why)
{
	int rc = kstatus_set(e, 409, "Conflict",
			     "Operation cannot be fulfilled on %s%s%s \"%s\": the %s in the "
			     "precondition (%s) does not match the %s in record (%s). The object "
			     "might have been %s",
			     rt->kind, *rt->group ? "." : "", rt->group, name, what, want, what,
			     have, why);

	if (e && e->code == 409 && !e->kind[0]) {
		snprintf(e->name, sizeof(e->name), "%s", name);
		snprintf(e->group, sizeof(e->group), "%s", rt->group);
		snprintf(e->kind, sizeof(e->kind), "%s", rt->kind);
	}
	return rc;
}

static int check_preconditions(const struct restype *rt, const cJSON *old,
			       const struct store_wopts *o, struct kstatus *e)
{
	const char *uid = meta_str(old, "uid"), *rv = meta_str(old, "resourceVersion");
	const char *name = meta_str(old, "name");

	if (o && o->precond_uid && *o->precond_uid && strcmp(o->precond_uid, uid) != 0)
		return precondition_failed(e, rt, name, "UID", o->precond_uid, uid,
					   "deleted and then recreated");
	if (o && o->precond_rv && *o->precond_rv && strcmp(o->precond_rv, rv) != 0)
		return precondition_failed(e, rt, name, "ResourceVersion", o->precond_rv, rv,
					   "modified");
	return 0;
}

static bool is_namespace_type(const struct restype *rt)
{
	return !rt->custom && !*rt->group && strcmp(rt->resource, "namespaces") == 0;
}

/* Deletes every object in namespace ns (used when no namespace controller runs). */
static void namespace_purge(struct store *st, const char *ns)
{
	size_t i;

	for (i = 0; i < st->ntypes; i++) {
		struct rtype *t = st->types[i];
		struct entry *en, *next;

		if (!t->pub.namespaced)
			continue;
		for (en = t->head; en; en = next) {
			next = en->tnext;
			if (strcmp(en->ns, ns) == 0)
				remove_entry(st, t, en, cJSON_Duplicate(en->so->obj, 1));
		}
	}
}

/* default, kube-system and kube-public may not be deleted (the NamespaceLifecycle
 * admission plugin). */
static int check_deletable(const struct restype *rt, const char *name, struct kstatus *e)
{
	static const char *const kept[] = {"default", "kube-system", "kube-public"};
	int rc;

	if (!is_namespace_type(rt))
		return 0;
	for (size_t i = 0; i < sizeof(kept) / sizeof(kept[0]); i++) {
		if (strcmp(name, kept[i]) != 0)
			continue;
		rc = kstatus_set(e, 403, "Forbidden",
				 "namespaces \"%s\" is forbidden: this namespace may not be deleted",
				 name);
		if (e) {
			snprintf(e->name, sizeof(e->name), "%s", name);
			snprintf(e->kind, sizeof(e->kind), "namespaces");
		}
		return rc;
	}
	return 0;
}

/* The marks of an object that waits for its finalizers (§11) or, a pod, for its grace
 * period: deletionTimestamp is when the grace period ends (BeforeDelete). */
static void mark_deleting(const struct restype *rt, cJSON *obj, int64_t grace)
{
	cJSON *meta = cJSON_GetObjectItem(obj, "metadata");
	char at[32];

	store_time_after(at, grace > 0 ? grace : 0);
	obj_set_str(meta, "deletionTimestamp", at);
	set_item(meta, "deletionGracePeriodSeconds", cJSON_CreateNumber(grace > 0 ? (double)grace : 0));
	if (rt->generation != GEN_NONE)
		set_item(meta, "generation", cJSON_CreateNumber((double)meta_generation(obj) + 1));
	if (is_namespace_type(rt))
		obj_set_str(obj_child(obj, "status"), "phase", "Terminating");
}

static bool is_pod_type(const struct restype *rt)
{
	return !rt->custom && !*rt->group && strcmp(rt->resource, "pods") == 0;
}

/* A pod's grace period, as the pod strategy's CheckGracefulDelete works it out: the
 * option, else spec.terminationGracePeriodSeconds; 0 for a pod bound to no node or
 * already finished. Other kinds have none (0). */
static int64_t delete_grace(const struct restype *rt, const cJSON *obj, const struct store_wopts *o)
{
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
	const cJSON *tg = cJSON_GetObjectItem(spec, "terminationGracePeriodSeconds");
	const char *node = obj_str(obj, "spec", "nodeName");
	const char *phase = obj_str(obj, "status", "phase");
	int64_t g;

	if (!is_pod_type(rt))
		return 0;
	g = o && o->grace_seconds >= 0 ? o->grace_seconds : cJSON_IsNumber(tg) ? (int64_t)tg->valuedouble : 0;
	if (!node || !*node || (phase && (!strcmp(phase, "Failed") || !strcmp(phase, "Succeeded"))))
		return 0;
	return g > 0 ? g : 0;
}

/* A deletion that waits for finalizers or a pod's grace period (a namespace always
 * waits): obj is stored with its deletionTimestamp. Returns 1 (still there), or 0 when
 * a namespace nobody finalizes went at once with its content. Lock held. */
static int delete_graceful(struct store *st, const struct restype *rt, struct entry *en,
			   const char *ns, const char *name, cJSON *obj, int64_t grace,
			   const struct store_wopts *o, struct kstatus *e)
{
	mark_deleting(rt, obj, grace);
	if (oom_seen())
		return oom_refuse(e);
	if (o && o->dry_run)
		return 1;
	if (is_namespace_type(rt) && !st->ns_controller) {
		namespace_purge(st, name);
		remove_entry(st, (struct rtype *)rt, en, cJSON_Duplicate(obj, 1));
		return 0;
	}
	st->rv++;
	set_rv(cJSON_GetObjectItem(obj, "metadata"), st->rv);
	if (oom_seen()) { /* the object is still there as it was */
		st->rv--;
		return oom_refuse(e);
	}
	store_commit(st, (struct rtype *)rt, en, ns, name, cJSON_Duplicate(obj, 1), STORE_MODIFIED,
		     en->so->obj);
	return 1;
}

/* A DELETE of an object already being deleted (BeforeDelete): only a shorter grace
 * period changes anything; 0 (or a deletion recorded with none) removes the object now
 * when no finalizer holds it. Returns 1 (still there) or 0 (gone). Lock held. */
static int delete_again(struct store *st, const struct restype *rt, struct entry *en,
			const char *ns, const char *name, cJSON *obj, const struct store_wopts *o,
			struct kstatus *e)
{
	const cJSON *cur = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"),
					       "deletionGracePeriodSeconds");
	int64_t have = cJSON_IsNumber(cur) ? (int64_t)cur->valuedouble : 0;
	int64_t want = o && o->grace_seconds >= 0 ? o->grace_seconds : have;

	if (!is_pod_type(rt) || (have > 0 && want >= have))
		return 1;
	if (want > 0 || !finalizers_empty(rt, obj))
		return delete_graceful(st, rt, en, ns, name, obj, want, o, e);
	if (o && o->dry_run)
		return 1;
	remove_entry(st, (struct rtype *)rt, en, cJSON_Duplicate(obj, 1));
	set_rv(cJSON_GetObjectItem(obj, "metadata"), st->rv);
	return 0;
}

#define CRD_CLEANUP_FINALIZER "customresourcecleanup.apiextensions.k8s.io"

/* The first DELETE of a CRD (customresourcedefinition REST.Delete): the cleanup
 * finalizer, which the finalizer controller (gc.c) removes once the instances are gone,
 * and the Terminating condition. Only with controllers running: without them nothing
 * would remove the finalizer, and the CRD goes at once with its objects. */
static void crd_mark_terminating(struct store *st, const struct restype *rt, cJSON *obj)
{
	if (!is_crd_type(rt) || !st->ns_controller)
		return;
	add_finalizer(cJSON_GetObjectItem(obj, "metadata"), CRD_CLEANUP_FINALIZER);
	store_condition_set(obj, "Terminating", "True", "InstanceDeletionPending",
			    "CustomResourceDefinition marked for deletion; CustomResource deletion "
			    "will begin soon");
}

int store_delete(struct store *st, const struct restype *rt, const char *ns, const char *name,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e)
{
	const char *prop = o && o->propagation ? o->propagation : default_propagation(rt);
	cJSON *obj = NULL, *meta;
	struct entry *en;
	int64_t grace;
	int rc = 0;

	store_lock(st);
	en = store_find(st, rt, ns, name);
	if (!en) {
		rc = kstatus_not_found(e, rt, name);
		goto out;
	}
	if ((rc = check_preconditions(rt, en->so->obj, o, e)) < 0 ||
	    (rc = check_deletable(rt, name, e)) < 0)
		goto out;
	obj = cJSON_Duplicate(en->so->obj, 1);
	meta = cJSON_GetObjectItem(obj, "metadata");
	if (meta_str(obj, "deletionTimestamp")) {
		rc = delete_again(st, rt, en, ns, name, obj, o, e);
		goto out;
	}
	if (strcmp(prop, "Foreground") == 0)
		add_finalizer(meta, "foregroundDeletion");
	else if (strcmp(prop, "Orphan") == 0)
		add_finalizer(meta, "orphan");
	crd_mark_terminating(st, rt, obj);
	grace = delete_grace(rt, obj, o);
	if (is_namespace_type(rt) || !finalizers_empty(rt, obj) || grace > 0) {
		rc = delete_graceful(st, rt, en, ns, name, obj, grace, o, e);
		goto out;
	}
	if (o && o->dry_run)
		goto out;
	remove_entry(st, (struct rtype *)rt, en, cJSON_Duplicate(obj, 1));
	set_rv(meta, st->rv);
out:
	store_unlock(st);
	return write_finish(rc, obj, out, e);
}
