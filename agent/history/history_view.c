/*
 * history_view: what `tether history` shows. The ReplicaSets of each Deployment are the
 * revisions (the controller's own numbering, as `kubectl rollout history`); each is
 * joined with the commit it carries (tether.dev/commit, copied by the controller), the
 * Git log (author, date, subject, "This reverts commit") and tether's history entries
 * (status of the sync, and the commit of a revision whose ReplicaSet was reused).
 * Read-only: nothing here writes to Git or the cluster.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonget.h"
#include "gitsrc.h"
#include "history_int.h"
#include "session.h"
#include "jsonedit.h"

struct view {
	const struct app_config *cfg;
	struct kube *kube;   /* the session's */
	struct gitsrc *git;  /* the session's, NULL when Git could not be read */
	const char *ns;
	const char *inv_ns; /* where inventory_locate found the inventory (borrowed) */
	cJSON *inv;         /* the inventory ConfigMap, NULL when there is none */
	struct err inv_err; /* why there is none */
	cJSON *entries;
};

char *history_message(const char *subject, int64_t rollback_rev, const char *rollback_commit,
		      const char *reverts)
{
	const char *s = subject ? subject : "";

	if (rollback_rev > 0 && rollback_commit && *rollback_commit)
		return xasprintf("rollback to revision %lld (commit %.7s)%s%s",
				 (long long)rollback_rev, rollback_commit, *s ? ": " : "", s);
	if (rollback_rev > 0)
		return xasprintf("rollback to revision %lld%s%s", (long long)rollback_rev,
				 *s ? ": " : "", s);
	if (reverts && *reverts && strncmp(s, "Revert", 6) != 0)
		return xasprintf("%s (reverts %.7s)", s, reverts);
	return xstrdup(s);
}

static void view_dispose(struct view *v)
{
	cJSON_Delete(v->entries);
	cJSON_Delete(v->inv);
}

static int view_open(struct view *v, struct session *s, struct err *e)
{
	const struct app_config *c = s->cfg;
	char sha[41];
	struct err sub;
	int rc;

	memset(v, 0, sizeof(*v));
	v->cfg = c;
	if ((rc = session_kube(s, e)) < 0)
		return rc;
	v->kube = s->kube;
	v->ns = s->ns;
	err_clear(&v->inv_err);
	/* The history is next to the inventory, wherever an older tether left it. */
	rc = inventory_locate(v->kube, c, s->context_ns, &v->inv, &v->inv_ns, &v->inv_err);
	if (rc < 0 && rc != TE_NOTFOUND) {
		*e = v->inv_err;
		return rc;
	}
	if (strcmp(v->inv_ns, sync_inventory_namespace(c)) != 0)
		fprintf(stderr, "warning: the inventory of %s is in namespace %s, where an older tether "
				"put it; the next sync moves it to %s\n",
			c->app, v->inv_ns, sync_inventory_namespace(c));
	if ((rc = history_load(v->kube, v->inv_ns, c->app, &v->entries, e)) < 0)
		return rc;
	/* Git adds authors and subjects; without it the cluster's side is still shown. */
	err_clear(&sub);
	if (session_git(s, &sub) < 0 || gitsrc_resolve(s->git, c->ref, sha, NULL, &sub) < 0)
		fprintf(stderr, "warning: %s\n", sub.msg);
	v->git = s->git;
	return 0;
}

