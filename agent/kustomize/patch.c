/*
 * kustomize_patch: patches, patchesStrategicMerge and patchesJson6902. Loads each
 * patch (a file of the kustomization or inline text), tells a JSON 6902 operation
 * list from a strategic merge patch by its shape, selects the targets (by the patch's
 * own identity, or a target selector: group, version, kind, name and namespace as
 * anchored regular expressions, label and annotation selectors) and applies it.
 */
#include <regex.h>
#include <stdlib.h>
#include <string.h>

#include "kustomize_int.h"

struct ks_target {
	const char *group, *version, *kind, *name, *ns, *labels, *annotations;
};

static bool ks_regex_full(const char *pat, const char *s, struct err *e, int *rc)
{
	regex_t re;
	char *anch;
	bool m;

	if (!pat || !*pat)
		return true;
	if (!(anch = xasprintf("^(%s)$", pat))) {
		*rc = TE_NOMEM;
		return false;
	}
	if (regcomp(&re, anch, REG_EXTENDED | REG_NOSUB) != 0) {
		free(anch);
		*rc = err_set(e, TE_INPUT, "invalid regular expression %s", pat);
		return false;
	}
	m = regexec(&re, s, 0, NULL, 0) == 0;
	regfree(&re);
	free(anch);
	return m;
}

static const char *ks_eff_ns(const char *ns)
{
	return ns && *ns ? ns : "default";
}

/* A field of a target: absent or empty matches anything, else the exact value. */
static bool ks_field_match(const char *want, const char *have)
{
	return !want || !*want || strcmp(want, have) == 0;
}

static bool ks_gvk_match(const struct ks_target *t, const cJSON *body)
{
	char g[256], v[64];

	ks_group_version(body, g, sizeof(g), v, sizeof(v));
	return ks_field_match(t->group, g) && ks_field_match(t->version, v) &&
	       ks_field_match(t->kind, ks_kind(body));
}

/* A name or namespace pattern matches the resource's original value or its current one. */
static int ks_regex_either(const char *pat, const char *orig, const char *cur, bool *match,
			   struct err *e)
{
	int rc = 0;

	*match = ks_regex_full(pat, orig, e, &rc) || ks_regex_full(pat, cur, e, &rc);
	return rc;
}

/* A label or annotation selector against metadata.key; an empty one matches anything. */
static int ks_meta_select(const char *sel, const cJSON *body, const char *key, bool *match,
			  struct err *e)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(body, "metadata");

	*match = true;
	if (!sel || !*sel)
		return 0;
	return ks_selector_match(sel, cJSON_GetObjectItemCaseSensitive(meta, key), match, e);
}

/* The target's namespace and name patterns, against the resource's original id or its
 * current one (a patch written against a base still finds the renamed object). */
static int ks_id_match(const struct ks_target *t, const struct ks_res *r, bool *match,
		       struct err *e)
{
	const char *name = ks_name(r->body), *ns = ks_eff_ns(ks_ns(r->body));
	const char *org_name = r->nprev ? r->prev[0].name : name;
	const char *org_ns = r->nprev ? ks_eff_ns(r->prev[0].ns) : ns;
	int rc;

	if ((rc = ks_regex_either(t->ns, org_ns, ns, match, e)) < 0 || !*match)
		return rc;
	return ks_regex_either(t->name, org_name ? org_name : "", name, match, e);
}

/* kustomize's resWrangler.Select for one resource. */
static int ks_target_match(const struct ks_target *t, const struct ks_res *r, bool *match,
			   struct err *e)
{
	bool ok = false;
	int rc;

	*match = false;
	if (!ks_gvk_match(t, r->body))
		return 0;
	if ((rc = ks_id_match(t, r, &ok, e)) < 0 || !ok)
		return rc;
	if ((rc = ks_meta_select(t->labels, r->body, "labels", &ok, e)) < 0 || !ok)
		return rc;
	if ((rc = ks_meta_select(t->annotations, r->body, "annotations", &ok, e)) < 0 || !ok)
		return rc;
	*match = true;
	return 0;
}

static void ks_target_read(const cJSON *j, struct ks_target *t)
{
	memset(t, 0, sizeof(*t));
	t->group = json_str(j, "group", NULL);
	t->version = json_str(j, "version", NULL);
	t->kind = json_str(j, "kind", NULL);
	t->name = json_str(j, "name", NULL);
	t->ns = json_str(j, "namespace", NULL);
	t->labels = json_str(j, "labelSelector", NULL);
	t->annotations = json_str(j, "annotationSelector", NULL);
}

