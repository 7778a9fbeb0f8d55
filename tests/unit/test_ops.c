/* ops: kubectl's ages, RFC 3339 stamps, and the inventory's annotations. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ops.h"

static void age_is(int64_t s, const char *want)
{
	char got[32];

	ops_age(s, got, sizeof(got));
	assert_string_equal(got, want);
}

/* The cases of apimachinery's duration.HumanDuration. */
static void test_age(void **state)
{
	age_is(-2, "<invalid>");
	age_is(-1, "0s");
	age_is(0, "0s");
	age_is(119, "119s");
	age_is(120, "2m");
	age_is(200, "3m20s");
	age_is(599, "9m59s");
	age_is(600, "10m");
	age_is(3 * 3600 - 1, "179m");
	age_is(3 * 3600, "3h");
	age_is(3 * 3600 + 60, "3h1m");
	age_is(8 * 3600, "8h");
	age_is(47 * 3600 + 59 * 60, "47h");
	age_is(48 * 3600, "2d");
	age_is(49 * 3600, "2d1h");
	age_is(8 * 86400, "8d");
	age_is(2 * 365 * 86400, "2y");
	age_is(2 * 365 * 86400 + 86400, "2y1d");
	age_is(8 * 365 * 86400, "8y");
}

static void test_times(void **state)
{
	char now[40];

	assert_int_equal(ops_parse_time("1970-01-01T00:01:00Z"), 60);
	assert_int_equal(ops_parse_time("2026-12-08T00:27:59.123456Z"), 1796689679);
	assert_int_equal(ops_parse_time("2026-12-08T00:27:59+01:00"), -1);
	assert_int_equal(ops_parse_time("yesterday"), -1);
	assert_int_equal(ops_parse_time(NULL), -1);
	time_rfc3339_micro(now);
	assert_int_equal(strlen(now), 27); /* fixed width: stamps compare as strings */
	assert_true(ops_parse_time(now) > 1700000000);
}

static void test_annotations(void **state)
{
	cJSON *cm = cJSON_Parse("{\"metadata\":{\"labels\":{\"tether.dev/inventory\":\"web\"},"
				"\"annotations\":{\"tether.dev/suspended\":\"true\"}}}");
	cJSON *off =
	    cJSON_Parse("{\"metadata\":{\"annotations\":{\"tether.dev/suspended\":\"yes\"}}}");

	assert_string_equal(ops_app_of(cm), "web");
	assert_string_equal(ops_app_of(off), "");
	assert_true(ops_is_suspended(cm));
	assert_false(ops_is_suspended(off)); /* only "true" suspends */
	assert_false(ops_is_suspended(NULL));
	assert_null(ops_annotation(cm, OPS_ANN_REQUESTED));
	cJSON_Delete(cm);
	cJSON_Delete(off);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_age),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_annotations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
