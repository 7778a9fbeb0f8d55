/*
 * sync: the pipeline of one sync, in order: fetch, render, prepare (discovery), live
 * state, revision annotations, the before_apply hook, guards, dry-run of the whole
 * commit, staged apply, inventory, prune, inventory again, rollouts, the after_run
 * hook. Each step only reads what earlier steps produced; the first error stops the
 * pipeline, and nothing after an error deletes anything. The hooks (sync_env) are the
 * layer above's (history.h), which sees the run only through struct sync_view.
 *
 * Objects in a namespace that this commit creates cannot be dry-run before the
 * namespace exists (the server answers 404 for the namespace). They, and objects of
 * kinds whose CRD is in the commit, are dry-run after stage 0 (namespaces, CRDs) is
 * applied; a rejection then stops the sync before any later stage, so at most the new
 * namespaces and CRDs of that commit were written.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "sync_int.h"
#include "verify.h"

static void run_dispose(struct sync_run *r)
{
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		free(it->display);
		free(it->text);
		cJSON_Delete(it->live);
		cJSON_Delete(it->dry);
		cJSON_Delete(it->applied);
		free(it->seen.rv);
		free(it->seen.uid);
		free(it->fail.msg);
	}
	free(r->items);
	free(r->crds);
	for (size_t i = 0; i < r->n_prunes; i++)
		free(r->prunes[i].display);
	free(r->prunes);
	for (size_t i = 0; i < r->n_lists; i++) {
		cJSON_Delete(r->lists[i].list);
		strlist_dispose(&r->lists[i].listed);
		strmap_dispose(&r->lists[i].idx);
	}
	free(r->lists);
	strlist_dispose(&r->new_namespaces);
	inventory_dispose(&r->old_inv);
	cJSON_Delete(r->beside);
	inventory_dispose(&r->written);
	object_set_dispose(&r->objects);
	vfs_free(r->vfs);
	free(r->inv_ns);
	verifier_free(r->verifier);
}

static int run_init(struct sync_run *r, struct session *sess, const struct app_config *c,
		    const struct sync_env *env, struct sync_result *res)
{
	memset(r, 0, sizeof(*r));
	r->sess = sess;
	r->cfg = c;
	r->env = env;
	r->res = res;
	if (res)
		res->started = (int64_t)time(NULL);
	object_set_init(&r->objects);
	inventory_init(&r->old_inv);
	inventory_init(&r->written);
	strlist_init(&r->new_namespaces);
	return 0;
}

static int connect_cluster(struct sync_run *r, struct err *e)
{
	int rc;

	if ((rc = session_kube(r->sess, e)) < 0)
		return rc;
	r->kube = r->sess->kube;
	r->own = session_own_kube(r->sess);
	kube_discovery_expire(r->kube, SESSION_DISCOVERY_MAX_AGE_MS);
	kube_get_stats(r->kube, &r->stats0);
	if (r->own != r->kube) {
		kube_discovery_expire(r->own, SESSION_DISCOVERY_MAX_AGE_MS);
		kube_get_stats(r->own, &r->own_stats0);
	}
	r->ns = r->sess->ns;
	r->inv_ns = xstrdup(sync_inventory_namespace(r->cfg));
	r->inv_legacy = sync_inventory_legacy_namespace(r->cfg, r->sess->context_ns);
	return r->inv_ns ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

/* The Git half of a sync: fetch and render. */
static int source_run(struct sync_run *r, struct err *e)
{
	int rc;

	if ((rc = source_open(r, e)) < 0 || (rc = signed_check_head(r, e)) < 0)
		return rc;
	sync_run_stage(r, "render %.12s%s%s", r->commit,
		       r->cfg->path && *r->cfg->path ? " --path " : "", r->cfg->path ? r->cfg->path : "");
	return source_render(r, &r->objects, e);
}

/* Connecting and loading discovery (read-only; its errors wait until Git has spoken)
 * runs on its own thread while the main one fetches and renders: neither waits for the
 * other's round trips. The render stays on the main thread so that the memory of the
 * objects it parsed and prepare frees is reused by what follows (one malloc arena). */
struct cluster_job {
	struct sync_run *r;
	struct err e;
	int rc;
};

static void *cluster_job_run(void *arg)
{
	struct cluster_job *j = arg;
	const struct kube_resource *ns;

	if ((j->rc = connect_cluster(j->r, &j->e)) < 0)
		return NULL;
	j->rc = kube_resolve(j->r->kube, "v1", "Namespace", &ns, &j->e);
	if (j->rc == TE_NOTFOUND)
		j->rc = 0; /* only the load matters here */
	return NULL;
}

static void stage_fetch(struct sync_run *r)
{
	char *url;

	if (!r->env || !r->env->progress)
		return;
	url = url_redact(r->cfg->repo);
	sync_run_stage(r, "fetch %s%s%s", url ? url : "", r->cfg->ref ? " " : "",
		       r->cfg->ref ? r->cfg->ref : "");
	free(url);
}

