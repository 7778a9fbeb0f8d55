/* log: logfmt or JSON lines on stderr. Callers must never pass secrets. */
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "util.h"

static enum log_format log_fmt = LOG_LOGFMT;
static enum log_level log_min = LOG_INFO;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;

static const char *level_names[] = {"debug", "info", "warn", "error"};

void log_configure(enum log_format fmt, enum log_level min_level)
{
	log_fmt = fmt;
	log_min = min_level;
}

/* log_num marks its text with this byte, which no other value of a log line starts
 * with (put_value escapes control characters). */
#define NUM_MARK '\x1f'

const char *log_num(char buf[LOG_NUM_LEN], double v)
{
	if (!isfinite(v))
		v = 0;
	if (v == (double)(long long)v)
		snprintf(buf, LOG_NUM_LEN, "%c%lld", NUM_MARK, (long long)v);
	else
		snprintf(buf, LOG_NUM_LEN, "%c%.3f", NUM_MARK, v);
	return buf;
}

/* The digits of a log_num value; NULL for any other value. */
static const char *number_text(const char *v)
{
	char *end;

	if (v[0] != NUM_MARK || !v[1])
		return NULL;
	strtod(v + 1, &end);
	return *end ? NULL : v + 1;
}

static void put_value(struct buf *b, const char *v)
{
	bool quote = log_fmt == LOG_JSON || !*v || strpbrk(v, " =\"\t\n\\") != NULL;

	if (!quote) {
		buf_puts(b, v);
		return;
	}
	buf_puts(b, "\"");
	for (const char *p = v; *p; p++) {
		if (*p == '"' || *p == '\\')
			buf_printf(b, "\\%c", *p);
		else if (*p == '\n')
			buf_puts(b, "\\n");
		else if ((unsigned char)*p < 0x20)
			buf_printf(b, "\\u%04x", *p);
		else
			buf_append(b, p, 1);
	}
	buf_puts(b, "\"");
}

static void put_pair(struct buf *b, const char *k, const char *v, bool first)
{
	if (log_fmt == LOG_JSON) {
		buf_puts(b, first ? "{" : ",");
		put_value(b, k);
		buf_puts(b, ":");
	} else {
		if (!first)
			buf_puts(b, " ");
		buf_puts(b, k);
		buf_puts(b, "=");
	}
	if (v && number_text(v))
		buf_puts(b, number_text(v));
	else
		put_value(b, v ? v : "");
}

void log_kv(enum log_level level, const char *msg, ...)
{
	char ts[TIME_RFC3339_LEN];
	struct buf b;
	const char *k;
	va_list ap;

	if (level < log_min)
		return;
	time_rfc3339(time(NULL), ts);
	buf_init(&b, 1 << 20);
	put_pair(&b, "time", ts, true);
	put_pair(&b, "level", level_names[level], false);
	put_pair(&b, "msg", msg, false);
	va_start(ap, msg);
	while ((k = va_arg(ap, const char *)) != NULL) {
		const char *v = va_arg(ap, const char *);
		put_pair(&b, k, v, false);
	}
	va_end(ap);
	buf_puts(&b, log_fmt == LOG_JSON ? "}\n" : "\n");
	pthread_mutex_lock(&log_lock);
	fwrite(b.data, 1, b.len, stderr);
	fflush(stderr);
	pthread_mutex_unlock(&log_lock);
	buf_dispose(&b);
}
