/*
 * resolve: a ref name to a commit. One ls-remote tells what the remote's ref points
 * at; when that commit is already cached there is no fetch. A full or short SHA that
 * is already cached needs no network at all (commits are immutable).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitsrc_int.h"
#include "log.h"

struct wanted {
	git_oid oid;
	char spec[1100]; /* refspec to fetch it */
	char name[1024]; /* what the user asked for, for messages */
};

static bool is_hex(const char *s)
{
	size_t n = strlen(s);

	if (n < 4 || n > 40)
		return false;
	for (; *s; s++)
		if (!isxdigit((unsigned char)*s))
			return false;
	return true;
}

/* Peels oid to a commit already in the cache; false when it is not there. */
static bool cached_commit(struct gitsrc *g, const git_oid *oid, char sha[41])
{
	git_object *obj = NULL, *commit = NULL;
	bool ok = false;

	if (git_object_lookup(&obj, g->repo, oid, GIT_OBJECT_ANY) == 0 &&
	    git_object_peel(&commit, obj, GIT_OBJECT_COMMIT) == 0) {
		git_oid_tostr(sha, 41, git_object_id(commit));
		ok = true;
	}
	git_object_free(commit);
	git_object_free(obj);
	git_error_clear();
	return ok;
}

static bool cached_prefix(struct gitsrc *g, const char *hex, char sha[41])
{
	git_oid oid;
	git_object *obj = NULL;
	bool ok = false;

	if (git_oid_fromstrn(&oid, hex, strlen(hex)) == 0 &&
	    git_object_lookup_prefix(&obj, g->repo, &oid, strlen(hex), GIT_OBJECT_ANY) == 0)
		ok = cached_commit(g, git_object_id(obj), sha);
	git_object_free(obj);
	git_error_clear();
	return ok;
}

static const git_remote_head *find_ref(const git_remote_head **heads, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(heads[i]->name, name) == 0)
			return heads[i];
	return NULL;
}

static bool match_head(const git_remote_head **heads, size_t n, struct wanted *w)
{
	const git_remote_head *h = find_ref(heads, n, "HEAD");

	if (!h)
		return false;
	git_oid_cpy(&w->oid, &h->oid);
	if (h->symref_target && strncmp(h->symref_target, "refs/heads/", 11) == 0)
		snprintf(w->spec, sizeof(w->spec), "+%s:refs/remotes/origin/%s", h->symref_target,
			 h->symref_target + 11);
	else
		snprintf(w->spec, sizeof(w->spec), "+refs/heads/*:refs/remotes/origin/*");
	return true;
}

/* Branch first, then tag (peeled when the remote advertises it), then a full ref name. */
static bool match_ref(const git_remote_head **heads, size_t n, const char *ref, struct wanted *w)
{
	const git_remote_head *h;
	char name[1100];

	snprintf(name, sizeof(name), "refs/heads/%s", ref);
	if ((h = find_ref(heads, n, name)) != NULL) {
		snprintf(w->spec, sizeof(w->spec), "+%s:refs/remotes/origin/%s", name, ref);
		git_oid_cpy(&w->oid, &h->oid);
		return true;
	}
	snprintf(name, sizeof(name), "refs/tags/%s^{}", ref);
	if ((h = find_ref(heads, n, name)) == NULL) {
		name[strlen(name) - 3] = '\0';
		h = find_ref(heads, n, name);
	}
	if (h) {
		snprintf(w->spec, sizeof(w->spec), "+refs/tags/%s:refs/tags/%s", ref, ref);
		git_oid_cpy(&w->oid, &h->oid);
		return true;
	}
	if (strncmp(ref, "refs/", 5) == 0 && (h = find_ref(heads, n, ref)) != NULL) {
		snprintf(w->spec, sizeof(w->spec), "+%s:%s", ref, ref);
		git_oid_cpy(&w->oid, &h->oid);
		return true;
	}
	return false;
}

static int fetch(struct gitsrc *g, git_remote *remote, const char **specs, size_t n, bool *fetched,
		 struct err *e)
{
	git_fetch_options fo;
	git_strarray arr = {(char **)specs, n};
	char what[1200];

	git_fetch_options_init(&fo, GIT_FETCH_OPTIONS_VERSION);
	gitsrc_callbacks(g, &fo.callbacks);
	if (git_remote_fetch(remote, &arr, &fo, "tether: fetch") < 0) {
		snprintf(what, sizeof(what), "fetch %s", g->safe_url);
		return gitsrc_remote_error(g, e, what);
	}
	g->fetches++;
	if (fetched)
		*fetched = true;
	return 0;
}

/* ls-remote: finds what ref points to; *found false when the remote lacks it. */
static int list_remote(struct gitsrc *g, git_remote *remote, const char *ref, struct wanted *w,
		       bool *found, struct err *e)
{
	git_remote_callbacks cbs;
	const git_remote_head **heads;
	size_t n;
	char what[1200];

	gitsrc_callbacks(g, &cbs);
	snprintf(what, sizeof(what), "fetch %s", g->safe_url);
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cbs, NULL, NULL) < 0)
		return gitsrc_remote_error(g, e, what);
	if (git_remote_ls(&heads, &n, remote) < 0) {
		git_remote_disconnect(remote);
		return gitsrc_remote_error(g, e, what);
	}
	*found = ref ? match_ref(heads, n, ref, w) : match_head(heads, n, w);
	git_remote_disconnect(remote);
	return 0;
}

static int resolve_sha(struct gitsrc *g, git_remote *remote, const char *ref, char sha[41],
		       bool *fetched, struct err *e)
{
	const char *all[] = {"+refs/heads/*:refs/remotes/origin/*", "+refs/tags/*:refs/tags/*"};
	int rc;

	if ((rc = fetch(g, remote, all, 2, fetched, e)) < 0)
		return rc;
	if (cached_prefix(g, ref, sha))
		return 0;
	return err_set(e, TE_INPUT, "commit %s not found in %s", ref, g->safe_url);
}

