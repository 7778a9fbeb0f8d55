/*
 * convert: the field conversion between the versions of a built-in kind that share one
 * store (restype.stored, as CRD versions do): autoscaling/v1 HorizontalPodAutoscalers
 * are stored as autoscaling/v2. Follows pkg/apis/autoscaling/v1/conversion.go: the CPU
 * utilization target is v1's targetCPUUtilizationPercentage, every other metric, the
 * current metrics and the conditions ride in the autoscaling.alpha.kubernetes.io/...
 * annotations (JSON of the v1 alpha types) so that a v1 round trip keeps them.
 */
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define ANN_METRICS "autoscaling.alpha.kubernetes.io/metrics"
#define ANN_CURRENT "autoscaling.alpha.kubernetes.io/current-metrics"
#define ANN_CONDITIONS "autoscaling.alpha.kubernetes.io/conditions"

static cJSON *dup(const cJSON *v)
{
	cJSON *d = cJSON_Duplicate(v, true);

	if (!d)
		abort();
	return d;
}

/* Copies src[skey] to dst[dkey] when present. */
static void cp(cJSON *dst, const char *dkey, const cJSON *src, const char *skey)
{
	const cJSON *v = cJSON_GetObjectItem(src, skey);

	if (v && !cJSON_IsNull(v))
		cJSON_AddItemToObject(dst, dkey, dup(v));
}

/* The same, a Go Quantity that is not omitempty: "0" when absent. */
static void cp_qty(cJSON *dst, const char *dkey, const cJSON *src, const char *skey)
{
	if (cJSON_GetObjectItem(src, skey))
		cp(dst, dkey, src, skey);
	else
		cJSON_AddStringToObject(dst, dkey, "0");
}

static cJSON *obj_new(void)
{
	cJSON *o = cJSON_CreateObject();

	if (!o)
		abort();
	return o;
}

/* A metric's type, "" when it has none (then it converts to a bare type). */
static const char *metric_type(const cJSON *m)
{
	const char *type = obj_str(m, "type", NULL);

	return type ? type : "";
}

static bool is_cpu_resource(const cJSON *m, const char *val)
{
	const cJSON *res = cJSON_GetObjectItem(m, "resource");
	const char *type = obj_str(m, "type", NULL), *name = obj_str(res, "name", NULL);

	if (!type || strcmp(type, "Resource") != 0 || !name || strcmp(name, "cpu") != 0)
		return false;
	return !val || cJSON_GetObjectItem(cJSON_GetObjectItem(res, val), "averageUtilization");
}

/* ---- v2 to v1 ------------------------------------------------------------------------ */

static cJSON *metric_v2_to_v1(const cJSON *m)
{
	const char *type = metric_type(m);
	cJSON *out = obj_new(), *s = obj_new();
	const cJSON *in, *t, *id;

	cp(out, "type", m, "type");
	if (strcmp(type, "Object") == 0) {
		in = cJSON_GetObjectItem(m, "object");
		t = cJSON_GetObjectItem(in, "target");
		id = cJSON_GetObjectItem(in, "metric");
		cp(s, "target", in, "describedObject");
		cp(s, "metricName", id, "name");
		cp_qty(s, "targetValue", t, "value");
		cp(s, "selector", id, "selector");
		cp(s, "averageValue", t, "averageValue");
		cJSON_AddItemToObject(out, "object", s);
	} else if (strcmp(type, "Pods") == 0) {
		in = cJSON_GetObjectItem(m, "pods");
		id = cJSON_GetObjectItem(in, "metric");
		cp(s, "metricName", id, "name");
		cp_qty(s, "targetAverageValue", cJSON_GetObjectItem(in, "target"), "averageValue");
		cp(s, "selector", id, "selector");
		cJSON_AddItemToObject(out, "pods", s);
	} else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
		const char *key = *type == 'R' ? "resource" : "containerResource";

		in = cJSON_GetObjectItem(m, key);
		t = cJSON_GetObjectItem(in, "target");
		cp(s, "name", in, "name");
		cp(s, "targetAverageUtilization", t, "averageUtilization");
		cp(s, "targetAverageValue", t, "averageValue");
		cp(s, "container", in, "container");
		cJSON_AddItemToObject(out, key, s);
	} else if (strcmp(type, "External") == 0) {
		in = cJSON_GetObjectItem(m, "external");
		t = cJSON_GetObjectItem(in, "target");
		id = cJSON_GetObjectItem(in, "metric");
		cp(s, "metricName", id, "name");
		cp(s, "metricSelector", id, "selector");
		cp(s, "targetValue", t, "value");
		cp(s, "targetAverageValue", t, "averageValue");
		cJSON_AddItemToObject(out, "external", s);
	} else
		cJSON_Delete(s);
	return out;
}

