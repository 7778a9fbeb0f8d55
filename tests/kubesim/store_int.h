/*
 * store_int: the store's insides, shared by store*.c and the HTTP layer (watch
 * streams, persistence). Controllers use store.h only.
 */
#ifndef KUBESIM_STORE_INT_H
#define KUBESIM_STORE_INT_H

#include <pthread.h>
#include <stdatomic.h>

#include "store.h"

/* An immutable stored state: the tree plus its cached serialisation, shared by the
 * live entry and the watch-event ring (refcounted under the store lock). The
 * serialisation is made on first use (sobj_json): most states written by the
 * controllers are replaced before anyone reads them over HTTP. */
struct sobj {
	int refs;
	cJSON *obj;
	char *json; /* NULL until sobj_json */
	size_t len;
};

struct entry {
	struct entry *next;		/* hash chain */
	struct entry *tprev, *tnext;	/* per-type list */
	struct rtype *rt;
	char *ns, *name;
	uint32_t hash;
	struct sobj *so;
};

struct rtype {
	struct restype pub;		/* first: (struct restype *) casts */
	struct entry *head;
	size_t count;
	char *owned[10];		/* strings of custom types */
	struct crd_schema *schemas;	/* every schema compiled for it (crd_schema.h) */
	char *deprecation;		/* a deprecated CRD version's warning (store lock) */
	bool read_prune;		/* its schema changed: stored objects may hold fields
					   it no longer knows, so reads are pruned */
	char *scale[3];			/* its scale subresource's specReplicasPath,
					   statusReplicasPath, labelSelectorPath (store lock) */
};

struct sevent {
	uint64_t rv;
	enum store_ev type;
	const struct restype *rt;
	struct sobj *so;
	struct sobj *prev; /* state before (NULL for ADDED): watch selectors need both */
};

#define STORE_BUCKETS 65536
#define STORE_RING 16384
#define STORE_MAX_SUBS 16

struct store {
	pthread_mutex_t mu;
	pthread_cond_t cond;
	struct sim_config cfg;
	uint64_t rv;
	struct entry **buckets;
	struct rtype **types;
	size_t ntypes, captypes;
	const struct restype **served;	/* cache for store_types */
	size_t nserved;
	const struct restype **visible;	/* served and routable (store_types_visible) */
	size_t nvisible;
	struct sevent *ring;		/* events, ring[rv-order], newest at ring_head-1 */
	size_t ring_head, ring_count;
	struct {
		store_watch_fn fn;
		void *ud;
	} subs[STORE_MAX_SUBS];
	int nsubs;
	atomic_int waiting; /* threads blocked in store_lock */
	bool ns_controller; /* store_set_namespace_controller */
};

struct sobj *sobj_new(cJSON *obj);
void sobj_unref(struct sobj *so);
/* so's compact JSON (length in *len), serialised once and kept; store lock held. */
const char *sobj_json(struct sobj *so, size_t *len);

struct entry *store_find(struct store *st, const struct restype *rt, const char *ns,
			 const char *name);
/* Commit a new state (NULL obj = delete) with event; lock held. */
void store_commit(struct store *st, struct rtype *rt, struct entry *en, const char *ns,
		  const char *name, cJSON *obj, enum store_ev type, const cJSON *old);

/* Sorted entries of rt (in ns, NULL = all); malloc'd array; lock held. */
size_t store_entries(struct store *st, const struct restype *rt, const char *ns,
		     struct entry ***out);

/* managedFields for an Update operation by manager: old (NULL on create) -> obj
 * (fields.c, on top of merge.h). */
void store_managed_update(const struct restype *rt, const cJSON *old, cJSON *obj,
			  const char *manager, const char *subresource);

/* Types (store_types.c). */
int store_types_init(struct store *st);
struct rtype *store_type_add(struct store *st, const struct restype *tmpl, bool custom);
void store_types_refresh(struct store *st);
/* A CRD was written (obj) or removed (NULL): (un)register its type. */
void store_crd_sync(struct store *st, const cJSON *crd, bool removed);
/* The Warning a request at a deprecated CRD version gets, copied into out; false when
 * the version is not deprecated. */
bool store_crd_deprecation(struct store *st, const struct restype *view, char *out, size_t n);

/*
 * Watch support for the server: calls fn for every event with rv > after of type rt
 * (NULL = all), in order; lock held. Returns -1 when `after` is older than the
 * retained history (410 Expired), else the number of events passed. fn returning
 * non-zero stops the walk.
 */
typedef int (*store_event_fn)(void *ud, const struct sevent *ev);
int store_events_after(struct store *st, uint64_t after, const struct restype *rt,
		       store_event_fn fn, void *ud);
/* Oldest rv still in the ring (0 when empty). */
uint64_t store_oldest_rv(struct store *st);

/* Restore support: drop every object and event; insert a stored object as is
 * (takes obj; -1 when its type is unknown or it exists). */
void store_clear(struct store *st);
int store_insert_raw(struct store *st, cJSON *obj);
void store_set_rv(struct store *st, uint64_t rv);

/* Persistence (store_persist.c): atomic write (temp + rename) and restore. */
int store_save(struct store *st, const char *path, char *errbuf, size_t errlen);
int store_load(struct store *st, const char *path, char *errbuf, size_t errlen);

/* etcd's request limit on a stored object (store_limit.c): 0, or the 500 etcd answers;
 * may_drop_managed lets a write that is too large be tried once without managedFields,
 * as the API server does for all but server-side apply. */
int store_size_check(cJSON *obj, bool may_drop_managed, struct kstatus *e);

/* Sets condition type of obj's status.conditions (created when missing) as the
 * apihelpers do: one already at status keeps its lastTransitionTime (store_status.c). */
void store_condition_set(cJSON *obj, const char *type, const char *status, const char *reason,
			 const char *msg);
/* The status a controller writes for the kind at once, on a main-resource write (an
 * APIService's Available, a ValidatingAdmissionPolicy's observedGeneration). */
void store_status_prepare(struct store *st, const struct restype *rt, cJSON *obj);

/* Helpers. */
const char *obj_str(const cJSON *o, const char *a, const char *b);
/* True when the JSON array arr holds the string s. */
bool obj_array_has(const cJSON *arr, const char *s);
void obj_set_str(cJSON *o, const char *key, const char *val);
cJSON *obj_child(cJSON *o, const char *key);
void store_uuid(char out[37]);

#endif
