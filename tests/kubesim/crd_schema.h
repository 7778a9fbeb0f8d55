/*
 * crd_schema: a CRD version's structural schema (openAPIV3Schema), compiled once when
 * the CRD is stored into a tree that custom resources are pruned, defaulted and
 * validated against (apiextensions-apiserver's schema, pruning, defaulting and
 * validation packages) with the real field paths and messages. Nothing here parses
 * JSON schema per request.
 */
#ifndef KUBESIM_CRD_SCHEMA_H
#define KUBESIM_CRD_SCHEMA_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "field_err.h"

struct crd_schema;

/* The compiled schema (NULL for none: any content). */
struct crd_schema *crd_schema_compile(const cJSON *openapi);
/* Links cs before older (the chain a type keeps until the store goes); returns the head. */
struct crd_schema *crd_schema_chain(struct crd_schema *cs, struct crd_schema *older);
/* Frees cs and every schema chained after it. */
void crd_schema_free_all(struct crd_schema *cs);
/* Whether cs was compiled from this very schema (NULL cs: from none). */
bool crd_schema_same(const struct crd_schema *cs, const cJSON *openapi);
/* Whether any node declares a default (reads must then be defaulted too). */
bool crd_schema_has_defaults(const struct crd_schema *cs);

/* Removes from obj (a whole custom resource) every field the schema does not describe;
 * each removed path ("spec.foo") is appended to unknown as `unknown field "spec.foo"`
 * messages separated by ", " (may be NULL). Returns how many were removed. */
int crd_schema_prune(const struct crd_schema *cs, cJSON *obj, char **unknown);
/* Applies the schema's defaults to obj; returns how many values were set. */
int crd_schema_default(const struct crd_schema *cs, cJSON *obj);
/* Adds one field error per violation of the schema by obj. On an update old is the
 * stored object: values that did not change are not held against it (ratcheting). */
void crd_schema_validate(const struct crd_schema *cs, const cJSON *obj, const cJSON *old,
			 struct field_errs *v);

/* Whether a server-side apply body converts to the typed object the schema describes;
 * if not, out gets structured-merge-diff's message (".spec.x: field not declared in
 * schema", ".spec.n: expected numeric (int or float), got string"). */
bool crd_schema_apply_ok(const struct crd_schema *cs, const cJSON *config, char *out, size_t n);

/* The structural-schema rules a CRD's spec.versions[].schema must follow (apiextensions
 * validation): errors under spec.versions[i].schema.openAPIV3Schema. */
void crd_schema_check_crd(const cJSON *spec, struct field_errs *v);

#endif
