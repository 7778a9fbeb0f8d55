/*
 * discovery: /version, legacy and aggregated (v2) discovery and the OpenAPI v3 stub of
 * the semantics spec §1.1, §2. Documents are built from the store's type table on each
 * request, so custom resources appear as soon as their CRD exists.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "reply.h"

static const char version_json[] =
	"{\"major\":\"1\",\"minor\":\"32\",\"gitVersion\":\"v1.32.4\","
	"\"gitCommit\":\"0000000000000000000000000000000000000000\",\"gitTreeState\":\"clean\","
	"\"buildDate\":\"2025-04-22T00:00:00Z\",\"goVersion\":\"go1.23.6\",\"compiler\":\"gc\","
	"\"platform\":\"linux/amd64\"}";

static const char *verbs_main[] = {"create", "delete", "deletecollection", "get", "list",
				    "patch", "update", "watch"};
static const char *verbs_sub[] = {"get", "patch", "update"};

static cJSON *strings(const char **v, int n)
{
	return cJSON_CreateStringArray(v, n);
}

static cJSON *split_list(const char *csv)
{
	cJSON *a = cJSON_CreateArray();
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", csv ? csv : "");
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
		cJSON_AddItemToArray(a, cJSON_CreateString(tok));
	return a;
}

/* The review kinds (review.c) are served but never stored, so they are not in the
 * store's type table: their groups and resources are added here. */
static int review_groups(const char **out, int k, int max)
{
	const struct review_type *rv;
	size_t n = review_types(&rv);
	int j;

	for (size_t i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (strcmp(out[j], rv[i].group) == 0)
				break;
		if (j == k && k < max)
			out[k++] = rv[i].group;
	}
	return k;
}

static cJSON *review_resource(const struct review_type *rv, bool aggregated)
{
	static const char *create[] = {"create"};
	cJSON *r = cJSON_CreateObject();
	char singular[64];
	size_t i;

	for (i = 0; rv->kind[i] && i + 1 < sizeof(singular); i++)
		singular[i] = (char)(rv->kind[i] >= 'A' && rv->kind[i] <= 'Z' ? rv->kind[i] + 32
									   : rv->kind[i]);
	singular[i] = '\0';
	cJSON_AddStringToObject(r, aggregated ? "resource" : "name", rv->resource);
	if (aggregated) {
		cJSON *rk = cJSON_AddObjectToObject(r, "responseKind");

		cJSON_AddStringToObject(rk, "group", "");
		cJSON_AddStringToObject(rk, "version", "");
		cJSON_AddStringToObject(rk, "kind", rv->kind);
		cJSON_AddStringToObject(r, "scope", rv->namespaced ? "Namespaced" : "Cluster");
		cJSON_AddStringToObject(r, "singularResource", singular);
	} else {
		cJSON_AddStringToObject(r, "singularName", singular);
		cJSON_AddBoolToObject(r, "namespaced", rv->namespaced);
		cJSON_AddStringToObject(r, "kind", rv->kind);
	}
	cJSON_AddItemToObject(r, "verbs", strings(create, 1));
	return r;
}

static void add_review_resources(cJSON *arr, const char *group, const char *version,
				 bool aggregated)
{
	const struct review_type *rv;
	size_t n = review_types(&rv);

	if (strcmp(version, "v1") != 0)
		return;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rv[i].group, group) == 0)
			cJSON_AddItemToArray(arr, review_resource(&rv[i], aggregated));
}

/* Distinct group names in table order ("" first when present), then the review groups. */
static int groups_of(const struct restype *const *t, size_t n, const char **out, int max)
{
	int k = 0, j;
	size_t i;

	for (i = 0; i < n; i++) {
		for (j = 0; j < k; j++)
			if (strcmp(out[j], t[i]->group) == 0)
				break;
		if (j == k && k < max)
			out[k++] = t[i]->group;
	}
	return review_groups(out, k, max);
}

#define MAX_GROUP_VERSIONS 8

/* Kubernetes version priority (apimachinery version.CompareKubeAwareVersionStrings):
 * GA before beta before alpha, higher numbers first, other strings last by name. */
static int version_key(const char *v, int *major, int *minor)
{
	char kind[8] = "";
	int used = 0;

	*major = *minor = 0;
	if (sscanf(v, "v%d%n", major, &used) != 1 || *major <= 0)
		return 0;
	if (!v[used])
		return 3;
	if (sscanf(v + used, "%5[a-z]%d", kind, minor) != 2 || *minor <= 0)
		return 0;
	return strcmp(kind, "beta") == 0 ? 2 : strcmp(kind, "alpha") == 0 ? 1 : 0;
}

