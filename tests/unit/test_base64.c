/* Unit tests for base64: round trips, and what each mode refuses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "base64.h"

/* Decodes s; returns the code, and the text in *out (owned) when it is 0. */
static int dec(const char *s, int mode, char **out, size_t *n)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = base64_decode(s, strlen(s), mode, &b);
	if (n)
		*n = b.len;
	if (out && rc == 0)
		*out = buf_detach(&b);
	buf_dispose(&b);
	return rc;
}

static void expect(const char *s, int mode, const char *want)
{
	char *got = NULL;

	assert_int_equal(dec(s, mode, &got, NULL), 0);
	assert_string_equal(got, want);
	free(got);
}

static void test_round_trip(void **state)
{
	struct buf b;
	char *s = NULL;
	size_t n = 0;

	assert_int_equal(dec("aGVsbG8gd29ybGQ=", BASE64_LENIENT, &s, &n), 0);
	assert_string_equal(s, "hello world");
	assert_int_equal(n, 11);
	buf_init(&b, 0);
	assert_int_equal(base64_encode(s, n, &b), 0);
	assert_string_equal(b.data, "aGVsbG8gd29ybGQ=");
	buf_reset(&b);
	assert_int_equal(base64_encode("\0\1\2\377", 4, &b), 0);
	assert_string_equal(b.data, "AAEC/w==");
	free(s);
	assert_int_equal(dec("AAEC/w==", BASE64_STRICT, &s, &n), 0);
	assert_int_equal(n, 4);
	assert_memory_equal(s, "\0\1\2\377", 4);
	free(s);
	buf_reset(&b);
	assert_int_equal(base64_encode("", 0, &b), 0);
	assert_string_equal(b.data ? b.data : "", "");
	buf_dispose(&b);
	expect("", BASE64_STRICT, "");
	expect("dGVzdA==", BASE64_STRICT, "test");
	expect("dGVzdDE=", BASE64_STRICT, "test1");
	expect("dGVzdDEy", BASE64_STRICT, "test12");
}

/* Kubeconfig data: PEM pasted with line breaks, padding left out. */
static void test_lenient(void **state)
{
	expect("aGVs\nbG8g\r\nd29y bGQ=\n", BASE64_LENIENT, "hello world");
	expect("aGVsbG8gd29ybGQ", BASE64_LENIENT, "hello world");
	expect("dGVzdA", BASE64_LENIENT, "test");
	expect("  dGVzdA==  ", BASE64_LENIENT, "test");
}

static void test_refused(void **state)
{
	static const char *const bad[] = {
	    "a$b=",	  "aGVsbG8=x", "aGVsbG8=\n=x", "a",	"aGVsb",
	    "aGVsbG8===", "dGVz-A==",  "dGVz_A==",	   "\x80\x81", "dG=Vz",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(dec(bad[i], BASE64_LENIENT, NULL, NULL), TE_INPUT);
		assert_int_equal(dec(bad[i], BASE64_STRICT, NULL, NULL), TE_INPUT);
	}
}

/* What OpenSSL's EVP_DecodeBlock alone would take, and known_hosts must not. */
static void test_strict(void **state)
{
	static const char *const bad[] = {
	    " dGVzdA==", "dGVzdA==\n", "dGVz\ndA==", "dGVzdA", "dGVzdA=", "dGVzdDE==", "dGVz=",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(dec(bad[i], BASE64_STRICT, NULL, NULL), TE_INPUT);
}

/* The output is capped by the buffer. */
static void test_cap(void **state)
{
	struct buf b;

	buf_init(&b, 5);
	assert_int_equal(base64_decode("dGVzdDEy", 8, BASE64_STRICT, &b), TE_NOMEM);
	buf_reset(&b);
	assert_int_equal(base64_decode("dGVzdDE=", 8, BASE64_STRICT, &b), 0);
	assert_int_equal(b.len, 5);
	buf_reset(&b);
	assert_int_equal(base64_encode("test12", 6, &b), TE_NOMEM);
	buf_dispose(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip), cmocka_unit_test(test_lenient),
	    cmocka_unit_test(test_refused),    cmocka_unit_test(test_strict),
	    cmocka_unit_test(test_cap),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
