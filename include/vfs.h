/*
 * vfs: a read-only view of a tree of files, either a Git commit's tree (never checked
 * out) or a local directory. Paths are relative to the root, '/'-separated, already
 * normalised ("a/b.yaml", "" is the root). A path or symlink that would leave the root
 * is refused with TE_INPUT naming it. Rendering (plain directories and kustomize)
 * reads only through this interface.
 */
#ifndef TETHER_VFS_H
#define TETHER_VFS_H

#include "util.h"

enum vfs_type { VFS_NONE = 0, VFS_FILE, VFS_DIR, VFS_LINK };

/* What an implementation provides. Paths given to ops never contain symlinks to
 * resolve except the last component for readlink/stat. */
struct vfs_ops {
	/* Type of path without following a final symlink; VFS_NONE when absent. */
	int (*lstat)(void *ctx, const char *path, enum vfs_type *type, struct err *e);
	/* Contents of a regular file, capped at max bytes (TE_INPUT when larger). */
	int (*read)(void *ctx, const char *path, size_t max, struct buf *out, struct err *e);
	/* Target text of a symlink. */
	int (*readlink)(void *ctx, const char *path, struct buf *out, struct err *e);
	/* Names (not paths) of the entries of a directory, in any order. */
	int (*list)(void *ctx, const char *dir, struct strlist *names, struct err *e);
	void (*free)(void *ctx);
};

struct vfs;

struct vfs *vfs_new(const struct vfs_ops *ops, void *ctx);
void vfs_free(struct vfs *v);

/* A local directory as a vfs. */
int vfs_open_dir(struct vfs **out, const char *root, struct err *e);

/* Joins base and rel ("a/b" + "../c" = "a/c"); TE_INPUT if the result leaves the root.
 * The result is owned by the caller. */
int vfs_join(char **out, const char *base, const char *rel, struct err *e);

/* Follows symlinks inside the root; the resolved path is owned by the caller.
 * A symlink leading outside the root is TE_INPUT ("x.yaml: symlink leaves the repository").
 * A missing path (or dangling link) is not an error: type is VFS_NONE. */
int vfs_resolve(struct vfs *v, const char *path, char **resolved, enum vfs_type *type, struct err *e);
/* Type after following symlinks; VFS_NONE (and 0) when nothing is there. */
int vfs_stat(struct vfs *v, const char *path, enum vfs_type *type, struct err *e);
/* Type of path without following a final symlink (VFS_LINK for one). */
int vfs_lstat(struct vfs *v, const char *path, enum vfs_type *type, struct err *e);
/* Follows symlinks; TE_NOTFOUND when absent, TE_INPUT when larger than max. */
int vfs_read(struct vfs *v, const char *path, size_t max, struct buf *out, struct err *e);
/* Sorted names of a directory's entries. */
int vfs_list(struct vfs *v, const char *dir, struct strlist *names, struct err *e);

#endif
