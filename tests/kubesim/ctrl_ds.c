/*
 * ctrl_ds: the DaemonSet controller (k8s 1.32 pkg/controller/daemon daemon_controller.go
 * manage and updateDaemonSetStatus, update.go rollingUpdate). One pod per Node object
 * whose labels match the template's nodeSelector, created with generateName "<ds>-",
 * the revision hash and template generation labels, a required node affinity on the
 * node's name and the daemon tolerations; a node whose NoSchedule or NoExecute taints the
 * pod does not tolerate gets no new pod, and one it does not tolerate NoExecute of loses
 * its pod (NodeShouldRunDaemonPod). A failed pod is deleted and replaced, with a backoff
 * per node from 1 s doubling to 15 min (no events are recorded). A RollingUpdate replaces old pods with at most
 * maxUnavailable nodes unavailable, or surges up to maxSurge new pods first. The status
 * counts are those of updateDaemonSetStatus.
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_LABEL "controller-revision-hash"
#define GEN_LABEL "pod-template-generation"
#define MAX_PER_NODE 8

struct ds_node {
	char name[254];
	bool run, keep; /* NodeShouldRunDaemonPod: shouldRun, shouldContinueRunning */
	const cJSON *pods[MAX_PER_NODE]; /* not terminating... all the set's pods on the node */
	size_t n;
};

struct ds_view {
	const cJSON *ds;
	cJSON *pods; /* copies of the set's pods */
	cJSON *tmpl; /* the template's pod spec with the daemon tolerations */
	struct ds_node *nodes;
	size_t nnodes;
	struct ctrl_history hist;
	char gen[24];
	int64_t min_ready, now, wake;
};

static bool terminating(const cJSON *pod)
{
	return ctrl_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
}

static bool failed(const cJSON *pod)
{
	const char *phase = ctrl_str(pod, "status", "phase", NULL);
	return phase && strcmp(phase, "Failed") == 0;
}

/* IsPodUpdated: the revision hash or the template generation matches. */
static bool updated(const struct ds_view *v, const cJSON *pod)
{
	const char *h = ctrl_str(pod, "metadata", "labels", HASH_LABEL);
	const char *g = ctrl_str(pod, "metadata", "labels", GEN_LABEL);
	return (h && *v->hist.hash && strcmp(h, v->hist.hash) == 0) || (g && strcmp(g, v->gen) == 0);
}

static bool available(struct ds_view *v, const cJSON *pod)
{
	if (!pod || !pod_is_ready(pod))
		return false;
	return pod_available_or_wake(pod, v->min_ready, v->now, &v->wake);
}

/* NodeShouldRunDaemonPod: the template's nodeSelector against the node's labels, then
 * its tolerations (with the daemon ones) against the node's taints. */
static void node_fit(const struct ds_view *v, const cJSON *node, struct ds_node *nd)
{
	const cJSON *sel = ctrl_path(v->tmpl, "nodeSelector", NULL, NULL), *want;
	const cJSON *taints = ctrl_path(node, "spec", "taints", NULL);
	const cJSON *tols = ctrl_path(v->tmpl, "tolerations", NULL, NULL);

	nd->run = nd->keep = false;
	if (ctrl_path(node, "metadata", "deletionTimestamp", NULL))
		return;
	cJSON_ArrayForEach(want, sel)
	{
		const char *have = ctrl_str(node, "metadata", "labels", want->string);
		if (!cJSON_IsString(want) || !have || strcmp(have, want->valuestring) != 0)
			return;
	}
	nd->keep = !ctrl_untolerated_taint(taints, tols, false);
	nd->run = nd->keep && !ctrl_untolerated_taint(taints, tols, true);
}

static const char *target_node(const cJSON *pod)
{
	const char *n = ctrl_str(pod, "spec", "nodeName", NULL);
	return n ? n : pod_affinity_node(pod);
}

static int cmp_created(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int64_t tx = ctrl_time_parse(ctrl_str(x, "metadata", "creationTimestamp", NULL));
	int64_t ty = ctrl_time_parse(ctrl_str(y, "metadata", "creationTimestamp", NULL));
	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(ctrl_name(x), ctrl_name(y));
}

