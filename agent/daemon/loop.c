/*
 * loop: one check of one app. Ask the remote for its head (an ls-remote, a fetch only
 * when it moved); a new commit is synced with the sync engine pinned to that SHA, an
 * unchanged one gets a drift check (the engine's diff: one LIST per kind, a dry-run only
 * for objects that moved). Failures are recorded and backed off; they never leave this
 * file as anything but the app's state, so one app cannot stop the others.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "daemon_int.h"
#include "history.h"
#include "log.h"
#include "notify.h"
#include "sync.h"

#define DIFF_MAX ((size_t)8 << 20)
#define BACKOFF_MAX_MS (5LL * 60 * 1000)

void daemon_app_dispose(struct daemon_app *a)
{
	if (!a)
		return;
	app_config_dispose(&a->cfg);
	health_clear(a);
	session_free(a->sess);
	memset(a, 0, sizeof(*a));
}

static double wall_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* interval +-10 %, so that many apps (or replicas) do not hit Git in step. */
static int64_t jitter(struct daemon *d, int64_t interval)
{
	int64_t span = interval / 5;
	uint64_t r;

	pthread_mutex_lock(&d->mu); /* the workers share the generator */
	d->rand ^= d->rand << 13;
	d->rand ^= d->rand >> 7;
	d->rand ^= d->rand << 17;
	r = d->rand;
	pthread_mutex_unlock(&d->mu);
	return interval - span / 2 + (span ? (int64_t)(r % (uint64_t)span) : 0);
}

/* interval, 2x, 4x ... 16x, at most five minutes (but never less than the interval). */
static int64_t backoff(const struct daemon_app *a)
{
	int shift = a->failures > 5 ? 4 : a->failures - 1;
	int64_t ms = a->cfg.interval_ms << (shift < 0 ? 0 : shift);

	if (ms > BACKOFF_MAX_MS)
		ms = BACKOFF_MAX_MS > a->cfg.interval_ms ? BACKOFF_MAX_MS : a->cfg.interval_ms;
	return ms;
}

static void schedule(struct daemon *d, struct daemon_app *a, bool failed)
{
	a->failures = failed ? a->failures + 1 : 0;
	a->next_ms = now_ms() + (failed ? backoff(a) : jitter(d, a->cfg.interval_ms));
}

static void set_error(struct daemon *d, struct daemon_app *a, const char *state, const char *msg)
{
	pthread_mutex_lock(&d->mu);
	a->st.reported = true;
	if (state)
		snprintf(a->st.state, sizeof(a->st.state), "%s", state);
	snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", msg ? msg : "");
	pthread_mutex_unlock(&d->mu);
}

/* The cheap check: the remote's head for the app's ref, asked once per round for all
 * the apps of the remote (remotes.c). A round: half the app's interval, cut short by a
 * webhook push; a reconcile request (fresh) asks again. */
static int check_head(struct daemon *d, struct daemon_app *a, bool fresh, char sha[41],
		      struct err *e)
{
	int64_t t0 = now_ms(), since = fresh ? t0 : t0 - a->cfg.interval_ms / 2;
	struct pool_git *lock;
	int rc;

	pthread_mutex_lock(&d->mu);
	if (a->triggered_ms > since)
		since = a->triggered_ms;
	pthread_mutex_unlock(&d->mu);
	lock = pool_git_lock(d, &a->cfg);
	if ((rc = daemon_session(d, a, false, e)) == 0 && (rc = session_git(a->sess, e)) == 0)
		rc = remotes_resolve(d->remotes, &a->cfg, since, a->sess->git, sha, e);
	pool_git_unlock(lock);
	pthread_mutex_lock(&d->mu);
	a->st.git_count++;
	a->st.git_sum += (double)(now_ms() - t0) / 1000.0;
	if (rc < 0)
		a->st.git_errors++;
	else
		memcpy(a->st.head, sha, 41);
	pthread_mutex_unlock(&d->mu);
	return rc; /* gitsrc's messages name the redacted URL already */
}

