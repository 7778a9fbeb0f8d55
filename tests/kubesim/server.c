/*
 * server: libmicrohttpd in thread-per-connection mode, so a slow request (injected
 * latency, a watch stream) never holds up another. Here: body collection, TLS client
 * verification, bearer tokens, latency and fault injection, /metrics, routing.
 * Faults hit only resource requests (/api/v1/..., /apis/G/V/...), never /version,
 * discovery, OpenAPI or /metrics: a real server can fail those too, but kubectl then
 * fails whole commands instead of retrying, which makes tests flaky for no insight.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#include "oom.h"
#include "reply.h"
#include "server.h"

/* MaxRequestBodyBytes of the apiserver (pkg/server/config.go): 3 MiB. */
#define MAX_BODY (3u << 20)
#define MAX_METRICS 512

struct metric {
	char verb[24];
	char resource[128];
	int code;
	uint64_t n;
};

struct server {
	struct MHD_Daemon *d;
	struct store *st;
	struct server_opts o;
	int port;
	atomic_bool stopping; /* read by watch streams on MHD threads */
	pthread_mutex_t mu; /* metrics and the fault PRNG */
	struct metric metrics[MAX_METRICS];
	int nmetrics;
	uint64_t rng;
};

/* ---- metrics ----------------------------------------------------------------------- */

static void metrics_count(struct server *srv, const struct req *r)
{
	int i;

	if (!r->verb[0] || !r->code)
		return;
	pthread_mutex_lock(&srv->mu);
	for (i = 0; i < srv->nmetrics; i++) {
		struct metric *m = &srv->metrics[i];

		if (m->code == r->code && strcmp(m->verb, r->verb) == 0 &&
		    strcmp(m->resource, r->resource) == 0) {
			m->n++;
			goto out;
		}
	}
	if (srv->nmetrics < MAX_METRICS) {
		struct metric *m = &srv->metrics[srv->nmetrics++];

		snprintf(m->verb, sizeof(m->verb), "%s", r->verb);
		snprintf(m->resource, sizeof(m->resource), "%s", r->resource);
		m->code = r->code;
		m->n = 1;
	}
out:
	pthread_mutex_unlock(&srv->mu);
}

static enum MHD_Result metrics_reply(struct req *r)
{
	struct server *srv = r->srv;
	struct sbuf b = {0};
	enum MHD_Result ret;
	int i;

	sbuf_puts(&b, "# HELP apiserver_request_total Counter of apiserver requests broken out "
		      "for each verb, resource and HTTP response code.\n"
		      "# TYPE apiserver_request_total counter\n");
	pthread_mutex_lock(&srv->mu);
	for (i = 0; i < srv->nmetrics; i++) {
		struct metric *m = &srv->metrics[i];

		sbuf_printf(&b, "apiserver_request_total{code=\"%d\",resource=\"%s\",verb=\"%s\"} %llu\n",
			    m->code, m->resource, m->verb, (unsigned long long)m->n);
	}
	pthread_mutex_unlock(&srv->mu);
	sbuf_printf(&b, "# TYPE kubesim_resource_version gauge\nkubesim_resource_version %llu\n",
		    (unsigned long long)store_rv(r->st));
	ret = reply_raw(r, 200, "text/plain; version=0.0.4", b.data, b.len);
	sbuf_dispose(&b);
	return ret;
}

/* ---- auth and faults ----------------------------------------------------------------- */

enum { FAULT_RESET = -1, FAULT_DROP = -2 };

static bool is_open_path(const char *url)
{
	return strcmp(url, "/metrics") == 0 || strcmp(url, "/healthz") == 0 ||
	       strcmp(url, "/readyz") == 0 || strcmp(url, "/livez") == 0;
}

static bool is_resource_path(const char *url);

typedef int (*verify_fn)(gnutls_session_t, unsigned int *);
typedef const gnutls_datum_t *(*peers_fn)(gnutls_session_t, unsigned int *);

struct cert_bufs {
	char cn[256];
	char orgs[AUTH_MAX_GROUPS][128];
};

/* GnuTLS is libmicrohttpd's TLS engine; we reach it through the already-loaded library
 * rather than linking it, to keep the Makefile's package list. */
