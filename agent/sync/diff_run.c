/*
 * diff_run: `tether diff`, the plan shown instead of applied. Every candidate of the
 * plan is compared as the server's dry-run says it would become against the live
 * object (an object unchanged in Git and untouched in the cluster costs nothing, as
 * in a sync); objects of the inventory no longer rendered are shown as pruned when
 * --prune is given, and named as not in Git otherwise (no change: exit 0 if that is
 * all).
 */
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"

/* Objects the label LIST did not return may exist without tether's labels. */
static int fetch_missing(struct sync_run *r, struct err *e)
{
	struct kube_req **reqs = calloc(r->n_items ? r->n_items : 1, sizeof(*reqs));
	size_t n = 0;
	int rc = 0;

	if (!reqs)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		if (it->live || !it->res || it->deferred)
			continue;
		if (!(reqs[n] = calloc(1, sizeof(**reqs))))
			break;
		reqs[n]->method = "GET";
		reqs[n]->path = kube_path(it->res, it->obj->ns, it->obj->name, NULL);
		reqs[n++]->user = it;
	}
	if (n && kube_run(r->kube, reqs, n, NULL, NULL) == TE_UNREACHABLE)
		rc = err_set(e, TE_UNREACHABLE, "get live objects: %s", reqs[0]->err.msg);
	for (size_t i = 0; i < n; i++) {
		struct sync_item *it = reqs[i]->user;
		if (reqs[i]->status == 200 && reqs[i]->resp) {
			it->live = reqs[i]->resp;
			reqs[i]->resp = NULL;
		}
		kube_req_dispose(reqs[i]);
		free(reqs[i]);
	}
	free(reqs);
	return rc;
}

static int diff_one(struct sync_run *r, struct sync_item *it, struct err *e)
{
	const cJSON *after = it->dry ? it->dry : it->obj->body;
	bool secret = sync_is_secret(it->obj->group, it->obj->kind);
	int rc;

	/* Same manifest as applied and untouched since: the sync would send nothing. */
	if (it->plan == PLAN_UNCHANGED)
		return strlist_add(&r->res->unchanged, it->display);
	rc = diff_object(it->display, it->live, after, secret, r->env->color, r->env->diff, e);
	if (rc < 0)
		return rc;
	strlist_add(!it->live ? &r->res->created
		    : rc      ? &r->res->changed
			      : &r->res->unchanged,
		    it->display);
	return 0;
}

static int diff_prunes(struct sync_run *r, struct err *e)
{
	for (size_t i = 0; i < r->n_prunes; i++) {
		struct prune_item *p = &r->prunes[i];
		int rc;

		if (!p->live)
			continue;
		if (prune_disabled(p->live)) {
			strlist_add(&r->res->skipped, p->display);
			continue;
		}
		rc = diff_object(p->display, p->live, NULL,
				 sync_is_secret(p->inv->group, p->inv->kind), r->env->color,
				 r->env->diff, e);
		if (rc < 0)
			return rc;
		strlist_add(&r->res->pruned, p->display);
	}
	return 0;
}

static void diff_list(struct buf *out, const char *what, const struct strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		buf_printf(out, "%s: %s\n", what, l->items[i]);
}

/* An inventory found where an older tether put it (inventory_ns.c) is read from there;
 * the next sync moves it. Said in text and JSON (inventoryMoved); it is no difference
 * between Git and the cluster, so it does not change the exit code. */
static void diff_inventory_move(struct sync_run *r)
{
	const char *app = r->cfg->app;

	if (!r->inv_moving || r->res->inventory_moved)
		return;
	r->res->inventory_moved =
	    xasprintf("inventory at %s/" SYNC_INVENTORY_PREFIX
		      "%s will be moved to %s/" SYNC_INVENTORY_PREFIX "%s by the next sync",
		      r->inv_legacy, app, r->inv_ns, app);
	if (r->res->inventory_moved)
		buf_printf(r->env->diff, "%s\n", r->res->inventory_moved);
}

int diff_items(struct sync_run *r, struct err *e)
{
	struct sync_result *res = r->res;
	int rc;

	if ((rc = fetch_missing(r, e)) < 0)
		return rc;
	for (size_t i = 0; i < r->n_items; i++)
		if ((rc = diff_one(r, &r->items[i], e)) < 0)
			return rc;
	if (r->cfg->prune && (rc = diff_prunes(r, e)) < 0)
		return rc;
	if (!r->cfg->prune)
		prune_list_kept(r);
	diff_inventory_move(r);
	diff_list(r->env->diff, "adopt (no app owns it, or " SYNC_ANNOTATION_ADOPT ")",
		  &res->adopted);
	diff_list(r->env->diff, "not in Git (--prune deletes it)", &res->not_in_git);
	diff_list(r->env->diff, "not pruned (" SYNC_ANNOTATION_PRUNE ": disabled)", &res->skipped);
	if (r->cfg->prune) {
		struct err sub;
		err_clear(&sub);
		if (prune_plan_check(r, &sub) < 0)
			buf_printf(r->env->diff, "warning: sync --prune would stop here: %s\n",
				   sub.msg);
	}
	buf_printf(r->env->diff, "%zu to create, %zu to change, %zu to prune, %zu unchanged",
		   res->created.n, res->changed.n, res->pruned.n, res->unchanged.n);
	if (res->not_in_git.n)
		buf_printf(r->env->diff, ", %zu not in Git (--prune deletes them)",
			   res->not_in_git.n);
	buf_puts(r->env->diff, "\n");
	/* Orphans kept without --prune are reported, but are no change of this diff. */
	return res->created.n + res->changed.n + res->pruned.n ? 1 : 0;
}
