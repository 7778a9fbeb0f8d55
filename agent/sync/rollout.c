/*
 * rollout: after applying, waits for the workloads that changed until their rollout
 * is done, failed or tether's deadline passed, with kubectl's rollout-status rules
 * (ProgressDeadlineExceeded is failure). One watch per kind with the app's label
 * selector; polling with backoff if the watch cannot be opened. A failure names the
 * object and the reason, down to the container that cannot pull its image.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonget.h"
#include "sync_int.h"

/* ---- waiting ------------------------------------------------------------------ */

struct tracked {
	struct sync_item *it;
	enum rollout_state state;
	char msg[512];
	char note[400]; /* what tether did to let the rollout go on (rollout_sts.c) */
};

struct watch_ctx {
	struct tracked *t;
	size_t n;
	const struct kube_resource *res;
	struct sync_run *r; /* for progress lines */
	const char *ns;	    /* the watch's namespace; NULL: across namespaces */
};

/* Whether t is of the watched kind (and namespace, for a watch in one). */
static bool in_watch(const struct watch_ctx *w, const struct tracked *t)
{
	const char *ns = t->it->obj->ns;

	return t->it->res == w->res && (!w->ns || !strcmp(ns ? ns : "", w->ns));
}

static bool all_settled(const struct watch_ctx *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (in_watch(w, &w->t[i]) && w->t[i].state == ROLLOUT_WAIT)
			return false;
	return true;
}

/* One line per change of a rollout's state ("deployment/web: 1 of 3 updated replicas
 * are available"): total 0 tells the progress callback it is a line, not a counter. */
static void progress_line(struct watch_ctx *w, const struct tracked *t)
{
	char line[700], kind[64];
	size_t i;

	for (i = 0; t->it->obj->kind[i] && i < sizeof(kind) - 1; i++)
		kind[i] = (char)tolower((unsigned char)t->it->obj->kind[i]);
	kind[i] = '\0';
	snprintf(line, sizeof(line), "%s/%s: %s", kind, t->it->obj->name, t->msg);
	sync_run_progress(w->r, line, 0, 0);
}

/* Whether t is still waiting for the object name in namespace ns of the watched kind. */
static bool waits_for(const struct watch_ctx *w, const struct tracked *t, const char *name,
		      const char *ns)
{
	const struct object *o = t->it->obj;

	return in_watch(w, t) && t->state == ROLLOUT_WAIT && !strcmp(o->name, name) &&
	       !strcmp(o->ns ? o->ns : "", ns ? ns : "");
}

/* A failed Deployment that is rolling back right after the failure (rollout_status.c). */
static bool rolling_back(const struct tracked *t, const cJSON *obj)
{
	return t->state == ROLLOUT_FAILED && !strcmp(t->it->obj->kind, "Deployment") &&
	       rollout_deadline_stale(obj);
}

/* A new version of t's object: its rollout state, and a line when its progress moved. */
static void track_update(struct watch_ctx *w, struct tracked *t, const cJSON *obj)
{
	const struct object *o = t->it->obj;
	char before[sizeof(t->msg)];

	memcpy(before, t->msg, sizeof(before));
	t->state = rollout_status(o->kind, obj, t->msg, sizeof(t->msg));
	if (rolling_back(t, obj))
		t->state = ROLLOUT_WAIT;
	if (t->state == ROLLOUT_WAIT && strcmp(before, t->msg) != 0)
		progress_line(w, t);
}

static int on_event(const char *type, const cJSON *obj, void *ctx)
{
	struct watch_ctx *w = ctx;
	const cJSON *meta = json_get(obj, "metadata", NULL);
	const char *name = json_str(meta, "name", NULL), *ns = json_str(meta, "namespace", NULL);

	if (!name || !strcmp(type, "BOOKMARK"))
		return 0;
	for (size_t i = 0; i < w->n; i++) {
		struct tracked *t = &w->t[i];

		if (!waits_for(w, t, name, ns))
			continue;
		if (strcmp(type, "DELETED") != 0) {
			track_update(w, t, obj);
			continue;
		}
		t->state = ROLLOUT_FAILED;
		snprintf(t->msg, sizeof(t->msg), "object has been deleted");
	}
	return all_settled(w) ? 1 : 0;
}

/* Fallback when a watch cannot be opened: LIST with backoff until the deadline. */
static int poll_kind(struct sync_run *r, struct watch_ctx *w, const char *sel, int64_t deadline,
		     struct err *e)
{
	int64_t delay = 200;

	while (now_ms() < deadline) {
		cJSON *list = NULL, *it;
		int rc = kube_list(r->kube, w->res, w->ns, sel, &list, e);

		if (rc < 0)
			return rc;
		cJSON_ArrayForEach(it, json_get(list, "items", NULL)) on_event("MODIFIED", it, w);
		cJSON_Delete(list);
		if (all_settled(w))
			return 0;
		sleep_for_ms(delay);
		delay = delay * 2 > 2000 ? 2000 : delay * 2;
	}
	return 1;
}

