/*
 * Unit tests for the kube client against a tiny scripted HTTP server in this process
 * (libmicrohttpd on 127.0.0.1, one thread per connection): retries and what is never
 * retried, Retry-After, Status messages as errors, bounded parallelism, connection
 * reuse, bearer tokens, discovery (aggregated and legacy), paths, list paging, apply
 * and delete requests, and watch streams with bookmarks, reconnects and 410 Gone.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <microhttpd.h>

#include "kube_int.h"

#define AGG_CT "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList"

static struct {
	pthread_mutex_t mu;
	struct MHD_Daemon *d;
	int port;
	bool legacy;          /* discovery in the legacy format */
	const char *token;    /* required bearer token, NULL: none */
	int hits[16];         /* per scripted path */
	int inflight, max_inflight, connections;
	int disc_requests;
	char last_method[16], last_ct[128], last_query[512], last_body[4096], last_accept[512];
	int watch_conn;
	char watch_rv[64][64];
} S = {.mu = PTHREAD_MUTEX_INITIALIZER};

struct upload {
	char data[8192];
	size_t len;
};

static void sleep_ms(int ms)
{
	struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static enum MHD_Result reply(struct MHD_Connection *c, int code, const char *ct, const char *body,
			     const char *retry_after)
{
	struct MHD_Response *r =
		MHD_create_response_from_buffer(strlen(body), (void *)body, MHD_RESPMEM_MUST_COPY);
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", ct ? ct : "application/json");
	if (retry_after)
		MHD_add_response_header(r, "Retry-After", retry_after);
	rc = MHD_queue_response(c, (unsigned)code, r);
	MHD_destroy_response(r);
	return rc;
}

static int hit(int slot)
{
	int n;

	pthread_mutex_lock(&S.mu);
	n = ++S.hits[slot];
	pthread_mutex_unlock(&S.mu);
	return n;
}

static const char *agg_core =
	"{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":\"apidiscovery.k8s.io/v2\",\"items\":[{"
	"\"metadata\":{},\"versions\":[{\"version\":\"v1\",\"resources\":["
	"{\"resource\":\"configmaps\",\"scope\":\"Namespaced\",\"responseKind\":{\"group\":\"\",\"version\":\"\",\"kind\":\"ConfigMap\"}},"
	"{\"resource\":\"namespaces\",\"scope\":\"Cluster\",\"responseKind\":{\"kind\":\"Namespace\"},"
	"\"subresources\":[{\"subresource\":\"status\",\"responseKind\":{\"kind\":\"Namespace\"}}]}]}]}]}";
static const char *agg_apis =
	"{\"kind\":\"APIGroupDiscoveryList\",\"apiVersion\":\"apidiscovery.k8s.io/v2\",\"items\":[{"
	"\"metadata\":{\"name\":\"apps\"},\"versions\":[{\"version\":\"v1\",\"resources\":["
	"{\"resource\":\"deployments\",\"scope\":\"Namespaced\",\"responseKind\":{\"kind\":\"Deployment\"},"
	"\"subresources\":[{\"subresource\":\"status\",\"responseKind\":{\"kind\":\"Deployment\"}},"
	"{\"subresource\":\"scale\",\"responseKind\":{\"group\":\"autoscaling\",\"version\":\"v1\",\"kind\":\"Scale\"}}]}]}]}"
	"%s]}";
static const char *agg_crd =
	",{\"metadata\":{\"name\":\"example.com\"},\"versions\":[{\"version\":\"v1\",\"resources\":["
	"{\"resource\":\"widgets\",\"scope\":\"Namespaced\",\"responseKind\":{\"kind\":\"Widget\"}}]}]}";
static bool crd_installed;

static enum MHD_Result discovery(struct MHD_Connection *c, const char *url)
{
	char body[4096];

	pthread_mutex_lock(&S.mu);
	S.disc_requests++;
	pthread_mutex_unlock(&S.mu);
	if (!S.legacy) {
		if (!strcmp(url, "/api"))
			return reply(c, 200, AGG_CT, agg_core, NULL);
		snprintf(body, sizeof(body), agg_apis, crd_installed ? agg_crd : "");
		return reply(c, 200, AGG_CT, body, NULL);
	}
	if (!strcmp(url, "/api"))
		return reply(c, 200, NULL, "{\"kind\":\"APIVersions\",\"versions\":[\"v1\"]}", NULL);
	if (!strcmp(url, "/apis"))
		return reply(c, 200, NULL, "{\"kind\":\"APIGroupList\",\"groups\":[]}", NULL);
	if (!strcmp(url, "/api/v1"))
		return reply(c, 200, NULL,
			     "{\"kind\":\"APIResourceList\",\"groupVersion\":\"v1\",\"resources\":["
			     "{\"name\":\"configmaps\",\"namespaced\":true,\"kind\":\"ConfigMap\"}]}", NULL);
	if (!strcmp(url, "/apis/apps/v1"))
		return reply(c, 200, NULL,
			     "{\"kind\":\"APIResourceList\",\"groupVersion\":\"apps/v1\",\"resources\":["
			     "{\"name\":\"deployments\",\"namespaced\":true,\"kind\":\"Deployment\"},"
			     "{\"name\":\"deployments/status\",\"namespaced\":true,\"kind\":\"Deployment\"},"
			     "{\"name\":\"deployments/scale\",\"namespaced\":true,\"kind\":\"Scale\"}]}", NULL);
	return reply(c, 404, NULL, "{\"kind\":\"Status\",\"code\":404,\"message\":\"not found\"}", NULL);
}

/* Watch streams are sent a few bytes at a time to exercise incremental parsing. */
struct stream {
	char body[2048];
	size_t len, off;
};

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	struct stream *s = cls;
	size_t n = s->len - s->off;

	if (n == 0)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (n > 7)
		n = 7;
	if (n > max)
		n = max;
	memcpy(buf, s->body + s->off, n);
	s->off += n;
	return (ssize_t)n;
}

