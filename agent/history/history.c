/*
 * history: one entry per sync that wrote to the cluster, kept in the ConfigMap
 * tether-history-<app> next to the inventory: the commit, the commits it covered, the
 * time, the result, and each workload's (Deployment, StatefulSet, DaemonSet) revision
 * and template hash. Bounded in count and bytes; the newest entry is always kept, and
 * a history larger than one ConfigMap (an app of many thousand workloads) goes to
 * parts (agent/sync/parts.c: tether-history-<app>-<h16>, the head the switch). It is what
 * lets `tether history` name the commit of a revision whose ReplicaSet was later
 * reused (the controller overwrites that ReplicaSet's annotations) or whose
 * ControllerRevision was renumbered (the controllers keep its first annotations), and
 * what on-failure: hold reads.
 * A sync that changed nothing writes nothing here either, unless the history is behind
 * the inventory (a run stopped between the two writes): then it records the commit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonget.h"
#include "gitsrc.h"
#include "history_int.h"
#include "jsonedit.h"

#define COVERED_MAX 20

const struct text_parts history_text = {
    .what = "history",
    .prefix = HISTORY_PREFIX,
    .label = HISTORY_PART_LABEL,
    .key = HISTORY_KEY,
    .lines = false, /* one line of JSON: cut between characters */
};

int history_push(cJSON *entries, cJSON *entry, size_t max_entries, size_t max_bytes)
{
	if (!cJSON_IsArray(entries) || !entry) {
		cJSON_Delete(entry);
		return TE_INPUT;
	}
	if (json_array_insert(entries, 0, entry) < 0)
		return TE_NOMEM;
	while ((size_t)cJSON_GetArraySize(entries) > (max_entries ? max_entries : 1))
		cJSON_DeleteItemFromArray(entries, cJSON_GetArraySize(entries) - 1);
	for (;;) {
		char *s = cJSON_PrintUnformatted(entries);
		size_t n = s ? strlen(s) : 0;

		free(s);
		if (!s)
			return TE_NOMEM;
		if (n <= max_bytes || cJSON_GetArraySize(entries) <= 1)
			return 0;
		cJSON_DeleteItemFromArray(entries, cJSON_GetArraySize(entries) - 1);
	}
}

