/*
 * live: what the cluster holds for the app, read with as few requests as possible:
 * the inventory GET and one LIST per kind (label selector tether.dev/app=<app>).
 * From them, the plan decision of every item and the set of objects to prune.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "sync_int.h"

/* tether suspend: the app's inventory says that no sync may touch it (agent/ops); it is
 * read here, before anything is written, by every run: the agent's and CI's. */
static int refuse_suspended(const struct sync_run *r, const cJSON *inv, struct err *e)
{
	const char *on = json_str(inv, "metadata", "annotations", SYNC_ANNOTATION_SUSPENDED, NULL);
	const char *by = json_str(inv, "metadata", "annotations", SYNC_ANNOTATION_SUSPENDED_BY, NULL);
	const char *at = json_str(inv, "metadata", "annotations", SYNC_ANNOTATION_SUSPENDED_AT, NULL);

	if (!on || strcmp(on, "true") != 0)
		return 0;
	return err_set(e, TE_SUSPENDED,
		       "app %s is suspended%s%s%s%s: nothing applied (tether resume %s)",
		       r->cfg->app, by ? " by " : "", by ? by : "", at ? " at " : "", at ? at : "",
		       r->cfg->app);
}

/* The inventory's queries of one round: the GET where the rule says, the GET where an
 * older tether put it (NULL: no such place) and the LIST that finds the app's
 * inventories in other namespaces (skipped: the identity may not make it). */
struct inv_queries {
	struct kube_list_q *at, *legacy, *elsewhere;
	struct kube_list_q skipped;
};

/* The inventory ConfigMap as read, at the rule's namespace or at the legacy one. */
static int take_inventory(struct sync_run *r, const struct inv_queries *iq, struct err *e)
{
	struct inventory_get at = {r->inv_ns, iq->at->rc, &iq->at->err};
	struct inventory_get old = {NULL, 0, NULL};
	const cJSON *obj;
	int rc;

	if (iq->legacy)
		old = (struct inventory_get){r->inv_legacy, iq->legacy->rc, &iq->legacy->err};
	if ((rc = inventory_pick(r->cfg->app, &at, &old, &r->inv_moving, e)) < 0)
		return rc;
	obj = r->inv_moving ? iq->legacy->out : iq->at->out;
	if (!obj)
		return 0; /* first sync of this app */
	r->have_inventory = true;
	if (!r->diff_mode && (rc = refuse_suspended(r, obj, e)) < 0)
		return rc;
	at.ns = r->inv_moving ? r->inv_legacy : r->inv_ns;
	if ((rc = inventory_from_configmap(&r->old_inv, obj, e)) < 0 ||
	    (rc = inventory_read_parts(r->own, &r->old_inv, r->cfg->app, at.ns, e)) < 0)
		err_prefix(e, "%s/" SYNC_INVENTORY_PREFIX "%s", at.ns, r->cfg->app);
	return rc;
}

static struct live_list *list_of(struct sync_run *r, const struct kube_resource *res)
{
	for (size_t i = 0; i < r->n_lists; i++)
		if (r->lists[i].res == res)
			return &r->lists[i];
	return NULL;
}

static int add_list(struct sync_run *r, const struct kube_resource *res)
{
	struct live_list *l;

	if (!res || list_of(r, res))
		return 0;
	if (array_reserve(&r->lists, &r->cap_lists, r->n_lists + 1, sizeof(*r->lists)) < 0)
		return TE_NOMEM;
	l = &r->lists[r->n_lists++];
	memset(l, 0, sizeof(*l));
	l->res = res;
	l->per_ns = session_ns_scoped(r->sess, res);
	strlist_init(&l->listed);
	return 0;
}

/*
 * Namespace-scoped rights are enough: a kind the identity may not list across
 * namespaces is listed in each namespace the app uses it in, the rendered objects'
 * and the inventory's (an object moved to another namespace is still found, so it is
 * never forgotten before it is pruned). The LIST of list i in ns unless asked already
 * (qs NULL: counts it).
 */
