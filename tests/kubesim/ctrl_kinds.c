/*
 * ctrl_kinds: the controllers of the kinds issue #13 part 1 added, each as small as what
 * a client reads of it: the resource quota controller (status.hard/used), the
 * PersistentVolume controller (binding a claim to a matching Available volume, dynamic
 * provisioning through a StorageClass, Immediate or WaitForFirstConsumer; the external
 * provisioner's work is done here too) and the horizontal pod autoscaler without a
 * metrics API (k8s pkg/controller/{resourcequota,volume/persistentvolume,podautoscaler}).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "controllers_int.h"
#include "jsonedit.h"
#include "quantity.h"
#include "store_int.h"

/* ---- routing ------------------------------------------------------------------------ */

static void enqueue_all(struct controllers *c, const struct restype *rt, enum ctrl_kind k,
			const char *ns)
{
	const cJSON **all = NULL;
	size_t n = rt ? store_list(ctrl_store(c), rt, ns, &all) : 0;

	for (size_t i = 0; i < n; i++)
		ctrl_enqueue(c, k, rt, ctrl_namespace(all[i]), ctrl_name(all[i]), NULL);
	free(all);
}

/* Pods ask their WaitForFirstConsumer claims to provision, and, gone, their deleting
 * claims to go. */
static void enqueue_pod_claims(struct controllers *c, const cJSON *pod)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, ctrl_path(pod, "spec", "volumes", NULL))
	{
		const char *claim = ctrl_str(v, "persistentVolumeClaim", "claimName", NULL);

		if (claim)
			ctrl_enqueue(c, CK_PV, ctrl_types(c)->pvc, ctrl_namespace(pod), claim,
				     NULL);
	}
}

void ctrl_kinds_route(struct controllers *c, const struct store_event *ev)
{
	const struct ctrl_types *t = ctrl_types(c);
	const char *ns = ctrl_namespace(ev->obj);

	if (ev->rt->namespaced && ns && t->quota)
		enqueue_all(c, t->quota, CK_QUOTA, ns);
	if (ev->type != STORE_DELETED && (ev->rt == t->pv || ev->rt == t->pvc))
		ctrl_enqueue(c, CK_PV, ev->rt, ns, ctrl_name(ev->obj), NULL);
	if (ev->rt == t->pvc && ev->type == STORE_DELETED)
		enqueue_all(c, t->pv, CK_PV, NULL); /* a Released volume */
	if (ev->rt == t->sc && ev->type != STORE_DELETED)
		enqueue_all(c, t->pvc, CK_PV, NULL);
	if (ev->rt == t->pod)
		enqueue_pod_claims(c, ev->obj);
	if (ev->rt == t->hpa && ev->type != STORE_DELETED)
		ctrl_enqueue(c, CK_HPA, ev->rt, ns, ctrl_name(ev->obj), NULL);
	else if (ns && t->hpa && ev->rt->has_scale)
		enqueue_all(c, t->hpa, CK_HPA, ns);
}

/* obj's status replaced by st (taken), written through /status when it changed. */
static void status_write(struct controllers *c, const struct restype *rt, const cJSON *live,
			 cJSON *st)
{
	cJSON *copy;

	if (!st || cJSON_Compare(st, ctrl_path(live, "status", NULL, NULL), true)) {
		cJSON_Delete(st);
		return;
	}
	/* the PersistentVolume status strategy stamps a phase change */
	if (rt == ctrl_types(c)->pv && strcmp(ctrl_str(st, "phase", NULL, NULL) ?: "",
					      ctrl_str(live, "status", "phase", NULL) ?: "") != 0) {
		char now[32];

		ctrl_now_str(c, now);
		ctrl_set_str(st, "lastPhaseTransitionTime", now);
	}
	copy = cJSON_Duplicate(live, true);
	if (copy && json_object_set(copy, "status", st) == 0)
		ctrl_update(c, rt, copy, CTRL_MANAGER, true);
	else
		cJSON_Delete(st);
	cJSON_Delete(copy);
}

