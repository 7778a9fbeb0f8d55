/*
 * manifest: YAML and JSON documents to cJSON objects with their origin (file, line,
 * column) and object identity. Everything here is local: nothing talks to a cluster.
 * Rendering a directory tree into an object set is render.h's.
 */
#ifndef TETHER_MANIFEST_H
#define TETHER_MANIFEST_H

#include <cjson/cJSON.h>

#include "util.h"
#include "vfs.h"
#include "yamlread.h"

/* Limits on untrusted input: the YAML reader's (yamlread.h). */
#define MANIFEST_MAX_FILE YAML_MAX_FILE
#define MANIFEST_MAX_DEPTH YAML_MAX_DEPTH
#define MANIFEST_MAX_ALIAS_NODES YAML_MAX_ALIAS_NODES
#define MANIFEST_MAX_DOCS YAML_MAX_DOCS
#define MANIFEST_MAX_NODES YAML_MAX_NODES

/* One rendered object. Identity is group, kind, namespace, name (not version). */
struct object {
	cJSON *body;        /* owned */
	char *api_version;  /* "apps/v1" */
	char *group;        /* "" for the core group */
	char *kind;
	char *ns;           /* NULL until known; cluster-scoped objects keep NULL */
	char *name;
	char *file;         /* origin, relative to the repository root */
	int line, col;      /* 1-based position of the document start */
};

struct object_set {
	struct object *items;
	size_t n, cap;
};

void object_set_init(struct object_set *s);
void object_set_dispose(struct object_set *s);
/* Takes ownership of body; fills identity from it. TE_INPUT if apiVersion, kind or
 * metadata.name is missing (message names file:line:col). */
int object_set_add(struct object_set *s, cJSON *body, const char *file, int line, int col,
		   struct err *e);
/* "apps/Deployment/ns/name" style identity key; owned by caller. */
char *object_key(const struct object *o);
/* "deployment.apps/web" or "configmap/settings", as kubectl prints it; owned. */
char *object_display(const struct object *o);
/* The same with the namespace first when there is one ("web/deployment.apps/api");
 * group and ns may be NULL or "". Owned; NULL when out of memory. */
char *object_display_name(const char *group, const char *kind, const char *ns, const char *name);

/*
 * Parses one file's YAML (multi-document; empty documents skipped) or JSON into
 * objects. Scalars are typed as kubectl types them (go-yaml v2, YAML 1.1: `yes`, `on`
 * and `y` are true, 0x1F and 012 are numbers; quoted scalars are strings), merge keys
 * (<<) are applied and duplicate keys are errors. Errors name file:line:col: syntax errors, invalid UTF-8, nesting deeper
 * than MANIFEST_MAX_DEPTH, alias expansion beyond MANIFEST_MAX_ALIAS_NODES, more than
 * MANIFEST_MAX_DOCS documents or MANIFEST_MAX_NODES nodes (counted as they stream, so
 * the parse stops at the first one over the bound), a
 * document that is not a mapping or lacks apiVersion, kind or metadata.name.
 * A "kind: List" document contributes its items.
 */
int manifest_parse(struct object_set *s, const char *file, const char *data, size_t len,
		   struct err *e);

/* Fails with TE_INPUT naming both origins when two objects share an identity. */
int object_set_check_unique(const struct object_set *s, struct err *e);

/* Writes objects as a multi-document YAML stream (for `tether render`). */
int manifest_write_yaml(const struct object_set *s, struct buf *out, struct err *e);
/* One cJSON value as YAML (block style, keys in their order), for diffs. */
int json_to_yaml(const cJSON *v, struct buf *out, struct err *e);

#endif
