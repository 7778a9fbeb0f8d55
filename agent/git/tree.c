/*
 * tree: a commit's tree as a vfs, read straight from the object database (no
 * checkout). Symlinks are reported as links for vfs_resolve to judge; submodules
 * are invisible because their content is not in this repository.
 */
#include <stdlib.h>
#include <string.h>

#include "gitsrc_int.h"

#define TREE_DIRS 4

struct tree_ctx {
	git_repository *repo; /* borrowed from the gitsrc */
	git_tree *tree;
	/* The directories looked up last: a render reads one directory's files one after
	 * the other, and a big parent (a monorepo's thousand apps) is then inflated and
	 * hashed once per render, not once per file (libgit2 caches no tree over 4 KB). */
	struct {
		char *path;
		git_tree *tree;
	} dirs[TREE_DIRS];
	unsigned next_dir;
};

static enum vfs_type mode_type(git_filemode_t mode)
{
	switch (mode) {
	case GIT_FILEMODE_TREE:
		return VFS_DIR;
	case GIT_FILEMODE_BLOB:
	case GIT_FILEMODE_BLOB_EXECUTABLE:
		return VFS_FILE;
	case GIT_FILEMODE_LINK:
		return VFS_LINK;
	default:
		return VFS_NONE; /* submodules */
	}
}

/* Keeps tree as directory path's (both owned from here on). */
static void dir_keep(struct tree_ctx *t, char *path, git_tree *tree)
{
	unsigned i = t->next_dir++ % TREE_DIRS;

	free(t->dirs[i].path);
	git_tree_free(t->dirs[i].tree);
	t->dirs[i].path = path;
	t->dirs[i].tree = tree;
}

/* The tree of directory dir (its first len bytes; "" is the root), borrowed: 0,
 * GIT_ENOTFOUND when there is no such directory, or libgit2's error. */
static int subtree(struct tree_ctx *t, const char *dir, size_t len, const git_tree **out)
{
	git_tree_entry *entry = NULL;
	git_tree *sub = NULL;
	char *path;
	int rc;

	*out = t->tree;
	if (!len)
		return 0;
	for (unsigned i = 0; i < TREE_DIRS; i++)
		if (t->dirs[i].path && strlen(t->dirs[i].path) == len &&
		    !memcmp(t->dirs[i].path, dir, len)) {
			*out = t->dirs[i].tree;
			return 0;
		}
	if (!(path = strndup(dir, len))) {
		git_error_set_oom();
		return -1;
	}
	rc = git_tree_entry_bypath(&entry, t->tree, path);
	if (rc == 0 && git_tree_entry_type(entry) != GIT_OBJECT_TREE)
		rc = GIT_ENOTFOUND;
	if (rc == 0)
		rc = git_tree_lookup(&sub, t->repo, git_tree_entry_id(entry));
	git_tree_entry_free(entry);
	if (rc < 0) {
		free(path);
		return rc;
	}
	dir_keep(t, path, sub);
	*out = sub;
	return 0;
}

/* The entry at path, borrowed from the directories kept (valid until the next
 * lookup): 0, GIT_ENOTFOUND, or libgit2's error. */
static int entry_at(struct tree_ctx *t, const char *path, const git_tree_entry **out)
{
	const char *slash = strrchr(path, '/');
	const git_tree *dir;
	int rc;

	*out = NULL;
	if ((rc = subtree(t, path, slash ? (size_t)(slash - path) : 0, &dir)) < 0)
		return rc;
	*out = git_tree_entry_byname(dir, slash ? slash + 1 : path);
	return *out ? 0 : GIT_ENOTFOUND;
}

static int tree_lstat(void *ctx, const char *path, enum vfs_type *type, struct err *e)
{
	const git_tree_entry *entry;
	int rc;

	if (!path[0]) {
		*type = VFS_DIR;
		return 0;
	}
	rc = entry_at(ctx, path, &entry);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		*type = VFS_NONE;
		return 0;
	}
	if (rc < 0)
		return err_set(e, TE_FAIL, "%s: %s", path, gitsrc_lasterr());
	*type = mode_type(git_tree_entry_filemode(entry));
	return 0;
}

