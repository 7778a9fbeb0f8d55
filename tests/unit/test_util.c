/* Unit tests for util: buffer caps, error records, durations, hashing. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <unistd.h>

#include "log.h"
#include "util.h"

static void test_buf_cap(void **state)
{
	struct buf b;

	buf_init(&b, 8);
	assert_int_equal(buf_puts(&b, "12345678"), 0);
	assert_int_equal(buf_puts(&b, "9"), TE_NOMEM);
	assert_int_equal(b.len, 8);
	assert_string_equal(b.data, "12345678");
	buf_dispose(&b);
}

static void test_buf_printf(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(buf_printf(&b, "%s=%d", "x", 42), 0);
	assert_int_equal(buf_printf(&b, ",%s", "y"), 0);
	assert_string_equal(b.data, "x=42,y");
	buf_dispose(&b);
}

static void test_err_first_wins(void **state)
{
	struct err e;

	err_clear(&e);
	assert_int_equal(err_set(&e, TE_INPUT, "bad %s", "thing"), TE_INPUT);
	err_set(&e, TE_FAIL, "later message");
	err_prefix(&e, "load %s", "f.yaml");
	assert_string_equal(e.msg, "load f.yaml: bad thing");
	assert_int_equal(e.code, TE_INPUT);
	assert_int_equal(err_exit_code(e.code), 2);
	assert_int_equal(err_exit_code(TE_UNREACHABLE), 3);
	/* 1 is kept for "applied, but a rollout failed" (sync) and "changes" (diff) */
	assert_int_equal(err_exit_code(TE_OK), 0);
	assert_int_equal(err_exit_code(TE_ROLLOUT), 1);
	assert_int_equal(err_exit_code(TE_REJECTED), 2);
	assert_int_equal(err_exit_code(TE_NOTFOUND), 2);
	assert_int_equal(err_exit_code(TE_CONFLICT), 2);
	assert_int_equal(err_exit_code(TE_NOMEM), 2);
	assert_int_equal(err_exit_code(TE_FAIL), 2);
}

static void test_duration(void **state)
{
	struct err e;
	int64_t ms;

	err_clear(&e);
	assert_int_equal(duration_parse("1h30m", &ms, &e), 0);
	assert_int_equal(ms, 5400000);
	assert_int_equal(duration_parse("250ms", &ms, &e), 0);
	assert_int_equal(ms, 250);
	assert_int_equal(duration_parse("30", &ms, &e), 0);
	assert_int_equal(ms, 30000);
	assert_int_equal(duration_parse("5x", &ms, &e), TE_INPUT);
}

