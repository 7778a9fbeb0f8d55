/*
 * ctrl_sts: the StatefulSet controller (k8s 1.32 pkg/controller/statefulset,
 * stateful_set_control.go updateStatefulSet). Pods are "<set>-<ordinal>" labelled with
 * their revision's name, the pod name and index; OrderedReady makes and removes one pod
 * at a time and waits for each to be Running and Ready, Parallel does all at once; a
 * RollingUpdate replaces pods from the highest ordinal down to the partition, one at a
 * time (maxUnavailable needs the MaxUnavailableStatefulSet gate, off in 1.32); OnDelete
 * replaces nothing. The status counts and revisions are kept as the real controller
 * keeps them (completeRollingUpdate moves currentRevision when the update is done).
 */
#include "controllers_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REV_LABEL "controller-revision-hash"
#define POD_NAME_LABEL "statefulset.kubernetes.io/pod-name"
#define POD_INDEX_LABEL "apps.kubernetes.io/pod-index"

struct sts_view {
	const cJSON *sts;
	cJSON *pods; /* copies of the set's pods (writes do not invalidate them) */
	const cJSON **slots;
	const cJSON **condemned; /* ascending ordinal */
	size_t ncond;
	int64_t start, replicas, partition, min_ready, now, wake;
	bool monotonic, rolling;
	struct ctrl_history hist;
	char current[300];
	/* status counts */
	int64_t n_replicas, n_ready, n_avail, n_current, n_updated;
};

static int64_t pod_ordinal(const cJSON *sts, const cJSON *pod)
{
	const char *set = ctrl_name(sts), *name = ctrl_name(pod);
	size_t n = strlen(set);
	if (!name || strncmp(name, set, n) != 0 || name[n] != '-' || !name[n + 1])
		return -1;
	int64_t ord = 0;
	for (const char *p = name + n + 1; *p; p++) {
		if (*p < '0' || *p > '9' || ord > 100000000)
			return -1;
		ord = ord * 10 + (*p - '0');
	}
	return ord;
}

static const char *pod_revision(const cJSON *pod)
{
	return ctrl_str(pod, "metadata", "labels", REV_LABEL);
}

static bool rev_is(const cJSON *pod, const char *rev)
{
	const char *r = pod_revision(pod);
	return r && rev && strcmp(r, rev) == 0;
}

static bool terminating(const cJSON *pod)
{
	return ctrl_path(pod, "metadata", "deletionTimestamp", NULL) != NULL;
}

static bool running_ready(const cJSON *pod)
{
	const char *phase = ctrl_str(pod, "status", "phase", NULL);
	return phase && strcmp(phase, "Running") == 0 && pod_is_ready(pod);
}

static bool finished(const cJSON *pod)
{
	const char *phase = ctrl_str(pod, "status", "phase", NULL);
	return phase && (strcmp(phase, "Failed") == 0 || strcmp(phase, "Succeeded") == 0);
}

/* isRunningAndAvailable; remembers when a ready pod becomes available. */
static bool available(struct sts_view *v, const cJSON *pod)
{
	if (!running_ready(pod))
		return false;
	return pod_available_or_wake(pod, v->min_ready, v->now, &v->wake);
}

static bool healthy(struct sts_view *v, const cJSON *pod)
{
	return pod && !terminating(pod) && available(v, pod);
}

static int cmp_ordinal(const void *a, const void *b)
{
	int64_t x = ctrl_int(*(const cJSON *const *)a, "metadata", "__ord", NULL, 0);
	int64_t y = ctrl_int(*(const cJSON *const *)b, "metadata", "__ord", NULL, 0);
	return x < y ? -1 : x > y;
}

/* computeReplicaStatus over one pod. */
static void count_pod(struct sts_view *v, const cJSON *pod)
{
	v->n_replicas++;
	if (running_ready(pod)) {
		v->n_ready++;
		if (pod_is_available(pod, v->min_ready, v->now))
			v->n_avail++;
	}
	if (terminating(pod))
		return;
	if (rev_is(pod, v->current))
		v->n_current++;
	if (rev_is(pod, v->hist.update))
		v->n_updated++;
}

