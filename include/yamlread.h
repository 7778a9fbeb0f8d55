/*
 * yamlread: the one YAML reader (agent/yaml). libyaml's events to cJSON, one document
 * at a time, with the position of each node, under bounds for untrusted input. Used by
 * manifests, kubeconfig files and the agent configuration file. It knows nothing of
 * Kubernetes. (Not "yaml.h": that name is libyaml's.)
 */
#ifndef TETHER_YAMLREAD_H
#define TETHER_YAMLREAD_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "util.h"

/* Limits on untrusted input, per file. */
#define YAML_MAX_FILE ((size_t)4 << 20) /* bytes */
#define YAML_MAX_DEPTH 100		 /* nesting */
#define YAML_MAX_ALIAS_NODES 100000	 /* nodes produced through aliases */
#define YAML_MAX_DOCS 10000		 /* documents, empty ones included */
#define YAML_MAX_NODES 1000000		 /* nodes, aliases expanded */

/* How a plain scalar reads, with go-yaml v2's YAML 1.1 rules (what kubectl uses). */
enum yval_type { YV_STR, YV_NULL, YV_BOOL, YV_NUM, YV_INFNAN, YV_MERGE };

struct yval {
	enum yval_type type;
	bool b;
	double d;
	bool integer; /* YV_NUM: written as an integer (what !!int accepts) */
};

void scalar_resolve_plain(const char *s, struct yval *v);
/* Whether plain s reads as a timestamp under go-yaml v2 (kubectl quotes such strings). */
bool scalar_is_timestamp(const char *s);

/*
 * The value of a scalar as go-yaml v2 decodes it into an interface{}, with its tag
 * (libyaml's, NULL when untagged) and whether it was plain. For a YV_STR the text is
 * s itself, or for !!binary the decoded bytes in *decoded (owned by the caller).
 * json: the file is JSON, where a number out of range is an error, not a string.
 * Returns 0, TE_NOMEM, or TE_INPUT with the reason in msg.
 */
int scalar_resolve(const char *tag, const char *s, bool plain, bool json, struct yval *v,
		   char **decoded, char *msg, size_t msgsz);

/* Where a node starts, and for a mapping's value where its key does. */
struct yaml_pos {
	const cJSON *node;
	int line, col;
	int key_line, key_col; /* 0 when the node is not a mapping value */
};

struct yaml_doc {
	cJSON *root;   /* the callback may take it (set to NULL) */
	int line, col; /* 1-based position of the root node */
	struct yaml_pos *pos;
	size_t npos;
	size_t cap;
	size_t cursor; /* where yaml_doc_pos last found a node */
};

/* How a stream is read. */
enum yaml_mode {
	/* go-yaml v2 as kubectl reads manifests: typed scalars, merge keys (<<), duplicate
	 * keys are errors; positions of the top three levels of containers only. */
	YAML_TYPED = 0,
	/* The nodes as written, as libyaml's document loader gives them (configuration
	 * files): every scalar a string of its text, keys as written, << an ordinary key,
	 * duplicate keys kept for the caller to judge, tags ignored; the position of every
	 * node and key; syntax errors without libyaml's "(while ... at line N)". */
	YAML_TEXT = 1,
};

/* Called for every non-empty document; returns < 0 to fail, > 0 to stop reading. */
typedef int (*yaml_doc_fn)(void *ctx, struct yaml_doc *doc, struct err *e);

/* Calls fn for every non-empty document of data. Errors name file:line:col: syntax
 * errors, invalid UTF-8, nesting deeper than YAML_MAX_DEPTH, alias expansion beyond
 * YAML_MAX_ALIAS_NODES, more than YAML_MAX_DOCS documents or YAML_MAX_NODES nodes
 * (counted as they stream, so the parse stops at the first one over the bound).
 * Returns what fn returned when it stopped the stream, else 0 or the error. */
int yaml_parse_stream(const char *file, const char *data, size_t len, enum yaml_mode mode,
		      yaml_doc_fn fn, void *ctx, struct err *e);
/* Position of node in doc, or the document's position when unknown. */
void yaml_doc_pos(struct yaml_doc *doc, const cJSON *node, int *line, int *col);
/* Position of the key of node (a mapping value, YAML_TEXT), else as yaml_doc_pos. */
void yaml_doc_key_pos(struct yaml_doc *doc, const cJSON *node, int *line, int *col);

/* YAML (one document, typed) to cJSON, for kubeconfig files and kustomize inputs;
 * an empty stream is a cJSON null. */
int yaml_to_json(const char *file, const char *data, size_t len, cJSON **out, struct err *e);

#endif
