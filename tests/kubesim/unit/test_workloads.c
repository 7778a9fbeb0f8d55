/*
 * The StatefulSet and DaemonSet controllers and their ControllerRevisions: the data
 * bytes and hash, reuse of an equal revision with a new number, OrderedReady and
 * Parallel pods, RollingUpdate with a partition, OnDelete, a failing image, the
 * DaemonSet over simulated nodes with maxUnavailable, and garbage collection.
 */
#include "test_ctrl_helpers.h"

#include "controllers_int.h"

static const struct restype *pod_t(struct fx *f)
{
	return fx_type(f, "", "pods");
}
static const struct restype *sts_t(struct fx *f)
{
	return fx_type(f, "apps", "statefulsets");
}
static const struct restype *ds_t(struct fx *f)
{
	return fx_type(f, "apps", "daemonsets");
}
static const struct restype *cr_t(struct fx *f)
{
	return fx_type(f, "apps", "controllerrevisions");
}

static int fx_setup_nodes(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sim_config cfg = {.pod_ready_ms = 200, .nodes = 3};
	snprintf(cfg.fail_images, sizeof(cfg.fail_images), "*:bad*");
	f->st = store_new(&cfg);
	f->c = controllers_new(f->st, false);
	controllers_set_time(f->c, 1700000000000);
	*state = f;
	return f->st && f->c ? 0 : -1;
}

/* extra is spliced into spec (",\"podManagementPolicy\":\"Parallel\"" and the like). */
static cJSON *sts_obj(const char *image, const char *extra)
{
	char buf[1400];
	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\":\"apps/v1\",\"kind\":\"StatefulSet\",\"metadata\":{\"name\":\"db\","
		 "\"namespace\":\"default\",\"annotations\":{\"kubernetes.io/change-cause\":\"one\"}},"
		 "\"spec\":{\"replicas\":3,\"serviceName\":\"db\",\"selector\":{\"matchLabels\":"
		 "{\"app\":\"db\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"db\"}},"
		 "\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"%s\"}]}}%s}}",
		 image, extra);
	return fx_parse(buf);
}

static cJSON *ds_obj(const char *image)
{
	char buf[1024];
	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\":\"apps/v1\",\"kind\":\"DaemonSet\",\"metadata\":{\"name\":\"agent\","
		 "\"namespace\":\"default\"},\"spec\":{\"selector\":{\"matchLabels\":{\"app\":"
		 "\"agent\"}},\"template\":{\"metadata\":{\"labels\":{\"app\":\"agent\"}},\"spec\":"
		 "{\"containers\":[{\"name\":\"c\",\"image\":\"%s\"}]}}}}",
		 image);
	return fx_parse(buf);
}

/* Sets the first container's image of the stored object and writes it back. */
static void set_image(struct fx *f, const struct restype *rt, const char *name, const char *image)
{
	cJSON *o = fx_get(f, rt, "default", name);
	cJSON *ctr = cJSON_GetArrayItem(
	    (cJSON *)ctrl_path(ctrl_path(o, "spec", "template", "spec"), "containers", NULL, NULL), 0);
	ctrl_set_str(ctr, "image", image);
	fx_update(f, rt, o);
}

static void set_partition(struct fx *f, int64_t partition)
{
	cJSON *o = fx_get(f, sts_t(f), "default", "db");
	ctrl_set_int(ctrl_obj_child(ctrl_obj_child(ctrl_obj_child(o, "spec"), "updateStrategy"),
				    "rollingUpdate"),
		     "partition", partition);
	fx_update(f, sts_t(f), o);
}

static const char *pod_rev(struct fx *f, const char *name, char *out, size_t n)
{
	cJSON *p = fx_get(f, pod_t(f), "default", name);
	const char *r = ctrl_str(p, "metadata", "labels", "controller-revision-hash");
	snprintf(out, n, "%s", r ? r : "");
	cJSON_Delete(p);
	return out;
}

static int64_t sts_status(struct fx *f, const char *field)
{
	cJSON *s = fx_get(f, sts_t(f), "default", "db");
	int64_t v = ctrl_int(s, "status", field, NULL, -1);
	cJSON_Delete(s);
	return v;
}

static void sts_revisions(struct fx *f, char *cur, char *upd, size_t n)
{
	cJSON *s = fx_get(f, sts_t(f), "default", "db");
	snprintf(cur, n, "%s", ctrl_str(s, "status", "currentRevision", NULL));
	snprintf(upd, n, "%s", ctrl_str(s, "status", "updateRevision", NULL));
	cJSON_Delete(s);
}

