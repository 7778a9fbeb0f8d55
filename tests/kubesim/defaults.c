/*
 * defaults: the API server's defaulting (k8s pkg/apis/{core,apps,batch}/v1/defaults.go,
 * spec 7) for the kinds kubesim serves, so that stored objects, dry-runs and templates
 * look like a real cluster's. In place, idempotent, never overwrites a value the
 * client set. Allocation (clusterIP, nodePort) is the server's job, not done here.
 */
#include <stdio.h>
#include <string.h>

#include "merge.h"

static cJSON *obj_get(cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* The object member k, created as {} when missing (NULL when o is not an object). */
static cJSON *obj_ensure(cJSON *o, const char *k)
{
	cJSON *v;

	if (!cJSON_IsObject(o))
		return NULL;
	v = obj_get(o, k);
	if (!v || cJSON_IsNull(v)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		v = cJSON_AddObjectToObject(o, k);
	}
	return cJSON_IsObject(v) ? v : NULL;
}

static bool missing(cJSON *o, const char *k)
{
	cJSON *v = obj_get(o, k);

	return !v || cJSON_IsNull(v);
}

static void def_str(cJSON *o, const char *k, const char *v)
{
	if (cJSON_IsObject(o) && missing(o, k)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		cJSON_AddStringToObject(o, k, v);
	}
}

static void def_num(cJSON *o, const char *k, double v)
{
	if (cJSON_IsObject(o) && missing(o, k)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		cJSON_AddNumberToObject(o, k, v);
	}
}

static void def_bool(cJSON *o, const char *k, bool v)
{
	if (cJSON_IsObject(o) && missing(o, k)) {
		cJSON_DeleteItemFromObjectCaseSensitive(o, k);
		cJSON_AddBoolToObject(o, k, v);
	}
}

/* Always if the tag is latest or absent (digests count as a tag), else IfNotPresent. */
static const char *pull_policy(const char *image)
{
	const char *slash = strrchr(image, '/');
	const char *last = slash ? slash + 1 : image;
	const char *colon = strchr(last, ':');

	if (strchr(image, '@'))
		return "IfNotPresent";
	if (!colon || !strcmp(colon + 1, "latest"))
		return "Always";
	return "IfNotPresent";
}

static void defaults_probe(cJSON *p)
{
	cJSON *http;

	if (!cJSON_IsObject(p))
		return;
	def_num(p, "timeoutSeconds", 1);
	def_num(p, "periodSeconds", 10);
	def_num(p, "successThreshold", 1);
	def_num(p, "failureThreshold", 3);
	http = obj_get(p, "httpGet");
	if (cJSON_IsObject(http)) {
		def_str(http, "path", "/");
		def_str(http, "scheme", "HTTP");
	}
}

static void defaults_env(cJSON *env)
{
	cJSON *e;

	cJSON_ArrayForEach(e, env)
	{
		cJSON *fr = obj_get(obj_get(e, "valueFrom"), "fieldRef");
		if (cJSON_IsObject(fr))
			def_str(fr, "apiVersion", "v1");
	}
}

static void defaults_container(cJSON *c)
{
	cJSON *image = obj_get(c, "image"), *p;

	if (!cJSON_IsObject(c))
		return;
	def_str(c, "terminationMessagePath", "/dev/termination-log");
	def_str(c, "terminationMessagePolicy", "File");
	if (cJSON_IsString(image))
		def_str(c, "imagePullPolicy", pull_policy(image->valuestring));
	cJSON_ArrayForEach(p, obj_get(c, "ports")) def_str(p, "protocol", "TCP");
	obj_ensure(c, "resources");
	defaults_env(obj_get(c, "env"));
	defaults_probe(obj_get(c, "livenessProbe"));
	defaults_probe(obj_get(c, "readinessProbe"));
	defaults_probe(obj_get(c, "startupProbe"));
}

static void defaults_volume(cJSON *v)
{
	static const char *const modes[] = {"configMap", "secret", "projected", "downwardAPI",
					    NULL};
	static const char *const sources[] = {"hostPath",
					      "emptyDir",
					      "gcePersistentDisk",
					      "awsElasticBlockStore",
					      "gitRepo",
					      "secret",
					      "nfs",
					      "iscsi",
					      "glusterfs",
					      "persistentVolumeClaim",
					      "rbd",
					      "flexVolume",
					      "cinder",
					      "cephfs",
					      "flocker",
					      "downwardAPI",
					      "fc",
					      "azureFile",
					      "configMap",
					      "vsphereVolume",
					      "quobyte",
					      "azureDisk",
					      "photonPersistentDisk",
					      "projected",
					      "portworxVolume",
					      "scaleIO",
					      "storageos",
					      "csi",
					      "ephemeral",
					      "image",
					      NULL};
	bool any = false;
	size_t i;

	if (!cJSON_IsObject(v))
		return;
	for (i = 0; modes[i]; i++) {
		cJSON *src = obj_get(v, modes[i]);
		if (cJSON_IsObject(src))
			def_num(src, "defaultMode", 420);
	}
	if (cJSON_IsObject(obj_get(v, "hostPath")))
		def_str(obj_get(v, "hostPath"), "type", "");
	for (i = 0; sources[i]; i++)
		any = any || obj_get(v, sources[i]);
	if (!any)
		obj_ensure(v, "emptyDir");
}

void merge_defaults_podspec(cJSON *spec)
{
	static const char *const lists[] = {"initContainers", "containers", NULL};
	cJSON *c;
	size_t i;

	if (!cJSON_IsObject(spec))
		return;
	def_str(spec, "restartPolicy", "Always");
	def_str(spec, "dnsPolicy", "ClusterFirst");
	def_num(spec, "terminationGracePeriodSeconds", 30);
	def_str(spec, "schedulerName", "default-scheduler");
	obj_ensure(spec, "securityContext");
	for (i = 0; lists[i]; i++)
		cJSON_ArrayForEach(c, obj_get(spec, lists[i])) defaults_container(c);
	cJSON_ArrayForEach(c, obj_get(spec, "ephemeralContainers"))
	{
		def_str(c, "terminationMessagePath", "/dev/termination-log");
		def_str(c, "terminationMessagePolicy", "File");
		if (cJSON_IsString(obj_get(c, "image")))
			def_str(c, "imagePullPolicy",
				pull_policy(obj_get(c, "image")->valuestring));
		obj_ensure(c, "resources");
	}
	cJSON_ArrayForEach(c, obj_get(spec, "volumes")) defaults_volume(c);
}

static void defaults_template(cJSON *spec)
{
	cJSON *t = obj_get(spec, "template");

	if (cJSON_IsObject(t))
		merge_defaults_podspec(obj_get(t, "spec"));
}

static void defaults_deployment(cJSON *spec)
{
	cJSON *st, *ru;

	def_num(spec, "replicas", 1);
	st = obj_ensure(spec, "strategy");
	def_str(st, "type", "RollingUpdate");
	if (cJSON_IsString(obj_get(st, "type")) &&
	    !strcmp(obj_get(st, "type")->valuestring, "RollingUpdate")) {
		ru = obj_ensure(st, "rollingUpdate");
		def_str(ru, "maxUnavailable", "25%");
		def_str(ru, "maxSurge", "25%");
	}
	def_num(spec, "revisionHistoryLimit", 10);
	def_num(spec, "progressDeadlineSeconds", 600);
	defaults_template(spec);
}

static void defaults_pvc_spec(cJSON *spec)
{
	def_str(spec, "volumeMode", "Filesystem");
}

/* volumeClaimTemplates are embedded PersistentVolumeClaims: typed, defaulted, Pending. */
static void defaults_claim_templates(cJSON *list)
{
	cJSON *t;

	cJSON_ArrayForEach(t, list)
	{
		if (!cJSON_IsObject(t))
			continue;
		def_str(t, "apiVersion", "v1");
		def_str(t, "kind", "PersistentVolumeClaim");
		defaults_pvc_spec(obj_ensure(t, "spec"));
		def_str(obj_ensure(t, "status"), "phase", "Pending");
	}
}

static void defaults_statefulset(cJSON *spec)
{
	cJSON *us, *ru, *pol;

	def_num(spec, "replicas", 1);
	def_str(spec, "podManagementPolicy", "OrderedReady");
	us = obj_ensure(spec, "updateStrategy");
	def_str(us, "type", "RollingUpdate");
	if (cJSON_IsString(obj_get(us, "type")) &&
	    !strcmp(obj_get(us, "type")->valuestring, "RollingUpdate")) {
		ru = obj_ensure(us, "rollingUpdate");
		def_num(ru, "partition", 0);
	}
	def_num(spec, "revisionHistoryLimit", 10);
	pol = obj_ensure(spec, "persistentVolumeClaimRetentionPolicy");
	def_str(pol, "whenDeleted", "Retain");
	def_str(pol, "whenScaled", "Retain");
	defaults_claim_templates(obj_get(spec, "volumeClaimTemplates"));
	defaults_template(spec);
}

static void defaults_daemonset(cJSON *spec)
{
	cJSON *us, *ru;

	us = obj_ensure(spec, "updateStrategy");
	def_str(us, "type", "RollingUpdate");
	if (cJSON_IsString(obj_get(us, "type")) &&
	    !strcmp(obj_get(us, "type")->valuestring, "RollingUpdate")) {
		ru = obj_ensure(us, "rollingUpdate");
		def_num(ru, "maxUnavailable", 1);
		def_num(ru, "maxSurge", 0);
	}
	def_num(spec, "revisionHistoryLimit", 10);
	defaults_template(spec);
}

static void defaults_job(cJSON *spec)
{
	cJSON *comp = obj_get(spec, "completions");
	cJSON *par = obj_get(spec, "parallelism");

	/* SetDefaults_Job: both unset -> 1/1; only parallelism unset -> 1 */
	if ((!comp || cJSON_IsNull(comp)) && (!par || cJSON_IsNull(par)))
		def_num(spec, "completions", 1);
	def_num(spec, "parallelism", 1);
	def_num(spec, "backoffLimit", 6);
	def_str(spec, "completionMode", "NonIndexed");
	def_bool(spec, "suspend", false);
	def_str(spec, "podReplacementPolicy",
		cJSON_IsObject(obj_get(spec, "podFailurePolicy")) ? "Failed"
								  : "TerminatingOrFailed");
	defaults_template(spec);
}

static void defaults_cronjob(cJSON *spec)
{
	cJSON *jt = obj_get(spec, "jobTemplate");

	def_str(spec, "concurrencyPolicy", "Allow");
	def_bool(spec, "suspend", false);
	def_num(spec, "successfulJobsHistoryLimit", 3);
	def_num(spec, "failedJobsHistoryLimit", 1);
	/* SetDefaults_Job takes a Job, so a jobTemplate only gets the pod defaults */
	if (cJSON_IsObject(jt) && cJSON_IsObject(obj_get(jt, "spec")))
		defaults_template(obj_get(jt, "spec"));
}

static void defaults_pod(cJSON *obj)
{
	cJSON *spec = obj_get(obj, "spec"), *c;

	if (!cJSON_IsObject(spec))
		return;
	merge_defaults_podspec(spec);
	def_bool(spec, "enableServiceLinks", true);
	/* SetDefaults_Pod: requests default to limits */
	cJSON_ArrayForEach(c, obj_get(spec, "containers"))
	{
		cJSON *res = obj_get(c, "resources"), *lim = obj_get(res, "limits"), *q, *req;
		if (!cJSON_IsObject(lim) || !lim->child)
			continue;
		req = obj_ensure(res, "requests");
		cJSON_ArrayForEach(q, lim) if (missing(req, q->string))
		    cJSON_AddItemToObject(req, q->string, cJSON_Duplicate(q, true));
	}
}

static void defaults_service_ports(cJSON *spec)
{
	cJSON *p;

	cJSON_ArrayForEach(p, obj_get(spec, "ports"))
	{
		cJSON *port = obj_get(p, "port");
		def_str(p, "protocol", "TCP");
		if (cJSON_IsNumber(port) && missing(p, "targetPort"))
			def_num(p, "targetPort", port->valuedouble);
	}
}

/* What depends on spec.type: node ports, traffic policies, IP families. */
static void defaults_service_type(cJSON *spec, const char *type)
{
	if (!strcmp(type, "LoadBalancer"))
		def_bool(spec, "allocateLoadBalancerNodePorts", true);
	if (!strcmp(type, "ExternalName"))
		return;
	def_str(spec, "internalTrafficPolicy", "Cluster");
	if (!strcmp(type, "NodePort") || !strcmp(type, "LoadBalancer"))
		def_str(spec, "externalTrafficPolicy", "Cluster");
	/* set by the registry at allocation time; single-stack IPv4 cluster */
	def_str(spec, "ipFamilyPolicy", "SingleStack");
	if (missing(spec, "ipFamilies")) {
		cJSON *fam = cJSON_AddArrayToObject(spec, "ipFamilies");
		cJSON_AddItemToArray(fam, cJSON_CreateString("IPv4"));
	}
}

static void defaults_service(cJSON *obj)
{
	cJSON *spec = obj_get(obj, "spec"), *type, *aff;

	if (!cJSON_IsObject(spec))
		return;
	def_str(spec, "type", "ClusterIP");
	type = obj_get(spec, "type");
	def_str(spec, "sessionAffinity", "None");
	defaults_service_ports(spec);
	aff = obj_get(spec, "sessionAffinity");
	if (cJSON_IsString(aff) && !strcmp(aff->valuestring, "ClientIP"))
		def_num(obj_ensure(obj_ensure(spec, "sessionAffinityConfig"), "clientIP"),
			"timeoutSeconds", 10800);
	if (cJSON_IsString(type))
		defaults_service_type(spec, type->valuestring);
	obj_ensure(obj_ensure(obj, "status"), "loadBalancer");
}

static void defaults_namespace(cJSON *obj)
{
	cJSON *md = obj_ensure(obj, "metadata"), *name = obj_get(md, "name");

	/* spec.finalizers is no default: the registry strategy sets it on create and keeps
	 * it on update (store_write.c), so the finalize subresource can clear it. */
	if (cJSON_IsString(name))
		def_str(obj_ensure(md, "labels"), "kubernetes.io/metadata.name", name->valuestring);
	obj_ensure(obj, "spec"); /* a struct: always serialised, "spec":{} at least */
	def_str(obj_ensure(obj, "status"), "phase", "Active");
}

/* SetDefaults_Secret: an empty type is Opaque (Go cannot tell "" from absent). */
static void defaults_secret(cJSON *obj)
{
	cJSON *t = obj_get(obj, "type");

	if (cJSON_IsString(t) && !*t->valuestring)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "type");
	def_str(obj, "type", "Opaque");
}

