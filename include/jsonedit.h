/*
 * jsonedit: cJSON edits that either happen or fail loudly. cJSON's own Add, Replace
 * and Insert calls return false on out-of-memory (and Debian's 1.7.15 build refuses
 * every InsertItemInArray other than at 0 or the end); a caller that ignores that
 * drops data without a word. Each function here takes ownership of v: on success v
 * is in the tree, on failure v is freed and a negative code is returned. A NULL v
 * (a Create or Duplicate that ran out of memory) is reported as TE_NOMEM.
 */
#ifndef TETHER_JSONEDIT_H
#define TETHER_JSONEDIT_H

#include <cjson/cJSON.h>

/* Inserts v before the element at index at (0 <= at <= size; size appends). */
int json_array_insert(cJSON *arr, int at, cJSON *v);
int json_array_append(cJSON *arr, cJSON *v);
/* Replaces the element at index at (0 <= at < size). */
int json_array_replace(cJSON *arr, int at, cJSON *v);
/* Adds key (case-sensitive): replaces an existing member in place, else appends. */
int json_object_set(cJSON *obj, const char *key, cJSON *v);
/* Appends key without looking for an existing member (the caller knows there is none). */
int json_object_add(cJSON *obj, const char *key, cJSON *v);
/*
 * Moves member key (if any) to the end of obj, keeping its name. Cannot fail: the
 * member is relinked, not re-added under a copied key (which can fail and lose it).
 */
void json_object_move_last(cJSON *obj, const char *key);
/* Adds a string member; TE_NOMEM when memory runs out. */
int json_object_add_string(cJSON *obj, const char *key, const char *s);

#endif
