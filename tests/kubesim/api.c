/*
 * api: the resource verbs of the semantics spec §5: GET, LIST (selectors, paging),
 * POST, PUT, PATCH (merge, strategic, JSON patch, server-side apply via merge.h),
 * DELETE and deletecollection, the /status and /scale subresources, dryRun and
 * fieldValidation. Every write goes through the store's single write path.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "merge.h"
#include "proto.h"
#include "store_int.h"

/* ---- request parsing ---------------------------------------------------------------- */

/* Whether the type serves subresource sub ("" is the object itself). */
static bool route_subresource_ok(const struct restype *rt, const char *sub)
{
	if (!*sub)
		return true;
	if (strcmp(sub, "status") == 0)
		return rt->has_status;
	if (strcmp(sub, "scale") == 0)
		return rt->has_scale;
	return strcmp(sub, "finalize") == 0 && strcmp(rt->resource, "namespaces") == 0;
}

/* After the group and version: [namespaces/NS/]RESOURCE[/NAME[/SUBRESOURCE]]. seg[i]
 * is the first of n segments. */
/* "namespaces/NS/" before a namespaced resource; returns the index after it. */
static int route_namespace(struct req *r, char **seg, int i, int n, const char *group,
			   struct route *rt_out)
{
	const struct restype *t;

	if (i >= n || strcmp(seg[i], "namespaces") != 0 || n - i < 3)
		return i;
	t = store_type(r->st, group, seg[i + 2]);
	/* /api/v1/namespaces/x/status is the namespace's own subresource. */
	if (!t || !t->namespaced)
		return i;
	snprintf(rt_out->ns, sizeof(rt_out->ns), "%s", seg[i + 1]);
	return i + 2;
}

static int route_resource(struct req *r, char **seg, int i, int n, const char *group,
			  const char *version, struct route *rt_out)
{
	i = route_namespace(r, seg, i, n, group, rt_out);
	if (i >= n)
		return -1;
	rt_out->view = store_type_at(r->st, group, version, seg[i]);
	if (!rt_out->view)
		return -1;
	rt_out->rt = restype_home(rt_out->view);
	snprintf(r->resource, sizeof(r->resource), "%s", seg[i]);
	if (i + 1 < n)
		snprintf(rt_out->name, sizeof(rt_out->name), "%s", seg[i + 1]);
	if (i + 2 < n)
		snprintf(rt_out->sub, sizeof(rt_out->sub), "%s", seg[i + 2]);
	return i + 3 >= n && route_subresource_ok(rt_out->view, rt_out->sub) ? 0 : -1;
}

int api_route(struct req *r, struct route *rt_out)
{
	char buf[1024], *seg[11], *save = NULL, *tok;
	int n = 0, i;
	bool core;

	memset(rt_out, 0, sizeof(*rt_out));
	snprintf(buf, sizeof(buf), "%s", r->url);
	for (tok = strtok_r(buf, "/", &save); tok && n < 11; tok = strtok_r(NULL, "/", &save))
		seg[n++] = tok;
	if (n < 3 || tok)
		return -1;
	/* /api/VERSION/... or /apis/GROUP/VERSION/... */
	core = strcmp(seg[0], "api") == 0;
	i = core ? 2 : 3;
	/* /api/v1/watch/... and /apis/G/V/watch/...: deprecated, still served. */
	if (i < n && strcmp(seg[i], "watch") == 0) {
		rt_out->watch = true;
		i++;
	}
	return route_resource(r, seg, i, n, core ? "" : seg[1], seg[core ? 1 : 2], rt_out);
}

/* fieldManager, else the User-Agent up to the first '/', else "unknown" (§6.7). */
void api_manager(struct req *r, char *out, size_t outlen)
{
	const char *m = req_arg(r, "fieldManager"), *ua;
	size_t n = 0;

	if (m && *m) {
		snprintf(out, outlen, "%s", m);
		return;
	}
	ua = req_header(r, "User-Agent");
	for (; ua && *ua && *ua != '/' && n + 1 < outlen && n < 128; ua++)
		if (isprint((unsigned char)*ua))
			out[n++] = *ua;
	out[n] = '\0';
	if (n == 0)
		snprintf(out, outlen, "unknown");
}

