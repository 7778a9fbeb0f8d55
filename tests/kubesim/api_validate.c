/*
 * api_validate: unknown-field handling of the typed decode (§2.4). The real server
 * decodes built-in kinds into Go structs, so unknown fields vanish; fieldValidation
 * decides whether that is an error (Strict: 400 "strict decoding error: unknown field
 * \"spec.foo\""), a Warning header (Warn, the default) or silent (Ignore). Apply
 * patches are always strict ("field not declared in schema"). The field lists cover
 * object metadata, the workload specs, pod templates, pod specs and containers; deeper
 * structures and custom resources are not checked.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "store_int.h"

/* Field lists are space-separated words: " name image ports ". */

struct vtype {
	const char *name;
	const char *fields;
};

static const struct vtype types[] = {
	{"ObjectMeta", " name generateName namespace selfLink uid resourceVersion generation creationTimestamp deletionTimestamp deletionGracePeriodSeconds labels annotations ownerReferences finalizers managedFields "},
	{"DeploymentSpec", " replicas selector template strategy minReadySeconds revisionHistoryLimit paused progressDeadlineSeconds "},
	{"ReplicaSetSpec", " replicas minReadySeconds selector template "},
	{"StatefulSetSpec", " replicas selector template volumeClaimTemplates serviceName podManagementPolicy updateStrategy revisionHistoryLimit minReadySeconds persistentVolumeClaimRetentionPolicy ordinals "},
	{"DaemonSetSpec", " selector template updateStrategy minReadySeconds revisionHistoryLimit "},
	{"JobSpec", " parallelism completions activeDeadlineSeconds podFailurePolicy successPolicy backoffLimit backoffLimitPerIndex maxFailedIndexes selector manualSelector template ttlSecondsAfterFinished completionMode suspend podReplacementPolicy managedBy "},
	{"CronJobSpec", " schedule timeZone startingDeadlineSeconds concurrencyPolicy suspend jobTemplate successfulJobsHistoryLimit failedJobsHistoryLimit "},
	{"ServiceSpec", " ports selector clusterIP clusterIPs type externalIPs sessionAffinity loadBalancerIP loadBalancerSourceRanges externalName externalTrafficPolicy healthCheckNodePort publishNotReadyAddresses sessionAffinityConfig ipFamilies ipFamilyPolicy allocateLoadBalancerNodePorts loadBalancerClass internalTrafficPolicy trafficDistribution "},
	{"NamespaceSpec", " finalizers "},
	{"PodTemplateSpec", " metadata spec "},
	{"JobTemplateSpec", " metadata spec "},
	{"PodSpec", " volumes initContainers containers ephemeralContainers restartPolicy terminationGracePeriodSeconds activeDeadlineSeconds dnsPolicy nodeSelector serviceAccountName serviceAccount automountServiceAccountToken nodeName hostNetwork hostPID hostIPC shareProcessNamespace securityContext imagePullSecrets hostname subdomain affinity schedulerName tolerations hostAliases priorityClassName priority dnsConfig readinessGates runtimeClassName enableServiceLinks preemptionPolicy overhead topologySpreadConstraints setHostnameAsFQDN os hostUsers schedulingGates resourceClaims resources "},
	{"Container", " name image command args workingDir ports envFrom env resources resizePolicy restartPolicy volumeMounts volumeDevices livenessProbe readinessProbe startupProbe lifecycle terminationMessagePath terminationMessagePolicy imagePullPolicy securityContext stdin stdinOnce tty "},
};

/* Which type a field of a type has (NULL = not checked further). */
static const struct {
	const char *parent, *field, *type;
	bool list;
} edges[] = {
	{"*", "metadata", "ObjectMeta", false},
	{"DeploymentSpec", "template", "PodTemplateSpec", false},
	{"ReplicaSetSpec", "template", "PodTemplateSpec", false},
	{"StatefulSetSpec", "template", "PodTemplateSpec", false},
	{"DaemonSetSpec", "template", "PodTemplateSpec", false},
	{"JobSpec", "template", "PodTemplateSpec", false},
	{"CronJobSpec", "jobTemplate", "JobTemplateSpec", false},
	{"JobTemplateSpec", "spec", "JobSpec", false},
	{"PodTemplateSpec", "spec", "PodSpec", false},
	{"PodSpec", "containers", "Container", true},
	{"PodSpec", "initContainers", "Container", true},
};

