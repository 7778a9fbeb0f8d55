/*
 * render: a path of a vfs to an object set. A directory with a kustomization is
 * kustomize's; otherwise every .yaml, .yml and .json file below it, in sorted path
 * order so the same commit always renders the same way. Hidden files and directories
 * (.git, .github, .pre-commit-config.yaml) are skipped. Symlinks are followed only
 * inside the repository; a directory reached twice along one path is a cycle.
 */
#include <stdlib.h>
#include <string.h>

#include "kustomize.h"
#include "render.h"

#define RENDER_MAX_DEPTH 64
#define RENDER_MAX_ENTRIES 100000
/* All files of one render together; objects take several times their YAML in memory. */
#define RENDER_MAX_BYTES ((size_t)64 << 20)

struct walk {
	struct vfs *v;
	struct object_set *out;
	struct strlist chain; /* resolved directories from the start to here */
	size_t entries;
	size_t bytes; /* read so far */
	struct err *e;
};

static const char *const kustomization_names[] = {"kustomization.yaml", "kustomization.yml",
						  "Kustomization"};

static int has_kustomization(struct vfs *v, const char *dir, bool *found, struct err *e)
{
	*found = false;
	for (size_t i = 0; i < 3 && !*found; i++) {
		char *p = NULL;
		enum vfs_type t;
		int rc;

		if ((rc = vfs_join(&p, dir, kustomization_names[i], e)) < 0)
			return rc;
		rc = vfs_stat(v, p, &t, e);
		free(p);
		if (rc < 0)
			return rc;
		*found = t == VFS_FILE;
	}
	return 0;
}

static bool is_manifest_name(const char *name)
{
	return str_has_suffix(name, ".yaml") || str_has_suffix(name, ".yml") ||
	       str_has_suffix(name, ".json");
}

static int render_file(struct vfs *v, const char *path, struct object_set *out, size_t *total,
		       struct err *e)
{
	struct buf data;
	int rc;

	buf_init(&data, MANIFEST_MAX_FILE + 1);
	rc = vfs_read(v, path, MANIFEST_MAX_FILE, &data, e);
	if (rc == 0 && (*total += data.len) > RENDER_MAX_BYTES)
		rc = err_set(e, TE_INPUT, "%s: the manifests add up to more than %zu bytes", path,
			     RENDER_MAX_BYTES);
	if (rc == 0)
		rc = manifest_parse(out, path, data.data ? data.data : "", data.len, e);
	buf_dispose(&data);
	return rc;
}

/* dir is one of the directories being walked, or contains one: walking it loops. */
static bool in_chain(const struct strlist *chain, const char *dir)
{
	size_t n = strlen(dir);

	for (size_t i = 0; i < chain->n; i++) {
		const char *c = chain->items[i];
		if (!n || (strncmp(c, dir, n) == 0 && (c[n] == '\0' || c[n] == '/')))
			return true;
	}
	return false;
}

static int walk_dir(struct walk *w, const char *shown, const char *resolved);

/* One directory entry: shown is the path as the user sees it, links not followed. */
static int walk_entry(struct walk *w, const char *shown)
{
	enum vfs_type t;
	char *r = NULL;
	bool kust;
	int rc;

	if (++w->entries > RENDER_MAX_ENTRIES)
		return err_set(w->e, TE_INPUT, "%s: more than %d files and directories", shown,
			       RENDER_MAX_ENTRIES);
	if ((rc = vfs_resolve(w->v, shown, &r, &t, w->e)) < 0)
		return rc;
	if (t == VFS_FILE && is_manifest_name(shown)) {
		rc = render_file(w->v, shown, w->out, &w->bytes, w->e);
	} else if (t == VFS_DIR) {
		if ((rc = has_kustomization(w->v, r, &kust, w->e)) == 0)
			rc = kust ? kustomize_build(w->v, r, w->out, w->e) : walk_dir(w, shown, r);
	}
	free(r);
	return rc;
}

static int walk_dir(struct walk *w, const char *shown, const char *resolved)
{
	struct strlist names;
	int rc;

	if (in_chain(&w->chain, resolved))
		return err_set(w->e, TE_INPUT, "%s: symlink cycle", shown);
	if (w->chain.n >= RENDER_MAX_DEPTH)
		return err_set(w->e, TE_INPUT, "%s: directories nested too deep", shown);
	if (strlist_add(&w->chain, resolved) < 0)
		return err_set(w->e, TE_NOMEM, "out of memory");
	strlist_init(&names);
	rc = vfs_list(w->v, resolved, &names, w->e);
	for (size_t i = 0; rc == 0 && i < names.n; i++) {
		char *child;

		if (names.items[i][0] == '.')
			continue;
		child =
		    shown[0] ? xasprintf("%s/%s", shown, names.items[i]) : strdup(names.items[i]);
		if (!child)
			rc = err_set(w->e, TE_NOMEM, "out of memory");
		else
			rc = walk_entry(w, child);
		free(child);
	}
	strlist_dispose(&names);
	free(w->chain.items[--w->chain.n]);
	return rc;
}

int manifest_render(struct vfs *v, const char *path, struct object_set *out, struct err *e)
{
	struct walk w = {v, out, {NULL, 0, 0}, 0, 0, e};
	char *shown = NULL, *r = NULL;
	enum vfs_type t;
	bool kust;
	int rc;

	if ((rc = vfs_join(&shown, "", path, e)) < 0)
		return rc;
	if ((rc = vfs_resolve(v, shown, &r, &t, e)) < 0)
		goto out;
	if (t == VFS_FILE) {
		rc = render_file(v, shown, out, &w.bytes, e);
	} else if (t == VFS_DIR) {
		if ((rc = has_kustomization(v, r, &kust, e)) == 0)
			rc = kust ? kustomize_build(v, r, out, e) : walk_dir(&w, shown, r);
	} else {
		rc = err_set(e, TE_INPUT, "%s: no such file or directory", shown[0] ? shown : ".");
	}
	if (rc == 0)
		rc = object_set_check_unique(out, e);
out:
	strlist_dispose(&w.chain);
	free(shown);
	free(r);
	return rc;
}