bool api_dry_run(struct req *r)
{
	const char *d = req_arg(r, "dryRun");

	return d && strcmp(d, "All") == 0;
}

cJSON *api_parse_body(struct req *r, struct kstatus *e)
{
	const char *ct = req_header(r, "Content-Type");
	char why[256];
	cJSON *b;

	if (!r->body.len) {
		kstatus_set(e, 400, "BadRequest", "the body of the request was empty");
		return NULL;
	}
	if (ct && strstr(ct, "protobuf")) {
		b = proto_decode(r->body.data, r->body.len, why, sizeof(why));
		if (b)
			return b;
		if (why[0]) {
			kstatus_set(e, 400, "BadRequest", "%s", why);
			return NULL;
		}
		kstatus_set(e, 415, "UnsupportedMediaType",
			    "the body of the request was in an unknown format - accepted media "
			    "types include: application/json, application/yaml");
		return NULL;
	}
	b = cJSON_ParseWithLength(r->body.data, r->body.len);
	if (!b)
		b = api_yaml_to_json(r->body.data, r->body.len);
	if (!b) {
		kstatus_set(e, 400, "BadRequest",
			    "the object provided is unrecognized (must be of type %s): "
			    "couldn't get version/kind; json parse error",
			    "object");
		return NULL;
	}
	return b;
}

void api_selector_string(const cJSON *sel, char *out, size_t n)
{
	const cJSON *it, *map = cJSON_GetObjectItem(sel, "matchLabels");
	size_t k = 0;

	out[0] = '\0';
	/* a ReplicationController's selector is the label map itself */
	if (!cJSON_GetObjectItem(sel, "matchLabels") && !cJSON_GetObjectItem(sel, "matchExpressions"))
		map = sel;
	cJSON_ArrayForEach(it, map)
	{
		if (cJSON_IsString(it) && k < n)
			k += snprintf(out + k, n - k, "%s%s=%s", k ? "," : "", it->string,
				      it->valuestring);
	}
}

cJSON *api_merge_status(const struct kstatus *me)
{
	struct kstatus e = {0};

	if (me->code)
		return kstatus_to_json(me);
	kstatus_set(&e, 500, "InternalError", "%s", me->message);
	return kstatus_to_json(&e);
}

enum MHD_Result api_reply_merge(struct req *r, const struct kstatus *me)
{
	return reply_json(r, me->code ? me->code : 500, api_merge_status(me));
}

static enum MHD_Result reply_kstatus(struct req *r, struct kstatus *e)
{
	enum MHD_Result ret = reply_status(r, e);

	kstatus_dispose(e);
	return ret;
}

/* ---- GET and LIST ------------------------------------------------------------------- */

static enum MHD_Result do_get(struct req *r, struct route *ro)
{
	struct kstatus e = {0};
	struct entry *en;
	enum MHD_Result ret;
	const char *json;
	char *copy;
	size_t len;

	strcpy(r->verb, "GET");
	if (strcmp(ro->sub, "scale") == 0)
		return api_scale_get(r, ro);
	store_lock(r->st);
	en = store_find(r->st, ro->rt, ro->ns, ro->name);
	if (!en) {
		store_unlock(r->st);
		kstatus_not_found(&e, ro->rt, ro->name);
		return reply_kstatus(r, &e);
	}
	json = api_view_json(ro->view, en->so, &len, &copy);
	if (!copy && !(copy = malloc(len + 1)))
		abort();
	if (copy != json)
		memcpy(copy, json, len + 1);
	store_unlock(r->st);
	if (!api_wants_table(r))
		return reply_take(r, 200, "application/json", copy, len);
	ret = api_table_reply(r, ro, copy, len);
	free(copy);
	return ret;
}

