/*
 * ctrl_rs: the ReplicaSet controller (k8s 1.28 pkg/controller/replicaset), which also
 * runs ReplicationControllers as the real one does (a map selector): keeps the
 * number of active pods it controls at spec.replicas, deleting the least useful pods
 * first, and reports replicas / fullyLabeledReplicas / readyReplicas /
 * availableReplicas / observedGeneration. Pods are found through the owner index,
 * never by listing the namespace.
 */
#include "jsonedit.h"
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A burst cap per sync, like the controller's burstReplicas. */
#define RS_BURST 500

/* What differs between the ReplicaSet and the ReplicationController controllers. */
struct rs_flavour {
	const struct restype *rt;
	enum ctrl_kind key;
	const char *api_version, *kind;
};

static int phase_rank(const cJSON *pod)
{
	const char *phase = ctrl_str(pod, "status", "phase", NULL);
	if (!phase || strcmp(phase, "Pending") == 0)
		return 0;
	if (strcmp(phase, "Unknown") == 0)
		return 1;
	return 2;
}

/* ActivePodsWithRanks.Less, reduced to what the simulation varies: unscheduled,
 * phase, readiness, then newer first. Negative when a is the better victim. */
static int cmp_victim(const void *pa, const void *pb)
{
	const cJSON *a = *(const cJSON *const *)pa, *b = *(const cJSON *const *)pb;
	bool sa = ctrl_str(a, "spec", "nodeName", NULL) != NULL;
	bool sb = ctrl_str(b, "spec", "nodeName", NULL) != NULL;
	if (sa != sb)
		return sa ? 1 : -1;
	if (phase_rank(a) != phase_rank(b))
		return phase_rank(a) - phase_rank(b);
	if (pod_is_ready(a) != pod_is_ready(b))
		return pod_is_ready(a) ? 1 : -1;
	int64_t ta = ctrl_time_parse(ctrl_str(a, "metadata", "creationTimestamp", NULL));
	int64_t tb = ctrl_time_parse(ctrl_str(b, "metadata", "creationTimestamp", NULL));
	if (ta != tb)
		return ta > tb ? -1 : 1;
	return strcmp(ctrl_name(b), ctrl_name(a));
}

static bool labels_contain(const cJSON *labels, const cJSON *want)
{
	const cJSON *w;
	cJSON_ArrayForEach(w, want)
	{
		const char *have = ctrl_str(labels, w->string, NULL, NULL);
		if (!cJSON_IsString(w) || !have || strcmp(have, w->valuestring) != 0)
			return false;
	}
	return true;
}

/* calculateStatus; schedules a wake-up for pods that become available later. */
static cJSON *rs_calc_status(struct controllers *c, const struct rs_flavour *f, const cJSON *rs,
			     const cJSON **pods, size_t n)
{
	int replicas = 0, labeled = 0, ready = 0, avail = 0;
	int64_t min_ready = ctrl_int(rs, "spec", "minReadySeconds", NULL, 0), now = ctrl_now(c);
	int64_t wake = -1;
	const cJSON *tlabels = ctrl_path(rs, "spec", "template", "metadata");
	tlabels = ctrl_path(tlabels, "labels", NULL, NULL);
	for (size_t i = 0; i < n; i++) {
		replicas++;
		if (labels_contain(ctrl_path(pods[i], "metadata", "labels", NULL), tlabels))
			labeled++;
		if (!pod_is_ready(pods[i]))
			continue;
		ready++;
		if (pod_is_available(pods[i], min_ready, now)) {
			avail++;
			continue;
		}
		const cJSON *cond =
		    ctrl_condition(ctrl_path(pods[i], "status", NULL, NULL), "Ready");
		int64_t t = ctrl_time_parse(ctrl_str(cond, "lastTransitionTime", NULL, NULL));
		int64_t due = t + min_ready * 1000 + 1000;
		if (t >= 0 && (wake < 0 || due < wake))
			wake = due;
	}
	if (wake >= 0)
		ctrl_enqueue_at(c, wake, f->key, f->rt, ctrl_namespace(rs),
				ctrl_name(rs), "minReady");
	cJSON *st = cJSON_CreateObject();
	cJSON_AddNumberToObject(st, "replicas", replicas);
	if (labeled)
		cJSON_AddNumberToObject(st, "fullyLabeledReplicas", labeled);
	if (ready)
		cJSON_AddNumberToObject(st, "readyReplicas", ready);
	if (avail)
		cJSON_AddNumberToObject(st, "availableReplicas", avail);
	int64_t gen = ctrl_int(rs, "metadata", "generation", NULL, 0);
	if (gen)
		cJSON_AddNumberToObject(st, "observedGeneration", (double)gen);
	const cJSON *conds = ctrl_path(rs, "status", "conditions", NULL);
	if (conds)
		cJSON_AddItemToObject(st, "conditions", cJSON_Duplicate(conds, true));
	return st;
}

