/*
 * apps: the rows of `tether get`, read from the cluster alone: the inventory (commit,
 * objects, annotations), the newest entry of the sync history (when, and how it
 * ended) and the live objects of the inventory, one GET each in parallel rounds.
 * Drift here is what the sync's plan calls touched: an object missing, recreated, or
 * written since tether applied it (its generation, or resourceVersion, or another
 * manager's fields moved); it needs no Git and no dry-run, so it may name an object
 * whose change a sync would find equal to Git's. Health is kubectl's rollout status
 * of the workloads.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "history.h"
#include "jsonedit.h"
#include "jsonget.h"
#include "manifest.h"
#include "ops.h"
#include "sync.h"

int ops_list(struct kube *k, const char *ns, const struct strlist *apps, cJSON **items,
	     struct err *e)
{
	const struct kube_resource *res;
	cJSON *list = NULL, *it, *next;
	int rc;

	*items = NULL;
	if ((rc = kube_resolve(k, "v1", "ConfigMap", &res, e)) < 0 ||
	    (rc = kube_list(k, res, ns, "tether.dev/inventory", &list, e)) < 0) {
		err_prefix(e, "list the apps' inventories");
		return rc;
	}
	*items = cJSON_DetachItemFromObjectCaseSensitive(list, "items");
	cJSON_Delete(list);
	if (!*items && !(*items = cJSON_CreateArray()))
		return err_set(e, TE_NOMEM, "out of memory");
	for (it = (*items)->child; it; it = next) {
		const char *app = ops_app_of(it);

		next = it->next;
		if (apps->n && !strlist_contains(apps, app))
			cJSON_Delete(cJSON_DetachItemViaPointer(*items, it));
	}
	return 0;
}

/* What the live objects say. */
struct live_view {
	int waiting, failed, missing, unknown;
	cJSON *drifted; /* display names */
};

static bool workload(const struct inv_entry *x)
{
	static const char *const kinds[] = {"Deployment", "StatefulSet", "DaemonSet", "Job"};

	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(x->kind, kinds[i]))
			return !strcmp(x->group, kinds[i][0] == 'J' ? "batch" : "apps");
	return false;
}

static void observe(struct live_view *v, const struct inv_entry *x, const struct kube_list_q *q)
{
	char msg[256];
	char *name;

	if (!q || (q->rc < 0 && q->rc != TE_NOTFOUND)) {
		v->unknown++;
		return;
	}
	if (q->rc == 0 && inventory_untouched(x, q->out)) {
		/* as tether left it */
	} else if ((name = object_display_name(x->group, x->kind, x->ns, x->name))) {
		cJSON_AddItemToArray(v->drifted, cJSON_CreateString(name));
		free(name);
	}
	if (q->rc == TE_NOTFOUND) {
		v->missing++;
		return;
	}
	if (workload(x)) {
		enum rollout_state s = rollout_status(x->kind, q->out, msg, sizeof(msg));
		v->waiting += s == ROLLOUT_WAIT;
		v->failed += s == ROLLOUT_FAILED;
	}
}

/* The GET of x's live object; false for a kind no longer served (health unknown). */
static bool queue_get(struct kube *k, const struct inv_entry *x, struct kube_list_q *q)
{
	char api[256];
	struct err ignored;

	err_clear(&ignored);
	snprintf(api, sizeof(api), "%s%s%s", x->group, *x->group ? "/" : "", x->version);
	*q = (struct kube_list_q){.ns = *x->ns ? x->ns : NULL, .name = x->name};
	return kube_resolve(k, api, x->kind, &q->res, &ignored) == 0;
}

/* One GET per object of inv (in parallel rounds), then what they say. */
static int look_live(struct kube *k, const struct inventory *inv, struct live_view *v,
		     struct err *e)
{
	struct kube_list_q *qs = calloc(inv->n + 1, sizeof(*qs));
	size_t *of = calloc(inv->n + 1, sizeof(*of)), m = 0;
	int rc = 0;

	if (!qs || !of || !(v->drifted = cJSON_CreateArray())) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < inv->n; i++)
		of[i] = queue_get(k, &inv->items[i], &qs[m]) ? m++ : SIZE_MAX;
	kube_list_many(k, qs, m);
	for (size_t i = 0; i < inv->n; i++)
		observe(v, &inv->items[i], of[i] == SIZE_MAX ? NULL : &qs[of[i]]);
