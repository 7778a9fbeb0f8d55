/* The autoscaling/v1 <-> v2 HorizontalPodAutoscaler conversion (convert.c): each metric
 * source of v2 survives a trip through v1, in the order the real conversion gives. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "merge.h"
#include "store.h"

static cJSON *J(const char *s)
{
	cJSON *v = cJSON_Parse(s);
	if (!v)
		fail_msg("bad JSON: %s", s);
	return v;
}

static void expect(const cJSON *got, const char *want)
{
	cJSON *w = J(want);

	if (!merge_equal(got, w)) {
		char *g = cJSON_PrintUnformatted(got);
		fprintf(stderr, "got  %s\nwant %s\n", g, want);
		free(g);
		fail();
	}
	cJSON_Delete(w);
}

#define META "\"metadata\":{\"name\":\"h\"}"
#define REF "\"scaleTargetRef\":{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"name\":\"web\"}"

static void test_cpu_only(void **state)
{
	cJSON *o = J("{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"HorizontalPodAutoscaler\"," META
		     ",\"spec\":{" REF ",\"minReplicas\":1,\"maxReplicas\":3,"
		     "\"targetCPUUtilizationPercentage\":60},"
		     "\"status\":{\"currentReplicas\":2,\"desiredReplicas\":2,"
		     "\"currentCPUUtilizationPercentage\":40}}");

	(void)state;
	convert_hpa_to_v2(o);
	expect(o, "{\"apiVersion\":\"autoscaling/v2\",\"kind\":\"HorizontalPodAutoscaler\"," META
		  ",\"spec\":{" REF ",\"minReplicas\":1,\"maxReplicas\":3,\"metrics\":[{\"type\":"
		  "\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":\"Utilization\","
		  "\"averageUtilization\":60}}}]},\"status\":{\"currentReplicas\":2,"
		  "\"desiredReplicas\":2,\"currentMetrics\":[{\"type\":\"Resource\",\"resource\":"
		  "{\"name\":\"cpu\",\"current\":{\"averageUtilization\":40}}}]}}");
	convert_hpa_to_v1(o);
	/* the current metric rides in the annotation too: it holds the raw value */
	expect(o, "{\"apiVersion\":\"autoscaling/v1\",\"kind\":\"HorizontalPodAutoscaler\","
		  "\"metadata\":{\"name\":\"h\",\"annotations\":{"
		  "\"autoscaling.alpha.kubernetes.io/current-metrics\":"
		  "\"[{\\\"type\\\":\\\"Resource\\\",\\\"resource\\\":{\\\"name\\\":\\\"cpu\\\","
		  "\\\"currentAverageUtilization\\\":40,\\\"currentAverageValue\\\":\\\"0\\\"}}]\"}},"
		  "\"spec\":{" REF ",\"minReplicas\":1,\"maxReplicas\":3,"
		  "\"targetCPUUtilizationPercentage\":60},\"status\":{\"currentReplicas\":2,"
		  "\"desiredReplicas\":2,\"currentCPUUtilizationPercentage\":40}}");
	cJSON_Delete(o);
}

static void test_no_target_defaults(void **state)
{
	cJSON *o = J("{\"apiVersion\":\"autoscaling/v1\"," META ",\"spec\":{" REF
		     ",\"maxReplicas\":3}}");

	(void)state;
	convert_hpa_to_v2(o);
	expect(o, "{\"apiVersion\":\"autoscaling/v2\"," META ",\"spec\":{" REF
		  ",\"maxReplicas\":3,\"metrics\":[{\"type\":\"Resource\",\"resource\":{\"name\":"
		  "\"cpu\",\"target\":{\"type\":\"Utilization\",\"averageUtilization\":80}}}]}}");
	cJSON_Delete(o);
}

