/*
 * validate_meta: ObjectMeta as ValidateObjectMetaAccessor checks it (apimachinery
 * pkg/api/validation/objectmeta.go): the name rule of each kind, generateName with its
 * trailing '-' masked, label keys and values, annotation keys and their 256 KiB total,
 * finalizer names.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "validate_int.h"

#define ANNOTATIONS_MAX 262144

/* The name rule per kind (pkg/apis/<group>/validation Validate<Kind>Name). */
static enum name_rule name_rule_of(const struct restype *rt)
{
	if (rt->custom)
		return NAME_SUBDOMAIN;
	if (strcmp(rt->group, "rbac.authorization.k8s.io") == 0 ||
	    strcmp(rt->group, "apiregistration.k8s.io") == 0)
		return NAME_PATH;
	if (!*rt->group && strcmp(rt->resource, "namespaces") == 0)
		return NAME_LABEL;
	if (!*rt->group && strcmp(rt->resource, "services") == 0)
		return NAME_DNS1035;
	return NAME_SUBDOMAIN;
}

static void check_names(struct field_errs *v, const struct restype *rt, const cJSON *meta)
{
	const char *gen = obj_str(meta, "generateName", NULL), *name = obj_str(meta, "name", NULL);
	enum name_rule rule = name_rule_of(rt);

	if (gen && *gen) {
		char masked[300];
		size_t n = strlen(gen);

		/* maskTrailingDash: "web-" is checked as "web"; one '-' alone stays */
		snprintf(masked, sizeof(masked), "%.*s", (int)(n > 1 && gen[n - 1] == '-' ? n - 1 : n),
			 gen);
		valid_name(v, "metadata.generateName", rule, masked, gen);
	}
	if (name && *name)
		valid_name(v, "metadata.name", rule, name, NULL);
}

void validate_labels(struct field_errs *v, const char *field, const cJSON *labels)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, labels)
	{
		valid_qualified(v, field, it->string, it->string);
		if (cJSON_IsString(it))
			valid_label_value(v, field, it->valuestring);
	}
}

/* Keys are qualified names once lowercased; keys and values together <= 256 KiB. */
static void check_annotations(struct field_errs *v, const cJSON *ann)
{
	size_t total = 0;
	const cJSON *it;

	cJSON_ArrayForEach(it, ann)
	{
		char lower[400];
		size_t i;

		for (i = 0; it->string[i] && i + 1 < sizeof(lower); i++)
			lower[i] = (char)tolower((unsigned char)it->string[i]);
		lower[i] = '\0';
		valid_qualified(v, "metadata.annotations", lower, it->string);
		total += strlen(it->string) + (cJSON_IsString(it) ? strlen(it->valuestring) : 0);
	}
	if (total > ANNOTATIONS_MAX)
		field_err(v, "metadata.annotations", "FieldValueTooLong",
			  "Too long: may not be more than %d bytes", ANNOTATIONS_MAX);
}

static void check_finalizers(struct field_errs *v, const cJSON *fin)
{
	bool orphan = false, foreground = false;
	const cJSON *it;

	cJSON_ArrayForEach(it, fin)
	{
		if (!cJSON_IsString(it))
			continue;
		valid_qualified(v, "metadata.finalizers", it->valuestring, it->valuestring);
		orphan |= strcmp(it->valuestring, "orphan") == 0;
		foreground |= strcmp(it->valuestring, "foregroundDeletion") == 0;
	}
	if (orphan && foreground) {
		char list[600];
		size_t len = 0;

		list[0] = '\0';
		cJSON_ArrayForEach(it, fin)
		{
			if (cJSON_IsString(it) && len < sizeof(list))
				len += snprintf(list + len, sizeof(list) - len, "%s\"%s\"",
						len ? ", " : "", it->valuestring);
		}
		field_err(v, "metadata.finalizers", "FieldValueInvalid",
			  "Invalid value: []string{%s}: finalizer orphan and foregroundDeletion "
			  "cannot be both set",
			  list);
	}
}

void validate_meta(struct field_errs *v, const struct restype *rt, const cJSON *meta,
		   bool create)
{
	if (create)
		check_names(v, rt, meta);
	validate_labels(v, "metadata.labels", cJSON_GetObjectItem(meta, "labels"));
	check_annotations(v, cJSON_GetObjectItem(meta, "annotations"));
	check_finalizers(v, cJSON_GetObjectItem(meta, "finalizers"));
}
