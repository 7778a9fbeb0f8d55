/*
 * kube: the Kubernetes API client. kubeconfig loading with kubectl's rules, auth
 * (tokens, client certificates, exec credential plugins, in-cluster service account),
 * discovery, and requests over libcurl's multi interface: connections reused,
 * bounded parallelism, retries with backoff on 429/5xx/connection errors honouring
 * Retry-After, a timeout on every request. Nothing here knows about Git or apps.
 * Tokens and client keys never reach a log line or an error message.
 */
#ifndef TETHER_KUBE_H
#define TETHER_KUBE_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "jsonpick.h"
#include "util.h"

/* ---- kubeconfig -------------------------------------------------------- */

struct kube_exec; /* an exec credential plugin (kube_int.h) */

/* Resolved connection settings for one context. */
struct kube_config {
	char *server;          /* https://host:port */
	char *namespace;       /* context namespace, "default" when unset */
	char *context;         /* context name, NULL in-cluster */
	char *ca_file;         /* CA bundle file, or */
	char *ca_data;         /* PEM (decoded from certificate-authority-data) */
	bool insecure;         /* insecure-skip-tls-verify: only when set */
	char *token;           /* bearer token, or */
	char *token_file;      /* read at each connection setup, re-read when it rotates */
	char *cert_file, *key_file; /* client certificate, or */
	char *cert_data, *key_data; /* PEM data */
	char *username, *password;  /* basic auth */
	struct kube_exec *exec;     /* exec credential plugin */
	char *tls_server_name;
	char *proxy_url;
	char *impersonate;        /* Impersonate-User of every request, or NULL */
	bool disable_compression; /* no gzip for responses (large lists come gzipped) */
};

/*
 * kubectl's rules: explicit path (--kubeconfig) wins; else KUBECONFIG, a ':' list of
 * files merged first-wins per key; else ~/.kube/config; else the in-cluster service
 * account (KUBERNETES_SERVICE_HOST/PORT, /var/run/secrets/kubernetes.io/serviceaccount).
 * context NULL means current-context. Errors name the file.
 */
int kube_config_load(struct kube_config **out, const char *path, const char *context,
		     struct err *e);
void kube_config_free(struct kube_config *c);

/* ---- client -------------------------------------------------------------- */

struct kube;

struct kube_opts {
	int parallel;        /* concurrent transfers, default 32 */
	int timeout_ms;      /* per request, default 30000 */
	int retries;         /* 0: default 5; negative: no retries */
	const char *user_agent; /* default "tether/VERSION" */
};

int kube_new(struct kube **out, const struct kube_config *cfg, const struct kube_opts *opts,
	     struct err *e);
void kube_free(struct kube *k);
/* Another client like peer (its kubeconfig and options) for another thread: the two
 * share discovery and the DNS and TLS session caches (agent/kube/shared.c), each has
 * its own connections. Either may be freed first. */
int kube_new_sharing(struct kube **out, struct kube *peer, struct err *e);

/* Request counters, for -o json and benchmarks. */
struct kube_stats {
	long requests, retries, gets, lists, patches, posts, puts, deletes, watches;
};
void kube_get_stats(const struct kube *k, struct kube_stats *out);

/* A resource type from discovery. */
struct kube_resource {
	char *group;    /* "" for core */
	char *version;
	char *kind;
	char *resource; /* plural, e.g. "deployments" */
	bool namespaced;
	bool has_status;
};

/* Resolves apiVersion + kind through discovery (cached for the client's life; one
 * refresh when a kind is unknown, for CRDs created meanwhile). TE_NOTFOUND when the
 * server does not serve it ("no kind Foo in example.com/v1"). */
int kube_resolve(struct kube *k, const char *api_version, const char *kind,
		 const struct kube_resource **out, struct err *e);
/* Forgets discovery (after creating CRDs). */
void kube_invalidate_discovery(struct kube *k);
/* A client kept between runs (session.h): forgets the kinds that missed, so each run
 * refreshes once for a CRD installed meanwhile, and the whole table when it is older
 * than max_age_ms (a kind no longer served, a version added). */
