/*
 * Deployment + ReplicaSet + kubelet: the rollout story driven directly through the
 * store with the controllers on a fake clock.
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

static cJSON *deployment(const char *name, const char *image, int replicas, const char *cause)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
		 "\"metadata\":{\"name\":\"%s\",\"namespace\":\"default\","
		 "\"annotations\":{\"kubernetes.io/change-cause\":\"%s\","
		 "\"kubectl.kubernetes.io/last-applied-configuration\":\"{}\"}},"
		 "\"spec\":{\"replicas\":%d,\"selector\":{\"matchLabels\":{\"app\":\"%s\"}},"
		 "\"template\":{\"metadata\":{\"labels\":{\"app\":\"%s\"}},"
		 "\"spec\":{\"containers\":[{\"name\":\"web\",\"image\":\"%s\"}]}}}}",
		 name, cause, replicas, name, name, image);
	return fx_parse(buf);
}

/* Changes the image and change-cause of a Deployment the way kubectl would. */
static void set_image(struct fx *f, const char *name, const char *image, const char *cause)
{
	cJSON *d = fx_get(f, dep_t(f), "default", name);
	cJSON *ctr = cJSON_GetArrayItem(
	    (cJSON *)ctrl_path(ctrl_path(d, "spec", "template", "spec"), "containers", NULL, NULL),
	    0);
	ctrl_set_str(ctr, "image", image);
	ctrl_set_annotation(d, "kubernetes.io/change-cause", cause);
	fx_update(f, dep_t(f), d);
}

/* The ReplicaSet of deployment name whose container image is image, or NULL. */
static cJSON *rs_with_image(struct fx *f, const char *image)
{
	cJSON *all = fx_list(f, rs_t(f), "default"), *rs, *found = NULL;
	cJSON_ArrayForEach(rs, all)
	{
		const cJSON *ctr = cJSON_GetArrayItem(
		    ctrl_path(ctrl_path(rs, "spec", "template", "spec"), "containers", NULL, NULL),
		    0);
		if (strcmp(ctrl_str(ctr, "image", NULL, NULL), image) == 0)
			found = cJSON_Duplicate(rs, 1);
	}
	cJSON_Delete(all);
	return found;
}

static int64_t status_int(const cJSON *o, const char *field)
{
	return ctrl_int(o, "status", field, NULL, 0);
}

static void assert_condition(const cJSON *o, const char *type, const char *status,
			     const char *reason)
{
	const cJSON *c = ctrl_condition(ctrl_path(o, "status", NULL, NULL), type);
	assert_non_null(c);
	assert_string_equal(ctrl_str(c, "status", NULL, NULL), status);
	assert_string_equal(ctrl_str(c, "reason", NULL, NULL), reason);
}