static enum MHD_Result watch(struct MHD_Connection *c)
{
	const char *rv = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "resourceVersion");
	struct stream *s = calloc(1, sizeof(*s));
	struct MHD_Response *r;
	enum MHD_Result rc;
	int n;

	pthread_mutex_lock(&S.mu);
	n = S.watch_conn++;
	snprintf(S.watch_rv[n % 64], 64, "%s", rv ? rv : "");
	pthread_mutex_unlock(&S.mu);
	if (n == 0) /* an event, a bookmark, then the server ends the stream */
		snprintf(s->body, sizeof(s->body),
			 "{\"type\":\"ADDED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"11\"}}}\n"
			 "{\"type\":\"BOOKMARK\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"resourceVersion\":\"12\"}}}\n");
	else if (n == 1) /* too old */
		snprintf(s->body, sizeof(s->body),
			 "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"code\":410,\"reason\":\"Expired\",\"message\":\"too old resource version: 12 (15)\"}}\n");
	else
		snprintf(s->body, sizeof(s->body),
			 "{\"type\":\"MODIFIED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\",\"resourceVersion\":\"21\"}}}\n"
			 "{\"type\":\"DELETED\",\"object\":{\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"b\",\"resourceVersion\":\"22\"}}}\n");
	s->len = strlen(s->body);
	r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 64, stream_read, s, free);
	MHD_add_response_header(r, "Content-Type", "application/json");
	rc = MHD_queue_response(c, 200, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result list_page(struct MHD_Connection *c)
{
	const char *cont = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "continue");

	if (!cont)
		return reply(c, 200, NULL,
			     "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"20\",\"continue\":\"p2\"},"
			     "\"items\":[{\"metadata\":{\"name\":\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}", NULL);
	if (!strcmp(cont, "p2"))
		return reply(c, 200, NULL,
			     "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"20\",\"continue\":\"p3\"},"
			     "\"items\":[{\"metadata\":{\"name\":\"c\"}}]}", NULL);
	return reply(c, 200, NULL,
		     "{\"kind\":\"ConfigMapList\",\"metadata\":{\"resourceVersion\":\"20\"},"
		     "\"items\":[{\"metadata\":{\"name\":\"d\"}}]}", NULL);
}

static void record(struct MHD_Connection *c, const char *method, const struct upload *up)
{
	const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Type");
	const char *fm = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "fieldManager");
	const char *force = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "force");
	const char *dry = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "dryRun");
	const char *sel = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "labelSelector");
	const char *acc = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");

	pthread_mutex_lock(&S.mu);
	snprintf(S.last_method, sizeof(S.last_method), "%s", method);
	snprintf(S.last_ct, sizeof(S.last_ct), "%s", ct ? ct : "");
	snprintf(S.last_accept, sizeof(S.last_accept), "%s", acc ? acc : "");
	snprintf(S.last_query, sizeof(S.last_query), "fm=%s force=%s dry=%s sel=%s", fm ? fm : "-",
		 force ? force : "-", dry ? dry : "-", sel ? sel : "-");
	snprintf(S.last_body, sizeof(S.last_body), "%.*s", (int)up->len, up->data);
	pthread_mutex_unlock(&S.mu);
}

