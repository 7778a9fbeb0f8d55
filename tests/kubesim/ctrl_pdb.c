/*
 * ctrl_pdb: the disruption controller's status for PodDisruptionBudgets (k8s 1.32
 * pkg/controller/disruption): the matching pods (an empty selector takes every pod of the
 * namespace), how many are healthy (Ready, not terminating), how many should be
 * (minAvailable, or the controllers' scale less maxUnavailable), the disruptions that
 * leaves and the DisruptionAllowed condition. A budget given as a percentage or as
 * maxUnavailable needs each pod's controller (ReplicaSet or its Deployment, StatefulSet,
 * ReplicationController); without one it fails safe as the real one: no disruption,
 * reason SyncFailed. Evictions are not served.
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The replicas of the pod's controller as the controller's finders see it; *uid names
 * it so each counts once. false when there is none the finders know. */
static bool controller_scale(struct controllers *c, const cJSON *pod, const char **uid,
			     int64_t *scale)
{
	const cJSON *ref = ctrl_controller_ref(pod), *owner, *dref;
	const char *kind = ctrl_str(ref, "kind", NULL, NULL), *ns = ctrl_namespace(pod);
	const struct restype *rt = ref ? ctrl_ref_type(c, ref) : NULL;

	if (!rt || !kind || (strcmp(kind, "ReplicaSet") != 0 && strcmp(kind, "StatefulSet") != 0 &&
			     strcmp(kind, "ReplicationController") != 0))
		return false;
	owner = store_get(ctrl_store(c), rt, ns, ctrl_str(ref, "name", NULL, NULL));
	if (!owner || strcmp(ctrl_uid(owner) ?: "", ctrl_str(ref, "uid", NULL, NULL) ?: "") != 0)
		return false;
	dref = ctrl_controller_ref(owner);
	if (strcmp(kind, "ReplicaSet") == 0 && dref &&
	    strcmp(ctrl_str(dref, "kind", NULL, NULL) ?: "", "Deployment") == 0) {
		const cJSON *d = store_get(ctrl_store(c), ctrl_types(c)->deploy, ns,
					   ctrl_str(dref, "name", NULL, NULL));
		if (d)
			owner = d;
	}
	*uid = ctrl_uid(owner);
	*scale = ctrl_int(owner, "spec", "replicas", NULL, 1);
	return true;
}

struct pdb_count {
	int64_t pods, healthy, expected;
	char err[300];
};

static bool selects(const cJSON *sel, const cJSON *pod)
{
	if (!cJSON_IsObject(sel))
		return false;
	if (ctrl_selector_empty(sel))
		return true;
	return ctrl_selector_matches(sel, ctrl_path(pod, "metadata", "labels", NULL));
}

static void count_pods(struct controllers *c, const cJSON *pdb, bool by_scale,
		       struct pdb_count *n)
{
	const cJSON **pods = NULL, *sel = ctrl_path(pdb, "spec", "selector", NULL);
	size_t k = store_list(ctrl_store(c), ctrl_types(c)->pod, ctrl_namespace(pdb), &pods);
	const char **seen = calloc(k + 1, sizeof(*seen));
	size_t nseen = 0;

	for (size_t i = 0; seen && i < k; i++) {
		const char *uid = NULL;
		int64_t scale = 0;
		size_t j;

		if (!selects(sel, pods[i]))
			continue;
		n->pods++;
		if (pod_is_ready(pods[i]) && !ctrl_path(pods[i], "metadata", "deletionTimestamp", NULL))
			n->healthy++;
		if (!by_scale || n->err[0])
			continue;
		if (!controller_scale(c, pods[i], &uid, &scale)) {
			snprintf(n->err, sizeof(n->err), "found no controllers for pod \"%s\"",
				 ctrl_name(pods[i]));
			continue;
		}
		for (j = 0; j < nseen && strcmp(seen[j], uid) != 0; j++)
			;
		if (j == nseen) {
			seen[nseen++] = uid;
			n->expected += scale;
		}
	}
	if (!by_scale)
		n->expected = n->pods;
	free(seen);
	free(pods);
}