static void rs_create_pods(struct controllers *c, const struct rs_flavour *f, const cJSON *rs,
			   int count)
{
	const cJSON *tmpl = ctrl_path(rs, "spec", "template", NULL);
	for (int i = 0; i < count && i < RS_BURST; i++) {
		if (pod_create_from_template(c, rs, f->api_version, f->kind, tmpl, NULL) < 0)
			break;
	}
}

static void rs_delete_pods(struct controllers *c, const cJSON **pods, size_t n, int count)
{
	const cJSON **sorted = malloc((n ? n : 1) * sizeof(*sorted));
	struct {
		char ns[64], name[254];
	} *victims = calloc((size_t)count, sizeof(*victims));
	if (!sorted || !victims)
		goto out;
	memcpy(sorted, pods, n * sizeof(*sorted));
	qsort(sorted, n, sizeof(*sorted), cmp_victim);
	/* Copy the names first: each delete may free the borrowed pods. */
	for (int i = 0; i < count && (size_t)i < n; i++) {
		snprintf(victims[i].ns, sizeof(victims[i].ns), "%s", ctrl_namespace(sorted[i]));
		snprintf(victims[i].name, sizeof(victims[i].name), "%s", ctrl_name(sorted[i]));
	}
	for (int i = 0; i < count && (size_t)i < n; i++)
		ctrl_delete(c, ctrl_types(c)->pod, victims[i].ns, victims[i].name, NULL, -1);
out:
	free(victims);
	free(sorted);
}

/* A ReplicationController's selector is a label map: as a LabelSelector it is
 * matchLabels (the real controller uses SelectorFromValidatedSet). Owned by the caller. */
static cJSON *rs_selector(const struct rs_flavour *f, const cJSON *rs)
{
	const cJSON *sel = ctrl_path(rs, "spec", "selector", NULL);
	cJSON *out;

	if (strcmp(f->kind, "ReplicationController") != 0 || !sel)
		return cJSON_Duplicate(sel, true);
	out = cJSON_CreateObject();
	if (out)
		cJSON_AddItemToObject(out, "matchLabels", cJSON_Duplicate(sel, true));
	return out;
}

static void replicas_sync(struct controllers *c, const struct rs_flavour *f, const char *ns,
			  const char *name)
{
	const struct ctrl_types *t = ctrl_types(c);
	const cJSON *live = store_get(ctrl_store(c), f->rt, ns, name);
	const cJSON **owned = NULL;
	cJSON *rs = NULL, *st = NULL, *sel = NULL;
	if (!live)
		return;
	sel = rs_selector(f, live);
	ctrl_claim(c, live, f->api_version, f->kind, t->pod, sel);
	rs = cJSON_Duplicate(live, true);
	size_t n = ctrl_owned(c, ctrl_uid(rs), t->pod, &owned), k = 0;
	for (size_t i = 0; i < n; i++) {
		if (ctrl_controlled_by(owned[i], ctrl_uid(rs)) && pod_is_active(owned[i]))
			owned[k++] = owned[i];
	}
	/* Status from the pods seen before this sync's own writes, as the real one does. */
	st = rs_calc_status(c, f, rs, owned, k);
	int diff = (int)k - (int)ctrl_int(rs, "spec", "replicas", NULL, 1);
	/* Validation rejects a template its selector does not match; should one get in,
	 * creating pods it would release at once must not loop forever. */
	bool valid = ctrl_selector_matches(
	    sel, ctrl_path(ctrl_path(rs, "spec", "template", "metadata"), "labels", NULL, NULL));
	if (valid && !ctrl_path(rs, "metadata", "deletionTimestamp", NULL)) {
		if (diff < 0)
			rs_create_pods(c, f, rs, -diff);
		else if (diff > 0)
			rs_delete_pods(c, owned, k, diff > RS_BURST ? RS_BURST : diff);
	}
	free(owned);
	if (!cJSON_Compare(st, ctrl_path(rs, "status", NULL, NULL), true)) {
		live = store_get(ctrl_store(c), f->rt, ns, name);
		if (live && ctrl_uid(live) && strcmp(ctrl_uid(live), ctrl_uid(rs)) == 0) {
			cJSON_Delete(rs);
			rs = cJSON_Duplicate(live, true);
			/* takes st; out of memory leaves the old status for the next pass */
			(void)json_object_set(rs, "status", st);
			st = NULL;
			ctrl_update(c, f->rt, rs, CTRL_MANAGER, true);
		}
	}
	cJSON_Delete(sel);
	cJSON_Delete(st);
	cJSON_Delete(rs);
}

void rs_sync(struct controllers *c, const char *ns, const char *name)
{
	const struct rs_flavour f = {ctrl_types(c)->rs, CK_RS, "apps/v1", "ReplicaSet"};

	replicas_sync(c, &f, ns, name);
}

void rc_sync(struct controllers *c, const char *ns, const char *name)
{
	const struct rs_flavour f = {ctrl_types(c)->rc, CK_RC, "v1", "ReplicationController"};

	if (f.rt)
		replicas_sync(c, &f, ns, name);
}
