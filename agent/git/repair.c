/*
 * repair: a cache whose own object store is damaged (a truncated pack, a ref to an
 * object that is gone) would fail every later run until someone deleted it by hand.
 * The cache holds nothing the remote does not, so gitsrc_resolve drops it and clones
 * again, once; the caller says so. Only the cache directory itself is ever removed.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gitsrc_int.h"

struct verify_ctx {
	git_odb *odb;
	char path[1024]; /* the first entry that could not be read */
};

/* Reads each entry's header: size and type come from the pack index or the loose
 * object's first bytes, so a damaged object is found without reading the blobs. */
static int verify_entry(const char *root, const git_tree_entry *entry, void *payload)
{
	struct verify_ctx *v = payload;
	git_object_t type;
	size_t size;

	if (git_tree_entry_type(entry) == GIT_OBJECT_COMMIT)
		return 0; /* a submodule: not in this repository */
	if (git_odb_read_header(&size, &type, v->odb, git_tree_entry_id(entry)) < 0) {
		snprintf(v->path, sizeof(v->path), "%s%s", root, git_tree_entry_name(entry));
		return -1;
	}
	return 0;
}

int gitsrc_verify(struct gitsrc *g, const char *sha, struct err *e)
{
	struct verify_ctx v = {0};
	git_commit *commit = NULL;
	git_tree *tree = NULL;
	git_oid oid;
	int rc = 0;

	if (strcmp(g->verified, sha) == 0)
		return 0;
	if (git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(&commit, g->repo, &oid) < 0 ||
	    git_commit_tree(&tree, commit) < 0 || git_repository_odb(&v.odb, g->repo) < 0 ||
	    git_tree_walk(tree, GIT_TREEWALK_PRE, verify_entry, &v) < 0) {
		g->corrupt = true;
		rc = err_set(e, TE_FAIL, "commit %.12s%s%s: %s", sha, v.path[0] ? ": " : "", v.path,
			     gitsrc_lasterr());
		goto out;
	}
	snprintf(g->verified, sizeof(g->verified), "%s", sha);
out:
	git_odb_free(v.odb);
	git_tree_free(tree);
	git_commit_free(commit);
	return rc;
}

void gitsrc_trust(struct gitsrc *g, const struct gitsrc *checked, const char *sha)
{
	if (g && checked && g != checked && !strcmp(g->path, checked->path) &&
	    !strcmp(checked->verified, sha))
		snprintf(g->verified, sizeof(g->verified), "%s", sha);
}

static int remove_one(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path) < 0 && errno != ENOENT ? -1 : 0;
}

int gitsrc_recreate(struct gitsrc *g, struct err *e)
{
	git_repository_free(g->repo);
	g->repo = NULL;
	g->corrupt = false;
	g->verified[0] = '\0';
	/* FTW_PHYS: a symlink inside the cache is removed, never followed. */
	if (nftw(g->path, remove_one, 16, FTW_DEPTH | FTW_PHYS) < 0 && errno != ENOENT)
		return err_set(e, TE_FAIL, "remove damaged cache %s: %s", g->path, strerror(errno));
	return gitsrc_open_cache(g, e);
}
