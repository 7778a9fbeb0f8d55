/*
 * daemon_int: the state shared by the files of agent/daemon/ and nothing else.
 * Everything the HTTP thread reads (apps' stats and configs, flags) is under mu; the
 * loop thread alone touches sessions, kube clients and the sync engine.
 */
#ifndef TETHER_DAEMON_INT_H
#define TETHER_DAEMON_INT_H

#include <pthread.h>

#include "daemon.h"
#include "gitsrc.h"
#include "kube.h"
#include "session.h"

struct daemon_app {
	struct app_config cfg;
	struct app_stats st;	  /* under mu */
	struct session *sess; /* loop thread only: Git, and the cluster's client (cluster.c) */
	char failed[41]; /* a commit that failed with bad input: not retried */
	int failures;	 /* consecutive, for the backoff */
	int64_t next_ms; /* monotonic time it is due */
	bool triggered;	 /* a webhook asked for it (under mu) */
	int64_t triggered_ms;
	struct rollout_watch *watch; /* health.c: rollouts still in progress */
	size_t n_watch;
	struct strlist rollouts_failed; /* workloads whose last rollout failed */
	int64_t health_next_ms;
};

struct daemon {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct daemon_app *apps; /* under mu; the loop thread swaps it on reload */
	size_t n_apps;
	bool stop, reload, done;
	char *secret; /* webhook secret, under mu */
	struct daemon_cluster *clusters; /* loop thread only (cluster.c) */
	size_t n_clusters;
	struct leader *leader;
	struct MHD_Daemon *http;
	struct ratelog *refused; /* "webhook refused" lines, per client address */
	const struct daemon_opts *opts;
	uint64_t rand; /* jitter */
	char identity[300];
};

/* http.c */
int http_start(struct daemon *d, const char *listen, char *url, size_t n, struct err *e);
void http_stop(struct daemon *d);

/* loop.c: one check of one app (the loop thread, mu not held). full: ask Git and look
 * for drift; otherwise only follow the rollouts in progress. */
void loop_tick(struct daemon *d, struct daemon_app *a, bool full);
void daemon_app_dispose(struct daemon_app *a);
/* The next time the app needs the loop (a check or a rollout poll). */
int64_t daemon_app_due(const struct daemon_app *a);

/* cluster.c: the app's session, made on first use; with kube, its cluster half too,
 * borrowing the client the agent keeps for the app's cluster. */
int daemon_session(struct daemon *d, struct daemon_app *a, bool kube, struct err *e);
/* Drops every cluster's client (the sessions borrowing them must be gone first). */
void daemon_clusters_free(struct daemon *d);
/* A Kubernetes Event about the app in namespace ns (best effort). */
void event_post(struct daemon *d, struct daemon_app *a, const char *ns, const char *commit,
		const char *reason, const char *message, bool warning);

/* health.c: rollouts of a no-wait sync, followed from the loop. */
struct sync_result;
bool health_track(struct daemon *d, struct daemon_app *a, const struct sync_result *r);
void health_check(struct daemon *d, struct daemon_app *a);
void health_clear(struct daemon_app *a);

#endif
