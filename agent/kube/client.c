/*
 * client: the HTTP side of kube. One libcurl multi handle per client so that
 * connections are kept alive and reused (HTTP/2 multiplexing over TLS when the server
 * offers it); easy handles and body buffers are pooled so a batch of a thousand
 * requests does not allocate a thousand of each. Every request has a timeout;
 * 429, 5xx (but 501) and connection failures are retried with exponential backoff
 * and jitter, honouring a (capped) Retry-After. Nothing here logs a header.
 */
#include <errno.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "kube_int.h"

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

struct endpoint_parts {
	char *scheme, *host, *port, *path; /* curl's, freed with curl_free */
};

static int endpoint_parse(CURLU *u, const char *server, struct endpoint_parts *p)
{
	if (curl_url_set(u, CURLUPART_URL, server, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_SCHEME, &p->scheme, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_HOST, &p->host, 0) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PORT, &p->port, CURLU_DEFAULT_PORT) != CURLUE_OK ||
	    curl_url_get(u, CURLUPART_PATH, &p->path, 0) != CURLUE_OK)
		return TE_INPUT;
	while (*p->path && str_has_suffix(p->path, "/"))
		p->path[strlen(p->path) - 1] = '\0';
	return 0;
}

static int endpoint_set(struct kube *k, const struct endpoint_parts *p)
{
	const char *sni = k->cfg->tls_server_name;

	if (sni && strcmp(p->scheme, "https") == 0) {
		/* SNI and verification use the name, the socket goes to the real host and
		 * the Host header stays what the server expects */
		k->base_url = xasprintf("https://%s:%s%s", sni, p->port, p->path);
		k->connect_to = xasprintf("%s:%s:%s:%s", sni, p->port, p->host, p->port);
		k->host_header = xasprintf("Host: %s:%s", p->host, p->port);
		if (!k->connect_to || !(k->connect_list = curl_slist_append(NULL, k->connect_to)))
			return TE_NOMEM;
	} else {
		k->base_url = xasprintf("%s://%s:%s%s", p->scheme, p->host, p->port, p->path);
	}
	return k->base_url ? 0 : TE_NOMEM;
}

/* Splits server into the URL we use and, with tls-server-name, how to reach it. */
static int client_endpoint(struct kube *k, struct err *e)
{
	const struct kube_config *c = k->cfg;
	struct endpoint_parts p = {0};
	CURLU *u = curl_url();
	int rc;

	if (!u)
		return TE_NOMEM;
	if (endpoint_parse(u, c->server, &p) < 0)
		rc = err_set(e, TE_INPUT, "server \"%s\" (context %s) is not a valid URL",
			     c->server, c->context ? c->context : "in-cluster");
	else if (strcmp(p.scheme, "https") != 0 && strcmp(p.scheme, "http") != 0)
		rc = err_set(e, TE_INPUT, "server \"%s\": only http and https are supported",
			     c->server);
	else
		rc = endpoint_set(k, &p);
	curl_free(p.scheme);
	curl_free(p.host);
	curl_free(p.port);
	curl_free(p.path);
	curl_url_cleanup(u);
	return rc;
}

/* CURLMOPT_SOCKETFUNCTION: keeps the epoll set in step with what curl waits for. */
static int on_socket(CURL *h, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct kube *k = userp;
	struct epoll_event ev = {.data.fd = fd};

	(void)h;
	if (what == CURL_POLL_REMOVE) { /* curl forgets socketp with it */
		epoll_ctl(k->epfd, EPOLL_CTL_DEL, fd, NULL);
		return 0;
	}
	ev.events = (what & CURL_POLL_IN ? EPOLLIN : 0) | (what & CURL_POLL_OUT ? EPOLLOUT : 0);
	if (socketp) /* registered before: socketp is our mark */
		return epoll_ctl(k->epfd, EPOLL_CTL_MOD, fd, &ev) < 0 ? -1 : 0;
	if (epoll_ctl(k->epfd, EPOLL_CTL_ADD, fd, &ev) < 0)
		return -1;
	curl_multi_assign(k->multi, fd, k);
	return 0;
}