static void client_cert(struct req *r, struct auth_creds *c, struct cert_bufs *cb)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->con, MHD_CONNECTION_INFO_GNUTLS_SESSION);
	static verify_fn verify;
	static peers_fn peers;
	const gnutls_datum_t *list;
	unsigned int status = 0, n = 0;

	if (!verify)
		verify = (verify_fn)dlsym(RTLD_DEFAULT, "gnutls_certificate_verify_peers2");
	if (!peers)
		peers = (peers_fn)dlsym(RTLD_DEFAULT, "gnutls_certificate_get_peers");
	if (!ci || !verify || !peers)
		return;
	list = peers((gnutls_session_t)ci->tls_session, &n);
	if (!list || n == 0)
		return;
	if (verify((gnutls_session_t)ci->tls_session, &status) != 0)
		status = 1;
	auth_creds_set_cert(c, list[0].data, list[0].size, status == 0, cb->cn, sizeof(cb->cn),
			    cb->orgs);
}

static enum MHD_Result impersonation_header(void *cls, enum MHD_ValueKind kind, const char *key,
					    const char *value)
{
	struct auth_impersonation *im = cls;

	(void)kind;
	if (!value)
		return MHD_YES;
	if (strcasecmp(key, "Impersonate-User") == 0)
		im->user = value;
	else if (strcasecmp(key, "Impersonate-Uid") == 0)
		im->uid = value;
	else if (strcasecmp(key, "Impersonate-Group") == 0 && im->ngroups < AUTH_MAX_GROUPS)
		im->groups[im->ngroups++] = value;
	else if (strncasecmp(key, "Impersonate-Extra-", 18) == 0 && im->nextras < AUTH_MAX_EXTRAS) {
		size_t i;

		for (i = 0; key[18 + i] && i + 1 < sizeof(im->extra_keys[0]); i++)
			im->extra_keys[im->nextras][i] = (char)tolower((unsigned char)key[18 + i]);
		im->extra_keys[im->nextras][i] = '\0';
		im->extra_values[im->nextras++] = value;
	}
	return MHD_YES;
}

/* Authentication, impersonation, then authorization of the request's attributes (§1-§2). */
static int auth_gate(struct req *r, struct kstatus *e)
{
	struct auth_creds c = {0};
	struct auth_impersonation im = {0};
	struct cert_bufs cb;
	struct auth_reqinfo ri;
	char reason[1024];

	c.authorization = req_header(r, "Authorization");
	if (r->srv->o.client_ca)
		client_cert(r, &c, &cb);
	if (auth_authenticate(r->srv->o.auth, &c, &r->user, e) < 0)
		return -1;
	MHD_get_connection_values(r->con, MHD_HEADER_KIND, impersonation_header, &im);
	if (auth_impersonate(r->srv->o.auth, &r->user, &im, e) < 0)
		return -1;
	auth_reqinfo_parse(&ri, r->method, r->url, req_arg(r, "watch"), req_arg(r, "fieldSelector"));
	if (!auth_allowed(r->srv->o.auth, &r->user, &ri, reason, sizeof(reason)))
		return auth_forbidden(e, &r->user, &ri, reason);
	return 0;
}

/* 401 and 403; a Forbidden Status always carries details, empty for a path. */
static enum MHD_Result auth_reply(struct req *r, struct kstatus *e)
{
	cJSON *s;
	int code = e->code;

	strcpy(r->verb, r->method);
	if (code == 500) { /* impersonation.go answers with responsewriters.InternalError */
		char *text = NULL;
		int n = asprintf(&text, "Internal Server Error: \"%s\": %s", r->url, e->message);

		kstatus_dispose(e);
		return n < 0 ? MHD_NO : reply_take(r, 500, "text/plain; charset=utf-8", text, (size_t)n);
	}
	s = kstatus_to_json(e);
	if (is_resource_path(r->url))
		api_name_resource(r); /* for /metrics */
	if (e->code == 403 && !cJSON_GetObjectItem(s, "details")) {
		cJSON *c = cJSON_DetachItemFromObject(s, "code");

		cJSON_AddObjectToObject(s, "details");
		cJSON_AddItemToObject(s, "code", c);
	}
	kstatus_dispose(e);
	return reply_json(r, code, s);
}

static uint64_t rng_next(struct server *srv)
{
	uint64_t x;

	pthread_mutex_lock(&srv->mu);
	x = srv->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	srv->rng = x;
	pthread_mutex_unlock(&srv->mu);
	return x;
}

