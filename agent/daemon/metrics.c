/*
 * metrics: /metrics in Prometheus text format and /status as JSON, both rendered from
 * a snapshot of the apps' statistics taken under the daemon's lock. Label values are
 * escaped as the exposition format requires; app names come from the configuration
 * and commits from Git, but neither is trusted to be free of quotes.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

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

static void app_sample(struct buf *b, const char *name, const struct app_stats *s,
		       const char *extra_key, const char *extra_val, double v)
{
	buf_printf(b, "%s{app=\"", name);
	put_label(b, s->app);
	if (extra_key) {
		buf_printf(b, "\",%s=\"", extra_key);
		put_label(b, extra_val);
	}
	buf_printf(b, "\"} %.15g\n", v);
}

static void render_histogram(struct buf *b, const struct app_stats *apps, size_t n)
{
	head(b, "tether_sync_duration_seconds", "histogram", "Duration of syncs.");
	for (size_t i = 0; i < n; i++) {
		uint64_t cum = 0;
		char le[32];

		for (int j = 0; j < DAEMON_BUCKETS; j++) {
			cum += apps[i].dur_buckets[j];
			snprintf(le, sizeof(le), "%g", daemon_duration_buckets[j]);
			app_sample(b, "tether_sync_duration_seconds_bucket", &apps[i], "le", le,
				   (double)cum);
		}
		app_sample(b, "tether_sync_duration_seconds_bucket", &apps[i], "le", "+Inf",
			   (double)apps[i].dur_count);
		app_sample(b, "tether_sync_duration_seconds_sum", &apps[i], NULL, NULL,
			   apps[i].dur_sum);
		app_sample(b, "tether_sync_duration_seconds_count", &apps[i], NULL, NULL,
			   (double)apps[i].dur_count);
	}
}

static void render_git(struct buf *b, const struct app_stats *apps, size_t n)
{
	head(b, "tether_git_fetch_duration_seconds", "summary",
	     "Time spent checking the remote head and fetching.");
	for (size_t i = 0; i < n; i++) {
		app_sample(b, "tether_git_fetch_duration_seconds_sum", &apps[i], NULL, NULL,
			   apps[i].git_sum);
		app_sample(b, "tether_git_fetch_duration_seconds_count", &apps[i], NULL, NULL,
			   (double)apps[i].git_count);
	}
	head(b, "tether_git_fetch_errors_total", "counter", "Failed checks of the remote.");
	for (size_t i = 0; i < n; i++)
		app_sample(b, "tether_git_fetch_errors_total", &apps[i], NULL, NULL,
			   (double)apps[i].git_errors);
}

int metrics_render(const struct app_stats *apps, size_t n, bool leader, struct buf *out)
{
	head(out, "tether_sync_total", "counter", "Syncs by result.");
	for (size_t i = 0; i < n; i++) {
		app_sample(out, "tether_sync_total", &apps[i], "result", "success",
			   (double)apps[i].sync_success);
		app_sample(out, "tether_sync_total", &apps[i], "result", "error",
			   (double)apps[i].sync_error);
	}
	render_histogram(out, apps, n);
	head(out, "tether_last_sync_timestamp_seconds", "gauge", "End of the last sync.");
	for (size_t i = 0; i < n; i++)
		app_sample(out, "tether_last_sync_timestamp_seconds", &apps[i], NULL, NULL,
			   apps[i].last_sync_unix);
	head(out, "tether_app_info", "gauge", "The commit each app is synced to.");
	for (size_t i = 0; i < n; i++)
		app_sample(out, "tether_app_info", &apps[i], "commit", apps[i].commit, 1);
	head(out, "tether_drift_objects", "gauge", "Objects that differ from Git.");
	for (size_t i = 0; i < n; i++)
		app_sample(out, "tether_drift_objects", &apps[i], NULL, NULL,
			   (double)apps[i].drift_objects);
	head(out, "tether_rollout_failures_total", "counter", "Rollouts failed or timed out.");
	for (size_t i = 0; i < n; i++)
		app_sample(out, "tether_rollout_failures_total", &apps[i], NULL, NULL,
			   (double)apps[i].rollout_failures);
	head(out, "tether_reverts_total", "counter",
	     "Revert commits pushed by on-failure: revert.");
	for (size_t i = 0; i < n; i++)
		app_sample(out, "tether_reverts_total", &apps[i], NULL, NULL,
			   (double)apps[i].reverts);
	head(out, "tether_unverified_commits_total", "counter",
	     "Heads refused by verify (not signed by a trusted key).");
	for (size_t i = 0; i < n; i++)
		app_sample(out, "tether_unverified_commits_total", &apps[i], NULL, NULL,
			   (double)apps[i].unverified_total);
	head(out, "tether_app_unverified", "gauge",
	     "1 while the app's head is refused by verify (nothing of it applied).");
	for (size_t i = 0; i < n; i++)
		app_sample(out, "tether_app_unverified", &apps[i], "commit", apps[i].unverified,
			   apps[i].unverified[0] ? 1 : 0);
	render_git(out, apps, n);
	head(out, "tether_leader", "gauge", "1 when this agent may sync.");
	if (buf_printf(out, "tether_leader %d\n", leader ? 1 : 0) < 0)
		return TE_NOMEM;
	return 0;
}

static cJSON *app_json(struct json_build *b, const struct app_stats *s)
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
	if (s->unverified[0]) /* verify: the head refused */
		jb_str(b, o, "unverified", s->unverified);
	if (s->revert_commit[0]) { /* on-failure: revert */
		cJSON *r = jb_object(b, o, "lastRevert");
		jb_str(b, r, "commit", s->revert_commit);
		jb_str(b, r, "reverts", s->reverted);
	}
	return o;
}

int status_render(const struct app_stats *apps, size_t n, bool leader, struct buf *out)
{
	cJSON *root = cJSON_CreateObject(), *arr;
	struct json_build build = {.failed = !root}, *b = &build;
	char *s;
	int rc;

	jb_bool(b, root, "leader", leader);
	arr = jb_array(b, root, "apps");
	for (size_t i = 0; !build.failed && i < n; i++)
		jb_append(b, arr, app_json(b, &apps[i]));
	s = build.failed ? NULL : cJSON_PrintUnformatted(root); /* never a partial status */
	cJSON_Delete(root);
	if (!s)
		return TE_NOMEM;
	rc = buf_puts(out, s);
	buf_puts(out, "\n");
	cJSON_free(s);
	return rc;
}
