/*
 * rollout_pods: the reason behind a failed rollout, read from the pods of the
 * workload: a container waiting on ErrImagePull, ImagePullBackOff, CrashLoopBackOff
 * and the like. Only used after a failure, so it costs nothing on the happy path. Also
 * the two things every reader of a workload's pods and revisions needs: its selector
 * and whether an object is owned by it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "sync_int.h"

bool sync_owned_by(const cJSON *obj, const char *uid)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, json_get(obj, "metadata", "ownerReferences", NULL))
	{
		const char *u = json_str(o, "uid", NULL);
		if (u && uid && !strcmp(u, uid))
			return true;
	}
	return false;
}

char *rollout_selector(const cJSON *obj)
{
	const cJSON *ml = json_get(obj, "spec", "selector", "matchLabels", NULL);
	const cJSON *l;
	struct buf b;

	buf_init(&b, 4096);
	cJSON_ArrayForEach(l, ml)
	{
		if (cJSON_IsString(l))
			buf_printf(&b, "%s%s=%s", b.len ? "," : "", l->string, l->valuestring);
	}
	if (!b.len) {
		buf_dispose(&b);
		return NULL;
	}
	return buf_detach(&b);
}

/* The first waiting container of a pod: "pod web-x container web: ErrImagePull: ...". */
static bool pod_reason(const cJSON *pod, char *out, size_t n)
{
	const cJSON *cs;
	const char *pod_name = json_str(pod, "metadata", "name", NULL);

	cJSON_ArrayForEach(cs, json_get(pod, "status", "containerStatuses", NULL))
	{
		const cJSON *w = json_get(cs, "state", "waiting", NULL);
		const char *reason = json_str(w, "reason", NULL);
		const char *msg = json_str(w, "message", NULL);
		const char *c = json_str(cs, "name", NULL);
		const char *image = json_str(cs, "image", NULL);

		if (!reason || !strcmp(reason, "ContainerCreating") ||
		    !strcmp(reason, "PodInitializing"))
			continue;
		snprintf(out, n, "pod %s container %s (image %s): %s%s%s",
			 pod_name ? pod_name : "?", c ? c : "?", image ? image : "?", reason,
			 msg ? ": " : "", msg ? msg : "");
		return true;
	}
	return false;
}

void rollout_explain(struct sync_run *r, const struct sync_item *it, char *msg, size_t n)
{
	const struct kube_resource *pods;
	const cJSON *obj = it->obj->body, *p;
	char *sel = rollout_selector(obj);
	cJSON *list = NULL;
	struct err e;
	char reason[600];

	err_clear(&e);
	if (!sel || kube_resolve(r->kube, "v1", "Pod", &pods, &e) < 0 ||
	    kube_list(r->kube, pods, it->obj->ns, sel, &list, &e) < 0)
		goto out;
	cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		if (pod_reason(p, reason, sizeof(reason))) {
			size_t len = strlen(msg);
			snprintf(msg + len, n - len, "; %s", reason);
			break;
		}
	}
out:
	cJSON_Delete(list);
	free(sel);
}
