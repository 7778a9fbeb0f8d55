/*
 * kustomize: builds a kustomization directory into objects the way `kubectl
 * kustomize` (kustomize v5) does, for the subset tether supports: resources and
 * nested bases, components, generators, the builtin transformers and patches.
 * Every other kustomization field is refused with an error naming the file and the
 * field, never skipped. Files are read only through the vfs, so nothing outside the
 * repository (or a remote base) can be reached.
 */
#include <stdlib.h>
#include <string.h>

#include "kustomize_int.h"

static const char *const ks_kust_names[] = {"kustomization.yaml", "kustomization.yml",
					    "Kustomization"};

/* Fields we implement; everything else in a kustomization is an input error. */
static const char *const ks_supported[] = {
    "apiVersion",
    "kind",
    "metadata",
    "resources",
    "bases",
    "components",
    "namespace",
    "namePrefix",
    "nameSuffix",
    "commonLabels",
    "labels",
    "commonAnnotations",
    "images",
    "replicas",
    "configMapGenerator",
    "secretGenerator",
    "generatorOptions",
    "patches",
    "patchesStrategicMerge",
    "patchesJson6902",
    "sortOptions",
    "transformers",
    "generators",
    "replacements",
    "vars",
    "configurations",
    "openapi",
};

/* Real kustomize fields tether does not implement: named as such in the error. */
static const char *const ks_unsupported[] = {
    "helmCharts",
    "helmChartInflationGenerator",
    "helmGlobals",
    "validators",
    "crds",
    "openapi",
    "buildMetadata",
    "imageTags",
    "inventory",
    "helmChartRepos",
    "patchesJson6902Files",
};

