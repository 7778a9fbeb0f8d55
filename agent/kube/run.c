/*
 * run: executes a batch of requests over the client's multi handle with a bound on
 * parallelism, retrying what is worth retrying. A request that failed with a 4xx
 * other than 429 is never retried: the server understood it and said no. Each
 * response is parsed once, here, into req->resp.
 */
#include <stdio.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

struct xfer {
	struct kube_req *r;
	CURL *h;
	struct curl_slist *hdrs;
	struct buf body;
	char *url;
	int64_t not_before;
	int gen; /* credential generation the request was sent with */
	bool used, active, too_big, auth_retried, counted;
	char errbuf[CURL_ERROR_SIZE];
};

/*
 * A run holds at most `parallel` requests at a time, in slots: sending, or waiting for
 * a retry's backoff. Requests come from the caller's array (kube_run) or are made as a
 * slot frees up (kube_run_batch), so a batch of 100,000 costs memory for the requests
 * in flight only.
 */
struct run {
	struct kube *k;
	struct xfer *x;        /* the slots */
	struct kube_req *made; /* kube_run_batch: each slot's request */
	size_t nslots, busy;   /* slots, slots in use */
	size_t n, next, finished;
	size_t *retry; /* slots waiting for their backoff */
	size_t nretry;
	int active;
	bool unreachable;
	struct kube_req **reqs;        /* kube_run */
	const struct kube_batch *src; /* kube_run_batch */
	void (*done)(struct kube_req *r, void *ctx);
	void *ctx;
};

void kube_req_dispose(struct kube_req *r)
{
	if (!r)
		return;
	free(r->path);
	free(r->body);
	cJSON_Delete(r->resp);
	free(r->resp_type);
	r->path = r->body = r->resp_type = NULL;
	r->resp = NULL;
	r->status = 0;
	r->attempts = 0;
	err_clear(&r->err);
}

static CURL *pool_get(struct kube *k)
{
	if (k->npool)
		return k->pool[--k->npool];
	return curl_easy_init();
}

static void pool_put(struct kube *k, CURL *h)
{
	if ((int)k->npool < k->opts.parallel)
		k->pool[k->npool++] = h;
	else
		curl_easy_cleanup(h);
}

static void buf_get(struct kube *k, struct buf *b)
{
	if (k->nbufs) {
		*b = k->bufs[--k->nbufs];
		buf_reset(b);
	} else {
		buf_init(b, KUBE_MAX_RESPONSE);
	}
}

static void buf_put(struct kube *k, struct buf *b)
{
	if (b->cap && b->cap <= POOL_BUF_KEEP_SIZE && (int)k->nbufs < k->opts.parallel)
		k->bufs[k->nbufs++] = *b;
	else
		buf_dispose(b);
	buf_init(b, KUBE_MAX_RESPONSE);
}

static size_t on_write(char *p, size_t size, size_t n, void *userdata)
{
	struct xfer *x = userdata;

	if (buf_append(&x->body, p, size * n) < 0) {
		x->too_big = true;
		return 0;
	}
	return size * n;
}

static void count_request(struct kube *k, struct xfer *x)
{
	const char *m = x->r->method ? x->r->method : "GET";

	k->stats.requests++;
	if (x->counted)
		return;
	x->counted = true;
	if (!strcmp(m, "GET"))
		k->stats.gets++;
	else if (!strcmp(m, "PATCH"))
		k->stats.patches++;
	else if (!strcmp(m, "POST"))
		k->stats.posts++;
	else if (!strcmp(m, "PUT"))
		k->stats.puts++;
	else if (!strcmp(m, "DELETE"))
		k->stats.deletes++;
}

/* The pooled handle, the URL and the headers of x's request. */
static int xfer_prepare(struct kube *k, struct xfer *x)
{
	const struct kube_req *r = x->r;
	const char *type = r->content_type ? r->content_type : "application/json";

	if (!x->h && !(x->h = pool_get(k)))
		return TE_NOMEM;
	if (!x->url && !(x->url = kube_url(k, r->path)))
		return TE_NOMEM;
	curl_slist_free_all(x->hdrs);
	x->hdrs = kube_headers(k, r->accept, r->body ? type : NULL);
	return x->hdrs ? 0 : TE_NOMEM;
}

