/* Unit tests for the pure parts of sync: stage order, hashing, plan decisions,
 * labels, server-field stripping, inventory encoding, prune guards, rollout rules. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync_int.h"
#include "alloc_fail.h"

static void test_stages(void **state)
{
	assert_int_equal(sync_stage_of("", "Namespace"), STAGE_NAMESPACES);
	assert_int_equal(sync_stage_of("apiextensions.k8s.io", "CustomResourceDefinition"),
			 STAGE_NAMESPACES);
	assert_int_equal(sync_stage_of("rbac.authorization.k8s.io", "ClusterRole"),
			 STAGE_CLUSTER_RBAC);
	assert_int_equal(sync_stage_of("", "ServiceAccount"), STAGE_SERVICE_ACCOUNTS);
	assert_int_equal(sync_stage_of("rbac.authorization.k8s.io", "RoleBinding"), STAGE_RBAC);
	assert_int_equal(sync_stage_of("", "Secret"), STAGE_CONFIG);
	assert_int_equal(sync_stage_of("", "Service"), STAGE_SERVICES);
	assert_int_equal(sync_stage_of("apps", "Deployment"), STAGE_WORKLOADS);
	assert_int_equal(sync_stage_of("batch", "CronJob"), STAGE_WORKLOADS);
	assert_int_equal(sync_stage_of("", "Pod"), STAGE_WORKLOADS);
	assert_int_equal(sync_stage_of("networking.k8s.io", "Ingress"), STAGE_REST);
	/* Same kind name in another group is not the built-in one. */
	assert_int_equal(sync_stage_of("example.com", "Deployment"), STAGE_REST);
	assert_true(STAGE_NAMESPACES < STAGE_CLUSTER_RBAC && STAGE_CLUSTER_RBAC < STAGE_SERVICE_ACCOUNTS &&
		    STAGE_SERVICE_ACCOUNTS < STAGE_RBAC && STAGE_RBAC < STAGE_CONFIG &&
		    STAGE_CONFIG < STAGE_SERVICES && STAGE_SERVICES < STAGE_WORKLOADS &&
		    STAGE_WORKLOADS < STAGE_REST);
	assert_true(rollout_tracked_kind("apps", "Deployment"));
	assert_true(rollout_tracked_kind("batch", "Job"));
	assert_false(rollout_tracked_kind("batch", "CronJob"));
	assert_true(sync_is_secret("", "Secret"));
	assert_false(sync_is_secret("example.com", "Secret"));
}

static cJSON *parse(const char *s)
{
	cJSON *j = cJSON_Parse(s);
	assert_non_null(j);
	return j;
}

static void test_hash_and_labels(void **state)
{
	cJSON *a = parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},"
			 "\"data\":{\"k\":\"v\"}}");
	cJSON *b = cJSON_Duplicate(a, 1);
	char ha[17], hb[17];
	const cJSON *labels;

	sync_hash_object(a, ha);
	sync_hash_object(b, hb);
	assert_string_equal(ha, hb);
	assert_int_equal(strlen(ha), 16);
	assert_int_equal(sync_label_object(b, "web"), 0);
	labels = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "metadata"), "labels");
	assert_string_equal(cJSON_GetObjectItem(labels, "tether.dev/app")->valuestring, "web");
	assert_string_equal(cJSON_GetObjectItem(labels, "app.kubernetes.io/managed-by")->valuestring,
			    "tether");
	sync_hash_object(b, hb);
	assert_string_not_equal(ha, hb);
	/* Labelling twice changes nothing. */
	sync_label_object(b, "web");
	sync_hash_object(b, ha);
	assert_string_equal(ha, hb);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* A label Git sets is never replaced; tether's own key names the owner. */
