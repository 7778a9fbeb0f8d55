/*
 * notify: outgoing notifications of what a sync did: a generic JSON webhook, a
 * Slack-compatible message, a commit status on GitHub or GitLab. notifier_send only
 * builds the requests and queues them; one thread delivers them with retries and
 * backoff, bounded in queue length, attempts and total time, so a slow or failing
 * receiver never delays a sync. Tokens are read from their files at delivery and never
 * reach a log line or an error.
 */
#ifndef TETHER_NOTIFY_H
#define TETHER_NOTIFY_H

#include <stdint.h>

#include "config.h"
#include "util.h"

/* What happened, for every target of the app that listens to the event. */
struct notify_info {
	enum notify_event event;
	const char *app;
	const char *namespace;	       /* may be NULL */
	const char *commit;	       /* the commit it is about (a status is keyed by it) */
	const char *message;	       /* the summary or the first error (free of secrets) */
	const struct strlist *objects; /* the objects concerned, may be NULL */
	bool transient; /* a failure not of the commit (Git or the cluster unreachable) */
};

struct notifier;

/* Starts the delivery thread. */
int notifier_new(struct notifier **out, struct err *e);
/* Queues a request per target of c listening to in->event; never blocks on the network.
 * A full queue drops the request (logged). NULL n does nothing. */
void notifier_send(struct notifier *n, const struct app_config *c, const struct notify_info *in);
/* The notification of a sync's result: synced, sync-failed or rollout-failed (the
 * message: what changed, or r's first error, else error). */
struct sync_result;
struct history_revert;
void notifier_send_sync(struct notifier *n, const struct app_config *c, const struct sync_result *r,
			const char *error);
/* After an on-failure revert: reverted (about the failed commit), then the revert's
 * sync. Nothing when no revert was written. */
void notifier_send_revert(struct notifier *n, const struct app_config *c,
			  const struct sync_result *failed, const struct history_revert *rv);
/* "synced: 1 created, 0 changed, 0 pruned" */
void notify_sync_summary(const struct sync_result *r, char *out, size_t n);
/* Appends the objects r created, changed and pruned to to. */
void notify_objects(struct strlist *to, const struct sync_result *r);
/* Waits up to drain_ms for the queue to empty, then stops the thread and drops the rest
 * (logged). NULL is fine. */
void notifier_free(struct notifier *n, int64_t drain_ms);

#endif
