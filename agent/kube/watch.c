/*
 * watch: a streaming GET ?watch=1 whose newline-delimited JSON events are parsed as
 * they arrive, inside curl's write callback. The stream is resumed from the last seen
 * resourceVersion when the server ends it (timeoutSeconds) or the connection drops;
 * 410 Gone (our resourceVersion is too old) means list again and go on from there.
 */
#include <stdlib.h>
#include <string.h>

#include "kube_int.h"

#define WATCH_MAX_EVENT ((size_t)16 << 20)
#define WATCH_MAX_FAILURES 10
#define WATCH_SERVER_TIMEOUT_S 300

struct watch {
	struct kube *k;
	const struct kube_resource *r;
	const char *ns, *selector;
	int (*cb)(const char *type, const cJSON *obj, void *ctx);
	void *ctx;
	struct err *e;
	char *rv;
	CURL *h;
	struct buf in;
	bool stopped, gone, failed, too_big;
};

static void watch_set_rv(struct watch *w, const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(md, "resourceVersion");

	if (cJSON_IsString(rv) && *rv->valuestring) {
		free(w->rv);
		w->rv = strdup(rv->valuestring);
	}
}

/* One event line. Returns false to stop reading the stream. */
static bool watch_event(struct watch *w, const char *line, size_t len)
{
	cJSON *ev = cJSON_ParseWithLength(line, len);
	const cJSON *type = cJSON_GetObjectItemCaseSensitive(ev, "type");
	const cJSON *obj = cJSON_GetObjectItemCaseSensitive(ev, "object");
	bool go_on = true;

	if (!cJSON_IsString(type) || !cJSON_IsObject(obj)) {
		err_set(w->e, TE_UNREACHABLE, "watch %s: malformed event from the server",
			w->r->resource);
		w->failed = true;
		go_on = false;
	} else if (!strcmp(type->valuestring, "ERROR")) {
		const cJSON *code = cJSON_GetObjectItemCaseSensitive(obj, "code");
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(obj, "message");

		if (cJSON_IsNumber(code) && code->valueint == 410) {
			w->gone = true;
		} else {
			err_set(w->e, TE_UNREACHABLE, "watch %s: %s", w->r->resource,
				cJSON_IsString(msg) ? msg->valuestring : "error event");
			w->failed = true;
		}
		go_on = false;
	} else {
		watch_set_rv(w, obj);
		if (w->cb(type->valuestring, obj, w->ctx) != 0) {
			w->stopped = true;
			go_on = false;
		}
	}
	cJSON_Delete(ev);
	return go_on;
}

/* Parses every complete line in w->in, keeps the partial rest. */
static bool watch_lines(struct watch *w)
{
	size_t start = 0;
	bool go_on = true;

	while (go_on && start < w->in.len) {
		char *nl = memchr(w->in.data + start, '\n', w->in.len - start);
		size_t len;

		if (!nl)
			break;
		len = (size_t)(nl - (w->in.data + start));
		if (len > 0)
			go_on = watch_event(w, w->in.data + start, len);
		start += len + 1;
	}
	memmove(w->in.data, w->in.data + start, w->in.len - start);
	w->in.len -= start;
	w->in.data[w->in.len] = '\0';
	return go_on;
}

static size_t on_watch_data(char *p, size_t size, size_t n, void *userdata)
{
	struct watch *w = userdata;
	long status = 0;

	if (buf_append(&w->in, p, size * n) < 0) {
		w->too_big = true;
		return 0;
	}
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	if (status != 200)
		return size * n; /* an error body: read whole, judged after the transfer */
	return watch_lines(w) ? size * n : 0;
}

/* LIST, every item as ADDED, and the list's resourceVersion as the new start. */
static int watch_relist(struct watch *w)
{
	cJSON *list = NULL;
	const cJSON *it;
	int rc;

	if ((rc = kube_list(w->k, w->r, w->ns, w->selector, &list, w->e)) < 0)
		return rc;
	watch_set_rv(w, list);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		if (w->cb("ADDED", it, w->ctx) != 0) {
			w->stopped = true;
			break;
		}
	}
	cJSON_Delete(list);
	return 0;
}

static char *watch_path(const struct watch *w, int64_t left_ms)
{
	char *base = kube_path(w->r, w->ns, NULL, NULL), *sel = NULL, *rv = NULL, *p;
	int64_t secs = left_ms / 1000 + 1;

	if (secs > WATCH_SERVER_TIMEOUT_S)
		secs = WATCH_SERVER_TIMEOUT_S;
	if (w->selector && *w->selector)
		sel = kube_escape(w->selector);
	rv = kube_escape(w->rv ? w->rv : "0");
	p = xasprintf(
	    "%s?allowWatchBookmarks=true%s%s&resourceVersion=%s&timeoutSeconds=%lld&watch=1", base,
	    sel ? "&labelSelector=" : "", sel ? sel : "", rv, (long long)secs);
	free(base);
	free(sel);
	free(rv);
	return p;
}