/* After a fetch the commit must be there: an object the fetch did not bring because
 * the cache claims it already has it, but cannot read, is a damaged cache. */
static int fetched_commit(struct gitsrc *g, const git_oid *oid, const char *ref, char sha[41],
			  struct err *e)
{
	git_object *obj = NULL;

	if (cached_commit(g, oid, sha))
		return 0;
	if (git_object_lookup(&obj, g->repo, oid, GIT_OBJECT_ANY) < 0) {
		g->corrupt = true;
		return gitsrc_error(g, e, TE_FAIL, "read fetched commit");
	}
	git_object_free(obj);
	return err_set(e, TE_INPUT, "%s in %s does not point to a commit", ref ? ref : "HEAD",
		       g->safe_url);
}

/* NULL for the remote's HEAD ("", "HEAD" or none), else ref. */
static const char *ref_or_head(const char *ref)
{
	return ref && *ref && strcmp(ref, "HEAD") != 0 ? ref : NULL;
}

/* A ref the remote does not advertise: a commit id is fetched by id, anything else is
 * not there. */
static int resolve_unlisted(struct gitsrc *g, git_remote *remote, const char *ref, char sha[41],
			    bool *fetched, struct err *e)
{
	if (ref && is_hex(ref))
		return resolve_sha(g, remote, ref, sha, fetched, e);
	if (ref)
		return err_set(e, TE_INPUT, "ref \"%s\" not found in %s", ref, g->safe_url);
	return err_set(e, TE_INPUT, "%s has no HEAD (is it empty?)", g->safe_url);
}

static int resolve_once(struct gitsrc *g, const char *ref, char sha[41], bool *fetched,
			struct err *e)
{
	git_remote *remote = NULL;
	struct wanted w;
	const char *spec = w.spec;
	bool found = false;
	int rc;

	if (fetched)
		*fetched = false;
	sha[0] = '\0';
	ref = ref_or_head(ref);
	if (ref && is_hex(ref) && cached_prefix(g, ref, sha))
		return 0;
	memset(&w, 0, sizeof(w));
	if ((rc = gitsrc_remote(g, &remote, e)) < 0)
		return rc;
	if ((rc = list_remote(g, remote, ref, &w, &found, e)) < 0)
		goto out;
	if (!found) {
		rc = resolve_unlisted(g, remote, ref, sha, fetched, e);
		goto out;
	}
	if (cached_commit(g, &w.oid, sha))
		goto out;
	if ((rc = fetch(g, remote, &spec, 1, fetched, e)) < 0)
		goto out;
	rc = fetched_commit(g, &w.oid, ref, sha, e);
out:
	git_remote_free(remote);
	return rc;
}

/* One resolve, and the commit's objects checked (once per commit) so that a damaged
 * cache is found here, where it can still be repaired, and not halfway through a
 * render. */
static int resolve_whole(struct gitsrc *g, const char *ref, char sha[41], bool *fetched,
			 struct err *e)
{
	int rc;

	g->corrupt = false;
	if ((rc = resolve_once(g, ref, sha, fetched, e)) < 0)
		return rc;
	return gitsrc_verify(g, sha, e);
}

int gitsrc_resolve(struct gitsrc *g, const char *ref, char sha[41], bool *fetched, struct err *e)
{
	struct err first;
	int rc;

	err_clear(&first);
	if ((rc = resolve_whole(g, ref, sha, fetched, &first)) == 0)
		return 0;
	if (!g->corrupt)
		return err_set(e, rc, "%s", first.msg);
	/* The cache holds nothing the remote does not: clone again, once. */
	log_kv(LOG_WARN, "Git cache damaged, cloning it again", "url", g->safe_url, "cache",
	       g->path, "error", first.msg, NULL);
	if ((rc = gitsrc_recreate(g, e)) < 0 || (rc = resolve_whole(g, ref, sha, fetched, e)) < 0)
		return err_prefix(e, "Git cache damaged, and cloning it again failed too");
	log_kv(LOG_WARN, "Git cache cloned again", "url", g->safe_url, "commit", sha, NULL);
	return 0;
}

int gitsrc_default_branch(struct gitsrc *g, char *out, size_t n, struct err *e)
{
	git_remote *remote = NULL;
	git_remote_callbacks cbs;
	git_buf b = {0};
	char what[1200];
	int rc;

	out[0] = '\0';
	if ((rc = gitsrc_remote(g, &remote, e)) < 0)
		return rc;
	gitsrc_callbacks(g, &cbs);
	snprintf(what, sizeof(what), "ls-remote %s", g->safe_url);
	if (git_remote_connect(remote, GIT_DIRECTION_FETCH, &cbs, NULL, NULL) < 0) {
		rc = gitsrc_remote_error(g, e, what);
		goto out;
	}
	rc = git_remote_default_branch(&b, remote);
	git_remote_disconnect(remote);
	if (rc == GIT_ENOTFOUND)
		rc = err_set(e, TE_INPUT, "%s has no default branch (no HEAD, or it names none)",
			     g->safe_url);
	else if (rc < 0)
		rc = gitsrc_remote_error(g, e, what);
	else if (strncmp(b.ptr, "refs/heads/", 11) != 0 || strlen(b.ptr + 11) >= n)
		rc = err_set(e, TE_INPUT, "%s: HEAD points at %s, not a branch", g->safe_url, b.ptr);
	else
		snprintf(out, n, "%s", b.ptr + 11);
out:
	git_buf_dispose(&b);
	git_remote_free(remote);
	return rc;
}
