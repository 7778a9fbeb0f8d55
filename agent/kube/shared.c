/*
 * shared: what several clients of one cluster share when each is used by its own
 * thread (the agent's workers, agent/daemon/cluster.c). A struct kube stays a
 * one-thread object: its multi handle, easy handles, buffers and credentials are its
 * own. What is worth sharing lives here, behind locks:
 *
 * - curl's DNS and TLS session caches, through one CURLSH with lock callbacks, so a
 *   second client resumes the TLS session of the first instead of a full handshake.
 *   Connections are not shared: curl does not support sharing its connection cache
 *   between concurrent threads (CURLSHOPT_SHARE, CURL_LOCK_DATA_CONNECT). Each client
 *   keeps its own connections warm, and the agent reuses the client it used last.
 * - discovery (discovery.c): one table, loaded once for every client, its entries
 *   valid until the last client is freed (a refresh retires a table, never frees it).
 */
#include <stdlib.h>

#include "kube_int.h"

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *userp)
{
	struct kube_shared *sh = userp;

	(void)h;
	(void)access;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_lock(&sh->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *userp)
{
	struct kube_shared *sh = userp;

	(void)h;
	if ((unsigned)data < CURL_LOCK_DATA_LAST)
		pthread_mutex_unlock(&sh->locks[data]);
}

int kube_shared_new(struct kube_shared **out)
{
	struct kube_shared *sh = calloc(1, sizeof(*sh));

	*out = NULL;
	if (!sh || !(sh->share = curl_share_init())) {
		free(sh);
		return TE_NOMEM;
	}
	sh->refs = 1;
	pthread_mutex_init(&sh->refs_mu, NULL);
	pthread_mutex_init(&sh->disc_mu, NULL);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_init(&sh->locks[i], NULL);
	strlist_init(&sh->legacy_gvs);
	strlist_init(&sh->misses);
	curl_share_setopt(sh->share, CURLSHOPT_LOCKFUNC, share_lock);
	curl_share_setopt(sh->share, CURLSHOPT_UNLOCKFUNC, share_unlock);
	curl_share_setopt(sh->share, CURLSHOPT_USERDATA, sh);
	curl_share_setopt(sh->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS);
	curl_share_setopt(sh->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION);
	*out = sh;
	return 0;
}

void kube_shared_unref(struct kube_shared *sh)
{
	int left;

	if (!sh)
		return;
	pthread_mutex_lock(&sh->refs_mu);
	left = --sh->refs;
	pthread_mutex_unlock(&sh->refs_mu);
	if (left > 0)
		return;
	curl_share_cleanup(sh->share); /* every easy handle using it is gone */
	kube_discovery_dispose(sh);
	strlist_dispose(&sh->legacy_gvs);
	strlist_dispose(&sh->misses);
	for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
		pthread_mutex_destroy(&sh->locks[i]);
	pthread_mutex_destroy(&sh->disc_mu);
	pthread_mutex_destroy(&sh->refs_mu);
	free(sh);
}

int kube_new_sharing(struct kube **out, struct kube *peer, struct err *e)
{
	struct kube_opts o = peer->opts; /* with the defaults applied */
	struct kube_shared *mine;
	int rc;

	if (o.retries == 0)
		o.retries = -1; /* none, as kube_opts says */
	if ((rc = kube_new(out, peer->cfg, &o, e)) < 0)
		return rc;
	mine = (*out)->sh;
	pthread_mutex_lock(&peer->sh->refs_mu);
	peer->sh->refs++;
	pthread_mutex_unlock(&peer->sh->refs_mu);
	(*out)->sh = peer->sh;
	kube_shared_unref(mine); /* no easy handle of the new client used it yet */
	return 0;
}
