/*
 * crd_structural: the rules a CRD's openAPIV3Schema must follow to be structural
 * (apiextensions-apiserver pkg/apiserver/schema/validation.go validateStructuralInvariants,
 * and the uniqueItems rule of the CRD validation). Like ValidateStructural, the errors
 * are sorted by their text, so the message does not depend on map order.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd_schema_int.h"

enum level { ROOT, ITEMS, FIELD };

struct serr {
	char *text; /* "field: body": the sort key */
	size_t flen;
	const char *reason;
};

struct scheck {
	struct path p;
	struct serr *errs;
	size_t n, cap;
};

static void serr_add(struct scheck *c, const char *child, const char *reason, const char *body)
{
	size_t was = crd_path_push(&c->p, child, -1);

	if (c->n == c->cap) {
		struct serr *grown;

		c->cap = c->cap ? c->cap * 2 : 8;
		grown = calloc(c->cap, sizeof(*grown));
		if (!grown)
			abort();
		if (c->n)
			memcpy(grown, c->errs, c->n * sizeof(*grown));
		free(c->errs);
		c->errs = grown;
	}
	if (asprintf(&c->errs[c->n].text, "%s: %s", c->p.s, body) < 0)
		abort();
	c->errs[c->n].flen = c->p.len;
	c->errs[c->n++].reason = reason;
	crd_path_pop(&c->p, was);
}

static bool flag_true(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(o, key));
}

static void check_node(const cJSON *s, struct scheck *c, enum level lvl);

static void check_children(const cJSON *s, struct scheck *c)
{
	const cJSON *it = cJSON_GetObjectItem(s, "items"), *p;
	size_t was;

	if (cJSON_IsObject(it)) {
		was = crd_path_push(&c->p, "items", -1);
		check_node(it, c, ITEMS);
		crd_path_pop(&c->p, was);
	}
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(s, "properties"))
	{
		char key[300];

		snprintf(key, sizeof(key), "properties[%s]", p->string);
		was = crd_path_push(&c->p, key, -1);
		check_node(p, c, FIELD);
		crd_path_pop(&c->p, was);
	}
	if (cJSON_IsObject((it = cJSON_GetObjectItem(s, "additionalProperties")))) {
		was = crd_path_push(&c->p, "additionalProperties", -1);
		check_node(it, c, FIELD);
		crd_path_pop(&c->p, was);
	}
}

static void check_type(const cJSON *s, struct scheck *c, enum level lvl, const char *type)
{
	static const char *const empty[] = {"Required value: must not be empty at the root",
					    "Required value: must not be empty for specified array items",
					    "Required value: must not be empty for specified object fields"};
	char body[200];

	if (flag_true(s, "x-kubernetes-embedded-resource") && strcmp(type, "object") != 0) {
		if (*type)
			snprintf(body, sizeof(body),
				 "Invalid value: \"%s\": must be object if "
				 "x-kubernetes-embedded-resource is true",
				 type);
		serr_add(c, "type", *type ? "FieldValueInvalid" : "FieldValueRequired",
			 *type ? body
			       : "Required value: must be object if x-kubernetes-embedded-resource is "
				 "true");
	} else if (!*type && !flag_true(s, "x-kubernetes-int-or-string") &&
		   !flag_true(s, "x-kubernetes-preserve-unknown-fields"))
		serr_add(c, "type", "FieldValueRequired", empty[lvl]);
	if (lvl == ROOT && *type && strcmp(type, "object") != 0) {
		snprintf(body, sizeof(body), "Invalid value: \"%s\": must be object at the root", type);
		serr_add(c, "type", "FieldValueInvalid", body);
	}
}

/* kind and apiVersion strings, metadata an object, at the root and in embedded resources;
 * the root's metadata may restrict name and generateName only. */