static const struct vtype *vtype_get(const char *name)
{
	for (size_t i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

static const char *edge(const char *parent, const char *field, bool *list)
{
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if ((strcmp(edges[i].parent, "*") == 0 || strcmp(edges[i].parent, parent) == 0) &&
		    strcmp(edges[i].field, field) == 0) {
			*list = edges[i].list;
			return edges[i].type;
		}
	return NULL;
}

/* Root fields and the type of spec for a built-in kind; false when not checked. */
static bool root_of(const struct restype *rt, const char **fields, const char **spec)
{
	static const struct {
		const char *res, *spec;
		const char *fields;
	} roots[] = {
		{"deployments", "DeploymentSpec", " spec status "},
		{"replicasets", "ReplicaSetSpec", " spec status "},
		{"statefulsets", "StatefulSetSpec", " spec status "},
		{"daemonsets", "DaemonSetSpec", " spec status "},
		{"jobs", "JobSpec", " spec status "},
		{"cronjobs", "CronJobSpec", " spec status "},
		{"pods", "PodSpec", " spec status "},
		{"services", "ServiceSpec", " spec status "},
		{"namespaces", "NamespaceSpec", " spec status "},
		{"configmaps", NULL, " data binaryData immutable "},
		{"secrets", NULL, " data stringData type immutable "},
		{"serviceaccounts", NULL, " secrets imagePullSecrets automountServiceAccountToken "},
		{"roles", NULL, " rules "},
		{"clusterroles", NULL, " rules aggregationRule "},
		{"rolebindings", NULL, " roleRef subjects "},
		{"clusterrolebindings", NULL, " roleRef subjects "},
		{"controllerrevisions", NULL, " data revision "},
		{"endpoints", NULL, " subsets "},
		{"leases", NULL, " spec "},
		{"ingresses", NULL, " spec status "},
		{"networkpolicies", NULL, " spec "},
		{"poddisruptionbudgets", NULL, " spec status "},
		{"persistentvolumeclaims", NULL, " spec status "},
		{"customresourcedefinitions", NULL, " spec status "},
	};

	if (rt->custom)
		return false;
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strcmp(roots[i].res, rt->resource) == 0) {
			*fields = roots[i].fields;
			*spec = roots[i].spec;
			return true;
		}
	return false;
}

static bool listed(const char *l, const char *s)
{
	char w[160];

	if (!l || strlen(s) + 3 > sizeof(w))
		return false;
	snprintf(w, sizeof(w), " %s ", s);
	return strstr(l, w) != NULL;
}

struct unknowns {
	char msg[900];
	size_t len;
	char first[256]; /* path of the first unknown field */
	int n;
};

static void note(struct unknowns *u, const char *path, const char *field)
{
	if (!u->n++)
		snprintf(u->first, sizeof(u->first), "%s%s%s", path, *path ? "." : "", field);
	if (u->len < sizeof(u->msg))
		u->len += snprintf(u->msg + u->len, sizeof(u->msg) - u->len,
				   "%sunknown field \"%s%s%s\"", u->len ? ", " : "", path,
				   *path ? "." : "", field);
}

static void walk(cJSON *obj, const char *type, const char *fields, const char *path,
		 struct unknowns *u, int depth);

static void walk_child(cJSON *v, const char *type, const char *path, const char *field,
		       bool list, struct unknowns *u, int depth)
{
	const struct vtype *t = vtype_get(type);
	char sub[512];
	cJSON *it;
	int i = 0;

	if (!t)
		return;
	if (!list) {
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", field);
		walk(v, t->name, t->fields, sub, u, depth + 1);
		return;
	}
	cJSON_ArrayForEach(it, v)
	{
		snprintf(sub, sizeof(sub), "%s%s%s[%d]", path, *path ? "." : "", field, i++);
		walk(it, t->name, t->fields, sub, u, depth + 1);
	}
}

/* Notes and drops unknown fields of obj (of type `type`), recursing along edges. */
static void walk(cJSON *obj, const char *type, const char *fields, const char *path,
		 struct unknowns *u, int depth)
{
	cJSON *it, *next;

	if (!cJSON_IsObject(obj) || depth > 8)
		return;
	for (it = obj->child; it; it = next) {
		const char *child;
		bool list = false;

		next = it->next;
		if (!listed(fields, it->string)) {
			note(u, path, it->string);
			cJSON_DeleteItemFromObjectCaseSensitive(obj, it->string);
			continue;
		}
		child = edge(type, it->string, &list);
		if (child)
			walk_child(it, child, path, it->string, list, u, depth);
	}
}

/* Runs the walk for a whole object; false when the kind is not checked. */
static bool check_object(const struct restype *rt, cJSON *obj, struct unknowns *u)
{
	const char *extra, *spec;
	char fields[256];

	if (!root_of(rt, &extra, &spec))
		return false;
	snprintf(fields, sizeof(fields), " apiVersion kind metadata%s", extra);
	walk(obj, "root", fields, "", u, 0);
	if (spec) {
		const struct vtype *t = vtype_get(spec);

		walk(cJSON_GetObjectItem(obj, "spec"), t->name, t->fields, "spec", u, 1);
	}
	return true;
}

static bool string_map(const cJSON *m)
{
	const cJSON *it;

	if (!m || cJSON_IsNull(m))
		return true;
	if (!cJSON_IsObject(m))
		return false;
	cJSON_ArrayForEach(it, m)
	{
		if (!cJSON_IsString(it))
			return false;
	}
	return true;
}

static bool array_of(const cJSON *a, int type)
{
	const cJSON *it;

	if (!a || cJSON_IsNull(a))
		return true;
	if (!cJSON_IsArray(a))
		return false;
	cJSON_ArrayForEach(it, a)
	{
		if ((it->type & 0xff) != type)
			return false;
	}
	return true;
}

/* ObjectMeta's fields that are not plain objects: strings, string maps, arrays. */
static const char *meta_shape_error(const cJSON *m)
{
	static const char *const strs[] = {"name", "generateName", "namespace", "uid",
					   "resourceVersion"};
	static const struct {
		const char *key, *path;
		int type; /* of the items */
	} arrays[] = {{"finalizers", "metadata.finalizers", cJSON_String},
		      {"ownerReferences", "metadata.ownerReferences", cJSON_Object},
		      {"managedFields", "metadata.managedFields", cJSON_Object}};

	if (!cJSON_IsObject(m))
		return "metadata";
	for (size_t i = 0; i < sizeof(strs) / sizeof(strs[0]); i++) {
		const cJSON *v = cJSON_GetObjectItem(m, strs[i]);

		if (v && !cJSON_IsString(v) && !cJSON_IsNull(v))
			return strs[i];
	}
	if (!string_map(cJSON_GetObjectItem(m, "labels")))
		return "metadata.labels";
	if (!string_map(cJSON_GetObjectItem(m, "annotations")))
		return "metadata.annotations";
	for (size_t i = 0; i < sizeof(arrays) / sizeof(arrays[0]); i++)
		if (!array_of(cJSON_GetObjectItem(m, arrays[i].key), arrays[i].type))
			return arrays[i].path;
	return NULL;
}

/* The string maps of the built-in kinds that have them at the top. */
static const char *kind_shape_error(const struct restype *rt, const cJSON *obj)
{
	static const struct {
		const char *resource, *field;
	} maps[] = {{"configmaps", "data"}, {"secrets", "data"}, {"secrets", "stringData"}};

	if (rt->custom || *rt->group)
		return NULL;
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++)
		if (strcmp(rt->resource, maps[i].resource) == 0 &&
		    !string_map(cJSON_GetObjectItem(obj, maps[i].field)))
			return maps[i].field;
	return NULL;
}

