/*
 * kustomize_int.h: private to agent/kustomize/. The accumulator of
 * resources a kustomization build works on, kustomize's "field specs" (paths into
 * objects, filtered by kind), and the steps of a build (generators, transformers,
 * patches, name references). Nothing here reads files except through the vfs.
 */
#ifndef TETHER_KUSTOMIZE_INT_H
#define TETHER_KUSTOMIZE_INT_H

#include <stdbool.h>

#include <cjson/cJSON.h>

#include "jsonget.h"
#include "kustomize.h"
#include "manifest.h"
#include "util.h"
#include "vfs.h"

/* Nesting of kustomizations (bases, components) beyond which we stop: a cycle. */
#define KS_MAX_DEPTH 32
/* Bounds on untrusted input: bases shared many times over could otherwise blow up. */
#define KS_MAX_OBJECTS 100000
#define KS_MAX_BUILDS 10000

/* The text of a buffer, "" when nothing was ever appended (data is NULL then). */
#define KS_TEXT(b) ((b).data ? (b).data : "")

/* One earlier identity of a resource, kept so references written against it can be
 * rewritten to the final name (kustomize's "previous ids"). */
struct ks_id {
	char *group;
	char *kind;
	char *name;
	char *ns;
};

/* One resource under construction. */
struct ks_res {
	cJSON *body; /* owned */
	char *file;  /* origin for error messages and object_set */
	int line, col;
	struct ks_id *prev; /* identities before each rename, oldest first */
	size_t nprev, capprev;
	struct strlist prefixes; /* namePrefix / nameSuffix applied, innermost first */
	struct strlist suffixes;
	bool hash; /* generated: gets a content-hash suffix at the end */
	struct strlist vars; /* names of the vars whose objref is this resource */
};

struct ks_set {
	struct ks_res *items;
	size_t n, cap;
	cJSON *tconfig; /* transformer configuration (configurations) merged so far, or NULL */
};

/* sortOptions: the order of the output (kustomize's SortOrderTransformer). */
struct ks_order {
	bool fifo;	      /* order: fifo, the order resources were read in */
	bool custom;	      /* legacySortOptions given: first and last replace the defaults */
	struct strlist first; /* legacySortOptions.orderFirst */
	struct strlist last;  /* legacySortOptions.orderLast */
};

/* What one kustomization build step needs: the vfs and the file being built. */
struct ks_ctx {
	struct vfs *v;
	const char *dir;  /* directory of the kustomization, relative to the root */
	const char *file; /* path of kustomization.yaml, for messages */
	int depth;
	char *stack[KS_MAX_DEPTH + 1]; /* directories being built, to catch cycles */
	int nstack;
	struct ks_order order; /* the top kustomization's sortOptions */
	cJSON *openapi;	       /* the schema of the openapi field, once one was read */
	int nbuilds;	       /* kustomizations built so far */
	struct ks_var *vars;	       /* vars of every kustomization built, see vars.c */
	size_t nvars, capvars;
};

/* A path into an object, kustomize style ("spec/template/metadata/labels"),
 * applying to objects of a group/version/kind ("" matches any). */
struct ks_fieldspec {
	const char *group;
	const char *version;
	const char *kind;
	const char *path;
	bool create;
};

/* res.c */
void ks_set_init(struct ks_set *s);
void ks_set_dispose(struct ks_set *s);
/* Takes ownership of body (identities are checked later, ks_set_check_unique). */
int ks_set_add(struct ks_set *s, cJSON *body, const char *file, int line, int col, struct err *e);
/* Moves every resource of src to the end of dst; src is left empty. */
int ks_set_move_all(struct ks_set *dst, struct ks_set *src, struct err *e);
void ks_res_dispose(struct ks_res *r);

