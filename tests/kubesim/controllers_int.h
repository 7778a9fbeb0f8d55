/*
 * controllers_int: what the individual controllers (ctrl_*.c, gc.c, kubelet.c)
 * share with the manager in controllers.c. Every sync function is called with the
 * store lock held and must write only through store_* calls.
 */
#ifndef KUBESIM_CONTROLLERS_INT_H
#define KUBESIM_CONTROLLERS_INT_H

#include "controllers.h"
#include "ctrl_util.h"
#include "store.h"

enum ctrl_kind {
	CK_DEPLOY,
	CK_RS,
	CK_POD,
	CK_STS,
	CK_DS,
	CK_JOB,
	CK_PDB,
	CK_NS,
	CK_GC, /* an owner (rt, ns, name, uid) was deleted or is being deleted */
};

struct ctrl_types {
	const struct restype *deploy, *rs, *pod, *sts, *ds, *job, *ns, *node, *cr;
};

#define NODE_NAME "kubesim-node" /* the first node; the others are kubesim-node-<i> */
#define CTRL_MANAGER "kube-controller-manager"
#define CTRL_KUBELET "kubelet"
#define CTRL_SCHEDULER "kube-scheduler"

const struct ctrl_types *ctrl_types(struct controllers *c);
struct store *ctrl_store(struct controllers *c);
const struct sim_config *ctrl_config(struct controllers *c);
int64_t ctrl_now(struct controllers *c);
/* ctrl_now as RFC 3339 (buffer >= 32). */
void ctrl_now_str(struct controllers *c, char *out);

/* The type an ownerReference names, or NULL (also when apiVersion or kind is missing). */
const struct restype *ctrl_ref_type(struct controllers *c, const cJSON *ref);

/* Queue a key now, or at due_ms (ctrl_now clock). Safe from the store callback. */
void ctrl_enqueue(struct controllers *c, enum ctrl_kind kind, const struct restype *rt,
		  const char *ns, const char *name, const char *uid);
/* tag distinguishes a timer's key from the event key of the same object (the kubelet
 * passes the pod uid to mean "the readiness delay has passed"). */
void ctrl_enqueue_at(struct controllers *c, int64_t due_ms, enum ctrl_kind kind,
		     const struct restype *rt, const char *ns, const char *name, const char *tag);

/* Failed-pod backoff (ctrl_backoff.c), one per controller manager. */
#define CTRL_BACKOFF_INITIAL_MS 1000
#define CTRL_BACKOFF_MAX_MS (15 * 60 * 1000)
struct ctrl_backoff;
struct ctrl_backoff *ctrl_backoff_new(void);
void ctrl_backoff_free(struct ctrl_backoff *bo);
struct ctrl_backoff *ctrl_backoff(struct controllers *c);
/* IsInBackOffSinceUpdate: true, with the current backoff in *delay, while key waits. */
bool ctrl_backoff_active(struct ctrl_backoff *bo, const char *key, int64_t now, int64_t *delay);
/* Next: the first time (or after expiry) 1 s, then doubled up to the maximum. */
void ctrl_backoff_next(struct ctrl_backoff *bo, const char *key, int64_t now);

/* Write helpers with the controller's manager name; log failures (the loop goes on).
 * Return the store's result (<0 on error). */
int ctrl_create(struct controllers *c, const struct restype *rt, const cJSON *obj,
		const char *manager, cJSON **out);
int ctrl_update(struct controllers *c, const struct restype *rt, const cJSON *obj,
		const char *manager, bool status);
/* subresource: NULL, "status" or "finalize" (a Namespace's spec.finalizers). */
int ctrl_update_sub(struct controllers *c, const struct restype *rt, const cJSON *obj,
		    const char *manager, const char *subresource);
int ctrl_delete(struct controllers *c, const struct restype *rt, const char *ns, const char *name,
		const char *propagation, int64_t grace);

/* Owner uid -> dependents index (ctrl_index.c), maintained from store events. */
struct ctrl_dep {
	const struct restype *rt;
	char *ns;
	char *name;
};
struct ctrl_index;
struct ctrl_index *ctrl_index_new(void);
void ctrl_index_free(struct ctrl_index *x);
/* old = previous state (NULL on add), obj = new state (NULL on delete); orphans also
 * tracks objects without a controller reference (ReplicaSets, Pods). */
void ctrl_index_update(struct ctrl_index *x, const struct restype *rt, const cJSON *old,
		       const cJSON *obj, bool orphans);
/* Dependents of uid, of type rt (NULL = any); free with ctrl_deps_free. */
size_t ctrl_index_dependents(struct ctrl_index *x, const char *uid, const struct restype *rt,
			     struct ctrl_dep **out);
void ctrl_deps_free(struct ctrl_dep *deps, size_t n);
struct ctrl_index *ctrl_index(struct controllers *c);
/* Borrowed objects of type rt that reference uid (valid until the next write or
 * unlock: duplicate before writing); *out is malloc'd. */
size_t ctrl_owned(struct controllers *c, const char *uid, const struct restype *rt,
		  const cJSON ***out);

