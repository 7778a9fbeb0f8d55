/*
 * sync: one commit of one app made true in the cluster. Fetch, render, plan against
 * the inventory and one LIST per kind, dry-run the whole commit, apply in stages,
 * record the inventory, prune behind guards, wait for rollouts. Also `diff` (the same
 * plan, shown instead of applied) and `render`.
 * The second half of this header exposes the pure pieces (stages, hashing, plan
 * decisions, the line diff, secret masking, inventory encoding, prune guards,
 * rollout rules) so that they are unit-tested without a cluster.
 */
#ifndef TETHER_SYNC_H
#define TETHER_SYNC_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "config.h"
#include "kube.h"
#include "manifest.h"
#include "util.h"

#define SYNC_FIELD_MANAGER "tether"
#define SYNC_LABEL_MANAGED_BY "app.kubernetes.io/managed-by"
#define SYNC_LABEL_APP "tether.dev/app"
#define SYNC_ANNOTATION_PRUNE "tether.dev/prune"
/* In a manifest: take the object from the app that owns it (value "true"). */
#define SYNC_ANNOTATION_ADOPT "tether.dev/adopt"
/* On a Deployment's metadata (revision.c): the commit that last changed its pod
 * template; the deployment controller copies them onto that template's ReplicaSet. */
#define SYNC_ANNOTATION_CAUSE "kubernetes.io/change-cause"
#define SYNC_ANNOTATION_COMMIT "tether.dev/commit"
#define SYNC_INVENTORY_PREFIX "tether-inventory-"
/* Objects are limited to 1 MiB; the rest is left for the ConfigMap's metadata. */
#define INVENTORY_MAX_BYTES (1000 << 10)

/* Progress callback: phase ("applying", "dry-run", "pruning"), done of total. */
typedef void (*sync_progress_fn)(const char *phase, size_t done, size_t total, void *ctx);

struct sync_rollout {
	char *object;  /* "deployment.apps/web" with namespace prefix "ns/" */
	char *status;  /* "done", "failed", "timeout" */
	char *message;
};

struct sync_result {
	char commit[41];
	char *app;
	char *namespace;
	struct strlist created, changed, unchanged, pruned, skipped;
	struct strlist adopted;  /* existed without an owner, or taken with tether.dev/adopt */
	struct strlist not_in_git; /* in the inventory, no longer rendered, kept (no --prune) */
	struct strlist errors;
	struct sync_rollout *rollouts;
	size_t n_rollouts;
	int64_t duration_ms;
	struct kube_stats stats;
	long dry_runs;
	char *inventory_moved; /* "inventory moved from a/x to b/x" (inventory_ns.c), or NULL */
	int code;      /* TE_* of the whole run */
	int exit_code; /* what the process exits with */
};

void sync_result_init(struct sync_result *r);
void sync_result_dispose(struct sync_result *r);
int sync_result_json(const struct sync_result *r, cJSON **out);

/* A Deployment of the run, as the hooks see it. */
struct sync_deployment {
	const char *ns; /* "" for none */
	const char *name;
	const struct kube_resource *res;
	bool changed; /* created or changed by this run */
};

struct gitsrc;
/* What a run shows the layer above it (agent/history/) at its hooks: borrowed from the
 * run, valid during the call. */
struct sync_view {
	const struct app_config *cfg;
	struct kube *kube;   /* NULL: the run did not connect */
	struct gitsrc *git;  /* NULL: the source was not opened */
	const char *commit;  /* "" until fetched */
	const char *base;    /* the commit the inventory recorded before this run, or NULL */
	const char *read_ns; /* where the inventory (and what lives next to it) was read */
	const char *write_ns; /* where it is now (an older tether's namespace until moved) */
	bool wrote;          /* something was written to the cluster */
	const struct sync_deployment *deployments; /* after_run only */
	size_t n_deployments;
};

/* Optional steps of sync_run that belong to a layer above it (history.h). */
struct sync_hooks {
	/* Once the commit and the live state are known, before the first write: a negative
	 * TE_* stops the run with e (on-failure: hold). */
	int (*before_apply)(void *ctx, const struct sync_view *v, struct err *e);
	/* At the end of the run, rc and e its outcome: may add to res->errors. */
	void (*after_run)(void *ctx, const struct sync_view *v, int rc, const struct err *e,
			  struct sync_result *res);
	void *ctx;
};

/* Everything a run needs besides the app's settings. */
struct sync_env {
	sync_progress_fn progress;
	void *progress_ctx;
	bool color;         /* diff: ANSI colours */
	struct buf *diff;   /* diff: receives the unified diffs and the summary */
	const struct sync_hooks *hooks; /* sync_run only; NULL: none */
};

