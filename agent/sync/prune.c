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

/* Whether p is deleted in this stage; one annotated prune: disabled is named and kept. */
static bool prune_in_stage(struct sync_run *r, struct prune_item *p, int stage)
{
	if (!p->live || !p->res || p->stage != stage)
		return false;
	if (!prune_disabled(p->live))
		return true;
	strlist_add(&r->res->skipped, p->display);
	p->settled = true;
	return false;
}

/* The DELETE of p, its user p; NULL when out of memory. */
static struct kube_req *prune_req(struct prune_item *p)
{
	struct kube_req *q = calloc(1, sizeof(*q));

	if (!q)
		return NULL;
	if (kube_req_delete(q, p->res, *p->inv->ns ? p->inv->ns : NULL, p->inv->name,
			    "Background") < 0) {
		kube_req_dispose(q);
		free(q);
		return NULL;
	}
	q->user = p; /* kube_req_delete clears the request */
	return q;
}

/* The DELETEs of a stage into reqs (room for every prune), their count in *n. */
static int stage_requests(struct sync_run *r, int stage, struct kube_req **reqs, size_t *n)
{
	for (size_t i = 0; i < r->n_prunes; i++) {
		if (!prune_in_stage(r, &r->prunes[i], stage))
			continue;
		if (!(reqs[*n] = prune_req(&r->prunes[i])))
			return TE_NOMEM;
		(*n)++;
	}
	return 0;
}

/* A DELETE's status that means the object is gone (or was already). */
static bool deleted(long st)
{
	return (st >= 200 && st < 300) || st == 404;
}

/* One DELETE's answer: gone (or already gone) is pruned, anything else an error. */
static int prune_outcome(struct sync_run *r, const struct kube_req *q, struct err *e)
{
	struct prune_item *p = q->user;
	long st = q->status;
	bool unreachable = st == 0 || q->err.code == TE_UNREACHABLE;
	int rc;

	if (deleted(st)) {
		strlist_add(&r->res->pruned, p->display);
		p->settled = true;
		return 0;
	}
	rc = err_set(e, unreachable ? TE_UNREACHABLE : TE_REJECTED, "prune %s: %s", p->display,
		     q->err.msg);
	strlist_add_owned(&r->res->errors, xasprintf("prune %s: %s", p->display, q->err.msg));
	return rc;
}

static int delete_stage(struct sync_run *r, int stage, struct err *e)
{
	struct kube_req **reqs = calloc(r->n_prunes ? r->n_prunes : 1, sizeof(*reqs));
	size_t n = 0;
	int rc = 0;

	if (!reqs)
		return err_set(e, TE_NOMEM, "out of memory");
	if (stage_requests(r, stage, reqs, &n) < 0) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if (n)
		kube_run(r->kube, reqs, n, NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		int s = prune_outcome(r, reqs[i], e);

		if (s < 0)
			rc = s;
	}
out:
	sync_reqs_free(reqs, n);
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
	sync_run_stage(r, "prune %zu object%s", live_prunes(r), live_prunes(r) == 1 ? "" : "s");
	for (int stage = STAGE_COUNT - 1; stage >= 0; stage--) {
		int s = delete_stage(r, stage, e);
		if (s < 0 && rc == 0)
			rc = s;
	}
	return rc;
}
