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

/* One batch of requests made as they are sent (kube_run_batch): only the requests in
 * flight exist at a time, whatever the size of the app. */
struct batch {
	struct sync_run *r;
	const char *phase;
	size_t base, done, total; /* progress shows base + done of total */
	size_t *idx;              /* the batch's items (indices into r->items), in order */
	size_t n;
	bool dry_run;
	int rev_rc; /* the first revision error of a dry-run answer, in rev_e */
	struct err rev_e;
};

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

/* kube_batch.make: the apply request of the batch's i-th item. */
static int batch_make(struct kube_req *q, size_t i, void *ctx)
{
	struct batch *b = ctx;
	struct sync_item *it = &b->r->items[b->idx[i]];
	struct kube_apply_opts o = {SYNC_FIELD_MANAGER, true, b->dry_run};
	char *path;

	if (kube_req_apply_text(q, it->res, it->res->namespaced ? it->obj->ns : NULL, it->obj->name,
				item_body(it, b->dry_run), &o) < 0) {
		q->user = it;
		return q->err.code;
	}
	q->user = it; /* kube_req_apply clears the request */
	q->pick = answer_pick(b->r, it, b->dry_run);
	/* A typo in a field name is an error, as with kubectl apply, not a warning. */
	if (!(path = xasprintf("%s&fieldValidation=Strict", q->path)))
		return err_set(&q->err, TE_NOMEM, "out of memory");
	free(q->path);
	q->path = path;
	return 0;
}

/* The items that pick selects, in order, into b (n 0: none). */
static int batch_init(struct batch *b, struct sync_run *r, bool (*pick)(const struct sync_item *, int),
		      int arg, struct err *e)
{
	b->r = r;
	b->n = 0;
	if (!(b->idx = calloc(r->n_items ? r->n_items : 1, sizeof(*b->idx))))
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < r->n_items; i++)
		if (pick(&r->items[i], arg))
			b->idx[b->n++] = i;
	return 0;
}

static struct sync_item *batch_item(const struct batch *b, size_t i)
{
	return &b->r->items[b->idx[i]];
}

static void batch_run(struct batch *b, void (*done)(struct kube_req *q, void *ctx))
{
	struct kube_batch kb = {.n = b->n, .make = batch_make, .done = done, .ctx = b};

	b->total = b->total ? b->total : b->n;
	kube_run_batch(b->r->kube, &kb);
}

static void batch_progress(struct batch *b)
{
	b->done++;
	sync_run_progress(b->r, b->phase, b->base + b->done, b->total);
}

void sync_reqs_free(struct kube_req **reqs, size_t n)
{
	for (size_t i = 0; reqs && i < n; i++) {
		kube_req_dispose(reqs[i]);
		free(reqs[i]);
	}
	free(reqs);
}

/* Keeps what the item's failed request said, to report it in item order once the
 * batch is done (the request itself is gone by then). Only a rejection names the
 * manifest's file: a server that could not be reached, throttled (429) or failed
 * (5xx) said nothing about the file. */
static void keep_failure(struct sync_item *it, const struct kube_req *q)
{
	bool transport = q->status == 0 || q->err.code == TE_UNREACHABLE;

	free(it->fail.msg);
	it->fail.code = transport ? TE_UNREACHABLE : TE_REJECTED;
	if (q->attempts == 0 && q->err.code)
		it->fail.code = q->err.code; /* never sent: the request could not be made */
	it->fail.msg = xstrdup(q->err.msg[0] ? q->err.msg : "no answer from the server");
}

/* Records the item's kept failure; the first becomes the run's error. */
static int req_failure(struct sync_run *r, struct sync_item *it, const char *what, struct err *e)
{
	int code = it->fail.code ? it->fail.code : TE_NOMEM;
	const char *why = it->fail.msg ? it->fail.msg : "out of memory";
	char msg[2300];

	if (code != TE_REJECTED) {
		snprintf(msg, sizeof(msg), "%s: %s: %s", it->display, what, why);
		err_set(e, code, "%s", msg);
	} else {
		snprintf(msg, sizeof(msg), "%s: %s", what, why);
		item_error(e, code, it, msg);
		snprintf(msg, sizeof(msg), "%s:%d:%d: %s: %s: %s", it->obj->file, it->obj->line,
			 it->obj->col, it->display, what, why);
	}
	strlist_add(&r->res->errors, msg);
	free(it->fail.msg);
	it->fail = (struct sync_fail){0};
	return code;
}