/* Continue tokens: "<rv>:<namespace>:<name>" of the last item sent. */
static int parse_continue(const char *c, uint64_t *rv, char *ns, char *name, size_t n)
{
	const char *a, *b;

	if (!c || !*c)
		return 0;
	a = strchr(c, ':');
	b = a ? strchr(a + 1, ':') : NULL;
	if (!a || !b || (size_t)(b - a) > n || strlen(b + 1) >= n)
		return -1;
	*rv = strtoull(c, NULL, 10);
	snprintf(ns, (size_t)(b - a), "%s", a + 1);
	snprintf(name, n, "%s", b + 1);
	return 1;
}

/* The first entry after a continue token's namespace and name (entries are sorted). */
static size_t list_after(struct entry **arr, size_t n, const char *cns, const char *cname)
{
	size_t i = 0;

	while (i < n && (strcmp(arr[i]->ns, cns) < 0 ||
			 (strcmp(arr[i]->ns, cns) == 0 && strcmp(arr[i]->name, cname) <= 0)))
		i++;
	return i;
}

struct list_page {
	const struct restype *view;
	const struct selector *lsel, *fsel;
	long limit; /* 0: no limit */
	uint64_t rv;
};

/* Entries i..n that match, at most limit of them (then the continue token, still in
 * the list's metadata), then "items". Selects first and sizes the buffer once: lists of
 * thousands of objects must not pay for repeated reallocations. Lock held. */
static void list_items(struct sbuf *b, struct entry **arr, size_t i, size_t n,
		       const struct list_page *pg)
{
	size_t k = 0, total = 0, len;

	for (; i < n; i++) {
		if (!selector_match(pg->lsel, arr[i]->so->obj) ||
		    !selector_match(pg->fsel, arr[i]->so->obj))
			continue;
		if (pg->limit > 0 && k == (size_t)pg->limit) {
			sbuf_printf(b, ",\"continue\":\"%llu:%s:%s\"", (unsigned long long)pg->rv,
				    arr[k - 1]->ns, arr[k - 1]->name);
			/* The etcd3 store counts what is left only when nothing is filtered. */
			if (selector_empty(pg->lsel) && selector_empty(pg->fsel))
				sbuf_printf(b, ",\"remainingItemCount\":%zu", n - i);
			break;
		}
		arr[k++] = arr[i];
		sobj_json(arr[i]->so, &len);
		total += len + 1;
	}
	sbuf_puts(b, "},\"items\":[");
	sbuf_reserve(b, total + 8);
	for (size_t j = 0; j < k; j++) {
		char *owned;
		const char *json = api_view_json(pg->view, arr[j]->so, &len, &owned);

		if (j)
			sbuf_add(b, ",", 1);
		sbuf_add(b, json, len);
		free(owned);
	}
}

static enum MHD_Result do_list(struct req *r, struct route *ro)
{
	const char *lim = req_arg(r, "limit"), *cont = req_arg(r, "continue");
	struct selector *lsel = NULL, *fsel = NULL;
	char err[512], cns[256] = "", cname[256] = "";
	struct entry **arr = NULL;
	struct sbuf b = {0};
	struct list_page pg = {.view = ro->view, .limit = lim ? strtol(lim, NULL, 10) : 0};
	size_t n;
	int has_cont;
	enum MHD_Result ret;

	strcpy(r->verb, "LIST");
	if (api_selectors(r, ro->rt, &lsel, &fsel, err, sizeof(err)) < 0)
		return reply_error(r, 400, "BadRequest", "%s", err);
	if ((has_cont = parse_continue(cont, &pg.rv, cns, cname, sizeof(cname))) < 0) {
		selector_free(lsel);
		selector_free(fsel);
		return reply_error(r, 400, "BadRequest", "continue key is not valid");
	}
	pg.lsel = lsel;
	pg.fsel = fsel;
	store_lock(r->st);
	if (!has_cont)
		pg.rv = r->st->rv;
	sbuf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{\"resourceVersion\":\"%llu\"",
		    ro->view->list_kind, ro->view->api_version, (unsigned long long)pg.rv);
	n = store_entries(r->st, ro->rt, ro->ns[0] ? ro->ns : NULL, &arr);
	list_items(&b, arr, has_cont ? list_after(arr, n, cns, cname) : 0, n, &pg);
	store_unlock(r->st);
	sbuf_puts(&b, "]}");
	free(arr);
	selector_free(lsel);
	selector_free(fsel);
	if (api_wants_table(r)) {
		ret = api_table_reply(r, ro, b.data, b.len);
		sbuf_dispose(&b);
		return ret;
	}
	return reply_take(r, 200, "application/json", b.data, b.len);
}