/* CURLMOPT_TIMERFUNCTION: when curl next needs CURL_SOCKET_TIMEOUT. */
static int on_timer(CURLM *m, long timeout_ms, void *userp)
{
	struct kube *k = userp;

	(void)m;
	k->timer_at = timeout_ms < 0 ? -1 : now_ms() + timeout_ms;
	return 0;
}

/* Zero means the default, like the other options; negative retries means none. */
static void kube_opts_defaults(struct kube *k, const struct kube_opts *opts)
{
	if (opts)
		k->opts = *opts;
	if (k->opts.parallel <= 0)
		k->opts.parallel = 32;
	if (k->opts.timeout_ms <= 0)
		k->opts.timeout_ms = 30000;
	if (k->opts.retries == 0)
		k->opts.retries = 5;
	else if (k->opts.retries < 0)
		k->opts.retries = 0;
	k->user_agent =
	    xasprintf("%s", k->opts.user_agent ? k->opts.user_agent : "tether/" KUBE_VERSION);
	k->opts.user_agent = k->user_agent;
}

/* The multi handle, its shared caches and the epoll set it is driven by. */
static int kube_multi_setup(struct kube *k, struct err *e)
{
	k->multi = curl_multi_init();
	k->pool = calloc((size_t)k->opts.parallel, sizeof(*k->pool));
	k->bufs = calloc((size_t)k->opts.parallel, sizeof(*k->bufs));
	if (!k->multi || kube_shared_new(&k->sh) < 0 || !k->pool || !k->bufs || !k->user_agent)
		return err_set(e, TE_NOMEM, "out of memory");
	curl_multi_setopt(k->multi, CURLMOPT_PIPELINING, (long)CURLPIPE_MULTIPLEX);
	curl_multi_setopt(k->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)k->opts.parallel);
	curl_multi_setopt(k->multi, CURLMOPT_MAXCONNECTS, (long)k->opts.parallel + 4);
	/* Event-driven: curl says which sockets to watch and we tell it which are ready.
	 * (curl_multi_perform polls every busy socket on each call instead.) */
	k->timer_at = -1;
	if ((k->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0)
		return err_set(e, TE_FAIL, "epoll: %s", strerror(errno));
	curl_multi_setopt(k->multi, CURLMOPT_SOCKETFUNCTION, on_socket);
	curl_multi_setopt(k->multi, CURLMOPT_SOCKETDATA, k);
	curl_multi_setopt(k->multi, CURLMOPT_TIMERFUNCTION, on_timer);
	curl_multi_setopt(k->multi, CURLMOPT_TIMERDATA, k);
	return 0;
}

int kube_new(struct kube **out, const struct kube_config *cfg, const struct kube_opts *opts,
	     struct err *e)
{
	struct kube *k = calloc(1, sizeof(*k));
	int rc;

