/*
 * daemon: `tether run`, the always-on agent. One loop thread checks each app's remote
 * head every interval (jittered) and syncs only a new commit or detected drift; a
 * failing app backs off without holding up the others. libmicrohttpd's thread serves
 * /metrics, /healthz, /readyz, /status and POST /webhook; a webhook only marks an app
 * due and wakes the loop, so libgit2 and the sync engine stay on the loop thread.
 * With leader election a third thread holds a coordination.k8s.io/v1 Lease and the
 * loop syncs only while it is held.
 * The second half exposes the pure pieces (webhook parsing and verification, URL
 * matching, metrics and status rendering, lease decisions) for unit tests.
 */
#ifndef TETHER_DAEMON_H
#define TETHER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

/* Loads (or reloads, on SIGHUP) the apps; the daemon owns what it returns. */
typedef int (*daemon_load_fn)(void *ctx, struct app_config **apps, size_t *n, struct err *e);

struct daemon_opts {
	daemon_load_fn load;
	void *load_ctx;
	/* Called once the listener is up (the address actually bound). May be NULL. */
	void (*listening)(const char *url, void *ctx);
};

/* Runs until SIGTERM or SIGINT. Returns 0, or TE_* when it could not start. */
int daemon_run(const struct daemon_opts *o, struct err *e);

/* ---- per-app statistics: what /metrics and /status show ---------------------- */

#define DAEMON_BUCKETS 11
extern const double daemon_duration_buckets[DAEMON_BUCKETS]; /* seconds; +Inf implied */

struct app_stats {
	char app[64];
	char namespace[64];
	char commit[41]; /* last commit synced successfully */
	char head[41];	 /* last remote head seen */
	char state[16];	 /* pending, synced, failed, drifted */
	char health[16]; /* unknown, healthy, degraded */
	char last_error[512];
	bool reported; /* synced or reported an error once: counts for /readyz */
	long sync_success, sync_error;
	long rollout_failures;
	long reverts;		/* on-failure: revert commits pushed */
	char revert_commit[41]; /* the last one, and the commit it reverted */
	char reverted[41];
	long drift_objects;
	double last_sync_unix;		      /* wall clock of the last finished sync */
	uint64_t dur_buckets[DAEMON_BUCKETS]; /* per bucket, not cumulative */
	uint64_t dur_count;
	double dur_sum;
	uint64_t git_count, git_errors;
	double git_sum; /* seconds spent checking/fetching the remote */
};

void app_stats_observe(struct app_stats *s, double seconds);
/* Prometheus text exposition format 0.0.4. */
int metrics_render(const struct app_stats *apps, size_t n, bool leader, struct buf *out);
/* {"leader":..., "apps":[{"app","namespace","commit","head","state","health",...}]} */
int status_render(const struct app_stats *apps, size_t n, bool leader, struct buf *out);

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

struct leader;
/* Starts the election thread. notify (may be NULL) runs when leadership changes. */
int leader_start(struct leader **out, const struct app_config *c, const char *identity,
		 void (*notify)(void *ctx), void *ctx, struct err *e);
bool leader_is_leader(struct leader *l);
/* Stops the thread and gives the lease up (holder cleared) when held. NULL is fine. */
void leader_stop(struct leader *l);

#endif