static int view_load(struct controllers *c, struct ds_view *v)
{
	const cJSON **nodes = NULL, **owned = NULL;
	size_t nn = ctrl_types(c)->node ? store_list(ctrl_store(c), ctrl_types(c)->node, NULL, &nodes)
					: 0;
	v->nodes = calloc(nn + 1, sizeof(*v->nodes));
	for (size_t i = 0; v->nodes && v->tmpl && i < nn; i++) {
		snprintf(v->nodes[i].name, sizeof(v->nodes[i].name), "%s", ctrl_name(nodes[i]));
		node_fit(v, nodes[i], &v->nodes[i]);
	}
	v->nnodes = nn;
	free(nodes);
	size_t n = ctrl_owned(c, ctrl_uid(v->ds), ctrl_types(c)->pod, &owned);
	v->pods = cJSON_CreateArray();
	for (size_t i = 0; owned && v->pods && i < n; i++)
		if (ctrl_controlled_by(owned[i], ctrl_uid(v->ds)))
			cJSON_AddItemToArray(v->pods, cJSON_Duplicate(owned[i], true));
	free(owned);
	if (!v->nodes || !v->pods || !v->tmpl)
		return -1;
	const cJSON *pod;
	cJSON_ArrayForEach(pod, v->pods)
	{
		const char *t = target_node(pod);
		for (size_t i = 0; t && i < v->nnodes; i++)
			if (strcmp(v->nodes[i].name, t) == 0 && v->nodes[i].n < MAX_PER_NODE)
				v->nodes[i].pods[v->nodes[i].n++] = pod;
	}
	for (size_t i = 0; i < v->nnodes; i++)
		qsort(v->nodes[i].pods, v->nodes[i].n, sizeof(cJSON *), cmp_created);
	return 0;
}

/* ---- writes -------------------------------------------------------------------------- */

static void add_toleration(cJSON *spec, const char *key, const char *effect)
{
	cJSON *tols = (cJSON *)ctrl_path(spec, "tolerations", NULL, NULL);
	const cJSON *t;
	if (!tols)
		tols = cJSON_AddArrayToObject(spec, "tolerations");
	cJSON_ArrayForEach(t, tols)
	{
		const char *k = ctrl_str(t, "key", NULL, NULL), *e = ctrl_str(t, "effect", NULL, NULL);
		const char *op = ctrl_str(t, "operator", NULL, NULL);
		if (k && e && op && !strcmp(k, key) && !strcmp(e, effect) && !strcmp(op, "Exists") &&
		    !ctrl_path(t, "tolerationSeconds", NULL, NULL))
			return;
	}
	cJSON *x = cJSON_CreateObject();
	cJSON_AddStringToObject(x, "key", key);
	cJSON_AddStringToObject(x, "operator", "Exists");
	cJSON_AddStringToObject(x, "effect", effect);
	cJSON_AddItemToArray(tols, x);
}

/* AddOrUpdateDaemonPodTolerations. */
static void daemon_tolerations(cJSON *spec)
{
	add_toleration(spec, "node.kubernetes.io/not-ready", "NoExecute");
	add_toleration(spec, "node.kubernetes.io/unreachable", "NoExecute");
	add_toleration(spec, "node.kubernetes.io/disk-pressure", "NoSchedule");
	add_toleration(spec, "node.kubernetes.io/memory-pressure", "NoSchedule");
	add_toleration(spec, "node.kubernetes.io/pid-pressure", "NoSchedule");
	add_toleration(spec, "node.kubernetes.io/unschedulable", "NoSchedule");
	if (cJSON_IsTrue(ctrl_path(spec, "hostNetwork", NULL, NULL)))
		add_toleration(spec, "node.kubernetes.io/network-unavailable", "NoSchedule");
}

/* ReplaceDaemonSetPodNodeNameNodeAffinity: the required terms become metadata.name In [node]. */
static void node_affinity(cJSON *spec, const char *node)
{
	char buf[600];
	cJSON *na = ctrl_obj_child(ctrl_obj_child(spec, "affinity"), "nodeAffinity");
	snprintf(buf, sizeof(buf),
		 "{\"nodeSelectorTerms\":[{\"matchFields\":[{\"key\":\"metadata.name\","
		 "\"operator\":\"In\",\"values\":[\"%s\"]}]}]}",
		 node);
	cJSON_DeleteItemFromObjectCaseSensitive(na, "requiredDuringSchedulingIgnoredDuringExecution");
	cJSON_AddItemToObject(na, "requiredDuringSchedulingIgnoredDuringExecution",
			      cJSON_Parse(buf));
}