static enum MHD_Result scripted(struct MHD_Connection *c, const char *url, const char *method)
{
	if (!strcmp(url, "/flaky") && hit(0) <= 2)
		return reply(c, 503, NULL, "{\"kind\":\"Status\",\"code\":503,\"message\":\"busy\"}", NULL);
	if (!strcmp(url, "/flaky"))
		return reply(c, 200, NULL, "{\"ok\":true}", NULL);
	if (!strcmp(url, "/r429") && hit(1) == 1)
		return reply(c, 429, NULL, "{\"kind\":\"Status\",\"code\":429,\"message\":\"slow down\"}", "1");
	if (!strcmp(url, "/r429"))
		return reply(c, 200, NULL, "{\"ok\":true}", NULL);
	if (!strcmp(url, "/always429")) {
		hit(6);
		return reply(c, 429, NULL, "{\"kind\":\"Status\",\"code\":429,\"reason\":\"TooManyRequests\",\"message\":\"slow down\"}", NULL);
	}
	if (!strcmp(url, "/bad400")) {
		hit(2);
		return reply(c, 400, NULL, "{\"kind\":\"Status\",\"code\":400,\"message\":\"bad request here\"}", NULL);
	}
	if (!strcmp(url, "/always500")) {
		hit(3);
		return reply(c, 500, NULL, "oops, plain text\nsecond line", NULL);
	}
	if (!strcmp(url, "/invalid")) {
		hit(4);
		return reply(c, 422, NULL,
			     "{\"kind\":\"Status\",\"code\":422,\"reason\":\"Invalid\",\"message\":"
			     "\"Deployment.apps \\\"web\\\" is invalid: spec.selector: Required value\"}", NULL);
	}
	if (!strcmp(url, "/typed500")) {
		/* what the API server answers an apply with a field its schema lacks */
		hit(12);
		return reply(c, 500, NULL,
			     "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"status\":\"Failure\","
			     "\"message\":\"failed to create typed patch object: .spec.foo: field not "
			     "declared in schema\",\"code\":500}", NULL);
	}
	if (!strcmp(url, "/internal500")) {
		hit(13);
		return reply(c, 500, NULL,
			     "{\"kind\":\"Status\",\"status\":\"Failure\",\"reason\":\"InternalError\","
			     "\"message\":\"Internal error occurred: etcd timeout\",\"code\":500}", NULL);
	}
	if (!strcmp(url, "/hang")) {
		hit(5);
		sleep_ms(1500);
		return reply(c, 200, NULL, "{}", NULL);
	}
	if (!strcmp(url, "/gz")) {
		/* gzip, as the API server answers large lists to clients accepting it */
		static const char gz[] = "\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff\xab\x56\x4a\xaf"
					 "\x52\xb2\x2a\x29\x2a\x4d\xad\x05\x00\x3d\xcc\x1d\xac\x0b"
					 "\x00\x00\x00";
		const char *ae = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept-Encoding");
		struct MHD_Response *r;
		enum MHD_Result rc;

		if (!ae || !strstr(ae, "gzip"))
			return reply(c, 200, NULL, "{\"gz\":false}", NULL);
		r = MHD_create_response_from_buffer(sizeof(gz) - 1, (void *)gz, MHD_RESPMEM_PERSISTENT);
		MHD_add_response_header(r, "Content-Type", "application/json");
		MHD_add_response_header(r, "Content-Encoding", "gzip");
		rc = MHD_queue_response(c, 200, r);
		MHD_destroy_response(r);
		return rc;
	}
	if (!strcmp(url, "/slow")) {
		pthread_mutex_lock(&S.mu);
		if (++S.inflight > S.max_inflight)
			S.max_inflight = S.inflight;
		pthread_mutex_unlock(&S.mu);
		sleep_ms(20);
		pthread_mutex_lock(&S.mu);
		S.inflight--;
		pthread_mutex_unlock(&S.mu);
		return reply(c, 200, NULL, "{\"slow\":1}", NULL);
	}
	return reply(c, 404, NULL, "{\"kind\":\"Status\",\"code\":404,\"message\":\"the server could not find the requested resource\"}", NULL);
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *data,
			       size_t *size, void **con_cls)
{
	struct upload *up = *con_cls;
	const char *auth, *w;

	if (!up) {
		*con_cls = calloc(1, sizeof(struct upload));
		return MHD_YES;
	}
	if (*size) {
		size_t n = *size < sizeof(up->data) - up->len ? *size : sizeof(up->data) - up->len;

		memcpy(up->data + up->len, data, n);
		up->len += n;
		*size = 0;
		return MHD_YES;
	}
	auth = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
	if (S.token) {
		char want[256];

		snprintf(want, sizeof(want), "Bearer %s", S.token);
		if (!auth || strcmp(auth, want) != 0)
			return reply(c, 401, NULL, "{\"kind\":\"Status\",\"code\":401,\"message\":\"Unauthorized\"}", NULL);
	}
	if (!strcmp(url, "/api") || !strcmp(url, "/apis") || !strcmp(url, "/api/v1") ||
	    !strcmp(url, "/apis/apps/v1") || !strcmp(url, "/apis/example.com/v1")) {
		record(c, method, up);
		return discovery(c, url);
	}
	record(c, method, up);
	w = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "watch");
	if (!strcmp(url, "/api/v1/namespaces/default/configmaps"))
		return w ? watch(c) : list_page(c);
	if (!strcmp(url, "/apis/apps/v1/namespaces/default/deployments/web"))
		return reply(c, 200, NULL, up->len ? up->data : "{}", NULL);
	return scripted(c, url, method);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	free(*con_cls);
	*con_cls = NULL;
}

static void notify_conn(void *cls, struct MHD_Connection *c, void **socket_context,
			enum MHD_ConnectionNotificationCode code)
{
	if (code == MHD_CONNECTION_NOTIFY_STARTED) {
		pthread_mutex_lock(&S.mu);
		S.connections++;
		pthread_mutex_unlock(&S.mu);
	}
}

static int server_start(void **state)
{
	const union MHD_DaemonInfo *info;

	S.d = MHD_start_daemon(MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD |
				       MHD_USE_ERROR_LOG,
			       0, NULL, NULL, handler, NULL, MHD_OPTION_NOTIFY_COMPLETED, completed,
			       NULL, MHD_OPTION_NOTIFY_CONNECTION, notify_conn, NULL,
			       MHD_OPTION_SOCK_ADDR, NULL, MHD_OPTION_END);
	if (!S.d)
		return -1;
	info = MHD_get_daemon_info(S.d, MHD_DAEMON_INFO_BIND_PORT);
	S.port = info->port;
	return 0;
}

static int server_stop(void **state)
{
	MHD_stop_daemon(S.d);
	return 0;
}

static struct kube *client(int parallel, int retries, int timeout_ms, const char *token)
{
	struct kube_config cfg = {0};
	struct kube_opts o = {.parallel = parallel, .retries = retries, .timeout_ms = timeout_ms};
	struct kube *k = NULL;
	struct err e;
	char server[64];

	snprintf(server, sizeof(server), "http://127.0.0.1:%d", S.port);
	cfg.server = server;
	cfg.namespace = "default";
	cfg.token = (char *)token;
	err_clear(&e);
	assert_int_equal(kube_new(&k, &cfg, &o, &e), 0);
	return k;
}

static struct kube_req *req_new(const char *method, const char *path)
{
	struct kube_req *r = calloc(1, sizeof(*r));

	r->method = method;
	r->path = strdup(path);
	return r;
}

static void req_free(struct kube_req *r)
{
	kube_req_dispose(r);
	free(r);
}

