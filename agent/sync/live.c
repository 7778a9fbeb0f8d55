/*
 * live: what the cluster holds for the app, read with as few requests as possible:
 * the inventory GET and one LIST per kind (label selector tether.dev/app=<app>).
 * From them, the plan decision of every item and the set of objects to prune.
 */
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"

static const char *meta_str(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetObjectItemCaseSensitive(obj, "metadata"), key);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int read_inventory(struct sync_run *r, struct err *e)
{
	const struct kube_resource *cm;
	cJSON *obj = NULL;
	char *name = xasprintf(SYNC_INVENTORY_PREFIX "%s", r->cfg->app);
	struct err sub;
	int rc;

	err_clear(&sub);
	if (!name)
		return err_set(e, TE_NOMEM, "out of memory");
	rc = kube_resolve(r->kube, "v1", "ConfigMap", &cm, e);
	if (rc == 0)
		rc = kube_get(r->kube, cm, r->inv_ns, name, &obj, &sub);
	if (rc == TE_NOTFOUND) {
		rc = 0; /* first sync of this app */
	} else if (rc == 0) {
		r->have_inventory = true;
		rc = inventory_from_configmap(&r->old_inv, obj, e);
		if (rc < 0)
			err_prefix(e, "%s/%s", r->inv_ns, name);
	} else if (sub.msg[0]) {
		rc = err_set(e, rc, "read inventory %s/%s: %s", r->inv_ns, name, sub.msg);
	}
	cJSON_Delete(obj);
	free(name);
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
	struct live_list *p;

	if (!res || list_of(r, res))
		return 0;
	p = realloc(r->lists, (r->n_lists + 1) * sizeof(*p));
	if (!p)
		return TE_NOMEM;
	r->lists = p;
	p[r->n_lists].res = res;
	p[r->n_lists++].list = NULL;
	return 0;
}

static int fetch_lists(struct sync_run *r, struct err *e)
{
	char *sel = xasprintf(SYNC_LABEL_APP "=%s", r->cfg->app);
	struct kube_list_q *qs = calloc(r->n_lists ? r->n_lists : 1, sizeof(*qs));
	int rc = 0;

	if (!sel || !qs) {
		free(sel);
		free(qs);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	for (size_t i = 0; i < r->n_lists; i++)
		qs[i] = (struct kube_list_q){.res = r->lists[i].res, .selector = sel};
	kube_list_many(r->kube, qs, r->n_lists); /* one round trip for every kind */
	for (size_t i = 0; i < r->n_lists; i++) {
		r->lists[i].list = qs[i].out;
		if (qs[i].rc < 0 && rc == 0)
			rc = err_set(e, qs[i].rc, "list %s: %s", r->lists[i].res->resource,
				     qs[i].err.msg);
	}
	free(qs);
	free(sel);
	return rc;
}

static cJSON *find_live(struct sync_run *r, const struct kube_resource *res, const char *ns,
			const char *name)
{
	struct live_list *l = res ? list_of(r, res) : NULL;
	cJSON *it;

	if (!l)
		return NULL;
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(l->list, "items"))
	{
		const char *n = meta_str(it, "name"), *s = meta_str(it, "namespace");
		if (n && !strcmp(n, name) && !strcmp(s ? s : "", ns ? ns : ""))
			return it;
	}
	return NULL;
}

static char *api_version_of(const char *group, const char *version)
{
	return *group ? xasprintf("%s/%s", group, version) : xstrdup(version);
}

/* Objects of the old inventory that are not rendered any more. */
static int collect_prunes(struct sync_run *r, struct err *e)
{
	r->prunes = calloc(r->old_inv.n ? r->old_inv.n : 1, sizeof(*r->prunes));
	if (!r->prunes)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < r->old_inv.n; i++) {
		struct inv_entry *x = &r->old_inv.items[i];
		struct prune_item *p;
		bool rendered = false;
		char *av;
		struct err sub;
		int rc;

		for (size_t j = 0; j < r->n_items && !rendered; j++)
			rendered = r->items[j].inv == x;
		if (rendered)
			continue;
		p = &r->prunes[r->n_prunes++];
		p->inv = x;
		p->stage = sync_stage_of(x->group, x->kind);
		p->display = item_display(x->group, x->kind, x->ns, x->name);
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
	}
	return 0;
}

/* A Namespace of the commit that does not exist yet: its objects cannot be dry-run
 * before it is created. A GET tells apart "absent" and "exists without our label"; the
 * GETs of all of them run in parallel. */