static cJSON *status_v2_to_v1(const cJSON *m)
{
	const char *type = metric_type(m);
	cJSON *out = obj_new(), *s = obj_new();
	const cJSON *in, *c, *id;

	cp(out, "type", m, "type");
	if (strcmp(type, "Object") == 0) {
		in = cJSON_GetObjectItem(m, "object");
		c = cJSON_GetObjectItem(in, "current");
		id = cJSON_GetObjectItem(in, "metric");
		cp(s, "target", in, "describedObject");
		cp(s, "metricName", id, "name");
		cp_qty(s, "currentValue", c, "value");
		cp(s, "selector", id, "selector");
		cp(s, "averageValue", c, "averageValue");
		cJSON_AddItemToObject(out, "object", s);
	} else if (strcmp(type, "Pods") == 0) {
		in = cJSON_GetObjectItem(m, "pods");
		id = cJSON_GetObjectItem(in, "metric");
		cp(s, "metricName", id, "name");
		cp_qty(s, "currentAverageValue", cJSON_GetObjectItem(in, "current"), "averageValue");
		cp(s, "selector", id, "selector");
		cJSON_AddItemToObject(out, "pods", s);
	} else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
		const char *key = *type == 'R' ? "resource" : "containerResource";

		in = cJSON_GetObjectItem(m, key);
		c = cJSON_GetObjectItem(in, "current");
		cp(s, "name", in, "name");
		cp(s, "currentAverageUtilization", c, "averageUtilization");
		cp_qty(s, "currentAverageValue", c, "averageValue");
		cp(s, "container", in, "container");
		cJSON_AddItemToObject(out, key, s);
	} else if (strcmp(type, "External") == 0) {
		in = cJSON_GetObjectItem(m, "external");
		c = cJSON_GetObjectItem(in, "current");
		id = cJSON_GetObjectItem(in, "metric");
		cp(s, "metricName", id, "name");
		cp(s, "metricSelector", id, "selector");
		cp_qty(s, "currentValue", c, "value");
		cp(s, "currentAverageValue", c, "averageValue");
		cJSON_AddItemToObject(out, "external", s);
	} else
		cJSON_Delete(s);
	return out;
}

/* list (non-empty) as an annotation: Go's json.Marshal of the v1 types, compact. */
static void annotate(cJSON *obj, const char *key, cJSON *list)
{
	char *text;

	if (cJSON_GetArraySize(list) == 0) {
		cJSON_Delete(list);
		return;
	}
	if (!(text = cJSON_PrintUnformatted(list)))
		abort();
	cJSON_Delete(list);
	obj_set_str(obj_child(obj_child(obj, "metadata"), "annotations"), key, text);
	free(text);
}

static cJSON *spec_v2_to_v1(const cJSON *in, cJSON **others)
{
	cJSON *out = obj_new();
	const cJSON *m;
	bool cpu_seen = false;

	*others = cJSON_CreateArray();
	cp(out, "scaleTargetRef", in, "scaleTargetRef");
	cp(out, "minReplicas", in, "minReplicas");
	cp(out, "maxReplicas", in, "maxReplicas");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(in, "metrics"))
	{
		if (!cpu_seen && is_cpu_resource(m, NULL)) {
			cpu_seen = true;
			cp(out, "targetCPUUtilizationPercentage",
			   cJSON_GetObjectItem(cJSON_GetObjectItem(m, "resource"), "target"),
			   "averageUtilization");
		}
		if (!is_cpu_resource(m, "target"))
			cJSON_AddItemToArray(*others, metric_v2_to_v1(m));
	}
	return out;
}