static void xfer_setopts(struct kube *k, struct xfer *x)
{
	const struct kube_req *r = x->r;
	const char *m = r->method ? r->method : "GET";

	kube_easy_setup(k, x->h);
	curl_easy_setopt(x->h, CURLOPT_URL, x->url);
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdrs);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, on_write);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_ERRORBUFFER, x->errbuf);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, (long)k->opts.timeout_ms);
	if (r->body) {
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)strlen(r->body));
		curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, r->body);
	}
	if (strcmp(m, "GET") != 0 && (strcmp(m, "POST") != 0 || !r->body))
		curl_easy_setopt(x->h, CURLOPT_CUSTOMREQUEST, m);
}

static int xfer_start(struct run *run, struct xfer *x)
{
	struct kube *k = run->k;
	int rc;

	if ((rc = xfer_prepare(k, x)) < 0)
		return rc;
	buf_get(k, &x->body);
	x->too_big = false;
	x->errbuf[0] = '\0';
	xfer_setopts(k, x);
	count_request(k, x);
	x->gen = k->cred.generation;
	x->r->attempts++;
	if (curl_multi_add_handle(k->multi, x->h) != CURLM_OK)
		return TE_FAIL;
	x->active = true;
	run->active++;
	return 0;
}

/* Failures that say nothing about the request itself, so a retry may succeed. */
static bool transport_retryable(CURLcode rc)
{
	switch (rc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
	case CURLE_OPERATION_TIMEDOUT:
	case CURLE_SEND_ERROR:
	case CURLE_RECV_ERROR:
	case CURLE_GOT_NOTHING:
	case CURLE_PARTIAL_FILE:
	case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
	case CURLE_SSL_CONNECT_ERROR:
		return true;
	default:
		return false;
	}
}

/* xorshift64: jitter that differs between processes without touching random()'s state */
static uint64_t jitter_next(struct kube *k)
{
	uint64_t x = k->rng;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return k->rng = x;
}

static int64_t backoff_ms(struct kube *k, const struct kube_req *r, long retry_after_s)
{
	int64_t d = KUBE_BACKOFF_BASE_MS << (r->attempts > 6 ? 6 : r->attempts - 1);

	if (d > KUBE_BACKOFF_MAX_MS)
		d = KUBE_BACKOFF_MAX_MS;
	/* equal jitter: half fixed, half random, so a burst of 429s spreads out */
	d = d / 2 + (int64_t)(jitter_next(k) % (uint64_t)(d / 2 + 1));
	if (retry_after_s > 0) {
		int64_t ra = (int64_t)retry_after_s * 1000;

		d = ra > KUBE_MAX_RETRY_AFTER_MS ? KUBE_MAX_RETRY_AFTER_MS : ra;
	}
	return d;
}

static void xfer_release(struct run *run, struct xfer *x)
{
	curl_multi_remove_handle(run->k->multi, x->h);
	pool_put(run->k, x->h);
	x->h = NULL;
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	x->active = false;
	run->active--;
}

static void xfer_parse(struct kube *k, struct xfer *x, CURL *h, CURLcode rc)
{
	struct kube_req *r = x->r;
	const char *ct = NULL;

	curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
	free(r->resp_type);
	r->resp_type = xstrdup(ct);
	cJSON_Delete(r->resp);
	r->resp = NULL;
	/* an error's Status is read whole: its message, reason and details */
	if (x->body.len && (x->body.data[0] == '{' || x->body.data[0] == '['))
		r->resp = json_pick_parse(x->body.data, x->body.len,
					  r->status >= 200 && r->status < 300 ? r->pick : NULL);
	err_clear(&r->err);
	if (x->too_big)
		err_set(&r->err, TE_NOMEM, "%s %s: response larger than %zu bytes", r->method,
			r->path, x->body.max);
	else if (rc != CURLE_OK)
		err_set(&r->err, TE_UNREACHABLE, "%s %s: cannot reach %s: %s", r->method, r->path,
			k->cfg->server, x->errbuf[0] ? x->errbuf : curl_easy_strerror(rc));
	else if (r->status >= 400)
		kube_req_set_err(r, x->body.data);
}

/* "Unauthorized (renewing credentials: exec plugin ...: exited with status 1)" */
static void err_append(struct err *e, const char *why)
{
	size_t n = strlen(e->msg);

	snprintf(e->msg + n, sizeof(e->msg) - n, " (renewing credentials: %s)", why);
}