const char *ks_kind(const cJSON *body);
const char *ks_name(const cJSON *body);
const char *ks_ns(const cJSON *body); /* NULL when absent */
/* Group and version of apiVersion, written into caller buffers. */
void ks_group_version(const cJSON *body, char *group, size_t gsz, char *version, size_t vsz);
bool ks_cluster_scoped(const char *group, const char *kind);
/* Namespaces equal, treating "" and NULL as "default". */
bool ks_ns_equal(const char *a, const char *b);
/* Gets or creates obj.key as an object (replacing a null); NULL on failure. */
cJSON *ks_obj_child(cJSON *obj, const char *key);
/* Sets obj.key to a string, replacing what was there. */
int ks_set_str(cJSON *obj, const char *key, const char *val);

/* Renames a resource (name and/or namespace; NULL keeps it), recording the old id. */
int ks_res_rename(struct ks_res *r, const char *name, const char *ns);
/* True when the current id or an earlier one has this kind (and group, when given),
 * name and namespace (ns NULL: any). */
bool ks_res_any_id(const struct ks_res *r, const char *group, const char *kind, const char *name,
		   const char *ns);

/* True when the field spec applies to this object. */
bool ks_fs_matches(const struct ks_fieldspec *fs, const cJSON *body);
/*
 * Calls fn(parent, key, ctx) for every place path leads to in obj: sequences met on
 * the way are walked element by element ("[]" suffixes are optional). With create,
 * missing intermediate mappings are created and fn is also called for a missing
 * leaf. fn returns 0 or a negative error code, which stops the walk.
 */
typedef int (*ks_fs_fn)(cJSON *parent, const char *key, void *ctx);
int ks_fs_walk(cJSON *obj, const char *path, bool create, ks_fs_fn fn, void *ctx);
/* Runs ks_fs_walk for every spec of a table (terminated by a NULL path) matching body. */
int ks_fs_apply(const struct ks_fieldspec *table, cJSON *body, ks_fs_fn fn, void *ctx);

/* True when some spec of the table applies to body. */
bool ks_fs_any(const struct ks_fieldspec *table, const cJSON *body);

/* decode.c: rewrites the field names of a kustomization (kust) to kustomize's
 * spelling, matching them as kustomize's decoder does (ignoring case); an unknown
 * field inside an entry is an error naming file and the entry. */
int ks_decode_kustomization(const char *file, cJSON *kust, struct err *e);
/* The same for a transformer configuration file (configurations). */
int ks_decode_tconfig(const char *file, cJSON *doc, struct err *e);

/* tconfig.c: the configurations field. Loads kust.configurations into ra->tconfig. */
int ks_tconfig_load(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e);
/* Appends every section of src to *dst (created when NULL); TE_NOMEM on failure. */
int ks_tconfig_merge(cJSON **dst, const cJSON *src);
/* base followed by the field specs of ra's configuration section, in a new table
 * (*out, NULL when the section adds none: use base). */
int ks_tconfig_specs(const char *file, const struct ks_set *ra, const char *section,
		     const struct ks_fieldspec *base, struct ks_fieldspec **out, struct err *e);

/* order.c */
void ks_order_init(struct ks_order *o);
void ks_order_dispose(struct ks_order *o);
/* Reads a sortOptions mapping (so) of file into o (initialised by the caller). */
int ks_order_read(struct ks_order *o, const char *file, const cJSON *so, struct err *e);
/* Sorts as o says (NULL: the legacy order with kustomize's default kinds). */
int ks_set_sort(struct ks_set *s, const struct ks_order *o, struct err *e);

/* index.c: a string multimap to keep large builds linear. */
struct ks_pair {
	char *key;
	size_t val;
	size_t next; /* 1 + index of the next pair of the slot, 0 at the end */
};

struct ks_index {
	size_t *heads; /* per slot, 1 + index of its first pair */
	size_t cap;    /* slots, a power of two */
	struct ks_pair *pairs;
	size_t n, pcap;
};

