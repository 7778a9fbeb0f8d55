/*
 * validate_cluster: the registry validation of the cluster-configuration kinds of issue #13,
 * part 2 (pkg/apis/{admissionregistration,networking,scheduling,storage,discovery,node}/
 * validation and kube-aggregator's apiregistration validation), with their messages
 * word for word: required fields, enumerations and the fields fixed after creation.
 * CEL expressions are not compiled: a policy's expressions are only checked present.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"
#include "admission_classes.h"
#include "validate_int.h"

#define IMMUTABLE "field is immutable"

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static bool has(const cJSON *o, const char *k)
{
	const cJSON *v = get(o, k);

	return v && !cJSON_IsNull(v);
}

static void required(struct field_errs *v, const char *field, const char *detail)
{
	if (detail && *detail)
		field_err(v, field, "FieldValueRequired", "Required value: %s", detail);
	else
		field_err(v, field, "FieldValueRequired", "Required value");
}

/* ValidateImmutableField for a string (or absent) field at path. */
static void immutable_str(struct field_errs *v, const char *field, const char *now,
			  const char *was)
{
	if (strcmp(now ? now : "", was ? was : "") != 0)
		field_err(v, field, "FieldValueInvalid", "Invalid value: \"%s\": " IMMUTABLE,
			  now ? now : "");
}

/* IsFullyQualifiedName: a DNS subdomain of at least three segments. */
static void fully_qualified(struct field_errs *v, const char *field, const char *name)
{
	int before = v->n;
	const char *p;
	int dots = 0;

	if (!name || !*name) {
		required(v, field, NULL);
		return;
	}
	valid_name(v, field, NAME_SUBDOMAIN, name, NULL);
	if (v->n != before)
		return;
	for (p = name; *p; p++)
		dots += *p == '.';
	if (dots < 2)
		field_err(v, field, "FieldValueInvalid",
			  "Invalid value: \"%s\": should be a domain with at least three segments "
			  "separated by dots",
			  name);
}

/* ---- admissionregistration.k8s.io ---------------------------------------------------- */

static const char *const failure_policies[] = {"Fail", "Ignore", NULL};
static const char *const match_policies[] = {"Equivalent", "Exact", NULL};

static void check_enum_at(struct field_errs *v, const char *base, const cJSON *o,
			  const char *key, const char *const *values)
{
	char f[256];

	if (!cJSON_IsString(get(o, key)))
		return;
	snprintf(f, sizeof(f), "%s%s", base, key);
	valid_enum(v, f, get(o, key)->valuestring, values);
}

static void check_rules(struct field_errs *v, const char *base, const cJSON *rules)
{
	static const char *const ops[] = {"*", "CONNECT", "CREATE", "DELETE", "UPDATE", NULL};
	const cJSON *r, *op;
	char f[256];
	int i = 0, j;

	cJSON_ArrayForEach(r, rules)
	{
		snprintf(f, sizeof(f), "%s[%d].operations", base, i);
		if (!cJSON_GetArraySize(get(r, "operations")))
			required(v, f, NULL);
		j = 0;
		cJSON_ArrayForEach(op, get(r, "operations"))
		{
			snprintf(f, sizeof(f), "%s[%d].operations[%d]", base, i, j++);
			if (cJSON_IsString(op))
				valid_enum(v, f, op->valuestring, ops);
		}
		i++;
	}
}

static void check_client_config(struct field_errs *v, const char *base, const cJSON *cc)
{
	char f[256];

	snprintf(f, sizeof(f), "%sclientConfig", base);
	if (has(cc, "url") == has(cc, "service"))
		required(v, f, "exactly one of url or service is required");
}

