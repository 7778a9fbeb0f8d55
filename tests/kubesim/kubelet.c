/*
 * kubelet: the simulated nodes, scheduler and kubelet. --nodes N Node objects are made at
 * start; a new pod is bound by the scheduler (scheduler.c), reported Pending with its containers ContainerCreating, and
 * --pod-ready-ms later Running and Ready; a pod whose image matches --fail-images
 * stays Pending with ErrImagePull, then ImagePullBackOff (k8s 1.28
 * pkg/kubelet/images/types.go strings). A pod with a deletionTimestamp stays Terminating
 * for --pod-terminate-ms (at most its grace period), then is deleted. Also the pod
 * helpers the workload controllers share.
 *
 * The readiness delay is a timer tagged with the pod's uid; a store restored from
 * --state has no timers, so restored pods (tag "restore") get one from startTime.
 */
#include "jsonedit.h"
#include "controllers_int.h"

#include <fnmatch.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HOST_IP "10.0.0.1"

bool pod_is_active(const cJSON *pod)
{
	const char *phase = ctrl_str(pod, "status", "phase", NULL);
	if (ctrl_path(pod, "metadata", "deletionTimestamp", NULL))
		return false;
	return !phase || (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0);
}

bool pod_is_ready(const cJSON *pod)
{
	const cJSON *c = ctrl_condition(ctrl_path(pod, "status", NULL, NULL), "Ready");
	const char *s = ctrl_str(c, "status", NULL, NULL);
	return s && strcmp(s, "True") == 0;
}

bool pod_is_available(const cJSON *pod, int64_t min_ready_s, int64_t now_ms)
{
	if (!pod_is_ready(pod))
		return false;
	if (min_ready_s <= 0)
		return true;
	const cJSON *c = ctrl_condition(ctrl_path(pod, "status", NULL, NULL), "Ready");
	int64_t t = ctrl_time_parse(ctrl_str(c, "lastTransitionTime", NULL, NULL));
	return t >= 0 && t + min_ready_s * 1000 <= now_ms;
}

bool pod_available_or_wake(const cJSON *pod, int64_t min_ready_s, int64_t now_ms,
			   int64_t *wake_ms)
{
	if (pod_is_available(pod, min_ready_s, now_ms))
		return true;
	const cJSON *c = ctrl_condition(ctrl_path(pod, "status", NULL, NULL), "Ready");
	int64_t t = ctrl_time_parse(ctrl_str(c, "lastTransitionTime", NULL, NULL));
	int64_t due = t + min_ready_s * 1000 + 1000;
	if (t >= 0 && (*wake_ms < 0 || due < *wake_ms))
		*wake_ms = due;
	return false;
}

cJSON *pod_from_template(const cJSON *owner, const char *api_version, const char *kind,
			 const cJSON *tmpl)
{
	char prefix[300];
	cJSON *pod = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(pod, "metadata");
	const char *keys[] = {"labels", "annotations", "finalizers"};
	cJSON_AddStringToObject(pod, "apiVersion", "v1");
	cJSON_AddStringToObject(pod, "kind", "Pod");
	cJSON_AddStringToObject(meta, "namespace", ctrl_namespace(owner));
	snprintf(prefix, sizeof(prefix), "%s-", ctrl_name(owner));
	cJSON_AddStringToObject(meta, "generateName", prefix);
	for (size_t i = 0; i < 3; i++) {
		const cJSON *v = ctrl_path(tmpl, "metadata", keys[i], NULL);
		if (v)
			cJSON_AddItemToObject(meta, keys[i], cJSON_Duplicate(v, true));
	}
	cJSON *refs = cJSON_AddArrayToObject(meta, "ownerReferences");
	cJSON_AddItemToArray(
	    refs, ctrl_owner_ref_new(api_version, kind, ctrl_name(owner), ctrl_uid(owner)));
	const cJSON *spec = ctrl_path(tmpl, "spec", NULL, NULL);
	cJSON_AddItemToObject(pod, "spec",
			      spec ? cJSON_Duplicate(spec, true) : cJSON_CreateObject());
	return pod;
}

int pod_create_from_template(struct controllers *c, const cJSON *owner, const char *api_version,
			     const char *kind, const cJSON *tmpl, const char *fixed_name)
{
	cJSON *pod = pod_from_template(owner, api_version, kind, tmpl);
	/* Without a name the server's generateName draws "<owner>-<5 chars>". */
	if (fixed_name)
		ctrl_set_str(ctrl_obj_child(pod, "metadata"), "name", fixed_name);
	int rc = ctrl_create(c, ctrl_types(c)->pod, pod, CTRL_MANAGER, NULL);
	cJSON_Delete(pod);
	return rc;
}

