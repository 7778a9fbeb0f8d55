/*
 * sync_int: what the files of agent/sync/ share with each other and with the unit
 * tests, and nothing else: the pure pieces (stages, hashing and the plan, the
 * inventory's encoding, secret masking, prune guards), the state of one sync run, and
 * the stages of the pipeline in order (source, prepare, live, revision, dry-run and
 * apply, record, prune, rollout). Each stage reads what earlier stages filled in and
 * never reaches back. Grouped by the file that defines them.
 */
#ifndef TETHER_SYNC_INT_H
#define TETHER_SYNC_INT_H

#include "gitsrc.h"
#include "session.h"
#include "sync.h"

/* Objects are limited to 1 MiB; the rest is left for the ConfigMap's metadata. */
#define INVENTORY_MAX_BYTES (1000 << 10)

/* ---- the pure pieces ----------------------------------------------------------- */

/* stages.c: the apply stage of a kind, and what kinds are. */
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
bool rollout_tracked_kind(const char *group, const char *kind);

/* plan.c: hashing and the plan. */
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

/* inventory.c: the inventory's entries and its ConfigMap. */
/* Copies the strings of x. */
int inventory_add(struct inventory *inv, const struct inv_entry *x);
struct inv_entry *inventory_find(const struct inventory *inv, const char *group,
				 const char *kind, const char *ns, const char *name);
/* Compact text, one object a line; TE_NOMEM past max bytes (the 1 MiB object limit). */
int inventory_encode(const struct inventory *inv, size_t max, struct buf *out, struct err *e);
int inventory_decode(struct inventory *inv, const char *text, struct err *e);
/* The head ConfigMap for app in ns (a new cJSON object): the first piece of the text
 * and the names of the parts that hold the rest. */
int inventory_configmap(const char *text, const struct strlist *parts, const char *commit,
			const char *app, const char *ns, cJSON **out, struct err *e);

/* inventory_parts.c: an inventory larger than one ConfigMap (parts.c). */
extern const struct text_parts inventory_text;
/* Fills e's cluster fields (rv, gen, uid, mgr) from a live or applied object. */
int inv_entry_observe(struct inv_entry *x, const cJSON *obj);
void inv_entry_dispose(struct inv_entry *x);

/* inventory_ns.c: where the inventory lives. */
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

/* mask.c */
/* Replaces the values of a Secret's data and stringData (and a last-applied
 * annotation) with "***", or "*** (changed)" in `after` where they differ. Either
 * may be NULL. */
void secret_mask(cJSON *before, cJSON *after);
/* The inventory digest of a Secret: sync_hash_object of the manifest without data,
 * stringData and the last-applied annotation, so that it tells nothing about the
 * values. plan_decide never trusts it: a Secret is always compared on the server. */
void secret_hash(const cJSON *body, char out[17]);

/* diff.c */
/* Writes the diff of one object (before NULL: create; after NULL: prune).
 * Copies are stripped and masked. Returns 1 when it differs. */
int diff_object(const char *label, const cJSON *before, const cJSON *after, bool secret,
		bool color, struct buf *out, struct err *e);

/* prune.c: the guards. */
/* The guards: no prune after an error; an empty render is refused; more than half of
 * the inventory needs force. */
int prune_check(size_t n_inventory, size_t n_prune, size_t n_rendered, bool had_error,
		bool force, struct err *e);
/* True when the live object opts out (annotation tether.dev/prune: disabled). */
bool prune_disabled(const cJSON *live);

/* rollout_status.c: true when a Deployment's ProgressDeadlineExceeded condition
 * predates tether's last apply of it (the failed rollout before a rollback), so it is
 * no verdict on this one. */
bool rollout_deadline_stale(const cJSON *deploy);

/* ---- the run ------------------------------------------------------------------- */

