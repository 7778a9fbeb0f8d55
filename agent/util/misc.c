/* misc: durations, clocks and sleeping, hashing, small string helpers. */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "util.h"

int duration_parse(const char *s, int64_t *out_ms, struct err *e)
{
	const char *p = s;
	int64_t total = 0;

	if (!s || !*s)
		return err_set(e, TE_INPUT, "empty duration");
	while (*p) {
		char *end;
		double v;
		int64_t unit;

		errno = 0;
		v = strtod(p, &end);
		if (end == p || errno || v < 0)
			return err_set(e, TE_INPUT, "invalid duration \"%s\"", s);
		p = end;
		if (strncmp(p, "ms", 2) == 0) {
			unit = 1;
			p += 2;
		} else if (*p == 's') {
			unit = 1000;
			p++;
		} else if (*p == 'm') {
			unit = 60000;
			p++;
		} else if (*p == 'h') {
			unit = 3600000;
			p++;
		} else if (*p == '\0' && p != s) {
			unit = 1000; /* plain number: seconds */
		} else {
			return err_set(e, TE_INPUT, "invalid duration \"%s\" (use 250ms, 30s, 5m, 1h)", s);
		}
		if (v * unit > 366.0 * 24 * 3600 * 1000)
			return err_set(e, TE_INPUT, "duration \"%s\" is too long", s);
		total += (int64_t)(v * unit);
	}
	*out_ms = total;
	return 0;
}

void time_rfc3339(int64_t t, char out[TIME_RFC3339_LEN])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (!gmtime_r(&tt, &tm) || !strftime(out, TIME_RFC3339_LEN, "%Y-%m-%dT%H:%M:%SZ", &tm))
		out[0] = '\0';
}

void time_rfc3339_micro(char out[TIME_RFC3339_LEN])
{
	struct timespec ts;
	struct tm tm;
	char sec[24];

	clock_gettime(CLOCK_REALTIME, &ts);
	if (!gmtime_r(&ts.tv_sec, &tm) || !strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm)) {
		out[0] = '\0';
		return;
	}
	snprintf(out, TIME_RFC3339_LEN, "%s.%06ldZ", sec, ts.tv_nsec / 1000);
}

int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void cond_init_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t ca;

	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(cv, &ca);
	pthread_condattr_destroy(&ca);
}

void cond_wait_ms(pthread_cond_t *cv, pthread_mutex_t *mu, int64_t ms)
{
	struct timespec ts;

	if (ms < 0)
		ms = 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cv, mu, &ts);
}

void sleep_for_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};

	nanosleep(&ts, NULL);
}

static void to_hex(const unsigned char *d, unsigned n, char *out)
{
	static const char hex[] = "0123456789abcdef";

	for (unsigned i = 0; i < n; i++) {
		out[2 * i] = hex[d[i] >> 4];
		out[2 * i + 1] = hex[d[i] & 15];
	}
	out[2 * n] = '\0';
}

void sha256_hex(const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	EVP_Digest(data, len, md, &n, EVP_sha256(), NULL);
	to_hex(md, n, out);
}

void hmac_sha256_hex(const void *key, size_t keylen, const void *data, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned n = 0;

	HMAC(EVP_sha256(), key, (int)keylen, data, len, md, &n);
	to_hex(md, n, out);
}

bool str_equal_ct(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la != lb)
		return false;
	return CRYPTO_memcmp(a, b, la) == 0;
}

char *xstrdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *p = NULL;

	va_start(ap, fmt);
	if (vasprintf(&p, fmt, ap) < 0)
		p = NULL;
	va_end(ap);
	return p;
}

bool str_has_suffix(const char *s, const char *suffix)
{
	size_t ls = strlen(s), lx = strlen(suffix);

	return ls >= lx && strcmp(s + ls - lx, suffix) == 0;
}

int hex_value(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int file_read(const char *path, struct buf *b, struct err *e)
{
	char tmp[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return err_set(e, errno == ENOENT ? TE_NOTFOUND : TE_INPUT, "%s: %s", path, strerror(errno));
	while ((n = read(fd, tmp, sizeof(tmp))) > 0) {
		if (buf_append(b, tmp, (size_t)n) < 0) {
			close(fd);
			return err_set(e, TE_INPUT, "%s: file is larger than %zu bytes", path, b->max);
		}
	}
	close(fd);
	if (n < 0)
		return err_set(e, TE_INPUT, "%s: %s", path, strerror(errno));
	if (!b->data)
		buf_append(b, "", 0);
	return 0;
}

#define SECRET_MAX 4096

int secret_read(const char *path, char **out, struct err *e)
{
	struct buf b;
	int rc;

	*out = NULL;
	buf_init(&b, SECRET_MAX);
	if ((rc = file_read(path, &b, e)) < 0) {
		buf_dispose(&b);
		return rc;
	}
	while (b.len && strchr("\n\r \t", b.data[b.len - 1]))
		b.data[--b.len] = '\0';
	if (!b.len) {
		buf_dispose(&b);
		return err_set(e, TE_INPUT, "%s is empty", path);
	}
	*out = buf_detach(&b);
	return 0;
}
