/*
 * sync: one commit of one app made true in the cluster. Fetch, render, plan against
 * the inventory and one LIST per kind, dry-run the whole commit, apply in stages,
 * record the inventory, prune behind guards, wait for rollouts. Also `diff` (the same
 * plan, shown instead of applied) and `render`.
 * The second half of this header is what the layers above use of sync's pieces: the
 * inventory (read by tether history), the line diff, kubectl's rollout rules. The
 * rest, and what the unit tests reach, is in agent/sync/sync_int.h.
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
/* On a Deployment's, StatefulSet's or DaemonSet's metadata (revision.c): the commit
 * that last changed its pod template; the controller copies them onto that template's
 * revision (a ReplicaSet, or a ControllerRevision when it is made). */
#define SYNC_ANNOTATION_CAUSE "kubernetes.io/change-cause"
#define SYNC_ANNOTATION_COMMIT "tether.dev/commit"
#define SYNC_INVENTORY_PREFIX "tether-inventory-"
/* On the inventory (set by tether suspend, ops.h): "true" refuses every sync of the app
 * (TE_SUSPENDED) before anything is written; who asked and when (RFC 3339). */
#define SYNC_ANNOTATION_SUSPENDED "tether.dev/suspended"
#define SYNC_ANNOTATION_SUSPENDED_BY "tether.dev/suspended-by"
#define SYNC_ANNOTATION_SUSPENDED_AT "tether.dev/suspended-at"
/* The label of an inventory's further pieces (inventory_parts.c); value: the app. */
#define SYNC_INVENTORY_PART_LABEL "tether.dev/inventory-part"

/* Progress callback: phase ("applying", "dry-run", "pruning"), done of total. */
/*
 * Progress as a sync goes: a counter ("applying", 120 of 1000) when total > 0; a line of
 * its own (a rollout's progress: "deployment/web: 2 of 3 updated replicas are
 * available") when total is 0; the start of a stage ("fetch URL", "apply stage
 * workloads: 3 objects") when total is SYNC_PROGRESS_STAGE. Names only, never content.
 */
#define SYNC_PROGRESS_STAGE ((size_t)-1)
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
	int64_t started; /* when the run began, seconds since the epoch ("time" in -o json) */
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

/* A workload with revisions (Deployment, StatefulSet, DaemonSet) of the run, as the
 * hooks see it. */
struct sync_workload {
	const char *kind;
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
	struct kube *own;    /* the bookkeeping's client (history ConfigMap): session_own_kube */
	struct gitsrc *git;  /* NULL: the source was not opened */
	const char *commit;  /* "" until fetched */
	const char *base;    /* the commit the inventory recorded before this run, or NULL */
	const char *read_ns; /* where the inventory (and what lives next to it) was read */
	const char *write_ns; /* where it is now (an older tether's namespace until moved) */
	bool wrote;          /* something was written to the cluster */
	/* The ConfigMap the hooks keep next to the inventory (sync_hooks.beside_prefix), as
	 * read in the inventory's round trip: beside_read when that GET answered, beside
	 * NULL when it found none. Not read at all: beside_read false. */
	const cJSON *beside;
	bool beside_read;
	const struct sync_workload *workloads; /* after_run only */
	size_t n_workloads;
};

/* Optional steps of sync_run that belong to a layer above it (history.h). */
struct sync_hooks {
	/* Once the commit and the live state are known, before the first write: a negative
	 * TE_* stops the run with e (on-failure: hold). */
	int (*before_apply)(void *ctx, const struct sync_view *v, struct err *e);
	/* At the end of the run, rc and e its outcome: may add to res->errors. */
	void (*after_run)(void *ctx, const struct sync_view *v, int rc, const struct err *e,
			  struct sync_result *res);
	/* The prefix of a ConfigMap (<prefix><app>) the layer above keeps next to the
	 * inventory: read with it, in the same round trip, for after_run (NULL: none). */
	const char *beside_prefix;
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

/* tether check-access: renders the commit and fills p (access.h) with every right its
 * sync needs (with agent, tether run's too: Events, the Lease); asks nothing yet. */
struct access_plan;
int sync_access_plan(struct session *s, const struct app_config *c, bool agent,
		     struct access_plan *p, struct err *e);

/* ---- the inventory ------------------------------------------------------------- */

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
	struct strlist parts; /* the head's data.parts: names of the further pieces */
	struct strmap idx; /* identity -> index + 1, built by inventory_find as needed */
	size_t indexed;    /* items[0..indexed) are in idx */
};

void inventory_init(struct inventory *inv);
void inventory_dispose(struct inventory *inv);
/* Reads the inventory out of its head ConfigMap (the objects it holds, and the names of
 * its parts in inv->parts); inventory_read_parts then reads the parts (agent/sync/
 * inventory_parts.c) from namespace ns, where the head was found. */
int inventory_from_configmap(struct inventory *inv, const cJSON *cm, struct err *e);
/* True when live is the object as tether last wrote it: same uid, generation (or
 * resourceVersion for kinds without one) and other managers' fields. */