static void test_labels_keep_git_values(void **state)
{
	cJSON *b = parse("{\"metadata\":{\"name\":\"x\",\"labels\":{"
			 "\"app.kubernetes.io/managed-by\":\"kustomize\"}}}");
	cJSON *other = parse("{\"metadata\":{\"name\":\"x\",\"labels\":{"
			     "\"tether.dev/app\":\"shop\"}}}");
	const cJSON *labels;

	(void)state;
	assert_int_equal(sync_label_object(b, "web"), 0);
	labels = cJSON_GetObjectItem(cJSON_GetObjectItem(b, "metadata"), "labels");
	assert_string_equal(cJSON_GetObjectItem(labels, "app.kubernetes.io/managed-by")->valuestring,
			    "kustomize");
	assert_string_equal(cJSON_GetObjectItem(labels, "tether.dev/app")->valuestring, "web");
	assert_string_equal(sync_owner_of(b), "web");
	assert_int_equal(sync_label_object(other, "web"), TE_INPUT);
	assert_int_equal(sync_label_object(other, "shop"), 0);
	cJSON_Delete(b);
	cJSON_Delete(other);
}

static void test_adopt_annotation(void **state)
{
	cJSON *yes = parse("{\"metadata\":{\"annotations\":{\"tether.dev/adopt\":\"true\"}}}");
	cJSON *no = parse("{\"metadata\":{\"annotations\":{\"tether.dev/adopt\":\"yes\"}}}");

	(void)state;
	assert_true(sync_adopt_requested(yes));
	assert_false(sync_adopt_requested(no));
	assert_null(sync_owner_of(no));
	cJSON_Delete(yes);
	cJSON_Delete(no);
}

static const char live_deploy[] =
	"{\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"u1\","
	"\"resourceVersion\":\"17\",\"generation\":2,"
	"\"managedFields\":[{\"manager\":\"tether\",\"operation\":\"Apply\",\"fieldsV1\":{\"f:spec\":{}}},"
	"{\"manager\":\"kube-controller-manager\",\"operation\":\"Update\",\"subresource\":\"status\","
	"\"fieldsV1\":{\"f:status\":{}}}]},"
	"\"spec\":{\"replicas\":2},\"status\":{\"replicas\":2}}";

static void entry_for(struct inv_entry *x, const cJSON *live, const char *hash)
{
	memset(x, 0, sizeof(*x));
	x->group = "apps";
	x->version = "v1";
	x->kind = "Deployment";
	x->ns = "default";
	x->name = "web";
	strcpy(x->hash, hash);
	assert_int_equal(inv_entry_observe(x, live), 0);
}

static void test_plan_decide(void **state)
{
	cJSON *live = parse(live_deploy);
	struct inv_entry x;
	cJSON *meta = cJSON_GetObjectItem(live, "metadata");

	entry_for(&x, live, "0123456789abcdef");
	assert_int_equal(x.gen, 2);
	assert_string_equal(x.rv, "17");
	assert_int_equal(plan_decide("0123456789abcdef", NULL, NULL), PLAN_CREATE);
	assert_int_equal(plan_decide("0123456789abcdef", NULL, live), PLAN_CHECK);
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_UNCHANGED);
	assert_int_equal(plan_decide("fedcba9876543210", &x, live), PLAN_CHECK);

	/* A status write moves resourceVersion, not generation: still unchanged. */
	cJSON_ReplaceItemInObject(meta, "resourceVersion", cJSON_CreateString("18"));
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_UNCHANGED);
	/* A spec write by someone else moves generation. */
	cJSON_ReplaceItemInObject(meta, "generation", cJSON_CreateNumber(3));
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_CHECK);
	cJSON_ReplaceItemInObject(meta, "generation", cJSON_CreateNumber(2));
	/* Another manager's non-status write (a label) shows in managedFields. */
	cJSON_AddItemToArray(cJSON_GetObjectItem(meta, "managedFields"),
			     parse("{\"manager\":\"kubectl-label\",\"operation\":\"Update\","
				   "\"fieldsV1\":{\"f:metadata\":{\"f:labels\":{\"f:x\":{}}}}}"));
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_CHECK);
	/* Re-created object: another uid. */
	inv_entry_observe(&x, live);
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_UNCHANGED);
	cJSON_ReplaceItemInObject(meta, "uid", cJSON_CreateString("u2"));
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_CHECK);
	free(x.rv);
	free(x.uid);
	cJSON_Delete(live);
}

