/* Unit tests for ratelog: one line per second per source, with the count held back. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_int.h"

static void test_once_per_interval(void **state)
{
	struct ratelog *rl = ratelog_new(8, 1000);
	long sup = -1;
	int written = 0;

	assert_non_null(rl);
	for (int i = 0; i < 50; i++) /* a flood within one second: one line */
		written += ratelog_allow(rl, "10.0.0.1", 5000 + i, &sup);
	assert_int_equal(written, 1);
	assert_false(ratelog_allow(rl, "10.0.0.1", 5999, &sup));
	/* a second later: a line again, carrying the 50 held back */
	assert_true(ratelog_allow(rl, "10.0.0.1", 6000, &sup));
	assert_int_equal(sup, 50);
	assert_true(ratelog_allow(rl, "10.0.0.1", 7000, &sup));
	assert_int_equal(sup, 0);
	ratelog_free(rl);
}

static void test_per_source(void **state)
{
	struct ratelog *rl = ratelog_new(2, 1000);
	long sup;

	assert_true(ratelog_allow(rl, "a", 100, &sup));
	assert_true(ratelog_allow(rl, "b", 100, &sup)); /* another source is not held */
	assert_false(ratelog_allow(rl, "a", 200, &sup));
	assert_false(ratelog_allow(rl, "b", 300, &sup));
	/* a third source replaces the oldest; the table stays at two */
	assert_true(ratelog_allow(rl, "c", 400, &sup));
	assert_false(ratelog_allow(rl, "c", 500, &sup));
	assert_false(ratelog_allow(rl, "b", 600, &sup));
	ratelog_free(rl);
	ratelog_free(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_once_per_interval),
	    cmocka_unit_test(test_per_source),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
