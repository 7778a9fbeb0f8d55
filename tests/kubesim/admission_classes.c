/*
 * admission_classes: the Priority and DefaultIngressClass admission plugins (see
 * admission_classes.h).
 * Webhooks and ValidatingAdmissionPolicies are stored but never called or evaluated.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission_classes.h"
#include "store_int.h"

#define DEFAULT_CLASS_ANNOTATION "ingressclass.kubernetes.io/is-default-class"

static const struct {
	const char *name, *description;
	double value;
} system_classes[] = {
	{"system-node-critical",
	 "Used for system critical pods that must not be moved from their current node.",
	 2000001000},
	{"system-cluster-critical",
	 "Used for system critical pods that must run in the cluster, but can be moved to "
	 "another node if necessary.",
	 2000000000},
};

double admission_system_priority(const char *name)
{
	for (size_t i = 0; i < sizeof(system_classes) / sizeof(system_classes[0]); i++)
		if (name && strcmp(name, system_classes[i].name) == 0)
			return system_classes[i].value;
	return -1;
}

static const cJSON *get(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

static const char *str_at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = get(b ? get(o, a) : o, b ? b : a);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static bool is(const struct restype *rt, const char *group, const char *resource)
{
	return !rt->custom && strcmp(rt->group, group) == 0 && strcmp(rt->resource, resource) == 0;
}

/* admission.NewForbidden: "<resource>[.<group>] \"<name>\" is forbidden: <why>". */
static int forbidden(struct kstatus *e, const struct restype *rt, const cJSON *obj,
		     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static int forbidden(struct kstatus *e, const struct restype *rt, const cJSON *obj,
		     const char *fmt, ...)
{
	const char *name = str_at(obj, "metadata", "name");
	char why[600];
	va_list ap;
	int rc;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rc = kstatus_set(e, 403, "Forbidden", "%s%s%s \"%s\" is forbidden: %s", rt->resource,
			 *rt->group ? "." : "", rt->group, name ? name : "", why);
	if (e && e->code == 403 && !e->kind[0]) {
		snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
		snprintf(e->group, sizeof(e->group), "%s", rt->group);
		snprintf(e->kind, sizeof(e->kind), "%s", rt->resource);
	}
	return rc;
}

/* getDefaultPriorityClass: of the classes marked globalDefault, the lowest value. */
static const cJSON *default_priority_class(struct store *st, const struct restype *pcs)
{
	const cJSON **all = NULL, *best = NULL;
	size_t n = store_list(st, pcs, NULL, &all);

	for (size_t i = 0; i < n; i++) {
		const cJSON *v = get(all[i], "value");

		if (!cJSON_IsTrue(get(all[i], "globalDefault")))
			continue;
		if (!best || (cJSON_IsNumber(v) && v->valuedouble < get(best, "value")->valuedouble))
			best = all[i];
	}
	free(all);
	return best;
}

static void set_item(cJSON *o, const char *k, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, k);
	cJSON_AddItemToObject(o, k, v);
}

/* admitPod on create: priority (and preemptionPolicy) from the class named, else from the
 * global default, else 0; a client-set priority must agree. On update the old values
 * stay when the new pod omits them. */
static int admit_pod(struct store *st, const struct restype *rt, cJSON *pod, const cJSON *old,
		     struct kstatus *e)
{
	const struct restype *pcs = store_type(st, "scheduling.k8s.io", "priorityclasses");
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(pod, "spec");
	const char *cname = str_at(spec, "priorityClassName", NULL);
	const cJSON *pc = NULL, *have = get(spec, "priority"), *ospec = get(old, "spec");
	const char *policy = "PreemptLowerPriority", *want_policy;
	double prio = 0;

