/* Server-side apply and field ownership, against the smd-run oracles of spec 6.2/6.6. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "merge.h"
#include "alloc_fail.h"

static const struct merge_kind deploy_k = { "apps", "v1", "Deployment" };
static const struct merge_kind cm_k = { "", "v1", "ConfigMap" };

#define T0 "2025-01-02T03:04:05Z"
#define T1 "2025-01-02T03:05:00Z"
#define T2 "2025-01-02T03:06:00Z"

static cJSON *J(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	assert_non_null(v);
	return v;
}

static const char *S1 =
	"{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"web\","
	"\"namespace\":\"default\",\"annotations\":{\"a1\":\"x\",\"a2\":\"y\"},"
	"\"labels\":{\"app\":\"web\"}},\"spec\":{\"replicas\":2,\"selector\":{\"matchLabels\":"
	"{\"app\":\"web\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":"
	"{\"containers\":[{\"name\":\"web\",\"image\":\"nginx:1.25\",\"args\":[\"-v\"],\"env\":"
	"[{\"name\":\"A\",\"value\":\"1\"},{\"name\":\"B\",\"value\":\"2\"}],\"ports\":"
	"[{\"containerPort\":80}],\"resources\":{}}]}}}}";

static const char *S1_FIELDS =
	"{\"f:metadata\":{\"f:annotations\":{\"f:a1\":{},\"f:a2\":{}},\"f:labels\":{\"f:app\":{}}},"
	"\"f:spec\":{\"f:replicas\":{},\"f:selector\":{},\"f:template\":{\"f:metadata\":{\"f:labels\":"
	"{\"f:app\":{}}},\"f:spec\":{\"f:containers\":{\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},"
	"\"f:args\":{},\"f:env\":{\"k:{\\\"name\\\":\\\"A\\\"}\":{\".\":{},\"f:name\":{},"
	"\"f:value\":{}},\"k:{\\\"name\\\":\\\"B\\\"}\":{\".\":{},\"f:name\":{},\"f:value\":{}}},"
	"\"f:image\":{},\"f:name\":{},\"f:ports\":{\"k:{\\\"containerPort\\\":80,\\\"protocol\\\":"
	"\\\"TCP\\\"}\":{\".\":{},\"f:containerPort\":{}}},\"f:resources\":{}}}}}}}";

/* The entry of manager/op in obj, or NULL. */
static const cJSON *entry(const cJSON *obj, const char *manager, const char *op)
{
	const cJSON *mf = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"),
					      "managedFields");
	const cJSON *e;

	cJSON_ArrayForEach(e, mf)
	{
		if (!strcmp(cJSON_GetObjectItem(e, "manager")->valuestring, manager) &&
		    !strcmp(cJSON_GetObjectItem(e, "operation")->valuestring, op))
			return e;
	}
	return NULL;
}

static char *fields_of(const cJSON *obj, const char *manager, const char *op)
{
	const cJSON *e = entry(obj, manager, op);
	assert_non_null(e);
	return cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "fieldsV1"));
}

static void assert_fields(const cJSON *obj, const char *manager, const char *op,
			  const char *want)
{
	char *got = fields_of(obj, manager, op);
	cJSON *w = J(want);
	char *wp = cJSON_PrintUnformatted(w);

	assert_string_equal(got, wp);
	free(got);
	free(wp);
	cJSON_Delete(w);
}

static void assert_contains(const cJSON *obj, const char *manager, const char *needle,
			    bool want)
{
	char *f = fields_of(obj, manager, "Apply");
	bool has = strstr(f, needle) != NULL;

	free(f);
	assert_true(has == want);
}

static cJSON *apply_ok(const cJSON *live, const char *cfg, const char *mgr, bool force,
		       const char *now)
{
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };
	cJSON *config = J(cfg), *out = NULL;
	int rc = merge_apply(&out, &c, &deploy_k, live, config, mgr, force, NULL, now, &e);

	if (rc)
		fail_msg("apply failed: %s", e.message);
	cJSON_Delete(config);
	merge_conflicts_dispose(&c);
	return out;
}

