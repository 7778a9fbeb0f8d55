/*
 * rollout_sts: the forced rollback of a StatefulSet. With podManagementPolicy
 * OrderedReady (the default) the controller replaces no pod while one is not Running
 * and Ready, so a pod made from a template that never starts holds the set for good,
 * even once the template is reverted: the StatefulSet documentation's repair
 * ("Forced rollback") is to delete the pods made from the bad template after reverting
 * it. tether does that after it changed a StatefulSet, for the pods only: owned by the
 * set, at a revision that is neither its current nor its update revision, and not
 * Running and Ready. The controller makes them again from the update revision.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "sync_int.h"

#define REVISION_LABEL "controller-revision-hash"

static bool ordered_rolling(const cJSON *sts)
{
	const char *pmp = json_str(sts, "spec", "podManagementPolicy", NULL);
	const char *type = json_str(sts, "spec", "updateStrategy", "type", NULL);

	return (!pmp || !strcmp(pmp, "OrderedReady")) && (!type || !strcmp(type, "RollingUpdate"));
}

/* The StatefulSet once its controller observed the applied generation, or NULL at the
 * deadline or on an error. */
static cJSON *observed_set(struct sync_run *r, const struct sync_item *it, int64_t deadline)
{
	int64_t delay = 100;

	while (now_ms() < deadline) {
		cJSON *sts = NULL;
		struct err e;

		err_clear(&e);
		if (kube_get(r->kube, it->res, it->obj->ns, it->obj->name, &sts, &e) < 0)
			return NULL;
		if (json_int(sts, 0, "metadata", "generation", NULL) <=
		    json_int(sts, -1, "status", "observedGeneration", NULL))
			return sts;
		cJSON_Delete(sts);
		sleep_for_ms(delay);
		delay = delay * 2 > 1000 ? 1000 : delay * 2;
	}
	return NULL;
}

static bool running_ready(const cJSON *pod)
{
	const char *phase = json_str(pod, "status", "phase", NULL);
	const cJSON *c;

	if (!phase || strcmp(phase, "Running") != 0)
		return false;
	cJSON_ArrayForEach(c, json_get(pod, "status", "conditions", NULL))
	{
		const char *t = json_str(c, "type", NULL), *s = json_str(c, "status", NULL);
		if (t && s && !strcmp(t, "Ready"))
			return !strcmp(s, "True");
	}
	return false;
}

/* A pod of sts that holds its rollout: made from a revision the set has left. */
static bool stuck_pod(const cJSON *sts, const cJSON *pod)
{
	const char *rev = json_str(pod, "metadata", "labels", REVISION_LABEL, NULL);
	const char *cur = json_str(sts, "status", "currentRevision", NULL);
	const char *upd = json_str(sts, "status", "updateRevision", NULL);

	return rev && cur && upd && strcmp(rev, cur) != 0 && strcmp(rev, upd) != 0 &&
	       sync_owned_by(pod, json_str(sts, "metadata", "uid", NULL)) &&
	       !json_get(pod, "metadata", "deletionTimestamp", NULL) && !running_ready(pod);
}

/* Deletes the pods of sts that hold its rollout; says which into note. */
static void delete_stuck(struct sync_run *r, const struct sync_item *it, const cJSON *sts,
			 const cJSON *pods, const struct kube_resource *pr, char *note, size_t n)
{
	const cJSON *p;
	size_t len = 0;

	cJSON_ArrayForEach(p, json_get(pods, "items", NULL))
	{
		const char *name = json_str(p, "metadata", "name", NULL);
		struct err e;
		int rc;

		if (!name || !stuck_pod(sts, p) || len + 1 >= n)
			continue;
		err_clear(&e);
		rc = kube_delete(r->kube, pr, it->obj->ns, name, &e);
		if (rc < 0 && rc != TE_NOTFOUND)
			snprintf(note + len, n - len,
				 "; cannot delete pod %s of a template the set "
				 "left: %s",
				 name, e.msg);
		else
			snprintf(note + len, n - len,
				 "; forced rollback: deleted pod %s (revision "
				 "%s, not ready)",
				 name, json_str(p, "metadata", "labels", REVISION_LABEL, NULL));
		len = strlen(note);
	}
}

void rollout_unstick(struct sync_run *r, const struct sync_item *it, int64_t deadline, char *note,
		     size_t n)
{
	const struct kube_resource *pr;
	cJSON *sts = NULL, *pods = NULL;
	char *sel = NULL;
	struct err e;

	note[0] = '\0';
	if (!it->changed || strcmp(it->obj->kind, "StatefulSet") != 0 ||
	    !ordered_rolling(it->obj->body))
		return;
	err_clear(&e);
	if (!(sts = observed_set(r, it, deadline)) || !(sel = rollout_selector(sts)) ||
	    kube_resolve(r->kube, "v1", "Pod", &pr, &e) < 0 ||
	    kube_list(r->kube, pr, it->obj->ns, sel, &pods, &e) < 0)
		goto out;
	delete_stuck(r, it, sts, pods, pr, note, n);
out:
	cJSON_Delete(pods);
	cJSON_Delete(sts);
	free(sel);
}