static void test_retries(void **state)
{
	struct kube *k = client(4, 5, 5000, NULL);
	struct kube_req *r[4] = {req_new("GET", "/flaky"), req_new("GET", "/bad400"),
				 req_new("GET", "/always500"), req_new("GET", "/invalid")};
	struct kube_stats st;

	memset(S.hits, 0, sizeof(S.hits));
	assert_int_equal(kube_run(k, r, 4, NULL, NULL), 0);
	/* 503 twice, then success */
	assert_int_equal(r[0]->status, 200);
	assert_int_equal(r[0]->attempts, 3);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r[0]->resp, "ok")));
	/* 4xx other than 429: once, never again */
	assert_int_equal(r[1]->status, 400);
	assert_int_equal(S.hits[2], 1);
	assert_int_equal(r[1]->err.code, TE_REJECTED);
	assert_string_equal(r[1]->err.msg, "bad request here");
	/* 5xx: 1 + retries attempts, then the error with the plain body's first line */
	assert_int_equal(r[2]->status, 500);
	assert_int_equal(S.hits[3], 6);
	assert_int_equal(r[2]->err.code, TE_UNREACHABLE);
	assert_non_null(strstr(r[2]->err.msg, "oops, plain text"));
	assert_null(strstr(r[2]->err.msg, "second line"));
	/* the Status message is the error */
	assert_int_equal(S.hits[4], 1);
	assert_string_equal(r[3]->err.msg, "Deployment.apps \"web\" is invalid: spec.selector: Required value");
	kube_get_stats(k, &st);
	assert_int_equal(st.retries, 2 + 5);
	assert_int_equal(st.requests, 3 + 1 + 6 + 1);
	assert_int_equal(st.gets, 4);
	for (int i = 0; i < 4; i++)
		req_free(r[i]);
	kube_free(k);
}

/* A 500 Status without a reason is the server failing on this request: final, rejected.
 * One with a reason (InternalError) is the server's trouble: retried, unreachable. */
static void test_final_500(void **state)
{
	struct kube *k = client(4, 2, 5000, NULL);
	struct kube_req *r[2] = {req_new("PATCH", "/typed500"), req_new("GET", "/internal500")};

	memset(S.hits, 0, sizeof(S.hits));
	assert_int_equal(kube_run(k, r, 2, NULL, NULL), 0);
	assert_int_equal(S.hits[12], 1);
	assert_int_equal(r[0]->attempts, 1);
	assert_int_equal(r[0]->err.code, TE_REJECTED);
	assert_non_null(strstr(r[0]->err.msg, "field not declared in schema"));
	assert_int_equal(S.hits[13], 3);
	assert_int_equal(r[1]->err.code, TE_UNREACHABLE);
	for (int i = 0; i < 2; i++)
		req_free(r[i]);
	kube_free(k);
}

static void test_retry_after(void **state)
{
	struct kube *k = client(2, 3, 5000, NULL);
	struct kube_req *r = req_new("GET", "/r429");
	int64_t t0 = now_ms();

	memset(S.hits, 0, sizeof(S.hits));
	assert_int_equal(kube_run(k, &r, 1, NULL, NULL), 0);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->attempts, 2);
	assert_true(now_ms() - t0 >= 950); /* Retry-After: 1 */
	req_free(r);
	kube_free(k);
}

/* 429 past the retries: the server never looked at the request, so it is unreachable
 * (exit 3, the commit is tried again later), never a rejection of its content. */
static void test_429_past_retries(void **state)
{
	struct kube *k = client(2, 2, 5000, NULL);
	struct kube_req *r = req_new("PATCH", "/always429");

	memset(S.hits, 0, sizeof(S.hits));
	kube_run(k, &r, 1, NULL, NULL);
	assert_int_equal(S.hits[6], 3);
	assert_int_equal(r->status, 429);
	assert_int_equal(r->err.code, TE_UNREACHABLE);
	assert_int_equal(err_exit_code(r->err.code), 3);
	assert_string_equal(r->err.msg, "slow down");
	req_free(r);
	kube_free(k);
}

static void test_timeout_and_unreachable(void **state)
{
	struct kube *k = client(2, 1, 300, NULL);
	struct kube_req *r = req_new("GET", "/hang");
	struct kube_config cfg = {.server = "http://127.0.0.1:1", .namespace = "default"};
	struct kube_opts o = {.retries = 2, .timeout_ms = 1000};
	struct kube *dead = NULL;
	struct err e;
	int64_t t0 = now_ms();

	memset(S.hits, 0, sizeof(S.hits));
	assert_int_equal(kube_run(k, &r, 1, NULL, NULL), TE_UNREACHABLE);
	assert_int_equal(r->status, 0);
	assert_int_equal(S.hits[5], 2); /* timed out twice (1 + 1 retry) */
	assert_int_equal(r->err.code, TE_UNREACHABLE);
	if (now_ms() - t0 >= 1400)
		fail_msg("took %lld ms", (long long)(now_ms() - t0));
	req_free(r);
	kube_free(k);

	err_clear(&e);
	assert_int_equal(kube_new(&dead, &cfg, &o, &e), 0);
	r = req_new("GET", "/api");
	assert_int_equal(kube_run(dead, &r, 1, NULL, NULL), TE_UNREACHABLE);
	assert_int_equal(r->attempts, 3);
	assert_non_null(strstr(r->err.msg, "cannot reach http://127.0.0.1:1"));
	req_free(r);
	kube_free(dead);
}

static int done_count;
static void on_done(struct kube_req *r, void *ctx)
{
	(*(int *)ctx)++;
	assert_int_equal(r->status, 200);
}

static void test_parallel_bound_and_reuse(void **state)
{
	struct kube *k = client(4, -1, 5000, NULL);
	struct kube_req *r[40];
	int conns;

	for (int i = 0; i < 40; i++)
		r[i] = req_new("GET", "/slow");
	pthread_mutex_lock(&S.mu);
	S.max_inflight = 0;
	conns = S.connections;
	pthread_mutex_unlock(&S.mu);
	done_count = 0;
	assert_int_equal(kube_run(k, r, 40, on_done, &done_count), 0);
	assert_int_equal(done_count, 40);
	assert_true(S.max_inflight <= 4);
	assert_true(S.max_inflight >= 2);
	/* keep-alive: a handful of connections for forty requests */
	assert_true(S.connections - conns <= 4);
	for (int i = 0; i < 40; i++)
		req_free(r[i]);
	kube_free(k);
}

/* kube_run_batch: requests made as slots free up, never more than parallel alive at
 * once, each answer seen by done; one that make cannot build reaches done with its
 * error and is never sent; a retried request (503 twice) keeps its slot. */