/* ---- the kubelet ------------------------------------------------------------------------- */

static const char *failing_image(struct controllers *c, const cJSON *pod)
{
	const char *glob = ctrl_config(c)->fail_images;
	const cJSON *ctr;
	if (!glob || !*glob)
		return NULL;
	cJSON_ArrayForEach(ctr, ctrl_path(pod, "spec", "containers", NULL))
	{
		const char *image = ctrl_str(ctr, "image", NULL, NULL);
		if (image && fnmatch(glob, image, 0) == 0)
			return image;
	}
	return NULL;
}

static void add_condition(cJSON *conds, const char *type, bool ok, const char *reason,
			  const char *msg, const char *now)
{
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", ok ? "True" : "False");
	cJSON_AddNullToObject(c, "lastProbeTime");
	cJSON_AddStringToObject(c, "lastTransitionTime", now);
	if (reason)
		cJSON_AddStringToObject(c, "reason", reason);
	if (msg)
		cJSON_AddStringToObject(c, "message", msg);
	cJSON_AddItemToArray(conds, c);
}

static void pod_ip(const cJSON *pod, char *out, size_t n)
{
	uint32_t h = 2166136261u;
	for (const char *u = ctrl_uid(pod) ? ctrl_uid(pod) : ctrl_name(pod); *u; u++)
		h = (h ^ (unsigned char)*u) * 16777619u;
	snprintf(out, n, "10.244.%u.%u", (h >> 8) & 255, (h & 127) + 2);
}

/* "containers with unready status: [a b]" for every container. */
static void unready_message(const cJSON *pod, char *out, size_t n)
{
	const cJSON *ctr;
	size_t len = (size_t)snprintf(out, n, "containers with unready status: [");
	bool first = true;
	cJSON_ArrayForEach(ctr, ctrl_path(pod, "spec", "containers", NULL))
	{
		const char *name = ctrl_str(ctr, "name", NULL, NULL);
		if (len < n)
			len += (size_t)snprintf(out + len, n - len, "%s%s", first ? "" : " ",
						name ? name : "");
		first = false;
	}
	if (len < n)
		snprintf(out + len, n - len, "]");
}

static cJSON *container_statuses(const cJSON *pod, const char *state, const char *reason,
				 const char *msg, const char *now)
{
	cJSON *arr = cJSON_CreateArray();
	const cJSON *ctr;
	bool running = strcmp(state, "running") == 0;
	cJSON_ArrayForEach(ctr, ctrl_path(pod, "spec", "containers", NULL))
	{
		const char *image = ctrl_str(ctr, "image", NULL, NULL);
		const char *name = ctrl_str(ctr, "name", NULL, NULL);
		char id[80];
		cJSON *cs = cJSON_CreateObject(), *st = cJSON_CreateObject();
		cJSON_AddStringToObject(cs, "name", name ? name : "");
		cJSON_AddStringToObject(cs, "image", image ? image : "");
		cJSON_AddStringToObject(cs, "imageID", "");
		if (running) {
			pod_ip(pod, id, sizeof(id));
			char full[160];
			snprintf(full, sizeof(full), "containerd://kubesim-%s-%s", ctrl_uid(pod),
				 name ? name : "");
			cJSON_AddStringToObject(cs, "containerID", full);
			snprintf(full, sizeof(full), "docker.io/library/%s@sha256:0",
				 image ? image : "");
			(void)json_object_set(cs, "imageID", cJSON_CreateString(full));
			cJSON_AddStringToObject(cJSON_AddObjectToObject(st, "running"), "startedAt",
						now);
		} else {
			cJSON *w = cJSON_AddObjectToObject(st, "waiting");
			char m[512];
			cJSON_AddStringToObject(w, "reason", reason);
			if (msg) {
				snprintf(m, sizeof(m), msg, image ? image : "");
				cJSON_AddStringToObject(w, "message", m);
			}
		}
		cJSON_AddItemToObject(cs, "state", st);
		cJSON_AddItemToObject(cs, "lastState", cJSON_CreateObject());
		cJSON_AddBoolToObject(cs, "ready", running);
		cJSON_AddNumberToObject(cs, "restartCount", 0);
		cJSON_AddBoolToObject(cs, "started", running);
		cJSON_AddItemToArray(arr, cs);
	}
	return arr;
}

