/*
 * vfs: the read-only file tree rendering sees, over a Git tree or a local directory.
 * This file holds what does not depend on the backend: path joining and symlink
 * resolution. Both refuse to leave the root, because repository content is untrusted
 * and a symlink to /etc/shadow must not end up in a ConfigMap.
 */
#include <stdlib.h>
#include <string.h>

#include "vfs.h"

#define VFS_MAX_HOPS 40

struct vfs {
	const struct vfs_ops *ops;
	void *ctx;
};

struct vfs *vfs_new(const struct vfs_ops *ops, void *ctx)
{
	struct vfs *v = calloc(1, sizeof(*v));

	if (!v) {
		if (ops && ops->free)
			ops->free(ctx);
		return NULL;
	}
	v->ops = ops;
	v->ctx = ctx;
	return v;
}

void vfs_free(struct vfs *v)
{
	if (!v)
		return;
	if (v->ops && v->ops->free)
		v->ops->free(v->ctx);
	free(v);
}

/* Appends the components of p to the path in b, applying "." and "..". */
static int push_components(struct buf *b, const char *p, bool *escaped)
{
	while (*p) {
		size_t n = strcspn(p, "/");
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *slash;
			if (b->len == 0) {
				*escaped = true;
				return 0;
			}
			slash = strrchr(b->data, '/');
			b->len = slash ? (size_t)(slash - b->data) : 0;
			b->data[b->len] = '\0';
		} else {
			if ((b->len && buf_puts(b, "/") < 0) || buf_append(b, p, n) < 0)
				return TE_NOMEM;
		}
		p += n;
		if (*p == '/')
			p++;
	}
	return 0;
}

