/*
 * server: kubesim's HTTP front (libmicrohttpd, one thread per connection): TLS and
 * authentication, injected latency and faults, /metrics, and the routing of each
 * request to discovery or to the resource handlers (api*.c).
 */
#ifndef KUBESIM_SERVER_H
#define KUBESIM_SERVER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include <microhttpd.h>

#include "auth.h"
#include "store.h"

struct server_opts {
	const char *host;	/* listen address, "127.0.0.1" */
	int port;		/* 0 = pick a free one */
	bool tls;
	bool client_ca;		/* require client certificates signed by our CA */
	const char *token;	/* bearer token required when set */
	struct auth *auth;	/* authentication and authorization (auth.h), required */
	int latency_ms;
	/* faults: probabilities per request (resource requests only) */
	double p500, p503, p429, preset;
	/* injected only while this file exists (a test turns an outage on and off) */
	const char *faults_while;
	/* injected only on these methods ("PATCH,POST"); NULL: every method. An API
	 * server's priority and fairness can throttle one flow (writes) and not others. */
	const char *faults_methods;
	uint64_t seed;
};

/* PEM material generated at start (tls.c). */
struct tls_material {
	char *ca_cert, *ca_key;
	char *server_cert, *server_key;
	char *client_cert, *client_key;
};

int tls_generate(struct tls_material *m, bool with_client, char *errbuf, size_t errlen);
void tls_material_dispose(struct tls_material *m);

struct server;

struct server *server_start(struct store *st, const struct server_opts *o,
			    const struct tls_material *tls, char *errbuf, size_t errlen);
int server_port(const struct server *srv);
void server_stop(struct server *srv);

/* ---- between server.c and the handlers ------------------------------------------ */

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

struct req {
	struct server *srv;
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

/* discovery.c: /version, /api, /apis..., /openapi/...; returns MHD_NO if not handled
 * (sets *handled false). */
enum MHD_Result discovery_handle(struct req *r, bool *handled);

/* review.c: POST of the access and self-subject review kinds (auth.h). */
enum MHD_Result review_handle(struct req *r, bool *handled);

/* api.c: /api/v1/... and /apis/G/V/... resource requests. */
enum MHD_Result api_handle(struct req *r);

/* api_watch.c */
struct selector;
enum MHD_Result api_watch(struct req *r, const struct restype *rt, const char *ns,
			  struct selector *lsel, struct selector *fsel);

/* api_select.c: label and field selectors. */
struct selector *selector_parse(const char *s, bool field, const struct restype *rt,
				char *errbuf, size_t errlen);
bool selector_match(const struct selector *sel, const cJSON *obj);
void selector_free(struct selector *sel);

#endif