/*
 * A 500 whose Status carries no reason is the API server's answer to an error it could
 * not classify while handling this very request (ErrorToAPIStatus uses
 * StatusReasonUnknown, e.g. "failed to create typed patch object" for an applied field
 * the schema does not declare): the same request fails the same way, so it is final.
 * Transient server failures say so (InternalError, ServiceUnavailable, Timeout, ...).
 */
bool kube_status_is_final_500(long status, const cJSON *resp)
{
	const cJSON *kind = cJSON_GetObjectItemCaseSensitive(resp, "kind");
	const cJSON *reason = cJSON_GetObjectItemCaseSensitive(resp, "reason");

	if (status != 500 || !cJSON_IsString(kind) || strcmp(kind->valuestring, "Status") != 0)
		return false;
	return !cJSON_IsString(reason) || !*reason->valuestring;
}

static bool response_is_final_500(long status, const struct buf *body)
{
	cJSON *resp;
	bool final;

	if (status != 500 || !body->len || body->data[0] != '{')
		return false;
	resp = cJSON_ParseWithLength(body->data, body->len);
	final = kube_status_is_final_500(status, resp);
	cJSON_Delete(resp);
	return final;
}

/* 429 (priority and fairness) and 408: the server did not get to the request at all,
 * so they say nothing about its content. */
static bool server_busy(long status)
{
	return status == 429 || status == 408;
}

/*
 * A 401 with rotating credentials (exec plugin, token file): true when one more try
 * with fresh ones is due (refreshed once for all the requests that started with the
 * old ones); otherwise why the refresh failed is left in *auth.
 */
static bool auth_retry(struct kube *k, struct xfer *x, struct err *auth)
{
	if (x->r->status != 401 || x->auth_retried || !(k->cfg->exec || k->cfg->token_file))
		return false;
	if (x->gen != k->cred.generation || kube_cred_refresh(k, true, auth) == 0) {
		err_clear(auth);
		x->auth_retried = true;
		x->not_before = 0;
		x->r->attempts--;
		return true;
	}
	return false;
}

/* Worth another attempt: a transport failure that may pass, a busy server, or a 5xx
 * that is not final (501 and reasonless 500s are). */
static bool retryable(const struct kube *k, const struct xfer *x, CURLcode rc, long status)
{
	if (x->too_big || x->r->attempts > k->opts.retries)
		return false;
	if (rc != CURLE_OK)
		return transport_retryable(rc);
	if (server_busy(status))
		return true;
	return status >= 500 && status != 501 && !response_is_final_500(status, &x->body);
}

static void xfer_requeue(struct run *run, struct xfer *x)
{
	xfer_release(run, x);
	buf_put(run->k, &x->body);
	run->retry[run->nretry++] = (size_t)(x - run->x);
}

/* The slot is free again; a made request goes with it. */
static void slot_free(struct run *run, struct xfer *x)
{
	if (run->made)
		kube_req_dispose(x->r);
	x->r = NULL;
	x->used = false;
	run->busy--;
	run->finished++;
}

static void xfer_complete(struct run *run, struct xfer *x, CURLcode rc, const struct err *auth)
{
	struct kube_req *r = x->r;

	xfer_parse(run->k, x, x->h, rc);
	if (auth->msg[0])
		err_append(&r->err, auth->msg);
	if (rc != CURLE_OK || x->too_big)
		run->unreachable = run->unreachable || rc != CURLE_OK;
	xfer_release(run, x);
	buf_put(run->k, &x->body);
	free(x->url);
	x->url = NULL;
	if (run->done)
		run->done(r, run->ctx);
	slot_free(run, x);
}