/* Fetch, render and look at the cluster: everything before the first write. Git's
 * errors come first (a bad commit is bad input whatever the cluster says), then an
 * empty render, then the cluster's. */
static int run_prepare(struct sync_run *r, struct err *e)
{
	struct cluster_job job = {.r = r};
	struct err se;
	pthread_t t;
	bool threaded;
	int rc, src;

	err_clear(&job.e);
	err_clear(&se);
	stage_fetch(r);
	threaded = pthread_create(&t, NULL, cluster_job_run, &job) == 0;
	src = source_run(r, &se);
	if (threaded)
		pthread_join(t, NULL);
	else
		cluster_job_run(&job);
	memcpy(r->res->commit, r->commit, sizeof(r->commit)); /* "" when Git failed */
	if (src < 0) {
		*e = se;
		return src;
	}
	if (r->objects.n == 0)
		return err_set(e, TE_INPUT,
			       "%s at %.12s rendered no objects; refusing to sync an empty app "
			       "(check --path)",
			       r->cfg->path && *r->cfg->path ? r->cfg->path : "the repository",
			       r->commit);
	if (job.rc < 0) {
		*e = job.e;
		return job.rc;
	}
	r->res->namespace = xstrdup(r->ns);
	if ((rc = prepare_items(r, e)) < 0)
		return rc;
	/* Defaulting namespaces can make two objects the same. */
	if ((rc = object_set_check_unique(&r->objects, e)) < 0)
		return rc;
	if ((rc = live_load(r, e)) < 0 || (rc = signed_check_range(r, e)) < 0 ||
	    (rc = revision_stage(r, e)) < 0) /* change-cause and commit annotations */
		return rc;
	prepare_drop_bodies(r);
	return 0;
}

static int apply_all(struct sync_run *r, struct err *e)
{
	int64_t deadline = now_ms() + r->cfg->timeout_ms;
	int rc;

	for (size_t i = 0; i < r->n_items; i++)
		r->apply_total += r->items[i].apply || r->items[i].deferred;
	if ((rc = apply_stage(r, STAGE_NAMESPACES, e)) < 0 ||
	    (rc = apply_wait_crds(r, deadline, e)) < 0 ||
	    (rc = prepare_resolve_deferred(r, e)) < 0 || (rc = apply_dry_run(r, true, e)) < 0)
		return rc;
	for (int s = STAGE_NAMESPACES + 1; s < STAGE_COUNT; s++)
		if ((rc = apply_stage(r, s, e)) < 0)
			return rc;
	return 0;
}

static bool has_revisions(const struct sync_item *it)
{
	return it->res && sync_revisioned_kind(it->obj->group, it->obj->kind);
}

/* The run as the hooks see it; with deps, its workloads with revisions too (*deps
 * owned, may stay NULL when there are none). */
static int run_view(const struct sync_run *r, struct sync_view *v, struct sync_workload **deps)
{
	size_t n = 0;

	*v = (struct sync_view){
	    .cfg = r->cfg,
	    .kube = r->kube,
	    .own = r->own,
	    .git = r->git,
	    .commit = r->commit,
	    .base = r->old_inv.commit,
	    .read_ns = r->inv_moving ? r->inv_legacy : r->inv_ns,
	    .write_ns = r->inv_moving && !r->inv_moved ? r->inv_legacy : r->inv_ns,
	    .wrote = r->wrote,
	    .beside = r->beside,
	    .beside_read = r->beside_read,
	};
	if (!deps)
		return 0;
	*deps = NULL;
	for (size_t i = 0; i < r->n_items; i++)
		n += has_revisions(&r->items[i]);
	if (n && !(*deps = calloc(n, sizeof(**deps))))
		return TE_NOMEM;
	for (size_t i = 0; i < r->n_items; i++) {
		const struct sync_item *it = &r->items[i];

		if (has_revisions(it))
			(*deps)[v->n_workloads++] = (struct sync_workload){
			    .kind = it->obj->kind,
			    .ns = it->obj->ns ? it->obj->ns : "",
			    .name = it->obj->name,
			    .res = it->res,
			    .changed = it->created || it->changed,
			};
	}
	v->workloads = *deps;
	return 0;
}

static const struct sync_hooks *run_hooks(const struct sync_run *r)
{
	return r->env ? r->env->hooks : NULL;
}

static int hook_before_apply(struct sync_run *r, struct err *e)
{
	const struct sync_hooks *h = run_hooks(r);
	struct sync_view v;

	if (!h || !h->before_apply)
		return 0;
	run_view(r, &v, NULL);
	return h->before_apply(h->ctx, &v, e);
}

static void hook_after_run(struct sync_run *r, int rc, const struct err *e)
{
	const struct sync_hooks *h = run_hooks(r);
	struct sync_workload *deps = NULL;
	struct sync_view v;

	if (!h || !h->after_run)
		return;
	if (r->wrote)
		sync_run_stage(r, "record history");
	if (run_view(r, &v, &deps) < 0)
		strlist_add(&r->res->errors, "after the run: out of memory");
	else
		h->after_run(h->ctx, &v, rc, e, r->res);
	free(deps);
}