struct batch_probe {
	int made, alive, max_alive, done, ok, unmade, flaky_ok;
	bool order_ok;
};

static int probe_make(struct kube_req *q, size_t i, void *ctx)
{
	struct batch_probe *p = ctx;

	assert_null(q->path); /* a zeroed request */
	assert_int_equal((int)i, p->made);
	p->made++;
	if (++p->alive > p->max_alive)
		p->max_alive = p->alive;
	q->method = "GET";
	q->user = (void *)(uintptr_t)i;
	if (i == 7)
		return err_set(&q->err, TE_INPUT, "item 7 cannot be made");
	q->path = strdup(i == 3 ? "/flaky" : "/slow");
	return 0;
}

static void probe_done(struct kube_req *q, void *ctx)
{
	struct batch_probe *p = ctx;
	size_t i = (size_t)(uintptr_t)q->user;

	p->alive--;
	p->done++;
	if (i == 7) {
		p->unmade += q->status == 0 && q->err.code == TE_INPUT && q->attempts == 0;
		return;
	}
	if (i == 3)
		p->flaky_ok = q->status == 200 && q->attempts == 3;
	p->ok += q->status == 200 && q->resp != NULL;
	cJSON_Delete(q->resp); /* done may take the answer: the run must not free it again */
	q->resp = NULL;
}

static void test_run_batch(void **state)
{
	struct kube *k = client(4, 3, 5000, NULL);
	struct batch_probe p = {0};
	struct kube_batch b = {.n = 30, .make = probe_make, .done = probe_done, .ctx = &p};

	pthread_mutex_lock(&S.mu);
	S.max_inflight = 0;
	S.hits[0] = 0;
	pthread_mutex_unlock(&S.mu);
	assert_int_equal(kube_run_batch(k, &b), 0);
	assert_int_equal(p.made, 30);
	assert_int_equal(p.done, 30);
	assert_int_equal(p.ok, 29);
	assert_int_equal(p.unmade, 1);
	assert_true(p.flaky_ok);
	assert_int_equal(p.alive, 0);
	assert_true(p.max_alive <= 4); /* memory for the requests in flight only */
	assert_true(S.max_inflight <= 4 && S.max_inflight >= 2);
	kube_free(k);
}

static void test_gzip(void **state)
{
	struct kube *k = client(2, -1, 5000, NULL);
	struct kube_req *r = req_new("GET", "/gz");

	assert_int_equal(kube_run(k, &r, 1, NULL, NULL), 0);
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(r->resp, "gz")));
	req_free(r);
	kube_free(k);
}

static void test_bearer_token(void **state)
{
	struct kube *k = client(2, -1, 5000, "secret-abc");
	struct kube *anon = client(2, -1, 5000, NULL);
	struct kube_req *r = req_new("GET", "/flaky");
	struct kube_req *r2 = req_new("GET", "/flaky");

	S.token = "secret-abc";
	memset(S.hits, 0, sizeof(S.hits));
	S.hits[0] = 10;
	assert_int_equal(kube_run(k, &r, 1, NULL, NULL), 0);
	assert_int_equal(r->status, 200);
	assert_int_equal(kube_run(anon, &r2, 1, NULL, NULL), 0);
	assert_int_equal(r2->status, 401);
	assert_int_equal(r2->err.code, TE_REJECTED);
	assert_null(strstr(r2->err.msg, "secret"));
	S.token = NULL;
	req_free(r);
	req_free(r2);
	kube_free(k);
	kube_free(anon);
}

static void test_discovery_aggregated(void **state)
{
	struct kube *k = client(4, -1, 5000, NULL);
	const struct kube_resource *d, *cm, *ns, *again;
	struct err e;
	char *p;

	S.legacy = false;
	crd_installed = false;
	S.disc_requests = 0;
	err_clear(&e);
	assert_int_equal(kube_resolve(k, "apps/v1", "Deployment", &d, &e), 0);
	assert_string_equal(S.last_accept,
			    "application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList,"
			    "application/json;g=apidiscovery.k8s.io;v=v2beta1;as=APIGroupDiscoveryList,"
			    "application/json");
	assert_string_equal(d->group, "apps");
	assert_string_equal(d->resource, "deployments");
	assert_true(d->namespaced);
	assert_true(d->has_status);
	assert_int_equal(kube_resolve(k, "v1", "ConfigMap", &cm, &e), 0);
	assert_false(cm->has_status);
	assert_int_equal(kube_resolve(k, "v1", "Namespace", &ns, &e), 0);
	assert_false(ns->namespaced);
	assert_int_equal(S.disc_requests, 2); /* /api and /apis, once */

	p = kube_path(d, "prod", "web", "status");
	assert_string_equal(p, "/apis/apps/v1/namespaces/prod/deployments/web/status");
	free(p);
	p = kube_path(cm, "default", NULL, NULL);
	assert_string_equal(p, "/api/v1/namespaces/default/configmaps");
	free(p);
	p = kube_path(ns, "ignored", "team a", NULL);
	assert_string_equal(p, "/api/v1/namespaces/team%20a");
	free(p);
	p = kube_path(ns, NULL, "/a b~\xc3\xa9", NULL);
	assert_string_equal(p, "/api/v1/namespaces/%2Fa%20b~%C3%A9");
	free(p);

	/* unknown kind: one refresh, then not found */
	assert_int_equal(kube_resolve(k, "example.com/v1", "Widget", &again, &e), TE_NOTFOUND);
	assert_string_equal(e.msg, "no matches for kind \"Widget\" in version \"example.com/v1\"");
	assert_int_equal(S.disc_requests, 4);
	err_clear(&e);
	assert_int_equal(kube_resolve(k, "example.com/v1", "Widget", &again, &e), TE_NOTFOUND);
	assert_int_equal(S.disc_requests, 4); /* no refresh storm */
	/* the CRD appears: after invalidation it resolves; old pointers stay valid */
	crd_installed = true;
	kube_invalidate_discovery(k);
	err_clear(&e);
	assert_int_equal(kube_resolve(k, "example.com/v1", "Widget", &again, &e), 0);
	assert_string_equal(again->resource, "widgets");
	assert_string_equal(d->kind, "Deployment");
	kube_free(k);
}