static const cJSON *path(const cJSON *v, const char *p)
{
	char buf[256], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", p);
	for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save)) {
		if (cJSON_IsArray(v))
			v = cJSON_GetArrayItem(v, atoi(tok));
		else
			v = cJSON_GetObjectItem(v, tok);
	}
	return v;
}

/* Each cJSON allocation of a conflicting apply fails in turn: a 409 or a 500, never a
 * write that takes another manager's field. */
static void test_conflict_alloc_failures(void **state)
{
	static const char *cm_a =
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
		"\"namespace\":\"default\"},\"data\":{\"k\":\"a\"}}";
	static const char *cm_b =
		"{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"c\","
		"\"namespace\":\"default\"},\"data\":{\"k\":\"b\"}}";
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };
	cJSON *cfg = J(cm_a), *live = NULL;
	long n, enomem = 0, wrong = 0;

	assert_int_equal(merge_apply(&live, &c, &cm_k, NULL, cfg, "a", false, NULL, T0, &e), 0);
	cJSON_Delete(cfg);
	merge_conflicts_dispose(&c);
	for (n = 1; n < 100000; n++) {
		cJSON *out = NULL, *b = J(cm_b);
		int rc;

		memset(&c, 0, sizeof(c));
		memset(&e, 0, sizeof(e));
		alloc_fail_start(n, ALLOC_FAIL_ONLY);
		rc = merge_apply(&out, &c, &cm_k, live, b, "b", false, NULL, T1, &e);
		alloc_fail_stop();
		if (rc == MERGE_ENOMEM && e.code == 500 && !out) {
			enomem++;
		} else if (rc != MERGE_ECONFLICT || e.code != 409 || out) {
			print_message("allocation %ld failing: rc %d, status %d\n", n, rc, e.code);
			wrong++;
		}
		cJSON_Delete(out);
		merge_conflicts_dispose(&c);
		cJSON_Delete(b);
		if (rc == MERGE_ECONFLICT && alloc_fail_count() < n)
			break;
	}
	assert_int_equal(wrong, 0);
	assert_true(enomem > 0);
	cJSON_Delete(live);
}

static void test_first_apply_fields(void **state)
{
	cJSON *obj = apply_ok(NULL, S1, "kubectl", false, T0);
	const cJSON *e = entry(obj, "kubectl", "Apply");

	assert_fields(obj, "kubectl", "Apply", S1_FIELDS);
	assert_string_equal(cJSON_GetObjectItem(e, "apiVersion")->valuestring, "apps/v1");
	assert_string_equal(cJSON_GetObjectItem(e, "time")->valuestring, T0);
	assert_string_equal(cJSON_GetObjectItem(e, "fieldsType")->valuestring, "FieldsV1");
	/* the result is defaulted */
	assert_string_equal(path(obj, "spec.strategy.type")->valuestring, "RollingUpdate");
	assert_string_equal(
		path(obj, "spec.template.spec.containers.0.imagePullPolicy")->valuestring,
		"IfNotPresent");
	cJSON_Delete(obj);
}

static void test_noop_apply_keeps_object(void **state)
{
	cJSON *obj = apply_ok(NULL, S1, "kubectl", false, T0);
	cJSON *again = apply_ok(obj, S1, "kubectl", false, T1);

	assert_false(merge_objects_differ(obj, again));
	assert_string_equal(cJSON_GetObjectItem(entry(again, "kubectl", "Apply"), "time")->valuestring,
			    T0);
	cJSON_Delete(obj);
	cJSON_Delete(again);
}

