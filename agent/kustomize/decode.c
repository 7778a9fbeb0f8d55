/*
 * kustomize_decode: field names of a kustomization as kustomize reads them. kustomize
 * turns the YAML into JSON (a map: keys sorted bytewise) and decodes that with
 * encoding/json, which matches a key to a field exactly or else ignoring ASCII case
 * (patchesJSON6902, PatchesJson6902 and patchesJson6902 are one field), lets a later
 * key overwrite an earlier one, and refuses keys that are no field. This rewrites the
 * keys to kustomize's spelling in place, so the rest of the build reads one name.
 * The keys of maps (commonLabels, ...) are data and stay as written.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "kustomize_int.h"

/* A field of one of kustomize's types; sub: the fields of a struct (or of the
 * elements of a list of structs) it holds, NULL for scalars, maps and opaque values. */
struct ks_jfield {
	const char *name;
	const struct ks_jfield *sub;
};

static const struct ks_jfield ks_j_gvk_fieldspec[] = {
    {"group", NULL}, {"version", NULL}, {"kind", NULL},
    {"path", NULL},  {"create", NULL},	{NULL, NULL},
};
static const struct ks_jfield ks_j_selector[] = {
    {"group", NULL},	     {"version", NULL},	  {"kind", NULL},
    {"name", NULL},	     {"namespace", NULL}, {"annotationSelector", NULL},
    {"labelSelector", NULL}, {NULL, NULL},
};
static const struct ks_jfield ks_j_patch[] = {
    {"path", NULL}, {"patch", NULL}, {"target", ks_j_selector}, {"options", NULL}, {NULL, NULL},
};
static const struct ks_jfield ks_j_image[] = {
    {"name", NULL},   {"newName", NULL},   {"newTag", NULL},
    {"digest", NULL}, {"tagSuffix", NULL}, {NULL, NULL},
};
static const struct ks_jfield ks_j_replica[] = {{"name", NULL}, {"count", NULL}, {NULL, NULL}};
static const struct ks_jfield ks_j_label[] = {
    {"pairs", NULL},
    {"includeSelectors", NULL},
    {"includeTemplates", NULL},
    {"fields", ks_j_gvk_fieldspec},
    {NULL, NULL},
};
static const struct ks_jfield ks_j_genopts[] = {
    {"labels", NULL},	 {"annotations", NULL}, {"disableNameSuffixHash", NULL},
    {"immutable", NULL}, {NULL, NULL},
};
static const struct ks_jfield ks_j_configmap[] = {
    {"namespace", NULL}, {"name", NULL}, {"behavior", NULL}, {"literals", NULL},
    {"files", NULL},	 {"envs", NULL}, {"env", NULL},	     {"options", ks_j_genopts},
    {NULL, NULL},
};
static const struct ks_jfield ks_j_secret[] = {
    {"namespace", NULL}, {"name", NULL}, {"behavior", NULL}, {"literals", NULL},
    {"files", NULL},	 {"envs", NULL}, {"env", NULL},	     {"options", ks_j_genopts},
    {"type", NULL},	 {NULL, NULL},
};
static const struct ks_jfield ks_j_legacy_sort[] = {
    {"orderFirst", NULL}, {"orderLast", NULL}, {NULL, NULL}};
static const struct ks_jfield ks_j_sort[] = {
    {"order", NULL},
    {"legacySortOptions", ks_j_legacy_sort},
    {NULL, NULL},
};
static const struct ks_jfield ks_j_meta[] = {
    {"name", NULL}, {"namespace", NULL}, {"labels", NULL}, {"annotations", NULL}, {NULL, NULL},
};

/* Replacements written in the kustomization (a path: file is read leniently, as
 * kustomize reads it) and vars. */
