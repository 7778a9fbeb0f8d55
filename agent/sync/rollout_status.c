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

#include "jsonget.h"
#include "sync_int.h"

/* The condition of the given type, or NULL. */
static const cJSON *condition(const cJSON *status, const char *type)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, json_get(status, "conditions", NULL))
	{
		const char *t = json_str(c, "type", NULL);
		if (t && !strcmp(t, type))
			return c;
	}
	return NULL;
}

static bool observed(const cJSON *obj)
{
	int64_t og = json_int(obj, -1, "status", "observedGeneration", NULL);
	return og >= 0 && json_int(obj, 0, "metadata", "generation", NULL) <= og;
}

static enum rollout_state deployment_status(const cJSON *d, char *msg, size_t n)
{
	const cJSON *st = json_get(d, "status", NULL);
	const cJSON *prog = condition(st, "Progressing");
	int64_t want = json_int(d, 1, "spec", "replicas", NULL);
	int64_t upd = json_int(st, 0, "updatedReplicas", NULL),
		rep = json_int(st, 0, "replicas", NULL);
	int64_t avail = json_int(st, 0, "availableReplicas", NULL);
	const char *reason = prog ? json_str(prog, "reason", NULL) : NULL;

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
	const char *t = json_str(obj, "spec", "updateStrategy", "type", NULL);
	return !t || !strcmp(t, "RollingUpdate");
}

/* kubectl's rule: with spec.updateStrategy.rollingUpdate (the API server defaults it,
 * partition 0) the rollout is done once the pods above the partition are updated; only
 * without it does the current revision have to reach the update revision. */
static enum rollout_state statefulset_status(const cJSON *s, char *msg, size_t n)
{
	const cJSON *st = json_get(s, "status", NULL), *spec = json_get(s, "spec", NULL);
	int64_t want = json_int(spec, 1, "replicas", NULL),
		ready = json_int(st, 0, "readyReplicas", NULL);
	const cJSON *ru = json_get(spec, "updateStrategy", "rollingUpdate", NULL);
	int64_t part = json_int(ru, 0, "partition", NULL);
	const char *cur = json_str(st, "currentRevision", NULL),
		   *upd = json_str(st, "updateRevision", NULL);

	snprintf(msg, n, "successfully rolled out");
	if (!rolling(s))
		return ROLLOUT_DONE;
	if (!observed(s))
		return snprintf(msg, n, "waiting for the spec update to be observed"), ROLLOUT_WAIT;
	if (ready < want)
		return snprintf(msg, n, "%lld of %lld pods are ready", (long long)ready,
				(long long)want),
		       ROLLOUT_WAIT;
	if (cJSON_IsObject(ru)) {
		int64_t upd_n = json_int(st, 0, "updatedReplicas", NULL);

		if (upd_n < want - part)
			return snprintf(msg, n,
					"waiting for partitioned roll out: %lld out of %lld new pods "
					"have been updated",
					(long long)upd_n, (long long)(want - part)),
			       ROLLOUT_WAIT;
		return ROLLOUT_DONE;
	}
	if (!cur || !upd || strcmp(cur, upd) != 0)
		return snprintf(msg, n, "waiting for the update to finish"), ROLLOUT_WAIT;
	return ROLLOUT_DONE;
}

static enum rollout_state daemonset_status(const cJSON *d, char *msg, size_t n)
{
	const cJSON *st = json_get(d, "status", NULL);
	int64_t want = json_int(st, 0, "desiredNumberScheduled", NULL);

	snprintf(msg, n, "successfully rolled out");
	if (!rolling(d))
		return ROLLOUT_DONE;
	if (!observed(d))
		return snprintf(msg, n, "waiting for the spec update to be observed"), ROLLOUT_WAIT;
	if (json_int(st, 0, "updatedNumberScheduled", NULL) < want)
		return snprintf(msg, n, "%lld out of %lld new pods have been updated",
				(long long)json_int(st, 0, "updatedNumberScheduled", NULL),
				(long long)want),
		       ROLLOUT_WAIT;
	if (json_int(st, 0, "numberAvailable", NULL) < want)
		return snprintf(msg, n, "%lld of %lld updated pods are available",
				(long long)json_int(st, 0, "numberAvailable", NULL),
				(long long)want),
		       ROLLOUT_WAIT;
	return ROLLOUT_DONE;
}

static bool cond_true(const cJSON *c)
{
	const char *s = c ? json_str(c, "status", NULL) : NULL;
	return s && !strcmp(s, "True");
}

static enum rollout_state job_status(const cJSON *j, char *msg, size_t n)
{
	const cJSON *st = json_get(j, "status", NULL);
	const cJSON *failed = condition(st, "Failed");

	if (cond_true(condition(st, "Complete")))
		return snprintf(msg, n, "complete"), ROLLOUT_DONE;
	if (cond_true(failed))
		return snprintf(msg, n, "failed: %s: %s",
				json_str(failed, "reason", NULL) ? json_str(failed, "reason", NULL)
								 : "?",
				json_str(failed, "message", NULL)
				    ? json_str(failed, "message", NULL)
				    : ""),
		       ROLLOUT_FAILED;
	snprintf(msg, n, "%lld succeeded, %lld active",
		 (long long)json_int(st, 0, "succeeded", NULL),
		 (long long)json_int(st, 0, "active", NULL));
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

	cJSON_ArrayForEach(m, json_get(obj, "metadata", "managedFields", NULL))
	{
		const char *mgr = json_str(m, "manager", NULL), *op = json_str(m, "operation", NULL);
		if (mgr && op && !strcmp(mgr, SYNC_FIELD_MANAGER) && !strcmp(op, "Apply") &&
		    !json_str(m, "subresource", NULL))
			return json_str(m, "time", NULL);
	}
	return NULL;
}

bool rollout_deadline_stale(const cJSON *deploy)
{
	const cJSON *c;
	const char *applied = apply_time(deploy);

	if (!applied || strlen(applied) != 20) /* RFC 3339 in UTC, "2026-11-27T00:19:00Z" */
		return false;
	cJSON_ArrayForEach(c, json_get(deploy, "status", "conditions", NULL))
	{
		const char *type = json_str(c, "type", NULL), *reason = json_str(c, "reason", NULL);
		const char *updated = json_str(c, "lastUpdateTime", NULL);

		if (!type || strcmp(type, "Progressing") || !reason ||
		    strcmp(reason, "ProgressDeadlineExceeded"))
			continue;
		return updated && strlen(updated) == 20 && strcmp(updated, applied) <= 0;
	}
	return false;
}