static void test_create_rolls_out(void **state)
{
	struct fx *f = *state;
	fx_create(f, dep_t(f), deployment("web", "nginx:1.25", 2, "first"));
	fx_settle(f);

	cJSON *rs = rs_with_image(f, "nginx:1.25");
	assert_non_null(rs);
	const char *hash = ctrl_str(rs, "metadata", "labels", "pod-template-hash");
	char want[64];
	assert_non_null(hash);
	assert_true(strspn(hash, "bcdfghjklmnpqrstvwxz2456789") == strlen(hash));
	snprintf(want, sizeof(want), "web-%s", hash);
	assert_string_equal(ctrl_name(rs), want);
	assert_string_equal(ctrl_annotation(rs, "deployment.kubernetes.io/revision"), "1");
	assert_string_equal(ctrl_annotation(rs, "deployment.kubernetes.io/desired-replicas"), "2");
	assert_string_equal(ctrl_annotation(rs, "deployment.kubernetes.io/max-replicas"), "3");
	assert_string_equal(ctrl_annotation(rs, "kubernetes.io/change-cause"), "first");
	assert_null(ctrl_annotation(rs, "kubectl.kubernetes.io/last-applied-configuration"));
	const cJSON *ml = ctrl_path(rs, "spec", "selector", "matchLabels");
	assert_non_null(ctrl_str(ml, "pod-template-hash", NULL, NULL));
	assert_string_equal(ctrl_str(ml, "pod-template-hash", NULL, NULL), hash);
	assert_string_equal(ctrl_str(ml, "app", NULL, NULL), "web");
	const cJSON *ref = ctrl_controller_ref(rs);
	assert_non_null(ref);
	assert_string_equal(ctrl_str(ref, "kind", NULL, NULL), "Deployment");
	assert_true(cJSON_IsTrue(cJSON_GetObjectItem(ref, "blockOwnerDeletion")));
	assert_int_equal(status_int(rs, "replicas"), 2);
	assert_int_equal(status_int(rs, "readyReplicas"), 2);
	assert_int_equal(status_int(rs, "availableReplicas"), 2);
	assert_int_equal(status_int(rs, "fullyLabeledReplicas"), 2);

	cJSON *pods = fx_list(f, pod_t(f), "default"), *pod;
	assert_int_equal(cJSON_GetArraySize(pods), 2);
	cJSON_ArrayForEach(pod, pods)
	{
		assert_int_equal(strncmp(ctrl_name(pod), want, strlen(want)), 0);
		assert_int_equal(strlen(ctrl_name(pod)), strlen(want) + 6);
		assert_true(ctrl_controlled_by(pod, ctrl_uid(rs)));
		assert_string_equal(ctrl_str(pod, "status", "phase", NULL), "Running");
		assert_string_equal(ctrl_str(pod, "spec", "nodeName", NULL), "kubesim-node");
		assert_non_null(ctrl_str(pod, "status", "podIP", NULL));
		assert_non_null(ctrl_str(pod, "status", "hostIP", NULL));
		assert_non_null(ctrl_str(pod, "status", "startTime", NULL));
		const cJSON *ready = ctrl_condition(ctrl_path(pod, "status", NULL, NULL), "Ready");
		assert_string_equal(ctrl_str(ready, "status", NULL, NULL), "True");
	}
	cJSON_Delete(pods);

	cJSON *d = fx_get(f, dep_t(f), "default", "web");
	assert_string_equal(ctrl_annotation(d, "deployment.kubernetes.io/revision"), "1");
	assert_int_equal(status_int(d, "observedGeneration"),
			 ctrl_int(d, "metadata", "generation", NULL, 0));
	assert_int_equal(status_int(d, "replicas"), 2);
	assert_int_equal(status_int(d, "updatedReplicas"), 2);
	assert_int_equal(status_int(d, "readyReplicas"), 2);
	assert_int_equal(status_int(d, "availableReplicas"), 2);
	assert_null(ctrl_path(d, "status", "unavailableReplicas", NULL));
	assert_condition(d, "Available", "True", "MinimumReplicasAvailable");
	assert_condition(d, "Progressing", "True", "NewReplicaSetAvailable");
	char msg[128];
	snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has successfully progressed.", want);
	assert_string_equal(
	    ctrl_str(ctrl_condition(ctrl_path(d, "status", NULL, NULL), "Progressing"), "message",
		     NULL, NULL),
	    msg);
	cJSON_Delete(d);
	cJSON_Delete(rs);
}

static void test_stable_writes_nothing(void **state)
{
	struct fx *f = *state;
	fx_create(f, dep_t(f), deployment("web", "nginx:1.25", 3, "first"));
	fx_settle(f);
	uint64_t rv = store_rv(f->st);
	fx_settle_for(f, 5000, 500);
	assert_int_equal(store_rv(f->st), rv);
}