static const struct ks_jfield ks_j_fieldopts[] = {
    {"delimiter", NULL}, {"index", NULL}, {"encoding", NULL}, {"create", NULL}, {NULL, NULL},
};
static const struct ks_jfield ks_j_repl_source[] = {
    {"group", NULL},
    {"version", NULL},
    {"kind", NULL},
    {"name", NULL},
    {"namespace", NULL},
    {"fieldPath", NULL},
    {"options", ks_j_fieldopts},
    {NULL, NULL},
};
static const struct ks_jfield ks_j_repl_target[] = {
    {"select", ks_j_selector},
    {"reject", ks_j_selector},
    {"fieldPaths", NULL},
    {"options", ks_j_fieldopts},
    {NULL, NULL},
};
static const struct ks_jfield ks_j_replacement[] = {
    {"path", NULL},
    {"source", ks_j_repl_source},
    {"targets", ks_j_repl_target},
    {NULL, NULL},
};
static const struct ks_jfield ks_j_objref[] = {
    {"apiVersion", NULL}, {"group", NULL},     {"version", NULL}, {"kind", NULL},
    {"name", NULL},	  {"namespace", NULL}, {NULL, NULL},
};
static const struct ks_jfield ks_j_fieldref[] = {{"fieldPath", NULL}, {NULL, NULL}};
static const struct ks_jfield ks_j_var[] = {
    {"name", NULL},
    {"objref", ks_j_objref},
    {"fieldref", ks_j_fieldref},
    {NULL, NULL},
};

/* Every field of kustomize's Kustomization type. Those without sub-fields here
 * (helm, ...) are read, or refused, by their own code. */
static const struct ks_jfield ks_j_kustomization[] = {
    {"apiVersion", NULL},
    {"kind", NULL},
    {"metadata", ks_j_meta},
    {"openapi", NULL},
    {"namePrefix", NULL},
    {"nameSuffix", NULL},
    {"namespace", NULL},
    {"commonLabels", NULL},
    {"labels", ks_j_label},
    {"commonAnnotations", NULL},
    {"patchesStrategicMerge", NULL},
    {"patchesJson6902", ks_j_patch},
    {"patches", ks_j_patch},
    {"images", ks_j_image},
    {"imageTags", ks_j_image},
    {"replacements", ks_j_replacement},
    {"replicas", ks_j_replica},
    {"vars", ks_j_var},
    {"sortOptions", ks_j_sort},
    {"resources", NULL},
    {"components", NULL},
    {"crds", NULL},
    {"bases", NULL},
    {"configMapGenerator", ks_j_configmap},
    {"secretGenerator", ks_j_secret},
    {"helmGlobals", NULL},
    {"helmCharts", NULL},
    {"helmChartInflationGenerator", NULL},
    {"generatorOptions", ks_j_genopts},
    {"configurations", NULL},
    {"generators", NULL},
    {"transformers", NULL},
    {"validators", NULL},
    {"inventory", NULL},
    {"buildMetadata", NULL},
    {NULL, NULL},
};

static const struct ks_jfield ks_j_nameref[] = {
    {"group", NULL}, {"version", NULL}, {"kind", NULL}, {"fieldSpecs", ks_j_gvk_fieldspec},
    {NULL, NULL},
};

/* kustomize's TransformerConfig, the configurations files. */
static const struct ks_jfield ks_j_tconfig[] = {
    {"namePrefix", ks_j_gvk_fieldspec},
    {"nameSuffix", ks_j_gvk_fieldspec},
    {"namespace", ks_j_gvk_fieldspec},
    {"commonLabels", ks_j_gvk_fieldspec},
    {"labels", ks_j_gvk_fieldspec},
    {"templateLabels", ks_j_gvk_fieldspec},
    {"commonAnnotations", ks_j_gvk_fieldspec},
    {"nameReference", ks_j_nameref},
    {"varReference", ks_j_gvk_fieldspec},
    {"images", ks_j_gvk_fieldspec},
    {"replicas", ks_j_gvk_fieldspec},
    {NULL, NULL},
};

/* The field key names: its exact spelling first, else one differing in case only. */
static const struct ks_jfield *ks_jfield_find(const struct ks_jfield *t, const char *key)
{
	for (const struct ks_jfield *f = t; f->name; f++)
		if (strcmp(f->name, key) == 0)
			return f;
	for (const struct ks_jfield *f = t; f->name; f++)
		if (strcasecmp(f->name, key) == 0)
			return f;
	return NULL;
}

/* A member of an object and its place, so a key written twice keeps its order. */
struct ks_jmember {
	cJSON *item;
	size_t idx;
};

