/*
 * ops: the typed verbs on top of kube_run: GET, LIST (all pages), server-side apply
 * and DELETE, plus paths and escaping. A status >= 400 becomes an error carrying the
 * server's own message.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "jsonpick.h"
#include "kube_int.h"

#define LIST_PAGE 500

/* Appends s percent-encoded (all but RFC 3986's unreserved characters), in runs. */
static void escape_into(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p = (const unsigned char *)s, *run = p;

	for (; *p; p++) {
		char enc[3];

		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~')
			continue;
		buf_append(b, run, (size_t)(p - run));
		enc[0] = '%';
		enc[1] = hex[*p >> 4];
		enc[2] = hex[*p & 15];
		buf_append(b, enc, 3);
		run = p + 1;
	}
	buf_append(b, run, (size_t)(p - run));
}

char *kube_escape(const char *s)
{
	struct buf b;

	buf_init(&b, 0);
	escape_into(&b, s);
	return buf_detach(&b);
}

static void put_segment(struct buf *b, const char *s)
{
	buf_puts(b, "/");
	escape_into(b, s);
}

/* A path is built for every request of a sync: plain appends, no printf. */
char *kube_path(const struct kube_resource *r, const char *ns, const char *name, const char *sub)
{
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, *r->group ? "/apis/" : "/api/");
	buf_puts(&b, r->group);
	if (*r->group)
		buf_puts(&b, "/");
	buf_puts(&b, r->version);
	if (r->namespaced && ns && *ns) {
		buf_puts(&b, "/namespaces");
		put_segment(&b, ns);
	}
	buf_puts(&b, "/");
	buf_puts(&b, r->resource);
	if (name && *name) {
		put_segment(&b, name);
		if (sub && *sub) {
			buf_puts(&b, "/");
			buf_puts(&b, sub);
		}
	}
	return buf_detach(&b);
}

/* Runs one request and turns its outcome into the wrapper's return code. */
static int run_one(struct kube *k, struct kube_req *r, struct err *e)
{
	struct kube_req *one = r;
	int code;

	kube_run(k, &one, 1, NULL, NULL);
	if ((code = kube_req_code(r)) == 0)
		return 0;
	if (r->err.msg[0])
		return err_set(e, code, "%s", r->err.msg);
	return err_set(e, code, "%s %s failed", r->method, r->path);
}

int kube_get(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
	     cJSON **out, struct err *e)
{
	struct kube_req req = {.method = "GET", .path = kube_path(r, ns, name, NULL)};
	int rc;

	*out = NULL;
	if ((rc = run_one(k, &req, e)) == 0) {
		*out = req.resp;
		req.resp = NULL;
	}
	kube_req_dispose(&req);
	return rc;
}

static char *list_path(const struct kube_resource *r, const char *ns, const char *selector,
		       const char *cont, int limit)
{
	char *base = kube_path(r, ns, NULL, NULL);
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, base);
	free(base);
	buf_puts(&b, "?");
	if (limit > 0)
		buf_printf(&b, "limit=%d&", limit);
	if (selector && *selector) {
		char *s = kube_escape(selector);

		buf_printf(&b, "labelSelector=%s&", s);
		free(s);
	}
	if (cont) {
		char *s = kube_escape(cont);

		buf_printf(&b, "continue=%s&", s);
		free(s);
	}
	b.data[--b.len] = '\0'; /* the last '&' or '?' */
	return buf_detach(&b);
}

/* Moves the items of page into all; TE_NOMEM when all's items cannot be made. */
static int list_merge(cJSON *all, cJSON *page)
{
	cJSON *dst = cJSON_GetObjectItemCaseSensitive(all, "items");
	cJSON *src = cJSON_GetObjectItemCaseSensitive(page, "items"), *it;

	if (!cJSON_IsArray(dst)) {
		cJSON_DeleteItemFromObjectCaseSensitive(all, "items");
		if (!(dst = cJSON_AddArrayToObject(all, "items")))
			return TE_NOMEM;
	}
	/* appending to an array allocates nothing: it cannot fail */
	while (cJSON_IsArray(src) && (it = cJSON_DetachItemFromArray(src, 0)) != NULL)
		cJSON_AddItemToArray(dst, it);
	return 0;
}

