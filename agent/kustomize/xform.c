/*
 * kustomize_xform: the builtin transformers of a kustomization, run in kustomize's
 * order: patchesStrategicMerge, patches, namespace, namePrefix, nameSuffix, labels,
 * annotations, patchesJson6902, replicas, images. The field specs below are
 * kustomize's defaults (api/internal/konfig/builtinpluginconsts): which paths of which
 * kinds get labels, annotations and replica counts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

#define FS(g, v, k, p, c)                                                                          \
	{                                                                                          \
		g, v, k, p, c                                                                      \
	}
#define FS_END                                                                                     \
	{                                                                                          \
		NULL, NULL, NULL, NULL, false                                                      \
	}

/* metadataLabelsFieldSpecs: metadata and pod templates. */
#define KS_TEMPLATE_LABELS                                                                         \
	FS("", "", "", "metadata/labels", true),                                                   \
	    FS("", "v1", "ReplicationController", "spec/template/metadata/labels", true),          \
	    FS("", "", "Deployment", "spec/template/metadata/labels", true),                       \
	    FS("", "", "ReplicaSet", "spec/template/metadata/labels", true),                       \
	    FS("", "", "DaemonSet", "spec/template/metadata/labels", true),                        \
	    FS("apps", "", "StatefulSet", "spec/template/metadata/labels", true),                  \
	    FS("apps", "", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),    \
	    FS("batch", "", "Job", "spec/template/metadata/labels", true),                         \
	    FS("batch", "", "CronJob", "spec/jobTemplate/metadata/labels", true),                  \
	    FS("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/labels", true)

#define AFF "spec/template/spec/affinity/"
static const struct ks_fieldspec ks_fs_common_labels[] = {
    FS("", "v1", "Service", "spec/selector", true),
    FS("", "v1", "ReplicationController", "spec/selector", true),
    FS("", "", "Deployment", "spec/selector/matchLabels", true),
    FS("apps", "", "Deployment",
       AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
	   "labelSelector/matchLabels",
       false),
    FS("apps", "", "Deployment",
       AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
       false),
    FS("apps", "", "Deployment",
       AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
	   "labelSelector/matchLabels",
       false),
    FS("apps", "", "Deployment",
       AFF
       "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
       false),
    FS("apps", "", "Deployment",
       "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false),
    FS("", "", "ReplicaSet", "spec/selector/matchLabels", true),
    FS("", "", "DaemonSet", "spec/selector/matchLabels", true),
    FS("apps", "", "StatefulSet", "spec/selector/matchLabels", true),
    FS("apps", "", "StatefulSet", "spec/volumeClaimTemplates[]/metadata/labels", true),
    FS("apps", "", "StatefulSet",
       AFF "podAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
	   "labelSelector/matchLabels",
       false),
    FS("apps", "", "StatefulSet",
       AFF "podAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
       false),
    FS("apps", "", "StatefulSet",
       AFF "podAntiAffinity/preferredDuringSchedulingIgnoredDuringExecution/podAffinityTerm/"
	   "labelSelector/matchLabels",
       false),
    FS("apps", "", "StatefulSet",
       AFF
       "podAntiAffinity/requiredDuringSchedulingIgnoredDuringExecution/labelSelector/matchLabels",
       false),
    FS("apps", "", "StatefulSet",
       "spec/template/spec/topologySpreadConstraints/labelSelector/matchLabels", false),
    FS("batch", "", "Job", "spec/selector/matchLabels", false),
    FS("batch", "", "CronJob", "spec/jobTemplate/spec/selector/matchLabels", false),
    FS("policy", "", "PodDisruptionBudget", "spec/selector/matchLabels", false),
    FS("networking.k8s.io", "", "NetworkPolicy", "spec/podSelector/matchLabels", false),
    FS("networking.k8s.io", "", "NetworkPolicy", "spec/ingress/from/podSelector/matchLabels",
       false),
    FS("networking.k8s.io", "", "NetworkPolicy", "spec/egress/to/podSelector/matchLabels", false),
    KS_TEMPLATE_LABELS,
    FS_END,
};

static const struct ks_fieldspec ks_fs_template_labels[] = {KS_TEMPLATE_LABELS, FS_END};

static const struct ks_fieldspec ks_fs_meta_labels[] = {
    FS("", "", "", "metadata/labels", true),
    FS_END,
};

static const struct ks_fieldspec ks_fs_annotations[] = {
    FS("", "", "", "metadata/annotations", true),
    FS("", "v1", "ReplicationController", "spec/template/metadata/annotations", true),
    FS("", "", "Deployment", "spec/template/metadata/annotations", true),
    FS("", "", "ReplicaSet", "spec/template/metadata/annotations", true),
    FS("", "", "DaemonSet", "spec/template/metadata/annotations", true),
    FS("", "", "StatefulSet", "spec/template/metadata/annotations", true),
    FS("batch", "", "Job", "spec/template/metadata/annotations", true),
    FS("batch", "", "CronJob", "spec/jobTemplate/metadata/annotations", true),
    FS("batch", "", "CronJob", "spec/jobTemplate/spec/template/metadata/annotations", true),
    FS_END,
};

static const struct ks_fieldspec ks_fs_replicas[] = {
    FS("", "", "Deployment", "spec/replicas", true),
    FS("", "", "ReplicationController", "spec/replicas", true),
    FS("", "", "ReplicaSet", "spec/replicas", true),
    FS("", "", "StatefulSet", "spec/replicas", true),
    FS_END,
};

/* Where the namespace field also goes, besides metadata.namespace. */
static const struct ks_fieldspec ks_fs_namespace_extra[] = {
    FS("apiregistration.k8s.io", "", "APIService", "spec/service/namespace", true),
    FS("apiextensions.k8s.io", "", "CustomResourceDefinition",
       "spec/conversion/webhook/clientConfig/service/namespace", false),
    FS_END,
};

/*
 * kustomize decodes a kustomization strictly (YAML to JSON to Go structs): a label or
 * annotation value written as a number or a boolean is an error there, so here too.
 */
static int ks_check_strings(struct ks_ctx *c, const cJSON *map, const char *field, struct err *e)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, map) if (!cJSON_IsString(p)) return err_set(
	    e, TE_INPUT, "%s: %s: the value of %s must be a string (quote it)", c->file, field,
	    p->string);
	return 0;
}

