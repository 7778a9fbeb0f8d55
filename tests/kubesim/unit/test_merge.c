/* JSON merge patch, JSON patch, equality and no-op detection. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "merge.h"
#include "schema.h"
#include "merge_int.h"
#include "alloc_fail.h"

static cJSON *J(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	assert_non_null(v);
	return v;
}

static void assert_json(const cJSON *got, const char *want)
{
	cJSON *w = J(want);
	if (!merge_equal(got, w)) {
		char *g = cJSON_PrintUnformatted(got);
		fail_msg("got %s, want %s", g, want);
	}
	cJSON_Delete(w);
}

static void check_merge(const char *target, const char *patch, const char *want)
{
	cJSON *t = J(target), *p = J(patch), *out = NULL;
	struct kstatus e = { 0 };

	assert_int_equal(merge_patch_json(&out, t, p, &e), 0);
	assert_json(out, want);
	cJSON_Delete(t);
	cJSON_Delete(p);
	cJSON_Delete(out);
}

/* RFC 7386 appendix A examples. */
static void test_merge_patch_rfc(void **state)
{
	check_merge("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	check_merge("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
	check_merge("{\"a\":\"b\"}", "{\"a\":null}", "{}");
	check_merge("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
	check_merge("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
	check_merge("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
	check_merge("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}",
		    "{\"a\":{\"b\":\"d\"}}");
	check_merge("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
	check_merge("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
	check_merge("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

static void test_merge_patch_not_object(void **state)
{
	cJSON *t = J("{}"), *p = J("[1]"), *out = NULL;
	struct kstatus e = { 0 };

	assert_int_equal(merge_patch_json(&out, t, p, &e), MERGE_EINVAL);
	assert_int_equal(e.code, 400);
	cJSON_Delete(t);
	cJSON_Delete(p);
}

static int jp(const char *target, const char *patch, cJSON **out, struct kstatus *e)
{
	cJSON *t = J(target), *p = J(patch);
	int rc;

	memset(e, 0, sizeof(*e));
	rc = merge_patch_jsonpatch(out, t, p, e);
	cJSON_Delete(t);
	cJSON_Delete(p);
	return rc;
}

static void check_jp(const char *target, const char *patch, const char *want)
{
	struct kstatus e;
	cJSON *out = NULL;

	if (jp(target, patch, &out, &e))
		fail_msg("patch %s failed: %s", patch, e.message);
	assert_json(out, want);
	cJSON_Delete(out);
}

static void check_jp_fails(const char *target, const char *patch, int status)
{
	struct kstatus e;
	cJSON *out = NULL;

	assert_int_not_equal(jp(target, patch, &out, &e), 0);
	assert_null(out);
	assert_int_equal(e.code, status);
}

static void test_json_patch_ops(void **state)
{
	check_jp("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/b\",\"value\":2}]", "{\"a\":1,\"b\":2}");
	check_jp("{\"a\":[1,3]}", "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":2}]",
		 "{\"a\":[1,2,3]}");
	check_jp("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/-\",\"value\":2}]", "{\"a\":[1,2]}");
	check_jp("{\"a\":1,\"b\":2}", "[{\"op\":\"remove\",\"path\":\"/a\"}]", "{\"b\":2}");
	check_jp("{\"a\":[1,2,3]}", "[{\"op\":\"remove\",\"path\":\"/a/1\"}]", "{\"a\":[1,3]}");
	check_jp("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/a\",\"value\":{\"x\":1}}]",
		 "{\"a\":{\"x\":1}}");
	check_jp("{\"a\":{\"b\":1},\"c\":{}}",
		 "[{\"op\":\"move\",\"from\":\"/a/b\",\"path\":\"/c/d\"}]",
		 "{\"a\":{},\"c\":{\"d\":1}}");
	check_jp("{\"a\":{\"b\":1}}", "[{\"op\":\"copy\",\"from\":\"/a\",\"path\":\"/c\"}]",
		 "{\"a\":{\"b\":1},\"c\":{\"b\":1}}");
	check_jp("{\"a\":{\"b\":[1,2]}}",
		 "[{\"op\":\"test\",\"path\":\"/a\",\"value\":{\"b\":[1,2]}},"
		 "{\"op\":\"replace\",\"path\":\"/a/b/0\",\"value\":9}]",
		 "{\"a\":{\"b\":[9,2]}}");
	/* ~1 and ~0 escaping: annotation keys contain slashes */
	check_jp("{\"metadata\":{\"annotations\":{\"kubernetes.io/change-cause\":\"x\",\"a~b\":1}}}",
		 "[{\"op\":\"replace\",\"path\":\"/metadata/annotations/kubernetes.io~1change-cause\","
		 "\"value\":\"y\"},{\"op\":\"remove\",\"path\":\"/metadata/annotations/a~0b\"}]",
		 "{\"metadata\":{\"annotations\":{\"kubernetes.io/change-cause\":\"y\"}}}");
	/* rollout undo: replace of the whole template */
	check_jp("{\"spec\":{\"template\":{\"a\":1}}}",
		 "[{\"op\":\"replace\",\"path\":\"/spec/template\",\"value\":{\"b\":2}}]",
		 "{\"spec\":{\"template\":{\"b\":2}}}");
	/* move and copy to an index inside a list insert there */
	check_jp("{\"a\":[1,2,3,4]}", "[{\"op\":\"move\",\"from\":\"/a/0\",\"path\":\"/a/2\"}]",
		 "{\"a\":[2,3,1,4]}");
	check_jp("{\"a\":[1,2,3]}", "[{\"op\":\"copy\",\"from\":\"/a/2\",\"path\":\"/a/1\"}]",
		 "{\"a\":[1,3,2,3]}");
	check_jp("{\"a\":1}", "[]", "{\"a\":1}");
}

/* Each cJSON allocation fails in turn: a 500, or the whole result, never a partial one. */
static void check_patch_alloc_failures(bool json_patch, const char *target, const char *patch,
				       const char *want)
{
	long n, failures = 0;

	for (n = 1; n < 10000; n++) {
		cJSON *t = J(target), *p = J(patch), *out = NULL;
		struct kstatus e;
		int rc;

		memset(&e, 0, sizeof(e));
		alloc_fail_start(n, ALLOC_FAIL_FROM);
		rc = json_patch ? merge_patch_jsonpatch(&out, t, p, &e) : merge_patch_json(&out, t, p, &e);
		alloc_fail_stop();
		if (rc < 0) {
			assert_int_equal(e.code, 500);
			assert_null(out);
			failures++;
		} else {
			assert_json(out, want);
		}
		cJSON_Delete(out);
		cJSON_Delete(t);
		cJSON_Delete(p);
		if (rc == 0 && alloc_fail_count() < n)
			break;
	}
	assert_true(failures > 0);
}

static void test_patch_alloc_failures(void **state)
{
	check_patch_alloc_failures(true, "{\"a\":[1,3],\"m\":{\"k\":\"v\"}}",
				   "[{\"op\":\"add\",\"path\":\"/a/1\",\"value\":{\"x\":[2]}},"
				   "{\"op\":\"replace\",\"path\":\"/m/k\",\"value\":\"w\"},"
				   "{\"op\":\"copy\",\"from\":\"/m\",\"path\":\"/a/0\"}]",
				   "{\"a\":[{\"k\":\"w\"},1,{\"x\":[2]},3],\"m\":{\"k\":\"w\"}}");
	check_patch_alloc_failures(false, "{\"a\":{\"b\":1,\"c\":2},\"d\":[1]}",
				   "{\"a\":{\"b\":null,\"e\":{\"f\":3}},\"g\":\"h\"}",
				   "{\"a\":{\"c\":2,\"e\":{\"f\":3}},\"d\":[1],\"g\":\"h\"}");
}

static void test_json_patch_errors(void **state)
{
	struct kstatus e;
	cJSON *out = NULL;

	check_jp_fails("{}", "{\"op\":\"add\"}", 400);
	check_jp_fails("{\"a\":1}", "[{\"op\":\"test\",\"path\":\"/a\",\"value\":2}]", 422);
	check_jp_fails("{\"a\":1}", "[{\"op\":\"remove\",\"path\":\"/b\"}]", 422);
	check_jp_fails("{\"a\":1}", "[{\"op\":\"replace\",\"path\":\"/b\",\"value\":1}]", 422);
	check_jp_fails("{\"a\":1}", "[{\"op\":\"add\",\"path\":\"/x/y\",\"value\":1}]", 422);
	check_jp_fails("{\"a\":[1]}", "[{\"op\":\"add\",\"path\":\"/a/5\",\"value\":1}]", 422);
	check_jp_fails("{\"a\":1}", "[{\"op\":\"frobnicate\",\"path\":\"/a\"}]", 422);
	check_jp_fails("{\"a\":{}}", "[{\"op\":\"move\",\"from\":\"/a\",\"path\":\"/a/b\"}]", 422);
	/* all or nothing: the first op must not leak into a result */
	assert_int_not_equal(jp("{\"a\":1}",
				"[{\"op\":\"replace\",\"path\":\"/a\",\"value\":2},"
				"{\"op\":\"test\",\"path\":\"/a\",\"value\":3}]",
				&out, &e),
			     0);
	assert_string_equal(e.reason, "Invalid");
	assert_string_equal(e.message,
			    "the server rejected our request due to an error in our request");
}

static void test_equal_and_differ(void **state)
{
	cJSON *a = J("{\"x\":1,\"y\":[1,{\"z\":true}]}"), *b = J("{\"y\":[1,{\"z\":true}],\"x\":1.0}");
	cJSON *c = J("{\"y\":[{\"z\":true},1],\"x\":1}");
	cJSON *o1 = J("{\"metadata\":{\"resourceVersion\":\"5\",\"managedFields\":[{\"manager\":"
		      "\"m\",\"time\":\"2025-01-01T00:00:00Z\"}]},\"spec\":{\"a\":1}}");
	cJSON *o2 = J("{\"metadata\":{\"resourceVersion\":\"7\",\"managedFields\":[{\"manager\":"
		      "\"m\",\"time\":\"2025-02-01T00:00:00Z\"}]},\"spec\":{\"a\":1}}");
	cJSON *o3 = J("{\"metadata\":{\"resourceVersion\":\"7\"},\"spec\":{\"a\":2}}");

	assert_true(merge_equal(a, b));
	assert_false(merge_equal(a, c));
	assert_false(merge_objects_differ(o1, o2));
	assert_true(merge_objects_differ(o1, o3));
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(o1);
	cJSON_Delete(o2);
	cJSON_Delete(o3);
}

/* fs_item_key as smd writes keys: key fields sorted by name, defaults filled in, values
 * printed as JSON. Plain values take a short path; the rest must print the same way. */
static void check_key(const struct schema_node *list, const char *item, const char *want)
{
	cJSON *it = J(item);
	char *k = fs_item_key(list, it);

	assert_non_null(k);
	assert_string_equal(k, want);
	free(k);
	cJSON_Delete(it);
}

static void test_item_keys(void **state)
{
	const struct schema_node ports = {.kind = SCHEMA_MAP_LIST,
					  .keys = {"containerPort", "protocol"},
					  .key_defaults = {NULL, "TCP"}};
	const struct schema_node named = {.kind = SCHEMA_MAP_LIST, .keys = {"name"}};
	const struct schema_node set = {.kind = SCHEMA_SET};

	check_key(&ports, "{\"containerPort\":8080,\"name\":\"http\"}",
		  "k:{\"containerPort\":8080,\"protocol\":\"TCP\"}");
	check_key(&ports, "{\"protocol\":\"UDP\",\"containerPort\":-53}",
		  "k:{\"containerPort\":-53,\"protocol\":\"UDP\"}");
	check_key(&named, "{\"name\":\"app\",\"image\":\"x\"}", "k:{\"name\":\"app\"}");
	check_key(&named, "{\"name\":\"\"}", "k:{\"name\":\"\"}");
	check_key(&named, "{\"name\":\"caf\u00e9\"}", "k:{\"name\":\"caf\u00e9\"}");
	/* the long way: escapes, fractions, big numbers, other types, missing keys */
	check_key(&named, "{\"name\":\"a\\\"b\\\\c\\n\"}", "k:{\"name\":\"a\\\"b\\\\c\\n\"}");
	check_key(&named, "{\"name\":1.5}", "k:{\"name\":1.5}");
	check_key(&named, "{\"name\":1e20}", "k:{\"name\":1e+20}");
	check_key(&named, "{\"name\":true}", "k:{\"name\":true}");
	check_key(&named, "{\"other\":1}", "k:{}");
	check_key(&ports, "{\"containerPort\":{\"a\":1}}",
		  "k:{\"containerPort\":{\"a\":1},\"protocol\":\"TCP\"}");
	check_key(&set, "\"x\"", "v:\"x\"");
	check_key(&set, "7", "v:7");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_merge_patch_rfc),
		cmocka_unit_test(test_item_keys),
		cmocka_unit_test(test_merge_patch_not_object),
		cmocka_unit_test(test_json_patch_ops),
		cmocka_unit_test(test_json_patch_errors),
		cmocka_unit_test(test_patch_alloc_failures),
		cmocka_unit_test(test_equal_and_differ),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
