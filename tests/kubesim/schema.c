/*
 * schema: hand-written subset of the built-in schema (client-go applyconfigurations
 * internal.go) for the kinds kubesim serves. Only the exceptions to the deduced rules
 * are listed; see schema.h.
 */
#include <stddef.h>
#include <string.h>

#include "schema.h"

#define MAP_LIST(it, ...)                                                                          \
	{                                                                                          \
		.kind = SCHEMA_MAP_LIST, .elem = (it), .keys = { __VA_ARGS__ }                     \
	}

static const struct schema_node deduced = {.kind = SCHEMA_DEDUCED};
static const struct schema_node atomic = {.kind = SCHEMA_ATOMIC};
static const struct schema_node set = {.kind = SCHEMA_SET};

/* meta/v1 */
static const struct schema_node owner_refs = MAP_LIST(&atomic, "uid");
static const struct schema_field objectmeta_fields[] = {
    {"ownerReferences", &owner_refs},
    {"finalizers", &set},
    {"managedFields", &atomic},
    {NULL, NULL},
};
static const struct schema_node objectmeta = {.kind = SCHEMA_STRUCT, .fields = objectmeta_fields};

/* core/v1 containers */
static const struct schema_field envvarsource_fields[] = {
    {"configMapKeyRef", &atomic},
    {"secretKeyRef", &atomic},
    {"fieldRef", &atomic},
    {"resourceFieldRef", &atomic},
    {NULL, NULL},
};
static const struct schema_node envvarsource = {.kind = SCHEMA_STRUCT,
						.fields = envvarsource_fields};
static const struct schema_field envvar_fields[] = {
    {"valueFrom", &envvarsource},
    {NULL, NULL},
};
static const struct schema_node envvar = {.kind = SCHEMA_STRUCT, .fields = envvar_fields};
static const struct schema_node env_list = MAP_LIST(&envvar, "name");
static const struct schema_node ports_list = {
    .kind = SCHEMA_MAP_LIST, .keys = {"containerPort", "protocol"}, .key_defaults = {NULL, "TCP"}};
static const struct schema_node mounts_list = MAP_LIST(NULL, "mountPath");
static const struct schema_node devices_list = MAP_LIST(NULL, "devicePath");
static const struct schema_node claims_list = MAP_LIST(NULL, "name");
static const struct schema_field resources_fields[] = {
    {"claims", &claims_list},
    {NULL, NULL},
};
static const struct schema_node resources = {.kind = SCHEMA_STRUCT, .fields = resources_fields};
static const struct schema_field container_fields[] = {
    {"env", &env_list},
    {"ports", &ports_list},
    {"volumeMounts", &mounts_list},
    {"volumeDevices", &devices_list},
    {"resources", &resources},
    {NULL, NULL},
};
static const struct schema_node container = {.kind = SCHEMA_STRUCT, .fields = container_fields};
static const struct schema_node containers = MAP_LIST(&container, "name");

/* core/v1 PodSpec */
static const struct schema_node volumes = {
    .kind = SCHEMA_MAP_LIST, .keys = {"name"}, .retain_keys = true};
static const struct schema_node pull_secrets = MAP_LIST(&atomic, "name");
static const struct schema_node host_aliases = MAP_LIST(NULL, "ip");
static const struct schema_field tsc_fields[] = {
    {"labelSelector", &atomic},
    {NULL, NULL},
};
static const struct schema_node tsc = {.kind = SCHEMA_STRUCT, .fields = tsc_fields};
static const struct schema_node tsc_list = MAP_LIST(&tsc, "topologyKey", "whenUnsatisfiable");
static const struct schema_node by_name = MAP_LIST(NULL, "name");
static const struct schema_field node_affinity_fields[] = {
    {"requiredDuringSchedulingIgnoredDuringExecution", &atomic},
    {NULL, NULL},
};
static const struct schema_node node_affinity = {.kind = SCHEMA_STRUCT,
						 .fields = node_affinity_fields};
static const struct schema_field affinity_fields[] = {
    {"nodeAffinity", &node_affinity},
    {NULL, NULL},
};
static const struct schema_node affinity = {.kind = SCHEMA_STRUCT, .fields = affinity_fields};
static const struct schema_field podspec_fields[] = {
    {"containers", &containers},
    {"initContainers", &containers},
    {"ephemeralContainers", &containers},
    {"volumes", &volumes},
    {"imagePullSecrets", &pull_secrets},
    {"hostAliases", &host_aliases},
    {"topologySpreadConstraints", &tsc_list},
    {"schedulingGates", &by_name},
    {"resourceClaims", &by_name},
    {"nodeSelector", &atomic},
    {"affinity", &affinity},
    {NULL, NULL},
};
static const struct schema_node podspec = {.kind = SCHEMA_STRUCT, .fields = podspec_fields};
static const struct schema_field template_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &podspec},
    {NULL, NULL},
};
static const struct schema_node pod_template = {.kind = SCHEMA_STRUCT, .fields = template_fields};

