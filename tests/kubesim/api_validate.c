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
#include "field_err.h"
#include "store_int.h"

/* Field lists are space-separated words, each "name" or "name:GoType" when the decode
 * checks the value's type (api_decode.c): " replicas:int32 selector template ". */

struct vtype {
	const char *name;
	const char *fields;
};

static const struct vtype types[] = {
	{"ObjectMeta", " name:string generateName:string namespace:string selfLink:string uid:string resourceVersion:string generation:int64 creationTimestamp deletionTimestamp deletionGracePeriodSeconds:int64 labels:map[string]string annotations:map[string]string ownerReferences:[]v1.OwnerReference finalizers:[]string managedFields:[]v1.ManagedFieldsEntry "},
	{"DeploymentSpec", " replicas:int32 selector template strategy minReadySeconds:int32 revisionHistoryLimit:int32 paused:bool progressDeadlineSeconds:int32 "},
	{"ReplicaSetSpec", " replicas:int32 minReadySeconds:int32 selector template "},
	{"StatefulSetSpec", " replicas:int32 selector template volumeClaimTemplates serviceName:string podManagementPolicy:string updateStrategy revisionHistoryLimit:int32 minReadySeconds:int32 persistentVolumeClaimRetentionPolicy ordinals "},
	{"DaemonSetSpec", " selector template updateStrategy minReadySeconds:int32 revisionHistoryLimit:int32 "},
	{"JobSpec", " parallelism:int32 completions:int32 activeDeadlineSeconds:int64 podFailurePolicy successPolicy backoffLimit:int32 backoffLimitPerIndex:int32 maxFailedIndexes:int32 selector manualSelector:bool template ttlSecondsAfterFinished:int32 completionMode:string suspend:bool podReplacementPolicy:string managedBy:string "},
	{"CronJobSpec", " schedule:string timeZone:string startingDeadlineSeconds:int64 concurrencyPolicy:string suspend:bool jobTemplate successfulJobsHistoryLimit:int32 failedJobsHistoryLimit:int32 "},
	{"ServiceSpec", " ports selector:map[string]string clusterIP:string clusterIPs:[]string type:string externalIPs:[]string sessionAffinity:string loadBalancerIP:string loadBalancerSourceRanges:[]string externalName:string externalTrafficPolicy:string healthCheckNodePort:int32 publishNotReadyAddresses:bool sessionAffinityConfig ipFamilies:[]string ipFamilyPolicy:string allocateLoadBalancerNodePorts:bool loadBalancerClass:string internalTrafficPolicy:string trafficDistribution:string "},
	{"ServicePort", " name:string protocol:string appProtocol:string port:int32 targetPort nodePort:int32 "},
	{"NamespaceSpec", " finalizers:[]string "},
	{"HorizontalPodAutoscalerSpec", " scaleTargetRef minReplicas:int32 maxReplicas:int32 targetCPUUtilizationPercentage:int32 "},
	{"PodTemplateSpec", " metadata spec "},
	{"JobTemplateSpec", " metadata spec "},
	{"PodSpec", " volumes initContainers containers ephemeralContainers restartPolicy:string terminationGracePeriodSeconds:int64 activeDeadlineSeconds:int64 dnsPolicy:string nodeSelector:map[string]string serviceAccountName:string serviceAccount:string automountServiceAccountToken:bool nodeName:string hostNetwork:bool hostPID:bool hostIPC:bool shareProcessNamespace:bool securityContext imagePullSecrets hostname:string subdomain:string affinity schedulerName:string tolerations hostAliases priorityClassName:string priority:int32 dnsConfig readinessGates runtimeClassName:string enableServiceLinks:bool preemptionPolicy:string overhead:v1.ResourceList topologySpreadConstraints setHostnameAsFQDN:bool os hostUsers:bool schedulingGates resourceClaims resources "},
	{"Container", " name:string image:string command:[]string args:[]string workingDir:string ports envFrom env resources resizePolicy restartPolicy:string volumeMounts volumeDevices livenessProbe readinessProbe startupProbe lifecycle terminationMessagePath:string terminationMessagePolicy:string imagePullPolicy:string securityContext stdin:bool stdinOnce:bool tty:bool "},
	{"ContainerPort", " name:string hostPort:int32 containerPort:int32 protocol:string hostIP:string "},
	{"ResourceRequirements", " limits:v1.ResourceList requests:v1.ResourceList claims "},
};