static void check_webhook(struct field_errs *v, int i, const cJSON *w, bool mutating)
{
	static const char *const side_effects[] = {"None", "NoneOnDryRun", NULL};
	static const char *const reinvocation[] = {"IfNeeded", "Never", NULL};
	const cJSON *t = get(w, "timeoutSeconds");
	char base[64], f[256];

	snprintf(base, sizeof(base), "webhooks[%d].", i);
	snprintf(f, sizeof(f), "%sname", base);
	fully_qualified(v, f, str_or(w, "name", NULL));
	snprintf(f, sizeof(f), "%srules", base);
	check_rules(v, f, get(w, "rules"));
	check_enum_at(v, base, w, "failurePolicy", failure_policies);
	check_enum_at(v, base, w, "matchPolicy", match_policies);
	snprintf(f, sizeof(f), "%ssideEffects", base);
	if (!has(w, "sideEffects"))
		required(v, f, "must specify one of None, NoneOnDryRun");
	check_enum_at(v, base, w, "sideEffects", side_effects);
	snprintf(f, sizeof(f), "%stimeoutSeconds", base);
	if (cJSON_IsNumber(t) && (t->valuedouble > 30 || t->valuedouble < 1))
		field_err(v, f, "FieldValueInvalid",
			  "Invalid value: %d: the timeout value must be between 1 and 30 seconds",
			  t->valueint);
	if (mutating)
		check_enum_at(v, base, w, "reinvocationPolicy", reinvocation);
	check_client_config(v, base, get(w, "clientConfig"));
	snprintf(f, sizeof(f), "%sadmissionReviewVersions", base);
	if (!cJSON_GetArraySize(get(w, "admissionReviewVersions")))
		required(v, f, "must specify one of v1, v1beta1");
}

static void check_webhook_config(struct field_errs *v, const cJSON *obj, bool mutating)
{
	const cJSON *w, *o;
	char f[64];
	int i = 0, j;

	cJSON_ArrayForEach(w, get(obj, "webhooks"))
	{
		const char *name = str_or(w, "name", "");

		check_webhook(v, i, w, mutating);
		j = 0;
		cJSON_ArrayForEach(o, get(obj, "webhooks"))
		{
			if (j++ >= i)
				break;
			if (*name && strcmp(str_or(o, "name", ""), name) == 0) {
				snprintf(f, sizeof(f), "webhooks[%d].name", i);
				field_err(v, f, "FieldValueDuplicate", "Duplicate value: \"%s\"", name);
				break;
			}
		}
		i++;
	}
}

static void check_vap(struct field_errs *v, const cJSON *obj)
{
	const cJSON *spec = get(obj, "spec"), *mc = get(spec, "matchConstraints"), *val;
	int i = 0;
	char f[64];

	check_enum_at(v, "spec.", spec, "failurePolicy", failure_policies);
	if (!cJSON_IsObject(mc))
		required(v, "spec.matchConstraints", NULL);
	else {
		check_enum_at(v, "spec.matchConstraints.", mc, "matchPolicy", match_policies);
		check_rules(v, "spec.matchConstraints.resourceRules", get(mc, "resourceRules"));
		if (!cJSON_GetArraySize(get(mc, "resourceRules")))
			required(v, "spec.matchConstraints.resourceRules", NULL);
	}
	if (!cJSON_GetArraySize(get(spec, "validations")) &&
	    !cJSON_GetArraySize(get(spec, "auditAnnotations"))) {
		required(v, "spec.validations",
			 "validations or auditAnnotations must contain at least one item");
		required(v, "spec.auditAnnotations",
			 "validations or auditAnnotations must contain at least one item");
		return;
	}
	cJSON_ArrayForEach(val, get(spec, "validations"))
	{
		snprintf(f, sizeof(f), "spec.validations[%d].expression", i++);
		if (!*str_or(val, "expression", ""))
			required(v, f, "expression is not specified");
	}
}

static void check_vap_binding(struct field_errs *v, const cJSON *obj)
{
	static const char *const actions[] = {"Audit", "Deny", "Warn", NULL};
	const cJSON *spec = get(obj, "spec"), *a;
	char f[64];
	int i = 0;

	if (!*str_or(spec, "policyName", ""))
		required(v, "spec.policyName", NULL);
	if (!cJSON_GetArraySize(get(spec, "validationActions")))
		required(v, "spec.validationActions", NULL);
	cJSON_ArrayForEach(a, get(spec, "validationActions"))
	{
		snprintf(f, sizeof(f), "spec.validationActions[%d]", i++);
		if (cJSON_IsString(a))
			valid_enum(v, f, a->valuestring, actions);
	}
}

/* ---- the others ---------------------------------------------------------------------- */

#define SYSTEM_PREFIX "system-"
#define HIGHEST_USER_PRIORITY 1000000000