static void test_plan_resource_version(void **state)
{
	cJSON *live = parse("{\"metadata\":{\"name\":\"c\",\"uid\":\"u\",\"resourceVersion\":\"5\"},"
			    "\"data\":{}}");
	struct inv_entry x;

	entry_for(&x, live, "0123456789abcdef");
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_UNCHANGED);
	/* No generation: any write (kubectl edit of data) moves resourceVersion. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(live, "metadata"), "resourceVersion",
				  cJSON_CreateString("6"));
	assert_int_equal(plan_decide("0123456789abcdef", &x, live), PLAN_CHECK);
	free(x.rv);
	free(x.uid);
	cJSON_Delete(live);
}

static void test_strip_and_equal(void **state)
{
	cJSON *live = parse(live_deploy);
	cJSON *dry = parse("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\","
			   "\"metadata\":{\"name\":\"web\",\"namespace\":\"default\",\"uid\":\"u1\","
			   "\"resourceVersion\":\"17\",\"generation\":2,"
			   "\"annotations\":{\"deployment.kubernetes.io/revision\":\"4\"}},"
			   "\"spec\":{\"replicas\":2}}");

	assert_true(sync_objects_equal(live, dry));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(dry, "spec"), "replicas", cJSON_CreateNumber(3));
	assert_false(sync_objects_equal(live, dry));
	sync_strip_server_fields(live);
	assert_null(cJSON_GetObjectItem(live, "status"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(live, "metadata"), "managedFields"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(live, "metadata"), "uid"));
	assert_non_null(cJSON_GetObjectItem(cJSON_GetObjectItem(live, "metadata"), "name"));
	sync_strip_server_fields(dry);
	/* The revision annotation went and took the empty annotations map with it. */
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(dry, "metadata"), "annotations"));
	cJSON_Delete(live);
	cJSON_Delete(dry);
}

static void test_inventory_roundtrip(void **state)
{
	struct inventory a, b;
	struct inv_entry x = {0};
	struct buf t;
	struct err e;
	cJSON *cm;
	char name[32];

	inventory_init(&a);
	inventory_init(&b);
	buf_init(&t, 0);
	err_clear(&e);
	for (int i = 0; i < 1000; i++) {
		snprintf(name, sizeof(name), "cm-%04d", i);
		x.group = i % 2 ? "apps" : "";
		x.version = "v1";
		x.kind = i % 2 ? "Deployment" : "ConfigMap";
		x.ns = i == 7 ? "" : "default";
		x.name = name;
		strcpy(x.hash, "0123456789abcdef");
		x.rv = "12345";
		x.gen = i % 2;
		x.uid = "0d6f2a4c-1b7e-4c9e-9a57-2f1f3c4d5e6f";
		strcpy(x.mgr, "fedcba9876543210");
		assert_int_equal(inventory_add(&a, &x), 0);
	}
	a.commit = strdup("abc");
	assert_int_equal(inventory_encode(&a, (size_t)-1, &t, &e), 0);
	assert_int_equal(inventory_configmap(t.data, &a.parts, a.commit, "web", "default", &cm, &e),
			 0);
	/* 1,000 objects are far below the 1 MiB object limit. */
	assert_true(t.len < 200 * 1000);
	assert_int_equal(inventory_from_configmap(&b, cm, &e), 0);
	assert_int_equal(b.n, 1000);
	assert_string_equal(b.commit, "abc");
	assert_non_null(inventory_find(&b, "apps", "Deployment", "default", "cm-0001"));
	assert_non_null(inventory_find(&b, "apps", "Deployment", "", "cm-0007"));
	assert_null(inventory_find(&b, "", "ConfigMap", "default", "cm-0001"));
	assert_int_equal(inventory_find(&b, "apps", "Deployment", "default", "cm-0003")->gen, 1);
	assert_string_equal(inventory_find(&b, "", "ConfigMap", "default", "cm-0002")->mgr,
			    "fedcba9876543210");
	/* Too large for the cap: a clear error, not a truncated inventory. */
	buf_reset(&t);
	assert_int_equal(inventory_encode(&a, 1000, &t, &e), TE_NOMEM);
	assert_non_null(strstr(e.msg, "do not fit"));
	cJSON_Delete(cm);
	buf_dispose(&t);
	inventory_dispose(&a);
	inventory_dispose(&b);
}

