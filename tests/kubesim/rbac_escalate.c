/*
 * rbac_escalate: privilege-escalation prevention on RBAC writes (kubernetes-semantics-2.md
 * §2.7; kubernetes pkg/registry/rbac/{role,clusterrole,rolebinding,clusterrolebinding}/
 * policybased, escalation_check.go, validation/rule.go ConfirmNoEscalation,
 * component-helpers auth/rbac/validation Covers). A Role or ClusterRole may only grant
 * what the requester holds unless it may `escalate`; a binding needs `bind` on its role
 * or the role's permissions. system:masters bypasses. Runs inside the store's write
 * (create, update, patch, apply) through store_wopts.admit, before validation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth_int.h"
#include "reply.h"

#define RBAC_GROUP "rbac.authorization.k8s.io"
#define MAX_SUBS 512
#define MAX_OWNER 1024

/* One verb on one group/resource[/name], or on one non-resource URL (BreakdownRule). */
struct sub {
	const char *verb, *group, *resource, *rname, *url; /* NULL when absent */
};

struct subs {
	struct sub v[MAX_SUBS];
	int n;
};

static const cJSON *field(const cJSON *o, const char *k)
{
	return cJSON_GetObjectItemCaseSensitive(o, k);
}

/* ---- Covers -------------------------------------------------------------------------- */

static void add_sub(struct subs *s, struct sub x)
{
	if (s->n < MAX_SUBS)
		s->v[s->n++] = x;
}

static void breakdown_resources(const cJSON *rule, const char *verb, struct subs *s)
{
	const cJSON *g, *res, *nm, *names = field(rule, "resourceNames");

	cJSON_ArrayForEach(g, field(rule, "apiGroups"))
		cJSON_ArrayForEach(res, field(rule, "resources")) {
			struct sub x = {.verb = verb, .group = g->valuestring, .resource = res->valuestring};

			if (!cJSON_IsString(g) || !cJSON_IsString(res))
				continue;
			if (cJSON_GetArraySize(names) == 0)
				add_sub(s, x);
			cJSON_ArrayForEach(nm, names)
				if (cJSON_IsString(nm)) {
					x.rname = nm->valuestring;
					add_sub(s, x);
				}
		}
}

static void breakdown(const cJSON *rule, struct subs *s)
{
	const cJSON *v, *u;

	cJSON_ArrayForEach(v, field(rule, "verbs"))
		if (cJSON_IsString(v))
			breakdown_resources(rule, v->valuestring, s);
	cJSON_ArrayForEach(u, field(rule, "nonResourceURLs"))
		cJSON_ArrayForEach(v, field(rule, "verbs"))
			if (cJSON_IsString(u) && cJSON_IsString(v))
				add_sub(s, (struct sub){.verb = v->valuestring, .url = u->valuestring});
}

static bool resource_covers(const cJSON *owner, const char *res)
{
	const char *slash = strchr(res, '/');
	char star[160];

	if (rbac_list_has(owner, "*") || rbac_list_has(owner, res))
		return true;
	if (!slash)
		return false;
	snprintf(star, sizeof(star), "*%s", slash);
	return rbac_list_has(owner, star);
}

static bool url_covers(const cJSON *owner, const char *url)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, owner) {
		size_t n;

		if (!cJSON_IsString(o))
			continue;
		n = strlen(o->valuestring);
		if (strcmp(o->valuestring, url) == 0)
			return true;
		while (n > 0 && o->valuestring[n - 1] == '*')
			n--;
		if (n < strlen(o->valuestring) && strncmp(o->valuestring, url, n) == 0)
			return true;
	}
	return false;
}

/* ruleCovers for one broken-down rule. */
static bool covers(const cJSON *owner, const struct sub *s)
{
	const cJSON *verbs = field(owner, "verbs"), *names = field(owner, "resourceNames");

	if (!rbac_list_has(verbs, "*") && !rbac_list_has(verbs, s->verb))
		return false;
	if (s->url)
		return cJSON_GetArraySize(names) == 0 && url_covers(field(owner, "nonResourceURLs"), s->url);
	if (!rbac_list_has(field(owner, "apiGroups"), "*") && !rbac_list_has(field(owner, "apiGroups"), s->group))
		return false;
	if (!resource_covers(field(owner, "resources"), s->resource))
		return false;
	return cJSON_GetArraySize(names) == 0 || (s->rname && rbac_list_has(names, s->rname));
}

