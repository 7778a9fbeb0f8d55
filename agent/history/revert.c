/*
 * revert: the sync as tether sync, tether rollback and the agent run it. sync_run gets
 * the history's two hooks (on-failure: hold before the first write, the record at the
 * end), and history_sync adds on-failure: revert: after a sync whose rollout failed,
 * push the revert of the failed commit (rollback.c) and sync that commit, pinned to it
 * so that what is applied is exactly what was pushed. One place for both callers;
 * reporting stays with them (text, JSON, the agent's log and /status).
 */
#include <stdlib.h>
#include <string.h>

#include "history_int.h"
#include "session.h"

static int hold_hook(void *ctx, const struct sync_view *v, struct err *e)
{
	return history_check_hold(v, e);
}

static void record_hook(void *ctx, const struct sync_view *v, int rc, const struct err *e,
			struct sync_result *res)
{
	history_record(v, rc, e, res);
}

static const struct sync_hooks hooks = {
    .before_apply = hold_hook,
    .after_run = record_hook,
    .beside_prefix = HISTORY_PREFIX, /* history_record reads it with the inventory */
};

int history_sync_run(struct session *s, const struct app_config *c, const struct sync_env *env,
		     struct sync_result *res, struct err *e)
{
	struct sync_env with = env ? *env : (struct sync_env){0};

	with.hooks = &hooks;
	return sync_run(s, c, &with, res, e);
}

/* on-failure: revert applies: the app asks for it and failed (TE_ROLLOUT) has a
 * rollout that is not done (a commit refused by on-failure: hold has none). */
static bool should_revert(const struct app_config *c, const struct sync_result *failed)
{
	if (failed->code != TE_ROLLOUT || !c->on_failure || strcmp(c->on_failure, "revert") != 0)
		return false;
	/* TE_ROLLOUT also comes from on-failure: hold refusing a commit: nothing to revert. */
	for (size_t i = 0; i < failed->n_rollouts; i++)
		if (strcmp(failed->rollouts[i].status, "done") != 0)
			return true;
	return false;
}

/* Pushes the revert of failed->commit on s's branch and syncs it into rv->sync. */
static int revert(struct session *s, const struct sync_result *failed, struct history_revert *rv)
{
	struct app_config pin;
	int rc;

	if ((rc = rollback_revert_failed(s, failed, &rv->commit, &rv->err)) < 0)
		return rc;
	if ((rc = app_config_copy(&pin, s->cfg, &rv->err)) < 0)
		return rc;
	free(pin.ref);
	if (!(pin.ref = strdup(rv->commit.commit))) {
		app_config_dispose(&pin);
		return err_set(&rv->err, TE_NOMEM, "out of memory");
	}
	history_sync_run(s, &pin, NULL, &rv->sync, &rv->err);
	app_config_dispose(&pin);
	return 0;
}

int history_sync(struct session *s, const struct app_config *c, const struct sync_env *env,
		 struct sync_result *res, struct history_revert *rv, struct err *e)
{
	int rc;

	memset(rv, 0, sizeof(*rv));
	err_clear(&rv->err);
	sync_result_init(&rv->sync);
	rc = history_sync_run(s, c, env, res, e);
	if ((rv->tried = should_revert(c, res)))
		rv->rc = revert(s, res, rv);
	return rc;
}

void history_revert_dispose(struct history_revert *rv)
{
	sync_result_dispose(&rv->sync);
	rollback_result_dispose(&rv->commit);
}
