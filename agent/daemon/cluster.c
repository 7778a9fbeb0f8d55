/*
 * cluster: the agent's kube clients, one per cluster (the same kubeconfig, context,
 * impersonated ServiceAccount and bound on parallel transfers), shared by the apps
 * that sync to it and kept warm between checks: a drift check reuses its TLS
 * connections and discovery. Each app has a session (session.h) whose cluster half
 * borrows the client from here; a tenant's app (service-account) borrows two, its
 * ServiceAccount's and tether's own for the app's inventory, history and Events. The loop thread alone uses them; a reload of the
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

static bool serves(const struct daemon_cluster *k, const struct app_config *c, const char *sa)
{
	return same(k->kubeconfig, c->kubeconfig) && same(k->context, c->context) &&
	       same(k->service_account, sa) && k->parallel == c->parallel;
}

/* The client of c's cluster as sa (NULL: tether's own identity). */
static int cluster_add(struct daemon *d, const struct app_config *c, const char *sa,
		       struct daemon_cluster **out, struct err *e)
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
	    (sa && !(k->service_account = strdup(sa)))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = sa ? session_connect(c, NULL, &k->kcfg, &k->kube, e)
		     : session_connect_own(c, NULL, &k->kcfg, &k->kube, e)) < 0)
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

static int cluster_of(struct daemon *d, const struct app_config *c, const char *sa,
		      struct daemon_cluster **k, struct err *e)
{
	for (size_t i = 0; i < d->n_clusters; i++)
		if (serves(&d->clusters[i], c, sa)) {
			*k = &d->clusters[i];
			return 0;
		}
	return cluster_add(d, c, sa, k, e);
}

int daemon_session(struct daemon *d, struct daemon_app *a, bool kube, struct err *e)
{
	struct daemon_cluster *k = NULL, *own = NULL;
	int rc;

	if (!a->sess && (rc = session_new(&a->sess, &a->cfg, e)) < 0)
		return rc;
	if (!kube || a->sess->kube)
		return 0;
	if ((rc = cluster_of(d, &a->cfg, a->cfg.service_account, &k, e)) < 0)
		return rc;
	/* a tenant's bookkeeping as tether itself: cluster_of may have grown the table */
	if (a->cfg.service_account) {
		size_t at = (size_t)(k - d->clusters);

		if ((rc = cluster_of(d, &a->cfg, NULL, &own, e)) < 0)
			return rc;
		k = &d->clusters[at];
	}
	if ((rc = session_use_kube(a->sess, k->kcfg, k->kube, e)) < 0)
		return rc;
	if (own)
		session_use_own_kube(a->sess, own->kcfg, own->kube);
	return 0;
}

void daemon_clusters_free(struct daemon *d)
{
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
