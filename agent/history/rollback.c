/*
 * rollback: Git stays the truth, so going back is a commit. `tether rollback` writes a
 * commit on the tracked branch whose manifests (the app's path) are those of an
 * earlier commit (a restore of the files, said so in the message), pushes it with the
 * configured credentials (a rejected push is fetched and retried once), and the caller
 * syncs it. on-failure: revert writes the revert of the commit whose rollout failed.
 * Nothing here touches the cluster except to read which commit a revision was.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "gitsrc.h"
#include "history_int.h"
#include "session.h"
#include "verify.h"

void rollback_result_dispose(struct rollback_result *r)
{
	if (!r)
		return;
	free(r->message);
	r->message = NULL;
}

static bool is_sha_like(const char *s)
{
	size_t n = 0;

	while (s[n] && isxdigit((unsigned char)s[n]))
		n++;
	return n >= 7 && !s[n];
}

/* The branch to push to: --ref, which must name one, or without --ref the remote's
 * default branch (the one a sync without --ref follows). */
static int branch_of(struct gitsrc *g, const struct app_config *c, char *out, size_t n,
		     struct err *e)
{
	if (!c->ref || !*c->ref || !strcmp(c->ref, "HEAD"))
		return gitsrc_default_branch(g, out, n, e);
	if (is_sha_like(c->ref))
		return err_set(e, TE_INPUT,
			       "a rollback is a commit pushed to the tracked branch: --ref %s is a "
			       "commit; give the branch with --ref BRANCH (or ref: in the "
			       "configuration), or leave it out for the default branch",
			       c->ref);
	snprintf(out, n, "%s", c->ref);
	return 0;
}

/* The commits tether writes are signed with sign-key when one is set. */
struct commit_signer {
	struct signer *signer;
	struct gitsrc_sign sign;
};

static int signer_adapt(void *ctx, const char *data, size_t len, struct buf *sig, struct err *e)
{
	return signer_sign(ctx, data, len, sig, e);
}

static int commit_signer_open(struct commit_signer *cs, const struct app_config *c,
			      struct err *e)
{
	int rc;

	memset(cs, 0, sizeof(*cs));
	if (!c->sign_key)
		return 0;
	if ((rc = signer_new(&cs->signer, c->sign_key, e)) < 0)
		return rc;
	cs->sign = (struct gitsrc_sign){.sign = signer_adapt, .ctx = cs->signer};
	return 0;
}

/* What gitsrc_commit_restore takes: NULL when the commits are not signed. */
static const struct gitsrc_sign *commit_signer_get(const struct commit_signer *cs)
{
	return cs->signer ? &cs->sign : NULL;
}

static int git_open(struct session *s, struct gitsrc **g, struct err *e)
{
	int rc = session_git(s, e);

	*g = s->git;
	return rc;
}

char *rollback_message(const char *what, const char *target, const char *subject,
		       const char *path)
{
	return xasprintf("Roll back %s\n\n"
			 "Restores the manifests in %s as they were at commit %s\n(\"%s\"): a "
			 "restore of the files, not a revert of the commits since.\n\n"
			 "Written by tether rollback.\n",
			 what, path && *path ? path : "the repository root", target,
			 subject ? subject : "");
}

/* ---- which commit a revision was -------------------------------------------------- */

/* From `tether history`'s view: the row of revision rev of the workload. */
static int commit_of_revision(struct session *s, const char *dep, int64_t rev,
			      char out[41], struct err *e)
{
	cJSON *all = NULL;
	const cJSON *d, *r, *row = NULL;
	const char *sha;
	int rc;

	if ((rc = history_query(s, dep, &all, e)) < 0)
		return rc;
	cJSON_ArrayForEach(d, all)
	{
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(d, "revisions"))
		{
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(r, "revision");
			if (cJSON_IsNumber(n) && (int64_t)n->valuedouble == rev)
				row = r;
		}
	}
	sha = row ? json_str(row, "commit", NULL) : NULL;
	if (!row)
		rc = err_set(e, TE_INPUT,
			     "%s has no revision %lld (see tether history; a revision brought "
			     "back takes a new number)",
			     dep, (long long)rev);
	else if (!sha || strlen(sha) != 40)
		rc = err_set(e, TE_INPUT,
			     "revision %lld of %s carries no tether.dev/commit annotation (it was "
			     "not made by tether)",
			     (long long)rev, dep);
	else
		memcpy(out, sha, 41);
	cJSON_Delete(all);
	return rc;
}