/* Sets every pair of ctx (a mapping) into the mapping parent.key. */
static int ks_put_pairs(cJSON *parent, const char *key, void *ctx)
{
	const cJSON *pairs = ctx, *p;
	cJSON *m = ks_obj_child(parent, key);

	if (!m)
		return 0; /* not a mapping: kustomize leaves it alone */
	cJSON_ArrayForEach(p,
			   pairs) if (ks_set_str(m, p->string, p->valuestring) < 0) return TE_NOMEM;
	return 0;
}

int ks_apply_pairs(struct ks_ctx *c, struct ks_set *ra, const struct ks_fieldspec *fs,
		   const cJSON *pairs, const char *field, struct err *e)
{
	int rc;

	if (!pairs || cJSON_IsNull(pairs))
		return 0;
	if (!cJSON_IsObject(pairs))
		return err_set(e, TE_INPUT, "%s: %s must be a mapping", c->file, field);
	if ((rc = ks_check_strings(c, pairs, field, e)) < 0)
		return rc;
	for (size_t i = 0; i < ra->n; i++)
		if ((rc = ks_fs_apply(fs, ra->items[i].body, ks_put_pairs, (void *)pairs)) < 0)
			return err_set(e, rc, "%s: %s: cannot set on %s %s", c->file, field,
				       ks_kind(ra->items[i].body), ks_name(ra->items[i].body));
	return 0;
}

int ks_fieldspecs_read(const char *file, const char *field, const cJSON *fields, size_t base_n,
		       const struct ks_fieldspec *base, struct ks_fieldspec **out, struct err *e)
{
	size_t n = (size_t)cJSON_GetArraySize(fields), i = 0;
	struct ks_fieldspec *t;
	const cJSON *f;

	if (fields && !cJSON_IsNull(fields) && !cJSON_IsArray(fields))
		return err_set(e, TE_INPUT, "%s: %s must be a list", file, field);
	if (!(t = calloc(n + base_n + 1, sizeof(*t))))
		return err_set(e, TE_NOMEM, "out of memory");
	if (base_n)
		memcpy(t, base, base_n * sizeof(*t));
	i = base_n;
	cJSON_ArrayForEach(f, fields)
	{
		if (!json_str(f, "path", NULL)) {
			free(t);
			return err_set(e, TE_INPUT, "%s: %s: each field spec needs a path", file,
				       field);
		}
		t[i].group = json_str(f, "group", NULL);
		t[i].version = json_str(f, "version", NULL);
		t[i].kind = json_str(f, "kind", NULL);
		t[i].path = json_str(f, "path", NULL);
		t[i].create = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(f, "create"));
		i++;
	}
	*out = t;
	return 0;
}

size_t ks_fs_count(const struct ks_fieldspec *t)
{
	size_t n = 0;

	while (t && t[n].path)
		n++;
	return n;
}

/* Applies pairs with the builtin field specs base extended by the configurations'
 * section (and by fields, a labels entry's own specs, when given). */
