/*
 * Garbage collection (background, foreground, orphan, shared owners), namespace
 * deletion, and the status-level Job controller (StatefulSets and DaemonSets:
 * test_workloads.c).
 */
#include "test_ctrl_helpers.h"

static const struct restype *dep_t(struct fx *f)
{
	return fx_type(f, "apps", "deployments");
}
static const struct restype *rs_t(struct fx *f)
{
	return fx_type(f, "apps", "replicasets");
}
static const struct restype *pod_t(struct fx *f)
{
	return fx_type(f, "", "pods");
}
static const struct restype *cm_t(struct fx *f)
{
	return fx_type(f, "", "configmaps");
}

static cJSON *deployment(const char *ns, const char *name, int replicas)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
		 "\"spec\":{\"replicas\":%d,\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},"
		 "\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"}},"
		 "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1\"}]}}}}",
		 name, ns, replicas, name, name);
	return fx_parse(buf);
}

static void make_web(struct fx *f)
{
	fx_create(f, dep_t(f), deployment("default", "web", 2));
	fx_settle(f);
	assert_int_equal(fx_count(f, rs_t(f), "default"), 1);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 2);
}

static void test_background(void **state)
{
	struct fx *f = *state;
	make_web(f);
	assert_int_equal(fx_delete(f, dep_t(f), "default", "web", "Background"), 0);
	fx_settle(f);
	assert_int_equal(fx_count(f, rs_t(f), "default"), 0);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 0);
}

static void test_foreground(void **state)
{
	struct fx *f = *state;
	make_web(f);
	assert_int_equal(fx_delete(f, dep_t(f), "default", "web", "Foreground"), 1);
	cJSON *d = fx_get(f, dep_t(f), "default", "web");
	assert_non_null(d);
	assert_non_null(ctrl_path(d, "metadata", "deletionTimestamp", NULL));
	cJSON_Delete(d);
	/* One reconcile: the RS is being deleted, so the Deployment still waits for it. */
	controllers_run(f->c, 3);
	d = fx_get(f, dep_t(f), "default", "web");
	assert_non_null(d);
	cJSON_Delete(d);
	fx_settle(f);
	assert_null(fx_get(f, dep_t(f), "default", "web"));
	assert_int_equal(fx_count(f, rs_t(f), "default"), 0);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 0);
}

static void test_orphan(void **state)
{
	struct fx *f = *state;
	make_web(f);
	fx_delete(f, dep_t(f), "default", "web", "Orphan");
	fx_settle(f);
	assert_null(fx_get(f, dep_t(f), "default", "web"));
	cJSON *rss = fx_list(f, rs_t(f), "default");
	assert_int_equal(cJSON_GetArraySize(rss), 1);
	assert_null(ctrl_path(rss->child, "metadata", "ownerReferences", NULL));
	cJSON_Delete(rss);
	/* The orphaned RS keeps its pods. */
	assert_int_equal(fx_count(f, pod_t(f), "default"), 2);
}

/* A new Deployment with the same selector adopts the orphaned ReplicaSet. */
static void test_adopts_orphans(void **state)
{
	struct fx *f = *state;
	make_web(f);
	fx_delete(f, dep_t(f), "default", "web", "Orphan");
	fx_settle(f);
	fx_create(f, dep_t(f), deployment("default", "web", 2));
	fx_settle(f);
	cJSON *d = fx_get(f, dep_t(f), "default", "web");
	cJSON *rss = fx_list(f, rs_t(f), "default");
	assert_int_equal(cJSON_GetArraySize(rss), 1);
	assert_true(ctrl_controlled_by(rss->child, ctrl_uid(d)));
	assert_int_equal(ctrl_int(d, "status", "availableReplicas", NULL, 0), 2);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 2);
	cJSON_Delete(rss);
	cJSON_Delete(d);
}

/* A bare pod matching a ReplicaSet's selector is adopted and counted. */
static void test_rs_adopts_bare_pod(void **state)
{
	struct fx *f = *state;
	make_web(f);
	cJSON *rss = fx_list(f, rs_t(f), "default");
	const char *hash = ctrl_str(ctrl_path(rss->child, "metadata", "labels", NULL),
				    "pod-template-hash", NULL, NULL);
	char buf[512];
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"stray\",\"namespace\":\"default\",\"labels\":"
		 "{\"app\":\"web\",\"pod-template-hash\":\"%s\"}},\"spec\":{\"containers\":"
		 "[{\"name\":\"c\",\"image\":\"nginx:1\"}]}}",
		 hash);
	fx_create(f, pod_t(f), fx_parse(buf));
	fx_settle(f);
	/* Adopted, then one pod too many: the RS deletes the least useful one. */
	assert_int_equal(fx_count(f, pod_t(f), "default"), 2);
	cJSON *stray = fx_get(f, pod_t(f), "default", "stray");
	if (stray)
		assert_true(ctrl_controlled_by(stray, ctrl_uid(rss->child)));
	cJSON_Delete(stray);
	cJSON_Delete(rss);
}