static int version_cmp(const void *a, const void *b)
{
	const char *va = *(const char *const *)a, *vb = *(const char *const *)b;
	int ma, na, mb, nb;
	int ka = version_key(va, &ma, &na), kb = version_key(vb, &mb, &nb);

	if (ka != kb)
		return kb - ka;
	if (!ka)
		return strcmp(va, vb);
	if (ma != mb)
		return mb - ma;
	return nb - na;
}

/* The served versions of group g, the preferred first; "v1" for a review group. */
static int group_versions(const struct restype *const *t, size_t n, const char *g,
			  const char **out)
{
	int k = 0, j;

	for (size_t i = 0; i < n; i++) {
		if (strcmp(t[i]->group, g) != 0)
			continue;
		for (j = 0; j < k && strcmp(out[j], t[i]->version) != 0; j++)
			;
		if (j == k && k < MAX_GROUP_VERSIONS)
			out[k++] = t[i]->version;
	}
	if (!k)
		out[k++] = "v1"; /* a review group (groups_of) */
	qsort(out, (size_t)k, sizeof(*out), version_cmp);
	return k;
}

static void add_legacy_resource(cJSON *arr, const struct restype *t)
{
	cJSON *r = cJSON_CreateObject();

	cJSON_AddStringToObject(r, "name", t->resource);
	cJSON_AddStringToObject(r, "singularName", t->singular);
	cJSON_AddBoolToObject(r, "namespaced", t->namespaced);
	cJSON_AddStringToObject(r, "kind", t->kind);
	cJSON_AddItemToObject(r, "verbs", strings(verbs_main, 8));
	if (t->short_names && *t->short_names)
		cJSON_AddItemToObject(r, "shortNames", split_list(t->short_names));
	if (t->categories && *t->categories)
		cJSON_AddItemToObject(r, "categories", split_list(t->categories));
	cJSON_AddItemToArray(arr, r);
	if (t->has_scale) {
		char name[160];

		r = cJSON_CreateObject();
		snprintf(name, sizeof(name), "%s/scale", t->resource);
		cJSON_AddStringToObject(r, "name", name);
		cJSON_AddStringToObject(r, "singularName", "");
		cJSON_AddBoolToObject(r, "namespaced", t->namespaced);
		cJSON_AddStringToObject(r, "group", "autoscaling");
		cJSON_AddStringToObject(r, "version", "v1");
		cJSON_AddStringToObject(r, "kind", "Scale");
		cJSON_AddItemToObject(r, "verbs", strings(verbs_sub, 3));
		cJSON_AddItemToArray(arr, r);
	}
	if (t->has_status) {
		char name[160];

		r = cJSON_CreateObject();
		snprintf(name, sizeof(name), "%s/status", t->resource);
		cJSON_AddStringToObject(r, "name", name);
		cJSON_AddStringToObject(r, "singularName", "");
		cJSON_AddBoolToObject(r, "namespaced", t->namespaced);
		cJSON_AddStringToObject(r, "kind", t->kind);
		cJSON_AddItemToObject(r, "verbs", strings(verbs_sub, 3));
		cJSON_AddItemToArray(arr, r);
	}
}

