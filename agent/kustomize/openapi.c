/*
 * kustomize_openapi: the openapi field, a local OpenAPI (v2) schema file whose
 * x-kubernetes-patch-merge-key and x-kubernetes-patch-strategy tell strategic merge
 * patches how to merge the lists of custom kinds. As in kustomize the schema replaces
 * the built-in one for the rest of the build (kustomize keeps it as global state), so a
 * kind it does not describe has no merge keys. Fetching a schema (openapi.version, a
 * cluster's) is not done: only files in the repository are read.
 */
#include <stdlib.h>
#include <string.h>

#include "kustomize_int.h"

int ks_openapi_load(struct ks_ctx *c, const cJSON *kust, struct err *e)
{
	const cJSON *oa = cJSON_GetObjectItemCaseSensitive(kust, "openapi"), *f;
	const char *rel = json_str(oa, "path", NULL);
	struct buf data;
	char *path = NULL;
	cJSON *doc = NULL;
	int rc;

	if (!oa || cJSON_IsNull(oa))
		return 0;
	if (!cJSON_IsObject(oa))
		return err_set(e, TE_INPUT, "%s: openapi must be a mapping", c->file);
	cJSON_ArrayForEach(f, oa)
	{
		if (strcmp(f->string, "path") != 0)
			return err_set(
			    e, TE_INPUT,
			    "%s: field openapi.%s is not supported by tether's kustomize "
			    "(only openapi.path, a schema file in the repository)",
			    c->file, f->string);
	}
	if (!rel || !*rel)
		return err_set(e, TE_INPUT, "%s: openapi.path must name a schema file", c->file);
	buf_init(&data, MANIFEST_MAX_FILE);
	if ((rc = ks_read_rel(c, "openapi", rel, &path, &data, e)) < 0 ||
	    (rc = yaml_to_json(path, KS_TEXT(data), data.len, &doc, e)) < 0)
		goto out;
	if (!cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(doc, "definitions"))) {
		rc = err_set(e, TE_INPUT,
			     "%s: openapi: %s has no definitions (an OpenAPI v2 schema)", c->file,
			     path);
		goto out;
	}
	cJSON_Delete(c->openapi);
	c->openapi = doc;
	doc = NULL;
out:
	cJSON_Delete(doc);
	buf_dispose(&data);
	free(path);
	return rc;
}
