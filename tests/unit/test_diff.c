/* Unit tests for the line diff (Myers), Secret masking and the per-object diff. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync_int.h"
#include "alloc_fail.h"

static char *udiff(const char *a, const char *b, int context, int *rc)
{
	struct buf out;
	struct err e;

	buf_init(&out, 0);
	err_clear(&e);
	*rc = linediff_unified("a", a, "b", b, context, false, &out, &e);
	return buf_detach(&out);
}

/* Counts the removed and added lines of a diff (not its ---/+++ header). */
static void count_changes(const char *d, int *minus, int *plus)
{
	for (const char *p = d; (p = strchr(p, '\n')); p++) {
		*minus += p[1] == '-' && p[2] != '-';
		*plus += p[1] == '+' && p[2] != '+';
	}
}

static void test_equal(void **state)
{
	int rc;
	char *d = udiff("x\ny\n", "x\ny\n", 3, &rc);

	assert_int_equal(rc, 0);
	assert_string_equal(d, "");
	free(d);
}

static void test_change_middle(void **state)
{
	int rc;
	char *d = udiff("1\n2\n3\n4\n5\n6\n7\n8\n9\n", "1\n2\n3\n4\nFIVE\n6\n7\n8\n9\n", 3, &rc);

	assert_int_equal(rc, 1);
	assert_string_equal(d, "--- a\n+++ b\n@@ -2,7 +2,7 @@\n 2\n 3\n 4\n-5\n+FIVE\n 6\n 7\n 8\n");
	free(d);
}

static void test_add_delete_ends(void **state)
{
	int rc;
	char *d = udiff("", "a\nb\n", 3, &rc);

	assert_int_equal(rc, 1);
	assert_string_equal(d, "--- a\n+++ b\n@@ -0,0 +1,2 @@\n+a\n+b\n");
	free(d);
	d = udiff("a\nb\nc\n", "b\nc\nd\n", 1, &rc);
	assert_string_equal(d, "--- a\n+++ b\n@@ -1,3 +1,3 @@\n-a\n b\n c\n+d\n");
	free(d);
}

static void test_two_hunks(void **state)
{
	struct buf a, b;
	int rc;
	char *d;

	buf_init(&a, 0);
	buf_init(&b, 0);
	for (int i = 1; i <= 20; i++) {
		buf_printf(&a, "%d\n", i);
		buf_printf(&b, "%d\n", i == 2 ? 200 : i == 18 ? 1800 : i);
	}
	d = udiff(a.data, b.data, 2, &rc);
	assert_int_equal(rc, 1);
	assert_string_equal(d, "--- a\n+++ b\n"
			       "@@ -1,4 +1,4 @@\n 1\n-2\n+200\n 3\n 4\n"
			       "@@ -16,5 +16,5 @@\n 16\n 17\n-18\n+1800\n 19\n 20\n");
	free(d);
	buf_dispose(&a);
	buf_dispose(&b);
}

/* Applies a unified diff's +/-/space lines to check the script is consistent. */
static void test_random_consistency(void **state)
{
	srand(7);
	for (int round = 0; round < 200; round++) {
		struct buf a, b, ra, rb;
		int rc;
		char *d, *line, *save = NULL;

		buf_init(&a, 0), buf_init(&b, 0), buf_init(&ra, 0), buf_init(&rb, 0);
		for (int i = 0, n = rand() % 30; i < n; i++)
			buf_printf(&a, "%c\n", 'a' + rand() % 4);
		for (int i = 0, n = rand() % 30; i < n; i++)
			buf_printf(&b, "%c\n", 'a' + rand() % 4);
		d = udiff(a.data ? a.data : "", b.data ? b.data : "", 100000, &rc);
		/* With huge context the only hunk covers everything: rebuild both sides. */
		for (line = strtok_r(d, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
			if (!strncmp(line, "---", 3) || !strncmp(line, "+++", 3) || !strncmp(line, "@@", 2))
				continue;
			if (line[0] != '+')
				buf_printf(&ra, "%s\n", line + 1);
			if (line[0] != '-')
				buf_printf(&rb, "%s\n", line + 1);
		}
		if (rc == 1) {
			assert_string_equal(ra.data ? ra.data : "", a.data ? a.data : "");
			assert_string_equal(rb.data ? rb.data : "", b.data ? b.data : "");
		} else {
			assert_string_equal(a.data ? a.data : "", b.data ? b.data : "");
		}
		free(d);
		buf_dispose(&a), buf_dispose(&b), buf_dispose(&ra), buf_dispose(&rb);
	}
}

static void test_minimal(void **state)
{
	int rc, minus = 0, plus = 0;
	char *d = udiff("a\nb\nc\na\nb\nb\na\n", "c\nb\na\nb\na\nc\n", 100, &rc);

	/* Myers' classic example: the shortest edit script has 5 edits. */
	count_changes(d, &minus, &plus);
	assert_int_equal(minus + plus, 5);
	free(d);
}

/* A last line without its newline is a line like any other, shown without a marker. */
static void test_no_final_newline(void **state)
{
	int rc;
	char *d = udiff("a\nb", "a\nc", 3, &rc);

	assert_int_equal(rc, 1);
	assert_string_equal(d, "--- a\n+++ b\n@@ -1,2 +1,2 @@\n a\n-b\n+c\n");
	free(d);
	d = udiff("a\nb", "a\nb\n", 3, &rc);
	assert_int_equal(rc, 0);
	assert_string_equal(d, "");
	free(d);
}

/* Thousands of scattered changes still make a line-by-line diff, not one big
 * replacement: unchanged lines stay in view as context. */
static void test_many_changes(void **state)
{
	struct buf a, b;
	int rc, minus = 0, plus = 0;
	char *d;

	buf_init(&a, 0);
	buf_init(&b, 0);
	for (int i = 0; i < 6000; i++) {
		buf_printf(&a, "line %d\n", i);
		buf_printf(&b, i % 2 ? "line %d changed\n" : "line %d\n", i);
	}
	d = udiff(a.data, b.data, 3, &rc);
	assert_int_equal(rc, 1);
	assert_non_null(strstr(d, "\n line 0\n-line 1\n+line 1 changed\n line 2\n"));
	assert_non_null(strstr(d, "\n line 5998\n-line 5999\n+line 5999 changed\n"));
	count_changes(d, &minus, &plus);
	assert_int_equal(minus, 3000);
	assert_int_equal(plus, 3000);
	free(d);
	buf_dispose(&a);
	buf_dispose(&b);
}

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	return j;
}

