/*
 * schema: the little bit of the built-in type schema that field management and strategic
 * merge patch need: which lists are associative (and by which keys), which are sets, and
 * which maps/structs are atomic (spec 5.7). Everything not listed is "deduced" the way
 * structured-merge-diff does for unknown types: objects are granular maps, arrays are
 * atomic, scalars are leaves. Static tables only; no state.
 */
#ifndef KUBESIM_SCHEMA_H
#define KUBESIM_SCHEMA_H

#include <stdbool.h>

enum schema_kind {
	SCHEMA_DEDUCED = 0, /* object -> granular map, array -> atomic, scalar -> leaf */
	SCHEMA_STRUCT,	    /* granular object with some known fields */
	SCHEMA_ATOMIC,	    /* owned and replaced as a whole */
	SCHEMA_MAP_LIST,    /* associative list keyed by keys[] */
	SCHEMA_SET,	    /* list of unique scalars */
};

struct schema_field;

struct schema_node {
	enum schema_kind kind;
	const struct schema_field *fields; /* SCHEMA_STRUCT: known fields, {NULL} ends */
	const struct schema_node *elem;	   /* SCHEMA_MAP_LIST: item type (NULL = deduced) */
	const char *keys[3];		   /* SCHEMA_MAP_LIST: key fields, NULL ends */
	const char *key_defaults[3];	   /* value a missing key field takes ("TCP") */
	bool retain_keys;		   /* SMP patchStrategy retainKeys */
};

struct schema_field {
	const char *name;
	const struct schema_node *node;
};

/* The root type of a built-in kind, or NULL for kinds we have no schema for (CRDs). */
const struct schema_node *schema_root(const char *group, const char *kind);

/* The type of a child of a struct/map node (never NULL: unknown -> deduced). */
const struct schema_node *schema_child(const struct schema_node *n, const char *name);

/* The item type of a list node (never NULL). */
const struct schema_node *schema_item(const struct schema_node *n);

/* The deduced type used for unknown kinds. */
const struct schema_node *schema_deduced(void);

#endif
