/* Unit tests for the pure parts of commits-as-revisions: the change-cause text, the
 * pod-template comparison, setting and removing the annotations, history entries
 * (bounds, lookups) and the messages of history rows and rollback commits. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "history_int.h"
#include "sync_int.h"
#include "alloc_fail.h"

static const char SHA[] = "0123456789abcdef0123456789abcdef01234567";

static void test_cause(void **state)
{
	char *c = revision_cause(SHA, "v2: nginx 1.26");
	char long_subject[400];

	assert_string_equal(c, "0123456 v2: nginx 1.26");
	free(c);
	c = revision_cause(SHA, "");
	assert_string_equal(c, "0123456");
	free(c);
	memset(long_subject, 'x', sizeof(long_subject) - 1);
	long_subject[sizeof(long_subject) - 1] = '\0';
	c = revision_cause(SHA, long_subject);
	assert_int_equal(strlen(c), 8 + 200); /* the subject is cut */
	free(c);
}

static void test_template_changed(void **state)
{
	cJSON *a = cJSON_Parse("{\"metadata\":{\"annotations\":{\"x\":\"1\"}},\"spec\":{\"replicas\":1,"
			       "\"template\":{\"spec\":{\"containers\":[{\"image\":\"a:1\"}]}}}}");
	cJSON *b = cJSON_Parse("{\"metadata\":{\"annotations\":{\"x\":\"2\"}},\"spec\":{\"replicas\":3,"
			       "\"template\":{\"spec\":{\"containers\":[{\"image\":\"a:1\"}]}}}}");
	cJSON *c = cJSON_Parse("{\"spec\":{\"replicas\":1,"
			       "\"template\":{\"spec\":{\"containers\":[{\"image\":\"a:2\"}]}}}}");
	cJSON *none = cJSON_Parse("{\"spec\":{}}");

	/* Scaling and metadata are not template changes; an image is. */
	assert_false(revision_template_changed(a, b));
	assert_true(revision_template_changed(a, c));
	assert_true(revision_template_changed(none, a));
	assert_false(revision_template_changed(none, none));
	cJSON_Delete(a);
	cJSON_Delete(b);
	cJSON_Delete(c);
	cJSON_Delete(none);
}

static const char *ann(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "metadata"),
						 "annotations"),
		k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static void test_annotate(void **state)
{
	cJSON *o = cJSON_Parse("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"template\":{}}}");
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(o, "metadata");

	assert_int_equal(revision_annotate(o, "0123456 v1", SHA), 0);
	assert_string_equal(ann(o, SYNC_ANNOTATION_CAUSE), "0123456 v1");
	assert_string_equal(ann(o, SYNC_ANNOTATION_COMMIT), SHA);
	/* Never on the pod template. */
	assert_null(cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(o, "spec"),
						 "template"),
		"metadata"));
	/* Replacing keeps other annotations; NULL removes ours, and an empty map goes. */
	cJSON_AddStringToObject(cJSON_GetObjectItemCaseSensitive(meta, "annotations"), "other", "y");
	assert_int_equal(revision_annotate(o, "abc new", "abc"), 0);
	assert_string_equal(ann(o, SYNC_ANNOTATION_CAUSE), "abc new");
	assert_string_equal(ann(o, "other"), "y");
	assert_int_equal(revision_annotate(o, NULL, NULL), 0);
	assert_null(ann(o, SYNC_ANNOTATION_CAUSE));
	assert_string_equal(ann(o, "other"), "y");
	cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItemCaseSensitive(meta, "annotations"),
					       "other");
	assert_int_equal(revision_annotate(o, NULL, NULL), 0);
	assert_null(cJSON_GetObjectItemCaseSensitive(meta, "annotations"));
	cJSON_Delete(o);
}

static cJSON *entry(const char *commit, const char *result, int64_t rev, const char *dcommit)
{
	cJSON *e = cJSON_CreateObject(), *deps = cJSON_AddArrayToObject(e, "deployments");
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "commit", commit);
	cJSON_AddStringToObject(e, "result", result);
	cJSON_AddStringToObject(d, "name", "default/web");
	cJSON_AddNumberToObject(d, "revision", (double)rev);
	cJSON_AddStringToObject(d, "commit", dcommit);
	cJSON_AddItemToArray(deps, d);
	return e;
}

