/*
 * api_crd: custom resources read and written at any served version of their CRD. The
 * store keeps each object once, at the version its type stores (store_crd.c); with
 * conversion strategy None the real server converts by rewriting apiVersion alone, so
 * that is all a view does to what it answers; the version's schema prunes and defaults
 * what is read as well as what is written (objects stored before the schema changed
 * show it as the server's storage codec would).
 * Objects that need neither keep their cached serialisation.
 *
 * Writes: the body is pruned, defaulted and validated against the schema of the
 * request's version, before the store's own rules.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "crd_schema.h"
#include "field_err.h"
#include "store_int.h"

static bool needs_rewrite(const struct restype *view, const cJSON *obj)
{
	const char *av;

	if (!view || (!view->custom && !view->to_view))
		return false;
	av = obj_str(obj, "apiVersion", NULL);
	return !av || strcmp(av, view->api_version) != 0;
}

void api_view_obj(const struct restype *view, cJSON *obj)
{
	if (!cJSON_IsObject(obj) || !needs_rewrite(view, obj))
		return;
	if (view->to_view)
		view->to_view(obj);
	else
		obj_set_str(obj, "apiVersion", view->api_version);
}

void api_home_obj(const struct restype *view, cJSON *obj)
{
	const char *av = obj_str(obj, "apiVersion", NULL);

	if (view && view->to_home && cJSON_IsObject(obj) &&
	    (!av || strcmp(av, view->api_version) == 0))
		view->to_home(obj);
}

cJSON *api_view_copy(const struct restype *view, const cJSON *live)
{
	cJSON *copy;

	if (!live || !view || !view->to_view)
		return NULL;
	if (!(copy = cJSON_Duplicate(live, true)))
		abort();
	api_view_obj(view, copy);
	return copy;
}

const char *api_view_json(const struct restype *view, struct sobj *so, size_t *len, char **owned)
{
	cJSON *copy;

	*owned = NULL;
	if (view->custom &&
	    (crd_schema_has_defaults(view->schema) || ((const struct rtype *)view)->read_prune)) {
		int changed;

		if (!(copy = cJSON_Duplicate(so->obj, true)))
			abort();
		changed = ((const struct rtype *)view)->read_prune
			      ? crd_schema_prune(view->schema, copy, NULL)
			      : 0;
		changed += crd_schema_default(view->schema, copy);
		if (!changed && !needs_rewrite(view, so->obj)) {
			cJSON_Delete(copy);
			return sobj_json(so, len);
		}
	} else if (!needs_rewrite(view, so->obj))
		return sobj_json(so, len);
	else if (!(copy = cJSON_Duplicate(so->obj, true)))
		abort();
	api_view_obj(view, copy);
	*owned = cJSON_PrintUnformatted(copy);
	cJSON_Delete(copy);
	if (!*owned)
		abort();
	*len = strlen(*owned);
	return *owned;
}

/* A Warning header "299 - <text quoted>" (RFC 7234 warn-text: inner quotes escaped). */
static void add_warning(struct req *r, const char *text, size_t n)
{
	char hdr[1200];
	size_t k = (size_t)snprintf(hdr, sizeof(hdr), "299 - \"");

	for (size_t i = 0; i < n && text[i] && k + 4 < sizeof(hdr); i++) {
		if (text[i] == '"' || text[i] == '\\')
			hdr[k++] = '\\';
		hdr[k++] = text[i];
	}
	snprintf(hdr + k, sizeof(hdr) - k, "\"");
	reply_add_header(r, "Warning", hdr);
}

void api_crd_warn_deprecated(struct req *r, const struct restype *view)
{
	char text[400];

	if (store_crd_deprecation(r->st, view, text, sizeof(text)))
		add_warning(r, text, strlen(text));
}

/* One Warning header per pruned field (unknown is "unknown field \"a\", unknown ..."). */
static void warn_unknown(struct req *r, const char *unknown)
{
	const char *p = unknown;

	while (p && *p) {
		const char *end = strstr(p, ", unknown field ");

		add_warning(r, p, end ? (size_t)(end - p) : strlen(p));
		p = end ? end + 2 : NULL;
	}
}

