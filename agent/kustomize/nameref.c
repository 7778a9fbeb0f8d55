/*
 * kustomize_nameref: after every rename (prefix, suffix, namespace, content hash),
 * rewrites the fields that refer to a renamed object by name, the way kustomize's
 * name reference transformer does: a Deployment mounting ConfigMap "cfg" ends up
 * pointing at "dev-cfg-5h2k9m7c4b". The table is kustomize's default
 * (api/internal/konfig/builtinpluginconsts/namereference.go); the candidate
 * selection follows api/filters/nameref, quirks included (a RoleBinding subject is
 * matched by name whatever its kind).
 */
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

struct ks_nameref {
	const char *tgroup; /* referenced object ("" any group) */
	const char *tkind;
	const char *rgroup; /* referrer */
	const char *rversion;
	const char *rkind;
	const char *path;
};

static const struct ks_nameref ks_namerefs[] = {
    {"", "Deployment", "", "", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"},
    {"", "ReplicationController", "", "", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"},
    {"", "ReplicaSet", "", "", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"},
    {"", "StatefulSet", "", "", "HorizontalPodAutoscaler", "spec/scaleTargetRef/name"},
    {"", "ConfigMap", "", "v1", "Pod", "spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "v1", "Pod", "spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "v1", "Pod", "spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "v1", "Pod", "spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "v1", "Pod", "spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "v1", "Pod", "spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "PodTemplate", "template/spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "", "PodTemplate",
     "template/spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "PodTemplate",
     "template/spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "PodTemplate", "template/spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "PodTemplate",
     "template/spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "PodTemplate",
     "template/spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "Deployment", "spec/template/spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "", "Deployment",
     "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "Deployment",
     "spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "Deployment",
     "spec/template/spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "Deployment",
     "spec/template/spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "Deployment",
     "spec/template/spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "ReplicaSet", "spec/template/spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "", "ReplicaSet",
     "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "ReplicaSet",
     "spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "ReplicaSet",
     "spec/template/spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "ReplicaSet",
     "spec/template/spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "ReplicaSet",
     "spec/template/spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "DaemonSet", "spec/template/spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "", "DaemonSet",
     "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "DaemonSet",
     "spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "DaemonSet",
     "spec/template/spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "DaemonSet",
     "spec/template/spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "DaemonSet",
     "spec/template/spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "StatefulSet", "spec/template/spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "", "StatefulSet",
     "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "StatefulSet",
     "spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "StatefulSet",
     "spec/template/spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "StatefulSet",
     "spec/template/spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "StatefulSet",
     "spec/template/spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "Job", "spec/template/spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "", "Job",
     "spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "Job",
     "spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "Job", "spec/template/spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "Job", "spec/template/spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "Job", "spec/template/spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/volumes/configMap/name"},
    {"", "ConfigMap", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/containers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/configMapKeyRef/name"},
    {"", "ConfigMap", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/containers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/initContainers/envFrom/configMapRef/name"},
    {"", "ConfigMap", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/volumes/projected/sources/configMap/name"},
    {"", "ConfigMap", "", "", "Node", "spec/configSource/configMap"},
    {"", "ConfigMap", "", "", "Role", "rules/resourceNames"},
    {"", "ConfigMap", "", "", "ClusterRole", "rules/resourceNames"},
    {"", "ConfigMap", "", "", "Ingress",
     "metadata/annotations/nginx.ingress.kubernetes.io\\/fastcgi-params-configmap"},
    {"", "Secret", "", "v1", "Pod", "spec/volumes/secret/secretName"},
    {"", "Secret", "", "v1", "Pod", "spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "v1", "Pod", "spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "v1", "Pod", "spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "v1", "Pod", "spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "v1", "Pod", "spec/imagePullSecrets/name"},
    {"", "Secret", "", "v1", "Pod", "spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "PodTemplate", "template/spec/volumes/secret/secretName"},
    {"", "Secret", "", "", "PodTemplate",
     "template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "PodTemplate",
     "template/spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "PodTemplate", "template/spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "PodTemplate", "template/spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "PodTemplate", "template/spec/imagePullSecrets/name"},
    {"", "Secret", "", "", "PodTemplate", "template/spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "Deployment", "spec/template/spec/volumes/secret/secretName"},
    {"", "Secret", "", "", "Deployment",
     "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "Deployment",
     "spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "Deployment", "spec/template/spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "Deployment",
     "spec/template/spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "Deployment", "spec/template/spec/imagePullSecrets/name"},
    {"", "Secret", "", "", "Deployment",
     "spec/template/spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "ReplicaSet", "spec/template/spec/volumes/secret/secretName"},
    {"", "Secret", "", "", "ReplicaSet",
     "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "ReplicaSet",
     "spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "ReplicaSet", "spec/template/spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "ReplicaSet",
     "spec/template/spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "ReplicaSet", "spec/template/spec/imagePullSecrets/name"},
    {"", "Secret", "", "", "ReplicaSet",
     "spec/template/spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "DaemonSet", "spec/template/spec/volumes/secret/secretName"},
    {"", "Secret", "", "", "DaemonSet",
     "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "DaemonSet",
     "spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "DaemonSet", "spec/template/spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "DaemonSet", "spec/template/spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "DaemonSet", "spec/template/spec/imagePullSecrets/name"},
    {"", "Secret", "", "", "DaemonSet", "spec/template/spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "StatefulSet", "spec/template/spec/volumes/secret/secretName"},
    {"", "Secret", "", "", "StatefulSet",
     "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "StatefulSet",
     "spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "StatefulSet", "spec/template/spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "StatefulSet",
     "spec/template/spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "StatefulSet", "spec/template/spec/imagePullSecrets/name"},
    {"", "Secret", "", "", "StatefulSet",
     "spec/template/spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "Job", "spec/template/spec/volumes/secret/secretName"},
    {"", "Secret", "", "", "Job", "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "Job",
     "spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "Job", "spec/template/spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "Job", "spec/template/spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "Job", "spec/template/spec/imagePullSecrets/name"},
    {"", "Secret", "", "", "Job", "spec/template/spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/volumes/secret/secretName"},
    {"", "Secret", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/initContainers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/containers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/initContainers/envFrom/secretRef/name"},
    {"", "Secret", "", "", "CronJob", "spec/jobTemplate/spec/template/spec/imagePullSecrets/name"},
    {"", "Secret", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/volumes/projected/sources/secret/name"},
    {"", "Secret", "", "", "Ingress", "spec/tls/secretName"},
    {"", "Secret", "", "", "Ingress", "metadata/annotations/ingress.kubernetes.io\\/auth-secret"},
    {"", "Secret", "", "", "Ingress",
     "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-secret"},
    {"", "Secret", "", "", "Ingress",
     "metadata/annotations/nginx.ingress.kubernetes.io\\/auth-tls-secret"},
    {"", "Secret", "", "", "ServiceAccount", "imagePullSecrets/name"},
    {"", "Secret", "", "", "StorageClass", "parameters/secretName"},
    {"", "Secret", "", "", "StorageClass", "parameters/adminSecretName"},
    {"", "Secret", "", "", "StorageClass", "parameters/userSecretName"},
    {"", "Secret", "", "", "StorageClass", "parameters/secretRef"},
    {"", "Secret", "", "", "Role", "rules/resourceNames"},
    {"", "Secret", "", "", "ClusterRole", "rules/resourceNames"},
    {"", "Secret", "serving.knative.dev", "v1", "Service",
     "spec/template/spec/containers/env/valueFrom/secretKeyRef/name"},
    {"", "Secret", "", "", "PersistentVolume", "spec/azureFile/secretName"},
    {"", "Service", "apps", "", "StatefulSet", "spec/serviceName"},
    {"", "Service", "", "", "Ingress", "spec/rules/http/paths/backend/serviceName"},
    {"", "Service", "", "", "Ingress", "spec/backend/serviceName"},
    {"", "Service", "", "", "Ingress", "spec/rules/http/paths/backend/service/name"},
    {"", "Service", "", "", "Ingress", "spec/defaultBackend/service/name"},
    {"", "Service", "apiregistration.k8s.io", "", "APIService", "spec/service/name"},
    {"", "Service", "admissionregistration.k8s.io", "", "ValidatingWebhookConfiguration",
     "webhooks/clientConfig/service"},
    {"", "Service", "admissionregistration.k8s.io", "", "MutatingWebhookConfiguration",
     "webhooks/clientConfig/service"},
    {"", "Service", "", "", "HTTPRoute", "spec/rules/backendRefs/name"},
    {"rbac.authorization.k8s.io", "Role", "rbac.authorization.k8s.io", "", "RoleBinding",
     "roleRef/name"},
    {"rbac.authorization.k8s.io", "ClusterRole", "rbac.authorization.k8s.io", "", "RoleBinding",
     "roleRef/name"},
    {"rbac.authorization.k8s.io", "ClusterRole", "rbac.authorization.k8s.io", "",
     "ClusterRoleBinding", "roleRef/name"},
    {"", "ServiceAccount", "rbac.authorization.k8s.io", "", "RoleBinding", "subjects"},
    {"", "ServiceAccount", "rbac.authorization.k8s.io", "", "ClusterRoleBinding", "subjects"},
    {"", "ServiceAccount", "", "", "Pod", "spec/serviceAccountName"},
    {"", "ServiceAccount", "", "", "StatefulSet", "spec/template/spec/serviceAccountName"},
    {"", "ServiceAccount", "", "", "Deployment", "spec/template/spec/serviceAccountName"},
    {"", "ServiceAccount", "", "", "ReplicationController",
     "spec/template/spec/serviceAccountName"},
    {"", "ServiceAccount", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/serviceAccountName"},
    {"", "ServiceAccount", "", "", "Job", "spec/template/spec/serviceAccountName"},
    {"", "ServiceAccount", "", "", "DaemonSet", "spec/template/spec/serviceAccountName"},
    {"", "PersistentVolumeClaim", "", "", "Pod", "spec/volumes/persistentVolumeClaim/claimName"},
    {"", "PersistentVolumeClaim", "", "", "StatefulSet",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"", "PersistentVolumeClaim", "", "", "Deployment",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"", "PersistentVolumeClaim", "", "", "ReplicationController",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"", "PersistentVolumeClaim", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"", "PersistentVolumeClaim", "", "", "Job",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"", "PersistentVolumeClaim", "", "", "DaemonSet",
     "spec/template/spec/volumes/persistentVolumeClaim/claimName"},
    {"", "PersistentVolume", "", "", "PersistentVolumeClaim", "spec/volumeName"},
    {"", "PersistentVolume", "", "", "ClusterRole", "rules/resourceNames"},
    {"storage.k8s.io", "StorageClass", "", "", "PersistentVolume", "spec/storageClassName"},
    {"storage.k8s.io", "StorageClass", "", "", "PersistentVolumeClaim", "spec/storageClassName"},
    {"storage.k8s.io", "StorageClass", "", "", "StatefulSet",
     "spec/volumeClaimTemplates/spec/storageClassName"},
    {"scheduling.k8s.io", "PriorityClass", "", "", "Pod", "spec/priorityClassName"},
    {"scheduling.k8s.io", "PriorityClass", "", "", "StatefulSet",
     "spec/template/spec/priorityClassName"},
    {"scheduling.k8s.io", "PriorityClass", "", "", "Deployment",
     "spec/template/spec/priorityClassName"},
    {"scheduling.k8s.io", "PriorityClass", "", "", "ReplicationController",
     "spec/template/spec/priorityClassName"},
    {"scheduling.k8s.io", "PriorityClass", "", "", "CronJob",
     "spec/jobTemplate/spec/template/spec/priorityClassName"},
    {"scheduling.k8s.io", "PriorityClass", "", "", "Job", "spec/template/spec/priorityClassName"},
    {"scheduling.k8s.io", "PriorityClass", "", "", "DaemonSet",
     "spec/template/spec/priorityClassName"},
};

struct ks_ref_ctx {
	struct ks_set *ra;
	struct ks_res *referrer;
	const struct ks_nameref *ref;
	struct ks_res **cand;	/* scratch, ra->n entries */
	size_t *hits;		/* scratch, ra->n entries */
	struct ks_index byname; /* earlier name -> resource index */
	struct err *e;
};

static bool ks_prev_name(const struct ks_res *r, const char *name)
{
	for (size_t i = 0; i < r->nprev; i++)
		if (strcmp(r->prev[i].name ? r->prev[i].name : "", name) == 0)
			return true;
	return false;
}

static bool ks_prev_gk(const struct ks_res *r, const char *group, const char *kind)
{
	for (size_t i = 0; i < r->nprev; i++) {
		const struct ks_id *id = &r->prev[i];

		if (group && *group && strcmp(id->group ? id->group : "", group) != 0)
			continue;
		if (kind && *kind && strcmp(id->kind ? id->kind : "", kind) != 0)
			continue;
		return true;
	}
	return false;
}

static bool ks_res_cluster(const struct ks_res *r)
{
	char g[256], v[64];

	ks_group_version(r->body, g, sizeof(g), v, sizeof(v));
	return ks_cluster_scoped(g, ks_kind(r->body));
}

/* kustomize's SubsetThatCouldBeReferencedByResource. */
static bool ks_could_refer(const struct ks_res *referrer, const struct ks_res *target)
{
	const cJSON *s;

	if (ks_res_cluster(referrer) || ks_res_cluster(target) ||
	    ks_ns_equal(ks_ns(referrer->body), ks_ns(target->body)))
		return true;
	if (strcmp(ks_kind(referrer->body), "RoleBinding") != 0)
		return false;
	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(referrer->body, "subjects"))
	{
		const char *k = json_str(s, "kind", NULL), *ns = json_str(s, "namespace", NULL);
		const char *tns = ks_ns(target->body);

		if (k && strcmp(k, "ServiceAccount") == 0 && ns && strcmp(ns, tns ? tns : "") == 0)
			return true;
	}
	return false;
}

/* utils.SameEndingSubSlice: the shorter list ends the longer one. */
static bool ks_same_ending(const struct strlist *a, const struct strlist *b)
{
	const struct strlist *s = a->n <= b->n ? a : b, *l = a->n <= b->n ? b : a;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->items[s->n - 1 - i], l->items[l->n - 1 - i]) != 0)
			return false;
	return true;
}

static bool ks_ref_sieve(struct ks_ref_ctx *x, struct ks_res *t, const char *old, const char *path)
{
	const struct ks_res *ref = x->referrer;

	if (str_has_suffix(path, "roleRef/name")) {
		const cJSON *rr = cJSON_GetObjectItemCaseSensitive(ref->body, "roleRef");
		const char *g = json_str(rr, "apiGroup", NULL), *k = json_str(rr, "kind", NULL);

		if (g && k && !ks_prev_gk(t, g, k))
			return false;
	}
	if (ks_res_cluster(ref) || ks_res_cluster(t) ||
	    strcmp(ks_kind(t->body), "ServiceAccount") == 0)
		return true;
	return ks_ns_equal(ks_ns(ref->body), ks_ns(t->body));
}

/* kustomize's selectReferral over the candidates x->cand[0..n). */
static int ks_select(struct ks_ref_ctx *x, size_t n, const char *old, bool with_ns,
		     struct ks_res **out)
{
	size_t k = 0;

	*out = NULL;
	for (size_t i = 0; i < n; i++)
		if (ks_ref_sieve(x, x->cand[i], old, x->ref->path))
			x->cand[k++] = x->cand[i];
	if (k > 1) {
		size_t m = 0;

		for (size_t i = 0; i < k; i++)
			if (ks_same_ending(&x->cand[i]->prefixes, &x->referrer->prefixes) &&
			    ks_same_ending(&x->cand[i]->suffixes, &x->referrer->suffixes))
				x->cand[m++] = x->cand[i];
		k = m;
	}
	if (k == 0)
		return 0;
	for (size_t i = 1; i < k; i++) {
		const char *a = ks_ns(x->cand[0]->body), *b = ks_ns(x->cand[i]->body);

		if (strcmp(ks_name(x->cand[0]->body), ks_name(x->cand[i]->body)) != 0 ||
		    (with_ns && strcmp(a ? a : "", b ? b : "") != 0))
			return err_set(x->e, TE_INPUT,
				       "%s %s: %s: found multiple possible referrals for %s %s",
				       ks_kind(x->referrer->body), ks_name(x->referrer->body),
				       x->ref->path, x->ref->tkind, old);
	}
	*out = x->cand[0];
	return 0;
}

/* Once named old, of the referenced kind: checked first as it is the cheapest. */
static bool ks_was_named(const struct ks_ref_ctx *x, const struct ks_res *t, const char *old)
{
	return ks_prev_name(t, old) && ks_prev_gk(t, x->ref->tgroup, x->ref->tkind);
}

/* The candidates a referrer may point at at all. */
static int ks_cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/* The resources once named old, in build order, through the index. */
static size_t ks_candidates(struct ks_ref_ctx *x, const char *old)
{
	size_t n = 0, nh = ks_index_get(&x->byname, old, x->hits, x->ra->n);

	qsort(x->hits, nh, sizeof(*x->hits), ks_cmp_size);
	for (size_t i = 0; i < nh; i++) {
		struct ks_res *r = &x->ra->items[x->hits[i]];

		if (ks_was_named(x, r, old) && ks_could_refer(x->referrer, r))
			x->cand[n++] = r;
	}
	return n;
}

/* Indexes every earlier name of every resource (each name once per resource). */
static int ks_index_names(struct ks_ref_ctx *x)
{
	int rc;

	if ((rc = ks_index_init(&x->byname, x->ra->n * 2)) < 0)
		return rc;
	for (size_t i = 0; i < x->ra->n; i++) {
		const struct ks_res *r = &x->ra->items[i];

		for (size_t j = 0; j < r->nprev; j++) {
			bool seen = false;

			for (size_t k = 0; k < j && !seen; k++)
				seen = strcmp(r->prev[k].name, r->prev[j].name) == 0;
			if (!seen && (rc = ks_index_add(&x->byname, r->prev[j].name, i)) < 0)
				return rc;
		}
	}
	return 0;
}

static int ks_ref_scalar(struct ks_ref_ctx *x, cJSON *parent, const char *key, cJSON *node)
{
	struct ks_res *t;
	cJSON *s;
	int rc;

	if ((rc = ks_select(x, ks_candidates(x, node->valuestring), node->valuestring, false, &t)) <
		0 ||
	    !t)
		return rc;
	if (strcmp(ks_name(t->body), node->valuestring) == 0)
		return 0;
	if (!(s = cJSON_CreateString(ks_name(t->body))))
		return TE_NOMEM;
	if (key)
		return json_object_set(parent, key, s);
	if (!cJSON_ReplaceItemViaPointer(parent, node, s)) {
		cJSON_Delete(s);
		return TE_FAIL;
	}
	return 0;
}

/* Original namespace of a resource, "" as "default" (kustomize's EffectiveNamespace). */
static const char *ks_org_ns(const struct ks_res *r)
{
	const char *ns = r->nprev ? r->prev[0].ns : ks_ns(r->body);

	return ns && *ns ? ns : "default";
}

/* The candidates once named name in namespace want. kustomize groups all candidates by
 * original namespace and uses the group of this namespace when there is one, else the
 * current namespace. */
static size_t ks_candidates_in_ns(struct ks_ref_ctx *x, const char *name, const char *want)
{
	bool by_org = false;
	size_t n = 0;

	for (size_t i = 0; i < x->ra->n && !by_org; i++) {
		struct ks_res *r = &x->ra->items[i];

		by_org = !ks_res_cluster(r) && strcmp(ks_org_ns(r), want) == 0 &&
			 ks_could_refer(x->referrer, r);
	}
	for (size_t i = 0; i < x->ra->n; i++) {
		struct ks_res *r = &x->ra->items[i];
		const char *cur = ks_ns(r->body);
		const char *ns = by_org ? ks_org_ns(r) : cur && *cur ? cur : "default";

		if (ks_was_named(x, r, name) && !ks_res_cluster(r) && strcmp(ns, want) == 0 &&
		    ks_could_refer(x->referrer, r))
			x->cand[n++] = r;
	}
	return n;
}

/* Points a {name, namespace} reference at t. */
static int ks_ref_rewrite(cJSON *node, const char *name, const struct ks_res *t)
{
	const char *ns = ks_ns(t->body);

	if (strcmp(ks_name(t->body), name) == 0 && !ns)
		return 0;
	if (ks_set_str(node, "name", ks_name(t->body)) < 0)
		return TE_NOMEM;
	if (ns && *ns && ks_set_str(node, "namespace", ns) < 0)
		return TE_NOMEM;
	return 0;
}

static int ks_ref_mapping(struct ks_ref_ctx *x, cJSON *node)
{
	const char *name = json_str(node, "name", NULL);
	const cJSON *nsv = cJSON_GetObjectItemCaseSensitive(node, "namespace");
	struct ks_res *t;
	size_t n;
	int rc;

	if (!name)
		return 0;
	n = cJSON_IsString(nsv) ? ks_candidates_in_ns(x, name, nsv->valuestring)
				: ks_candidates(x, name);
	if ((rc = ks_select(x, n, name, true, &t)) < 0 || !t)
		return rc;
	return ks_ref_rewrite(node, name, t);
}

static int ks_ref_leaf(cJSON *parent, const char *key, void *ctx)
{
	struct ks_ref_ctx *x = ctx;
	cJSON *node = cJSON_GetObjectItemCaseSensitive(parent, key), *el, *next;
	int rc;

	if (cJSON_IsString(node))
		return ks_ref_scalar(x, parent, key, node);
	if (cJSON_IsObject(node))
		return ks_ref_mapping(x, node);
	if (!cJSON_IsArray(node))
		return 0;
	for (el = node->child; el; el = next) {
		next = el->next;
		if (cJSON_IsString(el))
			rc = ks_ref_scalar(x, node, NULL, el);
		else if (cJSON_IsObject(el))
			rc = ks_ref_mapping(x, el);
		else
			rc = 0;
		if (rc < 0)
			return rc;
	}
	return 0;
}

static bool ks_referrer_matches(const struct ks_nameref *ref, const cJSON *body)
{
	struct ks_fieldspec fs = {ref->rgroup, ref->rversion, ref->rkind, ref->path, false};

	return ks_fs_matches(&fs, body);
}

/* The rows of a configurations nameReference entry (a referenced kind and the fields
 * referring to it) appended to t at *n; with t NULL, only counted. */
static int ks_cfg_refs(const cJSON *entry, struct ks_nameref *t, size_t *n, struct err *e)
{
	const cJSON *f;

	if (!json_str(entry, "kind", NULL))
		return err_set(e, TE_INPUT, "configurations: nameReference entries need a kind");
	cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(entry, "fieldSpecs"))
	{
		if (!json_str(f, "path", NULL))
			return err_set(e, TE_INPUT,
				       "configurations: nameReference %s: each field spec needs a "
				       "path",
				       json_str(entry, "kind", NULL));
		if (t)
			t[*n] = (struct ks_nameref){json_str_or(entry, "", "group", NULL),
						    json_str(entry, "kind", NULL),
						    json_str_or(f, "", "group", NULL),
						    json_str_or(f, "", "version", NULL),
						    json_str_or(f, "", "kind", NULL),
						    json_str(f, "path", NULL)};
		(*n)++;
	}
	return 0;
}

/* kustomize's table followed by the name references of the configurations. */
static int ks_refs_table(const struct ks_set *ra, struct ks_nameref **out, size_t *n, struct err *e)
{
	const cJSON *cfg = cJSON_GetObjectItemCaseSensitive(ra->tconfig, "nameReference"), *it;
	size_t nstatic = sizeof(ks_namerefs) / sizeof(ks_namerefs[0]), count = nstatic;
	int rc;

	cJSON_ArrayForEach(it, cfg) if ((rc = ks_cfg_refs(it, NULL, &count, e)) < 0) return rc;
	if (!(*out = calloc(count, sizeof(**out))))
		return err_set(e, TE_NOMEM, "out of memory");
	memcpy(*out, ks_namerefs, sizeof(ks_namerefs));
	*n = nstatic;
	cJSON_ArrayForEach(it, cfg) ks_cfg_refs(it, *out, n, e);
	return 0;
}

int ks_fix_name_refs(struct ks_set *ra, struct err *e)
{
	struct ks_ref_ctx x = {.ra = ra, .e = e};
	struct ks_nameref *refs = NULL;
	size_t nrefs = 0;
	int rc = 0;

	if (!ra->n)
		return 0;
	if ((rc = ks_refs_table(ra, &refs, &nrefs, e)) < 0)
		return rc;
	x.cand = calloc(ra->n, sizeof(*x.cand));
	x.hits = calloc(ra->n, sizeof(*x.hits));
	if (!x.cand || !x.hits || ks_index_names(&x) < 0) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ra->n && rc == 0; i++) {
		x.referrer = &ra->items[i];
		for (size_t j = 0; j < nrefs && rc == 0; j++) {
			x.ref = &refs[j];
			if (!ks_referrer_matches(x.ref, x.referrer->body))
				continue;
			rc = ks_fs_walk(x.referrer->body, x.ref->path, false, ks_ref_leaf, &x);
			if (rc < 0)
				err_set(e, rc, "%s %s: cannot rewrite the reference in %s",
					ks_kind(x.referrer->body), ks_name(x.referrer->body),
					x.ref->path);
		}
	}
out:
	ks_index_dispose(&x.byname);
	free(x.hits);
	free(x.cand);
	free(refs);
	return rc;
}
