/*
 * api_patch: PATCH in its four content types (§5.6) and server-side apply (§6) on top
 * of merge.h, plus the autoscaling/v1 Scale subresource (§5.9). The read-modify-write
 * runs under the store lock, so a patch never fails on a concurrent writer the way a
 * real server's GuaranteedUpdate retry would hide.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "api_int.h"
#include "store_int.h"

enum ptype { P_NONE, P_JSON, P_MERGE, P_STRATEGIC, P_APPLY };

static enum ptype patch_type(struct req *r)
{
	const char *ct = req_header(r, "Content-Type");

	if (!ct)
		return P_NONE;
	if (strncmp(ct, "application/json-patch+json", 27) == 0)
		return P_JSON;
	if (strncmp(ct, "application/merge-patch+json", 28) == 0)
		return P_MERGE;
	if (strncmp(ct, "application/strategic-merge-patch+json", 38) == 0)
		return P_STRATEGIC;
	if (strncmp(ct, "application/apply-patch+yaml", 28) == 0 ||
	    strncmp(ct, "application/apply-patch+json", 28) == 0)
		return P_APPLY;
	return P_NONE;
}

static void kind_of(const struct restype *rt, struct merge_kind *k)
{
	k->group = rt->group;
	k->version = rt->version;
	k->kind = rt->kind;
}

static enum MHD_Result reply_ks(struct req *r, struct kstatus *e)
{
	enum MHD_Result ret = reply_status(r, e);

	kstatus_dispose(e);
	return ret;
}

/* The non-apply patches: a new object from live. */
static int patch_compute(enum ptype t, const struct restype *rt, const cJSON *live,
			 const cJSON *patch, cJSON **out, struct kstatus *me)
{
	struct merge_kind k;

	kind_of(rt, &k);
	switch (t) {
	case P_JSON:
		return merge_patch_jsonpatch(out, live, patch, me);
	case P_MERGE:
		return merge_patch_json(out, live, patch, me);
	case P_STRATEGIC:
		if (rt->custom) {
			kstatus_set(me, 415, "UnsupportedMediaType",
				    "the body of the request was in an unknown format - accepted "
				    "media types include: application/json-patch+json, "
				    "application/merge-patch+json, application/apply-patch+yaml");
			return MERGE_EINVAL;
		}
		return merge_patch_strategic(out, &k, live, patch, me);
	default:
		return MERGE_EINVAL;
	}
}

/* The end of a server-side apply: the stored (or dry-run) object, or a Status. Made
 * with the lock held, sent after it is released. */
struct apply_end {
	int code;
	cJSON *body;
};

static struct apply_end end_status(struct kstatus *e)
{
	struct apply_end end = {e->code ? e->code : 500, kstatus_to_json(e)};

	kstatus_dispose(e);
	return end;
}

/* Stores merged, the result rc of merge_apply over live; lock held. */
static struct apply_end apply_commit(struct req *r, struct route *ro, const cJSON *live, int rc,
				     cJSON *merged, struct merge_conflicts *c,
				     const struct kstatus *me, struct store_wopts *w)
{
	struct kstatus e = {0};
	cJSON *out = NULL;

	if (rc == MERGE_ECONFLICT) {
		cJSON *s = merge_conflicts_status(c);
		return s ? (struct apply_end){409, s}
			 : (struct apply_end){me->code ? me->code : 500, api_merge_status(me)};
	}
	if (rc < 0)
		return (struct apply_end){me->code ? me->code : 500, api_merge_status(me)};
	if (api_crd_admit(r, ro, merged, live, false, &e) < 0)
		return end_status(&e);
	w->managed_done = true;
	if (!live) {
		if (store_create(r->st, ro->rt, ro->ns, merged, w, &out, &e) < 0)
			return end_status(&e);
		if (w->dry_run)
			cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(out, "metadata"),
								"resourceVersion");
		return (struct apply_end){201, out};
	}
	if (store_update(r->st, ro->rt, ro->ns, merged, w, &out, &e) < 0)
		return end_status(&e);
	return (struct apply_end){200, out};
}

