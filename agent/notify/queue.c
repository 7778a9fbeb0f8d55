/*
 * queue: the delivery thread. Requests wait in a bounded queue; each is POSTed with
 * libcurl (TLS verified, no redirects, http/https only, a timeout per attempt) and,
 * on a transport error, 408, 429 or 5xx, tried again after a doubling delay, until
 * NOTIFY_ATTEMPTS or NOTIFY_TOTAL_MS after it was queued. Other answers are final. Log
 * lines name the target's type, host, app and event, never the URL's path or query
 * (a Slack webhook's URL is its secret) nor the token.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>

#include "cli.h"
#include "log.h"
#include "notify_int.h"

#define NOTIFY_QUEUE_MAX 256
#define NOTIFY_ATTEMPTS 6
#define NOTIFY_TOTAL_MS (10LL * 60 * 1000)
#define NOTIFY_FIRST_RETRY_MS 500
#define NOTIFY_RETRY_MAX_MS (60LL * 1000)
#define NOTIFY_TIMEOUT_MS 10000L

struct job {
	struct notify_req req;
	int attempts;
	int64_t due_ms, deadline_ms;
};

struct notifier {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	struct job *jobs[NOTIFY_QUEUE_MAX];
	size_t n;
	bool stop;
	int64_t drain_until;
	CURL *h;
};

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;

static void curl_init_once(void)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
}

static void job_free(struct job *j)
{
	if (!j)
		return;
	notify_req_dispose(&j->req);
	free(j);
}

/* scheme://host[:port] of url (no userinfo, path or query), for log lines. */
static void url_origin(const char *url, char *out, size_t n)
{
	const char *p = strstr(url, "://"), *host, *at;
	size_t len;

	if (!p) {
		snprintf(out, n, "?");
		return;
	}
	host = p + 3;
	len = strcspn(host, "/?#");
	at = memchr(host, '@', len);
	if (at) {
		len -= (size_t)(at + 1 - host);
		host = at + 1;
	}
	snprintf(out, n, "%.*s%.*s", (int)(p + 3 - url), url, (int)len, host);
}

static void log_job(enum log_level lvl, const char *msg, const struct job *j, const char *why)
{
	char to[256], attempt[16];

	url_origin(j->req.url, to, sizeof(to));
	snprintf(attempt, sizeof(attempt), "%d", j->attempts);
	log_kv(lvl, msg, "app", j->req.app, "event", j->req.event, "target", j->req.target, "to",
	       to, "attempt", attempt, why ? "error" : NULL, why, NULL);
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	return size * n;
}

/* The request's headers; the token's copy is wiped once curl has its own. */
static struct curl_slist *headers(const struct notify_req *r, char **error)
{
	struct curl_slist *l = NULL, *t;
	char *token = NULL, *auth = NULL;
	struct err e;

	err_clear(&e);
	if (r->token_file && secret_read(r->token_file, &token, &e) < 0) {
		*error = xasprintf("token-file: %s", e.msg);
		return NULL;
	}
	l = curl_slist_append(NULL, "Content-Type: application/json");
	if (l && r->github && (t = curl_slist_append(l, "Accept: application/vnd.github+json")))
		l = curl_slist_append(t, "X-GitHub-Api-Version: 2022-11-28");
	if (l && token && (auth = xasprintf("Authorization: Bearer %s", token)))
		l = curl_slist_append(l, auth);
	if (token)
		memset(token, 0, strlen(token));
	if (auth)
		memset(auth, 0, strlen(auth));
	free(token);
	free(auth);
	return l;
}

/* One attempt: 0 done, 1 worth retrying, -1 final failure; *why says what went wrong. */
static int deliver(CURL *h, const struct notify_req *r, char *why, size_t n)
{
	char *herr = NULL;
	struct curl_slist *hdrs = headers(r, &herr);
	long status = 0;
	CURLcode cc;

	if (!hdrs) {
		snprintf(why, n, "%s", herr ? herr : "out of memory");
		free(herr);
		return -1;
	}
	curl_easy_reset(h);
	curl_easy_setopt(h, CURLOPT_URL, r->url);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L);
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, NOTIFY_TIMEOUT_MS);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "tether/" TETHER_VERSION);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, r->body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
	cc = curl_easy_perform(h);
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdrs);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	if (cc != CURLE_OK) {
		snprintf(why, n, "%s", curl_easy_strerror(cc));
		return 1;
	}
	if (status >= 200 && status < 300)
		return 0;
	snprintf(why, n, "HTTP %ld", status);
	return status == 408 || status == 429 || status >= 500 ? 1 : -1;
}

/* The job due first (mu held), or NULL. */
static size_t next_job(struct notifier *n)
{
	size_t best = 0;

	for (size_t i = 1; i < n->n; i++)
		if (n->jobs[i]->due_ms < n->jobs[best]->due_ms)
			best = i;
	return best;
}

