/*
 * validate: the registry validation worth emulating (§7): object names, workload
 * selectors and templates, containers, replicas, immutable selectors. Failures are
 * 422 Invalid Status objects shaped like NewInvalid (details.kind = Kind, causes per
 * field) so kubectl prints "The Deployment "x" is invalid: ...".
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctrl_util.h"
#include "field_err.h"
#include "store_int.h"
#include "validate.h"

static bool dns_subdomain(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 253 || !isalnum((unsigned char)s[0]) ||
	    !isalnum((unsigned char)s[n - 1]))
		return false;
	for (; *s; s++)
		if (!(islower((unsigned char)*s) || isdigit((unsigned char)*s) || *s == '-' ||
		      *s == '.'))
			return false;
	return true;
}

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

static void check_containers(struct field_errs *v, const cJSON *podspec, const char *prefix)
{
	const cJSON *cs = cJSON_GetObjectItem(podspec, "containers"), *c;
	char f[256];
	int i = 0;

	if (cJSON_GetArraySize(cs) == 0) {
		snprintf(f, sizeof(f), "%scontainers", prefix);
		field_err(v, f, "FieldValueRequired", "Required value");
		return;
	}
	cJSON_ArrayForEach(c, cs)
	{
		const char *name = obj_str(c, "name", NULL), *image = obj_str(c, "image", NULL);

		if (!name || !*name) {
			snprintf(f, sizeof(f), "%scontainers[%d].name", prefix, i);
			field_err(v, f, "FieldValueRequired", "Required value");
		}
		if (!image || !*image) {
			snprintf(f, sizeof(f), "%scontainers[%d].image", prefix, i);
			field_err(v, f, "FieldValueRequired", "Required value");
		}
		i++;
	}
}

static bool is_workload(const struct restype *rt)
{
	return !rt->custom && strcmp(rt->group, "apps") == 0 &&
	       (strcmp(rt->resource, "deployments") == 0 || strcmp(rt->resource, "replicasets") == 0 ||
		strcmp(rt->resource, "statefulsets") == 0 || strcmp(rt->resource, "daemonsets") == 0);
}

/* spec.selector: required, not empty, matching the template's labels, immutable. */
static void check_selector(struct field_errs *v, const cJSON *spec, const cJSON *old)
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
	if (old && sel && !cJSON_Compare(sel, old_sel, true))
		field_err(v, "spec.selector", "FieldValueInvalid",
		     "Invalid value: v1.LabelSelector{...}: field is immutable");
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

static void check_workload(struct field_errs *v, const struct restype *rt, const cJSON *obj,
			   const cJSON *old)
{
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
	const cJSON *tmpl = cJSON_GetObjectItem(spec, "template");
	const cJSON *rep = cJSON_GetObjectItem(spec, "replicas");
	const char *rp = obj_str(cJSON_GetObjectItem(tmpl, "spec"), "restartPolicy", NULL);

	check_selector(v, spec, old);
	if (cJSON_IsNumber(rep) && rep->valuedouble < 0)
		field_err(v, "spec.replicas", "FieldValueInvalid",
		     "Invalid value: %d: must be greater than or equal to 0", rep->valueint);
	if (rp && strcmp(rp, "Always") != 0)
		field_err(v, "spec.template.spec.restartPolicy", "FieldValueNotSupported",
		     "Unsupported value: \"%s\": supported values: \"Always\"", rp);
	check_containers(v, cJSON_GetObjectItem(tmpl, "spec"), "spec.template.spec.");
	if (strcmp(rt->resource, "deployments") == 0)
		check_deadline(v, spec);
}

static bool has_string(const cJSON *arr, const char *s)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, arr)
	{
		if (cJSON_IsString(it) && strcmp(it->valuestring, s) == 0)
			return true;
	}
	return false;
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
		if (cJSON_IsString(it) && !has_string(cJSON_GetObjectItem(om, "finalizers"), it->valuestring)) {
			field_err(v, "metadata.finalizers", "FieldValueForbidden",
			     "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"%s\"}",
			     it->valuestring);
			return;
		}
	}
}

/* RBAC objects are named by path.IsValidPathSegmentName (pkg/apis/rbac/validation),
 * so "system:discovery" is valid. */
static void check_rbac_name(struct field_errs *v, const char *name)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		field_err(v, "metadata.name", "FieldValueInvalid", "Invalid value: \"%s\": may not be '%s'",
		     name, name);
	else if (strchr(name, '/'))
		field_err(v, "metadata.name", "FieldValueInvalid",
		     "Invalid value: \"%s\": may not contain '/'", name);
	else if (strchr(name, '%'))
		field_err(v, "metadata.name", "FieldValueInvalid",
		     "Invalid value: \"%s\": may not contain '%%'", name);
}

/* metadata.name on create: RBAC kinds are path segments, others DNS subdomains. */
static void check_name(struct field_errs *v, const struct restype *rt, const char *name)
{
	if (strcmp(rt->group, "rbac.authorization.k8s.io") == 0)
		check_rbac_name(v, name);
	else if (!dns_subdomain(name))
		field_err(v, "metadata.name", "FieldValueInvalid",
		     "Invalid value: \"%s\": a lowercase RFC 1123 subdomain must consist of lower "
		     "case alphanumeric characters, '-' or '.', and must start and end with an "
		     "alphanumeric character (e.g. 'example.com', regex used for validation is "
		     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
		     name);
}

int validate_object(const struct restype *rt, const cJSON *obj, const cJSON *old,
		    struct kstatus *e)
{
	const char *name = obj_str(cJSON_GetObjectItem(obj, "metadata"), "name", NULL);
	struct field_errs v;

	field_errs_init(&v);
	if (name && !old)
		check_name(&v, rt, name);
	if (old)
		check_deleting(&v, obj, old);
	if (is_workload(rt))
		check_workload(&v, rt, obj, old);
	else if (!rt->custom && !*rt->group && strcmp(rt->resource, "pods") == 0)
		check_containers(&v, cJSON_GetObjectItem(obj, "spec"), "spec.");
	if (v.n)
		return field_errs_invalid(&v, rt->group, rt->kind, name, e);
	field_errs_dispose(&v);
	return 0;
}