static void check_meta(const cJSON *s, struct scheck *c, enum level lvl)
{
	static const char *const keys[] = {"kind", "apiVersion", "metadata"};
	const cJSON *props = cJSON_GetObjectItem(s, "properties"), *md, *p;
	char child[64], body[200];

	for (int i = 0; i < 3; i++) {
		const cJSON *f = cJSON_GetObjectItem(props, keys[i]);
		const char *t = cJSON_GetStringValue(cJSON_GetObjectItem(f, "type"));
		const char *want = i < 2 ? "string" : "object";

		if (!f || (t && strcmp(t, want) == 0))
			continue;
		snprintf(child, sizeof(child), "properties[%s].type", keys[i]);
		snprintf(body, sizeof(body), "Invalid value: \"%s\": must be %s", t ? t : "", want);
		serr_add(c, child, "FieldValueInvalid", body);
	}
	if (lvl != ROOT || !(md = cJSON_GetObjectItem(props, "metadata")))
		return;
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(md, "properties"))
	{
		if (strcmp(p->string, "name") != 0 && strcmp(p->string, "generateName") != 0) {
			serr_add(c, "properties[metadata]", "FieldValueForbidden",
				 "Forbidden: must not specify anything other than name and "
				 "generateName, but metadata is implicitly specified");
			return;
		}
	}
}

static void check_extensions(const cJSON *s, struct scheck *c, enum level lvl)
{
	bool ios = flag_true(s, "x-kubernetes-int-or-string");
	bool embedded = flag_true(s, "x-kubernetes-embedded-resource");

	if (ios && flag_true(s, "x-kubernetes-preserve-unknown-fields"))
		serr_add(c, "x-kubernetes-preserve-unknown-fields", "FieldValueInvalid",
			 "Invalid value: true: must be false if x-kubernetes-int-or-string is true");
	if (ios && embedded)
		serr_add(c, "x-kubernetes-embedded-resource", "FieldValueInvalid",
			 "Invalid value: true: must be false if x-kubernetes-int-or-string is true");
	if (lvl == ROOT && cJSON_GetObjectItem(s, "additionalProperties"))
		serr_add(c, "additionalProperties", "FieldValueForbidden",
			 "Forbidden: must not be used at the root");
	if (embedded && cJSON_GetObjectItem(s, "additionalProperties"))
		serr_add(c, "additionalProperties", "FieldValueForbidden",
			 "Forbidden: must not be used if x-kubernetes-embedded-resource is set");
	if (embedded && !flag_true(s, "x-kubernetes-preserve-unknown-fields") &&
	    cJSON_GetArraySize(cJSON_GetObjectItem(s, "properties")) == 0)
		serr_add(c, "properties", "FieldValueRequired",
			 "Required value: must not be empty if x-kubernetes-embedded-resource is "
			 "true without x-kubernetes-preserve-unknown-fields");
}

static void check_node(const cJSON *s, struct scheck *c, enum level lvl)
{
	const char *type = cJSON_GetStringValue(cJSON_GetObjectItem(s, "type"));

	type = type ? type : "";
	if (strcmp(type, "array") == 0 && !cJSON_IsObject(cJSON_GetObjectItem(s, "items")))
		serr_add(c, "items", "FieldValueRequired", "Required value: must be specified");
	if (flag_true(s, "uniqueItems"))
		serr_add(c, "uniqueItems", "FieldValueForbidden",
			 "Forbidden: uniqueItems cannot be set to true since the runtime complexity "
			 "becomes quadratic");
	check_children(s, c);
	check_extensions(s, c, lvl);
	check_type(s, c, lvl, type);
	if (lvl == ROOT || flag_true(s, "x-kubernetes-embedded-resource"))
		check_meta(s, c, lvl);
}

static int serr_cmp(const void *a, const void *b)
{
	return strcmp(((const struct serr *)a)->text, ((const struct serr *)b)->text);
}

void crd_schema_check_crd(const cJSON *spec, struct field_errs *v)
{
	const cJSON *ver;
	long i = 0;

	cJSON_ArrayForEach(ver, cJSON_GetObjectItem(spec, "versions"))
	{
		const cJSON *s =
		    cJSON_GetObjectItem(cJSON_GetObjectItem(ver, "schema"), "openAPIV3Schema");
		struct scheck c = {0};

		if (cJSON_IsObject(s)) {
			snprintf(c.p.s, sizeof(c.p.s), "spec.versions[%ld].schema.openAPIV3Schema", i);
			c.p.len = strlen(c.p.s);
			check_node(s, &c, ROOT);
		}
		if (c.n > 1) /* qsort's base may not be NULL, even for no errors */
			qsort(c.errs, c.n, sizeof(*c.errs), serr_cmp);
		for (size_t k = 0; k < c.n; k++) {
			c.errs[k].text[c.errs[k].flen] = '\0';
			field_err(v, c.errs[k].text, c.errs[k].reason, "%s",
				  c.errs[k].text + c.errs[k].flen + 2);
			free(c.errs[k].text);
		}
		free(c.errs);
		i++;
	}
}