/* "statefulset/db to revision 2 (commit abc1234)": the kind as tether history names
 * it, whichever short form was given. */
static void rollback_what(char *out, size_t n, const char *workload, int64_t rev,
			  const char *target)
{
	const struct history_kind *k;
	const char *name;
	struct err e;

	err_clear(&e);
	if (history_kind_parse(workload, &k, &name, &e) == 0)
		snprintf(out, n, "%s/%s to revision %lld (commit %.7s)", k->name, name,
			 (long long)rev, target);
	else
		snprintf(out, n, "%s to revision %lld (commit %.7s)", workload, (long long)rev,
			 target);
}

/* ---- the dry-run diff ---------------------------------------------------------------- */

static int collect_files(struct vfs *v, const char *dir, struct strlist *out, struct err *e)
{
	struct strlist names;
	int rc = 0;

	strlist_init(&names);
	if (vfs_list(v, dir, &names, e) < 0) {
		strlist_dispose(&names);
		err_clear(e); /* a directory missing on one side */
		return 0;
	}
	for (size_t i = 0; i < names.n && rc == 0; i++) {
		char *p = *dir ? xasprintf("%s/%s", dir, names.items[i]) : xstrdup(names.items[i]);
		enum vfs_type t = VFS_NONE;

		if (!p) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			break;
		}
		vfs_lstat(v, p, &t, e);
		if (t == VFS_DIR)
			rc = collect_files(v, p, out, e);
		else if (!strlist_contains(out, p))
			rc = strlist_add(out, p);
		free(p);
	}
	strlist_dispose(&names);
	return rc;
}

static void read_or_empty(struct vfs *v, const char *p, struct buf *b)
{
	struct err e;

	err_clear(&e);
	buf_reset(b);
	if (vfs_read(v, p, (size_t)8 << 20, b, &e) < 0)
		buf_reset(b);
}

static int diff_commits(struct gitsrc *g, const char *a, const char *b, const char *path,
			struct buf *out, struct err *e)
{
	struct vfs *va = NULL, *vb = NULL;
	struct strlist files;
	struct buf x, y;
	char *dir = NULL;
	int rc;

	strlist_init(&files);
	buf_init(&x, 0);
	buf_init(&y, 0);
	if ((rc = vfs_join(&dir, "", path ? path : "", e)) < 0 ||
	    (rc = gitsrc_tree(g, a, &va, e)) < 0 || (rc = gitsrc_tree(g, b, &vb, e)) < 0 ||
	    (rc = collect_files(va, dir, &files, e)) < 0 ||
	    (rc = collect_files(vb, dir, &files, e)) < 0)
		goto out;
	strlist_sort(&files);
	for (size_t i = 0; i < files.n && rc >= 0; i++) {
		char *la = xasprintf("a/%s", files.items[i]), *lb = xasprintf("b/%s", files.items[i]);
		read_or_empty(va, files.items[i], &x);
		read_or_empty(vb, files.items[i], &y);
		rc = la && lb ? linediff_unified(la, x.data ? x.data : "", lb, y.data ? y.data : "",
						 3, false, out, e)
			      : err_set(e, TE_NOMEM, "out of memory");
		free(la);
		free(lb);
	}
	rc = rc < 0 ? rc : 0;
out:
	buf_dispose(&x);
	buf_dispose(&y);
	strlist_dispose(&files);
	vfs_free(vb);
	vfs_free(va);
	free(dir);
	return rc;
}

/* ---- writing the commit -------------------------------------------------------------- */

/* Commits and pushes; a rejected push is fetched and retried once on the new head. */
static int write_commit(struct gitsrc *g, const struct app_config *c, const char *from,
			bool dry_run, struct rollback_result *res, struct err *e)
{
	struct commit_signer cs;
	char head[41];
	int rc;

	if ((rc = commit_signer_open(&cs, c, e)) < 0)
		return rc;
	for (int attempt = 0;; attempt++) {
		struct err sub;

		if ((rc = gitsrc_resolve(g, res->branch, head, NULL, e)) < 0)
			break;
		err_clear(&sub);
		rc = gitsrc_commit_restore(g, res->branch, head, from, c->path, res->message,
					   commit_signer_get(&cs), dry_run, res->commit, &sub);
		if (rc == 0) {
			res->pushed = !dry_run;
			break;
		}
		if (rc != TE_CONFLICT || attempt == 1) {
			rc = err_set(e, rc, "%s%s", sub.msg,
				     rc == TE_CONFLICT ? " (rejected again after fetching and "
							 "retrying once; run the rollback again)"
						       : "");
			break;
		}
		res->retries++;
	}
	signer_free(cs.signer);
	return rc;
}

