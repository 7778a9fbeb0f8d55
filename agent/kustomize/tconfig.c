/*
 * kustomize_tconfig: the configurations field, kustomize's transformer configuration
 * files. Each adds field specs to those of the builtin transformers (commonLabels,
 * commonAnnotations, namespace, images, replicas, ...) and name references for custom
 * kinds. As in kustomize, a kustomization's configuration is its own files merged with
 * those of everything it builds on (resources and components), and applies to its own
 * transformers and to everything built on it; name references are fixed at the end
 * with all of them. The sections tether does not implement are refused, naming the
 * file and the section.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

/* Sections of a transformer configuration tether applies. */
static const char *const ks_tc_sections[] = {
    "commonLabels", "templateLabels", "commonAnnotations", "namespace",
    "images",	    "replicas",	      "nameReference",	   "varReference",
};

/* Sections kustomize has that tether does not apply. */
static const char *const ks_tc_refused[] = {"namePrefix", "nameSuffix", "labels"};

#define KS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

static bool ks_tc_in(const char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], s) == 0)
			return true;
	return false;
}

/* Appends the entries of every section of src to the same section of *dst. */
int ks_tconfig_merge(cJSON **dst, const cJSON *src)
{
	const cJSON *sec, *it;

	if (!src)
		return 0;
	if (!*dst && !(*dst = cJSON_CreateObject()))
		return TE_NOMEM;
	cJSON_ArrayForEach(sec, src)
	{
		cJSON *to = cJSON_GetObjectItemCaseSensitive(*dst, sec->string);

		if (!to && (!(to = cJSON_CreateArray()) ||
			    !cJSON_AddItemToObject(*dst, sec->string, to))) {
			cJSON_Delete(to);
			return TE_NOMEM;
		}
		cJSON_ArrayForEach(it, sec)
		{
			cJSON *copy = cJSON_Duplicate(it, true);

			if (!copy || !cJSON_AddItemToArray(to, copy)) {
				cJSON_Delete(copy);
				return TE_NOMEM;
			}
		}
	}
	return 0;
}

/* Checks one configuration (file: its origin) before it is merged. */
static int ks_tc_check(const char *file, const cJSON *doc, struct err *e)
{
	const cJSON *sec, *it;

	if (cJSON_IsNull(doc))
		return 0;
	if (!cJSON_IsObject(doc))
		return err_set(e, TE_INPUT, "%s: a transformer configuration must be a mapping",
			       file);
	cJSON_ArrayForEach(sec, doc)
	{
		if (ks_tc_in(ks_tc_refused, KS_NELEM(ks_tc_refused), sec->string))
			return err_set(e, TE_INPUT,
				       "%s: configurations: field %s is not supported by tether's "
				       "kustomize",
				       file, sec->string);
		if (!ks_tc_in(ks_tc_sections, KS_NELEM(ks_tc_sections), sec->string))
			return err_set(
			    e, TE_INPUT,
			    "%s: configurations: unknown transformer configuration field %s", file,
			    sec->string);
		if (!cJSON_IsArray(sec) && !cJSON_IsNull(sec))
			return err_set(e, TE_INPUT, "%s: configurations: %s must be a list", file,
				       sec->string);
		cJSON_ArrayForEach(it, sec) if (!cJSON_IsObject(it)) return err_set(
		    e, TE_INPUT, "%s: configurations: %s entries must be mappings", file,
		    sec->string);
	}
	return 0;
}

/* Parses, decodes, checks and merges one configuration text into ra. */
static int ks_tc_add(const char *file, const char *data, size_t len, struct ks_set *ra,
		     struct err *e)
{
	cJSON *doc = NULL;
	int rc;

	if ((rc = yaml_to_json(file, data, len, &doc, e)) < 0 ||
	    (rc = ks_decode_tconfig(file, doc, e)) < 0 || (rc = ks_tc_check(file, doc, e)) < 0)
		goto out;
	if (cJSON_IsObject(doc) && (rc = ks_tconfig_merge(&ra->tconfig, doc)) < 0)
		err_set(e, rc, "%s: out of memory", file);
out:
	cJSON_Delete(doc);
	return rc;
}

/* One configurations entry: a file (kubectl's kustomize reads no inline ones). */
static int ks_tc_entry(struct ks_ctx *c, const char *entry, struct ks_set *ra, struct err *e)
{
	struct buf data;
	char *path = NULL;
	int rc;

	buf_init(&data, MANIFEST_MAX_FILE);
	if ((rc = ks_read_rel(c, "configurations", entry, &path, &data, e)) == 0)
		rc = ks_tc_add(path, KS_TEXT(data), data.len, ra, e);
	buf_dispose(&data);
	free(path);
	return rc;
}

int ks_tconfig_load(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	return ks_each_entry(c, kust, "configurations", ks_tc_entry, ra, e);
}

int ks_tconfig_specs(const char *file, const struct ks_set *ra, const char *section,
		     const struct ks_fieldspec *base, struct ks_fieldspec **out, struct err *e)
{
	const cJSON *extra = cJSON_GetObjectItemCaseSensitive(ra->tconfig, section);

	*out = NULL;
	if (cJSON_GetArraySize(extra) == 0)
		return 0;
	return ks_fieldspecs_read(file, section, extra, ks_fs_count(base), base, out, e);
}