static void test_history_entries(void **state)
{
	cJSON *all = cJSON_CreateArray();

	assert_int_equal(history_push(all, entry("c1", "ok", 1, "c1"), 3, 1 << 20), 0);
	assert_int_equal(history_push(all, entry("c2", "ok", 2, "c2"), 3, 1 << 20), 0);
	assert_int_equal(history_push(all, entry("c3", "ok", 2, "c2"), 3, 1 << 20), 0); /* scale */
	assert_int_equal(history_push(all, entry("c4", "rollout-failed", 3, "c4"), 3, 1 << 20), 0);
	/* Newest first, bounded in count. */
	assert_int_equal(cJSON_GetArraySize(all), 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "commit")->valuestring,
			    "c4");
	assert_null(history_commit_of_revision(all, "Deployment", "default/web", 1)); /* dropped */
	assert_string_equal(history_commit_of_revision(all, "Deployment", "default/web", 2), "c2");
	assert_string_equal(history_commit_of_revision(all, "Deployment", "default/web", 3), "c4");
	assert_null(history_commit_of_revision(all, "Deployment", "other/web", 3));
	assert_non_null(history_entry_of_commit(all, "c3"));
	assert_null(history_entry_of_commit(all, "c9"));
	/* Bounded in bytes: old entries go, the newest always stays. */
	assert_int_equal(history_push(all, entry("c5", "ok", 4, "c5"), 10, 200), 0);
	assert_true(cJSON_GetArraySize(all) >= 1 && cJSON_GetArraySize(all) < 3);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(all, 0), "commit")->valuestring,
			    "c5");
	assert_int_equal(history_push(all, entry("c6", "ok", 5, "c6"), 10, 1), 0);
	assert_int_equal(cJSON_GetArraySize(all), 1);
	assert_int_equal(history_push(NULL, entry("c7", "ok", 6, "c7"), 10, 1), TE_INPUT);
	cJSON_Delete(all);
}

/* A record of the new form (kind, template hash) among the workloads of an entry. */
static cJSON *wl_entry(const char *commit, const char *kind, int64_t rev, const char *hash)
{
	cJSON *e = cJSON_CreateObject(), *ws = cJSON_AddArrayToObject(e, "workloads");
	cJSON *d = cJSON_CreateObject();

	cJSON_AddStringToObject(e, "commit", commit);
	cJSON_AddStringToObject(e, "result", "ok");
	cJSON_AddStringToObject(d, "kind", kind);
	cJSON_AddStringToObject(d, "name", "default/web");
	cJSON_AddNumberToObject(d, "revision", (double)rev);
	cJSON_AddStringToObject(d, "podTemplateHash", hash);
	cJSON_AddStringToObject(d, "commit", commit);
	cJSON_AddItemToArray(ws, d);
	return e;
}

/* StatefulSet revisions: v1 (hash a), v2 (b), a revert to v1 renumbers a as 3, a
 * failed v4 (c), its revert renumbers a again as 5. Kinds never mix, and an older
 * entry's Deployment record still reads as one. */
static void test_workload_entries(void **state)
{
	cJSON *all = cJSON_CreateArray();

	history_push(all, entry("d1", "ok", 7, "d1"), 10, 1 << 20); /* a Deployment, old form */
	history_push(all, wl_entry("c1", "StatefulSet", 1, "a"), 10, 1 << 20);
	history_push(all, wl_entry("c2", "StatefulSet", 2, "b"), 10, 1 << 20);
	history_push(all, wl_entry("c3", "StatefulSet", 3, "a"), 10, 1 << 20);
	history_push(all, wl_entry("c4", "StatefulSet", 4, "c"), 10, 1 << 20);
	history_push(all, wl_entry("c5", "StatefulSet", 5, "a"), 10, 1 << 20);
	history_push(all, wl_entry("e1", "DaemonSet", 1, "a"), 10, 1 << 20);
	assert_string_equal(history_commit_of_revision(all, "StatefulSet", "default/web", 3), "c3");
	assert_string_equal(history_commit_of_revision(all, "DaemonSet", "default/web", 1), "e1");
	assert_string_equal(history_commit_of_revision(all, "Deployment", "default/web", 7), "d1");
	assert_null(history_commit_of_revision(all, "Deployment", "default/web", 3));
	assert_int_equal(history_earlier_revision(all, "StatefulSet", "default/web", "a", 5), 3);
	assert_int_equal(history_earlier_revision(all, "StatefulSet", "default/web", "a", 3), 1);
	assert_int_equal(history_earlier_revision(all, "StatefulSet", "default/web", "a", 1), 0);
	assert_int_equal(history_earlier_revision(all, "StatefulSet", "default/web", "c", 4), 0);
	assert_int_equal(history_earlier_revision(all, "DaemonSet", "default/web", "a", 5), 1);
	assert_int_equal(history_earlier_revision(all, "StatefulSet", "default/web", "", 5), 0);
	cJSON_Delete(all);
}