static void test_revision_bytes(void **state)
{
	(void)state;
	cJSON *o = fx_parse("{\"metadata\":{\"name\":\"db\"},\"spec\":{\"template\":{\"spec\":"
			    "{\"containers\":[{\"name\":\"c\",\"image\":\"postgres:16\"}]},"
			    "\"metadata\":{\"labels\":{\"app\":\"db\"},\"annotations\":{}}}}}");
	char *data = ctrl_revision_patch(o);
	char hash[16];
	/* json.Marshal of the map: sorted keys, the typed encoding's null and {} */
	assert_string_equal(data, "{\"spec\":{\"template\":{\"$patch\":\"replace\",\"metadata\":"
				  "{\"creationTimestamp\":null,\"labels\":{\"app\":\"db\"}},"
				  "\"spec\":{\"containers\":[{\"image\":\"postgres:16\",\"name\":"
				  "\"c\",\"resources\":{}}]}}}}");
	/* fnv.New32 over the bytes then "0", SafeEncodeString (computed independently) */
	ctrl_revision_hash(data, 0, hash);
	assert_string_equal(hash, "6f7c9c8cd6");
	ctrl_revision_hash(data, 1, hash);
	assert_string_equal(hash, "6f7c9c8cd7");
	free(data);
	cJSON_Delete(o);
}

static void test_sts_ordered(void **state)
{
	struct fx *f = *state;
	char rev[300];
	fx_create(f, sts_t(f), sts_obj("postgres:16", ""));
	controllers_run(f->c, 1000);
	/* OrderedReady: db-1 waits until db-0 is Running and Ready */
	assert_int_equal(fx_count(f, pod_t(f), "default"), 1);
	cJSON *p = fx_get(f, pod_t(f), "default", "db-0");
	assert_non_null(p);
	assert_string_equal(ctrl_str(p, "metadata", "labels", "statefulset.kubernetes.io/pod-name"),
			    "db-0");
	assert_string_equal(ctrl_str(p, "metadata", "labels", "apps.kubernetes.io/pod-index"), "0");
	assert_string_equal(ctrl_str(p, "spec", "hostname", NULL), "db-0");
	assert_string_equal(ctrl_str(p, "spec", "subdomain", NULL), "db");
	assert_string_equal(ctrl_str(p, "metadata", "generateName", NULL), "db-");
	cJSON_Delete(p);
	assert_int_equal(sts_status(f, "replicas"), 1);
	assert_int_equal(sts_status(f, "availableReplicas"), 0);
	fx_settle(f);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 3);
	assert_int_equal(sts_status(f, "readyReplicas"), 3);
	assert_int_equal(sts_status(f, "currentReplicas"), 3);
	assert_int_equal(sts_status(f, "updatedReplicas"), 3);
	assert_int_equal(sts_status(f, "collisionCount"), 0);
	/* the revision: "<set>-<hash>", the hash label, the set's annotations, number 1 */
	pod_rev(f, "db-2", rev, sizeof(rev));
	cJSON *cr = fx_get(f, cr_t(f), "default", rev);
	assert_non_null(cr);
	char want[300];
	snprintf(want, sizeof(want), "db-%s",
		 ctrl_str(cr, "metadata", "labels", "controller.kubernetes.io/hash"));
	assert_string_equal(rev, want);
	assert_string_equal(ctrl_annotation(cr, "kubernetes.io/change-cause"), "one");
	assert_int_equal(ctrl_int(cr, "revision", NULL, NULL, 0), 1);
	cJSON_Delete(cr);
	/* scale down: the highest ordinals go */
	cJSON *s = fx_get(f, sts_t(f), "default", "db");
	ctrl_set_int(ctrl_obj_child(s, "spec"), "replicas", 1);
	fx_update(f, sts_t(f), s);
	fx_settle(f);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 1);
	p = fx_get(f, pod_t(f), "default", "db-0");
	assert_non_null(p);
	cJSON_Delete(p);
}

