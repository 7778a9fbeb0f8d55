/*
 * sync_int: the state of one sync run, shared by the files of agent/sync/ and by
 * nothing else. Each stage of the pipeline (source, prepare, live, apply, prune,
 * rollout) reads what earlier stages filled in and never reaches back.
 */
#ifndef TETHER_SYNC_INT_H
#define TETHER_SYNC_INT_H

#include "gitsrc.h"
#include "session.h"
#include "sync.h"

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
	bool git_cause; /* Git sets kubernetes.io/change-cause: tether never replaces it */
	struct inv_entry seen; /* what the cluster answered to the apply */
};

/* An object of the old inventory that is no longer rendered. */
struct prune_item {
	struct inv_entry *inv;
	const struct kube_resource *res;
	cJSON *live; /* borrowed from the kind's list; NULL when gone */
	int stage;
	char *display;
};

struct live_list {
	const struct kube_resource *res;
	cJSON *list;
};

struct sync_run {
	const struct app_config *cfg;
	const struct sync_env *env;
	struct sync_result *res;
	bool diff_mode;
	struct session *sess; /* the caller's: connections, namespaces */
	struct kube *kube;    /* sess->kube, once connected */
	struct gitsrc *git;   /* sess->git, once opened */
	struct kube_stats stats0; /* the client's counters when the run began */
	struct vfs *vfs;
	char commit[41];
	const char *ns; /* app namespace (sess->ns) */
	char *inv_ns; /* inventory namespace (sync_inventory_namespace) */
	const char *inv_legacy; /* where an older tether put it, or NULL (borrowed) */
	bool inv_moving; /* found only at inv_legacy: this sync moves it to inv_ns */
	bool inv_moved;  /* ... and has: the new one written, the legacy one deleted */
	struct object_set objects;
	struct sync_item *items;
	size_t n_items;
	struct inventory old_inv;
	bool have_inventory;
	struct inventory written; /* what this run wrote last */
	bool have_written;
	struct live_list *lists;
	size_t n_lists;
	struct strlist new_namespaces;
	struct prune_item *prunes;
	size_t n_prunes;
	size_t apply_total, apply_done;
	bool wrote; /* something was written to the cluster */
};

/* source.c: fetch the commit and render it. */
int source_open(struct sync_run *r, struct err *e);
int source_render(struct sync_run *r, struct object_set *out, struct err *e);

/* prepare.c: discovery, namespaces, labels, hashes -> r->items. */
int prepare_items(struct sync_run *r, struct err *e);
/* Resolves deferred kinds after CRDs were applied. */
int prepare_resolve_deferred(struct sync_run *r, struct err *e);
/* Prints the item's body, keeps the text for the apply requests and hashes it; after
 * every change to obj->body. */
int item_hash(struct sync_item *it);

/* live.c: inventory GET, one LIST per kind, plan decisions, prune set. */
int live_load(struct sync_run *r, struct err *e);

/* apply.c: dry-run and apply in stages. */
int apply_dry_run(struct sync_run *r, bool deferred, struct err *e);
int apply_stage(struct sync_run *r, int stage, struct err *e);
int apply_wait_crds(struct sync_run *r, int64_t deadline, struct err *e);
int apply_inventory(struct sync_run *r, bool after_prune, struct err *e);
int inventory_check_size(struct sync_run *r, struct err *e);
/* "file:line: kind/name: message" */
int item_error(struct err *e, int code, const struct sync_item *it, const char *msg);

/* owner.c: after a dry-run batch (dry: its requests, user = item), reads the objects
 * that exist without the app's label and adopts them, or refuses another app's. */
int owner_check(struct sync_run *r, struct kube_req **dry, size_t n, struct err *e);

/* prune.c: names what the inventory holds and Git no longer renders, kept without
 * --prune (res->not_in_git; prune-disabled ones in res->skipped). */
void prune_list_kept(struct sync_run *r);

/* diff_run.c: the diff of every item and prune candidate into env->diff. */
int diff_items(struct sync_run *r, struct err *e);

/* prune.c */
int prune_plan_check(struct sync_run *r, struct err *e);
int prune_run(struct sync_run *r, struct err *e);

/* rollout.c */
int rollout_wait(struct sync_run *r, struct err *e);
/* Appends why the pods of a failed workload are stuck (image pull, crash loop). */
void rollout_explain(struct sync_run *r, const struct sync_item *it, char *msg, size_t n);

void sync_run_progress(struct sync_run *r, const char *phase, size_t done, size_t total);

#endif