cJSON *history_configmap(const char *app, const char *ns, const char *text, const char *commit)
{
	cJSON *cm = cJSON_CreateObject(), *meta, *labels, *data;
	char *name = xasprintf(HISTORY_PREFIX "%s", app);

	if (!cm || !name)
		goto fail;
	if (!cJSON_AddStringToObject(cm, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(cm, "kind", "ConfigMap") || !(meta = cJSON_AddObjectToObject(cm, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", ns) ||
	    !(labels = cJSON_AddObjectToObject(meta, "labels")) ||
	    !cJSON_AddStringToObject(labels, SYNC_LABEL_MANAGED_BY, "tether") ||
	    !cJSON_AddStringToObject(labels, "tether.dev/history", app) ||
	    !(data = cJSON_AddObjectToObject(cm, "data")) ||
	    !cJSON_AddStringToObject(data, HISTORY_KEY, text) ||
	    (commit && !cJSON_AddStringToObject(data, "commit", commit)))
		goto fail;
	free(name);
	return cm;
fail:
	free(name);
	cJSON_Delete(cm);
	return NULL;
}

/* The history's text: the head's piece, then its parts' (read from k). A part that is
 * missing or edited makes the history unreadable: NULL, to start again. */
static char *history_text_of(struct kube *k, const cJSON *obj, const char *ns, const char *app,
			     struct strlist *parts)
{
	const char *head = json_str(obj, "data", HISTORY_KEY, NULL);
	struct strlist texts;
	struct buf all;
	struct err sub;
	char *out = NULL;

	err_clear(&sub);
	strlist_init(&texts);
	buf_init(&all, 0);
	if (!head || parts_of(obj, parts, &sub) < 0 ||
	    parts_read(k, &history_text, app, ns, parts, &texts, &sub) < 0 ||
	    buf_puts(&all, head) < 0)
		goto out;
	for (size_t i = 0; i < texts.n; i++)
		if (buf_puts(&all, texts.items[i]) < 0)
			goto out;
	out = all.data;
	all.data = NULL;
out:
	buf_dispose(&all);
	strlist_dispose(&texts);
	return out;
}

/* The entries of the history ConfigMap obj as read by a GET that returned rc (sub its
 * error), the names of its parts in parts; none yet or unreadable: an empty array, to
 * start again rather than stop. */
static int history_take(struct kube *k, const cJSON *obj, int rc, const struct err *sub,
			const char *ns, const char *app, cJSON **entries, struct strlist *parts,
			struct err *e)
{
	char *text = NULL;

	*entries = NULL;
	if (rc == TE_NOTFOUND)
		rc = 0;
	else if (rc < 0)
		return err_set(e, rc, "read history %s/" HISTORY_PREFIX "%s: %s", ns, app, sub->msg);
	if (obj && (text = history_text_of(k, obj, ns, app, parts)))
		*entries = cJSON_Parse(text);
	free(text);
	if (*entries && !cJSON_IsArray(*entries)) {
		cJSON_Delete(*entries);
		*entries = NULL;
	}
	if (!*entries)
		*entries = cJSON_CreateArray();
	return *entries ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

int history_load(struct kube *k, const char *ns, const char *app, cJSON **entries,
		 struct err *e)
{
	const struct kube_resource *cm;
	char *name = xasprintf(HISTORY_PREFIX "%s", app);
	struct strlist parts;
	cJSON *obj = NULL;
	struct err sub;
	int rc;

	*entries = NULL;
	err_clear(&sub);
	strlist_init(&parts);
	if (!name)
		return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = kube_resolve(k, "v1", "ConfigMap", &cm, e)) == 0) {
		rc = kube_get(k, cm, ns, name, &obj, &sub);
		rc = history_take(k, obj, rc, &sub, ns, app, entries, &parts, e);
	}
	strlist_dispose(&parts);
	cJSON_Delete(obj);
	free(name);
	return rc;
}

int history_latest(struct kube *k, const char *ns, const char *app, cJSON **entry,
		   struct err *e)
{
	cJSON *entries = NULL;
	int rc = history_load(k, ns, app, &entries, e);

	*entry = rc == 0 ? cJSON_DetachItemFromArray(entries, 0) : NULL;
	cJSON_Delete(entries);
	return rc;
}

const cJSON *history_records(const cJSON *entry)
{
	const cJSON *w = cJSON_GetObjectItemCaseSensitive(entry, "workloads");

	return w ? w : cJSON_GetObjectItemCaseSensitive(entry, "deployments");
}

bool history_record_is(const cJSON *rec, const char *kind, const char *name)
{
	const char *n = json_str(rec, "name", NULL);

	return n && !strcmp(n, name) && !strcmp(json_str_or(rec, "Deployment", "kind", NULL), kind);
}

/* The revision number of rec, -1 when it has none. */
static int64_t record_revision(const cJSON *rec)
{
	const cJSON *r = cJSON_GetObjectItemCaseSensitive(rec, "revision");

	return cJSON_IsNumber(r) ? (int64_t)r->valuedouble : -1;
}

const char *history_commit_of_revision(const cJSON *entries, const char *kind,
				       const char *name, int64_t rev)
{
	const cJSON *en, *d;

	cJSON_ArrayForEach(en, entries)
	{
		cJSON_ArrayForEach(d, history_records(en))
		{
			const char *c = json_str(d, "commit", NULL);
			if (history_record_is(d, kind, name) && record_revision(d) == rev && c && *c)
				return c;
		}
	}
	return NULL;
}

int64_t history_earlier_revision(const cJSON *entries, const char *kind, const char *name,
				 const char *hash, int64_t rev)
{
	const cJSON *en, *d;
	int64_t best = 0;

	cJSON_ArrayForEach(en, entries)
	{
		cJSON_ArrayForEach(d, history_records(en))
		{
			const char *h = json_str(d, "podTemplateHash", NULL);
			int64_t r = record_revision(d);
			if (history_record_is(d, kind, name) && h && hash && *hash &&
			    !strcmp(h, hash) && r < rev && r > best)
				best = r;
		}
	}
	return best;
}

const cJSON *history_entry_of_commit(const cJSON *entries, const char *commit)
{
	const cJSON *en;

	cJSON_ArrayForEach(en, entries)
	{
		const char *c = json_str(en, "commit", NULL);
		if (c && !strcmp(c, commit))
			return en;
	}
	return NULL;
}

/* ---- recording a sync ----------------------------------------------------------- */

/* The commits since stop, the last recorded one, newest first (just this one when
 * unknown). */
static cJSON *covered_commits(const struct sync_view *v, const char *stop)
{
	cJSON *a = cJSON_CreateArray();
	struct gitsrc_commit *log = NULL;
	size_t n = 0;
	struct err e;

	err_clear(&e);
	if (!a)
		return NULL;
	if (stop && *stop && strcmp(stop, v->commit) != 0 &&
	    gitsrc_log(v->git, v->commit, stop, COVERED_MAX, &log, &n, &e) == 0) {
		for (size_t i = 0; a && i < n; i++)
			if (json_array_append(a, cJSON_CreateString(log[i].sha)) < 0) {
				cJSON_Delete(a);
				a = NULL;
			}
	}
	for (size_t i = 0; i < n; i++)
		gitsrc_commit_dispose(&log[i]);
	free(log);
	if (a && cJSON_GetArraySize(a) == 0 &&
	    json_array_append(a, cJSON_CreateString(v->commit)) < 0) {
		cJSON_Delete(a);
		a = NULL;
	}
	return a; /* NULL: out of memory */
}

char *history_rs_selector(const cJSON *deploy)
{
	const cJSON *sel = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(deploy, "spec"), "selector");
	const cJSON *ml = cJSON_GetObjectItemCaseSensitive(sel, "matchLabels"), *l;
	struct buf b;

	/* matchExpressions are not rendered here: list all and filter by owner instead. */
	if (!cJSON_IsObject(ml) || !ml->child ||
	    cJSON_GetObjectItemCaseSensitive(sel, "matchExpressions"))
		return NULL;
	buf_init(&b, 8192);
	cJSON_ArrayForEach(l, ml)
	{
		if (!cJSON_IsString(l) || buf_printf(&b, "%s%s=%s", b.len ? "," : "", l->string,
						     l->valuestring) < 0) {
			buf_dispose(&b);
			return NULL;
		}
	}
	return buf_detach(&b);
}

/* What the cluster holds of one kind in one namespace, read once per recorded sync: the
 * app's workloads of the kind (by tether's label) and the namespace's revisions of that
 * kind (they carry only the pod template's labels). Two requests per namespace and
 * kind, not two per workload. */
struct ns_state {
	char *ns;
	const struct history_kind *kind;
	const struct kube_resource *res, *rev_res;
	cJSON *objs, *revs;
	/* built once the lists are read, so each workload is found in O(1), not by a
	 * scan of the namespace (3,000 Deployments x 3,000 ReplicaSets) */
	struct strmap by_name;	/* name -> item of objs */
	struct strmap by_owner; /* owner's uid -> its newest item of revs */
};

static void ns_state_dispose(struct ns_state *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].ns);
		cJSON_Delete(s[i].objs);
		cJSON_Delete(s[i].revs);
		strmap_dispose(&s[i].by_name);
		strmap_dispose(&s[i].by_owner);
	}
	free(s);
}

