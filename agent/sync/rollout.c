/*
 * rollout: after applying, waits for the workloads that changed until their rollout
 * is done, failed or tether's deadline passed, with kubectl's rollout-status rules
 * (ProgressDeadlineExceeded is failure). One watch per kind with the app's label
 * selector; polling with backoff if the watch cannot be opened. A failure names the
 * object and the reason, down to the container that cannot pull its image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync_int.h"

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static int64_t num(const cJSON *o, const char *k, int64_t def)
{
	const cJSON *v = get(o, k);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : def;
}

static const char *str(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* The condition of the given type, or NULL. */
static const cJSON *condition(const cJSON *status, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, get(status, "conditions"))
	{
		const char *t = str(c, "type");
		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

static bool observed(const cJSON *obj)
{
	int64_t og = num(get(obj, "status"), "observedGeneration", -1);
	return og >= 0 && num(get(obj, "metadata"), "generation", 0) <= og;
}

static enum rollout_state deployment_status(const cJSON *d, char *msg, size_t n)
{
	const cJSON *st = get(d, "status");
	const cJSON *prog = condition(st, "Progressing");
	int64_t want = num(get(d, "spec"), "replicas", 1);
	int64_t upd = num(st, "updatedReplicas", 0), rep = num(st, "replicas", 0);
	int64_t avail = num(st, "availableReplicas", 0);
	const char *reason = prog ? str(prog, "reason") : NULL;

	if (!observed(d))
		return snprintf(msg, n, "waiting for the spec update to be observed"), ROLLOUT_WAIT;
	if (reason && !strcmp(reason, "ProgressDeadlineExceeded"))
		return snprintf(msg, n, "exceeded its progress deadline"), ROLLOUT_FAILED;
	if (upd < want)
		return snprintf(msg, n, "%lld out of %lld new replicas have been updated",
				(long long)upd, (long long)want),
		       ROLLOUT_WAIT;
	if (rep > upd)
		return snprintf(msg, n, "%lld old replicas are pending termination",
				(long long)(rep - upd)),
		       ROLLOUT_WAIT;
	if (avail < upd)
		return snprintf(msg, n, "%lld of %lld updated replicas are available",
				(long long)avail, (long long)upd),
		       ROLLOUT_WAIT;
	snprintf(msg, n, "successfully rolled out");
	return ROLLOUT_DONE;
}

static bool rolling(const cJSON *obj)
{
	const char *t = str(get(get(obj, "spec"), "updateStrategy"), "type");
	return !t || !strcmp(t, "RollingUpdate");
}

static enum rollout_state statefulset_status(const cJSON *s, char *msg, size_t n)
{
	const cJSON *st = get(s, "status"), *spec = get(s, "spec");
	int64_t want = num(spec, "replicas", 1), ready = num(st, "readyReplicas", 0);
	int64_t part = num(get(get(spec, "updateStrategy"), "rollingUpdate"), "partition", 0);
	const char *cur = str(st, "currentRevision"), *upd = str(st, "updateRevision");

	snprintf(msg, n, "successfully rolled out");
	if (!rolling(s))
		return ROLLOUT_DONE;
	if (!observed(s))
		return snprintf(msg, n, "waiting for the spec update to be observed"), ROLLOUT_WAIT;
	if (ready < want)
		return snprintf(msg, n, "%lld of %lld pods are ready", (long long)ready,
				(long long)want),
		       ROLLOUT_WAIT;
	if (part > 0) {
		if (num(st, "updatedReplicas", 0) < want - part)
			return snprintf(msg, n, "waiting for partitioned roll out"), ROLLOUT_WAIT;
		return ROLLOUT_DONE;
	}
	if (!cur || !upd || strcmp(cur, upd) != 0)
		return snprintf(msg, n, "waiting for the update to finish"), ROLLOUT_WAIT;
	return ROLLOUT_DONE;
}

static enum rollout_state daemonset_status(const cJSON *d, char *msg, size_t n)
{
	const cJSON *st = get(d, "status");
	int64_t want = num(st, "desiredNumberScheduled", 0);

	snprintf(msg, n, "successfully rolled out");
	if (!rolling(d))
		return ROLLOUT_DONE;
	if (!observed(d))
		return snprintf(msg, n, "waiting for the spec update to be observed"), ROLLOUT_WAIT;
	if (num(st, "updatedNumberScheduled", 0) < want)
		return snprintf(msg, n, "%lld out of %lld new pods have been updated",
				(long long)num(st, "updatedNumberScheduled", 0), (long long)want),
		       ROLLOUT_WAIT;
	if (num(st, "numberAvailable", 0) < want)
		return snprintf(msg, n, "%lld of %lld updated pods are available",
				(long long)num(st, "numberAvailable", 0), (long long)want),
		       ROLLOUT_WAIT;
	return ROLLOUT_DONE;
}

static bool cond_true(const cJSON *c)
{
	const char *s = c ? str(c, "status") : NULL;
	return s && !strcmp(s, "True");
}

static enum rollout_state job_status(const cJSON *j, char *msg, size_t n)
{
	const cJSON *st = get(j, "status");
	const cJSON *failed = condition(st, "Failed");

	if (cond_true(condition(st, "Complete")))
		return snprintf(msg, n, "complete"), ROLLOUT_DONE;
	if (cond_true(failed))
		return snprintf(msg, n, "failed: %s: %s",
				str(failed, "reason") ? str(failed, "reason") : "?",
				str(failed, "message") ? str(failed, "message") : ""),
		       ROLLOUT_FAILED;
	snprintf(msg, n, "%lld succeeded, %lld active", (long long)num(st, "succeeded", 0),
		 (long long)num(st, "active", 0));
	return ROLLOUT_WAIT;
}

enum rollout_state rollout_status(const char *kind, const cJSON *obj, char *msg, size_t n)
{
	if (!strcmp(kind, "Deployment"))
		return deployment_status(obj, msg, n);
	if (!strcmp(kind, "StatefulSet"))
		return statefulset_status(obj, msg, n);
	if (!strcmp(kind, "DaemonSet"))
		return daemonset_status(obj, msg, n);
	if (!strcmp(kind, "Job"))
		return job_status(obj, msg, n);
	snprintf(msg, n, "not tracked");
	return ROLLOUT_DONE;
}

/* ---- waiting ------------------------------------------------------------------ */

struct tracked {
	struct sync_item *it;
	enum rollout_state state;
	char msg[512];
};

struct watch_ctx {
	struct tracked *t;
	size_t n;
	const struct kube_resource *res;
};

static bool all_settled(const struct watch_ctx *w)
{
	for (size_t i = 0; i < w->n; i++)
		if (w->t[i].it->res == w->res && w->t[i].state == ROLLOUT_WAIT)
			return false;
	return true;
}

static int on_event(const char *type, const cJSON *obj, void *ctx)
{
	struct watch_ctx *w = ctx;
	const cJSON *meta = get(obj, "metadata");
	const char *name = str(meta, "name"), *ns = str(meta, "namespace");

	if (!name || !strcmp(type, "BOOKMARK"))
		return 0;
	for (size_t i = 0; i < w->n; i++) {
		struct tracked *t = &w->t[i];
		const struct object *o = t->it->obj;

		if (t->it->res != w->res || t->state != ROLLOUT_WAIT || strcmp(o->name, name) ||
		    strcmp(o->ns ? o->ns : "", ns ? ns : ""))
			continue;
		if (!strcmp(type, "DELETED")) {
			t->state = ROLLOUT_FAILED;
			snprintf(t->msg, sizeof(t->msg), "object has been deleted");
		} else {
			t->state = rollout_status(o->kind, obj, t->msg, sizeof(t->msg));
		}
	}
	return all_settled(w) ? 1 : 0;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/* Fallback when a watch cannot be opened: LIST with backoff until the deadline. */
static int poll_kind(struct sync_run *r, struct watch_ctx *w, const char *sel, int64_t deadline,
		     struct err *e)
{
	int64_t delay = 200;

	while (now_ms() < deadline) {
		cJSON *list = NULL, *it;
		int rc = kube_list(r->kube, w->res, NULL, sel, &list, e);

		if (rc < 0)
			return rc;
		cJSON_ArrayForEach(it, get(list, "items")) on_event("MODIFIED", it, w);
		cJSON_Delete(list);
		if (all_settled(w))
			return 0;
		sleep_ms(delay);
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
	rc = kube_watch(r->kube, w->res, NULL, sel, NULL, deadline, on_event, w, &sub);
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
		const char *status = t[i].state == ROLLOUT_DONE	  ? "done"
				     : t[i].state == ROLLOUT_FAILED ? "failed"
								    : "timeout";

		if (t[i].state == ROLLOUT_FAILED)
			rollout_explain(r, t[i].it, t[i].msg, sizeof(t[i].msg));
		o->object = xstrdup(t[i].it->display);
		o->status = xstrdup(status);
		o->message = xstrdup(t[i].msg);
		if (t[i].state != ROLLOUT_DONE) {
			rc = err_set(e, TE_ROLLOUT, "rollout of %s %s: %s", t[i].it->display,
				     t[i].state == ROLLOUT_FAILED ? "failed" : "timed out",
				     t[i].msg);
			strlist_add_owned(&r->res->errors,
					  xasprintf("rollout of %s %s: %s", t[i].it->display, status,
						    t[i].msg));
		}
	}
	return rc;
}

int rollout_wait(struct sync_run *r, struct err *e)
{
	int64_t deadline = now_ms() + r->cfg->timeout_ms;
	struct tracked *t = calloc(r->n_items ? r->n_items : 1, sizeof(*t));
	size_t n = 0;
	int rc = 0;

	if (!t)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		if ((it->created || it->changed) && it->res &&
		    rollout_tracked_kind(it->obj->group, it->obj->kind))
			t[n++].it = it;
	}
	for (size_t i = 0; i < n && rc >= 0; i++) {
		struct watch_ctx w = {t, n, t[i].it->res};
		if (t[i].state != ROLLOUT_WAIT || all_settled(&w))
			continue;
		sync_run_progress(r, "waiting for rollouts", i, n);
		rc = wait_kind(r, &w, deadline, e);
	}
	if (rc < 0 && e->code == TE_UNREACHABLE) {
		free(t);
		return rc;
	}
	for (size_t i = 0; i < n; i++)
		if (t[i].state == ROLLOUT_WAIT)
			snprintf(t[i].msg + strlen(t[i].msg), sizeof(t[i].msg) - strlen(t[i].msg),
				 " (timed out after %llds)", (long long)(r->cfg->timeout_ms / 1000));
	rc = n ? record(r, t, n, e) : 0;
	free(t);
	return rc;
}