/* An item's request that failed, kept to be reported in item order (apply.c). */
struct sync_fail {
	int code;  /* 0: none */
	char *msg; /* NULL when there was no memory for it */
};
struct sync_item {
	struct object *obj;              /* borrowed from run->objects */
	const struct kube_resource *res; /* NULL until served (a CRD of this commit) */
	int stage;
	char hash[17];
	char *text;                      /* obj->body as hashed and sent; NULL once sent */
	char *display;                   /* "deployment.apps/web" with "ns/" in front */
	cJSON *live;                     /* owned copy; NULL when not found */
	struct inv_entry *inv;           /* borrowed from run->old_inv */
	enum plan_decision plan;
	bool deferred;  /* dry-run after namespaces and CRDs are applied */
	bool apply;     /* needs a write */
	bool created, changed;
	cJSON *dry;     /* dry-run answer */
	cJSON *applied; /* apply answer, kept for CRDs only (waiting for Established) */
	bool written;   /* applied in this run */
	bool unlisted;  /* the dry-run found it, the LIST did not: owner_check reads it */
	bool adopt;     /* the manifest asks to take it from another app (tether.dev/adopt) */
	struct sync_fail fail;
	bool git_cause; /* Git sets kubernetes.io/change-cause: tether never replaces it */
	struct inv_entry seen; /* what the cluster answered to the apply */
};
struct prune_item {
	struct inv_entry *inv;
	const struct kube_resource *res;
	cJSON *live; /* borrowed from the kind's list; NULL when gone */
	int stage;
	char *display;
	bool settled; /* pruned, or kept by its prune: disabled annotation */
};
struct live_list {
	const struct kube_resource *res;
	cJSON *list;           /* every namespace's items, merged */
	struct strmap idx;     /* "namespace name" -> item of list (live.c) */
	bool indexed;
	bool per_ns;           /* the identity may list it only in each namespace */
	struct strlist listed; /* per_ns: the namespaces asked */
};
struct sync_run {
	const struct app_config *cfg;
	const struct sync_env *env;
	struct sync_result *res;
	bool diff_mode;
	struct session *sess; /* the caller's: connections, namespaces */
	struct kube *kube;    /* sess->kube, once connected */
	struct kube *own;     /* session_own_kube: the inventory's and history's client */
	struct gitsrc *git;   /* sess->git, once opened */
	struct kube_stats stats0, own_stats0; /* the clients' counters when the run began */
	struct vfs *vfs;
	char commit[41];
	const char *ns; /* app namespace (sess->ns) */
	char *inv_ns; /* inventory namespace (sync_inventory_namespace) */
	const char *inv_legacy; /* where an older tether put it, or NULL (borrowed) */
	bool inv_moving; /* found only at inv_legacy: this sync moves it to inv_ns */
	bool inv_moved;  /* ... and has: the new one written, the legacy one deleted */
	struct object_set objects;
	struct object **crds; /* the CRDs among objects (prepare.c), once crds_found */
	size_t n_crds;
	bool crds_found;
	struct sync_item *items;
	size_t n_items;
	struct inventory old_inv;
	bool have_inventory;
	cJSON *beside;    /* sync_view.beside: read with the inventory, or NULL */
	bool beside_read; /* ... and that GET answered (found or not) */
	struct inventory written; /* what this run wrote last */
	bool have_written;
	struct live_list *lists;
	size_t n_lists, cap_lists;
	struct strlist new_namespaces;
	struct prune_item *prunes;
	size_t n_prunes;
	size_t apply_total, apply_done;
	bool wrote; /* something was written to the cluster */
	struct verifier *verifier; /* verify: head/all (signed.c), made on first use */
};

/* ---- the stages, in order ------------------------------------------------------ */

/* signed.c: verify: head (the commit, before it is rendered) and all (every commit
 * since the inventory's, once it is read); TE_UNVERIFIED naming the commit and key. */
int signed_check_head(struct sync_run *r, struct err *e);
int signed_check_range(struct sync_run *r, struct err *e);

/* source.c: fetch the commit and render it. */
int source_open(struct sync_run *r, struct err *e);
int source_render(struct sync_run *r, struct object_set *out, struct err *e);

/* prepare.c: discovery, namespaces, labels, hashes -> r->items. */
int prepare_items(struct sync_run *r, struct err *e);
/* After the revision stage: frees the bodies of workloads nothing reads again. */
void prepare_drop_bodies(struct sync_run *r);
/* Resolves deferred kinds after CRDs were applied. */
int prepare_resolve_deferred(struct sync_run *r, struct err *e);
/* Prints the item's body, keeps the text for the apply requests and hashes it; after
 * every change to obj->body. */