static cJSON *resource_list(struct store *st, const char *group, const char *version)
{
	const struct restype *const *t;
	cJSON *doc = cJSON_CreateObject(), *arr;
	char gv[160];
	size_t i, n;

	snprintf(gv, sizeof(gv), "%s%s%s", group, *group ? "/" : "", version);
	cJSON_AddStringToObject(doc, "kind", "APIResourceList");
	if (*group)
		cJSON_AddStringToObject(doc, "apiVersion", "v1");
	cJSON_AddStringToObject(doc, "groupVersion", gv);
	arr = cJSON_AddArrayToObject(doc, "resources");
	store_lock(st);
	n = store_types_visible(st, &t);
	for (i = 0; i < n; i++)
		if (strcmp(t[i]->group, group) == 0 && strcmp(t[i]->version, version) == 0)
			add_legacy_resource(arr, t[i]);
	store_unlock(st);
	add_review_resources(arr, group, version, false);
	if (cJSON_GetArraySize(arr) == 0) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

static cJSON *group_version_doc(const char *g, const char *v)
{
	cJSON *gvo = cJSON_CreateObject();
	char gv[160];

	snprintf(gv, sizeof(gv), "%s/%s", g, v);
	cJSON_AddStringToObject(gvo, "groupVersion", gv);
	cJSON_AddStringToObject(gvo, "version", v);
	return gvo;
}

static cJSON *group_doc(const struct restype *const *t, size_t n, const char *g)
{
	cJSON *grp = cJSON_CreateObject(), *vers;
	const char *v[MAX_GROUP_VERSIONS];
	int k = group_versions(t, n, g, v);

	cJSON_AddStringToObject(grp, "name", g);
	vers = cJSON_AddArrayToObject(grp, "versions");
	for (int i = 0; i < k; i++)
		cJSON_AddItemToArray(vers, group_version_doc(g, v[i]));
	cJSON_AddItemToObject(grp, "preferredVersion", group_version_doc(g, v[0]));
	return grp;
}

static cJSON *group_list(struct store *st, const char *only)
{
	const struct restype *const *t;
	const char *groups[128];
	cJSON *doc = NULL, *arr;
	size_t n;
	int k, i;

	store_lock(st);
	n = store_types_visible(st, &t);
	k = groups_of(t, n, groups, 128);
	if (only) {
		for (i = 0; i < k; i++)
			if (*groups[i] && strcmp(groups[i], only) == 0) {
				doc = group_doc(t, n, groups[i]);
				cJSON_AddStringToObject(doc, "kind", "APIGroup");
				cJSON_AddStringToObject(doc, "apiVersion", "v1");
			}
		store_unlock(st);
		return doc;
	}
	doc = cJSON_CreateObject();
	cJSON_AddStringToObject(doc, "kind", "APIGroupList");
	cJSON_AddStringToObject(doc, "apiVersion", "v1");
	arr = cJSON_AddArrayToObject(doc, "groups");
	for (i = 0; i < k; i++)
		if (*groups[i])
			cJSON_AddItemToArray(arr, group_doc(t, n, groups[i]));
	store_unlock(st);
	return doc;
}

static cJSON *response_kind(const char *g, const char *v, const char *kind)
{
	cJSON *rk = cJSON_CreateObject();

	cJSON_AddStringToObject(rk, "group", g);
	cJSON_AddStringToObject(rk, "version", v);
	cJSON_AddStringToObject(rk, "kind", kind);
	return rk;
}

static cJSON *aggregated_resource(const struct restype *t)
{
	cJSON *r = cJSON_CreateObject(), *subs, *s;

	cJSON_AddStringToObject(r, "resource", t->resource);
	cJSON_AddItemToObject(r, "responseKind", response_kind("", "", t->kind));
	cJSON_AddStringToObject(r, "scope", t->namespaced ? "Namespaced" : "Cluster");
	cJSON_AddStringToObject(r, "singularResource", t->singular);
	cJSON_AddItemToObject(r, "verbs", strings(verbs_main, 8));
	if (t->short_names && *t->short_names)
		cJSON_AddItemToObject(r, "shortNames", split_list(t->short_names));
	if (t->categories && *t->categories)
		cJSON_AddItemToObject(r, "categories", split_list(t->categories));
	if (!t->has_status && !t->has_scale)
		return r;
	subs = cJSON_AddArrayToObject(r, "subresources");
	if (t->has_scale) {
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "subresource", "scale");
		cJSON_AddItemToObject(s, "responseKind", response_kind("autoscaling", "v1", "Scale"));
		cJSON_AddItemToObject(s, "verbs", strings(verbs_sub, 3));
		cJSON_AddItemToArray(subs, s);
	}
	if (t->has_status) {
		s = cJSON_CreateObject();
		cJSON_AddStringToObject(s, "subresource", "status");
		cJSON_AddItemToObject(s, "responseKind", response_kind("", "", t->kind));
		cJSON_AddItemToObject(s, "verbs", strings(verbs_sub, 3));
		cJSON_AddItemToArray(subs, s);
	}
	return r;
}

/* One APIVersionDiscovery per served version of group g, the preferred first. */
static void add_aggregated_versions(cJSON *vers, const struct restype *const *t, size_t n,
				    const char *g)
{
	const char *v[MAX_GROUP_VERSIONS];
	int k = group_versions(t, n, g, v);

	for (int i = 0; i < k; i++) {
		cJSON *ver = cJSON_CreateObject(), *res;

		cJSON_AddStringToObject(ver, "version", v[i]);
		res = cJSON_AddArrayToObject(ver, "resources");
		for (size_t j = 0; j < n; j++)
			if (strcmp(t[j]->group, g) == 0 && strcmp(t[j]->version, v[i]) == 0)
				cJSON_AddItemToArray(res, aggregated_resource(t[j]));
		add_review_resources(res, g, v[i], true);
		cJSON_AddStringToObject(ver, "freshness", "Current");
		cJSON_AddItemToArray(vers, ver);
	}
}