static void test_hmac(void **state)
{
	char out[65];

	/* RFC 4231 test case 2 */
	hmac_sha256_hex("Jefe", 4, "what do ya want for nothing?", 28, out);
	assert_string_equal(out, "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843");
	sha256_hex("abc", 3, out);
	assert_string_equal(out, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_true(str_equal_ct("abc", "abc"));
	assert_false(str_equal_ct("abc", "abd"));
}

static void redacts(const char *url, const char *want)
{
	char *got = url_redact(url);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

/* The one redaction: userinfo goes (user too: tokens sit there), the rest stays. */
static void test_url_redact(void **state)
{
	char msg[256];
	char *user, *pass;

	redacts("https://user:tok3n@example.com/x.git", "https://example.com/x.git");
	redacts("https://ghp_abc@github.com/o/r.git", "https://github.com/o/r.git");
	redacts("http://u:p%40ss@127.0.0.1:8080/r.git", "http://127.0.0.1:8080/r.git");
	redacts("ssh://git:pw@host:2222/r.git", "ssh://host:2222/r.git");
	redacts("https://example.com/x.git", "https://example.com/x.git");
	redacts("/srv/git/app.git", "/srv/git/app.git");
	redacts("git@github.com:o/r.git", "git@github.com:o/r.git");
	/* not a URL curl accepts: the userinfo is still cut */
	redacts("weird+://a:b@h o/x", "weird+://h o/x");
	snprintf(msg, sizeof(msg), "fetch 'https://a:s3cret@h/x.git': 401 from http://b:c@h2/");
	url_redact_text(msg, sizeof(msg));
	assert_string_equal(msg, "fetch 'https://h/x.git': 401 from http://h2/");
	assert_int_equal(url_userinfo("https://al%40ce:p%3Ass@h/x", &user, &pass), 0);
	assert_string_equal(user, "al@ce");
	assert_string_equal(pass, "p:ss");
	free(user);
	free(pass);
	assert_int_equal(url_userinfo("https://h/x", &user, &pass), 0);
	assert_null(user);
	assert_null(pass);
}

/* array_reserve grows by doubling, keeps what is there, and refuses an overflowing size. */
static void test_array_reserve(void **state)
{
	struct pair {
		int a, b;
	} *v = NULL;
	size_t cap = 0;

	assert_int_equal(array_reserve(&v, &cap, 1, sizeof(*v)), 0);
	assert_int_equal(cap, 8);
	v[0] = (struct pair){1, 2};
	assert_int_equal(array_reserve(&v, &cap, 8, sizeof(*v)), 0);
	assert_int_equal(cap, 8);
	assert_int_equal(array_reserve(&v, &cap, 9, sizeof(*v)), 0);
	assert_int_equal(cap, 16);
	assert_int_equal(array_reserve(&v, &cap, 100, sizeof(*v)), 0);
	assert_int_equal(cap, 128);
	assert_int_equal(v[0].b, 2);
	assert_int_equal(array_reserve(&v, &cap, SIZE_MAX / 4, sizeof(*v)), TE_NOMEM);
	assert_int_equal(cap, 128);
	assert_int_equal(v[0].a, 1);
	free(v);
}

static void test_sleep_for_ms(void **state)
{
	int64_t t0 = now_ms();

	sleep_for_ms(30);
	assert_true(now_ms() - t0 >= 30);
}

static void test_suggest(void **state)
{
	char t[TIME_RFC3339_LEN];

	assert_int_equal(str_distance("sync", "sync"), 0);
	assert_int_equal(str_distance("synk", "sync"), 1);
	assert_int_equal(str_distance("sycn", "sync"), 1); /* a swap is one edit */
	assert_int_equal(str_distance("", "diff"), 4);
	assert_int_equal(str_distance("kitten", "sitting"), 3);
	assert_true(str_suggests("hist", "history"));  /* a prefix */
	assert_true(str_suggests("rollbak", "rollback"));
	assert_false(str_suggests("status", "sync"));  /* three edits */
	assert_false(str_suggests("sync", "sync"));    /* itself is not a suggestion */
	assert_false(str_suggests("", "sync"));
	time_rfc3339(0, t);
	assert_string_equal(t, "1970-01-01T00:00:00Z");
	time_rfc3339(1796688001, t);
	assert_string_equal(t, "2026-12-08T00:00:01Z");
}

/* A log line as log_kv writes it to stderr. */
static void log_line(char *out, size_t n, enum log_format fmt)
{
	char num[LOG_NUM_LEN], dur[LOG_NUM_LEN];
	FILE *f = tmpfile();
	int saved = dup(STDERR_FILENO);
	size_t len;

	assert_non_null(f);
	fflush(stderr);
	dup2(fileno(f), STDERR_FILENO);
	log_configure(fmt, LOG_INFO);
	log_kv(LOG_INFO, "sync", "created", log_num(num, 3), "durationMs", log_num(dur, 1.5),
	       "commit", "1234", NULL);
	fflush(stderr);
	dup2(saved, STDERR_FILENO);
	close(saved);
	rewind(f);
	len = fread(out, 1, n - 1, f);
	out[len] = '\0';
	fclose(f);
}

static void test_log_numbers(void **state)
{
	char line[512];

	log_line(line, sizeof(line), LOG_JSON);
	assert_non_null(strstr(line, "\"created\":3,"));
	assert_non_null(strstr(line, "\"durationMs\":1.500,"));
	assert_non_null(strstr(line, "\"commit\":\"1234\"}")); /* digits given as text stay text */
	log_line(line, sizeof(line), LOG_LOGFMT);
	assert_non_null(strstr(line, " created=3 durationMs=1.500 commit=1234"));
	log_configure(LOG_LOGFMT, LOG_INFO);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_buf_cap),
		cmocka_unit_test(test_buf_printf),
		cmocka_unit_test(test_err_first_wins),
		cmocka_unit_test(test_duration),
		cmocka_unit_test(test_hmac),
		cmocka_unit_test(test_url_redact),
		cmocka_unit_test(test_array_reserve),
		cmocka_unit_test(test_sleep_for_ms),
		cmocka_unit_test(test_suggest),
		cmocka_unit_test(test_log_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
