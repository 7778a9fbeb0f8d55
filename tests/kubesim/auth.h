/*
 * auth: who is asking and may they (kubernetes-semantics-2.md §1-§2). authn.c turns a
 * request's credentials into a user (client certificate, static token file, --token),
 * rbac.c derives the request attributes and asks the RBAC rules, rbac_index.c keeps the
 * bindings indexed by subject so a request never scans every binding, rbac_bootstrap.c
 * writes the default roles and keeps aggregated ClusterRoles filled in.
 * Nothing here sends a reply: failures come back as a struct kstatus (401 or 403).
 */
#ifndef KUBESIM_AUTH_H
#define KUBESIM_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "rbac_rule.h"
#include "store.h"

#define AUTH_MAX_GROUPS 16
#define AUTH_MAX_USER_EXTRAS 8

struct auth_user {
	char name[256];
	char uid[128];
	int ngroups;
	char groups[AUTH_MAX_GROUPS][128];
	int nextras; /* extra: key/value pairs, a key may repeat */
	char extra_keys[AUTH_MAX_USER_EXTRAS][128];
	char extra_values[AUTH_MAX_USER_EXTRAS][128];
};

void auth_user_add_group(struct auth_user *u, const char *g);
bool auth_user_in_group(const struct auth_user *u, const char *g);
void auth_user_add_extra(struct auth_user *u, const char *key, const char *value);
/* u's extra as the JSON of user.Info's Extra (keys sorted, each a list); NULL when none. */
cJSON *auth_user_extra_json(const struct auth_user *u);

/* The attributes of a request as requestinfo.go derives them (§2.1). */
struct auth_reqinfo {
	bool resource_request;
	char verb[24];
	char group[128];
	char version[32];
	char resource[128];
	char sub[64];
	char ns[254];
	char name[254];
	char path[512];
};

/* method "GET", path without query; watch and field_selector are the query values or NULL. */
/* A boolean query parameter as the API server reads it ("True" and "" are true). */
bool query_bool(const char *v);
void auth_reqinfo_parse(struct auth_reqinfo *ri, const char *method, const char *path,
			const char *watch, const char *field_selector);
void auth_reqinfo_attrs(const struct auth_reqinfo *ri, struct rbac_attrs *a);

/* ---- the subject index ---------------------------------------------------------- */

/* One binding that names a subject (borrowed strings, valid while the store lock is held). */
struct rbac_bref {
	bool cluster;		/* ClusterRoleBinding */
	const char *ns, *name;	/* the binding */
	const char *role_kind, *role_name;
	const char *subject;	/* for reasons: `Group "system:masters"` */
};

struct rbac_index;
struct rbac_index *rbac_index_new(void);
void rbac_index_free(struct rbac_index *ix);
/* A binding changed: old (NULL when added) is unindexed, obj (NULL when deleted) indexed. */
void rbac_index_update(struct rbac_index *ix, bool cluster, const cJSON *old, const cJSON *obj);
/* The bindings that apply to u for a request in ns ("" = cluster scope): every
 * ClusterRoleBinding first, then RoleBindings of ns, each once, sorted by name.
 * *out is malloc'd (free it); returns the count. */
size_t rbac_index_lookup(const struct rbac_index *ix, const struct auth_user *u, const char *ns,
			 struct rbac_bref **out);

/* ---- the authorizer --------------------------------------------------------------- */

struct auth;

struct auth_opts {
	bool rbac;		/* --authorization-mode RBAC (else AlwaysAllow) */
	bool anonymous;		/* --anonymous-auth */
	const char *users_file;	/* --users FILE (static tokens) */
	const char *admin_token; /* --token, or generated: a system:masters user */
};

/* Builds the index from the store and subscribes to its writes; in RBAC mode writes the
 * bootstrap roles. NULL with errbuf filled. */
struct auth *auth_new(struct store *st, const struct auth_opts *o, char *errbuf, size_t errlen);
void auth_free(struct auth *a);
/* Asks for a re-read of --users (async-signal-safe: sets a flag). */
void auth_request_reload(struct auth *a);

