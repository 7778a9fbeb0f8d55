/*
 * discovery: which resource serves an apiVersion + kind, and whether it is namespaced
 * and has a status subresource. Asks for aggregated discovery (two requests for the
 * whole server); a server that answers the legacy format is asked lazily, one group
 * version at a time, for only the group versions we need. Entries handed out stay
 * valid for the client's life: a refresh retires the old table instead of freeing it.
 * The tables are shared by the clients of one cluster (shared.c) and used under their
 * mutex, held across a load so that clients asking at once load it once.
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define ACCEPT_DISCOVERY                                                                           \
	"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"                    \
	"application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"               \
	"application/json"

static void rtab_dispose(struct kube_rtab *t)
{
	for (size_t i = 0; i < t->n; i++) {
		free(t->items[i]->group);
		free(t->items[i]->version);
		free(t->items[i]->kind);
		free(t->items[i]->resource);
		free(t->items[i]);
	}
	free(t->items);
	memset(t, 0, sizeof(*t));
}

static int rtab_push(struct kube_rtab *t, struct kube_resource *r)
{
	if (array_reserve(&t->items, &t->cap, t->n + 1, sizeof(*t->items)) < 0)
		return TE_NOMEM;
	t->items[t->n++] = r;
	return 0;
}

static int rtab_add(struct kube_rtab *t, const char *group, const char *version, const char *kind,
		    const char *resource, bool namespaced, bool has_status)
{
	struct kube_resource *r = calloc(1, sizeof(*r));

	if (!r)
		return TE_NOMEM;
	r->group = strdup(group);
	r->version = strdup(version);
	r->kind = strdup(kind);
	r->resource = strdup(resource);
	r->namespaced = namespaced;
	r->has_status = has_status;
	if (!r->group || !r->version || !r->kind || !r->resource || rtab_push(t, r) < 0) {
		struct kube_rtab one = {.items = &r, .n = 1};

		rtab_dispose(&one);
		return TE_NOMEM;
	}
	return 0;
}

void kube_discovery_dispose(struct kube_shared *sh)
{
	rtab_dispose(&sh->res);
	rtab_dispose(&sh->retired);
}

/* Drops the current table (kept alive in retired) but remembers the misses (disc_mu
 * held). */
static void disc_retire(struct kube_shared *sh)
{
	for (size_t i = 0; i < sh->res.n; i++)
		rtab_push(&sh->retired, sh->res.items[i]);
	free(sh->res.items);
	memset(&sh->res, 0, sizeof(sh->res));
	sh->disc_loaded = false;
	sh->disc_aggregated = false;
	strlist_dispose(&sh->legacy_gvs);
}

void kube_invalidate_discovery(struct kube *k)
{
	pthread_mutex_lock(&k->sh->disc_mu);
	disc_retire(k->sh);
	strlist_dispose(&k->sh->misses);
	pthread_mutex_unlock(&k->sh->disc_mu);
}

void kube_discovery_expire(struct kube *k, int64_t max_age_ms)
{
	struct kube_shared *sh = k->sh;

	pthread_mutex_lock(&sh->disc_mu);
	if (sh->disc_loaded && now_ms() - sh->disc_at > max_age_ms)
		disc_retire(sh);
	strlist_dispose(&sh->misses);
	pthread_mutex_unlock(&sh->disc_mu);
}

/* Content-Type "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList",
 * parameters in any order, spaces allowed. */
static bool is_aggregated(const char *ct)
{
	bool g = false, v = false, as = false;
	char *copy, *save = NULL, *p;

	if (!ct || strncmp(ct, "application/json", 16) != 0)
		return false;
	if (!(copy = strdup(ct + 16)))
		return false;
	for (p = strtok_r(copy, ";", &save); p; p = strtok_r(NULL, ";", &save)) {
		while (*p == ' ')
			p++;
		g = g || !strcmp(p, "g=apidiscovery.k8s.io");
		v = v || !strcmp(p, "v=v2") || !strcmp(p, "v=v2beta1");
		as = as || !strcmp(p, "as=APIGroupDiscoveryList");
	}
	free(copy);
	return g && v && as;
}

