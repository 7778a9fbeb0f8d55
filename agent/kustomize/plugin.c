/*
 * kustomize_plugin: the generators and transformers fields. Each entry is inline YAML
 * (it holds a newline), a file of plugin configs or a directory whose kustomization
 * builds them; as in kustomize, the inline entries come first, then the others, and the
 * plugins run after the kustomization's own generators or transformers. A config with
 * apiVersion: builtin configures one of kustomize's builtin plugins and runs the code
 * of the matching kustomization field, with the config's field specs. Plugins that run
 * programs (exec and Go plugins, containers, starlark, KRM functions) or need the
 * network (helm) are refused, naming the config.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

/* A builtin plugin: its kind, whether it generates (else transforms), and its code. */
struct ks_plugin {
	const char *kind;
	bool generator;
	int (*run)(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e);
};

/* The field specs of a config (cfg.fieldSpecs), required when need is set. */
static int ks_pl_fieldspecs(struct ks_ctx *c, const cJSON *cfg, bool need,
			    struct ks_fieldspec **out, struct err *e)
{
	const cJSON *fs = cJSON_GetObjectItemCaseSensitive(cfg, "fieldSpecs");

	*out = NULL;
	if (need && cJSON_GetArraySize(fs) == 0)
		return err_set(e, TE_INPUT, "%s: %s: fieldSpecs is required", c->file,
			       ks_kind(cfg));
	return ks_fieldspecs_read(c->file, "fieldSpecs", fs, 0, NULL, out, e);
}

/* A kustomization fragment {field: [entry]}, entry being the config without its
 * apiVersion, kind and metadata; NULL when out of memory. */
static cJSON *ks_pl_fragment(const cJSON *cfg, const char *field)
{
	cJSON *frag = cJSON_CreateObject(), *entry = cJSON_Duplicate(cfg, true);
	struct json_build b = {.failed = !frag};

	if (entry) {
		cJSON_DeleteItemFromObjectCaseSensitive(entry, "apiVersion");
		cJSON_DeleteItemFromObjectCaseSensitive(entry, "kind");
		cJSON_DeleteItemFromObjectCaseSensitive(entry, "metadata");
	}
	jb_append(&b, jb_array(&b, frag, field), entry);
	if (b.failed) {
		cJSON_Delete(frag);
		return NULL;
	}
	return frag;
}

/* Moves the member from of the fragment's entry to its member to. */
static int ks_pl_rename(cJSON *entry, const char *from, const char *to)
{
	cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(entry, from);

	return v ? json_object_set(entry, to, v) : 0;
}

/* PatchTransformer, PatchStrategicMergeTransformer and PatchJson6902Transformer: the
 * patches fields, fed the config. */
static int ks_pl_patch_field(struct ks_ctx *c, const cJSON *cfg, const char *field,
			     struct ks_set *ra, struct err *e)
{
	cJSON *frag = ks_pl_fragment(cfg, field);
	int rc;

	if (!frag)
		return err_set(e, TE_NOMEM, "out of memory");
	if (strcmp(field, "patchesJson6902") == 0 &&
	    ks_pl_rename(cJSON_GetArrayItem(cJSON_GetObjectItem(frag, field), 0), "jsonOp",
			 "patch") < 0) {
		cJSON_Delete(frag);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	rc = ks_patches(c, frag, field, ra, e);
	cJSON_Delete(frag);
	return rc;
}

static int ks_pl_patch(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	return ks_pl_patch_field(c, cfg, "patches", ra, e);
}

static int ks_pl_json6902(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	return ks_pl_patch_field(c, cfg, "patchesJson6902", ra, e);
}

/* paths (files) and patches (inline YAML) become patchesStrategicMerge entries. */
static int ks_pl_smp(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	const cJSON *paths = cJSON_GetObjectItemCaseSensitive(cfg, "paths"), *p;
	const char *inl = json_str(cfg, "patches", NULL);
	cJSON *frag = cJSON_CreateObject(), *list;
	struct json_build b = {.failed = !frag};
	int rc;

	if (paths && !cJSON_IsArray(paths)) {
		cJSON_Delete(frag);
		return err_set(e, TE_INPUT, "%s: PatchStrategicMergeTransformer: paths must be a list",
			       c->file);
	}
	list = jb_array(&b, frag, "patchesStrategicMerge");
	cJSON_ArrayForEach(p, paths) jb_append(&b, list, cJSON_Duplicate(p, true));
	if (inl)
		jb_append(&b, list, cJSON_CreateString(inl));
	rc = b.failed ? err_set(e, TE_NOMEM, "out of memory")
		      : ks_patches(c, frag, "patchesStrategicMerge", ra, e);
	cJSON_Delete(frag);
	return rc;
}

/* LabelTransformer and AnnotationsTransformer: pairs at the config's field specs only. */
static int ks_pl_pairs(struct ks_ctx *c, const cJSON *cfg, const char *field, struct ks_set *ra,
		       struct err *e)
{
	struct ks_fieldspec *fs = NULL;
	int rc;

