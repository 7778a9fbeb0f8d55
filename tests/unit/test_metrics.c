/* Unit tests for /metrics and /status rendering: the exposition format parses, the
 * histogram is cumulative, label values are escaped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "daemon_int.h"

/* Every line is a comment or `name{labels} value` with a number for value. */
static void assert_parses(const char *text)
{
	char *copy = strdup(text), *save = NULL;

	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		char *sp, *end;
		if (line[0] == '#')
			continue;
		sp = strrchr(line, ' ');
		assert_non_null(sp);
		strtod(sp + 1, &end);
		assert_true(*end == '\0');
		assert_true(line[0] >= 'a' && line[0] <= 'z');
	}
	free(copy);
}

static double sample(const char *text, const char *prefix)
{
	const char *p = strstr(text, prefix);

	assert_non_null(p);
	return strtod(strchr(p + strlen(prefix), ' ') + 1, NULL);
}

static void test_metrics(void **state)
{
	struct app_stats s[2];
	struct buf b;

	memset(s, 0, sizeof(s));
	strcpy(s[0].app, "web");
	strcpy(s[0].commit, "0123456789abcdef0123456789abcdef01234567");
	s[0].sync_success = 3;
	s[0].sync_error = 1;
	s[0].drift_objects = 2;
	s[0].reverts = 1;
	app_stats_observe(&s[0], 0.05);
	app_stats_observe(&s[0], 0.3);
	app_stats_observe(&s[0], 500);
	strcpy(s[0].state, "synced");
	strcpy(s[0].health, "degraded");
	s[0].last_success_unix = 1700000000.5;
	strcpy(s[1].app, "we\"ird");
	strcpy(s[1].state, "pending");
	strcpy(s[1].health, "unknown");
	s[1].suspended = true;
	buf_init(&b, 1 << 20);
	assert_int_equal(metrics_render(s, 2, true, NULL, &b), 0);
	assert_parses(b.data);
	assert_true(sample(b.data, "tether_sync_total{app=\"web\",result=\"success\"}") == 3);
	assert_true(sample(b.data, "tether_sync_total{app=\"web\",result=\"error\"}") == 1);
	assert_true(sample(b.data, "tether_sync_duration_seconds_bucket{app=\"web\",le=\"0.1\"}") ==
		    1);
	assert_true(sample(b.data, "tether_sync_duration_seconds_bucket{app=\"web\",le=\"0.5\"}") ==
		    2);
	assert_true(sample(b.data, "tether_sync_duration_seconds_bucket{app=\"web\",le=\"300\"}") ==
		    2);
	assert_true(
	    sample(b.data, "tether_sync_duration_seconds_bucket{app=\"web\",le=\"+Inf\"}") == 3);
	assert_true(sample(b.data, "tether_sync_duration_seconds_count{app=\"web\"}") == 3);
	assert_true(sample(b.data, "tether_drift_objects{app=\"web\"}") == 2);
	assert_true(sample(b.data, "tether_reverts_total{app=\"web\"}") == 1);
	assert_non_null(strstr(b.data, "# TYPE tether_reverts_total counter"));
	assert_non_null(strstr(b.data, "tether_app_info{app=\"web\",commit=\"0123456789abcdef"));
	assert_non_null(strstr(b.data, "app=\"we\\\"ird\""));
	assert_non_null(strstr(b.data, "# TYPE tether_sync_duration_seconds histogram"));
	assert_true(sample(b.data, "tether_leader") == 1);
	assert_true(sample(b.data, "tether_app_status{app=\"web\",state=\"synced\","
				   "health=\"degraded\"}") == 1);
	assert_true(sample(b.data, "tether_app_condition{app=\"web\",type=\"Ready\","
				   "status=\"True\"}") == 1);
	assert_true(sample(b.data, "tether_app_condition{app=\"web\",type=\"Healthy\","
				   "status=\"False\"}") == 1);
	assert_true(sample(b.data, "tether_app_condition{app=\"web\",type=\"Healthy\","
				   "status=\"True\"}") == 0);
	assert_true(sample(b.data, "tether_app_condition{app=\"we\\\"ird\",type=\"Ready\","
				   "status=\"Unknown\"}") == 1);
	assert_true(sample(b.data, "tether_last_success_timestamp_seconds{app=\"web\"}") ==
		    1700000000.5);
	assert_true(sample(b.data, "tether_app_suspended{app=\"we\\\"ird\"}") == 1);
	assert_true(sample(b.data, "tether_app_suspended{app=\"web\"}") == 0);
	assert_non_null(strstr(b.data, "tether_build_info{version=\""));
	assert_non_null(strstr(b.data, "# TYPE process_cpu_seconds_total counter"));
	assert_true(sample(b.data, "\nprocess_open_fds") >= 3);
	buf_dispose(&b);
}