int ks_index_init(struct ks_index *x, size_t expected);
void ks_index_dispose(struct ks_index *x);
int ks_index_add(struct ks_index *x, const char *key, size_t val);
/* Up to max values stored under key, most recent first; returns how many. */
size_t ks_index_get(const struct ks_index *x, const char *key, size_t *out, size_t max);
/* TE_INPUT naming both origins when two objects share an identity (kustomize: "may
 * not add resource with an already registered id"); file is the kustomization. */
int ks_set_check_unique(const struct ks_set *s, const char *file, struct err *e);

/* gen.c: configMapGenerator and secretGenerator entries. */
int ks_generate(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e);
/* The 10-character content hash kustomize appends to generated names. */
int ks_content_hash(const cJSON *body, char out[11], struct err *e);
/* Appends the hash suffix to every resource marked for it. */
int ks_add_hashes(struct ks_set *ra, struct err *e);

/* xform.c: the builtin transformers, in kustomize's order. */
int ks_transform(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e);
/* Each builtin transformer on its own, with the field specs it is to use (a table ending
 * with a NULL path), for the fields of a kustomization and for plugin configs. */
int ks_apply_pairs(struct ks_ctx *c, struct ks_set *ra, const struct ks_fieldspec *fs,
		   const cJSON *pairs, const char *field, struct err *e);
/* field: for the namespace field, which also renames Namespace objects. */
int ks_namespace_set(struct ks_ctx *c, struct ks_set *ra, const char *ns,
		     const struct ks_fieldspec *extra, bool field, struct err *e);
/* only: NULL for every object (but those kustomize never renames), else those it matches. */
int ks_affix_set(struct ks_ctx *c, struct ks_set *ra, const char *a, bool prefix,
		 const struct ks_fieldspec *only, struct err *e);
/* One replicas entry (name, count). */
int ks_replica_set(struct ks_ctx *c, struct ks_set *ra, const cJSON *it,
		   const struct ks_fieldspec *table, struct err *e);
/* Field specs of a config (a list of {group, version, kind, path, create}) after base_n
 * specs of base, in a new table ending with a NULL path (pointing into fields). */
int ks_fieldspecs_read(const char *file, const char *field, const cJSON *fields, size_t base_n,
		       const struct ks_fieldspec *base, struct ks_fieldspec **out, struct err *e);
size_t ks_fs_count(const struct ks_fieldspec *t);

/* images.c: the images field (newName, newTag, digest). */
int ks_images(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e);
/* One images entry; besides every containers and initContainers list, it also sets the
 * image strings at the paths of fs (NULL: none). */
int ks_image_set(struct ks_ctx *c, const cJSON *it, const struct ks_fieldspec *fs,
		 struct ks_set *ra, struct err *e);

/* yaml.c: turns the booleans manifest_parse made of yes/no/on/off/y/n in
 * ra->items[first..] back into strings, as kustomize's YAML 1.2 reading has them. */
int ks_yaml12_fix(struct ks_set *ra, size_t first, const char *data, size_t len);

/* openapi.c: reads kust.openapi (a schema file) into c->openapi. */
int ks_openapi_load(struct ks_ctx *c, const cJSON *kust, struct err *e);

/* patch.c */
int ks_patches(struct ks_ctx *c, const cJSON *kust, const char *field, struct ks_set *ra,
	       struct err *e);
/* Strategic merge of patch into target (both objects); patch is not modified. */
int ks_smp(cJSON *target, const cJSON *patch, struct err *e);
/* The same with an openapi document (NULL: kustomize's built-in schema). */
int ks_smp_with(cJSON *target, const cJSON *patch, const cJSON *openapi, struct err *e);
/* Applies a JSON 6902 operation list to *doc (which may be replaced). */
int ks_json6902(cJSON **doc, const cJSON *ops, struct err *e);
/* Label selector ("a=b,c in (x,y),!d") against a labels object. */
int ks_selector_match(const char *sel, const cJSON *labels, bool *match, struct err *e);

/* plugin.c: the generators or transformers field (field names which): builtin plugin
 * configs run the code of the kustomization fields; plugins that run programs are
 * refused. */