/* Each allocation of the inventory ConfigMap fails in turn: an error, or every row. */
static void test_inventory_configmap_out_of_memory(void **state)
{
	struct inventory a;
	struct inv_entry x = {.group = "", .version = "v1", .kind = "ConfigMap",
			      .ns = "default", .name = "one", .rv = "1", .uid = "u"};
	struct buf text;
	struct err e0;

	inventory_init(&a);
	err_clear(&e0);
	strcpy(x.hash, "0123456789abcdef");
	strcpy(x.mgr, "fedcba9876543210");
	assert_int_equal(inventory_add(&a, &x), 0);
	a.commit = strdup("abc");
	assert_int_equal(strlist_add(&a.parts, "tether-inventory-web-0123456789abcdef"), 0);
	buf_init(&text, 0);
	assert_int_equal(inventory_encode(&a, (size_t)-1, &text, &e0), 0);
	for (long n = 1; n < 1000; n++) {
		struct inventory b;
		struct err e;
		cJSON *cm = NULL;
		int rc;

		inventory_init(&b);
		err_clear(&e);
		alloc_fail_start(n, ALLOC_FAIL_FROM);
		rc = inventory_configmap(text.data, &a.parts, a.commit, "web", "default", &cm, &e);
		alloc_fail_stop();
		if (rc < 0) {
			assert_null(cm);
			assert_true(e.msg[0] != '\0');
			inventory_dispose(&b);
			continue;
		}
		assert_int_equal(inventory_from_configmap(&b, cm, &e), 0);
		assert_int_equal(b.n, 1);
		assert_string_equal(b.commit, "abc");
		assert_int_equal(b.parts.n, 1);
		assert_string_equal(b.parts.items[0], "tether-inventory-web-0123456789abcdef");
		assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cm, "metadata"),
							"name")->valuestring, "tether-inventory-web");
		inventory_dispose(&b);
		cJSON_Delete(cm);
		if (alloc_fail_count() < n)
			break; /* no allocation left to fail */
	}
	buf_dispose(&text);
	inventory_dispose(&a);
}

static void test_inventory_malformed(void **state)
{
	struct inventory inv;
	struct err e;

	inventory_init(&inv);
	err_clear(&e);
	assert_int_equal(inventory_decode(&inv, "apps\tv1\tDeployment\n", &e), TE_INPUT);
	assert_string_equal(e.msg, "inventory: line 1 is malformed");
	inventory_dispose(&inv);
}

static void test_prune_guards(void **state)
{
	struct err e;
	cJSON *live;

	err_clear(&e);
	assert_int_equal(prune_check(10, 5, 5, false, false, &e), 0);
	assert_int_equal(prune_check(10, 6, 4, false, false, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "refusing to prune 6 of 10"));
	err_clear(&e);
	assert_int_equal(prune_check(10, 6, 4, false, true, &e), 0);
	assert_int_equal(prune_check(10, 1, 0, false, true, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "rendered no objects"));
	err_clear(&e);
	assert_true(prune_check(10, 1, 9, true, true, &e) < 0);
	err_clear(&e);
	assert_int_equal(prune_check(1, 1, 3, false, false, &e), TE_INPUT);
	err_clear(&e);
	assert_int_equal(prune_check(0, 0, 3, false, false, &e), 0);
	live = parse("{\"metadata\":{\"annotations\":{\"tether.dev/prune\":\"disabled\"}}}");
	assert_true(prune_disabled(live));
	cJSON_Delete(live);
	live = parse("{\"metadata\":{\"annotations\":{\"tether.dev/prune\":\"enabled\"}}}");
	assert_false(prune_disabled(live));
	cJSON_Delete(live);
}