static void test_shared_owner_keeps_dependent(void **state)
{
	struct fx *f = *state;
	char buf[1024];
	fx_create(f, cm_t(f),
		  fx_parse("{\"metadata\":{\"name\":\"a\",\"namespace\":\"default\"}}"));
	fx_create(f, cm_t(f),
		  fx_parse("{\"metadata\":{\"name\":\"b\",\"namespace\":\"default\"}}"));
	cJSON *a = fx_get(f, cm_t(f), "default", "a"), *b = fx_get(f, cm_t(f), "default", "b");
	snprintf(buf, sizeof(buf),
		 "{\"metadata\":{\"name\":\"dep\",\"namespace\":\"default\",\"ownerReferences\":["
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"a\",\"uid\":\"%s\"},"
		 "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"name\":\"b\",\"uid\":\"%s\"}]}}",
		 ctrl_uid(a), ctrl_uid(b));
	fx_create(f, cm_t(f), fx_parse(buf));
	fx_delete(f, cm_t(f), "default", "a", "Background");
	fx_settle(f);
	cJSON *dep = fx_get(f, cm_t(f), "default", "dep");
	assert_non_null(dep);
	const cJSON *refs = ctrl_path(dep, "metadata", "ownerReferences", NULL);
	assert_int_equal(cJSON_GetArraySize(refs), 1);
	assert_string_equal(ctrl_str(refs->child, "name", NULL, NULL), "b");
	cJSON_Delete(dep);
	fx_delete(f, cm_t(f), "default", "b", "Background");
	fx_settle(f);
	assert_null(fx_get(f, cm_t(f), "default", "dep"));
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* Owner references are user input: incomplete ones must not upset the collector. */
static void test_incomplete_owner_ref(void **state)
{
	struct fx *f = *state;
	fx_create(f, cm_t(f),
		  fx_parse("{\"metadata\":{\"name\":\"odd\",\"namespace\":\"default\","
			   "\"ownerReferences\":[{\"name\":\"x\",\"uid\":\"u-1\"}]}}"));
	fx_settle(f);
	fx_delete(f, cm_t(f), "default", "odd", "Background");
	fx_settle(f);
	assert_null(fx_get(f, cm_t(f), "default", "odd"));
}

static void test_namespace_deletion(void **state)
{
	struct fx *f = *state;
	const struct restype *ns_t = fx_type(f, "", "namespaces");
	fx_create(f, ns_t,
		  fx_parse("{\"apiVersion\":\"v1\",\"kind\":\"Namespace\","
			   "\"metadata\":{\"name\":\"team\"}}"));
	fx_create(f, dep_t(f), deployment("team", "api", 2));
	fx_create(f, cm_t(f), fx_parse("{\"metadata\":{\"name\":\"cfg\",\"namespace\":\"team\"}}"));
	fx_settle(f);
	assert_int_equal(fx_count(f, pod_t(f), "team"), 2);
	assert_int_equal(fx_delete(f, ns_t, NULL, "team", NULL), 1);
	cJSON *ns = fx_get(f, ns_t, NULL, "team");
	assert_non_null(ns);
	assert_string_equal(ctrl_str(ns, "status", "phase", NULL), "Terminating");
	cJSON_Delete(ns);
	fx_settle(f);
	assert_null(fx_get(f, ns_t, NULL, "team"));
	assert_int_equal(fx_count(f, pod_t(f), "team"), 0);
	assert_int_equal(fx_count(f, rs_t(f), "team"), 0);
	assert_int_equal(fx_count(f, cm_t(f), "team"), 0);
	assert_int_equal(fx_count(f, dep_t(f), "team"), 0);
	/* Other namespaces are untouched. */
	ns = fx_get(f, ns_t, NULL, "default");
	assert_non_null(ns);
	cJSON_Delete(ns);
}

/* Which delete a Namespace gets follows the store's flag, not what the binary links:
 * this binary has the controllers, yet a store nobody runs a namespace controller for
 * removes the Namespace and its content at once instead of leaving it Terminating. */
static void test_namespace_deletion_without_controller(void **state)
{
	struct sim_config cfg = {0};
	struct store *st = store_new(&cfg);
	struct store_wopts w = {.manager = "test", .grace_seconds = -1};
	const struct restype *ns_t, *cm;
	cJSON *ns = fx_parse("{\"metadata\":{\"name\":\"team\"}}");
	cJSON *obj = fx_parse("{\"metadata\":{\"name\":\"cfg\",\"namespace\":\"team\"}}");

	(void)state;
	assert_non_null(st);
	ns_t = store_type(st, "", "namespaces");
	cm = store_type(st, "", "configmaps");
	assert_int_equal(store_create(st, ns_t, NULL, ns, &w, NULL, NULL), 0);
	assert_int_equal(store_create(st, cm, "team", obj, &w, NULL, NULL), 0);
	assert_int_equal(store_delete(st, ns_t, NULL, "team", &w, NULL, NULL), 0);
	store_lock(st);
	assert_null(store_get(st, ns_t, NULL, "team"));
	assert_null(store_get(st, cm, "team", "cfg"));
	store_unlock(st);
	/* with the flag set the same delete only marks it Terminating */
	store_set_namespace_controller(st, true);
	assert_int_equal(store_create(st, ns_t, NULL, ns, &w, NULL, NULL), 0);
	assert_int_equal(store_delete(st, ns_t, NULL, "team", &w, NULL, NULL), 1);
	store_lock(st);
	assert_non_null(store_get(st, ns_t, NULL, "team"));
	store_unlock(st);
	cJSON_Delete(ns);
	cJSON_Delete(obj);
	store_free(st);
}

static void test_job(void **state)
{
	struct fx *f = *state;
	const struct restype *jt = fx_type(f, "batch", "jobs");
	fx_create(f, jt,
		  fx_parse("{\"apiVersion\":\"batch/v1\",\"kind\":\"Job\",\"metadata\":"
			   "{\"name\":\"once\",\"namespace\":\"default\"},\"spec\":{\"template\":"
			   "{\"spec\":{\"restartPolicy\":\"Never\",\"containers\":[{\"name\":\"c\","
			   "\"image\":\"busybox:1\"}]}}}}"));
	fx_settle(f);
	cJSON *job = fx_get(f, jt, "default", "once");
	assert_int_equal(ctrl_int(job, "status", "succeeded", NULL, 0), 1);
	assert_non_null(ctrl_str(job, "status", "completionTime", NULL));
	const cJSON *c = ctrl_condition(ctrl_path(job, "status", NULL, NULL), "Complete");
	assert_non_null(c);
	assert_string_equal(ctrl_str(c, "status", NULL, NULL), "True");
	cJSON_Delete(job);
}

/* The threaded controllers kubesim's main starts: a rollout completes in real time. */
static void test_threaded_rollout(void **state)
{
	struct sim_config cfg = {.pod_ready_ms = 50};
	struct store *st = store_new(&cfg);
	struct fx f = {st, NULL};
	struct controllers *c = controllers_new(st, true);
	struct timespec ts = {0, 20 * 1000 * 1000};
	bool done = false;
	assert_non_null(c);
	fx_create(&f, fx_type(&f, "apps", "deployments"), deployment("default", "rt", 3));
	for (int i = 0; i < 250 && !done; i++) {
		nanosleep(&ts, NULL);
		cJSON *d = fx_get(&f, fx_type(&f, "apps", "deployments"), "default", "rt");
		done = ctrl_int(d, "status", "availableReplicas", NULL, 0) == 3 &&
		       ctrl_int(d, "status", "updatedReplicas", NULL, 0) == 3;
		cJSON_Delete(d);
	}
	assert_true(done);
	controllers_free(c); /* stops the thread before the store goes */
	store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_background, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_foreground, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_orphan, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_adopts_orphans, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_rs_adopts_bare_pod, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_shared_owner_keeps_dependent, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_namespace_deletion, fx_setup, fx_teardown),
	    cmocka_unit_test(test_namespace_deletion_without_controller),
	    cmocka_unit_test_setup_teardown(test_job, fx_setup, fx_teardown),
	    cmocka_unit_test(test_threaded_rollout),
	    cmocka_unit_test_setup_teardown(test_incomplete_owner_ref, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
