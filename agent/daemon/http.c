/*
 * http: the agent's endpoints on libmicrohttpd's own thread: /metrics, /healthz,
 * /readyz, /status and POST /webhook. Handlers only read a snapshot of the stats or
 * mark apps due under the daemon's lock; they never call Git or the cluster, so a slow
 * sync cannot make a probe time out. Webhook bodies are capped.
 *
 * The listener must stay up for the liveness probe whatever clients do: one epoll
 * thread serves thousands of connections (idle ones cost a file descriptor and a small
 * buffer), one address may hold only part of them, a connection that sends nothing for
 * a while is closed, a declared body over the cap is refused before it is read, and
 * refused webhooks are logged at most once a second per address.
 */
#include <errno.h>
#include <stdio.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>

#include "daemon_int.h"
#include "log.h"

#define WEBHOOK_MAX_BODY ((size_t)1 << 20)
#define HTTP_MAX_CONNS 4096    /* at most, file descriptors permitting */
#define HTTP_FD_RESERVE 256    /* descriptors left for Git, the cluster and logs */
#define HTTP_IDLE_TIMEOUT_S 10 /* a connection silent this long is closed */
#define HTTP_CONN_MEMORY 16384 /* per connection: headers and the read buffer */
#define REFUSED_LOG_SOURCES 256

struct upload {
	struct buf body;
};

static enum MHD_Result reply(struct MHD_Connection *con, unsigned code, const char *ctype,
			     const char *text)
{
	struct MHD_Response *r =
	    MHD_create_response_from_buffer(strlen(text), (void *)text, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result ret;

	if (!r)
		return MHD_NO;
	MHD_add_response_header(r, "Content-Type", ctype);
	ret = MHD_queue_response(con, code, r);
	MHD_destroy_response(r);
	return ret;
}

static enum MHD_Result reply_buf(struct MHD_Connection *con, unsigned code, const char *ctype,
				 struct buf *b)
{
	enum MHD_Result ret = reply(con, code, ctype, b->data ? b->data : "");

	buf_dispose(b);
	return ret;
}

/* A copy of every app's stats, taken under the lock. */
static struct app_stats *snapshot(struct daemon *d, size_t *n, bool *leader)
{
	struct app_stats *s;

	pthread_mutex_lock(&d->mu);
	*n = d->n_apps;
	s = calloc(*n ? *n : 1, sizeof(*s));
	for (size_t i = 0; s && i < *n; i++)
		s[i] = d->apps[i].st;
	pthread_mutex_unlock(&d->mu);
	*leader = !d->leader || leader_is_leader(d->leader);
	return s;
}

static enum MHD_Result serve_stats(struct daemon *d, struct MHD_Connection *con, bool metrics)
{
	struct shard_view sv, *view = NULL;
	struct app_stats *s;
	struct buf b;
	size_t n;
	bool leader;
	int rc;

	if (!(s = snapshot(d, &n, &leader)))
		return reply(con, 500, "text/plain", "out of memory\n");
	buf_init(&b, (size_t)16 << 20);
	if (d->shard && shard_view_fill(d->shard, s, n, &sv) == 0)
		view = &sv;
	rc = metrics ? metrics_render(s, n, leader, view, &b)
		     : status_render(s, n, leader, view, &b);
	shard_view_dispose(view);
	free(s);
	if (rc < 0) {
		buf_dispose(&b);
		return reply(con, 500, "text/plain", "out of memory\n");
	}
	return reply_buf(con, 200,
			 metrics ? "text/plain; version=0.0.4; charset=utf-8" : "application/json",
			 &b);
}

/* Ready once every app was synced or reported an error; a standby is ready too. */
static enum MHD_Result serve_ready(struct daemon *d, struct MHD_Connection *con)
{
	size_t waiting = 0;
	char msg[128];

	if (d->leader && !leader_is_leader(d->leader))
		return reply(con, 200, "text/plain", "ok (standby)\n");
	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < d->n_apps; i++)
		waiting += !d->apps[i].st.reported;
	pthread_mutex_unlock(&d->mu);
	if (!waiting)
		return reply(con, 200, "text/plain", "ok\n");
	snprintf(msg, sizeof(msg), "%zu app(s) not synced yet\n", waiting);
	return reply(con, 503, "text/plain", msg);
}

static const char *header_of(void *ctx, const char *name)
{
	return MHD_lookup_connection_value(ctx, MHD_HEADER_KIND, name);
}