/* Only the items' metadata is read here (names, uids, annotations, labels, owners) and
 * a ControllerRevision's number: the rest is skipped while parsing, so a big app's
 * lists stay small and cheap. */
static const struct json_pick record_meta[] = {
    {"name", NULL},	       {"uid", NULL}, {"annotations", NULL}, {"labels", NULL},
    {"ownerReferences", NULL}, {NULL, NULL},
};
static const struct json_pick record_pick[] = {
    {"metadata", record_meta}, {"revision", NULL}, {NULL, NULL}};

/* Namespaces and kinds whose lists are fetched together: few round trips, and not every
 * list of a big app in memory as raw text at once. */
#define NS_BATCH 16
/* Workloads and their revisions are large objects (2-3 KiB each as sent): pages of 100
 * keep the raw text of a batch (32 lists) to a few MiB where pages of 500 took tens. */
#define RECORD_PAGE 100

/* The two LISTs of each of the m states at st: the app's workloads, their revisions. */
static void queue_batch(struct kube_list_q *qs, const struct ns_state *st, size_t m,
			const char *sel)
{
	for (size_t i = 0; i < m; i++) {
		qs[2 * i] = (struct kube_list_q){
		    .res = st[i].res, .ns = st[i].ns, .selector = sel, .pick = record_pick,
		    .limit = RECORD_PAGE};
		qs[2 * i + 1] = (struct kube_list_q){
		    .res = st[i].rev_res, .ns = st[i].ns, .pick = record_pick, .limit = RECORD_PAGE};
	}
}