static size_t queue_ns(struct sync_run *r, struct kube_list_q *qs, size_t *of, size_t i,
		       const char *ns, const char *sel)
{
	struct live_list *l = &r->lists[i];

	if (!ns || !*ns || strlist_contains(&l->listed, ns))
		return 0;
	if (!qs)
		return 1;
	strlist_add(&l->listed, ns); /* out of memory: asked again later, never skipped */
	*of = i;
	*qs = (struct kube_list_q){.res = l->res, .ns = ns, .selector = sel};
	return 1;
}

/* The LISTs of list i in each of its namespaces not asked yet. Counting (qs NULL)
 * counts every namespace of every object, duplicates too: a bound, not the number. */
static size_t queue_per_ns(struct sync_run *r, struct kube_list_q *qs, size_t *of, size_t i,
			   const char *sel)
{
	const struct kube_resource *res = r->lists[i].res;
	size_t n = 0;

	for (size_t j = 0; j < r->n_items; j++)
		if (r->items[j].res == res)
			n += queue_ns(r, qs ? qs + n : NULL, of ? of + n : NULL, i,
				      r->items[j].obj->ns, sel);
	for (size_t j = 0; j < r->old_inv.n; j++) {
		const struct inv_entry *x = &r->old_inv.items[j];

		if (!strcmp(x->group, res->group) && !strcmp(x->kind, res->kind))
			n += queue_ns(r, qs ? qs + n : NULL, of ? of + n : NULL, i, x->ns, sel);
	}
	return n;
}

/* The LIST, by the app's label, of every kind not listed yet; query j is list of[j].
 * qs NULL counts them (a bound: queue_per_ns). */
static size_t queue_lists(struct sync_run *r, struct kube_list_q *qs, size_t *of, const char *sel)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_lists; i++) {
		if (r->lists[i].per_ns) {
			n += queue_per_ns(r, qs ? qs + n : NULL, of ? of + n : NULL, i, sel);
			continue;
		}
		if (r->lists[i].list)
			continue;
		if (qs) {
			of[n] = i;
			qs[n] = (struct kube_list_q){.res = r->lists[i].res, .selector = sel};
		}
		n++;
	}
	return n;
}

/* The inventory's queries at qs (up to three, in a row): the GET at the rule's
 * namespace, at the legacy one when there is one, and the LIST across namespaces unless
 * the session knows it is forbidden (its 403 is then taken as answered). Returns how
 * many are asked. */
static int queue_inventory(struct sync_run *r, struct kube_list_q *qs,
			   const struct kube_resource *cm, const char *inv, char **inv_sel,
			   struct inv_queries *iq, struct err *e)
{
	int m = 0;

	iq->at = &qs[m];
	qs[m++] = (struct kube_list_q){.res = cm, .ns = r->inv_ns, .name = inv};
	iq->legacy = r->inv_legacy ? &qs[m] : NULL;
	if (r->inv_legacy)
		qs[m++] = (struct kube_list_q){.res = cm, .ns = r->inv_legacy, .name = inv};
	if (session_own_ns_scoped(r->sess, cm)) {
		iq->skipped = (struct kube_list_q){.res = cm, .rc = TE_REJECTED, .status = 403};
		iq->elsewhere = &iq->skipped;
		return m;
	}
	iq->elsewhere = &qs[m];
	if (inventory_elsewhere_query(&qs[m++], cm, r->cfg->app, inv_sel) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	return m;
}

/* The inventory's answers: the ConfigMap taken, the other namespaces' ones checked (a
 * 403 there: ConfigMaps are listed per namespace from now on). */
static int take_inventory_answers(struct sync_run *r, struct inv_queries *iq,
				  struct kube_list_q *qs, int m, struct err *e)
{
	int rc = take_inventory(r, iq, e);

