/*
 * notify_int: what the files of agent/notify/ share, and their unit tests see: one
 * request built from a target and an event (payload.c), delivered by the queue.
 */
#ifndef TETHER_NOTIFY_INT_H
#define TETHER_NOTIFY_INT_H

#include "notify.h"

/* One HTTP POST of a JSON body. */
struct notify_req {
	char *url;
	char *body;
	char *token_file; /* NULL: no Authorization header */
	bool github;	  /* GitHub's Accept and API version headers */
	char target[16];  /* the target's type, for log lines */
	char event[24];
	char app[64];
};

void notify_req_dispose(struct notify_req *r);

/*
 * The request target t makes of in (c: the app, for a repository derived from its URL).
 * 1: the target has nothing to say about this event (a commit status of drift, no
 * commit); TE_INPUT: no repository could be derived (e names the target).
 */
int notify_req_build(struct notify_req *out, const struct notify_target *t,
		     const struct app_config *c, const struct notify_info *in, struct err *e);

/* "owner/name" of a repository URL (https://host/owner/name.git, git@host:owner/name,
 * ssh://git@host/owner/name); NULL when it has no path. Owned. */
char *notify_repo_path(const char *url);

#endif
