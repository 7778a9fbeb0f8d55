/*
 * log: commit metadata and the history walk behind `tether history`, including
 * which commit a `git revert` undid ("This reverts commit <sha>.").
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitsrc_int.h"

#define LOG_MAX 100000

void gitsrc_commit_dispose(struct gitsrc_commit *c)
{
	if (!c)
		return;
	free(c->subject);
	free(c->message);
	free(c->author);
	c->subject = c->message = c->author = NULL;
}

/* git revert writes "This reverts commit <40 hex>."; accept abbreviated ones too. */
static void parse_reverts(const char *msg, char out[41])
{
	const char *p = msg;
	static const char marker[] = "This reverts commit ";

	out[0] = '\0';
	while (p && (p = strstr(p, marker)) != NULL) {
		size_t n = 0;

		p += sizeof(marker) - 1;
		while (n < 40 && isxdigit((unsigned char)p[n]))
			n++;
		if (n >= 7 && !isalnum((unsigned char)p[n])) {
			for (size_t i = 0; i < n; i++)
				out[i] = (char)tolower((unsigned char)p[i]);
			out[n] = '\0';
			return;
		}
	}
}

static int fill_commit(git_commit *c, struct gitsrc_commit *out, struct err *e)
{
	const git_signature *a = git_commit_author(c);
	const char *msg = git_commit_message(c);
	const char *summary = git_commit_summary(c);

	memset(out, 0, sizeof(*out));
	git_oid_tostr(out->sha, sizeof(out->sha), git_commit_id(c));
	if (git_commit_parentcount(c) > 0)
		git_oid_tostr(out->parent, sizeof(out->parent), git_commit_parent_id(c, 0));
	out->subject = strdup(summary ? summary : "");
	out->message = strdup(msg ? msg : "");
	out->author = xasprintf("%s <%s>", a->name, a->email);
	out->time = (int64_t)a->when.time;
	if (!out->subject || !out->message || !out->author) {
		gitsrc_commit_dispose(out);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	parse_reverts(out->message, out->reverts);
	return 0;
}

int gitsrc_commit(struct gitsrc *g, const char *sha, struct gitsrc_commit *out, struct err *e)
{
	git_commit *c = NULL;
	git_oid oid;
	int rc;

	memset(out, 0, sizeof(*out));
	if (git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(&c, g->repo, &oid) < 0) {
		git_error_clear();
		return err_set(e, TE_NOTFOUND, "commit %s not in the cache", sha);
	}
	rc = fill_commit(c, out, e);
	git_commit_free(c);
	return rc;
}

static int walk_start(struct gitsrc *g, git_revwalk **walk, const char *head, const char *stop,
		      struct err *e)
{
	git_oid oid;

	if (git_revwalk_new(walk, g->repo) < 0)
		return gitsrc_error(g, e, TE_FAIL, "log");
	git_revwalk_sorting(*walk, GIT_SORT_TOPOLOGICAL | GIT_SORT_TIME);
	if (git_oid_fromstr(&oid, head) < 0 || git_revwalk_push(*walk, &oid) < 0) {
		git_error_clear();
		return err_set(e, TE_NOTFOUND, "commit %s not in the cache", head);
	}
	/* A stop commit the cache does not know (history rewritten) just means no stop. */
	if (stop && *stop && git_oid_fromstr(&oid, stop) == 0)
		git_revwalk_hide(*walk, &oid);
	git_error_clear();
	return 0;
}

int gitsrc_log(struct gitsrc *g, const char *head, const char *stop, size_t max,
	       struct gitsrc_commit **out, size_t *n, struct err *e)
{
	git_revwalk *walk = NULL;
	struct gitsrc_commit *list = NULL;
	size_t cap = 0, count = 0;
	git_oid oid;
	int rc;

	*out = NULL;
	*n = 0;
	if (!max || max > LOG_MAX)
		max = LOG_MAX;
	if ((rc = walk_start(g, &walk, head, stop, e)) < 0)
		goto out;
	while (count < max && git_revwalk_next(&oid, walk) == 0) {
		git_commit *c = NULL;
		if (array_reserve(&list, &cap, count + 1, sizeof(*list)) < 0) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
		if (git_commit_lookup(&c, g->repo, &oid) < 0) {
			rc = gitsrc_error(g, e, TE_FAIL, "log");
			goto out;
		}
		rc = fill_commit(c, &list[count], e);
		git_commit_free(c);
		if (rc < 0)
			goto out;
		count++;
	}
	*out = list;
	*n = count;
	list = NULL;
out:
	for (size_t i = 0; list && i < count; i++)
		gitsrc_commit_dispose(&list[i]);
	free(list);
	git_revwalk_free(walk);
	return rc;
}