/* Marks the apps the push concerns as due and wakes the loop. */
static size_t trigger(struct daemon *d, const struct webhook_push *p)
{
	size_t n = 0;

	pthread_mutex_lock(&d->mu);
	for (size_t i = 0; i < d->n_apps; i++) {
		if (!webhook_matches(p, &d->apps[i].cfg))
			continue;
		d->apps[i].triggered = true;
		d->apps[i].triggered_ms = now_ms();
		n++;
	}
	if (n)
		pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	return n;
}

/* The client's address, for logs ("?" when unknown). */
static void client_addr(struct MHD_Connection *con, char *out, size_t n)
{
	const union MHD_ConnectionInfo *ci =
	    MHD_get_connection_info(con, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const struct sockaddr *sa = ci ? ci->client_addr : NULL;

	snprintf(out, n, "?");
	if (sa && sa->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, out, (socklen_t)n);
	else if (sa && sa->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, out,
			  (socklen_t)n);
}

/* One line per second per address: a flood of forged requests must not flood the log. */
static void log_refused(struct daemon *d, struct MHD_Connection *con, const char *why)
{
	char source[64], count[LOG_NUM_LEN];
	long suppressed;

	client_addr(con, source, sizeof(source));
	if (!ratelog_allow(d->refused, source, now_ms(), &suppressed))
		return;
	log_kv(LOG_WARN, "webhook refused", "source", source, "error", why, "suppressed",
	       log_num(count, (double)suppressed), NULL);
}

static enum MHD_Result serve_webhook(struct daemon *d, struct MHD_Connection *con, struct upload *u)
{
	struct webhook_push p;
	struct err e;
	char *secret, msg[256];
	size_t n;
	int rc;

	pthread_mutex_lock(&d->mu);
	secret = xstrdup(d->secret);
	pthread_mutex_unlock(&d->mu);
	err_clear(&e);
	rc = webhook_parse(header_of, con, u->body.data ? u->body.data : "", u->body.len, secret,
			   &p, &e);
	free(secret);
	if (rc < 0) {
		log_refused(d, con, e.msg);
		snprintf(msg, sizeof(msg), "%s\n", e.msg);
		return reply(con, rc == TE_REJECTED ? 401 : 400, "text/plain", msg);
	}
	n = trigger(d, &p);
	log_num(msg, (double)n);
	log_kv(LOG_INFO, "webhook", "provider",
	       p.provider == WEBHOOK_GITHUB   ? "github"
	       : p.provider == WEBHOOK_GITLAB ? "gitlab"
					      : "generic",
	       "triggered", msg, NULL);
	snprintf(msg, sizeof(msg), "{\"triggered\":%zu}\n", n);
	webhook_push_dispose(&p);
	return reply(con, n ? 200 : 202, "application/json", msg);
}

/* A Content-Length over the cap is refused before a byte of the body is read. */
static bool declared_too_large(struct MHD_Connection *con)
{
	const char *cl = MHD_lookup_connection_value(con, MHD_HEADER_KIND, "Content-Length");
	unsigned long long n;
	char *end;

	if (!cl)
		return false;
	n = strtoull(cl, &end, 10);
	return end != cl && n > WEBHOOK_MAX_BODY;
}

/* Accumulates the body (capped), then answers on the last call. */
static enum MHD_Result on_webhook(struct daemon *d, struct MHD_Connection *con, const char *data,
				  size_t *size, void **cls)
{
	struct upload *u = *cls;

	if (!u) {
		if (declared_too_large(con))
			return reply(con, 413, "text/plain", "body too large\n");
		if (!(u = calloc(1, sizeof(*u))))
			return MHD_NO;
		buf_init(&u->body, WEBHOOK_MAX_BODY);
		*cls = u;
		return MHD_YES;
	}
	if (*size) {
		/* a body without a length that passes the cap: the connection goes, rather
		 * than reading the rest only to refuse it */
		if (buf_append(&u->body, data, *size) < 0)
			return MHD_NO;
		*size = 0;
		return MHD_YES;
	}
	return serve_webhook(d, con, u);
}

static void on_done(void *cls, struct MHD_Connection *con, void **ctx,
		    enum MHD_RequestTerminationCode code)
{
	struct upload *u = *ctx;

	if (u) {
		buf_dispose(&u->body);
		free(u);
		*ctx = NULL;
	}
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *con, const char *url,
				  const char *method, const char *version, const char *data,
				  size_t *size, void **ctx)
{
	struct daemon *d = cls;
	bool get = !strcmp(method, "GET") || !strcmp(method, "HEAD");

	if (!strcmp(url, "/webhook")) {
		if (strcmp(method, "POST") != 0)
			return reply(con, 405, "text/plain", "use POST\n");
		return on_webhook(d, con, data, size, ctx);
	}
	if (!get)
		return reply(con, 405, "text/plain", "method not allowed\n");
	if (!strcmp(url, "/healthz"))
		return reply(con, 200, "text/plain", "ok\n");
	if (!strcmp(url, "/readyz"))
		return serve_ready(d, con);
	if (!strcmp(url, "/metrics"))
		return serve_stats(d, con, true);
	if (!strcmp(url, "/status"))
		return serve_stats(d, con, false);
	return reply(con, 404, "text/plain", "not found\n");
}

static int parse_listen(const char *listen, struct sockaddr_in *sa, struct err *e)
{
	const char *colon = strrchr(listen, ':');
	char host[64];
	char *end;
	long port;

	if (!colon || (size_t)(colon - listen) >= sizeof(host))
		return err_set(e, TE_INPUT, "--listen %s: expected HOST:PORT", listen);
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	port = strtol(colon + 1, &end, 10);
	if (*end || end == colon + 1 || port < 0 || port > 65535)
		return err_set(e, TE_INPUT, "--listen %s: bad port", listen);
	memset(sa, 0, sizeof(*sa));
	sa->sin_family = AF_INET;
	sa->sin_port = htons((uint16_t)port);
	if (!*host || !strcmp(host, "0.0.0.0"))
		sa->sin_addr.s_addr = htonl(INADDR_ANY);
	else if (inet_pton(AF_INET, !strcmp(host, "localhost") ? "127.0.0.1" : host,
			   &sa->sin_addr) != 1)
		return err_set(e, TE_INPUT, "--listen %s: not an IPv4 address", listen);
	return 0;
}

/* Connections the listener accepts: raises the soft descriptor limit as far as the hard
 * one allows (up to what we need) and keeps a reserve for the rest of the agent. */
static unsigned conn_limit(void)
{
	struct rlimit rl;
	rlim_t want = HTTP_MAX_CONNS + HTTP_FD_RESERVE;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return 64;
	if (rl.rlim_cur < want) {
		rl.rlim_cur = rl.rlim_max < want ? rl.rlim_max : want;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur <= HTTP_FD_RESERVE + 64)
		return 64;
	return rl.rlim_cur - HTTP_FD_RESERVE > HTTP_MAX_CONNS
		   ? HTTP_MAX_CONNS
		   : (unsigned)(rl.rlim_cur - HTTP_FD_RESERVE);
}

/* Why the listener could not bind sa: libmicrohttpd does not say, so the bind is tried
 * once more to read errno. */
static const char *listen_why(const struct sockaddr_in *sa)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1, err = 0;

	if (fd < 0)
		return strerror(errno);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)sa, sizeof(*sa)) < 0)
		err = errno;
	close(fd);
	if (err == EADDRINUSE)
		return "address already in use (another process listens there)";
	if (err == EACCES)
		return "permission denied (ports below 1024 need root or CAP_NET_BIND_SERVICE)";
	if (err == EADDRNOTAVAIL)
		return "the address is not one of this host's";
	return err ? strerror(err) : "the HTTP server did not start";
}

