/* Ownership of non-apply writes (spec 6.4): status writes, sets, owner references,
 * removals, and the managedFields a request may carry. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "merge.h"

static const struct merge_kind deploy_k = {"apps", "v1", "Deployment"};
static const struct merge_kind rs_k = {"apps", "v1", "ReplicaSet"};
static const struct merge_kind cm_k = {"", "v1", "ConfigMap"};
static const struct merge_kind svc_k = {"", "v1", "Service"};
static const struct merge_kind crd_k = {"example.com", "v1", "Widget"};

#define T0 "2025-01-02T03:04:05Z"
#define T1 "2025-01-02T03:05:00Z"

static cJSON *J(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	if (!v)
		fail_msg("bad JSON: %s", s);
	return v;
}

static const cJSON *entry_at(const cJSON *obj, size_t i)
{
	return cJSON_GetArrayItem(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "managedFields"), (int)i);
}

static size_t n_entries(const cJSON *obj)
{
	return (size_t)cJSON_GetArraySize(
	    cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "managedFields"));
}

static void assert_entry(const cJSON *obj, size_t i, const char *manager, const char *sub,
			 const char *fields)
{
	const cJSON *e = entry_at(obj, i);
	const cJSON *s = cJSON_GetObjectItem(e, "subresource");
	char *got;
	cJSON *w = J(fields);
	char *want = cJSON_PrintUnformatted(w);

	assert_non_null(e);
	assert_string_equal(cJSON_GetObjectItem(e, "manager")->valuestring, manager);
	if (sub)
		assert_string_equal(s->valuestring, sub);
	else
		assert_null(s);
	got = cJSON_PrintUnformatted(cJSON_GetObjectItem(e, "fieldsV1"));
	assert_string_equal(got, want);
	free(got);
	free(want);
	cJSON_Delete(w);
}

static void update(cJSON *obj, const struct merge_kind *k, const cJSON *old, const char *m,
		   const char *sub, const char *now)
{
	struct kstatus e = {0};

	if (merge_record_update(obj, k, old, m, sub, now, &e))
		fail_msg("update failed: %s", e.message);
}

/* The controller's status write: own entry with subresource, conditions keyed by type,
 * the revision annotation included; spec changes in the body are not owned. */
static void test_status_subresource(void **state)
{
	cJSON *live = J("{\"metadata\":{\"name\":\"w\"},\"spec\":{\"replicas\":1}}"), *st;

	update(live, &deploy_k, NULL, "kubectl-create", NULL, T0);
	st = cJSON_Duplicate(live, true);
	cJSON_AddItemToObject(st, "status",
			      J("{\"replicas\":1,\"conditions\":[{\"type\":\"Available\","
				"\"status\":\"True\"}]}"));
	cJSON_AddItemToObject(cJSON_GetObjectItem(st, "metadata"), "annotations",
			      J("{\"deployment.kubernetes.io/revision\":\"1\"}"));
	update(st, &deploy_k, live, "kube-controller-manager", "status", T1);
	assert_int_equal(n_entries(st), 2);
	assert_entry(st, 0, "kubectl-create", NULL, "{\"f:spec\":{\"f:replicas\":{}}}");
	assert_entry(st, 1, "kube-controller-manager", "status",
		     "{\"f:metadata\":{\"f:annotations\":{\".\":{},"
		     "\"f:deployment.kubernetes.io/revision\":{}}},\"f:status\":{\"f:conditions\":"
		     "{\".\":{},\"k:{\\\"type\\\":\\\"Available\\\"}\":{\".\":{},\"f:status\":{},"
		     "\"f:type\":{}}},\"f:replicas\":{}}}");
	/* a main-resource write never owns status (reset field) */
	{
		cJSON *main = cJSON_Duplicate(st, true);
		cJSON_ReplaceItemInObject(cJSON_GetObjectItem(main, "status"), "replicas",
					  cJSON_CreateNumber(5));
		update(main, &deploy_k, st, "kubectl-edit", NULL, T1);
		assert_int_equal(n_entries(main), 2);
		cJSON_Delete(main);
	}
	cJSON_Delete(live);
	cJSON_Delete(st);
}