/* A state keeps its lists when both were read; otherwise neither. */
static void take_batch(struct kube_list_q *qs, struct ns_state *st, size_t m)
{
	for (size_t i = 0; i < m; i++) {
		if (qs[2 * i].rc == 0 && qs[2 * i + 1].rc == 0) {
			st[i].objs = qs[2 * i].out;
			st[i].revs = qs[2 * i + 1].out;
		} else {
			cJSON_Delete(qs[2 * i].out);
			cJSON_Delete(qs[2 * i + 1].out);
		}
	}
}

/* Loads the states' two lists in parallel batches, and extra (a read of the caller's,
 * may be NULL) with the first. A state whose lists fail keeps NULL lists: its
 * workloads are recorded without revisions. */
static void ns_load_all(const struct sync_view *v, struct ns_state *st, size_t n,
			struct kube_list_q *extra)
{
	char *sel = xasprintf(SYNC_LABEL_APP "=%s", v->cfg->app);
	struct kube_list_q qs[2 * NS_BATCH + 1];

	if (!sel)
		n = 0; /* no lists: recorded without revisions */
	if (extra && v->own && v->own != v->kube) { /* the history as tether's own identity */
		kube_list_many(v->own, extra, 1);
		extra = NULL;
	}
	for (size_t b = 0; b < n || (b == 0 && extra); b += NS_BATCH) {
		size_t m = n - b < NS_BATCH ? n - b : NS_BATCH, q = 2 * m;
		bool first = b == 0 && extra;

		queue_batch(qs, st + b, m, sel);
		if (first)
			qs[q++] = *extra;
		kube_list_many(v->kube, qs, q);
		if (first)
			*extra = qs[2 * m];
		take_batch(qs, st + b, m);
	}
	free(sel);
}

/* The first item of each name (a list holds each name once). */
static int index_names(struct ns_state *s)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(s->objs, "items"))
	{
		const char *n = json_str(o, "metadata", "name", NULL);
		if (n && !strmap_get(&s->by_name, n) && strmap_put(&s->by_name, n, (void *)o) < 0)
			return TE_NOMEM;
	}
	return 0;
}

/* For each owner, its revision of the highest number (the controllers number the
 * current template's revision above all others); the first of equal numbers. */
static int index_owners(struct ns_state *s)
{
	const cJSON *rev, *o;

	cJSON_ArrayForEach(rev, cJSON_GetObjectItemCaseSensitive(s->revs, "items"))
	{
		int64_t n = history_revision_of(s->kind, rev);

		cJSON_ArrayForEach(o, json_get(rev, "metadata", "ownerReferences", NULL))
		{
			const char *uid = json_str(o, "uid", NULL);
			const cJSON *best = uid ? strmap_get(&s->by_owner, uid) : NULL;
			if (uid && n > (best ? history_revision_of(s->kind, best) : 0) &&
			    strmap_put(&s->by_owner, uid, (void *)rev) < 0)
				return TE_NOMEM;
		}
	}
	return 0;
}

/* The newest revision of the workload w, or NULL. */
static const cJSON *current_revision(const struct ns_state *s, const cJSON *w)
{
	const char *uid = json_str(w, "metadata", "uid", NULL);

	return uid ? strmap_get(&s->by_owner, uid) : NULL;
}

/* Appends the record of the workload it (when the cluster has it) to out; TE_NOMEM. */
static int workload_record(const struct sync_workload *it, const struct ns_state *s,
			   const char *name, cJSON *out)
{
	const cJSON *w = strmap_get(&s->by_name, it->name), *cur;
	const char *commit, *hash;
	cJSON *rec;

	if (!w)
		return 0;
	if (!(rec = cJSON_CreateObject()))
		return TE_NOMEM;
	cur = current_revision(s, w);
	commit = json_str(w, "metadata", "annotations", SYNC_ANNOTATION_COMMIT, NULL);
	hash = json_str(cur, "metadata", "labels", s->kind->hash_label, NULL);
	if (!cJSON_AddStringToObject(rec, "kind", s->kind->kind) ||
	    !cJSON_AddStringToObject(rec, "name", name) ||
	    !cJSON_AddNumberToObject(rec, "revision",
				     cur ? (double)history_revision_of(s->kind, cur) : 0) ||
	    !cJSON_AddStringToObject(rec, "podTemplateHash", hash ? hash : "") ||
	    !cJSON_AddStringToObject(rec, "commit", commit ? commit : "") ||
	    !cJSON_AddBoolToObject(rec, "changed", it->changed)) {
		cJSON_Delete(rec);
		return TE_NOMEM;
	}
	return json_array_append(out, rec);
}