/* The DisruptionAllowed condition; its lastTransitionTime stays while its status does. */
static cJSON *condition(struct controllers *c, const cJSON *pdb, bool allowed,
			const char *reason, const char *msg, int64_t gen)
{
	const cJSON *old, *oc = NULL;
	cJSON *conds = cJSON_CreateArray(), *cond = cJSON_CreateObject();
	const char *status = allowed ? "True" : "False";
	char now[32];

	cJSON_ArrayForEach(old, ctrl_path(pdb, "status", "conditions", NULL))
	{
		if (strcmp(ctrl_str(old, "type", NULL, NULL) ?: "", "DisruptionAllowed") == 0)
			oc = old;
	}
	ctrl_now_str(c, now);
	if (oc && strcmp(ctrl_str(oc, "status", NULL, NULL) ?: "", status) == 0 &&
	    ctrl_str(oc, "lastTransitionTime", NULL, NULL))
		snprintf(now, sizeof(now), "%s", ctrl_str(oc, "lastTransitionTime", NULL, NULL));
	cJSON_AddStringToObject(cond, "type", "DisruptionAllowed");
	cJSON_AddStringToObject(cond, "status", status);
	cJSON_AddNumberToObject(cond, "observedGeneration", (double)gen);
	cJSON_AddStringToObject(cond, "lastTransitionTime", now);
	cJSON_AddStringToObject(cond, "reason", reason);
	cJSON_AddStringToObject(cond, "message", msg);
	cJSON_AddItemToArray(conds, cond);
	return conds;
}

const struct restype *ctrl_pdb_type(struct controllers *c)
{
	return store_type(ctrl_store(c), "policy", "poddisruptionbudgets");
}

void pdb_sync(struct controllers *c, const char *ns, const char *name)
{
	const struct restype *rt = ctrl_pdb_type(c);
	const cJSON *pdb = rt ? store_get(ctrl_store(c), rt, ns, name) : NULL;
	const cJSON *min, *max;
	struct pdb_count n = {0};
	int64_t desired = 0, allowed, gen;
	cJSON *st;

	if (!pdb || ctrl_path(pdb, "metadata", "deletionTimestamp", NULL))
		return;
	min = ctrl_path(pdb, "spec", "minAvailable", NULL);
	max = ctrl_path(pdb, "spec", "maxUnavailable", NULL);
	gen = ctrl_int(pdb, "metadata", "generation", NULL, 1);
	count_pods(c, pdb, !cJSON_IsNumber(min), &n);
	if (cJSON_IsNumber(min))
		desired = (int64_t)min->valuedouble;
	else if (cJSON_IsString(min))
		desired = ctrl_intstr_scaled(min, (int)n.expected, true, 0);
	else if (max)
		desired = n.expected - ctrl_intstr_scaled(max, (int)n.expected, true, 0);
	desired = desired < 0 ? 0 : desired;
	allowed = n.healthy - desired;
	if (n.expected <= 0 || allowed < 0 || n.err[0])
		allowed = 0;
	st = cJSON_CreateObject();
	if (!n.err[0]) {
		cJSON_AddNumberToObject(st, "currentHealthy", (double)n.healthy);
		cJSON_AddNumberToObject(st, "desiredHealthy", (double)desired);
		cJSON_AddNumberToObject(st, "expectedPods", (double)n.expected);
	} else { /* failSafe keeps the counts it had */
		cJSON_AddNumberToObject(st, "currentHealthy",
					(double)ctrl_int(pdb, "status", "currentHealthy", NULL, 0));
		cJSON_AddNumberToObject(st, "desiredHealthy",
					(double)ctrl_int(pdb, "status", "desiredHealthy", NULL, 0));
		cJSON_AddNumberToObject(st, "expectedPods",
					(double)ctrl_int(pdb, "status", "expectedPods", NULL, 0));
	}
	cJSON_AddNumberToObject(st, "disruptionsAllowed", (double)allowed);
	cJSON_AddNumberToObject(st, "observedGeneration", (double)gen);
	cJSON_AddItemToObject(st, "conditions",
			      condition(c, pdb, allowed > 0,
					n.err[0] ? "SyncFailed"
						 : allowed > 0 ? "SufficientPods" : "InsufficientPods",
					n.err, gen));
	ctrl_put_status(c, rt, pdb, st);
}
