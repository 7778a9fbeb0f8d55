/*
 * record: writes the app's inventory back to the cluster, after applying and before
 * pruning (a crash in between leaves extra objects, never forgotten ones), and once
 * more after pruning. It is written only when its content changed, so a no-op sync
 * makes no write.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"

/* The entry of a rendered item, with what the cluster answered for it. */
static int entry_of_item(struct sync_run *r, struct sync_item *it, struct inventory *inv)
{
	const struct object *o = it->obj;
	const char *slash = strchr(o->api_version, '/');
	struct inv_entry x, *y;
	int rc;

	if (it->apply && !it->written) /* not written: keep what we knew */
		return it->inv ? inventory_add(inv, it->inv) : 0;
	/* Untouched: keep the entry as it was, or status writes (which move the
	 * resourceVersion of kinds with a generation) would rewrite the inventory. */
	if (!it->written && it->plan == PLAN_UNCHANGED && it->inv)
		return inventory_add(inv, it->inv);
	if (!it->written && !it->live)
		return 0;
	memset(&x, 0, sizeof(x));
	x.group = o->group;
	x.version = slash ? (char *)slash + 1 : o->api_version;
	x.kind = o->kind;
	x.ns = o->ns;
	x.name = o->name;
	memcpy(x.hash, it->hash, sizeof(x.hash));
	if (it->written) {
		x.rv = it->seen.rv;
		x.uid = it->seen.uid;
		x.gen = it->seen.gen;
		memcpy(x.mgr, it->seen.mgr, sizeof(x.mgr));
	}
	if ((rc = inventory_add(inv, &x)) < 0)
		return rc;
	y = &inv->items[inv->n - 1];
	return it->written ? 0 : inv_entry_observe(y, it->live);
}

static int build(struct sync_run *r, bool after_prune, struct inventory *inv)
{
	int rc;

	inv->commit = xstrdup(r->commit);
	for (size_t i = 0; i < r->n_items; i++)
		if ((rc = entry_of_item(r, &r->items[i], inv)) < 0)
			return rc;
	for (size_t i = 0; i < r->n_prunes; i++) {
		struct prune_item *p = &r->prunes[i];
		/* Gone from the cluster: forget it. Before pruning: keep it so a crash
		 * loses nothing. After: keep what could not be deleted. */
		if (!p->live)
			continue;
		if (after_prune && p->settled)
			continue;
		if ((rc = inventory_add(inv, p->inv)) < 0)
			return rc;
	}
	return 0;
}

static bool same_entries(const struct inventory *a, const struct inventory *b)
{
	struct buf x, y;
	struct err e;
	bool same;

	buf_init(&x, 0);
	buf_init(&y, 0);
	err_clear(&e);
	same = inventory_encode(a, (size_t)-1, &x, &e) == 0 &&
	       inventory_encode(b, (size_t)-1, &y, &e) == 0 && x.len == y.len &&
	       (x.len == 0 || memcmp(x.data, y.data, x.len) == 0);
	buf_dispose(&x);
	buf_dispose(&y);
	return same;
}

/* Whether this run will write: then the inventory is written too. */
static bool run_writes(const struct sync_run *r)
{
	for (size_t i = 0; i < r->n_items; i++)
		if (r->items[i].apply ||
		    (r->items[i].deferred && r->items[i].plan != PLAN_UNCHANGED))
			return true;
	return r->cfg->prune && r->n_prunes > 0;
}

/* A 403 of the inventory's write, in the authorizer's words, before the first write. */
static int inventory_denied(struct sync_run *r, const struct kube_access *a, struct err *e)
{
	char *user = NULL, rule[700];
	struct strlist groups;
	struct err sub;

	strlist_init(&groups);
	err_clear(&sub);
	kube_whoami(r->own, &user, &groups, &sub);
	kube_access_rule(a, rule, sizeof(rule));
	err_set(e, TE_REJECTED,
		"write inventory %s/" SYNC_INVENTORY_PREFIX "%s: User \"%s\" cannot %s resource "
		"\"%s\" in API group \"\" in the namespace \"%s\"; it needs %s; nothing applied",
		r->inv_ns, r->cfg->app, user ? user : "(unknown)", a->verb, a->resource, a->ns,
		rule);
	strlist_add(&r->res->errors, e->msg);
	free(user);
	strlist_dispose(&groups);
	return TE_REJECTED;
}

/*
 * One commit is one transaction under RBAC too: the objects' dry-run proved their
 * writes, and the inventory's write (server-side apply of its ConfigMaps: patch, and
 * create for one that is not there yet) is asked with an access review before the
 * first write, once per session.
 */