/* status with conditions keyed by type */
static const struct schema_node conditions = MAP_LIST(NULL, "type");
static const struct schema_field status_fields[] = {
    {"conditions", &conditions},
    {NULL, NULL},
};
static const struct schema_node cond_status = {.kind = SCHEMA_STRUCT, .fields = status_fields};

/* apps/v1 and batch/v1 specs: selector atomic, template a pod template */
static const struct schema_field workload_spec_fields[] = {
    {"selector", &atomic},
    {"template", &pod_template},
    {NULL, NULL},
};
static const struct schema_node workload_spec = {.kind = SCHEMA_STRUCT,
						 .fields = workload_spec_fields};
static const struct schema_field strategy_fields[] = {
    {NULL, NULL},
};
static const struct schema_node retain_struct = {
    .kind = SCHEMA_STRUCT, .fields = strategy_fields, .retain_keys = true};
static const struct schema_field deploy_spec_fields[] = {
    {"selector", &atomic},
    {"template", &pod_template},
    {"strategy", &retain_struct},
    {NULL, NULL},
};
static const struct schema_node deploy_spec = {.kind = SCHEMA_STRUCT, .fields = deploy_spec_fields};

static const struct schema_field workload_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &workload_spec},
    {"status", &cond_status},
    {NULL, NULL},
};
static const struct schema_node workload = {.kind = SCHEMA_STRUCT, .fields = workload_fields};
static const struct schema_field deploy_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &deploy_spec},
    {"status", &cond_status},
    {NULL, NULL},
};
static const struct schema_node deployment = {.kind = SCHEMA_STRUCT, .fields = deploy_fields};

/* batch/v1 CronJob: spec.jobTemplate.{metadata,spec} */
static const struct schema_field job_template_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &workload_spec},
    {NULL, NULL},
};
static const struct schema_node job_template = {.kind = SCHEMA_STRUCT,
						.fields = job_template_fields};
static const struct schema_field cronjob_spec_fields[] = {
    {"jobTemplate", &job_template},
    {NULL, NULL},
};
static const struct schema_node cronjob_spec = {.kind = SCHEMA_STRUCT,
						.fields = cronjob_spec_fields};
static const struct schema_field cronjob_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &cronjob_spec},
    {NULL, NULL},
};
static const struct schema_node cronjob = {.kind = SCHEMA_STRUCT, .fields = cronjob_fields};

/* core/v1 Pod */
static const struct schema_field pod_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &podspec},
    {"status", &cond_status},
    {NULL, NULL},
};
static const struct schema_node pod = {.kind = SCHEMA_STRUCT, .fields = pod_fields};
static const struct schema_field podtemplate_fields[] = {
    {"metadata", &objectmeta},
    {"template", &pod_template},
    {NULL, NULL},
};
static const struct schema_node podtemplate = {.kind = SCHEMA_STRUCT, .fields = podtemplate_fields};

/* core/v1 Service */
static const struct schema_node svc_ports = {
    .kind = SCHEMA_MAP_LIST, .keys = {"port", "protocol"}, .key_defaults = {NULL, "TCP"}};
static const struct schema_field svc_spec_fields[] = {
    {"ports", &svc_ports},
    {"selector", &atomic},
    {NULL, NULL},
};
static const struct schema_node svc_spec = {.kind = SCHEMA_STRUCT, .fields = svc_spec_fields};
static const struct schema_field svc_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &svc_spec},
    {"status", &cond_status},
    {NULL, NULL},
};
static const struct schema_node service = {.kind = SCHEMA_STRUCT, .fields = svc_fields};

/* kinds whose only special part is ObjectMeta (plus conditions in status) */
static const struct schema_field plain_fields[] = {
    {"metadata", &objectmeta},
    {"status", &cond_status},
    {NULL, NULL},
};
static const struct schema_node plain = {.kind = SCHEMA_STRUCT, .fields = plain_fields};

/* issue #13 kinds, part 2: webhooks keyed by name, their matchConditions too; a
 * binding's validationActions and a CSI driver's lifecycle modes are sets. */
