/*
 * jsonedit: Add/Replace/Insert on cJSON trees with the result checked and ownership
 * settled (see jsonedit.h). Only cJSON's public API is used, so a fixed cJSON behaves
 * the same.
 */
#include <string.h>

#include "jsonedit.h"
#include "util.h"

int json_array_append(cJSON *arr, cJSON *v)
{
	if (!v)
		return TE_NOMEM;
	if (!cJSON_IsArray(arr) || !cJSON_AddItemToArray(arr, v)) {
		cJSON_Delete(v);
		return TE_FAIL;
	}
	return 0;
}

/*
 * cJSON_InsertItemInArray cannot be trusted (Debian 1.7.15 returns false for any
 * index but 0 and the end), so the tail is moved aside, v appended and the tail put
 * back. Detach and append of items already in a tree cannot fail.
 */
int json_array_insert(cJSON *arr, int at, cJSON *v)
{
	cJSON *tail = NULL, *c;
	int n = cJSON_IsArray(arr) ? cJSON_GetArraySize(arr) : -1;

	if (!v)
		return TE_NOMEM;
	if (at < 0 || at > n) {
		cJSON_Delete(v);
		return TE_FAIL;
	}
	if (at == n)
		return json_array_append(arr, v);
	if (!(tail = cJSON_CreateArray())) {
		cJSON_Delete(v);
		return TE_NOMEM;
	}
	while ((c = cJSON_DetachItemFromArray(arr, at)))
		cJSON_AddItemToArray(tail, c);
	cJSON_AddItemToArray(arr, v);
	while ((c = cJSON_DetachItemFromArray(tail, 0)))
		cJSON_AddItemToArray(arr, c);
	cJSON_Delete(tail);
	return 0;
}

int json_array_replace(cJSON *arr, int at, cJSON *v)
{
	cJSON *old = cJSON_IsArray(arr) && at >= 0 ? cJSON_GetArrayItem(arr, at) : NULL;

	if (!v)
		return TE_NOMEM;
	if (!old || !cJSON_ReplaceItemViaPointer(arr, old, v)) {
		cJSON_Delete(v);
		return TE_FAIL;
	}
	return 0;
}

int json_object_add(cJSON *obj, const char *key, cJSON *v)
{
	if (!v)
		return TE_NOMEM;
	/* The only failure with an object, a key and an item is copying the key. */
	if (!cJSON_IsObject(obj) || !key || !cJSON_AddItemToObject(obj, key, v)) {
		cJSON_Delete(v);
		return cJSON_IsObject(obj) && key ? TE_NOMEM : TE_FAIL;
	}
	return 0;
}

/*
 * Not cJSON_ReplaceItemInObject: 1.7.15 does not check its copy of the key, so out of
 * memory leaves a member without a name. The key is copied (before old, which may
 * own it, is freed) and the member swapped in place.
 */
int json_object_set(cJSON *obj, const char *key, cJSON *v)
{
	cJSON *old = cJSON_IsObject(obj) && key ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	char *k;

	if (!old)
		return json_object_add(obj, key, v);
	if (!v)
		return TE_NOMEM;
	if (!(k = cJSON_malloc(strlen(key) + 1))) {
		cJSON_Delete(v);
		return TE_NOMEM;
	}
	memcpy(k, key, strlen(key) + 1);
	if (!(v->type & cJSON_StringIsConst))
		cJSON_free(v->string);
	v->string = k;
	v->type &= ~cJSON_StringIsConst;
	/* Cannot fail: obj, old (a member of obj) and v are all set. */
	cJSON_ReplaceItemViaPointer(obj, old, v);
	return 0;
}

void json_object_move_last(cJSON *obj, const char *key)
{
	cJSON *c =
	    cJSON_IsObject(obj) && key ? cJSON_DetachItemFromObjectCaseSensitive(obj, key) : NULL;

	/* An object's members are a list like an array's: the append keeps c->string. */
	if (c)
		cJSON_AddItemToArray(obj, c);
}

int json_object_add_string(cJSON *obj, const char *key, const char *s)
{
	return json_object_add(obj, key, cJSON_CreateString(s));
}

void jb_item(struct json_build *b, cJSON *obj, const char *key, cJSON *v)
{
	if (b->failed)
		cJSON_Delete(v);
	else if (json_object_add(obj, key, v) < 0)
		b->failed = true;
}

void jb_append(struct json_build *b, cJSON *arr, cJSON *v)
{
	if (b->failed)
		cJSON_Delete(v);
	else if (json_array_append(arr, v) < 0)
		b->failed = true;
}

cJSON *jb_done(struct json_build *b, cJSON *root)
{
	if (!b->failed)
		return root;
	cJSON_Delete(root);
	return NULL;
}

static cJSON *jb_member(struct json_build *b, cJSON *obj, const char *key, cJSON *v)
{
	jb_item(b, obj, key, v);
	return b->failed ? NULL : v;
}

cJSON *jb_object(struct json_build *b, cJSON *obj, const char *key)
{
	return jb_member(b, obj, key, b->failed ? NULL : cJSON_CreateObject());
}

cJSON *jb_array(struct json_build *b, cJSON *obj, const char *key)
{
	return jb_member(b, obj, key, b->failed ? NULL : cJSON_CreateArray());
}

void jb_str(struct json_build *b, cJSON *obj, const char *key, const char *s)
{
	if (s)
		jb_item(b, obj, key, b->failed ? NULL : cJSON_CreateString(s));
}

void jb_num(struct json_build *b, cJSON *obj, const char *key, double n)
{
	jb_item(b, obj, key, b->failed ? NULL : cJSON_CreateNumber(n));
}

void jb_bool(struct json_build *b, cJSON *obj, const char *key, bool v)
{
	jb_item(b, obj, key, b->failed ? NULL : cJSON_CreateBool(v));
}