/* S2: dropping env B, annotation a2 and args removes them from object and set. */
static void test_reapply_prunes(void **state)
{
	cJSON *obj = apply_ok(NULL, S1, "kubectl", false, T0);
	cJSON *cfg = J(S1), *c0, *out;
	char *s;

	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "metadata"),
						       "annotations"), "a2");
	c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(
		cJSON_GetObjectItem(cfg, "spec"), "template"), "spec"), "containers"), 0);
	cJSON_DeleteItemFromObject(c0, "args");
	cJSON_DeleteItemFromArray(cJSON_GetObjectItem(c0, "env"), 1);
	s = cJSON_PrintUnformatted(cfg);
	out = apply_ok(obj, s, "kubectl", false, T1);
	assert_null(path(out, "metadata.annotations.a2"));
	assert_non_null(path(out, "metadata.annotations.a1"));
	assert_null(path(out, "spec.template.spec.containers.0.args"));
	assert_int_equal(cJSON_GetArraySize(path(out, "spec.template.spec.containers.0.env")), 1);
	{
		char *f = fields_of(out, "kubectl", "Apply");
		assert_null(strstr(f, "a2"));
		assert_null(strstr(f, "f:args"));
		assert_null(strstr(f, "\\\"B\\\""));
		free(f);
	}
	assert_string_equal(cJSON_GetObjectItem(entry(out, "kubectl", "Apply"), "time")->valuestring,
			    T1);
	free(s);
	cJSON_Delete(cfg);
	cJSON_Delete(obj);
	cJSON_Delete(out);
}

/* S3: an Update by kubectl-edit takes image and env C; S4 conflicts only on image;
 * S5 force reclaims image, env C stays. */
static void test_update_then_conflict_then_force(void **state)
{
	cJSON *obj = apply_ok(NULL, S1, "kubectl", false, T0);
	cJSON *edited = cJSON_Duplicate(obj, true), *c0, *env, *cfg, *out = NULL;
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };
	char *s;

	c0 = (cJSON *)path(edited, "spec.template.spec.containers.0");
	cJSON_ReplaceItemInObject(c0, "image", cJSON_CreateString("nginx:1.26"));
	env = cJSON_GetObjectItem(c0, "env");
	cJSON_AddItemToArray(env, J("{\"name\":\"C\",\"value\":\"3\"}"));
	assert_int_equal(merge_record_update(edited, &deploy_k, obj, "kubectl-edit", NULL, T1, &e),
			 0);
	assert_fields(edited, "kubectl-edit", "Update",
		      "{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{"
		      "\"k:{\\\"name\\\":\\\"web\\\"}\":{\"f:env\":{\"k:{\\\"name\\\":\\\"C\\\"}\":"
		      "{\".\":{},\"f:name\":{},\"f:value\":{}}},\"f:image\":{}}}}}}}");
	s = fields_of(edited, "kubectl", "Apply");
	assert_null(strstr(s, "f:image"));
	free(s);
	/* Apply order: Apply entries first */
	assert_string_equal(path(edited, "metadata.managedFields.0.operation")->valuestring,
			    "Apply");

	cfg = J(S1);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cfg, "spec"), "replicas",
				  cJSON_CreateNumber(3));
	s = cJSON_PrintUnformatted(cfg);
	assert_int_equal(merge_apply(&out, &c, &deploy_k, edited, cfg, "kubectl", false, NULL, T2,
				     &e),
			 MERGE_ECONFLICT);
	assert_null(out);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0].manager, "\"kubectl-edit\" using apps/v1");
	assert_string_equal(c.items[0].path, ".spec.template.spec.containers[name=\"web\"].image");
	assert_int_equal(e.code, 409);
	assert_string_equal(e.message, "Apply failed with 1 conflict: conflict with \"kubectl-edit\" "
				   "using apps/v1: .spec.template.spec.containers[name=\"web\"].image");
	{
		cJSON *st = merge_conflicts_status(&c);
		char *p = cJSON_PrintUnformatted(st);
		assert_string_equal(
			p, "{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":"
			   "\"Failure\",\"message\":\"Apply failed with 1 conflict: conflict with "
			   "\\\"kubectl-edit\\\" using apps/v1: .spec.template.spec.containers"
			   "[name=\\\"web\\\"].image\",\"reason\":\"Conflict\",\"details\":{\"causes\":"
			   "[{\"reason\":\"FieldManagerConflict\",\"message\":\"conflict with "
			   "\\\"kubectl-edit\\\" using apps/v1\",\"field\":\".spec.template.spec."
			   "containers[name=\\\"web\\\"].image\"}]},\"code\":409}");
		free(p);
		cJSON_Delete(st);
	}
	merge_conflicts_dispose(&c);

	out = apply_ok(edited, s, "kubectl", true, T2);
	assert_string_equal(path(out, "spec.template.spec.containers.0.image")->valuestring,
			    "nginx:1.25");
	assert_int_equal(path(out, "spec.replicas")->valueint, 3);
	assert_int_equal(cJSON_GetArraySize(path(out, "spec.template.spec.containers.0.env")), 3);
	assert_fields(out, "kubectl-edit", "Update",
		      "{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{"
		      "\"k:{\\\"name\\\":\\\"web\\\"}\":{\"f:env\":{\"k:{\\\"name\\\":\\\"C\\\"}\":"
		      "{\".\":{},\"f:name\":{},\"f:value\":{}}}}}}}}}");
	free(s);
	s = fields_of(out, "kubectl", "Apply");
	assert_non_null(strstr(s, "f:image"));
	free(s);
	cJSON_Delete(cfg);
	cJSON_Delete(obj);
	cJSON_Delete(edited);
	cJSON_Delete(out);
}

