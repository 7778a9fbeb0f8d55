/* Unit tests for where an app's inventory lives: the rule reads the configuration
 * alone, the legacy place is the context's namespace, and the verdict on what was
 * found (one, a legacy one to move, two: an error naming both). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sync.h"

static void test_rule(void **state)
{
	struct app_config c;

	(void)state;
	memset(&c, 0, sizeof(c));
	assert_string_equal(sync_inventory_namespace(&c), "default");
	/* The context never decides; it is only where an older tether looked. */
	assert_string_equal(sync_inventory_legacy_namespace(&c, "alpha"), "alpha");
	assert_null(sync_inventory_legacy_namespace(&c, "default"));
	assert_null(sync_inventory_legacy_namespace(&c, NULL));
	c.namespace = "shop";
	assert_string_equal(sync_inventory_namespace(&c), "shop");
	assert_null(sync_inventory_legacy_namespace(&c, "alpha"));
	c.inventory_namespace = "ops";
	assert_string_equal(sync_inventory_namespace(&c), "ops");
	assert_null(sync_inventory_legacy_namespace(&c, "alpha"));
}

static void test_pick(void **state)
{
	struct err none, forbidden, e;
	struct inventory_get at = {"default", TE_NOTFOUND, &none};
	struct inventory_get old = {"alpha", TE_NOTFOUND, &none};
	bool legacy = true;

	(void)state;
	err_clear(&none);
	err_clear(&forbidden);
	err_set(&forbidden, TE_REJECTED, "forbidden");
	err_clear(&e);
	assert_int_equal(inventory_pick("shop", &at, &old, &legacy, &e), 0); /* first sync */
	assert_false(legacy);
	assert_int_equal(inventory_pick("shop", &at, NULL, &legacy, &e), 0);
	old.rc = 0;
	assert_int_equal(inventory_pick("shop", &at, &old, &legacy, &e), 0);
	assert_true(legacy); /* moved by the next sync */
	at.rc = 0;
	assert_int_equal(inventory_pick("shop", &at, &old, &legacy, &e), TE_INPUT);
	assert_non_null(
	    strstr(e.msg, "default/tether-inventory-shop and alpha/tether-inventory-shop"));
	old.rc = TE_NOTFOUND;
	err_clear(&e);
	assert_int_equal(inventory_pick("shop", &at, &old, &legacy, &e), 0);
	assert_false(legacy);
	at.rc = TE_REJECTED;
	at.err = &forbidden;
	assert_int_equal(inventory_pick("shop", &at, &old, &legacy, &e), TE_REJECTED);
	assert_non_null(strstr(e.msg, "default/tether-inventory-shop: forbidden"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule),
	    cmocka_unit_test(test_pick),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