/* Which type a field of a type has (NULL = not checked further); key names the field that
 * structured-merge-diff keys the list's items by ("name" -> [name="web"]). */
static const struct {
	const char *parent, *field, *type;
	bool list;
	const char *key;
} edges[] = {
	{"*", "metadata", "ObjectMeta", false, NULL},
	{"DeploymentSpec", "template", "PodTemplateSpec", false, NULL},
	{"ReplicaSetSpec", "template", "PodTemplateSpec", false, NULL},
	{"StatefulSetSpec", "template", "PodTemplateSpec", false, NULL},
	{"DaemonSetSpec", "template", "PodTemplateSpec", false, NULL},
	{"JobSpec", "template", "PodTemplateSpec", false, NULL},
	{"CronJobSpec", "jobTemplate", "JobTemplateSpec", false, NULL},
	{"JobTemplateSpec", "spec", "JobSpec", false, NULL},
	{"PodTemplateSpec", "spec", "PodSpec", false, NULL},
	{"PodSpec", "containers", "Container", true, "name"},
	{"PodSpec", "initContainers", "Container", true, "name"},
	{"Container", "ports", "ContainerPort", true, "containerPort"},
	{"Container", "resources", "ResourceRequirements", false, NULL},
	{"ServiceSpec", "ports", "ServicePort", true, "port"},
};

static const struct vtype *vtype_get(const char *name)
{
	for (size_t i = 0; name && i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(types[i].name, name) == 0)
			return &types[i];
	return NULL;
}

