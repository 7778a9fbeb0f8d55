/*
 * validate: the registry validation worth emulating (§7): object metadata
 * (validate_meta.c), the core kinds' fields (validate_core.c), workload selectors,
 * templates and replicas, Jobs, claims, immutable fields. Failures are
 * 422 Invalid Status objects shaped like NewInvalid (details.kind = Kind, causes per
 * field) so kubectl prints "The Deployment "x" is invalid: ...".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_util.h"
#include "store_int.h"
#include "validate.h"
#include "crd_schema.h"
#include "validate_int.h"

/* Go's %#v of a map[string]string, keys sorted: map[string]string{"a":"b"}. */
static void go_map(const cJSON *m, char *out, size_t n)
{
	const cJSON *keys[64], *it;
	size_t k = 0, len, i, j;

	cJSON_ArrayForEach(it, m)
	{
		if (k < 64)
			keys[k++] = it;
	}
	for (i = 1; i < k; i++)
		for (j = i; j > 0 && strcmp(keys[j - 1]->string, keys[j]->string) > 0; j--) {
			const cJSON *t = keys[j];

			keys[j] = keys[j - 1];
			keys[j - 1] = t;
		}
	len = (size_t)snprintf(out, n, "map[string]string{");
	for (i = 0; i < k && len < n; i++)
		len += snprintf(out + len, n - len, "%s\"%s\":\"%s\"", i ? ", " : "",
				keys[i]->string,
				cJSON_IsString(keys[i]) ? keys[i]->valuestring : "");
	if (len < n)
		snprintf(out + len, n - len, "}");
}

size_t go_string_list(const cJSON *a, char *out, size_t n)
{
	const cJSON *it;
	size_t k;

	if (!cJSON_IsArray(a))
		return (size_t)snprintf(out, n, "[]string(nil)");
	k = (size_t)snprintf(out, n, "[]string{");
	cJSON_ArrayForEach(it, a)
	{
		if (k < n)
			k += (size_t)snprintf(out + k, n - k, "%s\"%s\"", it == a->child ? "" : ", ",
					      cJSON_IsString(it) ? it->valuestring : "");
	}
	if (k < n)
		k += (size_t)snprintf(out + k, n - k, "}");
	return k;
}

/* The new selector in an immutability error, as ErrorBody prints a *metav1.LabelSelector
 * (%#v of what it points to). */
static void go_selector(const cJSON *sel, char *out, size_t n)
{
	const cJSON *exprs = cJSON_GetObjectItem(sel, "matchExpressions"), *e;
	char labels[600];
	size_t k;

	if (cJSON_IsObject(cJSON_GetObjectItem(sel, "matchLabels")))
		go_map(cJSON_GetObjectItem(sel, "matchLabels"), labels, sizeof(labels));
	else
		snprintf(labels, sizeof(labels), "map[string]string(nil)");
	k = (size_t)snprintf(out, n, "v1.LabelSelector{MatchLabels:%s, MatchExpressions:", labels);
	if (k < n && !cJSON_IsArray(exprs))
		k += (size_t)snprintf(out + k, n - k, "[]v1.LabelSelectorRequirement(nil)");
	else if (k < n) {
		k += (size_t)snprintf(out + k, n - k, "[]v1.LabelSelectorRequirement{");
		cJSON_ArrayForEach(e, exprs)
		{
			if (k >= n)
				break;
			k += (size_t)snprintf(out + k, n - k,
					      "%sv1.LabelSelectorRequirement{Key:\"%s\", Operator:\"%s\", "
					      "Values:",
					      e == exprs->child ? "" : ", ", str_or(e, "key", ""),
					      str_or(e, "operator", ""));
			if (k < n)
				k += go_string_list(cJSON_GetObjectItem(e, "values"), out + k, n - k);
			if (k < n)
				k += (size_t)snprintf(out + k, n - k, "}");
		}
		if (k < n)
			k += (size_t)snprintf(out + k, n - k, "}");
	}
	if (k < n)
		snprintf(out + k, n - k, "}");
}

static void selector_immutable(struct field_errs *v, const cJSON *sel)
{
	char buf[2048];

	go_selector(sel, buf, sizeof(buf));
	field_err(v, "spec.selector", "FieldValueInvalid", "Invalid value: %s: field is immutable",
		  buf);
}

static bool is_workload(const struct restype *rt)
{
	return !rt->custom && strcmp(rt->group, "apps") == 0 &&
	       (strcmp(rt->resource, "deployments") == 0 || strcmp(rt->resource, "replicasets") == 0 ||
		strcmp(rt->resource, "statefulsets") == 0 || strcmp(rt->resource, "daemonsets") == 0);
}

