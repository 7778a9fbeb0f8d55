/*
 * rollback_status: a Deployment rolled back (by a revert commit, on-failure: revert or
 * tether rollback) right after a failed rollout still carries the failed rollout's
 * Progressing condition, reason ProgressDeadlineExceeded: the controller keeps a
 * timed-out condition until it sees progress, and writes the new observedGeneration
 * with it. kubectl's rule would call the rollback failed at once. A condition last
 * updated no later than tether's own apply (both times from the server's clock, in
 * seconds; a deadline is at least one second) belongs to the earlier rollout, so the
 * rollout is still waiting; tether's --timeout bounds the wait.
 */
#include <string.h>

#include "history.h"

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* Time of tether's last server-side apply of the object, or NULL. */
static const char *apply_time(const cJSON *obj)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "managedFields"))
	{
		const char *mgr = jstr(m, "manager"), *op = jstr(m, "operation");
		if (mgr && op && !strcmp(mgr, SYNC_FIELD_MANAGER) && !strcmp(op, "Apply") &&
		    !jstr(m, "subresource"))
			return jstr(m, "time");
	}
	return NULL;
}

bool rollback_deadline_stale(const cJSON *deploy)
{
	const cJSON *c;
	const char *applied = apply_time(deploy);

	if (!applied || strlen(applied) != 20) /* RFC 3339 in UTC, "2026-11-27T00:19:00Z" */
		return false;
	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(deploy, "status"), "conditions"))
	{
		const char *type = jstr(c, "type"), *reason = jstr(c, "reason");
		const char *updated = jstr(c, "lastUpdateTime");

		if (!type || strcmp(type, "Progressing") || !reason ||
		    strcmp(reason, "ProgressDeadlineExceeded"))
			continue;
		return updated && strlen(updated) == 20 && strcmp(updated, applied) <= 0;
	}
	return false;
}