void kube_discovery_expire(struct kube *k, int64_t max_age_ms);

/* Builds "/apis/apps/v1/namespaces/ns/deployments/name[/sub]" (name, ns, sub may be NULL). */
char *kube_path(const struct kube_resource *r, const char *ns, const char *name, const char *sub);

/* ---- requests -------------------------------------------------------------- */

/* One request. The caller fills the top part; kube_run fills the rest. */
struct kube_req {
	const char *method;       /* GET POST PUT PATCH DELETE */
	char *path;               /* owned: path and query, e.g. "/api/v1/namespaces?limit=500" */
	const char *content_type; /* for bodies; NULL means application/json */
	char *body;               /* owned, may be NULL */
	void *user;               /* caller's pointer */

	const char *accept;       /* Accept header; NULL means application/json */
	const struct json_pick *pick; /* parse only these parts of a 2xx answer (jsonpick.h);
					 NULL parses all of it */

	long status;              /* HTTP status, 0 when no response */
	cJSON *resp;              /* owned: parsed JSON response (NULL if none or not JSON) */
	struct err err;           /* set when the request failed (transport, or status >= 400
				     with the server's Status message: "deployments.apps \"web\"
				     is invalid: ...") */
	char *resp_type;          /* owned: the response Content-Type, NULL if none */
	int attempts;             /* HTTP attempts made (1 + retries) */
};

void kube_req_dispose(struct kube_req *r);

/*
 * Runs n requests with the client's bound on parallelism, retrying 429, 5xx and
 * connection errors with backoff. done (may be NULL) is called as each request
 * finishes, on the calling thread; it must not start requests on the same client.
 * Returns 0 when every request got a response
 * (whatever its status), TE_UNREACHABLE when some could not reach the server.
 */
int kube_run(struct kube *k, struct kube_req **reqs, size_t n,
	     void (*done)(struct kube_req *r, void *ctx), void *ctx);

/*
 * The same for batches too large to hold at once: make fills request i (zeroed) when
 * one of the `parallel` slots frees up; done sees each request as it finishes (an
 * error from make included, then nothing was sent), after which it is disposed: done
 * moves out what it keeps (q->resp). Memory grows with parallel, not with n.
 */
struct kube_batch {
	size_t n;
	int (*make)(struct kube_req *q, size_t i, void *ctx);
	void (*done)(struct kube_req *q, void *ctx);
	void *ctx;
};
int kube_run_batch(struct kube *k, const struct kube_batch *b);

/* Convenience wrappers over kube_run for one request. Status >= 400 becomes an error:
 * 404 TE_NOTFOUND, 409 TE_CONFLICT, other 4xx TE_REJECTED, 5xx/transport TE_UNREACHABLE;
 * a 500 Status without a reason (the server failed on this very request, e.g. an applied
 * field its schema does not declare) is not retried and is TE_REJECTED. */
int kube_get(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
	     cJSON **out, struct err *e);
/* Lists all pages (limit/continue). ns NULL lists across namespaces; selector may be NULL.
 * The result is the List object with every item. */
int kube_list(struct kube *k, const struct kube_resource *r, const char *ns,
	      const char *label_selector, cJSON **out, struct err *e);
/* Several lists (or GETs, with name) at once, their pages fetched in parallel rounds.
 * Each query gets out (the List object or the object, or NULL), rc (0 or TE_*, as
 * kube_get and kube_list return) and err; returns the first failure's code or 0. */
struct kube_list_q {
	const struct kube_resource *res;
	const char *ns;       /* NULL: across namespaces */
	const char *name;     /* set: a GET of this one object (out: the object) instead */
	const char *selector; /* label selector, may be NULL */
	const struct json_pick *pick; /* what to keep of each item (jsonpick.h); NULL: all */
	int limit;            /* objects per page; 0: 500 */
	cJSON *out;
	int rc;
	long status; /* out: HTTP status of the last answer, 0 when none */
	struct err err;
};
int kube_list_many(struct kube *k, struct kube_list_q *qs, size_t n);

