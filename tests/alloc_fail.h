/*
 * alloc_fail: cJSON's allocator made to fail, for unit tests that fail each allocation
 * in turn and require an error or the whole result, never a result missing a member.
 * ALLOC_FAIL_FROM fails the n-th allocation and every one after it (out of memory for
 * good); ALLOC_FAIL_ONLY fails just the n-th, so an ignored failure shows as a missing
 * member rather than as a later failure that hides it.
 */
#ifndef TETHER_TESTS_ALLOC_FAIL_H
#define TETHER_TESTS_ALLOC_FAIL_H

#include <stdbool.h>
#include <stdlib.h>

#include <cjson/cJSON.h>

enum alloc_fail_mode { ALLOC_FAIL_FROM, ALLOC_FAIL_ONLY };

static long alloc_fail_calls_, alloc_fail_at_;
static enum alloc_fail_mode alloc_fail_mode_;

static void *alloc_fail_malloc(size_t n)
{
	if (alloc_fail_at_) {
		long call = ++alloc_fail_calls_;

		if (alloc_fail_mode_ == ALLOC_FAIL_ONLY ? call == alloc_fail_at_
							: call >= alloc_fail_at_)
			return NULL;
	}
	return malloc(n);
}

/* From now on cJSON's allocation number n fails (and, with ALLOC_FAIL_FROM, the rest). */
static inline void alloc_fail_start(long n, enum alloc_fail_mode mode)
{
	cJSON_Hooks hooks = {alloc_fail_malloc, free};

	alloc_fail_calls_ = 0, alloc_fail_at_ = n, alloc_fail_mode_ = mode;
	cJSON_InitHooks(&hooks);
}

/* cJSON allocates normally again. */
static inline void alloc_fail_stop(void)
{
	cJSON_Hooks plain = {NULL, NULL};

	alloc_fail_at_ = 0;
	cJSON_InitHooks(&plain);
}

/* Allocations made since the last start: fewer than n means none was left to fail. */
static inline long alloc_fail_count(void)
{
	return alloc_fail_calls_;
}

#endif