/* The state of the namespace and kind of workload it, added when missing, as index + 1
 * of *st in *at (idx maps "namespace kind" to it); 0 when it has none (the server does
 * not serve the kind's revisions). TE_NOMEM. */
static int ns_state_of(const struct sync_view *v, const struct sync_workload *it,
		       struct strmap *idx, struct buf *b, struct ns_state **st, size_t *n,
		       size_t *cap, size_t *at)
{
	const char *parts[] = {it->ns, it->kind};
	const struct history_kind *k = history_kind_of(it->kind);
	const struct kube_resource *rr;
	const char *key;
	struct ns_state *s;
	struct err e;

	*at = 0;
	if (!k)
		return 0;
	if (!(key = strmap_key(b, parts, 2)))
		return TE_NOMEM;
	err_clear(&e);
	if ((*at = (uintptr_t)strmap_get(idx, key)) ||
	    kube_resolve(v->kube, "apps/v1", k->rev_kind, &rr, &e) < 0)
		return 0;
	if (array_reserve(st, cap, *n + 1, sizeof(**st)) < 0)
		return TE_NOMEM;
	s = &(*st)[*n];
	*s = (struct ns_state){.kind = k, .res = it->res, .rev_res = rr};
	strmap_init(&s->by_name);
	strmap_init(&s->by_owner);
	if (!(s->ns = xstrdup(it->ns)))
		return TE_NOMEM;
	*at = ++*n;
	return strmap_put(idx, key, (void *)(uintptr_t)*at);
}

/* A state for each namespace and kind of the run's workloads, into *st, and each
 * workload's (index + 1, 0: none) in at; TE_NOMEM. A kind whose revisions the server
 * does not serve has none: its workloads are recorded without revisions. */
static int ns_states(const struct sync_view *v, struct ns_state **st, size_t *n, size_t *at)
{
	struct strmap idx;
	struct buf b;
	size_t cap = 0;
	int rc = 0;

	strmap_init(&idx);
	buf_init(&b, 0);
	for (size_t i = 0; i < v->n_workloads && rc == 0; i++)
		rc = ns_state_of(v, &v->workloads[i], &idx, &b, st, n, &cap, &at[i]);
	buf_dispose(&b);
	strmap_dispose(&idx);
	return rc;
}

/* The states' indexes, once their lists are read; TE_NOMEM. */
static int ns_index_all(struct ns_state *st, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (st[i].objs && (index_names(&st[i]) < 0 || index_owners(&st[i]) < 0))
			return TE_NOMEM;
	return 0;
}

/* Each workload of the run with its revision, template hash and commit; extra is read
 * along with the first lists. */
static cJSON *workload_records(const struct sync_view *v, struct kube_list_q *extra)
{
	cJSON *out = cJSON_CreateArray();
	size_t *at = calloc(v->n_workloads ? v->n_workloads : 1, sizeof(*at));
	struct ns_state *st = NULL;
	size_t n = 0;

	if (!out || !at || ns_states(v, &st, &n, at) < 0)
		goto fail;
	ns_load_all(v, st, n, extra);
	if (ns_index_all(st, n) < 0)
		goto fail;
	for (size_t i = 0; out && i < v->n_workloads; i++) {
		const struct sync_workload *it = &v->workloads[i];
		struct ns_state *s = at[i] ? &st[at[i] - 1] : NULL;
		char *name;

		if (!s || !s->objs)
			continue; /* recorded without this namespace's workloads */
		name = xasprintf("%s/%s", s->ns, it->name);
		if (!name || workload_record(it, s, name, out) < 0) {
			cJSON_Delete(out);
			out = NULL;
		}
		free(name);
	}
	ns_state_dispose(st, n);
	free(at);
	return out; /* NULL: out of memory */
fail:
	ns_state_dispose(st, n);
	free(at);
	cJSON_Delete(out);
	return NULL;
}

static const char *result_name(int rc)
{
	return rc == 0 ? "ok" : rc == TE_ROLLOUT ? "rollout-failed" : "failed";
}