/* The state of one list of kube_list_many between rounds. */
struct list_walk {
	struct kube_list_q *q;
	struct kube_req req;
	cJSON *all;
	char *cont;
	bool paged, done;
	struct json_pick pick[5]; /* the list's own fields, and q->pick of each item */
};

static void list_walk_init(struct list_walk *w, struct kube_list_q *q)
{
	const struct json_pick pick[5] = {{"kind", NULL},	  {"apiVersion", NULL},
					  {"metadata", NULL},	  {"items", q->pick},
					  {NULL, NULL}};

	*w = (struct list_walk){.q = q, .paged = true};
	memcpy(w->pick, pick, sizeof(pick));
}

/* Takes a GET's response (a query with a name) into w: 0 done, <0 failed. */
static int get_take(struct list_walk *w)
{
	struct kube_req *req = &w->req;
	int rc = kube_req_code(req);

	w->q->status = req->status;
	if (rc == 0 && !cJSON_IsObject(req->resp))
		return err_set(&w->q->err, TE_UNREACHABLE,
			       "GET %s: the response is not a JSON object", req->path);
	if (rc != 0)
		return req->err.msg[0] ? err_set(&w->q->err, rc, "%s", req->err.msg)
				       : err_set(&w->q->err, rc, "GET %s failed", req->path);
	w->q->out = req->resp;
	req->resp = NULL;
	w->done = true;
	return 0;
}

/* A page that failed: 0 when listing again in one go is worth it, else the error. */
static int list_fail(struct list_walk *w, int rc)
{
	struct kube_req *req = &w->req;

	if (req->status == 410 && w->all && w->paged) {
		/* as client-go's pager: the continue token expired mid-way, so list
		 * again in one go */
		cJSON_Delete(w->all);
		w->all = NULL;
		w->paged = false;
		return 0;
	}
	if (req->err.msg[0])
		return err_set(&w->q->err, rc, "%s", req->err.msg);
	if (kube_req_code(req) != 0)
		return err_set(&w->q->err, rc, "GET %s failed", req->path);
	return err_set(&w->q->err, rc, "GET %s: the response is not a JSON object", req->path);
}

/* Takes one page's response into w: 0 more to fetch or done, <0 failed. */
static int list_take(struct kube *k, struct list_walk *w)
{
	struct kube_req *req = &w->req;
	int rc = kube_req_code(req);

	if (w->q->name)
		return get_take(w);
	w->q->status = req->status;
	k->stats.gets--;
	k->stats.lists++;
	free(w->cont);
	w->cont = NULL;
	if (rc == 0 && !cJSON_IsObject(req->resp))
		rc = TE_UNREACHABLE;
	if (rc != 0)
		return list_fail(w, rc);
	w->cont = xstrdup(json_nonempty(req->resp, "metadata", "continue", NULL));
	if (!w->all) {
		w->all = req->resp;
		req->resp = NULL;
	} else if (list_merge(w->all, req->resp) < 0) {
		return err_set(&w->q->err, TE_NOMEM, "GET %s: out of memory", req->path);
	}
	w->done = !w->cont;
	return 0;
}

/* The list as the caller sees it; TE_NOMEM rather than a list without its items. */
static int list_finish(struct list_walk *w)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(w->all, "metadata");

	cJSON_DeleteItemFromObjectCaseSensitive(md, "continue");
	cJSON_DeleteItemFromObjectCaseSensitive(md, "remainingItemCount");
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(w->all, "items"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(w->all, "items");
		if (!cJSON_AddArrayToObject(w->all, "items"))
			return err_set(&w->q->err, TE_NOMEM, "list: out of memory");
	}
	w->q->out = w->all;
	w->all = NULL;
	return 0;
}

static bool list_walk_active(const struct list_walk *w)
{
	return !w->done && !w->q->rc;
}

