/*
 * ops: the typed verbs on top of kube_run: GET, LIST (all pages), server-side apply
 * and DELETE, plus paths and escaping. A status >= 400 becomes an error carrying the
 * server's own message.
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define LIST_PAGE 500

char *kube_escape(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	struct buf b;

	buf_init(&b, 0);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			buf_append(&b, p, 1);
		} else {
			char enc[3] = {'%', hex[*p >> 4], hex[*p & 15]};

			buf_append(&b, enc, 3);
		}
	}
	return buf_detach(&b);
}

static void put_segment(struct buf *b, const char *s)
{
	char *esc = kube_escape(s);

	buf_printf(b, "/%s", esc);
	free(esc);
}

char *kube_path(const struct kube_resource *r, const char *ns, const char *name, const char *sub)
{
	struct buf b;

	buf_init(&b, 0);
	if (*r->group)
		buf_printf(&b, "/apis/%s/%s", r->group, r->version);
	else
		buf_printf(&b, "/api/%s", r->version);
	if (r->namespaced && ns && *ns) {
		buf_puts(&b, "/namespaces");
		put_segment(&b, ns);
	}
	buf_printf(&b, "/%s", r->resource);
	if (name && *name) {
		put_segment(&b, name);
		if (sub && *sub)
			buf_printf(&b, "/%s", sub);
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
		       const char *cont, bool paged)
{
	char *base = kube_path(r, ns, NULL, NULL);
	struct buf b;

	buf_init(&b, 0);
	buf_puts(&b, base);
	free(base);
	buf_puts(&b, "?");
	if (paged)
		buf_printf(&b, "limit=%d&", LIST_PAGE);
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

/* Moves the items of page into all. */
static void list_merge(cJSON *all, cJSON *page)
{
	cJSON *dst = cJSON_GetObjectItemCaseSensitive(all, "items");
	cJSON *src = cJSON_GetObjectItemCaseSensitive(page, "items"), *it;

	if (!cJSON_IsArray(dst)) {
		cJSON_DeleteItemFromObjectCaseSensitive(all, "items");
		dst = cJSON_AddArrayToObject(all, "items");
	}
	while (cJSON_IsArray(src) && (it = cJSON_DetachItemFromArray(src, 0)) != NULL)
		cJSON_AddItemToArray(dst, it);
}

static const char *list_continue(const cJSON *list)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(list, "metadata");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(md, "continue");

	return cJSON_IsString(c) && *c->valuestring ? c->valuestring : NULL;
}

static int list_pages(struct kube *k, const struct kube_resource *r, const char *ns,
		      const char *selector, bool paged, cJSON **out, struct err *e)
{
	cJSON *all = NULL;
	char *cont = NULL;
	int rc = 0;

	do {
		struct kube_req req = {.method = "GET"};

		req.path = list_path(r, ns, selector, cont, paged);
		rc = run_one(k, &req, e);
		k->stats.gets--;
		k->stats.lists++;
		free(cont);
		cont = NULL;
		if (rc == 0 && !cJSON_IsObject(req.resp))
			rc = err_set(e, TE_UNREACHABLE, "GET %s: the response is not a JSON object",
				     req.path);
		if (rc == 0) {
			cont = xstrdup(list_continue(req.resp));
			if (!all) {
				all = req.resp;
				req.resp = NULL;
			} else {
				list_merge(all, req.resp);
			}
		} else if (req.status == 410 && all) {
			rc = 1; /* the continue token expired: caller lists again in one go */
		}
		kube_req_dispose(&req);
	} while (rc == 0 && cont);
	free(cont);
	if (rc != 0) {
		cJSON_Delete(all);
		return rc;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(all, "metadata"),
						"continue");
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(all, "metadata"),
						"remainingItemCount");
	if (!cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(all, "items"))) {
		cJSON_DeleteItemFromObjectCaseSensitive(all, "items");
		cJSON_AddArrayToObject(all, "items");
	}
	*out = all;
	return 0;
}

int kube_list(struct kube *k, const struct kube_resource *r, const char *ns,
	      const char *label_selector, cJSON **out, struct err *e)
{
	int rc;

	*out = NULL;
	rc = list_pages(k, r, ns, label_selector, true, out, e);
	if (rc == 1) {
		/* as client-go's pager: on 410 Gone mid-way, one full list without paging */
		err_clear(e);
		rc = list_pages(k, r, ns, label_selector, false, out, e);
	}
	return rc;
}

static const char *meta_str(const cJSON *obj, const char *key)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(md, key);

	return cJSON_IsString(v) && *v->valuestring ? v->valuestring : NULL;
}

int kube_req_apply(struct kube_req *req, const struct kube_resource *r, const char *ns,
		   const cJSON *obj, const struct kube_apply_opts *o)
{
	static const struct kube_apply_opts defaults = {.field_manager = "tether", .force = true};
	const char *name = meta_str(obj, "name");
	char *base = NULL, *fm = NULL;

	memset(req, 0, sizeof(*req));
	if (!o)
		o = &defaults;
	if (!ns || !*ns)
		ns = meta_str(obj, "namespace");
	if (!name)
		return err_set(&req->err, TE_INPUT, "apply %s: metadata.name is not set", r->kind);
	if (r->namespaced && !ns)
		return err_set(&req->err, TE_INPUT, "apply %s %s: no namespace", r->kind, name);
	req->method = "PATCH";
	req->content_type = "application/apply-patch+yaml";
	base = kube_path(r, ns, name, NULL);
	fm = kube_escape(o->field_manager ? o->field_manager : "tether");
	req->path = xasprintf("%s?fieldManager=%s%s%s", base, fm, o->force ? "&force=true" : "",
			      o->dry_run ? "&dryRun=All" : "");
	free(base);
	free(fm);
	/* JSON is YAML: the server takes it under the apply-patch+yaml type */
	req->body = cJSON_PrintUnformatted(obj);
	if (!req->path || !req->body) {
		kube_req_dispose(req);
		return err_set(&req->err, TE_NOMEM, "out of memory");
	}
	return 0;
}

int kube_apply(struct kube *k, const struct kube_resource *r, const char *ns, const cJSON *obj,
	       const struct kube_apply_opts *o, cJSON **out, struct err *e)
{
	struct kube_req req;
	int rc;

	if (out)
		*out = NULL;
	if ((rc = kube_req_apply(&req, r, ns, obj, o)) < 0) {
		err_set(e, rc, "%s", req.err.msg);
		kube_req_dispose(&req);
		return rc;
	}
	if ((rc = run_one(k, &req, e)) == 0 && out) {
		*out = req.resp;
		req.resp = NULL;
	}
	kube_req_dispose(&req);
	return rc;
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