struct apply_try {
	struct merge_conflicts c;
	struct kstatus me;
	cJSON *merged;
	int rc;
};

static void apply_merge(struct req *r, struct route *ro, const cJSON *live, cJSON *config,
			const struct store_wopts *w, struct apply_try *t)
{
	struct merge_kind k;
	char now[32];

	cJSON *at_view = api_view_copy(ro->view, live);

	memset(t, 0, sizeof(*t));
	kind_of(ro->view, &k);
	store_time_now(now);
	/* merged at the request's version, stored at the storing one */
	t->rc = merge_apply(&t->merged, &t->c, &k, at_view ? at_view : live, config, w->manager,
			    api_arg_true(r, "force"), w->subresource, now, &t->me);
	if (t->rc >= 0)
		api_home_obj(ro->view, t->merged);
	cJSON_Delete(at_view);
}

static void apply_try_dispose(struct apply_try *t)
{
	cJSON_Delete(t->merged);
	merge_conflicts_dispose(&t->c);
	kstatus_dispose(&t->me);
}

/* Merges and stores with the lock held throughout. */
static struct apply_end apply_locked(struct req *r, struct route *ro, const cJSON *live,
				     cJSON *config, struct store_wopts *w)
{
	struct apply_try t;
	struct apply_end end;

	apply_merge(r, ro, live, config, w, &t);
	end = apply_commit(r, ro, live, t.rc, t.merged, &t.c, &t.me, w);
	apply_try_dispose(&t);
	return end;
}

static struct sobj *live_state(struct req *r, struct route *ro)
{
	struct entry *en = store_find(r->st, ro->rt, ro->ns, ro->name);

	return en ? en->so : NULL;
}

/*
 * Server-side apply. The merge, its costliest part, runs without the store lock, as
 * the apiserver's GuaranteedUpdate does: on the state read (held by a reference), then
 * stored only if that is still the live state, else merged again. After two lost races,
 * or for custom resources (whose schema may change under the merge), all under the lock.
 */
static enum MHD_Result do_apply(struct req *r, struct route *ro, cJSON *config,
				struct store_wopts *w)
{
	struct kstatus e = {0};
	struct apply_end end = {500, NULL};

	for (int attempt = 0;; attempt++) {
		struct apply_try t;
		struct sobj *so;

		store_lock(r->st);
		if (attempt == 0 && (api_apply_schema_check(ro->view, config, &e) < 0 ||
				     api_crd_apply_check(ro, config, &e) < 0)) {
			end = end_status(&e);
			store_unlock(r->st);
			break;
		}
		so = live_state(r, ro);
		if (ro->rt->custom || attempt == 2) {
			end = apply_locked(r, ro, so ? so->obj : NULL, config, w);
			store_unlock(r->st);
			break;
		}
		if (so)
			so->refs++;
		store_unlock(r->st);
		apply_merge(r, ro, so ? so->obj : NULL, config, w, &t);
		store_lock(r->st);
		/* our reference rules out a new state at a reused address */
		bool current = live_state(r, ro) == so;
		if (current)
			end = apply_commit(r, ro, so ? so->obj : NULL, t.rc, t.merged, &t.c, &t.me,
					   w);
		sobj_unref(so);
		store_unlock(r->st);
		apply_try_dispose(&t);
		if (current)
			break;
	}
	if (end.code < 300)
		api_view_obj(ro->view, end.body);
	return reply_json(r, end.code, end.body);
}