/* The engine runs on a session (session.h) opened for the app: c is this run's
 * settings for that app (the agent pins c->ref to the commit it resolved). */
struct session;
/* tether sync: the result is filled even on failure; returns TE_* (0 in sync). */
int sync_run(struct session *s, const struct app_config *c, const struct sync_env *env,
	     struct sync_result *res, struct err *e);
/* tether diff: returns 0 (no changes), 1 (changes) or a negative TE_* code. */
int sync_diff(struct session *s, const struct app_config *c, const struct sync_env *env,
	      struct sync_result *res, struct err *e);
/* tether render: fetches and renders; commit receives the SHA. */
int sync_render(struct session *s, const struct app_config *c, struct object_set *out,
		char commit[41], struct err *e);

/* ---- stages ---------------------------------------------------------------- */

enum sync_stage {
	STAGE_NAMESPACES = 0, /* Namespaces and CustomResourceDefinitions */
	STAGE_CLUSTER_RBAC,   /* ClusterRole, ClusterRoleBinding */
	STAGE_SERVICE_ACCOUNTS,
	STAGE_RBAC,           /* Role, RoleBinding */
	STAGE_CONFIG,         /* ConfigMap, Secret */
	STAGE_SERVICES,
	STAGE_WORKLOADS,      /* Deployment, StatefulSet, DaemonSet, Job, CronJob, ReplicaSet, Pod */
	STAGE_REST,
	STAGE_COUNT
};

int sync_stage_of(const char *group, const char *kind);
const char *sync_stage_name(int stage);
bool sync_is_crd(const char *group, const char *kind);
bool sync_is_secret(const char *group, const char *kind);

/* ---- hashing and the plan -------------------------------------------------- */

/* One object tether manages, as recorded in the inventory. */
struct inv_entry {
	char *group, *version, *kind, *ns, *name;
	char hash[17];   /* of the manifest tether applied */
	char *rv;        /* resourceVersion the cluster answered */
	int64_t gen;     /* metadata.generation, 0 when the kind has none */
	char *uid;
	char mgr[17];    /* hash of the other managers' non-status field sets */
};

struct inventory {
	struct inv_entry *items;
	size_t n, cap;
	char *commit;    /* last commit synced */
};

void inventory_init(struct inventory *inv);
void inventory_dispose(struct inventory *inv);
/* Copies the strings of x. */
int inventory_add(struct inventory *inv, const struct inv_entry *x);
struct inv_entry *inventory_find(const struct inventory *inv, const char *group,
				 const char *kind, const char *ns, const char *name);
/* Compact text, one object a line; TE_NOMEM past max bytes (the 1 MiB object limit). */
int inventory_encode(const struct inventory *inv, size_t max, struct buf *out, struct err *e);
int inventory_decode(struct inventory *inv, const char *text, struct err *e);
/* The inventory ConfigMap for app in ns (a new cJSON object). */
int inventory_configmap(const struct inventory *inv, const char *app, const char *ns,
			cJSON **out, struct err *e);
/* Reads the inventory out of a ConfigMap. */
int inventory_from_configmap(struct inventory *inv, const cJSON *cm, struct err *e);
/* Where the inventory and history of app c live, from c alone (never the kubeconfig
 * context, so every machine agrees): --inventory-namespace, else --namespace, else
 * "default". */
const char *sync_inventory_namespace(const struct app_config *c);
/* Where an older tether put them when that differs (the context's namespace, used
 * when neither option was given), or NULL: looked up to move them once. */
const char *sync_inventory_legacy_namespace(const struct app_config *c,
					    const char *context_ns);
/* The GET of an inventory ConfigMap in ns: its rc and error. */
struct inventory_get {
	const char *ns; /* NULL: not looked up */
	int rc;
	const struct err *err;
};
/* The verdict on the GETs at the rule's namespace and at the legacy one (may be NULL):
 * read errors, TE_INPUT naming both when both exist; *from_legacy when only the
 * legacy one does. Neither found is 0 (a first sync). */
int inventory_pick(const char *app, const struct inventory_get *at,
		   const struct inventory_get *legacy, bool *from_legacy, struct err *e);
/* The query that finds the app's inventories in every namespace (one LIST by the
 * label tether.dev/inventory=<app>, metadata only); *sel is allocated, free it. */
int inventory_elsewhere_query(struct kube_list_q *q, const struct kube_resource *cm,
			      const char *app, char **sel);