/* Server-side apply of obj (application/apply-patch+yaml, sent as JSON). */
struct kube_apply_opts {
	const char *field_manager; /* "tether" */
	bool force;
	bool dry_run;
};
/* Fills req to apply obj; the caller runs it with kube_run (for parallel batches). */
int kube_req_apply(struct kube_req *req, const struct kube_resource *r, const char *ns,
		   const cJSON *obj, const struct kube_apply_opts *o);
/* As kube_req_apply, sending body (obj already printed, owned from here on; NULL prints
 * obj): an object applied twice (dry-run, then for real) is printed once. */
/* The same for an object kept only as its printed body: ns (NULL for cluster-scoped
 * kinds) and name are the object's. */
int kube_req_apply_text(struct kube_req *req, const struct kube_resource *r, const char *ns,
			const char *name, char *body, const struct kube_apply_opts *o);
int kube_req_apply_body(struct kube_req *req, const struct kube_resource *r, const char *ns,
			const cJSON *obj, char *body, const struct kube_apply_opts *o);
/* out NULL: the answer is only checked, not built. */
int kube_apply(struct kube *k, const struct kube_resource *r, const char *ns, const cJSON *obj,
	       const struct kube_apply_opts *o, cJSON **out, struct err *e);
/* kube_apply of an object kept only as its printed body (taken), the answer not built. */
int kube_apply_text(struct kube *k, const struct kube_resource *r, const char *ns,
		    const char *name, char *body, const struct kube_apply_opts *o, struct err *e);
/* DELETE with propagationPolicy (NULL = Background). */
int kube_req_delete(struct kube_req *req, const struct kube_resource *r, const char *ns,
		    const char *name, const char *propagation);
int kube_delete(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
		struct err *e);

/*
 * Watches a resource type from resource_version (NULL: current state first as ADDED
 * events, like a LIST then WATCH). cb gets "ADDED", "MODIFIED", "DELETED" or
 * "BOOKMARK" with the object; returning non-zero stops the watch. Returns 0 when cb
 * stopped it, 1 when deadline_ms (monotonic, now_ms()) passed, negative on error.
 * Reconnects from the last seen resourceVersion when the server closes the stream.
 */
int kube_watch(struct kube *k, const struct kube_resource *r, const char *ns,
	       const char *label_selector, const char *resource_version, int64_t deadline_ms,
	       int (*cb)(const char *type, const cJSON *obj, void *ctx), void *ctx, struct err *e);

/* ---- access (RBAC) ------------------------------------------------------------- */

#define KUBE_ACCESS_FIELD 254
/* One (verb, group, resource, namespace) an identity needs; ns "" is the cluster scope. */
struct kube_access {
	char verb[32];
	char group[KUBE_ACCESS_FIELD];
	char resource[KUBE_ACCESS_FIELD]; /* "deployments", or "deployments/scale" */
	char ns[KUBE_ACCESS_FIELD];
	char user[KUBE_ACCESS_FIELD];     /* from a 403 message only */
};
/* The request a 403 Status message names (the authorizer's fixed wording);
 * TE_NOTFOUND when msg is not one (a non-resource path, an admission denial). */
int kube_forbidden_parse(const char *msg, struct kube_access *out);
/* "a Role in namespace x ... with the rule {apiGroups: [apps], resources:
 * [deployments], verbs: [patch]}": what grants a. */
void kube_access_rule(const struct kube_access *a, char *out, size_t n);
/* msg, and when it is a 403 of the authorizer, who needs which rule. */
void kube_forbidden_explain(const char *msg, char *out, size_t n);
/* A SelfSubjectAccessReview of each of n tuples, all in one parallel round: allowed[i]
 * is the authorizer's verdict on a[i]. TE_UNREACHABLE when the server could not be
 * asked; TE_REJECTED naming the tuple when it refused a review. */
int kube_access_review(struct kube *k, const struct kube_access *a, size_t n, bool *allowed,
		       struct err *e);
/* The client's identity as the server sees it (SelfSubjectReview): user (owned) and
 * its groups. */
int kube_whoami(struct kube *k, char **user, struct strlist *groups, struct err *e);

#endif
