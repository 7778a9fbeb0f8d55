/* Unit tests for jsonpick: what is kept, what is skipped, what is refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonpick.h"

static const struct json_pick meta_fields[] = {
    {"name", NULL}, {"uid", NULL}, {"annotations", NULL}, {NULL, NULL}};
static const struct json_pick meta_only[] = {{"metadata", meta_fields}, {NULL, NULL}};
static const struct json_pick list_items[] = {{"metadata", NULL}, {"items", meta_only},
					      {NULL, NULL}};

static char *pick_print(const char *text, const struct json_pick *pick)
{
	cJSON *v = json_pick_parse(text, strlen(text), pick);
	char *s = v ? cJSON_PrintUnformatted(v) : NULL;

	cJSON_Delete(v);
	return s;
}

static void assert_pick(const char *text, const struct json_pick *pick, const char *want)
{
	char *got = pick_print(text, pick);

	assert_non_null(got);
	assert_string_equal(got, want);
	free(got);
}

static void assert_refused(const char *text, const struct json_pick *pick)
{
	cJSON *v = json_pick_parse(text, strlen(text), pick);

	if (v) {
		char *s = cJSON_PrintUnformatted(v);
		fail_msg("accepted %s as %s", text, s);
	}
}

static void test_keeps_picked_members(void **state)
{
	assert_pick("{\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\",\"uid\":\"u1\","
		    "\"managedFields\":[{\"manager\":\"x\",\"fieldsV1\":{\"f:a\":{}}}],"
		    "\"annotations\":{\"a\":\"1\"}},\"spec\":{\"replicas\":3,\"x\":[1,2.5e3,-0.1,"
		    "true,false,null,\"s\\\"q\"]},\"status\":{}}",
		    meta_only, "{\"metadata\":{\"name\":\"web\",\"uid\":\"u1\",\"annotations\":{\"a\":\"1\"}}}");
}

static void test_arrays_pick_each_element(void **state)
{
	assert_pick(" {\"apiVersion\":\"v1\",\"metadata\":{\"resourceVersion\":\"9\"},\n"
		    "\"items\":[{\"metadata\":{\"name\":\"a\",\"labels\":{}},\"spec\":1},"
		    "{\"metadata\":{\"name\":\"b\"}}]}",
		    list_items,
		    "{\"metadata\":{\"resourceVersion\":\"9\"},\"items\":[{\"metadata\":{\"name\":"
		    "\"a\"}},{\"metadata\":{\"name\":\"b\"}}]}");
	assert_pick("{\"items\":[]}", list_items, "{\"items\":[]}");
}

static void test_nothing_and_everything(void **state)
{
	const char *text = "{\"a\":{\"b\":[1,{\"c\":\"\\u00e9\\ud83d\\ude00\"}]},\"d\":null}";
	char *got = pick_print(text, NULL);

	assert_pick(text, json_pick_nothing, "{}");
	assert_non_null(got);
	assert_string_equal(got, "{\"a\":{\"b\":[1,{\"c\":\"\xc3\xa9\xf0\x9f\x98\x80\"}]},\"d\":null}");
	free(got);
	/* a scalar is kept as it is */
	assert_pick("42", meta_only, "42");
}

static void test_long_strings_are_skipped_exactly(void **state)
{
	/* escapes and the closing quote at every offset of the 8-byte runs */
	for (int at = 0; at < 24; at++) {
		const char *x = "xxxxxxxxxxxxxxxxxxxxxxxx";
		char text[160];

		snprintf(text, sizeof(text),
			 "{\"spec\":\"%.*s\\\"%.*s\\\\yyyyyyyyyyyyyyyy\",\"metadata\":{\"name\":\"n\"}}",
			 at, x, 24 - at, x);
		assert_pick(text, meta_only, "{\"metadata\":{\"name\":\"n\"}}");
		snprintf(text, sizeof(text), "{\"spec\":\"%.*syyyyyyyyyyyyyyyy\\\"}", at, x);
		assert_refused(text, meta_only);
	}
}

static void test_escaped_key_matches(void **state)
{
	assert_pick("{\"meta\\u0064ata\":{\"n\\u0061me\":\"x\"}}", meta_only,
		    "{\"metadata\":{\"name\":\"x\"}}");
}

static void test_refuses_what_is_not_json(void **state)
{
	const char *bad[] = {
	    "",
	    "{",
	    "{\"spec\":{\"a\":1,}}",
	    "{\"spec\":[1 2]}",
	    "{\"spec\" 1}",
	    "{\"spec\":\"unterminated}",
	    "{\"spec\":\"bad \\x escape\"}",
	    "{\"spec\":\"\\u12G4\"}",
	    "{\"spec\":tru}",
	    "{\"spec\":-}",
	    "{\"spec\":1.}",
	    "{\"spec\":1e}",
	    "{spec:1}",
	    "{\"metadata\":{\"name\":}}",
	    "{\"metadata\":{\"name\":\"a\"},\"spec\":{\"a\":[}}",
	    "<html>",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_refused(bad[i], meta_only);
}

static void test_depth_is_bounded(void **state)
{
	size_t n = 5000;
	char *deep = malloc(2 * n + 32);

	assert_non_null(deep);
	strcpy(deep, "{\"spec\":");
	memset(deep + 8, '[', n);
	memset(deep + 8 + n, ']', n);
	strcpy(deep + 8 + 2 * n, "}");
	assert_refused(deep, meta_only);
	free(deep);
}

static void test_length_is_respected(void **state)
{
	const char *text = "{\"metadata\":{\"name\":\"a\"}}GARBAGE";
	cJSON *v = json_pick_parse(text, 10, meta_only);

	assert_null(v);
	v = json_pick_parse(text, strlen(text), meta_only); /* as cJSON: text after is ignored */
	assert_non_null(v);
	cJSON_Delete(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keeps_picked_members),
	    cmocka_unit_test(test_arrays_pick_each_element),
	    cmocka_unit_test(test_nothing_and_everything),
	    cmocka_unit_test(test_long_strings_are_skipped_exactly),
	    cmocka_unit_test(test_escaped_key_matches),
	    cmocka_unit_test(test_refuses_what_is_not_json),
	    cmocka_unit_test(test_depth_is_bounded),
	    cmocka_unit_test(test_length_is_respected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