static enum rollout_state status_of(const char *kind, const char *json, char *msg)
{
	cJSON *o = parse(json);
	enum rollout_state s = rollout_status(kind, o, msg, 256);
	cJSON_Delete(o);
	return s;
}

static void test_rollout_rules(void **state)
{
	char msg[256];

	assert_int_equal(status_of("Deployment",
				   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
				   "\"status\":{\"observedGeneration\":1}}", msg),
			 ROLLOUT_WAIT);
	assert_string_equal(msg, "waiting for the spec update to be observed");
	assert_int_equal(status_of("Deployment",
				   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
				   "\"status\":{\"observedGeneration\":2,\"updatedReplicas\":1,\"replicas\":2}}",
				   msg),
			 ROLLOUT_WAIT);
	assert_string_equal(msg, "1 out of 2 new replicas have been updated");
	assert_int_equal(status_of("Deployment",
				   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
				   "\"status\":{\"observedGeneration\":2,\"updatedReplicas\":2,\"replicas\":3}}",
				   msg),
			 ROLLOUT_WAIT);
	assert_string_equal(msg, "1 old replicas are pending termination");
	assert_int_equal(status_of("Deployment",
				   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
				   "\"status\":{\"observedGeneration\":2,\"updatedReplicas\":2,\"replicas\":2,"
				   "\"availableReplicas\":1}}", msg),
			 ROLLOUT_WAIT);
	assert_string_equal(msg, "1 of 2 updated replicas are available");
	assert_int_equal(status_of("Deployment",
				   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
				   "\"status\":{\"observedGeneration\":2,\"updatedReplicas\":2,\"replicas\":2,"
				   "\"availableReplicas\":2}}", msg),
			 ROLLOUT_DONE);
	assert_int_equal(status_of("Deployment",
				   "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":2},"
				   "\"status\":{\"observedGeneration\":2,\"updatedReplicas\":1,\"conditions\":"
				   "[{\"type\":\"Progressing\",\"status\":\"False\",\"reason\":"
				   "\"ProgressDeadlineExceeded\"}]}}", msg),
			 ROLLOUT_FAILED);
	assert_string_equal(msg, "exceeded its progress deadline");
	assert_int_equal(status_of("Job", "{\"status\":{\"conditions\":[{\"type\":\"Complete\","
					  "\"status\":\"True\"}]}}", msg),
			 ROLLOUT_DONE);
	assert_int_equal(status_of("Job", "{\"status\":{\"conditions\":[{\"type\":\"Failed\","
					  "\"status\":\"True\",\"reason\":\"BackoffLimitExceeded\"}]}}",
				   msg),
			 ROLLOUT_FAILED);
	assert_int_equal(status_of("StatefulSet",
				   "{\"metadata\":{\"generation\":1},\"spec\":{\"replicas\":3},"
				   "\"status\":{\"observedGeneration\":1,\"readyReplicas\":3,"
				   "\"currentRevision\":\"a\",\"updateRevision\":\"b\"}}", msg),
			 ROLLOUT_WAIT);
	assert_int_equal(status_of("DaemonSet",
				   "{\"metadata\":{\"generation\":1},\"status\":{\"observedGeneration\":1,"
				   "\"desiredNumberScheduled\":2,\"updatedNumberScheduled\":2,"
				   "\"numberAvailable\":2}}", msg),
			 ROLLOUT_DONE);
}

/* kubectl's StatefulSet rules: with rollingUpdate (as the API server defaults it) the
 * pods above the partition being updated is done; OnDelete never waits. */