/* ---- resource quota ----------------------------------------------------------------- */

void quota_sync(struct controllers *c, const char *ns, const char *name)
{
	const struct restype *rt = ctrl_types(c)->quota;
	const cJSON *live = rt ? store_get(ctrl_store(c), rt, ns, name) : NULL;

	if (live)
		status_write(c, rt, live, admission_quota_status(ctrl_store(c), live));
}

/* ---- PersistentVolumes -------------------------------------------------------------- */

static const char *class_of(const cJSON *obj)
{
	const char *s = ctrl_str(obj, "spec", "storageClassName", NULL);

	return s ? s : "";
}

static bool modes_cover(const cJSON *pv, const cJSON *claim)
{
	const cJSON *m;

	cJSON_ArrayForEach(m, ctrl_path(claim, "spec", "accessModes", NULL))
	{
		if (!cJSON_IsString(m) ||
		    !obj_array_has(ctrl_path(pv, "spec", "accessModes", NULL), m->valuestring))
			return false;
	}
	return true;
}

static int64_t pv_size(const cJSON *pv)
{
	return quantity_milli(ctrl_path(pv, "spec", "capacity", "storage"), NULL);
}

/* findMatchingVolume: an Available (or pre-bound to this claim) volume of the claim's
 * class, mode and selector with enough capacity; the smallest such. */
static const cJSON *pv_match(struct controllers *c, const cJSON *claim)
{
	const cJSON **all = NULL, *best = NULL;
	const cJSON *req = ctrl_path(claim, "spec", "resources", "requests");
	int64_t want = quantity_milli(ctrl_path(req, "storage", NULL, NULL), NULL);
	const cJSON *sel = ctrl_path(claim, "spec", "selector", NULL);
	size_t n = store_list(ctrl_store(c), ctrl_types(c)->pv, NULL, &all);

	for (size_t i = 0; i < n; i++) {
		const cJSON *pv = all[i], *ref = ctrl_path(pv, "spec", "claimRef", NULL);
		const char *phase = ctrl_str(pv, "status", "phase", NULL);

		const char *ruid = ctrl_str(ref, "uid", NULL, NULL);
		bool pre =
		    ref && strcmp(ctrl_str(ref, "name", NULL, NULL) ?: "", ctrl_name(claim)) == 0 &&
		    strcmp(ctrl_str(ref, "namespace", NULL, NULL) ?: "", ctrl_namespace(claim)) ==
			0 &&
		    (!ruid || strcmp(ruid, ctrl_uid(claim)) == 0);

		if ((ref && !pre) || ctrl_path(pv, "metadata", "deletionTimestamp", NULL))
			continue;
		if (pre && ruid) { /* a provisioned volume, made for this claim */
			best = pv;
			break;
		}
		if (!phase || strcmp(phase, "Available") != 0)
			continue;
		if (strcmp(class_of(pv), class_of(claim)) != 0 || !modes_cover(pv, claim) ||
		    pv_size(pv) < want ||
		    strcmp(ctrl_str(pv, "spec", "volumeMode", NULL) ?: "Filesystem",
			   ctrl_str(claim, "spec", "volumeMode", NULL) ?: "Filesystem") != 0)
			continue;
		if (sel && !ctrl_selector_empty(sel) &&
		    !ctrl_selector_matches(sel, ctrl_path(pv, "metadata", "labels", NULL)))
			continue;
		if (!best || pv_size(pv) < pv_size(best))
			best = pv;
	}
	free(all);
	return best;
}