/* Every source type through v1 and back: the cpu utilization metric comes last. */
static void test_round_trip(void **state)
{
	static const char *const others =
	    "{\"type\":\"Object\",\"object\":{\"describedObject\":{\"apiVersion\":\"networking.k8s.io/v1\","
	    "\"kind\":\"Ingress\",\"name\":\"main\"},\"target\":{\"type\":\"Value\",\"value\":\"2k\"},"
	    "\"metric\":{\"name\":\"rps\"}}},"
	    "{\"type\":\"Pods\",\"pods\":{\"metric\":{\"name\":\"qps\",\"selector\":{\"matchLabels\":"
	    "{\"a\":\"b\"}}},\"target\":{\"type\":\"AverageValue\",\"averageValue\":\"10\"}}},"
	    "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"target\":{\"type\":"
	    "\"AverageValue\",\"averageValue\":\"1Gi\"}}},"
	    "{\"type\":\"ContainerResource\",\"containerResource\":{\"name\":\"cpu\",\"target\":"
	    "{\"type\":\"Utilization\",\"averageUtilization\":50},\"container\":\"app\"}},"
	    "{\"type\":\"External\",\"external\":{\"metric\":{\"name\":\"queue\"},\"target\":"
	    "{\"type\":\"AverageValue\",\"averageValue\":\"30\"}}}";
	static const char *const cpu =
	    "{\"type\":\"Resource\",\"resource\":{\"name\":\"cpu\",\"target\":{\"type\":"
	    "\"Utilization\",\"averageUtilization\":70}}}";
	char in[4096], want[4096];
	cJSON *o, *ann;

	(void)state;
	snprintf(in, sizeof(in),
		 "{\"apiVersion\":\"autoscaling/v2\"," META ",\"spec\":{" REF
		 ",\"maxReplicas\":5,\"metrics\":[%s,%s]},\"status\":{\"conditions\":[{\"type\":"
		 "\"AbleToScale\",\"status\":\"True\",\"reason\":\"ReadyForNewScale\"}]}}",
		 cpu, others);
	snprintf(want, sizeof(want),
		 "{\"apiVersion\":\"autoscaling/v2\"," META ",\"spec\":{" REF
		 ",\"maxReplicas\":5,\"metrics\":[%s,%s]},\"status\":{\"conditions\":[{\"type\":"
		 "\"AbleToScale\",\"status\":\"True\",\"reason\":\"ReadyForNewScale\"}]}}",
		 others, cpu);
	o = J(in);
	convert_hpa_to_v1(o);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"),
					     "targetCPUUtilizationPercentage")->valueint, 70);
	ann = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "annotations");
	assert_string_equal(
	    cJSON_GetStringValue(cJSON_GetObjectItem(ann, "autoscaling.alpha.kubernetes.io/metrics")),
	    "[{\"type\":\"Object\",\"object\":{\"target\":{\"apiVersion\":\"networking.k8s.io/v1\","
	    "\"kind\":\"Ingress\",\"name\":\"main\"},\"metricName\":\"rps\",\"targetValue\":\"2k\"}},"
	    "{\"type\":\"Pods\",\"pods\":{\"metricName\":\"qps\",\"targetAverageValue\":\"10\","
	    "\"selector\":{\"matchLabels\":{\"a\":\"b\"}}}},"
	    "{\"type\":\"Resource\",\"resource\":{\"name\":\"memory\",\"targetAverageValue\":\"1Gi\"}},"
	    "{\"type\":\"ContainerResource\",\"containerResource\":{\"name\":\"cpu\","
	    "\"targetAverageUtilization\":50,\"container\":\"app\"}},"
	    "{\"type\":\"External\",\"external\":{\"metricName\":\"queue\",\"targetAverageValue\":\"30\"}}]");
	assert_non_null(cJSON_GetObjectItem(ann, "autoscaling.alpha.kubernetes.io/conditions"));
	assert_null(cJSON_GetObjectItem(cJSON_GetObjectItem(o, "status"), "conditions"));
	convert_hpa_to_v2(o);
	expect(o, want);
	cJSON_Delete(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cpu_only),
		cmocka_unit_test(test_no_target_defaults),
		cmocka_unit_test(test_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
