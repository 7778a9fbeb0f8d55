/*
 * review: asking the server what the client may do. A SelfSubjectAccessReview per
 * tuple (sent in parallel: one round trip for a whole app) and a SelfSubjectReview for
 * the identity. Every authenticated user may create both (system:basic-user), so the
 * answers need no rights of their own.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "kube.h"

#define SSAR_PATH "/apis/authorization.k8s.io/v1/selfsubjectaccessreviews"
#define SSR_PATH "/apis/authentication.k8s.io/v1/selfsubjectreviews"

/* The resourceAttributes of a: "deployments/scale" is resource and subresource. */
static char *review_body(const struct kube_access *a)
{
	cJSON *o = cJSON_CreateObject(), *spec, *attr;
	const char *slash = strchr(a->resource, '/');
	char *res = slash ? xasprintf("%.*s", (int)(slash - a->resource), a->resource)
			  : xstrdup(a->resource);
	char *out = NULL;

	if (!o || !res)
		goto out;
	cJSON_AddStringToObject(o, "apiVersion", "authorization.k8s.io/v1");
	cJSON_AddStringToObject(o, "kind", "SelfSubjectAccessReview");
	spec = cJSON_AddObjectToObject(o, "spec");
	attr = spec ? cJSON_AddObjectToObject(spec, "resourceAttributes") : NULL;
	if (!attr)
		goto out;
	cJSON_AddStringToObject(attr, "verb", a->verb);
	cJSON_AddStringToObject(attr, "group", a->group);
	cJSON_AddStringToObject(attr, "resource", res);
	if (slash)
		cJSON_AddStringToObject(attr, "subresource", slash + 1);
	if (a->ns[0])
		cJSON_AddStringToObject(attr, "namespace", a->ns);
	out = cJSON_PrintUnformatted(o);
out:
	free(res);
	cJSON_Delete(o);
	return out;
}

static void reqs_free(struct kube_req *reqs, size_t n)
{
	for (size_t i = 0; reqs && i < n; i++)
		kube_req_dispose(&reqs[i]);
	free(reqs);
}

/* The verdict on one answered review. */
static int review_answer(const struct kube_req *q, const struct kube_access *a, bool *allowed,
			 struct err *e)
{
	const cJSON *v;

	if (q->status == 0 || q->err.code == TE_UNREACHABLE)
		return err_set(e, TE_UNREACHABLE, "access review: %s",
			       q->err.msg[0] ? q->err.msg : "no answer from the server");
	if (q->status < 200 || q->status >= 300)
		return err_set(e, TE_REJECTED, "access review of %s %s: %s", a->verb, a->resource,
			       q->err.msg);
	v = json_get(q->resp, "status", "allowed", NULL);
	*allowed = cJSON_IsTrue(v);
	return 0;
}

int kube_access_review(struct kube *k, const struct kube_access *a, size_t n, bool *allowed,
		       struct err *e)
{
	struct kube_req *reqs = calloc(n ? n : 1, sizeof(*reqs));
	struct kube_req **ptrs = calloc(n ? n : 1, sizeof(*ptrs));
	int rc = 0;

	if (!reqs || !ptrs) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		reqs[i].method = "POST";
		reqs[i].path = xstrdup(SSAR_PATH);
		reqs[i].body = review_body(&a[i]);
		ptrs[i] = &reqs[i];
		if (!reqs[i].path || !reqs[i].body) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
	}
	kube_run(k, ptrs, n, NULL, NULL);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = review_answer(&reqs[i], &a[i], &allowed[i], e);
out:
	free(ptrs);
	reqs_free(reqs, n);
	return rc;
}

int kube_whoami(struct kube *k, char **user, struct strlist *groups, struct err *e)
{
	struct kube_req q = {.method = "POST"};
	struct kube_req *ptr = &q;
	const cJSON *g;
	int rc = 0;

	*user = NULL;
	q.path = xstrdup(SSR_PATH);
	q.body =
	    xstrdup("{\"apiVersion\":\"authentication.k8s.io/v1\",\"kind\":\"SelfSubjectReview\"}");
	if (!q.path || !q.body) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	kube_run(k, &ptr, 1, NULL, NULL);
	if (q.status < 200 || q.status >= 300) {
		rc = err_set(e, q.status == 0 ? TE_UNREACHABLE : TE_REJECTED, "who am I: %s",
			     q.err.msg[0] ? q.err.msg : "no answer from the server");
		goto out;
	}
	*user = xstrdup(json_str(q.resp, "status", "userInfo", "username", NULL));
	cJSON_ArrayForEach(
	    g, json_get(q.resp, "status", "userInfo", "groups", NULL)) if (cJSON_IsString(g))
	    strlist_add(groups, g->valuestring);
	if (!*user)
		rc = err_set(e, TE_REJECTED, "who am I: the server named no user");
out:
	kube_req_dispose(&q);
	return rc;
}
