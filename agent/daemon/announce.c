/*
 * announce: the agent's notifications (agent/notify) that are not a sync's result
 * (notifier_send_sync): a sync starting, a rollout failing, drift found and gone. Only
 * queued here; the notifier's thread delivers them, so the loop never waits on a receiver.
 */
#include <string.h>

#include "daemon_int.h"
#include "notify.h"

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