/* bindVolumeToClaim + bindClaimToVolume, then both statuses Bound. */
static void pv_bind(struct controllers *c, const cJSON *pv_live, const cJSON *claim_live)
{
	const struct ctrl_types *t = ctrl_types(c);
	cJSON *pv = cJSON_Duplicate(pv_live, true), *cl = cJSON_Duplicate(claim_live, true);
	cJSON *ref = cJSON_CreateObject(), *st;
	char pvname[254], ns[64], name[254];

	snprintf(pvname, sizeof(pvname), "%s", ctrl_name(pv_live));
	snprintf(ns, sizeof(ns), "%s", ctrl_namespace(claim_live));
	snprintf(name, sizeof(name), "%s", ctrl_name(claim_live));
	cJSON_AddStringToObject(ref, "kind", "PersistentVolumeClaim");
	cJSON_AddStringToObject(ref, "namespace", ns);
	cJSON_AddStringToObject(ref, "name", name);
	cJSON_AddStringToObject(ref, "uid", ctrl_uid(claim_live));
	cJSON_AddStringToObject(ref, "apiVersion", "v1");
	cJSON_AddStringToObject(ref, "resourceVersion",
				ctrl_str(claim_live, "metadata", "resourceVersion", NULL) ?: "");
	if (!ctrl_path(pv, "spec", "claimRef", NULL))
		ctrl_set_annotation(pv, "pv.kubernetes.io/bound-by-controller", "yes");
	(void)json_object_set(ctrl_obj_child(pv, "spec"), "claimRef", ref);
	ctrl_update(c, t->pv, pv, CTRL_MANAGER, false);
	pv_live = store_get(ctrl_store(c), t->pv, NULL, pvname);
	if (pv_live) {
		st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "phase", "Bound");
		status_write(c, t->pv, pv_live, st);
	}
	ctrl_set_annotation(cl, "pv.kubernetes.io/bind-completed", "yes");
	ctrl_set_annotation(cl, "pv.kubernetes.io/bound-by-controller", "yes");
	ctrl_set_str(ctrl_obj_child(cl, "spec"), "volumeName", pvname);
	ctrl_update(c, t->pvc, cl, CTRL_MANAGER, false);
	claim_live = store_get(ctrl_store(c), t->pvc, ns, name);
	pv_live = store_get(ctrl_store(c), t->pv, NULL, pvname);
	if (claim_live && pv_live) {
		st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "phase", "Bound");
		cJSON_AddItemToObject(
		    st, "accessModes",
		    cJSON_Duplicate(ctrl_path(pv_live, "spec", "accessModes", NULL), true));
		cJSON_AddItemToObject(
		    st, "capacity",
		    cJSON_Duplicate(ctrl_path(pv_live, "spec", "capacity", NULL), true));
		status_write(c, t->pvc, claim_live, st);
	}
	cJSON_Delete(pv);
	cJSON_Delete(cl);
}

/* Is the claim used by a scheduled pod (WaitForFirstConsumer)? The node, or NULL. */
static const char *claim_consumer(struct controllers *c, const cJSON *claim)
{
	const cJSON **pods = NULL, *v;
	const char *node = NULL;
	size_t n = store_list(ctrl_store(c), ctrl_types(c)->pod, ctrl_namespace(claim), &pods);

	for (size_t i = 0; i < n && !node; i++)
		cJSON_ArrayForEach(v, ctrl_path(pods[i], "spec", "volumes", NULL))
		{
			const char *cn = ctrl_str(v, "persistentVolumeClaim", "claimName", NULL);

			if (cn && strcmp(cn, ctrl_name(claim)) == 0 &&
			    ctrl_str(pods[i], "spec", "nodeName", NULL))
				node = ctrl_str(pods[i], "spec", "nodeName", NULL);
		}
	free(pods);
	return node;
}

