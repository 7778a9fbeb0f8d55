/*
 * daemon: `tether run`, the always-on agent. One loop thread checks each app's remote
 * head every interval (jittered) and syncs only a new commit or detected drift; a
 * failing app backs off without holding up the others. libmicrohttpd's thread serves
 * /metrics, /healthz, /readyz, /status and POST /webhook; a webhook only marks an app
 * due and wakes the loop, so libgit2 and the sync engine stay on the loop thread.
 * With leader election a third thread holds a coordination.k8s.io/v1 Lease and the
 * loop syncs only while it is held. The pieces inside (statistics, webhooks, leader
 * election) are in agent/daemon/daemon_int.h.
 */
#ifndef TETHER_DAEMON_H
#define TETHER_DAEMON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "util.h"

/* Loads (or reloads, on SIGHUP) the apps; the daemon owns what it returns. */
typedef int (*daemon_load_fn)(void *ctx, struct app_config **apps, size_t *n, struct err *e);

struct daemon_opts {
	daemon_load_fn load;
	void *load_ctx;
	/* Called once the listener is up (the address actually bound). May be NULL. */
	void (*listening)(const char *url, void *ctx);
};

/* Runs until SIGTERM or SIGINT. Returns 0, or TE_* when it could not start. */
int daemon_run(const struct daemon_opts *o, struct err *e);

#endif