static void test_statefulset_partition(void **state)
{
	const char *fmt = "{\"metadata\":{\"generation\":2},\"spec\":{\"replicas\":3,"
			  "\"updateStrategy\":{\"type\":\"%s\",\"rollingUpdate\":{\"partition\":%d}}},"
			  "\"status\":{\"observedGeneration\":2,\"readyReplicas\":%d,"
			  "\"updatedReplicas\":%d,\"currentRevision\":\"a\",\"updateRevision\":\"b\"}}";
	char text[600], msg[512];

	snprintf(text, sizeof(text), fmt, "RollingUpdate", 2, 3, 0);
	assert_int_equal(status_of("StatefulSet", text, msg), ROLLOUT_WAIT);
	assert_string_equal(msg, "waiting for partitioned roll out: 0 out of 1 new pods have "
				 "been updated");
	snprintf(text, sizeof(text), fmt, "RollingUpdate", 2, 3, 1);
	assert_int_equal(status_of("StatefulSet", text, msg), ROLLOUT_DONE);
	snprintf(text, sizeof(text), fmt, "RollingUpdate", 0, 3, 3);
	assert_int_equal(status_of("StatefulSet", text, msg), ROLLOUT_DONE);
	snprintf(text, sizeof(text), fmt, "RollingUpdate", 0, 2, 3);
	assert_int_equal(status_of("StatefulSet", text, msg), ROLLOUT_WAIT);
	assert_string_equal(msg, "2 of 3 pods are ready");
	snprintf(text, sizeof(text), fmt, "OnDelete", 0, 0, 0);
	assert_int_equal(status_of("StatefulSet", text, msg), ROLLOUT_DONE);
}

/* Piece i of pieces as a string (owned). */
static char *piece_at(const struct text_pieces *pieces, size_t i)
{
	return strndup(pieces->items[i].text, pieces->items[i].len);
}

/* An inventory cut into pieces: whole lines, none over the cap, nothing lost; each part
 * named by its content; the head lists the parts. */
static void test_inventory_split_parts(void **state)
{
	struct text_pieces pieces = {0};
	struct strlist names;
	struct buf text, joined;
	char line[64];
	char *a, *b, *p;

	strlist_init(&names);
	buf_init(&text, 0);
	buf_init(&joined, 0);
	for (int i = 0; i < 5000; i++) {
		snprintf(line, sizeof(line), "\tv1\tConfigMap\tdefault\tcm-%05d\n", i);
		assert_int_equal(buf_puts(&text, line), 0);
	}
	assert_int_equal(parts_split(&inventory_text, text.data, text.len, 4096, &pieces), 0);
	assert_true(pieces.n > text.len / 4096);
	for (size_t i = 0; i < pieces.n; i++) {
		size_t n = pieces.items[i].len;
		assert_true(n <= 4096);
		assert_ptr_equal(pieces.items[i].text, text.data + joined.len); /* a span, no copy */
		assert_int_equal(pieces.items[i].text[n - 1], '\n');
		assert_int_equal(buf_append(&joined, pieces.items[i].text, n), 0);
	}
	assert_int_equal(joined.len, text.len);
	assert_memory_equal(joined.data, text.data, text.len);
	p = piece_at(&pieces, 1);
	a = parts_name(&inventory_text, "web", p);
	free(p);
	p = piece_at(&pieces, 2);
	b = parts_name(&inventory_text, "web", p);
	free(p);
	assert_int_equal(strncmp(a, "tether-inventory-web-", 21), 0);
	assert_int_equal(strlen(a), 21 + 16);
	assert_string_not_equal(a, b);
	free(b);
	p = piece_at(&pieces, 1);
	b = parts_name(&inventory_text, "web", p);
	free(p);
	assert_string_equal(a, b); /* the name is the content */
	free(a);
	free(b);
	/* A text that fits is one piece; an empty one none. */
	text_pieces_dispose(&pieces);
	assert_int_equal(parts_split(&inventory_text, text.data, 100, 4096, &pieces), 0);
	assert_int_equal(pieces.n, 1);
	assert_int_equal(pieces.items[0].len, 100);
	text_pieces_dispose(&pieces);
	assert_int_equal(parts_split(&inventory_text, "", 0, 4096, &pieces), 0);
	assert_int_equal(pieces.n, 0);
	text_pieces_dispose(&pieces);
	strlist_dispose(&names);
	buf_dispose(&text);
	buf_dispose(&joined);
}