/* ---- issue #13 kinds, part 2: admissionregistration, networking, scheduling, storage,
 * discovery and apiregistration defaults.go ---- */

/* SetDefaults_Rule on each rule (webhook rules, resourceRules, excludeResourceRules). */
static void defaults_rules(cJSON *rules)
{
	cJSON *r;

	cJSON_ArrayForEach(r, rules) def_str(r, "scope", "*");
}

/* SetDefaults_MatchResources (a policy's matchConstraints, a binding's matchResources). */
static void defaults_match(cJSON *m)
{
	if (!cJSON_IsObject(m))
		return;
	def_str(m, "matchPolicy", "Equivalent");
	obj_ensure(m, "namespaceSelector");
	obj_ensure(m, "objectSelector");
	defaults_rules(obj_get(m, "resourceRules"));
	defaults_rules(obj_get(m, "excludeResourceRules"));
}

/* SetDefaults_{Validating,Mutating}Webhook, SetDefaults_ServiceReference. */
static void defaults_webhooks(cJSON *obj, bool mutating)
{
	cJSON *w, *svc;

	cJSON_ArrayForEach(w, obj_get(obj, "webhooks"))
	{
		if (!cJSON_IsObject(w))
			continue;
		def_str(w, "failurePolicy", "Fail");
		def_str(w, "matchPolicy", "Equivalent");
		obj_ensure(w, "namespaceSelector");
		obj_ensure(w, "objectSelector");
		def_num(w, "timeoutSeconds", 10);
		if (mutating)
			def_str(w, "reinvocationPolicy", "Never");
		defaults_rules(obj_get(w, "rules"));
		svc = obj_get(obj_get(w, "clientConfig"), "service");
		if (cJSON_IsObject(svc))
			def_num(svc, "port", 443);
	}
}

