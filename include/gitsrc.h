/*
 * gitsrc: the Git side, on libgit2. A bare cache per remote under a cache directory:
 * the first run clones, later runs fetch only what is new, and a run whose remote head
 * is unchanged does no fetch at all. Manifests are read straight from a commit's tree
 * through a vfs (no working copy). Also the log walk for history, and writing and
 * pushing a commit for rollback. Credentials never reach a log line.
 */
#ifndef TETHER_GITSRC_H
#define TETHER_GITSRC_H

#include <stdint.h>

#include "util.h"
#include "vfs.h"

struct gitsrc_opts {
	const char *url;          /* https://, ssh://, user@host:path, file://, or a local path */
	const char *cache_dir;    /* default $XDG_CACHE_HOME/tether or ~/.cache/tether */
	const char *username;     /* https basic auth user (default "git" with a token) */
	const char *token_env;    /* name of an environment variable holding a token/password */
	const char *token_file;   /* file holding a token/password */
	const char *ssh_key;      /* private key file */
	const char *known_hosts;  /* default ~/.ssh/known_hosts; host keys always checked */
	bool insecure_skip_tls_verify; /* only when asked for */
};

struct gitsrc;

/* libgit2 stays initialised from gitsrc_hold to gitsrc_release, whatever sources are
 * opened and freed meanwhile. A process whose threads outlive their sources (the
 * agent's workers, across a reload) holds it: when the last source is freed libgit2
 * shuts down and the per-thread state of the threads still running is lost. */
void gitsrc_hold(void);
void gitsrc_release(void);

/* Opens (or creates) the bare cache for url. No network access. */
int gitsrc_open(struct gitsrc **out, const struct gitsrc_opts *o, struct err *e);
void gitsrc_free(struct gitsrc *g);

/*
 * Resolves ref (branch, tag or full/short SHA; NULL = the remote's default branch) to
 * a commit, fetching only when the remote's head moved (one ls-remote when it did not).
 * Unreachable remote: TE_UNREACHABLE; unknown ref: TE_INPUT.
 * fetched (may be NULL) tells whether a fetch happened.
 */
int gitsrc_resolve(struct gitsrc *g, const char *ref, char sha[41], bool *fetched, struct err *e);

/*
 * Takes over checked's verdict that commit sha is whole (gitsrc_resolve checks every
 * object of a commit's tree once per gitsrc): when both are open on the same cache,
 * a resolve of sha through g then skips that walk. Nothing happens otherwise.
 */
void gitsrc_trust(struct gitsrc *g, const struct gitsrc *checked, const char *sha);

/*
 * The remote's default branch ("main"): the branch its HEAD points at, as the remote
 * advertises it (one ls-remote). For writing to the branch a sync without a ref
 * tracks. TE_UNREACHABLE, or TE_INPUT when HEAD names no branch.
 */
int gitsrc_default_branch(struct gitsrc *g, char *out, size_t n, struct err *e);

/* A vfs over the tree of commit sha (valid while g lives). */
int gitsrc_tree(struct gitsrc *g, const char *sha, struct vfs **out, struct err *e);

struct gitsrc_commit {
	char sha[41];
	char *subject;      /* first line of the message */
	char *message;      /* whole message */
	char *author;       /* "Name <email>" */
	int64_t time;       /* author time, seconds since the epoch */
	char parent[41];    /* first parent, "" for a root commit */
	char reverts[41];   /* from "This reverts commit <sha>." or "" */
};
void gitsrc_commit_dispose(struct gitsrc_commit *c);

int gitsrc_commit(struct gitsrc *g, const char *sha, struct gitsrc_commit *out, struct err *e);
/* Commits reachable from head back to (not including) stop (NULL: up to max), newest first. */
int gitsrc_log(struct gitsrc *g, const char *head, const char *stop, size_t max,
	       struct gitsrc_commit **out, size_t *n, struct err *e);

/*
 * The signature of commit sha (its gpgsig header, armored; sig stays empty when the
 * commit is unsigned), the content it signs and the committer time (seconds).
 */
int gitsrc_commit_signature(struct gitsrc *g, const char *sha, struct buf *sig,
			    struct buf *signed_data, int64_t *when, struct err *e);

/* Signs the commits gitsrc writes: sig receives the armored signature of data. */
struct gitsrc_sign {
	int (*sign)(void *ctx, const char *data, size_t len, struct buf *sig, struct err *e);
	void *ctx;
};

/*
 * Writes a commit on top of branch head `parent` whose tree is the tree of parent with
 * the subtree `path` ("" = root) replaced by that of commit `from`, with message msg,
 * and pushes it to branch. TE_CONFLICT when the push is rejected (non-fast-forward).
 * dry_run: creates the commit locally only. new_sha receives the commit. sign (NULL:
 * unsigned) signs it as git commit -S does.
 */
int gitsrc_commit_restore(struct gitsrc *g, const char *branch, const char *parent,
			  const char *from, const char *path, const char *msg,
			  const struct gitsrc_sign *sign, bool dry_run, char new_sha[41],
			  struct err *e);

#endif