/* Splits the set's pods into ordinal slots and condemned ones, counting the status. */
static int view_pods(struct controllers *c, struct sts_view *v)
{
	const cJSON **owned = NULL;
	size_t n = ctrl_owned(c, ctrl_uid(v->sts), ctrl_types(c)->pod, &owned);
	v->pods = cJSON_CreateArray();
	v->slots = calloc((size_t)v->replicas + 1, sizeof(*v->slots));
	v->condemned = calloc(n + 1, sizeof(*v->condemned));
	for (size_t i = 0; owned && v->pods && i < n; i++) {
		int64_t ord = pod_ordinal(v->sts, owned[i]);
		if (ord >= 0 && ctrl_controlled_by(owned[i], ctrl_uid(v->sts)))
			cJSON_AddItemToArray(v->pods, cJSON_Duplicate(owned[i], true));
	}
	free(owned);
	if (!v->pods || !v->slots || !v->condemned)
		return -1;
	cJSON *pod;
	cJSON_ArrayForEach(pod, v->pods)
	{
		int64_t ord = pod_ordinal(v->sts, pod);
		if (ord >= v->start && ord < v->start + v->replicas)
			v->slots[ord - v->start] = pod;
		else {
			ctrl_set_int(ctrl_obj_child(pod, "metadata"), "__ord", ord);
			v->condemned[v->ncond++] = pod;
		}
		if (ctrl_str(pod, "status", "phase", NULL)) /* isCreated */
			count_pod(v, pod);
	}
	qsort(v->condemned, v->ncond, sizeof(*v->condemned), cmp_ordinal);
	return 0;
}

/* ---- creating pods ------------------------------------------------------------------ */

static void add_claims(struct controllers *c, const cJSON *sts, cJSON *pod)
{
	const struct restype *pvc = store_type(ctrl_store(c), "", "persistentvolumeclaims");
	const cJSON *t;
	cJSON *vols = ctrl_path(pod, "spec", "volumes", NULL)
			  ? (cJSON *)ctrl_path(pod, "spec", "volumes", NULL)
			  : cJSON_AddArrayToObject(ctrl_obj_child(pod, "spec"), "volumes");
	cJSON_ArrayForEach(t, ctrl_path(sts, "spec", "volumeClaimTemplates", NULL))
	{
		char claim[300], buf[700];
		const char *tn = ctrl_name(t);
		if (!tn)
			continue;
		snprintf(claim, sizeof(claim), "%s-%s", tn, ctrl_name(pod));
		snprintf(buf, sizeof(buf),
			 "{\"name\":\"%s\",\"persistentVolumeClaim\":{\"claimName\":\"%s\"}}", tn,
			 claim);
		cJSON_AddItemToArray(vols, cJSON_Parse(buf));
		if (!pvc || store_get(ctrl_store(c), pvc, ctrl_namespace(sts), claim))
			continue;
		cJSON *obj = cJSON_Duplicate(t, true);
		cJSON *meta = ctrl_obj_child(obj, "metadata");
		ctrl_set_str(meta, "name", claim);
		ctrl_set_str(meta, "namespace", ctrl_namespace(sts));
		const cJSON *ml = ctrl_path(sts, "spec", "selector", "matchLabels");
		if (ml)
			cJSON_AddItemToObject(meta, "labels", cJSON_Duplicate(ml, true));
		cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
		ctrl_create(c, pvc, obj, CTRL_MANAGER, NULL);
		cJSON_Delete(obj);
	}
	if (!vols->child)
		cJSON_DeleteItemFromObjectCaseSensitive(ctrl_obj_child(pod, "spec"), "volumes");
}