out:
	for (size_t i = 0; qs && i < m; i++)
		cJSON_Delete(qs[i].out);
	free(of);
	free(qs);
	return rc;
}

static const char *health_of(const struct live_view *v)
{
	if (v->failed || v->missing)
		return "degraded";
	if (v->waiting)
		return "progressing";
	return v->unknown ? "unknown" : "healthy";
}

/* synced, failed (the newest recorded sync did not end well), drifted, pending. */
static const char *state_of(const char *commit, const cJSON *last, int drift)
{
	const char *result = json_str(last, "result", NULL);

	if (result && strcmp(result, "ok") != 0)
		return "failed";
	if (!commit || !*commit)
		return "pending";
	return drift ? "drifted" : "synced";
}

/* The later of the history's time and the last reconcile the agent answered. */
static const char *last_sync(const cJSON *cm, const cJSON *last)
{
	const char *h = json_str(last, "time", NULL), *r = ops_annotation(cm, OPS_ANN_HANDLED);

	if (!h || (r && ops_parse_time(r) > ops_parse_time(h)))
		return r;
	return h;
}

static void reconcile_member(struct json_build *b, cJSON *row, const cJSON *cm)
{
	const char *req = ops_annotation(cm, OPS_ANN_REQUESTED);
	cJSON *o;

	if (!req)
		return;
	o = jb_object(b, row, "reconcile");
	jb_str(b, o, "requestedAt", req);
	jb_str(b, o, "handledAt", ops_annotation(cm, OPS_ANN_HANDLED));
	if (ops_annotation(cm, OPS_ANN_RESULT))
		jb_num(b, o, "exitCode", atoi(ops_annotation(cm, OPS_ANN_RESULT)));
	jb_str(b, o, "message", ops_annotation(cm, OPS_ANN_MESSAGE));
}

static cJSON *row_build(const cJSON *cm, const struct inventory *inv, const cJSON *last,
			struct live_view *v)
{
	cJSON *row = cJSON_CreateObject();
	struct json_build b = {.failed = !row};
	int drift = cJSON_GetArraySize(v->drifted);

	jb_str(&b, row, "app", ops_app_of(cm));
	jb_str(&b, row, "namespace", json_str_or(cm, "", "metadata", "namespace", NULL));
	jb_str(&b, row, "commit", inv->commit ? inv->commit : "");
	jb_str(&b, row, "state", state_of(inv->commit, last, drift));
	jb_str(&b, row, "health", health_of(v));
	jb_num(&b, row, "drift", drift);
	jb_item(&b, row, "driftObjects", v->drifted);
	v->drifted = NULL;
	jb_num(&b, row, "objects", (double)inv->n);
	jb_str(&b, row, "lastSync", last_sync(cm, last));
	jb_str(&b, row, "lastResult", json_str(last, "result", NULL));
	jb_bool(&b, row, "suspended", ops_is_suspended(cm));
	jb_str(&b, row, "suspendedBy", ops_annotation(cm, OPS_ANN_SUSPENDED_BY));
	jb_str(&b, row, "suspendedAt", ops_annotation(cm, OPS_ANN_SUSPENDED_AT));
	reconcile_member(&b, row, cm);
	if (b.failed) {
		cJSON_Delete(row);
		return NULL;
	}
	return row;
}

int ops_app_row(struct kube *k, const cJSON *cm, cJSON **row, struct err *e)
{
	const char *ns = json_str_or(cm, "", "metadata", "namespace", NULL);
	const char *app = ops_app_of(cm);
	struct live_view v = {0};
	struct inventory inv;
	cJSON *last = NULL;
	int rc;

	*row = NULL;
	inventory_init(&inv);
	if ((rc = inventory_from_configmap(&inv, cm, e)) < 0 ||
	    (rc = inventory_read_parts(k, &inv, app, ns, e)) < 0) {
		err_prefix(e, "%s/%s%s", ns, SYNC_INVENTORY_PREFIX, app);
		goto out;
	}
	if ((rc = history_latest(k, ns, app, &last, e)) < 0 || (rc = look_live(k, &inv, &v, e)) < 0)
		goto out;
	if (!(*row = row_build(cm, &inv, last, &v)))
		rc = err_set(e, TE_NOMEM, "out of memory");
out:
	cJSON_Delete(v.drifted);
	cJSON_Delete(last);
	inventory_dispose(&inv);
	return rc;
}
