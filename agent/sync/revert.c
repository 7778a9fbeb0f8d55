/*
 * revert: on-failure: revert, shared by `tether sync` and `tether run`. After a sync
 * whose rollout failed, push the revert of the failed commit (rollback.c) and sync
 * that commit, pinned to it so that what is applied is exactly what was pushed.
 * Reporting stays with the caller (text, JSON, the agent's log and /status).
 */
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "session.h"

bool rollback_should_revert(const struct app_config *c, const struct sync_result *failed)
{
	if (failed->code != TE_ROLLOUT || !c->on_failure || strcmp(c->on_failure, "revert") != 0)
		return false;
	/* TE_ROLLOUT also comes from on-failure: hold refusing a commit: nothing to revert. */
	for (size_t i = 0; i < failed->n_rollouts; i++)
		if (strcmp(failed->rollouts[i].status, "done") != 0)
			return true;
	return false;
}

int rollback_on_failure(struct session *s, const struct sync_env *env,
			const struct sync_result *failed, struct rollback_result *rr,
			struct sync_result *res, struct err *e)
{
	const struct app_config *c = s->cfg;
	struct app_config pin;
	int rc;

	memset(rr, 0, sizeof(*rr));
	if (!rollback_should_revert(c, failed))
		return 1;
	if ((rc = rollback_revert_failed(s, failed, rr, e)) < 0)
		return rc;
	if ((rc = app_config_copy(&pin, c, e)) < 0)
		return rc;
	free(pin.ref);
	if (!(pin.ref = strdup(rr->commit))) {
		app_config_dispose(&pin);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	sync_run(s, &pin, env, res, e);
	app_config_dispose(&pin);
	return 0;
}
