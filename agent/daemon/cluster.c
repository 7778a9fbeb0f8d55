/*
 * cluster: the agent's kube clients, per cluster (the same kubeconfig, context,
 * impersonated ServiceAccount and bound on parallel transfers), shared by the apps
 * that sync to it and kept warm between checks; a tenant's app (service-account) uses
 * two, its ServiceAccount's and tether's own for the app's inventory, history and
 * Events. A struct kube serves one thread at a time, and the workers (pool.c) check
 * several apps of one cluster at once, so each cluster keeps a small pool of clients:
 * a worker checks one out (two for a tenant's app) for one check of one app and
 * returns it after. The clients of a cluster are made with kube_new_sharing:
 * one discovery cache and one DNS and TLS session cache for all of them (see
 * agent/kube/shared.c for why connections stay per client). A check takes the client
 * returned last, whose connections are warm: with fewer apps due than workers, a drift
 * check opens no connection and loads no discovery. There are never more clients than
 * workers per cluster. A reload of the configuration drops them all (the workers idle), so a
 * changed kubeconfig is read again.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"

struct daemon_cluster {
	char *kubeconfig, *context; /* as the app's settings give them, NULL for unset */
	char *service_account;	    /* the identity impersonated (a client per tenant) */
	int64_t parallel;
	struct kube_config *kcfg;
	struct kube **all; /* every client made; all[0] was the first */
	size_t n_all, cap_all;
	struct kube **idle; /* checked in, the last one warmest */
	size_t n_idle, cap_idle;
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

static void cluster_free(struct daemon_cluster *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->n_all; i++)
		kube_free(k->all[i]);
	free(k->all);
	free(k->idle);
	kube_config_free(k->kcfg);
	free(k->kubeconfig);
	free(k->context);
	free(k->service_account);
	free(k);
}

/* Adds client kb to k's list of clients (clusters_mu held). */
static int cluster_keep(struct daemon_cluster *k, struct kube *kb, struct err *e)
{
	if (array_reserve(&k->all, &k->cap_all, k->n_all + 1, sizeof(*k->all)) < 0 ||
	    array_reserve(&k->idle, &k->cap_idle, k->n_all + 1, sizeof(*k->idle)) < 0) {
		kube_free(kb);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	k->all[k->n_all++] = kb;
	return 0;
}

/* The clients of c's cluster as sa (NULL: tether's own identity). */
static int cluster_add(struct daemon *d, const struct app_config *c, const char *sa,
		       struct daemon_cluster **out, struct err *e)
{
	struct daemon_cluster *k = NULL;
	struct kube *first = NULL;
	int rc;

	rc = array_reserve(&d->clusters, &d->cap_clusters, d->n_clusters + 1, sizeof(*d->clusters));
	if (rc < 0 || !(k = calloc(1, sizeof(*k)))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto fail;
	}
	k->parallel = c->parallel;
	if ((c->kubeconfig && !(k->kubeconfig = strdup(c->kubeconfig))) ||
	    (c->context && !(k->context = strdup(c->context))) ||
	    (sa && !(k->service_account = strdup(sa)))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto fail;
	}
	if ((rc = sa ? session_connect(c, NULL, &k->kcfg, &first, e)
		     : session_connect_own(c, NULL, &k->kcfg, &first, e)) < 0 ||
	    (rc = cluster_keep(k, first, e)) < 0)
		goto fail;
	k->idle[k->n_idle++] = first;
	d->clusters[d->n_clusters++] = k;
	*out = k;
	return 0;
fail:
	cluster_free(k);
	return rc;
}

/* A client of c's cluster as sa for this check (clusters_mu held): the warmest idle
 * one, else a new one sharing the first one's caches. *kp: the cluster, found once. */
static int cluster_checkout(struct daemon *d, const struct app_config *c, const char *sa,
			    struct daemon_cluster **kp, struct kube **out, struct err *e)
{
	struct daemon_cluster *k = *kp;
	int rc;

	for (size_t i = 0; i < d->n_clusters && !k; i++)
		if (serves(d->clusters[i], c, sa))
			k = d->clusters[i];
	if (!k && (rc = cluster_add(d, c, sa, &k, e)) < 0)
		return rc;
	*kp = k;
	if (k->n_idle) {
		*out = k->idle[--k->n_idle];
		return 0;
	}
	if ((rc = kube_new_sharing(out, k->all[0], e)) < 0)
		return rc;
	return cluster_keep(k, *out, e);
}

/* Gives kb back to k (clusters_mu held); NULL is fine. */
static void cluster_checkin(struct daemon_cluster *k, struct kube *kb)
{
	if (k && kb)
		k->idle[k->n_idle++] = kb; /* room for every client was reserved */
}

/* The app's clients for this check: its identity's, and tether's own for a tenant. */
static int checkout_both(struct daemon *d, struct daemon_app *a, struct kube **kb,
			 struct kube **own, struct err *e)
{
	const char *sa = a->cfg.service_account;
	int rc;

	*kb = *own = NULL;
	pthread_mutex_lock(&d->clusters_mu);
	rc = cluster_checkout(d, &a->cfg, sa, &a->cluster, kb, e);
	if (rc == 0 && sa && (rc = cluster_checkout(d, &a->cfg, NULL, &a->own_cluster, own, e)) < 0)
		cluster_checkin(a->cluster, *kb);
	pthread_mutex_unlock(&d->clusters_mu);
	return rc;
}

static void checkin_both(struct daemon *d, struct daemon_app *a, struct kube *kb,
			 struct kube *own)
{
	pthread_mutex_lock(&d->clusters_mu);
	cluster_checkin(a->cluster, kb);
	cluster_checkin(a->own_cluster, own);
	pthread_mutex_unlock(&d->clusters_mu);
}

int daemon_session(struct daemon *d, struct daemon_app *a, bool kube, struct err *e)
{
	struct kube *kb, *own;
	int rc;

	if (!a->sess && (rc = session_new(&a->sess, &a->cfg, e)) < 0)
		return rc;
	if (!kube || a->sess->kube)
		return 0;
	if ((rc = checkout_both(d, a, &kb, &own, e)) < 0)
		return rc;
	if (a->sess->borrowed_kube) { /* the session's clusters already */
		session_swap_kube(a->sess, kb, own);
		return 0;
	}
	if ((rc = session_use_kube(a->sess, a->cluster->kcfg, kb, e)) < 0) {
		checkin_both(d, a, kb, own);
		return rc;
	}
	if (own)
		session_use_own_kube(a->sess, a->own_cluster->kcfg, own);
	return 0;
}

void daemon_session_done(struct daemon *d, struct daemon_app *a)
{
	if (!a->sess || !a->sess->kube)
		return;
	checkin_both(d, a, a->sess->kube, a->sess->own_kcfg ? a->sess->own_kube : NULL);
	session_swap_kube(a->sess, NULL, NULL);
}

void daemon_clusters_free(struct daemon *d)
{
	control_cache_clear(d->control); /* its lists are keyed by these clusters */
	for (size_t i = 0; i < d->n_clusters; i++)
		cluster_free(d->clusters[i]);
	free(d->clusters);
	d->clusters = NULL;
	d->n_clusters = d->cap_clusters = 0;
}
