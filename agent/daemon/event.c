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
#include "jsonedit.h"
#include "log.h"
#include "sync.h"

/* client-go's recorder's name: the object's, a dot, the time in hex nanoseconds (a
 * generateName ending in "." is not a valid prefix: the API server refuses it). */
static void event_name(const char *object, char *out, size_t n)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	snprintf(out, n, "%s.%llx", object,
		 (unsigned long long)ts.tv_sec * 1000000000ULL + (unsigned long long)ts.tv_nsec);
}

static cJSON *event_body(struct daemon *d, const struct daemon_app *a, const char *ns,
			 const char *commit, const char *reason, const char *message, bool warning)
{
	cJSON *ev = cJSON_CreateObject(), *md, *io, *src;
	struct json_build b = {.failed = !ev};
	char stamp[TIME_RFC3339_LEN], name[128], inv[128];

	time_rfc3339(time(NULL), stamp);
	snprintf(inv, sizeof(inv), "%s%s", SYNC_INVENTORY_PREFIX, a->cfg.app);
	event_name(inv, name, sizeof(name));
	jb_str(&b, ev, "apiVersion", "v1");
	jb_str(&b, ev, "kind", "Event");
	md = jb_object(&b, ev, "metadata");
	jb_str(&b, md, "name", name);
	jb_str(&b, md, "namespace", ns);
	io = jb_object(&b, ev, "involvedObject");
	jb_str(&b, io, "apiVersion", "v1");
	jb_str(&b, io, "kind", "ConfigMap");
	jb_str(&b, io, "namespace", sync_inventory_namespace(&a->cfg));
	jb_str(&b, io, "name", inv);
	jb_str(&b, ev, "reason", reason);
	{
		char msg[1024];
		snprintf(msg, sizeof(msg), "commit %.12s: %s", commit, message);
		jb_str(&b, ev, "message", msg);
	}
	jb_str(&b, ev, "type", warning ? "Warning" : "Normal");
	src = jb_object(&b, ev, "source");
	jb_str(&b, src, "component", "tether");
	jb_str(&b, ev, "firstTimestamp", stamp);
	jb_str(&b, ev, "lastTimestamp", stamp);
	jb_num(&b, ev, "count", 1);
	jb_str(&b, ev, "reportingComponent", "tether");
	jb_str(&b, ev, "reportingInstance", d->identity);
	if (b.failed) {
		cJSON_Delete(ev);
		return NULL; /* never a partial Event */
	}
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
	if (daemon_session(d, a, true, &e) < 0 ||
	    kube_resolve(session_own_kube(a->sess), "v1", "Event", &res, &e) < 0)
		goto out;
	ev = event_body(d, a, ns, commit, reason, message, warning);
	req.method = "POST";
	req.path = kube_path(res, ns, NULL, NULL);
	req.body = cJSON_PrintUnformatted(ev);
	if (!req.path || !req.body) {
		err_set(&e, TE_NOMEM, "out of memory");
		goto out;
	}
	kube_run(session_own_kube(a->sess), reqs, 1, NULL, NULL);
	if (req.status >= 300 || req.status == 0)
		err_set(&e, TE_FAIL, "%s", req.err.msg);
out:
	if (e.code)
		log_kv(LOG_DEBUG, "event not posted", "app", a->cfg.app, "error", e.msg, NULL);
	kube_req_dispose(&req);
	cJSON_Delete(ev);
}