static void test_sts_partition_and_rollback(void **state)
{
	struct fx *f = *state;
	char r1[300], r2[300], cur[300], upd[300], got[300];
	fx_create(f, sts_t(f), sts_obj("postgres:16", ""));
	fx_settle(f);
	pod_rev(f, "db-0", r1, sizeof(r1));
	set_partition(f, 2);
	set_image(f, sts_t(f), "db", "postgres:17");
	fx_settle(f);
	sts_revisions(f, cur, upd, sizeof(cur));
	snprintf(r2, sizeof(r2), "%s", upd);
	assert_string_equal(cur, r1);
	assert_string_not_equal(upd, r1);
	assert_string_equal(pod_rev(f, "db-2", got, sizeof(got)), r2);
	assert_string_equal(pod_rev(f, "db-1", got, sizeof(got)), r1);
	assert_int_equal(sts_status(f, "updatedReplicas"), 1);
	assert_int_equal(sts_status(f, "currentReplicas"), 2);
	/* below the partition a deleted pod comes back at the current revision */
	fx_delete(f, pod_t(f), "default", "db-0", "Background");
	fx_settle(f);
	assert_string_equal(pod_rev(f, "db-0", got, sizeof(got)), r1);
	set_partition(f, 0);
	fx_settle(f);
	sts_revisions(f, cur, upd, sizeof(cur));
	assert_string_equal(cur, r2);
	assert_string_equal(pod_rev(f, "db-0", got, sizeof(got)), r2);
	assert_int_equal(sts_status(f, "currentReplicas"), 3);
	/* back to the first template: no new revision, the old one is renumbered */
	set_image(f, sts_t(f), "db", "postgres:16");
	fx_settle(f);
	assert_int_equal(fx_count(f, cr_t(f), "default"), 2);
	cJSON *cr = fx_get(f, cr_t(f), "default", r1);
	assert_int_equal(ctrl_int(cr, "revision", NULL, NULL, 0), 3);
	cJSON_Delete(cr);
	sts_revisions(f, cur, upd, sizeof(cur));
	assert_string_equal(upd, r1);
	assert_string_equal(cur, r1);
	/* deleting the set collects its pods and revisions */
	fx_delete(f, sts_t(f), "default", "db", "Background");
	fx_settle(f);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 0);
	assert_int_equal(fx_count(f, cr_t(f), "default"), 0);
}

static void test_sts_parallel_and_ondelete(void **state)
{
	struct fx *f = *state;
	char r1[300], got[300];
	fx_create(f, sts_t(f),
		  sts_obj("postgres:16", ",\"podManagementPolicy\":\"Parallel\",\"updateStrategy\":"
					 "{\"type\":\"OnDelete\"}"));
	controllers_run(f->c, 1000);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 3);
	fx_settle(f);
	pod_rev(f, "db-0", r1, sizeof(r1));
	set_image(f, sts_t(f), "db", "postgres:17");
	fx_settle(f);
	for (int i = 0; i < 3; i++) {
		char name[16];
		snprintf(name, sizeof(name), "db-%d", i);
		assert_string_equal(pod_rev(f, name, got, sizeof(got)), r1);
	}
	fx_delete(f, pod_t(f), "default", "db-1", "Background");
	fx_settle(f);
	assert_string_not_equal(pod_rev(f, "db-1", got, sizeof(got)), r1);
	assert_int_equal(sts_status(f, "updatedReplicas"), 1);
	assert_int_equal(sts_status(f, "currentReplicas"), 2);
}

static void test_sts_failing_image(void **state)
{
	struct fx *f = *state;
	char r1[300], got[300];
	fx_create(f, sts_t(f), sts_obj("postgres:16", ""));
	fx_settle(f);
	pod_rev(f, "db-0", r1, sizeof(r1));
	set_image(f, sts_t(f), "db", "postgres:bad");
	fx_settle(f);
	/* db-2 is replaced and never gets ready, so db-1 is left alone */
	assert_string_not_equal(pod_rev(f, "db-2", got, sizeof(got)), r1);
	assert_string_equal(pod_rev(f, "db-1", got, sizeof(got)), r1);
	assert_int_equal(sts_status(f, "readyReplicas"), 2);
	assert_int_equal(sts_status(f, "updatedReplicas"), 1);
	cJSON *p = fx_get(f, pod_t(f), "default", "db-2");
	const cJSON *cs =
	    cJSON_GetArrayItem(ctrl_path(p, "status", "containerStatuses", NULL), 0);
	assert_string_equal(ctrl_str(cs, "state", "waiting", "reason"), "ImagePullBackOff");
	cJSON_Delete(p);
}

/* The MaxUnavailableStatefulSet gate is off in 1.32: the server drops the field. */
static void test_sts_max_unavailable_dropped(void **state)
{
	struct fx *f = *state;
	fx_create(f, sts_t(f),
		  sts_obj("postgres:16", ",\"updateStrategy\":{\"type\":\"RollingUpdate\","
					 "\"rollingUpdate\":{\"partition\":1,\"maxUnavailable\":2}}"));
	cJSON *s = fx_get(f, sts_t(f), "default", "db");
	const cJSON *ru = ctrl_path(s, "spec", "updateStrategy", "rollingUpdate");
	assert_int_equal(ctrl_int(ru, "partition", NULL, NULL, -1), 1);
	assert_null(ctrl_path(ru, "maxUnavailable", NULL, NULL));
	ctrl_set_int((cJSON *)ru, "maxUnavailable", 2);
	fx_update(f, sts_t(f), s);
	s = fx_get(f, sts_t(f), "default", "db");
	ru = ctrl_path(s, "spec", "updateStrategy", "rollingUpdate");
	assert_null(ctrl_path(ru, "maxUnavailable", NULL, NULL));
	cJSON_Delete(s);
}