/* Applies a strategic merge patch; a top-level $patch: delete removes the object. */
static int ks_apply_smp(struct ks_set *ra, size_t i, const cJSON *patch, bool retarget,
			const cJSON *openapi, struct err *e)
{
	struct ks_res *r = &ra->items[i];
	const char *dir = json_str(patch, "$patch", NULL);
	cJSON *copy = NULL;
	int rc;

	if (dir && strcmp(dir, "delete") == 0) {
		ks_res_dispose(r);
		memmove(r, r + 1, (ra->n - i - 1) * sizeof(*r));
		ra->n--;
		return 1;
	}
	if (retarget) {
		/* With a target, the patch's own apiVersion, kind and name do not count. */
		cJSON *meta;

		if (!(copy = cJSON_Duplicate(patch, true)))
			return err_set(e, TE_NOMEM, "out of memory");
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "apiVersion");
		cJSON_DeleteItemFromObjectCaseSensitive(copy, "kind");
		if ((meta = cJSON_GetObjectItemCaseSensitive(copy, "metadata"))) {
			cJSON_DeleteItemFromObjectCaseSensitive(meta, "name");
			cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
		}
		patch = copy;
	}
	rc = ks_smp_with(r->body, patch, openapi, e);
	cJSON_Delete(copy);
	return rc;
}

static int ks_apply_json(struct ks_res *r, const cJSON *ops, struct err *e)
{
	int rc = ks_json6902(&r->body, ops, e);

	if (rc < 0)
		err_prefix(e, "%s %s", ks_kind(r->body), ks_name(r->body));
	return rc;
}

/* Applies one patch (SMP object or JSON op list) to every resource t selects. */
static int ks_apply_target(struct ks_set *ra, const struct ks_target *t, const cJSON *patch,
			   const cJSON *openapi, struct err *e)
{
	bool json = cJSON_IsArray(patch);
	int rc;

	for (size_t i = 0; i < ra->n; i++) {
		bool m;

		if ((rc = ks_target_match(t, &ra->items[i], &m, e)) < 0)
			return rc;
		if (!m)
			continue;
		rc = json ? ks_apply_json(&ra->items[i], patch, e)
			  : ks_apply_smp(ra, i, patch, true, openapi, e);
		if (rc < 0)
			return rc;
		if (rc == 1)
			i--; /* the object was deleted */
	}
	return 0;
}

/* A strategic merge patch without a target: applies to the object it names. */
static int ks_apply_by_id(struct ks_ctx *c, struct ks_set *ra, const cJSON *patch, struct err *e)
{
	char g[256], v[64];
	const char *kind = ks_kind(patch), *name = ks_name(patch), *ns = ks_ns(patch);
	size_t hit = 0, at = 0;
	int rc;

	ks_group_version(patch, g, sizeof(g), v, sizeof(v));
	for (size_t i = 0; i < ra->n; i++)
		if (ks_res_any_id(&ra->items[i], g, kind, name, ns ? ns : "")) {
			hit++;
			at = i;
		}
	if (hit != 1)
		return err_set(e, TE_INPUT, "%s: patch for %s %s%s%s: %s", c->file, kind,
			       ns ? ns : "", ns ? "/" : "", name,
			       hit ? "matches more than one object" : "no such object to patch");
	/* Matched by any of its names: the patch must not rename it back. */
	rc = ks_apply_smp(ra, at, patch, true, c->openapi, e);
	return rc < 0 ? rc : 0;
}

/* Loads patch text: a file of the kustomization or, failing that, inline YAML. */
static int ks_load_patch(struct ks_ctx *c, const char *path, const char *inline_text,
			 struct buf *out, char **origin, struct err *e)
{
	if (path)
		return ks_read_rel(c, "patches", path, origin, out, e);
	/* Positions in an inline patch count from the patch text, not the file. */
	*origin = xasprintf("%s (inline patch)", c->file);
	return buf_puts(out, inline_text) < 0 ? err_set(e, TE_NOMEM, "patch too large") : 0;
}

