/*
 * store: kubesim's in-memory object store, the single write path of the emulated
 * API server. HTTP handlers and the simulated controllers both write through it, so
 * every write gets the same metadata rules (global resourceVersion, uid,
 * creationTimestamp, generation), managedFields, watch events and persistence.
 *
 * Locking: one global recursive mutex (store_lock/store_unlock). Every store_*
 * function takes it itself; hold it yourself only to read several objects
 * consistently (store_get/store_list return BORROWED pointers valid until you
 * unlock). Stored objects are immutable: a write replaces the tree, it never edits it,
 * so never modify a borrowed object; cJSON_Duplicate it first.
 *
 * Controllers: kubesim's main calls controllers_start(st) (controllers.h) after the
 * store is ready and controllers_stop() before it is freed. Whoever runs a namespace
 * controller says so with store_set_namespace_controller (controllers_new does); it
 * decides what deleting a Namespace does (store_delete). Run your own thread(s); react to writes with store_subscribe (a callback that only enqueues)
 * or poll with store_wait (blocks until the resourceVersion moves past a value or a
 * timeout passes, which doubles as the periodic tick).
 *
 * Every main-resource create/update is defaulted (merge_defaults) and validated
 * (validate.h: names, workload selectors/templates, containers; 422 Invalid) here, so
 * controller writes obey the same rules as kubectl's. What the store does NOT do:
 * patching, server-side apply, unknown-field checks (the HTTP layer does those with
 * merge.h before calling store_create/update).
 */
#ifndef KUBESIM_STORE_H
#define KUBESIM_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* ---- configuration (command-line flags the controllers read) ------------------ */

#define SIM_TAINTS_MAX 16

struct sim_config {
	int pod_ready_ms;	/* --pod-ready-ms: delay before a new pod is Running/Ready */
	int pod_terminate_ms;	/* --pod-terminate-ms: a deleted pod's containers stop */
	char fail_images[256];	/* --fail-images: fnmatch(3) glob; "" = none. Matching images never pull */
	uint64_t seed;		/* --seed: for anything random that must be reproducible */
	int nodes;		/* --nodes: Node objects the kubelet simulates (0 = none) */
	struct sim_taint {	/* --node-taint NODE=KEY[=VALUE]:EFFECT, given at start */
		char node[64], key[254], value[64], effect[24];
	} taints[SIM_TAINTS_MAX];
	int ntaints;
};

/* ---- resource types ----------------------------------------------------------- */

enum store_gen {
	GEN_NONE,	   /* no metadata.generation (ConfigMap, Pod, Service, Namespace, ...) */
	GEN_SPEC,	   /* 1 on create, +1 when spec changes (ReplicaSet, StatefulSet, Job, ...) */
	GEN_SPEC_ANNOT,	   /* +1 when spec or metadata.annotations change (Deployment) */
	GEN_NON_METADATA,  /* custom resources: +1 on any change outside metadata (and outside
			      status when the status subresource is enabled) */
};

struct crd_schema;

struct restype {
	const char *group;	/* "" for the core group */
	const char *version;	/* "v1" */
	const char *resource;	/* plural, "deployments" */
	const char *singular;	/* "deployment" */
	const char *kind;	/* "Deployment" */
	const char *list_kind;	/* "DeploymentList" */
	const char *short_names; /* comma-separated, "" for none */
	const char *categories;	 /* comma-separated, "" for none */
	const char *api_version; /* "apps/v1" or "v1" */
	bool namespaced;
	bool has_status;	/* /status subresource */
	bool has_scale;		/* /scale subresource (autoscaling/v1 Scale) */
	enum store_gen generation;
	bool custom;		/* served because of a CustomResourceDefinition */
	bool served;		/* false once the CRD is gone; the pointer stays valid */
	/* CRDs with several served versions (store_crd.c): a CRD's objects live in one
	 * type (its first storage version); every other served version is a view whose
	 * stored points there. hidden: the storing type's own version is not served (no
	 * routes, no discovery) while its objects still are, through the views. */
	const struct restype *stored;
	bool hidden;
	const struct crd_schema *schema; /* the version's compiled schema (crd_schema.h) */
	/* A built-in kind served at a second version shares its objects the same way, with
	 * a field conversion (convert.c): to_view turns a stored object (in place) into
	 * the view's version, to_home the reverse. NULL for CRD views, which only rewrite
	 * apiVersion. */
	void (*to_view)(cJSON *obj);
	void (*to_home)(cJSON *obj);
};

