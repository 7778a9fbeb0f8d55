/*
 * access: every (verb, group, resource, namespace) a sync of this commit makes, read
 * off the pipeline's steps rather than guessed: the LIST of each kind (per namespace:
 * enough, live.c falls back to it), server-side apply (patch, and create for a new
 * object: the API server checks both), the GET of an object found without the app's
 * label, prune's DELETE, the inventory and history ConfigMaps and the namespace
 * check, history's Deployment and ReplicaSet lists, the rollout watches and their
 * Pod lists, and for the agent its Events and Lease. Only reads the cluster
 * (discovery, the inventory); writes nothing.
 */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "jsonget.h"
#include "sync_int.h"

/* A kind of the commit: discovery's, or a CRD of the same commit not served yet. */
static int kind_of(struct kube *k, const struct object_set *set, const struct object *o,
		   const char **resource, bool *namespaced, struct err *e)
{
	const struct kube_resource *res;
	struct err sub;
	int rc;

	err_clear(&sub);
	if ((rc = kube_resolve(k, o->api_version, o->kind, &res, &sub)) == 0) {
		*resource = res->resource;
		*namespaced = res->namespaced;
		return 0;
	}
	for (size_t i = 0; rc == TE_NOTFOUND && i < set->n; i++) {
		const cJSON *spec = json_get(set->items[i].body, "spec", NULL);
		const char *scope = json_str(spec, "scope", NULL);

		if (!sync_is_crd(set->items[i].group, set->items[i].kind) ||
		    strcmp(json_str(spec, "group", NULL) ?: "", o->group) ||
		    strcmp(json_str(spec, "names", "kind", NULL) ?: "", o->kind) ||
		    !(*resource = json_str(spec, "names", "plural", NULL)))
			continue;
		*namespaced = !scope || strcmp(scope, "Cluster") != 0;
		return 0;
	}
	return err_set(e, rc == TE_NOTFOUND ? TE_INPUT : rc, "%s:%d:%d: %s", o->file, o->line,
		       o->col, sub.msg);
}

static int add_verbs_as(struct access_plan *p, bool own, const char *const *verbs,
		       const char *group, const char *resource, const char *ns, const char *why)
{
	for (; *verbs; verbs++)
		if (access_plan_add_as(p, own, *verbs, group, resource, ns, why) < 0)
			return TE_NOMEM;
	return 0;
}

static int add_verbs(struct access_plan *p, const char *const *verbs, const char *group,
		     const char *resource, const char *ns, const char *why)
{
	return add_verbs_as(p, false, verbs, group, resource, ns, why);
}

static const char *const apply_verbs[] = {"get", "create", "patch", NULL};
static const char *const list_verbs[] = {"list", NULL};
static const char *const watch_verbs[] = {"list", "watch", NULL};
static const char *const delete_verbs[] = {"delete", NULL};
static const char *const cm_verbs[] = {"get", "create", "patch", NULL};

/* StatefulSets and DaemonSets: their revisions are ControllerRevisions (history), and a
 * StatefulSet's forced rollback deletes the pods of a bad revision (rollout_sts.c). */
static int workload_needs(struct access_plan *p, const struct app_config *c,
			  const struct object *o, const char *resource, const char *ns)
{
	bool sts = !strcmp(o->kind, "StatefulSet"), ds = !strcmp(o->kind, "DaemonSet");
	int rc;

	if (strcmp(o->group, "apps") != 0 || (!sts && !ds))
		return 0;
	if ((rc = add_verbs(p, list_verbs, "apps", resource, ns, "history")) < 0 ||
	    (rc = add_verbs(p, list_verbs, "apps", "controllerrevisions", ns, "history")) < 0)
		return rc;
	if (sts && !c->no_wait)
		return add_verbs(p, delete_verbs, "", "pods", ns, "forced rollback");
	return 0;
}

/* What one rendered object needs. */
static int object_needs(struct access_plan *p, const struct app_config *c, const struct object *o,
			const char *resource, const char *ns)
{
	const char *g = o->group;
	int rc = 0;

	if ((rc = add_verbs(p, list_verbs, g, resource, ns, "live state")) < 0 ||
	    (rc = add_verbs(p, apply_verbs, g, resource, ns, "apply")) < 0)
		return rc;
	if (c->prune && (rc = add_verbs(p, delete_verbs, g, resource, ns, "prune")) < 0)
		return rc;
	if (!c->no_wait && rollout_tracked_kind(g, o->kind) &&
	    ((rc = add_verbs(p, watch_verbs, g, resource, ns, "rollout")) < 0 ||
	     (rc = add_verbs(p, list_verbs, "", "pods", ns, "rollout")) < 0))
		return rc;
	if (!strcmp(g, "apps") && !strcmp(o->kind, "Deployment") &&
	    ((rc = add_verbs(p, list_verbs, "apps", "deployments", ns, "history")) < 0 ||
	     (rc = add_verbs(p, list_verbs, "apps", "replicasets", ns, "history")) < 0))
		return rc;
	return workload_needs(p, c, o, resource, ns);
}

/* The rendered objects' needs. */
static int objects_needs(struct access_plan *p, struct session *s, const struct app_config *c,
			 const struct object_set *set, struct err *e)
{
	for (size_t i = 0; i < set->n; i++) {
		const struct object *o = &set->items[i];
		const char *resource, *ns;
		bool namespaced;
		int rc;

		if ((rc = kind_of(s->kube, set, o, &resource, &namespaced, e)) < 0)
			return rc;
		ns = !namespaced ? NULL : o->ns && *o->ns ? o->ns : s->ns;
		if (object_needs(p, c, o, resource, ns) < 0)
			return err_set(e, TE_NOMEM, "out of memory");
	}
	return 0;
}