static bool ks_in(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

#define KS_IN(list, s) ks_in(list, sizeof(list) / sizeof(list[0]), s)

static int ks_check_fields(const char *file, const cJSON *kust, struct err *e)
{
	const cJSON *f;

	if (!cJSON_IsObject(kust))
		return err_set(e, TE_INPUT, "%s: a kustomization must be a mapping", file);
	cJSON_ArrayForEach(f, kust)
	{
		if (KS_IN(ks_supported, f->string))
			continue;
		if (KS_IN(ks_unsupported, f->string))
			return err_set(e, TE_INPUT,
				       "%s: field %s is not supported by tether's kustomize", file,
				       f->string);
		return err_set(e, TE_INPUT, "%s: unknown kustomization field %s", file, f->string);
	}
	return 0;
}

/* Remote bases (git URLs, HTTP) would fetch from outside the repository. */
static bool ks_is_remote(const char *s)
{
	return strstr(s, "://") || strncmp(s, "github.com/", 11) == 0 ||
	       strncmp(s, "git@", 4) == 0 || strncmp(s, "gitlab.com/", 11) == 0 ||
	       strncmp(s, "bitbucket.org/", 14) == 0;
}

/*
 * Resolves a file named by the kustomization in c->dir. Like kustomize's default
 * load restrictions, the file (symlinks followed) must be in or below the
 * kustomization's directory; only bases and components may live elsewhere.
 */
static int ks_resolve_file(struct ks_ctx *c, const char *field, const char *rel, char **out,
			   enum vfs_type *type, struct err *e)
{
	char *path = NULL, *dir = NULL;
	enum vfs_type dt;
	size_t n;
	int rc;

	*out = NULL;
	if (ks_is_remote(rel))
		return err_set(e, TE_INPUT, "%s: %s: %s: remote files are not supported", c->file,
			       field, rel);
	if ((rc = vfs_join(&path, c->dir, rel, e)) < 0 ||
	    (rc = vfs_resolve(c->v, path, out, type, e)) < 0 ||
	    (rc = vfs_resolve(c->v, c->dir, &dir, &dt, e)) < 0) {
		err_prefix(e, "%s: %s", c->file, field);
		goto out;
	}
	n = strlen(dir);
	if (*type == VFS_FILE && n && (strncmp(*out, dir, n) != 0 || (*out)[n] != '/'))
		rc = err_set(e, TE_INPUT,
			     "%s: %s: %s: file is not in or below %s (kustomize's load "
			     "restrictions)",
			     c->file, field, rel, c->dir);
out:
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	free(path);
	free(dir);
	return rc;
}

int ks_read_rel(struct ks_ctx *c, const char *field, const char *rel, char **path_out,
		struct buf *out, struct err *e)
{
	enum vfs_type t = VFS_NONE;
	char *path = NULL;
	int rc;

	if ((rc = ks_resolve_file(c, field, rel, &path, &t, e)) < 0)
		return rc;
	if (t != VFS_FILE) {
		free(path);
		return err_set(e, TE_INPUT, "%s: %s: %s: %s", c->file, field, rel,
			       t == VFS_DIR ? "is a directory" : "no such file");
	}
	if ((rc = vfs_read(c->v, path, MANIFEST_MAX_FILE, out, e)) < 0) {
		err_prefix(e, "%s", c->file);
		free(path);
		return rc;
	}
	*path_out = path;
	return 0;
}

int ks_parse_objects(struct ks_set *ra, const char *file, const char *data, size_t len,
		     struct err *e)
{
	struct object_set tmp;
	size_t first = ra->n;
	int rc = 0;

	object_set_init(&tmp);
	if ((rc = manifest_parse(&tmp, file, data, len, e)) < 0)
		goto out;
	for (size_t i = 0; i < tmp.n; i++) {
		struct object *o = &tmp.items[i];

		rc = ks_set_add(ra, o->body, o->file, o->line, o->col, e);
		o->body = NULL;
		if (rc < 0)
			goto out;
	}
	if ((rc = ks_yaml12_fix(ra, first, data, len)) < 0)
		err_set(e, rc, "%s: out of memory", file);
out:
	object_set_dispose(&tmp);
	return rc;
}

/* Finds the kustomization file of dir; *file is NULL when there is none. Two of
 * them is an error, as in kustomize. */
static int ks_find_kust(struct vfs *v, const char *dir, char **file, struct err *e)
{
	int rc;

	*file = NULL;
	for (size_t i = 0; i < sizeof(ks_kust_names) / sizeof(ks_kust_names[0]); i++) {
		enum vfs_type t = VFS_NONE;
		char *p = NULL;

		if ((rc = vfs_join(&p, dir, ks_kust_names[i], e)) < 0 ||
		    (rc = vfs_stat(v, p, &t, e)) < 0) {
			free(p);
			goto fail;
		}
		if (t == VFS_FILE && *file) {
			rc = err_set(e, TE_INPUT, "%s: found both %s and %s", dir[0] ? dir : ".",
				     *file, p);
			free(p);
			goto fail;
		}
		if (t == VFS_FILE)
			*file = p;
		else
			free(p);
	}
	return 0;
fail:
	free(*file);
	*file = NULL;
	return rc;
}

static int ks_build_dir(struct ks_ctx *c, const char *dir, struct ks_set *ra, bool component,
			struct err *e);

int ks_add_entry(struct ks_ctx *c, const char *field, const char *entry, struct ks_set *ra,
		 struct err *e)
{
	struct buf data;
	char *path = NULL;
	enum vfs_type t = VFS_NONE;
	struct ks_set sub;
	int rc;

	buf_init(&data, MANIFEST_MAX_FILE);
	ks_set_init(&sub);
	if (ks_is_remote(entry)) {
		rc = err_set(e, TE_INPUT, "%s: %s: %s: remote bases are not supported", c->file,
			     field, entry);
		goto out;
	}
	if ((rc = vfs_join(&path, c->dir, entry, e)) < 0 ||
	    (rc = vfs_stat(c->v, path, &t, e)) < 0) {
		err_prefix(e, "%s: %s", c->file, field);
		goto out;
	}
	if (t == VFS_DIR) {
		if ((rc = ks_build_dir(c, path, &sub, false, e)) < 0)
			goto out;
		rc = ks_set_move_all(ra, &sub, e);
	} else if (t == VFS_FILE) {
		free(path);
		path = NULL;
		if ((rc = ks_read_rel(c, field, entry, &path, &data, e)) < 0)
			goto out;
		rc = ks_parse_objects(ra, path, KS_TEXT(data), data.len, e);
	} else {
		rc = err_set(e, TE_INPUT, "%s: %s: %s: no such file or directory", c->file, field,
			     entry);
	}
out:
	ks_set_dispose(&sub);
	buf_dispose(&data);
	free(path);
	return rc;
}

static int ks_add_resource(struct ks_ctx *c, const char *entry, struct ks_set *ra, struct err *e)
{
	return ks_add_entry(c, "resources", entry, ra, e);
}

static int ks_add_component(struct ks_ctx *c, const char *entry, struct ks_set *ra, struct err *e)
{
	char *path = NULL;
	enum vfs_type t = VFS_NONE;
	int rc;

	if (ks_is_remote(entry))
		return err_set(e, TE_INPUT,
			       "%s: components: %s: remote components are not supported", c->file,
			       entry);
	if ((rc = vfs_join(&path, c->dir, entry, e)) < 0 ||
	    (rc = vfs_stat(c->v, path, &t, e)) < 0) {
		err_prefix(e, "%s: components", c->file);
		goto out;
	}
	if (t != VFS_DIR) {
		rc =
		    err_set(e, TE_INPUT, "%s: components: %s: not a directory with a kustomization",
			    c->file, entry);
		goto out;
	}
	rc = ks_build_dir(c, path, ra, true, e);
out:
	free(path);
	return rc;
}

int ks_list_field(const struct ks_ctx *c, const cJSON *obj, const char *field,
		  const cJSON **list, struct err *e)
{
	const cJSON *l = cJSON_GetObjectItemCaseSensitive(obj, field);

	*list = NULL;
	if (!l || cJSON_IsNull(l))
		return 0;
	if (!cJSON_IsArray(l))
		return err_set(e, TE_INPUT, "%s: %s must be a list", c->file, field);
	*list = l;
	return 0;
}

/* Runs fn on each string of kust.field (a list of strings). */
int ks_each_entry(struct ks_ctx *c, const cJSON *kust, const char *field,
			 int (*fn)(struct ks_ctx *, const char *, struct ks_set *, struct err *),
			 struct ks_set *ra, struct err *e)
{
	const cJSON *list, *it;
	int rc;

	if ((rc = ks_list_field(c, kust, field, &list, e)) < 0)
		return rc;
	cJSON_ArrayForEach(it, list)
	{
		if (!cJSON_IsString(it))
			return err_set(e, TE_INPUT, "%s: %s entries must be strings", c->file,
				       field);
		if ((rc = fn(c, it->valuestring, ra, e)) < 0)
			return rc;
	}
	return 0;
}

/* A component is built only as a component, except at the top, where kustomize
 * builds one like a kustomization. */
static int ks_check_kind(const char *file, const cJSON *kust, bool component, bool top,
			 struct err *e)
{
	const char *kind = json_str(kust, "kind", NULL);

	if (component && (!kind || strcmp(kind, "Component") != 0))
		return err_set(e, TE_INPUT, "%s: a component must have kind: Component", file);
	if (!component && kind && strcmp(kind, "Kustomization") != 0 &&
	    !(top && strcmp(kind, "Component") == 0))
		return err_set(e, TE_INPUT,
			       "%s: kind %s cannot be used as a resource (want Kustomization)",
			       file, kind);
	return 0;
}

/* Pushes dir on the build stack, refusing cycles and excessive nesting. */
static int ks_push(struct ks_ctx *c, const char *dir, struct err *e)
{
	for (int i = 0; i < c->nstack; i++)
		if (strcmp(c->stack[i], dir) == 0)
			return err_set(e, TE_INPUT, "%s: kustomization cycle through %s",
				       c->file ? c->file : dir, dir[0] ? dir : ".");
	if (c->nstack >= KS_MAX_DEPTH)
		return err_set(e, TE_INPUT, "%s: kustomizations nested deeper than %d", dir,
			       KS_MAX_DEPTH);
	if (++c->nbuilds > KS_MAX_BUILDS)
		return err_set(e, TE_INPUT, "%s: more than %d kustomizations to build", dir,
			       KS_MAX_BUILDS);
	c->stack[c->nstack++] = (char *)dir;
	return 0;
}

/* sortOptions only matters in the top kustomization (it orders the output); kustomize
 * ignores it, invalid or not, everywhere else. */
static int ks_sort_options(struct ks_ctx *c, const cJSON *kust, struct err *e)
{
	const cJSON *so = cJSON_GetObjectItemCaseSensitive(kust, "sortOptions");

	if (!so || cJSON_IsNull(so) || c->nstack != 1)
		return 0;
	return ks_order_read(&c->order, c->file, so, e);
}

static int ks_run_target(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	int rc;

	if ((rc = ks_sort_options(c, kust, e)) < 0 || (rc = ks_tconfig_load(c, kust, ra, e)) < 0 ||
	    (rc = ks_openapi_load(c, kust, e)) < 0)
		return rc;
	/* kustomize's order: resources, generators, then components (which see what was
	 * generated); identities are checked once resources, generators and components
	 * are in. */
	if ((rc = ks_each_entry(c, kust, "resources", ks_add_resource, ra, e)) < 0 ||
	    (rc = ks_each_entry(c, kust, "bases", ks_add_resource, ra, e)) < 0 ||
	    (rc = ks_set_check_unique(ra, c->file, e)) < 0 ||
	    (rc = ks_generate(c, kust, ra, e)) < 0 ||
	    (rc = ks_plugins(c, kust, "generators", ra, e)) < 0 ||
	    (rc = ks_each_entry(c, kust, "components", ks_add_component, ra, e)) < 0 ||
	    (rc = ks_set_check_unique(ra, c->file, e)) < 0 ||
	    (rc = ks_transform(c, kust, ra, e)) < 0 ||
	    (rc = ks_replacements(c, kust, ra, e)) < 0 ||
	    (rc = ks_plugins(c, kust, "transformers", ra, e)) < 0 ||
	    (rc = ks_vars_merge(c, kust, ra, e)) < 0)
		return rc;
	return 0;
}

static int ks_build_dir(struct ks_ctx *c, const char *dir, struct ks_set *ra, bool component,
			struct err *e)
{
	const char *saved_dir = c->dir, *saved_file = c->file;
	char *file = NULL;
	cJSON *kust = NULL;
	struct buf data;
	bool pushed = false;
	int rc;

	buf_init(&data, MANIFEST_MAX_FILE);
	if ((rc = ks_push(c, dir, e)) < 0)
		goto out;
	pushed = true;
	if ((rc = ks_find_kust(c->v, dir, &file, e)) < 0)
		goto out;
	if (!file) {
		rc = err_set(e, TE_INPUT, "%s%s%s: no kustomization.yaml in %s",
			     saved_file ? saved_file : "", saved_file ? ": " : "",
			     dir[0] ? dir : ".", dir[0] ? dir : ".");
		goto out;
	}
	if ((rc = vfs_read(c->v, file, MANIFEST_MAX_FILE, &data, e)) < 0 ||
	    (rc = yaml_to_json(file, KS_TEXT(data), data.len, &kust, e)) < 0)
		goto out;
	if (cJSON_IsNull(kust)) {
		rc = err_set(e, TE_INPUT, "%s: the kustomization is empty", file);
		goto out;
	}
	if ((rc = ks_decode_kustomization(file, kust, e)) < 0 ||
	    (rc = ks_check_fields(file, kust, e)) < 0 ||
	    (rc = ks_check_kind(file, kust, component, c->nstack == 1, e)) < 0)
		goto out;
	c->dir = dir;
	c->file = file;
	rc = ks_run_target(c, kust, ra, e);
out:
	c->dir = saved_dir;
	c->file = saved_file;
	if (pushed)
		c->nstack--;
	cJSON_Delete(kust);
	buf_dispose(&data);
	free(file);
	return rc;
}

/* kustomize drops metadata.annotations when it is null or empty, wherever that came
 * from (it clears its own build annotations last); labels stay as they are. */
static void ks_drop_empty_annotations(cJSON *body)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	const cJSON *ann = cJSON_GetObjectItemCaseSensitive(md, "annotations");

	if (ann && (cJSON_IsNull(ann) || (cJSON_IsObject(ann) && !ann->child)))
		cJSON_DeleteItemFromObjectCaseSensitive(md, "annotations");
}

