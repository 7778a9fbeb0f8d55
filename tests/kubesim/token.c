/*
 * token: the TokenRequest subresource, POST /api/v1/namespaces/NS/serviceaccounts/NAME/token
 * (kubernetes-semantics-2.md §1.5; kubernetes pkg/registry/core/serviceaccount/storage/
 * token.go), so `kubectl create token NAME --duration D` works. Nothing is stored; the
 * answer is the request with its defaults, creationTimestamp and status.token.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "auth.h"
#include "sa_token.h"

#define AUTHN "authentication.k8s.io"
#define MIN_SECONDS 600
#define MAX_SECONDS (1LL << 32)

struct token_req {
	char ns[254], name[254];
	cJSON *sa;		/* a copy (owned) */
	cJSON *audiences;	/* owned */
	int64_t seconds;
	char bkind[16], bname[254], buid[128];
};

/* /api/v1/namespaces/NS/serviceaccounts/NAME/token */
static bool token_path(const char *url, char *ns, char *name)
{
	char buf[1024], *p[8], *save = NULL, *t;
	int n = 0;

	snprintf(buf, sizeof(buf), "%s", url);
	for (t = strtok_r(buf, "/", &save); t && n < 8; t = strtok_r(NULL, "/", &save))
		p[n++] = t;
	if (n != 7 || t || strcmp(p[0], "api") || strcmp(p[1], "v1") || strcmp(p[2], "namespaces") ||
	    strcmp(p[4], "serviceaccounts") || strcmp(p[6], "token"))
		return false;
	snprintf(ns, 254, "%s", p[3]);
	snprintf(name, 254, "%s", p[5]);
	return true;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* metadata.name and .namespace, when given, must be the URL's. */
static int check_meta(const struct token_req *t, const cJSON *body, struct kstatus *e)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	const char *name = jstr(md, "name"), *ns = jstr(md, "namespace");
	char msg[600];

	if (*name && strcmp(name, t->name) != 0) {
		snprintf(msg, sizeof(msg), "Invalid value: \"%s\": must match the service account "
			 "name if specified", name);
		return auth_invalid(e, AUTHN, "TokenRequest", t->name, "metadata.name", msg);
	}
	if (*ns && strcmp(ns, t->ns) != 0) {
		snprintf(msg, sizeof(msg), "Invalid value: \"%s\": must match the service account "
			 "namespace if specified", ns);
		return auth_invalid(e, AUTHN, "TokenRequest", t->name, "metadata.namespace", msg);
	}
	return 0;
}

/* spec.audiences (default: the API audience) and spec.expirationSeconds (default 3600,
 * ValidateTokenRequest's bounds). */
static int read_spec(struct token_req *t, const cJSON *spec, struct kstatus *e)
{
	const cJSON *aud = cJSON_GetObjectItemCaseSensitive(spec, "audiences");
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(spec, "expirationSeconds");
	char msg[200];

	if (cJSON_IsArray(aud) && cJSON_GetArraySize(aud) > 0) {
		t->audiences = cJSON_Duplicate(aud, true);
	} else {
		t->audiences = cJSON_CreateArray();
		cJSON_AddItemToArray(t->audiences, cJSON_CreateString(SATOKEN_ISSUER));
	}
	t->seconds = cJSON_IsNumber(exp) ? (int64_t)exp->valuedouble : 3600;
	if (t->seconds < MIN_SECONDS || t->seconds > MAX_SECONDS) {
		snprintf(msg, sizeof(msg), "Invalid value: %lld: may not specify a duration %s",
			 (long long)t->seconds, t->seconds < MIN_SECONDS ? "less than 10 minutes"
									 : "larger than 2^32 seconds");
		return auth_invalid(e, AUTHN, "TokenRequest", "", "spec.expirationSeconds", msg);
	}
	return 0;
}

/* spec.boundObjectRef: a Pod or Secret of the namespace, with the uid given (hold the
 * store lock). */