int ks_plugins(struct ks_ctx *c, const cJSON *kust, const char *field, struct ks_set *ra,
	       struct err *e);

/* nameref.c: rewrites references to renamed objects. */
int ks_fix_name_refs(struct ks_set *ra, struct err *e);

/* fieldpath.c: the dotted field paths of replacements and vars. */
struct ks_fpath {
	struct strlist parts;
};

/* One node a field path leads to, and its mapping or list (NULL for the root). */
struct ks_match {
	cJSON *parent;
	cJSON *node;
};

/* Splits a replacement path ("a.[k=v].[x.y/z].0.*"); TE_NOMEM only. */
int ks_fpath_parse(struct ks_fpath *p, const char *path);
/* Splits a var's fieldPath ("spec.ports[0].port"); TE_NOMEM only. */
int ks_fpath_parse_var(struct ks_fpath *p, const char *path);
void ks_fpath_dispose(struct ks_fpath *p);
/* Every node p leads to in root (*out to free). With create (the cJSON type of the
 * value to write: cJSON_NULL for a scalar), what is missing is made. */
int ks_fpath_find(cJSON *root, const struct ks_fpath *p, int create, struct ks_match **out,
		  size_t *n, struct err *e);
/* obj.key of a kustomize config as Go's encoding/json reads it: the exact key, else one
 * that differs only in case ("fieldpaths", "fieldRef"). */
const cJSON *ks_kget(const cJSON *obj, const char *key);
const char *ks_kstr(const cJSON *obj, const char *key, const char *def);
int ks_kint(const cJSON *obj, const char *key);
/* Puts nv (owned) in the place of old, a member or element of parent, under old's key. */
int ks_node_replace(cJSON *parent, cJSON *old, cJSON *nv);
/* The first node p leads to, NULL when none. */
cJSON *ks_fpath_get(cJSON *root, const struct ks_fpath *p);
/* A scalar as YAML text ("" for null, mappings and lists); -1 when it does not fit. */
int ks_scalar_text(const cJSON *v, char *out, size_t sz);

/* replace.c: the replacements of obj (a kustomization or a ReplacementTransformer
 * config): inline entries and path: files, in order. */
int ks_replacements(struct ks_ctx *c, const cJSON *obj, struct ks_set *ra, struct err *e);
/* kustomize's ResId text of an object ("Kind.version.group/name.namespace"). */
void ks_resid_text(const char *group, const char *version, const char *kind, const char *name,
		   const char *ns, char *out, size_t sz);

/* vars.c: kust.vars bound to the objects of ra (at the end of each kustomization),
 * and $(VAR) substituted once the whole build is done. */
int ks_vars_merge(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e);
int ks_vars_resolve(struct ks_ctx *c, struct ks_set *ra, struct err *e);
void ks_vars_dispose(struct ks_ctx *c);

/* build.c: reads a file named in kust.field, relative to the kustomization
 * directory, which it must be in or below; *path_out is its resolved path. */
int ks_read_rel(struct ks_ctx *c, const char *field, const char *rel, char **path_out,
		struct buf *out, struct err *e);
/* *list is obj.field, NULL when absent or null; TE_INPUT when it is not a list. */
int ks_list_field(const struct ks_ctx *c, const cJSON *obj, const char *field,
		  const cJSON **list, struct err *e);
/* Adds the objects of a resources-like entry of kust.field: a file, or a directory
 * whose kustomization is built. */
int ks_add_entry(struct ks_ctx *c, const char *field, const char *entry, struct ks_set *ra,
		 struct err *e);
/* Runs fn on each string of kust.field (a list of strings). */
int ks_each_entry(struct ks_ctx *c, const cJSON *kust, const char *field,
		  int (*fn)(struct ks_ctx *, const char *, struct ks_set *, struct err *),
		  struct ks_set *ra, struct err *e);
/* Parses a YAML/JSON stream of objects into the accumulator. */
int ks_parse_objects(struct ks_set *ra, const char *file, const char *data, size_t len,
		     struct err *e);

#endif