/* Pending (containers creating or image failing) or Running and Ready. */
static cJSON *pod_status(const cJSON *pod, const char *stage, const char *now, const char *start,
			 const char *host_ip)
{
	char msg[512], ip[32];
	bool ready = strcmp(stage, "running") == 0;
	cJSON *st = cJSON_CreateObject();
	cJSON_AddStringToObject(st, "phase", ready ? "Running" : "Pending");
	cJSON *conds = cJSON_AddArrayToObject(st, "conditions");
	unready_message(pod, msg, sizeof(msg));
	add_condition(conds, "PodReadyToStartContainers", true, NULL, NULL, start);
	add_condition(conds, "Initialized", true, NULL, NULL, start);
	add_condition(conds, "Ready", ready, ready ? NULL : "ContainersNotReady",
		      ready ? NULL : msg, ready ? now : start);
	add_condition(conds, "ContainersReady", ready, ready ? NULL : "ContainersNotReady",
		      ready ? NULL : msg, ready ? now : start);
	add_condition(conds, "PodScheduled", true, NULL, NULL, start);
	cJSON_AddStringToObject(st, "hostIP", host_ip);
	cJSON *hips = cJSON_AddArrayToObject(st, "hostIPs");
	cJSON_AddItemToArray(hips, cJSON_CreateObject());
	cJSON_AddStringToObject(hips->child, "ip", host_ip);
	if (ready) {
		pod_ip(pod, ip, sizeof(ip));
		cJSON_AddStringToObject(st, "podIP", ip);
		cJSON *pips = cJSON_AddArrayToObject(st, "podIPs");
		cJSON_AddItemToArray(pips, cJSON_CreateObject());
		cJSON_AddStringToObject(pips->child, "ip", ip);
	}
	cJSON_AddStringToObject(st, "startTime", start);
	if (ready)
		cJSON_AddItemToObject(st, "containerStatuses",
				      container_statuses(pod, "running", NULL, NULL, now));
	else if (strcmp(stage, "creating") == 0)
		cJSON_AddItemToObject(
		    st, "containerStatuses",
		    container_statuses(pod, "waiting", "ContainerCreating", NULL, now));
	else if (strcmp(stage, "errpull") == 0)
		cJSON_AddItemToObject(
		    st, "containerStatuses",
		    container_statuses(pod, "waiting", "ErrImagePull",
				       "failed to pull and unpack image \"%s\": not found", now));
	else
		cJSON_AddItemToObject(st, "containerStatuses",
				      container_statuses(pod, "waiting", "ImagePullBackOff",
							 "Back-off pulling image \"%s\"", now));
	cJSON_AddStringToObject(st, "qosClass", "BestEffort");
	return st;
}

static void write_status(struct controllers *c, const cJSON *pod, cJSON *st)
{
	cJSON *copy = cJSON_Duplicate(pod, true);
	cJSON_DeleteItemFromObjectCaseSensitive(copy, "status");
	cJSON_AddItemToObject(copy, "status", st);
	ctrl_update(c, ctrl_types(c)->pod, copy, CTRL_KUBELET, true);
	cJSON_Delete(copy);
}

/* ---- nodes and the scheduler ------------------------------------------------------ */

static void node_name(int i, char *out, size_t n)
{
	if (i == 1)
		snprintf(out, n, "%s", NODE_NAME);
	else
		snprintf(out, n, "%s-%d", NODE_NAME, i);
}

