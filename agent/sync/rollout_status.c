/*
 * rollout_status: kubectl's rollout-status rules (pkg/polymorphichelpers/
 * rollout_status.go) for Deployment, StatefulSet, DaemonSet, and the Complete/Failed
 * conditions of a Job. Pure: an object in, a state and a message out.
 *
 * A Deployment rolled back (by a revert commit, on-failure: revert or tether rollback)
 * right after a failed rollout still carries the failed rollout's Progressing
 * condition, reason ProgressDeadlineExceeded: the controller keeps a timed-out
 * condition until it sees progress, and writes the new observedGeneration with it.
 * kubectl's rule would call the rollback failed at once. A condition last updated no
 * later than tether's own apply (both times from the server's clock, in seconds; a
 * deadline is at least one second) belongs to the earlier rollout, so the rollout is
 * still waiting (rollout_deadline_stale); tether's --timeout bounds the wait.
 */
#include <stdio.h>
#include <string.h>

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

/* Time of tether's last server-side apply of the object, or NULL. */
static const char *apply_time(const cJSON *obj)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, get(get(obj, "metadata"), "managedFields"))
	{
		const char *mgr = str(m, "manager"), *op = str(m, "operation");
		if (mgr && op && !strcmp(mgr, SYNC_FIELD_MANAGER) && !strcmp(op, "Apply") &&
		    !str(m, "subresource"))
			return str(m, "time");
	}
	return NULL;
}

bool rollout_deadline_stale(const cJSON *deploy)
{
	const cJSON *c;
	const char *applied = apply_time(deploy);

	if (!applied || strlen(applied) != 20) /* RFC 3339 in UTC, "2026-11-27T00:19:00Z" */
		return false;
	cJSON_ArrayForEach(c, get(get(deploy, "status"), "conditions"))
	{
		const char *type = str(c, "type"), *reason = str(c, "reason");
		const char *updated = str(c, "lastUpdateTime");

		if (!type || strcmp(type, "Progressing") || !reason ||
		    strcmp(reason, "ProgressDeadlineExceeded"))
			continue;
		return updated && strlen(updated) == 20 && strcmp(updated, applied) <= 0;
	}
	return false;
}
