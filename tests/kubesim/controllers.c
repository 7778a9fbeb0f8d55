/*
 * controllers: the manager of kubesim's simulated controllers. A store subscription
 * turns each write into keys on a deduplicated dirty queue (a Deployment write queues
 * that Deployment, a ReplicaSet or Pod write also queues its controller), a timer heap
 * wakes keys later (pod readiness, progress deadlines), and one worker reconciles a
 * key at a time under the store lock. It never rescans the whole store on a write and
 * never sleeps with the store lock held.
 */
#include "controllers_int.h"
#include "oom.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct citem {
	enum ctrl_kind kind;
	const struct restype *rt;
	char ns[64];
	char name[254];
	char uid[64];
};

struct ctimer {
	int64_t due;
	struct citem it;
};

/* A chained hash set of the keys currently queued, so a key is queued once. */
struct kset {
	char **slots; /* open addressing, NULL = empty, "\1" = deleted */
	size_t cap, n, used;
};

struct controllers {
	struct store *st;
	struct ctrl_types types;
	struct ctrl_index *index; /* under the store lock */
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct citem *q; /* ring buffer */
	size_t qhead, qlen, qcap;
	struct kset queued;
	struct ctimer *timers; /* min-heap on due */
	size_t ntimers, tcap;
	bool threaded, stop, fake;
	int64_t fake_now;
	pthread_t thread;
	struct ctrl_backoff *backoff;
};

static struct controllers *global_ctl;
static const char tombstone[] = "\1";

static int64_t real_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t ctrl_now(struct controllers *c)
{
	int64_t now;
	pthread_mutex_lock(&c->mu);
	now = c->fake ? c->fake_now : real_now_ms();
	pthread_mutex_unlock(&c->mu);
	return now;
}

void ctrl_now_str(struct controllers *c, char *out)
{
	ctrl_time_format(ctrl_now(c), out);
}
int64_t controllers_now(struct controllers *c)
{
	return ctrl_now(c);
}
const struct ctrl_types *ctrl_types(struct controllers *c)
{
	return &c->types;
}
struct store *ctrl_store(struct controllers *c)
{
	return c->st;
}
struct ctrl_backoff *ctrl_backoff(struct controllers *c)
{
	return c->backoff;
}

const struct sim_config *ctrl_config(struct controllers *c)
{
	return store_config(c->st);
}
struct controllers *controllers_global(void)
{
	return global_ctl;
}
struct ctrl_index *ctrl_index(struct controllers *c)
{
	return c->index;
}

const struct restype *ctrl_ref_type(struct controllers *c, const cJSON *ref)
{
	const char *av = ctrl_str(ref, "apiVersion", NULL, NULL);
	const char *kind = ctrl_str(ref, "kind", NULL, NULL);
	return av && kind ? store_type_by_kind(c->st, av, kind) : NULL;
}

/* ---- the key set ---------------------------------------------------------------- */

static uint64_t str_hash(const char *s)
{
	uint64_t h = 1469598103934665603ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ull;
	return h;
}

static size_t kset_find(const struct kset *k, const char *key, bool *found)
{
	size_t i = str_hash(key) & (k->cap - 1), first_free = (size_t)-1;
	for (;; i = (i + 1) & (k->cap - 1)) {
		char *s = k->slots[i];
		if (!s)
			break;
		if (s == tombstone) {
			if (first_free == (size_t)-1)
				first_free = i;
		} else if (strcmp(s, key) == 0) {
			*found = true;
			return i;
		}
	}
	*found = false;
	return first_free != (size_t)-1 ? first_free : i;
}

static int kset_grow(struct kset *k)
{
	/* Mostly tombstones: rehash at the same size instead of growing forever. */
	size_t ncap = !k->cap ? 256 : k->n * 4 < k->cap ? k->cap : k->cap * 2;
	struct kset nk = {calloc(ncap, sizeof(char *)), ncap, 0, 0};
	bool found;
	if (!nk.slots)
		return -1;
	for (size_t i = 0; i < k->cap; i++) {
		char *s = k->slots[i];
		if (s && s != tombstone) {
			nk.slots[kset_find(&nk, s, &found)] = s;
			nk.n++;
			nk.used++;
		}
	}
	free(k->slots);
	*k = nk;
	return 0;
}