	if ((rc = ks_pl_fieldspecs(c, cfg, false, &fs, e)) == 0)
		rc = ks_apply_pairs(c, ra, fs, cJSON_GetObjectItemCaseSensitive(cfg, field), field,
				    e);
	free(fs);
	return rc;
}

static int ks_pl_labels(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	return ks_pl_pairs(c, cfg, "labels", ra, e);
}

static int ks_pl_annotations(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra,
			     struct err *e)
{
	return ks_pl_pairs(c, cfg, "annotations", ra, e);
}

/* Field specs whose paths must all be path (what tether's code for the field writes). */
static int ks_pl_only_path(struct ks_ctx *c, const cJSON *cfg, const struct ks_fieldspec *fs,
			   const char *path, struct err *e)
{
	for (; fs->path; fs++)
		if (strcmp(fs->path, path) != 0)
			return err_set(e, TE_INPUT,
				       "%s: %s: fieldSpecs path %s is not supported by tether's "
				       "kustomize (only %s)",
				       c->file, ks_kind(cfg), fs->path, path);
	return 0;
}

/* PrefixSuffixTransformer, PrefixTransformer and SuffixTransformer. */
static int ks_pl_affix(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	const char *pre = json_str(cfg, "prefix", NULL), *suf = json_str(cfg, "suffix", NULL);
	const char *kind = ks_kind(cfg);
	struct ks_fieldspec *fs = NULL;
	int rc;

	if (strcmp(kind, "SuffixTransformer") == 0)
		pre = NULL;
	if (strcmp(kind, "PrefixTransformer") == 0)
		suf = NULL;
	if ((rc = ks_pl_fieldspecs(c, cfg, true, &fs, e)) < 0 ||
	    (rc = ks_pl_only_path(c, cfg, fs, "metadata/name", e)) < 0)
		goto out;
	if (pre && *pre && (rc = ks_affix_set(c, ra, pre, true, fs, e)) < 0)
		goto out;
	if (suf && *suf)
		rc = ks_affix_set(c, ra, suf, false, fs, e);
out:
	free(fs);
	return rc;
}

/* NamespaceTransformer: metadata.namespace; its field specs other than
 * metadata/namespace (set on every namespaced object anyway) are extra paths. */
static int ks_pl_namespace(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	const char *ns = json_str_or(cfg, "", "metadata", "namespace", NULL);
	const char *subj = json_str_or(cfg, "defaultOnly", "setRoleBindingSubjects", NULL);
	struct ks_fieldspec *fs = NULL;
	size_t n = 0;
	int rc;

	if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(cfg, "unsetOnly")) ||
	    strcmp(subj, "defaultOnly") != 0)
		return err_set(e, TE_INPUT,
			       "%s: NamespaceTransformer: unsetOnly and setRoleBindingSubjects are "
			       "not supported by tether's kustomize",
			       c->file);
	if ((rc = ks_pl_fieldspecs(c, cfg, false, &fs, e)) < 0)
		return rc;
	for (size_t i = 0; fs[i].path; i++)
		if (strcmp(fs[i].path, "metadata/namespace") != 0)
			fs[n++] = fs[i];
	fs[n].path = NULL;
	if (*ns)
		rc = ks_namespace_set(c, ra, ns, fs, false, e);
	free(fs);
	return rc;
}

