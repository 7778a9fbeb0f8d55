/*
 * authn: the authentication chain of kube-apiserver (kubernetes-semantics-2.md §1.1):
 * client certificates, then bearer tokens (the --token administrator, the --users
 * static token file, ServiceAccount tokens of sa_token.c), else anonymous. A credential that is present but unknown is a
 * 401, never anonymous. Tokens are never logged. Also owns the auth object: the subject
 * index fed from the store's events and the switch between AlwaysAllow and RBAC.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth.h"
#include "auth_int.h"
#include "sa_token.h"

#define MAX_LINE 4096

struct token_entry {
	char *token;
	struct auth_user u;
};

struct token_table {
	struct token_entry *v;
	size_t n;
};

struct auth {
	struct store *st;
	struct auth_opts o;
	char *admin_token;
	char *users_file;
	struct rbac_index *ix;
	pthread_mutex_t mu; /* the token table */
	struct token_table tokens;
	atomic_bool reload;
	atomic_bool aggregate; /* a ClusterRole changed: recompute aggregated roles */
	struct satoken_key sakey; /* signs ServiceAccount tokens */
};

void auth_user_add_group(struct auth_user *u, const char *g)
{
	if (u->ngroups >= AUTH_MAX_GROUPS || auth_user_in_group(u, g))
		return;
	snprintf(u->groups[u->ngroups++], sizeof(u->groups[0]), "%s", g);
}

bool auth_user_in_group(const struct auth_user *u, const char *g)
{
	for (int i = 0; i < u->ngroups; i++)
		if (strcmp(u->groups[i], g) == 0)
			return true;
	return false;
}

void auth_user_add_extra(struct auth_user *u, const char *key, const char *value)
{
	if (u->nextras >= AUTH_MAX_USER_EXTRAS)
		return;
	snprintf(u->extra_keys[u->nextras], sizeof(u->extra_keys[0]), "%s", key);
	snprintf(u->extra_values[u->nextras++], sizeof(u->extra_values[0]), "%s", value);
}

cJSON *auth_user_extra_json(const struct auth_user *u)
{
	cJSON *o;
	int order[AUTH_MAX_USER_EXTRAS];

	if (!u->nextras)
		return NULL;
	for (int i = 0; i < u->nextras; i++) { /* insertion sort by key, stable */
		int j = i;

		while (j > 0 && strcmp(u->extra_keys[order[j - 1]], u->extra_keys[i]) > 0) {
			order[j] = order[j - 1];
			j--;
		}
		order[j] = i;
	}
	o = cJSON_CreateObject();
	for (int i = 0; i < u->nextras; i++) {
		const char *k = u->extra_keys[order[i]];
		cJSON *list = cJSON_GetObjectItemCaseSensitive(o, k);

		if (!list)
			list = cJSON_AddArrayToObject(o, k);
		cJSON_AddItemToArray(list, cJSON_CreateString(u->extra_values[order[i]]));
	}
	return o;
}

/* ---- the static token file ------------------------------------------------------------ */

static void table_dispose(struct token_table *t)
{
	for (size_t i = 0; i < t->n; i++)
		free(t->v[i].token);
	free(t->v);
	t->v = NULL;
	t->n = 0;
}

/* Splits one CSV record (encoding/csv: "..." quoting with "" for a quote) in place. */
static int csv_split(char *line, char **f, int max)
{
	char *w = line, *r = line;
	int n = 0;

	while (n < max) {
		bool quoted = *r == '"';

		f[n++] = w;
		if (quoted)
			r++;
		while (*r && (quoted || *r != ',')) {
			if (quoted && *r == '"') {
				if (r[1] != '"') {
					quoted = false;
					r++;
					continue;
				}
				r++;
			}
			*w++ = *r++;
		}
		if (*r != ',') {
			*w = '\0';
			break;
		}
		*w++ = '\0';
		r++;
	}
	return n;
}

static void groups_of(struct auth_user *u, char *col)
{
	char *save = NULL, *g;

	for (g = strtok_r(col, ",", &save); g; g = strtok_r(NULL, ",", &save))
		auth_user_add_group(u, g);
}