/* An inventory entry's kind, where the object is: its LIST and DELETE. A kind no
 * longer served adds nothing (its objects are gone with it). */
static int entry_prune_needs(struct access_plan *p, struct kube *k, const struct inv_entry *x)
{
	char *av = *x->group ? xasprintf("%s/%s", x->group, x->version) : xstrdup(x->version);
	const struct kube_resource *res;
	struct err sub;
	int rc = av ? 0 : TE_NOMEM;

	err_clear(&sub);
	if (av && kube_resolve(k, av, x->kind, &res, &sub) == 0 &&
	    (rc = add_verbs(p, list_verbs, x->group, res->resource, x->ns, "prune")) == 0)
		rc = add_verbs(p, delete_verbs, x->group, res->resource, x->ns, "prune");
	free(av);
	return rc;
}

/* With --prune, what the inventory holds and the commit no longer renders is deleted.
 * An inventory that cannot be read adds nothing: its GET is a need of its own. */
static int inventory_prune_needs(struct access_plan *p, struct session *s,
				 const struct app_config *c, struct err *e)
{
	struct inventory inv;
	const char *ns;
	cJSON *cm = NULL;
	struct err sub;
	int rc = 0;

	err_clear(&sub);
	inventory_init(&inv);
	if (inventory_locate(session_own_kube(s), c, s->context_ns, &cm, &ns, &sub) < 0 ||
	    inventory_from_configmap(&inv, cm, &sub) < 0)
		goto out;
	for (size_t i = 0; i < inv.n && rc == 0; i++)
		if ((rc = entry_prune_needs(p, s->kube, &inv.items[i])) < 0)
			err_set(e, rc, "out of memory");
out:
	cJSON_Delete(cm);
	inventory_dispose(&inv);
	return rc;
}

/* Whether the commit's inventory may outgrow one ConfigMap (its parts are then found
 * by a LIST and the stale ones deleted): with the longest values the cluster answers. */
static bool inventory_may_split(const struct object_set *set)
{
	size_t total = 0;

	for (size_t i = 0; i < set->n; i++) {
		const struct object *o = &set->items[i];

		total += strlen(o->api_version) + strlen(o->kind) + (o->ns ? strlen(o->ns) : 0) +
			 strlen(o->name) + 118;
	}
	return total > INVENTORY_MAX_BYTES;
}

/* The inventory and history ConfigMaps, and the check that their namespace exists:
 * tether's own identity's with a service-account (session_own_kube). */
static int record_needs(struct access_plan *p, struct session *s, const struct app_config *c,
			const struct object_set *set)
{
	static const char *const part_verbs[] = {"list", "delete", NULL};
	const char *inv = sync_inventory_namespace(c);
	bool own = session_own_identity(s);
	int rc;

	if ((rc = add_verbs_as(p, own, cm_verbs, "", "configmaps", inv, "inventory, history")) < 0 ||
	    (inventory_may_split(set) &&
	     (rc = add_verbs_as(p, own, part_verbs, "", "configmaps", inv, "inventory parts")) < 0))
		return rc;
	return access_plan_add_as(p, own, "get", "", "namespaces", inv, "inventory");
}

/* tether run's own: Events where the app syncs (and its rollouts are), as the
 * bookkeeping's identity; its Leases, always as tether itself. */
static int agent_needs(struct access_plan *p, struct session *s, const struct app_config *c)
{
	static const char *const lease_verbs[] = {"get", "create", "update", NULL};
	static const char *const shard_verbs[] = {"get", "list", "create", "update", "delete",
						  NULL};
	const char *lease_ns = c->lease_namespace		 ? c->lease_namespace
			       : s->context_ns && *s->context_ns ? s->context_ns
								 : "default";
	bool own = session_own_identity(s);
	int rc = access_plan_add_as(p, own, "create", "", "events", s->ns, "events");

	for (size_t i = 0; i < p->n && rc == 0; i++)
		if (!p->items[i].own && strstr(p->items[i].why, "rollout"))
			rc = access_plan_add_as(p, own, "create", "", "events", p->items[i].a.ns,
						"events");
	if (rc == 0 && c->leader_elect)
		rc = add_verbs_as(p, own, lease_verbs, "coordination.k8s.io", "leases", lease_ns,
				  "leader election");
	/* the members are found by one LIST of their label; the long gone are deleted */
	if (rc == 0 && c->shard_apps)
		rc = add_verbs_as(p, own, shard_verbs, "coordination.k8s.io", "leases", lease_ns,
				  "shard-apps");
	return rc;
}

int sync_access_plan(struct session *s, const struct app_config *c, bool agent,
		     struct access_plan *p, struct err *e)
{
	struct object_set set;
	int rc;

	object_set_init(&set);
	p->app = xstrdup(c->app);
	if ((rc = sync_render(s, c, &set, p->commit, e)) < 0 || (rc = session_kube(s, e)) < 0)
		goto out;
	if ((rc = objects_needs(p, s, c, &set, e)) < 0)
		goto out;
	if ((rc = record_needs(p, s, c, &set)) < 0 || (agent && (rc = agent_needs(p, s, c)) < 0)) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if (c->prune && (rc = inventory_prune_needs(p, s, c, e)) < 0)
		goto out;
	access_plan_sort(p);
out:
	object_set_dispose(&set);
	return rc;
}