/* The verdict on that LIST: TE_INPUT naming both namespaces when the app has an
 * inventory in a namespace other than ns and legacy (a run with another -n or
 * --inventory-namespace wrote it); 0 when there is none, or when the identity may not
 * list ConfigMaps across namespaces (403: the GETs at ns and legacy decide alone). */
int inventory_elsewhere(const char *app, const struct kube_list_q *q, const char *ns,
			const char *legacy, bool have_here, struct err *e);
/* The app's inventory ConfigMap, wherever inventory_pick finds it: *ns_out is the
 * namespace it was found in (borrowed); TE_NOTFOUND when there is none. */
int inventory_locate(struct kube *k, const struct app_config *c, const char *context_ns,
		     cJSON **cm, const char **ns_out, struct err *e);
/* Fills e's cluster fields (rv, gen, uid, mgr) from a live or applied object. */
int inv_entry_observe(struct inv_entry *x, const cJSON *obj);
void inv_entry_dispose(struct inv_entry *x);

/* 16 hex digits of the SHA-256 of the object's canonical JSON. */
void sync_hash_object(const cJSON *body, char out[17]);
/* The same of JSON already printed (cJSON_PrintUnformatted of the object). */
void sync_hash_text(const char *text, char out[17]);
/* Hash of managedFields entries of managers other than tether, status excluded. */
void sync_hash_managers(const cJSON *live, char out[17]);

enum plan_decision {
	PLAN_UNCHANGED = 0, /* no request at all */
	PLAN_CREATE,        /* not live: dry-run, then apply */
	PLAN_CHECK,         /* may differ: dry-run, apply if the result differs from live */
};
enum plan_decision plan_decide(const char *hash, const struct inv_entry *inv, const cJSON *live);

/* Adds tether's app label to body (metadata.labels), and managed-by only when Git sets
 * none: a label Git sets is never replaced. TE_INPUT when Git sets the app label to
 * another app. */
int sync_label_object(cJSON *body, const char *app);
/* The app that owns a live object (its tether.dev/app label), or NULL. */
const char *sync_owner_of(const cJSON *obj);
/* True when the manifest asks to take the object from its owner (tether.dev/adopt). */
bool sync_adopt_requested(const cJSON *body);
/* Removes what the server owns (managedFields, resourceVersion, uid, generation,
 * creationTimestamp, status, the deployment revision annotation) before comparing. */
void sync_strip_server_fields(cJSON *obj);
/* True when a and b are equal once stripped (copies are stripped, not a and b). */
bool sync_objects_equal(const cJSON *a, const cJSON *b);

/* ---- diff -------------------------------------------------------------------- */

/* Unified diff of two texts, line by line (Myers' algorithm), `context` lines around
 * each change. Returns 1 when they differ, 0 when equal, negative on error. */
int linediff_unified(const char *a_label, const char *a, const char *b_label, const char *b,
		     int context, bool color, struct buf *out, struct err *e);

/* Replaces the values of a Secret's data and stringData (and a last-applied
 * annotation) with "***", or "*** (changed)" in `after` where they differ. Either
 * may be NULL. */
void secret_mask(cJSON *before, cJSON *after);
/* The inventory digest of a Secret: sync_hash_object of the manifest without data,
 * stringData and the last-applied annotation, so that it tells nothing about the
 * values. plan_decide never trusts it: a Secret is always compared on the server. */
void secret_hash(const cJSON *body, char out[17]);

/* Writes the diff of one object (before NULL: create; after NULL: prune).
 * Copies are stripped and masked. Returns 1 when it differs. */
int diff_object(const char *label, const cJSON *before, const cJSON *after, bool secret,
		bool color, struct buf *out, struct err *e);

/* ---- prune ------------------------------------------------------------------- */

/* The guards: no prune after an error; an empty render is refused; more than half of
 * the inventory needs force. */
int prune_check(size_t n_inventory, size_t n_prune, size_t n_rendered, bool had_error,
		bool force, struct err *e);
/* True when the live object opts out (annotation tether.dev/prune: disabled). */
bool prune_disabled(const cJSON *live);

/* ---- rollouts ---------------------------------------------------------------- */

enum rollout_state { ROLLOUT_WAIT = 0, ROLLOUT_DONE, ROLLOUT_FAILED };
/* kubectl's rollout-status rules for Deployment, StatefulSet, DaemonSet and Job;
 * msg receives the waiting or failure reason. */
enum rollout_state rollout_status(const char *kind, const cJSON *obj, char *msg, size_t n);
bool rollout_tracked_kind(const char *group, const char *kind);

#endif
