/*
 * cluster: the agent's kube clients, one per cluster (the same kubeconfig, context,
 * impersonated ServiceAccount and bound on parallel transfers), shared by the apps
 * that sync to it and kept warm between checks: a drift check reuses its TLS
 * connections and discovery. Each app has a session (session.h) whose cluster half
 * borrows the client from here. The loop thread alone uses them; a reload of the
 * configuration drops them all, so a changed kubeconfig is read again.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"

struct daemon_cluster {
	char *kubeconfig, *context; /* as the app's settings give them, NULL for unset */
	char *service_account;	    /* the identity impersonated (a client per tenant) */
	int64_t parallel;
	struct kube_config *kcfg;
	struct kube *kube;
};

static bool same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static bool serves(const struct daemon_cluster *k, const struct app_config *c)
{
	return same(k->kubeconfig, c->kubeconfig) && same(k->context, c->context) &&
	       same(k->service_account, c->service_account) && k->parallel == c->parallel;
}

static int cluster_add(struct daemon *d, const struct app_config *c, struct daemon_cluster **out,
		       struct err *e)
{
	struct daemon_cluster *k;
	int rc;

	if (array_reserve(&d->clusters, &d->cap_clusters, d->n_clusters + 1,
			  sizeof(*d->clusters)) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	k = &d->clusters[d->n_clusters];
	*k = (struct daemon_cluster){.parallel = c->parallel};
	if ((c->kubeconfig && !(k->kubeconfig = strdup(c->kubeconfig))) ||
	    (c->context && !(k->context = strdup(c->context))) ||
	    (c->service_account && !(k->service_account = strdup(c->service_account)))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = session_connect(c, NULL, &k->kcfg, &k->kube, e)) < 0)
		goto fail;
	d->n_clusters++;
	*out = k;
	return 0;
fail:
	free(k->kubeconfig);
	free(k->context);
	free(k->service_account);
	return rc;
}

int daemon_session(struct daemon *d, struct daemon_app *a, bool kube, struct err *e)
{
	struct daemon_cluster *k = NULL;
	int rc;

	if (!a->sess && (rc = session_new(&a->sess, &a->cfg, e)) < 0)
		return rc;
	if (!kube || a->sess->kube)
		return 0;
	for (size_t i = 0; i < d->n_clusters && !k; i++)
		if (serves(&d->clusters[i], &a->cfg))
			k = &d->clusters[i];
	if (!k && (rc = cluster_add(d, &a->cfg, &k, e)) < 0)
		return rc;
	return session_use_kube(a->sess, k->kcfg, k->kube, e);
}

void daemon_clusters_free(struct daemon *d)
{
	control_cache_clear(d->control); /* its lists are keyed by these clients */
	for (size_t i = 0; i < d->n_clusters; i++) {
		kube_free(d->clusters[i].kube);
		kube_config_free(d->clusters[i].kcfg);
		free(d->clusters[i].kubeconfig);
		free(d->clusters[i].context);
		free(d->clusters[i].service_account);
	}
	free(d->clusters);
	d->clusters = NULL;
	d->n_clusters = d->cap_clusters = 0;
}