static int ks_jkey_cmp(const void *pa, const void *pb)
{
	const struct ks_jmember *a = pa, *b = pb;
	int c = strcmp(a->item->string, b->item->string);

	if (c)
		return c;
	return a->idx < b->idx ? -1 : 1;
}

static int ks_jnorm(const char *file, const char *where, cJSON *obj, const struct ks_jfield *t,
		    bool strict, struct err *e);

/* Normalises the sub-fields of a value: a struct, or each struct of a list. */
static int ks_jnorm_value(const char *file, const char *where, cJSON *v,
			  const struct ks_jfield *sub, struct err *e)
{
	char at[512];
	int i = 0, rc;
	cJSON *it;

	if (cJSON_IsObject(v))
		return ks_jnorm(file, where, v, sub, true, e);
	if (!cJSON_IsArray(v))
		return 0;
	cJSON_ArrayForEach(it, v)
	{
		snprintf(at, sizeof(at), "%s[%d]", where, i++);
		if (cJSON_IsObject(it) && (rc = ks_jnorm(file, at, it, sub, true, e)) < 0)
			return rc;
	}
	return 0;
}

/* Puts the detached member v back into obj under name. As encoding/json does, a null
 * leaves a string, number or boolean alone but clears a list or a struct. */
static int ks_jput(cJSON *obj, cJSON *v, const char *name, struct err *e)
{
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (old && cJSON_IsNull(v) && !cJSON_IsArray(old) && !cJSON_IsObject(old) &&
	    !cJSON_IsNull(old)) {
		cJSON_Delete(v);
		return 0;
	}
	if (old)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, name);
	if (!cJSON_AddItemToObject(obj, name, v)) {
		cJSON_Delete(v);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	return 0;
}

/* Puts back the member m->item of obj (detached) under its field's name and
 * normalises what it holds. */
static int ks_jmember_put(const char *file, const char *where, cJSON *obj, cJSON *v,
			  const struct ks_jfield *f, struct err *e)
{
	char at[512];
	int rc;

	if (!f) /* not a field, kept as written for the caller to judge */
		return ks_jput(obj, v, v->string, e);
	if ((rc = ks_jput(obj, v, f->name, e)) < 0 || !f->sub)
		return rc;
	snprintf(at, sizeof(at), "%s%s%s", where, where[0] ? "." : "", f->name);
	return ks_jnorm_value(file, at, cJSON_GetObjectItemCaseSensitive(obj, f->name), f->sub, e);
}

/* Rewrites the keys of obj (fields t) in the order kustomize decodes them; strict:
 * a key that is no field is an error, else it stays for the caller to judge. */
static int ks_jnorm(const char *file, const char *where, cJSON *obj, const struct ks_jfield *t,
		    bool strict, struct err *e)
{
	size_t n = (size_t)cJSON_GetArraySize(obj), i = 0;
	struct ks_jmember *m;
	cJSON *it;
	int rc = 0;

	if (n == 0)
		return 0;
	if (!(m = calloc(n, sizeof(*m))))
		return err_set(e, TE_NOMEM, "out of memory");
	cJSON_ArrayForEach(it, obj)
	{
		m[i].item = it;
		m[i].idx = i;
		i++;
	}
	qsort(m, n, sizeof(*m), ks_jkey_cmp);
	for (i = 0; i < n; i++)
		cJSON_DetachItemViaPointer(obj, m[i].item);
	for (i = 0; i < n; i++) {
		const struct ks_jfield *f = ks_jfield_find(t, m[i].item->string);

		if (rc == 0 && !f && strict)
			rc = err_set(e, TE_INPUT, "%s: %s: unknown field %s", file, where,
				     m[i].item->string);
		if (rc == 0)
			rc = ks_jmember_put(file, where, obj, m[i].item, f, e);
		else
			cJSON_Delete(m[i].item);
	}
	free(m);
	return rc;
}

int ks_decode_kustomization(const char *file, cJSON *kust, struct err *e)
{
	if (!cJSON_IsObject(kust))
		return 0;
	return ks_jnorm(file, "", kust, ks_j_kustomization, false, e);
}

int ks_decode_tconfig(const char *file, cJSON *doc, struct err *e)
{
	if (!cJSON_IsObject(doc))
		return 0;
	return ks_jnorm(file, "", doc, ks_j_tconfig, false, e);
}