/* APIGroupDiscoveryList for the core group (core=true) or all named groups. */
static cJSON *aggregated(struct store *st, bool core)
{
	const struct restype *const *t;
	const char *groups[128];
	cJSON *doc = cJSON_CreateObject(), *items;
	size_t n;
	int k, i;

	cJSON_AddStringToObject(doc, "kind", "APIGroupDiscoveryList");
	cJSON_AddStringToObject(doc, "apiVersion", "apidiscovery.k8s.io/v2");
	cJSON_AddObjectToObject(doc, "metadata");
	items = cJSON_AddArrayToObject(doc, "items");
	store_lock(st);
	n = store_types_visible(st, &t);
	k = groups_of(t, n, groups, 128);
	for (i = 0; i < k; i++) {
		cJSON *item, *md, *vers;

		if ((*groups[i] == '\0') != core)
			continue;
		item = cJSON_CreateObject();
		md = cJSON_AddObjectToObject(item, "metadata");
		if (*groups[i])
			cJSON_AddStringToObject(md, "name", groups[i]);
		vers = cJSON_AddArrayToObject(item, "versions");
		add_aggregated_versions(vers, t, n, groups[i]);
		cJSON_AddItemToArray(items, item);
	}
	store_unlock(st);
	return doc;
}

static bool wants_aggregated(struct req *r)
{
	const char *a = req_header(r, "Accept");

	return a && strstr(a, "as=APIGroupDiscoveryList") && strstr(a, "v=v2;") &&
	       strstr(a, "g=apidiscovery.k8s.io");
}

/* ---- OpenAPI v3 stub (§2.4) ------------------------------------------------------ */

static unsigned types_hash(struct store *st)
{
	const struct restype *const *t;
	unsigned h = 2166136261u;
	size_t n, i;

	store_lock(st);
	n = store_types_visible(st, &t);
	for (i = 0; i < n; i++)
		for (const char *p = t[i]->resource; *p; p++)
			h = (h ^ (unsigned char)*p) * 16777619u;
	store_unlock(st);
	return h;
}

static cJSON *openapi_root(struct store *st)
{
	const struct restype *const *t;
	cJSON *doc = cJSON_CreateObject(), *paths = cJSON_AddObjectToObject(doc, "paths");
	unsigned h = types_hash(st);
	size_t n, i;

	store_lock(st);
	n = store_types_visible(st, &t);
	for (i = 0; i < n; i++) {
		char key[200], url[260];
		cJSON *p;

		if (*t[i]->group)
			snprintf(key, sizeof(key), "apis/%s/%s", t[i]->group, t[i]->version);
		else
			snprintf(key, sizeof(key), "api/%s", t[i]->version);
		if (cJSON_GetObjectItemCaseSensitive(paths, key))
			continue;
		snprintf(url, sizeof(url), "/openapi/v3/%s?hash=%08X", key, h);
		p = cJSON_AddObjectToObject(paths, key);
		cJSON_AddStringToObject(p, "serverRelativeURL", url);
	}
	store_unlock(st);
	return doc;
}

static cJSON *openapi_gv(struct store *st, const char *group, const char *version)
{
	const struct restype *const *t;
	cJSON *doc = cJSON_CreateObject(), *info, *paths;
	size_t n, i;
	int found = 0;

	cJSON_AddStringToObject(doc, "openapi", "3.0.0");
	info = cJSON_AddObjectToObject(doc, "info");
	cJSON_AddStringToObject(info, "title", "Kubernetes");
	cJSON_AddStringToObject(info, "version", "v1.32.4");
	paths = cJSON_AddObjectToObject(doc, "paths");
	store_lock(st);
	n = store_types_visible(st, &t);
	for (i = 0; i < n; i++) {
		char path[400], prefix[200];
		cJSON *op, *gvk, *params, *param, *schema;

		if (strcmp(t[i]->group, group) != 0 || strcmp(t[i]->version, version) != 0)
			continue;
		found++;
		if (*group)
			snprintf(prefix, sizeof(prefix), "/apis/%s/%s", group, version);
		else
			snprintf(prefix, sizeof(prefix), "/api/%s", version);
		snprintf(path, sizeof(path), "%s/%s%s/{name}", prefix,
			 t[i]->namespaced ? "namespaces/{namespace}/" : "", t[i]->resource);
		op = cJSON_AddObjectToObject(cJSON_AddObjectToObject(paths, path), "patch");
		gvk = cJSON_AddObjectToObject(op, "x-kubernetes-group-version-kind");
		cJSON_AddStringToObject(gvk, "group", group);
		cJSON_AddStringToObject(gvk, "version", version);
		cJSON_AddStringToObject(gvk, "kind", t[i]->kind);
		params = cJSON_AddArrayToObject(op, "parameters");
		param = cJSON_CreateObject();
		cJSON_AddStringToObject(param, "name", "fieldValidation");
		cJSON_AddStringToObject(param, "in", "query");
		schema = cJSON_AddObjectToObject(param, "schema");
		cJSON_AddStringToObject(schema, "type", "string");
		cJSON_AddItemToArray(params, param);
		cJSON_AddObjectToObject(op, "responses");
	}
	store_unlock(st);
	if (!found) {
		cJSON_Delete(doc);
		return NULL;
	}
	return doc;
}

