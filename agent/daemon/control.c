/*
 * control: what the cluster asks of the agent through an app's inventory (ops.h):
 * whether the app is suspended, and `tether reconcile` requests. Checked every
 * CONTROL_MS, at a cost that grows with the namespaces, not the apps: one LIST of the
 * inventory ConfigMaps of a namespace (by label, metadata only: the object lists are
 * not parsed) answers every app whose inventory lives there, for as long as it was
 * read after the app's previous check. An identity that may not list ConfigMaps there
 * GETs its own inventory, as before. A request is answered once its sync ended, by
 * writing its stamp as handled with the sync's exit code and summary (and the
 * namespace is listed again, so the request is not seen twice). Best effort like the
 * Events: a failed read changes nothing, a failed answer is logged and retried at the
 * next check (the request is still newer than what was handled).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"
#include "jsonget.h"
#include "jsonpick.h"
#include "log.h"
#include "ops.h"
#include "sync.h"

static const struct json_pick meta_pick[] = {
    {"name", NULL}, {"annotations", NULL}, {NULL, NULL}};
static const struct json_pick inv_pick[] = {{"metadata", meta_pick}, {NULL, NULL}};

/* One namespace's inventories as one cluster client last listed them. */
struct control_ns {
	const struct daemon_cluster *cluster; /* of the bookkeeping's identity (cluster.c) */
	char *ns;
	int64_t read_ms; /* monotonic time the LIST was sent; INT64_MIN: read again */
	cJSON *list;	 /* the LIST's answer, NULL when it failed */
	struct strmap by_name; /* its items by name (borrowed from list) */
	bool no_list;	 /* 403: the identity GETs its own inventory */
};

struct control_cache {
	pthread_mutex_t mu; /* held while listing: the others wait and reuse the answer */
	struct control_ns *v;
	size_t n, cap;
};

struct control_cache *control_cache_new(void)
{
	struct control_cache *cc = calloc(1, sizeof(*cc));

	if (cc)
		pthread_mutex_init(&cc->mu, NULL);
	return cc;
}

/* Drops every namespace's list (their clients are about to go). */
void control_cache_clear(struct control_cache *cc)
{
	if (!cc)
		return;
	pthread_mutex_lock(&cc->mu);
	for (size_t i = 0; i < cc->n; i++) {
		free(cc->v[i].ns);
		strmap_dispose(&cc->v[i].by_name);
		cJSON_Delete(cc->v[i].list);
	}
	free(cc->v);
	cc->v = NULL;
	cc->n = cc->cap = 0;
	pthread_mutex_unlock(&cc->mu);
}

void control_cache_free(struct control_cache *cc)
{
	if (!cc)
		return;
	control_cache_clear(cc);
	pthread_mutex_destroy(&cc->mu);
	free(cc);
}

/* The cluster of the app's bookkeeping (tether's own identity): its clients, whichever
 * a worker checked out, list the same inventories. */
static const struct daemon_cluster *own_cluster(const struct daemon_app *a)
{
	return a->own_cluster ? a->own_cluster : a->cluster;
}

/* The entry of (k, ns), made on first use (cc->mu held); NULL when memory runs out. */
static struct control_ns *cache_slot(struct control_cache *cc, const struct daemon_cluster *k,
				     const char *ns)
{
	struct control_ns *c;

	for (size_t i = 0; i < cc->n; i++)
		if (cc->v[i].cluster == k && !strcmp(cc->v[i].ns, ns))
			return &cc->v[i];
	if (array_reserve(&cc->v, &cc->cap, cc->n + 1, sizeof(*cc->v)) < 0)
		return NULL;
	c = &cc->v[cc->n];
	*c = (struct control_ns){.cluster = k, .ns = strdup(ns), .read_ms = INT64_MIN};
	if (!c->ns)
		return NULL;
	strmap_init(&c->by_name);
	cc->n++;
	return c;
}

/* A LIST, or a GET of name when q.name is set; logs and backs off a failure (not a
 * LIST's 403: the GETs take over). */
static int control_read(struct daemon_app *a, struct kube_list_q *q)
{
	kube_list_many(session_own_kube(a->sess), q, 1);
	if (q->rc < 0 && q->rc != TE_NOTFOUND && (q->name || q->status != 403)) {
		log_kv(LOG_DEBUG, "control check failed", "app", a->cfg.app, "error", q->err.msg,
		       NULL);
		/* A cluster that does not answer would hold the loop at every check: ask
		 * again at the app's interval, when its sync reports why. */
		if (a->cfg.interval_ms > CONTROL_MS)
			a->control_ms = now_ms() + a->cfg.interval_ms;
	}
	return q->rc;
}

/* A copy of the item named name of c's list; NULL when it is not there. */
static cJSON *list_item(const struct control_ns *c, const char *name)
{
	const cJSON *it = strmap_get(&c->by_name, name);

	return it ? cJSON_Duplicate(it, 1) : NULL;
}

/* Indexes the items of c's list by name: a thousand apps look theirs up each round.
 * Without the index (out of memory) the list is dropped, as if it failed. */
