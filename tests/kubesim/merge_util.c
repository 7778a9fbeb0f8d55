/*
 * merge_util: equality, no-op detection, template normalisation and the error helper
 * shared by the merge library.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "merge.h"
#include "schema_fieldset.h"

int merge_fail(struct merge_err *e, int status, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (e && !e->msg[0]) {
		e->status = status;
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
		va_start(ap, fmt);
		vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
		va_end(ap);
	}
	return status >= 500 ? MERGE_ENOMEM : MERGE_EINVAL;
}

bool merge_equal(const cJSON *a, const cJSON *b)
{
	const cJSON *c;

	if (!a || !b)
		return a == b;
	if ((a->type & 0xFF) != (b->type & 0xFF))
		return false;
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble ||
		       fabs(a->valuedouble - b->valuedouble) < 1e-9;
	if (cJSON_IsString(a))
		return !strcmp(a->valuestring, b->valuestring);
	if (cJSON_IsArray(a)) {
		const cJSON *d = b->child;
		for (c = a->child; c && d; c = c->next, d = d->next)
			if (!merge_equal(c, d))
				return false;
		return !c && !d;
	}
	if (cJSON_IsObject(a)) {
		if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
			return false;
		for (c = a->child; c; c = c->next)
			if (!merge_equal(c, cJSON_GetObjectItemCaseSensitive(b, c->string)))
				return false;
		return true;
	}
	return true; /* null, true, false */
}

/* A copy of obj without resourceVersion and managedFields timestamps. */
static cJSON *comparable(const cJSON *obj)
{
	cJSON *c = cJSON_Duplicate(obj, true);
	cJSON *md = cJSON_GetObjectItemCaseSensitive(c, "metadata");
	cJSON *mf = cJSON_GetObjectItemCaseSensitive(md, "managedFields"), *e;

	cJSON_DeleteItemFromObjectCaseSensitive(md, "resourceVersion");
	cJSON_ArrayForEach(e, mf) cJSON_DeleteItemFromObjectCaseSensitive(e, "time");
	return c;
}

bool merge_objects_differ(const cJSON *a, const cJSON *b)
{
	cJSON *ca = comparable(a), *cb = comparable(b);
	bool differ = !merge_equal(ca, cb);

	cJSON_Delete(ca);
	cJSON_Delete(cb);
	return differ;
}

void merge_drop_nulls(cJSON *v)
{
	cJSON *c, *next;

	if (!v)
		return;
	for (c = v->child; c; c = next) {
		next = c->next;
		if (cJSON_IsNull(c) && cJSON_IsObject(v))
			cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
		else
			merge_drop_nulls(c);
	}
}

void merge_normalize_template(cJSON *template)
{
	cJSON *spec;

	if (!cJSON_IsObject(template))
		return;
	merge_drop_nulls(template);
	spec = cJSON_GetObjectItemCaseSensitive(template, "spec");
	if (cJSON_IsObject(spec))
		merge_defaults_podspec(spec);
}