/* One watch connection. Returns the HTTP status (0: transport failure). */
static long watch_once(struct watch *w, int64_t deadline_ms, CURLcode *res)
{
	struct kube *k = w->k;
	char *path = watch_path(w, deadline_ms - now_ms()), *url = path ? kube_url(k, path) : NULL;
	struct curl_slist *hdrs = kube_headers(k, NULL, NULL);
	long status = 0;

	buf_reset(&w->in);
	if (!url || !hdrs) {
		*res = CURLE_OUT_OF_MEMORY;
		goto out;
	}
	kube_easy_setup(k, w->h);
	curl_easy_setopt(w->h, CURLOPT_URL, url);
	curl_easy_setopt(w->h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(w->h, CURLOPT_WRITEFUNCTION, on_watch_data);
	curl_easy_setopt(w->h, CURLOPT_WRITEDATA, w);
	curl_easy_setopt(w->h, CURLOPT_TIMEOUT_MS, (long)(deadline_ms - now_ms() + 1));
	k->stats.requests++;
	k->stats.watches++;
	*res = curl_easy_perform(w->h);
	curl_easy_getinfo(w->h, CURLINFO_RESPONSE_CODE, &status);
	if (*res == CURLE_OK && status == 200 && w->in.len && !w->stopped && !w->gone && !w->failed)
		watch_event(w, w->in.data, w->in.len); /* a last event without newline */
out:
	curl_slist_free_all(hdrs);
	free(url);
	free(path);
	return status;
}

/* A 4xx other than 429: the error the server's Status gives, as a request would. */
static int watch_refused(struct watch *w, long status)
{
	struct kube_req fake = {.method = "GET", .path = "watch", .status = status};
	int rc;

	fake.resp = cJSON_ParseWithLength(w->in.data ? w->in.data : "", w->in.len);
	kube_req_set_err(&fake, w->in.data);
	rc = err_set(w->e, kube_req_code(&fake), "watch %s: %s", w->r->resource, fake.err.msg);
	cJSON_Delete(fake.resp);
	return rc;
}

/* A transient failure (connection, 429, 5xx): 1 (go on after a pause), up to
 * WATCH_MAX_FAILURES in a row. */
static int watch_retry(struct watch *w, CURLcode res, int *failures)
{
	if (++*failures <= WATCH_MAX_FAILURES)
		return 1;
	return err_set(w->e, TE_UNREACHABLE, "watch %s: cannot reach %s: %s", w->r->resource,
		       w->k->cfg->server,
		       res != CURLE_OK ? curl_easy_strerror(res) : "server errors");
}

/* Judges a connection that ended; <0 error, 0 go on, 1 go on after a pause. */
static int watch_judge(struct watch *w, long status, CURLcode res, int *failures)
{
	if (status == 410 || w->gone) {
		w->gone = false;
		return watch_relist(w);
	}
	if (w->too_big)
		return err_set(w->e, TE_NOMEM, "watch %s: event larger than %zu bytes",
			       w->r->resource, w->in.max);
	if (res == CURLE_OK && status == 200) {
		*failures = 0;
		return 0;
	}
	if (status == 401 && *failures == 0 && kube_cred_refresh(w->k, true, w->e) == 0) {
		(*failures)++;
		return 0;
	}
	if (res == CURLE_OK && status != 429 && status < 500)
		return watch_refused(w, status);
	return watch_retry(w, res, failures);
}

/* After failures in a row: an exponential pause, never past the deadline. */
static void watch_pause(struct kube *k, int failures, int64_t deadline_ms)
{
	int64_t pause = KUBE_BACKOFF_BASE_MS << (failures > 5 ? 5 : failures);

	if (pause > deadline_ms - now_ms())
		pause = deadline_ms - now_ms();
	if (pause > 0)
		curl_multi_poll(k->multi, NULL, 0, (int)pause, NULL);
}

/* One connection: <0 error, 1 the deadline passed, 0 go on (w->stopped ends the watch). */
static int watch_round(struct watch *w, int64_t deadline_ms, int *failures)
{
	CURLcode res;
	long status;
	int rc;

	if (now_ms() >= deadline_ms)
		return 1;
	if ((rc = kube_cred_refresh(w->k, false, w->e)) < 0)
		return rc;
	status = watch_once(w, deadline_ms, &res);
	if (w->stopped)
		return 0;
	if (w->failed)
		return w->e->code ? w->e->code : TE_UNREACHABLE;
	if (res == CURLE_OPERATION_TIMEDOUT && now_ms() >= deadline_ms)
		return 1;
	if ((rc = watch_judge(w, status, res, failures)) < 0)
		return rc;
	if (rc == 1)
		watch_pause(w->k, *failures, deadline_ms);
	return 0;
}

int kube_watch(struct kube *k, const struct kube_resource *r, const char *ns,
	       const char *label_selector, const char *resource_version, int64_t deadline_ms,
	       int (*cb)(const char *type, const cJSON *obj, void *ctx), void *ctx, struct err *e)
{
	struct watch w = {.k = k,
			  .r = r,
			  .ns = ns,
			  .selector = label_selector,
			  .cb = cb,
			  .ctx = ctx,
			  .e = e,
			  .rv = xstrdup(resource_version)};
	int rc = 0, failures = 0;

	buf_init(&w.in, WATCH_MAX_EVENT);
	if (!(w.h = curl_easy_init()))
		rc = err_set(e, TE_NOMEM, "out of memory");
	else if (!w.rv)
		rc = watch_relist(&w);
	while (rc >= 0 && !w.stopped && (rc = watch_round(&w, deadline_ms, &failures)) == 0)
		;
	if (w.h)
		curl_easy_cleanup(w.h);
	buf_dispose(&w.in);
	free(w.rv);
	return rc;
}
