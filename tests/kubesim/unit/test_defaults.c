/* Defaulting (spec 7) and template normalisation (spec 8.7). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "merge.h"
#include "quantity.h"

static cJSON *J(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	if (!v)
		fail_msg("bad JSON: %s", s);
	return v;
}

static void check(const char *group, const char *kind, const char *in, const char *want)
{
	struct merge_kind k = { group, "v1", kind };
	cJSON *o = J(in), *w = J(want), *again;

	merge_defaults(o, &k);
	if (!merge_equal(o, w)) {
		char *g = cJSON_PrintUnformatted(o);
		fprintf(stderr, "got  %s\nwant %s\n", g, want);
		free(g);
		fail();
	}
	/* idempotent: defaulting the stored object again changes nothing */
	again = cJSON_Duplicate(o, true);
	merge_defaults(again, &k);
	assert_true(merge_equal(o, again));
	cJSON_Delete(again);
	cJSON_Delete(o);
	cJSON_Delete(w);
}

#define PODSPEC_DEF                                                                         \
	"\"restartPolicy\":\"Always\",\"terminationGracePeriodSeconds\":30,\"dnsPolicy\":"    \
	"\"ClusterFirst\",\"securityContext\":{},\"schedulerName\":\"default-scheduler\""
#define CONTAINER_DEF                                                                       \
	"\"resources\":{},\"terminationMessagePath\":\"/dev/termination-log\","               \
	"\"terminationMessagePolicy\":\"File\""

static void test_deployment(void **state)
{
	check("apps", "Deployment",
	      "{\"spec\":{\"selector\":{\"matchLabels\":{\"app\":\"w\"}},\"template\":{\"metadata\":"
	      "{\"labels\":{\"app\":\"w\"}},\"spec\":{\"containers\":[{\"name\":\"w\",\"image\":"
	      "\"nginx:1.25\",\"ports\":[{\"containerPort\":80}]}]}}}}",
	      "{\"spec\":{\"replicas\":1,\"selector\":{\"matchLabels\":{\"app\":\"w\"}},\"template\":"
	      "{\"metadata\":{\"labels\":{\"app\":\"w\"}},\"spec\":{\"containers\":[{\"name\":\"w\","
	      "\"image\":\"nginx:1.25\",\"ports\":[{\"containerPort\":80,\"protocol\":\"TCP\"}],"
	      CONTAINER_DEF ",\"imagePullPolicy\":\"IfNotPresent\"}]," PODSPEC_DEF "}},"
	      "\"strategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"maxUnavailable\":\"25%\","
	      "\"maxSurge\":\"25%\"}},\"revisionHistoryLimit\":10,\"progressDeadlineSeconds\":600}}");
	/* Recreate gets no rollingUpdate; explicit values are kept */
	check("apps", "Deployment",
	      "{\"spec\":{\"replicas\":0,\"strategy\":{\"type\":\"Recreate\"},"
	      "\"revisionHistoryLimit\":2}}",
	      "{\"spec\":{\"replicas\":0,\"strategy\":{\"type\":\"Recreate\"},"
	      "\"revisionHistoryLimit\":2,\"progressDeadlineSeconds\":600}}");
}

static void test_image_pull_policy(void **state)
{
	static const struct {
		const char *image, *policy;
	} cases[] = {
		{ "nginx", "Always" },
		{ "nginx:latest", "Always" },
		{ "nginx:1.25", "IfNotPresent" },
		{ "registry:5000/team/app", "Always" },
		{ "registry:5000/team/app:v2", "IfNotPresent" },
		{ "app@sha256:abcd", "IfNotPresent" },
	};
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *spec = cJSON_CreateObject(), *cs = cJSON_AddArrayToObject(spec, "containers");
		cJSON *c = cJSON_CreateObject();

		cJSON_AddStringToObject(c, "image", cases[i].image);
		cJSON_AddItemToArray(cs, c);
		merge_defaults_podspec(spec);
		assert_string_equal(cJSON_GetObjectItem(c, "imagePullPolicy")->valuestring,
				    cases[i].policy);
		cJSON_Delete(spec);
	}
}