struct resolver {
	struct kube *k;
	const char *kind;
	const struct kube_resource *res;
	int rc;
};

static void *resolve_thread(void *arg)
{
	struct resolver *r = arg;
	struct err e;

	err_clear(&e);
	r->rc = kube_resolve(r->k, r->kind[0] == 'D' ? "apps/v1" : "v1", r->kind, &r->res, &e);
	return NULL;
}

/* Clients made with kube_new_sharing, used from their own threads at once: one
 * discovery for all, a refresh seen by all, the entries valid as long as one lives. */
static void test_discovery_shared(void **state)
{
	struct kube *first = client(4, -1, 5000, NULL), *others[3];
	struct resolver r[4];
	pthread_t t[4];
	const struct kube_resource *cm;
	struct err e;

	S.legacy = false;
	crd_installed = false;
	S.disc_requests = 0;
	err_clear(&e);
	for (int i = 0; i < 3; i++)
		assert_int_equal(kube_new_sharing(&others[i], first, &e), 0);
	for (int i = 0; i < 4; i++) {
		r[i] = (struct resolver){.k = i ? others[i - 1] : first,
					 .kind = i % 2 ? "ConfigMap" : "Deployment"};
		assert_int_equal(pthread_create(&t[i], NULL, resolve_thread, &r[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(r[i].rc, 0);
	}
	assert_int_equal(S.disc_requests, 2); /* /api and /apis, once for the four */
	assert_ptr_equal(r[0].res, r[2].res); /* the same table */
	/* a CRD installed: an invalidation through one client is seen by another */
	crd_installed = true;
	kube_invalidate_discovery(others[0]);
	kube_free(first); /* the first one may go first */
	assert_int_equal(kube_resolve(others[1], "example.com/v1", "Widget", &cm, &e), 0);
	assert_int_equal(S.disc_requests, 4);
	assert_string_equal(r[1].res->kind, "ConfigMap"); /* retired, still valid */
	assert_int_equal(kube_resolve(others[2], "v1", "ConfigMap", &cm, &e), 0);
	assert_int_equal(S.disc_requests, 4);
	for (int i = 0; i < 3; i++)
		kube_free(others[i]);
	crd_installed = false;
}

static void test_discovery_legacy(void **state)
{
	struct kube *k = client(4, -1, 5000, NULL);
	const struct kube_resource *d;
	struct err e;

	S.legacy = true;
	err_clear(&e);
	assert_int_equal(kube_resolve(k, "apps/v1", "Deployment", &d, &e), 0);
	assert_string_equal(d->resource, "deployments");
	assert_true(d->has_status);
	assert_int_equal(kube_resolve(k, "v1", "ConfigMap", &d, &e), 0);
	assert_false(d->has_status);
	assert_int_equal(kube_resolve(k, "v1", "Secret", &d, &e), TE_NOTFOUND);
	S.legacy = false;
	kube_free(k);
}

static const struct kube_resource cm_res = {.group = "", .version = "v1", .kind = "ConfigMap",
					    .resource = "configmaps", .namespaced = true};
static const struct kube_resource deploy_res = {.group = "apps", .version = "v1",
						.kind = "Deployment", .resource = "deployments",
						.namespaced = true, .has_status = true};

static void test_list_pages(void **state)
{
	struct kube *k = client(4, -1, 5000, NULL);
	cJSON *list = NULL;
	struct err e;
	struct kube_stats st;

	err_clear(&e);
	assert_int_equal(kube_list(k, &cm_res, "default", "app=web,tier in (a,b)", &list, &e), 0);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(list, "items")), 4);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(list, "items"), 3),
						"metadata")->child->valuestring, "d");
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(list, "metadata"), "continue"));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(list, "metadata"), "resourceVersion")->valuestring, "20");
	assert_string_equal(S.last_query, "fm=- force=- dry=- sel=app=web,tier in (a,b)");
	kube_get_stats(k, &st);
	assert_int_equal(st.lists, 3);
	assert_int_equal(st.gets, 0);
	cJSON_Delete(list);
	kube_free(k);
}

/* Several lists in parallel rounds: each follows its own pages; one failing list does
 * not take the others' results away. */
static void test_list_many(void **state)
{
	struct kube *k = client(4, -1, 5000, NULL);
	struct kube_list_q q[5] = {
	    {.res = &cm_res, .ns = "default"},
	    {.res = &cm_res, .ns = "missing"},
	    {.res = &cm_res, .ns = "default", .selector = "app=web"},
	    {.res = &deploy_res, .ns = "default", .name = "web"}, /* a GET in the same rounds */
	    {.res = &deploy_res, .ns = "default", .name = "nope"},
	};
	struct kube_stats st;

	assert_int_equal(kube_list_many(k, q, 5), TE_NOTFOUND);
	assert_int_equal(q[3].rc, 0);
	assert_true(cJSON_IsObject(q[3].out));
	assert_null(cJSON_GetObjectItem(q[3].out, "items"));
	cJSON_Delete(q[3].out);
	assert_int_equal(q[4].rc, TE_NOTFOUND);
	assert_null(q[4].out);
	for (int i = 0; i < 3; i += 2) {
		assert_int_equal(q[i].rc, 0);
		assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(q[i].out, "items")), 4);
		assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(q[i].out, "metadata"), "continue"));
		cJSON_Delete(q[i].out);
	}
	assert_int_equal(q[1].rc, TE_NOTFOUND);
	assert_null(q[1].out);
	assert_string_equal(q[1].err.msg, "the server could not find the requested resource");
	kube_get_stats(k, &st);
	assert_int_equal(st.lists, 7); /* three pages each, and the failed one */
	assert_int_equal(st.gets, 2);
	kube_free(k);
}