/* Parses patch text into SMP documents (in *smp) or one JSON op list (*ops). */
static int ks_parse_patch(const char *origin, const struct buf *text, struct ks_set *smp,
			  cJSON **ops, struct err *e)
{
	struct err e2;
	cJSON *one = NULL;

	*ops = NULL;
	err_clear(&e2);
	if (yaml_to_json(origin, KS_TEXT(*text), text->len, &one, &e2) == 0 && cJSON_IsArray(one)) {
		*ops = one;
		return 0;
	}
	cJSON_Delete(one);
	return ks_parse_objects(smp, origin, KS_TEXT(*text), text->len, e);
}

static int ks_patch_entry(struct ks_ctx *c, struct ks_set *ra, const char *path,
			  const char *inline_text, const cJSON *target, struct err *e)
{
	struct buf text;
	struct ks_set smp;
	struct ks_target t;
	cJSON *ops = NULL;
	char *origin = NULL;
	int rc;

	buf_init(&text, MANIFEST_MAX_FILE);
	ks_set_init(&smp);
	ks_target_read(target, &t);
	if ((rc = ks_load_patch(c, path, inline_text, &text, &origin, e)) < 0 ||
	    (rc = ks_parse_patch(origin, &text, &smp, &ops, e)) < 0)
		goto out;
	if (ops) {
		if (!target) {
			rc = err_set(e, TE_INPUT, "%s: a JSON 6902 patch needs a target", c->file);
			goto out;
		}
		rc = ks_apply_target(ra, &t, ops, c->openapi, e);
		goto out;
	}
	for (size_t i = 0; i < smp.n && rc == 0; i++)
		rc = target ? ks_apply_target(ra, &t, smp.items[i].body, c->openapi, e)
			    : ks_apply_by_id(c, ra, smp.items[i].body, e);
out:
	/* Say where the patch came from, unless the message already does. */
	if (rc < 0 && strncmp(e->msg, c->file, strlen(c->file)) != 0 &&
	    (!origin || strncmp(e->msg, origin, strlen(origin)) != 0))
		err_prefix(e, "%s", origin ? origin : c->file);
	cJSON_Delete(ops);
	ks_set_dispose(&smp);
	free(origin);
	buf_dispose(&text);
	return rc;
}

/* patchesStrategicMerge entries are file paths, or inline YAML when they hold a newline. */
static int ks_psm_entry(struct ks_ctx *c, struct ks_set *ra, const cJSON *it, struct err *e)
{
	if (!cJSON_IsString(it))
		return err_set(e, TE_INPUT, "%s: patchesStrategicMerge entries must be strings",
			       c->file);
	if (strchr(it->valuestring, '\n'))
		return ks_patch_entry(c, ra, NULL, it->valuestring, NULL, e);
	return ks_patch_entry(c, ra, it->valuestring, NULL, NULL, e);
}

static int ks_patches_entry(struct ks_ctx *c, struct ks_set *ra, const cJSON *it, bool json,
			    struct err *e)
{
	const char *path = json_str(it, "path", NULL), *patch = json_str(it, "patch", NULL);
	const cJSON *target = cJSON_GetObjectItemCaseSensitive(it, "target");
	const cJSON *opts = cJSON_GetObjectItemCaseSensitive(it, "options");

	if (!cJSON_IsObject(it) || (!path == !patch))
		return err_set(e, TE_INPUT, "%s: each patch needs exactly one of path or patch",
			       c->file);
	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opts, "allowNameChange")) ||
	    cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(opts, "allowKindChange")))
		return err_set(e, TE_INPUT,
			       "%s: patch options allowNameChange/allowKindChange are "
			       "not supported by tether's kustomize",
			       c->file);
	if (target && !cJSON_IsObject(target))
		return err_set(e, TE_INPUT, "%s: patch target must be a mapping", c->file);
	if (json && !target)
		return err_set(e, TE_INPUT, "%s: patchesJson6902 entries need a target", c->file);
	return ks_patch_entry(c, ra, path, patch, target, e);
}

int ks_patches(struct ks_ctx *c, const cJSON *kust, const char *field, struct ks_set *ra,
	       struct err *e)
{
	const cJSON *list, *it;
	bool psm = strcmp(field, "patchesStrategicMerge") == 0;
	bool json = strcmp(field, "patchesJson6902") == 0;
	int rc;

	if ((rc = ks_list_field(c, kust, field, &list, e)) < 0)
		return rc;
	cJSON_ArrayForEach(it, list)
	{
		rc = psm ? ks_psm_entry(c, ra, it, e) : ks_patches_entry(c, ra, it, json, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}