static enum MHD_Result patch_locked(struct req *r, struct route *ro, enum ptype t,
				    cJSON *patch, struct store_wopts *w)
{
	struct kstatus me = {0};
	struct kstatus e = {0};
	struct entry *en = store_find(r->st, ro->rt, ro->ns, ro->name);
	const cJSON *live = en ? en->so->obj : NULL;
	cJSON *res = NULL, *out = NULL, *at_view;
	int rc;

	if (!live) {
		kstatus_not_found(&e, ro->rt, ro->name);
		return reply_ks(r, &e);
	}
	if (strcmp(ro->sub, "scale") == 0) {
		cJSON *scale = api_scale_of(ro->view, live), *ns = NULL;

		rc = patch_compute(t, ro->rt, scale, patch, &ns, &me);
		cJSON_Delete(scale);
		if (rc < 0)
			return api_reply_merge(r, &me);
		return api_scale_update(r, ro, ns);
	}
	at_view = api_view_copy(ro->view, live);
	rc = patch_compute(t, ro->rt, at_view ? at_view : live, patch, &res, &me);
	cJSON_Delete(at_view);
	if (rc < 0)
		return api_reply_merge(r, &me);
	/* decoded at the request's version, then stored at the storing one */
	if (api_field_validation(r, ro->view, res, true, &e) < 0) {
		cJSON_Delete(res);
		return reply_ks(r, &e);
	}
	api_home_obj(ro->view, res);
	if (api_crd_admit(r, ro, res, live, true, &e) < 0) {
		cJSON_Delete(res);
		return reply_ks(r, &e);
	}
	obj_set_str(obj_child(res, "metadata"), "name", ro->name);
	rc = store_update(r->st, ro->rt, ro->ns, res, w, &out, &e);
	api_view_obj(ro->view, out);
	cJSON_Delete(res);
	if (rc < 0)
		return reply_ks(r, &e);
	return reply_json(r, 200, out);
}

enum MHD_Result api_patch(struct req *r, struct route *ro)
{
	enum ptype t = patch_type(r);
	struct store_wopts w = {.grace_seconds = -1};
	struct kstatus e = {0};
	char manager[160];
	enum MHD_Result ret;
	cJSON *patch;

	strcpy(r->verb, t == P_APPLY ? "APPLY" : "PATCH");
	if (!ro->name[0])
		return reply_error(r, 405, "MethodNotAllowed",
				   "the server does not allow this method on the requested resource");
	if (t == P_NONE)
		return reply_error(r, 415, "UnsupportedMediaType",
				   "the body of the request was in an unknown format - accepted "
				   "media types include: application/json-patch+json, "
				   "application/merge-patch+json, application/apply-patch+yaml, "
				   "application/strategic-merge-patch+json");
	if (api_options_check(r, t == P_APPLY ? API_OPTS_APPLY : API_OPTS_PATCH, NULL, &e) < 0)
		return reply_ks(r, &e);
	patch = api_parse_body(r, &e);
	if (!patch)
		return reply_ks(r, &e);
	api_manager(r, manager, sizeof(manager));
	w.manager = manager;
	w.dry_run = api_dry_run(r);
	w.subresource = strcmp(ro->sub, "status") == 0 ? "status" : NULL;
	auth_admit_wopts(r, &w);
	if (t == P_APPLY) {
		ret = do_apply(r, ro, patch, &w); /* takes the lock itself */
	} else {
		store_lock(r->st);
		ret = patch_locked(r, ro, t, patch, &w);
		store_unlock(r->st);
	}
	cJSON_Delete(patch);
	return ret;
}

/* ---- Scale ------------------------------------------------------------------------- */

cJSON *api_scale_of(const struct restype *rt, const cJSON *obj)
{
	const cJSON *m = cJSON_GetObjectItem(obj, "metadata"), *spec = cJSON_GetObjectItem(obj, "spec");
	cJSON *s = cJSON_CreateObject(), *md, *sp, *ss;
	static const char *keep[] = {"name", "namespace", "uid", "resourceVersion",
				     "creationTimestamp"};
	const char *spec_path = ".spec.replicas", *status_path = ".status.replicas";
	const char *sel_path = NULL;
	bool custom = api_crd_scale_paths(rt, &spec_path, &status_path, &sel_path);
	const cJSON *want = api_crd_path_get(obj, spec_path);
	const cJSON *rep = api_crd_path_get(obj, status_path);
	char sel[1024] = "";

	cJSON_AddStringToObject(s, "kind", "Scale");
	cJSON_AddStringToObject(s, "apiVersion", "autoscaling/v1");
	md = cJSON_AddObjectToObject(s, "metadata");
	for (size_t i = 0; i < 5; i++)
		if (cJSON_GetObjectItem(m, keep[i]))
			cJSON_AddItemToObject(md, keep[i],
					      cJSON_Duplicate(cJSON_GetObjectItem(m, keep[i]), 1));
	sp = cJSON_AddObjectToObject(s, "spec");
	if (cJSON_IsNumber(want))
		cJSON_AddNumberToObject(sp, "replicas", want->valuedouble);
	ss = cJSON_AddObjectToObject(s, "status");
	cJSON_AddNumberToObject(ss, "replicas", cJSON_IsNumber(rep) ? rep->valuedouble : 0);
	if (!custom)
		api_selector_string(cJSON_GetObjectItem(spec, "selector"), sel, sizeof(sel));
	else if (sel_path && cJSON_GetStringValue(api_crd_path_get(obj, sel_path)))
		snprintf(sel, sizeof(sel), "%s", cJSON_GetStringValue(api_crd_path_get(obj, sel_path)));
	if (sel[0])
		cJSON_AddStringToObject(ss, "selector", sel);
	return s;
}