/* The external provisioner: a volume pvc-<uid> of the claim's size for its class. */
static void pv_provision(struct controllers *c, const cJSON *live, const cJSON *live_sc)
{
	const struct ctrl_types *t = ctrl_types(c);
	/* copies: the claim's write below frees what the store lent */
	cJSON *claim = cJSON_Duplicate(live, true), *sc = cJSON_Duplicate(live_sc, true);
	const char *prov = ctrl_str(sc, "provisioner", NULL, NULL) ?: "";
	cJSON *pv = cJSON_CreateObject(), *md, *spec, *csi, *cl;
	char name[64];

	snprintf(name, sizeof(name), "pvc-%s", ctrl_uid(claim));
	if (!ctrl_annotation(claim, "volume.beta.kubernetes.io/storage-provisioner")) {
		cl = cJSON_Duplicate(claim, true);
		ctrl_set_annotation(cl, "volume.beta.kubernetes.io/storage-provisioner", prov);
		ctrl_set_annotation(cl, "volume.kubernetes.io/storage-provisioner", prov);
		ctrl_update(c, t->pvc, cl, CTRL_MANAGER, false);
		cJSON_Delete(cl);
	}
	cJSON_AddStringToObject(pv, "apiVersion", "v1");
	cJSON_AddStringToObject(pv, "kind", "PersistentVolume");
	md = cJSON_AddObjectToObject(pv, "metadata");
	cJSON_AddStringToObject(md, "name", name);
	ctrl_set_annotation(pv, "pv.kubernetes.io/provisioned-by", prov);
	spec = cJSON_AddObjectToObject(pv, "spec");
	cJSON_AddItemToObject(spec, "accessModes",
			      cJSON_Duplicate(ctrl_path(claim, "spec", "accessModes", NULL), true));
	cJSON_AddItemToObject(
	    cJSON_AddObjectToObject(spec, "capacity"), "storage",
	    cJSON_Duplicate(
		ctrl_path(ctrl_path(claim, "spec", "resources", "requests"), "storage", NULL, NULL),
		true));
	{ /* the provisioner makes the volume pre-bound to its claim */
		cJSON *ref = cJSON_AddObjectToObject(spec, "claimRef");

		cJSON_AddStringToObject(ref, "kind", "PersistentVolumeClaim");
		cJSON_AddStringToObject(ref, "namespace", ctrl_namespace(claim));
		cJSON_AddStringToObject(ref, "name", ctrl_name(claim));
		cJSON_AddStringToObject(ref, "uid", ctrl_uid(claim));
		cJSON_AddStringToObject(ref, "apiVersion", "v1");
		cJSON_AddStringToObject(ref, "resourceVersion",
					ctrl_str(claim, "metadata", "resourceVersion", NULL) ?: "");
	}
	csi = cJSON_AddObjectToObject(spec, "csi");
	cJSON_AddStringToObject(csi, "driver", prov);
	cJSON_AddStringToObject(csi, "volumeHandle", name);
	cJSON_AddStringToObject(spec, "persistentVolumeReclaimPolicy",
				ctrl_str(sc, "reclaimPolicy", NULL, NULL) ?: "Delete");
	cJSON_AddStringToObject(spec, "storageClassName", ctrl_name(sc));
	cJSON_AddStringToObject(spec, "volumeMode",
				ctrl_str(claim, "spec", "volumeMode", NULL) ?: "Filesystem");
	ctrl_create(c, t->pv, pv, CTRL_MANAGER, NULL);
	cJSON_Delete(pv);
	cJSON_Delete(sc);
	cJSON_Delete(claim);
}

/* The pvc-protection controller: a deleting claim no scheduled, unfinished pod uses
 * loses its finalizer. */
