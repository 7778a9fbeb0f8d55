/*
 * signed: verify: head and all. Before anything of a commit is rendered, the commit
 * to apply must carry a signature by a trusted key; with all, once the inventory says
 * which commit was applied last, so must every commit since then (those reachable from
 * the head and not from it; on an app's first sync, the head alone). A refusal is
 * TE_UNVERIFIED naming the commit and the key found, before the first write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitsrc.h"
#include "sync_int.h"
#include "verify.h"

#define SIGNED_MAX ((size_t)1 << 20)
#define RANGE_MAX 10000 /* commits checked by one verify: all */

static bool verify_on(const struct sync_run *r)
{
	return !r->diff_mode && r->cfg->verify && strcmp(r->cfg->verify, "none") != 0;
}

/* One commit: its signature, checked against the app's keys. */
static int check_commit(struct sync_run *r, const char *sha, const char *why, struct err *e)
{
	struct buf sig, data;
	char key[256] = "";
	int64_t when = 0;
	struct err sub;
	int rc;

	buf_init(&sig, SIGNED_MAX);
	buf_init(&data, (size_t)64 << 20);
	err_clear(&sub);
	if ((rc = gitsrc_commit_signature(r->git, sha, &sig, &data, &when, &sub)) == 0)
		rc = verifier_check(r->verifier, sig.data, sig.len, data.data, data.len, when, key,
				    sizeof(key), &sub);
	if (rc < 0)
		rc = err_set(e, sub.code, "verify: %s: commit %s%s: %s", r->cfg->verify, sha, why,
			     sub.msg);
	buf_dispose(&data);
	buf_dispose(&sig);
	return rc;
}

int signed_check_head(struct sync_run *r, struct err *e)
{
	int rc;

	if (!verify_on(r))
		return 0;
	if (!r->verifier && (rc = verifier_new(&r->verifier, r->cfg->verify_keyring,
					       r->cfg->verify_allowed_signers, e)) < 0)
		return rc;
	return check_commit(r, r->commit, "", e);
}

int signed_check_range(struct sync_run *r, struct err *e)
{
	const char *base = r->old_inv.commit;
	struct gitsrc_commit *list = NULL;
	char why[80];
	size_t n = 0;
	int rc;

	if (!verify_on(r) || strcmp(r->cfg->verify, "all") != 0 || !base || !*base ||
	    !strcmp(base, r->commit))
		return 0;
	if ((rc = gitsrc_log(r->git, r->commit, base, RANGE_MAX + 1, &list, &n, e)) < 0)
		return err_prefix(e, "verify: all");
	if (n > RANGE_MAX)
		rc = err_set(e, TE_UNVERIFIED,
			     "verify: all: more than %d commits since the last applied one %.12s",
			     RANGE_MAX, base);
	snprintf(why, sizeof(why), " (since the last applied commit %.12s)", base);
	/* The head was checked first; its ancestors from the newest down. */
	for (size_t i = 0; rc == 0 && i < n; i++)
		if (strcmp(list[i].sha, r->commit) != 0)
			rc = check_commit(r, list[i].sha, why, e);
	for (size_t i = 0; i < n; i++)
		gitsrc_commit_dispose(&list[i]);
	free(list);
	return rc;
}