static void check_priority_class(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	static const char *const policies[] = {"Never", "PreemptLowerPriority", NULL};
	const char *name = str_or(get(obj, "metadata"), "name", "");
	const cJSON *val = get(obj, "value");
	double value = cJSON_IsNumber(val) ? val->valuedouble : 0;
	double sys = admission_system_priority(name);

	if (strncmp(name, SYSTEM_PREFIX, strlen(SYSTEM_PREFIX)) == 0) {
		if (sys < 0)
			field_err(v, "metadata.name", "FieldValueForbidden",
				  "Forbidden: priority class names with '" SYSTEM_PREFIX "' prefix are "
				  "reserved for system use only. error: %s is not a known system "
				  "priority class",
				  name);
		else if (value != sys)
			field_err(v, "metadata.name", "FieldValueForbidden",
				  "Forbidden: priority class names with '" SYSTEM_PREFIX "' prefix are "
				  "reserved for system use only. error: value of %s PriorityClass must "
				  "be %.0f",
				  name, sys);
	} else if (value > HIGHEST_USER_PRIORITY)
		field_err(v, "value", "FieldValueForbidden",
			  "Forbidden: maximum allowed value of a user defined priority is %d",
			  HIGHEST_USER_PRIORITY);
	check_enum_at(v, "", obj, "preemptionPolicy", policies);
	if (!old)
		return;
	if (!cJSON_Compare(val, get(old, "value"), true))
		field_err(v, "value", "FieldValueForbidden", "Forbidden: may not be changed in an update.");
	immutable_str(v, "preemptionPolicy", str_or(obj, "preemptionPolicy", NULL),
		      str_or(old, "preemptionPolicy", NULL));
}

/* IsDomainPrefixedPath, and at most 250 characters (validateIngressClassSpec). */
static void check_ingress_class(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	const char *c = str_or(get(obj, "spec"), "controller", "");
	const char *slash = strchr(c, '/');
	char host[256];

	if (strlen(c) > 250)
		field_err(v, "spec.controller", "FieldValueTooLong",
			  "Too long: may not be more than 250 bytes");
	if (!*c)
		required(v, "spec.controller", NULL);
	else if (!slash || slash == c || !slash[1])
		field_err(v, "spec.controller", "FieldValueInvalid",
			  "Invalid value: \"%s\": must be a domain-prefixed path (such as "
			  "\"acme.io/foo\")",
			  c);
	else {
		snprintf(host, sizeof(host), "%.*s", (int)(slash - c), c);
		valid_name(v, "spec.controller", NAME_SUBDOMAIN, host, NULL);
	}
	if (old)
		immutable_str(v, "spec.controller", c, str_or(get(old, "spec"), "controller", ""));
}

static void check_endpoint_slice(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	static const char *const types[] = {"FQDN", "IPv4", "IPv6", NULL};
	static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};
	const char *type = str_or(obj, "addressType", "");
	const cJSON *ep, *p;
	char f[64];
	int i = 0;

	if (!*type)
		required(v, "addressType", NULL);
	else
		valid_enum(v, "addressType", type, types);
	cJSON_ArrayForEach(ep, get(obj, "endpoints"))
	{
		int n = cJSON_GetArraySize(get(ep, "addresses"));

		snprintf(f, sizeof(f), "endpoints[%d].addresses", i++);
		if (n == 0)
			required(v, f, "must contain at least 1 address");
		else if (n > 100)
			field_err(v, f, "FieldValueTooMany",
				  "Too many: %d: must have at most 100 items", n);
	}
	i = 0;
	cJSON_ArrayForEach(p, get(obj, "ports"))
	{
		snprintf(f, sizeof(f), "ports[%d].", i);
		check_enum_at(v, f, p, "protocol", protocols);
		if (has(p, "port")) {
			snprintf(f, sizeof(f), "ports[%d].port", i);
			valid_port_num(v, f, get(p, "port"));
		}
		i++;
	}
	if (old && *type)
		immutable_str(v, "addressType", type, str_or(old, "addressType", ""));
}

static void check_csi_driver(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	static const char *const fs_policies[] = {"File", "None", "ReadWriteOnceWithFSType",
						  NULL};
	static const char *const modes[] = {"Ephemeral", "Persistent", NULL};
	const cJSON *spec = get(obj, "spec"), *m;
	const char *name = str_or(get(obj, "metadata"), "name", "");
	char f[64];
	int i = 0;

	if (strlen(name) > 63)
		field_err(v, "metadata.name", "FieldValueTooLong",
			  "Too long: may not be more than 63 bytes");
	check_enum_at(v, "spec.", spec, "fsGroupPolicy", fs_policies);
	cJSON_ArrayForEach(m, get(spec, "volumeLifecycleModes"))
	{
		snprintf(f, sizeof(f), "spec.volumeLifecycleModes[%d]", i++);
		if (cJSON_IsString(m))
			valid_enum(v, f, m->valuestring, modes);
	}
	if (old && !cJSON_Compare(get(spec, "attachRequired"),
				  get(get(old, "spec"), "attachRequired"), true))
		field_err(v, "spec.attachRequired", "FieldValueInvalid",
			  "Invalid value: %s: " IMMUTABLE,
			  cJSON_IsTrue(get(spec, "attachRequired")) ? "true" : "false");
}