/* ---- POST ------------------------------------------------------------------------------ */

static int check_type_meta(const struct restype *rt, const cJSON *obj, struct kstatus *e)
{
	const char *av = obj_str(obj, "apiVersion", NULL), *k = obj_str(obj, "kind", NULL);

	if (av && *av && strcmp(av, rt->api_version) != 0)
		return kstatus_set(e, 400, "BadRequest",
				   "the API version in the data (%s) does not match the expected "
				   "API version (%s)",
				   av, rt->api_version);
	if (k && *k && strcmp(k, rt->kind) != 0)
		return kstatus_set(e, 400, "BadRequest",
				   "the kind in the data (%s) does not match the expected kind (%s)",
				   k, rt->kind);
	return 0;
}

/* The body's type is the URL's and it decodes as that version's Go type; a built-in
 * view's body is then converted to the stored version, which the rest of the write
 * (validation, defaults, store) works on. */
static int body_decode(struct req *r, const struct route *ro, cJSON *obj, struct kstatus *e)
{
	if (check_type_meta(ro->view, obj, e) < 0 ||
	    api_field_validation(r, ro->view, obj, false, e) < 0)
		return -1;
	api_home_obj(ro->view, obj);
	return 0;
}

static enum MHD_Result reply_written(struct req *r, const struct route *ro, int code, cJSON *out)
{
	api_view_obj(ro->view, out);
	if (api_dry_run(r)) {
		/* dry-run create: uid and timestamps filled, no resourceVersion */
		if (code == 201)
			cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(out, "metadata"),
								"resourceVersion");
	}
	return reply_json(r, code, out);
}

static enum MHD_Result do_create(struct req *r, struct route *ro)
{
	struct kstatus e = {0};
	struct store_wopts w = {.grace_seconds = -1};
	char manager[160];
	cJSON *obj, *out = NULL;

	strcpy(r->verb, "POST");
	if (ro->name[0] || (ro->rt->namespaced && !ro->ns[0]))
		return reply_error(r, 405, "MethodNotAllowed",
				   "the server does not allow this method on the requested resource");
	if (store_crd_terminating(r->st, ro->rt)) /* crdHandler, for the create verb only */
		return reply_error(r, 405, "MethodNotAllowed",
				   "create not allowed while custom resource definition is terminating");
	if (api_options_check(r, API_OPTS_CREATE, NULL, &e) < 0)
		return reply_kstatus(r, &e);
	obj = api_parse_body(r, &e);
	if (!obj || body_decode(r, ro, obj, &e) < 0 ||
	    api_crd_admit(r, ro, obj, NULL, false, &e) < 0) {
		cJSON_Delete(obj);
		return reply_kstatus(r, &e);
	}
	api_manager(r, manager, sizeof(manager));
	w.manager = manager;
	w.dry_run = api_dry_run(r);
	auth_admit_wopts(r, &w);
	if (store_create(r->st, ro->rt, ro->ns, obj, &w, &out, &e) < 0) {
		cJSON_Delete(obj);
		return reply_kstatus(r, &e);
	}
	cJSON_Delete(obj);
	return reply_written(r, ro, 201, out);
}

/* ---- PUT -------------------------------------------------------------------------------- */

static bool creates_on_update(const struct restype *rt)
{
	return !rt->custom && strcmp(rt->group, "rbac.authorization.k8s.io") == 0;
}

/* The body's metadata.name when it is not the URL's (an empty one is the URL's). */
static const char *other_name(const cJSON *obj, const char *url_name)
{
	const char *name = obj_str(cJSON_GetObjectItem(obj, "metadata"), "name", NULL);

	return name && *name && strcmp(name, url_name) != 0 ? name : NULL;
}

