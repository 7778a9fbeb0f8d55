/*
 * vfs_dir: a local directory as a vfs (for `tether render DIR` and tests). Every
 * access is relative to a descriptor of the root and never follows a final symlink:
 * vfs_resolve decides where links lead, not the kernel.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "vfs.h"

struct dir_ctx {
	int fd;
};

static const char *rel(const char *path)
{
	return path[0] ? path : ".";
}

static int dir_lstat(void *ctx, const char *path, enum vfs_type *type, struct err *e)
{
	struct dir_ctx *d = ctx;
	struct stat st;

	if (fstatat(d->fd, rel(path), &st, AT_SYMLINK_NOFOLLOW) < 0) {
		if (errno == ENOENT || errno == ENOTDIR) {
			*type = VFS_NONE;
			return 0;
		}
		return err_set(e, TE_FAIL, "%s: %s", path, strerror(errno));
	}
	if (S_ISLNK(st.st_mode))
		*type = VFS_LINK;
	else if (S_ISDIR(st.st_mode))
		*type = VFS_DIR;
	else if (S_ISREG(st.st_mode))
		*type = VFS_FILE;
	else
		*type = VFS_NONE; /* devices, fifos and sockets are not manifests */
	return 0;
}

static int dir_read(void *ctx, const char *path, size_t max, struct buf *out, struct err *e)
{
	struct dir_ctx *d = ctx;
	struct stat st;
	char chunk[65536];
	ssize_t n;
	int fd, rc = 0;

	fd = openat(d->fd, rel(path), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, errno == ENOENT ? TE_NOTFOUND : TE_FAIL, "%s: %s", path,
			       strerror(errno));
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode)) {
		rc = err_set(e, TE_INPUT, "%s: not a regular file", path);
		goto out;
	}
	if ((size_t)st.st_size > max) {
		rc = err_set(e, TE_INPUT, "%s: larger than %zu bytes", path, max);
		goto out;
	}
	while ((n = read(fd, chunk, sizeof(chunk))) > 0) {
		if (out->len + (size_t)n > max) {
			rc = err_set(e, TE_INPUT, "%s: larger than %zu bytes", path, max);
			goto out;
		}
		if (buf_append(out, chunk, (size_t)n) < 0) {
			rc = err_set(e, TE_NOMEM, "%s: out of memory", path);
			goto out;
		}
	}
	if (n < 0)
		rc = err_set(e, TE_FAIL, "%s: %s", path, strerror(errno));
out:
	close(fd);
	return rc;
}

static int dir_readlink(void *ctx, const char *path, struct buf *out, struct err *e)
{
	struct dir_ctx *d = ctx;
	char target[4096];
	ssize_t n = readlinkat(d->fd, rel(path), target, sizeof(target));

	if (n < 0)
		return err_set(e, TE_FAIL, "%s: %s", path, strerror(errno));
	if ((size_t)n >= sizeof(target))
		return err_set(e, TE_INPUT, "%s: symlink target too long", path);
	if (buf_append(out, target, (size_t)n) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}

static int dir_list(void *ctx, const char *path, struct strlist *names, struct err *e)
{
	struct dir_ctx *d = ctx;
	struct dirent *de;
	DIR *dir;
	int fd, rc = 0;

	fd = openat(d->fd, rel(path), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return err_set(e, TE_FAIL, "%s: %s", path, strerror(errno));
	if (!(dir = fdopendir(fd))) {
		close(fd);
		return err_set(e, TE_FAIL, "%s: %s", path, strerror(errno));
	}
	while ((de = readdir(dir)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (strlist_add(names, de->d_name) < 0) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			break;
		}
	}
	closedir(dir);
	return rc;
}

static void dir_free(void *ctx)
{
	struct dir_ctx *d = ctx;

	if (!d)
		return;
	close(d->fd);
	free(d);
}

static const struct vfs_ops dir_ops = {
    .lstat = dir_lstat,
    .read = dir_read,
    .readlink = dir_readlink,
    .list = dir_list,
    .free = dir_free,
};

int vfs_open_dir(struct vfs **out, const char *root, struct err *e)
{
	struct dir_ctx *d;

	*out = NULL;
	if (!(d = calloc(1, sizeof(*d))))
		return err_set(e, TE_NOMEM, "out of memory");
	d->fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (d->fd < 0) {
		int err = errno;
		free(d);
		return err_set(e, err == ENOENT || err == ENOTDIR ? TE_INPUT : TE_FAIL, "%s: %s",
			       root, strerror(err));
	}
	if (!(*out = vfs_new(&dir_ops, d)))
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}
