/*
 * jsonget: typed reads of a cJSON tree along a NULL-terminated path of keys
 * (include/jsonget.h). Every getter walks the path the same way, then checks the type.
 */
#include <stdarg.h>

#include "jsonget.h"

static const cJSON *walk(const cJSON *o, va_list ap)
{
	const char *k;

	while (o && (k = va_arg(ap, const char *)) != NULL)
		o = cJSON_GetObjectItemCaseSensitive(o, k);
	return o;
}

/* Moves o along the path that follows the parameter last. */
#define WALK(o, last)                                                                              \
	do {                                                                                       \
		va_list ap;                                                                        \
		va_start(ap, last);                                                                \
		o = walk(o, ap);                                                                   \
		va_end(ap);                                                                        \
	} while (0)

const cJSON *json_get(const cJSON *o, ...)
{
	WALK(o, o);
	return o;
}

const cJSON *json_obj(const cJSON *o, ...)
{
	WALK(o, o);
	return cJSON_IsObject(o) ? o : NULL;
}

const cJSON *json_arr(const cJSON *o, ...)
{
	WALK(o, o);
	return cJSON_IsArray(o) ? o : NULL;
}

const char *json_str(const cJSON *o, ...)
{
	WALK(o, o);
	return cJSON_IsString(o) ? o->valuestring : NULL;
}

const char *json_str_or(const cJSON *o, const char *def, ...)
{
	WALK(o, def);
	return cJSON_IsString(o) ? o->valuestring : def;
}

const char *json_nonempty(const cJSON *o, ...)
{
	WALK(o, o);
	return cJSON_IsString(o) && o->valuestring[0] ? o->valuestring : NULL;
}

int64_t json_int(const cJSON *o, int64_t def, ...)
{
	WALK(o, def);
	return cJSON_IsNumber(o) ? (int64_t)o->valuedouble : def;
}

bool json_true(const cJSON *o, ...)
{
	WALK(o, o);
	return cJSON_IsTrue(o);
}