/* A custom resource is updated only at a resourceVersion (CRD update strategy). */
static int check_update_rv(const struct route *ro, const cJSON *obj, struct kstatus *e)
{
	const char *rv = obj_str(cJSON_GetObjectItem(obj, "metadata"), "resourceVersion", NULL);

	if (!ro->rt->custom || (rv && *rv))
		return 0;
	return kstatus_set(e, 422, "Invalid",
			   "%s.%s \"%s\" is invalid: metadata.resourceVersion: Invalid value: 0x0: "
			   "must be specified for an update",
			   ro->rt->kind, ro->rt->group, ro->name);
}

/* A PUT stores an update, or a create for the kinds whose PUT creates (RBAC's).
 * Returns the HTTP status, or < 0 with e. */
static int update_or_create(struct req *r, struct route *ro, const cJSON *obj,
			    const struct store_wopts *w, cJSON **out, struct kstatus *e)
{
	int rc;

	store_lock(r->st);
	if (creates_on_update(ro->rt) && !store_find(r->st, ro->rt, ro->ns, ro->name)) {
		rc = store_create(r->st, ro->rt, ro->ns, obj, w, out, e);
		store_unlock(r->st);
		return rc < 0 ? rc : 201;
	}
	rc = store_update(r->st, ro->rt, ro->ns, obj, w, out, e);
	store_unlock(r->st);
	return rc < 0 ? rc : 200;
}

static enum MHD_Result do_update(struct req *r, struct route *ro)
{
	struct kstatus e = {0};
	struct store_wopts w = {.grace_seconds = -1};
	char manager[160];
	const char *name;
	cJSON *obj, *out = NULL;
	int code;

	strcpy(r->verb, "PUT");
	if (!ro->name[0])
		return reply_error(r, 405, "MethodNotAllowed",
				   "the server does not allow this method on the requested resource");
	if (api_options_check(r, API_OPTS_UPDATE, NULL, &e) < 0 || !(obj = api_parse_body(r, &e)))
		return reply_kstatus(r, &e);
	if (strcmp(ro->sub, "scale") == 0)
		return api_scale_update(r, ro, obj);
	if ((name = other_name(obj, ro->name))) {
		enum MHD_Result ret = reply_error(r, 400, "BadRequest",
						  "the name of the object (%s) does not match the "
						  "name on the URL (%s)",
						  name, ro->name);
		cJSON_Delete(obj);
		return ret;
	}
	if (body_decode(r, ro, obj, &e) < 0 ||
	    api_crd_admit_update(r, ro, obj, &e) < 0)
		goto fail;
	obj_set_str(obj_child(obj, "metadata"), "name", ro->name);
	if (check_update_rv(ro, obj, &e) < 0)
		goto fail;
	api_manager(r, manager, sizeof(manager));
	w.manager = manager;
	w.dry_run = api_dry_run(r);
	w.subresource = ro->sub[0] ? ro->sub : NULL;
	auth_admit_wopts(r, &w);
	if ((code = update_or_create(r, ro, obj, &w, &out, &e)) < 0)
		goto fail;
	cJSON_Delete(obj);
	return reply_written(r, ro, code, out);
fail:
	cJSON_Delete(obj);
	return reply_kstatus(r, &e);
}

/* ---- DELETE -------------------------------------------------------------------------- */

/* The DeleteOptions of the body when there is one, else of the query (as the delete
 * handler decodes them); validated already. */
static void delete_options(struct req *r, cJSON *opts, struct store_wopts *w)
{
	const cJSON *pre = cJSON_GetObjectItem(opts, "preconditions"), *orphan, *dr;

	const char *gq = req_arg(r, "gracePeriodSeconds");
	const cJSON *gb;

	if (!opts) {
		w->propagation = req_arg(r, "propagationPolicy");
		w->dry_run = api_dry_run(r);
		if (gq && *gq)
			w->grace_seconds = strtoll(gq, NULL, 10);
		return;
	}
	gb = cJSON_GetObjectItem(opts, "gracePeriodSeconds");
	if (cJSON_IsNumber(gb))
		w->grace_seconds = (int64_t)gb->valuedouble;
	w->propagation = obj_str(opts, "propagationPolicy", NULL);
	orphan = cJSON_GetObjectItem(opts, "orphanDependents");
	if (!w->propagation && cJSON_IsBool(orphan))
		w->propagation = cJSON_IsTrue(orphan) ? "Orphan" : "Background";
	w->precond_uid = obj_str(pre, "uid", NULL);
	w->precond_rv = obj_str(pre, "resourceVersion", NULL);
	dr = cJSON_GetObjectItem(opts, "dryRun");
	w->dry_run = cJSON_IsArray(dr) && cJSON_IsString(dr->child) &&
		     strcmp(dr->child->valuestring, "All") == 0;
}

