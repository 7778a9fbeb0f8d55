/* Unit tests for where an app's inventory lives: the rule reads the configuration
 * alone, the legacy place is the context's namespace, and the verdict on what was
 * found (one, a legacy one to move, two: an error naming both). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "sync_int.h"

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

/* The LIST across namespaces: another namespace's inventory is an error, the rule's and
 * the legacy one are not, a 403 leaves the verdict to the GETs, other errors stop. */
static void test_elsewhere(void **state)
{
	struct kube_list_q q = {0};
	struct err e;

	(void)state;
	q.out = cJSON_Parse("{\"items\":[{\"metadata\":{\"name\":\"tether-inventory-shop\","
			    "\"namespace\":\"default\"}},{\"metadata\":{\"name\":"
			    "\"tether-inventory-shop\",\"namespace\":\"alpha\"}}]}");
	assert_non_null(q.out);
	err_clear(&e);
	assert_int_equal(inventory_elsewhere("shop", &q, "default", "alpha", true, &e), 0);
	assert_int_equal(inventory_elsewhere("shop", &q, "default", NULL, true, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "two inventories, default/tether-inventory-shop and "
				      "alpha/tether-inventory-shop"));
	err_clear(&e);
	assert_int_equal(inventory_elsewhere("shop", &q, "shop", "default", false, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "its inventory in alpha/tether-inventory-shop, not in "
				      "namespace shop"));
	cJSON_Delete(q.out);
	q.out = NULL;
	q.rc = TE_REJECTED;
	q.status = 403;
	err_clear(&e);
	assert_int_equal(inventory_elsewhere("shop", &q, "shop", NULL, false, &e), 0);
	q.status = 500;
	q.rc = TE_UNREACHABLE;
	err_set(&q.err, TE_UNREACHABLE, "server down");
	assert_int_equal(inventory_elsewhere("shop", &q, "shop", NULL, false, &e), TE_UNREACHABLE);
	assert_non_null(strstr(e.msg, "server down"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rule),
	    cmocka_unit_test(test_pick),
	    cmocka_unit_test(test_elsewhere),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