static void test_status(void **state)
{
	struct app_stats s;
	struct buf b;
	cJSON *root, *a;

	memset(&s, 0, sizeof(s));
	strcpy(s.app, "web");
	strcpy(s.state, "failed");
	strcpy(s.last_error, "render: x.yaml:3:1: bad");
	buf_init(&b, 1 << 20);
	assert_int_equal(status_render(&s, 1, false, NULL, &b), 0);
	root = cJSON_Parse(b.data);
	assert_non_null(root);
	assert_true(cJSON_IsFalse(cJSON_GetObjectItem(root, "leader")));
	a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "apps"), 0);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a, "state")), "failed");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(a, "lastError")),
			    "render: x.yaml:3:1: bad");
	assert_null(cJSON_GetObjectItem(a, "lastRevert")); /* only once there was one */
	cJSON_Delete(root);
	buf_reset(&b);
	strcpy(s.revert_commit, "1111111111111111111111111111111111111111");
	strcpy(s.reverted, "2222222222222222222222222222222222222222");
	assert_int_equal(status_render(&s, 1, false, NULL, &b), 0);
	root = cJSON_Parse(b.data);
	a = cJSON_GetArrayItem(cJSON_GetObjectItem(root, "apps"), 0);
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "lastRevert"), "commit")),
	    s.revert_commit);
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(cJSON_GetObjectItem(a, "lastRevert"), "reverts")),
	    s.reverted);
	cJSON_Delete(root);
	buf_dispose(&b);
}

/* --shard-apps: /status names the members and each app's owner, /metrics counts them. */
static void test_shard_view(void **state)
{
	struct app_stats s[2];
	const char *owners[2] = {"b_2", "a_1"};
	struct shard_view sv = {.identity = "a_1", .owners = owners, .owned = 1};
	struct buf b;
	cJSON *root, *sh;

	memset(s, 0, sizeof(s));
	strcpy(s[0].app, "web");
	strcpy(s[1].app, "api");
	strlist_init(&sv.members);
	strlist_add(&sv.members, "a_1");
	strlist_add(&sv.members, "b_2");
	buf_init(&b, 1 << 20);
	assert_int_equal(status_render(s, 2, true, &sv, &b), 0);
	root = cJSON_Parse(b.data);
	sh = cJSON_GetObjectItem(root, "shard");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(sh, "identity")), "a_1");
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(sh, "members")), 2);
	assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItem(sh, "ownedApps")), 1);
	assert_string_equal(cJSON_GetStringValue(cJSON_GetObjectItem(
				cJSON_GetArrayItem(cJSON_GetObjectItem(root, "apps"), 0), "owner")),
			    "b_2");
	cJSON_Delete(root);
	buf_reset(&b);
	assert_int_equal(metrics_render(s, 2, true, &sv, &b), 0);
	assert_non_null(strstr(b.data, "\ntether_shard_members 2\n"));
	assert_non_null(strstr(b.data, "\ntether_shard_owned_apps 1\n"));
	buf_reset(&b);
	assert_int_equal(metrics_render(s, 2, true, NULL, &b), 0);
	assert_null(strstr(b.data, "tether_shard_members")); /* not without sharding */
	buf_dispose(&b);
	strlist_dispose(&sv.members);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_metrics),
	    cmocka_unit_test(test_status),
	    cmocka_unit_test(test_shard_view),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