static enum MHD_Result delete_success(struct req *r, struct route *ro, const cJSON *last)
{
	cJSON *s = cJSON_CreateObject(), *d;
	const char *uid = obj_str(cJSON_GetObjectItem(last, "metadata"), "uid", NULL);

	cJSON_AddStringToObject(s, "kind", "Status");
	cJSON_AddStringToObject(s, "apiVersion", "v1");
	cJSON_AddObjectToObject(s, "metadata");
	cJSON_AddStringToObject(s, "status", "Success");
	d = cJSON_AddObjectToObject(s, "details");
	cJSON_AddStringToObject(d, "name", ro->name);
	if (*ro->rt->group)
		cJSON_AddStringToObject(d, "group", ro->rt->group);
	cJSON_AddStringToObject(d, "kind", ro->rt->resource);
	if (uid)
		cJSON_AddStringToObject(d, "uid", uid);
	return reply_json(r, 200, s);
}

static bool delete_target_exists(struct req *r, const struct route *ro)
{
	bool found;

	store_lock(r->st);
	found = store_get(r->st, ro->rt, ro->ns, ro->name) != NULL;
	store_unlock(r->st);
	return found;
}

static enum MHD_Result do_delete(struct req *r, struct route *ro)
{
	struct store_wopts w = {.grace_seconds = -1};
	struct kstatus e = {0};
	char manager[160];
	cJSON *opts = NULL, *out = NULL;
	enum MHD_Result ret;
	int rc;

	strcpy(r->verb, "DELETE");
	if (r->body.len)
		opts = cJSON_ParseWithLength(r->body.data, r->body.len);
	if (api_options_check(r, API_OPTS_DELETE, opts, &e) < 0) {
		cJSON_Delete(opts);
		/* BeforeDelete validates the options of an object that exists. */
		if (ro->name[0] && !delete_target_exists(r, ro)) {
			kstatus_dispose(&e);
			e = (struct kstatus){0};
			kstatus_not_found(&e, ro->rt, ro->name);
		}
		return reply_kstatus(r, &e);
	}
	api_manager(r, manager, sizeof(manager));
	w.manager = manager;
	delete_options(r, opts, &w);
	if (!ro->name[0]) {
		ret = api_delete_collection(r, ro, &w);
		cJSON_Delete(opts);
		return ret;
	}
	rc = store_delete(r->st, ro->rt, ro->ns, ro->name, &w, &out, &e);
	cJSON_Delete(opts);
	if (rc < 0)
		return reply_kstatus(r, &e);
	if (rc == 1) {
		api_view_obj(ro->view, out);
		return reply_json(r, 200, out);
	}
	ret = delete_success(r, ro, out);
	cJSON_Delete(out);
	return ret;
}

/* Namespace and name of each object the selectors pick, copied: deleting them one by
 * one changes the store under the list. Lock held. */
struct targets {
	char (*names)[256], (*nss)[256];
	size_t n;
};

static void collection_targets(struct req *r, struct route *ro, const struct selector *lsel,
			       const struct selector *fsel, struct targets *t)
{
	const cJSON **objs = NULL;
	size_t n = store_list(r->st, ro->rt, ro->ns[0] ? ro->ns : NULL, &objs);

	t->names = calloc(n + 1, sizeof(*t->names));
	t->nss = calloc(n + 1, sizeof(*t->nss));
	if (!t->names || !t->nss)
		abort();
	for (size_t i = 0; i < n; i++) {
		const cJSON *m = cJSON_GetObjectItem(objs[i], "metadata");

		if (!selector_match(lsel, objs[i]) || !selector_match(fsel, objs[i]))
			continue;
		snprintf(t->names[t->n], 256, "%s", obj_str(m, "name", NULL));
		snprintf(t->nss[t->n++], 256, "%s", obj_str(m, "namespace", NULL) ?: "");
	}
	free(objs);
}