static int table_add(struct token_table *t, char **f, int n)
{
	struct token_entry *en;

	for (size_t i = 0; i < t->n; i++) /* the later line wins */
		if (strcmp(t->v[i].token, f[0]) == 0) {
			en = &t->v[i];
			free(en->token);
			goto fill;
		}
	t->v = realloc(t->v, (t->n + 1) * sizeof(*t->v));
	if (!t->v)
		abort();
	en = &t->v[t->n++];
fill:
	memset(en, 0, sizeof(*en));
	en->token = strdup(f[0]);
	if (!en->token)
		abort();
	snprintf(en->u.name, sizeof(en->u.name), "%s", f[1]);
	snprintf(en->u.uid, sizeof(en->u.uid), "%s", f[2]);
	if (n > 3)
		groups_of(&en->u, f[3]);
	return 0;
}

static int table_load(struct token_table *t, const char *path, char *errbuf, size_t errlen)
{
	char line[MAX_LINE], *f[8];
	FILE *fp = fopen(path, "r");
	int n, lineno = 0;

	if (!fp) {
		snprintf(errbuf, errlen, "token file '%s': cannot open", path);
		return -1;
	}
	while (fgets(line, sizeof(line), fp)) {
		lineno++;
		line[strcspn(line, "\r\n")] = '\0';
		if (!line[0])
			continue;
		n = csv_split(line, f, 8);
		if (n < 3) {
			snprintf(errbuf, errlen,
				 "token file '%s' must have at least 3 columns (token, user name, user "
				 "uid), found %d (line %d)", path, n, lineno);
			fclose(fp);
			table_dispose(t);
			return -1;
		}
		if (f[0][0])
			table_add(t, f, n);
	}
	fclose(fp);
	return 0;
}