int item_hash(struct sync_item *it);
/* The parsed body again from the text, when prepare dropped it. */
int item_body_load(struct sync_item *it);
/* "file:line: kind/name: message" */
int item_error(struct err *e, int code, const struct sync_item *it, const char *msg);

/* live.c: inventory GET, one LIST per kind, plan decisions, prune set. */
int live_load(struct sync_run *r, struct err *e);

/* revision.c: the revision stage, after live_load. The apply of each workload with
 * revisions (sync_revisioned_kind) carries the change-cause and commit annotations:
 * the live values (a new workload: the commit's), its plan decided again on the annotated body. revision_dry_run_item, on
 * each dry-run answer: the commit's values where the server's pod template differs
 * from the live one. */
int revision_stage(struct sync_run *r, struct err *e);
int revision_dry_run_item(struct sync_run *r, struct sync_item *it, struct err *e);
/* "<7-hex sha> <subject>", the subject cut to 200 bytes. */
char *revision_cause(const char *sha, const char *subject);
/* True when the pod templates (spec.template) of two workloads differ. */
bool revision_template_changed(const cJSON *live, const cJSON *next);
/* Sets (or, for NULL values, removes) the two annotations on obj's metadata. */
int revision_annotate(cJSON *obj, const char *cause, const char *commit);

/* apply.c: dry-run and apply in stages. */
int apply_dry_run(struct sync_run *r, bool deferred, struct err *e);
int apply_stage(struct sync_run *r, int stage, struct err *e);
int apply_wait_crds(struct sync_run *r, int64_t deadline, struct err *e);
/* Disposes and frees n requests and the array (NULL: nothing). */
void sync_reqs_free(struct kube_req **reqs, size_t n);

/* owner.c: after a dry-run batch (idx: its items), reads the objects that exist without
 * the app's label (unlisted) and adopts them, or refuses another app's. */
int owner_check(struct sync_run *r, const size_t *idx, size_t n, struct err *e);

/* record.c: the inventory ConfigMap. */
int apply_inventory(struct sync_run *r, bool after_prune, struct err *e);
/* Before the first write of a run that writes: may the identity write the inventory?
 * TE_REJECTED naming the missing right and the rule that grants it. */
int inventory_check_rights(struct sync_run *r, struct err *e);

/* prune.c: the prune set checked before the first write, and deleted last. Without
 * --prune, prune_list_kept names what the inventory holds and Git no longer renders
 * (res->not_in_git; prune-disabled ones in res->skipped). */
int prune_plan_check(struct sync_run *r, struct err *e);
int prune_run(struct sync_run *r, struct err *e);
void prune_list_kept(struct sync_run *r);

/* rollout.c: wait for the rollouts this run started. */
int rollout_wait(struct sync_run *r, struct err *e);

/* rollout_pods.c: appends why the pods of a failed workload are stuck (image pull,
 * crash loop). */
void rollout_explain(struct sync_run *r, const struct sync_item *it, char *msg, size_t n);
/* "k=v,..." of obj's spec.selector.matchLabels (owned), NULL when it has none. */
char *rollout_selector(const cJSON *obj);

/* rollout_sts.c: after this run changed a StatefulSet (OrderedReady, RollingUpdate),
 * deletes its pods that hold the rollout: not ready, at a revision the set has left.
 * note receives "; forced rollback: deleted pod ..." for each, or "". */
void rollout_unstick(struct sync_run *r, const struct sync_item *it, int64_t deadline,
		     char *note, size_t n);

/* diff_run.c: tether diff, in place of the apply: the diff of every item and prune
 * candidate into env->diff. */
int diff_items(struct sync_run *r, struct err *e);

/* result.c: progress to env->progress, from any stage. */
void sync_run_progress(struct sync_run *r, const char *phase, size_t done, size_t total);
/* The start of a stage, for env->progress (SYNC_PROGRESS_STAGE). */
void sync_run_stage(struct sync_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