/* convert.c: autoscaling/v2 <-> autoscaling/v1 HorizontalPodAutoscaler, in place. */
void convert_hpa_to_v1(cJSON *obj);
void convert_hpa_to_v2(cJSON *obj);

/* The type that holds rt's objects (rt itself unless rt is a CRD version view). */
static inline const struct restype *restype_home(const struct restype *rt)
{
	return rt && rt->stored ? rt->stored : rt;
}

/* ---- errors: everything the API turns into a Status ------------------------------ */

struct kstatus {
	int code;		/* HTTP code: 404, 409, 422, ... */
	char reason[48];	/* NotFound, AlreadyExists, Conflict, Invalid, ... */
	char message[1024];
	char name[254];		/* details.name */
	char group[128];	/* details.group */
	char kind[128];		/* details.kind: the plural resource (the Kind for 422) */
	cJSON *causes;		/* details.causes (owned, may be NULL) */
	char *long_message;	/* the message when longer than message[] (owned, may be NULL) */
};

void kstatus_dispose(struct kstatus *e);
/* Fills e (first message wins, like err_set); returns -e->code. */
int kstatus_set(struct kstatus *e, int code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The 404 "<res>.<group> \"<name>\" not found" and friends, with details filled. */
int kstatus_not_found(struct kstatus *e, const struct restype *rt, const char *name);
/* The Status object for e (new cJSON). */
cJSON *kstatus_to_json(const struct kstatus *e);

/* ---- the store ----------------------------------------------------------------- */

struct store;

struct store *store_new(const struct sim_config *cfg);
void store_free(struct store *st);
const struct sim_config *store_config(const struct store *st);
/* A namespace controller runs (off by default): deleting a Namespace then only marks
 * it Terminating and the controller empties and finalizes it. Without one the store
 * removes the Namespace and everything in it at once, so nothing waits forever. */
void store_set_namespace_controller(struct store *st, bool on);

void store_lock(struct store *st);
void store_unlock(struct store *st);
/* How many threads are blocked in store_lock now (a hint, read without the lock):
 * background work (the controllers) lets API requests go first. */
int store_waiting(struct store *st);

/* Current value of the global resourceVersion counter. */
uint64_t store_rv(struct store *st);

/* Types: by group and plural resource, or by apiVersion ("apps/v1") and kind. NULL if
 * unknown or no longer served. Pointers stay valid for the store's lifetime. */
const struct restype *store_type(struct store *st, const char *group, const char *resource);
/* The type a URL names: group, version and plural; a CRD version view or a storing type
 * (restype_home gives where its objects are). NULL when that version is not served. */
const struct restype *store_type_at(struct store *st, const char *group, const char *version,
				    const char *resource);
/* A custom type whose CRD is being deleted (no new instances may be created). */
bool store_crd_terminating(struct store *st, const struct restype *rt);
const struct restype *store_type_by_kind(struct store *st, const char *api_version,
					 const char *kind);
/* All served types (borrowed array of n pointers, valid until unlock; hold the lock). */
size_t store_types(struct store *st, const struct restype *const **out);
/* The same without the types whose own version is not served (restype.hidden): what
 * discovery lists. */
size_t store_types_visible(struct store *st, const struct restype *const **out);

/* Borrowed object (kind/apiVersion included), or NULL. ns is ignored for cluster-scoped
 * types. Hold the lock while you use the result. */
const cJSON *store_get(struct store *st, const struct restype *rt, const char *ns,
		       const char *name);
/* All objects of rt in ns (NULL = all namespaces), sorted by namespace then name.
 * *out is a malloc'd array of borrowed pointers (free() it); returns the count.
 * Hold the lock while you use the objects. */
size_t store_list(struct store *st, const struct restype *rt, const char *ns,
		  const cJSON ***out);

/* ---- writes ------------------------------------------------------------------- */

struct store_wopts {
	const char *manager;	 /* field manager ("kube-controller-manager", "kubelet");
				    NULL = "unknown" */
	const char *subresource; /* NULL, "status" (only status and annotations change),
				    "finalize" (a Namespace's spec.finalizers may change) */
	bool dry_run;		 /* run everything, persist nothing, RV unchanged */
	bool managed_done;	 /* the caller (server-side apply) already set managedFields */
	/* create and update: called with the new object (old NULL on create) before it is
	 * validated; a negative return refuses the write with e filled (RBAC escalation) */
	int (*admit)(void *ud, const struct restype *rt, const cJSON *old, const cJSON *obj,
		     struct kstatus *e);
	void *admit_ud;
	/* delete only */
	const char *propagation; /* "Background", "Foreground", "Orphan"; NULL = type default */
	int64_t grace_seconds;	 /* -1 = default */
	const char *precond_uid; /* NULL or the uid the object must have */
	const char *precond_rv;	 /* NULL or the resourceVersion it must have */
};

/*
 * Create obj (copied). Fills uid, creationTimestamp, resourceVersion, generation,
 * namespace (from ns when empty), name from generateName, managedFields (Update by
 * o->manager). 409 AlreadyExists, 404 for a missing namespace, 403 when it is
 * terminating. *out (optional) receives a copy of the stored object.
 */
int store_create(struct store *st, const struct restype *rt, const char *ns, const cJSON *obj,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e);

/*
 * Replace the object named by obj's metadata (copied). If obj carries
 * metadata.resourceVersion it must equal the stored one (else 409 Conflict); empty means
 * unconditional. uid/creationTimestamp/deletionTimestamp preserved, status kept from the
 * old object unless o->subresource is "status" (then only status and annotations change),
 * generation per the type's policy. A write that changes nothing keeps the RV and emits
 * no event. When metadata.deletionTimestamp is set and the finalizers become empty the
 * object is removed (DELETED event). Returns 0, or 1 when the write was a no-op.
 */
int store_update(struct store *st, const struct restype *rt, const char *ns, const cJSON *obj,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e);

/*
 * Delete per §11: objects with finalizers (or Foreground/Orphan propagation, which add
 * the foregroundDeletion/orphan finalizer) only get deletionTimestamp (MODIFIED event,
 * returns 1); otherwise removed at once (DELETED event, returns 0). Namespaces become
 * Terminating (status.phase) and return 1; the namespace controller empties them and
 * removes "kubernetes" from spec.finalizers through store_update with subresource
 * "finalize", which removes them once no finalizer is left. Without a namespace
 * controller (store_set_namespace_controller) a Namespace and its content are removed
 * at once (returns 0). The garbage
 * collector reacts to the events (store_subscribe). *out gets the last state.
 */
int store_delete(struct store *st, const struct restype *rt, const char *ns, const char *name,
		 const struct store_wopts *o, cJSON **out, struct kstatus *e);

/* ---- notification --------------------------------------------------------------- */

enum store_ev { STORE_ADDED = 1, STORE_MODIFIED, STORE_DELETED };

struct store_event {
	enum store_ev type;
	const struct restype *rt;
	const cJSON *obj; /* new state (last state for DELETED) */
	const cJSON *old; /* previous state, NULL for ADDED */
	uint64_t rv;
};

typedef void (*store_watch_fn)(void *ud, const struct store_event *ev);

/*
 * Calls fn after every committed write (not dry-run, not no-op), in the writing thread,
 * with the store lock held: fn must not write to the store, block or keep the pointers;
 * it should only enqueue work (names, uids) for its own thread. Returns 0.
 */
int store_subscribe(struct store *st, store_watch_fn fn, void *ud);

/* Blocks (without the lock held by the caller) until store_rv() > after or timeout_ms
 * passes; returns store_rv(). */
uint64_t store_wait(struct store *st, uint64_t after, int timeout_ms);

/* ---- small shared helpers -------------------------------------------------------- */

/* RFC 3339 UTC seconds "2025-01-02T03:04:05Z" for now (buffer >= 32). */
void store_time_now(char *out);
/* The same, seconds from now. */
void store_time_after(char *out, int64_t seconds);
/* MicroTime "2025-01-02T03:04:05.123456Z" for now (buffer >= 32). */
void store_time_now_micro(char *out);

#endif