/* Splits "/a/b/c" into at most max segments (in buf); returns the count. */
static int split_path(const char *url, char *buf, size_t buflen, char **seg, int max)
{
	char *save = NULL, *tok;
	int n = 0;

	snprintf(buf, buflen, "%s", url);
	for (tok = strtok_r(buf, "/", &save); tok && n < max; tok = strtok_r(NULL, "/", &save))
		seg[n++] = tok;
	return tok ? max + 1 : n;
}

static enum MHD_Result reply_doc(struct req *r, cJSON *doc)
{
	if (!doc)
		return reply_error(r, 404, "NotFound",
				   "the server could not find the requested resource");
	return reply_json(r, 200, doc);
}

static enum MHD_Result reply_aggregated(struct req *r, bool core)
{
	cJSON *doc = aggregated(r->st, core);
	char *s = cJSON_PrintUnformatted(doc);
	enum MHD_Result ret;

	cJSON_Delete(doc);
	ret = reply_raw(r, 200,
			"application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList", s,
			strlen(s));
	free(s);
	return ret;
}

static enum MHD_Result openapi_handle(struct req *r, char **seg, int n)
{
	if (n == 2 && strcmp(seg[1], "v3") == 0)
		return reply_json(r, 200, openapi_root(r->st));
	if (n == 4 && strcmp(seg[1], "v3") == 0 && strcmp(seg[2], "api") == 0)
		return reply_doc(r, openapi_gv(r->st, "", seg[3]));
	if (n == 5 && strcmp(seg[1], "v3") == 0 && strcmp(seg[2], "apis") == 0)
		return reply_doc(r, openapi_gv(r->st, seg[3], seg[4]));
	return reply_doc(r, NULL);
}

enum MHD_Result discovery_handle(struct req *r, bool *handled)
{
	char buf[512], *seg[6];
	int n = split_path(r->url, buf, sizeof(buf), seg, 6);

	*handled = false;
	if (strcmp(r->method, "GET") != 0 || n < 1)
		return MHD_NO;
	if (strcmp(seg[0], "version") == 0 && n == 1) {
		*handled = true;
		strcpy(r->verb, "GET");
		return reply_raw(r, 200, "application/json", version_json, strlen(version_json));
	}
	if (strcmp(seg[0], "openapi") == 0) {
		*handled = true;
		strcpy(r->verb, "GET");
		return openapi_handle(r, seg, n);
	}
	if (strcmp(seg[0], "api") == 0 && n <= 2) {
		*handled = true;
		strcpy(r->verb, "GET");
		if (n == 2)
			return reply_doc(r, resource_list(r->st, "", seg[1]));
		if (wants_aggregated(r))
			return reply_aggregated(r, true);
		return reply_raw(r, 200, "application/json",
				 "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
				 "\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\","
				 "\"serverAddress\":\"127.0.0.1:6443\"}]}",
				 strlen("{\"kind\":\"APIVersions\",\"versions\":[\"v1\"],"
					"\"serverAddressByClientCIDRs\":[{\"clientCIDR\":\"0.0.0.0/0\","
					"\"serverAddress\":\"127.0.0.1:6443\"}]}"));
	}
	if (strcmp(seg[0], "apis") == 0 && n <= 3) {
		*handled = true;
		strcpy(r->verb, "GET");
		if (n == 1)
			return wants_aggregated(r) ? reply_aggregated(r, false)
						   : reply_json(r, 200, group_list(r->st, NULL));
		if (n == 2)
			return reply_doc(r, group_list(r->st, seg[1]));
		return reply_doc(r, resource_list(r->st, seg[1], seg[2]));
	}
	return MHD_NO;
}
