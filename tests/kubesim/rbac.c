/*
 * rbac: request attributes (requestinfo.go, kubernetes-semantics-2.md §2.1), the RBAC
 * decision over the bindings that name the user (rbac.go, rule.go VisitRulesFor,
 * §2.2-§2.3) and the 403 Forbidden Status (§2.6). Roles are read from the store at
 * each request, so an RBAC write takes effect on the next one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "auth.h"
#include "auth_int.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"

/* ---- request attributes ------------------------------------------------------------ */

static const char *method_verb(const char *m)
{
	if (strcmp(m, "POST") == 0)
		return "create";
	if (strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0)
		return "get";
	if (strcmp(m, "PUT") == 0)
		return "update";
	if (strcmp(m, "PATCH") == 0)
		return "patch";
	if (strcmp(m, "DELETE") == 0)
		return "delete";
	return "";
}

/* A boolean query parameter as the API server's parameter codec reads it
 * (Convert_Slice_string_To_bool): only a missing value, "false" and "0", in any case,
 * are false; anything else, the empty string too, is true. */
bool query_bool(const char *v)
{
	return v && strcasecmp(v, "false") != 0 && strcmp(v, "0") != 0;
}

/* fieldSelector's exact metadata.name requirement, if any, and a valid path segment. */
static void name_from_selector(const char *fsel, char *out, size_t outlen)
{
	char buf[512], *save = NULL, *t;

	if (!fsel)
		return;
	snprintf(buf, sizeof(buf), "%s", fsel);
	for (t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		const char *v = NULL;

		if (strncmp(t, "metadata.name==", 15) == 0)
			v = t + 15;
		else if (strncmp(t, "metadata.name=", 14) == 0)
			v = t + 14;
		if (v && *v && strcmp(v, ".") && strcmp(v, "..") && !strpbrk(v, "/%")) {
			snprintf(out, outlen, "%s", v);
			return;
		}
	}
}

static int split_path(char *buf, char **parts, int max)
{
	char *save = NULL, *t;
	int n = 0;

	for (t = strtok_r(buf, "/", &save); t && n < max; t = strtok_r(NULL, "/", &save))
		parts[n++] = t;
	return n;
}

static void nonresource(struct auth_reqinfo *ri, const char *method)
{
	size_t i;

	ri->resource_request = false;
	for (i = 0; method[i] && i + 1 < sizeof(ri->verb); i++)
		ri->verb[i] = (char)(method[i] >= 'A' && method[i] <= 'Z' ? method[i] + 32 : method[i]);
	ri->verb[i] = '\0';
}

/* The resource[/name[/subresource]] part, after the namespace. */
static void resource_parts(struct auth_reqinfo *ri, char **p, int n)
{
	if (n >= 1 && strcmp(p[0], "namespaces") == 0) {
		if (n > 1) {
			snprintf(ri->ns, sizeof(ri->ns), "%s", p[1]);
			if (n > 2 && strcmp(p[2], "status") && strcmp(p[2], "finalize")) {
				p += 2;
				n -= 2;
			}
		}
	}
	if (n >= 3 && strcmp(ri->verb, "proxy") != 0)
		snprintf(ri->sub, sizeof(ri->sub), "%s", p[2]);
	if (n >= 2)
		snprintf(ri->name, sizeof(ri->name), "%s", p[1]);
	if (n >= 1)
		snprintf(ri->resource, sizeof(ri->resource), "%s", p[0]);
}

void auth_reqinfo_parse(struct auth_reqinfo *ri, const char *method, const char *path,
			const char *watch, const char *field_selector)
{
	char buf[1024], *p[16];
	int n, i;

	memset(ri, 0, sizeof(*ri));
	snprintf(ri->path, sizeof(ri->path), "%s", path);
	snprintf(buf, sizeof(buf), "%s", path);
	n = split_path(buf, p, 16);
	if (!(n >= 3 && strcmp(p[0], "api") == 0) && !(n >= 4 && strcmp(p[0], "apis") == 0)) {
		nonresource(ri, method);
		return;
	}
	ri->resource_request = true;
	i = strcmp(p[0], "api") == 0 ? 2 : 3;
	if (i == 3)
		snprintf(ri->group, sizeof(ri->group), "%s", p[1]);
	snprintf(ri->version, sizeof(ri->version), "%s", p[i - 1]);
	snprintf(ri->verb, sizeof(ri->verb), "%s", method_verb(method));
	if (strcmp(p[i], "watch") == 0 || strcmp(p[i], "proxy") == 0) {
		snprintf(ri->verb, sizeof(ri->verb), "%s", p[i]);
		i++;
	}
	resource_parts(ri, p + i, n - i);
	if (!ri->name[0] && strcmp(ri->verb, "get") == 0) {
		snprintf(ri->verb, sizeof(ri->verb), "%s", query_bool(watch) ? "watch" : "list");
		name_from_selector(field_selector, ri->name, sizeof(ri->name));
	}
	if (!ri->name[0] && strcmp(ri->verb, "delete") == 0)
		snprintf(ri->verb, sizeof(ri->verb), "deletecollection");
}

