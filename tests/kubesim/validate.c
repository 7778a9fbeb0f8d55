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
#include "store_int.h"
#include "validate.h"

struct verrs {
	cJSON *causes;
	char text[900];
	size_t len;
	int n;
};

static void verr(struct verrs *v, const char *field, const char *reason, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static void verr(struct verrs *v, const char *field, const char *reason, const char *fmt, ...)
{
	cJSON *c = cJSON_CreateObject();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg);
	cJSON_AddStringToObject(c, "field", field);
	cJSON_AddItemToArray(v->causes, c);
	if (v->len < sizeof(v->text))
		v->len += snprintf(v->text + v->len, sizeof(v->text) - v->len, "%s%s: %s",
				   v->n ? ", " : "", field, msg);
	v->n++;
}

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

static void check_containers(struct verrs *v, const cJSON *podspec, const char *prefix)
{
	const cJSON *cs = cJSON_GetObjectItem(podspec, "containers"), *c;
	char f[256];
	int i = 0;

	if (cJSON_GetArraySize(cs) == 0) {
		snprintf(f, sizeof(f), "%scontainers", prefix);
		verr(v, f, "FieldValueRequired", "Required value");
		return;
	}
	cJSON_ArrayForEach(c, cs)
	{
		const char *name = obj_str(c, "name", NULL), *image = obj_str(c, "image", NULL);

		if (!name || !*name) {
			snprintf(f, sizeof(f), "%scontainers[%d].name", prefix, i);
			verr(v, f, "FieldValueRequired", "Required value");
		}
		if (!image || !*image) {
			snprintf(f, sizeof(f), "%scontainers[%d].image", prefix, i);
			verr(v, f, "FieldValueRequired", "Required value");
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
static void check_selector(struct verrs *v, const cJSON *spec, const cJSON *old)
{
	const cJSON *sel = cJSON_GetObjectItem(spec, "selector");
	const cJSON *tmpl = cJSON_GetObjectItem(spec, "template");
	const cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(tmpl, "metadata"), "labels");
	const cJSON *old_sel = cJSON_GetObjectItem(cJSON_GetObjectItem(old, "spec"), "selector");
	char buf[600];

	if (!sel)
		verr(v, "spec.selector", "FieldValueRequired", "Required value");
	else if (ctrl_selector_empty(sel))
		verr(v, "spec.selector", "FieldValueInvalid",
		     "Invalid value: \"{}\": empty selector is invalid for deployment");
	else if (!ctrl_selector_matches(sel, labels)) {
		go_map(labels, buf, sizeof(buf));
		verr(v, "spec.template.metadata.labels", "FieldValueInvalid",
		     "Invalid value: %s: `selector` does not match template `labels`", buf);
	}
	if (old && sel && !cJSON_Compare(sel, old_sel, true))
		verr(v, "spec.selector", "FieldValueInvalid",
		     "Invalid value: v1.LabelSelector{...}: field is immutable");
}

/* A Deployment's progress deadline must be longer than minReadySeconds. */
static void check_deadline(struct verrs *v, const cJSON *spec)
{
	const cJSON *pd = cJSON_GetObjectItem(spec, "progressDeadlineSeconds");
	const cJSON *mr = cJSON_GetObjectItem(spec, "minReadySeconds");

	if (cJSON_IsNumber(pd) && cJSON_IsNumber(mr) && pd->valuedouble <= mr->valuedouble)
		verr(v, "spec.progressDeadlineSeconds", "FieldValueInvalid",
		     "Invalid value: %d: must be greater than minReadySeconds", pd->valueint);
}

static void check_workload(struct verrs *v, const struct restype *rt, const cJSON *obj,
			   const cJSON *old)
{
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
	const cJSON *tmpl = cJSON_GetObjectItem(spec, "template");
	const cJSON *rep = cJSON_GetObjectItem(spec, "replicas");
	const char *rp = obj_str(cJSON_GetObjectItem(tmpl, "spec"), "restartPolicy", NULL);

	check_selector(v, spec, old);
	if (cJSON_IsNumber(rep) && rep->valuedouble < 0)
		verr(v, "spec.replicas", "FieldValueInvalid",
		     "Invalid value: %d: must be greater than or equal to 0", rep->valueint);
	if (rp && strcmp(rp, "Always") != 0)
		verr(v, "spec.template.spec.restartPolicy", "FieldValueNotSupported",
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
static void check_deleting(struct verrs *v, const cJSON *obj, const cJSON *old)
{
	const cJSON *om = cJSON_GetObjectItem(old, "metadata"), *nm = cJSON_GetObjectItem(obj, "metadata");
	const cJSON *it;

	if (!obj_str(om, "deletionTimestamp", NULL))
		return;
	cJSON_ArrayForEach(it, cJSON_GetObjectItem(nm, "finalizers"))
	{
		if (cJSON_IsString(it) && !has_string(cJSON_GetObjectItem(om, "finalizers"), it->valuestring)) {
			verr(v, "metadata.finalizers", "FieldValueForbidden",
			     "Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers []string{\"%s\"}",
			     it->valuestring);
			return;
		}
	}
}

/* RBAC objects are named by path.IsValidPathSegmentName (pkg/apis/rbac/validation),
 * so "system:discovery" is valid. */
static void check_rbac_name(struct verrs *v, const char *name)
{
	if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
		verr(v, "metadata.name", "FieldValueInvalid", "Invalid value: \"%s\": may not be '%s'",
		     name, name);
	else if (strchr(name, '/'))
		verr(v, "metadata.name", "FieldValueInvalid",
		     "Invalid value: \"%s\": may not contain '/'", name);
	else if (strchr(name, '%'))
		verr(v, "metadata.name", "FieldValueInvalid",
		     "Invalid value: \"%s\": may not contain '%%'", name);
}

/* metadata.name on create: RBAC kinds are path segments, others DNS subdomains. */
static void check_name(struct verrs *v, const struct restype *rt, const char *name)
{
	if (strcmp(rt->group, "rbac.authorization.k8s.io") == 0)
		check_rbac_name(v, name);
	else if (!dns_subdomain(name))
		verr(v, "metadata.name", "FieldValueInvalid",
		     "Invalid value: \"%s\": a lowercase RFC 1123 subdomain must consist of lower "
		     "case alphanumeric characters, '-' or '.', and must start and end with an "
		     "alphanumeric character (e.g. 'example.com', regex used for validation is "
		     "'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')",
		     name);
}

/* The 422 with every cause, as the API server's errors.NewInvalid reports them. */
static int invalid(const struct restype *rt, const char *name, struct verrs *v,
		   struct kstatus *e)
{
	int rc = kstatus_set(e, 422, "Invalid", "%s%s%s \"%s\" is invalid: %s%s%s", rt->kind,
			     *rt->group ? "." : "", rt->group, name ? name : "",
			     v->n > 1 ? "[" : "", v->text, v->n > 1 ? "]" : "");

	if (e && e->code == 422 && !e->causes) {
		e->causes = v->causes;
		snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
		snprintf(e->group, sizeof(e->group), "%s", rt->group);
		snprintf(e->kind, sizeof(e->kind), "%s", rt->kind);
	} else {
		cJSON_Delete(v->causes);
	}
	return rc;
}

int validate_object(const struct restype *rt, const cJSON *obj, const cJSON *old,
		    struct kstatus *e)
{
	const char *name = obj_str(cJSON_GetObjectItem(obj, "metadata"), "name", NULL);
	struct verrs v = {.causes = cJSON_CreateArray()};

	if (name && !old)
		check_name(&v, rt, name);
	if (old)
		check_deleting(&v, obj, old);
	if (is_workload(rt))
		check_workload(&v, rt, obj, old);
	else if (!rt->custom && !*rt->group && strcmp(rt->resource, "pods") == 0)
		check_containers(&v, cJSON_GetObjectItem(obj, "spec"), "spec.");
	if (v.n)
		return invalid(rt, name, &v, e);
	cJSON_Delete(v.causes);
	return 0;
}
