/*
 * sync_notify: what a sync's result says to the notification targets, the same for
 * the agent and for `tether sync`: synced, sync-failed, or rollout-failed when the
 * engine waited for the rollouts; after an on-failure revert, reverted (about the
 * failed commit) and then the revert's own sync.
 */
#include <stdio.h>
#include <string.h>

#include "history.h"
#include "notify.h"
#include "sync.h"

void notify_sync_summary(const struct sync_result *r, char *out, size_t n)
{
	snprintf(out, n, "synced: %zu created, %zu changed, %zu pruned", r->created.n, r->changed.n,
		 r->pruned.n);
}

void notify_objects(struct strlist *to, const struct sync_result *r)
{
	const struct strlist *lists[] = {&r->created, &r->changed, &r->pruned};

	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			strlist_add(to, lists[l]->items[i]);
}

void notifier_send_sync(struct notifier *n, const struct app_config *c, const struct sync_result *r,
			const char *error)
{
	struct notify_info in = {
	    .app = c->app,
	    .namespace = r->namespace,
	    .commit = r->commit,
	    .transient = r->code == TE_UNREACHABLE,
	};
	struct strlist objects;
	char summary[160];

	if (!n)
		return;
	notify_sync_summary(r, summary, sizeof(summary));
	in.message = r->code == 0  ? summary
		     : r->errors.n ? r->errors.items[0]
		     : error	   ? error
				   : "sync failed";
	strlist_init(&objects);
	if (r->code == TE_ROLLOUT) {
		in.event = NOTIFY_ROLLOUT_FAILED;
		for (size_t i = 0; i < r->n_rollouts; i++)
			if (strcmp(r->rollouts[i].status, "done") != 0)
				strlist_add(&objects, r->rollouts[i].object);
	} else {
		in.event = r->code == 0 ? NOTIFY_SYNCED : NOTIFY_SYNC_FAILED;
		notify_objects(&objects, r);
	}
	in.objects = &objects;
	notifier_send(n, c, &in);
	strlist_dispose(&objects);
}

void notifier_send_revert(struct notifier *n, const struct app_config *c,
			  const struct sync_result *failed, const struct history_revert *rv)
{
	struct notify_info in = {
	    .event = NOTIFY_REVERTED,
	    .app = c->app,
	    .namespace = failed->namespace,
	    .commit = failed->commit,
	};
	char msg[160];

	if (!n || rv->rc < 0)
		return;
	snprintf(msg, sizeof(msg), "on-failure: revert: pushed %.12s reverting %.12s",
		 rv->commit.commit, failed->commit);
	in.message = msg;
	notifier_send(n, c, &in);
	notifier_send_sync(n, c, &rv->sync, rv->err.msg[0] ? rv->err.msg : NULL);
}
