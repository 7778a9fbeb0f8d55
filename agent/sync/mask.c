/*
 * mask: Secret values never reach a diff, a log line or -o json. Both sides of a
 * diff are masked together so that a changed value still shows as a change
 * ("*** (changed)") without showing either value.
 * The inventory's row of a Secret holds the digest of its metadata only (secret_hash):
 * a digest of the data, keyed or not, would let anyone who reads the inventory
 * ConfigMap test guesses of short values offline.
 */
#include <string.h>

#include "jsonedit.h"
#include "sync_int.h"

#define MASK "***"
#define MASK_CHANGED "*** (changed)"

static void mask_value(cJSON *map, const char *key, const char *text)
{
	cJSON *v = cJSON_CreateString(text);

	/* Out of memory: drop the member rather than leave the value in view. */
	if (json_object_set(map, key, v) < 0)
		cJSON_DeleteItemFromObjectCaseSensitive(map, key);
}

static void mask_map(cJSON *before, cJSON *after)
{
	cJSON *it, *next;

	/* Replacing frees the item: take the next one first. */
	if (after && cJSON_IsObject(after)) {
		for (it = after->child; it; it = next) {
			cJSON *old =
			    before ? cJSON_GetObjectItemCaseSensitive(before, it->string) : NULL;
			bool changed = before && (!old || !cJSON_Compare(old, it, 1));

			next = it->next;
			mask_value(after, it->string, changed ? MASK_CHANGED : MASK);
		}
	}
	if (before && cJSON_IsObject(before)) {
		for (it = before->child; it; it = next) {
			next = it->next;
			mask_value(before, it->string, MASK);
		}
	}
}

/* A last-applied annotation would carry the whole Secret in clear. */
static void mask_annotation(cJSON *obj)
{
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "annotations");
	const char *key = "kubectl.kubernetes.io/last-applied-configuration";

	if (cJSON_GetObjectItemCaseSensitive(ann, key))
		mask_value(ann, key, MASK);
}

void secret_mask(cJSON *before, cJSON *after)
{
	static const char *maps[] = {"data", "stringData"};

	for (size_t i = 0; i < 2; i++) {
		/* Compare first: masking `before` would hide the change. */
		mask_map(cJSON_GetObjectItemCaseSensitive(before, maps[i]),
			 cJSON_GetObjectItemCaseSensitive(after, maps[i]));
	}
	if (before)
		mask_annotation(before);
	if (after)
		mask_annotation(after);
}

void secret_hash(const cJSON *body, char out[17])
{
	cJSON *copy = cJSON_Duplicate(body, 1);

	if (!copy) {
		/* Any value will do: a Secret is compared on the server anyway. */
		memset(out, '0', 16);
		out[16] = '\0';
		return;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "data");
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "stringData");
	mask_annotation(copy);
	sync_hash_object(copy, out);
	cJSON_Delete(copy);
}