/* The request for w's next page (or its one object, when the query names it). */
static void list_walk_request(struct list_walk *w)
{
	const struct kube_list_q *q = w->q;

	memset(&w->req, 0, sizeof(w->req));
	w->req.method = "GET";
	w->req.pick = q->pick && !q->name ? w->pick : NULL;
	w->req.path = q->name ? kube_path(q->res, q->ns, q->name, NULL)
			      : list_path(q->res, q->ns, q->selector, w->cont,
					  !w->paged ? 0 : q->limit > 0 ? q->limit : LIST_PAGE);
}

/* Takes the answer to w's request; true when w is over (finished or failed). */
static bool list_walk_take(struct kube *k, struct list_walk *w)
{
	struct kube_list_q *q = w->q;

	q->rc = list_take(k, w);
	kube_req_dispose(&w->req);
	if (q->rc == 0 && w->done && !q->name)
		q->rc = list_finish(w);
	return q->rc < 0 || w->done;
}

static void list_queries_reset(struct kube_list_q *qs, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		qs[i].out = NULL;
		qs[i].rc = 0;
		qs[i].status = 0;
		err_clear(&qs[i].err);
	}
}

/* One round per page: the next page of every unfinished list, all in one kube_run. */
static int list_walks_run(struct kube *k, struct list_walk *w, struct kube_req **reqs, size_t n)
{
	size_t left = n, m, i;
	int worst = 0;

	while (left > 0) {
		for (i = 0, m = 0; i < n; i++) {
			if (list_walk_active(&w[i])) {
				list_walk_request(&w[i]);
				reqs[m++] = &w[i].req;
			}
		}
		kube_run(k, reqs, m, NULL, NULL);
		for (i = 0; i < n; i++) {
			if (!list_walk_active(&w[i]) || !list_walk_take(k, &w[i]))
				continue;
			left--;
			if (w[i].q->rc < 0 && worst == 0)
				worst = w[i].q->rc;
		}
	}
	return worst;
}

