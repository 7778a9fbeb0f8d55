/*
 * store: the object table (hash by type/namespace/name plus a per-type list), the
 * global resourceVersion counter, the watch-event ring and the subscriber list.
 * The write rules (metadata, generation, no-op detection) live in store_write.c.
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "admission_classes.h"
#include "crd_schema.h"
#include "jsonedit.h"
#include "oom.h"
#include "store_int.h"

/* ---- kstatus ------------------------------------------------------------------ */

void kstatus_dispose(struct kstatus *e)
{
	if (!e)
		return;
	cJSON_Delete(e->causes);
	e->causes = NULL;
	free(e->long_message);
	e->long_message = NULL;
}

int kstatus_set(struct kstatus *e, int code, const char *reason, const char *fmt, ...)
{
	va_list ap;

	if (!e)
		return -code;
	if (e->code)
		return -e->code;
	e->code = code;
	snprintf(e->reason, sizeof(e->reason), "%s", reason);
	va_start(ap, fmt);
	vsnprintf(e->message, sizeof(e->message), fmt, ap);
	va_end(ap);
	return -code;
}

int kstatus_not_found(struct kstatus *e, const struct restype *rt, const char *name)
{
	int rc;

	if (*rt->group)
		rc = kstatus_set(e, 404, "NotFound", "%s.%s \"%s\" not found", rt->resource,
				 rt->group, name);
	else
		rc = kstatus_set(e, 404, "NotFound", "%s \"%s\" not found", rt->resource, name);
	if (e && e->code == 404 && !e->kind[0]) {
		snprintf(e->name, sizeof(e->name), "%s", name);
		snprintf(e->group, sizeof(e->group), "%s", rt->group);
		snprintf(e->kind, sizeof(e->kind), "%s", rt->resource);
	}
	return rc;
}

cJSON *kstatus_to_json(const struct kstatus *e)
{
	cJSON *s = cJSON_CreateObject(), *d;

	cJSON_AddStringToObject(s, "kind", "Status");
	cJSON_AddStringToObject(s, "apiVersion", "v1");
	cJSON_AddObjectToObject(s, "metadata");
	cJSON_AddStringToObject(s, "status", "Failure");
	cJSON_AddStringToObject(s, "message", e->long_message ? e->long_message : e->message);
	if (e->reason[0]) /* omitempty: an unknown reason is left out */
		cJSON_AddStringToObject(s, "reason", e->reason);
	if (e->name[0] || e->kind[0] || e->causes) {
		d = cJSON_AddObjectToObject(s, "details");
		if (e->name[0])
			cJSON_AddStringToObject(d, "name", e->name);
		if (e->group[0])
			cJSON_AddStringToObject(d, "group", e->group);
		if (e->kind[0])
			cJSON_AddStringToObject(d, "kind", e->kind);
		if (e->causes)
			cJSON_AddItemToObject(d, "causes", cJSON_Duplicate(e->causes, 1));
	}
	cJSON_AddNumberToObject(s, "code", e->code);
	return s;
}

/* ---- small helpers -------------------------------------------------------------- */

bool obj_array_has(const cJSON *arr, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return true;
	}
	return false;
}

const char *obj_str(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	if (b)
		v = cJSON_GetObjectItemCaseSensitive(v, b);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

void obj_set_str(cJSON *o, const char *key, const char *val)
{
	/* Out of memory refuses the write that this object is for (oom.h); anything else
	 * (o not an object) is a bug, and kubesim stops rather than store it. */
	if (json_object_set(o, key, cJSON_CreateString(val)) < 0 && !oom_seen())
		abort();
}

cJSON *obj_child(cJSON *o, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(o, key);

	if (cJSON_IsObject(c))
		return c;
	if (c)
		cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	return cJSON_AddObjectToObject(o, key);
}

void store_uuid(char out[37])
{
	unsigned char b[16];

	if (getrandom(b, sizeof(b), 0) != sizeof(b)) {
		for (int i = 0; i < 16; i++)
			b[i] = (unsigned char)rand();
	}
	b[6] = (b[6] & 0x0f) | 0x40;
	b[8] = (b[8] & 0x3f) | 0x80;
	snprintf(out, 37,
		 "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
		 b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13],
		 b[14], b[15]);
}

void store_time_now(char *out)
{
	store_time_after(out, 0);
}