	if (rc == 0)
		rc = inventory_elsewhere(r->cfg->app, iq->elsewhere, r->inv_ns, r->inv_legacy,
					 r->have_inventory, e);
	if (iq->elsewhere->status == 403)
		session_set_own_ns_scoped(r->sess, iq->elsewhere->res);
	for (int j = 0; j < m; j++)
		cJSON_Delete(qs[j].out);
	return rc;
}

/* The prefix of the hooks' ConfigMap next to the inventory, NULL when none is read:
 * diff records nothing. */
static const char *beside_prefix(const struct sync_run *r)
{
	const struct sync_hooks *h = r->env ? r->env->hooks : NULL;

	return h && !r->diff_mode ? h->beside_prefix : NULL;
}

/* The hooks' ConfigMap as the GET q answered. Not taken when the inventory was found
 * only where an older tether put it: this run moves it, so it writes anyway. */
static void take_beside(struct sync_run *r, struct kube_list_q *q)
{
	if (!r->inv_moving && (q->rc == 0 || q->rc == TE_NOTFOUND)) {
		r->beside = q->out;
		q->out = NULL;
		r->beside_read = true;
	}
	cJSON_Delete(q->out);
}

/* One namespace's answer into the kind's list. */
static void merge_list(struct live_list *l, cJSON *out)
{
	cJSON *items = cJSON_GetObjectItemCaseSensitive(out, "items");
	cJSON *into = cJSON_GetObjectItemCaseSensitive(l->list, "items");

	if (l->indexed) { /* built on the items before these: built again */
		strmap_dispose(&l->idx);
		l->indexed = false;
	}
	if (!l->list || !into) {
		cJSON_Delete(l->list);
		l->list = out;
		return;
	}
	while (items && items->child)
		cJSON_AddItemToArray(into, cJSON_DetachItemViaPointer(items, items->child));
	cJSON_Delete(out);
}

/* A LIST across namespaces that the identity may not make: the kind is listed per
 * namespace from now on, in another round of this same load. */
static bool list_forbidden(struct sync_run *r, struct live_list *l, const struct kube_list_q *q)
{
	if (q->rc >= 0 || q->status != 403 || q->ns || !l->res->namespaced)
		return false;
	l->per_ns = true;
	session_set_ns_scoped(r->sess, l->res);
	return true;
}

/* A rendered object of q's kind in q's namespace, or NULL. */
static const struct sync_item *item_listed_by(const struct sync_run *r, const struct kube_list_q *q)
{
	for (size_t i = 0; q->ns && i < r->n_items; i++) {
		const struct sync_item *it = &r->items[i];

		if (it->res == q->res && it->obj->ns && !strcmp(it->obj->ns, q->ns))
			return it;
	}
	return NULL;
}

/* A failed LIST: in one namespace it names the first object that needs it (the object
 * a tenant may not place there). */
static int list_failure(const struct sync_run *r, const struct kube_list_q *q, struct err *e)
{
	const struct sync_item *it = item_listed_by(r, q);
	char msg[sizeof(e->msg)];

	if (!it)
		return err_set(e, q->rc, "list %s: %s", q->res->resource, q->err.msg);
	snprintf(msg, sizeof(msg), "list %s in namespace %s: %s", q->res->resource, q->ns,
		 q->err.msg);
	return item_error(e, q->rc, it, msg);
}

/* The LISTs' answers into their lists; a failed one is the error unless rc is one. */
static int take_lists(struct sync_run *r, struct kube_list_q *qs, const size_t *of, size_t n,
		      int rc, bool *again, struct err *e)
{
	for (size_t j = 0; j < n; j++) {
		struct live_list *l = &r->lists[of[j]];

		if (list_forbidden(r, l, &qs[j])) {
			*again = true;
		} else if (qs[j].rc < 0) {
			if (rc == 0)
				rc = list_failure(r, &qs[j], e);
		} else {
			merge_list(l, qs[j].out);
			qs[j].out = NULL;
		}
		cJSON_Delete(qs[j].out);
	}
	return rc;
}

/* One round trip: the LIST (by the app's label) of every kind not listed yet and, with
 * inventory, the GET of the inventory ConfigMap (where the rule says, where an older
 * tether put it), the LIST that finds the app's inventories in other namespaces and the
 * GET of the hooks' ConfigMap next to the inventory (the history). */
static int fetch_round(struct sync_run *r, bool inventory, bool *again, struct err *e)
{
	const struct kube_resource *cm = NULL;
	char *sel = xasprintf(SYNC_LABEL_APP "=%s", r->cfg->app);
	char *inv = xasprintf(SYNC_INVENTORY_PREFIX "%s", r->cfg->app);
	const char *bp = inventory ? beside_prefix(r) : NULL;
	char *beside = bp ? xasprintf("%s%s", bp, r->cfg->app) : NULL;
	char *inv_sel = NULL;
	struct inv_queries iq;
	size_t max = queue_lists(r, NULL, NULL, NULL);
	struct kube_list_q *qs = calloc(max + 4, sizeof(*qs));
	size_t *of = calloc(max + 1, sizeof(*of));
	size_t n;
	int rc = 0, m = 0, b = 0;

	if (!sel || !inv || !qs || !of || (bp && !beside)) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if (inventory && (rc = kube_resolve(r->own, "v1", "ConfigMap", &cm, e)) < 0)
		goto out;
	n = queue_lists(r, qs, of, sel);
	if (inventory && (rc = m = queue_inventory(r, &qs[n], cm, inv, &inv_sel, &iq, e)) < 0)
		goto out;
	if (beside) /* after the inventory's queries: those are taken by position */
		qs[n + (size_t)m + (size_t)b++] =
		    (struct kube_list_q){.res = cm, .ns = r->inv_ns, .name = beside};
	if (r->own == r->kube) { /* one round trip for both */
		kube_list_many(r->kube, qs, n + (size_t)m + (size_t)b);
	} else { /* the inventory as tether's own identity */
		kube_list_many(r->kube, qs, n);
		kube_list_many(r->own, &qs[n], (size_t)m + (size_t)b);
	}
	rc = inventory ? take_inventory_answers(r, &iq, &qs[n], m, e) : 0;
	if (b)
		take_beside(r, &qs[n + (size_t)m]);
	rc = take_lists(r, qs, of, n, rc, again, e);
out:
	free(of);
	free(qs);
	free(beside);
	free(inv_sel);
	free(inv);
	free(sel);
	return rc;
}

/* The round, and once more for the kinds it found the identity may list only per
 * namespace: decided in the same load, never by a failed sync. */
static int fetch_lists(struct sync_run *r, bool inventory, struct err *e)
{
	bool again = false;
	int rc = fetch_round(r, inventory, &again, e);

	if (rc == 0 && again)
		rc = fetch_round(r, false, &again, e);
	return rc;
}

/* Indexes a kind's list by namespace and name, once (an index that cannot be built is
 * left empty: find_live then scans). */
static void index_list(struct live_list *l)
{
	const char *parts[2];
	struct buf b;
	cJSON *it;

	if (l->indexed)
		return;
	l->indexed = true;
	buf_init(&b, 0);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l->list, "items"))
	{
		char *key;

		parts[0] = json_str(it, "metadata", "namespace", NULL);
		parts[1] = json_str(it, "metadata", "name", NULL);
		if (!parts[1])
			continue;
		if (!(key = strmap_key(&b, parts, 2)) ||
		    (!strmap_get(&l->idx, key) && strmap_put(&l->idx, key, it) < 0)) {
			strmap_dispose(&l->idx);
			break;
		}
	}
	buf_dispose(&b);
}

