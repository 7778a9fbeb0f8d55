/*
 * daemon_int: what the files of agent/daemon/ share, and their unit tests see: the
 * per-app statistics, webhooks, rate-limited log lines, leader election, and the
 * daemon's state. Everything the HTTP thread reads (apps' stats and configs, flags)
 * is under mu. The loop thread schedules; the workers (pool.c) check apps, each app in
 * one worker at a time: while an app is busy its worker alone touches its session,
 * its checked-out kube client and the fields marked "worker" below.
 */
#ifndef TETHER_DAEMON_INT_H
#define TETHER_DAEMON_INT_H

#include <pthread.h>

#include "daemon.h"
#include "gitsrc.h"
#include "kube.h"
#include "session.h"

/* ---- per-app statistics: what /metrics and /status show ---------------------- */

#define DAEMON_BUCKETS 11
extern const double daemon_duration_buckets[DAEMON_BUCKETS]; /* seconds; +Inf implied */

struct app_stats {
	char app[64];
	char namespace[64];
	char commit[41]; /* last commit synced successfully */
	char head[41];	 /* last remote head seen */
	char state[16];	 /* pending, synced, failed, drifted, unverified */
	char health[16]; /* unknown, healthy, degraded */
	char last_error[512];
	bool reported; /* synced or reported an error once: counts for /readyz */
	long sync_success, sync_error;
	long rollout_failures;
	long reverts;		/* on-failure: revert commits pushed */
	char revert_commit[41]; /* the last one, and the commit it reverted */
	char reverted[41];
	long unverified_total;	/* commits refused by verify */
	char unverified[41];	/* the head refused, until another one syncs */
	long drift_objects;
	double last_sync_unix;		      /* wall clock of the last finished sync */
	double last_success_unix;	      /* ... and of the last one that succeeded */
	bool suspended;			      /* tether suspend: no sync until resumed (control.c) */
	uint64_t dur_buckets[DAEMON_BUCKETS]; /* per bucket, not cumulative */
	uint64_t dur_count;
	double dur_sum;
	uint64_t git_count, git_errors;
	double git_sum; /* seconds spent checking/fetching the remote */
};

void app_stats_observe(struct app_stats *s, double seconds);
/* What /status and /metrics show of --shard-apps (shard.c fills it). */
struct shard_view {
	const char *identity;	/* borrowed */
	struct strlist members; /* live, sorted */
	const char **owners;	/* per app of the snapshot: its owner here, NULL for none */
	size_t owned;		/* apps that are this replica's */
};
/* Prometheus text exposition format 0.0.4. sv NULL: no sharding. */
int metrics_render(const struct app_stats *apps, size_t n, bool leader,
		   const struct shard_view *sv, struct buf *out);
/* process.c: process_* metrics as the Prometheus client libraries name them, from
 * /proc/self (nothing where /proc is missing). */
int process_metrics_render(struct buf *out);
/* {"leader":..., "apps":[{"app","namespace","commit","head","state","health",...}]} */
int status_render(const struct app_stats *apps, size_t n, bool leader,
		  const struct shard_view *sv, struct buf *out);

/* ---- webhooks ------------------------------------------------------------------ */

enum webhook_provider { WEBHOOK_GENERIC = 0, WEBHOOK_GITHUB, WEBHOOK_GITLAB };

/* What a verified webhook asks for. An empty urls list with no app means every app. */
struct webhook_push {
	enum webhook_provider provider;
	bool push;	     /* false: a ping or another event; nothing to trigger */
	struct strlist urls; /* the repository's URLs (clone, ssh, web) */
	char *ref;	     /* "refs/heads/main", NULL when not given */
	char *default_branch;
	char *app; /* generic: one app by name */
};

/* Returns the value of request header name (case-insensitive), or NULL. */
typedef const char *(*webhook_header_fn)(void *ctx, const char *name);

/*
 * Tells the provider apart by its headers, checks the signature against secret in
 * constant time, then parses the body. TE_REJECTED: missing or bad signature (401);
 * TE_INPUT: a body that is not the expected JSON (400). secret NULL refuses all.
 */
int webhook_parse(webhook_header_fn header, void *ctx, const char *body, size_t len,
		  const char *secret, struct webhook_push *out, struct err *e);
void webhook_push_dispose(struct webhook_push *p);
/* True when the push concerns app c (same repository, and its branch or tag). */
bool webhook_matches(const struct webhook_push *p, const struct app_config *c);
/* Same repository whatever the transport: https://h/o/r.git, git@h:o/r, ssh://h:22/o/r. */
bool repo_url_equal(const char *a, const char *b);

