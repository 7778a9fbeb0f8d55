/*
 * merge_int: what the merge library's files (merge_*.c) share: sets of field paths,
 * as used by managedFields, and the walks that produce them from objects
 * (structured-merge-diff's ToFieldSet and Compare).
 *
 * A set is a cJSON object trie keyed by path elements ("f:name", "k:{...}", "v:...",
 * "i:n"); a node is a member when it carries a "." child. fs_to_v1/fs_from_v1 convert
 * to and from the fieldsV1 wire form (where a childless member is written as {}).
 * Internal to the merge library.
 */
#ifndef KUBESIM_MERGE_INT_H
#define KUBESIM_MERGE_INT_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "merge.h"
#include "schema.h"

/* The effective kind of value v under schema node n (resolves deduced types). */
enum fs_shape { FS_LEAF, FS_MAP, FS_MAP_LIST, FS_SET };
enum fs_shape fs_shape_of(const struct schema_node *n, const cJSON *v);

/* Path element of a list item: "k:{...}" for associative lists, "v:<json>" for sets. */
char *fs_item_key(const struct schema_node *list, const cJSON *item);

cJSON *fs_new(void);
/* Allocation failures so far in this thread's void builders below (fs_mark, fs_child,
 * fs_add, fs_compare ...): compare before and after a write, a change is a 500. */
unsigned long fs_failures(void);
bool fs_is_member(const cJSON *s);
bool fs_empty(const cJSON *s);
void fs_mark(cJSON *s);
/* The child node for element key, created when missing. NULL on ENOMEM. */
cJSON *fs_child(cJSON *s, const char *key);
/* dst |= src */
void fs_add(cJSON *dst, const cJSON *src);
/* dst -= src (members only; empty non-member nodes are dropped) */
void fs_sub(cJSON *dst, const cJSON *src);
/* a & b, new set */
cJSON *fs_and(const cJSON *a, const cJSON *b);
/* Drops nodes that are neither members nor lead to members. */
void fs_clean(cJSON *s);
/* Removes the member "f:a" under "f:b"... given as NULL-terminated element list. */
void fs_remove_path(cJSON *s, const char *const *elems, bool subtree);

/* fieldsV1 <-> internal form. */
cJSON *fs_to_v1(const cJSON *s);
cJSON *fs_from_v1(const cJSON *v1);

/* ToFieldSet of an applied configuration. */
cJSON *fs_from_apply(const cJSON *v, const struct schema_node *n);
/* Compare old and new: added/modified paths into changed, removed paths into removed. */
void fs_compare(const cJSON *o, const cJSON *nv, const struct schema_node *n, cJSON *changed,
		cJSON *removed);
/* Checks keyed list items of an applied configuration (keys present, unique); on
 * failure writes smd's message (".spec.x: element 0: ...") into err and returns -1. */
int fs_validate(const cJSON *v, const struct schema_node *n, char *err, size_t errcap);
/* Removes from obj every value whose path is a member of s. */
void fs_remove_from(cJSON *obj, const struct schema_node *n, const cJSON *s);

/* Calls fn with the rendered path (".spec.replicas") of every member, in smd order. */
typedef int (*fs_path_fn)(const char *path, void *ctx);
int fs_each_path(const cJSON *s, fs_path_fn fn, void *ctx);

/* Fills e (first error wins) and returns MERGE_EINVAL, or MERGE_ENOMEM for code 500. */
struct kstatus;
int merge_fail(struct kstatus *e, int code, const char *reason, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* Drops object members whose value is null, recursively (Go decoding drops them). */
void merge_drop_nulls(cJSON *v);

/* One managedFields entry, decoded. All strings owned. */
struct mf_entry {
	char *manager;
	char *operation; /* "Apply" or "Update" */
	char *api_version;
	char *time;	   /* NULL when absent */
	char *subresource; /* NULL for the main resource */
	cJSON *set;	   /* internal set form */
};

struct mf_list {
	struct mf_entry *v;
	size_t n;
	size_t cap;
};

/* Decodes obj's metadata.managedFields (malformed entries make the list empty);
 * MERGE_ENOMEM (and an empty list) when memory runs out. */
int mf_decode(struct mf_list *l, const cJSON *obj);
void mf_dispose(struct mf_list *l);
/* Index of the entry with this identity, or -1. api_version only matters for Update. */
int mf_find(const struct mf_list *l, const char *manager, const char *op, const char *apiv,
	    const char *subresource);
/* Adds an empty entry; returns its index or -1. */
int mf_add(struct mf_list *l, const char *manager, const char *op, const char *apiv,
	   const char *subresource);
void mf_set_time(struct mf_entry *e, const char *time);
/* Merges the oldest Update entries into "ancient-changes" beyond 10 (capmanagers.go). */
void mf_cap_updates(struct mf_list *l);
/* Drops entries with empty sets. */
void mf_drop_empty(struct mf_list *l);
/* Sorted encoded list (sortEncodedManagedFields); NULL on ENOMEM. */
cJSON *mf_encode(const struct mf_list *l);
/* Stores the encoded list as obj.metadata.managedFields (removed when empty). */
int mf_store(cJSON *obj, const struct mf_list *l);
/* "\"name\" using apps/v1 with subresource \"status\"" (printManager). */
char *mf_print_manager(const struct mf_entry *e);

/* Removes the never-owned metadata paths and the reset fields of k for subresource. */
void fs_strip(cJSON *s, const struct merge_kind *k, const char *subresource);
/* The top-level field whose whole set fs_strip drops for this write ("spec" for /status,
 * "status" for the main resource of a kind with a status), or NULL: comparing it is
 * wasted work. */
const char *mf_unrecorded_root(const struct merge_kind *k, const char *subresource);
/* The zero-valued typed object of kind k as Go serialises it (old side of a create). */
cJSON *mf_skeleton(const struct merge_kind *k);
/* Adds the always-serialised empty structs of k that obj lacks (status: {}, ...), so
 * that they never count as added containers. */
void mf_fill_skeleton(cJSON *obj, const struct merge_kind *k);
/* "group/version" or "version". */
void mf_api_version(const struct merge_kind *k, char *out, size_t cap);

#endif