/* Adds key; returns true if it was not there. */
static bool kset_add(struct kset *k, const char *key)
{
	bool found;
	if ((k->used + 1) * 2 > k->cap && kset_grow(k) < 0)
		return false;
	size_t i = kset_find(k, key, &found);
	if (found)
		return false;
	if (!k->slots[i])
		k->used++;
	k->slots[i] = strdup(key);
	k->n++;
	return k->slots[i] != NULL;
}

static void kset_remove(struct kset *k, const char *key)
{
	bool found;
	if (!k->cap)
		return;
	size_t i = kset_find(k, key, &found);
	if (!found)
		return;
	free(k->slots[i]);
	k->slots[i] = (char *)tombstone;
	k->n--;
}

static void kset_dispose(struct kset *k)
{
	for (size_t i = 0; i < k->cap; i++)
		if (k->slots[i] != tombstone)
			free(k->slots[i]);
	free(k->slots);
}

/* ---- queue and timers (c->mu held) ----------------------------------------------- */

static void item_key(const struct citem *it, char *out, size_t n)
{
	snprintf(out, n, "%d|%p|%s|%s|%s", (int)it->kind, (const void *)it->rt, it->ns, it->name,
		 it->uid);
}

static void item_fill(struct citem *it, enum ctrl_kind kind, const struct restype *rt,
		      const char *ns, const char *name, const char *uid)
{
	memset(it, 0, sizeof(*it));
	it->kind = kind;
	it->rt = rt;
	snprintf(it->ns, sizeof(it->ns), "%s", ns ? ns : "");
	snprintf(it->name, sizeof(it->name), "%s", name ? name : "");
	snprintf(it->uid, sizeof(it->uid), "%s", uid ? uid : "");
}

static void queue_push(struct controllers *c, const struct citem *it)
{
	char key[512];
	item_key(it, key, sizeof(key));
	if (!kset_add(&c->queued, key))
		return;
	if (c->qlen == c->qcap) {
		size_t ncap = c->qcap ? c->qcap * 2 : 256;
		struct citem *nq = malloc(ncap * sizeof(*nq));
		if (!nq) {
			kset_remove(&c->queued, key);
			return;
		}
		for (size_t i = 0; i < c->qlen; i++)
			nq[i] = c->q[(c->qhead + i) % c->qcap];
		free(c->q);
		c->q = nq;
		c->qcap = ncap;
		c->qhead = 0;
	}
	c->q[(c->qhead + c->qlen) % c->qcap] = *it;
	c->qlen++;
	pthread_cond_signal(&c->cv);
}

static bool queue_pop(struct controllers *c, struct citem *out)
{
	char key[512];
	if (!c->qlen)
		return false;
	*out = c->q[c->qhead];
	c->qhead = (c->qhead + 1) % c->qcap;
	c->qlen--;
	item_key(out, key, sizeof(key));
	kset_remove(&c->queued, key);
	return true;
}

static void timer_push(struct controllers *c, int64_t due, const struct citem *it)
{
	if (c->ntimers == c->tcap) {
		size_t ncap = c->tcap ? c->tcap * 2 : 256;
		struct ctimer *nt = realloc(c->timers, ncap * sizeof(*nt));
		if (!nt)
			return;
		c->timers = nt;
		c->tcap = ncap;
	}
	size_t i = c->ntimers++;
	c->timers[i] = (struct ctimer){due, *it};
	while (i > 0 && c->timers[(i - 1) / 2].due > c->timers[i].due) {
		struct ctimer t = c->timers[i];
		c->timers[i] = c->timers[(i - 1) / 2];
		c->timers[(i - 1) / 2] = t;
		i = (i - 1) / 2;
	}
	pthread_cond_signal(&c->cv);
}