/* The app's settings with the ref pinned to the commit just resolved. */
static int pinned(struct app_config *out, const struct daemon_app *a, const char *sha,
		  struct err *e)
{
	int rc = app_config_copy(out, &a->cfg, e);

	if (rc < 0)
		return rc;
	free(out->ref);
	if (!(out->ref = strdup(sha))) {
		app_config_dispose(out);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	return 0;
}

static void log_sync(const struct sync_result *r, const char *result, const char *error)
{
	char created[LOG_NUM_LEN], changed[LOG_NUM_LEN], unchanged[LOG_NUM_LEN];
	char pruned[LOG_NUM_LEN], dur[LOG_NUM_LEN];

	log_kv(error ? LOG_ERROR : LOG_INFO, "sync", "app", r->app ? r->app : "", "commit",
	       r->commit, "result", result, "created", log_num(created, (double)r->created.n),
	       "changed", log_num(changed, (double)r->changed.n), "unchanged",
	       log_num(unchanged, (double)r->unchanged.n), "pruned",
	       log_num(pruned, (double)r->pruned.n), "durationMs",
	       log_num(dur, (double)r->duration_ms), error ? "error" : NULL, error, NULL);
}

static long failed_rollouts(const struct sync_result *r)
{
	long n = 0;

	for (size_t i = 0; i < r->n_rollouts; i++)
		n += strcmp(r->rollouts[i].status, "done") != 0;
	return n;
}

/* verify: a head refused stays named until a sync of another head succeeds (mu held). */
static void record_unverified(struct app_stats *st, const struct sync_result *r, const char *sha)
{
	if (r->code == TE_UNVERIFIED) {
		st->unverified_total++;
		memcpy(st->unverified, sha, 41);
	} else if (r->code == 0 || r->code == TE_ROLLOUT) {
		st->unverified[0] = '\0';
	}
}

/* Records a finished sync in the app's stats. */
static void record_sync(struct daemon *d, struct daemon_app *a, const struct sync_result *r,
			const char *sha, const char *error, bool follow)
{
	bool applied = r->code == 0 || r->code == TE_ROLLOUT;

	pthread_mutex_lock(&d->mu);
	app_stats_observe(&a->st, (double)r->duration_ms / 1000.0);
	if (r->code == 0)
		a->st.sync_success++;
	else
		a->st.sync_error++;
	a->st.rollout_failures += failed_rollouts(r);
	a->st.last_sync_unix = wall_now();
	if (r->code == 0)
		a->st.last_success_unix = a->st.last_sync_unix;
	a->st.reported = true;
	if (r->namespace)
		snprintf(a->st.namespace, sizeof(a->st.namespace), "%s", r->namespace);
	if (applied) {
		memcpy(a->st.commit, sha, 41);
		a->st.drift_objects = 0;
	}
	snprintf(a->st.state, sizeof(a->st.state), "%s",
		 applied			 ? "synced"
		 : r->code == TE_UNVERIFIED ? "unverified"
					    : "failed");
	record_unverified(&a->st, r, sha);
	if (r->code == TE_ROLLOUT) /* the engine waited: --on-failure */
		snprintf(a->st.health, sizeof(a->st.health), "degraded");
	else if (applied && !follow)
		snprintf(a->st.health, sizeof(a->st.health), "healthy");
	snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", error ? error : "");
	pthread_mutex_unlock(&d->mu);
}

/*
 * The engine's rollout wait would hold the loop (and every other app) for up to the
 * app's timeout; the agent applies with no-wait and follows rollouts itself (health.c).
 * Only --on-failure hold/revert needs the engine's own wait, which acts on its outcome.
 */
static bool follow_rollouts(struct app_config *c)
{
	if (c->no_wait || (c->on_failure && strcmp(c->on_failure, "none") != 0))
		return false;
	c->no_wait = true;
	return true;
}

/* After a revert: the app's stats name it; its sync is recorded like any other. */
static void record_revert(struct daemon *d, struct daemon_app *a, const struct sync_result *failed,
			  const struct sync_result *res, const struct rollback_result *rr)
{
	pthread_mutex_lock(&d->mu);
	a->st.reverts++;
	memcpy(a->st.revert_commit, rr->commit, 41);
	memcpy(a->st.reverted, failed->commit, 41);
	memcpy(a->st.head, rr->commit, 41);
	if (res->code == 0) /* the error that stays is why Git moved */
		snprintf(a->st.last_error, sizeof(a->st.last_error),
			 "on-failure: revert: the rollout of %.12s failed; pushed %.12s (%.*s)",
			 failed->commit, rr->commit, (int)strcspn(rr->message, "\n"), rr->message);
	pthread_mutex_unlock(&d->mu);
}

/*
 * on-failure: revert, the same engine code as `tether sync` (history_sync): the revert
 * of the commit whose rollout failed was pushed to the app's branch and synced; this
 * reports it. The app then stands on the revert commit, which is also the branch's
 * head, so the next check finds nothing new. When no revert could be written (the
 * branch moved on, the push was refused), the app stays on the failed commit and says
 * why.
 */
static void app_revert(struct daemon *d, struct daemon_app *a, const struct sync_result *failed,
		       struct history_revert *rv)
{
	const struct rollback_result *rr = &rv->commit;
	struct sync_result *res = &rv->sync;
	const char *error = NULL;
	char summary[300];

