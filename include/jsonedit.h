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

#include <stdbool.h>
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

/*
 * A builder that remembers the first failure, for bodies and reports built member by
 * member: once a call failed every later one does nothing (and frees what it was
 * given), and the caller checks b.failed once at the end, deleting the partial tree.
 * Start with {.failed = !root} so a failed root Create counts.
 */
struct json_build {
	bool failed;
};
/* A new object or array member (NULL once failed). */
cJSON *jb_object(struct json_build *b, cJSON *obj, const char *key);
cJSON *jb_array(struct json_build *b, cJSON *obj, const char *key);
/* s NULL: no member (not a failure). */
void jb_str(struct json_build *b, cJSON *obj, const char *key, const char *s);
void jb_num(struct json_build *b, cJSON *obj, const char *key, double n);
void jb_bool(struct json_build *b, cJSON *obj, const char *key, bool v);
/* Takes v (into obj under key, or appended to the array arr). */
void jb_item(struct json_build *b, cJSON *obj, const char *key, cJSON *v);
void jb_append(struct json_build *b, cJSON *arr, cJSON *v);
/* The end of a build: root, or NULL (root deleted) when a step failed. */
cJSON *jb_done(struct json_build *b, cJSON *root);

#endif
