/*
 * session: the connections of one command (include/session.h). The two halves are
 * opened lazily and independently: the engine opens Git on its source thread while
 * the main thread connects to the cluster.
 */
#include <stdlib.h>
#include <string.h>

#include "session.h"

int session_new(struct session **out, const struct app_config *c, struct err *e)
{
	struct session *s = calloc(1, sizeof(*s));

	*out = NULL;
	if (!s)
		return err_set(e, TE_NOMEM, "out of memory");
	s->cfg = c;
	strlist_init(&s->ns_scoped);
	strlist_init(&s->own_ns_scoped);
	*out = s;
	return 0;
}

static void drop_kube(struct session *s)
{
	if (!s->borrowed_kube) {
		kube_free(s->kube);
		kube_config_free(s->kcfg);
		kube_free(s->own_kube);
		kube_config_free(s->own_kcfg);
	}
	s->kube = s->own_kube = NULL;
	s->kcfg = s->own_kcfg = NULL;
	s->borrowed_kube = false;
	s->context_ns = NULL;
	strlist_dispose(&s->ns_scoped);
	strlist_init(&s->ns_scoped);
	strlist_dispose(&s->own_ns_scoped);
	strlist_init(&s->own_ns_scoped);
	s->inventory_granted = false;
	free(s->ns);
	s->ns = NULL;
}

void session_free(struct session *s)
{
	if (!s)
		return;
	gitsrc_free(s->git);
	drop_kube(s);
	free(s);
}

void session_git_opts(const struct app_config *c, struct gitsrc_opts *o)
{
	*o = (struct gitsrc_opts){
		.url = c->repo,
		.cache_dir = c->cache_dir,
		.username = c->git_username,
		.token_env = c->git_token_env,
		.token_file = c->git_token_file,
		.ssh_key = c->ssh_key,
		.known_hosts = c->known_hosts,
		.insecure_skip_tls_verify = c->git_insecure,
	};
}

int session_git(struct session *s, struct err *e)
{
	struct gitsrc_opts o;

	if (s->git)
		return 0;
	session_git_opts(s->cfg, &o);
	return gitsrc_open(&s->git, &o, e);
}

void session_drop_git(struct session *s)
{
	gitsrc_free(s->git);
	s->git = NULL;
}

static char *impersonated_user(const char *sa)
{
	const char *slash = strchr(sa, '/');

	return slash ? xasprintf("system:serviceaccount:%.*s:%s", (int)(slash - sa), sa, slash + 1)
		     : NULL;
}

static int connect_as(const struct app_config *c, const char *sa, const struct kube_opts *o,
		      struct kube_config **kcfg, struct kube **k, struct err *e)
{
	const struct kube_opts sync_opts = {.parallel = (int)c->parallel};
	int rc;

	*k = NULL;
	if ((rc = kube_config_load(kcfg, c->kubeconfig, c->context, e)) < 0)
		return rc;
	/* a tenant's app: every request as its ServiceAccount (the API server adds the
	 * ServiceAccount's groups to an impersonated system:serviceaccount: user) */
	if (sa && !((*kcfg)->impersonate = impersonated_user(sa))) {
		kube_config_free(*kcfg);
		*kcfg = NULL;
		return err_set(e, TE_NOMEM, "out of memory");
	}
	if ((rc = kube_new(k, *kcfg, o ? o : &sync_opts, e)) < 0) {
		kube_config_free(*kcfg);
		*kcfg = NULL;
	}
	return rc;
}

int session_connect(const struct app_config *c, const struct kube_opts *o,
		    struct kube_config **kcfg, struct kube **k, struct err *e)
{
	return connect_as(c, c->service_account, o, kcfg, k, e);
}

int session_connect_own(const struct app_config *c, const struct kube_opts *o,
			struct kube_config **kcfg, struct kube **k, struct err *e)
{
	return connect_as(c, NULL, o, kcfg, k, e);
}

static int resolve_namespaces(struct session *s, struct err *e)
{
	const char *ctx = s->kcfg->namespace;

	s->context_ns = ctx;
	s->ns = xstrdup(s->cfg->namespace ? s->cfg->namespace : ctx ? ctx : "default");
	return s->ns ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

int session_kube(struct session *s, struct err *e)
{
	int rc;

	if (s->kube)
		return 0;
	if ((rc = session_connect(s->cfg, NULL, &s->kcfg, &s->kube, e)) < 0)
		return rc;
	if ((s->cfg->service_account &&
	     (rc = session_connect_own(s->cfg, NULL, &s->own_kcfg, &s->own_kube, e)) < 0) ||
	    (rc = resolve_namespaces(s, e)) < 0)
		drop_kube(s);
	return rc;
}

int session_use_kube(struct session *s, struct kube_config *kcfg, struct kube *k,
		     struct err *e)
{
	int rc;

	drop_kube(s);
	s->kcfg = kcfg;
	s->kube = k;
	s->borrowed_kube = true;
	if ((rc = resolve_namespaces(s, e)) < 0)
		drop_kube(s);
	return rc;
}

void session_swap_kube(struct session *s, struct kube *k, struct kube *own)
{
	if (!s->borrowed_kube)
		return;
	s->kube = k;
	if (s->own_kcfg) /* a service-account's app: tether's own client too */
		s->own_kube = own;
}

void session_use_own_kube(struct session *s, struct kube_config *kcfg, struct kube *k)
{
	s->own_kcfg = kcfg;
	s->own_kube = k;
}

struct kube *session_own_kube(const struct session *s)
{
	return s->own_kube ? s->own_kube : s->kube;
}

bool session_own_identity(const struct session *s)
{
	return s->own_kube != NULL;
}

static char *scope_key(const struct kube_resource *res)
{
	return xasprintf("%s.%s", res->resource, res->group);
}

static bool scoped_in(const struct strlist *l, const struct kube_resource *res)
{
	char *key = res ? scope_key(res) : NULL;
	bool yes = key && strlist_contains(l, key);

	free(key);
	return yes;
}

static int set_scoped_in(struct strlist *l, const struct kube_resource *res)
{
	char *key = scope_key(res);

	if (!key)
		return TE_NOMEM;
	if (strlist_contains(l, key)) {
		free(key);
		return 0;
	}
	return strlist_add_owned(l, key);
}

bool session_ns_scoped(const struct session *s, const struct kube_resource *res)
{
	return scoped_in(&s->ns_scoped, res);
}

int session_set_ns_scoped(struct session *s, const struct kube_resource *res)
{
	return set_scoped_in(&s->ns_scoped, res);
}

bool session_own_ns_scoped(const struct session *s, const struct kube_resource *res)
{
	return scoped_in(s->own_kube ? &s->own_ns_scoped : &s->ns_scoped, res);
}

int session_set_own_ns_scoped(struct session *s, const struct kube_resource *res)
{
	return set_scoped_in(s->own_kube ? &s->own_ns_scoped : &s->ns_scoped, res);
}