/* newVersionedStatefulSetPod: ordinals below the partition keep the current revision. */
static int create_pod(struct controllers *c, struct sts_view *v, int64_t ord)
{
	bool cur = v->rolling && ord < v->start + v->partition && strcmp(v->current, v->hist.update);
	const char *rev = cur ? v->current : v->hist.update;
	cJSON *old = cur ? ctrl_revision_template(c, ctrl_namespace(v->sts), v->current) : NULL;
	const cJSON *tmpl = old ? old : ctrl_path(v->sts, "spec", "template", NULL);
	char name[300], idx[24];
	snprintf(name, sizeof(name), "%s-%lld", ctrl_name(v->sts), (long long)ord);
	snprintf(idx, sizeof(idx), "%lld", (long long)ord);
	cJSON *pod = pod_from_template(v->sts, "apps/v1", "StatefulSet", tmpl);
	cJSON *meta = ctrl_obj_child(pod, "metadata"), *spec = ctrl_obj_child(pod, "spec");
	cJSON *labels = ctrl_obj_child(meta, "labels");
	ctrl_set_str(meta, "name", name);
	ctrl_set_str(labels, REV_LABEL, rev);
	ctrl_set_str(labels, POD_NAME_LABEL, name);
	ctrl_set_str(labels, POD_INDEX_LABEL, idx);
	ctrl_set_str(spec, "hostname", name);
	if (ctrl_str(v->sts, "spec", "serviceName", NULL) &&
	    *ctrl_str(v->sts, "spec", "serviceName", NULL))
		ctrl_set_str(spec, "subdomain", ctrl_str(v->sts, "spec", "serviceName", NULL));
	add_claims(c, v->sts, pod);
	int rc = ctrl_create(c, ctrl_types(c)->pod, pod, CTRL_MANAGER, NULL);
	if (rc >= 0) {
		v->n_current += strcmp(rev, v->current) == 0;
		v->n_updated += strcmp(rev, v->hist.update) == 0;
	}
	cJSON_Delete(pod);
	cJSON_Delete(old);
	return rc;
}

static void delete_pod(struct controllers *c, const cJSON *pod)
{
	ctrl_delete(c, ctrl_types(c)->pod, ctrl_namespace(pod), ctrl_name(pod), NULL, -1);
}

/* ---- the steps of updateStatefulSet --------------------------------------------------- */

/* Missing and finished pods; false when OrderedReady must wait. */
static bool sync_replicas(struct controllers *c, struct sts_view *v)
{
	for (int64_t i = 0; i < v->replicas; i++) {
		const cJSON *pod = v->slots[i];
		if (pod && finished(pod)) {
			if (!terminating(pod))
				delete_pod(c, pod);
			if (v->monotonic)
				return false;
			continue;
		}
		if (!pod) {
			if (create_pod(c, v, v->start + i) < 0 || v->monotonic)
				return false;
			continue;
		}
		if (v->monotonic && (terminating(pod) || !available(v, pod)))
			return false;
	}
	return true;
}

static const cJSON *first_unhealthy(struct sts_view *v)
{
	for (int64_t i = 0; i < v->replicas; i++)
		if (v->slots[i] && !healthy(v, v->slots[i]))
			return v->slots[i];
	for (size_t i = 0; i < v->ncond; i++)
		if (!healthy(v, v->condemned[i]))
			return v->condemned[i];
	return NULL;
}

/* Pods beyond the replicas, highest ordinal first; false when OrderedReady must wait. */
static bool sync_condemned(struct controllers *c, struct sts_view *v)
{
	const cJSON *unhealthy = first_unhealthy(v);
	for (size_t k = v->ncond; k > 0; k--) {
		const cJSON *pod = v->condemned[k - 1];
		if (terminating(pod)) {
			if (v->monotonic)
				return false;
			continue;
		}
		if (v->monotonic && !running_ready(pod) && pod != unhealthy)
			return false;
		delete_pod(c, pod);
		if (v->monotonic)
			return false;
	}
	return true;
}

/* RollingUpdate: the highest ordinal not at the update revision goes, one at a time. */
static void rolling_update(struct controllers *c, struct sts_view *v)
{
	for (int64_t t = v->replicas - 1; t >= v->partition && t >= 0; t--) {
		const cJSON *pod = v->slots[t];
		if (!pod)
			return;
		if (!rev_is(pod, v->hist.update) && !terminating(pod)) {
			delete_pod(c, pod);
			v->n_current--;
			return;
		}
		if (!healthy(v, pod))
			return;
	}
}

/* ---- status --------------------------------------------------------------------------- */

static void add_nonzero(cJSON *o, const char *key, int64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, (double)v);
}

