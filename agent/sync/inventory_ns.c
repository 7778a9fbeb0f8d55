/*
 * inventory_ns: WHERE an app's inventory (and its history, next to it) lives. The
 * rule reads the app's configuration alone, never the kubeconfig context, so that a
 * laptop and a CI runner with different contexts find the same ConfigMap:
 *   --inventory-namespace, else --namespace (-n), else the namespace "default".
 * Versions before this rule used the context's namespace when neither was given; an
 * inventory found only there is used and moved by the next sync (sync_run); one in
 * both places is an error that names both, because pruning from either would be wrong.
 * Every reader (sync, diff, history, rollback, the agent) goes through these functions.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "jsonpick.h"
#include "sync_int.h"

#define INVENTORY_DEFAULT_NS "default"

static const struct json_pick elsewhere_meta[] = {{"name", NULL}, {"namespace", NULL}, {NULL, NULL}};
/* of each item (kube_list_many picks the list's own fields) */
static const struct json_pick elsewhere_pick[] = {{"metadata", elsewhere_meta}, {NULL, NULL}};

const char *sync_inventory_namespace(const struct app_config *c)
{
	if (c->inventory_namespace)
		return c->inventory_namespace;
	return c->namespace ? c->namespace : INVENTORY_DEFAULT_NS;
}

const char *sync_inventory_legacy_namespace(const struct app_config *c, const char *context_ns)
{
	if (c->inventory_namespace || c->namespace || !context_ns || !*context_ns)
		return NULL; /* the old rule gave the same answer */
	return strcmp(context_ns, sync_inventory_namespace(c)) ? context_ns : NULL;
}

int inventory_pick(const char *app, const struct inventory_get *at,
		   const struct inventory_get *legacy, bool *from_legacy, struct err *e)
{
	bool here = at->rc == 0, there = legacy && legacy->ns && legacy->rc == 0;

	*from_legacy = false;
	if (at->rc < 0 && at->rc != TE_NOTFOUND)
		return err_set(e, at->rc, "read inventory %s/" SYNC_INVENTORY_PREFIX "%s: %s",
			       at->ns, app, at->err->msg);
	if (legacy && legacy->ns && legacy->rc < 0 && legacy->rc != TE_NOTFOUND)
		return err_set(e, legacy->rc, "read inventory %s/" SYNC_INVENTORY_PREFIX "%s: %s",
			       legacy->ns, app, legacy->err->msg);
	if (here && there)
		return err_set(e, TE_INPUT,
			       "app %s has two inventories, %s/" SYNC_INVENTORY_PREFIX
			       "%s and %s/" SYNC_INVENTORY_PREFIX "%s (the second written by an "
			       "older tether in the kubeconfig context's namespace): delete the "
			       "stale one, or pass --inventory-namespace",
			       app, at->ns, app, legacy->ns, app);
	*from_legacy = there;
	return 0;
}

int inventory_elsewhere_query(struct kube_list_q *q, const struct kube_resource *cm,
			      const char *app, char **sel)
{
	*sel = xasprintf("tether.dev/inventory=%s", app);
	*q = (struct kube_list_q){.res = cm, .selector = *sel, .pick = elsewhere_pick};
	return *sel ? 0 : TE_NOMEM;
}

int inventory_elsewhere(const char *app, const struct kube_list_q *q, const char *ns,
			const char *legacy, bool have_here, struct err *e)
{
	const cJSON *it;

	if (q->rc < 0 && q->status == 403)
		return 0; /* may not list across namespaces: the GETs decide */
	if (q->rc < 0)
		return err_set(e, q->rc, "look for app %s's inventories: %s", app, q->err.msg);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(q->out, "items"))
	{
		const char *at = json_str_or(it, "", "metadata", "namespace", NULL),
			   *name = json_str_or(it, "", "metadata", "name", NULL);

		if (!strcmp(at, ns) || (legacy && !strcmp(at, legacy)))
			continue;
		if (have_here)
			return err_set(e, TE_INPUT,
				       "app %s has two inventories, %s/" SYNC_INVENTORY_PREFIX
				       "%s and %s/%s (written by a run with another --namespace or "
				       "--inventory-namespace): delete the stale one",
				       app, ns, app, at, name);
		return err_set(e, TE_INPUT,
			       "app %s has its inventory in %s/%s, not in namespace %s where this "
			       "run keeps it: pass --inventory-namespace %s (or the -n of the run "
			       "that wrote it), or delete %s/%s to start again",
			       app, at, name, ns, at, at, name);
	}
	return 0;
}

int inventory_locate(struct kube *k, const struct app_config *c, const char *context_ns, cJSON **cm,
		     const char **ns_out, struct err *e)
{
	const struct kube_resource *res;
	char *name = xasprintf(SYNC_INVENTORY_PREFIX "%s", c->app);
	const char *legacy = sync_inventory_legacy_namespace(c, context_ns);
	struct kube_list_q q[3];
	struct inventory_get at, old;
	bool from_legacy = false;
	char *sel = NULL;
	int rc;

	memset(q, 0, sizeof(q));
	*cm = NULL;
	*ns_out = sync_inventory_namespace(c);
	if (!name) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = kube_resolve(k, "v1", "ConfigMap", &res, e)) < 0)
		goto out;
	if ((rc = inventory_elsewhere_query(&q[0], res, c->app, &sel)) < 0) {
		err_set(e, rc, "out of memory");
		goto out;
	}
	q[1] = (struct kube_list_q){.res = res, .ns = *ns_out, .name = name};
	q[2] = (struct kube_list_q){.res = res, .ns = legacy, .name = name};
	kube_list_many(k, q, legacy ? 3 : 2);
	at = (struct inventory_get){*ns_out, q[1].rc, &q[1].err};
	old = (struct inventory_get){legacy, q[2].rc, &q[2].err};
	if ((rc = inventory_pick(c->app, &at, &old, &from_legacy, e)) < 0)
		goto out;
	if ((rc = inventory_elsewhere(c->app, &q[0], *ns_out, legacy, at.rc == 0 || from_legacy,
				      e)) < 0)
		goto out;
	if (from_legacy)
		*ns_out = legacy;
	*cm = q[1 + from_legacy].out;
	q[1 + from_legacy].out = NULL;
	if (!*cm)
		rc = err_set(e, TE_NOTFOUND,
			     "app %s has no inventory in namespace %s (never synced?)", c->app,
			     *ns_out);
out:
	for (size_t i = 0; i < 3; i++)
		cJSON_Delete(q[i].out);
	free(sel);
	free(name);
	return rc;
}