static cJSON *scan_live(const struct live_list *l, const char *ns, const char *name)
{
	cJSON *it;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l->list, "items"))
	{
		const char *n = json_str(it, "metadata", "name", NULL),
			   *s = json_str(it, "metadata", "namespace", NULL);
		if (n && !strcmp(n, name) && !strcmp(s ? s : "", ns ? ns : ""))
			return it;
	}
	return NULL;
}

/* The live object of that identity in its kind's list; take: detached from the list
 * (and the index), so that a big app's objects are held once. */
static cJSON *find_live(struct sync_run *r, const struct kube_resource *res, const char *ns,
			const char *name, bool take)
{
	struct live_list *l = res ? list_of(r, res) : NULL;
	const char *parts[] = {ns && *ns ? ns : NULL, name};
	struct buf b;
	cJSON *it, *items;
	char *key;

	if (!l)
		return NULL;
	index_list(l);
	buf_init(&b, 0);
	key = l->idx.n ? strmap_key(&b, parts, 2) : NULL;
	it = key ? strmap_get(&l->idx, key) : scan_live(l, ns, name);
	if (it && take) {
		if (key)
			strmap_put(&l->idx, key, NULL); /* same size: cannot fail */
		items = cJSON_GetObjectItemCaseSensitive(l->list, "items");
		it = cJSON_DetachItemViaPointer(items, it);
	}
	buf_dispose(&b);
	return it;
}