static cJSON *build_entry(const struct sync_view *v, int rc, const struct err *e,
			  const char *since, struct kube_list_q *extra)
{
	cJSON *en = cJSON_CreateObject(), *deps;
	char now[32];

	if (!en)
		return NULL;
	time_rfc3339(time(NULL), now);
	if (!cJSON_AddStringToObject(en, "commit", v->commit) ||
	    json_object_add(en, "commits", covered_commits(v, since)) < 0 ||
	    !cJSON_AddStringToObject(en, "time", now) ||
	    !cJSON_AddStringToObject(en, "result", result_name(rc)) ||
	    !cJSON_AddStringToObject(en, "message", rc < 0 && e ? e->msg : "") ||
	    (v->cfg->on_failure && !cJSON_AddStringToObject(en, "onFailure", v->cfg->on_failure)))
		goto fail;
	deps = workload_records(v, extra);
	if (json_object_add(en, "workloads", deps) < 0)
		goto fail;
	return en;
fail:
	cJSON_Delete(en); /* the caller reports out of memory */
	return NULL;
}

/* The client of the history ConfigMap: tether's own identity (sync_view.own). */
static struct kube *own(const struct sync_view *v)
{
	return v->own ? v->own : v->kube;
}

struct head_ctx {
	const char *app, *ns, *commit;
};

static int history_head(void *ctx, const char *first, const struct strlist *names, cJSON **out,
			struct err *e)
{
	const struct head_ctx *h = ctx;

	if (!(*out = history_configmap(h->app, h->ns, first, h->commit)) ||
	    parts_list_in(*out, names) < 0) {
		cJSON_Delete(*out);
		*out = NULL;
		return err_set(e, TE_NOMEM, "history: out of memory");
	}
	return 0;
}

/* The history sits next to the inventory: where an older tether put both until this
 * sync has moved the inventory, then with it (the view's read_ns and write_ns); before:
 * the parts of the head read at read_ns. */
static int write_history(const struct sync_view *v, cJSON *entries, const struct strlist *before,
			 struct err *e)
{
	static const struct strlist none;
	const char *ns = v->write_ns;
	bool moved = strcmp(ns, v->read_ns) != 0;
	/* the head names the newest commit: a sync that wrote nothing reads it there */
	struct head_ctx h = {v->cfg->app, ns,
			     json_str(cJSON_GetArrayItem(entries, 0), "commit", NULL)};
	struct parts_save s = {
	    .parts = &history_text,
	    .app = v->cfg->app,
	    .ns = ns,
	    .max = HISTORY_PIECE_BYTES,
	    .before = moved ? &none : before,
	    .head = history_head,
	    .ctx = &h,
	};
	const struct kube_resource *cm;
	char *text = cJSON_PrintUnformatted(entries), *name = NULL;
	struct strlist names;
	int rc;

	strlist_init(&names);
	if (!text)
		return err_set(e, TE_NOMEM, "history: out of memory");
	s.text = text;
	s.len = strlen(text);
	if ((rc = kube_resolve(own(v), "v1", "ConfigMap", &cm, e)) == 0)
		rc = parts_save(own(v), cm, &s, &names, e);
	if (rc == 0 && moved) { /* the old one goes, with its parts */
		if (!(name = xasprintf(HISTORY_PREFIX "%s", v->cfg->app)))
			rc = err_set(e, TE_NOMEM, "out of memory");
		else if ((rc = kube_delete(own(v), cm, v->read_ns, name, e)) == TE_NOTFOUND)
			rc = 0;
		if (rc == 0 && before->n)
			rc = parts_drop(own(v), cm, &history_text, v->cfg->app, v->read_ns, &none,
					true, e);
	}
	strlist_dispose(&names);
	free(name);
	free(text);
	return rc;
}

/* The commit of the history's newest entry (owned), from its head as read with the
 * inventory: in the head's data since heads name it, else from its text (a head an older
 * tether wrote). NULL: no entry, or the history is unreadable. */
static char *newest_commit(const struct sync_view *v)
{
	const char *c = json_str(v->beside, "data", "commit", NULL);
	struct strlist parts;
	cJSON *entries;
	char *text, *out;

	if (c)
		return xstrdup(c);
	strlist_init(&parts);
	text = history_text_of(own(v), v->beside, v->read_ns, v->cfg->app, &parts);
	entries = text ? cJSON_Parse(text) : NULL;
	c = json_str(cJSON_GetArrayItem(entries, 0), "commit", NULL);
	out = c ? xstrdup(c) : NULL;
	cJSON_Delete(entries);
	strlist_dispose(&parts);
	free(text);
	return out;
}