/* Whatever allocation fails while masking, no Secret value is left in view. */
static void test_secret_mask_out_of_memory(void **state)
{

	for (long n = 1; n < 1000; n++) {
		cJSON *live = parse("{\"data\":{\"a\":\"UElOMTIzNA==\",\"b\":\"b2xk\"}}");
		cJSON *want = parse("{\"data\":{\"a\":\"UElOMTIzNQ==\"},"
				    "\"stringData\":{\"pw\":\"hunter2\"}}");
		char *a, *b;

		alloc_fail_start(n, ALLOC_FAIL_FROM);
		secret_mask(live, want);
		alloc_fail_stop();
		a = cJSON_PrintUnformatted(live);
		b = cJSON_PrintUnformatted(want);
		assert_null(strstr(a, "UElO"));
		assert_null(strstr(a, "b2xk"));
		assert_null(strstr(b, "UElO"));
		assert_null(strstr(b, "hunter2"));
		free(a);
		free(b);
		cJSON_Delete(live);
		cJSON_Delete(want);
		if (alloc_fail_count() < n)
			break; /* no allocation left to fail */
	}
}

static void test_secret_mask(void **state)
{
	cJSON *live = parse("{\"data\":{\"same\":\"c2FtZQ==\",\"old\":\"b2xk\",\"gone\":\"eA==\"},"
			    "\"metadata\":{\"annotations\":{\"kubectl.kubernetes.io/"
			    "last-applied-configuration\":\"{secret}\"}}}");
	cJSON *want = parse("{\"data\":{\"same\":\"c2FtZQ==\",\"old\":\"bmV3\",\"new\":\"eQ==\"},"
			    "\"stringData\":{\"pw\":\"hunter2\"}}");
	char *a, *b;

	secret_mask(live, want);
	a = cJSON_PrintUnformatted(live);
	b = cJSON_PrintUnformatted(want);
	assert_null(strstr(a, "c2FtZQ"));
	assert_null(strstr(a, "{secret}"));
	assert_null(strstr(b, "hunter2"));
	assert_null(strstr(b, "bmV3"));
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(want, "data"), "same")->valuestring, "***");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(want, "data"), "old")->valuestring,
			    "*** (changed)");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(want, "data"), "new")->valuestring,
			    "*** (changed)");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(live, "data"), "old")->valuestring, "***");
	free(a);
	free(b);
	cJSON_Delete(live);
	cJSON_Delete(want);
}

static void test_diff_object_secret(void **state)
{
	cJSON *live = parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\","
			    "\"resourceVersion\":\"5\",\"uid\":\"u\",\"managedFields\":[{}]},"
			    "\"data\":{\"password\":\"b2xkcGFzcw==\",\"user\":\"YWRtaW4=\"}}");
	cJSON *dry = parse("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"db\","
			   "\"resourceVersion\":\"5\",\"uid\":\"u\",\"managedFields\":[{}]},"
			   "\"data\":{\"password\":\"bmV3cGFzcw==\",\"user\":\"YWRtaW4=\"}}");
	struct buf out;
	struct err e;

	buf_init(&out, 0);
	err_clear(&e);
	assert_int_equal(diff_object("secret/db", live, dry, true, false, &out, &e), 1);
	assert_null(strstr(out.data, "b2xk"));
	assert_null(strstr(out.data, "bmV3"));
	assert_null(strstr(out.data, "YWRt"));
	assert_null(strstr(out.data, "resourceVersion"));
	assert_null(strstr(out.data, "managedFields"));
	assert_non_null(strstr(out.data, "*** (changed)"));
	assert_non_null(strstr(out.data, "--- secret/db (live)"));
	/* The inputs are not modified. */
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(dry, "data"), "password")->valuestring,
			    "bmV3cGFzcw==");
	/* Same content: no diff. */
	buf_reset(&out);
	assert_int_equal(diff_object("secret/db", live, live, true, false, &out, &e), 0);
	assert_int_equal(out.len, 0);
	/* Create and prune show every line, masked. */
	assert_int_equal(diff_object("secret/db", NULL, dry, true, false, &out, &e), 1);
	assert_null(strstr(out.data, "bmV3"));
	buf_reset(&out);
	assert_int_equal(diff_object("secret/db", live, NULL, true, false, &out, &e), 1);
	assert_null(strstr(out.data, "b2xk"));
	assert_non_null(strstr(out.data, "(pruned)"));
	buf_dispose(&out);
	cJSON_Delete(live);
	cJSON_Delete(dry);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_equal),
		cmocka_unit_test(test_change_middle),
		cmocka_unit_test(test_add_delete_ends),
		cmocka_unit_test(test_two_hunks),
		cmocka_unit_test(test_random_consistency),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_no_final_newline),
		cmocka_unit_test(test_many_changes),
		cmocka_unit_test(test_secret_mask),
		cmocka_unit_test(test_secret_mask_out_of_memory),
		cmocka_unit_test(test_diff_object_secret),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