static cJSON *node_new(int i, const char *name, const char *now)
{
	char buf[2048];
	snprintf(buf, sizeof(buf),
		 "{\"apiVersion\":\"v1\",\"kind\":\"Node\",\"metadata\":{\"name\":\"%s\","
		 "\"labels\":{\"beta.kubernetes.io/arch\":\"amd64\",\"beta.kubernetes.io/os\":"
		 "\"linux\",\"kubernetes.io/arch\":\"amd64\",\"kubernetes.io/hostname\":\"%s\","
		 "\"kubernetes.io/os\":\"linux\"}},\"spec\":{\"podCIDR\":\"10.244.%d.0/24\","
		 "\"podCIDRs\":[\"10.244.%d.0/24\"]},\"status\":{\"addresses\":[{\"address\":"
		 "\"10.0.0.%d\",\"type\":\"InternalIP\"},{\"address\":\"%s\",\"type\":"
		 "\"Hostname\"}],\"allocatable\":{\"cpu\":\"8\",\"ephemeral-storage\":\"100Gi\","
		 "\"memory\":\"16Gi\",\"pods\":\"110\"},\"capacity\":{\"cpu\":\"8\","
		 "\"ephemeral-storage\":\"100Gi\",\"memory\":\"16Gi\",\"pods\":\"110\"},"
		 "\"conditions\":[{\"type\":\"Ready\",\"status\":\"True\",\"reason\":"
		 "\"KubeletReady\",\"message\":\"kubelet is posting ready status\","
		 "\"lastHeartbeatTime\":\"%s\",\"lastTransitionTime\":\"%s\"}],\"nodeInfo\":"
		 "{\"architecture\":\"amd64\",\"bootID\":\"\",\"containerRuntimeVersion\":"
		 "\"containerd://1.7.24\",\"kernelVersion\":\"6.1.0\",\"kubeProxyVersion\":"
		 "\"v1.32.0\",\"kubeletVersion\":\"v1.32.0\",\"machineID\":\"\","
		 "\"operatingSystem\":\"linux\",\"osImage\":\"kubesim\",\"systemUUID\":\"\"}}}",
		 name, name, i % 250, i % 250, i % 250, name, now, now);
	return cJSON_Parse(buf);
}

/* The --node-taint taints of the node (spec.taints, in the order given). */
static void node_taints(struct controllers *c, cJSON *node)
{
	const struct sim_config *cfg = ctrl_config(c);
	cJSON *spec = ctrl_obj_child(node, "spec"), *taints = NULL;

	for (int i = 0; spec && i < cfg->ntaints; i++) {
		const struct sim_taint *t = &cfg->taints[i];
		cJSON *x;
		if (strcmp(t->node, ctrl_name(node)) != 0)
			continue;
		if (!taints)
			taints = cJSON_AddArrayToObject(spec, "taints");
		x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "key", t->key);
		if (*t->value)
			cJSON_AddStringToObject(x, "value", t->value);
		cJSON_AddStringToObject(x, "effect", t->effect);
		cJSON_AddItemToArray(taints, x);
	}
}

void kubelet_nodes_ensure(struct controllers *c, int n)
{
	const struct restype *rt = ctrl_types(c)->node;
	char name[64], now[32];
	ctrl_now_str(c, now);
	for (int i = 1; rt && i <= n; i++) {
		node_name(i, name, sizeof(name));
		if (store_get(ctrl_store(c), rt, NULL, name))
			continue;
		cJSON *node = node_new(i, name, now);
		cJSON *made = NULL;
		if (node)
			node_taints(c, node);
		/* a create drops the status: write it through the status subresource */
		if (node && ctrl_create(c, rt, node, CTRL_KUBELET, &made) >= 0 && made) {
			cJSON_DeleteItemFromObjectCaseSensitive(made, "status");
			cJSON_AddItemToObject(made, "status",
					      cJSON_DetachItemFromObject(node, "status"));
			ctrl_update(c, rt, made, CTRL_KUBELET, true);
		}
		cJSON_Delete(made);
		cJSON_Delete(node);
	}
}

/* The node a DaemonSet pod's affinity names (matchFields metadata.name In [node]). */
const char *pod_affinity_node(const cJSON *pod)
{
	const cJSON *req = ctrl_path(ctrl_path(pod, "spec", "affinity", "nodeAffinity"),
				     "requiredDuringSchedulingIgnoredDuringExecution",
				     "nodeSelectorTerms", NULL);
	const cJSON *term, *f;
	cJSON_ArrayForEach(term, req)
	{
		cJSON_ArrayForEach(f, ctrl_path(term, "matchFields", NULL, NULL))
		{
			const char *key = ctrl_str(f, "key", NULL, NULL);
			const cJSON *v = cJSON_GetArrayItem(ctrl_path(f, "values", NULL, NULL), 0);
			if (key && strcmp(key, "metadata.name") == 0 && cJSON_IsString(v))
				return v->valuestring;
		}
	}
	return NULL;
}

/* The InternalIP of the pod's node, or the default node's. */
static void host_ip(struct controllers *c, const cJSON *pod, char *out, size_t n)
{
	const char *node = ctrl_str(pod, "spec", "nodeName", NULL);
	const cJSON *obj = node && ctrl_types(c)->node
			       ? store_get(ctrl_store(c), ctrl_types(c)->node, NULL, node)
			       : NULL;
	const cJSON *a;
	snprintf(out, n, "%s", HOST_IP);
	cJSON_ArrayForEach(a, ctrl_path(obj, "status", "addresses", NULL))
	{
		const char *type = ctrl_str(a, "type", NULL, NULL);
		const char *ip = ctrl_str(a, "address", NULL, NULL);
		if (type && ip && strcmp(type, "InternalIP") == 0) {
			snprintf(out, n, "%s", ip);
			return;
		}
	}
}

