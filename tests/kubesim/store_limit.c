/*
 * store_limit: etcd's request size limit (--max-request-bytes, 1.5 MiB by default) on a
 * stored object (§4.9). The API server writes the object with its managedFields; when
 * etcd says "request is too large", a create, update or non-apply patch is written once
 * more without them, and if that is still too large the etcd error is the answer (500,
 * no reason). The size is the object's JSON length, counted without printing it.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

#define ETCD_MAX_REQUEST 1572864

/* The length of v's compact JSON (string escapes aside), stopping early past cap. */
static size_t json_len(const cJSON *v, size_t cap)
{
	size_t n = v->string ? strlen(v->string) + 3 : 0; /* "key": */
	char num[32];

	if (cJSON_IsString(v))
		return n + strlen(v->valuestring) + 2;
	if (cJSON_IsNumber(v))
		return n + (size_t)snprintf(num, sizeof(num), "%g", v->valuedouble);
	if (cJSON_IsBool(v))
		return n + 5;
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return n + 4; /* null */
	n += 2;
	for (const cJSON *c = v->child; c && n <= cap; c = c->next)
		n += json_len(c, cap) + (c->next ? 1 : 0);
	return n;
}

int store_size_check(cJSON *obj, bool may_drop_managed, struct kstatus *e)
{
	if (json_len(obj, ETCD_MAX_REQUEST) <= ETCD_MAX_REQUEST)
		return 0;
	if (may_drop_managed) {
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(obj, "metadata"),
							"managedFields");
		if (json_len(obj, ETCD_MAX_REQUEST) <= ETCD_MAX_REQUEST)
			return 0;
	}
	return kstatus_set(e, 500, "", "etcdserver: request is too large");
}
