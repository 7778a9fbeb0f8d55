/*
 * apply: server-side apply (manager "tether", force: Git wins) of the items that need
 * it, first as a dry-run of the whole commit (any rejection stops everything before
 * the first write), then for real, stage by stage, each stage in parallel.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonget.h"
#include "sync_int.h"

struct batch {
	struct sync_run *r;
	const char *phase;
	size_t base, done, total; /* progress shows base + done of total */
	void (*each)(struct sync_run *r, struct kube_req *q); /* may be NULL */
};

static void batch_done(struct kube_req *req, void *ctx)
{
	struct batch *b = ctx;

	if (b->each)
		b->each(b->r, req);
	b->done++;
	sync_run_progress(b->r, b->phase, b->base + b->done, b->total);
}

/*
 * What is read of an answer. A dry-run is compared with the live object (and shown
 * by diff) only when there is one; an apply answer gives the inventory its metadata,
 * except a CRD's, which is watched until Established. Parsing only that is most of
 * the difference in CPU and memory for a large first sync.
 */
static const struct json_pick applied_meta[] = {
    {"resourceVersion", NULL}, {"uid", NULL}, {"generation", NULL},
    {"managedFields", NULL},   {NULL, NULL},
};
static const struct json_pick applied_pick[] = {{"metadata", applied_meta}, {NULL, NULL}};

static const struct json_pick *answer_pick(const struct sync_run *r, const struct sync_item *it,
					   bool dry_run)
{
	if (dry_run)
		return it->live || r->diff_mode ? NULL : json_pick_nothing;
	return sync_is_crd(it->obj->group, it->obj->kind) ? NULL : applied_pick;
}

static bool req_ok(const struct kube_req *q)
{
	return q->status >= 200 && q->status < 300 && q->resp;
}

/* The printed body for a request: a copy for the dry-run, the text itself for the apply
 * (its last use). NULL, and the request prints it, when there is none. */
static char *item_body(struct sync_item *it, bool dry_run)
{
	char *text = it->text;

	if (dry_run)
		return xstrdup(text);
	it->text = NULL;
	return text;
}

/* Builds one apply request per selected item; n receives the count. */
static int build_reqs(struct sync_run *r, bool (*pick)(const struct sync_item *, int), int arg,
		      bool dry_run, struct kube_req ***out, size_t *n, struct err *e)
{
	struct kube_apply_opts o = {SYNC_FIELD_MANAGER, true, dry_run};
	struct kube_req **reqs = calloc(r->n_items ? r->n_items : 1, sizeof(*reqs));

	*n = 0;
	if (!reqs)
		return err_set(e, TE_NOMEM, "out of memory");
	*out = reqs;
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		struct kube_req *q;
		char *path;

		if (!pick(it, arg))
			continue;
		q = calloc(1, sizeof(*q));
		if (!q)
			return err_set(e, TE_NOMEM, "out of memory");
		reqs[(*n)++] = q;
		if (kube_req_apply_body(q, it->res, it->obj->ns, it->obj->body, item_body(it, dry_run),
					&o) < 0)
			return err_set(e, TE_NOMEM, "apply %s: out of memory", it->display);
		q->user = it; /* kube_req_apply clears the request */
		q->pick = answer_pick(r, it, dry_run);
		/* A typo in a field name is an error, as with kubectl apply, not a warning. */
		path = xasprintf("%s&fieldValidation=Strict", q->path);
		if (!path)
			return err_set(e, TE_NOMEM, "out of memory");
		free(q->path);
		q->path = path;
	}
	return 0;
}

void sync_reqs_free(struct kube_req **reqs, size_t n)
{
	for (size_t i = 0; reqs && i < n; i++) {
		kube_req_dispose(reqs[i]);
		free(reqs[i]);
	}
	free(reqs);
}

/* Records a failed request on its item; the first becomes the run's error. Only a
 * rejection names the manifest's file: a server that could not be reached, throttled
 * (429) or failed (5xx) said nothing about the file. */
static int req_failure(struct sync_run *r, struct kube_req *q, const char *what, struct err *e)
{
	struct sync_item *it = q->user;
	int code = q->status == 0 || q->err.code == TE_UNREACHABLE ? TE_UNREACHABLE : TE_REJECTED;
	const char *why = q->err.msg[0] ? q->err.msg : "no answer from the server";
	char msg[2300];

	if (code == TE_UNREACHABLE) {
		snprintf(msg, sizeof(msg), "%s: %s: %s", it->display, what, why);
		err_set(e, code, "%s", msg);
	} else {
		snprintf(msg, sizeof(msg), "%s: %s", what, why);
		item_error(e, code, it, msg);
		snprintf(msg, sizeof(msg), "%s:%d:%d: %s: %s: %s", it->obj->file, it->obj->line,
			 it->obj->col, it->display, what, why);
	}
	strlist_add(&r->res->errors, msg);
	return code;
}

static bool pick_dry(const struct sync_item *it, int deferred)
{
	return it->res && it->deferred == (bool)deferred && it->plan != PLAN_UNCHANGED;
}