static bool is_resource_path(const char *url)
{
	if (strncmp(url, "/api/v1/", 8) == 0)
		return true;
	if (strncmp(url, "/apis/", 6) == 0) {
		int slashes = 0;

		for (const char *p = url + 6; *p; p++)
			slashes += *p == '/';
		return slashes >= 2;
	}
	return false;
}

/* Whether method is in the comma-separated list (NULL: every method). */
static bool method_listed(const char *list, const char *method)
{
	size_t n = strlen(method);
	const char *p = list;

	if (!list)
		return true;
	while (*p) {
		size_t len = strcspn(p, ",");

		if (len == n && strncasecmp(p, method, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* Returns 0 for no fault, an HTTP code, FAULT_RESET or FAULT_DROP. */
static int fault_pick(struct server *srv, const char *url, const char *method)
{
	const struct server_opts *o = &srv->o;
	double x;

	if (o->p500 + o->p503 + o->p429 + o->preset + o->pdrop <= 0 || !is_resource_path(url))
		return 0;
	if (!method_listed(o->faults_methods, method) ||
	    (o->faults_while && access(o->faults_while, F_OK) != 0))
		return 0;
	x = (double)(rng_next(srv) >> 11) / (double)(1ull << 53);
	if (x < o->p500)
		return 500;
	x -= o->p500;
	if (x < o->p503)
		return 503;
	x -= o->p503;
	if (x < o->p429)
		return 429;
	x -= o->p429;
	if (x < o->preset)
		return FAULT_RESET;
	x -= o->preset;
	if (x < o->pdrop)
		return FAULT_DROP;
	return 0;
}

static enum MHD_Result fault_reply(struct req *r, int code)
{
	strcpy(r->verb, r->method);
	if (code == 500)
		return reply_error(r, 500, "InternalError",
				   "Internal error occurred: injected fault");
	if (code == 503)
		return reply_error(r, 503, "ServiceUnavailable",
				   "the server is currently unable to handle the request");
	return reply_error(r, 429, "TooManyRequests",
			   "the server has received too many requests and has asked us to try "
			   "again later");
}

/* ---- the request handler --------------------------------------------------------------- */

static bool is_health_path(const char *url)
{
	return strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 ||
	       strcmp(url, "/livez") == 0;
}

/* An injected fault: an error status, or (< 0) a connection closed without an answer. */
static enum MHD_Result fault_answer(struct req *r, int fault)
{
	api_name_resource(r); /* for /metrics */
	return fault < 0 ? MHD_NO : fault_reply(r, fault);
}

static enum MHD_Result dispatch(struct server *srv, struct req *r)
{
	bool handled = false;
	enum MHD_Result ret;
	int fault;

	if (!is_open_path(r->url)) {
		struct kstatus e = {0};

		if (auth_gate(r, &e) < 0)
			return auth_reply(r, &e);
	}
	if (strcmp(r->url, "/metrics") == 0) {
		strcpy(r->verb, "GET");
		return metrics_reply(r);
	}
	if (is_health_path(r->url)) {
		strcpy(r->verb, "GET");
		return reply_raw(r, 200, "text/plain", "ok", 2);
	}
	if ((fault = fault_pick(srv, r->url, r->method)) == FAULT_DROP)
		r->drop_answer = true; /* handled as usual; reply_mem then sends nothing */
	else if (fault != 0)
		return fault_answer(r, fault);
	ret = discovery_handle(r, &handled);
	if (handled)
		return ret;
	ret = review_handle(r, &handled);
	if (handled)
		return ret;
	ret = token_handle(r, &handled);
	if (handled)
		return ret;
	if (is_resource_path(r->url))
		return api_handle(r);
	strcpy(r->verb, strcmp(r->method, "GET") == 0 ? "GET" : r->method);
	return reply_error(r, 404, "NotFound", "the server could not find the requested resource");
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	struct req *r = *con_cls;
	enum MHD_Result ret;

	(void)version;
	if (!r) {
		r = calloc(1, sizeof(*r));
		if (!r)
			return MHD_NO;
		r->srv = srv;
		r->st = srv->st;
		r->con = con;
		r->method = method;
		r->url = url;
		r->latency_ms = srv->o.latency_ms;
		r->stopping = &srv->stopping;
		r->auth = srv->o.auth;
		*con_cls = r;
		return MHD_YES;
	}
	if (*upload_data_size) {
		/* the rest is read and dropped, so that the client gets the 413 */
		if (r->too_large || r->body.len + *upload_data_size > MAX_BODY)
			r->too_large = true;
		else
			sbuf_add(&r->body, upload_data, *upload_data_size);
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->code)
		return MHD_YES;
	if (!r->body.data)
		sbuf_add(&r->body, "", 0);
	oom_clear();
	/* The simulated round trip is spent before any handler takes the store lock, so
	 * that the delay of one request never holds up another. */
	req_start(r);
	if (r->too_large)
		ret = reply_error(r, 413, "RequestEntityTooLarge",
				  "Request entity too large: limit is %u", MAX_BODY);
	else
		ret = dispatch(srv, r);
	if (!r->code)
		r->code = ret == MHD_YES ? 200 : 0;
	return ret;
}

static void on_completed(void *cls, struct MHD_Connection *con, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	struct server *srv = cls;
	struct req *r = *con_cls;

	(void)con;
	(void)toe;
	if (!r)
		return;
	metrics_count(srv, r);
	sbuf_dispose(&r->body);
	free(r);
	*con_cls = NULL;
}

/* Nagle plus delayed ACKs would cap a sequential client at ~25 requests/s. */
static void on_connection(void *cls, struct MHD_Connection *con, void **socket_context,
			  enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci;
	int one = 1;

	(void)cls;
	(void)socket_context;
	if (toe != MHD_CONNECTION_NOTIFY_STARTED)
		return;
	ci = MHD_get_connection_info(con, MHD_CONNECTION_INFO_CONNECTION_FD);
	if (ci)
		setsockopt(ci->connect_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	(void)cls;
	(void)fmt;
	(void)ap; /* client resets and TLS chatter are normal here */
}

struct server *server_start(struct store *st, const struct server_opts *o,
			    const struct tls_material *tls, char *errbuf, size_t errlen)
{
	struct server *srv = calloc(1, sizeof(*srv));
	struct sockaddr_in sa = {0};
	unsigned flags = MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
			 MHD_USE_POLL | MHD_USE_ERROR_LOG;
	const union MHD_DaemonInfo *di;
	struct MHD_OptionItem opts[12];
	int n = 0;

	if (!srv)
		return NULL;
	srv->st = st;
	atomic_init(&srv->stopping, false);
	srv->o = *o;
	srv->rng = o->seed ? o->seed * 0x9E3779B97F4A7C15ull : 0x2545F4914F6CDD1Dull;
	pthread_mutex_init(&srv->mu, NULL);
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)o->port);
	if (inet_pton(AF_INET, strcmp(o->host, "localhost") == 0 ? "127.0.0.1" : o->host,
		      &sa.sin_addr) != 1) {
		snprintf(errbuf, errlen, "invalid listen address %s", o->host);
		goto fail;
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_SOCK_ADDR, 0, &sa};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)on_completed, srv};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)on_connection, srv};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_CONNECTION_TIMEOUT, 0, NULL};
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)on_mhd_log, NULL};
	if (o->tls) {
		flags |= MHD_USE_TLS;
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_KEY, 0, tls->server_key};
		opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_CERT, 0, tls->server_cert};
		if (o->client_ca)
			opts[n++] = (struct MHD_OptionItem){MHD_OPTION_HTTPS_MEM_TRUST, 0,
							    tls->ca_cert};
	}
	opts[n++] = (struct MHD_OptionItem){MHD_OPTION_END, 0, NULL};
	srv->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, srv, MHD_OPTION_ARRAY, opts,
				  MHD_OPTION_END);
	if (!srv->d) {
		snprintf(errbuf, errlen, "cannot listen on %s:%d", o->host, o->port);
		goto fail;
	}
	di = MHD_get_daemon_info(srv->d, MHD_DAEMON_INFO_BIND_PORT);
	srv->port = di ? di->port : o->port;
	return srv;
fail:
	free(srv);
	return NULL;
}

int server_port(const struct server *srv)
{
	return srv->port;
}

void server_stop(struct server *srv)
{
	if (!srv)
		return;
	atomic_store(&srv->stopping, true);
	/* Wake watch streams blocked in store_wait. */
	store_lock(srv->st);
	store_unlock(srv->st);
	MHD_stop_daemon(srv->d);
	pthread_mutex_destroy(&srv->mu);
	free(srv);
}