int inventory_check_rights(struct sync_run *r, struct err *e)
{
	struct kube_access a[2];
	bool ok[2] = {true, true};
	const size_t n = 2;
	struct err sub;
	int rc;

	if (!run_writes(r) || r->sess->inventory_granted)
		return 0;
	memset(a, 0, sizeof(a));
	for (size_t i = 0; i < n; i++) {
		snprintf(a[i].verb, sizeof(a[i].verb), "%s", i ? "create" : "patch");
		snprintf(a[i].resource, sizeof(a[i].resource), "configmaps");
		snprintf(a[i].ns, sizeof(a[i].ns), "%s", r->inv_ns);
	}
	err_clear(&sub);
	/* a server without the review API: the inventory's own write tells */
	if ((rc = kube_access_review(r->own, a, n, ok, &sub)) < 0)
		return rc == TE_UNREACHABLE ? err_set(e, rc, "%s", sub.msg) : 0;
	for (size_t i = 0; i < n; i++)
		if (!ok[i])
			return inventory_denied(r, &a[i], e);
	r->sess->inventory_granted = true;
	return 0;
}

/* The inventory an older tether left in the kubeconfig context's namespace goes once
 * the new one is written (inventory_ns.c); the history follows (agent/history/, at
 * the after_run hook). */
static int remove_legacy(struct sync_run *r, const struct kube_resource *cm, struct err *e)
{
	char *name = xasprintf(SYNC_INVENTORY_PREFIX "%s", r->cfg->app);
	int rc;

	if (!name)
		return err_set(e, TE_NOMEM, "out of memory");
	rc = kube_delete(r->own, cm, r->inv_legacy, name, e);
	if (rc == TE_NOTFOUND)
		rc = 0;
	if (rc < 0)
		err_prefix(e, "move inventory: delete %s/%s", r->inv_legacy, name);
	if (rc == 0)
		r->inv_moved = true;
	if (rc == 0 && r->res && !r->res->inventory_moved)
		r->res->inventory_moved = xasprintf("inventory moved from %s/%s to %s/%s",
						    r->inv_legacy, name, r->inv_ns, name);
	free(name);
	return rc;
}

/* The parts the cluster holds for the app at the inventory's namespace, as far as this
 * run knows: what it wrote last, else the head it read (none when that head was at the
 * legacy namespace: parts are written where the rule says). */
static const struct strlist *known_parts(const struct sync_run *r)
{
	static const struct strlist none;

	if (r->have_written)
		return &r->written.parts;
	return r->have_inventory && !r->inv_moving ? &r->old_inv.parts : &none;
}

struct head_ctx {
	const struct inventory *inv;
	const char *app, *ns;
};

static int inventory_head(void *ctx, const char *first, const struct strlist *names,
			  cJSON **out, struct err *e)
{
	const struct head_ctx *h = ctx;

	return inventory_configmap(first, names, h->inv->commit, h->app, h->ns, out, e);
}

/* Parts first, then the head (the switch), then the parts no head names (parts.c):
 * always looked for, so what an interrupted write left goes with the next one. */
static int write_all(struct sync_run *r, struct inventory *inv, const struct kube_resource *cm,
		     struct err *e)
{
	struct head_ctx h = {inv, r->cfg->app, r->inv_ns};
	struct parts_save s = {
	    .parts = &inventory_text,
	    .app = r->cfg->app,
	    .ns = r->inv_ns,
	    .max = INVENTORY_MAX_BYTES,
	    .before = known_parts(r),
	    .always_drop = true,
	    .head = inventory_head,
	    .ctx = &h,
	};
	struct buf text;
	int rc;

	buf_init(&text, (size_t)1 << 30); /* ~7 million objects */
	if ((rc = inventory_encode(inv, SIZE_MAX, &text, e)) < 0) {
		buf_dispose(&text);
		return err_set(e, rc, "inventory: out of memory");
	}
	s.text = text.data ? text.data : "";
	s.len = text.len;
	rc = parts_save(r->own, cm, &s, &inv->parts, e);
	buf_dispose(&text);
	return rc;
}

int apply_inventory(struct sync_run *r, bool after_prune, struct err *e)
{
	const struct kube_resource *cm;
	struct inventory inv;
	int rc;

	inventory_init(&inv);
	if ((rc = build(r, after_prune, &inv)) < 0) {
		err_set(e, rc, "inventory: out of memory");
		goto out;
	}
	if (r->have_written ? same_entries(&inv, &r->written)
			    : r->have_inventory && !r->inv_moving && same_entries(&inv, &r->old_inv))
		goto out;
	if ((rc = kube_resolve(r->own, "v1", "ConfigMap", &cm, e)) < 0)
		goto out;
	r->wrote = true;
	sync_run_stage(r, "record inventory %s/" SYNC_INVENTORY_PREFIX "%s", r->inv_ns, r->cfg->app);
	if ((rc = write_all(r, &inv, cm, e)) < 0)
		goto out;
	if (r->inv_moving && (rc = remove_legacy(r, cm, e)) < 0)
		goto out;
	/* The new inventory is the reference for the second write after pruning. */
	inventory_dispose(&r->written);
	r->written = inv;
	inventory_init(&inv);
	r->have_written = true;
out:
	inventory_dispose(&inv);
	return rc;
}