static int read_bound(struct req *r, struct token_req *t, const cJSON *ref, struct kstatus *e)
{
	const char *kind = jstr(ref, "kind"), *av = jstr(ref, "apiVersion"), *uid = jstr(ref, "uid");
	bool core = !strchr(av, '/');
	const char *res = NULL, *have;
	const struct restype *rt;
	const cJSON *o;

	if (!cJSON_IsObject(ref))
		return 0;
	if (core && strcmp(kind, "Pod") == 0)
		res = "pods";
	else if (core && strcmp(kind, "Secret") == 0)
		res = "secrets";
	if (!res) /* schema.GroupVersionKind.String() */
		return kstatus_set(e, 400, "BadRequest", "cannot bind token to object of type %s%s, "
				   "Kind=%s", core ? "/" : "", av, kind);
	rt = store_type(r->st, "", res);
	o = rt ? store_get(r->st, rt, t->ns, jstr(ref, "name")) : NULL;
	if (!o)
		return kstatus_not_found(e, rt, jstr(ref, "name"));
	have = jstr(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "uid");
	if (*uid && strcmp(uid, have) != 0)
		return kstatus_set(e, 409, "Conflict", "Operation cannot be fulfilled on %s \"%s\": the "
				   "UID in the bound object reference (%s) does not match the UID in "
				   "record. The object might have been deleted and then recreated",
				   kind, jstr(ref, "name"), uid);
	snprintf(t->bkind, sizeof(t->bkind), "%s", kind);
	snprintf(t->bname, sizeof(t->bname), "%s", jstr(ref, "name"));
	snprintf(t->buid, sizeof(t->buid), "%s", have);
	return 0;
}

/* The ServiceAccount and the bound object, read under the store lock. */
static int lookup(struct req *r, struct token_req *t, const cJSON *spec, struct kstatus *e)
{
	const struct restype *rt = store_type(r->st, "", "serviceaccounts");
	const cJSON *sa;
	int rc = 0;

	store_lock(r->st);
	sa = store_get(r->st, rt, t->ns, t->name);
	if (!sa)
		rc = kstatus_not_found(e, rt, t->name);
	else
		t->sa = cJSON_Duplicate(sa, true);
	if (rc == 0 && read_spec(t, spec, e) < 0)
		rc = -1;
	if (rc == 0 && read_bound(r, t, cJSON_GetObjectItemCaseSensitive(spec, "boundObjectRef"), e) < 0)
		rc = -1;
	store_unlock(r->st);
	return rc;
}

static void add_time(cJSON *o, const char *key, time_t at)
{
	char buf[32];
	struct tm tm;

	gmtime_r(&at, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	cJSON_AddStringToObject(o, key, buf);
}

static cJSON *answer(struct req *r, const struct token_req *t, const cJSON *spec)
{
	time_t now = time(NULL);
	cJSON *o = cJSON_CreateObject(), *md, *sp, *st;
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(spec, "boundObjectRef");
	char *tok = auth_issue_token(r->auth, t->sa, t->audiences, (int64_t)now, t->seconds,
				     t->bkind[0] ? t->bkind : NULL, t->bname, t->buid);

	cJSON_AddStringToObject(o, "kind", "TokenRequest");
	cJSON_AddStringToObject(o, "apiVersion", AUTHN "/v1");
	md = cJSON_AddObjectToObject(o, "metadata");
	cJSON_AddStringToObject(md, "name", t->name);
	cJSON_AddStringToObject(md, "namespace", t->ns);
	add_time(md, "creationTimestamp", now);
	sp = cJSON_AddObjectToObject(o, "spec");
	cJSON_AddItemToObject(sp, "audiences", cJSON_Duplicate(t->audiences, true));
	cJSON_AddNumberToObject(sp, "expirationSeconds", (double)t->seconds);
	cJSON_AddItemToObject(sp, "boundObjectRef", cJSON_IsObject(ref) ? cJSON_Duplicate(ref, true)
								       : cJSON_CreateNull());
	st = cJSON_AddObjectToObject(o, "status");
	cJSON_AddStringToObject(st, "token", tok);
	add_time(st, "expirationTimestamp", now + (time_t)t->seconds);
	free(tok);
	return o;
}

enum MHD_Result token_handle(struct req *r, bool *handled)
{
	struct token_req t = {0};
	struct kstatus e = {0};
	enum MHD_Result ret;
	cJSON *body, *out = NULL;
	const cJSON *spec;

	*handled = token_path(r->url, t.ns, t.name);
	if (!*handled)
		return MHD_NO;
	strcpy(r->verb, r->method);
	snprintf(r->resource, sizeof(r->resource), "serviceaccounts");
	if (strcmp(r->method, "POST") != 0)
		return reply_error(r, 405, "MethodNotAllowed",
				   "the server does not allow this method on the requested resource");
	body = api_parse_body(r, &e);
	spec = cJSON_GetObjectItemCaseSensitive(body, "spec");
	if (body && check_meta(&t, body, &e) == 0 && lookup(r, &t, spec, &e) == 0)
		out = answer(r, &t, spec);
	cJSON_Delete(body);
	cJSON_Delete(t.sa);
	cJSON_Delete(t.audiences);
	ret = out ? reply_json(r, 201, out) : reply_status(r, &e);
	kstatus_dispose(&e);
	return ret;
}
