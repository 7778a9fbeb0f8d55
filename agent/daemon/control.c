/*
 * control: what the cluster asks of the agent through an app's inventory (ops.h):
 * whether the app is suspended, and `tether reconcile` requests. Checked every
 * CONTROL_MS by one GET of the inventory, keeping only its metadata (the object list
 * is not parsed); a request is answered once its sync ended, by writing its stamp as
 * handled with the sync's exit code and summary. Best effort like the Events: a
 * failed read changes nothing, a failed answer is logged and retried at the next
 * check (the request is still newer than what was handled).
 */
#include <stdio.h>
#include <string.h>

#include "daemon_int.h"
#include "jsonget.h"
#include "jsonpick.h"
#include "log.h"
#include "ops.h"
#include "sync.h"

static const struct json_pick meta_pick[] = {{"annotations", NULL}, {NULL, NULL}};
static const struct json_pick inv_pick[] = {{"metadata", meta_pick}, {NULL, NULL}};

/* The app's inventory, metadata only; NULL when there is none or it cannot be read. */
static cJSON *read_inventory(struct daemon *d, struct daemon_app *a)
{
	const struct kube_resource *res;
	struct kube_list_q q;
	char name[128];
	struct err e;

	err_clear(&e);
	if (daemon_session(d, a, true, &e) < 0 ||
	    kube_resolve(session_own_kube(a->sess), "v1", "ConfigMap", &res, &e) < 0)
		return NULL;
	snprintf(name, sizeof(name), SYNC_INVENTORY_PREFIX "%s", a->cfg.app);
	q = (struct kube_list_q){
	    .res = res, .ns = sync_inventory_namespace(&a->cfg), .name = name, .pick = inv_pick};
	kube_list_many(session_own_kube(a->sess), &q, 1);
	if (q.rc < 0 && q.rc != TE_NOTFOUND) {
		log_kv(LOG_DEBUG, "control check failed", "app", a->cfg.app, "error", q.err.msg,
		       NULL);
		/* A cluster that does not answer would hold the loop at every check: ask
		 * again at the app's interval, when its sync reports why. */
		if (a->cfg.interval_ms > CONTROL_MS)
			a->control_ms = now_ms() + a->cfg.interval_ms;
	}
	return q.rc == 0 ? q.out : NULL;
}

static void set_suspended(struct daemon *d, struct daemon_app *a, bool on)
{
	bool was;

	pthread_mutex_lock(&d->mu);
	was = a->st.suspended;
	a->st.suspended = on;
	if (on)
		snprintf(a->st.state, sizeof(a->st.state), "suspended");
	else if (was) /* look again now rather than at the next interval */
		a->next_ms = now_ms();
	pthread_mutex_unlock(&d->mu);
	if (on != was)
		log_kv(LOG_INFO, on ? "suspended" : "resumed", "app", a->cfg.app, NULL);
}

bool control_check(struct daemon *d, struct daemon_app *a, char token[40])
{
	const char *req, *done;
	cJSON *inv;
	bool asked;

	a->control_ms = now_ms() + CONTROL_MS; /* read_inventory may push it later */
	if (!(inv = read_inventory(d, a)))
		return false;
	req = ops_annotation(inv, OPS_ANN_REQUESTED);
	done = ops_annotation(inv, OPS_ANN_HANDLED);
	set_suspended(d, a, ops_is_suspended(inv));
	asked = req && strlen(req) < 40 && (!done || strcmp(req, done) > 0);
	if (asked)
		snprintf(token, 40, "%s", req);
	cJSON_Delete(inv);
	return asked;
}

void control_answer(struct daemon *d, struct daemon_app *a, const char *token,
		    const struct loop_outcome *out)
{
	static const char *const keys[] = {OPS_ANN_HANDLED, OPS_ANN_RESULT, OPS_ANN_MESSAGE};
	char code[16], name[128];
	const char *values[3] = {token, code, out->message};
	struct err e;

	err_clear(&e);
	snprintf(code, sizeof(code), "%d", out->exit_code);
	snprintf(name, sizeof(name), SYNC_INVENTORY_PREFIX "%s", a->cfg.app);
	if (daemon_session(d, a, true, &e) == 0)
		ops_annotate(session_own_kube(a->sess), sync_inventory_namespace(&a->cfg), name, keys, values,
			     3, &e);
	if (e.code)
		log_kv(LOG_WARN, "reconcile not answered", "app", a->cfg.app, "error", e.msg, NULL);
	else
		log_kv(LOG_INFO, "reconcile", "app", a->cfg.app, "requested", token, "exit", code,
		       NULL);
}