void store_time_after(char *out, int64_t seconds)
{
	time_t t = time(NULL) + (time_t)seconds;
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void store_time_now_micro(char *out)
{
	struct timespec ts;
	struct tm tm;
	char b[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(b, sizeof(b), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out, 32, "%s.%06ldZ", b, ts.tv_nsec / 1000);
}

/* ---- sobj ----------------------------------------------------------------------- */

struct sobj *sobj_new(cJSON *obj)
{
	struct sobj *so = calloc(1, sizeof(*so));

	if (!so)
		abort();
	so->refs = 1;
	so->obj = obj;
	return so;
}

const char *sobj_json(struct sobj *so, size_t *len)
{
	if (!so->json) {
		so->json = cJSON_PrintUnformatted(so->obj);
		if (!so->json)
			abort();
		so->len = strlen(so->json);
	}
	*len = so->len;
	return so->json;
}

void sobj_unref(struct sobj *so)
{
	if (!so || --so->refs > 0)
		return;
	cJSON_Delete(so->obj);
	free(so->json);
	free(so);
}

/* ---- the table ------------------------------------------------------------------ */

static uint32_t key_hash(const void *rt, const char *ns, const char *name)
{
	uint32_t h = 2166136261u ^ (uint32_t)(uintptr_t)rt;
	const char *p;

	for (p = ns; p && *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	h = (h ^ '/') * 16777619u;
	for (p = name; *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	return h;
}

struct entry *store_find(struct store *st, const struct restype *rt, const char *ns,
			 const char *name)
{
	const char *n = rt->namespaced ? (ns ? ns : "") : "";
	uint32_t h = key_hash(rt, n, name);
	struct entry *en;

	for (en = st->buckets[h % STORE_BUCKETS]; en; en = en->next)
		if (en->hash == h && &en->rt->pub == rt && strcmp(en->name, name) == 0 &&
		    strcmp(en->ns, n) == 0)
			return en;
	return NULL;
}

static void entry_unlink(struct store *st, struct entry *en)
{
	struct entry **pp = &st->buckets[en->hash % STORE_BUCKETS];

	while (*pp && *pp != en)
		pp = &(*pp)->next;
	if (*pp)
		*pp = en->next;
	if (en->tprev)
		en->tprev->tnext = en->tnext;
	else
		en->rt->head = en->tnext;
	if (en->tnext)
		en->tnext->tprev = en->tprev;
	en->rt->count--;
	sobj_unref(en->so);
	free(en->ns);
	free(en->name);
	free(en);
}

static struct entry *entry_add(struct store *st, struct rtype *rt, const char *ns,
			       const char *name)
{
	struct entry *en = calloc(1, sizeof(*en));
	const char *n = rt->pub.namespaced ? (ns ? ns : "") : "";

	if (!en)
		abort();
	en->rt = rt;
	en->ns = strdup(n);
	en->name = strdup(name);
	if (!en->ns || !en->name)
		abort();
	en->hash = key_hash(&rt->pub, n, name);
	en->next = st->buckets[en->hash % STORE_BUCKETS];
	st->buckets[en->hash % STORE_BUCKETS] = en;
	en->tnext = rt->head;
	if (rt->head)
		rt->head->tprev = en;
	rt->head = en;
	rt->count++;
	return en;
}

static void ring_push(struct store *st, enum store_ev type, const struct restype *rt,
		      struct sobj *so, struct sobj *prev)
{
	struct sevent *ev = &st->ring[st->ring_head];

	if (st->ring_count == STORE_RING) {
		sobj_unref(ev->so);
		sobj_unref(ev->prev);
	} else
		st->ring_count++;
	ev->rv = st->rv;
	ev->type = type;
	ev->rt = rt;
	ev->so = so;
	so->refs++;
	ev->prev = prev;
	if (prev)
		prev->refs++;
	st->ring_head = (st->ring_head + 1) % STORE_RING;
}

/*
 * Stores obj (owned; NULL with type DELETED removes en) under the current st->rv,
 * which the caller already incremented and wrote into obj, then tells everyone.
 */
void store_commit(struct store *st, struct rtype *rt, struct entry *en, const char *ns,
		  const char *name, cJSON *obj, enum store_ev type, const cJSON *old)
{
	struct store_event ev = {type, &rt->pub, NULL, old, st->rv};
	struct sobj *so = sobj_new(obj), *prev = en ? en->so : NULL;
	int i;

	if (prev)
		prev->refs++; /* old stays valid for the subscribers */

	ring_push(st, type, &rt->pub, so, prev);
	ev.obj = so->obj;
	if (type == STORE_DELETED) {
		if (en)
			entry_unlink(st, en);
	} else {
		if (!en)
			en = entry_add(st, rt, ns, name);
		else
			sobj_unref(en->so);
		en->so = so;
		so->refs++;
	}
	for (i = 0; i < st->nsubs; i++)
		st->subs[i].fn(st->subs[i].ud, &ev);
	sobj_unref(so);
	sobj_unref(prev);
	pthread_cond_broadcast(&st->cond);
}

int store_events_after(struct store *st, uint64_t after, const struct restype *rt,
		       store_event_fn fn, void *ud)
{
	size_t i, start = (st->ring_head + STORE_RING - st->ring_count) % STORE_RING;
	int n = 0;

	if (after < st->rv && st->ring_count &&
	    after + 1 < st->ring[start].rv && st->ring_count == STORE_RING)
		return -1;
	for (i = 0; i < st->ring_count; i++) {
		const struct sevent *ev = &st->ring[(start + i) % STORE_RING];

		if (ev->rv <= after || (rt && ev->rt != rt))
			continue;
		n++;
		if (fn(ud, ev))
			break;
	}
	return n;
}

uint64_t store_oldest_rv(struct store *st)
{
	size_t start = (st->ring_head + STORE_RING - st->ring_count) % STORE_RING;

	return st->ring_count ? st->ring[start].rv : 0;
}

/* ---- public ----------------------------------------------------------------------- */

static void create_default_namespaces(struct store *st)
{
	static const char *names[] = {"default", "kube-system", "kube-public", "kube-node-lease"};
	const struct restype *ns = store_type(st, "", "namespaces");
	size_t i;

	for (i = 0; i < 4; i++) {
		cJSON *o = cJSON_CreateObject();
		struct store_wopts w = {.manager = "kube-apiserver", .grace_seconds = -1};

		cJSON_AddObjectToObject(o, "metadata");
		obj_set_str(cJSON_GetObjectItem(o, "metadata"), "name", names[i]);
		store_create(st, ns, NULL, o, &w, NULL, NULL);
		cJSON_Delete(o);
	}
}

struct store *store_new(const struct sim_config *cfg)
{
	struct store *st = calloc(1, sizeof(*st));
	pthread_mutexattr_t a;

	if (!st)
		return NULL;
	pthread_mutexattr_init(&a);
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_RECURSIVE);
	pthread_mutex_init(&st->mu, &a);
	pthread_mutexattr_destroy(&a);
	pthread_cond_init(&st->cond, NULL);
	if (cfg)
		st->cfg = *cfg;
	st->buckets = calloc(STORE_BUCKETS, sizeof(*st->buckets));
	st->ring = calloc(STORE_RING, sizeof(*st->ring));
	if (!st->buckets || !st->ring) {
		store_free(st);
		return NULL;
	}
	store_types_init(st);
	create_default_namespaces(st);
	admission_classes_bootstrap(st);
	return st;
}

void store_free(struct store *st)
{
	size_t i;
	int k;

	if (!st)
		return;
	for (i = 0; i < st->ntypes; i++) {
		while (st->types[i]->head)
			entry_unlink(st, st->types[i]->head);
		for (k = 0; k < 10; k++)
			free(st->types[i]->owned[k]);
		crd_schema_free_all(st->types[i]->schemas);
		free(st->types[i]->deprecation);
		for (k = 0; k < 3; k++)
			free(st->types[i]->scale[k]);
		free(st->types[i]);
	}
	for (i = 0; st->ring && i < STORE_RING; i++)
		if (st->ring[i].so) {
			sobj_unref(st->ring[i].so);
			sobj_unref(st->ring[i].prev);
		}
	free(st->types);
	free(st->served);
	free(st->visible);
	free(st->buckets);
	free(st->ring);
	pthread_cond_destroy(&st->cond);
	pthread_mutex_destroy(&st->mu);
	free(st);
}

const struct sim_config *store_config(const struct store *st)
{
	return &st->cfg;
}

void store_set_namespace_controller(struct store *st, bool on)
{
	store_lock(st);
	st->ns_controller = on;
	store_unlock(st);
}

void store_lock(struct store *st)
{
	atomic_fetch_add(&st->waiting, 1);
	pthread_mutex_lock(&st->mu);
	atomic_fetch_sub(&st->waiting, 1);
}

int store_waiting(struct store *st)
{
	return atomic_load(&st->waiting);
}

void store_unlock(struct store *st)
{
	pthread_mutex_unlock(&st->mu);
}

uint64_t store_rv(struct store *st)
{
	uint64_t rv;

	store_lock(st);
	rv = st->rv;
	store_unlock(st);
	return rv;
}

const cJSON *store_get(struct store *st, const struct restype *rt, const char *ns,
		       const char *name)
{
	struct entry *en;

	store_lock(st);
	en = store_find(st, rt, ns, name);
	store_unlock(st);
	return en ? en->so->obj : NULL;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct entry *x = *(struct entry *const *)a, *y = *(struct entry *const *)b;
	int c = strcmp(x->ns, y->ns);

	return c ? c : strcmp(x->name, y->name);
}

/* Sorted entries of rt (in ns or all); malloc'd array, lock held. */
size_t store_entries(struct store *st, const struct restype *rt, const char *ns,
		     struct entry ***out)
{
	struct rtype *t = (struct rtype *)rt;
	struct entry **arr = malloc((t->count + 1) * sizeof(*arr)), *en;
	size_t n = 0;

	if (!arr)
		abort();
	for (en = t->head; en; en = en->tnext)
		if (!ns || !rt->namespaced || strcmp(en->ns, ns) == 0)
			arr[n++] = en;
	qsort(arr, n, sizeof(*arr), entry_cmp);
	*out = arr;
	return n;
}

size_t store_list(struct store *st, const struct restype *rt, const char *ns,
		  const cJSON ***out)
{
	struct entry **arr;
	size_t i, n;

	store_lock(st);
	n = store_entries(st, rt, ns, &arr);
	for (i = 0; i < n; i++)
		((const cJSON **)arr)[i] = arr[i]->so->obj;
	store_unlock(st);
	*out = (const cJSON **)arr;
	return n;
}

int store_subscribe(struct store *st, store_watch_fn fn, void *ud)
{
	int rc = -1;

	store_lock(st);
	if (st->nsubs < STORE_MAX_SUBS) {
		st->subs[st->nsubs].fn = fn;
		st->subs[st->nsubs].ud = ud;
		st->nsubs++;
		rc = 0;
	}
	store_unlock(st);
	return rc;
}

uint64_t store_wait(struct store *st, uint64_t after, int timeout_ms)
{
	struct timespec ts;
	uint64_t rv;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += timeout_ms / 1000;
	ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&st->mu);
	while (st->rv <= after)
		if (pthread_cond_timedwait(&st->cond, &st->mu, &ts) != 0)
			break;
	rv = st->rv;
	pthread_mutex_unlock(&st->mu);
	return rv;
}

void store_clear(struct store *st)
{
	size_t i;

	store_lock(st);
	for (i = 0; i < st->ntypes; i++)
		while (st->types[i]->head)
			entry_unlink(st, st->types[i]->head);
	for (i = 0; i < STORE_RING; i++)
		if (st->ring[i].so) {
			sobj_unref(st->ring[i].so);
			sobj_unref(st->ring[i].prev);
			st->ring[i].so = st->ring[i].prev = NULL;
		}
	st->ring_head = st->ring_count = 0;
	store_unlock(st);
}

int store_insert_raw(struct store *st, cJSON *obj)
{
	const cJSON *m = cJSON_GetObjectItem(obj, "metadata");
	const char *av = obj_str(obj, "apiVersion", NULL), *k = obj_str(obj, "kind", NULL);
	const char *name = obj_str(m, "name", NULL), *ns = obj_str(m, "namespace", NULL);
	const struct restype *rt;
	struct entry *en;

	store_lock(st);
	rt = av && k ? store_type_by_kind(st, av, k) : NULL;
	if (!rt || !name || store_find(st, rt, ns, name)) {
		store_unlock(st);
		cJSON_Delete(obj);
		return -1;
	}
	if (!rt->custom && strcmp(rt->resource, "customresourcedefinitions") == 0)
		store_crd_sync(st, obj, false);
	en = entry_add(st, (struct rtype *)rt, ns, name);
	en->so = sobj_new(obj);
	store_unlock(st);
	return 0;
}