int apply_dry_run(struct sync_run *r, bool deferred, struct err *e)
{
	struct kube_req **reqs = NULL;
	struct batch b = {r, "dry-run", 0, 0, 0, NULL};
	size_t n = 0;
	int rc, worst = 0;

	rc = build_reqs(r, pick_dry, deferred, true, &reqs, &n, e);
	if (rc < 0 || n == 0)
		goto out;
	b.total = n;
	sync_run_stage(r, "dry-run %zu object%s%s", n, n == 1 ? "" : "s",
		       deferred ? " (in the new namespaces, of the new CRDs)" : "");
	r->res->dry_runs += (long)n;
	kube_run(r->kube, reqs, n, batch_done, &b);
	worst = owner_check(r, reqs, n, e); /* before the first write */
	for (size_t i = 0; i < n; i++) {
		struct kube_req *q = reqs[i];
		struct sync_item *it = q->user;

		if (!req_ok(q)) {
			rc = req_failure(r, q, "dry-run", e);
			if (worst == 0 || rc == TE_UNREACHABLE)
				worst = rc;
			continue;
		}
		it->dry = q->resp;
		q->resp = NULL;
		it->apply = !it->live || !sync_objects_equal(it->dry, it->live);
		if ((rc = revision_dry_run_item(r, it, e)) < 0 && worst == 0) /* revision.c */
			worst = rc;
		if (!r->diff_mode) { /* only diff shows it; a sync keeps memory small */
			cJSON_Delete(it->dry);
			it->dry = NULL;
		}
	}
	rc = worst;
out:
	sync_reqs_free(reqs, n);
	return rc;
}

static bool pick_stage(const struct sync_item *it, int stage)
{
	return it->apply && it->res && it->stage == stage;
}

/* As each apply answers: what the item needs of it, then the answer goes (a stage of a
 * big app would otherwise hold every answer at once). */
static void observe_applied(struct sync_run *r, struct kube_req *q)
{
	struct sync_item *it = q->user;
	const char *rv_new = json_str(q->resp, "metadata", "resourceVersion", NULL);
	const char *rv_old = it->live ? json_str(it->live, "metadata", "resourceVersion", NULL) : NULL;

	if (!req_ok(q))
		return; /* reported in item order once the stage is done */
	it->written = true;
	inv_entry_observe(&it->seen, q->resp);
	if (q->status == 201 || !it->live)
		it->created = true;
	else
		it->changed = !rv_old || !rv_new || strcmp(rv_old, rv_new) != 0;
	if (sync_is_crd(it->obj->group, it->obj->kind)) {
		it->applied = q->resp;
		q->resp = NULL;
	}
	cJSON_Delete(q->resp);
	q->resp = NULL;
}

static void record_applied(struct sync_run *r, struct sync_item *it)
{
	strlist_add(it->created	  ? &r->res->created
		    : it->changed ? &r->res->changed
				  : &r->res->unchanged,
		    it->display);
}

int apply_stage(struct sync_run *r, int stage, struct err *e)
{
	struct kube_req **reqs = NULL;
	struct batch b = {r, "applying", r->apply_done, 0, r->apply_total, observe_applied};
	size_t n = 0;
	int rc, worst = 0;

	rc = build_reqs(r, pick_stage, stage, false, &reqs, &n, e);
	if (rc < 0 || n == 0)
		goto out;
	r->wrote = true;
	sync_run_stage(r, "apply stage %s: %zu object%s", sync_stage_name(stage), n,
		       n == 1 ? "" : "s");
	kube_run(r->kube, reqs, n, batch_done, &b);
	r->apply_done += n;
	for (size_t i = 0; i < n; i++) {
		struct kube_req *q = reqs[i];
		struct sync_item *it = q->user;

		if (!it->written) {
			rc = req_failure(r, q, "apply", e);
			if (worst == 0 || rc == TE_UNREACHABLE)
				worst = rc;
			continue;
		}
		record_applied(r, it);
	}
	rc = worst;
out:
	sync_reqs_free(reqs, n);
	return rc;
}

static bool crd_established(const cJSON *crd)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(
				  cJSON_GetObjectItemCaseSensitive(crd, "status"), "conditions"))
	{
		const cJSON *t = cJSON_GetObjectItemCaseSensitive(c, "type");
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(c, "status");
		if (cJSON_IsString(t) && !strcmp(t->valuestring, "Established") &&
		    cJSON_IsString(s) && !strcmp(s->valuestring, "True"))
			return true;
	}
	return false;
}

/* Polls each CRD applied by this commit until it is Established. */
int apply_wait_crds(struct sync_run *r, int64_t deadline, struct err *e)
{
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		int64_t delay = 50;

		if (!it->applied || !sync_is_crd(it->obj->group, it->obj->kind))
			continue;
		while (!crd_established(it->applied)) {
			cJSON *obj = NULL;
			int rc;

			if (now_ms() > deadline)
				return item_error(e, TE_ROLLOUT, it, "not Established in time");
			sleep_for_ms(delay);
			delay = delay * 2 > 1000 ? 1000 : delay * 2;
			if ((rc = kube_get(r->kube, it->res, NULL, it->obj->name, &obj, e)) < 0)
				return rc;
			cJSON_Delete(it->applied);
			it->applied = obj;
		}
	}
	return 0;
}