static void test_service(void **state)
{
	check("", "Service",
	      "{\"spec\":{\"selector\":{\"app\":\"w\"},\"ports\":[{\"port\":80}]}}",
	      "{\"spec\":{\"selector\":{\"app\":\"w\"},\"ports\":[{\"port\":80,\"protocol\":\"TCP\","
	      "\"targetPort\":80}],\"type\":\"ClusterIP\",\"sessionAffinity\":\"None\","
	      "\"internalTrafficPolicy\":\"Cluster\",\"ipFamilyPolicy\":\"SingleStack\","
	      "\"ipFamilies\":[\"IPv4\"]},\"status\":{\"loadBalancer\":{}}}");
	check("", "Service",
	      "{\"spec\":{\"ports\":[{\"port\":80,\"targetPort\":\"http\"}],\"type\":\"NodePort\"}}",
	      "{\"spec\":{\"ports\":[{\"port\":80,\"protocol\":\"TCP\",\"targetPort\":\"http\"}],"
	      "\"type\":\"NodePort\",\"sessionAffinity\":\"None\",\"externalTrafficPolicy\":"
	      "\"Cluster\",\"internalTrafficPolicy\":\"Cluster\",\"ipFamilyPolicy\":\"SingleStack\","
	      "\"ipFamilies\":[\"IPv4\"]},\"status\":{\"loadBalancer\":{}}}");
}

static void test_namespace_and_pod(void **state)
{
	check("", "Secret", "{\"data\":{\"a\":\"eA==\"}}",
	      "{\"data\":{\"a\":\"eA==\"},\"type\":\"Opaque\"}");
	check("", "Secret", "{\"type\":\"\"}", "{\"type\":\"Opaque\"}");
	check("", "Secret", "{\"type\":\"kubernetes.io/tls\"}", "{\"type\":\"kubernetes.io/tls\"}");
	check("", "Namespace", "{\"metadata\":{\"name\":\"team\"}}",
	      "{\"metadata\":{\"name\":\"team\",\"labels\":{\"kubernetes.io/metadata.name\":"
	      "\"team\"}},\"spec\":{},\"status\":{\"phase\":"
	      "\"Active\"}}");
	check("", "Pod",
	      "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":"
	      "{\"limits\":{\"cpu\":\"1\"}}}]}}",
	      "{\"spec\":{\"containers\":[{\"name\":\"c\",\"image\":\"busybox\",\"resources\":"
	      "{\"limits\":{\"cpu\":\"1\"},\"requests\":{\"cpu\":\"1\"}},\"terminationMessagePath\":"
	      "\"/dev/termination-log\",\"terminationMessagePolicy\":\"File\",\"imagePullPolicy\":"
	      "\"Always\"}]," PODSPEC_DEF ",\"enableServiceLinks\":true}}");
}