/* ImageTagTransformer: imageTag, in containers everywhere and at the field specs. */
static int ks_pl_image(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	const cJSON *tag = cJSON_GetObjectItemCaseSensitive(cfg, "imageTag");
	struct ks_fieldspec *fs = NULL;
	int rc;

	if (!cJSON_IsObject(tag))
		return err_set(e, TE_INPUT, "%s: ImageTagTransformer: imageTag must be a mapping",
			       c->file);
	if ((rc = ks_pl_fieldspecs(c, cfg, false, &fs, e)) == 0)
		rc = ks_image_set(c, tag, fs, ra, e);
	free(fs);
	return rc;
}

/* ReplicaCountTransformer: replica (name and count) at the field specs. */
static int ks_pl_replicas(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	struct ks_fieldspec *fs = NULL;
	int rc;

	if ((rc = ks_pl_fieldspecs(c, cfg, false, &fs, e)) == 0)
		rc = ks_replica_set(c, ra, cJSON_GetObjectItemCaseSensitive(cfg, "replica"), fs, e);
	free(fs);
	return rc;
}

/* ConfigMapGenerator and SecretGenerator: a generator entry named by name or, failing
 * that, metadata.name (namespace likewise). */
static int ks_pl_generator(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	bool secret = strcmp(ks_kind(cfg), "SecretGenerator") == 0;
	const char *field = secret ? "secretGenerator" : "configMapGenerator";
	cJSON *frag = ks_pl_fragment(cfg, field);
	cJSON *entry = cJSON_GetArrayItem(cJSON_GetObjectItem(frag, field), 0);
	const char *ns = ks_ns(cfg);
	int rc = 0;

	if (!entry)
		rc = TE_NOMEM;
	else if (!json_str(entry, "name", NULL) && *ks_name(cfg))
		rc = ks_set_str(entry, "name", ks_name(cfg));
	if (rc == 0 && ns && !json_str(entry, "namespace", NULL))
		rc = ks_set_str(entry, "namespace", ns);
	if (rc < 0)
		rc = err_set(e, TE_NOMEM, "out of memory");
	else
		rc = ks_generate(c, frag, ra, e);
	cJSON_Delete(frag);
	return rc;
}

/* HashTransformer: the content-hash suffix, now (kustomize adds it again at the end). */
static int ks_pl_hash(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	return ks_add_hashes(ra, e);
}

/* ReplacementTransformer: its replacements list, inline entries and path: files. */
static int ks_pl_replace(struct ks_ctx *c, const cJSON *cfg, struct ks_set *ra, struct err *e)
{
	return ks_replacements(c, cfg, ra, e);
}

static const struct ks_plugin ks_builtins[] = {
    {"PatchTransformer", false, ks_pl_patch},
    {"PatchStrategicMergeTransformer", false, ks_pl_smp},
    {"PatchJson6902Transformer", false, ks_pl_json6902},
    {"LabelTransformer", false, ks_pl_labels},
    {"AnnotationsTransformer", false, ks_pl_annotations},
    {"PrefixSuffixTransformer", false, ks_pl_affix},
    {"PrefixTransformer", false, ks_pl_affix},
    {"SuffixTransformer", false, ks_pl_affix},
    {"NamespaceTransformer", false, ks_pl_namespace},
    {"ImageTagTransformer", false, ks_pl_image},
    {"ReplicaCountTransformer", false, ks_pl_replicas},
    {"HashTransformer", false, ks_pl_hash},
    {"ReplacementTransformer", false, ks_pl_replace},
    {"ConfigMapGenerator", true, ks_pl_generator},
    {"SecretGenerator", true, ks_pl_generator},
};

/* Builtins of kustomize that tether refuses, and why. */
static const struct {
	const char *kind;
	const char *why;
} ks_refused[] = {
    {"HelmChartInflationGenerator", "runs helm and fetches charts from the network"},
    {"IAMPolicyGenerator", "is specific to one cloud provider"},
    {"ValueAddTransformer", "is an alpha plugin"},
};