static void claim_protection(struct controllers *c, const cJSON *claim)
{
	const cJSON **pods = NULL, *v;
	size_t n = store_list(ctrl_store(c), ctrl_types(c)->pod, ctrl_namespace(claim), &pods);
	bool used = false;

	for (size_t i = 0; i < n && !used; i++) {
		const char *phase = ctrl_str(pods[i], "status", "phase", NULL) ?: "";

		if (!ctrl_str(pods[i], "spec", "nodeName", NULL) ||
		    strcmp(phase, "Succeeded") == 0 || strcmp(phase, "Failed") == 0)
			continue;
		cJSON_ArrayForEach(v, ctrl_path(pods[i], "spec", "volumes", NULL))
		{
			const char *cn = ctrl_str(v, "persistentVolumeClaim", "claimName", NULL);

			used = used || (cn && strcmp(cn, ctrl_name(claim)) == 0);
		}
	}
	free(pods);
	if (!used)
		ctrl_remove_finalizer(c, ctrl_types(c)->pvc, claim, "kubernetes.io/pvc-protection");
}

static void claim_sync(struct controllers *c, const char *ns, const char *name)
{
	const struct ctrl_types *t = ctrl_types(c);
	const cJSON *claim = store_get(ctrl_store(c), t->pvc, ns, name), *pv, *sc;
	const char *phase = ctrl_str(claim, "status", "phase", NULL);
	char pvname[64];

	if (claim && ctrl_path(claim, "metadata", "deletionTimestamp", NULL) &&
	    ctrl_has_finalizer(claim, "kubernetes.io/pvc-protection")) {
		claim_protection(c, claim);
		return;
	}
	if (!claim || ctrl_str(claim, "spec", "volumeName", NULL) ||
	    ctrl_path(claim, "metadata", "deletionTimestamp", NULL) ||
	    (phase && strcmp(phase, "Pending") != 0))
		return;
	if (!ctrl_path(claim, "spec", "storageClassName", NULL) &&
	    admission_default_class(ctrl_store(c))) {
		/* RetroactiveDefaultStorageClass (GA 1.28): a claim created before any default
		 * class gets it later; its update event brings it back here */
		cJSON *cl = cJSON_Duplicate(claim, true);

		ctrl_set_str(ctrl_obj_child(cl, "spec"), "storageClassName",
			     admission_default_class(ctrl_store(c)));
		ctrl_update(c, t->pvc, cl, CTRL_MANAGER, false);
		cJSON_Delete(cl);
		return;
	}
	if ((pv = pv_match(c, claim)) != NULL) {
		pv_bind(c, pv, claim);
		return;
	}
	sc = *class_of(claim) && t->sc ? store_get(ctrl_store(c), t->sc, NULL, class_of(claim))
				       : NULL;
	if (!sc)
		return;
	if (strcmp(ctrl_str(sc, "volumeBindingMode", NULL, NULL) ?: "Immediate",
		   "WaitForFirstConsumer") == 0) {
		const char *node = claim_consumer(c, claim);
		cJSON *cl;

		if (!node)
			return;
		if (!ctrl_annotation(claim, "volume.kubernetes.io/selected-node")) {
			cl = cJSON_Duplicate(claim, true);
			ctrl_set_annotation(cl, "volume.kubernetes.io/selected-node", node);
			ctrl_update(c, t->pvc, cl, CTRL_SCHEDULER, false);
			cJSON_Delete(cl);
			claim = store_get(ctrl_store(c), t->pvc, ns, name);
			sc = claim ? store_get(ctrl_store(c), t->sc, NULL, class_of(claim)) : NULL;
			if (!sc)
				return;
		}
	}
	snprintf(pvname, sizeof(pvname), "pvc-%s", ctrl_uid(claim));
	if (!store_get(ctrl_store(c), t->pv, NULL, pvname))
		pv_provision(c, claim, sc);
	/* the new volume's own event brings it to Available, then binds this claim */
}

/* A new volume becomes Available; a bound one whose claim is gone is Released, or
 * deleted under the Delete policy. */
