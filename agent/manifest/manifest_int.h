/*
 * manifest_int: what the files of agent/manifest share and nobody else needs: the
 * YAML stream reader (events to cJSON with positions) and scalar typing.
 */
#ifndef TETHER_MANIFEST_INT_H
#define TETHER_MANIFEST_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "util.h"

/* How a plain scalar reads, with go-yaml v2's YAML 1.1 rules (what kubectl uses). */
enum yval_type { YV_STR, YV_NULL, YV_BOOL, YV_NUM, YV_INFNAN, YV_MERGE };

struct yval {
	enum yval_type type;
	bool b;
	double d;
	bool integer; /* YV_NUM: written as an integer (what !!int accepts) */
};

void scalar_resolve_plain(const char *s, struct yval *v);

/*
 * The value of a scalar as go-yaml v2 decodes it into an interface{}, with its tag
 * (libyaml's, NULL when untagged) and whether it was plain. For a YV_STR the text is
 * s itself, or for !!binary the decoded bytes in *decoded (owned by the caller).
 * json: the file is JSON, where a number out of range is an error, not a string.
 * Returns 0, TE_NOMEM, or TE_INPUT with the reason in msg.
 */
int scalar_resolve(const char *tag, const char *s, bool plain, bool json, struct yval *v,
		   char **decoded, char *msg, size_t msgsz);

/* Position of a container node of a document (only the top few levels are kept). */
struct yaml_pos {
	const cJSON *node;
	int line, col;
};

struct yaml_doc {
	cJSON *root;   /* the callback may take it (set to NULL) */
	int line, col; /* 1-based position of the root node */
	struct yaml_pos *pos;
	size_t npos;
	size_t cursor; /* where yaml_doc_pos last found a node */
};

typedef int (*yaml_doc_fn)(void *ctx, struct yaml_doc *doc, struct err *e);

/* Calls fn for every non-empty document of data. Errors name file:line:col. */
int yaml_parse_stream(const char *file, const char *data, size_t len, yaml_doc_fn fn, void *ctx,
		      struct err *e);
/* Position of node in doc, or the document's position when unknown. */
void yaml_doc_pos(struct yaml_doc *doc, const cJSON *node, int *line, int *col);

#endif
