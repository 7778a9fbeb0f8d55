/*
 * api_int: shared pieces of the resource handlers (api*.c). Internal to kubesim's HTTP layer.
 */
#ifndef KUBESIM_API_INT_H
#define KUBESIM_API_INT_H

#include "merge.h"
#include "reply.h"

/* A parsed resource URL. */
struct route {
	const struct restype *rt;   /* where the objects are (restype_home of view) */
	const struct restype *view; /* the type the URL names: its version answers */
	char ns[256];
	char name[256];
	char sub[32]; /* "", "status", "scale", "finalize" */
	bool watch;   /* the deprecated /watch/ path: a watch whatever the query says */
};

int api_route(struct req *r, struct route *ro);

/* api_crd.c: a custom object as a view (a served version of its CRD) shows it. */
struct sobj;
void api_view_obj(const struct restype *view, cJSON *obj);
/* A body at a built-in view's version converted (in place) to the storing version
 * (restype.to_home); nothing for other types. */
void api_home_obj(const struct restype *view, cJSON *obj);
/* live at a built-in view's version (new), or NULL when view needs no conversion. */
cJSON *api_view_copy(const struct restype *view, const cJSON *live);
/* so's JSON at view: sobj_json's, or a new string left in *owned (free it). Lock held. */
const char *api_view_json(const struct restype *view, struct sobj *so, size_t *len,
			  char **owned);
void api_manager(struct req *r, char *out, size_t outlen);
bool api_dry_run(struct req *r);
/* A boolean query parameter (watch, force, allowWatchBookmarks) as the server reads it. */
bool api_arg_true(struct req *r, const char *key);
/* api_options.c: the request's CreateOptions, UpdateOptions, PatchOptions or
 * DeleteOptions (body: a DELETE's parsed body, or NULL); 0, or -422 with e filled. */
enum api_opts { API_OPTS_CREATE, API_OPTS_UPDATE, API_OPTS_PATCH, API_OPTS_APPLY, API_OPTS_DELETE };
int api_options_check(struct req *r, enum api_opts k, const cJSON *body, struct kstatus *e);
/* JSON (or YAML) body; NULL with e filled. */
cJSON *api_parse_body(struct req *r, struct kstatus *e);
/* A LabelSelector's matchLabels as a selector string ("app=web,tier=x"; "" for none). */
void api_selector_string(const cJSON *sel, char *out, size_t n);
/* The Status object of a merge failure (new cJSON); one that named no code is a 500. */
cJSON *api_merge_status(const struct kstatus *me);
enum MHD_Result api_reply_merge(struct req *r, const struct kstatus *me);

enum MHD_Result api_patch(struct req *r, struct route *ro);
/* The autoscaling/v1 Scale view of obj at rt (a CRD's view: its scale paths) (new;
 * lock held). */
cJSON *api_scale_of(const struct restype *rt, const cJSON *obj);
enum MHD_Result api_scale_get(struct req *r, struct route *ro);
enum MHD_Result api_scale_update(struct req *r, struct route *ro, cJSON *scale); /* takes */
enum MHD_Result api_watch_start(struct req *r, struct route *ro);
enum MHD_Result api_delete_collection(struct req *r, struct route *ro, struct store_wopts *w);

/*
 * The typed decode of a body: values of the wrong JSON type fail as the Go decoder does,
 * and fieldValidation (Strict, Warn, Ignore; default Warn) decides about unknown fields
 * of built-in kinds. Unknown fields are dropped from obj (the typed decode of the real
 * server drops them); Strict fails, Warn adds a Warning header. Failures are 400 for a
 * create or update body, 422 "patch: Invalid value" when patched (obj is the result of a
 * JSON, merge or strategic merge patch).
 */
int api_field_validation(struct req *r, const struct restype *rt, cJSON *obj, bool patched,
			 struct kstatus *e);
/* A decode failure as the request's kind answers it: 400 "<Kind> in version ... cannot be
 * handled as a <Kind>: why", or for a patch result (patched) the 422 naming the patch. */
int api_decode_fail(const struct restype *rt, const cJSON *patched, const char *why,
		    struct kstatus *e);
/* api_crd.c: a custom resource body (or patch result) at ro's version is pruned (unknown
 * fields as fieldValidation says), defaulted and validated against the version's schema,
 * old (the stored object on an update, else NULL) ratcheting what did not change; 0, or
 * < 0 with e filled (400 strict decoding, 422 Invalid with causes). */
int api_crd_admit(struct req *r, const struct route *ro, cJSON *obj, const cJSON *old,
		  bool patched, struct kstatus *e);