bool inventory_untouched(const struct inv_entry *x, const cJSON *live);
int inventory_read_parts(struct kube *k, struct inventory *inv, const char *app, const char *ns,
			 struct err *e);
/* ---- a text larger than one ConfigMap (agent/sync/parts.c) ---------------------- */

/* Where a text lives: the head prefix<app> holds the first piece under key and lists
 * the further pieces' ConfigMaps (prefix<app>-<16 hex of the content's SHA-256>, label
 * label=<app>) in data.parts. */
struct text_parts {
	const char *what;   /* "inventory": for messages */
	const char *prefix; /* "tether-inventory-" */
	const char *label;  /* "tether.dev/inventory-part" */
	const char *key;    /* the data key of a part's piece */
	bool lines;	    /* cut at line boundaries (else at UTF-8 character boundaries) */
};
/* The part that holds text (owned). */
char *parts_name(const struct text_parts *t, const char *app, const char *text);
/* A piece of a text: a span of it, borrowed (not NUL-terminated). */
struct text_piece {
	const char *text;
	size_t len;
};
struct text_pieces {
	struct text_piece *items;
	size_t n, cap;
};
/* Cuts text into pieces of at most max bytes, appended to pieces. */
int parts_split(const struct text_parts *t, const char *text, size_t len, size_t max,
		struct text_pieces *pieces);
void text_pieces_dispose(struct text_pieces *pieces);
/* The part names a head lists (data.parts), appended to parts. */
int parts_of(const cJSON *head, struct strlist *parts, struct err *e);
/* Lists parts in head's data.parts (nothing when there are none). */
int parts_list_in(cJSON *head, const struct strlist *parts);
/* Reads the parts names of app in ns, each checked against its name, their pieces
 * appended to texts in order. A missing part is TE_NOTFOUND, one that does not hold
 * what its name says TE_INPUT; e names the part. */
int parts_read(struct kube *k, const struct text_parts *t, const char *app, const char *ns,
	       const struct strlist *names, struct strlist *texts, struct err *e);
/* Deletes the app's parts in ns that keep does not name (one LIST by label). A 403 on
 * that LIST is an error only when must (the app has or had parts). */
int parts_drop(struct kube *k, const struct kube_resource *cm, const struct text_parts *t,
	       const char *app, const char *ns, const struct strlist *keep, bool must,
	       struct err *e);
/* One write of a text: parts first, then the head (the switch), then the parts no head
 * names (always with always_drop, else only when the new or the previous head has
 * parts). */
struct parts_save {
	const struct text_parts *parts;
	const char *app, *ns;
	const char *text; /* NUL-terminated at len: a text of one piece is sent without a copy */
	size_t len, max;
	const struct strlist *before; /* the parts the previous head named: not written again */
	bool always_drop;
	/* The head ConfigMap holding the first piece and listing names (parts_list_in). */
	int (*head)(void *ctx, const char *first, const struct strlist *names, cJSON **out,
		    struct err *e);
	void *ctx;
};
/* names: the new head's parts (appended). */
int parts_save(struct kube *k, const struct kube_resource *cm, const struct parts_save *s,
	       struct strlist *names, struct err *e);

/* Where the inventory and history of app c live, from c alone (never the kubeconfig
 * context, so every machine agrees): --inventory-namespace, else --namespace, else
 * "default". */
const char *sync_inventory_namespace(const struct app_config *c);
/* The app's inventory ConfigMap, wherever inventory_pick finds it: *ns_out is the
 * namespace it was found in (borrowed); TE_NOTFOUND when there is none. */
int inventory_locate(struct kube *k, const struct app_config *c, const char *context_ns,
		     cJSON **cm, const char **ns_out, struct err *e);

/* ---- the line diff --------------------------------------------------------------- */

/* Unified diff of two texts, line by line (Myers' algorithm), `context` lines around
 * each change. Returns 1 when they differ, 0 when equal, negative on error. */
int linediff_unified(const char *a_label, const char *a, const char *b_label, const char *b,
		     int context, bool color, struct buf *out, struct err *e);

/* ---- rollouts -------------------------------------------------------------------- */

enum rollout_state { ROLLOUT_WAIT = 0, ROLLOUT_DONE, ROLLOUT_FAILED };
/* Whether objects of the kind have revisions whose commits tether records: Deployment,
 * StatefulSet and DaemonSet of apps. */
bool sync_revisioned_kind(const char *group, const char *kind);
/* Whether one of obj's metadata.ownerReferences has the uid (a workload's pods and
 * revisions are found by their owner). */
bool sync_owned_by(const cJSON *obj, const char *uid);
/* kubectl's rollout-status rules for Deployment, StatefulSet, DaemonSet and Job;
 * msg receives the waiting or failure reason. */
enum rollout_state rollout_status(const char *kind, const cJSON *obj, char *msg, size_t n);

#endif