static cJSON *hpa_status_v2_to_v1(const cJSON *in, cJSON **current, cJSON **conds)
{
	cJSON *out = obj_new();
	const cJSON *m;

	*current = cJSON_CreateArray();
	*conds = cJSON_IsArray(cJSON_GetObjectItem(in, "conditions"))
		     ? dup(cJSON_GetObjectItem(in, "conditions"))
		     : cJSON_CreateArray();
	cp(out, "observedGeneration", in, "observedGeneration");
	cp(out, "lastScaleTime", in, "lastScaleTime");
	cp(out, "currentReplicas", in, "currentReplicas");
	cp(out, "desiredReplicas", in, "desiredReplicas");
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(in, "currentMetrics"))
	{
		if (is_cpu_resource(m, "current")) {
			cJSON_DeleteItemFromObjectCaseSensitive(out, "currentCPUUtilizationPercentage");
			cp(out, "currentCPUUtilizationPercentage",
			   cJSON_GetObjectItem(cJSON_GetObjectItem(m, "resource"), "current"),
			   "averageUtilization");
		}
		cJSON_AddItemToArray(*current, status_v2_to_v1(m));
	}
	return out;
}

void convert_hpa_to_v1(cJSON *obj)
{
	cJSON *others, *current, *conds, *spec, *status = NULL;
	bool had_status = cJSON_GetObjectItem(obj, "status") != NULL;

	spec = spec_v2_to_v1(cJSON_GetObjectItem(obj, "spec"), &others);
	if (had_status)
		status = hpa_status_v2_to_v1(cJSON_GetObjectItem(obj, "status"), &current, &conds);
	else {
		current = cJSON_CreateArray();
		conds = cJSON_CreateArray();
	}
	annotate(obj, ANN_METRICS, others);
	annotate(obj, ANN_CURRENT, current);
	annotate(obj, ANN_CONDITIONS, conds);
	cJSON_ReplaceItemInObjectCaseSensitive(obj, "spec", spec);
	if (status)
		cJSON_ReplaceItemInObjectCaseSensitive(obj, "status", status);
	obj_set_str(obj, "apiVersion", "autoscaling/v1");
}

/* ---- v1 to v2 ------------------------------------------------------------------------ */

static cJSON *identifier(const cJSON *in, const char *name, const char *selector)
{
	cJSON *id = obj_new();

	cp(id, "name", in, name);
	cp(id, "selector", in, selector);
	return id;
}

/* A MetricTarget or MetricValueStatus: type (NULL for a status), then the values. */
static cJSON *target(const char *type, const cJSON *in, const char *value, const char *avg,
		     const char *util)
{
	cJSON *t = obj_new();

	if (type)
		cJSON_AddStringToObject(t, "type", type);
	if (value)
		cp(t, "value", in, value);
	if (avg)
		cp(t, "averageValue", in, avg);
	if (util)
		cp(t, "averageUtilization", in, util);
	return t;
}

static bool has(const cJSON *o, const char *key)
{
	return cJSON_GetObjectItem(o, key) != NULL;
}