/* The Deployments of the app: from its inventory, or the one asked for. */
static int deployments_of(struct view *v, const char *want, struct strlist *out, struct err *e)
{
	struct inventory inv;
	int rc;

	if (want) {
		const char *slash = strchr(want, '/');
		if (slash && strncmp(want, "deployment/", 11) && strncmp(want, "deployments/", 12) &&
		    strncmp(want, "deployment.apps/", 16))
			return err_set(e, TE_INPUT, "%s: only deployment/NAME has revisions", want);
		return strlist_add_owned(out, xasprintf("%s/%s", v->ns, slash ? slash + 1 : want));
	}
	if (!v->inv) {
		*e = v->inv_err;
		return e->code ? e->code : TE_NOTFOUND;
	}
	inventory_init(&inv);
	if ((rc = inventory_from_configmap(&inv, v->inv, e)) == 0 &&
	    (rc = inventory_read_parts(v->kube, &inv, v->cfg->app, v->inv_ns, e)) == 0) {
		for (size_t i = 0; i < inv.n; i++)
			if (!strcmp(inv.items[i].group, "apps") &&
			    !strcmp(inv.items[i].kind, "Deployment"))
				strlist_add_owned(out, xasprintf("%s/%s", inv.items[i].ns,
								 inv.items[i].name));
	}
	inventory_dispose(&inv);
	return rc;
}

static int64_t rev_of(const cJSON *obj)
{
	const char *r = json_str(obj, "metadata", "annotations", HISTORY_ANN_REVISION, NULL);
	return r ? strtoll(r, NULL, 10) : 0;
}

static int cmp_rev(const void *a, const void *b)
{
	int64_t x = rev_of(*(const cJSON *const *)a), y = rev_of(*(const cJSON *const *)b);
	return x < y ? -1 : x > y;
}

static bool owned_by(const cJSON *rs, const char *uid)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, json_get(rs, "metadata", "ownerReferences", NULL))
	{
		const char *u = json_str(o, "uid", NULL);
		if (u && uid && !strcmp(u, uid))
			return true;
	}
	return false;
}

/* The last earlier revision of a reused ReplicaSet ("1,3" -> 3), 0 when none. */
static int64_t earlier_revision(const cJSON *rs)
{
	const char *h = json_str(rs, "metadata", "annotations", HISTORY_ANN_REVISION_HISTORY, NULL);
	const char *comma = h ? strrchr(h, ',') : NULL;

	return h ? strtoll(comma ? comma + 1 : h, NULL, 10) : 0;
}

static bool revision_failed(const cJSON *entries, const char *dep, int64_t rev)
{
	const cJSON *en, *d;

	cJSON_ArrayForEach(en, entries)
	{
		const char *res = json_str(en, "result", NULL);
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(en, "deployments"))
		{
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "revision");
			const char *n = json_str(d, "name", NULL);
			if (n && !strcmp(n, dep) && cJSON_IsNumber(r) && (int64_t)r->valuedouble == rev)
				return res && !strcmp(res, "rollout-failed");
		}
	}
	return false;
}

static const char *status_of(struct view *v, const cJSON *d, const char *dep, int64_t rev)
{
	char msg[512];

	if (rev == rev_of(d)) {
		enum rollout_state s = rollout_status("Deployment", d, msg, sizeof(msg));
		return s == ROLLOUT_DONE ? "active" : s == ROLLOUT_FAILED ? "failed" : "progressing";
	}
	return revision_failed(v->entries, dep, rev) ? "failed" : "superseded";
}

static void add_git(struct json_build *b, struct view *v, cJSON *row, const char *commit, int64_t rb_rev,
		    const char *rb_commit)
{
	struct gitsrc_commit gc;
	struct err e;
	char date[TIME_RFC3339_LEN] = "";
	char *msg, *lt;

	memset(&gc, 0, sizeof(gc));
	err_clear(&e);
	if (v->git && commit && *commit && gitsrc_commit(v->git, commit, &gc, &e) == 0)
		time_rfc3339(gc.time, date);
	lt = gc.author ? strstr(gc.author, " <") : NULL;
	if (lt)
		*lt = '\0';
	msg = history_message(gc.subject, rb_rev, rb_commit, gc.reverts);
	jb_str(b, row, "author", gc.author ? gc.author : "");
	jb_str(b, row, "date", date);
	jb_str(b, row, "message", msg ? msg : "");
	if (gc.reverts[0])
		jb_str(b, row, "reverts", gc.reverts);
	free(msg);
	gitsrc_commit_dispose(&gc);
}

