/*
 * metrics: /metrics in Prometheus text format and /status as JSON, both rendered from
 * a snapshot of the apps' statistics taken under the daemon's lock. Label values are
 * escaped as the exposition format requires; app names come from the configuration
 * and commits from Git, but neither is trusted to be free of quotes.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <git2/version.h>

#include "cli.h"
#include "daemon_int.h"
#include "jsonedit.h"

const double daemon_duration_buckets[DAEMON_BUCKETS] = {0.1, 0.25, 0.5, 1,   2.5, 5,
							10,  30,   60,	120, 300};

void app_stats_observe(struct app_stats *s, double seconds)
{
	for (int i = 0; i < DAEMON_BUCKETS; i++) {
		if (seconds <= daemon_duration_buckets[i]) {
			s->dur_buckets[i]++;
			break;
		}
	}
	s->dur_count++;
	s->dur_sum += seconds;
}

/* A label value: backslash, double quote and newline escaped. */
static void put_label(struct buf *b, const char *v)
{
	for (const char *p = v; *p; p++) {
		if (*p == '\\' || *p == '"')
			buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_puts(b, "\\n");
		else
			buf_append(b, p, 1);
	}
}

static void head(struct buf *b, const char *name, const char *type, const char *help)
{
	buf_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* name{app="...",k="v"...} v; kv: pairs of extra labels, NULL-terminated (or NULL). */
static void sample(struct buf *b, const char *name, const struct app_stats *s,
		   const char *const *kv, double v)
{
	buf_printf(b, "%s{app=\"", name);
	put_label(b, s->app);
	for (; kv && kv[0]; kv += 2) {
		buf_printf(b, "\",%s=\"", kv[0]);
		put_label(b, kv[1]);
	}
	buf_printf(b, "\"} %.15g\n", v);
}

#define LABEL(k, v) ((const char *const[]){k, v, NULL})

static void sync_total(struct buf *b, const char *name, const struct app_stats *s)
{
	sample(b, name, s, LABEL("result", "success"), (double)s->sync_success);
	sample(b, name, s, LABEL("result", "error"), (double)s->sync_error);
}

static void histogram(struct buf *b, const char *name, const struct app_stats *s)
{
	uint64_t cum = 0;
	char le[32], series[96];

	snprintf(series, sizeof(series), "%s_bucket", name);
	for (int j = 0; j < DAEMON_BUCKETS; j++) {
		cum += s->dur_buckets[j];
		snprintf(le, sizeof(le), "%g", daemon_duration_buckets[j]);
		sample(b, series, s, LABEL("le", le), (double)cum);
	}
	sample(b, series, s, LABEL("le", "+Inf"), (double)s->dur_count);
	snprintf(series, sizeof(series), "%s_sum", name);
	sample(b, series, s, NULL, s->dur_sum);
	snprintf(series, sizeof(series), "%s_count", name);
	sample(b, series, s, NULL, (double)s->dur_count);
}

static void git_summary(struct buf *b, const char *name, const struct app_stats *s)
{
	char series[96];

	snprintf(series, sizeof(series), "%s_sum", name);
	sample(b, series, s, NULL, s->git_sum);
	snprintf(series, sizeof(series), "%s_count", name);
	sample(b, series, s, NULL, (double)s->git_count);
}

static void app_info(struct buf *b, const char *name, const struct app_stats *s)
{
	sample(b, name, s, LABEL("commit", s->commit), 1);
}

/* As argocd_app_info: one series whose labels are the app's state and health. */
static void app_status(struct buf *b, const char *name, const struct app_stats *s)
{
	sample(b, name, s, (const char *const[]){"state", s->state, "health", s->health, NULL}, 1);
}

/* Ready follows the state (synced: True, pending: Unknown), Healthy the health. */
static const char *condition(const struct app_stats *s, bool ready)
{
	if (ready)
		return !strcmp(s->state, "synced")    ? "True"
		       : !strcmp(s->state, "pending") ? "Unknown"
						      : "False";
	return !strcmp(s->health, "healthy")	? "True"
	       : !strcmp(s->health, "degraded") ? "False"
						: "Unknown";
}

/* As gotk_reconcile_condition: each status of each type, 1 for the one that holds. */
static void app_condition(struct buf *b, const char *name, const struct app_stats *s)
{
	static const char *const types[] = {"Ready", "Healthy"};
	static const char *const statuses[] = {"True", "False", "Unknown"};

	for (int t = 0; t < 2; t++) {
		const char *now = condition(s, t == 0);
		for (int i = 0; i < 3; i++)
			sample(b, name, s,
			       (const char *const[]){"type", types[t], "status", statuses[i], NULL},
			       strcmp(now, statuses[i]) == 0);
	}
}

static void app_unverified(struct buf *b, const char *name, const struct app_stats *s)
{
	sample(b, name, s, LABEL("commit", s->unverified), s->unverified[0] ? 1 : 0);
}

enum field_kind { F_LONG, F_DOUBLE, F_U64, F_BOOL };
/* The field's kind from its type; clang-format cannot lay out _Generic. */
/* clang-format off */
#define FIELD(f)                                                                                   \
	offsetof(struct app_stats, f),                                                             \
	    _Generic(((struct app_stats *)0)->f, long: F_LONG, double: F_DOUBLE, uint64_t: F_U64,  \
		     bool: F_BOOL)
/* clang-format on */

/* Every per-app metric: a field of app_stats as one sample, or a function's samples. */
static const struct app_metric {
	const char *name, *type, *help;
	void (*samples)(struct buf *b, const char *name, const struct app_stats *s);
	size_t offset;
	enum field_kind kind;
} app_metrics[] = {
    {"tether_sync_total", "counter", "Syncs by result.", sync_total, 0, 0},
    {"tether_sync_duration_seconds", "histogram", "Duration of syncs.", histogram, 0, 0},
    {"tether_last_sync_timestamp_seconds", "gauge", "End of the last sync.", NULL,
     FIELD(last_sync_unix)},
    {"tether_last_success_timestamp_seconds", "gauge",
     "End of the last sync that succeeded (0: none yet).", NULL, FIELD(last_success_unix)},
    {"tether_app_info", "gauge", "The commit each app is synced to.", app_info, 0, 0},
    {"tether_app_status", "gauge",
     "1, labelled with the app's state (pending, synced, drifted, failed, unverified, suspended) and "
     "health (unknown, progressing, healthy, degraded).",
     app_status, 0, 0},
    {"tether_app_condition", "gauge",
     "1 for the status (True, False, Unknown) each condition (Ready, Healthy) has, else 0.",
     app_condition, 0, 0},
    {"tether_app_suspended", "gauge", "1 while the app is suspended.", NULL, FIELD(suspended)},
    {"tether_drift_objects", "gauge", "Objects that differ from Git.", NULL, FIELD(drift_objects)},
    {"tether_rollout_failures_total", "counter", "Rollouts failed or timed out.", NULL,
     FIELD(rollout_failures)},
    {"tether_reverts_total", "counter", "Revert commits pushed by on-failure: revert.", NULL,
     FIELD(reverts)},
    {"tether_unverified_commits_total", "counter",
     "Heads refused by verify (not signed by a trusted key).", NULL, FIELD(unverified_total)},
    {"tether_app_unverified", "gauge",
     "1 while the app's head is refused by verify (nothing of it applied).", app_unverified, 0, 0},
    {"tether_git_fetch_duration_seconds", "summary",
     "Time spent checking the remote head and fetching.", git_summary, 0, 0},
    {"tether_git_fetch_errors_total", "counter", "Failed checks of the remote.", NULL,
     FIELD(git_errors)},
};

static double field_value(const struct app_stats *s, size_t offset, enum field_kind kind)
{
	const char *p = (const char *)s + offset;

	switch (kind) {
	case F_LONG:
		return (double)*(const long *)p;
	case F_U64:
		return (double)*(const uint64_t *)p;
	case F_BOOL:
		return *(const bool *)p ? 1 : 0;
	default:
		return *(const double *)p;
	}
}

int metrics_render(const struct app_stats *apps, size_t n, bool leader,
		   const struct shard_view *sv, struct buf *out)
{
	for (size_t m = 0; m < sizeof(app_metrics) / sizeof(app_metrics[0]); m++) {
		const struct app_metric *am = &app_metrics[m];

		head(out, am->name, am->type, am->help);
		for (size_t i = 0; i < n; i++) {
			if (am->samples)
				am->samples(out, am->name, &apps[i]);
			else
				sample(out, am->name, &apps[i], NULL,
				       field_value(&apps[i], am->offset, am->kind));
		}
	}
	head(out, "tether_leader", "gauge", "1 when this agent may sync.");
	buf_printf(out, "tether_leader %d\n", leader ? 1 : 0);
	if (sv) {
		head(out, "tether_shard_members", "gauge",
		     "Live replicas sharing the apps, as this one sees them (itself included).");
		buf_printf(out, "tether_shard_members %zu\n", sv->members.n);
		head(out, "tether_shard_owned_apps", "gauge", "Apps that fall to this replica.");
		buf_printf(out, "tether_shard_owned_apps %zu\n", sv->owned);
	}
	head(out, "tether_build_info", "gauge",
	     "1, labelled with the version and the libraries tether was built with.");
	if (buf_printf(out, "tether_build_info{version=\"%s\",libgit2=\"%s\",libcurl=\"%s\"} 1\n",
		       TETHER_VERSION, LIBGIT2_VERSION, LIBCURL_VERSION) < 0)
		return TE_NOMEM;
	return process_metrics_render(out);
}

static cJSON *app_json(struct json_build *b, const struct app_stats *s, const char *owner)
{
	cJSON *o = cJSON_CreateObject();
	char last[TIME_RFC3339_LEN] = "";

	if (s->last_sync_unix > 0)
		time_rfc3339((int64_t)s->last_sync_unix, last);
	jb_str(b, o, "app", s->app);
	jb_str(b, o, "namespace", s->namespace);
	jb_str(b, o, "commit", s->commit);
	jb_str(b, o, "head", s->head);
	jb_str(b, o, "state", s->state);
	jb_str(b, o, "health", s->health);
	jb_num(b, o, "driftObjects", (double)s->drift_objects);
	jb_str(b, o, "lastSyncTime", last); /* RFC 3339, "" before the first sync */
	jb_num(b, o, "syncs", (double)(s->sync_success + s->sync_error));
	jb_num(b, o, "failedSyncs", (double)s->sync_error); /* "errors" are messages elsewhere */
	jb_str(b, o, "lastError", s->last_error);
	jb_bool(b, o, "suspended", s->suspended);
	if (owner) /* --shard-apps: the replica it falls to */
		jb_str(b, o, "owner", owner);
	if (s->unverified[0]) /* verify: the head refused */
		jb_str(b, o, "unverified", s->unverified);
	if (s->revert_commit[0]) { /* on-failure: revert */
		cJSON *r = jb_object(b, o, "lastRevert");
		jb_str(b, r, "commit", s->revert_commit);
		jb_str(b, r, "reverts", s->reverted);
	}
	return o;
}

/* {"identity","members":[...],"ownedApps"} */
static void shard_json(struct json_build *b, cJSON *root, const struct shard_view *sv)
{
	cJSON *o = jb_object(b, root, "shard"), *m;

	jb_str(b, o, "identity", sv->identity);
	m = jb_array(b, o, "members");
	for (size_t i = 0; !b->failed && i < sv->members.n; i++)
		jb_append(b, m, cJSON_CreateString(sv->members.items[i]));
	jb_num(b, o, "ownedApps", (double)sv->owned);
}

int status_render(const struct app_stats *apps, size_t n, bool leader,
		  const struct shard_view *sv, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	struct json_build build = {.failed = !root}, *b = &build;
	char *s;
	int rc;

	jb_bool(b, root, "leader", leader);
	if (sv)
		shard_json(b, root, sv);
	arr = jb_array(b, root, "apps");
	for (size_t i = 0; !build.failed && i < n; i++)
		jb_append(b, arr, app_json(b, &apps[i], sv ? sv->owners[i] : NULL));
	s = build.failed ? NULL : cJSON_PrintUnformatted(root); /* never a partial status */
	cJSON_Delete(root);
	if (!s)
		return TE_NOMEM;
	rc = buf_puts(out, s);
	buf_puts(out, "\n");
	cJSON_free(s);
	return rc;
}