	if (!cJSON_IsObject(spec) || !pcs)
		return 0;
	if (old) {
		if (!have && get(ospec, "priority"))
			set_item(spec, "priority", cJSON_Duplicate(get(ospec, "priority"), 1));
		if (!get(spec, "preemptionPolicy") && get(ospec, "preemptionPolicy"))
			set_item(spec, "preemptionPolicy",
				 cJSON_Duplicate(get(ospec, "preemptionPolicy"), 1));
		return 0;
	}
	if (cname && *cname) {
		pc = store_get(st, pcs, NULL, cname);
		if (!pc)
			return forbidden(e, rt, pod, "no PriorityClass with name %s was found", cname);
	} else
		pc = default_priority_class(st, pcs);
	if (pc) {
		prio = cJSON_IsNumber(get(pc, "value")) ? get(pc, "value")->valuedouble : 0;
		policy = str_at(pc, "preemptionPolicy", NULL);
		if (!cname || !*cname)
			cJSON_AddStringToObject(spec, "priorityClassName", str_at(pc, "metadata", "name"));
	}
	if (cJSON_IsNumber(have) && have->valuedouble != prio)
		return forbidden(e, rt, pod,
				 "the integer value of priority (%.0f) must not be provided in pod "
				 "spec; priority admission controller computed %.0f from the given "
				 "PriorityClass name",
				 have->valuedouble, prio);
	set_item(spec, "priority", cJSON_CreateNumber(prio));
	want_policy = str_at(spec, "preemptionPolicy", NULL);
	if (want_policy && policy && strcmp(want_policy, policy) != 0)
		return forbidden(e, rt, pod,
				 "the string value of PreemptionPolicy (%s) must not be provided in "
				 "pod spec; priority admission controller computed %s from the given "
				 "PriorityClass name",
				 want_policy, policy);
	if (policy)
		set_item(spec, "preemptionPolicy", cJSON_CreateString(policy));
	return 0;
}

/* validatePriorityClass: a second global default is refused. */
static int admit_priority_class(struct store *st, const struct restype *rt, const cJSON *pc,
				const cJSON *old, struct kstatus *e)
{
	const cJSON *dpc;
	const char *name = str_at(pc, "metadata", "name"), *dname;

	if (!cJSON_IsTrue(get(pc, "globalDefault")))
		return 0;
	dpc = default_priority_class(st, rt);
	dname = dpc ? str_at(dpc, "metadata", "name") : NULL;
	if (dname && (!old || !name || strcmp(dname, name) != 0))
		return forbidden(e, rt, pc,
				 "PriorityClass %s is already marked as default. Only one default "
				 "can exist",
				 dname);
	return 0;
}

/* DefaultIngressClass on create: a class-less Ingress gets the default class, the most
 * recently created when several claim it. */
static void admit_ingress(struct store *st, cJSON *ing)
{
	const struct restype *ics = store_type(st, "networking.k8s.io", "ingressclasses");
	cJSON *spec = cJSON_GetObjectItemCaseSensitive(ing, "spec");
	const cJSON **all = NULL, *best = NULL;
	size_t n;

	if (!ics || !cJSON_IsObject(spec) || str_at(spec, "ingressClassName", NULL) ||
	    str_at(get(ing, "metadata"), "annotations", "kubernetes.io/ingress.class"))
		return;
	n = store_list(st, ics, NULL, &all);
	for (size_t i = 0; i < n; i++) {
		const char *d = str_at(get(all[i], "metadata"), "annotations",
				       DEFAULT_CLASS_ANNOTATION);
		const char *t = str_at(all[i], "metadata", "creationTimestamp");

		if (!d || strcmp(d, "true") != 0)
			continue;
		if (!best || strcmp(t ? t : "", str_at(best, "metadata", "creationTimestamp")) >= 0)
			best = all[i];
	}
	if (best)
		cJSON_AddStringToObject(spec, "ingressClassName", str_at(best, "metadata", "name"));
	free(all);
}

int admission_classes_run(struct store *st, const struct restype *rt, cJSON *obj, const cJSON *old,
		  struct kstatus *e)
{
	if (is(rt, "", "pods"))
		return admit_pod(st, rt, obj, old, e);
	if (is(rt, "scheduling.k8s.io", "priorityclasses"))
		return admit_priority_class(st, rt, obj, old, e);
	if (is(rt, "networking.k8s.io", "ingresses") && !old)
		admit_ingress(st, obj);
	return 0;
}

void admission_classes_bootstrap(struct store *st)
{
	const struct restype *rt = store_type(st, "scheduling.k8s.io", "priorityclasses");

	for (size_t i = 0; rt && i < sizeof(system_classes) / sizeof(system_classes[0]); i++) {
		struct store_wopts w = {.manager = "kube-apiserver", .grace_seconds = -1};
		cJSON *o = cJSON_CreateObject(), *meta = cJSON_AddObjectToObject(o, "metadata");

		cJSON_AddStringToObject(o, "apiVersion", "scheduling.k8s.io/v1");
		cJSON_AddStringToObject(o, "kind", "PriorityClass");
		cJSON_AddStringToObject(meta, "name", system_classes[i].name);
		cJSON_AddNumberToObject(o, "value", system_classes[i].value);
		cJSON_AddStringToObject(o, "description", system_classes[i].description);
		cJSON_AddBoolToObject(o, "globalDefault", false);
		store_create(st, rt, NULL, o, &w, NULL, NULL);
		cJSON_Delete(o);
	}
}