static char *api_version_of(const char *group, const char *version)
{
	return *group ? xasprintf("%s/%s", group, version) : xstrdup(version);
}

/* The prune item of inventory entry x: its display name and kind. */
static int prune_of(struct sync_run *r, struct inv_entry *x, struct err *e)
{
	struct prune_item *p = &r->prunes[r->n_prunes++];
	char *av;
	struct err sub;
	int rc;

	p->inv = x;
	p->stage = sync_stage_of(x->group, x->kind);
	p->display = object_display_name(x->group, x->kind, x->ns, x->name);
	av = api_version_of(x->group, x->version);
	if (!p->display || !av) {
		free(av);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	err_clear(&sub);
	rc = kube_resolve(r->kube, av, x->kind, &p->res, &sub);
	free(av);
	if (rc == TE_NOTFOUND)
		p->res = NULL; /* the kind is gone, so is the object */
	else if (rc < 0)
		return err_set(e, rc, "%s", sub.msg);
	if (p->res && add_list(r, p->res) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}

/* Objects of the old inventory that are not rendered any more (one pass each way: the
 * items mark the entries they found). */
static int collect_prunes(struct sync_run *r, struct err *e)
{
	bool *rendered = calloc(r->old_inv.n ? r->old_inv.n : 1, sizeof(*rendered));
	int rc = 0;

	r->prunes = calloc(r->old_inv.n ? r->old_inv.n : 1, sizeof(*r->prunes));
	if (!r->prunes || !rendered) {
		free(rendered);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	for (size_t j = 0; j < r->n_items; j++)
		if (r->items[j].inv)
			rendered[r->items[j].inv - r->old_inv.items] = true;
	for (size_t i = 0; i < r->old_inv.n && rc == 0; i++)
		if (!rendered[i])
			rc = prune_of(r, &r->old_inv.items[i], e);
	free(rendered);
	return rc;
}

static bool renders_namespace(const struct sync_run *r, const char *name)
{
	for (size_t i = 0; i < r->n_items; i++) {
		const struct object *o = r->items[i].obj;
		if (!strcmp(o->kind, "Namespace") && !*o->group && !strcmp(o->name, name))
			return true;
	}
	return false;
}

/* The verdict on the GET q of a namespace for item it (NULL: the inventory's
 * namespace): a live object, a new namespace, or an error. */
static int take_namespace(struct sync_run *r, struct sync_item *it, struct kube_list_q *q,
			  struct err *e)
{
	if (q->rc == 0 && it) {
		it->live = q->out;
		q->out = NULL;
	}
	if (q->rc == 0)
		return 0;
	if (q->rc == TE_NOTFOUND && !it)
		return err_set(e, TE_INPUT,
			       "namespace %s for the inventory does not exist: create it, add it "
			       "to the repository or pass --inventory-namespace",
			       q->name);
	if (q->rc == TE_NOTFOUND)
		return strlist_add(&r->new_namespaces, q->name) < 0
			   ? err_set(e, TE_NOMEM, "out of memory")
			   : 0;
	return err_set(e, q->rc, "get namespace %s: %s", q->name, q->err.msg);
}

/* A Namespace of the commit that does not exist yet: its objects cannot be dry-run
 * before it is created. A GET tells apart "absent" and "exists without our label".
 * Before the first write of a new app the inventory must have somewhere to go too:
 * its namespace is looked up unless the commit creates it. All GETs run at once. */
/* A Namespace the commit renders and the cluster lacks (a core kind of that name). */
static bool is_new_namespace(const struct sync_item *it)
{
	return !it->live && it->res && !strcmp(it->obj->kind, "Namespace") && !*it->obj->group;
}

/* Whether the inventory's namespace must be read: a run that will write it there. */
static bool inventory_ns_unknown(struct sync_run *r)
{
	return !r->diff_mode && (!r->have_inventory || r->inv_moving) &&
	       !renders_namespace(r, r->inv_ns);
}

/* The GET of every new Namespace; query j is its[j]. */
static size_t queue_namespaces(struct sync_run *r, struct sync_item **its, struct kube_list_q *qs)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];

		if (!is_new_namespace(it))
			continue;
		its[n] = it;
		qs[n++] = (struct kube_list_q){.res = it->res, .name = it->obj->name};
	}
	return n;
}