static void create_pod(struct controllers *c, struct ds_view *v, const char *node)
{
	cJSON *pod = pod_from_template(v->ds, "apps/v1", "DaemonSet",
				       ctrl_path(v->ds, "spec", "template", NULL));
	cJSON *labels = ctrl_obj_child(ctrl_obj_child(pod, "metadata"), "labels");
	cJSON *spec = ctrl_obj_child(pod, "spec");
	ctrl_set_str(labels, GEN_LABEL, v->gen);
	ctrl_set_str(labels, HASH_LABEL, v->hist.hash);
	daemon_tolerations(spec);
	node_affinity(spec, node);
	ctrl_create(c, ctrl_types(c)->pod, pod, CTRL_MANAGER, NULL);
	cJSON_Delete(pod);
}

static void delete_pod(struct controllers *c, const cJSON *pod)
{
	if (!terminating(pod))
		ctrl_delete(c, ctrl_types(c)->pod, ctrl_namespace(pod), ctrl_name(pod), NULL, -1);
}

/* ---- manage and rollingUpdate ---------------------------------------------------------- */

static bool allows_surge(struct ds_view *v, int64_t desired, int *max_surge, int *max_unavail)
{
	const cJSON *ru = ctrl_path(v->ds, "spec", "updateStrategy", "rollingUpdate");
	*max_surge = ctrl_intstr_scaled(ctrl_path(ru, "maxSurge", NULL, NULL), (int)desired, true, 0);
	*max_unavail = ctrl_intstr_scaled(ctrl_path(ru, "maxUnavailable", NULL, NULL),
					  (int)desired, true, 1);
	if (*max_surge > 0)
		*max_unavail = 0;
	else if (*max_unavail == 0)
		*max_unavail = 1;
	return *max_surge > 0;
}

/* A failed pod is deleted unless its node's backoff still runs; then the set looks again
 * when it ends. true when the pod was deleted. */
static bool delete_failed(struct controllers *c, struct ds_view *v, const struct ds_node *nd,
			  const cJSON *pod)
{
	char key[600];
	int64_t delay;

	snprintf(key, sizeof(key), "%s/%s", ctrl_uid(v->ds), nd->name);
	if (ctrl_backoff_active(ctrl_backoff(c), key, v->now, &delay)) {
		int64_t due = v->now + delay;
		if (v->wake < 0 || due < v->wake)
			v->wake = due;
		return false;
	}
	ctrl_backoff_next(ctrl_backoff(c), key, v->now);
	delete_pod(c, pod);
	return true;
}

/* podsShouldBeOnNode: one pod where it should run (with surge one old and one new),
 * none where it should not continue; a failed pod is replaced on a later sync. */
static bool manage_node(struct controllers *c, struct ds_view *v, struct ds_node *nd, bool surge)
{
	const cJSON *keep_old = NULL, *keep_new = NULL;
	bool any = false, wrote = false;
	for (size_t i = 0; i < nd->n; i++) {
		const cJSON *pod = nd->pods[i];
		if (terminating(pod)) {
			any = any || !failed(pod);
			continue;
		}
		any = true;
		if (nd->keep && failed(pod)) {
			wrote = delete_failed(c, v, nd, pod) || wrote;
			continue;
		}
		const cJSON **slot = surge && updated(v, pod) ? &keep_new : &keep_old;
		if (!nd->keep || *slot) {
			delete_pod(c, pod);
			wrote = true;
			continue;
		}
		*slot = pod;
	}
	if (nd->run && !any) {
		create_pod(c, v, nd->name);
		wrote = true;
	}
	return wrote;
}