static int ks_pairs_with(struct ks_ctx *c, struct ks_set *ra, const struct ks_fieldspec *base,
			 const char *section, const cJSON *fields, const cJSON *pairs,
			 const char *field, struct err *e)
{
	struct ks_fieldspec *cfg = NULL, *own = NULL;
	const struct ks_fieldspec *fs;
	int rc;

	if ((rc = ks_tconfig_specs(c->file, ra, section, base, &cfg, e)) < 0)
		return rc;
	fs = cfg ? cfg : base;
	if (cJSON_IsArray(fields) && (rc = ks_fieldspecs_read(c->file, "labels: fields", fields,
							      ks_fs_count(fs), fs, &own, e)) < 0)
		goto out;
	rc = ks_apply_pairs(c, ra, own ? own : fs, pairs, field, e);
out:
	free(own);
	free(cfg);
	return rc;
}

static int ks_labels(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(kust, "labels"), *l;
	int rc;

	if ((rc = ks_pairs_with(c, ra, ks_fs_common_labels, "commonLabels", NULL,
				cJSON_GetObjectItemCaseSensitive(kust, "commonLabels"),
				"commonLabels", e)) < 0)
		return rc;
	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return err_set(e, TE_INPUT, "%s: labels must be a list", c->file);
	cJSON_ArrayForEach(l, list)
	{
		const struct ks_fieldspec *fs = ks_fs_meta_labels;
		const char *section = "";

		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "includeSelectors"))) {
			fs = ks_fs_common_labels;
			section = "commonLabels";
		} else if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(l, "includeTemplates"))) {
			fs = ks_fs_template_labels;
			section = "templateLabels";
		}
		if ((rc = ks_pairs_with(
			 c, ra, fs, section, cJSON_GetObjectItemCaseSensitive(l, "fields"),
			 cJSON_GetObjectItemCaseSensitive(l, "pairs"), "labels", e)) < 0)
			return rc;
	}
	return 0;
}

static int ks_namespace_subjects(cJSON *body, const char *ns)
{
	cJSON *subjects = cJSON_GetObjectItemCaseSensitive(body, "subjects"), *s;
	const char *k = ks_kind(body);

	if (strcmp(k, "RoleBinding") != 0 && strcmp(k, "ClusterRoleBinding") != 0)
		return 0;
	cJSON_ArrayForEach(s, subjects)
	{
		const char *name = json_str(s, "name", NULL);

		if (cJSON_IsObject(s) && name && strcmp(name, "default") == 0 &&
		    ks_set_str(s, "namespace", ns) < 0)
			return TE_NOMEM;
	}
	return 0;
}

static int ks_set_leaf(cJSON *parent, const char *key, void *ctx)
{
	return ks_set_str(parent, key, ctx);
}

/* The namespace kustomize sets on every namespaced object, as the name of a Namespace
 * (for the namespace field, not the plugin) and on RoleBinding subjects named default;
 * also at the paths of extra. */
int ks_namespace_set(struct ks_ctx *c, struct ks_set *ra, const char *ns,
		     const struct ks_fieldspec *extra, bool field, struct err *e)
{
	for (size_t i = 0; i < ra->n; i++) {
		struct ks_res *r = &ra->items[i];
		char g[256], v[64];
		const char *kind = ks_kind(r->body);
		int rc = 0;

		ks_group_version(r->body, g, sizeof(g), v, sizeof(v));
		if (!ks_cluster_scoped(g, kind))
			rc = ks_res_rename(r, NULL, ns);
		else if (field && strcmp(kind, "Namespace") == 0)
			rc = ks_res_rename(r, ns, NULL);
		if (rc == 0)
			rc = ks_namespace_subjects(r->body, ns);
		if (rc == 0)
			rc = ks_fs_apply(extra, r->body, ks_set_leaf, (void *)ns);
		if (rc < 0)
			return err_set(e, rc, "%s: namespace: out of memory", c->file);
	}
	return 0;
}

static int ks_namespace(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	const char *ns = json_str(kust, "namespace", NULL);
	struct ks_fieldspec *cfg = NULL;
	int rc;

	if (!ns || !*ns)
		return 0;
	if ((rc = ks_tconfig_specs(c->file, ra, "namespace", ks_fs_namespace_extra, &cfg, e)) < 0)
		return rc;
	rc = ks_namespace_set(c, ra, ns, cfg ? cfg : ks_fs_namespace_extra, true, e);
	free(cfg);
	return rc;
}