	if (rv->rc < 0) {
		log_kv(LOG_ERROR, "revert failed", "app", a->cfg.app, "reverts", failed->commit,
		       "error", rv->err.msg, NULL);
		set_error(d, a, NULL, rv->err.msg);
	} else {
		if (!res->app)
			res->app = xstrdup(a->cfg.app);
		if (!res->commit[0])
			memcpy(res->commit, rr->commit, 41);
		if (res->code < 0) /* as app_sync: a failed rollout of the revert is an error too */
			error = res->errors.n ? res->errors.items[0] : rv->err.msg;
		log_kv(LOG_WARN, "revert", "app", a->cfg.app, "reverts", failed->commit, "commit",
		       rr->commit, NULL);
		log_sync(res,
			 res->code == 0		   ? "success"
			 : res->code == TE_ROLLOUT ? "degraded"
						   : "error",
			 error);
		record_sync(d, a, res, rr->commit, error, false);
		record_revert(d, a, failed, res, rr);
		snprintf(summary, sizeof(summary),
			 "on-failure: revert: pushed %.12s reverting %.12s", rr->commit,
			 failed->commit);
		event_post(d, a, res->namespace, rr->commit,
			   res->code == 0	     ? "Reverted"
			   : res->code == TE_ROLLOUT ? "RolloutFailed"
						     : "SyncFailed",
			   error ? error : summary, res->code != 0);
		notifier_send_revert(d->notifier, &a->cfg, failed, rv);
	}
}

/* The app's session with the cluster's shared client. A cluster it cannot connect to
 * is left to the engine, whose own connect reports why as any sync error. */
static int warm_session(struct daemon *d, struct daemon_app *a, struct err *e)
{
	struct err ignored;

	err_clear(&ignored);
	daemon_session(d, a, true, &ignored);
	return a->sess ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

/* Bad input fails the same way every time, and so does a commit whose signature was
 * refused (verify): wait for a new commit. */
static bool bad_input(int code)
{
	return code == TE_INPUT || code == TE_REJECTED || code == TE_UNVERIFIED;
}

/* What the engine left empty: the app's name and the commit asked for. */
static void result_defaults(struct sync_result *res, const struct daemon_app *a, const char *sha)
{
	if (!res->app)
		res->app = xstrdup(a->cfg.app);
	if (!res->commit[0])
		memcpy(res->commit, sha, 41);
}

/* The error a failed sync reports: the first the engine listed, else its own. */
static const char *sync_error(const struct sync_result *res, const struct err *e)
{
	if (res->code >= 0)
		return NULL;
	return res->errors.n ? res->errors.items[0] : e->msg;
}

/* "a, b, c" of the objects of lists (display names), cut to fit out. */
static void join_names(const struct strlist *const *lists, size_t n_lists, char *out, size_t n)
{
	size_t k = 0;

	out[0] = '\0';
	for (size_t l = 0; l < n_lists; l++)
		for (size_t i = 0; i < lists[l]->n && k < n; i++)
			k += (size_t)snprintf(out + k, n - k, "%s%s", k ? ", " : "",
					      lists[l]->items[i]);
}

/* The sync's Event: its reason, and the error or a count of what changed; a second
 * one names what it pruned. */
static void sync_event(struct daemon *d, struct daemon_app *a, const struct sync_result *res,
		       bool applied, const char *error)
{
	const char *reason = res->code == 0		 ? "Synced"
			     : applied			 ? "RolloutFailed"
			     : res->code == TE_UNVERIFIED ? "Unverified"
							 : "SyncFailed";
	const struct strlist *pruned[] = {&res->pruned};
	const char *ns = res->namespace;
	char summary[160], names[800];

	if (!ns && res->code == TE_UNVERIFIED) /* refused before any request: the inventory's */
		ns = sync_inventory_namespace(&a->cfg);
	notify_sync_summary(res, summary, sizeof(summary));
	event_post(d, a, ns, res->commit, reason, error ? error : summary, res->code != 0);
	notifier_send_sync(d->notifier, &a->cfg, res, error);
	if (!res->pruned.n)
		return;
	join_names(pruned, 1, names, sizeof(names));
	event_post(d, a, res->namespace, res->commit, "Pruned", names, false);
}

/* tether suspend: the engine refused before writing anything; not a failure. */
static void report_suspended(struct daemon *d, struct daemon_app *a, const struct sync_result *res,
			     const char *error)
{
	log_kv(LOG_INFO, "sync refused", "app", a->cfg.app, "commit", res->commit, "reason",
	       error, NULL);
	pthread_mutex_lock(&d->mu);
	a->st.suspended = true;
	a->st.reported = true;
	snprintf(a->st.state, sizeof(a->st.state), "suspended");
	pthread_mutex_unlock(&d->mu);
	event_post(d, a, res->namespace, res->commit, "Suspended", error, false);
}

/* Logs, records and announces a sync's result; true when it needs no retry. */
static bool sync_report(struct daemon *d, struct daemon_app *a, struct sync_result *res,
			const char *sha, bool follow, const struct err *e)
{
	const char *error = sync_error(res, e);
	bool applied = res->code == 0 || res->code == TE_ROLLOUT;

	if (res->code == TE_SUSPENDED) {
		report_suspended(d, a, res, error);
		return true;
	}
	log_sync(res,
		 res->code == 0		     ? "success"
		 : applied		     ? "degraded"
		 : res->code == TE_UNVERIFIED ? "unverified"
					     : "error",
		 error);
	record_sync(d, a, res, sha, error, follow);
	if (follow && res->code == 0)
		health_track(d, a, res);
	if (bad_input(res->code))
		memcpy(a->failed, sha, 41);
	sync_event(d, a, res, applied, error);
	return applied || bad_input(res->code);
}

/* How res ended, for a reconcile request (out may be NULL). */
static void outcome_of(const struct sync_result *res, const struct err *e,
		       struct loop_outcome *out)
{
	const char *error = sync_error(res, e);

	if (!out)
		return;
	out->exit_code = res->exit_code;
	if (error)
		snprintf(out->message, sizeof(out->message), "%s", error);
	else
		notify_sync_summary(res, out->message, sizeof(out->message));
}

/* Syncs commit sha; returns true when it was applied (or needs no retry). */
static bool app_sync(struct daemon *d, struct daemon_app *a, const char *sha,
		     struct loop_outcome *out)
{
	struct sync_env env = {0};
	struct sync_result res;
	struct history_revert rv;
	struct app_config c;
	struct err e;
	bool follow, done;

	err_clear(&e);
	sync_result_init(&res);
	if (warm_session(d, a, &e) < 0 || pinned(&c, a, sha, &e) < 0) {
		set_error(d, a, "failed", e.msg);
		if (out) {
			out->exit_code = err_exit_code(e.code ? e.code : TE_FAIL);
			snprintf(out->message, sizeof(out->message), "%s", e.msg);
		}
		return false;
	}
	follow = follow_rollouts(&c);
	if (!shard_begin(d, a)) { /* --shard-apps: another replica syncs it right now */
		app_config_dispose(&c);
		sync_result_dispose(&res);
		if (out) {
			out->exit_code = err_exit_code(TE_CONFLICT);
			snprintf(out->message, sizeof(out->message),
				 "another replica holds the app's sync Lease");
		}
		return false;
	}
	announce(d, a, NOTIFY_STARTED, sha, "sync started", NULL);
	history_sync(a->sess, &c, &env, &res, &rv, &e);
	shard_end(d, a);
	app_config_dispose(&c);
	result_defaults(&res, a, sha);
	done = sync_report(d, a, &res, sha, follow, &e);
	outcome_of(&res, &e, out);
	if (rv.tried)
		app_revert(d, a, &res, &rv);
	history_revert_dispose(&rv);
	sync_result_dispose(&res);
	return done;
}

/* The drift found, in the log and (once per set of objects) as an Event, naming the
 * objects: a change made with kubectl shows who must look at what. */
static void announce_drift(struct daemon *d, struct daemon_app *a, const struct sync_result *res,
			   const char *sha)
{
	const struct strlist *lists[] = {&res->created, &res->changed, &res->pruned};
	char names[800], count[24], num[LOG_NUM_LEN], msg[900], seen[65];
	size_t n = res->created.n + res->changed.n + res->pruned.n;

	join_names(lists, 3, names, sizeof(names));
	snprintf(count, sizeof(count), "%zu", n);
	log_kv(LOG_WARN, "drift", "app", a->cfg.app, "commit", sha, "objects",
	       log_num(num, (double)n), "action", a->cfg.self_heal ? "self-heal" : "report",
	       "drifted", names, NULL);
	sha256_hex(names, strlen(names), seen);
	if (!strncmp(seen, a->drift_seen, 16))
		return;
	memcpy(a->drift_seen, seen, 16);
	a->drift_seen[16] = '\0';
	snprintf(msg, sizeof(msg), "%s object%s differ%s from Git%s: %s", count,
		 strcmp(count, "1") ? "s" : "", strcmp(count, "1") ? "" : "s",
		 a->cfg.self_heal ? " (self-heal re-applies it)" : "", names);
	event_post(d, a, res->namespace, sha, "Drifted", msg, true);
}

static void record_drift(struct daemon *d, struct daemon_app *a, long n)
{
	pthread_mutex_lock(&d->mu);
	a->st.drift_objects = n;
	a->st.reported = true;
	/* While the head is a commit that failed, the app stays "failed". */
	if (strcmp(a->st.head, a->failed) != 0) {
		snprintf(a->st.state, sizeof(a->st.state), "%s", n ? "drifted" : "synced");
		if (!a->rollouts_failed.n) /* Git and the cluster answered again */
			a->st.last_error[0] = '\0';
	}
	pthread_mutex_unlock(&d->mu);
}

/* drift when the cluster starts to differ from Git, drift-recovered when it no longer
 * does (the objects fixed by hand, a new commit, or self-heal's sync). */
static void drift_notice(struct daemon *d, struct daemon_app *a, const char *sha,
			 const struct sync_result *res, long n)
{
	struct strlist objects;
	char msg[96];

	if (!n && a->drift_announced) {
		a->drift_announced = false;
		announce(d, a, NOTIFY_DRIFT_RECOVERED, sha, "the cluster matches Git again", NULL);
	}
	if (!n || a->drift_announced)
		return;
	strlist_init(&objects);
	notify_objects(&objects, res);
	snprintf(msg, sizeof(msg), "%ld object%s differ%s from Git", n, n == 1 ? "" : "s",
		 n == 1 ? "s" : "");
	a->drift_announced = true;
	announce(d, a, NOTIFY_DRIFT, sha, msg, &objects);
	strlist_dispose(&objects);
}

/* Compares the cluster with commit sha; self-heal re-applies it. False on failure. */
static bool app_drift(struct daemon *d, struct daemon_app *a, const char *sha)
{
	struct sync_env env = {0};
	struct sync_result res;
	struct app_config c;
	struct buf diff;
	struct err e;
	bool ok = true;
	long n;
	int rc;

	err_clear(&e);
	sync_result_init(&res);
	buf_init(&diff, DIFF_MAX);
	env.diff = &diff;
	if ((rc = warm_session(d, a, &e)) == 0 && (rc = pinned(&c, a, sha, &e)) == 0) {
		rc = sync_diff(a->sess, &c, &env, &res, &e);
		app_config_dispose(&c);
	}
	n = rc > 0 ? (long)(res.created.n + res.changed.n + res.pruned.n) : 0;
	buf_dispose(&diff);
	if (rc < 0) {
		log_kv(LOG_WARN, "drift check failed", "app", a->cfg.app, "error", e.msg, NULL);
		set_error(d, a, NULL, e.msg);
		sync_result_dispose(&res);
		return false;
	}
	record_drift(d, a, n);
	drift_notice(d, a, sha, &res, n);
	if (n)
		announce_drift(d, a, &res, sha);
	else
		a->drift_seen[0] = '\0';
	sync_result_dispose(&res);
	if (rc == 0)
		return true;
	if (a->cfg.self_heal && (ok = app_sync(d, a, sha, NULL)))
		drift_notice(d, a, sha, NULL, 0);
	return ok;
}

int64_t daemon_app_due(const struct daemon_app *a)
{
	int64_t due = a->control_ms < a->next_ms ? a->control_ms : a->next_ms;

	if (a->n_watch && a->health_next_ms < due)
		return a->health_next_ms;
	return due;
}

/* One check: the head, then a sync of a new commit (or of any, for a reconcile
 * request: token set) or a drift check; a request is answered with how it ended. */
static void app_check(struct daemon *d, struct daemon_app *a, const char *token)
{
	struct loop_outcome out = {0, "nothing to do"};
	char sha[41] = "", synced[41];
	struct err e;
	bool ok;

	err_clear(&e);
	if (check_head(d, a, token != NULL, sha, &e) < 0) {
		log_kv(LOG_ERROR, "check failed", "app", a->cfg.app, "error", e.msg, NULL);
		/* An app that never synced is failed; one that did stays on its commit. */
		set_error(d, a, a->st.commit[0] ? NULL : "failed", e.msg);
		schedule(d, a, true);
		out.exit_code = err_exit_code(e.code ? e.code : TE_UNREACHABLE);
		snprintf(out.message, sizeof(out.message), "%s", e.msg);
		if (token)
			control_answer(d, a, token, &out);
		return;
	}
	pthread_mutex_lock(&d->mu);
	memcpy(synced, a->st.commit, sizeof(synced));
	pthread_mutex_unlock(&d->mu);
	if (token || (strcmp(sha, synced) != 0 && strcmp(sha, a->failed) != 0))
		ok = app_sync(d, a, sha, &out);
	else if (*synced)
		ok = app_drift(d, a, synced); /* a bad head keeps the last good commit */
	else
		ok = true;
	if (token)
		control_answer(d, a, token, &out);
	schedule(d, a, !ok);
}

static bool is_suspended(struct daemon *d, const struct daemon_app *a)
{
	bool on;

	pthread_mutex_lock(&d->mu);
	on = a->st.suspended;
	pthread_mutex_unlock(&d->mu);
	return on;
}

void loop_tick(struct daemon *d, struct daemon_app *a, bool full)
{
	char token[40] = "";
	bool asked = false;

	if (a->n_watch && now_ms() >= a->health_next_ms)
		health_check(d, a);
	if (now_ms() >= a->control_ms)
		asked = control_check(d, a, token);
	if (!full && !asked)
		return;
	if (!asked && is_suspended(d, a)) { /* tether suspend: not even a drift check */
		schedule(d, a, false);
		return;
	}
	app_check(d, a, asked ? token : NULL);
}