static void timer_pop(struct controllers *c)
{
	size_t i = 0;
	c->timers[0] = c->timers[--c->ntimers];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < c->ntimers && c->timers[l].due < c->timers[m].due)
			m = l;
		if (r < c->ntimers && c->timers[r].due < c->timers[m].due)
			m = r;
		if (m == i)
			break;
		struct ctimer t = c->timers[i];
		c->timers[i] = c->timers[m];
		c->timers[m] = t;
		i = m;
	}
}

/* Moves due timers to the queue; returns ms until the next one (or -1). */
static int64_t timers_fire(struct controllers *c, int64_t now)
{
	while (c->ntimers && c->timers[0].due <= now) {
		struct citem it = c->timers[0].it;
		timer_pop(c);
		queue_push(c, &it);
	}
	return c->ntimers ? c->timers[0].due - now : -1;
}

void ctrl_enqueue(struct controllers *c, enum ctrl_kind kind, const struct restype *rt,
		  const char *ns, const char *name, const char *uid)
{
	struct citem it;
	item_fill(&it, kind, rt, ns, name, uid);
	pthread_mutex_lock(&c->mu);
	queue_push(c, &it);
	pthread_mutex_unlock(&c->mu);
}

void ctrl_enqueue_at(struct controllers *c, int64_t due_ms, enum ctrl_kind kind,
		     const struct restype *rt, const char *ns, const char *name, const char *tag)
{
	struct citem it;
	item_fill(&it, kind, rt, ns, name, tag);
	pthread_mutex_lock(&c->mu);
	timer_push(c, due_ms, &it);
	pthread_mutex_unlock(&c->mu);
}

/* ---- routing store events to keys ------------------------------------------------ */

static bool kind_of(struct controllers *c, const struct restype *rt, enum ctrl_kind *out)
{
	const struct ctrl_types *t = &c->types;
	const struct restype *map[] = {t->deploy, t->rs, t->pod, t->sts, t->ds, t->job, t->ns};
	enum ctrl_kind kinds[] = {CK_DEPLOY, CK_RS, CK_POD, CK_STS, CK_DS, CK_JOB, CK_NS};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (map[i] && map[i] == rt) {
			*out = kinds[i];
			return true;
		}
	}
	return false;
}

/* Queues the controller of obj (a pod's ReplicaSet, an RS's Deployment). */
static void enqueue_owner(struct controllers *c, const cJSON *obj)
{
	const cJSON *ref = ctrl_controller_ref(obj);
	const char *kind = ctrl_str(ref, "kind", NULL, NULL);
	const char *name = ctrl_str(ref, "name", NULL, NULL);
	const struct ctrl_types *t = &c->types;
	if (!kind || !name)
		return;
	const struct restype *rt = NULL;
	enum ctrl_kind k;
	if (strcmp(kind, "Deployment") == 0)
		rt = t->deploy;
	else if (strcmp(kind, "ReplicaSet") == 0)
		rt = t->rs;
	else if (strcmp(kind, "StatefulSet") == 0)
		rt = t->sts;
	else if (strcmp(kind, "DaemonSet") == 0)
		rt = t->ds;
	else if (strcmp(kind, "Job") == 0)
		rt = t->job;
	if (rt && kind_of(c, rt, &k))
		ctrl_enqueue(c, k, rt, ctrl_namespace(obj), name, NULL);
}

static bool being_deleted(const cJSON *obj)
{
	return ctrl_path(obj, "metadata", "deletionTimestamp", NULL) != NULL;
}

/* Garbage collection keys: the object itself when it is deleted or carries a GC
 * finalizer, and each owner when a dependent disappears (foreground waits on it). */
