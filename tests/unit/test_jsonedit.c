/* Unit tests for jsonedit: edits land where asked, or fail and free what they took. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "jsonedit.h"
#include "util.h"

static void assert_json(const cJSON *v, const char *want)
{
	char *s = cJSON_PrintUnformatted(v);

	assert_non_null(s);
	assert_string_equal(s, want);
	free(s);
}

/* Parsed arrays are what Debian's cJSON 1.7.15 refuses to insert into. */
static void test_array_insert(void **state)
{
	cJSON *a = cJSON_Parse("[\"A\",\"C\"]");

	assert_int_equal(json_array_insert(a, 1, cJSON_CreateString("B")), 0);
	assert_json(a, "[\"A\",\"B\",\"C\"]");
	assert_int_equal(json_array_insert(a, 0, cJSON_CreateString("0")), 0);
	assert_int_equal(json_array_insert(a, 4, cJSON_CreateString("D")), 0);
	assert_int_equal(json_array_insert(a, 3, cJSON_CreateString("c")), 0);
	assert_json(a, "[\"0\",\"A\",\"B\",\"c\",\"C\",\"D\"]");
	/* Out of range and a failed allocation are errors, and change nothing. */
	assert_int_equal(json_array_insert(a, 7, cJSON_CreateString("X")), TE_FAIL);
	assert_int_equal(json_array_insert(a, -1, cJSON_CreateString("X")), TE_FAIL);
	assert_int_equal(json_array_insert(a, 1, NULL), TE_NOMEM);
	assert_int_equal(cJSON_GetArraySize(a), 6);
	cJSON_Delete(a);
}

static void test_array_replace(void **state)
{
	cJSON *a = cJSON_Parse("[1,2,3]");

	assert_int_equal(json_array_replace(a, 1, cJSON_CreateNumber(9)), 0);
	assert_json(a, "[1,9,3]");
	assert_int_equal(json_array_replace(a, 3, cJSON_CreateNumber(9)), TE_FAIL);
	assert_int_equal(json_array_append(a, cJSON_CreateNumber(4)), 0);
	assert_int_equal(json_array_append(a, NULL), TE_NOMEM);
	assert_json(a, "[1,9,3,4]");
	cJSON_Delete(a);
}

/* set replaces in place (the order Git wrote is kept) and adds what is missing. */
static void test_object_set(void **state)
{
	cJSON *o = cJSON_Parse("{\"a\":1,\"b\":2,\"c\":3}");

	assert_int_equal(json_object_set(o, "b", cJSON_CreateString("x")), 0);
	assert_int_equal(json_object_set(o, "d", cJSON_CreateNull()), 0);
	assert_int_equal(json_object_add_string(o, "e", "y"), 0);
	assert_json(o, "{\"a\":1,\"b\":\"x\",\"c\":3,\"d\":null,\"e\":\"y\"}");
	assert_int_equal(json_object_set(o, "a", NULL), TE_NOMEM);
	assert_int_equal(json_object_add(NULL, "a", cJSON_CreateNull()), TE_FAIL);
	assert_int_equal(json_array_append(o, cJSON_CreateNull()), TE_FAIL);
	assert_json(o, "{\"a\":1,\"b\":\"x\",\"c\":3,\"d\":null,\"e\":\"y\"}");
	cJSON_Delete(o);
}

/* move_last relinks the member: its name stays, nothing is copied. */
static void test_object_move_last(void **state)
{
	cJSON *o = cJSON_Parse("{\"status\":{},\"a\":1,\"b\":[2]}");

	json_object_move_last(o, "status");
	json_object_move_last(o, "missing");
	json_object_move_last(NULL, "status");
	assert_json(o, "{\"a\":1,\"b\":[2],\"status\":{}}");
	assert_non_null(cJSON_GetObjectItemCaseSensitive(o, "status"));
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_array_insert),
	    cmocka_unit_test(test_array_replace),
	    cmocka_unit_test(test_object_set),
	    cmocka_unit_test(test_object_move_last),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