/* ---- rate-limited log lines ---------------------------------------------------- */

/*
 * At most one line per interval per source (a client address), so a flood of forged
 * webhooks cannot flood the log; the lines held back are counted and the next line
 * carries the count. A bounded table: when it is full the oldest source is forgotten.
 */
struct ratelog;
struct ratelog *ratelog_new(size_t max_sources, int64_t interval_ms);
void ratelog_free(struct ratelog *rl);
/* True when a line about source may be written at time now (ms); *suppressed is then
 * how many lines about it were held back since its previous line. */
bool ratelog_allow(struct ratelog *rl, const char *source, int64_t now, long *suppressed);

/* ---- leader election --------------------------------------------------------- */

/* What a candidate saw of the Lease. */
struct lease_seen {
	char holder[256];
	char renew[64];	     /* spec.renewTime as the server has it */
	int64_t observed_ms; /* monotonic time this holder/renew pair was first seen */
};

/*
 * client-go's rule: a candidate may take the lease when nobody holds it, it holds it
 * already, or the record has not changed for lease_ms by its own clock (never by the
 * holder's clock, which may be skewed).
 */
bool lease_can_acquire(const struct lease_seen *s, const char *me, int64_t now, int64_t lease_ms);
/* Records a read of the lease: observed_ms moves only when the record changed. */
void lease_observe(struct lease_seen *s, const char *holder, const char *renew, int64_t now);

/* A Lease to write: taken or renewed by holder, or given up (release: holder ""). */
struct lease_spec {
	const char *ns, *name, *holder;
	int64_t lease_ms;
	bool release;
	const char *label_key, *label_value; /* one label, or NULL */
};
/* The Lease old (NULL: a new one) as s makes it; NULL when memory runs out. */
cJSON *lease_body(const struct lease_spec *s, const cJSON *old);
/* POST (old NULL) or PUT with old's resourceVersion: 0, TE_CONFLICT when someone else
 * wrote first (or it exists), TE_NOTFOUND, or the transport's error. resp (may be NULL)
 * receives what the server answered. */
int lease_send(struct kube *k, const struct kube_resource *res, const struct lease_spec *s,
	       const cJSON *old, cJSON **resp);

/* The client, namespace and resource of the Leases (the first app's cluster; the
 * lease namespace, else the context's), for a thread of their own. */
int lease_connect(const struct app_config *c, struct kube_config **kcfg, struct kube **kube,
		  char **ns, const struct kube_resource **res, struct err *e);

struct leader;
/* Starts the election thread. notify (may be NULL) runs when leadership changes. */
int leader_start(struct leader **out, const struct app_config *c, const char *identity,
		 void (*notify)(void *ctx), void *ctx, struct err *e);
bool leader_is_leader(struct leader *l);
/* Stops the thread and gives the lease up (holder cleared) when held. NULL is fine. */
void leader_stop(struct leader *l);

/* ---- Git remotes (remotes.c): one question per remote per round ---------------- */

struct remotes;
struct remotes *remotes_new(void);
void remotes_free(struct remotes *rs);
/*
 * The commit app c's ref points at on its remote: the answer of a question asked at or
 * after since (monotonic ms), else asks now (gitsrc_resolve: an ls-remote, a fetch when
 * the head moved) while the others who need that remote wait for it. also (may be
 * NULL), the app's own gitsrc on the same cache, takes over that the commit is whole.
 * Errors are answers too, shared the same way.
 */
int remotes_resolve(struct remotes *rs, const struct app_config *c, int64_t since,
		    struct gitsrc *also, char sha[41], struct err *e);
/* Questions sent to remotes so far. */
unsigned long remotes_asked(struct remotes *rs);

/* ---- sharding: replicas share the apps (shard.c) ------------------------------ */

/*
 * Rendezvous (highest random weight) hashing: the index of the member among
 * members[0..n) that owns app, or -1 when n is 0. Pure: the same members in any order
 * give the same owner, and removing a member moves only the apps it owned.
 */
long shard_pick(const char *const *members, size_t n, const char *app);
/* A member whose Lease was seen as s is live: it has a holder, and the record changed
 * within lease_ms of now by this replica's clock (a record seen for the first time counts
 * from then: client-go's rule). */
bool shard_member_live(const struct lease_seen *s, int64_t now, int64_t lease_ms);
/* The weight of (member, app), for the tests. */
uint64_t shard_weight(const char *member, const char *app);