static void enqueue_gc(struct controllers *c, const struct store_event *ev)
{
	const cJSON *obj = ev->obj;
	const cJSON *ref;
	if (ev->type == STORE_DELETED || being_deleted(obj))
		ctrl_enqueue(c, CK_GC, ev->rt, ctrl_namespace(obj), ctrl_name(obj), ctrl_uid(obj));
	if (ev->type != STORE_DELETED && !being_deleted(obj))
		return;
	cJSON_ArrayForEach(ref, ctrl_path(obj, "metadata", "ownerReferences", NULL))
	{
		const struct restype *ort = ctrl_ref_type(c, ref);
		if (ort)
			ctrl_enqueue(c, CK_GC, ort, ort->namespaced ? ctrl_namespace(obj) : NULL,
				     ctrl_str(ref, "name", NULL, NULL),
				     ctrl_str(ref, "uid", NULL, NULL));
	}
}

/* An orphan ReplicaSet or Pod: queue the controllers that may adopt it (a scan of one
 * namespace's owners, only for objects without a controller, which are rare). */
static void enqueue_adopters(struct controllers *c, const struct store_event *ev)
{
	const struct restype *ort = ev->rt == c->types.rs    ? c->types.deploy
				    : ev->rt == c->types.pod ? c->types.rs
							     : NULL;
	const cJSON **owners = NULL;
	if (!ort || ev->type == STORE_DELETED || ctrl_controller_ref(ev->obj) ||
	    being_deleted(ev->obj))
		return;
	size_t n = store_list(c->st, ort, ctrl_namespace(ev->obj), &owners);
	for (size_t i = 0; i < n; i++) {
		if (ctrl_selector_matches(ctrl_path(owners[i], "spec", "selector", NULL),
					  ctrl_path(ev->obj, "metadata", "labels", NULL)))
			ctrl_enqueue(c, ort == c->types.rs ? CK_RS : CK_DEPLOY, ort,
				     ctrl_namespace(owners[i]), ctrl_name(owners[i]), NULL);
	}
	free(owners);
}

/* A budget changed, or a pod or a scalable controller: the budgets of its namespace
 * count again. */
static void enqueue_budgets(struct controllers *c, const struct store_event *ev)
{
	const struct ctrl_types *t = &c->types;
	const struct restype *pdb = ctrl_pdb_type(c);
	const cJSON **all = NULL;
	size_t n;

	if (pdb && ev->rt == pdb) {
		ctrl_enqueue(c, CK_PDB, pdb, ctrl_namespace(ev->obj), ctrl_name(ev->obj), NULL);
		return;
	}
	if (!pdb || (ev->rt != t->pod && ev->rt != t->rs && ev->rt != t->sts &&
		     ev->rt != t->deploy))
		return;
	n = store_list(c->st, pdb, ctrl_namespace(ev->obj), &all);
	for (size_t i = 0; i < n; i++)
		ctrl_enqueue(c, CK_PDB, pdb, ctrl_namespace(all[i]), ctrl_name(all[i]), NULL);
	free(all);
}

/* A Node came, went or changed: every DaemonSet looks again (nodes are few), and so do
 * the pods no node took. */
static void enqueue_daemonsets(struct controllers *c)
{
	const cJSON **all = NULL;
	size_t n = c->types.ds ? store_list(c->st, c->types.ds, NULL, &all) : 0;
	for (size_t i = 0; i < n; i++)
		ctrl_enqueue(c, CK_DS, c->types.ds, ctrl_namespace(all[i]), ctrl_name(all[i]), NULL);
	free(all);
	scheduler_retry(c);
}

static void on_event(void *ud, const struct store_event *ev)
{
	struct controllers *c = ud;
	enum ctrl_kind k;
	const cJSON *obj = ev->obj;
	if (!obj)
		return;
	bool orphans = ev->rt == c->types.rs || ev->rt == c->types.pod;
	if (ev->type == STORE_DELETED)
		ctrl_index_update(c->index, ev->rt, obj, NULL, orphans);
	else
		ctrl_index_update(c->index, ev->rt, ev->old, obj, orphans);
	if (kind_of(c, ev->rt, &k)) {
		if (k != CK_NS || being_deleted(obj))
			ctrl_enqueue(c, k, ev->rt, ctrl_namespace(obj), ctrl_name(obj), NULL);
		if (k != CK_NS)
			enqueue_owner(c, obj);
		if (ev->old && k != CK_NS)
			enqueue_owner(c, ev->old);
	}
	enqueue_budgets(c, ev);
	enqueue_gc(c, ev);
	enqueue_adopters(c, ev);
	if (ev->rt == c->types.node)
		enqueue_daemonsets(c);
}