/* A text that is not line-oriented (the history's JSON) is cut anywhere but inside a
 * UTF-8 character: the pieces join to the text and each is valid on its own. */
static void test_parts_split_characters(void **state)
{
	const struct text_parts t = {"history", "tether-history-", "tether.dev/history-part",
				     "history.json", false};
	struct text_pieces pieces = {0};
	struct buf text, joined;

	(void)state;
	buf_init(&text, 0);
	buf_init(&joined, 0);
	for (int i = 0; i < 3000; i++) /* "\u00e9" is two bytes, the euro sign three */
		assert_int_equal(buf_puts(&text, i % 3 ? "\xc3\xa9" : "a\xe2\x82\xac"), 0);
	assert_int_equal(parts_split(&t, text.data, text.len, 1001, &pieces), 0);
	assert_true(pieces.n >= text.len / 1001);
	for (size_t i = 0; i < pieces.n; i++) {
		const unsigned char *p = (const unsigned char *)pieces.items[i].text;
		size_t n = pieces.items[i].len;

		assert_true(n <= 1001 && (i + 1 == pieces.n || n >= 998));
		assert_true((p[0] & 0xc0) != 0x80); /* starts on a character */
		assert_int_equal(buf_append(&joined, pieces.items[i].text, n), 0);
	}
	assert_int_equal(joined.len, text.len);
	assert_memory_equal(joined.data, text.data, text.len);
	text_pieces_dispose(&pieces);
	buf_dispose(&text);
	buf_dispose(&joined);
}

/* inventory_find stays right as entries are added after a lookup (the index grows). */
static void test_inventory_find_index(void **state)
{
	struct inventory a;
	struct inv_entry x = {.group = "", .version = "v1", .kind = "ConfigMap", .ns = "default",
			      .rv = "1", .uid = "u"};
	char name[32];

	inventory_init(&a);
	strcpy(x.hash, "0123456789abcdef");
	strcpy(x.mgr, "fedcba9876543210");
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		x.name = name;
		assert_int_equal(inventory_add(&a, &x), 0);
		if (i % 7 == 0)
			assert_ptr_equal(inventory_find(&a, "", "ConfigMap", "default", name),
					 &a.items[i]);
	}
	for (int i = 0; i < 3000; i++) {
		snprintf(name, sizeof(name), "cm-%d", i);
		assert_ptr_equal(inventory_find(&a, NULL, "ConfigMap", "default", name), &a.items[i]);
	}
	assert_null(inventory_find(&a, "", "ConfigMap", "other", "cm-1"));
	assert_null(inventory_find(&a, "", "Secret", "default", "cm-1"));
	assert_null(inventory_find(&a, "", "ConfigMap", "default", "cm-3000"));
	/* Identity parts cannot run into each other. */
	assert_null(inventory_find(&a, "", "ConfigMap", "defaultc", "m-1"));
	inventory_dispose(&a);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_stages),
		cmocka_unit_test(test_statefulset_partition),
		cmocka_unit_test(test_hash_and_labels),
		cmocka_unit_test(test_labels_keep_git_values),
		cmocka_unit_test(test_adopt_annotation),
		cmocka_unit_test(test_plan_decide),
		cmocka_unit_test(test_plan_resource_version),
		cmocka_unit_test(test_strip_and_equal),
		cmocka_unit_test(test_inventory_roundtrip),
		cmocka_unit_test(test_inventory_malformed),
		cmocka_unit_test(test_inventory_configmap_out_of_memory),
		cmocka_unit_test(test_inventory_split_parts),
		cmocka_unit_test(test_parts_split_characters),
		cmocka_unit_test(test_inventory_find_index),
		cmocka_unit_test(test_prune_guards),
		cmocka_unit_test(test_rollout_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