static void test_kind_parse(void **state)
{
	static const char *const good[][3] = {
	    {"web", "Deployment", "web"},
	    {"deployment/web", "Deployment", "web"},
	    {"deployments.apps/web", "Deployment", "web"},
	    {"deploy/web", "Deployment", "web"},
	    {"sts/db", "StatefulSet", "db"},
	    {"statefulset/db", "StatefulSet", "db"},
	    {"statefulsets/db", "StatefulSet", "db"},
	    {"statefulset.apps/db", "StatefulSet", "db"},
	    {"ds/agent", "DaemonSet", "agent"},
	    {"daemonsets.apps/agent", "DaemonSet", "agent"},
	};
	static const char *const bad[] = {"job/x", "pod/x", "stss/x", "deploymentx/x", "sts/",
					  "sts/a/b", "/x"};
	const struct history_kind *k;
	const char *name;
	struct err e;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		err_clear(&e);
		assert_int_equal(history_kind_parse(good[i][0], &k, &name, &e), 0);
		assert_string_equal(k->kind, good[i][1]);
		assert_string_equal(name, good[i][2]);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err_clear(&e);
		assert_int_equal(history_kind_parse(bad[i], &k, &name, &e), TE_INPUT);
		assert_non_null(strstr(e.msg, bad[i]));
	}
	assert_null(history_kind_of("Job"));
	assert_true(history_kind_of("DaemonSet")->renumbers);
	assert_false(history_kind_of("Deployment")->renumbers);
}

static void test_revision_numbers(void **state)
{
	cJSON *rs = cJSON_Parse("{\"metadata\":{\"annotations\":{\"deployment.kubernetes.io/"
				"revision\":\"4\"}}}");
	cJSON *cr = cJSON_Parse("{\"metadata\":{},\"revision\":6}");

	assert_int_equal(history_revision_of(history_kind_of("Deployment"), rs), 4);
	assert_int_equal(history_revision_of(history_kind_of("StatefulSet"), cr), 6);
	assert_int_equal(history_revision_of(history_kind_of("DaemonSet"), rs), 0);
	assert_int_equal(history_revision_of(history_kind_of("Deployment"), cr), 0);
	cJSON_AddItemToObject(cJSON_GetObjectItem(cr, "metadata"), "ownerReferences",
			      cJSON_Parse("[{\"uid\":\"u1\"},{\"uid\":\"u2\"}]"));
	assert_true(sync_owned_by(cr, "u2"));
	assert_false(sync_owned_by(cr, "u3"));
	assert_false(sync_owned_by(cr, NULL));
	assert_false(sync_owned_by(rs, "u1"));
	cJSON_Delete(rs);
	cJSON_Delete(cr);
}

static void test_configmap(void **state)
{
	cJSON *all = cJSON_CreateArray(), *cm;
	const cJSON *data;

	char *text;

	history_push(all, entry("c1", "ok", 1, "c1"), 10, 1 << 20);
	text = cJSON_PrintUnformatted(all);
	cm = history_configmap("guestbook", "apps", text, NULL);
	free(text);
	assert_non_null(cm);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(cm, "metadata"), "name")->valuestring,
			    "tether-history-guestbook");
	data = cJSON_GetObjectItem(cJSON_GetObjectItem(cm, "data"), HISTORY_KEY);
	assert_true(cJSON_IsString(data));
	assert_non_null(strstr(data->valuestring, "\"commit\":\"c1\""));
	cJSON_Delete(cm);
	cJSON_Delete(all);
}

/* Each cJSON allocation of the history ConfigMap fails in turn: NULL, or every member. */
static void test_configmap_alloc_failures(void **state)
{
	cJSON *all = cJSON_CreateArray();
	long n, failures = 0;

	char *text;

	history_push(all, entry("c1", "ok", 1, "c1"), 10, 1 << 20);
	text = cJSON_PrintUnformatted(all);
	for (n = 1; n < 1000; n++) {
		const cJSON *meta, *labels;
		cJSON *cm;

		alloc_fail_start(n, ALLOC_FAIL_ONLY);
		cm = history_configmap("guestbook", "apps", text, NULL);
		alloc_fail_stop();
		if (!cm) {
			failures++;
			continue;
		}
		meta = cJSON_GetObjectItem(cm, "metadata");
		labels = cJSON_GetObjectItem(meta, "labels");
		assert_true(cJSON_IsString(cJSON_GetObjectItem(cm, "apiVersion")));
		assert_true(cJSON_IsString(cJSON_GetObjectItem(cm, "kind")));
		assert_true(cJSON_IsString(cJSON_GetObjectItem(meta, "name")));
		assert_true(cJSON_IsString(cJSON_GetObjectItem(meta, "namespace")));
		assert_true(cJSON_IsString(cJSON_GetObjectItem(labels, "tether.dev/history")));
		assert_true(cJSON_IsString(
		    cJSON_GetObjectItem(cJSON_GetObjectItem(cm, "data"), HISTORY_KEY)));
		cJSON_Delete(cm);
		if (alloc_fail_count() < n)
			break;
	}
	assert_true(failures > 0);
	free(text);
	cJSON_Delete(all);
}