static void defaults_validating_webhooks(cJSON *obj)
{
	defaults_webhooks(obj, false);
}

static void defaults_mutating_webhooks(cJSON *obj)
{
	defaults_webhooks(obj, true);
}

static void defaults_vap(cJSON *obj)
{
	cJSON *spec = obj_ensure(obj, "spec");
	def_str(spec, "failurePolicy", "Fail");
	defaults_match(obj_get(spec, "matchConstraints"));
}

static void defaults_vap_binding(cJSON *obj)
{
	cJSON *spec = obj_ensure(obj, "spec");
	defaults_match(obj_get(spec, "matchResources"));
}

static void defaults_priority_class(cJSON *obj)
{
	def_str(obj, "preemptionPolicy", "PreemptLowerPriority");
}

static void defaults_ingress_class(cJSON *obj)
{
	cJSON *spec = obj_ensure(obj, "spec");
	cJSON *p = obj_get(spec, "parameters");

	if (cJSON_IsObject(p))
		def_str(p, "scope", "Cluster");
}

/* SetDefaults_EndpointPort: name "" and protocol TCP. */
static void defaults_endpoint_slice(cJSON *obj)
{
	cJSON *p;

	cJSON_ArrayForEach(p, obj_get(obj, "ports"))
	{
		def_str(p, "name", "");
		def_str(p, "protocol", "TCP");
	}
}