static cJSON *metric_v1_to_v2(const cJSON *m)
{
	const char *type = metric_type(m);
	cJSON *out = obj_new(), *s = obj_new();
	const cJSON *in;

	cp(out, "type", m, "type");
	if (strcmp(type, "Object") == 0) {
		in = cJSON_GetObjectItem(m, "object");
		cp(s, "describedObject", in, "target");
		cJSON_AddItemToObject(s, "target",
				      target(has(in, "averageValue") ? "AverageValue" : "Value", in,
					     "targetValue", "averageValue", NULL));
		cJSON_AddItemToObject(s, "metric", identifier(in, "metricName", "selector"));
		cJSON_AddItemToObject(out, "object", s);
	} else if (strcmp(type, "Pods") == 0) {
		in = cJSON_GetObjectItem(m, "pods");
		cJSON_AddItemToObject(s, "metric", identifier(in, "metricName", "selector"));
		cJSON_AddItemToObject(s, "target", target("AverageValue", in, NULL,
							  "targetAverageValue", NULL));
		cJSON_AddItemToObject(out, "pods", s);
	} else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
		const char *key = *type == 'R' ? "resource" : "containerResource";

		in = cJSON_GetObjectItem(m, key);
		cp(s, "name", in, "name");
		cJSON_AddItemToObject(
		    s, "target",
		    target(has(in, "targetAverageUtilization") ? "Utilization" : "AverageValue", in,
			   NULL, "targetAverageValue", "targetAverageUtilization"));
		cp(s, "container", in, "container");
		cJSON_AddItemToObject(out, key, s);
	} else if (strcmp(type, "External") == 0) {
		in = cJSON_GetObjectItem(m, "external");
		cJSON_AddItemToObject(s, "metric", identifier(in, "metricName", "metricSelector"));
		cJSON_AddItemToObject(s, "target",
				      target(has(in, "targetValue") ? "Value" : "AverageValue", in,
					     "targetValue", "targetAverageValue", NULL));
		cJSON_AddItemToObject(out, "external", s);
	} else
		cJSON_Delete(s);
	return out;
}

static cJSON *status_v1_to_v2(const cJSON *m)
{
	const char *type = metric_type(m);
	cJSON *out = obj_new(), *s = obj_new();
	const cJSON *in;

	cp(out, "type", m, "type");
	if (strcmp(type, "Object") == 0) {
		in = cJSON_GetObjectItem(m, "object");
		cJSON_AddItemToObject(s, "metric", identifier(in, "metricName", "selector"));
		cJSON_AddItemToObject(s, "current",
				      target(NULL, in, "currentValue", "averageValue", NULL));
		cp(s, "describedObject", in, "target");
		cJSON_AddItemToObject(out, "object", s);
	} else if (strcmp(type, "Pods") == 0) {
		in = cJSON_GetObjectItem(m, "pods");
		cJSON_AddItemToObject(s, "metric", identifier(in, "metricName", "selector"));
		cJSON_AddItemToObject(s, "current",
				      target(NULL, in, NULL, "currentAverageValue", NULL));
		cJSON_AddItemToObject(out, "pods", s);
	} else if (strcmp(type, "Resource") == 0 || strcmp(type, "ContainerResource") == 0) {
		const char *key = *type == 'R' ? "resource" : "containerResource";

		in = cJSON_GetObjectItem(m, key);
		cp(s, "name", in, "name");
		cJSON_AddItemToObject(s, "current", target(NULL, in, NULL, "currentAverageValue",
							   "currentAverageUtilization"));
		cp(s, "container", in, "container");
		cJSON_AddItemToObject(out, key, s);
	} else if (strcmp(type, "External") == 0) {
		in = cJSON_GetObjectItem(m, "external");
		cJSON_AddItemToObject(s, "metric", identifier(in, "metricName", "metricSelector"));
		cJSON_AddItemToObject(s, "current", target(NULL, in, "currentValue",
							   "currentAverageValue", NULL));
		cJSON_AddItemToObject(out, "external", s);
	} else
		cJSON_Delete(s);
	return out;
}

static cJSON *cpu_metric(const char *member, const cJSON *value, bool with_type)
{
	cJSON *m = obj_new(), *res = obj_new(), *t = obj_new();

	cJSON_AddStringToObject(m, "type", "Resource");
	cJSON_AddStringToObject(res, "name", "cpu");
	if (with_type)
		cJSON_AddStringToObject(t, "type", "Utilization");
	cJSON_AddItemToObject(t, "averageUtilization", dup(value));
	cJSON_AddItemToObject(res, member, t);
	cJSON_AddItemToObject(m, "resource", res);
	return m;
}

/* The annotation key of obj as a parsed list, removed from obj; NULL when absent or
 * not a list (then it stays, as the server keeps what it cannot decode nowhere else). */