/* S6-S8: co-ownership of replicas by two appliers. */
static void test_coowned_replicas(void **state)
{
	const char *other = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
			    "{\"name\":\"web\"},\"spec\":{\"replicas\":2}}";
	const char *other_none = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
				 "\"metadata\":{\"name\":\"web\"}}";
	cJSON *obj = apply_ok(NULL, S1, "kubectl", false, T0);
	cJSON *o2, *o3, *o4, *cfg = J(S1);
	char *nore;

	o2 = apply_ok(obj, other, "other", false, T1); /* same value: no conflict */
	assert_fields(o2, "other", "Apply", "{\"f:spec\":{\"f:replicas\":{}}}");
	assert_contains(o2, "kubectl", "f:replicas", true);
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(cfg, "spec"), "replicas");
	nore = cJSON_PrintUnformatted(cfg);
	o3 = apply_ok(o2, nore, "kubectl", false, T2); /* S7: still owned by other */
	assert_int_equal(path(o3, "spec.replicas")->valueint, 2);
	assert_contains(o3, "kubectl", "f:replicas", false);
	o4 = apply_ok(o3, other_none, "other", false, T2); /* S8: removed, defaulted to 1 */
	assert_int_equal(path(o4, "spec.replicas")->valueint, 1);
	assert_null(entry(o4, "other", "Apply"));
	free(nore);
	cJSON_Delete(cfg);
	cJSON_Delete(obj);
	cJSON_Delete(o2);
	cJSON_Delete(o3);
	cJSON_Delete(o4);
}