static void test_rollback_reuses_rs(void **state)
{
	struct fx *f = *state;
	fx_create(f, dep_t(f), deployment("web", "nginx:1.25", 2, "v1"));
	fx_settle(f);
	set_image(f, "web", "nginx:1.26", "v2");
	fx_settle(f);

	cJSON *v1 = rs_with_image(f, "nginx:1.25"), *v2 = rs_with_image(f, "nginx:1.26");
	assert_non_null(v1);
	assert_non_null(v2);
	assert_string_equal(ctrl_annotation(v2, "deployment.kubernetes.io/revision"), "2");
	assert_string_equal(ctrl_annotation(v2, "kubernetes.io/change-cause"), "v2");
	assert_int_equal(ctrl_int(v1, "spec", "replicas", NULL, -1), 0);
	assert_int_equal(ctrl_int(v2, "spec", "replicas", NULL, -1), 2);

	/* kubectl rollout undo: the old template as Go re-serialises it. */
	cJSON *d = fx_get(f, dep_t(f), "default", "web");
	cJSON *tmpl = cJSON_Duplicate(ctrl_path(v1, "spec", "template", NULL), 1);
	cJSON_DeleteItemFromObject((cJSON *)ctrl_path(tmpl, "metadata", "labels", NULL),
				   "pod-template-hash");
	cJSON_AddNullToObject(cJSON_GetObjectItem(tmpl, "metadata"), "creationTimestamp");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "spec"), "template", tmpl);
	ctrl_set_annotation(d, "kubernetes.io/change-cause", "v1");
	fx_update(f, dep_t(f), d);
	fx_settle(f);

	cJSON *rss = fx_list(f, rs_t(f), "default");
	assert_int_equal(cJSON_GetArraySize(rss), 2);
	cJSON_Delete(rss);
	cJSON *v1b = rs_with_image(f, "nginx:1.25");
	assert_string_equal(ctrl_name(v1b), ctrl_name(v1));
	assert_string_equal(ctrl_annotation(v1b, "deployment.kubernetes.io/revision"), "3");
	assert_string_equal(ctrl_annotation(v1b, "deployment.kubernetes.io/revision-history"), "1");
	assert_int_equal(ctrl_int(v1b, "spec", "replicas", NULL, -1), 2);
	cJSON *v2b = rs_with_image(f, "nginx:1.26");
	assert_int_equal(ctrl_int(v2b, "spec", "replicas", NULL, -1), 0);
	d = fx_get(f, dep_t(f), "default", "web");
	assert_string_equal(ctrl_annotation(d, "deployment.kubernetes.io/revision"), "3");
	assert_condition(d, "Progressing", "True", "NewReplicaSetAvailable");
	assert_int_equal(status_int(d, "updatedReplicas"), 2);
	cJSON_Delete(d);
	cJSON_Delete(v1);
	cJSON_Delete(v2);
	cJSON_Delete(v1b);
	cJSON_Delete(v2b);
}

static void test_history_limit(void **state)
{
	struct fx *f = *state;
	cJSON *d = deployment("web", "nginx:1", 1, "c1");
	cJSON_AddNumberToObject(cJSON_GetObjectItem(d, "spec"), "revisionHistoryLimit", 2);
	fx_create(f, dep_t(f), d);
	fx_settle(f);
	const char *images[] = {"nginx:2", "nginx:3", "nginx:4", "nginx:5"};
	for (int i = 0; i < 4; i++) {
		set_image(f, "web", images[i], images[i]);
		fx_settle(f);
	}
	/* The new RS plus at most two old ones; the oldest revisions went first. */
	assert_int_equal(fx_count(f, rs_t(f), "default"), 3);
	cJSON *r1 = rs_with_image(f, "nginx:1"), *r3 = rs_with_image(f, "nginx:3");
	assert_null(r1);
	assert_non_null(r3);
	cJSON_Delete(r3);
}

/* Sums over the ReplicaSets: spec replicas and available replicas. */
static void rs_totals(struct fx *f, int *spec, int *avail)
{
	cJSON *rss = fx_list(f, rs_t(f), "default"), *rs;
	*spec = *avail = 0;
	cJSON_ArrayForEach(rs, rss)
	{
		*spec += (int)ctrl_int(rs, "spec", "replicas", NULL, 0);
		*avail += (int)status_int(rs, "availableReplicas");
	}
	cJSON_Delete(rss);
}

