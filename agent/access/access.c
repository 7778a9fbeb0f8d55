/*
 * access: the needs of one app (include/access.h), the cluster's verdict on them and
 * the table of what is missing. One SelfSubjectAccessReview per tuple, all in one
 * parallel round: the answer is the authorizer's own, whatever mix of Roles,
 * ClusterRoles and aggregation grants it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"

void access_plan_init(struct access_plan *p)
{
	memset(p, 0, sizeof(*p));
	strlist_init(&p->groups);
	strlist_init(&p->own_groups);
}

void access_plan_dispose(struct access_plan *p)
{
	free(p->items);
	free(p->app);
	free(p->user);
	free(p->own_user);
	strlist_dispose(&p->groups);
	strlist_dispose(&p->own_groups);
	access_plan_init(p);
}

static bool same_tuple(const struct kube_access *a, const struct kube_access *b)
{
	return !strcmp(a->verb, b->verb) && !strcmp(a->group, b->group) &&
	       !strcmp(a->resource, b->resource) && !strcmp(a->ns, b->ns);
}

/* Adds why to n's reasons unless it is there already. */
static void add_reason(struct access_need *n, const char *why)
{
	size_t len = strlen(n->why);
	const char *p = strstr(n->why, why);
	size_t wl = strlen(why);

	if (p && (p[wl] == '\0' || p[wl] == ','))
		return;
	snprintf(n->why + len, sizeof(n->why) - len, "%s%s", len ? ", " : "", why);
}

int access_plan_add(struct access_plan *p, const char *verb, const char *group,
		    const char *resource, const char *ns, const char *why)
{
	return access_plan_add_as(p, false, verb, group, resource, ns, why);
}

int access_plan_add_as(struct access_plan *p, bool own, const char *verb, const char *group,
		       const char *resource, const char *ns, const char *why)
{
	struct access_need n;

	memset(&n, 0, sizeof(n));
	n.own = own;
	snprintf(n.a.verb, sizeof(n.a.verb), "%s", verb);
	snprintf(n.a.group, sizeof(n.a.group), "%s", group ? group : "");
	snprintf(n.a.resource, sizeof(n.a.resource), "%s", resource);
	snprintf(n.a.ns, sizeof(n.a.ns), "%s", ns ? ns : "");
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].own == own && same_tuple(&p->items[i].a, &n.a)) {
			add_reason(&p->items[i], why);
			return 0;
		}
	if (array_reserve(&p->items, &p->cap, p->n + 1, sizeof(*p->items)) < 0)
		return TE_NOMEM;
	add_reason(&n, why);
	p->items[p->n++] = n;
	return 0;
}

static int need_cmp(const void *x, const void *y)
{
	const struct access_need *nx = x, *ny = y;
	const struct kube_access *a = &nx->a, *b = &ny->a;
	int c;

	if (nx->own != ny->own)
		return nx->own ? 1 : -1;
	if ((c = strcmp(a->ns, b->ns)) || (c = strcmp(a->group, b->group)) ||
	    (c = strcmp(a->resource, b->resource)))
		return c;
	return strcmp(a->verb, b->verb);
}

void access_plan_sort(struct access_plan *p)
{
	if (p->n > 1)
		qsort(p->items, p->n, sizeof(*p->items), need_cmp);
}

bool access_plan_has_own(const struct access_plan *p)
{
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].own)
			return true;
	return false;
}

/* The needs of one identity (own or not), asked of k; *user and groups: who k is. */
static int review_as(struct access_plan *p, bool own, struct kube *k, char **user,
		     struct strlist *groups, struct err *e)
{
	struct kube_access *a = calloc(p->n ? p->n : 1, sizeof(*a));
	bool *ok = calloc(p->n ? p->n : 1, sizeof(*ok));
	size_t *at = calloc(p->n ? p->n : 1, sizeof(*at));
	size_t m = 0;
	int rc;

	if (!a || !ok || !at) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = kube_whoami(k, user, groups, e)) < 0)
		goto out;
	for (size_t i = 0; i < p->n; i++)
		if (p->items[i].own == own) {
			at[m] = i;
			a[m++] = p->items[i].a;
		}
	if ((rc = kube_access_review(k, a, m, ok, e)) < 0)
		goto out;
	for (size_t j = 0; j < m; j++)
		p->items[at[j]].allowed = ok[j];
out:
	free(at);
	free(ok);
	free(a);
	return rc;
}

int access_plan_review(struct access_plan *p, struct kube *k, struct kube *own, struct err *e)
{
	int rc = review_as(p, false, k, &p->user, &p->groups, e);

	if (rc == 0 && access_plan_has_own(p))
		rc = review_as(p, true, own ? own : k, &p->own_user, &p->own_groups, e);
	return rc;
}

size_t access_plan_missing(const struct access_plan *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->n; i++)
		n += !p->items[i].allowed;
	return n;
}

/* Who holds need n, as a table shows it. */
static const char *holder(const struct access_plan *p, const struct access_need *n)
{
	const char *u = n->own ? p->own_user : p->user;

	return u ? u : "(unknown)";
}

/* Column widths of the missing rows (at least the headers'); w[4] the identity's. */
static void widths(const struct access_plan *p, int w[5])
{
	w[0] = 4, w[1] = 5, w[2] = 8, w[3] = 9, w[4] = 2;
	for (size_t i = 0; i < p->n; i++) {
		const struct kube_access *a = &p->items[i].a;
		int l[5] = {(int)strlen(a->verb), a->group[0] ? (int)strlen(a->group) : 6,
			    (int)strlen(a->resource), a->ns[0] ? (int)strlen(a->ns) : 9,
			    (int)strlen(holder(p, &p->items[i]))};

		for (int j = 0; j < 5 && !p->items[i].allowed; j++)
			w[j] = l[j] > w[j] ? l[j] : w[j];
	}
}

int access_plan_text(const struct access_plan *p, struct buf *out)
{
	size_t missing = access_plan_missing(p);
	bool two = access_plan_has_own(p);
	int w[5], rc;

	rc = buf_printf(out, "%s: commit %.12s as %s%s%s%s: %zu of %zu rights missing\n", p->app,
			p->commit, p->user ? p->user : "(unknown)",
			two ? " (inventory, history and Events as " : "",
			two ? (p->own_user ? p->own_user : "(unknown)") : "", two ? ")" : "",
			missing, p->n);
	if (rc < 0 || missing == 0)
		return rc;
	widths(p, w);
	rc = buf_printf(out, "%-*s  %-*s  %-*s  %-*s  %-*s%s%s\n", w[0], "VERB", w[1], "GROUP",
			w[2], "RESOURCE", w[3], "NAMESPACE", two ? w[4] : 0, two ? "AS" : "",
			two ? "  " : "", "NEEDED FOR");
	for (size_t i = 0; i < p->n && rc == 0; i++) {
		const struct access_need *n = &p->items[i];

		if (!n->allowed)
			rc = buf_printf(out, "%-*s  %-*s  %-*s  %-*s  %-*s%s%s\n", w[0], n->a.verb,
					w[1], n->a.group[0] ? n->a.group : "(core)", w[2],
					n->a.resource, w[3], n->a.ns[0] ? n->a.ns : "(cluster)",
					two ? w[4] : 0, two ? holder(p, n) : "", two ? "  " : "",
					n->why);
	}
	return rc;
}
