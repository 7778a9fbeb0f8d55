/*
 * jsonget: reading a cJSON tree along a path of keys, so callers write
 * json_str(obj, "metadata", "name", NULL) instead of nesting
 * cJSON_GetObjectItemCaseSensitive calls and checking each type by hand. Keys match
 * case-sensitively (Kubernetes field names do). The path ends with NULL; a missing
 * step, or a value of another type, reads as absent.
 */
#ifndef TETHER_JSONGET_H
#define TETHER_JSONGET_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#define JSON_PATH __attribute__((sentinel))

/* The value at the path (o itself for an empty path), or NULL. */
const cJSON *json_get(const cJSON *o, ...) JSON_PATH;
/* An object, an array, or NULL. */
const cJSON *json_obj(const cJSON *o, ...) JSON_PATH;
const cJSON *json_arr(const cJSON *o, ...) JSON_PATH;
/* A string's text, or NULL. */
const char *json_str(const cJSON *o, ...) JSON_PATH;
/* A string's text, or def when absent. */
const char *json_str_or(const cJSON *o, const char *def, ...) JSON_PATH;
/* A string's text when not empty, or NULL. */
const char *json_nonempty(const cJSON *o, ...) JSON_PATH;
/* A number (truncated to an integer), or def. */
int64_t json_int(const cJSON *o, int64_t def, ...) JSON_PATH;
/* true only for a JSON true. */
bool json_true(const cJSON *o, ...) JSON_PATH;

#endif
