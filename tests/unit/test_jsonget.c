/* Unit tests for jsonget: path reads find what is there and only what has the type asked. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonget.h"

static const char doc[] = "{\"metadata\": {\"name\": \"web\", \"namespace\": \"\","
			  " \"labels\": {\"app\": \"web\"}, \"generation\": 3},"
			  " \"spec\": {\"replicas\": 2.9, \"paused\": true, \"list\": [1],"
			  " \"Name\": \"upper\"}}";

static void test_paths(void **state)
{
	cJSON *o = cJSON_Parse(doc);

	assert_non_null(o);
	assert_ptr_equal(json_get(o, NULL), o);
	assert_string_equal(json_str(o, "metadata", "name", NULL), "web");
	assert_string_equal(json_str(o, "metadata", "labels", "app", NULL), "web");
	assert_null(json_str(o, "metadata", "labels", "missing", NULL));
	assert_null(json_str(o, "spec", "name", NULL)); /* keys are case-sensitive */
	assert_null(json_str(o, "metadata", "name", "deeper", NULL));
	assert_null(json_str(NULL, "metadata", NULL));
	assert_string_equal(json_str_or(o, "-", "metadata", "uid", NULL), "-");
	assert_string_equal(json_str_or(o, "-", "metadata", "namespace", NULL), "");
	assert_null(json_nonempty(o, "metadata", "namespace", NULL));
	assert_string_equal(json_nonempty(o, "metadata", "name", NULL), "web");
	assert_int_equal(json_int(o, -1, "metadata", "generation", NULL), 3);
	assert_int_equal(json_int(o, -1, "spec", "replicas", NULL), 2);
	assert_int_equal(json_int(o, -1, "metadata", "name", NULL), -1);
	assert_true(json_true(o, "spec", "paused", NULL));
	assert_false(json_true(o, "spec", "list", NULL));
	assert_non_null(json_arr(o, "spec", "list", NULL));
	assert_null(json_arr(o, "spec", NULL));
	assert_non_null(json_obj(o, "spec", NULL));
	assert_null(json_obj(o, "spec", "list", NULL));
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_paths),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