static bool has_subresource(const cJSON *res, const char *name)
{
	const cJSON *s;

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(res, "subresources"))
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(s, "subresource");

		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return true;
	}
	return false;
}

static int agg_version(struct kube *k, const char *group, const cJSON *ver)
{
	const cJSON *vname = cJSON_GetObjectItemCaseSensitive(ver, "version");
	const cJSON *fresh = cJSON_GetObjectItemCaseSensitive(ver, "freshness"), *res;

	if (!cJSON_IsString(vname) ||
	    (cJSON_IsString(fresh) && !strcmp(fresh->valuestring, "Stale")))
		return 0;
	cJSON_ArrayForEach(res, cJSON_GetObjectItemCaseSensitive(ver, "resources"))
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(res, "resource");
		const cJSON *scope = cJSON_GetObjectItemCaseSensitive(res, "scope");
		const cJSON *rk = cJSON_GetObjectItemCaseSensitive(res, "responseKind");
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(rk, "kind");

		if (!cJSON_IsString(name) || !cJSON_IsString(kind) || !*kind->valuestring)
			continue; /* no responseKind: client-go drops the resource too */
		if (rtab_add(&k->sh->res, group, vname->valuestring, kind->valuestring,
			     name->valuestring,
			     cJSON_IsString(scope) && !strcmp(scope->valuestring, "Namespaced"),
			     has_subresource(res, "status")) < 0)
			return TE_NOMEM;
	}
	return 0;
}

static int agg_parse(struct kube *k, const cJSON *list)
{
	const cJSON *it, *ver;
	int rc;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		const cJSON *md = cJSON_GetObjectItemCaseSensitive(it, "metadata");
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(md, "name");
		const char *group = cJSON_IsString(name) ? name->valuestring : "";

		cJSON_ArrayForEach(ver, cJSON_GetObjectItemCaseSensitive(
					    it, "versions")) if ((rc = agg_version(k, group, ver)) <
								 0) return rc;
	}
	return 0;
}

static int req_error(const struct kube_req *r, struct err *e)
{
	int code = kube_req_code(r);

	if (r->err.msg[0])
		return err_set(e, code, "discovery: %s", r->err.msg);
	return err_set(e, code, "discovery: GET %s failed (%ld)", r->path, r->status);
}

/* The resources of /api (absent: 404) and /apis, when both are aggregated. */
static int disc_take(struct kube *k, const struct kube_req *api, const struct kube_req *apis)
{
	int rc = 0;

	k->sh->disc_aggregated = is_aggregated(apis->resp_type) &&
			     (api->status == 404 || is_aggregated(api->resp_type));
	if (!k->sh->disc_aggregated)
		return 0;
	if (api->status == 200)
		rc = agg_parse(k, api->resp);
	return rc < 0 ? rc : agg_parse(k, apis->resp);
}

/* GET /api and /apis; uses their resources only when both came back aggregated. */
static int disc_load(struct kube *k, struct err *e)
{
	struct kube_req api = {.method = "GET", .accept = ACCEPT_DISCOVERY};
	struct kube_req apis = {.method = "GET", .accept = ACCEPT_DISCOVERY};
	struct kube_req *both[] = {&api, &apis};
	int rc = 0;

	api.path = strdup("/api");
	apis.path = strdup("/apis");
	if (!api.path || !apis.path) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	kube_run(k, both, 2, NULL, NULL);
	if (apis.status != 200 || (api.status != 200 && api.status != 404)) {
		rc = req_error(apis.status != 200 ? &apis : &api, e);
		goto out;
	}
	if ((rc = disc_take(k, &api, &apis)) < 0) {
		rc = err_set(e, rc, "discovery: out of memory");
		goto out;
	}
	k->sh->disc_loaded = true;
	k->sh->disc_at = now_ms();
out:
	kube_req_dispose(&api);
	kube_req_dispose(&apis);
	return rc;
}

static bool legacy_has(const cJSON *resources, const char *name)
{
	const cJSON *r;

	cJSON_ArrayForEach(r, resources)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "name");

		if (cJSON_IsString(n) && !strcmp(n->valuestring, name))
			return true;
	}
	return false;
}