/* The error for a config tether does not run: f is the kustomization's field. */
static int ks_pl_refuse(struct ks_ctx *c, const char *f, const struct ks_res *r, struct err *e)
{
	const cJSON *ann = json_obj(r->body, "metadata", "annotations", NULL);
	const char *api = json_str_or(r->body, "", "apiVersion", NULL), *kind = ks_kind(r->body);

	if (strcmp(api, "builtin") == 0) {
		for (size_t i = 0; i < sizeof(ks_refused) / sizeof(ks_refused[0]); i++)
			if (strcmp(kind, ks_refused[i].kind) == 0)
				return err_set(e, TE_INPUT,
					       "%s: field %s: %s:%d: builtin plugin %s %s; not "
					       "supported by tether's kustomize",
					       c->file, f, r->file, r->line, kind, ks_refused[i].why);
		return err_set(e, TE_INPUT, "%s: field %s: %s:%d: no builtin plugin %s", c->file, f,
			       r->file, r->line, kind);
	}
	return err_set(e, TE_INPUT,
		       "%s: field %s: %s:%d: %s %s %s is a plugin that runs a program (%s); "
		       "tether's kustomize runs only the builtin plugins (apiVersion: builtin)",
		       c->file, f, r->file, r->line, api, kind, ks_name(r->body),
		       cJSON_GetObjectItemCaseSensitive(ann, "config.kubernetes.io/function") ||
			       cJSON_GetObjectItemCaseSensitive(ann, "config.k8s.io/function")
			   ? "a KRM function: container, exec or starlark"
			   : "an exec or Go plugin");
}

static const struct ks_plugin *ks_pl_find(const cJSON *cfg)
{
	if (strcmp(json_str_or(cfg, "", "apiVersion", NULL), "builtin") != 0)
		return NULL;
	for (size_t i = 0; i < sizeof(ks_builtins) / sizeof(ks_builtins[0]); i++)
		if (strcmp(ks_kind(cfg), ks_builtins[i].kind) == 0)
			return &ks_builtins[i];
	return NULL;
}

/* Runs one config; messages name the config's file (c->file meanwhile). */
static int ks_pl_run(struct ks_ctx *c, const char *field, const struct ks_res *r,
		     struct ks_set *ra, struct err *e)
{
	const struct ks_plugin *p = ks_pl_find(r->body);
	bool gen = strcmp(field, "generators") == 0;
	const char *saved = c->file;
	int rc;

	if (!p)
		return ks_pl_refuse(c, field, r, e);
	if (p->generator != gen)
		return err_set(e, TE_INPUT, "%s: field %s: %s:%d: plugin %s %s is not a %s",
			       c->file, field, r->file, r->line, p->kind, ks_name(r->body),
			       gen ? "generator" : "transformer");
	c->file = r->file;
	rc = p->run(c, r->body, ra, e);
	c->file = saved;
	return rc;
}

/* The configs of kust.field: inline entries, then files and directories. */
static int ks_pl_configs(struct ks_ctx *c, const cJSON *list, const char *field,
			 struct ks_set *cfgs, struct err *e)
{
	const cJSON *it;
	char *origin = NULL;
	int rc = 0;

	cJSON_ArrayForEach(it, list) if (!cJSON_IsString(it)) return err_set(
	    e, TE_INPUT, "%s: %s entries must be strings", c->file, field);
	if (!(origin = xasprintf("%s (inline %s)", c->file, field)))
		return err_set(e, TE_NOMEM, "out of memory");
	cJSON_ArrayForEach(it, list)
	{
		if (strchr(it->valuestring, '\n') &&
		    (rc = ks_parse_objects(cfgs, origin, it->valuestring, strlen(it->valuestring),
					   e)) < 0)
			goto out;
	}
	cJSON_ArrayForEach(it, list)
	{
		if (!strchr(it->valuestring, '\n') &&
		    (rc = ks_add_entry(c, field, it->valuestring, cfgs, e)) < 0)
			goto out;
	}
out:
	free(origin);
	return rc;
}

int ks_plugins(struct ks_ctx *c, const cJSON *kust, const char *field, struct ks_set *ra,
	       struct err *e)
{
	const cJSON *list;
	struct ks_set cfgs;
	int rc;

	if ((rc = ks_list_field(c, kust, field, &list, e)) < 0 || !list)
		return rc;
	ks_set_init(&cfgs);
	rc = ks_pl_configs(c, list, field, &cfgs, e);
	for (size_t i = 0; i < cfgs.n && rc == 0; i++)
		rc = ks_pl_run(c, field, &cfgs.items[i], ra, e);
	ks_set_dispose(&cfgs);
	return rc;
}
