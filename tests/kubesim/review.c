/*
 * review: the create-only, never stored review kinds (kubernetes-semantics-2.md §3):
 * SelfSubjectAccessReview, SubjectAccessReview, LocalSubjectAccessReview,
 * SelfSubjectRulesReview (authorization.k8s.io/v1) and SelfSubjectReview
 * (authentication.k8s.io/v1), answered by the same authorizer as real requests, so
 * `kubectl auth can-i [--list]` and `kubectl auth whoami` tell the truth.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "field_err.h"
#include "auth.h"

#define AUTHZ "authorization.k8s.io"
#define AUTHN "authentication.k8s.io"

enum review { SSAR, SAR, LSAR, SSRR, SSR };

static const struct review_type types[] = {
	{AUTHZ, "selfsubjectaccessreviews", "SelfSubjectAccessReview", false},
	{AUTHZ, "subjectaccessreviews", "SubjectAccessReview", false},
	{AUTHZ, "localsubjectaccessreviews", "LocalSubjectAccessReview", true},
	{AUTHZ, "selfsubjectrulesreviews", "SelfSubjectRulesReview", false},
	{AUTHN, "selfsubjectreviews", "SelfSubjectReview", false},
};

size_t review_types(const struct review_type **out)
{
	*out = types;
	return sizeof(types) / sizeof(types[0]);
}

/* Which review a path names; ns gets the namespace of a local review. */
static int review_of(const char *url, char *ns, size_t nslen)
{
	char buf[512], *p[8], *save = NULL, *t;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", url);
	for (t = strtok_r(buf, "/", &save); t && n < 8; t = strtok_r(NULL, "/", &save))
		p[n++] = t;
	if (n < 4 || strcmp(p[0], "apis") || strcmp(p[2], "v1"))
		return -1;
	if (n == 6 && strcmp(p[3], "namespaces") == 0) {
		snprintf(ns, nslen, "%s", p[4]);
		p[3] = p[5];
	} else if (n != 4) {
		return -1;
	}
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].group, p[1]) == 0 && strcmp(types[i].resource, p[3]) == 0 &&
		    types[i].namespaced == (n == 6))
			return (int)i;
	return -1;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

int auth_invalid(struct kstatus *e, const char *group, const char *kind, const char *name,
		 const char *field, const char *msg)
{
	struct field_errs v;

	field_errs_init(&v);
	field_err(&v, field, "FieldValueInvalid", "%s", msg);
	return field_errs_invalid(&v, group, kind, name, e);
}

static int invalid(struct kstatus *e, enum review k, const char *field, const char *msg)
{
	return auth_invalid(e, types[k].group, types[k].kind, "", field, msg);
}

static int check_spec(enum review k, const cJSON *spec, const char *url_ns, struct kstatus *e)
{
	const cJSON *ra = cJSON_GetObjectItemCaseSensitive(spec, "resourceAttributes");
	const cJSON *nra = cJSON_GetObjectItemCaseSensitive(spec, "nonResourceAttributes");
	char msg[400];

	ra = cJSON_IsObject(ra) ? ra : NULL;
	nra = cJSON_IsObject(nra) ? nra : NULL;
	if (k == LSAR && nra)
		return invalid(e, k, "spec.nonResourceAttributes", "Invalid value: \"{}\": "
			       "disallowed on this kind of request");
	if (ra && nra)
		return invalid(e, k, "spec.nonResourceAttributes", "Invalid value: \"{}\": cannot "
			       "be specified in combination with resourceAttributes");
	if (!ra && !nra)
		return invalid(e, k, "spec.resourceAttributes", "Invalid value: \"null\": exactly "
			       "one of nonResourceAttributes or resourceAttributes must be specified");
	if (k == LSAR && strcmp(jstr(ra, "namespace"), url_ns) != 0) {
		snprintf(msg, sizeof(msg), "Invalid value: \"%s\": must match metadata.namespace",
			 jstr(ra, "namespace"));
		return invalid(e, k, "spec.resourceAttributes.namespace", msg);
	}
	if ((k == SAR || k == LSAR) && !*jstr(spec, "user") &&
	    cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(spec, "groups")) == 0)
		return invalid(e, k, "spec.user", "Invalid value: \"\": at least one of user or "
			       "group must be specified");
	return 0;
}

static void reqinfo_of(const cJSON *spec, struct auth_reqinfo *ri)
{
	const cJSON *ra = cJSON_GetObjectItemCaseSensitive(spec, "resourceAttributes");
	const cJSON *nra = cJSON_GetObjectItemCaseSensitive(spec, "nonResourceAttributes");

	memset(ri, 0, sizeof(*ri));
	if (cJSON_IsObject(ra)) {
		ri->resource_request = true;
		snprintf(ri->ns, sizeof(ri->ns), "%s", jstr(ra, "namespace"));
		snprintf(ri->verb, sizeof(ri->verb), "%s", jstr(ra, "verb"));
		snprintf(ri->group, sizeof(ri->group), "%s", jstr(ra, "group"));
		snprintf(ri->version, sizeof(ri->version), "%s", jstr(ra, "version"));
		snprintf(ri->resource, sizeof(ri->resource), "%s", jstr(ra, "resource"));
		snprintf(ri->sub, sizeof(ri->sub), "%s", jstr(ra, "subresource"));
		snprintf(ri->name, sizeof(ri->name), "%s", jstr(ra, "name"));
	} else {
		snprintf(ri->verb, sizeof(ri->verb), "%s", jstr(nra, "verb"));
		snprintf(ri->path, sizeof(ri->path), "%s", jstr(nra, "path"));
	}
}

