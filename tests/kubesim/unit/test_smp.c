/* Strategic merge patch: merge keys and directives (spec 5.6/5.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "merge.h"

static const struct merge_kind deploy_k = { "apps", "v1", "Deployment" };
static const struct merge_kind svc_k = { "", "v1", "Service" };
static const struct merge_kind cm_k = { "", "v1", "ConfigMap" };

static cJSON *J(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	if (!v)
		fail_msg("bad JSON: %s", s);
	return v;
}

static void check(const struct merge_kind *k, const char *target, const char *patch,
		  const char *want)
{
	cJSON *t = J(target), *p = J(patch), *w = J(want), *out = NULL;
	struct kstatus e = { 0 };

	if (merge_patch_strategic(&out, k, t, p, &e))
		fail_msg("patch failed: %s", e.message);
	if (!merge_equal(out, w)) {
		char *g = cJSON_PrintUnformatted(out);
		fprintf(stderr, "got  %s\nwant %s\n", g, want);
		free(g);
		fail();
	}
	cJSON_Delete(t);
	cJSON_Delete(p);
	cJSON_Delete(w);
	cJSON_Delete(out);
}

#define POD(c) "{\"spec\":{\"template\":{\"spec\":{\"containers\":" c "}}}}"

static void test_containers_merge_by_name(void **state)
{
	check(&deploy_k, POD("[{\"name\":\"a\",\"image\":\"x:1\"},{\"name\":\"b\",\"image\":\"y:1\"}]"),
	      POD("[{\"name\":\"b\",\"image\":\"y:2\"},{\"name\":\"c\",\"image\":\"z:1\"}]"),
	      POD("[{\"name\":\"a\",\"image\":\"x:1\"},{\"name\":\"b\",\"image\":\"y:2\"},"
		  "{\"name\":\"c\",\"image\":\"z:1\"}]"));
	/* env merges by name inside the merged container; null deletes a key */
	check(&deploy_k,
	      POD("[{\"name\":\"a\",\"image\":\"x\",\"env\":[{\"name\":\"A\",\"value\":\"1\"}]}]"),
	      POD("[{\"name\":\"a\",\"image\":null,\"env\":[{\"name\":\"B\",\"value\":\"2\"}]}]"),
	      POD("[{\"name\":\"a\",\"env\":[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\","
		  "\"value\":\"2\"}]}]"));
	/* lists without a merge key are replaced */
	check(&deploy_k, POD("[{\"name\":\"a\",\"args\":[\"1\",\"2\"]}]"),
	      POD("[{\"name\":\"a\",\"args\":[\"3\"]}]"), POD("[{\"name\":\"a\",\"args\":[\"3\"]}]"));
}

static void test_patch_directives(void **state)
{
	/* $patch: delete on a list item */
	check(&deploy_k, POD("[{\"name\":\"a\"},{\"name\":\"b\"}]"),
	      POD("[{\"name\":\"a\",\"$patch\":\"delete\"}]"), POD("[{\"name\":\"b\"}]"));
	/* $patch: replace on a list */
	check(&deploy_k, POD("[{\"name\":\"a\"},{\"name\":\"b\"}]"),
	      POD("[{\"name\":\"c\"},{\"$patch\":\"replace\"}]"), POD("[{\"name\":\"c\"}]"));
	/* $patch: replace on a map */
	check(&cm_k, "{\"data\":{\"a\":\"1\",\"b\":\"2\"}}",
	      "{\"data\":{\"c\":\"3\",\"$patch\":\"replace\"}}", "{\"data\":{\"c\":\"3\"}}");
	/* $patch: delete on a map */
	check(&cm_k, "{\"data\":{\"a\":\"1\"},\"x\":1}", "{\"data\":{\"$patch\":\"delete\"}}",
	      "{\"data\":{},\"x\":1}");
	/* $retainKeys: strategy switched to Recreate drops rollingUpdate */
	check(&deploy_k,
	      "{\"spec\":{\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxSurge\":1}}}}",
	      "{\"spec\":{\"strategy\":{\"$retainKeys\":[\"type\"],\"type\":\"Recreate\"}}}",
	      "{\"spec\":{\"strategy\":{\"type\":\"Recreate\"}}}");
	/* $deleteFromPrimitiveList and finalizers merging as a set */
	check(&cm_k, "{\"metadata\":{\"finalizers\":[\"a\",\"b\"]}}",
	      "{\"metadata\":{\"$deleteFromPrimitiveList/finalizers\":[\"a\"],\"finalizers\":[\"c\","
	      "\"b\"]}}",
	      "{\"metadata\":{\"finalizers\":[\"b\",\"c\"]}}");
	/* $setElementOrder reorders */
	check(&deploy_k, POD("[{\"name\":\"a\"},{\"name\":\"b\"}]"),
	      "{\"spec\":{\"template\":{\"spec\":{\"$setElementOrder/containers\":[{\"name\":\"b\"},"
	      "{\"name\":\"a\"}]}}}}",
	      POD("[{\"name\":\"b\"},{\"name\":\"a\"}]"));
}

static void test_service_ports_and_maps(void **state)
{
	check(&svc_k, "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}],\"selector\":{\"a\":\"1\"}}}",
	      "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090},{\"port\":443}],"
	      "\"selector\":{\"b\":\"2\"}}}",
	      "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":9090},{\"port\":443}],"
	      "\"selector\":{\"a\":\"1\",\"b\":\"2\"}}}");
	/* client-side apply's optimistic lock and annotations */
	check(&deploy_k, "{\"metadata\":{\"resourceVersion\":\"5\",\"annotations\":{\"x\":\"1\"}}}",
	      "{\"metadata\":{\"annotations\":{\"y\":\"2\"},\"resourceVersion\":\"7\"}}",
	      "{\"metadata\":{\"resourceVersion\":\"7\",\"annotations\":{\"x\":\"1\",\"y\":\"2\"}}}");
	/* rollout pause */
	check(&deploy_k, "{\"spec\":{\"replicas\":1}}", "{\"spec\":{\"paused\":true}}",
	      "{\"spec\":{\"replicas\":1,\"paused\":true}}");
}

static void test_bad_directive(void **state)
{
	cJSON *t = J("{}"), *p = J("{\"$patch\":\"frob\"}"), *out = NULL;
	struct kstatus e = { 0 };

	assert_int_not_equal(merge_patch_strategic(&out, &deploy_k, t, p, &e), 0);
	assert_int_equal(e.code, 400);
	assert_null(out);
	assert_true(merge_kind_is_builtin(&deploy_k));
	cJSON_Delete(t);
	cJSON_Delete(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_containers_merge_by_name),
		cmocka_unit_test(test_patch_directives),
		cmocka_unit_test(test_service_ports_and_maps),
		cmocka_unit_test(test_bad_directive),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
