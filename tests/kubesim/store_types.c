/*
 * store_types: the built-in resource types kubesim serves and the custom types that
 * CustomResourceDefinitions add. Values (short names, categories, scope,
 * subresources) follow the golden discovery files quoted in the semantics spec §2.2.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"

#define T(g, v, res, sing, kind, sn, cat, ns, status, scale, gen)                                 \
	{ g, v, res, sing, kind, kind "List", sn, cat, NULL, ns, status, scale, gen, false, true, NULL, false, NULL, NULL, NULL }

static const struct restype builtin[] = {
	T("", "v1", "namespaces", "namespace", "Namespace", "ns", "", false, true, false, GEN_NONE),
	T("", "v1", "configmaps", "configmap", "ConfigMap", "cm", "", true, false, false, GEN_NONE),
	T("", "v1", "secrets", "secret", "Secret", "", "", true, false, false, GEN_NONE),
	T("", "v1", "services", "service", "Service", "svc", "all", true, true, false, GEN_NONE),
	T("", "v1", "serviceaccounts", "serviceaccount", "ServiceAccount", "sa", "", true, false,
	  false, GEN_NONE),
	T("", "v1", "pods", "pod", "Pod", "po", "all", true, true, false, GEN_NONE),
	T("", "v1", "events", "event", "Event", "ev", "", true, false, false, GEN_NONE),
	T("", "v1", "endpoints", "endpoints", "Endpoints", "ep", "", true, false, false, GEN_NONE),
	T("", "v1", "persistentvolumeclaims", "persistentvolumeclaim", "PersistentVolumeClaim",
	  "pvc", "", true, true, false, GEN_NONE),
	T("", "v1", "nodes", "node", "Node", "no", "", false, true, false, GEN_NONE),
	T("apps", "v1", "deployments", "deployment", "Deployment", "deploy", "all", true, true,
	  true, GEN_SPEC_ANNOT),
	T("apps", "v1", "replicasets", "replicaset", "ReplicaSet", "rs", "all", true, true, true,
	  GEN_SPEC),
	T("apps", "v1", "statefulsets", "statefulset", "StatefulSet", "sts", "all", true, true,
	  true, GEN_SPEC),
	T("apps", "v1", "daemonsets", "daemonset", "DaemonSet", "ds", "all", true, true, false,
	  GEN_SPEC),
	T("apps", "v1", "controllerrevisions", "controllerrevision", "ControllerRevision", "", "",
	  true, false, false, GEN_NONE),
	T("batch", "v1", "jobs", "job", "Job", "", "all", true, true, false, GEN_SPEC),
	T("batch", "v1", "cronjobs", "cronjob", "CronJob", "cj", "all", true, true, false, GEN_SPEC),
	T("networking.k8s.io", "v1", "ingresses", "ingress", "Ingress", "ing", "", true, true,
	  false, GEN_SPEC),
	T("networking.k8s.io", "v1", "networkpolicies", "networkpolicy", "NetworkPolicy",
	  "netpol", "", true, false, false, GEN_SPEC),
	T("rbac.authorization.k8s.io", "v1", "roles", "role", "Role", "", "", true, false, false,
	  GEN_NONE),
	T("rbac.authorization.k8s.io", "v1", "rolebindings", "rolebinding", "RoleBinding", "", "",
	  true, false, false, GEN_NONE),
	T("rbac.authorization.k8s.io", "v1", "clusterroles", "clusterrole", "ClusterRole", "", "",
	  false, false, false, GEN_NONE),
	T("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "clusterrolebinding",
	  "ClusterRoleBinding", "", "", false, false, false, GEN_NONE),
	T("coordination.k8s.io", "v1", "leases", "lease", "Lease", "", "", true, false, false,
	  GEN_NONE),
	T("policy", "v1", "poddisruptionbudgets", "poddisruptionbudget", "PodDisruptionBudget",
	  "pdb", "", true, true, false, GEN_SPEC),
	/* issue #13 kinds, part 2 */
	T("networking.k8s.io", "v1", "ingressclasses", "ingressclass", "IngressClass", "", "",
	  false, false, false, GEN_SPEC),
	T("scheduling.k8s.io", "v1", "priorityclasses", "priorityclass", "PriorityClass", "pc", "",
	  false, false, false, GEN_NONE),
	T("admissionregistration.k8s.io", "v1", "validatingwebhookconfigurations",
	  "validatingwebhookconfiguration", "ValidatingWebhookConfiguration", "",
	  "api-extensions", false, false, false, GEN_NON_METADATA),
	T("admissionregistration.k8s.io", "v1", "mutatingwebhookconfigurations",
	  "mutatingwebhookconfiguration", "MutatingWebhookConfiguration", "", "api-extensions",
	  false, false, false, GEN_NON_METADATA),
	T("admissionregistration.k8s.io", "v1", "validatingadmissionpolicies",
	  "validatingadmissionpolicy", "ValidatingAdmissionPolicy", "", "api-extensions", false,
	  true, false, GEN_SPEC),
	T("admissionregistration.k8s.io", "v1", "validatingadmissionpolicybindings",
	  "validatingadmissionpolicybinding", "ValidatingAdmissionPolicyBinding", "",
	  "api-extensions", false, false, false, GEN_SPEC),
	T("apiregistration.k8s.io", "v1", "apiservices", "apiservice", "APIService", "",
	  "api-extensions", false, true, false, GEN_NONE),
	T("discovery.k8s.io", "v1", "endpointslices", "endpointslice", "EndpointSlice", "", "",
	  true, false, false, GEN_NON_METADATA),
	T("storage.k8s.io", "v1", "csidrivers", "csidriver", "CSIDriver", "", "", false, false,
	  false, GEN_NONE),
	T("node.k8s.io", "v1", "runtimeclasses", "runtimeclass", "RuntimeClass", "", "", false,
	  false, false, GEN_NONE),
	T("apiextensions.k8s.io", "v1", "customresourcedefinitions", "customresourcedefinition",
	  "CustomResourceDefinition", "crd,crds", "", false, true, false, GEN_SPEC),
	/* issue #13 kinds, part 1 */
	T("", "v1", "replicationcontrollers", "replicationcontroller", "ReplicationController",
	  "rc", "all", true, true, true, GEN_SPEC),
	T("", "v1", "persistentvolumes", "persistentvolume", "PersistentVolume", "pv", "", false,
	  true, false, GEN_NONE),
	T("", "v1", "resourcequotas", "resourcequota", "ResourceQuota", "quota", "", true, true,
	  false, GEN_NONE),
	T("", "v1", "limitranges", "limitrange", "LimitRange", "limits", "", true, false, false,
	  GEN_NONE),
	T("storage.k8s.io", "v1", "storageclasses", "storageclass", "StorageClass", "sc", "", false,
	  false, false, GEN_NONE),
	T("autoscaling", "v2", "horizontalpodautoscalers", "horizontalpodautoscaler",
	  "HorizontalPodAutoscaler", "hpa", "all", true, true, false, GEN_NONE),
};