/* A ReplicaSet created by the controller: ownerReferences keyed by uid, items atomic. */
static void test_owner_refs_and_finalizers(void **state)
{
	cJSON *rs = J("{\"metadata\":{\"name\":\"w-1\",\"finalizers\":[\"a/b\"],"
		      "\"ownerReferences\":[{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		      "\"name\":\"w\",\"uid\":\"u-1\",\"controller\":true}]},\"spec\":{}}");

	update(rs, &rs_k, NULL, "kube-controller-manager", NULL, T0);
	assert_entry(rs, 0, "kube-controller-manager", NULL,
		     "{\"f:metadata\":{\"f:finalizers\":{\".\":{},\"v:\\\"a/b\\\"\":{}},"
		     "\"f:ownerReferences\":{\".\":{},\"k:{\\\"uid\\\":\\\"u-1\\\"}\":{}}}}");
	cJSON_Delete(rs);
}

/* Removing a field drops it from its owner; an emptied entry disappears. */
static void test_removal_drops_ownership(void **state)
{
	cJSON *cm = J("{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\"}}"), *cm2;

	update(cm, &cm_k, NULL, "creator", NULL, T0);
	cm2 = cJSON_Duplicate(cm, true);
	cJSON_DeleteItemFromObject(cm2, "data");
	cJSON_AddItemToObject(cm2, "binaryData", J("{\"b\":\"AA==\"}"));
	update(cm2, &cm_k, cm, "editor", NULL, T1);
	assert_int_equal(n_entries(cm2), 1);
	assert_entry(cm2, 0, "editor", NULL, "{\"f:binaryData\":{\".\":{},\"f:b\":{}}}");
	cJSON_Delete(cm);
	cJSON_Delete(cm2);
}

/* managedFields in the request: [{}] resets, a different list replaces. */
static void test_request_managed_fields(void **state)
{
	cJSON *cm = J("{\"metadata\":{\"name\":\"c\"},\"data\":{\"a\":\"1\"}}"), *r1, *r2;

	update(cm, &cm_k, NULL, "creator", NULL, T0);
	r1 = cJSON_Duplicate(cm, true);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(r1, "metadata"), "managedFields", J("[{}]"));
	update(r1, &cm_k, cm, "editor", NULL, T1);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(r1, "metadata"), "managedFields"));

	r2 = cJSON_Duplicate(cm, true);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(r2, "metadata"), "managedFields",
				  J("[{\"manager\":\"kubectl\",\"operation\":\"Apply\","
				    "\"apiVersion\":\"v1\",\"time\":\"" T0 "\",\"fieldsType\":"
				    "\"FieldsV1\",\"fieldsV1\":{\"f:data\":{\"f:a\":{}}}}]"));
	update(r2, &cm_k, cm, "kubectl", NULL, T1);
	assert_int_equal(n_entries(r2), 1);
	assert_entry(r2, 0, "kubectl", NULL, "{\"f:data\":{\"f:a\":{}}}");
	/* a status write ignores the request's list */
	cJSON_Delete(r1);
	cJSON_Delete(r2);
	cJSON_Delete(cm);
}

/* Service ports are keyed by port+protocol with protocol defaulting to TCP, so an apply
 * without protocol matches the defaulted live item (no duplicate, no conflict). */
static void test_service_port_key_default(void **state)
{
	cJSON *cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"s\"},"
		       "\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":8080}]}}");
	cJSON *live = NULL, *again = NULL;
	struct kstatus e = {0};
	struct merge_conflicts c = {0};

	assert_int_equal(merge_apply(&live, &c, &svc_k, NULL, cfg, "tether", false, NULL, T0, &e),
			 0);
	assert_entry(
	    live, 0, "tether", NULL,
	    "{\"f:spec\":{\"f:ports\":{\"k:{\\\"port\\\":80,\\\"protocol\\\":\\\"TCP\\\"}\":"
	    "{\".\":{},\"f:port\":{},\"f:targetPort\":{}}}}}");
	assert_string_equal(
	    cJSON_GetObjectItem(
		cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetObjectItem(live, "spec"), "ports"),
				   0),
		"protocol")
		->valuestring,
	    "TCP");
	assert_int_equal(merge_apply(&again, &c, &svc_k, live, cfg, "tether", false, NULL, T1, &e),
			 0);
	assert_false(merge_objects_differ(live, again));
	cJSON_Delete(cfg);
	cJSON_Delete(live);
	cJSON_Delete(again);
}