/* The scale paths a custom type declares at view (lock held); false for the others,
 * whose Scale is spec.replicas, status.replicas and spec.selector. */
bool api_crd_scale_paths(const struct restype *view, const char **spec, const char **status,
			 const char **selector);
/* The value at a simple JSON path (".spec.replicas") or NULL; set makes the parents. */
const cJSON *api_crd_path_get(const cJSON *obj, const char *path);
void api_crd_path_set(cJSON *obj, const char *path, double v);
/* A request at a deprecated CRD version is answered with its Warning header. */
void api_crd_warn_deprecated(struct req *r, const struct restype *view);
/* The same for a PUT: old is read from the store. */
int api_crd_admit_update(struct req *r, const struct route *ro, cJSON *obj, struct kstatus *e);
/* A server-side apply body of a custom resource converted through the version's schema
 * (structured-merge-diff): 0, or the 500 a type mismatch or undeclared field gets. */
int api_crd_apply_check(const struct route *ro, const cJSON *config, struct kstatus *e);

/* Where a typed field sits, for Go's decode messages: the struct that declares it and
 * the JSON path without list indexes ("DeploymentSpec", "spec.replicas"). */
struct decode_at {
	const char *gostruct, *gopath;
};
/* Whether v decodes into a field of Go type gotype ("int32", "map[string]string",
 * "[]string", "v1.ResourceList", ...); if not, out gets the decoder's message. */
bool api_decode_check(const cJSON *v, const char *gotype, const struct decode_at *at, char *out,
		      size_t n);
/* The same for an apply patch (structured-merge-diff's message, path ".spec.replicas"). */
bool api_decode_check_apply(const cJSON *v, const char *gotype, const char *path, char *out,
			    size_t n);

/* Apply patches are always converted through the schema, whatever fieldValidation says:
 * an unknown field of a built-in kind fails with 500 "failed to create typed patch
 * object (...): .spec.foo: field not declared in schema". */
int api_apply_schema_check(const struct restype *rt, cJSON *config, struct kstatus *e);

/* Table responses (Accept: ...;as=Table;...). */
bool api_wants_table(struct req *r);
/* The Table for an object or a list (new). */
cJSON *api_table_of(const struct restype *rt, const cJSON *in);
/* The columns of the kinds api_table_cluster.c prints (NULL for the others), their
 * definitions and their cells, before AGE (after_age false) or after it. */
struct kcol;
const struct kcol *api_table_cluster_cols(const struct restype *rt);
void api_table_cluster_columns(const struct kcol *cols, bool after_age,
			    void (*add)(cJSON *, const char *, const char *, int), cJSON *defs);
void api_table_cluster_cells(const struct kcol *cols, bool after_age, const cJSON *o, cJSON *cells);
enum MHD_Result api_table_reply(struct req *r, struct route *ro, const char *json, size_t len);
/* Table pieces shared with api_table_kinds.c: a column definition, the AGE text, the
 * row's PartialObjectMetadata (returns row). */
void api_table_col(cJSON *cols, const char *name, const char *type, int prio);
void api_human_age(const cJSON *obj, char *out, size_t n);
cJSON *api_table_row_object(cJSON *row, const cJSON *o);
/* The columns and rows of the kinds issue #13 part 1 added (PersistentVolume, claim,
 * StorageClass, ResourceQuota, HorizontalPodAutoscaler); false / NULL for other kinds. */
bool api_table_kinds_columns(const struct restype *rt, cJSON *cols);
cJSON *api_table_kinds_row(const struct restype *rt, const cJSON *o);

/* YAML (apply-patch+yaml bodies) to cJSON; NULL when not parseable. */
cJSON *api_yaml_to_json(const char *data, size_t len);

/* api_watch.c */
struct selector;
enum MHD_Result api_watch(struct req *r, const struct restype *rt, const char *ns,
			  struct selector *lsel, struct selector *fsel);

/* api_select.c: label and field selectors. */
struct selector *selector_parse(const char *s, bool field, const struct restype *rt,
				char *errbuf, size_t errlen);
bool selector_match(const struct selector *sel, const cJSON *obj);
void selector_free(struct selector *sel);
/* True for a selector that selects everything (none, or "" parsed). */
bool selector_empty(const struct selector *sel);
/* The request's labelSelector and fieldSelector (both or neither); -1 with err set. */
int api_selectors(struct req *r, const struct restype *rt, struct selector **lsel,
		  struct selector **fsel, char *err, size_t errlen);

#endif