/* findUpdatedPodsOnNode; false when there are two of a kind. */
static bool pods_on_node(struct ds_view *v, const struct ds_node *nd, const cJSON **newp,
			 const cJSON **oldp)
{
	*newp = *oldp = NULL;
	for (size_t i = 0; i < nd->n; i++) {
		const cJSON *pod = nd->pods[i];
		if (terminating(pod))
			continue;
		const cJSON **slot = updated(v, pod) ? newp : oldp;
		if (*slot)
			return false;
		*slot = pod;
	}
	return true;
}

static void update_no_surge(struct controllers *c, struct ds_view *v, int max_unavail)
{
	int unavail = 0, ncand = 0, nrepl = 0;
	const cJSON **cand = calloc(v->nnodes + 1, sizeof(*cand));
	const cJSON **repl = calloc(v->nnodes + 1, sizeof(*repl));
	for (size_t i = 0; cand && repl && i < v->nnodes; i++) {
		const cJSON *np, *op;
		if (!v->nodes[i].n)
			continue;
		if (!pods_on_node(v, &v->nodes[i], &np, &op) || (!np && !op) || (np && op))
			unavail++;
		else if (np) {
			unavail += !available(v, np);
		} else if (!available(v, op))
			repl[nrepl++] = op;
		else if (unavail < max_unavail)
			cand[ncand++] = op;
	}
	int room = max_unavail - unavail;
	for (int i = 0; i < nrepl; i++)
		delete_pod(c, repl[i]);
	for (int i = 0; i < ncand && i < room; i++)
		delete_pod(c, cand[i]);
	free(cand);
	free(repl);
}

static void update_surge(struct controllers *c, struct ds_view *v, int max_surge)
{
	int surge = 0, ncand = 0, nallow = 0;
	struct ds_node **cand = calloc(v->nnodes + 1, sizeof(*cand));
	struct ds_node **allow = calloc(v->nnodes + 1, sizeof(*allow));
	for (size_t i = 0; cand && allow && i < v->nnodes; i++) {
		const cJSON *np, *op;
		struct ds_node *nd = &v->nodes[i];
		if (!nd->n)
			continue;
		if (!pods_on_node(v, nd, &np, &op)) {
			surge++;
			continue;
		}
		if (!op || !nd->run)
			continue;
		if (!np) {
			if (!available(v, op))
				allow[nallow++] = nd;
			else if (surge < max_surge)
				cand[ncand++] = nd;
		} else if (!available(v, np))
			surge++;
		else
			delete_pod(c, op);
	}
	int room = max_surge - surge;
	for (int i = 0; i < nallow; i++)
		create_pod(c, v, allow[i]->name);
	for (int i = 0; i < ncand && i < room; i++)
		create_pod(c, v, cand[i]->name);
	free(cand);
	free(allow);
}

/* ---- status ------------------------------------------------------------------------- */

static cJSON *ds_status(struct ds_view *v)
{
	int64_t desired = 0, current = 0, mis = 0, ready = 0, upd = 0, avail = 0;
	for (size_t i = 0; i < v->nnodes; i++) {
		const struct ds_node *nd = &v->nodes[i];
		if (!nd->run) {
			mis += nd->n > 0;
			continue;
		}
		desired++;
		if (!nd->n)
			continue;
		current++;
		const cJSON *pod = nd->pods[0]; /* the oldest */
		if (pod_is_ready(pod)) {
			ready++;
			avail += available(v, pod);
		}
		upd += updated(v, pod);
	}
	cJSON *st = cJSON_CreateObject();
	cJSON_AddNumberToObject(st, "currentNumberScheduled", (double)current);
	cJSON_AddNumberToObject(st, "numberMisscheduled", (double)mis);
	cJSON_AddNumberToObject(st, "desiredNumberScheduled", (double)desired);
	cJSON_AddNumberToObject(st, "numberReady", (double)ready);
	cJSON_AddNumberToObject(st, "observedGeneration",
				(double)ctrl_int(v->ds, "metadata", "generation", NULL, 0));
	if (upd)
		cJSON_AddNumberToObject(st, "updatedNumberScheduled", (double)upd);
	if (avail)
		cJSON_AddNumberToObject(st, "numberAvailable", (double)avail);
	if (desired - avail)
		cJSON_AddNumberToObject(st, "numberUnavailable", (double)(desired - avail));
	if (v->hist.collision >= 0)
		cJSON_AddNumberToObject(st, "collisionCount", (double)v->hist.collision);
	const cJSON *conds = ctrl_path(v->ds, "status", "conditions", NULL);
	if (conds)
		cJSON_AddItemToObject(st, "conditions", cJSON_Duplicate(conds, true));
	return st;
}