static void check_runtime_class(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	const char *h = str_or(obj, "handler", "");

	valid_name(v, "handler", NAME_LABEL, h, NULL);
	if (old)
		immutable_str(v, "handler", h, str_or(old, "handler", ""));
}

/* ValidateAPIService: the name is spec.version + "." + spec.group; priorities in range;
 * a local service has no CA bundle. */
static void check_apiservice(struct field_errs *v, const cJSON *obj)
{
	const cJSON *spec = get(obj, "spec");
	const char *group = str_or(spec, "group", ""), *version = str_or(spec, "version", "");
	const char *name = str_or(get(obj, "metadata"), "name", "");
	const cJSON *gp = get(spec, "groupPriorityMinimum"), *vp = get(spec, "versionPriority");
	double g = cJSON_IsNumber(gp) ? gp->valuedouble : 0;
	double vv = cJSON_IsNumber(vp) ? vp->valuedouble : 0;
	char want[300];

	snprintf(want, sizeof(want), "%s.%s", version, group);
	if (*name && !strchr(name, '/') && !strchr(name, '%') && strcmp(name, ".") &&
	    strcmp(name, "..") && strcmp(name, want) != 0)
		field_err(v, "metadata.name", "FieldValueInvalid",
			  "Invalid value: \"%s\": must be `spec.version+\".\"+spec.group`: \"%s\"",
			  name, want);
	if (!*group && strcmp(version, "v1") != 0)
		required(v, "spec.group", "only v1 may have an empty group and it better be legacy kube");
	if (*group)
		valid_name(v, "spec.group", NAME_SUBDOMAIN, group, NULL);
	valid_name(v, "spec.version", NAME_DNS1035, version, NULL);
	if (g <= 0 || g > 20000)
		field_err(v, "spec.groupPriorityMinimum", "FieldValueInvalid",
			  "Invalid value: %.0f: must be positive and less than 20000", g);
	if (vv <= 0 || vv > 1000)
		field_err(v, "spec.versionPriority", "FieldValueInvalid",
			  "Invalid value: %.0f: must be positive and less than 1000", vv);
	if (!has(spec, "service") && *str_or(spec, "caBundle", ""))
		field_err(v, "spec.caBundle", "FieldValueInvalid",
			  "Invalid value: \"%zu bytes\": local APIServices may not have a caBundle",
			  strlen(str_or(spec, "caBundle", "")) * 3 / 4);
	if (!has(spec, "service") && cJSON_IsTrue(get(spec, "insecureSkipTLSVerify")))
		field_err(v, "spec.insecureSkipTLSVerify", "FieldValueInvalid",
			  "Invalid value: true: local APIServices may not have insecureSkipTLSVerify");
}

static bool is(const struct restype *rt, const char *group, const char *kind)
{
	return !rt->custom && strcmp(rt->group, group) == 0 && strcmp(rt->kind, kind) == 0;
}

#define ADM "admissionregistration.k8s.io"

bool validate_cluster_kind(struct field_errs *v, const struct restype *rt, const cJSON *obj,
			   const cJSON *old)
{
	if (is(rt, ADM, "ValidatingWebhookConfiguration"))
		check_webhook_config(v, obj, false);
	else if (is(rt, ADM, "MutatingWebhookConfiguration"))
		check_webhook_config(v, obj, true);
	else if (is(rt, ADM, "ValidatingAdmissionPolicy"))
		check_vap(v, obj);
	else if (is(rt, ADM, "ValidatingAdmissionPolicyBinding"))
		check_vap_binding(v, obj);
	else if (is(rt, "scheduling.k8s.io", "PriorityClass"))
		check_priority_class(v, obj, old);
	else if (is(rt, "networking.k8s.io", "IngressClass"))
		check_ingress_class(v, obj, old);
	else if (is(rt, "discovery.k8s.io", "EndpointSlice"))
		check_endpoint_slice(v, obj, old);
	else if (is(rt, "storage.k8s.io", "CSIDriver"))
		check_csi_driver(v, obj, old);
	else if (is(rt, "node.k8s.io", "RuntimeClass"))
		check_runtime_class(v, obj, old);
	else if (is(rt, "apiregistration.k8s.io", "APIService"))
		check_apiservice(v, obj);
	else
		return false;
	return true;
}