int rollback_commit(struct session *s, const struct rollback_opts *o,
		    struct rollback_result *res, struct err *e)
{
	const struct app_config *c = s->cfg;
	struct gitsrc *g = NULL;
	struct gitsrc_commit tc;
	char head[41], what[300];
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&tc, 0, sizeof(tc));
	if ((rc = git_open(s, &g, e)) < 0 ||
	    (rc = branch_of(g, c, res->branch, sizeof(res->branch), e)) < 0 ||
	    (rc = gitsrc_resolve(g, res->branch, head, NULL, e)) < 0)
		goto out;
	if (o->workload)
		rc = commit_of_revision(s, o->workload, o->to_revision, res->target, e);
	else
		rc = gitsrc_resolve(g, o->commit, res->target, NULL, e);
	if (rc < 0 || (rc = gitsrc_commit(g, res->target, &tc, e)) < 0)
		goto out;
	if (o->workload)
		rollback_what(what, sizeof(what), o->workload, o->to_revision, res->target);
	else
		snprintf(what, sizeof(what), "to commit %.7s", res->target);
	if (!(res->message = rollback_message(what, res->target, tc.subject, c->path))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = write_commit(g, c, res->target, o->dry_run, res, e)) < 0)
		goto out;
	if (o->out)
		rc = diff_commits(g, head, res->commit, c->path, o->out, e);
out:
	gitsrc_commit_dispose(&tc);
	return rc;
}

int rollback_revert_failed(struct session *s, const struct sync_result *failed,
			   struct rollback_result *res, struct err *e)
{
	const struct app_config *c = s->cfg;
	struct gitsrc *g = NULL;
	struct gitsrc_commit fc;
	struct commit_signer cs = {0};
	char head[41];
	struct buf why;
	int rc;

	memset(res, 0, sizeof(*res));
	memset(&fc, 0, sizeof(fc));
	buf_init(&why, 64 << 10);
	if ((rc = git_open(s, &g, e)) < 0 ||
	    (rc = branch_of(g, c, res->branch, sizeof(res->branch), e)) < 0 ||
	    (rc = gitsrc_resolve(g, res->branch, head, NULL, e)) < 0 ||
	    (rc = gitsrc_commit(g, failed->commit, &fc, e)) < 0)
		goto out;
	memcpy(res->target, fc.parent, sizeof(res->target));
	if (strcmp(head, failed->commit) != 0) {
		rc = err_set(e, TE_CONFLICT,
			     "on-failure: revert: %s moved to %.12s after %.12s; not reverting (the "
			     "newer commit is synced next)",
			     res->branch, head, failed->commit);
		goto out;
	}
	if (!fc.parent[0]) {
		rc = err_set(e, TE_INPUT, "on-failure: revert: %.12s is the first commit", fc.sha);
		goto out;
	}
	for (size_t i = 0; i < failed->n_rollouts; i++)
		if (strcmp(failed->rollouts[i].status, "done") != 0)
			buf_printf(&why, "The rollout of %s %s: %s\n", failed->rollouts[i].object,
				   failed->rollouts[i].status, failed->rollouts[i].message);
	res->message = xasprintf("Revert \"%s\"\n\nThis reverts commit %s.\n\n%s\nWritten by tether "
				 "(on-failure: revert).\n",
				 fc.subject, fc.sha, why.data ? why.data : "");
	if (!res->message) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = commit_signer_open(&cs, c, e)) < 0)
		goto out;
	rc = gitsrc_commit_restore(g, res->branch, head, fc.parent, c->path, res->message,
				   commit_signer_get(&cs), false, res->commit, e);
	res->pushed = rc == 0;
	if (rc < 0)
		err_prefix(e, "on-failure: revert %.12s", fc.sha);
out:
	signer_free(cs.signer);
	buf_dispose(&why);
	gitsrc_commit_dispose(&fc);
	return rc;
}
