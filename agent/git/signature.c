/*
 * signature: what a commit's signature covers, for agent/verify/: the gpgsig header
 * and the commit object without it, exactly as git verify-commit hands them to gpg or
 * ssh-keygen. Judging them is not this module's job.
 */
#include <string.h>

#include "gitsrc_int.h"

static int committer_time(git_repository *repo, const git_oid *oid, int64_t *when)
{
	git_commit *c = NULL;

	if (git_commit_lookup(&c, repo, oid) < 0)
		return -1;
	*when = (int64_t)git_commit_time(c);
	git_commit_free(c);
	return 0;
}

int gitsrc_commit_signature(struct gitsrc *g, const char *sha, struct buf *sig,
			    struct buf *signed_data, int64_t *when, struct err *e)
{
	git_buf s = GIT_BUF_INIT, d = GIT_BUF_INIT;
	git_oid oid;
	int rc;

	if (git_oid_fromstr(&oid, sha) < 0 || committer_time(g->repo, &oid, when) < 0) {
		git_error_clear();
		return err_set(e, TE_NOTFOUND, "commit %s not in the cache", sha);
	}
	rc = git_commit_extract_signature(&s, &d, g->repo, &oid, NULL);
	if (rc == GIT_ENOTFOUND) { /* unsigned: an empty signature */
		git_error_clear();
		rc = 0;
	} else if (rc < 0) {
		rc = gitsrc_error(g, e, TE_FAIL, "read the commit's signature");
	} else if (buf_append(sig, s.ptr, s.size) < 0 || buf_append(signed_data, d.ptr, d.size) < 0) {
		rc = err_set(e, TE_NOMEM, "commit %.12s: signature too large", sha);
	}
	git_buf_dispose(&s);
	git_buf_dispose(&d);
	return rc;
}