static cJSON *take_annotation(cJSON *obj, const char *key)
{
	cJSON *ann = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "annotations");
	const char *text = obj_str(ann, key, NULL);
	cJSON *list = text ? cJSON_Parse(text) : NULL;

	if (!cJSON_IsArray(list)) {
		cJSON_Delete(list);
		return NULL;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(ann, key);
	if (cJSON_GetArraySize(ann) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(obj, "metadata"),
							"annotations");
	return list;
}

/* Each of list converted by conv, then tail (when not NULL). */
static cJSON *convert_list(cJSON *list, cJSON *(*conv)(const cJSON *), cJSON *tail)
{
	cJSON *out = cJSON_CreateArray();
	const cJSON *m;

	cJSON_ArrayForEach(m, list)
	{
		cJSON_AddItemToArray(out, conv(m));
	}
	cJSON_Delete(list);
	if (tail)
		cJSON_AddItemToArray(out, tail);
	return out;
}

static cJSON *spec_v1_to_v2(cJSON *obj, const cJSON *in)
{
	cJSON *out = obj_new(), *metrics, *cpu = NULL, *others;
	const cJSON *pct = cJSON_GetObjectItem(in, "targetCPUUtilizationPercentage");

	cp(out, "scaleTargetRef", in, "scaleTargetRef");
	cp(out, "minReplicas", in, "minReplicas");
	cp(out, "maxReplicas", in, "maxReplicas");
	if (pct && !cJSON_IsNull(pct))
		cpu = cpu_metric("target", pct, true);
	if ((others = take_annotation(obj, ANN_METRICS)))
		metrics = convert_list(others, metric_v1_to_v2, cpu);
	else {
		metrics = cJSON_CreateArray();
		if (cpu)
			cJSON_AddItemToArray(metrics, cpu);
	}
	if (cJSON_GetArraySize(metrics) == 0) {
		/* v1's implicit default, made explicit (DefaultCPUUtilization) */
		cJSON *def = cJSON_CreateNumber(80);

		cJSON_AddItemToArray(metrics, cpu_metric("target", def, true));
		cJSON_Delete(def);
	}
	cJSON_AddItemToObject(out, "metrics", metrics);
	return out;
}

static cJSON *hpa_status_v1_to_v2(cJSON *obj, const cJSON *in)
{
	cJSON *out = obj_new(), *list, *conds;
	const cJSON *pct = cJSON_GetObjectItem(in, "currentCPUUtilizationPercentage");

	cp(out, "observedGeneration", in, "observedGeneration");
	cp(out, "lastScaleTime", in, "lastScaleTime");
	cp(out, "currentReplicas", in, "currentReplicas");
	cp(out, "desiredReplicas", in, "desiredReplicas");
	if ((list = take_annotation(obj, ANN_CURRENT)))
		cJSON_AddItemToObject(out, "currentMetrics",
				      convert_list(list, status_v1_to_v2, NULL));
	else if (pct && !cJSON_IsNull(pct)) {
		list = cJSON_CreateArray();
		cJSON_AddItemToArray(list, cpu_metric("current", pct, false));
		cJSON_AddItemToObject(out, "currentMetrics", list);
	}
	if ((conds = take_annotation(obj, ANN_CONDITIONS)))
		cJSON_AddItemToObject(out, "conditions", conds);
	return out;
}

void convert_hpa_to_v2(cJSON *obj)
{
	cJSON *spec = spec_v1_to_v2(obj, cJSON_GetObjectItem(obj, "spec"));
	cJSON *status = hpa_status_v1_to_v2(obj, cJSON_GetObjectItem(obj, "status"));

	if (cJSON_GetObjectItem(obj, "spec"))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, "spec", spec);
	else
		cJSON_AddItemToObject(obj, "spec", spec);
	if (cJSON_GetObjectItem(obj, "status"))
		cJSON_ReplaceItemInObjectCaseSensitive(obj, "status", status);
	else if (cJSON_GetArraySize(status) > 0)
		cJSON_AddItemToObject(obj, "status", status);
	else
		cJSON_Delete(status);
	obj_set_str(obj, "apiVersion", "autoscaling/v2");
}