static const char *container_reason(const cJSON *pod)
{
	const cJSON *cs =
	    cJSON_GetArrayItem(ctrl_path(pod, "status", "containerStatuses", NULL), 0);
	return ctrl_str(cs, "state", "waiting", "reason");
}

/* A pod being deleted: its containers stop --pod-terminate-ms after the deletion (or
 * when the grace period ends, if sooner), then the kubelet deletes it with no grace, as
 * the kubelet's status manager does once the containers are gone. The timer carries
 * "terminate:<uid>". */
static void kubelet_terminate(struct controllers *c, const cJSON *pod, const char *ns,
			      const char *name, const char *tag)
{
	const cJSON *g = ctrl_path(pod, "metadata", "deletionGracePeriodSeconds", NULL);
	int64_t grace_ms = cJSON_IsNumber(g) ? (int64_t)g->valuedouble * 1000 : 0;
	int64_t stop_ms = ctrl_config(c)->pod_terminate_ms;
	char want[80];

	snprintf(want, sizeof(want), "terminate:%s", ctrl_uid(pod) ? ctrl_uid(pod) : "");
	if (grace_ms <= 0 || (tag && strcmp(tag, want) == 0)) {
		ctrl_delete(c, ctrl_types(c)->pod, ns, name, NULL, 0);
		return;
	}
	ctrl_enqueue_at(c, ctrl_now(c) + (stop_ms < grace_ms ? stop_ms : grace_ms), CK_POD,
			ctrl_types(c)->pod, ns, name, want);
}

void kubelet_sync(struct controllers *c, const char *ns, const char *name, const char *tag)
{
	const cJSON *pod = store_get(ctrl_store(c), ctrl_types(c)->pod, ns, name);
	char now[32];
	if (!pod)
		return;
	if (ctrl_path(pod, "metadata", "deletionTimestamp", NULL)) {
		kubelet_terminate(c, pod, ns, name, tag);
		return;
	}
	/* A refused binding (a server that forbids the spec write) must not strand the
	 * pod: it then runs unbound. A conflict retries with the next event. */
	if (!ctrl_str(pod, "spec", "nodeName", NULL)) {
		int rc = scheduler_bind(c, pod);
		if (rc >= 0 || rc == -409)
			return;
		pod = store_get(ctrl_store(c), ctrl_types(c)->pod, ns, name);
		if (!pod)
			return;
	}
	const char *phase = ctrl_str(pod, "status", "phase", NULL);
	const char *start = ctrl_str(pod, "status", "startTime", NULL);
	int delay = ctrl_config(c)->pod_ready_ms;
	int64_t now_ms = ctrl_now(c);
	char hip[64];
	ctrl_time_format(now_ms, now);
	host_ip(c, pod, hip, sizeof(hip));
	if (!phase || !start) {
		const char *bad = failing_image(c, pod);
		write_status(c, pod, pod_status(pod, bad ? "errpull" : "creating", now, now, hip));
		ctrl_enqueue_at(c, now_ms + (delay > 0 ? delay : 0), CK_POD, ctrl_types(c)->pod, ns,
				name, ctrl_uid(pod));
		return;
	}
	if (strcmp(phase, "Pending") != 0)
		return;
	/* The readiness delay passed when our timer fired (tag = the pod's uid), or when a
	 * restored pod has been pending long enough. */
	int64_t due_ms = ctrl_time_parse(start) + delay + 1000;
	bool due = (tag && ctrl_uid(pod) && strcmp(tag, ctrl_uid(pod)) == 0) || due_ms <= now_ms;
	if (!due) {
		if (tag && strcmp(tag, "restore") == 0)
			ctrl_enqueue_at(c, due_ms, CK_POD, ctrl_types(c)->pod, ns, name,
					ctrl_uid(pod));
		return;
	}
	const char *reason = container_reason(pod);
	if (failing_image(c, pod)) {
		if (!reason || strcmp(reason, "ImagePullBackOff") != 0)
			write_status(c, pod, pod_status(pod, "backoff", now, start, hip));
		return;
	}
	write_status(c, pod, pod_status(pod, "running", now, start, hip));
}