/* spec.selector: required, not empty, matching the template's labels, immutable. */
static void check_selector(struct field_errs *v, const cJSON *spec, const cJSON *old,
			   bool immutable)
{
	const cJSON *sel = cJSON_GetObjectItem(spec, "selector");
	const cJSON *tmpl = cJSON_GetObjectItem(spec, "template");
	const cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(tmpl, "metadata"), "labels");
	const cJSON *old_sel = cJSON_GetObjectItem(cJSON_GetObjectItem(old, "spec"), "selector");
	char buf[600];

	if (!sel)
		field_err(v, "spec.selector", "FieldValueRequired", "Required value");
	else if (ctrl_selector_empty(sel))
		field_err(v, "spec.selector", "FieldValueInvalid",
		     "Invalid value: \"{}\": empty selector is invalid for deployment");
	else if (!ctrl_selector_matches(sel, labels)) {
		go_map(labels, buf, sizeof(buf));
		field_err(v, "spec.template.metadata.labels", "FieldValueInvalid",
		     "Invalid value: %s: `selector` does not match template `labels`", buf);
	}
	if (immutable && old && sel && !cJSON_Compare(sel, old_sel, true))
		selector_immutable(v, sel);
}

/* A Deployment's progress deadline must be longer than minReadySeconds. */
static void check_deadline(struct field_errs *v, const cJSON *spec)
{
	const cJSON *pd = cJSON_GetObjectItem(spec, "progressDeadlineSeconds");
	const cJSON *mr = cJSON_GetObjectItem(spec, "minReadySeconds");

	if (cJSON_IsNumber(pd) && cJSON_IsNumber(mr) && pd->valuedouble <= mr->valuedouble)
		field_err(v, "spec.progressDeadlineSeconds", "FieldValueInvalid",
		     "Invalid value: %d: must be greater than minReadySeconds", pd->valueint);
}

/* ValidateStatefulSetUpdate: only these spec fields may change. */
static void check_sts_update(struct field_errs *v, const cJSON *spec, const cJSON *ospec)
{
	static const char *const mutable[] = {"replicas",
					      "ordinals",
					      "template",
					      "updateStrategy",
					      "minReadySeconds",
					      "revisionHistoryLimit",
					      "persistentVolumeClaimRetentionPolicy"};
	cJSON *a = cJSON_Duplicate(spec, true), *b = cJSON_Duplicate(ospec, true);

	for (size_t i = 0; i < sizeof(mutable) / sizeof(mutable[0]); i++) {
		cJSON_DeleteItemFromObjectCaseSensitive(a, mutable[i]);
		cJSON_DeleteItemFromObjectCaseSensitive(b, mutable[i]);
	}
	if (!cJSON_Compare(a, b, true))
		field_err(v, "spec", "FieldValueForbidden",
			  "Forbidden: updates to statefulset spec for fields other than 'replicas', "
			  "'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', "
			  "'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static void check_workload(struct field_errs *v, const struct restype *rt, const cJSON *obj,
			   const cJSON *old)
{
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
	const cJSON *tmpl = cJSON_GetObjectItem(spec, "template");
	const cJSON *rep = cJSON_GetObjectItem(spec, "replicas");
	const char *rp = obj_str(cJSON_GetObjectItem(tmpl, "spec"), "restartPolicy", NULL);

	check_selector(v, spec, old, strcmp(rt->resource, "statefulsets") != 0);
	if (old && strcmp(rt->resource, "statefulsets") == 0)
		check_sts_update(v, spec, cJSON_GetObjectItem(old, "spec"));
	if (cJSON_IsNumber(rep) && rep->valuedouble < 0)
		field_err(v, "spec.replicas", "FieldValueInvalid",
		     "Invalid value: %d: must be greater than or equal to 0", rep->valueint);
	if (rp && strcmp(rp, "Always") != 0)
		field_err(v, "spec.template.spec.restartPolicy", "FieldValueNotSupported",
		     "Unsupported value: \"%s\": supported values: \"Always\"", rp);
	validate_labels(v, "spec.template.metadata.labels",
			cJSON_GetObjectItem(cJSON_GetObjectItem(tmpl, "metadata"), "labels"));
	validate_pod_spec(v, cJSON_GetObjectItem(tmpl, "spec"), "spec.template.spec.");
	if (strcmp(rt->resource, "deployments") == 0)
		check_deadline(v, spec);
}

/* Once deletionTimestamp is set, no finalizer may be added (apimachinery objectmeta.go). */
static void check_deleting(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	const cJSON *om = cJSON_GetObjectItem(old, "metadata"), *nm = cJSON_GetObjectItem(obj, "metadata");
	const cJSON *it;

	if (!obj_str(om, "deletionTimestamp", NULL))
		return;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(nm, "finalizers"))
	{
		if (cJSON_IsString(it) && !obj_array_has(cJSON_GetObjectItem(om, "finalizers"), it->valuestring)) {
			field_err(v, "metadata.finalizers", "FieldValueForbidden",
			     "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"%s\"}",
			     it->valuestring);
			return;
		}
	}
}