struct shard;
/* Joins the group (the membership Lease) and starts the renewal thread. notify (may be
 * NULL) runs, without the shard's lock, when the live members change. */
int shard_start(struct shard **out, const struct app_config *c, const char *identity,
		void (*notify)(void *ctx), void *ctx, struct err *e);
/* Gives the membership up (holder cleared), so the others take its apps at once. */
void shard_stop(struct shard *sh);
/* True when app falls to this replica in its current view. */
bool shard_is_mine(struct shard *sh, const char *app);
/* True when app is this replica's now and was not before the last change of the view. */
bool shard_gained(struct shard *sh, const char *app);
/* The live members (this one included), sorted, added to out. */
int shard_members(struct shard *sh, struct strlist *out);
const char *shard_identity(const struct shard *sh);
/* The view for the n apps of a snapshot. */
int shard_view_fill(struct shard *sh, const struct app_stats *apps, size_t n,
		    struct shard_view *out);
void shard_view_dispose(struct shard_view *v);

/* ---- the daemon's state ------------------------------------------------------ */

/*
 * One app. cfg changes only on a reload, when no app is busy. "worker": written by
 * the app's worker while busy, read by the loop thread (under mu) only while it is
 * not: handing the app over under mu orders the two.
 */
struct daemon_app {
	struct app_config cfg;
	struct app_stats st;	  /* written under mu by the app's worker */
	struct session *sess; /* worker: Git, and a client of the cluster's (cluster.c) */
	struct daemon_cluster *cluster; /* worker: the cluster its session's clients are of */
	struct daemon_cluster *own_cluster; /* worker: service-account: tether's own clients */
	bool busy;	 /* under mu: handed to a worker (queued or being checked) */
	char failed[41]; /* worker: a commit that failed with bad input: not retried */
	int failures;	 /* worker: consecutive, for the backoff */
	int64_t next_ms; /* worker: monotonic time it is due */
	bool triggered;	 /* under mu: a webhook (or a new leader) asked for it */
	int64_t triggered_ms;
	/* worker, all of them: */
	struct rollout_watch *watch; /* health.c: rollouts still in progress */
	size_t n_watch, cap_watch;
	struct strlist rollouts_failed; /* workloads whose last rollout failed */
	bool drift_announced;		/* drift notified, its recovery not yet */
	int64_t health_next_ms;
	int64_t control_ms;  /* control.c: when to read the inventory's requests again */
	char drift_seen[17]; /* hash of the drifted objects last announced (one Event each) */
};

/* ---- scheduling (sched.c) and the workers (pool.c) ------------------------------ */

struct daemon;
struct pool_git;

#define SCHED_STARVE_MS 10000 /* overdue this long: before the webhooks' apps */
#define SCHED_IDLE_MS 1000    /* the longest the loop sleeps with nothing due */

/* What the order depends on, per app. */
struct sched_app {
	int64_t due; /* daemon_app_due */
	int64_t triggered_ms;
	bool triggered, busy;
};
struct sched_key {
	int cls;
	int64_t at;
	size_t i;
};
/* The apps to check now, first first, in order (their indexes); scratch and order
 * hold n. *wait_ms: how long until the next app is due (at most SCHED_IDLE_MS). */
size_t sched_order(const struct sched_app *apps, size_t n, int64_t now, struct sched_key *scratch,
		   size_t *order, int64_t *wait_ms);

struct pool_job {
	struct daemon_app *a;
	bool full;	/* ask Git (due or triggered), not only the rollouts in progress */
	bool triggered; /* what a->triggered was: given back if no worker takes the job */
};

/* Starts n worker threads. */
int pool_start(struct daemon *d, size_t n, struct err *e);
/* Hands the apps due first to the idle workers (mu held); false when it handed none
 * (*wait_ms: until the next is due). */
bool pool_dispatch(struct daemon *d, int64_t now, int64_t *wait_ms);
/* Takes back the jobs no worker started and waits until no app is busy (mu held). */
void pool_drain(struct daemon *d);
/* Stops and joins the workers (idle: after pool_drain). */
void pool_stop(struct daemon *d);
/* One Git cache per remote on disk: the checks of apps of one repository take turns
 * at it (open, ls-remote, fetch). */
struct pool_git *pool_git_lock(struct daemon *d, const struct app_config *c);
void pool_git_unlock(struct pool_git *g); /* NULL is fine */

