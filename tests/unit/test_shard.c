/* Unit tests for sharding's pure parts: rendezvous hashing spreads apps evenly and
 * moves only what it must when a member leaves or joins, whatever the members' order;
 * a member is live by the observer's clock, from when its record last changed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_int.h"

#define APPS 3000

static char apps[APPS][16];

static int setup(void **state)
{
	for (int i = 0; i < APPS; i++)
		snprintf(apps[i], sizeof(apps[i]), "app-%d", i);
	return 0;
}

static const char *owner(const char *const *m, size_t n, const char *app)
{
	long i = shard_pick(m, n, app);

	return i < 0 ? NULL : m[i];
}

static void test_pure(void **state)
{
	const char *m[] = {"host_1", "host_2", "host_3"};
	const char *r[] = {"host_3", "host_1", "host_2"};

	assert_int_equal(shard_pick(m, 0, "web"), -1);
	assert_int_equal(shard_pick(m, 1, "web"), 0);
	/* a function of the set, not of the order the members were listed in */
	for (int i = 0; i < APPS; i++)
		assert_string_equal(owner(m, 3, apps[i]), owner(r, 3, apps[i]));
	assert_true(shard_weight("ab", "c") != shard_weight("a", "bc"));
	assert_true(shard_weight("host_1", "web") == shard_weight("host_1", "web"));
}

/* Every member gets its share within 10 % of even, for 2 to 7 members. */
static void test_balance(void **state)
{
	const char *m[] = {"tether-0_1", "tether-1_1", "tether-2_1", "node-a_4242",
			   "node-b_77",	 "node-c_9",   "x_1"};

	for (size_t n = 2; n <= 7; n++) {
		size_t count[7] = {0};
		double even = (double)APPS / (double)n;

		for (int i = 0; i < APPS; i++)
			count[shard_pick(m, n, apps[i])]++;
		for (size_t k = 0; k < n; k++) {
			char what[64];
			snprintf(what, sizeof(what), "%zu members, member %zu: %zu apps", n, k,
				 count[k]);
			if ((double)count[k] < even * 0.9 || (double)count[k] > even * 1.1)
				fail_msg("unbalanced: %s (even %.0f)", what, even);
		}
	}
}

/* A member leaving moves only its own apps, spread over the others; one joining takes
 * only apps it now owns, about its share, from every member. */
static void test_minimal_movement(void **state)
{
	const char *four[] = {"a_1", "b_2", "c_3", "d_4"};
	const char *three[] = {"a_1", "b_2", "c_3"};
	size_t moved = 0, to[3] = {0}, joined = 0;

	for (int i = 0; i < APPS; i++) {
		const char *before = owner(four, 4, apps[i]), *after = owner(three, 3, apps[i]);

		if (strcmp(before, "d_4") != 0) {
			assert_string_equal(before, after); /* nobody else's app moves */
			continue;
		}
		moved++;
		to[shard_pick(three, 3, apps[i])]++;
	}
	for (int k = 0; k < 3; k++) /* d's apps spread over a, b and c */
		assert_true(to[k] > moved / 3 * 8 / 10 && to[k] < moved / 3 * 12 / 10);
	/* the reverse: d joining takes only what it then owns */
	for (int i = 0; i < APPS; i++) {
		const char *before = owner(three, 3, apps[i]), *after = owner(four, 4, apps[i]);
		if (strcmp(before, after) != 0) {
			assert_string_equal(after, "d_4");
			joined++;
		}
	}
	assert_int_equal(joined, moved);
	assert_true(joined > APPS / 4 * 9 / 10 && joined < APPS / 4 * 11 / 10);
}

static void test_member_live(void **state)
{
	struct lease_seen s;

	memset(&s, 0, sizeof(s));
	assert_false(shard_member_live(&s, 1000, 3000)); /* never seen */
	lease_observe(&s, "b_2", "t1", 1000);
	assert_true(shard_member_live(&s, 1000, 3000)); /* first seen: counts from now */
	lease_observe(&s, "b_2", "t1", 3900);		  /* unchanged: the clock runs on */
	assert_true(shard_member_live(&s, 4000, 3000));
	assert_false(shard_member_live(&s, 4001, 3000)); /* a full lease without a renewal */
	lease_observe(&s, "b_2", "t2", 5000);		  /* renewed: live again */
	assert_true(shard_member_live(&s, 7999, 3000));
	lease_observe(&s, "", "t3", 6000); /* a clean stop clears the holder: gone at once */
	assert_false(shard_member_live(&s, 6000, 3000));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pure),
	    cmocka_unit_test(test_balance),
	    cmocka_unit_test(test_minimal_movement),
	    cmocka_unit_test(test_member_live),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
