/* Unit tests for the workers' order (sched.c): webhooks first, then the longest
 * overdue, busy apps never, and no app starved by a stream of webhooks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "daemon_int.h"

#define N 8

static size_t order_of(const struct sched_app *apps, size_t n, int64_t now, size_t *order,
		       int64_t *wait)
{
	struct sched_key keys[N];

	assert_true(n <= N);
	return sched_order(apps, n, now, keys, order, wait);
}

static void test_due_oldest_first(void **state)
{
	struct sched_app apps[] = {{.due = 900}, {.due = 500}, {.due = 1200}, {.due = 700}};
	size_t order[N];
	int64_t wait;

	assert_int_equal(order_of(apps, 4, 1000, order, &wait), 3);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 3);
	assert_int_equal(order[2], 0);
	assert_int_equal(wait, 200); /* the next one is due at 1200 */
}

static void test_webhook_first(void **state)
{
	/* app 2 is not due yet, but a webhook asked for it: it goes before the overdue */
	struct sched_app apps[] = {{.due = 100},
				   {.due = 200, .triggered = true, .triggered_ms = 950},
				   {.due = 5000, .triggered = true, .triggered_ms = 900}};
	size_t order[N];
	int64_t wait;

	assert_int_equal(order_of(apps, 3, 1000, order, &wait), 3);
	assert_int_equal(order[0], 2); /* the older push first */
	assert_int_equal(order[1], 1);
	assert_int_equal(order[2], 0);
	assert_int_equal(wait, SCHED_IDLE_MS);
}

static void test_busy_never(void **state)
{
	struct sched_app apps[] = {{.due = 0, .busy = true},
				   {.busy = true, .triggered = true, .triggered_ms = 1},
				   {.due = 1500}};
	size_t order[N];
	int64_t wait;

	assert_int_equal(order_of(apps, 3, 1000, order, &wait), 0);
	assert_int_equal(wait, 500); /* busy apps do not count for the wait either */
}

/* Four apps, one worker, and a webhook for app 0 after every check: the others are
 * still reached, each within SCHED_STARVE_MS (plus the checks ahead of it) of being due. */
static void test_no_starvation(void **state)
{
	struct sched_app apps[4] = {{.due = 0}, {.due = 0}, {.due = 0}, {.due = 0}};
	int64_t checked_at[4] = {-1, -1, -1, -1}, now = 0, wait;
	size_t order[N];

	for (int round = 0; round < 200; round++, now += 100) {
		size_t k = order_of(apps, 4, now, order, &wait);
		size_t i = order[0];

		assert_true(k > 0);
		if (checked_at[i] < 0)
			checked_at[i] = now;
		apps[i].triggered = false;
		apps[i].due = now + 60000; /* checked: due again in a minute */
		apps[0].triggered = true;  /* and app 0 is pushed to again */
		apps[0].triggered_ms = now;
	}
	for (int i = 0; i < 4; i++) {
		assert_true(checked_at[i] >= 0);
		assert_true(checked_at[i] <= SCHED_STARVE_MS + 4 * 100); /* one check each */
	}
}

/* Apps that are checked as soon as due are served in turn (FIFO by due time). */
static void test_round_robin(void **state)
{
	struct sched_app apps[3] = {{.due = 10}, {.due = 20}, {.due = 30}};
	size_t order[N], seen[6];
	int64_t wait;

	for (int r = 0; r < 6; r++) {
		assert_true(order_of(apps, 3, 1000 + r, order, &wait) > 0);
		seen[r] = order[0];
		apps[order[0]].due = 1000 + r; /* due again at once, after the others */
	}
	for (int r = 0; r < 6; r++)
		assert_int_equal(seen[r], (size_t)r % 3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_due_oldest_first), cmocka_unit_test(test_webhook_first),
	    cmocka_unit_test(test_busy_never),	     cmocka_unit_test(test_no_starvation),
	    cmocka_unit_test(test_round_robin),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