/* The JSON types the Go structs insist on, for the fields every kind shares. */
static const char *shape_error(const struct restype *rt, const cJSON *obj)
{
	const cJSON *m = cJSON_GetObjectItem(obj, "metadata");
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");
	const char *bad;

	if (!cJSON_IsObject(obj))
		return "the object";
	if (m && (bad = meta_shape_error(m)))
		return bad;
	if (spec && !cJSON_IsObject(spec) && !cJSON_IsNull(spec))
		return "spec";
	return kind_shape_error(rt, obj);
}

static int check_shape(const struct restype *rt, const cJSON *obj, struct kstatus *e)
{
	const char *bad = shape_error(rt, obj);

	if (!bad)
		return 0;
	return kstatus_set(e, 400, "BadRequest",
			   "%s in version \"%s\" cannot be handled as a %s: json: cannot unmarshal "
			   "%s: wrong type",
			   rt->kind, rt->version, rt->kind, bad);
}

int api_field_validation(struct req *r, const struct restype *rt, cJSON *obj, struct kstatus *e)
{
	const char *mode = req_arg(r, "fieldValidation");
	struct unknowns u = {0};
	char hdr[1024];
	int rc;

	if ((rc = check_shape(rt, obj, e)) < 0)
		return rc;
	if (!check_object(rt, obj, &u) || !u.n || (mode && strcmp(mode, "Ignore") == 0))
		return 0;
	if (mode && strcmp(mode, "Strict") == 0)
		return kstatus_set(e, 400, "BadRequest", "strict decoding error: %s", u.msg);
	{
		/* RFC 7234 warn-text is a quoted-string: inner quotes are escaped. */
		size_t n = (size_t)snprintf(hdr, sizeof(hdr), "299 - \"");

		for (const char *q = u.msg; *q && n + 4 < sizeof(hdr); q++) {
			if (*q == '"' || *q == '\\')
				hdr[n++] = '\\';
			hdr[n++] = *q;
		}
		snprintf(hdr + n, sizeof(hdr) - n, "\"");
	}
	reply_add_header(r, "Warning", hdr);
	return 0;
}

int api_apply_schema_check(const struct restype *rt, cJSON *config, struct kstatus *e)
{
	const cJSON *m = cJSON_GetObjectItem(config, "metadata");
	struct unknowns u = {0};
	int rc;

	if ((rc = check_shape(rt, config, e)) < 0)
		return rc;
	if (!check_object(rt, config, &u) || !u.n)
		return 0;
	/* structuredmerge.go Apply returns a plain error (no API status), which the handler
	 * turns into 500 with no reason; the object is named from the patch body
	 * (objectGVKNN: "ns/name; group/version, Kind=K", "/v1" for the core group). */
	return kstatus_set(e, 500, "",
			   "failed to create typed patch object (%s/%s; %s/%s, Kind=%s): .%s: field "
			   "not declared in schema",
			   obj_str(m, "namespace", NULL) ?: "", obj_str(m, "name", NULL) ?: "",
			   rt->group, rt->version, rt->kind, u.first);
}