static void volume_sync(struct controllers *c, const char *name)
{
	const struct ctrl_types *t = ctrl_types(c);
	const cJSON *pv = store_get(ctrl_store(c), t->pv, NULL, name), *ref, *claim;
	const char *phase = ctrl_str(pv, "status", "phase", NULL) ?: "";
	cJSON *st;
	bool del;

	if (!pv)
		return;
	if (ctrl_path(pv, "metadata", "deletionTimestamp", NULL)) {
		/* the pv-protection controller: a volume not Bound may go */
		if (strcmp(phase, "Bound") != 0 &&
		    ctrl_has_finalizer(pv, "kubernetes.io/pv-protection"))
			ctrl_remove_finalizer(c, t->pv, pv, "kubernetes.io/pv-protection");
		return;
	}
	ref = ctrl_path(pv, "spec", "claimRef", NULL);
	if (!ref || !ctrl_str(ref, "uid", NULL, NULL)) {
		if (strcmp(phase, "Available") != 0) {
			st = cJSON_CreateObject();
			cJSON_AddStringToObject(st, "phase", "Available");
			status_write(c, t->pv, pv, st);
		}
		if (ref) /* pre-bound to a claim by name: that claim gets a look */
			ctrl_enqueue(c, CK_PV, t->pvc, ctrl_str(ref, "namespace", NULL, NULL),
				     ctrl_str(ref, "name", NULL, NULL), NULL);
		else
			enqueue_all(c, t->pvc, CK_PV, NULL);
		return;
	}
	claim = store_get(ctrl_store(c), t->pvc, ctrl_str(ref, "namespace", NULL, NULL),
			  ctrl_str(ref, "name", NULL, NULL));
	if (claim && strcmp(ctrl_uid(claim), ctrl_str(ref, "uid", NULL, NULL)) == 0) {
		/* pre-bound (provisioned): the claim's sync completes the binding */
		if (!ctrl_str(claim, "spec", "volumeName", NULL)) {
			ctrl_enqueue(c, CK_PV, t->pvc, ctrl_namespace(claim), ctrl_name(claim),
				     NULL);
			return;
		}
		if (strcmp(phase, "Bound") != 0) {
			st = cJSON_CreateObject();
			cJSON_AddStringToObject(st, "phase", "Bound");
			status_write(c, t->pv, pv, st);
			ctrl_enqueue(c, CK_PV, t->pvc, ctrl_namespace(claim), ctrl_name(claim),
				     NULL);
		}
		return;
	}
	/* the Delete policy: the provisioner removes the volume, then its object goes */
	del = strcmp(ctrl_str(pv, "spec", "persistentVolumeReclaimPolicy", NULL) ?: "", "Delete") ==
	      0;
	if (strcmp(phase, "Released") != 0) {
		st = cJSON_CreateObject();
		cJSON_AddStringToObject(st, "phase", "Released");
		status_write(c, t->pv, pv, st); /* pv is stale from here */
	}
	if (del)
		ctrl_delete(c, t->pv, NULL, name, NULL, -1);
}

void pv_sync(struct controllers *c, const struct restype *rt, const char *ns, const char *name)
{
	if (rt == ctrl_types(c)->pv)
		volume_sync(c, name);
	else if (rt == ctrl_types(c)->pvc)
		claim_sync(c, ns, name);
}

/* ---- HorizontalPodAutoscaler -------------------------------------------------------- */

static bool hpa_cond(struct controllers *c, cJSON *st, const char *type, const char *status,
		     const char *reason, const char *msg)
{
	char now[32];

	ctrl_now_str(c, now);
	return ctrl_condition_set(st, type, status, reason, msg, now, false);
}

/* reconcileAutoscaler with no metrics API: the replica count is only brought into
 * [minReplicas, maxReplicas]; otherwise ScalingActive is False for the missing metrics. */
