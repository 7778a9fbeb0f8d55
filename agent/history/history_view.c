/*
 * history_view: what `tether history` shows. The ReplicaSets of each Deployment and the
 * ControllerRevisions of each StatefulSet and DaemonSet are the revisions (the
 * controllers' own numbering, as `kubectl rollout history`); each is joined with the
 * commit it carries (tether.dev/commit, copied by the controller), the Git log
 * (author, date, subject, "This reverts commit") and tether's history entries (status
 * of the sync, and the commit of a revision whose ReplicaSet was reused or whose
 * ControllerRevision was renumbered).
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
	struct kube *own;    /* session_own_kube: the inventory and history ConfigMaps */
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
	v->own = session_own_kube(s);
	v->ns = s->ns;
	err_clear(&v->inv_err);
	/* The history is next to the inventory, wherever an older tether left it. */
	rc = inventory_locate(v->own, c, s->context_ns, &v->inv, &v->inv_ns, &v->inv_err);
	if (rc < 0 && rc != TE_NOTFOUND) {
		*e = v->inv_err;
		return rc;
	}
	if (strcmp(v->inv_ns, sync_inventory_namespace(c)) != 0)
		fprintf(stderr, "warning: the inventory of %s is in namespace %s, where an older tether "
				"put it; the next sync moves it to %s\n",
			c->app, v->inv_ns, sync_inventory_namespace(c));
	if ((rc = history_load(v->own, v->inv_ns, c->app, &v->entries, e)) < 0)
		return rc;
	/* Git adds authors and subjects; without it the cluster's side is still shown. */
	err_clear(&sub);
	if (session_git(s, &sub) < 0 || gitsrc_resolve(s->git, c->ref, sha, NULL, &sub) < 0)
		fprintf(stderr, "warning: %s\n", sub.msg);
	v->git = s->git;
	return 0;
}

/* A workload whose history is shown: its kind and "ns/name". */
struct target {
	const struct history_kind *kind;
	char *id;
};

struct targets {
	struct target *t;
	size_t n, cap;
};

static void targets_dispose(struct targets *ts)
{
	for (size_t i = 0; i < ts->n; i++)
		free(ts->t[i].id);
	free(ts->t);
}

static int targets_add(struct targets *ts, const struct history_kind *k, char *id)
{
	if (!id || array_reserve(&ts->t, &ts->cap, ts->n + 1, sizeof(*ts->t)) < 0) {
		free(id);
		return TE_NOMEM;
	}
	ts->t[ts->n++] = (struct target){k, id};
	return 0;
}

/* The workloads of the app with revisions: from its inventory, or the one asked for. */
static int targets_of(struct view *v, const char *want, struct targets *out, struct err *e)
{
	const struct history_kind *k;
	struct inventory inv;
	const char *name;
	int rc;

	if (want) {
		if ((rc = history_kind_parse(want, &k, &name, e)) < 0)
			return rc;
		rc = targets_add(out, k, xasprintf("%s/%s", v->ns, name));
		return rc < 0 ? err_set(e, rc, "out of memory") : 0;
	}
	if (!v->inv) {
		*e = v->inv_err;
		return e->code ? e->code : TE_NOTFOUND;
	}
	inventory_init(&inv);
	if ((rc = inventory_from_configmap(&inv, v->inv, e)) == 0 &&
	    (rc = inventory_read_parts(v->own, &inv, v->cfg->app, v->inv_ns, e)) == 0) {
		for (size_t i = 0; i < inv.n && rc == 0; i++)
			if (!strcmp(inv.items[i].group, "apps") &&
			    (k = history_kind_of(inv.items[i].kind)))
				rc = targets_add(out, k, xasprintf("%s/%s", inv.items[i].ns,
								   inv.items[i].name));
		if (rc < 0)
			err_set(e, rc, "out of memory");
	}
	inventory_dispose(&inv);
	return rc;
}

/* Sorting revisions by number: qsort's comparator has no context, and the two kinds
 * of revision object are numbered differently. */
struct numbered {
	const cJSON *obj;
	int64_t rev;
};

static int cmp_rev(const void *a, const void *b)
{
	int64_t x = ((const struct numbered *)a)->rev, y = ((const struct numbered *)b)->rev;
	return x < y ? -1 : x > y;
}