static int64_t ds_status(struct fx *f, const char *field)
{
	cJSON *d = fx_get(f, ds_t(f), "default", "agent");
	int64_t v = ctrl_int(d, "status", field, NULL, -1);
	cJSON_Delete(d);
	return v;
}

/* Nodes without a Ready pod of the set's current hash or an old available one. */
static int ds_unavailable(struct fx *f)
{
	const cJSON **pods = NULL;
	int ok = 0;
	store_lock(f->st);
	size_t n = store_list(f->st, pod_t(f), "default", &pods);
	for (size_t i = 0; i < n; i++)
		ok += pod_is_ready(pods[i]) && !ctrl_path(pods[i], "metadata", "deletionTimestamp", NULL);
	free(pods);
	store_unlock(f->st);
	return 3 - ok;
}

static void test_ds_nodes(void **state)
{
	struct fx *f = *state;
	fx_create(f, ds_t(f), ds_obj("fluentd:1"));
	fx_settle(f);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 3);
	assert_int_equal(ds_status(f, "desiredNumberScheduled"), 3);
	assert_int_equal(ds_status(f, "currentNumberScheduled"), 3);
	assert_int_equal(ds_status(f, "numberReady"), 3);
	assert_int_equal(ds_status(f, "numberAvailable"), 3);
	assert_int_equal(ds_status(f, "updatedNumberScheduled"), 3);
	assert_int_equal(ds_status(f, "numberUnavailable"), -1);
	assert_int_equal(ds_status(f, "numberMisscheduled"), 0);
	/* one pod per node, pinned by affinity, named from generateName */
	const cJSON **pods = NULL;
	bool seen[4] = {false};
	store_lock(f->st);
	size_t n = store_list(f->st, pod_t(f), "default", &pods);
	for (size_t i = 0; i < n; i++) {
		const char *node = ctrl_str(pods[i], "spec", "nodeName", NULL);
		assert_string_equal(pod_affinity_node(pods[i]), node);
		seen[!strcmp(node, "kubesim-node") ? 1 : node[strlen(node) - 1] - '0'] = true;
		assert_string_equal(ctrl_str(pods[i], "metadata", "generateName", NULL), "agent-");
		assert_string_equal(ctrl_str(pods[i], "metadata", "labels", "pod-template-generation"),
				    "1");
	}
	free(pods);
	store_unlock(f->st);
	assert_true(seen[1] && seen[2] && seen[3]);
	/* a rolling update never has more than maxUnavailable (1) node without a pod */
	set_image(f, ds_t(f), "agent", "fluentd:2");
	int worst = 0;
	for (int t = 0; t < 40; t++) {
		controllers_run(f->c, 100000);
		if (ds_unavailable(f) > worst)
			worst = ds_unavailable(f);
		controllers_advance(f->c, 50);
	}
	assert_int_equal(worst, 1);
	assert_int_equal(ds_status(f, "updatedNumberScheduled"), 3);
	assert_int_equal(ds_status(f, "numberAvailable"), 3);
	assert_int_equal(ds_status(f, "observedGeneration"), 2);
	assert_int_equal(fx_count(f, cr_t(f), "default"), 2);
	/* a failing image: one node is replaced and stays unavailable */
	set_image(f, ds_t(f), "agent", "fluentd:bad");
	fx_settle(f);
	assert_int_equal(ds_status(f, "updatedNumberScheduled"), 1);
	assert_int_equal(ds_status(f, "numberAvailable"), 2);
	assert_int_equal(ds_status(f, "numberUnavailable"), 1);
	fx_delete(f, ds_t(f), "default", "agent", "Background");
	fx_settle(f);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 0);
	assert_int_equal(fx_count(f, cr_t(f), "default"), 0);
}

/* Without nodes a DaemonSet is rolled out at once with every count 0. */
static void test_ds_no_nodes(void **state)
{
	struct fx *f = *state;
	fx_create(f, ds_t(f), ds_obj("fluentd:1"));
	fx_settle(f);
	assert_int_equal(fx_count(f, pod_t(f), "default"), 0);
	assert_int_equal(ds_status(f, "desiredNumberScheduled"), 0);
	assert_int_equal(ds_status(f, "numberReady"), 0);
	assert_int_equal(ds_status(f, "observedGeneration"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_revision_bytes),
	    cmocka_unit_test_setup_teardown(test_sts_ordered, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sts_partition_and_rollback, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sts_parallel_and_ondelete, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sts_failing_image, fx_setup, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_sts_max_unavailable_dropped, fx_setup,
					    fx_teardown),
	    cmocka_unit_test_setup_teardown(test_ds_nodes, fx_setup_nodes, fx_teardown),
	    cmocka_unit_test_setup_teardown(test_ds_no_nodes, fx_setup, fx_teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
