/*
 * api_watch: ?watch=true streams (§5.3). One chunked response per watch, fed from the
 * store's event ring by a content-reader callback that blocks in store_wait (the
 * connection has its own thread). Selectors see both states of an object, so one that
 * starts matching arrives as ADDED and one that stops matching as DELETED.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "store_int.h"

struct watch {
	struct store *st;
	const struct restype *rt;   /* where the objects are */
	const struct restype *view; /* the version asked for (a CRD's view or rt) */
	char ns[256];
	char name[256]; /* the deprecated /watch/.../NAME: that object only */
	struct selector *lsel, *fsel;
	uint64_t cursor;
	struct sbuf out;
	size_t off;
	int64_t deadline;
	int64_t last_send;
	int fd;
	const atomic_bool *stopping;
	bool bookmarks;
	bool table; /* kubectl get -w: each event carries a one-row Table */
	bool done;
};

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static bool watch_matches(const struct watch *w, const cJSON *obj)
{
	const char *ns, *name;

	if (!obj)
		return false;
	if (w->ns[0] && w->rt->namespaced) {
		ns = obj_str(obj, "metadata", "namespace");
		if (!ns || strcmp(ns, w->ns) != 0)
			return false;
	}
	name = obj_str(obj, "metadata", "name");
	if (w->name[0] && (!name || strcmp(name, w->name) != 0))
		return false;
	return selector_match(w->lsel, obj) && selector_match(w->fsel, obj);
}

static void emit(struct watch *w, const char *type, struct sobj *so)
{
	sbuf_printf(&w->out, "{\"type\":\"%s\",\"object\":", type);
	if (w->table) {
		cJSON *t = api_table_of(w->rt, so->obj);
		char *s = cJSON_PrintUnformatted(t);

		sbuf_puts(&w->out, s ? s : "{}");
		free(s);
		cJSON_Delete(t);
	} else {
		size_t len;
		char *owned;
		const char *json = api_view_json(w->view, so, &len, &owned);

		sbuf_add(&w->out, json, len);
		free(owned);
	}
	sbuf_add(&w->out, "}\n", 2);
}

static int on_event(void *ud, const struct sevent *ev)
{
	struct watch *w = ud;
	bool now = watch_matches(w, ev->so->obj);
	bool before = ev->prev && watch_matches(w, ev->prev->obj);

	switch (ev->type) {
	case STORE_ADDED:
		if (now)
			emit(w, "ADDED", ev->so);
		break;
	case STORE_MODIFIED:
		if (now && before)
			emit(w, "MODIFIED", ev->so);
		else if (now)
			emit(w, "ADDED", ev->so);
		else if (before)
			emit(w, "DELETED", ev->so);
		break;
	case STORE_DELETED:
		if (now || before)
			emit(w, "DELETED", ev->so);
		break;
	}
	return 0;
}

static void emit_expired(struct watch *w, uint64_t oldest)
{
	sbuf_printf(&w->out,
		    "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
		    "\"metadata\":{},\"status\":\"Failure\",\"message\":\"too old resource "
		    "version: %llu (%llu)\",\"reason\":\"Expired\",\"code\":410}}\n",
		    (unsigned long long)w->cursor, (unsigned long long)oldest);
	w->done = true;
}

static void emit_bookmark(struct watch *w)
{
	sbuf_printf(&w->out,
		    "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"%s\",\"apiVersion\":\"%s\","
		    "\"metadata\":{\"resourceVersion\":\"%llu\"}}}\n",
		    w->view->kind, w->view->api_version, (unsigned long long)w->cursor);
}