static bool pick_dry(const struct sync_item *it, int deferred)
{
	return it->res && it->deferred == (bool)deferred && it->plan != PLAN_UNCHANGED;
}

/* A dry-run answer against the live object: does it need the apply? Only diff keeps
 * the answer; a sync keeps memory small. */
static void dry_compare(struct batch *b, struct sync_item *it)
{
	struct sync_run *r = b->r;
	int rc;

	it->apply = !it->live || !sync_objects_equal(it->dry, it->live);
	if ((rc = revision_dry_run_item(r, it, &b->rev_e)) < 0 && b->rev_rc == 0) /* revision.c */
		b->rev_rc = rc;
	if (!r->diff_mode) {
		cJSON_Delete(it->dry);
		it->dry = NULL;
	}
}

/* kube_batch.done of a dry-run. An object that exists (200) but that the LIST did not
 * return keeps its answer until owner_check has read it. */
static void dry_done(struct kube_req *q, void *ctx)
{
	struct batch *b = ctx;
	struct sync_item *it = q->user;

	batch_progress(b);
	if (!req_ok(q)) {
		keep_failure(it, q);
		return;
	}
	it->dry = q->resp;
	q->resp = NULL;
	it->unlisted = q->status == 200 && !it->live;
	if (!it->unlisted)
		dry_compare(b, it);
}

int apply_dry_run(struct sync_run *r, bool deferred, struct err *e)
{
	struct batch b = {.phase = "dry-run", .dry_run = true};
	int rc, worst = 0;

	err_clear(&b.rev_e);
	if ((rc = batch_init(&b, r, pick_dry, deferred, e)) < 0 || b.n == 0)
		goto out;
	sync_run_stage(r, "dry-run %zu object%s%s", b.n, b.n == 1 ? "" : "s",
		       deferred ? " (in the new namespaces, of the new CRDs)" : "");
	r->res->dry_runs += (long)b.n;
	batch_run(&b, dry_done);
	worst = owner_check(r, b.idx, b.n, e); /* before the first write */
	for (size_t i = 0; i < b.n; i++) {
		struct sync_item *it = batch_item(&b, i);

		if (it->fail.code) {
			rc = req_failure(r, it, "dry-run", e);
			if (worst == 0 || rc == TE_UNREACHABLE)
				worst = rc;
			continue;
		}
		if (it->unlisted) {
			it->unlisted = false;
			dry_compare(&b, it);
		}
	}
	if (b.rev_rc < 0 && worst == 0)
		worst = err_set(e, b.rev_rc, "%s", b.rev_e.msg);
	rc = worst;
out:
	free(b.idx);
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

/* kube_batch.done of an apply stage; failures are reported in item order once the
 * stage is done. */
static void apply_done(struct kube_req *q, void *ctx)
{
	struct batch *b = ctx;

	batch_progress(b);
	if (req_ok(q))
		observe_applied(b->r, q);
	else
		keep_failure(q->user, q);
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
	struct batch b = {.phase = "applying", .base = r->apply_done, .total = r->apply_total};
	int rc, worst = 0;

	if ((rc = batch_init(&b, r, pick_stage, stage, e)) < 0 || b.n == 0)
		goto out;
	r->wrote = true;
	sync_run_stage(r, "apply stage %s: %zu object%s", sync_stage_name(stage), b.n,
		       b.n == 1 ? "" : "s");
	batch_run(&b, apply_done);
	r->apply_done += b.n;
	for (size_t i = 0; i < b.n; i++) {
		struct sync_item *it = batch_item(&b, i);

		if (!it->written) {
			rc = req_failure(r, it, "apply", e);
			if (worst == 0 || rc == TE_UNREACHABLE)
				worst = rc;
			continue;
		}
		record_applied(r, it);
	}
	rc = worst;
out:
	free(b.idx);
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
