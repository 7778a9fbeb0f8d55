/*
 * merge_util: equality, no-op detection, template normalisation and the error helper
 * shared by the merge library.
 */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "merge.h"
#include "merge_int.h"

int merge_fail(struct kstatus *e, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (e && !e->code) {
		e->code = code;
		snprintf(e->reason, sizeof(e->reason), "%s", reason);
		va_start(ap, fmt);
		vsnprintf(e->message, sizeof(e->message), fmt, ap);
		va_end(ap);
	}
	return code >= 500 ? MERGE_ENOMEM : MERGE_EINVAL;
}

/* Same items in the same order. */
static bool items_equal(const cJSON *a, const cJSON *b)
{
	const cJSON *c, *d = b->child;

	for (c = a->child; c && d; c = c->next, d = d->next)
		if (!merge_equal(c, d))
			return false;
	return !c && !d;
}

/* Same members, in any order. */
static bool members_equal(const cJSON *a, const cJSON *b)
{
	const cJSON *c;

	if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return false;
	for (c = a->child; c; c = c->next)
		if (!merge_equal(c, cJSON_GetObjectItemCaseSensitive(b, c->string)))
			return false;
	return true;
}

bool merge_equal(const cJSON *a, const cJSON *b)
{

	if (!a || !b)
		return a == b;
	if ((a->type & 0xFF) != (b->type & 0xFF))
		return false;
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble ||
		       fabs(a->valuedouble - b->valuedouble) < 1e-9;
	if (cJSON_IsString(a))
		return !strcmp(a->valuestring, b->valuestring);
	if (cJSON_IsArray(a))
		return items_equal(a, b);
	if (cJSON_IsObject(a))
		return members_equal(a, b);
	return true; /* null, true, false */
}

/* Like merge_equal on two objects, skipping the member named skip (may be NULL) and,
 * when mf is set, comparing the managedFields member with mf_equal. The member count
 * check mirrors merge_equal after the skipped member is deleted from both copies. */
static bool equal_except(const cJSON *a, const cJSON *b, const char *skip, bool mf);

static bool is_named(const cJSON *c, const char *name)
{
	return name && c->string && strcmp(c->string, name) == 0;
}

/* The first member named name, as cJSON_DeleteItemFromObjectCaseSensitive finds it. */
static const cJSON *first_named(const cJSON *o, const char *name)
{
	const cJSON *c;

	for (c = o->child; c; c = c->next)
		if (is_named(c, name))
			return c;
	return NULL;
}

/* managedFields lists compare entry by entry with each entry's time ignored. */
static bool mf_equal(const cJSON *a, const cJSON *b)
{
	const cJSON *c, *d;

	if (!cJSON_IsArray(a) || !cJSON_IsArray(b))
		return merge_equal(a, b);
	for (c = a->child, d = b->child; c && d; c = c->next, d = d->next) {
		if (cJSON_IsObject(c) && cJSON_IsObject(d)) {
			if (!equal_except(c, d, "time", false))
				return false;
		} else if (!merge_equal(c, d)) {
			return false;
		}
	}
	return !c && !d;
}

static bool equal_except(const cJSON *a, const cJSON *b, const char *skip, bool mf)
{
	const cJSON *sa = first_named(a, skip), *sb = first_named(b, skip), *c, *d;

	if (cJSON_GetArraySize(a) - !!sa != cJSON_GetArraySize(b) - !!sb)
		return false;
	for (c = a->child; c; c = c->next) {
		if (c == sa)
			continue;
		d = cJSON_GetObjectItemCaseSensitive(b, c->string);
		if (d == sb && d) /* deleted from b's copy: the next one of that name counts */
			for (d = d->next; d && !is_named(d, c->string); d = d->next)
				;
		if (mf && is_named(c, "managedFields") ? !mf_equal(c, d) : !merge_equal(c, d))
			return false;
	}
	return true;
}

/* Equal but for resourceVersion and managedFields timestamps, compared in place:
 * copying both objects made this the hottest part of every controller write. */
bool merge_objects_differ(const cJSON *a, const cJSON *b)
{
	const cJSON *ma, *mb, *c, *d;

	if (!cJSON_IsObject(a) || !cJSON_IsObject(b))
		return !merge_equal(a, b);
	if (cJSON_GetArraySize(a) != cJSON_GetArraySize(b))
		return true;
	ma = cJSON_GetObjectItemCaseSensitive(a, "metadata");
	mb = cJSON_GetObjectItemCaseSensitive(b, "metadata");
	for (c = a->child; c; c = c->next) {
		d = cJSON_GetObjectItemCaseSensitive(b, c->string);
		if (c == ma && d == mb && cJSON_IsObject(ma) && cJSON_IsObject(mb)) {
			if (!equal_except(ma, mb, "resourceVersion", true))
				return true;
		} else if (!merge_equal(c, d)) {
			return true;
		}
	}
	return false;
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
