/*
 * reply: what the handlers (api*.c, discovery.c) and server.c share about one request:
 * its arguments and headers, the growable body buffer and the queueing of responses
 * (JSON, Status objects, extra headers, the simulated latency). It knows nothing of
 * routing, authentication or faults (server.c) nor of resources (api*.c).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "oom.h"
#include "reply.h"

/* ---- sbuf ---------------------------------------------------------------------- */

void sbuf_reserve(struct sbuf *b, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t c = b->cap ? b->cap : 256;

		while (c < b->len + n + 1)
			c *= 2;
		b->data = realloc(b->data, c);
		if (!b->data)
			abort();
		b->cap = c;
	}
}

void sbuf_add(struct sbuf *b, const char *s, size_t n)
{
	sbuf_reserve(b, n);
	memcpy(b->data + b->len, s, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void sbuf_puts(struct sbuf *b, const char *s)
{
	sbuf_add(b, s, strlen(s));
}

void sbuf_printf(struct sbuf *b, const char *fmt, ...)
{
	char tmp[1024], *p = tmp;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof(tmp), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((size_t)n >= sizeof(tmp)) {
		p = malloc((size_t)n + 1);
		if (!p)
			abort();
		va_start(ap, fmt);
		vsnprintf(p, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	sbuf_add(b, p, (size_t)n);
	if (p != tmp)
		free(p);
}

void sbuf_dispose(struct sbuf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

/* ---- replies -------------------------------------------------------------------- */

struct pending_header {
	char name[64];
	char value[512];
};

static __thread struct pending_header extra_hdr[4];
static __thread int n_extra_hdr;

void reply_add_header(struct req *r, const char *name, const char *value)
{
	if (n_extra_hdr >= 4)
		return;
	snprintf(extra_hdr[n_extra_hdr].name, sizeof(extra_hdr[0].name), "%s", name);
	snprintf(extra_hdr[n_extra_hdr].value, sizeof(extra_hdr[0].value), "%s", value);
	n_extra_hdr++;
}

const char *req_arg(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->con, MHD_GET_ARGUMENT_KIND, key);
}

const char *req_header(struct req *r, const char *key)
{
	return MHD_lookup_connection_value(r->con, MHD_HEADER_KIND, key);
}

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	while (ms > 0 && nanosleep(&ts, &ts) != 0)
		;
}

/* The latency is spent once per request: here, or by the first reply. */
static void spend_latency(struct req *r)
{
	if (r->latency_ms > 0) {
		sleep_ms(r->latency_ms);
		r->latency_ms = 0;
	}
}

void req_start(struct req *r)
{
	n_extra_hdr = 0;
	spend_latency(r);
}

static enum MHD_Result reply_mem(struct req *r, int code, const char *ctype, char *data,
				 size_t len, enum MHD_ResponseMemoryMode mode);

enum MHD_Result reply_raw(struct req *r, int code, const char *ctype, const char *data,
			  size_t len)
{
	return reply_mem(r, code, ctype, (char *)data, len, MHD_RESPMEM_MUST_COPY);
}

enum MHD_Result reply_take(struct req *r, int code, const char *ctype, char *data, size_t len)
{
	return reply_mem(r, code, ctype, data, len, MHD_RESPMEM_MUST_FREE);
}

static enum MHD_Result reply_mem(struct req *r, int code, const char *ctype, char *data,
				 size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *resp;
	enum MHD_Result ret;
	int i;

	spend_latency(r);
	if (r->drop_answer) { /* the write happened; the client sees the connection close */
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(data);
		n_extra_hdr = 0;
		r->code = code;
		return MHD_NO;
	}
	if (oom_seen() && code < 500) { /* built after an allocation failed: never sent */
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(data);
		code = 500, ctype = "application/json", data = (char *)OOM_STATUS_BODY;
		len = sizeof(OOM_STATUS_BODY) - 1, mode = MHD_RESPMEM_PERSISTENT;
	}
	resp = MHD_create_response_from_buffer(len, (void *)data, mode);
	if (!resp) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(data);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", ctype);
	MHD_add_response_header(resp, "Cache-Control", "no-cache, private");
	for (i = 0; i < n_extra_hdr; i++)
		MHD_add_response_header(resp, extra_hdr[i].name, extra_hdr[i].value);
	n_extra_hdr = 0;
	if (code == 429 || code == 503)
		MHD_add_response_header(resp, "Retry-After", "1");
	ret = MHD_queue_response(r->con, (unsigned)code, resp);
	MHD_destroy_response(resp);
	r->code = code;
	return ret;
}

enum MHD_Result reply_json(struct req *r, int code, cJSON *obj)
{
	char *s = cJSON_PrintUnformatted(obj);

	cJSON_Delete(obj);
	if (!s)
		return MHD_NO;
	return reply_take(r, code, "application/json", s, strlen(s));
}

enum MHD_Result reply_status(struct req *r, const struct kstatus *e)
{
	return reply_json(r, e->code ? e->code : 500, kstatus_to_json(e));
}

enum MHD_Result reply_error(struct req *r, int code, const char *reason, const char *fmt, ...)
{
	struct kstatus e = {0};
	enum MHD_Result ret;
	va_list ap;

	e.code = code;
	snprintf(e.reason, sizeof(e.reason), "%s", reason);
	va_start(ap, fmt);
	vsnprintf(e.message, sizeof(e.message), fmt, ap);
	va_end(ap);
	ret = reply_status(r, &e);
	kstatus_dispose(&e);
	return ret;
}
