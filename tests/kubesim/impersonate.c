/*
 * impersonate: the Impersonate-User / -Group / -Uid / -Extra-* headers (kubectl --as,
 * --as-group, --as-uid) as endpoints/filters/impersonation.go handles them
 * (kubernetes-semantics-2.md §2.8): every requested item is authorized for the real
 * user with the verb impersonate, then the request runs as the new identity, which keeps
 * nothing of the real user's groups.
 */
#include <stdio.h>
#include <string.h>

#include "auth.h"

/* "system:serviceaccount:NS:NAME" split, or false. */
static bool sa_parts(const char *user, char *ns, size_t nslen, char *name, size_t namelen)
{
	const char *p = user + strlen("system:serviceaccount:"), *colon;

	if (strncmp(user, "system:serviceaccount:", strlen("system:serviceaccount:")) != 0)
		return false;
	colon = strchr(p, ':');
	if (!colon || colon == p || !colon[1] || strchr(colon + 1, ':'))
		return false;
	snprintf(ns, nslen, "%.*s", (int)(colon - p), p);
	snprintf(name, namelen, "%s", colon + 1);
	return true;
}

static void attrs(struct auth_reqinfo *ri, const char *group, const char *res, const char *sub,
		  const char *ns, const char *name)
{
	memset(ri, 0, sizeof(*ri));
	ri->resource_request = true;
	snprintf(ri->verb, sizeof(ri->verb), "impersonate");
	snprintf(ri->group, sizeof(ri->group), "%s", group);
	snprintf(ri->resource, sizeof(ri->resource), "%s", res);
	snprintf(ri->sub, sizeof(ri->sub), "%s", sub);
	snprintf(ri->ns, sizeof(ri->ns), "%s", ns);
	snprintf(ri->name, sizeof(ri->name), "%s", name);
}

static int check(struct auth *a, const struct auth_user *real, const struct auth_reqinfo *ri,
		 struct kstatus *e)
{
	char reason[1024];

	if (auth_allowed(a, real, ri, reason, sizeof(reason)))
		return 0;
	return auth_forbidden(e, real, ri, reason);
}

static int check_user(struct auth *a, const struct auth_user *real, const char *user,
		      bool *is_sa, char *ns, size_t nslen, struct kstatus *e)
{
	struct auth_reqinfo ri;
	char name[254];

	*is_sa = sa_parts(user, ns, nslen, name, sizeof(name));
	if (*is_sa)
		attrs(&ri, "", "serviceaccounts", "", ns, name);
	else
		attrs(&ri, "", "users", "", "", user);
	return check(a, real, &ri, e);
}

int auth_impersonate(struct auth *a, struct auth_user *u, const struct auth_impersonation *im,
		     struct kstatus *e)
{
	struct auth_user out = {0};
	struct auth_reqinfo ri;
	bool is_sa = false;
	char ns[254] = "";
	int i;

	if (!im->user && !im->ngroups && !im->uid && !im->nextras)
		return 0;
	if (!im->user)
		return kstatus_set(e, 500, "InternalError",
				   "requested impersonation without impersonating a user");
	if (check_user(a, u, im->user, &is_sa, ns, sizeof(ns), e) < 0)
		return -e->code; /* what kstatus_set returned */
	for (i = 0; i < im->ngroups; i++) {
		attrs(&ri, "", "groups", "", "", im->groups[i]);
		if (check(a, u, &ri, e) < 0)
			return -e->code; /* what kstatus_set returned */
		auth_user_add_group(&out, im->groups[i]);
	}
	for (i = 0; i < im->nextras; i++) {
		attrs(&ri, "authentication.k8s.io", "userextras", im->extra_keys[i], "",
		      im->extra_values[i]);
		if (check(a, u, &ri, e) < 0)
			return -e->code; /* what kstatus_set returned */
		auth_user_add_extra(&out, im->extra_keys[i], im->extra_values[i]);
	}
	if (im->uid) {
		attrs(&ri, "authentication.k8s.io", "uids", "", "", im->uid);
		if (check(a, u, &ri, e) < 0)
			return -e->code; /* what kstatus_set returned */
		snprintf(out.uid, sizeof(out.uid), "%s", im->uid);
	}
	snprintf(out.name, sizeof(out.name), "%s", im->user);
	if (is_sa && !im->ngroups) {
		char g[300];

		auth_user_add_group(&out, "system:serviceaccounts");
		snprintf(g, sizeof(g), "system:serviceaccounts:%s", ns);
		auth_user_add_group(&out, g);
	}
	auth_user_add_group(&out, strcmp(out.name, "system:anonymous") == 0
					  ? "system:unauthenticated" : "system:authenticated");
	*u = out;
	return 0;
}