/* Borrowed objects of type rt in ns without a controller reference. */
size_t ctrl_orphans(struct controllers *c, const struct restype *rt, const char *ns,
		    const cJSON ***out);
/* ControllerRefManager.Claim: adopts orphans of type rt matching selector in the
 * owner's namespace and releases owned ones that no longer match (writes). */
void ctrl_claim(struct controllers *c, const cJSON *owner, const char *api_version,
		const char *kind, const struct restype *rt, const cJSON *selector);

/* The sync functions, one per kind. */
void deploy_sync(struct controllers *c, const char *ns, const char *name);
void rs_sync(struct controllers *c, const char *ns, const char *name);
/* tag is "" for an event, or the tag given to ctrl_enqueue_at when a timer fired. */
void kubelet_sync(struct controllers *c, const char *ns, const char *name, const char *tag);
void sts_sync(struct controllers *c, const char *ns, const char *name, const char *tag);
void ds_sync(struct controllers *c, const char *ns, const char *name, const char *tag);
void job_sync(struct controllers *c, const char *ns, const char *name, const char *tag);
void ns_sync(struct controllers *c, const char *name);
/* The disruption controller (ctrl_pdb.c) and the type it serves, looked up each time. */
void pdb_sync(struct controllers *c, const char *ns, const char *name);
const struct restype *ctrl_pdb_type(struct controllers *c);
void gc_sync(struct controllers *c, const struct restype *rt, const char *ns, const char *name,
	     const char *uid);

/* ControllerRevisions (ctrl_history.c). The data bytes for owner's spec.template as
 * getPatch makes them (Go encoding: keys sorted, creationTimestamp null, resources {});
 * malloc'd, NULL when out of memory. */
char *ctrl_revision_patch(const cJSON *owner);
/* HashControllerRevision: FNV-1 32 over data, then the collision count in decimal
 * (none when collision < 0), safe-encoded. out >= 16 bytes. */
void ctrl_revision_hash(const char *data, int64_t collision, char *out);
struct ctrl_history {
	char update[300];  /* the revision of the current template (updateRevision) */
	char hash[16];	   /* its hash label */
	int64_t number;	   /* its revision number */
	int64_t collision; /* status.collisionCount after the sync, -1 = unset */
};
/* Finds, renumbers (an earlier template came back) or creates owner's revision for
 * its template; sts chooses the StatefulSet's hash and label, else the DaemonSet's.
 * Returns 0, or <0 when no revision could be written. */
int ctrl_history_sync(struct controllers *c, const cJSON *owner, bool sts,
		      struct ctrl_history *out);
/* A copy of revision name's template (without "$patch"), or NULL. */
cJSON *ctrl_revision_template(struct controllers *c, const char *ns, const char *name);
/* Deletes, oldest first, revisions beyond spec.revisionHistoryLimit whose names are
 * not in live (the current and update revisions, those pods use). */
void ctrl_history_truncate(struct controllers *c, const cJSON *owner, const char *const *live,
			   size_t nlive);
/* Writes status st (consumed) on live when it differs from the stored one (ctrl_apps.c). */
void ctrl_put_status(struct controllers *c, const struct restype *rt, const cJSON *live,
		     cJSON *st);

/* Pod helpers shared by the workload controllers (kubelet.c). */
bool pod_is_active(const cJSON *pod);
bool pod_is_ready(const cJSON *pod);
/* Ready for at least min_ready_s seconds at now_ms (IsPodAvailable). */
bool pod_is_available(const cJSON *pod, int64_t min_ready_s, int64_t now_ms);
/* pod_is_available; when not yet, *wake_ms (-1: none) is moved to when it will be. */
bool pod_available_or_wake(const cJSON *pod, int64_t min_ready_s, int64_t now_ms,
			   int64_t *wake_ms);
/* Creates the Node objects --nodes asks for that are missing: "kubesim-node", then
 * "kubesim-node-2", ..., Ready, with the well-known labels (kubelet.c). */
void kubelet_nodes_ensure(struct controllers *c, int n);
/* The scheduler (scheduler.c): binds pod to a node that fits it, or marks it
 * Unschedulable; 0 or the store's error. A Node change retries the unbound pods. */
int scheduler_bind(struct controllers *c, const cJSON *pod);
void scheduler_retry(struct controllers *c);
/* The node a pod's required node affinity names by metadata.name (DaemonSet pods). */
const char *pod_affinity_node(const cJSON *pod);
/* A pod for tmpl owned by owner (GetPodFromTemplate): the template's labels,
 * annotations, finalizers and spec, generateName "<owner>-", a controller reference. */
cJSON *pod_from_template(const cJSON *owner, const char *api_version, const char *kind,
			 const cJSON *tmpl);
/* Creates that pod, named fixed_name or by the server from generateName. <0 on failure. */
int pod_create_from_template(struct controllers *c, const cJSON *owner, const char *api_version,
			     const char *kind, const cJSON *tmpl, const char *fixed_name);

#endif