/* Deletes each target, listing what each delete answered; a failed one is left out.
 * Lock held. */
static void collection_delete(struct req *r, struct route *ro, struct store_wopts *w,
			      const struct targets *t, struct sbuf *b)
{
	for (size_t i = 0; i < t->n; i++) {
		cJSON *out = NULL;
		char *s;

		if (store_delete(r->st, ro->rt, t->nss[i], t->names[i], w, &out, NULL) < 0)
			continue;
		api_view_obj(ro->view, out);
		s = cJSON_PrintUnformatted(out);
		if (b->data[b->len - 1] != '[')
			sbuf_add(b, ",", 1);
		sbuf_puts(b, s);
		free(s);
		cJSON_Delete(out);
	}
}

enum MHD_Result api_delete_collection(struct req *r, struct route *ro, struct store_wopts *w)
{
	struct selector *lsel, *fsel;
	struct targets t = {0};
	struct sbuf b = {0};
	char err[512];
	enum MHD_Result ret;

	strcpy(r->verb, "DELETECOLLECTION");
	if (api_selectors(r, ro->rt, &lsel, &fsel, err, sizeof(err)) < 0)
		return reply_error(r, 400, "BadRequest", "%s", err);
	store_lock(r->st);
	collection_targets(r, ro, lsel, fsel, &t);
	sbuf_printf(&b, "{\"kind\":\"%s\",\"apiVersion\":\"%s\",\"metadata\":{},\"items\":[",
		    ro->view->list_kind, ro->view->api_version);
	collection_delete(r, ro, w, &t, &b);
	store_unlock(r->st);
	sbuf_puts(&b, "]}");
	ret = reply_raw(r, 200, "application/json", b.data, b.len);
	sbuf_dispose(&b);
	free(t.names);
	free(t.nss);
	selector_free(lsel);
	selector_free(fsel);
	return ret;
}

/* ---- dispatch ----------------------------------------------------------------------- */

void api_name_resource(struct req *r)
{
	struct route ro;

	api_route(r, &ro);
}

/* GET: a watch, one object or a list. */
static enum MHD_Result do_read(struct req *r, struct route *ro)
{
	/* ?watch on one object is a plain GET: a single object is watched through the list
	 * with a metadata.name field selector, or the deprecated /watch/ path. */
	if (ro->watch || (!ro->name[0] && api_arg_true(r, "watch")))
		return api_watch_start(r, ro);
	return ro->name[0] ? do_get(r, ro) : do_list(r, ro);
}

static const struct {
	const char *method;
	enum MHD_Result (*handle)(struct req *r, struct route *ro);
} verbs[] = {{"GET", do_read},	     {"POST", do_create},  {"PUT", do_update},
	     {"PATCH", api_patch},   {"DELETE", do_delete}};

static enum MHD_Result not_allowed(struct req *r)
{
	strcpy(r->verb, r->method);
	return reply_error(r, 405, "MethodNotAllowed",
			   "the server does not allow this method on the requested resource");
}

enum MHD_Result api_handle(struct req *r)
{
	struct route ro;

	if (api_route(r, &ro) < 0) {
		strcpy(r->verb, strcmp(r->method, "GET") == 0 ? "GET" : r->method);
		return reply_error(r, 404, "NotFound",
				   "the server could not find the requested resource");
	}
	api_crd_warn_deprecated(r, ro.view);
	/* namespaces/finalize serves only PUT (its REST storage is an Updater alone). */
	if (strcmp(ro.sub, "finalize") == 0 && strcmp(r->method, "PUT") != 0)
		return not_allowed(r);
	if ((ro.watch && strcmp(r->method, "GET") != 0) || (ro.watch && ro.sub[0]))
		return not_allowed(r);
	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(r->method, verbs[i].method) == 0)
			return verbs[i].handle(r, &ro);
	return not_allowed(r);
}
