/*
 * load: a small HTTP load generator for the benchmarks (the scripts in tests/bench), built on
 * libcurl's multi interface: C transfers in flight over reused connections, N requests
 * in all, then one line of figures. With -c 1 it is a sequential client: each request
 * waits for the previous answer, which measures latency rather than throughput.
 *
 * URL and body are templates: "{i}" becomes the request number modulo -m (which object),
 * "{n}" the request number (so every apply can carry a new value and really write).
 * Not a general tool: no redirects, no retries; a non-2xx answer counts as an error.
 */
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define LOAD_MAX_CONC 256
#define LOAD_MAX_TEXT 65536

struct load_opts {
	const char *url;
	const char *method;
	const char *body;
	const char *cert, *key;
	struct curl_slist *headers;
	long total, conc, mod;
	int verbose;
};

struct load_slot {
	CURL *h;
	char url[4096];
	char *body;
	long status;
};

struct load_stats {
	long started, done, errors, bytes;
	long first_err_status;
};

/* expand: replaces {i} and {n} in tmpl; out has room for cap bytes. */
static int load_expand(char *out, size_t cap, const char *tmpl, long n, long mod)
{
	size_t o = 0;
	char num[32];

	for (const char *p = tmpl; *p;) {
		const char *rep = NULL;
		if (strncmp(p, "{i}", 3) == 0) {
			snprintf(num, sizeof(num), "%ld", mod > 0 ? n % mod : n);
			rep = num;
		} else if (strncmp(p, "{n}", 3) == 0) {
			snprintf(num, sizeof(num), "%ld", n);
			rep = num;
		}
		if (rep) {
			size_t l = strlen(rep);
			if (o + l >= cap)
				return -1;
			memcpy(out + o, rep, l);
			o += l;
			p += 3;
		} else {
			if (o + 1 >= cap)
				return -1;
			out[o++] = *p++;
		}
	}
	out[o] = '\0';
	return 0;
}

static size_t load_sink(char *ptr, size_t size, size_t nmemb, void *ud)
{
	struct load_stats *st = ud;
	(void)ptr;
	st->bytes += (long)(size * nmemb);
	return size * nmemb;
}

static int load_prepare(struct load_slot *s, const struct load_opts *o, struct load_stats *st)
{
	long n = st->started++;

	if (load_expand(s->url, sizeof(s->url), o->url, n, o->mod) < 0)
		return -1;
	curl_easy_setopt(s->h, CURLOPT_URL, s->url);
	if (o->body) {
		if (load_expand(s->body, LOAD_MAX_TEXT, o->body, n, o->mod) < 0)
			return -1;
		curl_easy_setopt(s->h, CURLOPT_POSTFIELDS, s->body);
		curl_easy_setopt(s->h, CURLOPT_POSTFIELDSIZE, (long)strlen(s->body));
	}
	return 0;
}