/* C1-C4: apply over a ConfigMap created by POST (Update by kubectl-create). */
static void test_configmap_create_then_apply(void **state)
{
	cJSON *post = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			"\"c\",\"namespace\":\"default\"},\"data\":{\"a\":\"1\"}}");
	cJSON *cfg10 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			 "\"c\"},\"data\":{\"a\":\"10\"}}");
	cJSON *cfg1 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			"\"c\"},\"data\":{\"a\":\"1\"}}");
	cJSON *cfg0 = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			"\"c\"},\"data\":{\"b\":\"2\"}}");
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };
	cJSON *out = NULL, *o2 = NULL;

	assert_int_equal(merge_record_update(post, &cm_k, NULL, "kubectl-create", NULL, T0, &e), 0);
	assert_fields(post, "kubectl-create", "Update", "{\"f:data\":{\".\":{},\"f:a\":{}}}");
	assert_int_equal(merge_apply(&out, &c, &cm_k, post, cfg10, "kubectl", false, NULL, T1, &e),
			 MERGE_ECONFLICT);
	assert_string_equal(c.items[0].path, ".data.a");
	merge_conflicts_dispose(&c);
	assert_int_equal(merge_apply(&out, &c, &cm_k, post, cfg1, "kubectl", false, NULL, T1, &e),
			 0);
	assert_fields(out, "kubectl", "Apply", "{\"f:data\":{\"f:a\":{}}}");
	assert_fields(out, "kubectl-create", "Update", "{\"f:data\":{\".\":{},\"f:a\":{}}}");
	assert_int_equal(merge_apply(&o2, &c, &cm_k, out, cfg0, "kubectl", false, NULL, T2, &e), 0);
	assert_string_equal(path(o2, "data.a")->valuestring, "1");
	assert_string_equal(path(o2, "data.b")->valuestring, "2");
	cJSON_Delete(post);
	cJSON_Delete(cfg10);
	cJSON_Delete(cfg1);
	cJSON_Delete(cfg0);
	cJSON_Delete(out);
	cJSON_Delete(o2);
}

/* A1: atomic args: conflict on the whole list; forced, the loser keeps only name. */
static void test_atomic_args(void **state)
{
	const char *a = "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":"
			"\"w\"},\"spec\":{\"template\":{\"spec\":{\"containers\":[{\"name\":\"web\","
			"\"args\":[\"%s\"]}]}}}}";
	char ca[512], cb[512];
	cJSON *o1, *o2 = NULL, *cfg;
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };

	snprintf(ca, sizeof(ca), a, "x");
	snprintf(cb, sizeof(cb), a, "y");
	o1 = apply_ok(NULL, ca, "a", false, T0);
	cfg = J(cb);
	assert_int_equal(merge_apply(&o2, &c, &deploy_k, o1, cfg, "b", false, NULL, T1, &e),
			 MERGE_ECONFLICT);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0].path, ".spec.template.spec.containers[name=\"web\"].args");
	assert_string_equal(c.items[0].manager, "\"a\"");
	merge_conflicts_dispose(&c);
	o2 = apply_ok(o1, cb, "b", true, T1);
	assert_fields(o2, "a", "Apply",
		      "{\"f:spec\":{\"f:template\":{\"f:spec\":{\"f:containers\":{"
		      "\"k:{\\\"name\\\":\\\"web\\\"}\":{\".\":{},\"f:name\":{}}}}}}}");
	cJSON_Delete(cfg);
	cJSON_Delete(o1);
	cJSON_Delete(o2);
}

/* R1-R4: rollout undo (Update by "kubectl") then a non-forced apply: two conflicts. */
static void test_two_conflicts_message(void **state)
{
	cJSON *obj = apply_ok(NULL, S1, "tether", false, T0), *undo, *out = NULL, *cfg;
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };

	undo = cJSON_Duplicate(obj, true);
	cJSON_AddStringToObject((cJSON *)path(undo, "metadata.annotations"),
				"kubernetes.io/change-cause", "old");
	cJSON_ReplaceItemInObject((cJSON *)path(undo, "spec.template.spec.containers.0"), "image",
				  cJSON_CreateString("nginx:1.24"));
	assert_int_equal(merge_record_update(undo, &deploy_k, obj, "kubectl", NULL, T1, &e), 0);
	cfg = J(S1);
	cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(cfg, "metadata"),
						    "annotations"),
				"kubernetes.io/change-cause", "new");
	assert_int_equal(merge_apply(&out, &c, &deploy_k, undo, cfg, "tether", false, NULL, T2, &e),
			 MERGE_ECONFLICT);
	assert_int_equal(c.n, 2);
	assert_string_equal(
		e.message, "Apply failed with 2 conflicts: conflicts with \"kubectl\" using apps/v1:\n"
		       "- .metadata.annotations.kubernetes.io/change-cause\n"
		       "- .spec.template.spec.containers[name=\"web\"].image");
	merge_conflicts_dispose(&c);
	cJSON_Delete(cfg);
	cJSON_Delete(obj);
	cJSON_Delete(undo);
}

