/* Unit tests for the lease decisions: who may take the lease, and that expiry is
 * measured on the candidate's clock from when the record last changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_int.h"

static void test_free_or_own(void **state)
{
	struct lease_seen s;

	memset(&s, 0, sizeof(s));
	lease_observe(&s, "", "", 1000);
	assert_true(lease_can_acquire(&s, "me", 1000, 15000));
	lease_observe(&s, "me", "t1", 2000);
	assert_true(lease_can_acquire(&s, "me", 2000, 15000));
}

static void test_expiry(void **state)
{
	struct lease_seen s;

	memset(&s, 0, sizeof(s));
	lease_observe(&s, "other", "t1", 1000);
	assert_false(lease_can_acquire(&s, "me", 1000, 15000));
	/* the same record seen again does not reset the clock */
	lease_observe(&s, "other", "t1", 10000);
	assert_false(lease_can_acquire(&s, "me", 16000, 15000));
	assert_true(lease_can_acquire(&s, "me", 16001, 15000));
	/* a renewal resets it */
	lease_observe(&s, "other", "t2", 16001);
	assert_false(lease_can_acquire(&s, "me", 20000, 15000));
	assert_true(lease_can_acquire(&s, "me", 31002, 15000));
	/* a new holder too */
	lease_observe(&s, "third", "t2", 31002);
	assert_false(lease_can_acquire(&s, "me", 31003, 15000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_free_or_own),
	    cmocka_unit_test(test_expiry),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
