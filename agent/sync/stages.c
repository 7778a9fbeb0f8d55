/*
 * stages: the order objects are applied in. What others depend on goes first:
 * namespaces and CRDs, then RBAC and service accounts, configuration, services,
 * workloads, everything else. Pruning walks the stages backwards.
 */
#include <string.h>

#include "sync_int.h"

struct stage_kind {
	const char *group;
	const char *kind;
	int stage;
};

static const struct stage_kind stage_kinds[] = {
    {"", "Namespace", STAGE_NAMESPACES},
    {"apiextensions.k8s.io", "CustomResourceDefinition", STAGE_NAMESPACES},
    {"rbac.authorization.k8s.io", "ClusterRole", STAGE_CLUSTER_RBAC},
    {"rbac.authorization.k8s.io", "ClusterRoleBinding", STAGE_CLUSTER_RBAC},
    {"", "ServiceAccount", STAGE_SERVICE_ACCOUNTS},
    {"rbac.authorization.k8s.io", "Role", STAGE_RBAC},
    {"rbac.authorization.k8s.io", "RoleBinding", STAGE_RBAC},
    {"", "ConfigMap", STAGE_CONFIG},
    {"", "Secret", STAGE_CONFIG},
    {"", "Service", STAGE_SERVICES},
    {"apps", "Deployment", STAGE_WORKLOADS},
    {"apps", "StatefulSet", STAGE_WORKLOADS},
    {"apps", "DaemonSet", STAGE_WORKLOADS},
    {"apps", "ReplicaSet", STAGE_WORKLOADS},
    {"batch", "Job", STAGE_WORKLOADS},
    {"batch", "CronJob", STAGE_WORKLOADS},
    {"", "Pod", STAGE_WORKLOADS},
};

static const char *stage_names[STAGE_COUNT] = {
    "namespaces", "cluster-rbac", "service-accounts", "rbac",
    "config",	  "services",	  "workloads",	      "rest",
};

int sync_stage_of(const char *group, const char *kind)
{
	for (size_t i = 0; i < sizeof(stage_kinds) / sizeof(stage_kinds[0]); i++)
		if (!strcmp(stage_kinds[i].group, group ? group : "") &&
		    !strcmp(stage_kinds[i].kind, kind))
			return stage_kinds[i].stage;
	return STAGE_REST;
}

const char *sync_stage_name(int stage)
{
	return stage >= 0 && stage < STAGE_COUNT ? stage_names[stage] : "?";
}

bool sync_is_crd(const char *group, const char *kind)
{
	return group && !strcmp(group, "apiextensions.k8s.io") &&
	       !strcmp(kind, "CustomResourceDefinition");
}

bool sync_is_secret(const char *group, const char *kind)
{
	return (!group || !*group) && !strcmp(kind, "Secret");
}

bool sync_revisioned_kind(const char *group, const char *kind)
{
	return group && !strcmp(group, "apps") &&
	       (!strcmp(kind, "Deployment") || !strcmp(kind, "StatefulSet") ||
		!strcmp(kind, "DaemonSet"));
}

bool rollout_tracked_kind(const char *group, const char *kind)
{
	return sync_revisioned_kind(group, kind) ||
	       (group && !strcmp(group, "batch") && !strcmp(kind, "Job"));
}