static void run_finish(struct run *run, struct xfer *x, CURLcode rc)
{
	struct kube *k = run->k;
	long status = 0, retry_after = 0;
	struct err auth;

	curl_easy_getinfo(x->h, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(x->h, CURLINFO_RETRY_AFTER, &retry_after);
	x->r->status = rc == CURLE_OK ? status : 0;
	err_clear(&auth);
	if (auth_retry(k, x, &auth)) {
		xfer_requeue(run, x);
	} else if (retryable(k, x, rc, status)) {
		k->stats.retries++;
		x->not_before = now_ms() + backoff_ms(k, x->r, retry_after);
		xfer_requeue(run, x);
	} else {
		xfer_complete(run, x, rc, &auth);
	}
}

/* A request that could not even be started (out of memory). */
static void run_finish_fail(struct run *run, struct xfer *x)
{
	if (x->active)
		xfer_release(run, x);
	else if (x->h) {
		pool_put(run->k, x->h);
		x->h = NULL;
	}
	curl_slist_free_all(x->hdrs);
	x->hdrs = NULL;
	buf_put(run->k, &x->body);
	free(x->url);
	x->url = NULL;
	err_set(&x->r->err, TE_NOMEM, "%s %s: out of memory", x->r->method, x->r->path);
	if (run->done)
		run->done(x->r, run->ctx);
	slot_free(run, x);
}

/* The next request into a free slot: the caller's, or made now. */
static struct xfer *slot_take(struct run *run)
{
	struct xfer *x = NULL;
	size_t i, idx = run->next++;

	for (i = 0; i < run->nslots && run->x[i].used; i++)
		;
	x = &run->x[i];
	memset(x, 0, sizeof(*x));
	buf_init(&x->body, KUBE_MAX_RESPONSE);
	x->used = true;
	run->busy++;
	if (!run->made) {
		x->r = run->reqs[idx];
		return x;
	}
	x->r = &run->made[i];
	memset(x->r, 0, sizeof(*x->r));
	if (run->src->make(x->r, idx, run->src->ctx) < 0 && !x->r->err.code)
		err_set(&x->r->err, TE_NOMEM, "out of memory");
	return x;
}

/* A request make could not build: done sees its error, no request is sent. */
static void slot_unmade(struct run *run, struct xfer *x)
{
	if (run->done)
		run->done(x->r, run->ctx);
	slot_free(run, x);
}

/* Starts what may start now; returns ms until the earliest waiting retry (or 1000). */
static long run_start_ready(struct run *run)
{
	int64_t now = now_ms(), wait = 1000;

	for (size_t i = 0; i < run->nretry;) {
		struct xfer *x = &run->x[run->retry[i]];

		if (x->not_before <= now) {
			run->retry[i] = run->retry[--run->nretry];
			if (xfer_start(run, x) < 0)
				run_finish_fail(run, x);
			continue;
		}
		if (x->not_before - now < wait)
			wait = x->not_before - now;
		i++;
	}
	while (run->next < run->n && run->busy < run->nslots) {
		struct xfer *x = slot_take(run);

		if (x->r->err.code)
			slot_unmade(run, x);
		else if (xfer_start(run, x) < 0)
			run_finish_fail(run, x);
	}
	return (long)(wait < 0 ? 0 : wait);
}

/* Finishes the transfers curl reports done; returns how many. */
static int run_collect(struct run *run)
{
	CURLMsg *m;
	int left, count = 0;

	while ((m = curl_multi_info_read(run->k->multi, &left)) != NULL) {
		struct xfer *x = NULL;

		if (m->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&x);
		if (x) {
			run_finish(run, x, m->data.result);
			count++;
		}
	}
	return count;
}

/* One turn of the event loop: curl's due timeout, then the sockets that are ready (up to
 * wait ms for one; a retry's backoff bounds the wait). */
static void run_events(struct kube *k, long wait)
{
	struct epoll_event ev[64];
	int running, nev, ms;

	if (k->timer_at >= 0 && k->timer_at <= now_ms()) {
		k->timer_at = -1;
		curl_multi_socket_action(k->multi, CURL_SOCKET_TIMEOUT, 0, &running);
		return; /* it may have finished transfers or started connections */
	}
	ms = (int)wait;
	if (k->timer_at >= 0 && k->timer_at - now_ms() < ms)
		ms = (int)(k->timer_at - now_ms());
	nev = epoll_wait(k->epfd, ev, (int)(sizeof(ev) / sizeof(ev[0])), ms < 0 ? 0 : ms);
	for (int i = 0; i < nev; i++) {
		int what = (ev[i].events & EPOLLIN ? CURL_CSELECT_IN : 0) |
			   (ev[i].events & EPOLLOUT ? CURL_CSELECT_OUT : 0) |
			   (ev[i].events & (EPOLLERR | EPOLLHUP) ? CURL_CSELECT_ERR : 0);

		curl_multi_socket_action(k->multi, ev[i].data.fd, what, &running);
	}
}

/* Fails every request with the same error (credentials could not be obtained, or no
 * memory for the run): done sees each one, none is sent. */
static int run_fail_all(struct run *run, const struct err *e)
{
	for (; run->next < run->n; run->next++) {
		struct kube_req made, *r = &made;

		if (run->reqs) {
			r = run->reqs[run->next];
		} else {
			memset(&made, 0, sizeof(made));
			run->src->make(&made, run->next, run->src->ctx);
		}
		r->status = 0;
		r->err = *e;
		if (run->done)
			run->done(r, run->ctx);
		if (r == &made)
			kube_req_dispose(&made);
	}
	return e->code ? e->code : TE_FAIL;
}

static int run_all(struct run *run)
{
	struct kube *k = run->k;
	size_t parallel = k->opts.parallel > 0 ? (size_t)k->opts.parallel : 1;
	struct err e;
	int rc = 0;

	if (run->n == 0)
		return 0;
	err_clear(&e);
	run->nslots = run->n < parallel ? run->n : parallel;
	run->x = calloc(run->nslots, sizeof(*run->x));
	run->retry = calloc(run->nslots, sizeof(*run->retry));
	if (run->src)
		run->made = calloc(run->nslots, sizeof(*run->made));
	if (!run->x || !run->retry || (run->src && !run->made))
		rc = err_set(&e, TE_NOMEM, "out of memory");
	else
		rc = kube_cred_refresh(k, false, &e);
	if (rc < 0)
		rc = run_fail_all(run, &e);
	while (rc == 0 && run->finished < run->n) {
		long wait = run_start_ready(run);

		run_events(k, wait);
		run_collect(run);
	}
	free(run->x);
	free(run->retry);
	free(run->made);
	if (rc < 0)
		return rc;
	return run->unreachable ? TE_UNREACHABLE : 0;
}

int kube_run(struct kube *k, struct kube_req **reqs, size_t n,
	     void (*done)(struct kube_req *r, void *ctx), void *ctx)
{
	struct run run = {.k = k, .n = n, .reqs = reqs, .done = done, .ctx = ctx};

	for (size_t i = 0; i < n; i++) {
		reqs[i]->status = 0;
		reqs[i]->attempts = 0;
		err_clear(&reqs[i]->err);
	}
	return run_all(&run);
}

int kube_run_batch(struct kube *k, const struct kube_batch *b)
{
	struct run run = {.k = k, .n = b->n, .src = b, .done = b->done, .ctx = b->ctx};

	return run_all(&run);
}

int kube_req_code(const struct kube_req *r)
{
	if (r->err.code && r->status == 0)
		return r->err.code;
	if (r->status == 0)
		return TE_UNREACHABLE;
	if (r->status == 404)
		return TE_NOTFOUND;
	if (r->status == 409)
		return TE_CONFLICT;
	/* throttled or timed out past the retries: try again later (exit 3), never bad
	 * input that would hold the commit */
	if (server_busy(r->status))
		return TE_UNREACHABLE;
	if (kube_status_is_final_500(r->status, r->resp))
		return TE_REJECTED;
	if (r->status >= 500)
		return TE_UNREACHABLE;
	if (r->status >= 400)
		return TE_REJECTED;
	return 0;
}

/* The server's Status message when there is one, else the code and a short body. */
void kube_req_set_err(struct kube_req *r, const char *body)
{
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(r->resp, "message");
	int code = kube_req_code(r);

	if (cJSON_IsString(msg) && *msg->valuestring) {
		char why[sizeof(r->err.msg)];

		/* a 403 says which rule is missing (forbidden.c) */
		if (r->status == 403)
			kube_forbidden_explain(msg->valuestring, why, sizeof(why));
		else
			snprintf(why, sizeof(why), "%s", msg->valuestring);
		err_set(&r->err, code, "%s", why);
		return;
	}
	if (body && *body && !r->resp) {
		/* a proxy's or a plain-text answer: its first line, bounded */
		int len = (int)strcspn(body, "\r\n");

		err_set(&r->err, code, "%s %s: the server responded %ld: %.*s", r->method, r->path,
			r->status, len > 200 ? 200 : len, body);
		return;
	}
	err_set(&r->err, code, "%s %s: the server responded %ld", r->method, r->path, r->status);
}