struct daemon {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct daemon_app *apps; /* under mu; the loop thread swaps it on reload */
	size_t n_apps;
	bool stop, reload, done;
	char *secret; /* webhook secret, under mu */
	pthread_mutex_t clusters_mu;	  /* the cluster table and each cluster's pool */
	struct daemon_cluster **clusters; /* cluster.c */
	size_t n_clusters, cap_clusters;
	struct remotes *remotes;       /* Git remotes and their answers (own locks) */
	struct control_cache *control; /* control.c: inventories per namespace (own lock) */
	/* pool.c: the workers and the jobs handed to them, under mu */
	pthread_cond_t work; /* a job or quit */
	pthread_t *threads;
	size_t n_threads;
	struct pool_job *jobs; /* handed out, not taken yet (at most n_threads) */
	size_t n_jobs;
	size_t busy; /* apps busy */
	bool quit;
	struct sched_app *sched; /* the loop thread's scratch, for n_apps */
	struct sched_key *keys;
	size_t *order, cap_sched;
	struct pool_git **git_locks; /* per Git cache; the table under mu */
	size_t n_git_locks, cap_git_locks;
	struct leader *leader;
	struct shard *shard; /* --shard-apps */
	struct MHD_Daemon *http;
	struct ratelog *refused; /* "webhook refused" lines, per client address */
	struct notifier *notifier; /* notifications' queue and thread (agent/notify) */
	const struct daemon_opts *opts;
	uint64_t rand; /* jitter */
	char identity[300];
};

/* shard.c, the daemon's hooks: without --shard-apps every app is this replica's and a
 * sync needs no Lease. shard_begin returns false when another replica holds the app's
 * Lease (the sync must not run); shard_end gives it back. */
bool shard_owns(struct daemon *d, const struct daemon_app *a);
/* shard_start's notify: the apps this replica gained are due now. */
void shard_changed(void *ctx);
bool shard_begin(struct daemon *d, const struct daemon_app *a);
void shard_end(struct daemon *d, const struct daemon_app *a);

/* http.c */
int http_start(struct daemon *d, const char *listen, char *url, size_t n, struct err *e);
void http_stop(struct daemon *d);

/* loop.c: one check of one app (its worker, mu not held). full: ask Git and look
 * for drift; otherwise only follow the rollouts in progress. */
void loop_tick(struct daemon *d, struct daemon_app *a, bool full);
void daemon_app_dispose(struct daemon_app *a);
/* The next time the app needs the loop (a check or a rollout poll). */
int64_t daemon_app_due(const struct daemon_app *a);

/* cluster.c: the app's session, made on first use; with kube, its cluster half too,
 * a client of the app's cluster checked out for this check. */
int daemon_session(struct daemon *d, struct daemon_app *a, bool kube, struct err *e);
/* The check is over: its client goes back to the cluster's pool. */
void daemon_session_done(struct daemon *d, struct daemon_app *a);
/* Drops every cluster's clients (none checked out; no session may use them after). */
void daemon_clusters_free(struct daemon *d);
/* A Kubernetes Event about the app in namespace ns (best effort). */
void event_post(struct daemon *d, struct daemon_app *a, const char *ns, const char *commit,
		const char *reason, const char *message, bool warning);

/* control.c: the inventory's annotations (ops.h), read every CONTROL_MS. */
#define CONTROL_MS 2000
/* The namespaces' inventories as last listed, shared by the apps (own lock). */
struct control_cache;
struct control_cache *control_cache_new(void);
void control_cache_clear(struct control_cache *cc);
void control_cache_free(struct control_cache *cc);
/* How a sync the loop ran ended, for the reconcile request it answers. */
struct loop_outcome {
	int exit_code;
	char message[512];
};
/* Reads the app's inventory: records whether it is suspended; true when a reconcile
 * request newer than the one handled waits (its stamp in token). */
bool control_check(struct daemon *d, struct daemon_app *a, char token[40]);
/* Records that the request token was answered with out. */
void control_answer(struct daemon *d, struct daemon_app *a, const char *token,
		    const struct loop_outcome *out);

/* announce.c: notifications, queued for the notifier's thread. */
void announce(struct daemon *d, const struct daemon_app *a, enum notify_event ev,
	      const char *commit, const char *message, const struct strlist *objects);

/* health.c: rollouts of a no-wait sync, followed from the loop. */
struct sync_result;
bool health_track(struct daemon *d, struct daemon_app *a, const struct sync_result *r);
void health_check(struct daemon *d, struct daemon_app *a);
void health_clear(struct daemon_app *a);

#endif