static void index_items(struct control_ns *c)
{
	const cJSON *it;

	strmap_dispose(&c->by_name);
	strmap_init(&c->by_name);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(c->list, "items"))
	{
		const char *n = json_str(it, "metadata", "name", NULL);
		if (n && strmap_put(&c->by_name, n, (void *)it) < 0) {
			strmap_dispose(&c->by_name);
			strmap_init(&c->by_name);
			cJSON_Delete(c->list);
			c->list = NULL;
			return;
		}
	}
}

/* The namespace's inventories, listed again unless read after since (cc->mu held).
 * False when the identity may not list them. */
static bool ns_listed(struct control_ns *c, struct daemon_app *a,
		      const struct kube_resource *res, int64_t since)
{
	struct kube_list_q q;

	if (c->no_list || c->read_ms >= since)
		return !c->no_list;
	q = (struct kube_list_q){
	    .res = res, .ns = c->ns, .selector = "tether.dev/inventory", .pick = inv_pick};
	c->read_ms = now_ms();
	cJSON_Delete(c->list);
	c->list = control_read(a, &q) == 0 ? q.out : NULL;
	if (!c->list)
		cJSON_Delete(q.out);
	index_items(c);
	c->no_list = q.status == 403;
	return !c->no_list;
}

/* The app's inventory, metadata only; NULL when there is none or it cannot be read. */
static cJSON *read_inventory(struct daemon *d, struct daemon_app *a)
{
	const char *ns = sync_inventory_namespace(&a->cfg);
	const struct kube_resource *res;
	struct control_ns *c;
	struct kube_list_q q;
	cJSON *inv = NULL;
	char name[128];
	bool listed;
	struct err e;

	err_clear(&e);
	if (daemon_session(d, a, true, &e) < 0 ||
	    kube_resolve(session_own_kube(a->sess), "v1", "ConfigMap", &res, &e) < 0)
		return NULL;
	snprintf(name, sizeof(name), SYNC_INVENTORY_PREFIX "%s", a->cfg.app);
	pthread_mutex_lock(&d->control->mu);
	c = cache_slot(d->control, own_cluster(a), ns);
	/* read after this app's previous check: nothing older than it saw then */
	listed = c && ns_listed(c, a, res, now_ms() - CONTROL_MS);
	if (listed)
		inv = list_item(c, name);
	pthread_mutex_unlock(&d->control->mu);
	if (listed || !c)
		return inv;
	q = (struct kube_list_q){.res = res, .ns = ns, .name = name, .pick = inv_pick};
	return control_read(a, &q) == 0 ? q.out : NULL;
}

/* After an answer: the namespace is listed again at the next check. */
static void control_forget(struct daemon *d, struct daemon_app *a)
{
	const char *ns = sync_inventory_namespace(&a->cfg);
	const struct daemon_cluster *own = own_cluster(a);

	pthread_mutex_lock(&d->control->mu);
	for (size_t i = 0; i < d->control->n; i++)
		if (d->control->v[i].cluster == own && !strcmp(d->control->v[i].ns, ns))
			d->control->v[i].read_ms = INT64_MIN;
	pthread_mutex_unlock(&d->control->mu);
}

static void set_suspended(struct daemon *d, struct daemon_app *a, bool on)
{
	bool was;

	pthread_mutex_lock(&d->mu);
	was = a->st.suspended;
	a->st.suspended = on;
	if (on)
		snprintf(a->st.state, sizeof(a->st.state), "suspended");
	else if (was) /* look again now rather than at the next interval */
		a->next_ms = now_ms();
	pthread_mutex_unlock(&d->mu);
	if (on != was)
		log_kv(LOG_INFO, on ? "suspended" : "resumed", "app", a->cfg.app, NULL);
}

bool control_check(struct daemon *d, struct daemon_app *a, char token[40])
{
	const char *req, *done;
	cJSON *inv;
	bool asked;

	a->control_ms = now_ms() + CONTROL_MS; /* read_inventory may push it later */
	if (!(inv = read_inventory(d, a)))
		return false;
	req = ops_annotation(inv, OPS_ANN_REQUESTED);
	done = ops_annotation(inv, OPS_ANN_HANDLED);
	set_suspended(d, a, ops_is_suspended(inv));
	asked = req && strlen(req) < 40 && (!done || strcmp(req, done) > 0);
	if (asked)
		snprintf(token, 40, "%s", req);
	cJSON_Delete(inv);
	return asked;
}

void control_answer(struct daemon *d, struct daemon_app *a, const char *token,
		    const struct loop_outcome *out)
{
	static const char *const keys[] = {OPS_ANN_HANDLED, OPS_ANN_RESULT, OPS_ANN_MESSAGE};
	char code[16], name[128];
	const char *values[3] = {token, code, out->message};
	struct err e;

	err_clear(&e);
	snprintf(code, sizeof(code), "%d", out->exit_code);
	snprintf(name, sizeof(name), SYNC_INVENTORY_PREFIX "%s", a->cfg.app);
	if (daemon_session(d, a, true, &e) == 0)
		ops_annotate(session_own_kube(a->sess), sync_inventory_namespace(&a->cfg), name,
			     keys, values, 3, &e);
	if (a->cluster)
		control_forget(d, a);
	if (e.code)
		log_kv(LOG_WARN, "reconcile not answered", "app", a->cfg.app, "error", e.msg, NULL);
	else
		log_kv(LOG_INFO, "reconcile", "app", a->cfg.app, "requested", token, "exit", code,
		       NULL);
}