static void test_other_workloads(void **state)
{
	check("apps", "StatefulSet", "{\"spec\":{}}",
	      "{\"spec\":{\"replicas\":1,\"podManagementPolicy\":\"OrderedReady\","
	      "\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0}},"
	      "\"revisionHistoryLimit\":10,\"persistentVolumeClaimRetentionPolicy\":"
	      "{\"whenDeleted\":\"Retain\",\"whenScaled\":\"Retain\"}}}");
	check("apps", "DaemonSet", "{\"spec\":{}}",
	      "{\"spec\":{\"updateStrategy\":{\"type\":\"RollingUpdate\",\"rollingUpdate\":"
	      "{\"maxUnavailable\":1,\"maxSurge\":0}},\"revisionHistoryLimit\":10}}");
	check("batch", "Job", "{\"spec\":{}}",
	      "{\"spec\":{\"completions\":1,\"parallelism\":1,\"backoffLimit\":6,\"completionMode\":"
	      "\"NonIndexed\",\"suspend\":false,\"podReplacementPolicy\":\"TerminatingOrFailed\"}}");
	check("apps", "ReplicaSet", "{\"spec\":{}}", "{\"spec\":{\"replicas\":1}}");
	/* a CronJob's jobTemplate gets pod defaults only (SetDefaults_Job takes a Job) */
	check("batch", "CronJob",
	      "{\"spec\":{\"schedule\":\"* * * * *\",\"jobTemplate\":{\"spec\":{}}}}",
	      "{\"spec\":{\"schedule\":\"* * * * *\",\"jobTemplate\":{\"spec\":{}},"
	      "\"concurrencyPolicy\":\"Allow\",\"suspend\":false,\"successfulJobsHistoryLimit\":3,"
	      "\"failedJobsHistoryLimit\":1}}");
	check("apps", "StatefulSet",
	      "{\"spec\":{\"replicas\":2,\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"d\"},"
	      "\"spec\":{\"accessModes\":[\"ReadWriteOnce\"]}}]}}",
	      "{\"spec\":{\"replicas\":2,\"volumeClaimTemplates\":[{\"metadata\":{\"name\":\"d\"},"
	      "\"spec\":{\"accessModes\":[\"ReadWriteOnce\"],\"volumeMode\":\"Filesystem\"},"
	      "\"apiVersion\":\"v1\",\"kind\":\"PersistentVolumeClaim\",\"status\":{\"phase\":"
	      "\"Pending\"}}],\"podManagementPolicy\":\"OrderedReady\",\"updateStrategy\":{\"type\":"
	      "\"RollingUpdate\",\"rollingUpdate\":{\"partition\":0}},\"revisionHistoryLimit\":10,"
	      "\"persistentVolumeClaimRetentionPolicy\":{\"whenDeleted\":\"Retain\",\"whenScaled\":"
	      "\"Retain\"}}}");
	check("", "ConfigMap", "{\"data\":{\"a\":\"1\"}}", "{\"data\":{\"a\":\"1\"}}");
}

/* spec 8.7: a template as kubectl rollout undo re-serialises it equals the stored one. */
static void test_normalize_template(void **state)
{
	cJSON *stored = J("{\"metadata\":{\"labels\":{\"app\":\"w\"}},\"spec\":{\"containers\":"
			  "[{\"name\":\"w\",\"image\":\"nginx:1.25\"}]}}");
	cJSON *undo = J("{\"metadata\":{\"creationTimestamp\":null,\"labels\":{\"app\":\"w\"}},"
			"\"spec\":{\"containers\":[{\"name\":\"w\",\"image\":\"nginx:1.25\","
			"\"resources\":{}}]}}");

	merge_defaults_podspec(cJSON_GetObjectItem(stored, "spec"));
	merge_normalize_template(undo);
	merge_normalize_template(stored);
	assert_true(merge_equal(stored, undo));
	cJSON_Delete(stored);
	cJSON_Delete(undo);
}

/* issue #13 kinds, part 1 */
static void test_storage_kinds(void **state)
{
	(void)state;
	check("storage.k8s.io", "StorageClass", "{\"provisioner\":\"x.example.com\"}",
	      "{\"provisioner\":\"x.example.com\",\"reclaimPolicy\":\"Delete\","
	      "\"volumeBindingMode\":\"Immediate\"}");
	check("", "PersistentVolume",
	      "{\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},\"hostPath\":{\"path\":\"/d\"}}}",
	      "{\"spec\":{\"capacity\":{\"storage\":\"1Gi\"},\"hostPath\":{\"path\":\"/d\","
	      "\"type\":\"\"},\"persistentVolumeReclaimPolicy\":\"Retain\",\"volumeMode\":"
	      "\"Filesystem\"},\"status\":{\"phase\":\"Pending\"}}");
	check("", "PersistentVolumeClaim", "{\"spec\":{}}",
	      "{\"spec\":{\"volumeMode\":\"Filesystem\"},\"status\":{\"phase\":\"Pending\"}}");
	/* default from max, then defaultRequest from default before min */
	check("", "LimitRange",
	      "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"},\"min\":"
	      "{\"cpu\":\"10m\",\"memory\":\"1Mi\"}},{\"type\":\"Pod\",\"max\":{\"cpu\":\"2\"}}]}}",
	      "{\"spec\":{\"limits\":[{\"type\":\"Container\",\"max\":{\"cpu\":\"1\"},\"min\":"
	      "{\"cpu\":\"10m\",\"memory\":\"1Mi\"},\"default\":{\"cpu\":\"1\"},\"defaultRequest\":"
	      "{\"cpu\":\"1\",\"memory\":\"1Mi\"}},{\"type\":\"Pod\",\"max\":{\"cpu\":\"2\"}}]}}");
}