static void test_rolling_update_bounds(void **state)
{
	struct fx *f = *state;
	/* 10 replicas with defaults: maxSurge 3, maxUnavailable 2. */
	fx_create(f, dep_t(f), deployment("web", "nginx:1", 10, "v1"));
	fx_settle(f);
	set_image(f, "web", "nginx:2", "v2");
	int max_spec = 0, min_avail = 100;
	for (int round = 0; round < 400; round++) {
		int spec, avail;
		controllers_run(f->c, 1);
		rs_totals(f, &spec, &avail);
		if (spec > max_spec)
			max_spec = spec;
		if (avail < min_avail)
			min_avail = avail;
		if (round % 20 == 0)
			controllers_advance(f->c, 50);
	}
	fx_settle(f);
	assert_true(max_spec <= 13);
	assert_true(max_spec > 10); /* it did surge */
	assert_true(min_avail >= 8);
	cJSON *v2 = rs_with_image(f, "nginx:2");
	assert_int_equal(status_int(v2, "availableReplicas"), 10);
	cJSON_Delete(v2);
}

static void test_failing_image_deadline(void **state)
{
	struct fx *f = *state;
	cJSON *d = deployment("web", "nginx:1", 2, "v1");
	cJSON_AddNumberToObject(cJSON_GetObjectItem(d, "spec"), "progressDeadlineSeconds", 5);
	fx_create(f, dep_t(f), d);
	fx_settle(f);
	set_image(f, "web", "nginx:bad", "v2");
	fx_settle_for(f, 2000, 100);

	d = fx_get(f, dep_t(f), "default", "web");
	assert_int_equal(status_int(d, "replicas"), 3);
	assert_int_equal(status_int(d, "updatedReplicas"), 1);
	assert_int_equal(status_int(d, "availableReplicas"), 2);
	assert_int_equal(status_int(d, "unavailableReplicas"), 1);
	assert_condition(d, "Progressing", "True", "ReplicaSetUpdated");
	cJSON_Delete(d);

	cJSON *bad = rs_with_image(f, "nginx:bad");
	cJSON *pods = fx_list(f, pod_t(f), "default"), *pod;
	int waiting = 0;
	cJSON_ArrayForEach(pod, pods)
	{
		if (!ctrl_controlled_by(pod, ctrl_uid(bad)))
			continue;
		assert_string_equal(ctrl_str(pod, "status", "phase", NULL), "Pending");
		const cJSON *cs =
		    cJSON_GetArrayItem(ctrl_path(pod, "status", "containerStatuses", NULL), 0);
		assert_string_equal(ctrl_str(cs, "state", "waiting", "reason"), "ImagePullBackOff");
		assert_condition(pod, "Ready", "False", "ContainersNotReady");
		waiting++;
	}
	assert_int_equal(waiting, 1);
	cJSON_Delete(pods);

	/* No event arrives: only the controller's own deadline timer can fire. */
	controllers_advance(f->c, 6000);
	controllers_run(f->c, 100000);
	controllers_advance(f->c, 2000);
	controllers_run(f->c, 100000);
	d = fx_get(f, dep_t(f), "default", "web");
	assert_condition(d, "Progressing", "False", "ProgressDeadlineExceeded");
	char msg[128];
	snprintf(msg, sizeof(msg), "ReplicaSet \"%s\" has timed out progressing.", ctrl_name(bad));
	assert_string_equal(
	    ctrl_str(ctrl_condition(ctrl_path(d, "status", NULL, NULL), "Progressing"), "message",
		     NULL, NULL),
	    msg);
	assert_condition(d, "Available", "True", "MinimumReplicasAvailable");
	cJSON_Delete(d);
	cJSON_Delete(bad);
}

