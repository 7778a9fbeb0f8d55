/*
 * health: rollouts followed across checks instead of inside a sync. The agent applies
 * with no-wait, then reads the workloads it changed once a second, from the loop, with
 * kubectl's rollout rules (rollout_status). A rollout that
 * never finishes therefore holds up nobody: the other apps keep their schedule, and the
 * app itself keeps checking Git. Failures and timeouts are counted, logged and posted as
 * Events like the sync engine's own rollout wait would.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "log.h"
#include "sync.h"

#define HEALTH_PERIOD_MS 1000

static const struct {
	const char *display; /* as the sync engine names it: kind.group */
	const char *api_version, *kind;
} tracked[] = {
    {"deployment.apps", "apps/v1", "Deployment"},
    {"statefulset.apps", "apps/v1", "StatefulSet"},
    {"daemonset.apps", "apps/v1", "DaemonSet"},
    {"job.batch", "batch/v1", "Job"},
};

struct rollout_watch {
	char *display, *ns, *name;
	int kind;	  /* index into tracked */
	int64_t deadline; /* the app's timeout after the sync that changed it */
};

static void watch_dispose(struct rollout_watch *w)
{
	free(w->display);
	free(w->ns);
	free(w->name);
}

void health_clear(struct daemon_app *a)
{
	for (size_t i = 0; i < a->n_watch; i++)
		watch_dispose(&a->watch[i]);
	free(a->watch);
	a->watch = NULL;
	a->n_watch = a->cap_watch = 0;
	strlist_dispose(&a->rollouts_failed);
}

/* degraded while a workload's last rollout failed, progressing while one runs. */
static void health_update(struct daemon *d, struct daemon_app *a)
{
	pthread_mutex_lock(&d->mu);
	snprintf(a->st.health, sizeof(a->st.health), "%s",
		 a->rollouts_failed.n ? "degraded"
		 : a->n_watch	      ? "progressing"
				      : "healthy");
	pthread_mutex_unlock(&d->mu);
}

/* Drops display from the failed set and the watches: a new rollout replaces them. */
static void forget(struct daemon_app *a, const char *display)
{
	size_t keep = 0;

	for (size_t i = 0; i < a->rollouts_failed.n; i++) {
		if (strcmp(a->rollouts_failed.items[i], display) == 0)
			free(a->rollouts_failed.items[i]);
		else
			a->rollouts_failed.items[keep++] = a->rollouts_failed.items[i];
	}
	a->rollouts_failed.n = keep;
	keep = 0;
	for (size_t i = 0; i < a->n_watch; i++) {
		if (strcmp(a->watch[i].display, display) == 0)
			watch_dispose(&a->watch[i]);
		else
			a->watch[keep++] = a->watch[i];
	}
	a->n_watch = keep;
}

/* "ns/deployment.apps/web" -> a watch, when the kind is one that rolls out. */
static int add_watch(struct daemon_app *a, const char *display)
{
	const char *s1 = strchr(display, '/'), *s2 = s1 ? strchr(s1 + 1, '/') : NULL;
	struct rollout_watch *w;

	if (!s2) /* cluster-scoped: nothing there rolls out */
		return 0;
	for (int k = 0; k < (int)(sizeof(tracked) / sizeof(tracked[0])); k++) {
		size_t len = strlen(tracked[k].display);
		if ((size_t)(s2 - s1 - 1) != len || strncmp(s1 + 1, tracked[k].display, len) != 0)
			continue;
		forget(a, display);
		if (array_reserve(&a->watch, &a->cap_watch, a->n_watch + 1, sizeof(*a->watch)) < 0)
			return TE_NOMEM;
		w = &a->watch[a->n_watch++];
		w->display = strdup(display);
		w->ns = strndup(display, (size_t)(s1 - display));
		w->name = strdup(s2 + 1);
		w->kind = k;
		w->deadline = now_ms() + a->cfg.timeout_ms;
		return w->display && w->ns && w->name ? 0 : TE_NOMEM;
	}
	return 0;
}

