/*
 * event: one Kubernetes Event per sync result (and per failed rollout), in the app's
 * namespace, so that `kubectl get events` tells what the agent did. Best effort: a failure to post
 * is logged at debug level and never fails the sync. The message is the sync's summary or its first
 * error, which the sync engine already keeps free of secrets.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "daemon_int.h"
#include "log.h"
#include "sync.h"

int daemon_kube(struct daemon_app *a, struct err *e)
{
	struct kube_opts o = {2, 10000, -1, NULL};
	int rc;

	if (a->kube)
		return 0;
	if ((rc = kube_config_load(&a->kcfg, a->cfg.kubeconfig, a->cfg.context, e)) < 0)
		return rc;
	return kube_new(&a->kube, a->kcfg, &o, e);
}

static cJSON *event_body(struct daemon *d, const struct daemon_app *a, const char *ns,
			 const char *commit, const char *reason, const char *message, bool warning)
{
	cJSON *ev = cJSON_CreateObject(), *md, *io, *src;
	char stamp[32], name[128], inv[128];
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(stamp, sizeof(stamp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	snprintf(name, sizeof(name), "tether-%s.", a->cfg.app);
	snprintf(inv, sizeof(inv), "%s%s", SYNC_INVENTORY_PREFIX, a->cfg.app);
	cJSON_AddStringToObject(ev, "apiVersion", "v1");
	cJSON_AddStringToObject(ev, "kind", "Event");
	md = cJSON_AddObjectToObject(ev, "metadata");
	cJSON_AddStringToObject(md, "generateName", name);
	cJSON_AddStringToObject(md, "namespace", ns);
	io = cJSON_AddObjectToObject(ev, "involvedObject");
	cJSON_AddStringToObject(io, "apiVersion", "v1");
	cJSON_AddStringToObject(io, "kind", "ConfigMap");
	cJSON_AddStringToObject(io, "namespace", sync_inventory_namespace(&a->cfg));
	cJSON_AddStringToObject(io, "name", inv);
	cJSON_AddStringToObject(ev, "reason", reason);
	{
		char msg[1024];
		snprintf(msg, sizeof(msg), "commit %.12s: %s", commit, message);
		cJSON_AddStringToObject(ev, "message", msg);
	}
	cJSON_AddStringToObject(ev, "type", warning ? "Warning" : "Normal");
	src = cJSON_AddObjectToObject(ev, "source");
	cJSON_AddStringToObject(src, "component", "tether");
	cJSON_AddStringToObject(ev, "firstTimestamp", stamp);
	cJSON_AddStringToObject(ev, "lastTimestamp", stamp);
	cJSON_AddNumberToObject(ev, "count", 1);
	cJSON_AddStringToObject(ev, "reportingComponent", "tether");
	cJSON_AddStringToObject(ev, "reportingInstance", d->identity);
	return ev;
}

void event_post(struct daemon *d, struct daemon_app *a, const char *ns, const char *commit,
		const char *reason, const char *message, bool warning)
{
	const struct kube_resource *res = NULL;
	struct kube_req req, *reqs[1] = {&req};
	cJSON *ev = NULL;
	struct err e;

	if (!ns) /* the sync never reached the cluster */
		return;
	err_clear(&e);
	memset(&req, 0, sizeof(req));
	if (daemon_kube(a, &e) < 0 || kube_resolve(a->kube, "v1", "Event", &res, &e) < 0)
		goto out;
	ev = event_body(d, a, ns, commit, reason, message, warning);
	req.method = "POST";
	req.path = kube_path(res, ns, NULL, NULL);
	req.body = cJSON_PrintUnformatted(ev);
	if (!req.path || !req.body)
		goto out;
	kube_run(a->kube, reqs, 1, NULL, NULL);
	if (req.status >= 300 || req.status == 0)
		err_set(&e, TE_FAIL, "%s", req.err.msg);
out:
	if (e.code)
		log_kv(LOG_DEBUG, "event not posted", "app", a->cfg.app, "error", e.msg, NULL);
	kube_req_dispose(&req);
	cJSON_Delete(ev);
}
