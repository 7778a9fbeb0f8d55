/*
 * scheduler: the simulated kube-scheduler's filters (NodeName, NodeAffinity's node
 * selector, TaintToleration) and a choice among the nodes that pass by the pod's name.
 * A pod no node fits stays Pending with PodScheduled False, reason Unschedulable and
 * the scheduler's FitError message; a Node change retries it. No resources, no
 * preemption.
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_REASONS 16

struct reasons {
	char text[MAX_REASONS][300];
	int count[MAX_REASONS];
	int n;
};

static void reason_add(struct reasons *r, const char *text)
{
	int i;

	for (i = 0; i < r->n && strcmp(r->text[i], text) != 0; i++)
		;
	if (i == r->n && r->n < MAX_REASONS)
		snprintf(r->text[r->n++], sizeof(r->text[0]), "%s", text);
	if (i < r->n)
		r->count[i]++;
}

/* The first taint with a NoSchedule or NoExecute effect no toleration of the pod takes. */
static const cJSON *untolerated(const cJSON *pod, const cJSON *node)
{
	const cJSON *taint, *tols = ctrl_path(pod, "spec", "tolerations", NULL);

	cJSON_ArrayForEach(taint, ctrl_path(node, "spec", "taints", NULL))
	{
		cJSON *one = cJSON_CreateArray();
		bool bad;

		cJSON_AddItemToArray(one, cJSON_Duplicate(taint, true));
		bad = ctrl_untolerated_taint(one, tols, true);
		cJSON_Delete(one);
		if (bad)
			return taint;
	}
	return NULL;
}

/* Whether node passes the filters; else why not, as the plugins word it. */
static bool node_fits(const cJSON *pod, const cJSON *node, char *why, size_t n)
{
	const char *want = pod_affinity_node(pod);
	const cJSON *sel = ctrl_path(pod, "spec", "nodeSelector", NULL), *kv, *taint;

	if (want && strcmp(want, ctrl_name(node)) != 0) {
		snprintf(why, n, "node(s) didn't match Pod's node affinity/selector");
		return false;
	}
	cJSON_ArrayForEach(kv, sel)
	{
		const char *have = ctrl_str(node, "metadata", "labels", kv->string);
		if (!cJSON_IsString(kv) || !have || strcmp(have, kv->valuestring) != 0) {
			snprintf(why, n, "node(s) didn't match Pod's node affinity/selector");
			return false;
		}
	}
	taint = untolerated(pod, node);
	if (taint) {
		snprintf(why, n, "node(s) had untolerated taint {%s: %s}",
			 ctrl_str(taint, "key", NULL, NULL) ?: "",
			 ctrl_str(taint, "value", NULL, NULL) ?: "");
		return false;
	}
	return true;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(a, b);
}

/* FitError.Error(): the reasons histogram, sorted, and the preemption postfilter's. */
static void fit_error(const struct reasons *r, size_t nodes, char *out, size_t n)
{
	char lines[MAX_REASONS][320];
	size_t k;

	for (int i = 0; i < r->n; i++)
		snprintf(lines[i], sizeof(lines[i]), "%d %s", r->count[i], r->text[i]);
	qsort(lines, (size_t)r->n, sizeof(lines[0]), cmp_str);
	k = (size_t)snprintf(out, n, "0/%zu nodes are available: ", nodes);
	for (int i = 0; i < r->n && k < n; i++)
		k += (size_t)snprintf(out + k, n - k, "%s%s", i ? ", " : "", lines[i]);
	if (k < n)
		snprintf(out + k, n - k,
			 ". preemption: 0/%zu nodes are available: %zu Preemption is not helpful "
			 "for scheduling.",
			 nodes, nodes);
}

static bool unschedulable(const cJSON *pod)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, ctrl_path(pod, "status", "conditions", NULL))
	{
		const char *t = ctrl_str(c, "type", NULL, NULL), *r = ctrl_str(c, "reason", NULL, NULL);
		if (t && r && strcmp(t, "PodScheduled") == 0 && strcmp(r, "Unschedulable") == 0)
			return true;
	}
	return false;
}

static int mark_unschedulable(struct controllers *c, const cJSON *pod, const char *msg)
{
	cJSON *copy = cJSON_Duplicate(pod, true), *st, *conds, *cond;
	char now[32];
	int rc;

	ctrl_now_str(c, now);
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "status");
	st = cJSON_AddObjectToObject(copy, "status");
	cJSON_AddStringToObject(st, "phase", "Pending");
	conds = cJSON_AddArrayToObject(st, "conditions");
	cond = cJSON_CreateObject();
	cJSON_AddStringToObject(cond, "type", "PodScheduled");
	cJSON_AddStringToObject(cond, "status", "False");
	cJSON_AddNullToObject(cond, "lastProbeTime");
	cJSON_AddStringToObject(cond, "lastTransitionTime", now);
	cJSON_AddStringToObject(cond, "reason", "Unschedulable");
	cJSON_AddStringToObject(cond, "message", msg);
	cJSON_AddItemToArray(conds, cond);
	cJSON_AddStringToObject(st, "qosClass", "BestEffort");
	rc = ctrl_update(c, ctrl_types(c)->pod, copy, CTRL_SCHEDULER, true);
	cJSON_Delete(copy);
	return rc;
}

static int bind_to(struct controllers *c, const cJSON *pod, const char *node)
{
	cJSON *copy = cJSON_Duplicate(pod, true);
	int rc;

	ctrl_set_str(ctrl_obj_child(copy, "spec"), "nodeName", node);
	rc = ctrl_update(c, ctrl_types(c)->pod, copy, CTRL_SCHEDULER, false);
	cJSON_Delete(copy);
	return rc;
}

int scheduler_bind(struct controllers *c, const cJSON *pod)
{
	const cJSON **nodes = NULL, **fit = NULL;
	size_t k = ctrl_types(c)->node ? store_list(ctrl_store(c), ctrl_types(c)->node, NULL, &nodes)
				       : 0, nfit = 0;
	struct reasons r = {0};
	char why[300], msg[2048];
	uint32_t h = 2166136261u;
	int rc;

	if (k == 0) { /* no simulated nodes at all: the pods run on the default node */
		free(nodes);
		return bind_to(c, pod, NODE_NAME);
	}
	fit = calloc(k, sizeof(*fit));
	for (size_t i = 0; fit && i < k; i++) {
		if (node_fits(pod, nodes[i], why, sizeof(why)))
			fit[nfit++] = nodes[i];
		else
			reason_add(&r, why);
	}
	for (const char *p = ctrl_name(pod); p && *p; p++)
		h = (h ^ (unsigned char)*p) * 16777619u;
	if (nfit)
		rc = bind_to(c, pod, ctrl_name(fit[h % nfit]));
	else if (unschedulable(pod))
		rc = 0;
	else {
		fit_error(&r, k, msg, sizeof(msg));
		rc = mark_unschedulable(c, pod, msg);
	}
	free(fit);
	free(nodes);
	return rc < 0 ? rc : (nfit ? 0 : 1);
}

void scheduler_retry(struct controllers *c)
{
	const cJSON **pods = NULL;
	size_t n = store_list(ctrl_store(c), ctrl_types(c)->pod, NULL, &pods);

	for (size_t i = 0; i < n; i++)
		if (!ctrl_str(pods[i], "spec", "nodeName", NULL) &&
		    !ctrl_path(pods[i], "metadata", "deletionTimestamp", NULL))
			ctrl_enqueue(c, CK_POD, ctrl_types(c)->pod, ctrl_namespace(pods[i]),
				     ctrl_name(pods[i]), NULL);
	free(pods);
}
