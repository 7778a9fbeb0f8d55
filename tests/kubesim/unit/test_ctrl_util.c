/*
 * The controllers' pure helpers: pod-template hash, template normalisation, label
 * selectors, int-or-percent, conditions, timestamps, taints against tolerations and the
 * failed-pod backoff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "controllers_int.h"
#include "ctrl_util.h"

static cJSON *parse(const char *s)
{
	cJSON *o = cJSON_Parse(s);
	assert_non_null(o);
	return o;
}

static const char *tmpl_a =
    "{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
    "[{\"name\":\"web\",\"image\":\"nginx:1\",\"resources\":{}}],\"securityContext\":{}}}";
/* The same template as kubectl rollout undo sends it: null timestamp, hash label, keys
 * in another order, no empty structs. */
static const char *tmpl_b =
    "{\"spec\":{\"containers\":[{\"image\":\"nginx:1\",\"name\":\"web\"}]},\"metadata\":"
    "{\"creationTimestamp\":null,\"labels\":{\"pod-template-hash\":\"abc\",\"app\":\"web\"}}}";

static void test_template_equal_and_hash(void **state)
{
	cJSON *a = parse(tmpl_a), *b = parse(tmpl_b);
	char ha[16], hb[16], hc[16];
	assert_true(ctrl_template_equal(a, b));
	ctrl_template_hash(a, NULL, ha);
	ctrl_template_hash(b, NULL, hb);
	assert_string_equal(ha, hb);
	assert_true(strlen(ha) >= 1 && strlen(ha) <= 10);
	assert_int_equal(strspn(ha, "bcdfghjklmnpqrstvwxz2456789"), strlen(ha));
	/* A collision count changes the hash. */
	cJSON *cc = cJSON_CreateNumber(1);
	ctrl_template_hash(a, cc, hc);
	assert_string_not_equal(ha, hc);
	cJSON_Delete(cc);
	/* A different image is a different template. */
	cJSON *img = cJSON_GetArrayItem(
	    (cJSON *)ctrl_path(ctrl_path(a, "spec", NULL, NULL), "containers", NULL, NULL), 0);
	ctrl_set_str(img, "image", "nginx:2");
	assert_false(ctrl_template_equal(a, b));
	ctrl_template_hash(a, NULL, hc);
	assert_string_not_equal(ha, hc);
	/* An empty label value is a real value, not an empty struct. */
	cJSON *x = parse("{\"metadata\":{\"labels\":{\"a\":\"\"}}}");
	cJSON *y = parse("{\"metadata\":{\"labels\":{}}}");
	assert_false(ctrl_template_equal(x, y));
	cJSON_Delete(x);
	cJSON_Delete(y);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void test_selector(void **state)
{
	cJSON *labels = parse("{\"app\":\"web\",\"tier\":\"front\"}");
	cJSON *s1 = parse("{\"matchLabels\":{\"app\":\"web\"}}");
	cJSON *s2 = parse("{\"matchLabels\":{\"app\":\"db\"}}");
	cJSON *s3 = parse("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"In\","
			  "\"values\":[\"back\",\"front\"]},{\"key\":\"x\",\"operator\":"
			  "\"DoesNotExist\"}]}");
	cJSON *s4 = parse("{\"matchExpressions\":[{\"key\":\"tier\",\"operator\":\"NotIn\","
			  "\"values\":[\"front\"]}]}");
	cJSON *s5 = parse("{}");
	assert_true(ctrl_selector_matches(s1, labels));
	assert_false(ctrl_selector_matches(s2, labels));
	assert_true(ctrl_selector_matches(s3, labels));
	assert_false(ctrl_selector_matches(s4, labels));
	assert_false(ctrl_selector_matches(s5, labels)); /* {} selects nothing for controllers */
	assert_true(ctrl_selector_empty(s5));
	cJSON *all[] = {labels, s1, s2, s3, s4, s5};
	for (size_t i = 0; i < 6; i++)
		cJSON_Delete(all[i]);
}

static void test_intstr(void **state)
{
	cJSON *p = cJSON_CreateString("25%"), *n = cJSON_CreateNumber(3);
	/* The spec's table: replicas 1..4 and 10 with 25%/25%. */
	assert_int_equal(ctrl_intstr_scaled(p, 1, true, -1), 1);
	assert_int_equal(ctrl_intstr_scaled(p, 1, false, -1), 0);
	assert_int_equal(ctrl_intstr_scaled(p, 4, true, -1), 1);
	assert_int_equal(ctrl_intstr_scaled(p, 4, false, -1), 1);
	assert_int_equal(ctrl_intstr_scaled(p, 10, true, -1), 3);
	assert_int_equal(ctrl_intstr_scaled(p, 10, false, -1), 2);
	assert_int_equal(ctrl_intstr_scaled(n, 10, false, -1), 3);
	cJSON *bad = cJSON_CreateString("abc");
	assert_int_equal(ctrl_intstr_scaled(bad, 10, false, -1), -1);
	cJSON_Delete(bad);
	cJSON_Delete(p);
	cJSON_Delete(n);
}

static void test_conditions(void **state)
{
	cJSON *st = cJSON_CreateObject();
	assert_true(ctrl_condition_set(st, "Available", "False", "R1", "m", "T1", true));
	assert_true(ctrl_condition_set(st, "Progressing", "True", "P", "m", "T1", true));
	/* Same status and reason: untouched. */
	assert_false(ctrl_condition_set(st, "Available", "False", "R1", "m2", "T2", true));
	/* Same status, new reason: moved to the end, transition time kept. */
	assert_true(ctrl_condition_set(st, "Available", "False", "R2", "m", "T3", true));
	const cJSON *conds = ctrl_path(st, "conditions", NULL, NULL);
	assert_string_equal(ctrl_str(cJSON_GetArrayItem(conds, 1), "type", NULL, NULL),
			    "Available");
	const cJSON *a = ctrl_condition(st, "Available");
	assert_string_equal(ctrl_str(a, "lastTransitionTime", NULL, NULL), "T1");
	assert_string_equal(ctrl_str(a, "lastUpdateTime", NULL, NULL), "T3");
	/* New status: new transition time. */
	ctrl_condition_set(st, "Available", "True", "R2", "m", "T4", true);
	a = ctrl_condition(st, "Available");
	assert_string_equal(ctrl_str(a, "lastTransitionTime", NULL, NULL), "T4");
	cJSON_Delete(st);
}

static void test_time(void **state)
{
	char buf[32];
	ctrl_time_format(1735787045000LL, buf);
	assert_string_equal(buf, "2025-01-02T03:04:05Z");
	assert_int_equal(ctrl_time_parse("2025-01-02T03:04:05Z"), 1735787045000LL);
	assert_int_equal(ctrl_time_parse("2025-01-02T03:04:05.250000Z"), 1735787045250LL);
	assert_int_equal(ctrl_time_parse("garbage"), -1);
	char s[6];
	ctrl_rand_suffix(s);
	assert_int_equal(strlen(s), 5);
	assert_int_equal(strspn(s, "bcdfghjklmnpqrstvwxz2456789"), 5);
}

/* ToleratesTaint: key, value, effect; Exists; an empty key with Exists takes every taint;
 * PreferNoSchedule never blocks. */
static void test_taints(void **state)
{
	cJSON *taints = parse("[{\"key\":\"dedicated\",\"value\":\"gpu\",\"effect\":\"NoSchedule\"},"
			      "{\"key\":\"soft\",\"effect\":\"PreferNoSchedule\"}]");
	cJSON *exec = parse("[{\"key\":\"evict\",\"value\":\"now\",\"effect\":\"NoExecute\"}]");
	cJSON *none = parse("[]");
	cJSON *equal = parse("[{\"key\":\"dedicated\",\"operator\":\"Equal\",\"value\":\"gpu\","
			     "\"effect\":\"NoSchedule\"}]");
	cJSON *other = parse("[{\"key\":\"dedicated\",\"value\":\"cpu\"}]");
	cJSON *exists = parse("[{\"key\":\"dedicated\",\"operator\":\"Exists\"}]");
	cJSON *all = parse("[{\"operator\":\"Exists\"}]");
	cJSON *wrong = parse("[{\"key\":\"dedicated\",\"operator\":\"Exists\",\"effect\":\"NoExecute\"}]");

	(void)state;
	assert_true(ctrl_untolerated_taint(taints, none, true));
	assert_false(ctrl_untolerated_taint(taints, none, false)); /* NoExecute only */
	assert_false(ctrl_untolerated_taint(taints, equal, true));
	assert_true(ctrl_untolerated_taint(taints, other, true));
	assert_false(ctrl_untolerated_taint(taints, exists, true));
	assert_false(ctrl_untolerated_taint(taints, all, true));
	assert_true(ctrl_untolerated_taint(taints, wrong, true));
	assert_true(ctrl_untolerated_taint(exec, none, false));
	assert_false(ctrl_untolerated_taint(exec, all, false));
	assert_false(ctrl_untolerated_taint(NULL, none, true));
	cJSON_Delete(taints);
	cJSON_Delete(exec);
	cJSON_Delete(none);
	cJSON_Delete(equal);
	cJSON_Delete(other);
	cJSON_Delete(exists);
	cJSON_Delete(all);
	cJSON_Delete(wrong);
}

/* flowcontrol.Backoff: 1 s, doubled on each Next while it runs, 15 min at most; a key
 * unused for twice the maximum starts again at 1 s. */
static void test_backoff(void **state)
{
	struct ctrl_backoff *bo = ctrl_backoff_new();
	int64_t delay = 0, t = 1000000;

	(void)state;
	assert_non_null(bo);
	assert_false(ctrl_backoff_active(bo, "ds/node", t, &delay));
	ctrl_backoff_next(bo, "ds/node", t);
	assert_true(ctrl_backoff_active(bo, "ds/node", t + 999, &delay));
	assert_int_equal(delay, 1000);
	assert_false(ctrl_backoff_active(bo, "ds/node", t + 1000, &delay));
	assert_false(ctrl_backoff_active(bo, "ds/other", t + 1, &delay));
	ctrl_backoff_next(bo, "ds/node", t + 1000);
	assert_true(ctrl_backoff_active(bo, "ds/node", t + 2999, &delay));
	assert_int_equal(delay, 2000);
	for (int i = 0; i < 20; i++)
		ctrl_backoff_next(bo, "ds/node", t + 2000 + i);
	assert_true(ctrl_backoff_active(bo, "ds/node", t + 2100, &delay));
	assert_int_equal(delay, CTRL_BACKOFF_MAX_MS);
	ctrl_backoff_next(bo, "ds/node", t + 2019 + 2 * CTRL_BACKOFF_MAX_MS + 1);
	assert_true(ctrl_backoff_active(bo, "ds/node", t + 2020 + 2 * CTRL_BACKOFF_MAX_MS, &delay));
	assert_int_equal(delay, 1000);
	ctrl_backoff_free(bo);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_template_equal_and_hash),
	    cmocka_unit_test(test_selector),
	    cmocka_unit_test(test_intstr),
	    cmocka_unit_test(test_conditions),
	    cmocka_unit_test(test_time),
	    cmocka_unit_test(test_taints),
	    cmocka_unit_test(test_backoff),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