static cJSON *sts_status(struct sts_view *v)
{
	const char *cur = v->current;
	int64_t n_current = v->n_current;
	/* completeRollingUpdate */
	if (v->rolling && v->n_updated == v->n_replicas && v->n_ready == v->n_replicas) {
		cur = v->hist.update;
		n_current = v->n_updated;
	}
	cJSON *st = cJSON_CreateObject();
	add_nonzero(st, "observedGeneration", ctrl_int(v->sts, "metadata", "generation", NULL, 0));
	cJSON_AddNumberToObject(st, "replicas", (double)v->n_replicas);
	add_nonzero(st, "readyReplicas", v->n_ready);
	add_nonzero(st, "currentReplicas", n_current);
	add_nonzero(st, "updatedReplicas", v->n_updated);
	cJSON_AddStringToObject(st, "currentRevision", cur);
	cJSON_AddStringToObject(st, "updateRevision", v->hist.update);
	cJSON_AddNumberToObject(st, "collisionCount", (double)(v->hist.collision > 0 ? v->hist.collision : 0));
	const cJSON *conds = ctrl_path(v->sts, "status", "conditions", NULL);
	if (conds)
		cJSON_AddItemToObject(st, "conditions", cJSON_Duplicate(conds, true));
	cJSON_AddNumberToObject(st, "availableReplicas", (double)v->n_avail);
	return st;
}

static void view_init(struct controllers *c, struct sts_view *v, const cJSON *sts)
{
	const char *type = ctrl_str(sts, "spec", "updateStrategy", "type");
	const char *pmp = ctrl_str(sts, "spec", "podManagementPolicy", NULL);
	memset(v, 0, sizeof(*v));
	v->sts = sts;
	v->start = ctrl_int(sts, "spec", "ordinals", "start", 0);
	v->replicas = ctrl_int(sts, "spec", "replicas", NULL, 1);
	if (v->replicas < 0)
		v->replicas = 0;
	v->partition = ctrl_int(ctrl_path(sts, "spec", "updateStrategy", "rollingUpdate"),
				"partition", NULL, NULL, 0);
	v->min_ready = ctrl_int(sts, "spec", "minReadySeconds", NULL, 0);
	v->now = ctrl_now(c);
	v->wake = -1;
	v->monotonic = !pmp || strcmp(pmp, "Parallel") != 0;
	v->rolling = !type || strcmp(type, "RollingUpdate") == 0;
}

/* status.currentRevision when that revision still exists, else the update revision. */
static void pick_current(struct controllers *c, struct sts_view *v)
{
	const char *cur = ctrl_str(v->sts, "status", "currentRevision", NULL);
	bool have = cur && store_get(ctrl_store(c), ctrl_types(c)->cr, ctrl_namespace(v->sts), cur);
	snprintf(v->current, sizeof(v->current), "%s", have ? cur : v->hist.update);
}

static void truncate_revisions(struct controllers *c, struct sts_view *v)
{
	size_t n = (size_t)cJSON_GetArraySize(v->pods), k = 0;
	const char **live = calloc(n + 2, sizeof(*live));
	const cJSON *pod;
	if (!live)
		return;
	live[k++] = v->current;
	live[k++] = v->hist.update;
	cJSON_ArrayForEach(pod, v->pods) live[k++] = pod_revision(pod);
	ctrl_history_truncate(c, v->sts, live, k);
	free(live);
}

void sts_sync(struct controllers *c, const char *ns, const char *name, const char *tag)
{
	const struct restype *rt = ctrl_types(c)->sts;
	const cJSON *live = store_get(ctrl_store(c), rt, ns, name);
	struct sts_view v;
	(void)tag; /* a minReadySeconds wake-up is an ordinary sync */
	if (!live || ctrl_path(live, "metadata", "deletionTimestamp", NULL))
		return;
	ctrl_claim(c, live, "apps/v1", "StatefulSet", ctrl_types(c)->pod,
		   ctrl_path(live, "spec", "selector", NULL));
	cJSON *sts = cJSON_Duplicate(store_get(ctrl_store(c), rt, ns, name), true);
	view_init(c, &v, sts);
	if (!sts || ctrl_history_sync(c, sts, true, &v.hist) < 0)
		goto out;
	pick_current(c, &v);
	if (view_pods(c, &v) < 0)
		goto out;
	if (sync_replicas(c, &v) && sync_condemned(c, &v) && v.rolling)
		rolling_update(c, &v);
	truncate_revisions(c, &v);
	if (v.wake >= 0)
		ctrl_enqueue_at(c, v.wake, CK_STS, rt, ns, name, "minReady");
	live = store_get(ctrl_store(c), rt, ns, name);
	if (live && strcmp(ctrl_uid(live), ctrl_uid(sts)) == 0)
		ctrl_put_status(c, rt, live, sts_status(&v));
out:
	free(v.slots);
	free(v.condemned);
	cJSON_Delete(v.pods);
	cJSON_Delete(sts);
}