/* The last earlier revision of a reused ReplicaSet ("1,3" -> 3), 0 when none. */
static int64_t earlier_revision(const cJSON *rs)
{
	const char *h = json_str(rs, "metadata", "annotations", HISTORY_ANN_REVISION_HISTORY, NULL);
	const char *comma = h ? strrchr(h, ',') : NULL;

	return h ? strtoll(comma ? comma + 1 : h, NULL, 10) : 0;
}

static bool revision_failed(const cJSON *entries, const struct target *t, int64_t rev)
{
	const cJSON *en, *d;

	cJSON_ArrayForEach(en, entries)
	{
		const char *res = json_str(en, "result", NULL);
		cJSON_ArrayForEach(d, history_records(en))
		{
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "revision");
			if (history_record_is(d, t->kind->kind, t->id) && cJSON_IsNumber(r) &&
			    (int64_t)r->valuedouble == rev)
				return res && !strcmp(res, "rollout-failed");
		}
	}
	return false;
}

static const char *status_of(struct view *v, const cJSON *w, const struct target *t,
			     int64_t rev, int64_t current)
{
	char msg[512];

	if (rev == current) {
		enum rollout_state s = rollout_status(t->kind->kind, w, msg, sizeof(msg));
		return s == ROLLOUT_DONE ? "active" : s == ROLLOUT_FAILED ? "failed" : "progressing";
	}
	return revision_failed(v->entries, t, rev) ? "failed" : "superseded";
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

/* The commit of revision rev and the revision it brought back (*rb, *rb_commit). A
 * ReplicaSet carries the commit that made it current (the controller copies it on
 * reuse) and its earlier numbers; a renumbered ControllerRevision keeps the commit
 * that first made it, so the entries name the commit of each number and the earlier
 * number of the same template. */
static const char *commit_of(struct view *v, const struct target *t, const cJSON *obj,
			     int64_t rev, int64_t *rb, const char **rb_commit)
{
	const char *kind = t->kind->kind;
	const char *own = json_str(obj, "metadata", "annotations", SYNC_ANNOTATION_COMMIT, NULL);
	const char *logged = history_commit_of_revision(v->entries, kind, t->id, rev);
	const char *hash = json_str(obj, "metadata", "labels", t->kind->hash_label, NULL);

	if (own && !*own)
		own = NULL;
	*rb = t->kind->renumbers ? history_earlier_revision(v->entries, kind, t->id, hash, rev)
				 : earlier_revision(obj);
	*rb_commit = *rb ? history_commit_of_revision(v->entries, kind, t->id, *rb) : NULL;
	if (!t->kind->renumbers)
		return own ? own : logged;
	if (*rb && !*rb_commit)
		*rb_commit = own;
	return logged ? logged : own;
}

/* A renumbered ControllerRevision keeps the commit that first made its template: what
 * kubectl rollout history names for it, shown next to the commit that brought it back. */
static void template_commit(struct json_build *b, cJSON *row, const struct target *t,
			    const cJSON *obj, const char *commit)
{
	const char *own = json_str(obj, "metadata", "annotations", SYNC_ANNOTATION_COMMIT, NULL);

	if (t->kind->renumbers && own && *own && commit && strcmp(own, commit) != 0)
		jb_str(b, row, "templateCommit", own);
}

static cJSON *row_of(struct json_build *b, struct view *v, const cJSON *w, const struct numbered *r,
		     const struct target *t, int64_t current)
{
	cJSON *row = cJSON_CreateObject();
	const char *rb_commit, *commit, *hash;
	int64_t rb;

	if (!row)
		return NULL;
	commit = commit_of(v, t, r->obj, r->rev, &rb, &rb_commit);
	jb_num(b, row, "revision", (double)r->rev);
	jb_str(b, row, "commit", commit ? commit : "");
	jb_str(b, row, "status", status_of(v, w, t, r->rev, current));
	hash = json_str(r->obj, "metadata", "labels", t->kind->hash_label, NULL);
	jb_str(b, row, "podTemplateHash", hash ? hash : "");
	template_commit(b, row, t, r->obj, commit);
	if (rb) {
		cJSON *o = jb_object(b, row, "rollbackOf");
		jb_num(b, o, "revision", (double)rb);
		jb_str(b, o, "commit", rb_commit ? rb_commit : "");
	}
	add_git(b, v, row, commit, rb, rb_commit);
	return row;
}

/* The revisions of w among the items of list, sorted by number, into *out (owned). */
static int revisions_of(const struct target *t, const cJSON *w, const cJSON *list,
			struct numbered **out, size_t *n)
{
	const cJSON *items = cJSON_GetObjectItemCaseSensitive(list, "items"), *rs;
	const char *uid = json_str(w, "metadata", "uid", NULL);

	*n = 0;
	if (!(*out = calloc((size_t)cJSON_GetArraySize(items) + 1, sizeof(**out))))
		return TE_NOMEM;
	cJSON_ArrayForEach(rs, items)
	{
		int64_t rev = history_revision_of(t->kind, rs);
		if (sync_owned_by(rs, uid) && rev > 0)
			(*out)[(*n)++] = (struct numbered){rs, rev};
	}
	qsort(*out, *n, sizeof(**out), cmp_rev);
	return 0;
}

/* {"kind", "<kind name>": "ns/name", "currentRevision", "revisions": [...]} of t. */
static cJSON *entry_of(struct view *v, const struct target *t, const cJSON *w,
		       const struct numbered *revs, size_t n)
{
	struct json_build build = {.failed = false};
	int64_t current = n ? revs[n - 1].rev : 0;
	cJSON *entry = cJSON_CreateObject(), *rows;

	if (!entry)
		return NULL;
	jb_str(&build, entry, "kind", t->kind->kind);
	jb_str(&build, entry, t->kind->name, t->id);
	jb_num(&build, entry, "currentRevision", (double)current);
	rows = jb_array(&build, entry, "revisions");
	for (size_t i = 0; !build.failed && i < n; i++)
		jb_append(&build, rows, row_of(&build, v, w, &revs[i], t, current));
	if (build.failed) { /* never a history with rows missing */
		cJSON_Delete(entry);
		return NULL;
	}
	return entry;
}

static int query_one(struct view *v, const struct target *t, cJSON *out, struct err *e)
{
	const struct kube_resource *wr, *rr;
	const char *slash = strchr(t->id, '/');
	char *ns = strndup(t->id, (size_t)(slash - t->id));
	cJSON *w = NULL, *list = NULL, *entry = NULL;
	struct numbered *revs = NULL;
	char *sel = NULL;
	size_t n = 0;
	int rc;

	if (!ns)
		return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = kube_resolve(v->kube, "apps/v1", t->kind->kind, &wr, e)) < 0 ||
	    (rc = kube_resolve(v->kube, "apps/v1", t->kind->rev_kind, &rr, e)) < 0 ||
	    (rc = kube_get(v->kube, wr, ns, slash + 1, &w, e)) < 0)
		goto out;
	sel = history_rs_selector(w);
	if ((rc = kube_list(v->kube, rr, ns, sel, &list, e)) < 0)
		goto out;
	if (revisions_of(t, w, list, &revs, &n) < 0 || !(entry = entry_of(v, t, w, revs, n))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = json_array_append(out, entry)) < 0)
		err_set(e, rc, "out of memory"); /* entry freed by the append */
out:
	if (rc < 0)
		err_prefix(e, "%s %s", t->kind->name, t->id);
	free(revs);
	cJSON_Delete(list);
	cJSON_Delete(w);
	free(sel);
	free(ns);
	return rc;
}

int history_query(struct session *s, const char *workload, cJSON **out, struct err *e)
{
	struct view v;
	struct targets ts = {0};
	int rc;

	*out = NULL;
	if ((rc = view_open(&v, s, e)) < 0 || (rc = targets_of(&v, workload, &ts, e)) < 0)
		goto out;
	if (!(*out = cJSON_CreateArray())) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < ts.n && rc == 0; i++)
		rc = query_one(&v, &ts.t[i], *out, e);
out:
	if (rc < 0) {
		cJSON_Delete(*out);
		*out = NULL;
	}
	targets_dispose(&ts);
	view_dispose(&v);
	return rc;
}