/* ---- the message --------------------------------------------------------------------- */

static void put_list(struct sbuf *b, const char *key, const char *const *v, int n)
{
	sbuf_printf(b, "%s%s:[", b->data[b->len - 1] == '{' ? "" : ", ", key);
	for (int i = 0; i < n; i++)
		sbuf_printf(b, "%s\"%s\"", i ? " " : "", v[i]);
	sbuf_puts(b, "]");
}

/* CompactString of one missing rule; verbs are those of every missing sub like s. */
static void compact_string(struct sbuf *b, const struct sub *s, const char *const *verbs, int nv)
{
	sbuf_puts(b, "{");
	if (s->url) {
		put_list(b, "NonResourceURLs", &s->url, 1);
	} else {
		put_list(b, "APIGroups", &s->group, 1);
		put_list(b, "Resources", &s->resource, 1);
		if (s->rname)
			put_list(b, "ResourceNames", &s->rname, 1);
	}
	put_list(b, "Verbs", verbs, nv);
	sbuf_puts(b, "}");
}

static bool same_simple(const struct sub *a, const struct sub *b)
{
	return !a->url && !b->url && strcmp(a->group, b->group) == 0 &&
	       strcmp(a->resource, b->resource) == 0 &&
	       (a->rname ? b->rname && strcmp(a->rname, b->rname) == 0 : !b->rname);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* CompactRules (simple rules merged by group/resource/name, verbs in order), each
 * CompactString'd, sorted and unique, one a line. */
static void missing_lines(const struct subs *m, struct sbuf *out)
{
	char *lines[MAX_SUBS];
	const char *verbs[MAX_SUBS];
	bool done[MAX_SUBS] = {false};
	int n = 0;

	for (int i = 0; i < m->n; i++) {
		struct sbuf b = {0};
		int nv = 0;

		if (done[i])
			continue;
		for (int j = i; j < m->n; j++)
			if (j == i || (!done[j] && same_simple(&m->v[i], &m->v[j]))) {
				verbs[nv++] = m->v[j].verb;
				done[j] = true;
			}
		compact_string(&b, &m->v[i], verbs, nv);
		lines[n++] = b.data;
	}
	qsort(lines, (size_t)n, sizeof(lines[0]), cmp_str);
	for (int i = 0; i < n; i++) {
		if (i == 0 || strcmp(lines[i], lines[i - 1]) != 0)
			sbuf_printf(out, "%s%s", out->len ? "\n" : "", lines[i]);
		free(lines[i]);
	}
}

/* ---- ConfirmNoEscalation ---------------------------------------------------------------- */

static int forbidden(struct kstatus *e, const char *resource, const char *name, const char *why)
{
	if (*name)
		kstatus_set(e, 403, "Forbidden", "%s." RBAC_GROUP " \"%s\" is forbidden: %s", resource,
			    name, why);
	else
		kstatus_set(e, 403, "Forbidden", "%s." RBAC_GROUP " is forbidden: %s", resource, why);
	snprintf(e->name, sizeof(e->name), "%s", name);
	snprintf(e->group, sizeof(e->group), RBAC_GROUP);
	snprintf(e->kind, sizeof(e->kind), "%s", resource);
	return -e->code; /* what kstatus_set returned */
}

/* The rules u holds in ns ("" = through ClusterRoleBindings only); errs gets the
 * resolution errors. Borrowed: hold the store lock. */
static int owner_rules(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		       const char *ns, const cJSON **out, char *errs, size_t errlen)
{
	struct rbac_bref *bs = NULL;
	size_t nb = rbac_index_lookup(ix, u, ns, &bs);
	char err[300];
	int n = 0, nerr = 0;

	errs[0] = '\0';
	for (size_t i = 0; i < nb; i++) {
		const cJSON *role = rbac_role_of(st, &bs[i], err, sizeof(err)), *rule;

		if (!role) {
			size_t l = strlen(errs);

			snprintf(errs + l, errlen - l, "%s%s", nerr++ ? ", " : "", err);
			continue;
		}
		cJSON_ArrayForEach(rule, field(role, "rules"))
			if (n < MAX_OWNER)
				out[n++] = rule;
	}
	free(bs);
	if (nerr > 1) { /* utilerrors.NewAggregate */
		memmove(errs + 1, errs, strnlen(errs, errlen - 3) + 1);
		errs[0] = '[';
		snprintf(errs + strlen(errs), errlen - strlen(errs), "]");
	}
	return n;
}

static void user_line(struct sbuf *b, const struct auth_user *u)
{
	sbuf_printf(b, "user \"%s\" (groups=[", u->name);
	for (int i = 0; i < u->ngroups; i++)
		sbuf_printf(b, "%s\"%s\"", i ? " " : "", u->groups[i]);
	sbuf_puts(b, "]) is attempting to grant RBAC permissions not currently held:\n");
}

/* 0 when u holds every rule of rules in ns, else the 403 for resource/name. */
static int confirm(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		   const char *ns, const cJSON *rules, const char *resource, const char *name,
		   struct kstatus *e)
{
	const cJSON *owner[MAX_OWNER], *rule;
	struct subs *s = calloc(1, sizeof(*s)), *m = calloc(1, sizeof(*m));
	struct sbuf b = {0}, lines = {0};
	char errs[600];
	int no, rc = 0;

	if (!s || !m)
		abort();
	no = owner_rules(st, ix, u, ns, owner, errs, sizeof(errs));
	cJSON_ArrayForEach(rule, rules)
		breakdown(rule, s);
	for (int i = 0; i < s->n; i++) {
		int j = 0;

		while (j < no && !covers(owner[j], &s->v[i]))
			j++;
		if (j == no)
			add_sub(m, s->v[i]);
	}
	if (m->n) {
		user_line(&b, u);
		missing_lines(m, &lines);
		sbuf_puts(&b, lines.data);
		if (errs[0])
			sbuf_printf(&b, "; resolution errors: [%s]", errs);
		rc = forbidden(e, resource, name, b.data);
	}
	sbuf_dispose(&b);
	sbuf_dispose(&lines);
	free(s);
	free(m);
	return rc;
}

/* ---- the checks of the policybased storages ------------------------------------------------ */

enum kind { K_NONE, K_ROLE, K_CROLE, K_RB, K_CRB };

static enum kind kind_of(const struct restype *rt)
{
	static const char *const res[] = {"roles", "clusterroles", "rolebindings",
					  "clusterrolebindings"};

	if (rt->custom || strcmp(rt->group, RBAC_GROUP) != 0)
		return K_NONE;
	for (int i = 0; i < 4; i++)
		if (strcmp(rt->resource, res[i]) == 0)
			return (enum kind)(i + 1);
	return K_NONE;
}

static const char *jstr(const cJSON *o, const char *k)
{
	const cJSON *v = field(o, k);

	return cJSON_IsString(v) ? v->valuestring : "";
}

/* IsOnlyMutatingGCFields, loosely: nothing but metadata outside labels and annotations
 * changed (ownerReferences, finalizers). */
static bool only_gc_fields(const cJSON *old, const cJSON *obj)
{
	const cJSON *it, *om = field(old, "metadata"), *nm = field(obj, "metadata");
	int n = 0;

	cJSON_ArrayForEach(it, obj) {
		if (strcmp(it->string, "metadata") == 0)
			continue;
		n++;
		if (!cJSON_Compare(it, field(old, it->string), true))
			return false;
	}
	cJSON_ArrayForEach(it, old)
		n -= strcmp(it->string, "metadata") != 0;
	return n == 0 && cJSON_Compare(field(om, "labels"), field(nm, "labels"), true) &&
	       cJSON_Compare(field(om, "annotations"), field(nm, "annotations"), true);
}

static bool may(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		const char *verb, const char *group, const char *resource, const char *ns,
		const char *name)
{
	struct auth_reqinfo ri = {.resource_request = true};

	snprintf(ri.verb, sizeof(ri.verb), "%s", verb);
	snprintf(ri.group, sizeof(ri.group), "%s", group);
	snprintf(ri.resource, sizeof(ri.resource), "%s", resource);
	snprintf(ri.ns, sizeof(ri.ns), "%s", ns);
	snprintf(ri.name, sizeof(ri.name), "%s", name);
	return rbac_decide(st, ix, u, &ri, NULL, 0);
}

/* role/policybased and clusterrole/policybased: escalate, or hold every rule (and, for
 * an aggregationRule, everything). */
static int check_role(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		      const struct auth_reqinfo *ri, enum kind k, const cJSON *obj,
		      struct kstatus *e)
{
	static const char full[] = "[{\"verbs\":[\"*\"],\"apiGroups\":[\"*\"],\"resources\":[\"*\"]},"
				   "{\"verbs\":[\"*\"],\"nonResourceURLs\":[\"*\"]}]";
	const char *res = k == K_ROLE ? "roles" : "clusterroles";
	const char *ns = k == K_ROLE ? jstr(field(obj, "metadata"), "namespace") : "";
	const char *name = jstr(field(obj, "metadata"), "name");
	const cJSON *agg = field(obj, "aggregationRule");
	cJSON *all;
	int rc;

	if (may(st, ix, u, "escalate", RBAC_GROUP, res, ri->ns, ri->name))
		return 0;
	rc = confirm(st, ix, u, ns, field(obj, "rules"), res, name, e);
	if (rc < 0 || k != K_CROLE || !agg || cJSON_IsNull(agg))
		return rc;
	all = cJSON_Parse(full);
	rc = confirm(st, ix, u, "", all, res, name, e);
	cJSON_Delete(all);
	if (rc < 0) {
		kstatus_dispose(e);
		memset(e, 0, sizeof(*e));
		rc = forbidden(e, res, name, "must have cluster-admin privileges to use the "
			       "aggregationRule");
	}
	return rc;
}

/* rolebinding/policybased and clusterrolebinding/policybased: bind on the role, or hold
 * its rules in the binding's namespace. */
static int check_binding(struct store *st, const struct rbac_index *ix,
			 const struct auth_user *u, enum kind k, const cJSON *obj,
			 struct kstatus *e)
{
	const cJSON *ref = field(obj, "roleRef"), *role;
	const char *rkind = jstr(ref, "kind"), *res = k == K_RB ? "rolebindings"
									: "clusterrolebindings";
	const char *ns = k == K_RB ? jstr(field(obj, "metadata"), "namespace") : "";
	const char *name = jstr(field(obj, "metadata"), "name");
	struct rbac_bref b = {.cluster = k == K_CRB, .ns = ns, .name = name, .role_kind = rkind,
			      .role_name = jstr(ref, "name")};
	char err[300];

	if ((strcmp(rkind, "ClusterRole") == 0 || strcmp(rkind, "Role") == 0) &&
	    may(st, ix, u, "bind", jstr(ref, "apiGroup"),
		strcmp(rkind, "Role") == 0 ? "roles" : "clusterroles", ns, b.role_name))
		return 0;
	role = rbac_role_of(st, &b, err, sizeof(err));
	if (!role)
		return forbidden(e, res, name, err);
	return confirm(st, ix, u, ns, field(role, "rules"), res, name, e);
}

int rbac_escalation_check(struct store *st, const struct rbac_index *ix,
			  const struct auth_user *u, const struct auth_reqinfo *ri,
			  const struct restype *rt, const cJSON *old, const cJSON *obj,
			  struct kstatus *e)
{
	enum kind k = kind_of(rt);
	int rc;

	if (k == K_NONE || auth_user_in_group(u, "system:masters") ||
	    (old && only_gc_fields(old, obj)))
		return 0;
	store_lock(st);
	if (k == K_ROLE || k == K_CROLE)
		rc = check_role(st, ix, u, ri, k, obj, e);
	else
		rc = check_binding(st, ix, u, k, obj, e);
	store_unlock(st);
	return rc;
}

/* ---- the hook on API writes ------------------------------------------------------------------ */

static int admit(void *ud, const struct restype *rt, const cJSON *old, const cJSON *obj,
		 struct kstatus *e)
{
	struct req *r = ud;
	struct auth_reqinfo ri;

	if (kind_of(rt) == K_NONE)
		return 0;
	auth_reqinfo_parse(&ri, r->method, r->url, NULL, NULL);
	return auth_admit(r->auth, &r->user, &ri, rt, old, obj, e);
}

void auth_admit_wopts(struct req *r, struct store_wopts *w)
{
	if (!r->auth)
		return;
	w->admit = admit;
	w->admit_ud = r;
}