/* Unknown kinds: maps granular, lists atomic (deduced schema). */
static void test_deduced_schema(void **state)
{
	cJSON *cfg =
	    J("{\"apiVersion\":\"example.com/v1\",\"kind\":\"Widget\",\"metadata\":"
	      "{\"name\":\"w\"},\"spec\":{\"size\":{\"x\":1},\"items\":[{\"name\":\"a\"}]}}");
	cJSON *out = NULL;
	struct kstatus e = {0};

	assert_int_equal(merge_apply(&out, NULL, &crd_k, NULL, cfg, "m", false, NULL, T0, &e), 0);
	assert_entry(out, 0, "m", NULL, "{\"f:spec\":{\"f:items\":{},\"f:size\":{\"f:x\":{}}}}");
	cJSON_Delete(cfg);
	cJSON_Delete(out);
}

/* Keyed list items without their key, or twice the same key, are refused (400). */
static void test_apply_bad_keys(void **state)
{
	cJSON *nokey = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
			 "{\"name\":\"w\"},\"spec\":{\"template\":{\"spec\":{\"containers\":"
			 "[{\"image\":\"x\"}]}}}}");
	cJSON *dup = J("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":"
		       "{\"name\":\"w\"},\"spec\":{\"template\":{\"spec\":{\"containers\":"
		       "[{\"name\":\"a\"},{\"name\":\"a\"}]}}}}");
	struct kstatus e = { 0 };
	cJSON *out = NULL;

	assert_int_equal(merge_apply(&out, NULL, &deploy_k, NULL, nokey, "m", false, NULL, T0, &e),
			 MERGE_EINVAL);
	assert_int_equal(e.code, 400);
	assert_string_equal(e.message, "failed to create typed patch object (apps/v1, Kind=Deployment): "
				   ".spec.template.spec.containers: element 0: associative list "
				   "with keys has an element that omits key field \"name\" (and "
				   "doesn't have default value)");
	memset(&e, 0, sizeof(e));
	assert_int_equal(merge_apply(&out, NULL, &deploy_k, NULL, dup, "m", false, NULL, T0, &e),
			 MERGE_EINVAL);
	assert_non_null(strstr(e.message, ".spec.template.spec.containers: duplicate entries for key "
				      "[name=\"a\"]"));
	cJSON_Delete(nokey);
	cJSON_Delete(dup);
}

/* CSA -> SSA upgrade: manager "kubectl" may take fields recorded in last-applied, and
 * the annotation follows the applied config. */
static void test_kubectl_last_applied_upgrade(void **state)
{
	const char *la = "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"1\"},\"kind\":\"ConfigMap\","
			 "\"metadata\":{\"annotations\":{},\"name\":\"c\"}}\n";
	cJSON *live = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			"\"c\",\"annotations\":{}},\"data\":{\"a\":\"1\",\"b\":\"x\"}}");
	cJSON *cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		       "\"c\"},\"data\":{\"a\":\"2\"}}");
	cJSON *cfg_b = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			 "\"c\"},\"data\":{\"b\":\"y\"}}");
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };
	cJSON *out = NULL;
	const cJSON *got;

	cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(live, "metadata"),
						    "annotations"),
				"kubectl.kubernetes.io/last-applied-configuration", la);
	update(live, &cm_k, NULL, "kubectl-client-side-apply", NULL, T0);
	/* another manager would conflict */
	assert_int_equal(merge_apply(&out, &c, &cm_k, live, cfg, "tether", false, NULL, T1, &e),
			 MERGE_ECONFLICT);
	merge_conflicts_dispose(&c);
	memset(&e, 0, sizeof(e));
	/* b is not in last-applied: still a conflict for kubectl */
	assert_int_equal(merge_apply(&out, &c, &cm_k, live, cfg_b, "kubectl", false, NULL, T1, &e),
			 MERGE_ECONFLICT);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.items[0].path, ".data.b");
	merge_conflicts_dispose(&c);
	memset(&e, 0, sizeof(e));
	assert_int_equal(merge_apply(&out, &c, &cm_k, live, cfg, "kubectl", false, NULL, T1, &e), 0);
	got = cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "metadata"),
						      "annotations"),
				  "kubectl.kubernetes.io/last-applied-configuration");
	assert_string_equal(got->valuestring,
			    "{\"apiVersion\":\"v1\",\"data\":{\"a\":\"2\"},\"kind\":\"ConfigMap\","
			    "\"metadata\":{\"name\":\"c\"}}\n");
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "data"), "a")->valuestring,
			    "2");
	assert_entry(out, 0, "kubectl", NULL, "{\"f:data\":{\"f:a\":{}}}");
	cJSON_Delete(live);
	cJSON_Delete(cfg);
	cJSON_Delete(cfg_b);
	cJSON_Delete(out);
}