/* SetDefaults_CSIDriver with the 1.32 default feature gates. */
static void defaults_csi_driver(cJSON *obj)
{
	cJSON *spec = obj_ensure(obj, "spec");
	cJSON *modes = obj_get(spec, "volumeLifecycleModes");

	def_bool(spec, "attachRequired", true);
	def_bool(spec, "podInfoOnMount", false);
	def_bool(spec, "storageCapacity", false);
	def_str(spec, "fsGroupPolicy", "ReadWriteOnceWithFSType");
	if (!cJSON_IsArray(modes) || !cJSON_GetArraySize(modes)) {
		cJSON_DeleteItemFromObjectCaseSensitive(spec, "volumeLifecycleModes");
		modes = cJSON_AddArrayToObject(spec, "volumeLifecycleModes");
		cJSON_AddItemToArray(modes, cJSON_CreateString("Persistent"));
	}
	def_bool(spec, "requiresRepublish", false);
	def_bool(spec, "seLinuxMount", false);
}

static void defaults_apiservice(cJSON *obj)
{
	cJSON *spec = obj_ensure(obj, "spec");
	cJSON *svc = obj_get(spec, "service");

	if (cJSON_IsObject(svc))
		def_num(svc, "port", 443);
}

/* SetDefaults_NetworkPolicy and SetDefaults_NetworkPolicyPort. */
static void defaults_network_policy(cJSON *obj)
{
	cJSON *spec = obj_ensure(obj, "spec");
	static const char *const dirs[] = {"ingress", "egress"};
	cJSON *types = obj_get(spec, "policyTypes"), *rule, *port;

	for (size_t i = 0; i < 2; i++)
		cJSON_ArrayForEach(rule, obj_get(spec, dirs[i]))
			cJSON_ArrayForEach(port, obj_get(rule, "ports")) def_str(port, "protocol", "TCP");
	if (cJSON_IsArray(types) && cJSON_GetArraySize(types))
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(spec, "policyTypes");
	types = cJSON_AddArrayToObject(spec, "policyTypes");
	cJSON_AddItemToArray(types, cJSON_CreateString("Ingress"));
	if (cJSON_GetArraySize(obj_get(spec, "egress")))
		cJSON_AddItemToArray(types, cJSON_CreateString("Egress"));
}