static const struct schema_field webhook_fields[] = {
    {"matchConditions", &by_name},
    {NULL, NULL},
};
static const struct schema_node webhook = {.kind = SCHEMA_STRUCT, .fields = webhook_fields};
static const struct schema_node webhooks_list = MAP_LIST(&webhook, "name");
static const struct schema_field webhook_config_fields[] = {
    {"metadata", &objectmeta},
    {"webhooks", &webhooks_list},
    {NULL, NULL},
};
static const struct schema_node webhook_config = {.kind = SCHEMA_STRUCT,
						  .fields = webhook_config_fields};
static const struct schema_field vap_spec_fields[] = {
    {"matchConditions", &by_name},
    {NULL, NULL},
};
static const struct schema_node vap_spec = {.kind = SCHEMA_STRUCT, .fields = vap_spec_fields};
static const struct schema_field vap_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &vap_spec},
    {"status", &cond_status},
    {NULL, NULL},
};
static const struct schema_node vap = {.kind = SCHEMA_STRUCT, .fields = vap_fields};
static const struct schema_field set_spec_fields[] = {
    {"validationActions", &set},
    {"volumeLifecycleModes", &set},
    {NULL, NULL},
};
static const struct schema_node set_spec = {.kind = SCHEMA_STRUCT, .fields = set_spec_fields};
static const struct schema_field set_spec_kind_fields[] = {
    {"metadata", &objectmeta},
    {"spec", &set_spec},
    {NULL, NULL},
};
static const struct schema_node set_spec_kind = {.kind = SCHEMA_STRUCT,
						 .fields = set_spec_kind_fields};

static const struct {
	const char *group;
	const char *kind;
	const struct schema_node *root;
} kinds[] = {
    {"apps", "Deployment", &deployment},
    {"apps", "ReplicaSet", &workload},
    {"apps", "StatefulSet", &workload},
    {"apps", "DaemonSet", &workload},
    {"apps", "ControllerRevision", &plain},
    {"batch", "Job", &workload},
    {"batch", "CronJob", &cronjob},
    {"", "Pod", &pod},
    {"", "PodTemplate", &podtemplate},
    {"", "ReplicationController", &workload},
    {"", "Service", &service},
    {"", "ConfigMap", &plain},
    {"", "Secret", &plain},
    {"", "Namespace", &plain},
    {"", "ServiceAccount", &plain},
    {"", "Endpoints", &plain},
    {"", "Event", &plain},
    {"", "PersistentVolumeClaim", &plain},
    {"", "LimitRange", &plain},
    {"", "ResourceQuota", &plain},
    {"coordination.k8s.io", "Lease", &plain},
    {"rbac.authorization.k8s.io", "Role", &plain},
    {"rbac.authorization.k8s.io", "ClusterRole", &plain},
    {"rbac.authorization.k8s.io", "RoleBinding", &plain},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", &plain},
    {"networking.k8s.io", "Ingress", &plain},
    {"networking.k8s.io", "NetworkPolicy", &plain},
    {"policy", "PodDisruptionBudget", &plain},
    {"autoscaling", "HorizontalPodAutoscaler", &plain},
    {"apiextensions.k8s.io", "CustomResourceDefinition", &plain},
    {"scheduling.k8s.io", "PriorityClass", &plain},
    {"storage.k8s.io", "StorageClass", &plain},
    /* issue #13 kinds, part 2 */
    {"networking.k8s.io", "IngressClass", &plain},
    {"admissionregistration.k8s.io", "ValidatingWebhookConfiguration", &webhook_config},
    {"admissionregistration.k8s.io", "MutatingWebhookConfiguration", &webhook_config},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicy", &vap},
    {"admissionregistration.k8s.io", "ValidatingAdmissionPolicyBinding", &set_spec_kind},
    {"apiregistration.k8s.io", "APIService", &plain},
    {"discovery.k8s.io", "EndpointSlice", &plain},
    {"storage.k8s.io", "CSIDriver", &set_spec_kind},
    {"node.k8s.io", "RuntimeClass", &plain},
};

const struct schema_node *schema_root(const char *group, const char *kind)
{
	size_t i;

	if (!kind)
		return NULL;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(kinds[i].group, group ? group : "") && !strcmp(kinds[i].kind, kind))
			return kinds[i].root;
	return NULL;
}

const struct schema_node *schema_child(const struct schema_node *n, const char *name)
{
	const struct schema_field *f;

	if (!n || n->kind != SCHEMA_STRUCT || !n->fields)
		return &deduced;
	for (f = n->fields; f->name; f++)
		if (!strcmp(f->name, name))
			return f->node;
	return &deduced;
}

const struct schema_node *schema_item(const struct schema_node *n)
{
	if (n && n->kind == SCHEMA_MAP_LIST && n->elem)
		return n->elem;
	return &deduced;
}

const struct schema_node *schema_deduced(void)
{
	return &deduced;
}
