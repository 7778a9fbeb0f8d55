/*
 * ctrl_deploy_int: state shared by the Deployment controller's files (ctrl_deploy.c:
 * sync, new ReplicaSet, rollouts; ctrl_deploy_status.c: scaling, status, conditions,
 * history cleanup). Mirrors k8s 1.28 pkg/controller/deployment.
 */
#ifndef KUBESIM_CTRL_DEPLOY_INT_H
#define KUBESIM_CTRL_DEPLOY_INT_H

#include "controllers_int.h"

#define ANN_REVISION "deployment.kubernetes.io/revision"
#define ANN_REVISION_HISTORY "deployment.kubernetes.io/revision-history"
#define ANN_DESIRED "deployment.kubernetes.io/desired-replicas"
#define ANN_MAX "deployment.kubernetes.io/max-replicas"
#define HASH_LABEL "pod-template-hash"

/* One sync of one Deployment: working copies of it and of its ReplicaSets. */
struct dsync {
	struct controllers *c;
	cJSON *d;    /* copy of the Deployment; refreshed after each write */
	cJSON **rss; /* copies of the owned ReplicaSets, oldest first */
	size_t n;
	int new_idx;  /* index of the new RS in rss, -1 if none */
	int replicas; /* spec.replicas */
};

/* Helpers on ReplicaSets and the Deployment (ctrl_deploy_status.c). */
int rs_replicas(const cJSON *rs);
int rs_status(const cJSON *rs, const char *field);
int64_t rs_revision(const cJSON *rs);
int deploy_max_surge(const cJSON *d);
int deploy_max_unavailable(const cJSON *d);
bool deploy_has_deadline(const cJSON *d);
/* Writes rs (a copy in ds->rss) with new replicas and the replica annotations; refreshes
 * the copy. Returns true when spec.replicas changed. */
bool dsync_scale_rs(struct dsync *ds, size_t idx, int replicas);
/* Writes the Deployment's status (and annotations) if they differ; refreshes ds->d. */
void dsync_write_status(struct dsync *ds, const cJSON *old_status);
/* calculateStatus into a new status object. */
cJSON *dsync_calc_status(struct dsync *ds);
/* syncDeploymentStatus (no progress conditions) and syncRolloutStatus. */
void dsync_status_only(struct dsync *ds);
void dsync_rollout_status(struct dsync *ds);
/* DeploymentComplete on the given status. */
bool deploy_complete(const cJSON *d, const cJSON *status);
/* scale(): proportional scaling for paused deployments and scaling events. */
void dsync_scale(struct dsync *ds);
bool dsync_is_scaling_event(struct dsync *ds);
/* cleanupDeployment: delete old RSs beyond revisionHistoryLimit. */
void dsync_cleanup(struct dsync *ds);

#endif