/* ---- the worker -------------------------------------------------------------------- */

static void dispatch(struct controllers *c, const struct citem *it)
{
	oom_clear();
	store_lock(c->st);
	switch (it->kind) {
	case CK_DEPLOY:
		deploy_sync(c, it->ns, it->name);
		break;
	case CK_RS:
		rs_sync(c, it->ns, it->name);
		break;
	case CK_POD:
		kubelet_sync(c, it->ns, it->name, it->uid);
		break;
	case CK_STS:
		sts_sync(c, it->ns, it->name, it->uid);
		break;
	case CK_DS:
		ds_sync(c, it->ns, it->name, it->uid);
		break;
	case CK_JOB:
		job_sync(c, it->ns, it->name, it->uid);
		break;
	case CK_PDB:
		pdb_sync(c, it->ns, it->name);
		break;
	case CK_NS:
		ns_sync(c, it->name);
		break;
	case CK_GC:
		gc_sync(c, it->rt, it->ns, it->name, it->uid);
		break;
	}
	if (oom_seen()) /* a step that met out of memory wrote nothing partial: again */
		ctrl_enqueue_at(c, ctrl_now(c) + 100, it->kind, it->rt, it->ns, it->name, it->uid);
	store_unlock(c->st);
}

/* The controllers are another process in a real cluster: their work never holds up the
 * API server's requests. Here they share the store lock, and a mutex lets the thread
 * that just released it take it straight back, so before its next item the worker lets
 * the requests waiting for the lock go first (up to a millisecond, so it never starves). */
static void yield_to_requests(struct controllers *c)
{
	struct timespec ts = {0, 50 * 1000};

	for (int i = 0; i < 20 && store_waiting(c->st) > 0; i++)
		nanosleep(&ts, NULL);
}

