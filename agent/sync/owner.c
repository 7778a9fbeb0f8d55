/*
 * owner: who owns an object the commit renders, decided before the first write.
 * The LIST by the app's label finds the app's own objects. One that the dry-run says
 * exists (200, where a new object answers 201) but the LIST did not return belongs to
 * another app or to none; it is read with one GET, so objects that do not exist yet
 * cost nothing. Another app's object is never taken silently: the sync stops (exit 2)
 * naming the object and both apps, unless the manifest asks for it with
 * tether.dev/adopt: "true". An object no app owns is adopted and reported so.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"

static void free_gets(struct kube_req **gets, size_t n)
{
	for (size_t i = 0; gets && i < n; i++) {
		kube_req_dispose(gets[i]);
		free(gets[i]);
	}
	free(gets);
}

/* The item's error, in the run's error record and in the result's list. */
static int report(struct sync_run *r, const struct sync_item *it, int code, const char *msg,
		  struct err *e)
{
	strlist_add_owned(&r->res->errors,
			  xasprintf("%s:%d:%d: %s: %s", it->obj->file, it->obj->line, it->obj->col,
				    it->display, msg));
	return item_error(e, code, it, msg);
}

/* The GET answer for one item: its live object, gone (404), or an error. */
static int take_get(struct sync_run *r, struct kube_req *q, struct err *e)
{
	struct sync_item *it = q->user;
	char msg[2300];

	if (q->status == 200 && q->resp) {
		it->live = q->resp;
		q->resp = NULL;
		return 0;
	}
	if (q->status == 404)
		return 0; /* deleted since the dry-run: the apply creates it */
	snprintf(msg, sizeof(msg), "read the existing object: %s",
		 q->err.msg[0] ? q->err.msg : "no answer from the server");
	return report(r, it, q->status == 0 ? TE_UNREACHABLE : TE_REJECTED, msg, e);
}

/* One GET, all in parallel, of each object the dry-run found but the LIST did not. */
static int fetch_unlisted(struct sync_run *r, const size_t *idx, size_t n, struct err *e)
{
	struct kube_req **gets = calloc(n ? n : 1, sizeof(*gets));
	size_t m = 0;
	int rc = 0, worst = 0;

	if (!gets)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		struct sync_item *it = &r->items[idx[i]];

		if (!it->unlisted || !it->res)
			continue;
		if (!(gets[m] = calloc(1, sizeof(**gets)))) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
		gets[m]->method = "GET";
		gets[m]->user = it;
		if (!(gets[m++]->path = kube_path(it->res, it->obj->ns, it->obj->name, NULL))) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
	}
	if (m)
		kube_run(r->kube, gets, m, NULL, NULL);
	for (size_t i = 0; i < m; i++)
		if ((rc = take_get(r, gets[i], e)) < 0 && (worst == 0 || rc == TE_UNREACHABLE))
			worst = rc;
	rc = worst;
out:
	free_gets(gets, m);
	return rc;
}

/* Another app's object without the adoption annotation: refused. */
static int refuse(struct sync_run *r, const struct sync_item *it, const char *owner, struct err *e)
{
	char msg[1024];

	snprintf(msg, sizeof(msg),
		 "owned by app \"%s\" (label " SYNC_LABEL_APP "), not by app \"%s\"; not taken: "
		 "render it in one app only, or annotate it " SYNC_ANNOTATION_ADOPT
		 ": \"true\" in the manifest of the app that should own it",
		 owner, r->cfg->app);
	return report(r, it, TE_INPUT, msg, e);
}

/* Every existing object of the batch that is not the app's own: adopt or refuse. */
static int judge(struct sync_run *r, const size_t *idx, size_t n, struct err *e)
{
	int rc = 0;

	for (size_t i = 0; i < n; i++) {
		struct sync_item *it = &r->items[idx[i]];
		const char *owner = it->live ? sync_owner_of(it->live) : NULL;

		if (!it->live || (owner && strcmp(owner, r->cfg->app) == 0))
			continue;
		if (owner && !it->adopt) {
			rc = refuse(r, it, owner, e);
			continue;
		}
		if (rc == 0 && strlist_add(&r->res->adopted, it->display) < 0)
			rc = err_set(e, TE_NOMEM, "out of memory");
	}
	return rc;
}

int owner_check(struct sync_run *r, const size_t *idx, size_t n, struct err *e)
{
	int rc;

	if ((rc = fetch_unlisted(r, idx, n, e)) < 0)
		return rc;
	return judge(r, idx, n, e);
}