int kube_list_many(struct kube *k, struct kube_list_q *qs, size_t n)
{
	struct list_walk *w = calloc(n ? n : 1, sizeof(*w));
	struct kube_req **reqs = calloc(n ? n : 1, sizeof(*reqs));
	int worst = 0;

	list_queries_reset(qs, n);
	if (!w || !reqs) {
		for (size_t i = 0; i < n; i++)
			qs[i].rc = err_set(&qs[i].err, TE_NOMEM, "out of memory");
		worst = n ? TE_NOMEM : 0;
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		list_walk_init(&w[i], &qs[i]);
	worst = list_walks_run(k, w, reqs, n);
	for (size_t i = 0; i < n; i++) {
		cJSON_Delete(w[i].all);
		free(w[i].cont);
	}
out:
	free(w);
	free(reqs);
	return worst;
}

int kube_list(struct kube *k, const struct kube_resource *r, const char *ns,
	      const char *label_selector, cJSON **out, struct err *e)
{
	struct kube_list_q q = {.res = r, .ns = ns, .selector = label_selector};
	int rc = kube_list_many(k, &q, 1);

	*out = q.out;
	if (rc < 0)
		err_set(e, rc, "%s", q.err.msg);
	return rc;
}

/* The object's path with the field manager, force and dry-run parameters. */
static char *apply_path(const struct kube_resource *r, const char *ns, const char *name,
			const struct kube_apply_opts *o)
{
	char *base = kube_path(r, ns, name, NULL);
	char *fm = kube_escape(o->field_manager ? o->field_manager : "tether");
	char *path = xasprintf("%s?fieldManager=%s%s%s", base, fm, o->force ? "&force=true" : "",
			       o->dry_run ? "&dryRun=All" : "");

	free(base);
	free(fm);
	return path;
}

int kube_req_apply_text(struct kube_req *req, const struct kube_resource *r, const char *ns,
			const char *name, char *body, const struct kube_apply_opts *o)
{
	static const struct kube_apply_opts defaults = {.field_manager = "tether", .force = true};

	memset(req, 0, sizeof(*req));
	if (!o)
		o = &defaults;
	if (!name || !*name || (r->namespaced && (!ns || !*ns))) {
		free(body);
		if (!name || !*name)
			return err_set(&req->err, TE_INPUT, "apply %s: metadata.name is not set",
				       r->kind);
		return err_set(&req->err, TE_INPUT, "apply %s %s: no namespace", r->kind, name);
	}
	if (!body)
		return err_set(&req->err, TE_NOMEM, "out of memory");
	req->method = "PATCH";
	req->content_type = "application/apply-patch+yaml";
	req->path = apply_path(r, ns, name, o);
	/* JSON is YAML: the server takes it under the apply-patch+yaml type */
	req->body = body;
	if (!req->path) {
		kube_req_dispose(req);
		return err_set(&req->err, TE_NOMEM, "out of memory");
	}
	return 0;
}

int kube_req_apply_body(struct kube_req *req, const struct kube_resource *r, const char *ns,
			const cJSON *obj, char *body, const struct kube_apply_opts *o)
{
	const char *name = json_nonempty(obj, "metadata", "name", NULL);

	if (!ns || !*ns)
		ns = json_nonempty(obj, "metadata", "namespace", NULL);
	if (name && (!r->namespaced || ns) && !body && !(body = cJSON_PrintUnformatted(obj))) {
		memset(req, 0, sizeof(*req));
		return err_set(&req->err, TE_NOMEM, "out of memory");
	}
	return kube_req_apply_text(req, r, ns, name, body, o);
}

int kube_req_apply(struct kube_req *req, const struct kube_resource *r, const char *ns,
		   const cJSON *obj, const struct kube_apply_opts *o)
{
	return kube_req_apply_body(req, r, ns, obj, NULL, o);
}

/* Runs the apply req made with rc; the answer into *out, or (out NULL) only checked:
 * an answer nobody reads is not built (a big ConfigMap's would be its size again). */
static int apply_run(struct kube *k, struct kube_req *req, int rc, cJSON **out, struct err *e)
{
	if (out)
		*out = NULL;
	if (rc < 0) {
		err_set(e, rc, "%s", req->err.msg);
		kube_req_dispose(req);
		return rc;
	}
	if (!out)
		req->pick = json_pick_nothing;
	if ((rc = run_one(k, req, e)) == 0 && out) {
		*out = req->resp;
		req->resp = NULL;
	}
	kube_req_dispose(req);
	return rc;
}

int kube_apply(struct kube *k, const struct kube_resource *r, const char *ns, const cJSON *obj,
	       const struct kube_apply_opts *o, cJSON **out, struct err *e)
{
	struct kube_req req;

	return apply_run(k, &req, kube_req_apply(&req, r, ns, obj, o), out, e);
}

int kube_apply_text(struct kube *k, const struct kube_resource *r, const char *ns,
		    const char *name, char *body, const struct kube_apply_opts *o, struct err *e)
{
	struct kube_req req;

	return apply_run(k, &req, kube_req_apply_text(&req, r, ns, name, body, o), NULL, e);
}

int kube_req_delete(struct kube_req *req, const struct kube_resource *r, const char *ns,
		    const char *name, const char *propagation)
{
	memset(req, 0, sizeof(*req));
	req->method = "DELETE";
	req->path = kube_path(r, ns, name, NULL);
	req->body = xasprintf("{\"propagationPolicy\":\"%s\"}",
			      propagation && *propagation ? propagation : "Background");
	if (!req->path || !req->body) {
		kube_req_dispose(req);
		return err_set(&req->err, TE_NOMEM, "out of memory");
	}
	return 0;
}

int kube_delete(struct kube *k, const struct kube_resource *r, const char *ns, const char *name,
		struct err *e)
{
	struct kube_req req;
	int rc;

	if ((rc = kube_req_delete(&req, r, ns, name, NULL)) < 0)
		return err_set(e, rc, "out of memory");
	rc = run_one(k, &req, e);
	kube_req_dispose(&req);
	return rc;
}