int ks_affix_set(struct ks_ctx *c, struct ks_set *ra, const char *a, bool prefix,
		 const struct ks_fieldspec *only, struct err *e)
{
	for (size_t i = 0; i < ra->n; i++) {
		struct ks_res *r = &ra->items[i];
		char g[256], v[64], *name;
		const char *kind = ks_kind(r->body);
		int rc;

		ks_group_version(r->body, g, sizeof(g), v, sizeof(v));
		if (strcmp(kind, "CustomResourceDefinition") == 0 ||
		    strcmp(kind, "Namespace") == 0 ||
		    (strcmp(kind, "APIService") == 0 && strcmp(g, "apiregistration.k8s.io") == 0) ||
		    (only && !ks_fs_any(only, r->body)))
			continue;
		name = prefix ? xasprintf("%s%s", a, ks_name(r->body))
			      : xasprintf("%s%s", ks_name(r->body), a);
		rc = name ? ks_res_rename(r, name, NULL) : TE_NOMEM;
		free(name);
		if (rc == 0)
			rc = strlist_add(prefix ? &r->prefixes : &r->suffixes, a);
		if (rc < 0)
			return err_set(e, TE_NOMEM, "%s: out of memory", c->file);
	}
	return 0;
}

static int ks_affix(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, bool prefix,
		    struct err *e)
{
	const char *a = json_str(kust, prefix ? "namePrefix" : "nameSuffix", NULL);

	if (!a || !*a)
		return 0;
	return ks_affix_set(c, ra, a, prefix, NULL, e);
}

static int ks_set_count(cJSON *parent, const char *key, void *ctx)
{
	const cJSON *count = ctx;
	return json_object_set(parent, key, cJSON_CreateNumber(count->valuedouble));
}

int ks_replica_set(struct ks_ctx *c, struct ks_set *ra, const cJSON *it,
		   const struct ks_fieldspec *table, struct err *e)
{
	const char *name = json_str(it, "name", NULL);
	const cJSON *count = cJSON_GetObjectItemCaseSensitive(it, "count");
	bool found = false;

	if (!name || !cJSON_IsNumber(count))
		return err_set(e, TE_INPUT, "%s: replicas entries need a name and a count",
			       c->file);
	for (size_t i = 0; i < ra->n; i++) {
		struct ks_res *r = &ra->items[i];

		for (const struct ks_fieldspec *fs = table; fs->path; fs++) {
			if (!ks_fs_matches(fs, r->body) ||
			    !ks_res_any_id(r, NULL, NULL, name, NULL))
				continue;
			found = true;
			if (ks_fs_walk(r->body, fs->path, true, ks_set_count, (void *)count) < 0)
				return err_set(e, TE_NOMEM, "out of memory");
		}
	}
	if (!found && table == ks_fs_replicas)
		return err_set(e, TE_INPUT,
			       "%s: replicas: no Deployment, ReplicationController, "
			       "ReplicaSet or StatefulSet named %s",
			       c->file, name);
	if (!found)
		return err_set(e, TE_INPUT,
			       "%s: replicas: no object named %s matches the fieldSpecs", c->file,
			       name);
	return 0;
}

static int ks_replicas(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(kust, "replicas"), *it;
	struct ks_fieldspec *cfg = NULL;
	int rc = 0;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return err_set(e, TE_INPUT, "%s: replicas must be a list", c->file);
	if ((rc = ks_tconfig_specs(c->file, ra, "replicas", ks_fs_replicas, &cfg, e)) < 0)
		return rc;
	cJSON_ArrayForEach(it, list)
	{
		if ((rc = ks_replica_set(c, ra, it, cfg ? cfg : ks_fs_replicas, e)) < 0)
			break;
	}
	free(cfg);
	return rc;
}

int ks_transform(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	int rc;

	if ((rc = ks_patches(c, kust, "patchesStrategicMerge", ra, e)) < 0 ||
	    (rc = ks_patches(c, kust, "patches", ra, e)) < 0 ||
	    (rc = ks_namespace(c, kust, ra, e)) < 0 || (rc = ks_affix(c, kust, ra, true, e)) < 0 ||
	    (rc = ks_affix(c, kust, ra, false, e)) < 0 || (rc = ks_labels(c, kust, ra, e)) < 0 ||
	    (rc = ks_pairs_with(c, ra, ks_fs_annotations, "commonAnnotations", NULL,
				cJSON_GetObjectItemCaseSensitive(kust, "commonAnnotations"),
				"commonAnnotations", e)) < 0 ||
	    (rc = ks_patches(c, kust, "patchesJson6902", ra, e)) < 0 ||
	    (rc = ks_replicas(c, kust, ra, e)) < 0 || (rc = ks_images(c, kust, ra, e)) < 0)
		return rc;
	return 0;
}