/* Pruning reports per fieldValidation (default Warn): Strict fails the write. */
static int prune_report(struct req *r, const struct route *ro, const cJSON *obj, bool patched,
			const char *unknown, struct kstatus *e)
{
	const char *mode = req_arg(r, "fieldValidation");
	char why[1200];

	if (mode && strcmp(mode, "Ignore") == 0)
		return 0;
	if (mode && strcmp(mode, "Strict") == 0) {
		snprintf(why, sizeof(why), "strict decoding error: %s", unknown);
		return api_decode_fail(ro->view, patched ? obj : NULL, why, e);
	}
	warn_unknown(r, unknown);
	return 0;
}

int api_crd_admit(struct req *r, const struct route *ro, cJSON *obj, const cJSON *old, bool patched,
		  struct kstatus *e)
{
	const struct crd_schema *cs = ro->view->custom ? ro->view->schema : NULL;
	char *unknown = NULL;
	struct field_errs v;
	int rc = 0;

	if (!cs)
		return 0;
	if (crd_schema_prune(cs, obj, &unknown) > 0)
		rc = prune_report(r, ro, obj, patched, unknown, e);
	free(unknown);
	if (rc < 0)
		return rc;
	crd_schema_default(cs, obj);
	field_errs_init(&v);
	crd_schema_validate(cs, obj, old, &v);
	if (v.n)
		return field_errs_invalid(
		    &v, ro->rt->group, ro->rt->kind,
		    obj_str(cJSON_GetObjectItem(obj, "metadata"), "name", NULL) ?: ro->name, e);
	field_errs_dispose(&v);
	return 0;
}

int api_crd_admit_update(struct req *r, const struct route *ro, cJSON *obj, struct kstatus *e)
{
	int rc;

	if (!ro->view->custom || !ro->view->schema)
		return 0;
	store_lock(r->st);
	rc = api_crd_admit(r, ro, obj, store_get(r->st, ro->rt, ro->ns, ro->name), false, e);
	store_unlock(r->st);
	return rc;
}

int api_crd_apply_check(const struct route *ro, const cJSON *config, struct kstatus *e)
{
	const cJSON *m = cJSON_GetObjectItem(config, "metadata");
	char why[1200];

	if (!ro->view->custom || crd_schema_apply_ok(ro->view->schema, config, why, sizeof(why)))
		return 0;
	/* as api_apply_schema_check: a plain error, 500 with no reason */
	return kstatus_set(e, 500, "",
			   "failed to create typed patch object (%s/%s; %s/%s, Kind=%s): %s",
			   obj_str(m, "namespace", NULL) ?: "", obj_str(m, "name", NULL) ?: "",
			   ro->view->group, ro->view->version, ro->view->kind, why);
}

/* ---- the scale subresource at the CRD's paths (".spec.replicas") ----------------------- */

bool api_crd_scale_paths(const struct restype *view, const char **spec, const char **status,
			 const char **selector)
{
	const struct rtype *rt = (const struct rtype *)view;

	if (!view->custom || !rt->scale[0])
		return false;
	*spec = rt->scale[0];
	*status = rt->scale[1] ? rt->scale[1] : "";
	*selector = rt->scale[2];
	return true;
}

/* The next segment of a simple JSON path (".a.b"): its length, from *p on. */
static size_t path_segment(const char **p)
{
	if (**p == '.')
		(*p)++;
	return strcspn(*p, ".");
}

const cJSON *api_crd_path_get(const cJSON *obj, const char *path)
{
	const char *p = path;

	while (obj && p && *p) {
		size_t n = path_segment(&p);
		char key[128];

		if (!n || n >= sizeof(key))
			return NULL;
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		obj = cJSON_GetObjectItemCaseSensitive(obj, key);
		p += n;
	}
	return obj;
}

void api_crd_path_set(cJSON *obj, const char *path, double v)
{
	const char *p = path;

	while (obj && *p) {
		size_t n = path_segment(&p);
		char key[128];

		if (!n || n >= sizeof(key))
			return;
		snprintf(key, sizeof(key), "%.*s", (int)n, p);
		p += n;
		if (!*p) {
			cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
			cJSON_AddNumberToObject(obj, key, v);
			return;
		}
		obj = obj_child(obj, key);
	}
}