static int find_new_namespaces(struct sync_run *r, struct err *e)
{
	struct kube_req *reqs = calloc(r->n_items ? r->n_items : 1, sizeof(*reqs));
	struct kube_req **ptrs = calloc(r->n_items ? r->n_items : 1, sizeof(*ptrs));
	size_t n = 0;
	int rc = 0;

	if (!reqs || !ptrs) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];

		if (it->live || !it->res || strcmp(it->obj->kind, "Namespace") || *it->obj->group)
			continue;
		reqs[n] = (struct kube_req){.method = "GET", .user = it};
		reqs[n].path = kube_path(it->res, NULL, it->obj->name, NULL);
		if (!reqs[n].path) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
		ptrs[n] = &reqs[n];
		n++;
	}
	kube_run(r->kube, ptrs, n, NULL, NULL);
	for (size_t i = 0; i < n && rc == 0; i++) {
		struct sync_item *it = reqs[i].user;
		int code = kube_req_code(&reqs[i]);

		if (code == 0 && cJSON_IsObject(reqs[i].resp)) {
			it->live = reqs[i].resp;
			reqs[i].resp = NULL;
		} else if (code == TE_NOTFOUND) {
			if (strlist_add(&r->new_namespaces, it->obj->name) < 0)
				rc = err_set(e, TE_NOMEM, "out of memory");
		} else {
			rc = err_set(e, code ? code : TE_UNREACHABLE, "get namespace %s: %s",
				     it->obj->name,
				     reqs[i].err.msg[0] ? reqs[i].err.msg : "no response");
		}
	}
out:
	for (size_t i = 0; reqs && i < n; i++)
		kube_req_dispose(&reqs[i]);
	free(reqs);
	free(ptrs);
	return rc;
}

static void decide(struct sync_run *r)
{
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		const char *ns = it->obj->ns;

		it->plan = plan_decide(it->hash, it->inv, it->live);
		if (ns && strcmp(it->obj->kind, "Namespace") &&
		    strlist_contains(&r->new_namespaces, ns))
			it->deferred = true;
	}
}

/* Before the first write of a new app: the inventory must have somewhere to go. */
static int check_inventory_namespace(struct sync_run *r, struct err *e)
{
	const struct kube_resource *nsr;
	cJSON *obj = NULL;
	struct err sub;
	int rc;

	if (r->have_inventory || strlist_contains(&r->new_namespaces, r->inv_ns))
		return 0;
	err_clear(&sub);
	if ((rc = kube_resolve(r->kube, "v1", "Namespace", &nsr, &sub)) == 0)
		rc = kube_get(r->kube, nsr, NULL, r->inv_ns, &obj, &sub);
	cJSON_Delete(obj);
	if (rc == TE_NOTFOUND)
		return err_set(e, TE_INPUT,
			       "namespace %s for the inventory does not exist: create it, add it "
			       "to the repository or pass --inventory-namespace",
			       r->inv_ns);
	return rc < 0 ? err_set(e, rc, "get namespace %s: %s", r->inv_ns, sub.msg) : 0;
}

int live_load(struct sync_run *r, struct err *e)
{
	int rc;

	if ((rc = read_inventory(r, e)) < 0)
		return rc;
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		const struct object *o = it->obj;
		it->inv = inventory_find(&r->old_inv, o->group, o->kind, o->ns, o->name);
		if (add_list(r, it->res) < 0)
			return err_set(e, TE_NOMEM, "out of memory");
	}
	if ((rc = collect_prunes(r, e)) < 0 || (rc = fetch_lists(r, e)) < 0)
		return rc;
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		cJSON *live = find_live(r, it->res, it->obj->ns, it->obj->name);
		/* Moved out of the list, not copied: a big app's objects are held once. */
		if (live)
			it->live = cJSON_DetachItemViaPointer(
			    cJSON_GetObjectItemCaseSensitive(list_of(r, it->res)->list, "items"),
			    live);
	}
	for (size_t i = 0; i < r->n_prunes; i++) {
		struct prune_item *p = &r->prunes[i];
		p->live = find_live(r, p->res, p->inv->ns, p->inv->name);
	}
	if ((rc = find_new_namespaces(r, e)) < 0 ||
	    (!r->diff_mode && (rc = check_inventory_namespace(r, e)) < 0))
		return rc;
	decide(r);
	return 0;
}