static int wait_kind(struct sync_run *r, struct watch_ctx *w, int64_t deadline, struct err *e)
{
	char *sel = xasprintf(SYNC_LABEL_APP "=%s", r->cfg->app);
	struct err sub;
	int rc;

	if (!sel)
		return err_set(e, TE_NOMEM, "out of memory");
	err_clear(&sub);
	rc = kube_watch(r->kube, w->res, w->ns, sel, NULL, deadline, on_event, w, &sub);
	if (rc < 0 && rc != TE_UNREACHABLE)
		rc = poll_kind(r, w, sel, deadline, e);
	else if (rc < 0)
		err_set(e, rc, "watch %s: %s", w->res->resource, sub.msg);
	free(sel);
	return rc;
}

static int record(struct sync_run *r, struct tracked *t, size_t n, struct err *e)
{
	int rc = 0;

	r->res->rollouts = calloc(n, sizeof(*r->res->rollouts));
	if (!r->res->rollouts)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct sync_rollout *o = &r->res->rollouts[r->res->n_rollouts++];
		const char *status = t[i].state == ROLLOUT_DONE	    ? "done"
				     : t[i].state == ROLLOUT_FAILED ? "failed"
								    : "timeout";

		/* A StatefulSet or DaemonSet has no progress deadline: a pod that cannot
		 * start shows as a timeout, named like a failure. */
		if (t[i].state != ROLLOUT_DONE)
			rollout_explain(r, t[i].it, t[i].msg, sizeof(t[i].msg));
		o->object = xstrdup(t[i].it->display);
		o->status = xstrdup(status);
		o->message = xasprintf("%s%s", t[i].msg, t[i].note);
		if (t[i].state != ROLLOUT_DONE) {
			rc = err_set(e, TE_ROLLOUT, "rollout of %s %s: %s", t[i].it->display,
				     t[i].state == ROLLOUT_FAILED ? "failed" : "timed out",
				     t[i].msg);
			strlist_add_owned(
			    &r->res->errors,
			    xasprintf("rollout of %s %s: %s", t[i].it->display, status, t[i].msg));
		}
	}
	return rc;
}

/* The workloads this run created or changed whose rollout is followed, into t. */
static size_t track_changed(struct sync_run *r, struct tracked *t)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];

		if ((it->created || it->changed) && it->res &&
		    rollout_tracked_kind(it->obj->group, it->obj->kind))
			t[n++].it = it;
	}
	return n;
}

/* Whether t's kind is still to be watched: t waits, and so does its kind. */
static bool kind_pending(const struct watch_ctx *w, const struct tracked *t)
{
	return t->state == ROLLOUT_WAIT && !all_settled(w);
}

/* One watch per kind of the n tracked, in turn, until each settles or the deadline; per
 * namespace for a kind the identity may list only there (live.c found out). */
static int wait_all(struct sync_run *r, struct tracked *t, size_t n, int64_t deadline,
		    struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < n && rc >= 0; i++) {
		struct watch_ctx w = {t, n, t[i].it->res, r, NULL};

		if (session_ns_scoped(r->sess, w.res))
			w.ns = t[i].it->obj->ns ? t[i].it->obj->ns : "";

		if (!kind_pending(&w, &t[i]))
			continue;
		sync_run_progress(r, "waiting for rollouts", i, n);
		rc = wait_kind(r, &w, deadline, e);
	}
	return rc;
}

/* What is still waiting at the deadline says how long it was given. */
static void note_timeouts(const struct sync_run *r, struct tracked *t, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(t[i].msg);

		if (t[i].state == ROLLOUT_WAIT)
			snprintf(t[i].msg + len, sizeof(t[i].msg) - len, " (timed out after %llds)",
				 (long long)(r->cfg->timeout_ms / 1000));
	}
}

int rollout_wait(struct sync_run *r, struct err *e)
{
	int64_t deadline = now_ms() + r->cfg->timeout_ms;
	struct tracked *t = calloc(r->n_items ? r->n_items : 1, sizeof(*t));
	size_t n;
	int rc;

	if (!t)
		return err_set(e, TE_NOMEM, "out of memory");
	n = track_changed(r, t);
	if (n)
		sync_run_stage(r, "wait for %zu rollout%s (--timeout %llds)", n, n == 1 ? "" : "s",
			       (long long)(r->cfg->timeout_ms / 1000));
	for (size_t i = 0; i < n; i++)
		rollout_unstick(r, t[i].it, deadline, t[i].note, sizeof(t[i].note));
	rc = wait_all(r, t, n, deadline, e);
	if (rc >= 0 || e->code != TE_UNREACHABLE) {
		note_timeouts(r, t, n);
		rc = n ? record(r, t, n, e) : 0;
	}
	free(t);
	return rc;
}
