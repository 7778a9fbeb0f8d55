/*
 * prune: deletes objects of the app's inventory that the commit no longer renders,
 * in reverse stage order. Guarded so that it cannot wipe a cluster: never after a
 * fetch, render or apply error; never for an empty render; never more than half of
 * the inventory without --force-prune; never an object outside the inventory or one
 * annotated tether.dev/prune: disabled. Without --prune, those objects are named
 * (not in Git) and kept.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "sync_int.h"

int prune_check(size_t n_inventory, size_t n_prune, size_t n_rendered, bool had_error, bool force,
		struct err *e)
{
	if (had_error)
		return err_set(e, TE_FAIL, "not pruning: the sync had errors");
	if (n_rendered == 0)
		return err_set(e, TE_INPUT,
			       "refusing to prune: the commit rendered no objects (check --path)");
	if (n_prune > 0 && n_prune * 2 > n_inventory && !force)
		return err_set(e, TE_INPUT,
			       "refusing to prune %zu of %zu objects (more than half of the "
			       "inventory); pass --force-prune if that is intended",
			       n_prune, n_inventory);
	return 0;
}

bool prune_disabled(const cJSON *live)
{
	const cJSON *v = json_get(live, "metadata", "annotations", SYNC_ANNOTATION_PRUNE, NULL);

	return cJSON_IsString(v) && strcmp(v->valuestring, "disabled") == 0;
}

static size_t live_prunes(const struct sync_run *r)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n_prunes; i++)
		n += r->prunes[i].live != NULL;
	return n;
}

int prune_plan_check(struct sync_run *r, struct err *e)
{
	return prune_check(r->old_inv.n, live_prunes(r), r->n_items, false, r->cfg->force_prune, e);
}

static int delete_stage(struct sync_run *r, int stage, struct err *e)
{
	struct kube_req **reqs = calloc(r->n_prunes ? r->n_prunes : 1, sizeof(*reqs));
	size_t n = 0;
	int rc = 0;

	if (!reqs)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n_prunes; i++) {
		struct prune_item *p = &r->prunes[i];

		if (!p->live || !p->res || p->stage != stage)
			continue;
		if (prune_disabled(p->live)) {
			strlist_add(&r->res->skipped, p->display);
			continue;
		}
		if (!(reqs[n] = calloc(1, sizeof(**reqs))))
			goto nomem;
		if (kube_req_delete(reqs[n++], p->res, *p->inv->ns ? p->inv->ns : NULL,
				    p->inv->name, "Background") < 0)
			goto nomem;
		reqs[n - 1]->user = p; /* kube_req_delete clears the request */
	}
	if (n)
		kube_run(r->kube, reqs, n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		struct prune_item *p = reqs[i]->user;
		long st = reqs[i]->status;
		bool unreachable;

		if ((st >= 200 && st < 300) || st == 404) {
			strlist_add(&r->res->pruned, p->display);
			continue;
		}
		unreachable = st == 0 || reqs[i]->err.code == TE_UNREACHABLE;
		rc = err_set(e, unreachable ? TE_UNREACHABLE : TE_REJECTED, "prune %s: %s",
			     p->display, reqs[i]->err.msg);
		strlist_add_owned(&r->res->errors,
				  xasprintf("prune %s: %s", p->display, reqs[i]->err.msg));
	}
	goto out;
nomem:
	rc = err_set(e, TE_NOMEM, "out of memory");
out:
	for (size_t i = 0; i < n; i++) {
		kube_req_dispose(reqs[i]);
		free(reqs[i]);
	}
	free(reqs);
	return rc;
}

/* Without --prune nothing is deleted, but nothing is kept silently either. */
void prune_list_kept(struct sync_run *r)
{
	for (size_t i = 0; i < r->n_prunes; i++) {
		const struct prune_item *p = &r->prunes[i];

		if (!p->live)
			continue;
		strlist_add(prune_disabled(p->live) ? &r->res->skipped : &r->res->not_in_git,
			    p->display);
	}
}

int prune_run(struct sync_run *r, struct err *e)
{
	int rc = 0;

	if (live_prunes(r) == 0)
		return 0;
	r->wrote = true;
	for (int stage = STAGE_COUNT - 1; stage >= 0; stage--) {
		int s = delete_stage(r, stage, e);
		if (s < 0 && rc == 0)
			rc = s;
	}
	return rc;
}