static void test_scale_and_pause(void **state)
{
	struct fx *f = *state;
	fx_create(f, dep_t(f), deployment("web", "nginx:1", 2, "v1"));
	fx_settle(f);
	cJSON *d = fx_get(f, dep_t(f), "default", "web");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "spec"), "replicas",
				  cJSON_CreateNumber(5));
	fx_update(f, dep_t(f), d);
	fx_settle(f);
	cJSON *rs = rs_with_image(f, "nginx:1");
	assert_int_equal(ctrl_int(rs, "spec", "replicas", NULL, 0), 5);
	assert_string_equal(ctrl_annotation(rs, "deployment.kubernetes.io/desired-replicas"), "5");
	assert_int_equal(fx_count(f, pod_t(f), "default"), 5);
	cJSON_Delete(rs);

	d = fx_get(f, dep_t(f), "default", "web");
	cJSON_AddTrueToObject(cJSON_GetObjectItem(d, "spec"), "paused");
	fx_update(f, dep_t(f), d);
	fx_settle(f);
	set_image(f, "web", "nginx:2", "v2");
	fx_settle(f);
	assert_null(rs_with_image(f, "nginx:2"));
	d = fx_get(f, dep_t(f), "default", "web");
	assert_condition(d, "Progressing", "Unknown", "DeploymentPaused");
	assert_int_equal(status_int(d, "observedGeneration"),
			 ctrl_int(d, "metadata", "generation", NULL, 0));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(d, "spec"), "paused");
	fx_update(f, dep_t(f), d);
	fx_settle(f);
	rs = rs_with_image(f, "nginx:2");
	assert_non_null(rs);
	assert_int_equal(status_int(rs, "availableReplicas"), 5);
	cJSON_Delete(rs);
}

static void test_recreate(void **state)
{
	struct fx *f = *state;
	cJSON *d = deployment("web", "nginx:1", 3, "v1");
	cJSON *strategy = cJSON_AddObjectToObject(cJSON_GetObjectItem(d, "spec"), "strategy");
	cJSON_AddStringToObject(strategy, "type", "Recreate");
	fx_create(f, dep_t(f), d);
	fx_settle(f);
	set_image(f, "web", "nginx:2", "v2");
	/* Old pods go before any new one exists. */
	bool overlap = false;
	for (int round = 0; round < 300; round++) {
		cJSON *old = rs_with_image(f, "nginx:1"), *nw = rs_with_image(f, "nginx:2");
		if (nw && ctrl_int(nw, "spec", "replicas", NULL, 0) > 0 &&
		    status_int(old, "replicas") > 0)
			overlap = true;
		cJSON_Delete(old);
		cJSON_Delete(nw);
		controllers_run(f->c, 1);
		if (round % 20 == 0)
			controllers_advance(f->c, 50);
	}
	fx_settle(f);
	assert_false(overlap);
	cJSON *nw = rs_with_image(f, "nginx:2");
	assert_int_equal(status_int(nw, "availableReplicas"), 3);
	cJSON_Delete(nw);
}

static int rs_spec(struct fx *f, const char *image)
{
	cJSON *rs = rs_with_image(f, image);
	int n = rs ? (int)ctrl_int(rs, "spec", "replicas", NULL, -1) : -1;
	cJSON_Delete(rs);
	return n;
}

/* The documented proportional-scaling example: a stuck rollout scaled from 10 to 15
 * spreads the extra replicas over both ReplicaSets by size. */
static void test_proportional_scaling(void **state)
{
	struct fx *f = *state;
	fx_create(f, dep_t(f), deployment("web", "nginx:1", 10, "v1"));
	fx_settle(f);
	set_image(f, "web", "nginx:bad", "v2");
	fx_settle(f);
	assert_int_equal(rs_spec(f, "nginx:1"), 8);
	assert_int_equal(rs_spec(f, "nginx:bad"), 5);
	cJSON *d = fx_get(f, dep_t(f), "default", "web");
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(d, "spec"), "replicas",
				  cJSON_CreateNumber(15));
	fx_update(f, dep_t(f), d);
	fx_settle(f);
	assert_int_equal(rs_spec(f, "nginx:1"), 12);
	assert_int_equal(rs_spec(f, "nginx:bad"), 7);
	cJSON *rs = rs_with_image(f, "nginx:1");
	assert_string_equal(ctrl_annotation(rs, "deployment.kubernetes.io/desired-replicas"), "15");
	assert_string_equal(ctrl_annotation(rs, "deployment.kubernetes.io/max-replicas"), "19");
	cJSON_Delete(rs);
}

