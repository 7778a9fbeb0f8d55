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

/* Structural equality; skip_mf_time ignores managedFields[].time (§3 no-op rule). */
static bool jeq(const cJSON *a, const cJSON *b, bool skip_mf_time, bool in_mf)
{
	const cJSON *x, *y;

	if (!a || !b)
		return a == b;
	if ((a->type & 0xff) != (b->type & 0xff))
		return false;
	if (cJSON_IsObject(a)) {
		int na = 0, nb = 0;

		cJSON_ArrayForEach(x, a)
		{
			if (in_mf && strcmp(x->string, "time") == 0)
				continue;
			na++;
			y = cJSON_GetObjectItemCaseSensitive(b, x->string);
			if (!y || !jeq(x, y, skip_mf_time,
				       in_mf || (skip_mf_time &&
						 strcmp(x->string, "managedFields") == 0)))
				return false;
		}
		cJSON_ArrayForEach(y, b)
		{
			if (!(in_mf && strcmp(y->string, "time") == 0))
				nb++;
		}
		return na == nb;
	}
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

/* Per-kind strategy after the generic rules: Namespace and CRD status. old is NULL on
 * create. */
static void strategy_prepare(struct store *st, const struct restype *rt, cJSON *obj,
			     const cJSON *old, bool finalize)
{
	cJSON *meta = cJSON_GetObjectItem(obj, "metadata");
	const char *name = meta_str(obj, "name");
	bool create = !old;

	if (!rt->custom && strcmp(rt->resource, "namespaces") == 0 && !*rt->group) {
		cJSON *labels = obj_child(meta, "labels");

		obj_set_str(labels, "kubernetes.io/metadata.name", name);
		namespace_finalizers(obj, old, finalize);
		if (create)
			obj_set_str(obj_child(obj, "status"), "phase", "Active");
	} else if (!rt->custom && strcmp(rt->resource, "secrets") == 0 && !*rt->group) {
		secret_convert(obj);
	} else if (!rt->custom && strcmp(rt->resource, "customresourcedefinitions") == 0) {
		cJSON *status = obj_child(obj, "status"), *conds = cJSON_CreateArray(), *c;
		const char *types[2] = {"NamesAccepted", "Established"};
		const char *reasons[2] = {"NoConflicts", "InitialNamesAccepted"};
		const char *msgs[2] = {"no conflicts found",
				       "the initial names have been accepted"};
		char now[32];
		const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
		const cJSON *v;
		cJSON *stored = cJSON_CreateArray();

		store_time_now(now);
		for (int i = 0; i < 2; i++) {
			c = cJSON_CreateObject();
			cJSON_AddStringToObject(c, "type", types[i]);
			cJSON_AddStringToObject(c, "status", "True");
			cJSON_AddStringToObject(c, "lastTransitionTime", now);
			cJSON_AddStringToObject(c, "reason", reasons[i]);
			cJSON_AddStringToObject(c, "message", msgs[i]);
			cJSON_AddItemToArray(conds, c);
		}
		set_item(status, "conditions", conds);
		set_item(status, "acceptedNames",
			 cJSON_Duplicate(cJSON_GetObjectItem(spec, "names"), 1)
				 ?: cJSON_CreateObject());
		cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "versions"))
		{
			if (cJSON_IsTrue(cJSON_GetObjectItem(v, "storage")) && obj_str(v, "name", NULL))
				cJSON_AddItemToArray(stored, cJSON_CreateString(obj_str(v, "name", NULL)));
		}
		set_item(status, "storedVersions", stored);
	}
	(void)st;
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