/* After a sync: the workloads it created or changed start a rollout each; the others
 * keep theirs (still running, or failed until a commit changes them). */
bool health_track(struct daemon *d, struct daemon_app *a, const struct sync_result *r)
{
	for (size_t i = 0; i < r->created.n; i++)
		add_watch(a, r->created.items[i]);
	for (size_t i = 0; i < r->changed.n; i++)
		add_watch(a, r->changed.items[i]);
	a->health_next_ms = now_ms() + HEALTH_PERIOD_MS / 4;
	health_update(d, a);
	return a->n_watch > 0;
}

/* One workload: DONE, WAIT or FAILED (msg says why); unreachable counts as WAIT. */
static enum rollout_state check_one(struct daemon *d, struct daemon_app *a,
				    const struct rollout_watch *w, char *msg, size_t n)
{
	const struct kube_resource *res;
	cJSON *obj = NULL;
	enum rollout_state s;
	struct err e;

	err_clear(&e);
	if (daemon_session(d, a, true, &e) < 0 ||
	    kube_resolve(a->sess->kube, tracked[w->kind].api_version, tracked[w->kind].kind, &res,
			 &e) < 0 ||
	    kube_get(a->sess->kube, res, w->ns, w->name, &obj, &e) < 0) {
		snprintf(msg, n, "%s", e.msg);
		return e.code == TE_NOTFOUND ? ROLLOUT_FAILED : ROLLOUT_WAIT;
	}
	s = rollout_status(tracked[w->kind].kind, obj, msg, n);
	cJSON_Delete(obj);
	return s;
}

static void rollout_failed(struct daemon *d, struct daemon_app *a, const struct rollout_watch *w,
			   const char *why)
{
	struct strlist objects;
	char msg[768];

	snprintf(msg, sizeof(msg), "rollout of %s/%s %s failed: %s", w->ns,
		 tracked[w->kind].display, w->name, why);
	log_kv(LOG_ERROR, "rollout failed", "app", a->cfg.app, "commit", a->st.commit, "error", msg,
	       NULL);
	strlist_add(&a->rollouts_failed, w->display);
	pthread_mutex_lock(&d->mu);
	a->st.rollout_failures++;
	snprintf(a->st.last_error, sizeof(a->st.last_error), "%s", msg);
	pthread_mutex_unlock(&d->mu);
	event_post(d, a, w->ns, a->st.commit, "RolloutFailed", msg, true);
	strlist_init(&objects);
	strlist_add(&objects, w->display);
	announce(d, a, NOTIFY_ROLLOUT_FAILED, a->st.commit, msg, &objects);
	strlist_dispose(&objects);
}

void health_check(struct daemon *d, struct daemon_app *a)
{
	size_t keep = 0, before = a->n_watch;

	for (size_t i = 0; i < a->n_watch; i++) {
		struct rollout_watch *w = &a->watch[i];
		char msg[512] = "";
		enum rollout_state s = check_one(d, a, w, msg, sizeof(msg));
		bool timeout = now_ms() > w->deadline;

		if (s == ROLLOUT_WAIT && timeout) {
			char why[600];
			snprintf(why, sizeof(why), "timed out after %llds: %s",
				 (long long)(a->cfg.timeout_ms / 1000), msg);
			rollout_failed(d, a, w, why);
		} else if (s == ROLLOUT_FAILED) {
			rollout_failed(d, a, w, msg);
		} else if (s == ROLLOUT_DONE) {
			log_kv(LOG_INFO, "rollout done", "app", a->cfg.app, "object", w->display,
			       NULL);
		}
		if (s == ROLLOUT_WAIT && !timeout)
			a->watch[keep++] = *w;
		else
			watch_dispose(w);
	}
	a->n_watch = keep;
	a->health_next_ms = now_ms() + HEALTH_PERIOD_MS;
	if (keep != before)
		health_update(d, a);
}