static void test_rc_and_hpa(void **state)
{
	(void)state;
	check("", "ReplicationController",
	      "{\"metadata\":{},\"spec\":{\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},"
	      "\"spec\":{}}}}",
	      "{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{\"replicas\":1,\"selector\":"
	      "{\"a\":\"b\"},\"template\":{\"metadata\":{\"labels\":{\"a\":\"b\"}},\"spec\":{"
	      PODSPEC_DEF "}}}}");
	/* no behavior: none; a present behavior gets both rule sets */
	check("autoscaling", "HorizontalPodAutoscaler", "{\"spec\":{\"maxReplicas\":3}}",
	      "{\"spec\":{\"maxReplicas\":3,\"minReplicas\":1,\"metrics\":[{\"type\":\"Resource\","
	      "\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\","
	      "\"averageUtilization\":80}}}]},\"status\":{\"desiredReplicas\":0,"
	      "\"currentMetrics\":null}}");
	check("autoscaling", "HorizontalPodAutoscaler",
	      "{\"spec\":{\"maxReplicas\":3,\"metrics\":[{\"type\":\"Pods\"}],\"behavior\":"
	      "{\"scaleDown\":{\"stabilizationWindowSeconds\":60}}}}",
	      "{\"spec\":{\"maxReplicas\":3,\"minReplicas\":1,\"metrics\":[{\"type\":\"Pods\"}],"
	      "\"behavior\":{\"scaleDown\":{\"stabilizationWindowSeconds\":60,\"selectPolicy\":"
	      "\"Max\",\"policies\":[{\"type\":\"Percent\",\"value\":100,\"periodSeconds\":15}]},"
	      "\"scaleUp\":{\"stabilizationWindowSeconds\":0,\"selectPolicy\":\"Max\",\"policies\":"
	      "[{\"type\":\"Pods\",\"value\":4,\"periodSeconds\":15},{\"type\":\"Percent\","
	      "\"value\":100,\"periodSeconds\":15}]}}},\"status\":{\"desiredReplicas\":0,"
	      "\"currentMetrics\":null}}");
}

static void test_quantity(void **state)
{
	static const struct {
		const char *in;
		int64_t milli;
		const char *canonical;
	} cases[] = {{"100m", 100, "100m"}, {"2", 2000, "2"},	    {"1Gi", 1073741824000, "1Gi"},
		     {"1536Mi", 1610612736000, "1536Mi"}, {"3000", 3000000, "3k"},
		     {"0.5", 500, "500m"}, {"1e3", 1000000, "1k"}, {"1u", 1, "1m"}};
	char buf[40];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		cJSON *q = cJSON_CreateString(cases[i].in);
		bool bin;
		int64_t m = quantity_milli(q, &bin);

		assert_int_equal(m, cases[i].milli);
		quantity_format(m, bin, buf, sizeof(buf));
		assert_string_equal(buf, cases[i].canonical);
		cJSON_Delete(q);
	}
	quantity_format(0, true, buf, sizeof(buf));
	assert_string_equal(buf, "0");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deployment),
		cmocka_unit_test(test_image_pull_policy),
		cmocka_unit_test(test_service),
		cmocka_unit_test(test_namespace_and_pod),
		cmocka_unit_test(test_other_workloads),
		cmocka_unit_test(test_normalize_template),
		cmocka_unit_test(test_storage_kinds),
		cmocka_unit_test(test_rc_and_hpa),
		cmocka_unit_test(test_quantity),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