void auth_reqinfo_attrs(const struct auth_reqinfo *ri, struct rbac_attrs *a)
{
	a->verb = ri->verb;
	a->resource_request = ri->resource_request;
	a->api_group = ri->group;
	a->resource = ri->resource;
	a->subresource = ri->sub;
	a->name = ri->name;
	a->path = ri->path;
}

/* ---- rules of a role ------------------------------------------------------------------ */

/* A NULL-terminated array of the strings in arr (borrowed), NULL when arr is empty. */
static const char **str_list(const cJSON *arr)
{
	int n = cJSON_GetArraySize(arr), i = 0;
	const char **v;
	const cJSON *it;

	if (n <= 0)
		return NULL;
	v = calloc((size_t)n + 1, sizeof(*v));
	if (!v)
		abort();
	cJSON_ArrayForEach(it, arr)
		if (cJSON_IsString(it))
			v[i++] = it->valuestring;
	return v;
}

bool rbac_rule_json_allows(const cJSON *rule, const struct rbac_attrs *a)
{
	struct rbac_rule r;
	bool ok;

	r.verbs = str_list(cJSON_GetObjectItemCaseSensitive(rule, "verbs"));
	r.api_groups = str_list(cJSON_GetObjectItemCaseSensitive(rule, "apiGroups"));
	r.resources = str_list(cJSON_GetObjectItemCaseSensitive(rule, "resources"));
	r.resource_names = str_list(cJSON_GetObjectItemCaseSensitive(rule, "resourceNames"));
	r.non_resource_urls = str_list(cJSON_GetObjectItemCaseSensitive(rule, "nonResourceURLs"));
	ok = rbac_rule_allows(&r, a);
	free((void *)r.verbs);
	free((void *)r.api_groups);
	free((void *)r.resources);
	free((void *)r.resource_names);
	free((void *)r.non_resource_urls);
	return ok;
}

/* The role a binding refers to (borrowed), or NULL with err filled. */
const cJSON *rbac_role_of(struct store *st, const struct rbac_bref *b, char *err, size_t errlen)
{
	bool cluster = strcmp(b->role_kind, "ClusterRole") == 0;
	const struct restype *rt;
	const cJSON *role;

	if (!cluster && strcmp(b->role_kind, "Role") != 0) {
		snprintf(err, errlen, "unsupported role reference kind: \"%s\"", b->role_kind);
		return NULL;
	}
	rt = store_type(st, RBAC_GROUP, cluster ? "clusterroles" : "roles");
	role = rt ? store_get(st, rt, b->ns, b->role_name) : NULL;
	if (!role)
		snprintf(err, errlen, "%s.%s \"%s\" not found", cluster ? "clusterrole" : "role",
			 RBAC_GROUP, b->role_name);
	return role;
}

static void add_error(char *errs, size_t len, int *nerr, const char *e)
{
	size_t n = strlen(errs);

	snprintf(errs + n, len - n, "%s%s", *nerr ? ", " : "", e);
	(*nerr)++;
}

static void allowed_reason(char *reason, size_t len, const struct rbac_bref *b)
{
	if (b->cluster)
		snprintf(reason, len, "RBAC: allowed by ClusterRoleBinding \"%s\" of %s \"%s\" to %s",
			 b->name, b->role_kind, b->role_name, b->subject);
	else
		snprintf(reason, len, "RBAC: allowed by RoleBinding \"%s/%s\" of %s \"%s\" to %s",
			 b->name, b->ns, b->role_kind, b->role_name, b->subject);
}

static bool role_allows(const cJSON *role, const struct rbac_attrs *a)
{
	const cJSON *rule;

	cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(role, "rules"))
		if (rbac_rule_json_allows(rule, a))
			return true;
	return false;
}

bool rbac_decide(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		 const struct auth_reqinfo *ri, char *reason, size_t reasonlen)
{
	char errs[1024] = "", err[300];
	struct rbac_bref *bs = NULL;
	struct rbac_attrs a;
	int nerr = 0;
	bool ok = false;
	size_t n, i;

	auth_reqinfo_attrs(ri, &a);
	store_lock(st);
	n = rbac_index_lookup(ix, u, ri->resource_request ? ri->ns : "", &bs);
	for (i = 0; i < n && !ok; i++) {
		const cJSON *role = rbac_role_of(st, &bs[i], err, sizeof(err));

		if (!role)
			add_error(errs, sizeof(errs), &nerr, err);
		else if (role_allows(role, &a)) {
			ok = true;
			if (reason)
				allowed_reason(reason, reasonlen, &bs[i]);
		}
	}
	store_unlock(st);
	free(bs);
	if (!ok && reason)
		snprintf(reason, reasonlen, nerr == 0 ? "%s" : nerr == 1 ? "RBAC: %s" : "RBAC: [%s]",
			 errs);
	return ok;
}

