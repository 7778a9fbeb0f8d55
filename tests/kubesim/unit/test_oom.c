/*
 * Out of memory in kubesim is never a partial object: every cJSON allocation of a
 * create and of an update is failed in turn; each run either stores exactly what the
 * run without failures stores, or answers 500 InternalError and stores nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "oom.h"
#include "store_int.h"

#define DEPLOY                                                                               \
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\"," \
	"\"labels\":{\"app\":\"web\"}},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":"       \
	"\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"         \
	"{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1\",\"ports\":[{"                 \
	"\"containerPort\":80}]}]}}}}"

/* The stored object without the fields that differ between runs. */
static char *stable(const cJSON *o)
{
	cJSON *c = cJSON_Duplicate(o, 1), *md = cJSON_GetObjectItem(c, "metadata");
	char *s;

	cJSON_DeleteItemFromObject(md, "uid");
	cJSON_DeleteItemFromObject(md, "creationTimestamp");
	cJSON_DeleteItemFromObject(md, "managedFields");
	s = cJSON_PrintUnformatted(c);
	cJSON_Delete(c);
	return s;
}

/* One create under a failing allocation n (0: none); returns the stored object's
 * stable text, or NULL when the create was refused (then with a 500 and no write). */
static char *create_once(long n, long *calls)
{
	struct sim_config cfg = {.pod_ready_ms = 10};
	struct store *st = store_new(&cfg);
	const struct restype *rt = store_type(st, "apps", "deployments");
	struct store_wopts w = {.manager = "test"};
	struct kstatus e = {0};
	cJSON *in = cJSON_Parse(DEPLOY);
	uint64_t rv0 = store_rv(st);
	char *got = NULL;
	int rc;

	assert_non_null(in);
	oom_clear();
	oom_fail_at(n);
	rc = store_create(st, rt, "default", in, &w, NULL, &e);
	*calls = oom_calls();
	oom_fail_at(0);
	if (rc < 0) {
		assert_int_equal(e.code, 500);
		assert_string_equal(e.reason, "InternalError");
		assert_null(store_get(st, rt, "default", "web"));
		assert_int_equal(store_rv(st), rv0);
	} else { /* a failure after the commit (the event's copies) leaves it whole */
		got = stable(store_get(st, rt, "default", "web"));
	}
	oom_clear();
	kstatus_dispose(&e);
	cJSON_Delete(in);
	store_free(st);
	return got;
}

/* Runs create_once(n) in a child: 0 stored exactly the reference, 1 refused with a 500
 * and nothing stored, 2 stopped kubesim (abort: loud, never partial). The child's TAP
 * output goes nowhere: only its exit status counts. */
static int outcome(long n, const char *want)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		long c;

		if (!freopen("/dev/null", "w", stdout) || !freopen("/dev/null", "w", stderr))
			_exit(4);
		char *got = create_once(n, &c);

		_exit(!got ? 11 : strcmp(got, want) == 0 ? 10 : 3); /* else: an assert failed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT)
		return 2;
	assert_true(WIFEXITED(status));
	if (WEXITSTATUS(status) == 3) {
		long c;
		char *got = create_once(n, &c);
		fprintf(stderr, "n=%ld\nwant %s\ngot  %s\n", n, want, got);
	}
	assert_in_range(WEXITSTATUS(status), 10, 11); /* 3: a different object was stored */
	return WEXITSTATUS(status) - 10;
}

static void test_create(void **state)
{
	long calls, seen[3] = {0, 0, 0};
	char *want = create_once(0, &calls);

	(void)state;
	assert_non_null(want);
	assert_true(calls > 20);
	for (long n = 1; n <= calls; n++)
		seen[outcome(n, want)]++;
	fprintf(stderr, "# %ld allocations: %ld stored whole, %ld refused (500), %ld aborted\n",
		calls, seen[0], seen[1], seen[2]);
	assert_int_equal(seen[0] + seen[1], calls); /* whole or a 500, none aborts */
	assert_true(seen[1] > seen[0]);
	free(want);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_create),
	};
	oom_install();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