static void test_messages(void **state)
{
	char *m = history_message("Revert \"v2\"", 1, SHA, "fedcba9876543210");

	assert_string_equal(m, "rollback to revision 1 (commit 0123456): Revert \"v2\"");
	free(m);
	m = history_message("Revert \"v2\"", 1, NULL, NULL);
	assert_string_equal(m, "rollback to revision 1: Revert \"v2\"");
	free(m);
	m = history_message("undo the bad one", 0, NULL, "fedcba9876543210");
	assert_string_equal(m, "undo the bad one (reverts fedcba9)");
	free(m);
	m = history_message("v2", 0, NULL, NULL);
	assert_string_equal(m, "v2");
	free(m);
	m = rollback_message("deployment/web to revision 1 (commit 0123456)", SHA, "v1", "deploy");
	assert_non_null(strstr(m, "Roll back deployment/web to revision 1 (commit 0123456)\n\n"));
	assert_non_null(strstr(m, "in deploy as they were at commit " "0123456789abcdef"));
	assert_non_null(strstr(m, "a restore of the files, not a revert"));
	free(m);
	m = rollback_message("to commit 0123456", SHA, "v1", "");
	assert_non_null(strstr(m, "the repository root"));
	free(m);
}

static void test_deadline_stale(void **state)
{
	const char *fmt = "{\"metadata\":{\"managedFields\":[{\"manager\":\"kubectl\","
			  "\"operation\":\"Update\",\"time\":\"2026-11-27T00:00:09Z\"},"
			  "{\"manager\":\"tether\",\"operation\":\"Apply\",\"time\":\"%s\"}]},"
			  "\"status\":{\"conditions\":[{\"type\":\"Available\"},"
			  "{\"type\":\"Progressing\",\"reason\":\"%s\","
			  "\"lastUpdateTime\":\"2026-11-27T00:00:05Z\"}]}}";
	char text[1024];
	cJSON *d;

	/* Timed out before tether's apply: the earlier rollout's verdict. */
	snprintf(text, sizeof(text), fmt, "2026-11-27T00:00:07Z", "ProgressDeadlineExceeded");
	d = cJSON_Parse(text);
	assert_true(rollout_deadline_stale(d));
	cJSON_Delete(d);
	/* Same second: still the earlier one (a deadline is at least a second). */
	snprintf(text, sizeof(text), fmt, "2026-11-27T00:00:05Z", "ProgressDeadlineExceeded");
	d = cJSON_Parse(text);
	assert_true(rollout_deadline_stale(d));
	cJSON_Delete(d);
	/* Timed out after the apply: this rollout failed. */
	snprintf(text, sizeof(text), fmt, "2026-11-27T00:00:01Z", "ProgressDeadlineExceeded");
	d = cJSON_Parse(text);
	assert_false(rollout_deadline_stale(d));
	cJSON_Delete(d);
	/* Not timed out at all, or no apply by tether. */
	snprintf(text, sizeof(text), fmt, "2026-11-27T00:00:07Z", "ReplicaSetUpdated");
	d = cJSON_Parse(text);
	assert_false(rollout_deadline_stale(d));
	cJSON_Delete(d);
	d = cJSON_Parse("{\"status\":{\"conditions\":[{\"type\":\"Progressing\",\"reason\":"
			"\"ProgressDeadlineExceeded\",\"lastUpdateTime\":\"2026-11-27T00:00:05Z\"}]}}");
	assert_false(rollout_deadline_stale(d));
	cJSON_Delete(d);
}

static void test_rs_selector(void **state)
{
	cJSON *d = cJSON_Parse("{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\","
			       "\"tier\":\"front\"}}}}");
	char *sel = history_rs_selector(d);

	assert_string_equal(sel, "app=web,tier=front");
	free(sel);
	cJSON_Delete(d);
	/* matchExpressions cannot be said as a plain selector here: list everything. */
	d = cJSON_Parse("{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"web\"},"
			"\"matchExpressions\":[{\"key\":\"x\",\"operator\":\"Exists\"}]}}}");
	assert_null(history_rs_selector(d));
	cJSON_Delete(d);
	d = cJSON_Parse("{\"spec\":{}}");
	assert_null(history_rs_selector(d));
	cJSON_Delete(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cause),
		cmocka_unit_test(test_template_changed),
		cmocka_unit_test(test_annotate),
		cmocka_unit_test(test_history_entries),
		cmocka_unit_test(test_configmap),
		cmocka_unit_test(test_configmap_alloc_failures),
		cmocka_unit_test(test_messages),
		cmocka_unit_test(test_deadline_stale),
		cmocka_unit_test(test_rs_selector),
		cmocka_unit_test(test_workload_entries),
		cmocka_unit_test(test_kind_parse),
		cmocka_unit_test(test_revision_numbers),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
