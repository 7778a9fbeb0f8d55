/*
 * merge_smp: strategic merge patch (apimachinery strategicpatch, spec 5.6/5.7) for the
 * built-in kinds. Maps always merge; lists merge by their patch merge key (the first
 * key of the associative lists in schema.c), sets merge as unions, other lists are
 * replaced. Directives: $patch (replace/delete/merge), $retainKeys,
 * $deleteFromPrimitiveList/<f>, $setElementOrder/<f>. Pure: the target is copied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "merge.h"
#include "merge_int.h"

#define DEL_PRIM "$deleteFromPrimitiveList/"
#define SET_ORDER "$setElementOrder/"

static int smp_map(cJSON *orig, const cJSON *patch, const struct schema_node *n,
		   struct kstatus *e);

static const char *directive(const cJSON *o)
{
	const cJSON *d = cJSON_GetObjectItemCaseSensitive(o, "$patch");

	return cJSON_IsString(d) ? d->valuestring : NULL;
}

/* A copy of a patch value with every directive and null removed (for new values). */
static cJSON *clean(const cJSON *v, const struct schema_node *n)
{
	cJSON *out = cJSON_Duplicate(v, true), *c, *next;
	bool keyed = n->kind == SCHEMA_MAP_LIST && cJSON_IsArray(v);

	if (!out || (!cJSON_IsObject(out) && !cJSON_IsArray(out)))
		return out;
	for (c = out->child; c; c = next) {
		const struct schema_node *cn =
		    cJSON_IsObject(out) ? schema_child(n, c->string) : schema_item(n);
		cJSON *cc;

		next = c->next;
		if (cJSON_IsObject(out) && (c->string[0] == '$' || cJSON_IsNull(c))) {
			cJSON_Delete(cJSON_DetachItemViaPointer(out, c));
			continue;
		}
		if (keyed && cJSON_IsObject(c) && directive(c)) {
			cJSON_Delete(cJSON_DetachItemViaPointer(out, c));
			continue;
		}
		/* A copy that fails is out of memory: so is the whole result. */
		if (!(cc = clean(c, cn)) || !cJSON_ReplaceItemViaPointer(out, c, cc)) {
			cJSON_Delete(cc);
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

static int nomem(struct kstatus *e)
{
	return merge_fail(e, 500, "InternalError", "out of memory");
}

static void clear(cJSON *o)
{
	while (o->child)
		cJSON_Delete(cJSON_DetachItemViaPointer(o, o->child));
}

static cJSON *find_by(cJSON *list, const char *key, const cJSON *val)
{
	cJSON *c;

	cJSON_ArrayForEach(c, list)
	{
		if (merge_equal(cJSON_GetObjectItemCaseSensitive(c, key), val))
			return c;
	}
	return NULL;
}

static int smp_keyed_list(cJSON *orig, const cJSON *patch, const struct schema_node *n,
			  struct kstatus *e)
{
	const char *mk = n->keys[0];
	const cJSON *p;
	int rc;

	cJSON_ArrayForEach(p, patch)
	{
		const char *d = cJSON_IsObject(p) ? directive(p) : NULL;
		const cJSON *kv = cJSON_GetObjectItemCaseSensitive(p, mk);
		cJSON *o;

		if (d && !strcmp(d, "replace"))
			continue; /* handled by the caller */
		if (!cJSON_IsObject(p) || !kv) {
			if (d)
				return merge_fail(e, 400, "BadRequest",
						  "map: %s does not contain declared merge key: %s",
						  "item", mk);
			if (json_array_append(orig, clean(p, schema_item(n))) < 0)
				return nomem(e);
			continue;
		}
		o = find_by(orig, mk, kv);
		if (d && !strcmp(d, "delete")) {
			while ((o = find_by(orig, mk, kv)))
				cJSON_Delete(cJSON_DetachItemViaPointer(orig, o));
			continue;
		}
		if (!o) {
			if (json_array_append(orig, clean(p, schema_item(n))) < 0)
				return nomem(e);
			continue;
		}
		if ((rc = smp_map(o, p, schema_item(n), e)) < 0)
			return rc;
	}
	return 0;
}

static bool has_replace_marker(const cJSON *patch)
{
	const cJSON *p;

	cJSON_ArrayForEach(p, patch)
	{
		const char *d = cJSON_IsObject(p) ? directive(p) : NULL;
		if (d && !strcmp(d, "replace"))
			return true;
	}
	return false;
}

/* Merges list patch into orig (in place). */
static int smp_list(cJSON *orig, const cJSON *patch, const struct schema_node *n,
		    struct kstatus *e)
{
	const cJSON *p;

	if (has_replace_marker(patch) || (n->kind != SCHEMA_MAP_LIST && n->kind != SCHEMA_SET)) {
		cJSON *c = clean(patch, n);

		if (!c)
			return nomem(e);
		clear(orig);
		/* Moving items already in a tree cannot fail. */
		while (c->child)
			cJSON_AddItemToArray(orig, cJSON_DetachItemViaPointer(c, c->child));
		cJSON_Delete(c);
		return 0;
	}
	if (n->kind == SCHEMA_MAP_LIST)
		return smp_keyed_list(orig, patch, n, e);
	cJSON_ArrayForEach(p, patch)
	{
		const cJSON *c;
		bool found = false;
		cJSON_ArrayForEach(c, orig) found = found || merge_equal(c, p);
		if (!found && json_array_append(orig, cJSON_Duplicate(p, true)) < 0)
			return nomem(e);
	}
	return 0;
}

static void retain_keys(cJSON *orig, const cJSON *keys)
{
	cJSON *c, *next;

	for (c = orig->child; c; c = next) {
		const cJSON *k;
		bool keep = false;

		next = c->next;
		cJSON_ArrayForEach(k, keys) keep =
		    keep || (cJSON_IsString(k) && !strcmp(k->valuestring, c->string));
		if (!keep)
			cJSON_Delete(cJSON_DetachItemViaPointer(orig, c));
	}
}

static void delete_from_primitive(cJSON *orig, const char *field, const cJSON *vals)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(orig, field), *c, *next;

	if (!cJSON_IsArray(list))
		return;
	for (c = list->child; c; c = next) {
		const cJSON *v;
		bool del = false;

		next = c->next;
		cJSON_ArrayForEach(v, vals) del = del || merge_equal(c, v);
		if (del)
			cJSON_Delete(cJSON_DetachItemViaPointer(list, c));
	}
}

/* $setElementOrder/<f>: items named in order come first in that order (best effort). */
static void set_order(cJSON *orig, const char *field, const cJSON *order,
		      const struct schema_node *n)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(orig, field), *sorted, *c;
	const char *mk = n->kind == SCHEMA_MAP_LIST ? n->keys[0] : NULL;
	const cJSON *o;

	if (!cJSON_IsArray(list) || !(sorted = cJSON_CreateArray()))
		return;
	cJSON_ArrayForEach(o, order)
	{
		const cJSON *kv = mk ? cJSON_GetObjectItemCaseSensitive(o, mk) : o;
		cJSON_ArrayForEach(c, list)
		{
			const cJSON *ck = mk ? cJSON_GetObjectItemCaseSensitive(c, mk) : c;
			if (kv && merge_equal(ck, kv)) {
				cJSON_AddItemToArray(sorted, cJSON_DetachItemViaPointer(list, c));
				break;
			}
		}
	}
	while (list->child)
		cJSON_AddItemToArray(sorted, cJSON_DetachItemViaPointer(list, list->child));
	while (sorted->child)
		cJSON_AddItemToArray(list, cJSON_DetachItemViaPointer(sorted, sorted->child));
	cJSON_Delete(sorted);
}

static int map_directives(cJSON *orig, const cJSON *patch, struct kstatus *e)
{
	const char *d = directive(patch);
	const cJSON *rk = cJSON_GetObjectItemCaseSensitive(patch, "$retainKeys"), *c;

	if (d && strcmp(d, "replace") && strcmp(d, "delete") && strcmp(d, "merge"))
		return merge_fail(e, 400, "BadRequest", "Unknown patch type: %s in map: %s", d,
				  "patch");
	if (d && (!strcmp(d, "replace") || !strcmp(d, "delete")))
		clear(orig);
	if (cJSON_IsArray(rk))
		retain_keys(orig, rk);
	for (c = patch->child; c; c = c->next)
		if (!strncmp(c->string, DEL_PRIM, strlen(DEL_PRIM)))
			delete_from_primitive(orig, c->string + strlen(DEL_PRIM), c);
	return 0;
}

static int smp_field(cJSON *orig, const cJSON *p, const struct schema_node *cn, struct kstatus *e)
{
	cJSON *o = cJSON_GetObjectItemCaseSensitive(orig, p->string);

	if (cJSON_IsNull(p)) {
		cJSON_DeleteItemFromObjectCaseSensitive(orig, p->string);
		return 0;
	}
	if (cJSON_IsObject(o) && cJSON_IsObject(p))
		return smp_map(o, p, cn, e);
	if (cJSON_IsArray(o) && cJSON_IsArray(p))
		return smp_list(o, p, cn, e);
	if (cJSON_IsObject(p)) {
		cJSON *fresh = cJSON_CreateObject();
		int rc = fresh ? smp_map(fresh, p, cn, e) : nomem(e);
		if (rc < 0) {
			cJSON_Delete(fresh);
			return rc;
		}
		return json_object_set(orig, p->string, fresh) < 0 ? nomem(e) : 0;
	}
	return json_object_set(orig, p->string, clean(p, cn)) < 0 ? nomem(e) : 0;
}

static int smp_map(cJSON *orig, const cJSON *patch, const struct schema_node *n,
		   struct kstatus *e)
{
	const char *d = directive(patch);
	const cJSON *p;
	int rc;

	if ((rc = map_directives(orig, patch, e)) < 0)
		return rc;
	if (d && !strcmp(d, "delete"))
		return 0;
	for (p = patch->child; p; p = p->next) {
		if (p->string[0] == '$')
			continue;
		if ((rc = smp_field(orig, p, schema_child(n, p->string), e)) < 0)
			return rc;
	}
	for (p = patch->child; p; p = p->next)
		if (!strncmp(p->string, SET_ORDER, strlen(SET_ORDER)))
			set_order(orig, p->string + strlen(SET_ORDER), p,
				  schema_child(n, p->string + strlen(SET_ORDER)));
	return 0;
}

bool merge_kind_is_builtin(const struct merge_kind *k)
{
	return k && schema_root(k->group, k->kind) != NULL;
}

int merge_patch_strategic(cJSON **out, const struct merge_kind *k, const cJSON *target,
			  const cJSON *patch, struct kstatus *e)
{
	const struct schema_node *root = k ? schema_root(k->group, k->kind) : NULL;
	cJSON *doc;
	int rc;

	*out = NULL;
	if (!cJSON_IsObject(patch))
		return merge_fail(e, 400, "BadRequest", "Invalid JSON Patch");
	doc = cJSON_Duplicate(target, true);
	if (!doc)
		return merge_fail(e, 500, "InternalError", "out of memory");
	if ((rc = smp_map(doc, patch, root ? root : schema_deduced(), e)) < 0) {
		cJSON_Delete(doc);
		return rc;
	}
	*out = doc;
	return 0;
}