static cJSON *row_of(struct json_build *b, struct view *v, const cJSON *d, const cJSON *rs, const char *dep)
{
	cJSON *row = cJSON_CreateObject();
	int64_t rev = rev_of(rs), rb = earlier_revision(rs);
	const char *commit = json_str(rs, "metadata", "annotations", SYNC_ANNOTATION_COMMIT, NULL);
	const char *rb_commit = rb ? history_commit_of_revision(v->entries, dep, rb) : NULL;
	const char *hash;

	if (!row)
		return NULL;
	if (!commit || !*commit)
		commit = history_commit_of_revision(v->entries, dep, rev);
	jb_num(b, row, "revision", (double)rev);
	jb_str(b, row, "commit", commit ? commit : "");
	jb_str(b, row, "status", status_of(v, d, dep, rev));
	hash = json_str(rs, "metadata", "labels", "pod-template-hash", NULL);
	jb_str(b, row, "podTemplateHash", hash ? hash : "");
	if (rb) {
		cJSON *o = jb_object(b, row, "rollbackOf");
		jb_num(b, o, "revision", (double)rb);
		jb_str(b, o, "commit", rb_commit ? rb_commit : "");
	}
	add_git(b, v, row, commit, rb, rb_commit);
	return row;
}

static int query_one(struct view *v, const char *dep, cJSON *out, struct err *e)
{
	const struct kube_resource *dr, *rsr;
	const char *slash = strchr(dep, '/');
	char *ns = strndup(dep, (size_t)(slash - dep));
	cJSON *d = NULL, *list = NULL, *entry = NULL, *revs;
	const cJSON **rss = NULL, *rs;
	struct json_build build = {.failed = false};
	char *sel = NULL;
	size_t n = 0;
	int rc;

	if (!ns)
		return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = kube_resolve(v->kube, "apps/v1", "Deployment", &dr, e)) < 0 ||
	    (rc = kube_resolve(v->kube, "apps/v1", "ReplicaSet", &rsr, e)) < 0 ||
	    (rc = kube_get(v->kube, dr, ns, slash + 1, &d, e)) < 0)
		goto out;
	sel = history_rs_selector(d);
	if ((rc = kube_list(v->kube, rsr, ns, sel, &list, e)) < 0)
		goto out;
	rss = calloc((size_t)cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(list, "items")) + 1,
		     sizeof(*rss));
	entry = cJSON_CreateObject();
	if (!rss || !entry) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	cJSON_ArrayForEach(rs, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		if (owned_by(rs, json_str(d, "metadata", "uid", NULL)) && rev_of(rs) > 0)
			rss[n++] = rs;
	}
	qsort(rss, n, sizeof(*rss), cmp_rev);
	jb_str(&build, entry, "deployment", dep);
	jb_num(&build, entry, "currentRevision", (double)rev_of(d));
	revs = jb_array(&build, entry, "revisions");
	for (size_t i = 0; !build.failed && i < n; i++)
		jb_append(&build, revs, row_of(&build, v, d, rss[i], dep));
	if (build.failed) { /* never a history with rows missing */
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = json_array_append(out, entry)) < 0) {
		entry = NULL; /* freed by the append */
		err_set(e, rc, "out of memory");
		goto out;
	}
	entry = NULL;
out:
	if (rc < 0)
		err_prefix(e, "deployment %s", dep);
	cJSON_Delete(entry);
	free(rss);
	cJSON_Delete(list);
	cJSON_Delete(d);
	free(sel);
	free(ns);
	return rc;
}

int history_query(struct session *s, const char *deployment, cJSON **out, struct err *e)
{
	struct view v;
	struct strlist deps;
	int rc;

	*out = NULL;
	strlist_init(&deps);
	if ((rc = view_open(&v, s, e)) < 0 || (rc = deployments_of(&v, deployment, &deps, e)) < 0)
		goto out;
	if (!(*out = cJSON_CreateArray())) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < deps.n && rc == 0; i++)
		rc = query_one(&v, deps.items[i], *out, e);
out:
	if (rc < 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	strlist_dispose(&deps);
	view_dispose(&v);
	return rc;
}
