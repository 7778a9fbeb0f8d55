/*
 * rbac: the documents made of an access plan. The result of check-access, and the
 * least RBAC that grants the plan: one Role per namespace (one rule per group and
 * resource, with exactly the verbs used), a ClusterRole for the cluster scope, and the
 * bindings to the identity that asked; the needs of tether's own identity (a
 * service-account app's inventory, history and Events) in Roles of their own, named
 * tether-<app>-bookkeeping and bound to that identity. Needs must be sorted (access_plan_sort).
 */
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "jsonedit.h"

#define RBAC_API "rbac.authorization.k8s.io/v1"
#define RBAC_GROUP "rbac.authorization.k8s.io"
#define SA_PREFIX "system:serviceaccount:"

static void need_json(struct json_build *b, cJSON *arr, const struct access_plan *p,
		      const struct access_need *n)
{
	cJSON *o = cJSON_CreateObject();

	b->failed |= !o;
	jb_str(b, o, "verb", n->a.verb);
	jb_str(b, o, "group", n->a.group);
	jb_str(b, o, "resource", n->a.resource);
	jb_str(b, o, "namespace", n->a.ns[0] ? n->a.ns : NULL);
	jb_str(b, o, "for", n->why);
	jb_bool(b, o, "allowed", n->allowed);
	if (access_plan_has_own(p))
		jb_str(b, o, "user", n->own ? p->own_user : p->user);
	jb_append(b, arr, o);
}

int access_plan_json(const struct access_plan *p, cJSON **out)
{
	cJSON *o = cJSON_CreateObject(), *groups, *needed, *missing;
	struct json_build b = {.failed = !o};

	jb_str(&b, o, "app", p->app);
	jb_str(&b, o, "commit", p->commit);
	jb_str(&b, o, "user", p->user);
	groups = jb_array(&b, o, "groups");
	for (size_t i = 0; i < p->groups.n; i++)
		jb_append(&b, groups, cJSON_CreateString(p->groups.items[i]));
	if (access_plan_has_own(p)) /* the inventory's, history's and Events' identity */
		jb_str(&b, o, "bookkeepingUser", p->own_user);
	jb_bool(&b, o, "allowed", access_plan_missing(p) == 0);
	needed = jb_array(&b, o, "needed");
	missing = jb_array(&b, o, "missing");
	for (size_t i = 0; i < p->n; i++) {
		need_json(&b, needed, p, &p->items[i]);
		if (!p->items[i].allowed)
			need_json(&b, missing, p, &p->items[i]);
	}
	if (b.failed) {
		cJSON_Delete(o);
		o = NULL;
	}
	*out = o;
	return o ? 0 : TE_NOMEM;
}

/* The binding's subject: the ServiceAccount a token of it names, else the User. */
static cJSON *subject(struct json_build *b, const char *user)
{
	cJSON *s = cJSON_CreateObject();
	const char *sa =
	    strncmp(user, SA_PREFIX, strlen(SA_PREFIX)) ? NULL : user + strlen(SA_PREFIX);
	const char *colon = sa ? strchr(sa, ':') : NULL;
	char *ns = colon ? xasprintf("%.*s", (int)(colon - sa), sa) : NULL;

	b->failed |= !s || (colon && !ns);
	if (colon) {
		jb_str(b, s, "kind", "ServiceAccount");
		jb_str(b, s, "name", colon + 1);
		jb_str(b, s, "namespace", ns);
	} else {
		jb_str(b, s, "kind", "User");
		jb_str(b, s, "apiGroup", RBAC_GROUP);
		jb_str(b, s, "name", user);
	}
	free(ns);
	return s;
}

static cJSON *rbac_object(struct json_build *b, const char *kind, const char *name, const char *ns)
{
	cJSON *o = cJSON_CreateObject(), *md;

	b->failed |= !o;
	jb_str(b, o, "apiVersion", RBAC_API);
	jb_str(b, o, "kind", kind);
	md = jb_object(b, o, "metadata");
	jb_str(b, md, "name", name);
	jb_str(b, md, "namespace", ns);
	return o;
}

/* The rules of the needs [from, to) (one namespace): one per group and resource. */
static void role_rules(struct json_build *b, cJSON *role, const struct access_plan *p, size_t from,
		       size_t to)
{
	cJSON *rules = jb_array(b, role, "rules"), *verbs = NULL;

	for (size_t i = from; i < to; i++) {
		const struct kube_access *a = &p->items[i].a,
					 *prev = i > from ? &p->items[i - 1].a : NULL;

		if (!prev || strcmp(prev->group, a->group) || strcmp(prev->resource, a->resource)) {
			cJSON *rule = cJSON_CreateObject();

			b->failed |= !rule;
			jb_append(b, jb_array(b, rule, "apiGroups"), cJSON_CreateString(a->group));
			jb_append(b, jb_array(b, rule, "resources"),
				  cJSON_CreateString(a->resource));
			verbs = jb_array(b, rule, "verbs");
			jb_append(b, rules, rule);
		}
		jb_append(b, verbs, cJSON_CreateString(a->verb));
	}
}

/* The Role (or ClusterRole, ns "") of one namespace's needs and its binding. */
static void role_and_binding(struct json_build *b, cJSON *items, const struct access_plan *p,
			     size_t from, size_t to, const char *name)
{
	const char *ns = p->items[from].a.ns[0] ? p->items[from].a.ns : NULL;
	cJSON *role = rbac_object(b, ns ? "Role" : "ClusterRole", name, ns);
	cJSON *bind = rbac_object(b, ns ? "RoleBinding" : "ClusterRoleBinding", name, ns);
	const char *user;
	cJSON *ref;

	role_rules(b, role, p, from, to);
	ref = jb_object(b, bind, "roleRef");
	jb_str(b, ref, "apiGroup", RBAC_GROUP);
	jb_str(b, ref, "kind", ns ? "Role" : "ClusterRole");
	jb_str(b, ref, "name", name);
	user = p->items[from].own ? p->own_user : p->user;
	jb_append(b, jb_array(b, bind, "subjects"), subject(b, user ? user : ""));
	jb_append(b, items, role);
	jb_append(b, items, bind);
}

int access_plan_rbac(const struct access_plan *p, cJSON **out)
{
	cJSON *list = cJSON_CreateObject(), *items;
	struct json_build b = {.failed = !list};
	char *name = xasprintf("tether-%s", p->app);
	char *own = xasprintf("tether-%s-bookkeeping", p->app);

	b.failed |= !name || !own;
	jb_str(&b, list, "apiVersion", "v1");
	jb_str(&b, list, "kind", "List");
	items = jb_array(&b, list, "items");
	for (size_t i = 0, j; i < p->n && !b.failed; i = j) {
		for (j = i + 1; j < p->n && p->items[j].own == p->items[i].own &&
				!strcmp(p->items[j].a.ns, p->items[i].a.ns);
		     j++)
			;
		role_and_binding(&b, items, p, i, j, p->items[i].own ? own : name);
	}
	free(own);
	free(name);
	if (b.failed) {
		cJSON_Delete(list);
		list = NULL;
	}
	*out = list;
	return list ? 0 : TE_NOMEM;
}