/* A ServiceAccount token (sa_token.h) for the ServiceAccount sa (its metadata gives
 * namespace, name, uid), bound to bound_kind/name/uid when bound_kind is not NULL,
 * valid for seconds from iat; malloc'd. */
char *auth_issue_token(struct auth *a, const cJSON *sa, const cJSON *audiences, int64_t iat,
		       int64_t seconds, const char *bound_kind, const char *bound_name,
		       const char *bound_uid);

/* Credentials of one request, as the server found them. */
struct auth_creds {
	const char *authorization;	/* the Authorization header or NULL */
	bool cert_present, cert_valid;
	const char *cert_cn;		/* subject CN (NULL if none) */
	const char *cert_orgs[AUTH_MAX_GROUPS];
	int ncert_orgs;
	char cert_id[80];		/* "X509SHA256=<hex>" of the DER */
};

/* Fills the certificate part of c from a DER client certificate; cn and orgs are the
 * caller's buffers that c then points into. */
void auth_creds_set_cert(struct auth_creds *c, const unsigned char *der, size_t len, bool valid,
			 char *cn, size_t cnlen, char orgs[][128]);

/* 0 and *u, or -401 with e filled. */
int auth_authenticate(struct auth *a, const struct auth_creds *c, struct auth_user *u,
		      struct kstatus *e);

/* Whether u may do ri; reason (optional) gets the RBAC reason ("" when none). */
bool auth_allowed(struct auth *a, const struct auth_user *u, const struct auth_reqinfo *ri,
		  char *reason, size_t reasonlen);

/* Escalation prevention (§2.7) for a write of obj (old: NULL on create) that ri asked
 * for: 0, or -403 with e. Under AlwaysAllow always 0. */
int auth_admit(struct auth *a, const struct auth_user *u, const struct auth_reqinfo *ri,
	       const struct restype *rt, const cJSON *old, const cJSON *obj, struct kstatus *e);

/* The 403 Forbidden Status for ri (§2.6); reason may be "". Returns -403. */
int auth_forbidden(struct kstatus *e, const struct auth_user *u, const struct auth_reqinfo *ri,
		   const char *reason);

/* impersonate.c: the Impersonate-* headers of one request (borrowed strings). */
#define AUTH_MAX_EXTRAS 8
struct auth_impersonation {
	const char *user, *uid;
	const char *groups[AUTH_MAX_GROUPS];
	int ngroups;
	char extra_keys[AUTH_MAX_EXTRAS][128]; /* lowercased */
	const char *extra_values[AUTH_MAX_EXTRAS];
	int nextras;
};

/* Authorizes each requested item for the real user *u (verb impersonate) and replaces
 * *u by the impersonated identity: 0, -403 with e, or -500 (a group, uid or extra
 * without a user). */
int auth_impersonate(struct auth *a, struct auth_user *u, const struct auth_impersonation *im,
		     struct kstatus *e);

/* Every rule that applies to u in ns, split as SelfSubjectRulesReview does (§3.3);
 * err gets resolution errors ("" when none). */
void auth_rules(struct auth *a, const struct auth_user *u, const char *ns, cJSON *resource_rules,
		cJSON *non_resource_rules, char *err, size_t errlen);

/* review.c: the review kinds, for discovery (create only, never stored). */
struct review_type {
	const char *group, *resource, *kind;
	bool namespaced;
};
size_t review_types(const struct review_type **out);
/* The 422 Invalid Status of kind.group "name" with one FieldValueInvalid cause. */
int auth_invalid(struct kstatus *e, const char *group, const char *kind, const char *name,
		 const char *field, const char *msg);

/* rbac_bootstrap.c */
int rbac_bootstrap(struct store *st, char *errbuf, size_t errlen);
/* Recomputes the rules of aggregated ClusterRoles; writes only the ones that changed. */
void rbac_aggregate(struct store *st);
/* Whether a ClusterRole write can change an aggregation (it has labels or a rule). */
bool rbac_aggregation_relevant(const cJSON *obj);

#endif