static int find_new_namespaces(struct sync_run *r, struct err *e)
{
	struct sync_item **its = NULL;
	struct kube_list_q *qs = NULL; /* a query is 2 KiB: one per new namespace, not per item */
	const struct kube_resource *nsr = NULL;
	size_t n = 1, objs;
	int rc = 0;

	for (size_t i = 0; i < r->n_items; i++)
		n += is_new_namespace(&r->items[i]);
	its = calloc(n, sizeof(*its));
	qs = calloc(n, sizeof(*qs));
	if (!its || !qs) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	n = objs = queue_namespaces(r, its, qs);
	if (inventory_ns_unknown(r)) {
		if ((rc = kube_resolve(r->own, "v1", "Namespace", &nsr, e)) < 0)
			goto out;
		qs[n++] = (struct kube_list_q){.res = nsr, .name = r->inv_ns}; /* its[n]: NULL */
	}
	if (r->own == r->kube) {
		kube_list_many(r->kube, qs, n);
	} else { /* the inventory's namespace as tether's own identity */
		kube_list_many(r->kube, qs, objs);
		kube_list_many(r->own, &qs[objs], n - objs);
	}
	for (size_t i = 0; i < n; i++) {
		if (rc == 0)
			rc = take_namespace(r, its[i], &qs[i], e);
		cJSON_Delete(qs[i].out);
	}
out:
	free(qs);
	free(its);
	return rc;
}

/* The plan of each item; objects in a new namespace wait for it (hashed: an app may
 * create thousands of namespaces). */
static int decide(struct sync_run *r, struct err *e)
{
	struct strmap fresh;
	int rc = 0;

	strmap_init(&fresh);
	for (size_t i = 0; i < r->new_namespaces.n && rc == 0; i++)
		rc = strmap_put(&fresh, r->new_namespaces.items[i], r);
	for (size_t i = 0; i < r->n_items && rc == 0; i++) {
		struct sync_item *it = &r->items[i];
		const char *ns = it->obj->ns;

		it->plan = plan_decide(it->hash, it->inv, it->live);
		if (ns && strcmp(it->obj->kind, "Namespace") && strmap_get(&fresh, ns))
			it->deferred = true;
	}
	strmap_dispose(&fresh);
	return rc < 0 ? err_set(e, TE_NOMEM, "out of memory") : 0;
}

int live_load(struct sync_run *r, struct err *e)
{
	int rc;

	for (size_t i = 0; i < r->n_items; i++)
		if (add_list(r, r->items[i].res) < 0)
			return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = fetch_lists(r, true, e)) < 0) /* the rendered kinds and the inventory */
		return rc;
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		const struct object *o = it->obj;
		it->inv = inventory_find(&r->old_inv, o->group, o->kind, o->ns, o->name);
	}
	/* kinds only the inventory has (all their objects are to be pruned) */
	if ((rc = collect_prunes(r, e)) < 0 || (rc = fetch_lists(r, false, e)) < 0)
		return rc;
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		it->live = find_live(r, it->res, it->obj->ns, it->obj->name, true);
	}
	for (size_t i = 0; i < r->n_prunes; i++) {
		struct prune_item *p = &r->prunes[i];
		p->live = find_live(r, p->res, p->inv->ns, p->inv->name, false);
	}
	if ((rc = find_new_namespaces(r, e)) < 0)
		return rc;
	return decide(r, e);
}