/* Equal values, both absent included. */
static bool same(const cJSON *a, const cJSON *b)
{
	return (!a && !b) || cJSON_Compare(a, b, true);
}

/* A Job's pods restart OnFailure or Never; its template and selector are fixed once
 * created (ValidateJobSpec, ValidateJobSpecUpdate). prefix "" for a Job, "spec.jobTemplate."
 * for a CronJob. */
static void check_job(struct field_errs *v, const cJSON *jobspec, const cJSON *old_jobspec,
		      const char *prefix)
{
	static const char *const restarts[] = {"OnFailure", "Never", NULL};
	const cJSON *tmpl = cJSON_GetObjectItem(jobspec, "template");
	const char *rp = str_or(cJSON_GetObjectItem(tmpl, "spec"), "restartPolicy", "");
	char f[200];

	snprintf(f, sizeof(f), "%sspec.template.spec.", prefix);
	validate_pod_spec(v, cJSON_GetObjectItem(tmpl, "spec"), f);
	snprintf(f, sizeof(f), "%sspec.template.spec.restartPolicy", prefix);
	valid_enum(v, f, rp, restarts);
	if (!old_jobspec)
		return;
	if (!same(cJSON_GetObjectItem(jobspec, "selector"),
		  cJSON_GetObjectItem(old_jobspec, "selector")))
		selector_immutable(v, cJSON_GetObjectItem(jobspec, "selector"));
	if (!same(tmpl, cJSON_GetObjectItem(old_jobspec, "template")))
		field_err(v, "spec.template", "FieldValueInvalid",
			  "Invalid value: core.PodTemplateSpec{...}: field is immutable");
}

/* A claim's spec is fixed after creation but for resources.requests, the volume
 * attributes class and a first volumeName (ValidatePersistentVolumeClaimUpdate). */
static void check_pvc_update(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	cJSON *a = cJSON_Duplicate(cJSON_GetObjectItem(obj, "spec"), true);
	cJSON *b = cJSON_Duplicate(cJSON_GetObjectItem(old, "spec"), true);

	for (int i = 0; i < 2; i++) {
		cJSON *s = i ? b : a;

		cJSON_DeleteItemFromObjectCaseSensitive(cJSON_GetObjectItem(s, "resources"),
							"requests");
		cJSON_DeleteItemFromObjectCaseSensitive(s, "volumeAttributesClassName");
		if (!obj_str(b, "volumeName", NULL))
			cJSON_DeleteItemFromObjectCaseSensitive(s, "volumeName");
	}
	if (!cJSON_Compare(a, b, true))
		field_err(v, "spec", "FieldValueForbidden",
			  "Forbidden: spec is immutable after creation except resources.requests "
			  "and volumeAttributesClassName for bound claims");
	cJSON_Delete(a);
	cJSON_Delete(b);
}

static bool core_kind(const struct restype *rt, const char *resource)
{
	return !rt->custom && !*rt->group && strcmp(rt->resource, resource) == 0;
}

/* The kind's own rules, after the metadata's. */
static void check_kind(struct field_errs *v, const struct restype *rt, const cJSON *obj,
		       const cJSON *old)
{
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec"), *ospec = cJSON_GetObjectItem(old, "spec");

	if (is_workload(rt))
		check_workload(v, rt, obj, old);
	else if (core_kind(rt, "pods"))
		validate_pod_spec(v, spec, "spec.");
	else if (core_kind(rt, "configmaps") || core_kind(rt, "secrets"))
		validate_config(v, rt, obj, old);
	else if (core_kind(rt, "services"))
		validate_service(v, obj, old);
	else if (core_kind(rt, "persistentvolumeclaims") && old)
		check_pvc_update(v, obj, old);
	else if (!rt->custom && strcmp(rt->group, "batch") == 0 && strcmp(rt->kind, "Job") == 0)
		check_job(v, spec, old ? ospec : NULL, "");
	else if (!rt->custom && strcmp(rt->group, "batch") == 0 && strcmp(rt->kind, "CronJob") == 0)
		check_job(v, cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "jobTemplate"), "spec"),
			  NULL, "spec.jobTemplate.");
	else if (!rt->custom && strcmp(rt->resource, "customresourcedefinitions") == 0)
		crd_schema_check_crd(spec, v);
}

int validate_object(const struct restype *rt, const cJSON *obj, const cJSON *old,
		    struct kstatus *e)
{
	const cJSON *meta = cJSON_GetObjectItem(obj, "metadata");
	const char *name = obj_str(meta, "name", NULL);
	struct field_errs v;

	field_errs_init(&v);
	validate_meta(&v, rt, meta, !old);
	if (old)
		check_deleting(&v, obj, old);
	check_kind(&v, rt, obj, old);
	validate_cluster_kind(&v, rt, obj, old);
	if (v.n)
		return field_errs_invalid(&v, rt->group, rt->kind, name, e);
	field_errs_dispose(&v);
	return 0;
}