static int load_slot_init(struct load_slot *s, const struct load_opts *o, struct load_stats *st)
{
	s->h = curl_easy_init();
	s->body = malloc(LOAD_MAX_TEXT);
	if (!s->h || !s->body)
		return -1;
	curl_easy_setopt(s->h, CURLOPT_CUSTOMREQUEST, o->method);
	curl_easy_setopt(s->h, CURLOPT_HTTPHEADER, o->headers);
	curl_easy_setopt(s->h, CURLOPT_WRITEFUNCTION, load_sink);
	curl_easy_setopt(s->h, CURLOPT_WRITEDATA, st);
	curl_easy_setopt(s->h, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(s->h, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(s->h, CURLOPT_TIMEOUT, 30L);
	curl_easy_setopt(s->h, CURLOPT_NOSIGNAL, 1L);
	if (o->cert)
		curl_easy_setopt(s->h, CURLOPT_SSLCERT, o->cert);
	if (o->key)
		curl_easy_setopt(s->h, CURLOPT_SSLKEY, o->key);
	curl_easy_setopt(s->h, CURLOPT_PRIVATE, s);
	return 0;
}

/* run: keeps conc transfers in flight until total requests have finished. */
static int load_run(const struct load_opts *o, struct load_stats *st, double *secs)
{
	struct load_slot slots[LOAD_MAX_CONC];
	struct timespec t0, t1;
	CURLM *m = curl_multi_init();
	long conc = o->conc < o->total ? o->conc : o->total;
	int running = 0, rc = 0;

	memset(slots, 0, sizeof(slots));
	curl_multi_setopt(m, CURLMOPT_MAX_HOST_CONNECTIONS, conc);
	for (long i = 0; i < conc; i++) {
		if (load_slot_init(&slots[i], o, st) < 0 || load_prepare(&slots[i], o, st) < 0) {
			rc = -1;
			goto out;
		}
		curl_multi_add_handle(m, slots[i].h);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (st->done < o->total) {
		CURLMsg *msg;
		int left;
		if (curl_multi_perform(m, &running) != CURLM_OK) {
			rc = -1;
			goto out;
		}
		while ((msg = curl_multi_info_read(m, &left))) {
			struct load_slot *s;
			long status = 0;
			if (msg->msg != CURLMSG_DONE)
				continue;
			curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **)&s);
			curl_easy_getinfo(s->h, CURLINFO_RESPONSE_CODE, &status);
			if (msg->data.result != CURLE_OK || status < 200 || status > 299) {
				st->errors++;
				if (!st->first_err_status)
					st->first_err_status = msg->data.result != CURLE_OK ? -1 : status;
				if (o->verbose)
					fprintf(stderr, "load: %s -> %ld (%s)\n", s->url, status,
						curl_easy_strerror(msg->data.result));
			}
			st->done++;
			curl_multi_remove_handle(m, s->h);
			if (st->started < o->total) {
				if (load_prepare(s, o, st) < 0) {
					rc = -1;
					goto out;
				}
				curl_multi_add_handle(m, s->h);
			}
		}
		if (st->done < o->total)
			curl_multi_poll(m, NULL, 0, 100, NULL);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	*secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
out:
	for (long i = 0; i < conc; i++) {
		if (slots[i].h) {
			curl_multi_remove_handle(m, slots[i].h);
			curl_easy_cleanup(slots[i].h);
		}
		free(slots[i].body);
	}
	curl_multi_cleanup(m);
	return rc;
}

static void load_usage(void)
{
	fprintf(stderr, "usage: load [-n TOTAL] [-c CONC] [-m MOD] [-X METHOD] [-H HEADER]...\n"
			"            [-d BODY|@FILE] [-E CERT] [-K KEY] [-v] URL\n");
}

static const char *load_body_arg(const char *arg)
{
	static char buf[LOAD_MAX_TEXT];
	FILE *f;
	size_t n;

	if (arg[0] != '@')
		return arg;
	if (!(f = fopen(arg + 1, "r")))
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int main(int argc, char **argv)
{
	struct load_opts o = { .method = "GET", .total = 1000, .conc = 16, .mod = 0 };
	struct load_stats st = { 0 };
	double secs = 0;
	int c, rc;

	while ((c = getopt(argc, argv, "n:c:m:X:H:d:E:K:v")) != -1) {
		switch (c) {
		case 'n': o.total = atol(optarg); break;
		case 'c': o.conc = atol(optarg); break;
		case 'm': o.mod = atol(optarg); break;
		case 'X': o.method = optarg; break;
		case 'H': o.headers = curl_slist_append(o.headers, optarg); break;
		case 'd':
			if (!(o.body = load_body_arg(optarg))) {
				fprintf(stderr, "load: cannot read %s\n", optarg + 1);
				return 2;
			}
			break;
		case 'E': o.cert = optarg; break;
		case 'K': o.key = optarg; break;
		case 'v': o.verbose = 1; break;
		default: load_usage(); return 2;
		}
	}
	if (optind != argc - 1 || o.total < 1 || o.conc < 1 || o.conc > LOAD_MAX_CONC) {
		load_usage();
		return 2;
	}
	o.url = argv[optind];
	curl_global_init(CURL_GLOBAL_DEFAULT);
	rc = load_run(&o, &st, &secs);
	curl_slist_free_all(o.headers);
	curl_global_cleanup();
	if (rc < 0) {
		fprintf(stderr, "load: setup failed (template too long or out of memory)\n");
		return 1;
	}
	printf("requests=%ld errors=%ld seconds=%.3f rps=%.0f bytes=%ld first_error=%ld\n",
	       st.done, st.errors, secs, secs > 0 ? (double)st.done / secs : 0.0, st.bytes,
	       st.first_err_status);
	return st.errors ? 1 : 0;
}