static void tokens_maybe_reload(struct auth *a)
{
	struct token_table t = {0};
	char err[512];

	if (!atomic_exchange(&a->reload, false) || !a->users_file)
		return;
	if (table_load(&t, a->users_file, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: --users reload: %s (keeping the previous tokens)\n", err);
		return;
	}
	pthread_mutex_lock(&a->mu);
	table_dispose(&a->tokens);
	a->tokens = t;
	pthread_mutex_unlock(&a->mu);
}

void auth_request_reload(struct auth *a)
{
	if (a)
		atomic_store(&a->reload, true);
}

/* ---- the chain ------------------------------------------------------------------------ */

static bool ct_equal(const char *a, const char *b)
{
	size_t n = strlen(b);
	unsigned char d = 0;

	if (strlen(a) != n)
		return false;
	for (size_t i = 0; i < n; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return d == 0;
}

static void admin_user(struct auth_user *u)
{
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "kubesim-admin");
	auth_user_add_group(u, "system:masters");
}

static bool token_user(struct auth *a, const char *tok, struct auth_user *u)
{
	bool found = false;

	if (a->admin_token && ct_equal(tok, a->admin_token)) {
		admin_user(u);
		return true;
	}
	pthread_mutex_lock(&a->mu);
	for (size_t i = 0; i < a->tokens.n && !found; i++)
		if (ct_equal(tok, a->tokens.v[i].token)) {
			*u = a->tokens.v[i].u;
			found = true;
		}
	pthread_mutex_unlock(&a->mu);
	if (!found && satoken_is_jwt(tok)) {
		char why[300]; /* only logged by the real server; kubesim keeps it quiet */

		found = satoken_authenticate(&a->sakey, a->st, tok, (int64_t)time(NULL), u, why,
					     sizeof(why)) == 0;
	}
	return found;
}

char *auth_issue_token(struct auth *a, const cJSON *sa, const cJSON *audiences, int64_t iat,
		       int64_t seconds, const char *bound_kind, const char *bound_name,
		       const char *bound_uid)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(sa, "metadata");
	struct satoken_claims c = {.iat = iat, .nbf = iat, .exp = iat + seconds};
	const cJSON *v;

	v = cJSON_GetObjectItemCaseSensitive(md, "namespace");
	snprintf(c.ns, sizeof(c.ns), "%s", cJSON_IsString(v) ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(md, "name");
	snprintf(c.name, sizeof(c.name), "%s", cJSON_IsString(v) ? v->valuestring : "");
	v = cJSON_GetObjectItemCaseSensitive(md, "uid");
	snprintf(c.uid, sizeof(c.uid), "%s", cJSON_IsString(v) ? v->valuestring : "");
	satoken_uuid(c.jti);
	if (bound_kind) {
		snprintf(c.bound.kind, sizeof(c.bound.kind), "%s", bound_kind);
		snprintf(c.bound.name, sizeof(c.bound.name), "%s", bound_name);
		snprintf(c.bound.uid, sizeof(c.bound.uid), "%s", bound_uid);
	}
	return satoken_sign(&a->sakey, &c, audiences);
}

/* bearertoken.go: "Bearer <token>"; 1 = a token, 0 = no credential. */
static int bearer_of(const char *h, char *tok, size_t len)
{
	const char *sp;

	if (!h)
		return 0;
	while (*h == ' ' || *h == '\t')
		h++;
	sp = strchr(h, ' ');
	if (!sp || sp - h != 6 || strncasecmp(h, "bearer", 6) != 0)
		return 0;
	sp++;
	snprintf(tok, len, "%.*s", (int)strcspn(sp, " \t\r\n"), sp);
	return tok[0] ? 1 : 0;
}

static void finish_user(struct auth_user *u)
{
	if (strcmp(u->name, "system:anonymous") != 0 &&
	    !auth_user_in_group(u, "system:authenticated") &&
	    !auth_user_in_group(u, "system:unauthenticated"))
		auth_user_add_group(u, "system:authenticated");
}

int auth_authenticate(struct auth *a, const struct auth_creds *c, struct auth_user *u,
		      struct kstatus *e)
{
	char tok[1024];
	bool failed = false;
	int has_tok;

	memset(u, 0, sizeof(*u));
	tokens_maybe_reload(a);
	if (c->cert_present && c->cert_valid && c->cert_cn && *c->cert_cn) {
		snprintf(u->name, sizeof(u->name), "%s", c->cert_cn);
		for (int i = 0; i < c->ncert_orgs; i++)
			auth_user_add_group(u, c->cert_orgs[i]);
		if (c->cert_id[0]) /* x509.go CommonNameUserConversion */
			auth_user_add_extra(u, "authentication.kubernetes.io/credential-id", c->cert_id);
		finish_user(u);
		return 0;
	}
	failed = c->cert_present;
	has_tok = bearer_of(c->authorization, tok, sizeof(tok));
	if (has_tok && token_user(a, tok, u)) {
		finish_user(u);
		return 0;
	}
	if (has_tok || failed || !a->o.anonymous)
		return kstatus_set(e, 401, "Unauthorized", "Unauthorized");
	snprintf(u->name, sizeof(u->name), "system:anonymous");
	auth_user_add_group(u, "system:unauthenticated");
	return 0;
}

/* ---- the auth object ---------------------------------------------------------------------- */

static bool is_rbac(const struct restype *rt, const char *res)
{
	return strcmp(rt->group, "rbac.authorization.k8s.io") == 0 && strcmp(rt->resource, res) == 0;
}

static void on_event(void *ud, const struct store_event *ev)
{
	struct auth *a = ud;
	bool cluster = is_rbac(ev->rt, "clusterrolebindings");

	if (cluster || is_rbac(ev->rt, "rolebindings"))
		rbac_index_update(a->ix, cluster, ev->old,
				  ev->type == STORE_DELETED ? NULL : ev->obj);
	else if (is_rbac(ev->rt, "clusterroles") &&
		 (rbac_aggregation_relevant(ev->obj) || (ev->old && rbac_aggregation_relevant(ev->old))))
		atomic_store(&a->aggregate, true);
}

static void index_existing(struct auth *a, const char *res, bool cluster)
{
	const struct restype *rt = store_type(a->st, "rbac.authorization.k8s.io", res);
	const cJSON **objs = NULL;
	size_t n = rt ? store_list(a->st, rt, NULL, &objs) : 0;

	for (size_t i = 0; i < n; i++)
		rbac_index_update(a->ix, cluster, NULL, objs[i]);
	free(objs);
}

static int auth_rbac_start(struct auth *a, char *errbuf, size_t errlen)
{
	a->ix = rbac_index_new();
	if (!a->ix) {
		snprintf(errbuf, errlen, "out of memory");
		return -1;
	}
	store_lock(a->st);
	store_subscribe(a->st, on_event, a);
	index_existing(a, "clusterrolebindings", true);
	index_existing(a, "rolebindings", false);
	store_unlock(a->st);
	if (rbac_bootstrap(a->st, errbuf, errlen) < 0)
		return -1;
	rbac_aggregate(a->st);
	atomic_store(&a->aggregate, false);
	return 0;
}

struct auth *auth_new(struct store *st, const struct auth_opts *o, char *errbuf, size_t errlen)
{
	struct auth *a = calloc(1, sizeof(*a));

	if (!a)
		return NULL;
	a->st = st;
	a->o = *o;
	pthread_mutex_init(&a->mu, NULL);
	a->admin_token = o->admin_token && *o->admin_token ? strdup(o->admin_token) : NULL;
	a->users_file = o->users_file ? strdup(o->users_file) : NULL;
	a->o.admin_token = a->o.users_file = NULL;
	if (a->users_file && table_load(&a->tokens, a->users_file, errbuf, errlen) < 0)
		goto fail;
	if (satoken_key_init(&a->sakey) < 0) {
		snprintf(errbuf, errlen, "cannot make the ServiceAccount token key");
		goto fail;
	}
	if (o->rbac && auth_rbac_start(a, errbuf, errlen) < 0)
		goto fail;
	return a;
fail:
	auth_free(a);
	return NULL;
}

void auth_free(struct auth *a)
{
	if (!a)
		return;
	/* The store keeps its subscriber: auth_free runs after the store stopped writing. */
	table_dispose(&a->tokens);
	rbac_index_free(a->ix);
	pthread_mutex_destroy(&a->mu);
	free(a->admin_token);
	free(a->users_file);
	free(a);
}

bool auth_allowed(struct auth *a, const struct auth_user *u, const struct auth_reqinfo *ri,
		  char *reason, size_t reasonlen)
{
	if (reason && reasonlen)
		reason[0] = '\0';
	if (!a->o.rbac)
		return true;
	/* kube-apiserver's authorizer union starts with the privileged-group authorizer
	 * (pkg/kubeapiserver/authorizer/reload.go): system:masters may do anything, with
	 * no reason, and RBAC is not asked. */
	if (auth_user_in_group(u, "system:masters"))
		return true;
	if (atomic_exchange(&a->aggregate, false))
		rbac_aggregate(a->st);
	return rbac_decide(a->st, a->ix, u, ri, reason, reasonlen);
}

int auth_admit(struct auth *a, const struct auth_user *u, const struct auth_reqinfo *ri,
	       const struct restype *rt, const cJSON *old, const cJSON *obj, struct kstatus *e)
{
	if (!a || !a->o.rbac)
		return 0;
	return rbac_escalation_check(a->st, a->ix, u, ri, rt, old, obj, e);
}

/* ---- client certificates ------------------------------------------------------------------ */

void auth_creds_set_cert(struct auth_creds *c, const unsigned char *der, size_t len, bool valid,
			 char *cn, size_t cnlen, char orgs[][128])
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	X509_NAME *nm;
	unsigned char fp[32];
	unsigned int fplen = 0;
	int i = -1;

	c->cert_present = true;
	c->cert_valid = valid && x;
	cn[0] = '\0';
	if (!x)
		return;
	EVP_Digest(der, len, fp, &fplen, EVP_sha256(), NULL);
	snprintf(c->cert_id, sizeof(c->cert_id), "X509SHA256=");
	for (unsigned int k = 0; k < fplen; k++)
		snprintf(c->cert_id + 11 + 2 * k, 3, "%02x", fp[k]);
	nm = X509_get_subject_name(x);
	X509_NAME_get_text_by_NID(nm, NID_commonName, cn, (int)cnlen);
	c->cert_cn = cn;
	while ((i = X509_NAME_get_index_by_NID(nm, NID_organizationName, i)) >= 0 &&
	       c->ncert_orgs < AUTH_MAX_GROUPS) {
		ASN1_STRING *s = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(nm, i));

		snprintf(orgs[c->ncert_orgs], 128, "%.*s", ASN1_STRING_length(s),
			 (const char *)ASN1_STRING_get0_data(s));
		c->cert_orgs[c->ncert_orgs] = orgs[c->ncert_orgs];
		c->ncert_orgs++;
	}
	X509_free(x);
}

/* AlwaysAllow lists everything (authorizerfactory alwaysAllowAuthorizer.RulesFor). */
static void all_rules(cJSON *res, cJSON *nonres)
{
	cJSON *r = cJSON_Parse("{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]}");
	cJSON *n = cJSON_Parse("{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}");

	if (r)
		cJSON_AddItemToArray(res, r);
	if (n)
		cJSON_AddItemToArray(nonres, n);
}

void auth_rules(struct auth *a, const struct auth_user *u, const char *ns, cJSON *resource_rules,
		cJSON *non_resource_rules, char *err, size_t errlen)
{
	err[0] = '\0';
	if (!a->o.rbac) {
		all_rules(resource_rules, non_resource_rules);
		return;
	}
	if (atomic_exchange(&a->aggregate, false))
		rbac_aggregate(a->st);
	rbac_rules(a->st, a->ix, u, ns, resource_rules, non_resource_rules, err, errlen);
}
