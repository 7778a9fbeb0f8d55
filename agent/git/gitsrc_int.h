/*
 * gitsrc_int: what the files of agent/git share: the gitsrc itself, libgit2 error
 * conversion and the remote callbacks (credentials, host key checks).
 */
#ifndef TETHER_GITSRC_INT_H
#define TETHER_GITSRC_INT_H

#include <git2.h>

#include "gitsrc.h"

struct gitsrc {
	git_repository *repo;
	char *url;	/* as configured; may hold userinfo, never printed */
	char *safe_url; /* url without userinfo, for messages */
	char *path;	/* the bare cache */
	char *username, *token_env, *token_file, *ssh_key, *known_hosts;
	bool insecure;
	unsigned fetches;  /* fetches done by this gitsrc (tests look at it) */
	int auth_attempts; /* credential callbacks in the current operation */
	char cb_msg[512];  /* why a callback refused, kept for the error message */
};

/* Records "<what>: <libgit2's last error>" (or a callback's reason) with code. */
int gitsrc_error(struct gitsrc *g, struct err *e, int code, const char *what);

/* libgit2's last message, never NULL. */
const char *gitsrc_lasterr(void);

/* A remote for g's URL (owned by the caller). */
int gitsrc_remote(struct gitsrc *g, git_remote **out, struct err *e);

/* Fills callbacks for fetch and push with g as payload. */
void gitsrc_callbacks(struct gitsrc *g, git_remote_callbacks *cbs);

/* url without "user:password@" (owned). */
char *url_strip_userinfo(const char *url);

/* Host and port of an ssh URL (ssh://[user@]host[:port]/path or [user@]host:path). */
bool url_ssh_host(const char *url, char *host, size_t hostlen, int *port);

#endif
