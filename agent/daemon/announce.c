/*
 * announce: the agent's notifications (agent/notify), sent where it posts its Events:
 * a sync's result, a failed rollout, a revert, drift found and drift gone. Only queued
 * here; the notifier's thread delivers them, so the loop never waits on a receiver.
 */
#include <string.h>

#include "daemon_int.h"
#include "notify.h"
#include "sync.h"

void announce(struct daemon *d, const struct daemon_app *a, enum notify_event ev,
	      const char *commit, const char *message, const struct strlist *objects)
{
	struct notify_info in = {
	    .event = ev,
	    .app = a->cfg.app,
	    .namespace = a->st.namespace[0] ? a->st.namespace : NULL,
	    .commit = commit,
	    .message = message,
	    .objects = objects,
	};

	notifier_send(d->notifier, &a->cfg, &in);
}

void announce_objects(struct strlist *to, const struct sync_result *r)
{
	const struct strlist *lists[] = {&r->created, &r->changed, &r->pruned};

	for (size_t l = 0; l < 3; l++)
		for (size_t i = 0; i < lists[l]->n; i++)
			strlist_add(to, lists[l]->items[i]);
}

/* synced, sync-failed, or rollout-failed when the engine waited for the rollouts. */
void announce_sync(struct daemon *d, const struct daemon_app *a, const struct sync_result *r,
		   const char *message)
{
	struct notify_info in = {
	    .app = a->cfg.app,
	    .namespace = r->namespace,
	    .commit = r->commit,
	    .message = message,
	    .transient = r->code == TE_UNREACHABLE,
	};
	struct strlist objects;

	strlist_init(&objects);
	if (r->code == TE_ROLLOUT) {
		in.event = NOTIFY_ROLLOUT_FAILED;
		for (size_t i = 0; i < r->n_rollouts; i++)
			if (strcmp(r->rollouts[i].status, "done") != 0)
				strlist_add(&objects, r->rollouts[i].object);
	} else {
		in.event = r->code == 0 ? NOTIFY_SYNCED : NOTIFY_SYNC_FAILED;
		announce_objects(&objects, r);
	}
	in.objects = &objects;
	notifier_send(d->notifier, &a->cfg, &in);
	strlist_dispose(&objects);
}