/* More than 10 Update managers: the oldest merge into "ancient-changes". */
static void test_cap_update_managers(void **state)
{
	cJSON *obj = J("{\"metadata\":{\"name\":\"c\"},\"data\":{}}"), *next;
	char mgr[16], key[16], now[32];
	int i;

	for (i = 0; i < 12; i++) {
		next = cJSON_Duplicate(obj, true);
		snprintf(key, sizeof(key), "k%02d", i);
		snprintf(mgr, sizeof(mgr), "m%02d", i);
		snprintf(now, sizeof(now), "2025-01-02T03:04:%02dZ", i);
		cJSON_AddStringToObject(cJSON_GetObjectItem(next, "data"), key, "v");
		update(next, &cm_k, obj, mgr, NULL, now);
		cJSON_Delete(obj);
		obj = next;
	}
	assert_int_equal(n_entries(obj), 10);
	assert_entry(obj, 0, "ancient-changes", NULL,
		     "{\"f:data\":{\"f:k00\":{},\"f:k01\":{},\"f:k02\":{}}}");
	assert_string_equal(cJSON_GetObjectItem(entry_at(obj, 0), "time")->valuestring,
			    "2025-01-02T03:04:02Z");
	assert_entry(obj, 9, "m11", NULL, "{\"f:data\":{\"f:k11\":{}}}");
	cJSON_Delete(obj);
}

/* An explicit null for another manager's field is a change of its value: conflict. */
static void test_null_conflicts(void **state)
{
	cJSON *cm = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		      "\"c\"},\"data\":{\"a\":\"1\",\"b\":\"2\"}}");
	cJSON *cfg = J("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
		       "\"c\"},\"data\":{\"a\":null}}");
	struct merge_conflicts c = { 0 };
	struct kstatus e = { 0 };
	cJSON *out = NULL;

	update(cm, &cm_k, NULL, "creator", NULL, T0);
	assert_int_equal(merge_apply(&out, &c, &cm_k, cm, cfg, "m", false, NULL, T1, &e),
			 MERGE_ECONFLICT);
	merge_conflicts_dispose(&c);
	assert_int_equal(merge_apply(&out, &c, &cm_k, cm, cfg, "m", true, NULL, T1, &e), 0);
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "data"), "a"));
	assert_entry(out, 0, "m", NULL, "{\"f:data\":{\"f:a\":{}}}");
	assert_entry(out, 1, "creator", NULL, "{\"f:data\":{\".\":{},\"f:b\":{}}}");
	cJSON_Delete(cm);
	cJSON_Delete(cfg);
	cJSON_Delete(out);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_status_subresource),
	    cmocka_unit_test(test_owner_refs_and_finalizers),
	    cmocka_unit_test(test_removal_drops_ownership),
	    cmocka_unit_test(test_request_managed_fields),
	    cmocka_unit_test(test_service_port_key_default),
	    cmocka_unit_test(test_deduced_schema),
	    cmocka_unit_test(test_apply_bad_keys),
	    cmocka_unit_test(test_kubectl_last_applied_upgrade),
	    cmocka_unit_test(test_cap_update_managers),
	    cmocka_unit_test(test_null_conflicts),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