/* After an attempt (mu held): done, dropped, or queued again for later. */
static void settle(struct notifier *n, struct job *j, int rc, const char *why)
{
	int64_t delay = (int64_t)NOTIFY_FIRST_RETRY_MS << (j->attempts - 1);

	if (delay > NOTIFY_RETRY_MAX_MS)
		delay = NOTIFY_RETRY_MAX_MS;
	if (rc == 0) {
		log_job(LOG_INFO, "notification sent", j, NULL);
	} else if (rc > 0 && j->attempts < NOTIFY_ATTEMPTS && now_ms() + delay < j->deadline_ms &&
		   n->n < NOTIFY_QUEUE_MAX) {
		log_job(LOG_WARN, "notification failed; will retry", j, why);
		j->due_ms = now_ms() + delay;
		n->jobs[n->n++] = j;
		return;
	} else {
		log_job(LOG_ERROR, "notification dropped", j, why);
	}
	job_free(j);
}

static void *run(void *arg)
{
	struct notifier *n = arg;

	pthread_mutex_lock(&n->mu);
	for (;;) {
		size_t i;
		struct job *j;
		char why[256] = "";
		int rc;

		if (n->stop && (!n->n || now_ms() >= n->drain_until))
			break;
		if (!n->n || n->jobs[(i = next_job(n))]->due_ms > now_ms()) {
			int64_t until = n->n ? n->jobs[next_job(n)]->due_ms : now_ms() + 60000;
			cond_wait_ms(&n->cv, &n->mu,
				     (n->stop && until > n->drain_until ? n->drain_until : until) -
					 now_ms());
			continue;
		}
		j = n->jobs[i];
		n->jobs[i] = n->jobs[--n->n];
		pthread_mutex_unlock(&n->mu);
		j->attempts++;
		rc = deliver(n->h, &j->req, why, sizeof(why));
		pthread_mutex_lock(&n->mu);
		settle(n, j, rc, why);
		pthread_cond_broadcast(&n->cv);
	}
	for (size_t i = 0; i < n->n; i++) {
		log_job(LOG_ERROR, "notification dropped", n->jobs[i], "not delivered before exit");
		job_free(n->jobs[i]);
	}
	n->n = 0;
	pthread_mutex_unlock(&n->mu);
	return NULL;
}

int notifier_new(struct notifier **out, struct err *e)
{
	struct notifier *n = calloc(1, sizeof(*n));

	*out = NULL;
	pthread_once(&curl_once, curl_init_once);
	if (!n || !(n->h = curl_easy_init())) {
		free(n);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	pthread_mutex_init(&n->mu, NULL);
	cond_init_monotonic(&n->cv);
	if (pthread_create(&n->thread, NULL, run, n) != 0) {
		curl_easy_cleanup(n->h);
		pthread_cond_destroy(&n->cv);
		pthread_mutex_destroy(&n->mu);
		free(n);
		return err_set(e, TE_FAIL, "cannot start the notification thread");
	}
	*out = n;
	return 0;
}

static void enqueue(struct notifier *n, struct job *j)
{
	pthread_mutex_lock(&n->mu);
	if (n->n >= NOTIFY_QUEUE_MAX || n->stop) {
		log_job(LOG_ERROR, "notification dropped", j, "the queue is full");
		job_free(j);
	} else {
		n->jobs[n->n++] = j;
		pthread_cond_broadcast(&n->cv);
	}
	pthread_mutex_unlock(&n->mu);
}

void notifier_send(struct notifier *n, const struct app_config *c, const struct notify_info *in)
{
	for (size_t i = 0; n && i < c->n_notify; i++) {
		const struct notify_target *t = &c->notify[i];
		struct job *j;
		struct err e;
		int rc;

		if (!(t->events & (1u << in->event)))
			continue;
		err_clear(&e);
		if (!(j = calloc(1, sizeof(*j)))) {
			log_kv(LOG_ERROR, "notification dropped", "app", in->app, "error",
			       "out of memory", NULL);
			return;
		}
		if ((rc = notify_req_build(&j->req, t, c, in, &e)) != 0) {
			if (rc < 0)
				log_kv(LOG_ERROR, "notification dropped", "app", in->app, "event",
				       notify_event_name(in->event), "error", e.msg, NULL);
			free(j);
			continue;
		}
		j->due_ms = now_ms();
		j->deadline_ms = j->due_ms + NOTIFY_TOTAL_MS;
		enqueue(n, j);
	}
}

void notifier_free(struct notifier *n, int64_t drain_ms)
{
	if (!n)
		return;
	pthread_mutex_lock(&n->mu);
	n->stop = true;
	n->drain_until = now_ms() + drain_ms;
	pthread_cond_broadcast(&n->cv);
	pthread_mutex_unlock(&n->mu);
	pthread_join(n->thread, NULL);
	curl_easy_cleanup(n->h);
	pthread_cond_destroy(&n->cv);
	pthread_mutex_destroy(&n->mu);
	free(n);
}