static void collect_unchanged(struct sync_run *r)
{
	for (size_t i = 0; i < r->n_items; i++)
		if (!r->items[i].apply)
			strlist_add(&r->res->unchanged, r->items[i].display);
}

/* Everything before the first write: the plan, its hook and guards, the dry-run. */
static int run_checks(struct sync_run *r, struct err *e)
{
	int rc;

	if ((rc = run_prepare(r, e)) < 0 || (rc = hook_before_apply(r, e)) < 0)
		return rc;
	if (r->cfg->prune && (rc = prune_plan_check(r, e)) < 0)
		return rc;
	if (!r->cfg->prune)
		prune_list_kept(r);
	if ((rc = apply_dry_run(r, false, e)) < 0)
		return rc;
	return inventory_check_rights(r, e);
}

/* Deferred items are applied as created. */
static void apply_deferred(struct sync_run *r)
{
	for (size_t i = 0; i < r->n_items; i++)
		if (r->items[i].deferred && r->items[i].plan != PLAN_UNCHANGED)
			r->items[i].apply = true;
}

/* The prune, then the inventory without what it deleted (recorded even if it failed). */
static int run_prune(struct sync_run *r, struct err *e)
{
	int rc = prune_run(r, e);
	int rc2 = apply_inventory(r, true, e);

	return rc < 0 ? rc : rc2;
}

static int run_sync(struct sync_run *r, struct err *e)
{
	int rc, rc2;

	if ((rc = run_checks(r, e)) < 0)
		return rc;
	apply_deferred(r);
	rc = apply_all(r, e);
	collect_unchanged(r);
	/* Record what was applied even when a later stage failed. */
	rc2 = apply_inventory(r, false, e);
	if (rc < 0 || (rc = rc2) < 0)
		return rc;
	if (r->cfg->prune && (rc = run_prune(r, e)) < 0)
		return rc;
	return r->cfg->no_wait ? 0 : rollout_wait(r, e);
}

/* Adds what client k made since a: a session's client may have served earlier runs. */
static void add_stats(struct kube *k, const struct kube_stats *a, struct kube_stats *out)
{
	struct kube_stats b;

	kube_get_stats(k, &b);
	out->requests += b.requests - a->requests;
	out->retries += b.retries - a->retries;
	out->gets += b.gets - a->gets;
	out->lists += b.lists - a->lists;
	out->patches += b.patches - a->patches;
	out->posts += b.posts - a->posts;
	out->puts += b.puts - a->puts;
	out->deletes += b.deletes - a->deletes;
	out->watches += b.watches - a->watches;
}

/* This run's requests, the bookkeeping's own client's too. */
static void run_stats(const struct sync_run *r, struct kube_stats *out)
{
	*out = (struct kube_stats){0};
	add_stats(r->kube, &r->stats0, out);
	if (r->own && r->own != r->kube)
		add_stats(r->own, &r->own_stats0, out);
}

static void finish_result(struct sync_run *r, struct sync_result *res, int rc, int64_t start)
{
	if (r->kube)
		run_stats(r, &res->stats);
	res->duration_ms = now_ms() - start;
	res->code = rc;
	res->exit_code = rc < 0 ? err_exit_code(rc) : 0;
}

int sync_run(struct session *s, const struct app_config *c, const struct sync_env *env,
	     struct sync_result *res, struct err *e)
{
	struct sync_run r;
	int64_t start = now_ms();
	int rc;

	run_init(&r, s, c, env, res);
	res->app = xstrdup(c->app);
	rc = run_sync(&r, e);
	if (rc < 0 && e->code)
		rc = e->code;
	hook_after_run(&r, rc, e); /* records the run (history.h); its failures go to res->errors */
	if (rc < 0 && res->errors.n == 0)
		strlist_add(&res->errors, e->msg);
	finish_result(&r, res, rc, start);
	run_dispose(&r);
	return rc;
}

int sync_render(struct session *s, const struct app_config *c, struct object_set *out,
		char commit[41], struct err *e)
{
	struct sync_run r;
	int rc;

	run_init(&r, s, c, NULL, NULL);
	if ((rc = source_open(&r, e)) == 0)
		rc = source_render(&r, out, e);
	memcpy(commit, r.commit, 41);
	run_dispose(&r);
	return rc;
}

/* ---- diff ---------------------------------------------------------------------- */

int sync_diff(struct session *s, const struct app_config *c, const struct sync_env *env,
	      struct sync_result *res, struct err *e)
{
	struct sync_run r;
	int64_t start = now_ms();
	int rc;

	run_init(&r, s, c, env, res);
	r.diff_mode = true;
	res->app = xstrdup(c->app);
	if ((rc = run_prepare(&r, e)) == 0 && (rc = apply_dry_run(&r, false, e)) == 0)
		rc = diff_items(&r, e);
	if (rc < 0 && e->code)
		rc = e->code;
	finish_result(&r, res, rc, start);
	if (rc > 0)
		res->exit_code = 1;
	run_dispose(&r);
	return rc;
}