static void defaults_replicaset(cJSON *spec)
{
	def_num(spec, "replicas", 1);
	defaults_template(spec);
}

/* Per kind, the defaulting function and whether it takes the spec (only when it is an
 * object) or the whole object. */
static const struct {
	const char *group, *kind;
	bool on_spec;
	void (*apply)(cJSON *v);
} kind_defaults[] = {
	{"apps", "Deployment", true, defaults_deployment},
	/* issue #13 kinds, part 2 */
	{"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", false,
	 defaults_validating_webhooks},
	{"admissionregistration.k8s.io", "MutatingWebhookConfiguration", false,
	 defaults_mutating_webhooks},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", false, defaults_vap},
	{"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", false,
	 defaults_vap_binding},
	{"scheduling.k8s.io", "PriorityClass", false, defaults_priority_class},
	{"networking.k8s.io", "IngressClass", false, defaults_ingress_class},
	{"networking.k8s.io", "NetworkPolicy", false, defaults_network_policy},
	{"discovery.k8s.io", "EndpointSlice", false, defaults_endpoint_slice},
	{"storage.k8s.io", "CSIDriver", false, defaults_csi_driver},
	{"apiregistration.k8s.io", "APIService", false, defaults_apiservice},
	{"apps", "ReplicaSet", true, defaults_replicaset},
	{"", "ReplicationController", true, defaults_replicaset},
	{"apps", "StatefulSet", true, defaults_statefulset},
	{"apps", "DaemonSet", true, defaults_daemonset},
	{"batch", "Job", true, defaults_job},
	{"batch", "CronJob", true, defaults_cronjob},
	{"", "Pod", false, defaults_pod},
	{"", "PodTemplate", false, defaults_template},
	{"", "Service", false, defaults_service},
	{"", "Namespace", false, defaults_namespace},
	{"", "Secret", false, defaults_secret},
	{"", "PersistentVolumeClaim", true, defaults_pvc_spec},
};

void merge_defaults(cJSON *obj, const struct merge_kind *k)
{
	cJSON *spec = obj_get(obj, "spec");

	if (!cJSON_IsObject(obj) || !k || !k->kind)
		return;
	for (size_t i = 0; i < sizeof(kind_defaults) / sizeof(kind_defaults[0]); i++) {
		if (strcmp(k->group ? k->group : "", kind_defaults[i].group) != 0 ||
		    strcmp(k->kind, kind_defaults[i].kind) != 0)
			continue;
		if (!kind_defaults[i].on_spec)
			kind_defaults[i].apply(obj);
		else if (cJSON_IsObject(spec))
			kind_defaults[i].apply(spec);
		return;
	}
}