/* The subject of a SAR: evaluated as given, system:authenticated is not added. */
static void subject_of(const cJSON *spec, struct auth_user *u)
{
	const cJSON *g;

	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "%s", jstr(spec, "user"));
	snprintf(u->uid, sizeof(u->uid), "%s", jstr(spec, "uid"));
	cJSON_ArrayForEach(g, cJSON_GetObjectItemCaseSensitive(spec, "groups"))
		if (cJSON_IsString(g))
			auth_user_add_group(u, g->valuestring);
}

static cJSON *reply_obj(enum review k, const cJSON *body, bool echo_spec)
{
	cJSON *o = cJSON_CreateObject(), *md;
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(body, "spec");
	const char *ns = jstr(cJSON_GetObjectItemCaseSensitive(body, "metadata"), "namespace");

	cJSON_AddStringToObject(o, "kind", types[k].kind);
	cJSON_AddStringToObject(o, "apiVersion", k == SSR ? AUTHN "/v1" : AUTHZ "/v1");
	md = cJSON_AddObjectToObject(o, "metadata");
	if (k == LSAR && *ns)
		cJSON_AddStringToObject(md, "namespace", ns);
	cJSON_AddNullToObject(md, "creationTimestamp");
	if (k != SSR)
		cJSON_AddItemToObject(o, "spec", echo_spec && spec ? cJSON_Duplicate(spec, true)
								   : cJSON_CreateObject());
	return o;
}

static cJSON *access_review(struct req *r, enum review k, const cJSON *body, const char *url_ns,
			    struct kstatus *e)
{
	const cJSON *spec = cJSON_GetObjectItemCaseSensitive(body, "spec");
	struct auth_reqinfo ri;
	struct auth_user subject;
	char reason[1024];
	cJSON *o, *st;
	bool ok;

	if (check_spec(k, spec, url_ns, e) < 0)
		return NULL;
	reqinfo_of(spec, &ri);
	if (k == SSAR)
		subject = r->user;
	else
		subject_of(spec, &subject);
	ok = auth_allowed(r->auth, &subject, &ri, reason, sizeof(reason));
	o = reply_obj(k, body, true);
	st = cJSON_AddObjectToObject(o, "status");
	cJSON_AddBoolToObject(st, "allowed", ok);
	if (reason[0])
		cJSON_AddStringToObject(st, "reason", reason);
	return o;
}

static cJSON *rules_review(struct req *r, const cJSON *body, struct kstatus *e)
{
	const char *ns = jstr(cJSON_GetObjectItemCaseSensitive(body, "spec"), "namespace");
	cJSON *o, *st, *res, *nonres;
	char err[1024] = "";

	if (!*ns) {
		kstatus_set(e, 400, "BadRequest", "no namespace on request");
		return NULL;
	}
	o = reply_obj(SSRR, body, false);
	st = cJSON_AddObjectToObject(o, "status");
	res = cJSON_AddArrayToObject(st, "resourceRules");
	nonres = cJSON_AddArrayToObject(st, "nonResourceRules");
	auth_rules(r->auth, &r->user, ns, res, nonres, err, sizeof(err));
	cJSON_AddBoolToObject(st, "incomplete", false);
	if (err[0])
		cJSON_AddStringToObject(st, "evaluationError", err);
	return o;
}

static cJSON *self_review(struct req *r, const cJSON *body)
{
	cJSON *o = reply_obj(SSR, body, false), *ui, *g, *extra = auth_user_extra_json(&r->user);

	ui = cJSON_AddObjectToObject(cJSON_AddObjectToObject(o, "status"), "userInfo");
	if (r->user.name[0])
		cJSON_AddStringToObject(ui, "username", r->user.name);
	if (r->user.uid[0])
		cJSON_AddStringToObject(ui, "uid", r->user.uid);
	if (r->user.ngroups) {
		g = cJSON_AddArrayToObject(ui, "groups");
		for (int i = 0; i < r->user.ngroups; i++)
			cJSON_AddItemToArray(g, cJSON_CreateString(r->user.groups[i]));
	}
	if (extra)
		cJSON_AddItemToObject(ui, "extra", extra);
	return o;
}

enum MHD_Result review_handle(struct req *r, bool *handled)
{
	char ns[254] = "";
	struct kstatus e = {0};
	enum MHD_Result ret;
	cJSON *body, *out = NULL;
	int k = review_of(r->url, ns, sizeof(ns));

	*handled = k >= 0;
	if (k < 0)
		return MHD_NO;
	strcpy(r->verb, r->method);
	snprintf(r->resource, sizeof(r->resource), "%s", types[k].resource);
	if (strcmp(r->method, "POST") != 0)
		return reply_error(r, 405, "MethodNotAllowed",
				   "the server does not allow this method on the requested resource");
	body = api_parse_body(r, &e);
	if (body && (k == SSAR || k == SAR || k == LSAR))
		out = access_review(r, (enum review)k, body, ns, &e);
	else if (body && k == SSRR)
		out = rules_review(r, body, &e);
	else if (body)
		out = self_review(r, body);
	cJSON_Delete(body);
	ret = out ? reply_json(r, 201, out) : reply_status(r, &e);
	kstatus_dispose(&e);
	return ret;
}