void hpa_sync(struct controllers *c, const char *ns, const char *name)
{
	const struct restype *rt = ctrl_types(c)->hpa, *tt;
	const cJSON *hpa = rt ? store_get(ctrl_store(c), rt, ns, name) : NULL, *ref, *target;
	cJSON *st, *copy;
	char msg[512], now[32];
	int64_t cur, spec_rep, lo, hi, want;

	if (!hpa)
		return;
	ref = ctrl_path(hpa, "spec", "scaleTargetRef", NULL);
	tt = store_type_by_kind(ctrl_store(c), ctrl_str(ref, "apiVersion", NULL, NULL) ?: "",
				ctrl_str(ref, "kind", NULL, NULL) ?: "");
	target = tt && tt->has_scale
		     ? store_get(ctrl_store(c), tt, ns, ctrl_str(ref, "name", NULL, NULL) ?: "")
		     : NULL;
	st = cJSON_Duplicate(ctrl_path(hpa, "status", NULL, NULL), true);
	if (!st)
		st = cJSON_CreateObject();
	if (!target) {
		if (tt && tt->has_scale)
			snprintf(msg, sizeof(msg),
				 "the HPA controller was unable to get the target's current scale: "
				 "%s%s%s \"%s\" not found",
				 tt->resource, *tt->group ? "." : "", tt->group,
				 ctrl_str(ref, "name", NULL, NULL) ?: "");
		else
			snprintf(msg, sizeof(msg),
				 "the HPA controller was unable to get the target's current scale: "
				 "no matches for kind \"%s\" in group \"\"",
				 ctrl_str(ref, "kind", NULL, NULL) ?: "");
		hpa_cond(c, st, "AbleToScale", "False", "FailedGetScale", msg);
		status_write(c, rt, hpa, st);
		return;
	}
	cur = ctrl_int(target, "status", "replicas", NULL, 0);
	spec_rep = ctrl_int(target, "spec", "replicas", NULL, 1);
	lo = ctrl_int(hpa, "spec", "minReplicas", NULL, 1);
	hi = ctrl_int(hpa, "spec", "maxReplicas", NULL, 1);
	ctrl_set_int(st, "currentReplicas", cur);
	if (spec_rep == 0 && lo != 0) {
		ctrl_set_int(st, "desiredReplicas", 0);
		hpa_cond(c, st, "AbleToScale", "True", "SucceededGetScale",
			 "the HPA controller was able to get the target's current scale");
		hpa_cond(c, st, "ScalingActive", "False", "ScalingDisabled",
			 "scaling is disabled since the replica count of the target is zero");
		status_write(c, rt, hpa, st);
		return;
	}
	want = spec_rep > hi ? hi : spec_rep < lo ? lo : -1;
	if (want < 0) {
		hpa_cond(c, st, "AbleToScale", "True", "SucceededGetScale",
			 "the HPA controller was able to get the target's current scale");
		hpa_cond(c, st, "ScalingActive", "False", "FailedGetResourceMetric",
			 "the HPA was unable to compute the replica count: failed to get cpu "
			 "utilization: unable to get metrics for resource cpu: unable to fetch "
			 "metrics from resource metrics API: the server could not find the "
			 "requested resource (get pods.metrics.k8s.io)");
		status_write(c, rt, hpa, st);
		return;
	}
	copy = cJSON_Duplicate(target, true);
	ctrl_set_int(ctrl_obj_child(copy, "spec"), "replicas", want);
	if (ctrl_update(c, tt, copy, CTRL_MANAGER, false) >= 0) {
		snprintf(msg, sizeof(msg),
			 "the HPA controller was able to update the target scale to %lld",
			 (long long)want);
		hpa_cond(c, st, "AbleToScale", "True", "SucceededRescale", msg);
		ctrl_set_int(st, "desiredReplicas", want);
		ctrl_now_str(c, now);
		ctrl_set_str(st, "lastScaleTime", now);
	}
	hpa_cond(c, st, "ScalingLimited", "True", want == lo ? "TooFewReplicas" : "TooManyReplicas",
		 want == lo ? "the desired replica count is less than the minimum replica count"
			    : "the desired replica count is more than the maximum replica count");
	cJSON_Delete(copy);
	status_write(c, rt, hpa, st);
}