static void test_apply_and_delete(void **state)
{
	struct kube *k = client(4, -1, 5000, NULL);
	cJSON *obj = cJSON_Parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
				 "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}}");
	struct kube_apply_opts o = {.field_manager = "tether", .force = true, .dry_run = true};
	cJSON *out = NULL;
	struct err e;

	err_clear(&e);
	assert_int_equal(kube_apply(k, &deploy_res, NULL, obj, &o, &out, &e), 0);
	assert_string_equal(S.last_method, "PATCH");
	assert_string_equal(S.last_ct, "application/apply-patch+yaml");
	assert_string_equal(S.last_query, "fm=tether force=true dry=All sel=-");
	assert_string_equal(S.last_body, "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
					 "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\"}}");
	assert_string_equal(cJSON_GetObjectItem(out, "kind")->valuestring, "Deployment");
	cJSON_Delete(out);

	assert_int_equal(kube_delete(k, &deploy_res, "default", "web", &e), 0);
	assert_string_equal(S.last_method, "DELETE");
	assert_string_equal(S.last_body, "{\"propagationPolicy\":\"Background\"}");

	/* missing object: TE_NOTFOUND with the server's message */
	assert_int_equal(kube_get(k, &deploy_res, "default", "nope", &out, &e), TE_NOTFOUND);
	assert_null(out);
	assert_string_equal(e.msg, "the server could not find the requested resource");
	cJSON_Delete(obj);
	kube_free(k);
}

struct seen {
	char log[1024];
	int n;
};

static int on_event(const char *type, const cJSON *obj, void *ctx)
{
	struct seen *s = ctx;
	const cJSON *md = cJSON_GetObjectItem(obj, "metadata");
	const cJSON *name = cJSON_GetObjectItem(md, "name");

	snprintf(s->log + strlen(s->log), sizeof(s->log) - strlen(s->log), "%s:%s ", type,
		 cJSON_IsString(name) ? name->valuestring : "-");
	return ++s->n >= 8 || !strcmp(type, "DELETED");
}

static void test_watch(void **state)
{
	struct kube *k = client(4, -1, 5000, NULL);
	struct seen s = {0};
	struct err e;

	err_clear(&e);
	S.watch_conn = 0;
	assert_int_equal(kube_watch(k, &cm_res, "default", NULL, "10", now_ms() + 5000, on_event, &s, &e), 0);
	/* ADDED a, BOOKMARK, stream ends -> reconnect from 12 -> 410 -> relist (a b c d as
	 * ADDED) -> watch from the list's 20 -> MODIFIED b, DELETED b stops */
	assert_string_equal(s.log, "ADDED:a BOOKMARK:- ADDED:a ADDED:b ADDED:c ADDED:d MODIFIED:b DELETED:b ");
	assert_int_equal(S.watch_conn, 3);
	assert_string_equal(S.watch_rv[0], "10");
	assert_string_equal(S.watch_rv[1], "12");
	assert_string_equal(S.watch_rv[2], "20");
	kube_free(k);
}

static void write_text(const char *path, const char *text, int mode)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	chmod(path, (mode_t)mode);
}

/*
 * An exec credential plugin in a temporary directory and a client that uses it. The
 * plugin script gets $COUNT, a file it appends a line to on each run. The client keeps
 * a pointer to cfg, so the fixture lives as long as the client.
 */
struct plugin_fixture {
	char dir[64], plugin[300], count[300], server[64];
	struct kube_config cfg;
	struct kube_exec x;
	struct kube *k;
};

static void plugin_client(struct plugin_fixture *p, const char *script, const char *api_version)
{
	struct kube_opts o = {.parallel = 2, .retries = -1, .timeout_ms = 5000};
	char env[400];
	struct err e;

	memset(p, 0, sizeof(*p));
	snprintf(p->dir, sizeof(p->dir), "/tmp/test_kube_exec.XXXXXX");
	assert_non_null(mkdtemp(p->dir));
	snprintf(p->plugin, sizeof(p->plugin), "%s/plugin.sh", p->dir);
	snprintf(p->count, sizeof(p->count), "%s/count", p->dir);
	write_text(p->plugin, script, 0755);
	snprintf(p->server, sizeof(p->server), "http://127.0.0.1:%d", S.port);
	snprintf(env, sizeof(env), "COUNT=%s", p->count);
	p->cfg.server = p->server;
	p->cfg.namespace = "default";
	p->cfg.exec = &p->x;
	p->x.command = p->plugin;
	p->x.api_version = (char *)api_version;
	strlist_init(&p->x.args);
	strlist_init(&p->x.env);
	strlist_add(&p->x.env, env);
	err_clear(&e);
	assert_int_equal(kube_new(&p->k, &p->cfg, &o, &e), 0);
	strlist_dispose(&p->x.env);
}

/* How many times the plugin ran. */
static int plugin_runs(const struct plugin_fixture *p)
{
	char line[64];
	int runs = 0;
	FILE *f = fopen(p->count, "r");

	assert_non_null(f);
	while (fgets(line, sizeof(line), f))
		runs++;
	fclose(f);
	return runs;
}

static void plugin_dispose(struct plugin_fixture *p)
{
	char cmd[200];

	S.token = NULL;
	kube_free(p->k);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p->dir);
	assert_int_equal(system(cmd), 0);
}