/* A store restored from a state file: pending pods still become ready. */
static void test_restored_pending_pod(void **state)
{
	struct fx *f = *state;
	fx_create(f, pod_t(f),
		  fx_parse("{\"metadata\":{\"name\":\"solo\",\"namespace\":\"default\"},"
			   "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"nginx:1\"}]}}"));
	controllers_run(f->c, 10); /* bound and Pending, its timer queued */
	cJSON *pod = fx_get(f, pod_t(f), "default", "solo");
	assert_string_equal(ctrl_str(pod, "status", "phase", NULL), "Pending");
	cJSON_Delete(pod);
	/* New controllers on the same store: the old ones' timers are gone. */
	struct controllers *c2 = controllers_new(f->st, false);
	controllers_set_time(c2, controllers_now(f->c));
	for (int i = 0; i < 20; i++) {
		controllers_run(c2, 1000);
		controllers_advance(c2, 100);
	}
	pod = fx_get(f, pod_t(f), "default", "solo");
	assert_string_equal(ctrl_str(pod, "status", "phase", NULL), "Running");
	cJSON_Delete(pod);
	/* c2 stays subscribed to the store: free it with the fixture's store. */
	store_free(f->st);
	f->st = NULL;
	controllers_free(c2);
}

/* minReadySeconds: ready pods count as available only after the delay, with no event
 * to wake the ReplicaSet but its own timer. */
static void test_min_ready_seconds(void **state)
{
	struct fx *f = *state;
	cJSON *d = deployment("web", "nginx:1", 2, "v1");
	cJSON_AddNumberToObject(cJSON_GetObjectItem(d, "spec"), "minReadySeconds", 5);
	fx_create(f, dep_t(f), d);
	fx_settle_for(f, 1000, 100);
	cJSON *rs = rs_with_image(f, "nginx:1");
	assert_int_equal(status_int(rs, "readyReplicas"), 2);
	assert_int_equal(status_int(rs, "availableReplicas"), 0);
	assert_int_equal(ctrl_int(rs, "spec", "minReadySeconds", NULL, 0), 5);
	cJSON_Delete(rs);
	d = fx_get(f, dep_t(f), "default", "web");
	assert_condition(d, "Available", "False", "MinimumReplicasUnavailable");
	cJSON_Delete(d);
	controllers_advance(f->c, 6000);
	controllers_run(f->c, 100000);
	rs = rs_with_image(f, "nginx:1");
	assert_int_equal(status_int(rs, "availableReplicas"), 2);
	cJSON_Delete(rs);
	d = fx_get(f, dep_t(f), "default", "web");
	assert_condition(d, "Available", "True", "MinimumReplicasAvailable");
	assert_condition(d, "Progressing", "True", "NewReplicaSetAvailable");
	cJSON_Delete(d);
}

/* A selector that does not match the template (validation would refuse it) must not
 * make the controllers create objects they immediately disown, forever. */
static void test_mismatched_selector_is_inert(void **state)
{
	struct fx *f = *state;
	cJSON *d = deployment("web", "nginx:1", 2, "v1");
	cJSON *ml = (cJSON *)ctrl_path(d, "spec", "selector", "matchLabels");
	ctrl_set_str(ml, "app", "other");
	struct store_wopts o = {.manager = "kubectl", .grace_seconds = -1};
	struct kstatus e = {0};
	struct merge_kind k = fx_kind(dep_t(f));
	merge_defaults(d, &k);
	int rc = store_create(f->st, dep_t(f), "default", d, &o, NULL, &e);
	kstatus_dispose(&e);
	cJSON_Delete(d);
	/* A validating store refuses it (422), as the API server does; one that does not
	 * must still leave the controllers quiet. */
	assert_true(rc >= 0 || rc == -422);
	fx_settle(f);
	assert_int_equal(fx_count(f, rs_t(f), "default"), 0);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_create_rolls_out, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_stable_writes_nothing, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_rollback_reuses_rs, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_history_limit, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_rolling_update_bounds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_failing_image_deadline, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_scale_and_pause, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_recreate, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_proportional_scaling, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_restored_pending_pod, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_min_ready_seconds, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_mismatched_selector_is_inert, fx_setup,
					    fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