static void *worker(void *arg)
{
	struct controllers *c = arg;
	struct citem it;
	pthread_mutex_lock(&c->mu);
	while (!c->stop) {
		int64_t wait = timers_fire(c, real_now_ms());
		if (!queue_pop(c, &it)) {
			struct timespec ts;
			if (wait < 0 || wait > 1000)
				wait = 1000;
			clock_gettime(CLOCK_REALTIME, &ts);
			ts.tv_nsec += (long)(wait % 1000) * 1000000L;
			ts.tv_sec += wait / 1000 + ts.tv_nsec / 1000000000L;
			ts.tv_nsec %= 1000000000L;
			pthread_cond_timedwait(&c->cv, &c->mu, &ts);
			continue;
		}
		pthread_mutex_unlock(&c->mu);
		dispatch(c, &it);
		yield_to_requests(c);
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

int controllers_run(struct controllers *c, int max_steps)
{
	struct citem it;
	int n = 0;
	while (n < max_steps) {
		pthread_mutex_lock(&c->mu);
		timers_fire(c, c->fake ? c->fake_now : real_now_ms());
		bool have = queue_pop(c, &it);
		pthread_mutex_unlock(&c->mu);
		if (!have)
			break;
		dispatch(c, &it);
		n++;
	}
	return n;
}

void controllers_set_time(struct controllers *c, int64_t now_ms)
{
	pthread_mutex_lock(&c->mu);
	c->fake = true;
	c->fake_now = now_ms;
	pthread_mutex_unlock(&c->mu);
}

void controllers_advance(struct controllers *c, int64_t ms)
{
	pthread_mutex_lock(&c->mu);
	if (!c->fake)
		c->fake_now = real_now_ms();
	c->fake = true;
	c->fake_now += ms;
	pthread_mutex_unlock(&c->mu);
}

/* ---- lifecycle --------------------------------------------------------------------- */

static void resolve_types(struct controllers *c)
{
	struct ctrl_types *t = &c->types;
	t->deploy = store_type(c->st, "apps", "deployments");
	t->rs = store_type(c->st, "apps", "replicasets");
	t->sts = store_type(c->st, "apps", "statefulsets");
	t->ds = store_type(c->st, "apps", "daemonsets");
	t->job = store_type(c->st, "batch", "jobs");
	t->pod = store_type(c->st, "", "pods");
	t->ns = store_type(c->st, "", "namespaces");
	t->node = store_type(c->st, "", "nodes");
	t->cr = store_type(c->st, "apps", "controllerrevisions");
}

/* Objects that existed before we subscribed (a restored store) get one look each. */
static void index_existing(struct controllers *c)
{
	const struct restype *const *rts = NULL;
	size_t nt = store_types(c->st, &rts);
	for (size_t i = 0; i < nt; i++) {
		const cJSON **objs = NULL;
		size_t n = store_list(c->st, rts[i], NULL, &objs);
		for (size_t j = 0; j < n; j++)
			ctrl_index_update(c->index, rts[i], NULL, objs[j],
					  rts[i] == c->types.rs || rts[i] == c->types.pod);
		free(objs);
	}
}

/* CRDs restored while Terminating: the finalizer controller (gc.c) goes on. */
static void enqueue_deleting_crds(struct controllers *c)
{
	const struct restype *rt =
	    store_type(c->st, "apiextensions.k8s.io", "customresourcedefinitions");
	const cJSON **objs = NULL;
	size_t n = rt ? store_list(c->st, rt, NULL, &objs) : 0;
	for (size_t i = 0; i < n; i++)
		if (being_deleted(objs[i]))
			ctrl_enqueue(c, CK_GC, rt, NULL, ctrl_name(objs[i]), ctrl_uid(objs[i]));
	free(objs);
}

static void enqueue_existing(struct controllers *c)
{
	const struct restype *rts[] = {c->types.deploy, c->types.rs, c->types.pod,
				       c->types.sts,	c->types.ds, c->types.job};
	enum ctrl_kind kinds[] = {CK_DEPLOY, CK_RS, CK_POD, CK_STS, CK_DS, CK_JOB};
	store_lock(c->st);
	index_existing(c);
	for (size_t i = 0; i < sizeof(rts) / sizeof(rts[0]); i++) {
		const cJSON **objs = NULL;
		size_t n = rts[i] ? store_list(c->st, rts[i], NULL, &objs) : 0;
		/* Pods get the "restore" tag: their readiness timers were lost. */
		for (size_t j = 0; j < n; j++)
			ctrl_enqueue(c, kinds[i], rts[i], ctrl_namespace(objs[j]),
				     ctrl_name(objs[j]), kinds[i] == CK_POD ? "restore" : NULL);
		free(objs);
	}
	const cJSON **nss = NULL;
	size_t n = c->types.ns ? store_list(c->st, c->types.ns, NULL, &nss) : 0;
	for (size_t j = 0; j < n; j++)
		if (being_deleted(nss[j]))
			ctrl_enqueue(c, CK_NS, c->types.ns, NULL, ctrl_name(nss[j]), NULL);
	free(nss);
	enqueue_deleting_crds(c);
	store_unlock(c->st);
}

struct controllers *controllers_new(struct store *st, bool threaded)
{
	struct controllers *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->st = st;
	c->index = ctrl_index_new();
	c->backoff = ctrl_backoff_new();
	if (!c->index || !c->backoff) {
		ctrl_index_free(c->index);
		ctrl_backoff_free(c->backoff);
		free(c);
		return NULL;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	store_lock(st);
	resolve_types(c);
	store_subscribe(st, on_event, c);
	store_set_namespace_controller(st, true); /* gc.c empties and finalizes them */
	kubelet_nodes_ensure(c, store_config(st)->nodes);
	enqueue_existing(c);
	store_unlock(st);
	c->threaded = threaded;
	if (threaded && pthread_create(&c->thread, NULL, worker, c) != 0) {
		fprintf(stderr, "kubesim: controllers: cannot start thread\n");
		c->threaded = false;
	}
	return c;
}

void controllers_free(struct controllers *c)
{
	if (!c)
		return;
	if (c->threaded) {
		pthread_mutex_lock(&c->mu);
		c->stop = true;
		pthread_cond_broadcast(&c->cv);
		pthread_mutex_unlock(&c->mu);
		pthread_join(c->thread, NULL);
	}
	kset_dispose(&c->queued);
	free(c->q);
	free(c->timers);
	ctrl_index_free(c->index);
	ctrl_backoff_free(c->backoff);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
}

int controllers_start(struct store *st)
{
	if (global_ctl)
		return 0;
	global_ctl = controllers_new(st, true);
	return global_ctl ? 0 : -1;
}

void controllers_stop(void)
{
	struct controllers *c = global_ctl;
	if (!c)
		return;
	/* The store keeps our subscription; stop the thread but leave the (idle) queue
	 * allocated so a late callback still has somewhere to write. */
	pthread_mutex_lock(&c->mu);
	c->stop = true;
	pthread_cond_broadcast(&c->cv);
	pthread_mutex_unlock(&c->mu);
	if (c->threaded)
		pthread_join(c->thread, NULL);
	c->threaded = false;
}

/* ---- write helpers ------------------------------------------------------------------ */

static void log_failure(const char *what, const struct restype *rt, const cJSON *obj,
			const char *name, const struct kstatus *e)
{
	/* Conflicts are routine (a newer write raced us; the next event retries), and so
	 * is a create in a terminating namespace (403), which the real controllers ignore. */
	if (e->code == 409 || e->code == 404 || e->code == 403)
		return;
	fprintf(stderr, "kubesim: controllers: %s %s %s/%s: %d %s\n", what, rt->resource,
		obj ? (ctrl_namespace(obj) ? ctrl_namespace(obj) : "") : "",
		name ? name : (obj ? (ctrl_name(obj) ? ctrl_name(obj) : "") : ""), e->code,
		e->message);
}

int ctrl_create(struct controllers *c, const struct restype *rt, const cJSON *obj,
		const char *manager, cJSON **out)
{
	struct store_wopts o = {.manager = manager, .grace_seconds = -1};
	struct kstatus e = {0};
	int rc = store_create(c->st, rt, ctrl_namespace(obj), obj, &o, out, &e);
	if (rc < 0)
		log_failure("create", rt, obj, NULL, &e);
	kstatus_dispose(&e);
	return rc;
}

int ctrl_update_sub(struct controllers *c, const struct restype *rt, const cJSON *obj,
		    const char *manager, const char *subresource)
{
	struct store_wopts o = {.manager = manager, .subresource = subresource, .grace_seconds = -1};
	struct kstatus e = {0};
	int rc = store_update(c->st, rt, ctrl_namespace(obj), obj, &o, NULL, &e);
	if (rc < 0)
		log_failure(subresource ? "update subresource" : "update", rt, obj, NULL, &e);
	kstatus_dispose(&e);
	return rc;
}

int ctrl_update(struct controllers *c, const struct restype *rt, const cJSON *obj,
		const char *manager, bool status)
{
	return ctrl_update_sub(c, rt, obj, manager, status ? "status" : NULL);
}

int ctrl_delete(struct controllers *c, const struct restype *rt, const char *ns, const char *name,
		const char *propagation, int64_t grace)
{
	struct store_wopts o = {
	    .manager = CTRL_MANAGER, .propagation = propagation, .grace_seconds = grace};
	struct kstatus e = {0};
	int rc = store_delete(c->st, rt, ns, name, &o, NULL, &e);
	if (rc < 0)
		log_failure("delete", rt, NULL, name, &e);
	kstatus_dispose(&e);
	return rc;
}