static void truncate_revisions(struct controllers *c, struct ds_view *v)
{
	size_t n = (size_t)cJSON_GetArraySize(v->pods), k = 0;
	char(*live)[300] = calloc(n + 1, sizeof(*live));
	const char **names = calloc(n + 1, sizeof(*names));
	const cJSON *pod;
	if (live && names) {
		names[k++] = v->hist.update;
		cJSON_ArrayForEach(pod, v->pods)
		{
			const char *h = ctrl_str(pod, "metadata", "labels", HASH_LABEL);
			snprintf(live[k], sizeof(live[k]), "%.250s-%s", ctrl_name(v->ds), h ? h : "");
			names[k] = live[k];
			k++;
		}
		ctrl_history_truncate(c, v->ds, names, k);
	}
	free(live);
	free(names);
}

static void ds_manage(struct controllers *c, struct ds_view *v)
{
	int64_t desired = 0;
	int max_surge = 0, max_unavail = 1;
	const char *type = ctrl_str(v->ds, "spec", "updateStrategy", "type");
	bool rolling = !type || strcmp(type, "RollingUpdate") == 0;
	for (size_t i = 0; i < v->nnodes; i++)
		desired += v->nodes[i].run;
	bool surge = rolling && allows_surge(v, desired, &max_surge, &max_unavail);
	bool wrote = false;
	for (size_t i = 0; i < v->nnodes; i++)
		wrote = manage_node(c, v, &v->nodes[i], surge) || wrote;
	/* as with the real expectations: the update waits until manage has nothing to do */
	if (wrote)
		return;
	if (rolling && surge)
		update_surge(c, v, max_surge);
	else if (rolling)
		update_no_surge(c, v, max_unavail);
}

void ds_sync(struct controllers *c, const char *ns, const char *name, const char *tag)
{
	const struct restype *rt = ctrl_types(c)->ds;
	const cJSON *live = store_get(ctrl_store(c), rt, ns, name);
	struct ds_view v = {.wake = -1};
	(void)tag;
	if (!live || ctrl_path(live, "metadata", "deletionTimestamp", NULL))
		return;
	ctrl_claim(c, live, "apps/v1", "DaemonSet", ctrl_types(c)->pod,
		   ctrl_path(live, "spec", "selector", NULL));
	cJSON *ds = cJSON_Duplicate(store_get(ctrl_store(c), rt, ns, name), true);
	v.ds = ds;
	v.now = ctrl_now(c);
	v.min_ready = ctrl_int(ds, "spec", "minReadySeconds", NULL, 0);
	snprintf(v.gen, sizeof(v.gen), "%lld",
		 (long long)ctrl_int(ds, "metadata", "generation", NULL, 0));
	v.tmpl = cJSON_Duplicate(ctrl_path(ds, "spec", "template", "spec"), true);
	if (!v.tmpl)
		v.tmpl = cJSON_CreateObject();
	if (v.tmpl)
		daemon_tolerations(v.tmpl);
	if (!ds || ctrl_history_sync(c, ds, false, &v.hist) < 0 || view_load(c, &v) < 0)
		goto out;
	/* Status from the pods seen before this sync's writes, as the real one does. */
	cJSON *st = ds_status(&v);
	ds_manage(c, &v);
	truncate_revisions(c, &v);
	if (v.wake >= 0)
		ctrl_enqueue_at(c, v.wake, CK_DS, rt, ns, name, "minReady");
	live = store_get(ctrl_store(c), rt, ns, name);
	if (live && strcmp(ctrl_uid(live), ctrl_uid(ds)) == 0)
		ctrl_put_status(c, rt, live, st);
	else
		cJSON_Delete(st);
out:
	free(v.nodes);
	cJSON_Delete(v.tmpl);
	cJSON_Delete(v.pods);
	cJSON_Delete(ds);
}