int vfs_join(char **out, const char *base, const char *rel, struct err *e)
{
	struct buf b;
	bool escaped = false;
	int rc;

	*out = NULL;
	if (rel && rel[0] == '/')
		return err_set(e, TE_INPUT, "%s: absolute paths are not allowed", rel);
	buf_init(&b, 64 << 10);
	if ((rc = push_components(&b, base ? base : "", &escaped)) < 0 ||
	    (rc = push_components(&b, rel ? rel : "", &escaped)) < 0) {
		buf_dispose(&b);
		return err_set(e, rc, "%s: path too long", rel ? rel : "");
	}
	if (escaped) {
		buf_dispose(&b);
		return err_set(e, TE_INPUT, "%s: path leaves the repository", rel ? rel : "");
	}
	*out = buf_detach(&b);
	return *out ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

/* Replaces the symlink at link (inside dir) with its target joined to dir + rest. */
static int follow_link(struct vfs *v, const char *dir, const char *link, const char *rest,
		       char **todo, struct err *e)
{
	struct buf target;
	struct err scratch;
	char *joined = NULL;
	int rc;

	buf_init(&target, 4096);
	if ((rc = v->ops->readlink(v->ctx, link, &target, e)) < 0)
		goto out;
	err_clear(&scratch);
	if (target.len && target.data[0] == '/') {
		rc = err_set(e, TE_INPUT, "%s: symlink leaves the repository", link);
		goto out;
	}
	if (vfs_join(&joined, dir, target.data ? target.data : "", &scratch) < 0 ||
	    (rc = vfs_join(todo, joined, rest, &scratch)) < 0) {
		rc = err_set(e, scratch.code == TE_NOMEM ? TE_NOMEM : TE_INPUT,
			     "%s: symlink leaves the repository", link);
		goto out;
	}
out:
	free(joined);
	buf_dispose(&target);
	return rc;
}

/* Appends the component p[0..n) to cur. */
static int path_push(struct buf *cur, const char *p, size_t n, const char *path, struct err *e)
{
	if ((cur->len && buf_puts(cur, "/") < 0) || buf_append(cur, p, n) < 0)
		return err_set(e, TE_NOMEM, "%s: path too long", path);
	return 0;
}

/* cur is a symlink in the directory cur[0..dirlen): what is left to resolve becomes its
 * target joined with rest (which points into *todo), from the root again. */
static int path_follow(struct vfs *v, struct buf *cur, size_t dirlen, const char *rest, char **todo,
		       int *hops, const char *path, struct err *e)
{
	char *dir, *next = NULL;
	int rc;

	if (++*hops > VFS_MAX_HOPS)
		return err_set(e, TE_INPUT, "%s: too many levels of symbolic links", path);
	if (!(dir = strndup(cur->data, dirlen)))
		return err_set(e, TE_NOMEM, "out of memory");
	rc = follow_link(v, dir, cur->data, rest, &next, e);
	free(dir);
	if (rc < 0)
		return rc;
	free(*todo);
	*todo = next;
	buf_reset(cur);
	return 0;
}

int vfs_resolve(struct vfs *v, const char *path, char **resolved, enum vfs_type *type,
		struct err *e)
{
	struct buf cur;
	char *todo = NULL;
	const char *p;
	int hops = 0, rc;

	*resolved = NULL;
	*type = VFS_DIR; /* the root */
	buf_init(&cur, 64 << 10);
	if ((rc = vfs_join(&todo, "", path, e)) < 0)
		goto out;
	for (p = todo; *p;) {
		size_t n = strcspn(p, "/"), dirlen = cur.len;

		if (*type != VFS_DIR) {
			*type = VFS_NONE; /* a component below a file */
			break;
		}
		if ((rc = path_push(&cur, p, n, path, e)) < 0)
			goto out;
		p += n + (p[n] == '/');
		if ((rc = v->ops->lstat(v->ctx, cur.data, type, e)) < 0)
			goto out;
		if (*type == VFS_NONE)
			break;
		if (*type != VFS_LINK)
			continue;
		if ((rc = path_follow(v, &cur, dirlen, p, &todo, &hops, path, e)) < 0)
			goto out;
		p = todo;
		*type = VFS_DIR;
	}
	*resolved = strdup(*type == VFS_NONE ? todo : cur.data ? cur.data : "");
	rc = *resolved ? 0 : err_set(e, TE_NOMEM, "out of memory");
out:
	free(todo);
	buf_dispose(&cur);
	return rc;
}

int vfs_stat(struct vfs *v, const char *path, enum vfs_type *type, struct err *e)
{
	char *r = NULL;
	int rc = vfs_resolve(v, path, &r, type, e);

	free(r);
	return rc;
}

int vfs_read(struct vfs *v, const char *path, size_t max, struct buf *out, struct err *e)
{
	enum vfs_type t;
	char *r = NULL;
	int rc;

	if ((rc = vfs_resolve(v, path, &r, &t, e)) < 0)
		return rc;
	if (t == VFS_NONE)
		rc = err_set(e, TE_NOTFOUND, "%s: no such file", path);
	else if (t == VFS_DIR)
		rc = err_set(e, TE_INPUT, "%s: is a directory", path);
	else
		rc = v->ops->read(v->ctx, r, max, out, e);
	free(r);
	return rc;
}

int vfs_list(struct vfs *v, const char *dir, struct strlist *names, struct err *e)
{
	enum vfs_type t;
	char *r = NULL;
	int rc;

	if ((rc = vfs_resolve(v, dir, &r, &t, e)) < 0)
		return rc;
	if (t == VFS_NONE)
		rc = err_set(e, TE_NOTFOUND, "%s: no such directory", dir);
	else if (t != VFS_DIR)
		rc = err_set(e, TE_INPUT, "%s: not a directory", dir);
	else if ((rc = v->ops->list(v->ctx, r, names, e)) == 0)
		strlist_sort(names);
	free(r);
	return rc;
}

int vfs_lstat(struct vfs *v, const char *path, enum vfs_type *type, struct err *e)
{
	char *norm = NULL, *parent = NULL, *r = NULL, *slash;
	const char *base;
	int rc;

	if ((rc = vfs_join(&norm, "", path, e)) < 0)
		return rc;
	if (!norm[0]) {
		*type = VFS_DIR;
		goto out;
	}
	slash = strrchr(norm, '/');
	base = slash ? slash + 1 : norm;
	if (!(parent = strndup(norm, slash ? (size_t)(slash - norm) : 0))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = vfs_resolve(v, parent, &r, type, e)) < 0)
		goto out;
	if (*type != VFS_DIR) {
		*type = VFS_NONE;
		goto out;
	}
	free(parent);
	parent = r[0] ? xasprintf("%s/%s", r, base) : strdup(base);
	if (!parent) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	rc = v->ops->lstat(v->ctx, parent, type, e);
out:
	free(r);
	free(parent);
	free(norm);
	return rc;
}