static bool peer_gone(int fd)
{
	struct pollfd p = {fd, POLLRDHUP, 0};

	return fd >= 0 && poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

/* Collects new events into w->out; lock taken here. */
static void watch_poll(struct watch *w)
{
	int n;

	store_lock(w->st);
	n = store_events_after(w->st, w->cursor, w->rt, on_event, w);
	if (n < 0)
		emit_expired(w, store_oldest_rv(w->st));
	else
		w->cursor = w->st->rv;
	store_unlock(w->st);
}

/* Up to max bytes of what is pending; the buffer is reused once drained. */
static ssize_t watch_send(struct watch *w, char *buf, size_t max, int64_t now)
{
	size_t n = w->out.len - w->off;

	if (n > max)
		n = max;
	memcpy(buf, w->out.data + w->off, n);
	w->off += n;
	if (w->off == w->out.len)
		w->off = w->out.len = 0;
	w->last_send = now;
	return (ssize_t)n;
}

/* Done, the server stopping, the timeout reached or the client gone. */
static bool watch_over(struct watch *w, int64_t now)
{
	return w->done || atomic_load(w->stopping) || now >= w->deadline || peer_gone(w->fd);
}

static ssize_t watch_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct watch *w = cls;

	(void)pos;
	for (;;) {
		int64_t now = mono_ms(), wait;

		if (w->off < w->out.len)
			return watch_send(w, buf, max, now);
		if (watch_over(w, now))
			return MHD_CONTENT_READER_END_OF_STREAM;
		watch_poll(w);
		if (w->out.len)
			continue;
		if (w->bookmarks && now - w->last_send > 10000) {
			emit_bookmark(w);
			continue;
		}
		wait = w->deadline - now;
		store_wait(w->st, w->cursor, (int)(wait < 500 ? wait : 500));
	}
}

static void watch_free(void *cls)
{
	struct watch *w = cls;

	selector_free(w->lsel);
	selector_free(w->fsel);
	sbuf_dispose(&w->out);
	free(w);
}

/* Synthetic ADDED for every matching object (RV unset or "0"); lock held. */
static void initial_events(struct watch *w)
{
	struct entry **arr;
	size_t i, n;

	n = store_entries(w->st, w->rt, w->ns[0] ? w->ns : NULL, &arr);
	for (i = 0; i < n; i++)
		if (watch_matches(w, arr[i]->so->obj))
			emit(w, "ADDED", arr[i]->so);
	free(arr);
	w->cursor = w->st->rv;
}

/* Where the watch starts: every object as ADDED (no resourceVersion, or "0"), else
 * the events after rv, or 410 Expired when they are gone. Lock held. */
static void watch_begin(struct watch *w, const char *rv)
{
	if (!rv || !*rv || strcmp(rv, "0") == 0) {
		initial_events(w);
		return;
	}
	w->cursor = strtoull(rv, NULL, 10);
	if (store_events_after(w->st, w->cursor, w->rt, on_event, w) < 0) {
		w->out.len = 0;
		emit_expired(w, store_oldest_rv(w->st));
	} else {
		w->cursor = w->st->rv;
	}
}

/* The chunked response that streams the watch; it owns w, even when it fails. */
static enum MHD_Result watch_reply(struct req *r, struct watch *w)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;

	if (r->latency_ms > 0) {
		struct timespec ts = {r->latency_ms / 1000, (long)(r->latency_ms % 1000) * 1000000L};

		nanosleep(&ts, NULL);
	}
	resp = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 32 * 1024, watch_read, w,
						 watch_free);
	if (!resp) {
		watch_free(w);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json");
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	ret = MHD_queue_response(r->con, 200, resp);
	MHD_destroy_response(resp);
	r->code = 200;
	return ret;
}

enum MHD_Result api_watch_start(struct req *r, struct route *ro)
{
	const char *to = req_arg(r, "timeoutSeconds"), *bm = req_arg(r, "allowWatchBookmarks");
	const union MHD_ConnectionInfo *ci;
	struct watch *w;
	char err[512];
	long secs = to ? strtol(to, NULL, 10) : 0;

	strcpy(r->verb, "WATCH");
	w = calloc(1, sizeof(*w));
	if (!w)
		abort();
	w->st = r->st;
	w->rt = ro->rt;
	w->view = ro->view;
	snprintf(w->ns, sizeof(w->ns), "%s", ro->ns);
	snprintf(w->name, sizeof(w->name), "%s", ro->name);
	w->stopping = r->stopping;
	w->bookmarks = query_bool(bm);
	w->table = api_wants_table(r);
	if (api_selectors(r, ro->rt, &w->lsel, &w->fsel, err, sizeof(err)) < 0) {
		watch_free(w);
		return reply_error(r, 400, "BadRequest", "%s", err);
	}
	w->deadline = mono_ms() + (secs > 0 ? secs : 1800) * 1000;
	w->last_send = mono_ms();
	ci = MHD_get_connection_info(r->con, MHD_CONNECTION_INFO_CONNECTION_FD);
	w->fd = ci ? ci->connect_fd : -1;
	store_lock(r->st);
	watch_begin(w, req_arg(r, "resourceVersion"));
	store_unlock(r->st);
	return watch_reply(r, w);
}