/* The plugin answers "stale" first, the right token afterwards: a 401 must re-run it. */
static void test_exec_plugin_rerun_on_401(void **state)
{
	struct plugin_fixture p;
	struct kube_req *r[3];

	plugin_client(&p,
		      "#!/bin/sh\n"
		      "echo x >> \"$COUNT\"\n"
		      "if [ $(wc -l < \"$COUNT\") -eq 1 ]; then t=stale; else t=secret-abc; fi\n"
		      "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1beta1\",\"kind\":\"ExecCredential\","
		      "\"status\":{\"token\":\"%s\"}}' $t\n",
		      "client.authentication.k8s.io/v1beta1");
	S.token = "secret-abc";
	memset(S.hits, 0, sizeof(S.hits));
	S.hits[0] = 10;
	for (int i = 0; i < 3; i++)
		r[i] = req_new("GET", "/flaky");
	assert_int_equal(kube_run(p.k, r, 3, NULL, NULL), 0);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(r[i]->status, 200);
		req_free(r[i]);
	}
	/* once at the start, once after the 401s (not once per request) */
	assert_int_equal(plugin_runs(&p), 2);
	plugin_dispose(&p);
}

/* The plugin gives a stale token, then fails: the 401 error says why renewal failed. */
static void test_exec_plugin_failure_after_401(void **state)
{
	struct plugin_fixture p;
	struct kube_req *r;

	plugin_client(&p,
		      "#!/bin/sh\n"
		      "echo x >> \"$COUNT\"\n"
		      "if [ $(wc -l < \"$COUNT\") -gt 1 ]; then echo 'plugin: login expired' >&2; exit 1; fi\n"
		      "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
		      "\"status\":{\"token\":\"stale-secret\"}}'\n",
		      "client.authentication.k8s.io/v1");
	S.token = "secret-abc";
	r = req_new("GET", "/flaky");
	assert_int_equal(kube_run(p.k, &r, 1, NULL, NULL), 0);
	assert_int_equal(r->status, 401);
	assert_int_equal(r->err.code, TE_REJECTED);
	assert_non_null(strstr(r->err.msg, "Unauthorized (renewing credentials: exec plugin "));
	assert_non_null(strstr(r->err.msg, "exited with status 1)"));
	assert_null(strstr(r->err.msg, "secret"));
	req_free(r);
	plugin_dispose(&p);
}

/* An exec credential is cached until its expirationTimestamp, then the plugin runs again. */
static void test_exec_plugin_expiry(void **state)
{
	const char *stamps[] = {"2099-01-01T00:00:00Z", "2001-01-01T00:00:00+02:00"};
	const int want[] = {1, 3};

	for (int t = 0; t < 2; t++) {
		struct plugin_fixture p;
		struct kube_req *r;
		char script[600];

		snprintf(script, sizeof(script),
			 "#!/bin/sh\necho x >> \"$COUNT\"\n"
			 "printf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\","
			 "\"status\":{\"token\":\"secret-abc\",\"expirationTimestamp\":\"%s\"}}'\n",
			 stamps[t]);
		plugin_client(&p, script, "client.authentication.k8s.io/v1");
		S.token = "secret-abc";
		memset(S.hits, 0, sizeof(S.hits));
		S.hits[0] = 10;
		r = req_new("GET", "/flaky");
		for (int i = 0; i < 3; i++) {
			assert_int_equal(kube_run(p.k, &r, 1, NULL, NULL), 0);
			assert_int_equal(r->status, 200);
		}
		assert_int_equal(plugin_runs(&p), want[t]);
		req_free(r);
		plugin_dispose(&p);
	}
}

/* A rotated token file is read again when the server says 401. */
static void test_token_file_rotation(void **state)
{
	char dir[] = "/tmp/test_kube_tok.XXXXXX", tok[300], cmd[400];
	struct kube_config cfg = {0};
	struct kube_opts o = {.parallel = 2, .retries = -1, .timeout_ms = 5000};
	struct kube *k = NULL;
	struct kube_req *r;
	struct err e;
	char server[64];

	assert_non_null(mkdtemp(dir));
	snprintf(tok, sizeof(tok), "%s/token", dir);
	write_text(tok, "first-token\n", 0600);
	snprintf(server, sizeof(server), "http://127.0.0.1:%d", S.port);
	cfg.server = server;
	cfg.namespace = "default";
	cfg.token_file = tok;
	err_clear(&e);
	assert_int_equal(kube_new(&k, &cfg, &o, &e), 0);
	S.token = "first-token";
	memset(S.hits, 0, sizeof(S.hits));
	S.hits[0] = 10;
	r = req_new("GET", "/flaky");
	assert_int_equal(kube_run(k, &r, 1, NULL, NULL), 0);
	assert_int_equal(r->status, 200);
	/* rotation within the same second: the mtime may not even change */
	write_text(tok, "second-token", 0600);
	S.token = "second-token";
	assert_int_equal(kube_run(k, &r, 1, NULL, NULL), 0);
	assert_int_equal(r->status, 200);
	assert_int_equal(r->attempts, 1);
	S.token = NULL;
	req_free(r);
	kube_free(k);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	assert_int_equal(system(cmd), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retries),
		cmocka_unit_test(test_final_500),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_429_past_retries),
		cmocka_unit_test(test_timeout_and_unreachable),
		cmocka_unit_test(test_parallel_bound_and_reuse),
		cmocka_unit_test(test_run_batch),
		cmocka_unit_test(test_gzip),
		cmocka_unit_test(test_bearer_token),
		cmocka_unit_test(test_discovery_aggregated),
		cmocka_unit_test(test_discovery_shared),
		cmocka_unit_test(test_discovery_legacy),
		cmocka_unit_test(test_list_pages),
		cmocka_unit_test(test_list_many),
		cmocka_unit_test(test_apply_and_delete),
		cmocka_unit_test(test_watch),
		cmocka_unit_test(test_exec_plugin_rerun_on_401),
		cmocka_unit_test(test_token_file_rotation),
		cmocka_unit_test(test_exec_plugin_expiry),
		cmocka_unit_test(test_exec_plugin_failure_after_401),
	};

	return cmocka_run_group_tests(tests, server_start, server_stop);
}