static int ks_emit(struct ks_set *ra, struct object_set *out, struct err *e)
{
	int rc;

	for (size_t i = 0; i < ra->n; i++) {
		struct ks_res *r = &ra->items[i];

		ks_drop_empty_annotations(r->body);
		rc = object_set_add(out, r->body, r->file, r->line, r->col, e);
		r->body = NULL;
		if (rc < 0)
			return rc;
	}
	return 0;
}

int kustomize_build(struct vfs *v, const char *dir, struct object_set *out, struct err *e)
{
	struct ks_ctx c;
	struct ks_set ra;
	int rc;

	memset(&c, 0, sizeof(c));
	c.v = v;
	ks_order_init(&c.order);
	ks_set_init(&ra);
	if ((rc = ks_build_dir(&c, dir ? dir : "", &ra, false, e)) < 0 ||
	    (rc = ks_add_hashes(&ra, e)) < 0 || (rc = ks_fix_name_refs(&ra, e)) < 0 ||
	    (rc = ks_vars_resolve(&c, &ra, e)) < 0)
		goto out;
	if ((rc = ks_set_sort(&ra, &c.order, e)) < 0)
		goto out;
	rc = ks_emit(&ra, out, e);
out:
	ks_vars_dispose(&c);
	ks_order_dispose(&c.order);
	cJSON_Delete(c.openapi);
	ks_set_dispose(&ra);
	return rc;
}