int http_start(struct daemon *d, const char *listen, char *url, size_t n, struct err *e)
{
	struct sockaddr_in sa;
	const union MHD_DaemonInfo *info;
	char host[64];
	unsigned limit;
	int rc;

	if ((rc = parse_listen(listen, &sa, e)) < 0)
		return rc;
	if (!(d->refused = ratelog_new(REFUSED_LOG_SOURCES, 1000)))
		return err_set(e, TE_NOMEM, "out of memory");
	limit = conn_limit();
	/* Half the connections per address: one client cannot take the probe's place,
	 * and a node-local prober sharing an address with busy clients still gets in. */
	d->http = MHD_start_daemon(
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_AUTO, 0, NULL, NULL, on_request, d,
	    MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_NOTIFY_COMPLETED, on_done, d,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_IDLE_TIMEOUT_S,
	    MHD_OPTION_CONNECTION_LIMIT, limit, MHD_OPTION_PER_IP_CONNECTION_LIMIT, limit / 2 + 1,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONN_MEMORY,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned)1024, MHD_OPTION_END);
	if (!d->http)
		return err_set(e, TE_FAIL, "cannot listen on %s: %s", listen, listen_why(&sa));
	info = MHD_get_daemon_info(d->http, MHD_DAEMON_INFO_BIND_PORT);
	inet_ntop(AF_INET, &sa.sin_addr, host, sizeof(host));
	snprintf(url, n, "http://%s:%u", host, info ? (unsigned)info->port : ntohs(sa.sin_port));
	return 0;
}

void http_stop(struct daemon *d)
{
	if (d->http)
		MHD_stop_daemon(d->http);
	d->http = NULL;
	ratelog_free(d->refused);
	d->refused = NULL;
}