	*out = NULL;
	if (k)
		k->epfd = -1;
	pthread_once(&curl_once, curl_init_once);
	if (!k || !(k->cfg = kube_config_dup(cfg))) {
		free(k);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	kube_opts_defaults(k, opts);
	k->rng = ((uint64_t)now_ms() << 20) ^ (uint64_t)getpid() ^ (uint64_t)(uintptr_t)k;
	k->rng = k->rng ? k->rng : 0x9E3779B97F4A7C15ull;
	if ((rc = client_endpoint(k, e)) < 0 || (rc = kube_multi_setup(k, e)) < 0) {
		kube_free(k);
		return rc;
	}
	*out = k;
	return 0;
}

void kube_free(struct kube *k)
{
	if (!k)
		return;
	for (size_t i = 0; i < k->npool; i++)
		curl_easy_cleanup(k->pool[i]);
	for (size_t i = 0; i < k->nbufs; i++)
		buf_dispose(&k->bufs[i]);
	if (k->multi)
		curl_multi_cleanup(k->multi);
	if (k->epfd >= 0)
		close(k->epfd);
	kube_shared_unref(k->sh);
	kube_cred_dispose(&k->cred);
	kube_config_free(k->cfg);
	free(k->pool);
	free(k->bufs);
	free(k->user_agent);
	free(k->base_url);
	free(k->connect_to);
	curl_slist_free_all(k->connect_list);
	free(k->host_header);
	free(k);
}

void kube_get_stats(const struct kube *k, struct kube_stats *out)
{
	*out = k->stats;
}

static void set_blob(CURL *h, CURLoption opt, const char *pem)
{
	struct curl_blob b = {.data = (void *)pem, .len = strlen(pem), .flags = CURL_BLOB_COPY};

	curl_easy_setopt(h, opt, &b);
}

static void easy_tls(struct kube *k, CURL *h)
{
	const struct kube_config *c = k->cfg;

	if (c->insecure) {
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
		curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
	} else if (c->ca_data) {
		set_blob(h, CURLOPT_CAINFO_BLOB, c->ca_data);
	} else if (c->ca_file) {
		curl_easy_setopt(h, CURLOPT_CAINFO, c->ca_file);
	}
	if (k->cred.cert && k->cred.key) {
		set_blob(h, CURLOPT_SSLCERT_BLOB, k->cred.cert);
		set_blob(h, CURLOPT_SSLKEY_BLOB, k->cred.key);
	} else if (c->cert_data && c->key_data) {
		set_blob(h, CURLOPT_SSLCERT_BLOB, c->cert_data);
		set_blob(h, CURLOPT_SSLKEY_BLOB, c->key_data);
	} else if (c->cert_file && c->key_file) {
		curl_easy_setopt(h, CURLOPT_SSLCERT, c->cert_file);
		curl_easy_setopt(h, CURLOPT_SSLKEY, c->key_file);
	}
	curl_easy_setopt(h, CURLOPT_SSLCERTTYPE, "PEM");
	curl_easy_setopt(h, CURLOPT_SSLKEYTYPE, "PEM");
}

/* Options every request shares. */
void kube_easy_setup(struct kube *k, CURL *h)
{
	const struct kube_config *c = k->cfg;

	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_SHARE, k->sh->share);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
	curl_easy_setopt(h, CURLOPT_PIPEWAIT, 1L);
	curl_easy_setopt(h, CURLOPT_USERAGENT, k->user_agent);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	/* Bodies are small (one object); curl's default 64 KiB upload buffer per handle
	 * would be most of a large sync's connection memory. 16 KiB is its minimum. */
	curl_easy_setopt(h, CURLOPT_UPLOAD_BUFFERSIZE, 16384L);
	easy_tls(k, h);
	/* the API server gzips large responses (lists) for clients that accept it */
	if (!c->disable_compression)
		curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "gzip");
	if (c->proxy_url)
		curl_easy_setopt(h, CURLOPT_PROXY, c->proxy_url);
	if (k->connect_list)
		curl_easy_setopt(h, CURLOPT_CONNECT_TO, k->connect_list);
	if (c->username || c->password) {
		curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
		curl_easy_setopt(h, CURLOPT_USERNAME, c->username ? c->username : "");
		curl_easy_setopt(h, CURLOPT_PASSWORD, c->password ? c->password : "");
	}
}

/* Appends fmt with v (one %s) to *l; a secret is wiped from our copy. */
static bool header_add(struct curl_slist **l, const char *fmt, const char *v, bool secret)
{
	char *s = xasprintf(fmt, v);
	struct curl_slist *t = s ? curl_slist_append(*l, s) : NULL;

	if (s && secret)
		memset(s, 0, strlen(s));
	free(s);
	if (t)
		*l = t;
	return t != NULL;
}

struct curl_slist *kube_headers(struct kube *k, const char *accept, const char *content_type)
{
	struct curl_slist *l = NULL;
	bool ok = header_add(&l, "Accept: %s", accept ? accept : "application/json", false) &&
		  (!content_type || header_add(&l, "Content-Type: %s", content_type, false)) &&
		  (!k->cred.token ||
		   header_add(&l, "Authorization: Bearer %s", k->cred.token, true)) &&
		  (!k->host_header || header_add(&l, "%s", k->host_header, false)) &&
		  (!k->cfg->impersonate ||
		   header_add(&l, "Impersonate-User: %s", k->cfg->impersonate, false)) &&
		  /* no "Expect: 100-continue" round trip for bodies */
		  header_add(&l, "%s", "Expect:", false);

	if (!ok) {
		curl_slist_free_all(l);
		return NULL;
	}
	return l;
}

char *kube_url(const struct kube *k, const char *path)
{
	return xasprintf("%s%s", k->base_url, path);
}