static char *api_version_of(const char *group, const char *version)
{
	size_t n = strlen(group) + strlen(version) + 2;
	char *s = malloc(n);

	if (!s)
		abort();
	if (*group)
		snprintf(s, n, "%s/%s", group, version);
	else
		snprintf(s, n, "%s", version);
	return s;
}

struct rtype *store_type_add(struct store *st, const struct restype *tmpl, bool custom)
{
	struct rtype *rt = calloc(1, sizeof(*rt));

	if (!rt)
		abort();
	if (st->ntypes == st->captypes) {
		st->captypes = st->captypes ? st->captypes * 2 : 64;
		st->types = realloc(st->types, st->captypes * sizeof(*st->types));
		if (!st->types)
			abort();
	}
	rt->pub = *tmpl;
	rt->pub.custom = custom;
	rt->pub.served = true;
	rt->owned[0] = api_version_of(tmpl->group, tmpl->version);
	rt->pub.api_version = rt->owned[0];
	st->types[st->ntypes++] = rt;
	return rt;
}

void store_types_refresh(struct store *st)
{
	size_t i, n = 0;

	free(st->served);
	st->served = calloc(st->ntypes + 1, sizeof(*st->served));
	if (!st->served)
		abort();
	for (i = 0; i < st->ntypes; i++)
		if (st->types[i]->pub.served)
			st->served[n++] = &st->types[i]->pub;
	st->nserved = n;
	free(st->visible);
	st->visible = calloc(n + 1, sizeof(*st->visible));
	if (!st->visible)
		abort();
	st->nvisible = 0;
	for (i = 0; i < n; i++)
		if (!st->served[i]->hidden)
			st->visible[st->nvisible++] = st->served[i];
}

