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
	char *url_user, *url_pass; /* from the URL's userinfo (decoded), for the callback */
	bool url_cred_used;	   /* url_pass presented in the current operation */
	char *username, *token_env, *token_file, *ssh_key, *known_hosts;
	bool insecure;
	unsigned fetches;  /* fetches done by this gitsrc (tests look at it) */
	int auth_attempts; /* credential callbacks in the current operation */
	int ssh_tried;	   /* ssh credentials presented in it (sshkey.c) */
	char cb_msg[512];  /* why a callback refused, kept for the error message */
	bool corrupt;	   /* an operation failed on the cache's own object store */
	char verified[41]; /* the last commit gitsrc_verify found whole */
};

/* Records "<what>: <libgit2's last error>" (or a callback's reason) with code. */
int gitsrc_error(struct gitsrc *g, struct err *e, int code, const char *what);

/*
 * The same for a network operation (fetch, ls-remote, push), with its exit code: a
 * repository the server says does not exist is TE_INPUT, a local path that does not
 * exist says so, a failure of the cache's own object store is TE_FAIL and marks g
 * corrupt; anything else is TE_UNREACHABLE.
 */
int gitsrc_remote_error(struct gitsrc *g, struct err *e, const char *what);

/* libgit2's last message, never NULL. */
const char *gitsrc_lasterr(void);

/* Opens g->path as a bare repository, creating it when it is not one yet. */
int gitsrc_open_cache(struct gitsrc *g, struct err *e);

/*
 * Self-repair (repair.c). gitsrc_verify reads the headers of every object of commit
 * sha's tree, once per commit, and marks g corrupt when one is missing or unreadable.
 * gitsrc_recreate removes the cache and opens an empty one in its place.
 */
int gitsrc_verify(struct gitsrc *g, const char *sha, struct err *e);
int gitsrc_recreate(struct gitsrc *g, struct err *e);

/* A remote for g's URL (owned by the caller). Over HTTP(S) the URL goes to libgit2
 * without its userinfo: the credential callback presents it, once. */
int gitsrc_remote(struct gitsrc *g, git_remote **out, struct err *e);

/* Fills callbacks for fetch and push with g as payload. */
void gitsrc_callbacks(struct gitsrc *g, git_remote_callbacks *cbs);

/*
 * sshkey.c: the ssh credential of attempt index (0, 1, ...): the configured key
 * alone; else ssh-agent when agent is true, then each of ~/.ssh/id_ed25519, id_ecdsa
 * and id_rsa that is readable (path set for a file). SSHKEY_NONE when all were tried.
 */
enum sshkey_kind { SSHKEY_NONE, SSHKEY_AGENT, SSHKEY_FILE };
enum sshkey_kind sshkey_next(const char *configured, const char *home, bool agent, int index,
			     char *path, size_t n);
/* The next ssh credential for g (g->ssh_tried counts them): 0 with *out set;
 * GIT_EAUTH when every one was tried and refused, GIT_PASSTHROUGH when there is none. */
int sshkey_credential(struct gitsrc *g, git_credential **out, const char *user);

/* Host and port of an ssh URL (ssh://[user@]host[:port]/path or [user@]host:path). */
bool url_ssh_host(const char *url, char *host, size_t hostlen, int *port);

/* For tests: fetches done through g so far (a resolve with an unchanged remote adds
 * none), and the path of the bare cache repository (borrowed). */
unsigned gitsrc_fetch_count(const struct gitsrc *g);
const char *gitsrc_cache_path(const struct gitsrc *g);

/*
 * known_hosts.c: OpenSSH's known_hosts format, enough to pin a Git server's host key:
 * plain and hashed (|1|salt|hash) host patterns, [host]:port, wildcards, negation,
 * @revoked. @cert-authority lines are ignored (no certificate support).
 * Checks that key (the SSH wire-format public key blob) is listed for host:port in
 * file. 0 when it is; TE_UNREACHABLE with "host key for X not in known_hosts" (or
 * "... does not match" / "... is revoked") otherwise.
 * When key is NULL, sha256 (32 bytes) of the blob is compared instead.
 */
int known_hosts_check(const char *file, const char *host, int port, const unsigned char *key,
		      size_t keylen, const unsigned char *sha256, struct err *e);

#endif