/*
 * The blob at path, after its size was checked against max from the object header
 * (the pack index or a loose object's first bytes): a 100 MB file is refused without
 * being read.
 */
static int blob_of(struct tree_ctx *t, const char *path, size_t max, git_blob **blob, struct err *e)
{
	const git_tree_entry *entry;
	git_odb *odb = NULL;
	git_object_t type;
	size_t size = 0;
	int rc;

	rc = entry_at(t, path, &entry);
	if (rc == GIT_ENOTFOUND) {
		git_error_clear();
		return err_set(e, TE_NOTFOUND, "%s: no such file", path);
	}
	if (rc == 0 && git_tree_entry_type(entry) != GIT_OBJECT_BLOB)
		return err_set(e, TE_INPUT, "%s: not a file", path);
	if (rc == 0 && (rc = git_repository_odb(&odb, t->repo)) == 0)
		rc = git_odb_read_header(&size, &type, odb, git_tree_entry_id(entry));
	if (rc == 0 && size > max)
		rc = err_set(e, TE_INPUT, "%s: larger than %zu bytes", path, max);
	else if (rc == 0)
		rc = git_blob_lookup(blob, t->repo, git_tree_entry_id(entry));
	git_odb_free(odb);
	if (rc < 0 && !e->msg[0])
		return err_set(e, TE_FAIL, "%s: %s", path, gitsrc_lasterr());
	return rc;
}

static int tree_read(void *ctx, const char *path, size_t max, struct buf *out, struct err *e)
{
	git_blob *blob = NULL;
	git_object_size_t size;
	int rc;

	if ((rc = blob_of(ctx, path, max, &blob, e)) < 0)
		return rc;
	size = git_blob_rawsize(blob);
	if (size > max)
		rc = err_set(e, TE_INPUT, "%s: larger than %zu bytes", path, max);
	else if (buf_append(out, git_blob_rawcontent(blob), (size_t)size) < 0)
		rc = err_set(e, TE_NOMEM, "%s: out of memory", path);
	git_blob_free(blob);
	return rc;
}

static int tree_readlink(void *ctx, const char *path, struct buf *out, struct err *e)
{
	return tree_read(ctx, path, 4096, out, e);
}

static int tree_list(void *ctx, const char *dir, struct strlist *names, struct err *e)
{
	const git_tree *tree;
	int rc = 0;

	if (subtree(ctx, dir, strlen(dir), &tree) < 0) {
		git_error_clear();
		return err_set(e, TE_NOTFOUND, "%s: no such directory", dir);
	}
	for (size_t i = 0; rc == 0 && i < git_tree_entrycount(tree); i++)
		if (strlist_add(names, git_tree_entry_name(git_tree_entry_byindex(tree, i))) < 0)
			rc = err_set(e, TE_NOMEM, "out of memory");
	return rc;
}

static void tree_free(void *ctx)
{
	struct tree_ctx *t = ctx;

	if (!t)
		return;
	for (unsigned i = 0; i < TREE_DIRS; i++) {
		free(t->dirs[i].path);
		git_tree_free(t->dirs[i].tree);
	}
	git_tree_free(t->tree);
	free(t);
}

static const struct vfs_ops tree_ops = {
    .lstat = tree_lstat,
    .read = tree_read,
    .readlink = tree_readlink,
    .list = tree_list,
    .free = tree_free,
};

int gitsrc_tree(struct gitsrc *g, const char *sha, struct vfs **out, struct err *e)
{
	struct tree_ctx *t;
	git_commit *commit = NULL;
	git_oid oid;
	int rc;

	*out = NULL;
	if (git_oid_fromstr(&oid, sha) < 0 || git_commit_lookup(&commit, g->repo, &oid) < 0) {
		git_error_clear();
		return err_set(e, TE_NOTFOUND, "commit %s not in the cache", sha);
	}
	if (!(t = calloc(1, sizeof(*t)))) {
		git_commit_free(commit);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	t->repo = g->repo;
	rc = git_commit_tree(&t->tree, commit);
	git_commit_free(commit);
	if (rc < 0) {
		tree_free(t);
		return gitsrc_error(g, e, TE_FAIL, "read tree");
	}
	if (!(*out = vfs_new(&tree_ops, t)))
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}