/* Built-in kinds served at a second version: a view of the storing type, as a CRD's
 * versions are (store_crd.c), with a field conversion. The storage version stays the
 * preferred one in discovery (version_cmp ranks v2 above v1). */
static void builtin_views(struct store *st)
{
	const struct restype *home = NULL;
	struct restype v;

	for (size_t i = 0; i < st->ntypes && !home; i++)
		if (strcmp(st->types[i]->pub.group, "autoscaling") == 0 &&
		    strcmp(st->types[i]->pub.resource, "horizontalpodautoscalers") == 0)
			home = &st->types[i]->pub;
	v = *home;
	v.version = "v1";
	v.stored = home;
	v.to_view = convert_hpa_to_v1;
	v.to_home = convert_hpa_to_v2;
	store_type_add(st, &v, false);
}

int store_types_init(struct store *st)
{
	size_t i;

	for (i = 0; i < sizeof(builtin) / sizeof(builtin[0]); i++)
		store_type_add(st, &builtin[i], false);
	builtin_views(st);
	store_types_refresh(st);
	return 0;
}

/* The type table grows when a CRD appears, so lookups take the (recursive) lock. */
const struct restype *store_type(struct store *st, const char *group, const char *resource)
{
	const struct restype *found = NULL;
	size_t i;

	store_lock(st);
	for (i = 0; i < st->ntypes && !found; i++) {
		const struct restype *t = &st->types[i]->pub;

		if (t->served && !t->stored && strcmp(t->group, group) == 0 &&
		    strcmp(t->resource, resource) == 0)
			found = t;
	}
	store_unlock(st);
	return found;
}

const struct restype *store_type_at(struct store *st, const char *group, const char *version,
				    const char *resource)
{
	const struct restype *found = NULL;
	size_t i;

	store_lock(st);
	for (i = 0; i < st->ntypes && !found; i++) {
		const struct restype *t = &st->types[i]->pub;

		if (t->served && !t->hidden && strcmp(t->group, group) == 0 &&
		    strcmp(t->version, version) == 0 && strcmp(t->resource, resource) == 0)
			found = t;
	}
	store_unlock(st);
	return found;
}

/* A custom object stored at a version its CRD no longer serves belongs to the CRD's
 * storing type: the group of apiVersion and the kind decide. */
static const struct restype *custom_by_group_kind(struct store *st, const char *api_version,
						  const char *kind)
{
	const char *slash = strchr(api_version, '/');
	size_t glen = slash ? (size_t)(slash - api_version) : 0;

	for (size_t i = 0; i < st->ntypes && slash; i++) {
		const struct restype *t = &st->types[i]->pub;

		if (t->custom && t->served && !t->stored && strlen(t->group) == glen &&
		    strncmp(t->group, api_version, glen) == 0 && strcmp(t->kind, kind) == 0)
			return t;
	}
	return NULL;
}

const struct restype *store_type_by_kind(struct store *st, const char *api_version,
					 const char *kind)
{
	const struct restype *found = NULL;
	size_t i;

	store_lock(st);
	for (i = 0; i < st->ntypes && !found; i++) {
		const struct restype *t = &st->types[i]->pub;

		if (t->served && strcmp(t->api_version, api_version) == 0 &&
		    strcmp(t->kind, kind) == 0)
			found = restype_home(t);
	}
	if (!found)
		found = custom_by_group_kind(st, api_version, kind);
	store_unlock(st);
	return found;
}

size_t store_types(struct store *st, const struct restype *const **out)
{
	*out = st->served;
	return st->nserved;
}

size_t store_types_visible(struct store *st, const struct restype *const **out)
{
	*out = st->visible;
	return st->nvisible;
}

bool store_crd_terminating(struct store *st, const struct restype *rt)
{
	const struct restype *crd;
	const cJSON *obj;
	char name[512];
	bool out;

	if (!rt->custom)
		return false;
	snprintf(name, sizeof(name), "%s.%s", rt->resource, rt->group);
	store_lock(st);
	crd = store_type(st, "apiextensions.k8s.io", "customresourcedefinitions");
	obj = crd ? store_get(st, crd, NULL, name) : NULL;
	out = obj && obj_str(obj, "metadata", "deletionTimestamp");
	store_unlock(st);
	return out;
}
