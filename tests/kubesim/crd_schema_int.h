/*
 * crd_schema_int: the compiled schema tree, shared by crd_schema.c (compiling, pruning,
 * defaulting) and crd_validate.c (validation). Internal to kubesim.
 */
#ifndef KUBESIM_CRD_SCHEMA_INT_H
#define KUBESIM_CRD_SCHEMA_INT_H

#include <regex.h>

#include "crd_schema.h"

enum { T_OBJECT = 1, T_ARRAY = 2, T_STRING = 4, T_INTEGER = 8, T_NUMBER = 16, T_BOOLEAN = 32 };
enum list_type { LIST_NONE, LIST_ATOMIC, LIST_SET, LIST_MAP };

struct snode;
struct sprop {
	char *name;
	struct snode *node;
};

struct snode {
	unsigned type; /* one T_ bit, 0 = untyped */
	const char *type_name;
	bool nullable, preserve, int_or_string, embedded;
	struct sprop *props;
	size_t nprops;
	struct snode *items, *additional;
	const cJSON *required, *enumv, *def, *map_keys; /* borrowed from src */
	bool has_max, has_min, excl_max, excl_min, has_mult;
	double max, min, mult;
	bool has_re;
	regex_t re;
	const char *pattern;
	double min_len, max_len, min_items, max_items, min_props, max_props; /* -1: none */
	enum list_type list;
};

struct crd_schema {
	struct crd_schema *next;
	cJSON *src; /* the schema, copied: nodes borrow from it */
	struct snode *root;
	bool defaults;
};

/* A field path as the validator names it: "spec.items[2].name". */
struct path {
	char s[1024];
	size_t len;
};

/* Appends key (index < 0) or "[index]"; returns what to pass to crd_path_pop. */
size_t crd_path_push(struct path *p, const char *key, long index);
void crd_path_pop(struct path *p, size_t was);
/* The schema of property name of nd, or NULL. */
const struct snode *crd_prop_of(const struct snode *nd, const char *name);
/* apiVersion, kind, metadata: kept whatever the schema at the root and in embedded
 * resources. */
bool crd_meta_field(const char *key);

#endif