/* GET /api/v1 or /apis/GROUP/VERSION (legacy discovery of one group version). */
static int legacy_load(struct kube *k, const char *group, const char *version, struct err *e)
{
	struct kube_req r = {.method = "GET"};
	struct kube_req *one = &r;
	const cJSON *res, *it;
	char sub[600];
	int rc = 0;

	r.path = *group ? xasprintf("/apis/%s/%s", group, version) : xasprintf("/api/%s", version);
	if (!r.path || strlist_add_owned(&k->sh->legacy_gvs, xasprintf("%s/%s", group, version)) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	kube_run(k, &one, 1, NULL, NULL);
	if (r.status == 404)
		goto out; /* group version not served */
	if (r.status != 200) {
		rc = req_error(&r, e);
		goto out;
	}
	res = cJSON_GetObjectItemCaseSensitive(r.resp, "resources");
	cJSON_ArrayForEach(it, res)
	{
		const cJSON *name = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *kind = cJSON_GetObjectItemCaseSensitive(it, "kind");
		const cJSON *ns = cJSON_GetObjectItemCaseSensitive(it, "namespaced");

		if (!cJSON_IsString(name) || !cJSON_IsString(kind) ||
		    strchr(name->valuestring, '/'))
			continue;
		snprintf(sub, sizeof(sub), "%s/status", name->valuestring);
		if (rtab_add(&k->sh->res, group, version, kind->valuestring, name->valuestring,
			     cJSON_IsTrue(ns), legacy_has(res, sub)) < 0) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
	}
out:
	kube_req_dispose(&r);
	return rc;
}

static const struct kube_resource *lookup(const struct kube *k, const char *group,
					  const char *version, const char *kind)
{
	for (size_t i = 0; i < k->sh->res.n; i++) {
		const struct kube_resource *r = k->sh->res.items[i];

		if (!strcmp(r->kind, kind) && !strcmp(r->version, version) &&
		    !strcmp(r->group, group))
			return r;
	}
	return NULL;
}

static int find(struct kube *k, const char *group, const char *version, const char *kind,
		const struct kube_resource **out, struct err *e)
{
	char gv[512];
	int rc;

	if (!k->sh->disc_loaded && (rc = disc_load(k, e)) < 0)
		return rc;
	if ((*out = lookup(k, group, version, kind)))
		return 0;
	snprintf(gv, sizeof(gv), "%s/%s", group, version);
	if (!k->sh->disc_aggregated && !strlist_contains(&k->sh->legacy_gvs, gv)) {
		if ((rc = legacy_load(k, group, version, e)) < 0)
			return rc;
		*out = lookup(k, group, version, kind);
	}
	return 0;
}

static int resolve(struct kube *k, const char *api_version, const char *kind,
		 const struct kube_resource **out, struct err *e)
{
	const char *slash = strchr(api_version, '/');
	char group[256] = "", version[256], miss[600];
	int rc;

	*out = NULL;
	if (slash && (size_t)(slash - api_version) < sizeof(group))
		snprintf(group, sizeof(group), "%.*s", (int)(slash - api_version), api_version);
	snprintf(version, sizeof(version), "%s", slash ? slash + 1 : api_version);
	if ((rc = find(k, group, version, kind, out, e)) < 0 || *out)
		return rc;
	snprintf(miss, sizeof(miss), "%s %s", api_version, kind);
	if (!strlist_contains(&k->sh->misses, miss)) {
		/* maybe a CRD created since we looked: refresh once */
		disc_retire(k->sh);
		if ((rc = find(k, group, version, kind, out, e)) < 0 || *out)
			return rc;
		strlist_add(&k->sh->misses, miss);
	}
	return err_set(e, TE_NOTFOUND, "no matches for kind \"%s\" in version \"%s\"", kind,
		       api_version);
}

int kube_resolve(struct kube *k, const char *api_version, const char *kind,
		 const struct kube_resource **out, struct err *e)
{
	int rc;

	pthread_mutex_lock(&k->sh->disc_mu);
	rc = resolve(k, api_version, kind, out, e);
	pthread_mutex_unlock(&k->sh->disc_mu);
	return rc;
}