static int edge(const char *parent, const char *field)
{
	for (size_t i = 0; i < sizeof(edges) / sizeof(edges[0]); i++)
		if ((strcmp(edges[i].parent, "*") == 0 || strcmp(edges[i].parent, parent) == 0) &&
		    strcmp(edges[i].field, field) == 0)
			return (int)i;
	return -1;
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
		{"configmaps", NULL, " data:map[string]string binaryData:map[string][]uint8 immutable:bool "},
		{"secrets", NULL, " data:map[string][]uint8 stringData:map[string]string type:string immutable:bool "},
		{"serviceaccounts", NULL, " secrets imagePullSecrets automountServiceAccountToken:bool "},
		{"roles", NULL, " rules "},
		{"clusterroles", NULL, " rules aggregationRule "},
		{"rolebindings", NULL, " roleRef subjects "},
		{"clusterrolebindings", NULL, " roleRef subjects "},
		{"controllerrevisions", NULL, " data revision:int64 "},
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
	if (rt->to_home) {
		/* a built-in view: autoscaling/v1 HorizontalPodAutoscaler, decoded at v1 */
		*fields = " spec status ";
		*spec = "HorizontalPodAutoscalerSpec";
		return true;
	}
	for (size_t i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (strcmp(roots[i].res, rt->resource) == 0) {
			*fields = roots[i].fields;
			*spec = roots[i].spec;
			return true;
		}
	return false;
}

/* Whether s is in the list l; *gotype gets its type ("" when unchecked). */
static bool listed(const char *l, const char *s, char *gotype, size_t n)
{
	size_t len = strlen(s);
	const char *p;

	*gotype = '\0';
	for (p = l ? strstr(l, s) : NULL; p; p = strstr(p + 1, s)) {
		if (p[-1] != ' ' || (p[len] != ' ' && p[len] != ':'))
			continue;
		if (p[len] == ':')
			snprintf(gotype, n, "%.*s", (int)strcspn(p + len + 1, " "), p + len + 1);
		return true;
	}
	return false;
}

/* What the walk found: unknown fields, the first decode error and the first
 * structured-merge-diff error (an apply's). */
struct unknowns {
	char msg[900];
	size_t len;
	size_t ends[32]; /* where each problem in msg ends (the first 32) */
	char decode[600];
	char smd[600];
	int n;
	bool drop; /* remove the unknown fields */
};

/* Where the walk is: the JSON path with list indexes (unknown-field messages), the
 * path Go's decoder names (no indexes) and structured-merge-diff's (keyed items). */
struct wpath {
	char json[512], go[512], smd[512];
};

/* One strict decoding problem: an unknown field (named by its path) or a duplicate one
 * (named by its key, as sigs.k8s.io/json words it). */
static void note(struct unknowns *u, const struct wpath *at, const char *field, bool dup)
{
	u->n++;
	if (!u->smd[0] && !dup)
		snprintf(u->smd, sizeof(u->smd), "%s.%s: field not declared in schema", at->smd,
			 field);
	if (u->len >= sizeof(u->msg))
		return;
	if (dup)
		u->len += snprintf(u->msg + u->len, sizeof(u->msg) - u->len,
				   "%sduplicate field \"%s\"", u->len ? ", " : "", field);
	else
		u->len += snprintf(u->msg + u->len, sizeof(u->msg) - u->len,
				   "%sunknown field \"%s%s%s\"", u->len ? ", " : "", at->json,
				   *at->json ? "." : "", field);
	if (u->n <= 32)
		u->ends[u->n - 1] = u->len < sizeof(u->msg) ? u->len : sizeof(u->msg) - 1;
}

/* The earlier member of obj with it's key, if any. */
static cJSON *earlier(cJSON *obj, const cJSON *it)
{
	for (cJSON *p = obj->child; p && p != it; p = p->next)
		if (p->string && strcmp(p->string, it->string) == 0)
			return p;
	return NULL;
}

/* The path one level down: field, then [i] or the item's key when index >= 0. */
static void wpath_down(struct wpath *sub, const struct wpath *at, const char *field, int index,
		       const cJSON *item, const char *key)
{
	const cJSON *k = key ? cJSON_GetObjectItem(item, key) : NULL;
	char sel[200];

	snprintf(sub->go, sizeof(sub->go), "%s%s%s", at->go, *at->go ? "." : "", field);
	if (index < 0) {
		snprintf(sub->json, sizeof(sub->json), "%s%s%s", at->json, *at->json ? "." : "",
			 field);
		snprintf(sub->smd, sizeof(sub->smd), "%s.%s", at->smd, field);
		return;
	}
	snprintf(sub->json, sizeof(sub->json), "%s%s%s[%d]", at->json, *at->json ? "." : "",
		 field, index);
	if (cJSON_IsString(k))
		snprintf(sel, sizeof(sel), "[%s=\"%s\"]", key, k->valuestring);
	else if (cJSON_IsNumber(k))
		snprintf(sel, sizeof(sel), "[%s=%d]", key, k->valueint);
	else
		snprintf(sel, sizeof(sel), "[%d]", index);
	snprintf(sub->smd, sizeof(sub->smd), "%s.%s%s", at->smd, field, sel);
}

static void walk(cJSON *obj, const char *type, const char *fields, const struct wpath *at,
		 struct unknowns *u, int depth);

static void walk_child(cJSON *v, int ei, const struct wpath *at, struct unknowns *u, int depth)
{
	const struct vtype *t = vtype_get(edges[ei].type);
	struct wpath sub;
	cJSON *it;
	int i = 0;

	if (!t)
		return;
	if (!edges[ei].list) {
		wpath_down(&sub, at, edges[ei].field, -1, NULL, NULL);
		walk(v, t->name, t->fields, &sub, u, depth + 1);
		return;
	}
	cJSON_ArrayForEach(it, v)
	{
		wpath_down(&sub, at, edges[ei].field, i++, it, edges[ei].key);
		walk(it, t->name, t->fields, &sub, u, depth + 1);
	}
}

/* The value of a typed field, checked by both decoders. */
static void check_value(const cJSON *v, const char *type, const char *gotype,
			const struct wpath *at, const char *field, struct unknowns *u)
{
	struct wpath sub;
	struct decode_at d;

	wpath_down(&sub, at, field, -1, NULL, NULL);
	d = (struct decode_at){.gostruct = type, .gopath = sub.go};
	if (!u->decode[0])
		api_decode_check(v, gotype, &d, u->decode, sizeof(u->decode));
	if (!u->smd[0])
		api_decode_check_apply(v, gotype, sub.smd, u->smd, sizeof(u->smd));
}

/* Notes (and with u->drop removes) unknown fields of obj (of type `type`), checks the
 * typed ones, recursing along edges. */
static void walk(cJSON *obj, const char *type, const char *fields, const struct wpath *at,
		 struct unknowns *u, int depth)
{
	cJSON *it, *next;
	char gotype[64];

	if (!cJSON_IsObject(obj) || depth > 8)
		return;
	for (it = obj->child; it; it = next) {
		cJSON *prev;
		int ei;

		next = it->next;
		if (it->string && (prev = earlier(obj, it))) {
			/* the decoder keeps the last value */
			note(u, at, it->string, true);
			if (u->drop)
				cJSON_Delete(cJSON_DetachItemViaPointer(obj, prev));
		}
		if (!it->string || !listed(fields, it->string, gotype, sizeof(gotype))) {
			note(u, at, it->string ? it->string : "", false);
			if (u->drop)
				cJSON_Delete(cJSON_DetachItemViaPointer(obj, it));
			continue;
		}
		if (*gotype)
			check_value(it, type, gotype, at, it->string, u);
		else if ((ei = edge(type, it->string)) >= 0)
			walk_child(it, ei, at, u, depth);
	}
}

/* Runs the walk for a whole object: every field of the kinds with a root list, the
 * metadata of the others (their unknown fields are not ours to report). */
static void check_object(const struct restype *rt, cJSON *obj, struct unknowns *u)
{
	const char *extra, *spec;
	struct wpath at = {.json = "", .go = "", .smd = ""}, sp;
	char fields[256];

	if (!root_of(rt, &extra, &spec)) {
		struct unknowns meta = {.drop = false};

		wpath_down(&sp, &at, "metadata", -1, NULL, NULL);
		walk(cJSON_GetObjectItem(obj, "metadata"), "ObjectMeta", vtype_get("ObjectMeta")->fields,
		     &sp, &meta, 1);
		memcpy(u->decode, meta.decode, sizeof(u->decode));
		return;
	}
	snprintf(fields, sizeof(fields), " apiVersion kind metadata%s", extra);
	walk(obj, rt->kind, fields, &at, u, 0);
	if (spec) {
		const struct vtype *t = vtype_get(spec);

		wpath_down(&sp, &at, "spec", -1, NULL, NULL);
		walk(cJSON_GetObjectItem(obj, "spec"), t->name, t->fields, &sp, u, 1);
	}
}

/* The Go types of the object and its spec, whatever the kind. */
static const char *outer_type_error(const struct restype *rt, const cJSON *obj, char *out,
				    size_t n)
{
	const cJSON *m = cJSON_GetObjectItem(obj, "metadata"), *spec = cJSON_GetObjectItem(obj, "spec");

	if (!cJSON_IsObject(obj))
		snprintf(out, n, "json: cannot unmarshal %s into Go value of type %s.%s",
			 cJSON_IsArray(obj) ? "array" : "value", *rt->group ? rt->group : "v1", rt->kind);
	else if (m && !cJSON_IsObject(m) && !cJSON_IsNull(m))
		snprintf(out, n, "json: cannot unmarshal %s into Go struct field %s.metadata of type v1.ObjectMeta",
			 cJSON_IsString(m) ? "string" : cJSON_IsArray(m) ? "array" : "number", rt->kind);
	else if (spec && !cJSON_IsObject(spec) && !cJSON_IsNull(spec))
		snprintf(out, n, "json: cannot unmarshal %s into Go struct field %s.spec of type %sSpec",
			 cJSON_IsString(spec) ? "string" : cJSON_IsArray(spec) ? "array" : "number",
			 rt->kind, rt->kind);
	else
		return NULL;
	return out;
}

/* Go's %q of s, into a new string. */
static char *go_quote(const char *s)
{
	size_t n = 3;
	char *out, *p;

	for (const char *q = s; *q; q++)
		n += (*q == '"' || *q == '\\' || *q == '\n') ? 2 : 1;
	if (!(out = malloc(n)))
		return NULL;
	p = out;
	*p++ = '"';
	for (; *s; s++) {
		if (*s == '"' || *s == '\\' || *s == '\n')
			*p++ = '\\';
		*p++ = *s == '\n' ? 'n' : *s;
	}
	*p++ = '"';
	*p = '\0';
	return out;
}

/* A patch whose result does not decode: 422 with no kind or name, the whole patched
 * object as the value (jsonPatcher.applyPatchToCurrentObject, patch.go). */
static int patched_invalid(const cJSON *patched, const char *why, struct kstatus *e)
{
	char *json = cJSON_PrintUnformatted(patched), *q = go_quote(json ? json : "");
	struct field_errs v;

	field_errs_init(&v);
	field_err(&v, "patch", "FieldValueInvalid", "Invalid value: %s: %s", q ? q : "", why);
	free(q);
	free(json);
	return field_errs_invalid(&v, "", "", "", e);
}

int api_decode_fail(const struct restype *rt, const cJSON *patched, const char *why,
		       struct kstatus *e)
{
	if (patched)
		return patched_invalid(patched, why, e);
	return kstatus_set(e, 400, "BadRequest", "%s in version \"%s\" cannot be handled as a %s: %s",
			   rt->kind, rt->version, rt->kind, why);
}

/* One Warning header per problem (addStrictDecodingWarnings). */
static void warn_unknowns(struct req *r, const struct unknowns *u)
{
	size_t from = 0;

	for (int i = 0; i < u->n && i < 32; i++) {
		/* RFC 7234 warn-text is a quoted-string: inner quotes are escaped. */
		char hdr[1024];
		size_t n = (size_t)snprintf(hdr, sizeof(hdr), "299 - \"");

		for (size_t q = from; q < u->ends[i] && n + 4 < sizeof(hdr); q++) {
			if (u->msg[q] == '"' || u->msg[q] == '\\')
				hdr[n++] = '\\';
			hdr[n++] = u->msg[q];
		}
		snprintf(hdr + n, sizeof(hdr) - n, "\"");
		reply_add_header(r, "Warning", hdr);
		from = u->ends[i] + 2; /* past ", " */
	}
}

int api_field_validation(struct req *r, const struct restype *rt, cJSON *obj, bool patched,
			 struct kstatus *e)
{
	const char *mode = req_arg(r, "fieldValidation");
	struct unknowns u = {.drop = false};
	char why[1100];

	if (outer_type_error(rt, obj, why, sizeof(why)))
		return api_decode_fail(rt, patched ? obj : NULL, why, e);
	check_object(rt, obj, &u);
	if (u.decode[0])
		return api_decode_fail(rt, patched ? obj : NULL, u.decode, e);
	if (!u.n || (mode && strcmp(mode, "Ignore") == 0))
		goto drop;
	if (mode && strcmp(mode, "Strict") == 0) {
		snprintf(why, sizeof(why), "strict decoding error: %s", u.msg);
		return api_decode_fail(rt, patched ? obj : NULL, why, e);
	}
	warn_unknowns(r, &u);
drop:
	if (u.n) {
		/* the typed decode drops what it does not know */
		struct unknowns again = {.drop = true};

		check_object(rt, obj, &again);
	}
	return 0;
}

int api_apply_schema_check(const struct restype *rt, cJSON *config, struct kstatus *e)
{
	const cJSON *m = cJSON_GetObjectItem(config, "metadata");
	struct unknowns u = {.drop = false};
	char why[600];

	if (outer_type_error(rt, config, why, sizeof(why)))
		return api_decode_fail(rt, NULL, why, e);
	check_object(rt, config, &u);
	/* structuredmerge.go Apply returns plain errors (no API status), which the handler
	 * turns into 500 with no reason; the object is named from the patch body
	 * (objectGVKNN: "ns/name; group/version, Kind=K", "/v1" for the core group). The
	 * typed patch is built first; what its scalar types let through (base64, quantities)
	 * fails when the merged object is converted to the typed struct (toVersioned). */
	if (u.smd[0])
		return kstatus_set(e, 500, "",
				   "failed to create typed patch object (%s/%s; %s/%s, Kind=%s): %s",
				   obj_str(m, "namespace", NULL) ?: "", obj_str(m, "name", NULL) ?: "",
				   rt->group, rt->version, rt->kind, u.smd);
	if (u.decode[0] && strncmp(u.decode, "json: ", 6) != 0)
		return kstatus_set(e, 500, "",
				   "failed to convert new object (%s/%s; %s/%s, Kind=%s) to proper "
				   "version: %s",
				   obj_str(m, "namespace", NULL) ?: "", obj_str(m, "name", NULL) ?: "",
				   rt->group, rt->version, rt->kind, u.decode);
	return 0;
}