static void test_bad_apply_bodies(void **state)
{
	struct kstatus e = { 0 };
	cJSON *out = NULL, *cfg = J("{\"apiVersion\":\"apps/v1beta1\",\"kind\":\"Deployment\"}");

	assert_int_equal(merge_apply(&out, NULL, &deploy_k, NULL, cfg, "m", false, NULL, T0, &e),
			 MERGE_EINVAL);
	assert_int_equal(e.code, 400);
	assert_string_equal(e.message, "Incorrect version specified in apply patch. Specified patch "
				   "version: apps/v1beta1, expected: apps/v1");
	cJSON_Delete(cfg);
	memset(&e, 0, sizeof(e));
	cfg = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
		"{\"managedFields\":[{\"manager\":\"x\"}]}}");
	assert_int_equal(merge_apply(&out, NULL, &deploy_k, NULL, cfg, "m", false, NULL, T0, &e),
			 MERGE_EINVAL);
	assert_string_equal(e.message, "metadata.managedFields must be nil");
	cJSON_Delete(cfg);
}

/* POST of a Deployment: defaulted fields owned by the creator, "." on added containers
 * but not on struct fields that always exist (spec, template). */
static void test_create_update_fields(void **state)
{
	cJSON *obj = J(S1);
	struct kstatus e = { 0 };
	char *f;

	merge_defaults(obj, &deploy_k);
	assert_int_equal(merge_record_update(obj, &deploy_k, NULL, "kubectl-create", NULL, T0, &e),
			 0);
	f = fields_of(obj, "kubectl-create", "Update");
	assert_non_null(strstr(f, "\"f:spec\":{\"f:progressDeadlineSeconds\":{},\"f:replicas\":{}"));
	assert_non_null(strstr(f, "\"f:labels\":{\".\":{},\"f:app\":{}}"));
	assert_non_null(strstr(f, "\"f:strategy\":{\"f:rollingUpdate\":{\".\":{},\"f:maxSurge\":{},"
				  "\"f:maxUnavailable\":{}},\"f:type\":{}}"));
	assert_non_null(strstr(f, "\"f:imagePullPolicy\":{}"));
	assert_non_null(strstr(f, "\"f:dnsPolicy\":{}"));
	assert_null(strstr(f, "f:status"));
	assert_null(strstr(f, "f:name\":{},\"f:namespace"));
	free(f);
	cJSON_Delete(obj);
}

/* An Update that changes nothing keeps managedFields and their times. */
static void test_noop_update(void **state)
{
	cJSON *obj = apply_ok(NULL, S1, "kubectl", false, T0);
	cJSON *same = cJSON_Duplicate(obj, true);
	struct kstatus e = { 0 };

	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(same, "metadata"), "managedFields");
	assert_int_equal(merge_record_update(same, &deploy_k, obj, "kubectl-edit", NULL, T1, &e), 0);
	assert_false(merge_objects_differ(obj, same));
	assert_null(entry(same, "kubectl-edit", "Update"));
	cJSON_Delete(obj);
	cJSON_Delete(same);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_apply_fields),
		cmocka_unit_test(test_noop_apply_keeps_object),
		cmocka_unit_test(test_reapply_prunes),
		cmocka_unit_test(test_update_then_conflict_then_force),
		cmocka_unit_test(test_coowned_replicas),
		cmocka_unit_test(test_configmap_create_then_apply),
		cmocka_unit_test(test_atomic_args),
		cmocka_unit_test(test_two_conflicts_message),
		cmocka_unit_test(test_bad_apply_bodies),
		cmocka_unit_test(test_create_update_fields),
		cmocka_unit_test(test_noop_update),
		cmocka_unit_test(test_conflict_alloc_failures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
