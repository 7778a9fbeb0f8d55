/*
 * The reports tether prints or serves (sync -o json, the agent's /status) are built
 * whole or not at all: every cJSON allocation is failed in turn, and each run either
 * fails or gives exactly the full report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "alloc_fail.h"
#include "daemon_int.h"
#include "jsonedit.h"
#include "sync.h"

static void fill_result(struct sync_result *r)
{
	sync_result_init(r);
	r->app = strdup("shop");
	r->namespace = strdup("shop");
	strcpy(r->commit, "0123456789abcdef0123456789abcdef01234567");
	assert_int_equal(strlist_add(&r->created, "shop/configmap/a"), 0);
	assert_int_equal(strlist_add(&r->changed, "shop/deployment/web"), 0);
	assert_int_equal(strlist_add(&r->not_in_git, "shop/service/old"), 0);
	assert_int_equal(strlist_add(&r->errors, "shop/service/x: invalid"), 0);
	r->rollouts = calloc(1, sizeof(*r->rollouts));
	r->rollouts[0].object = strdup("shop/deployment/web");
	r->rollouts[0].status = strdup("failed");
	r->rollouts[0].message = strdup("pod web-1: ImagePullBackOff");
	r->n_rollouts = 1;
	r->inventory_moved = strdup("inventory moved from a/x to b/x");
}

static char *result_text(const struct sync_result *r, int *rc)
{
	cJSON *o = NULL;
	char *s;

	*rc = sync_result_json(r, &o);
	alloc_fail_stop();
	if (*rc < 0) {
		assert_null(o);
		return NULL;
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void test_sync_result(void **state)
{
	struct sync_result r;
	char *want, *got;
	int rc, failed = 0;
	long n;

	(void)state;
	fill_result(&r);
	want = result_text(&r, &rc);
	assert_non_null(want);
	assert_non_null(strstr(want, "\"notInGit\":[\"shop/service/old\"]"));
	for (n = 1;; n++) {
		long calls;

		alloc_fail_start(n, ALLOC_FAIL_ONLY);
		got = result_text(&r, &rc); /* stops the failing allocator */
		calls = alloc_fail_count();
		if (rc == 0)
			assert_string_equal(got, want);
		else
			failed++;
		free(got);
		if (calls < n)
			break;
	}
	assert_true(failed > 40); /* each allocation of the report was failed once */
	free(want);
	sync_result_dispose(&r);
}

static void test_status(void **state)
{
	struct app_stats apps[2];
	struct buf want, got;
	int failed = 0;

	(void)state;
	memset(apps, 0, sizeof(apps));
	strcpy(apps[0].app, "shop");
	strcpy(apps[0].state, "synced");
	strcpy(apps[1].app, "blog");
	strcpy(apps[1].state, "failed");
	strcpy(apps[1].revert_commit, "abc");
	strcpy(apps[1].reverted, "def");
	buf_init(&want, 1 << 20);
	assert_int_equal(status_render(apps, 2, true, NULL, &want), 0);
	assert_non_null(strstr(want.data, "\"lastRevert\""));
	for (long n = 1;; n++) {
		int rc;
		long calls;

		buf_init(&got, 1 << 20);
		alloc_fail_start(n, ALLOC_FAIL_ONLY);
		rc = status_render(apps, 2, true, NULL, &got);
		calls = alloc_fail_count();
		alloc_fail_stop();
		if (rc == 0)
			assert_string_equal(got.data, want.data);
		else
			failed++;
		buf_dispose(&got);
		if (calls < n)
			break;
	}
	assert_true(failed > 20);
	buf_dispose(&want);
}

/* The builder: after the first failure nothing more is added, and what it was given is
 * freed (the test runs under the sanitizers too). */
static void test_builder(void **state)
{
	cJSON *o = cJSON_CreateObject(), *arr;
	struct json_build b = {.failed = !o};

	(void)state;
	jb_str(&b, o, "a", "x");
	jb_str(&b, o, "skipped", NULL);
	arr = jb_array(&b, o, "l");
	jb_append(&b, arr, cJSON_CreateNumber(1));
	assert_false(b.failed);
	jb_item(&b, o, "bad", NULL); /* a Create that failed */
	assert_true(b.failed);
	jb_append(&b, arr, cJSON_CreateNumber(2));
	jb_num(&b, o, "n", 3);
	assert_null(jb_object(&b, o, "later"));
	assert_int_equal(cJSON_GetArraySize(o), 2);
	assert_int_equal(cJSON_GetArraySize(arr), 1);
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sync_result),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_builder),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
