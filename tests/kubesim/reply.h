/*
 * reply: one request as the handlers see it, and how they answer it. Shared by
 * server.c (which makes and routes requests) and the handlers (discovery.c, api*.c),
 * so neither needs the other's insides.
 */
#ifndef KUBESIM_REPLY_H
#define KUBESIM_REPLY_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

#include <microhttpd.h>

#include "auth.h"
#include "store.h"

/* A growable byte string for response bodies. */
struct sbuf {
	char *data;
	size_t len, cap;
};
void sbuf_add(struct sbuf *b, const char *s, size_t n);
/* Makes room for n more bytes. */
void sbuf_reserve(struct sbuf *b, size_t n);
void sbuf_puts(struct sbuf *b, const char *s);
void sbuf_printf(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sbuf_dispose(struct sbuf *b);

struct server;

struct req {
	struct server *srv;	/* opaque here: server.c's */
	struct store *st;
	struct MHD_Connection *con;
	const char *method, *url;
	struct sbuf body;
	char verb[24];		/* for metrics: GET LIST WATCH POST PUT PATCH APPLY DELETE */
	char resource[128];	/* for metrics */
	int code;		/* response code, for metrics */
	int latency_ms;
	const atomic_bool *stopping; /* set by server_stop from another thread */
	struct auth *auth;
	struct auth_user user;	/* who is asking, once authenticated */
	bool drop_answer;	/* the "drop" fault: carry the request out, answer nothing */
	bool too_large;		/* the body passed the request size limit (413) */
};

const char *req_arg(struct req *r, const char *key);
const char *req_header(struct req *r, const char *key);

/* Queue responses (they set r->code). */
enum MHD_Result reply_raw(struct req *r, int code, const char *ctype, const char *data,
			  size_t len);
/* Like reply_raw but takes data (malloc'd) instead of copying it. */
enum MHD_Result reply_take(struct req *r, int code, const char *ctype, char *data, size_t len);
enum MHD_Result reply_json(struct req *r, int code, cJSON *obj); /* takes obj */
enum MHD_Result reply_status(struct req *r, const struct kstatus *e);
enum MHD_Result reply_error(struct req *r, int code, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Adds an extra header to the next reply (e.g. Warning); copied. */
void reply_add_header(struct req *r, const char *name, const char *value);
/* Before a request is handled: drops headers left pending and spends the simulated
 * latency (which the first reply would otherwise spend). */
void req_start(struct req *r);

/* ---- the handlers' entry points (server.c calls them) ------------------------------ */

/* discovery.c: /version, /api, /apis..., /openapi/...; returns MHD_NO if not handled
 * (sets *handled false). */
enum MHD_Result discovery_handle(struct req *r, bool *handled);

/* review.c: POST of the access and self-subject review kinds (auth.h). */
enum MHD_Result review_handle(struct req *r, bool *handled);
/* rbac_escalate.c: RBAC writes of r through w are checked for escalation (§2.7). */
void auth_admit_wopts(struct req *r, struct store_wopts *w);
/* token.c: POST .../serviceaccounts/NAME/token (TokenRequest). */
enum MHD_Result token_handle(struct req *r, bool *handled);

/* api.c: /api/v1/... and /apis/G/V/... resource requests. */
enum MHD_Result api_handle(struct req *r);
/* Names r->resource (for /metrics) of a request that is answered without api_handle. */
void api_name_resource(struct req *r);

#endif