/* ---- rules review ------------------------------------------------------------------------- */

static void add_fields(cJSON *to, const cJSON *rule, const char *const *keys)
{
	for (; *keys; keys++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(rule, *keys);

		if (strcmp(*keys, "verbs") == 0 || cJSON_GetArraySize(v) > 0)
			cJSON_AddItemToObject(to, *keys, v ? cJSON_Duplicate(v, true)
							   : cJSON_CreateArray());
	}
}

static void split_rules(const cJSON *role, cJSON *res, cJSON *nonres)
{
	static const char *const rkeys[] = {"verbs", "apiGroups", "resources", "resourceNames",
					    NULL};
	static const char *const nkeys[] = {"verbs", "nonResourceURLs", NULL};
	const cJSON *rule;

	cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(role, "rules")) {
		cJSON *o;

		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rule, "resources")) > 0) {
			o = cJSON_CreateObject();
			add_fields(o, rule, rkeys);
			cJSON_AddItemToArray(res, o);
		}
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(rule, "nonResourceURLs")) > 0) {
			o = cJSON_CreateObject();
			add_fields(o, rule, nkeys);
			cJSON_AddItemToArray(nonres, o);
		}
	}
}

void rbac_rules(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		const char *ns, cJSON *resource_rules, cJSON *non_resource_rules, char *err,
		size_t errlen)
{
	struct rbac_bref *bs = NULL;
	char e1[300];
	int nerr = 0;
	size_t n;

	store_lock(st);
	n = rbac_index_lookup(ix, u, ns, &bs);
	for (size_t i = 0; i < n; i++) {
		const cJSON *role = rbac_role_of(st, &bs[i], e1, sizeof(e1));

		if (role)
			split_rules(role, resource_rules, non_resource_rules);
		else
			add_error(err, errlen, &nerr, e1);
	}
	store_unlock(st);
	free(bs);
}

/* ---- 403 ------------------------------------------------------------------------------- */

/* strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;") */
static void sanitize(char *out, size_t outlen, const char *in)
{
	size_t o = 0;

	for (; *in && o + 6 < outlen; in++) {
		const char *rep = *in == '&' ? "&amp;" : *in == '<' ? "&lt;" : *in == '>' ? "&gt;" : NULL;

		if (rep) {
			memcpy(out + o, rep, strlen(rep));
			o += strlen(rep);
		} else {
			out[o++] = *in;
		}
	}
	out[o] = '\0';
}

static void forbidden_text(char *out, size_t len, const struct auth_user *u,
			   const struct auth_reqinfo *ri)
{
	char res[200];

	if (!ri->resource_request) {
		snprintf(out, len, "User \"%s\" cannot %s path \"%s\"", u->name, ri->verb, ri->path);
		return;
	}
	snprintf(res, sizeof(res), "%s%s%s", ri->resource, ri->sub[0] ? "/" : "", ri->sub);
	if (ri->ns[0])
		snprintf(out, len,
			 "User \"%s\" cannot %s resource \"%s\" in API group \"%s\" in the namespace \"%s\"",
			 u->name, ri->verb, res, ri->group, ri->ns);
	else
		snprintf(out, len,
			 "User \"%s\" cannot %s resource \"%s\" in API group \"%s\" at the cluster scope",
			 u->name, ri->verb, res, ri->group);
}

int auth_forbidden(struct kstatus *e, const struct auth_user *u, const struct auth_reqinfo *ri,
		   const char *reason)
{
	char text[700], clean[900], qual[300];

	forbidden_text(text, sizeof(text), u, ri);
	sanitize(clean, sizeof(clean), text);
	if (reason && *reason)
		snprintf(clean + strlen(clean), sizeof(clean) - strlen(clean), ": %s", reason);
	snprintf(qual, sizeof(qual), "%s%s%s", ri->resource, ri->group[0] ? "." : "", ri->group);
	if (!ri->resource_request || !ri->resource[0])
		kstatus_set(e, 403, "Forbidden", "forbidden: %s", clean);
	else if (!ri->name[0])
		kstatus_set(e, 403, "Forbidden", "%s is forbidden: %s", qual, clean);
	else
		kstatus_set(e, 403, "Forbidden", "%s \"%s\" is forbidden: %s", qual, ri->name, clean);
	if (ri->resource_request) {
		snprintf(e->name, sizeof(e->name), "%s", ri->name);
		snprintf(e->group, sizeof(e->group), "%s", ri->group);
		snprintf(e->kind, sizeof(e->kind), "%s", ri->resource);
	}
	return -e->code; /* what kstatus_set returned */
}
