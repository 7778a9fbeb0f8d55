/*
 * store_status: the status the controllers of the cluster-configuration kinds write, set
 * on every write of the main resource so that it is there when a client reads the object
 * back: an APIService's Available condition (kube-aggregator's availability controller)
 * and a ValidatingAdmissionPolicy's observedGeneration and typeChecking (the type-checking
 * controller; CEL is not compiled, so there are never expressionWarnings) and a new
 * PodDisruptionBudget's zero counts. A status that
 * does not change keeps its timestamps, so a no-op write stays a no-op.
 */
#include <stdio.h>
#include <string.h>

#include "store_int.h"

static bool str_is(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

static void replace(cJSON *o, const char *key, cJSON *v)
{
	cJSON_DeleteItemFromObjectCaseSensitive(o, key);
	cJSON_AddItemToObject(o, key, v);
}

void store_condition_set(cJSON *obj, const char *type, const char *status, const char *reason,
			 const char *msg)
{
	cJSON *st = obj_child(obj, "status"), *conds = cJSON_GetObjectItem(st, "conditions");
	cJSON *c, *n;
	char now[32];

	if (!cJSON_IsArray(conds)) {
		conds = cJSON_CreateArray();
		replace(st, "conditions", conds);
	}
	cJSON_ArrayForEach(c, conds)
	{
		if (str_is(obj_str(c, "type", NULL), type))
			break;
	}
	if (c && str_is(obj_str(c, "status", NULL), status)) {
		obj_set_str(c, "reason", reason);
		obj_set_str(c, "message", msg);
		return;
	}
	n = cJSON_CreateObject();
	store_time_now(now);
	cJSON_AddStringToObject(n, "type", type);
	cJSON_AddStringToObject(n, "status", status);
	cJSON_AddStringToObject(n, "lastTransitionTime", now);
	cJSON_AddStringToObject(n, "reason", reason);
	cJSON_AddStringToObject(n, "message", msg);
	if (c)
		cJSON_ReplaceItemViaPointer(conds, c, n);
	else
		cJSON_AddItemToArray(conds, n);
}

/* updateAPIServiceStatus: local services are always available; kubesim proxies no
 * aggregated API, so one backed by a Service is not (its Service missing, or not
 * answering discovery). */
static void apiservice_status(struct store *st, cJSON *obj)
{
	const cJSON *svc = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "spec"), "service");
	const struct restype *svcs = store_type(st, "", "services");
	const char *ns = obj_str(svc, "namespace", NULL), *name = obj_str(svc, "name", NULL);
	char msg[600];

	if (!cJSON_IsObject(svc)) {
		store_condition_set(obj, "Available", "True", "Local",
				    "Local APIServices are always available");
		return;
	}
	if (!svcs || !ns || !name || !store_get(st, svcs, ns, name)) {
		snprintf(msg, sizeof(msg), "service/%s in \"%s\" is not present", name ? name : "",
			 ns ? ns : "");
		store_condition_set(obj, "Available", "False", "ServiceNotFound", msg);
		return;
	}
	snprintf(msg, sizeof(msg), "endpoints for service/%s in \"%s\" have no addresses", name, ns);
	store_condition_set(obj, "Available", "False", "MissingEndpoints", msg);
}

static void vap_status(cJSON *obj)
{
	cJSON *status = obj_child(obj, "status");
	const cJSON *gen = cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"), "generation");

	replace(status, "observedGeneration", cJSON_CreateNumber(cJSON_IsNumber(gen)
								 ? gen->valuedouble : 1));
	if (!cJSON_IsObject(cJSON_GetObjectItem(status, "typeChecking")))
		replace(status, "typeChecking", cJSON_CreateObject());
}

/* The PodDisruptionBudget strategy resets the status on create: its counts have no
 * omitempty, so a new budget shows four zeros until the disruption controller counts. */
static void pdb_status(cJSON *obj)
{
	static const char *const counts[] = {"disruptionsAllowed", "currentHealthy",
					     "desiredHealthy", "expectedPods"};
	cJSON *status = obj_child(obj, "status");

	for (size_t i = 0; i < sizeof(counts) / sizeof(counts[0]); i++)
		if (!cJSON_GetObjectItem(status, counts[i]))
			cJSON_AddNumberToObject(status, counts[i], 0);
}

void store_status_prepare(struct store *st, const struct restype *rt, cJSON *obj)
{
	if (rt->custom)
		return;
	if (strcmp(rt->group, "apiregistration.k8s.io") == 0 &&
	    strcmp(rt->resource, "apiservices") == 0)
		apiservice_status(st, obj);
	else if (strcmp(rt->group, "admissionregistration.k8s.io") == 0 &&
		 strcmp(rt->resource, "validatingadmissionpolicies") == 0)
		vap_status(obj);
	else if (strcmp(rt->group, "policy") == 0 && strcmp(rt->resource, "poddisruptionbudgets") == 0)
		pdb_status(obj);
}