int store_create(struct store *st, const struct restype *rt, const char *ns, const cJSON *in,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e)
{
	cJSON *obj = NULL, *meta;
	const char *name, *gen;
	char namebuf[256], uid[37], now[32];
	int rc = 0, tries;

	store_lock(st);
	if (!cJSON_IsObject(in)) {
		rc = kstatus_set(e, 400, "BadRequest", "the body of the request is not an object");
		goto out;
	}
	obj = cJSON_Duplicate(in, 1);
	meta = obj_child(obj, "metadata");
	if (rt->namespaced) {
		const char *mns = obj_str(meta, "namespace", NULL);

		if (!ns || !*ns)
			ns = mns;
		else if (mns && *mns && strcmp(mns, ns) != 0) {
			rc = kstatus_set(e, 400, "BadRequest",
					 "the namespace of the provided object does not match the "
					 "namespace sent on the request");
			goto out;
		}
	}
	if ((rc = check_namespace(st, rt, ns, true, e)) < 0)
		goto out;
	name = obj_str(meta, "name", NULL);
	gen = obj_str(meta, "generateName", NULL);
	if ((!name || !*name) && gen && *gen) {
		for (tries = 0; tries < 8; tries++) {
			generate_name(gen, namebuf, sizeof(namebuf));
			if (!store_find(st, rt, ns, namebuf))
				break;
		}
		obj_set_str(meta, "name", namebuf);
	} else if (!name || !*name) {
		rc = kstatus_set(e, 422, "Invalid",
				 "%s.%s \"\" is invalid: metadata.name: Required value: name or "
				 "generateName is required",
				 rt->kind, *rt->group ? rt->group : "core");
		goto out;
	}
	name = obj_str(meta, "name", NULL);
	if (store_find(st, rt, ns, name)) {
		rc = kstatus_with(e, rt, name, 409, "AlreadyExists", " already exists");
		goto out;
	}
	meta_del(meta, "resourceVersion");
	meta_del(meta, "deletionTimestamp");
	meta_del(meta, "deletionGracePeriodSeconds");
	meta_del(meta, "selfLink");
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
	strategy_prepare(st, rt, obj, NULL, false);
	store_defaults(rt, obj);
	if (o && o->admit && (rc = o->admit(o->admit_ud, rt, NULL, obj, e)) < 0)
		goto out;
	if ((rc = validate_object(rt, obj, NULL, e)) < 0)
		goto out;
	canonical_order(obj, rt);
	if (!o || !o->managed_done) {
		meta_del(meta, "managedFields");
		store_managed_update(rt, NULL, obj, o && o->manager ? o->manager : "unknown", NULL);
	}
	canonical_order(obj, rt);
	if ((rc = oom_refuse(e)) < 0 || (o && o->dry_run))
		goto out;
	st->rv++;
	set_rv(meta, st->rv);
	if ((rc = oom_refuse(e)) < 0) { /* no object without its resourceVersion */
		st->rv--;
		goto out;
	}
	if (is_crd_type(rt))
		store_crd_sync(st, obj, false);
	store_commit(st, (struct rtype *)rt, NULL, ns, name, out ? cJSON_Duplicate(obj, 1) : obj,
		     STORE_ADDED, NULL);
	if (!out)
		obj = NULL;
out:
	store_unlock(st);
	if (rc < 0 && oom_seen())
		rc = oom_refuse(e);
	if (rc == 0 && out)
		*out = obj;
	else
		cJSON_Delete(obj);
	return rc;
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

static void remove_entry(struct store *st, struct rtype *rt, struct entry *en, cJSON *last);

int store_update(struct store *st, const struct restype *rt, const char *ns, const cJSON *in,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e)
{
	bool status = o && o->subresource && strcmp(o->subresource, "status") == 0;
	bool finalize = o && o->subresource && strcmp(o->subresource, "finalize") == 0;
	cJSON *obj = NULL, *meta;
	const cJSON *old;
	const char *name = meta_str(in, "name"), *rv = meta_str(in, "resourceVersion");
	struct entry *en;
	int rc = 0;

	store_lock(st);
	en = name ? store_find(st, rt, ns, name) : NULL;
	if (!en) {
		rc = kstatus_not_found(e, rt, name ? name : "");
		goto out;
	}
	old = en->so->obj;
	if (rv && *rv && strcmp(rv, meta_str(old, "resourceVersion")) != 0) {
		rc = kstatus_with(e, rt, name, 409, "Conflict",
				  ": the object has been modified; please apply your changes to "
				  "the latest version and try again");
		goto out;
	}
	obj = status ? prepare_status(old, in) : prepare_main(rt, old, in);
	meta = cJSON_GetObjectItem(obj, "metadata");
	if (status && o->managed_done) { /* server-side apply to /status computed them */
		const cJSON *im = cJSON_GetObjectItem(in, "metadata");

		meta_copy(meta, cJSON_GetObjectItem(im, "managedFields") ? im
				: cJSON_GetObjectItem(old, "metadata"), "managedFields");
	}
	if (!status) {
		strategy_prepare(st, rt, obj, old, finalize);
		store_defaults(rt, obj);
		if (o && o->admit && (rc = o->admit(o->admit_ud, rt, old, obj, e)) < 0)
			goto out;
		if ((rc = validate_object(rt, obj, old, e)) < 0)
			goto out;
	}
	if (!o || !o->managed_done)
		store_managed_update(rt, old, obj, o && o->manager ? o->manager : "unknown",
				     o ? o->subresource : NULL);
	if (!status)
		bump_generation(rt, old, obj);
	set_item(meta, "resourceVersion", cJSON_CreateString(meta_str(old, "resourceVersion")));
	canonical_order(obj, rt);
	if ((rc = oom_refuse(e)) < 0)
		goto out;
	if (jeq(old, obj, true, false)) {
		cJSON_Delete(obj);
		obj = cJSON_Duplicate(old, 1);
		rc = 1;
		goto out;
	}
	if (o && o->dry_run)
		goto out;
	if (meta_str(obj, "deletionTimestamp") && finalizers_empty(rt, obj)) {
		remove_entry(st, (struct rtype *)rt, en, cJSON_Duplicate(obj, 1));
		goto out;
	}
	st->rv++;
	set_rv(meta, st->rv);
	if ((rc = oom_refuse(e)) < 0) { /* no object without its resourceVersion */
		st->rv--;
		goto out;
	}
	if (is_crd_type(rt))
		store_crd_sync(st, obj, false);
	/* The caller's copy is made only when it wants one. */
	store_commit(st, (struct rtype *)rt, en, ns, name, out ? cJSON_Duplicate(obj, 1) : obj,
		     STORE_MODIFIED, old);
	if (!out)
		obj = NULL;
out:
	store_unlock(st);
	if (rc < 0 && oom_seen())
		rc = oom_refuse(e);
	if (rc >= 0 && out)
		*out = obj;
	else
		cJSON_Delete(obj);
	return rc;
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

static int check_preconditions(const struct restype *rt, const cJSON *old,
			       const struct store_wopts *o, struct kstatus *e)
{
	const char *uid = meta_str(old, "uid"), *rv = meta_str(old, "resourceVersion");

	if (o && o->precond_uid && *o->precond_uid && strcmp(o->precond_uid, uid) != 0)
		return kstatus_with(e, rt, meta_str(old, "name"), 409, "Conflict",
				    ": Precondition failed: UID in precondition does not match "
				    "UID in object meta");
	if (o && o->precond_rv && *o->precond_rv && strcmp(o->precond_rv, rv) != 0)
		return kstatus_with(e, rt, meta_str(old, "name"), 409, "Conflict",
				    ": Precondition failed: ResourceVersion in precondition does "
				    "not match ResourceVersion in object meta");
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

int store_delete(struct store *st, const struct restype *rt, const char *ns, const char *name,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e)
{
	const char *prop = o && o->propagation ? o->propagation : default_propagation(rt);
	cJSON *obj = NULL, *meta;
	struct entry *en;
	char now[32];
	int rc = 0;

	store_lock(st);
	en = store_find(st, rt, ns, name);
	if (!en) {
		rc = kstatus_not_found(e, rt, name);
		goto out;
	}
	if ((rc = check_preconditions(rt, en->so->obj, o, e)) < 0)
		goto out;
	if (is_namespace_type(rt) && (!strcmp(name, "default") || !strcmp(name, "kube-system") ||
				      !strcmp(name, "kube-public"))) {
		rc = kstatus_set(e, 403, "Forbidden",
				 "namespaces \"%s\" is forbidden: this namespace may not be deleted",
				 name);
		snprintf(e ? e->name : now, sizeof(now), "%s", name);
		if (e)
			snprintf(e->kind, sizeof(e->kind), "namespaces");
		goto out;
	}
	obj = cJSON_Duplicate(en->so->obj, 1);
	meta = cJSON_GetObjectItem(obj, "metadata");
	if (meta_str(obj, "deletionTimestamp")) {
		rc = 1;
		goto out;
	}
	if (strcmp(prop, "Foreground") == 0)
		add_finalizer(meta, "foregroundDeletion");
	else if (strcmp(prop, "Orphan") == 0)
		add_finalizer(meta, "orphan");
	if (is_namespace_type(rt) || !finalizers_empty(rt, obj)) {
		store_time_now(now);
		obj_set_str(meta, "deletionTimestamp", now);
		set_item(meta, "deletionGracePeriodSeconds", cJSON_CreateNumber(0));
		if (rt->generation != GEN_NONE)
			set_item(meta, "generation",
				 cJSON_CreateNumber((double)meta_generation(obj) + 1));
		if (is_namespace_type(rt))
			obj_set_str(obj_child(obj, "status"), "phase", "Terminating");
		rc = 1;
		if (oom_seen()) {
			rc = oom_refuse(e);
			goto out;
		}
		if (o && o->dry_run)
			goto out;
		if (is_namespace_type(rt) && !st->ns_controller) {
			namespace_purge(st, name);
			remove_entry(st, (struct rtype *)rt, en, cJSON_Duplicate(obj, 1));
			rc = 0;
			goto out;
		}
		st->rv++;
		set_rv(meta, st->rv);
		if (oom_seen()) { /* rc stays 1 otherwise: the object is still there */
			st->rv--;
			rc = oom_refuse(e);
			goto out;
		}
		store_commit(st, (struct rtype *)rt, en, ns, name, cJSON_Duplicate(obj, 1),
			     STORE_MODIFIED, en->so->obj);
		goto out;
	}
	if (o && o->dry_run)
		goto out;
	remove_entry(st, (struct rtype *)rt, en, cJSON_Duplicate(obj, 1));
	set_rv(meta, st->rv);
out:
	store_unlock(st);
	if (rc < 0 && oom_seen())
		rc = oom_refuse(e);
	if (rc >= 0 && out)
		*out = obj;
	else
		cJSON_Delete(obj);
	return rc;
}
