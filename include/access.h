/*
 * access: the rights an app's sync needs, as (verb, group, resource, namespace)
 * tuples with what each is for, the cluster's verdict on each, and the documents made
 * of them: the result of `tether check-access` and the minimal Role/ClusterRole and
 * bindings that grant exactly those rights. What the sync needs is worked out by the
 * engine (sync_access_plan, sync.h); this module only keeps, asks and prints.
 */
#ifndef TETHER_ACCESS_H
#define TETHER_ACCESS_H

#include <stdbool.h>
#include <cjson/cJSON.h>

#include "kube.h"
#include "util.h"

struct access_need {
	struct kube_access a; /* a.user unused */
	char why[160];	      /* "apply, prune": the steps that use it */
	bool allowed;
	bool own; /* tether's own identity's (the bookkeeping of a service-account app) */
};

struct access_plan {
	struct access_need *items;
	size_t n, cap;
	char *app;
	char commit[41];
	char *user; /* the identity the cluster saw (SelfSubjectReview) */
	struct strlist groups;
	char *own_user; /* tether's own, when some needs are its (own) */
	struct strlist own_groups;
};

void access_plan_init(struct access_plan *p);
void access_plan_dispose(struct access_plan *p);
/* Adds a need (once per tuple: a second use adds to why). ns NULL or "": cluster scope. */
int access_plan_add(struct access_plan *p, const char *verb, const char *group,
		    const char *resource, const char *ns, const char *why);
/* The same for tether's own identity when own (access_need.own). */
int access_plan_add_as(struct access_plan *p, bool own, const char *verb, const char *group,
		       const char *resource, const char *ns, const char *why);
/* Sorted by identity, namespace, group, resource, verb: stable output and Role grouping. */
void access_plan_sort(struct access_plan *p);
/* Asks the cluster about every need (and who is asking); fills allowed and user: the
 * app's needs with k, the own ones with own (NULL: k too). */
int access_plan_review(struct access_plan *p, struct kube *k, struct kube *own, struct err *e);
/* Whether some needs are tether's own identity's. */
bool access_plan_has_own(const struct access_plan *p);
size_t access_plan_missing(const struct access_plan *p);

/* The result document: app, commit, user, groups, needed[], missing[]. */
int access_plan_json(const struct access_plan *p, cJSON **out);
/* The table of what is missing (or a line saying nothing is), for a terminal. */
int access_plan_text(const struct access_plan *p, struct buf *out);
/* A v1 List: a Role and a RoleBinding per namespace, a ClusterRole and a
 * ClusterRoleBinding for the cluster-scoped needs, named tether-<app>, bound to the
 * identity that asked (a ServiceAccount when it is one, else the User). */
int access_plan_rbac(const struct access_plan *p, cJSON **out);

#endif