enum MHD_Result api_scale_get(struct req *r, struct route *ro)
{
	struct kstatus e = {0};
	struct entry *en;
	cJSON *s;

	store_lock(r->st);
	en = store_find(r->st, ro->rt, ro->ns, ro->name);
	if (!en) {
		store_unlock(r->st);
		kstatus_not_found(&e, ro->rt, ro->name);
		return reply_ks(r, &e);
	}
	s = api_scale_of(ro->view, en->so->obj);
	store_unlock(r->st);
	return reply_json(r, 200, s);
}

/* Where a Scale's spec.replicas goes in the object (lock held). */
static const char *scale_spec_path(const struct restype *view)
{
	const char *spec = ".spec.replicas", *status, *sel;

	api_crd_scale_paths(view, &spec, &status, &sel);
	return spec;
}

enum MHD_Result api_scale_update(struct req *r, struct route *ro, cJSON *scale)
{
	const cJSON *rep = cJSON_GetObjectItem(cJSON_GetObjectItem(scale, "spec"), "replicas");
	const char *rv = obj_str(cJSON_GetObjectItem(scale, "metadata"), "resourceVersion", NULL);
	struct store_wopts w = {.grace_seconds = -1, .subresource = "scale"};
	struct kstatus e = {0};
	char manager[160];
	struct entry *en;
	cJSON *obj, *out = NULL, *s;
	int rc;

	if (!r->verb[0] || strcmp(r->verb, "APPLY") != 0)
		strcpy(r->verb, strcmp(r->method, "PUT") == 0 ? "PUT" : "PATCH");
	api_manager(r, manager, sizeof(manager));
	w.manager = manager;
	w.dry_run = api_dry_run(r);
	if (!cJSON_IsNumber(rep) || rep->valuedouble < 0) {
		cJSON_Delete(scale);
		return reply_error(r, 422, "Invalid",
				   "Scale.autoscaling \"%s\" is invalid: spec.replicas: Invalid "
				   "value: must be greater than or equal to 0",
				   ro->name);
	}
	store_lock(r->st);
	en = store_find(r->st, ro->rt, ro->ns, ro->name);
	if (!en) {
		store_unlock(r->st);
		cJSON_Delete(scale);
		kstatus_not_found(&e, ro->rt, ro->name);
		return reply_ks(r, &e);
	}
	obj = cJSON_Duplicate(en->so->obj, 1);
	(void)json_object_set(cJSON_GetObjectItem(obj, "metadata"), "resourceVersion",
			      cJSON_CreateString(rv && *rv ? rv : obj_str(cJSON_GetObjectItem(obj, "metadata"), "resourceVersion", NULL)));
	api_crd_path_set(obj, scale_spec_path(ro->view), rep->valuedouble);
	cJSON_Delete(scale);
	rc = store_update(r->st, ro->rt, ro->ns, obj, &w, &out, &e);
	cJSON_Delete(obj);
	if (rc < 0) {
		store_unlock(r->st);
		return reply_ks(r, &e);
	}
	s = api_scale_of(ro->view, out);
	store_unlock(r->st);
	cJSON_Delete(out);
	return reply_json(r, 200, s);
}