/* Whether a run that wrote nothing records all the same: it reached its end, the
 * inventory says its commit was synced, and the history has no entry of it on top (the
 * run that wrote the inventory was stopped, or its history write failed). The history
 * was read in the inventory's round trip: one in step costs no request. *newest: the
 * history's newest commit (owned, may be NULL). */
static bool history_behind(const struct sync_view *v, int rc, char **newest)
{
	*newest = NULL;
	if ((rc < 0 && rc != TE_ROLLOUT) || !v->beside_read || !v->base ||
	    strcmp(v->base, v->commit) != 0)
		return false;
	if (!v->beside)
		return true; /* the inventory, and no history */
	*newest = newest_commit(v);
	return !*newest || strcmp(*newest, v->commit) != 0;
}

void history_record(const struct sync_view *v, int rc, const struct err *e,
		    struct sync_result *res)
{
	const struct kube_resource *cm = NULL;
	char *name = xasprintf(HISTORY_PREFIX "%s", v->cfg->app);
	struct kube_list_q hist = {0};
	cJSON *entries = NULL, *en = NULL;
	char *newest = NULL;
	struct strlist parts;
	struct err sub;
	int wrc;

	if (!v->kube || !v->commit[0] || (!v->wrote && !history_behind(v, rc, &newest))) {
		free(newest);
		free(name);
		return;
	}
	strlist_init(&parts);
	err_clear(&sub);
	if (!name)
		wrc = err_set(&sub, TE_NOMEM, "out of memory");
	else if ((wrc = kube_resolve(own(v), "v1", "ConfigMap", &cm, &sub)) == 0) {
		/* the history is read in the same round trip as the Deployments' lists */
		hist = (struct kube_list_q){.res = cm, .ns = v->read_ns, .name = name};
		en = build_entry(v, rc, e, v->wrote ? v->base : newest, &hist);
		wrc = history_take(own(v), hist.out, hist.rc, &hist.err, hist.ns, v->cfg->app,
				   &entries, &parts, &sub);
	}
	if (wrc == 0) {
		wrc = en ? history_push(entries, en, HISTORY_MAX_ENTRIES, HISTORY_MAX_BYTES)
			 : TE_NOMEM;
		en = NULL; /* history_push took it */
		if (wrc == 0)
			wrc = write_history(v, entries, &parts, &sub);
		else
			err_set(&sub, wrc, "out of memory");
	}
	cJSON_Delete(en);
	if (wrc < 0)
		strlist_add_owned(&res->errors, xasprintf("write history %s/" HISTORY_PREFIX "%s: %s",
							  v->write_ns, v->cfg->app, sub.msg));
	cJSON_Delete(hist.out);
	cJSON_Delete(entries);
	strlist_dispose(&parts);
	free(newest);
	free(name);
}

/* The entries as read with the inventory (no request of its own but for the parts of a
 * large history), else read now. */
static int history_of_view(const struct sync_view *v, cJSON **entries, struct err *e)
{
	struct strlist parts;
	struct err none;
	int rc;

	if (!v->beside_read)
		return history_load(own(v), v->read_ns, v->cfg->app, entries, e);
	err_clear(&none);
	strlist_init(&parts);
	rc = history_take(own(v), v->beside, v->beside ? 0 : TE_NOTFOUND, &none, v->read_ns,
			  v->cfg->app, entries, &parts, e);
	strlist_dispose(&parts);
	return rc;
}

int history_check_hold(const struct sync_view *v, struct err *e)
{
	cJSON *entries = NULL;
	const cJSON *last;
	const char *commit, *result;
	int rc;

	if (!v->cfg->on_failure || strcmp(v->cfg->on_failure, "hold") != 0)
		return 0;
	if ((rc = history_of_view(v, &entries, e)) < 0)
		return rc;
	last = cJSON_GetArrayItem(entries, 0);
	commit = json_str(last, "commit", NULL);
	result = json_str(last, "result", NULL);
	if (commit && result && !strcmp(commit, v->commit) && !strcmp(result, "rollout-failed"))
		rc = err_set(e, TE_ROLLOUT,
			     "on-failure: hold: the rollout of commit %.12s failed at %s (%s); "
			     "nothing is applied until a newer commit arrives",
			     commit, json_str(last, "time", NULL) ? json_str(last, "time", NULL) : "?",
			     json_str(last, "message", NULL) ? json_str(last, "message", NULL) : "");
	cJSON_Delete(entries);
	return rc;
}
