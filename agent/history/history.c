/*
 * history: one entry per sync that wrote to the cluster, kept in the ConfigMap
 * tether-history-<app> next to the inventory: the commit, the commits it covered, the
 * time, the result, and each Deployment's revision and pod-template-hash. Bounded in
 * count and bytes (a ConfigMap holds 1 MiB). It is what lets `tether history` name the
 * commit of a revision whose ReplicaSet was later reused (the controller overwrites
 * that ReplicaSet's annotations), and what on-failure: hold reads.
 * A sync that changed nothing writes nothing here either.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonget.h"
#include "gitsrc.h"
#include "history_int.h"
#include "jsonedit.h"

#define COVERED_MAX 20

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

cJSON *history_configmap(const char *app, const char *ns, const cJSON *entries)
{
	cJSON *cm = cJSON_CreateObject(), *meta, *labels, *data;
	char *name = xasprintf(HISTORY_PREFIX "%s", app);
	char *text = cJSON_PrintUnformatted(entries);

	if (!cm || !name || !text)
		goto fail;
	if (!cJSON_AddStringToObject(cm, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(cm, "kind", "ConfigMap") || !(meta = cJSON_AddObjectToObject(cm, "metadata")) ||
	    !cJSON_AddStringToObject(meta, "name", name) ||
	    !cJSON_AddStringToObject(meta, "namespace", ns) ||
	    !(labels = cJSON_AddObjectToObject(meta, "labels")) ||
	    !cJSON_AddStringToObject(labels, SYNC_LABEL_MANAGED_BY, "tether") ||
	    !cJSON_AddStringToObject(labels, "tether.dev/history", app) ||
	    !(data = cJSON_AddObjectToObject(cm, "data")) ||
	    !cJSON_AddStringToObject(data, HISTORY_KEY, text))
		goto fail;
	free(name);
	free(text);
	return cm;
fail:
	free(name);
	free(text);
	cJSON_Delete(cm);
	return NULL;
}

/* The entries of the history ConfigMap obj as read by a GET that returned rc (sub its
 * error); none yet or unreadable: an empty array, to start again rather than stop. */
static int history_take(const cJSON *obj, int rc, const struct err *sub, const char *ns,
			const char *name, cJSON **entries, struct err *e)
{
	const cJSON *text;

	*entries = NULL;
	if (rc == TE_NOTFOUND)
		rc = 0;
	else if (rc < 0)
		return err_set(e, rc, "read history %s/%s: %s", ns, name, sub->msg);
	text = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "data"),
						HISTORY_KEY);
	if (cJSON_IsString(text))
		*entries = cJSON_Parse(text->valuestring);
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
	cJSON *obj = NULL;
	struct err sub;
	int rc;

	*entries = NULL;
	err_clear(&sub);
	if (!name)
		return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = kube_resolve(k, "v1", "ConfigMap", &cm, e)) == 0) {
		rc = kube_get(k, cm, ns, name, &obj, &sub);
		rc = history_take(obj, rc, &sub, ns, name, entries, e);
	}
	cJSON_Delete(obj);
	free(name);
	return rc;
}

const char *history_commit_of_revision(const cJSON *entries, const char *deployment,
				       int64_t rev)
{
	const cJSON *en, *d;

	cJSON_ArrayForEach(en, entries)
	{
		cJSON_ArrayForEach(d, cJSON_GetObjectItemCaseSensitive(en, "deployments"))
		{
			const cJSON *r = cJSON_GetObjectItemCaseSensitive(d, "revision");
			const char *n = json_str(d, "name", NULL);
			if (n && !strcmp(n, deployment) && cJSON_IsNumber(r) &&
			    (int64_t)r->valuedouble == rev && json_str(d, "commit", NULL))
				return json_str(d, "commit", NULL);
		}
	}
	return NULL;
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

/* The commits since the last synced one, newest first (just this one when unknown). */
static cJSON *covered_commits(const struct sync_view *v)
{
	cJSON *a = cJSON_CreateArray();
	struct gitsrc_commit *log = NULL;
	size_t n = 0;
	struct err e;
	const char *stop = v->base;

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

/* What the cluster holds in one namespace, read once per recorded sync: the app's
 * Deployments (by tether's label) and the namespace's ReplicaSets (they carry only the
 * pod template's labels). Two requests per namespace, not two per Deployment. */
struct ns_state {
	char *ns;
	cJSON *deps, *rss;
};

static void ns_state_dispose(struct ns_state *s, size_t n)
{
	for (size_t i = 0; s && i < n; i++) {
		free(s[i].ns);
		cJSON_Delete(s[i].deps);
		cJSON_Delete(s[i].rss);
	}
	free(s);
}

/* Only the items' metadata is read here (names, uids, annotations, labels, owners):
 * the rest is skipped while parsing, so a big app's lists stay small and cheap. */
static const struct json_pick record_meta[] = {
    {"name", NULL},	       {"uid", NULL}, {"annotations", NULL}, {"labels", NULL},
    {"ownerReferences", NULL}, {NULL, NULL},
};
static const struct json_pick record_pick[] = {{"metadata", record_meta}, {NULL, NULL}};

/* Namespaces whose lists are fetched together: few round trips, and not every list of
 * a big app in memory as raw text at once. */
#define NS_BATCH 16

/* The two LISTs of each of the m namespaces at st: the app's Deployments, the
 * ReplicaSets (rsr). */
static void queue_batch(struct kube_list_q *qs, const struct kube_resource *dres,
			const struct kube_resource *rsr, const struct ns_state *st, size_t m,
			const char *sel)
{
	for (size_t i = 0; i < m; i++) {
		qs[2 * i] = (struct kube_list_q){
		    .res = dres, .ns = st[i].ns, .selector = sel, .pick = record_pick};
		qs[2 * i + 1] = (struct kube_list_q){.res = rsr, .ns = st[i].ns, .pick = record_pick};
	}
}

/* A namespace keeps its lists when both were read; otherwise neither. */
static void take_batch(struct kube_list_q *qs, struct ns_state *st, size_t m)
{
	for (size_t i = 0; i < m; i++) {
		if (qs[2 * i].rc == 0 && qs[2 * i + 1].rc == 0) {
			st[i].deps = qs[2 * i].out;
			st[i].rss = qs[2 * i + 1].out;
		} else {
			cJSON_Delete(qs[2 * i].out);
			cJSON_Delete(qs[2 * i + 1].out);
		}
	}
}

/* Loads the namespaces' two lists in parallel batches, and extra (a read of the caller's,
 * may be NULL) with the first. A namespace whose lists fail keeps NULL lists: its
 * Deployments are recorded without revisions. */
static void ns_load_all(const struct sync_view *v, const struct kube_resource *dres,
			struct ns_state *st, size_t n, struct kube_list_q *extra)
{
	const struct kube_resource *rsr = NULL;
	char *sel = xasprintf(SYNC_LABEL_APP "=%s", v->cfg->app);
	struct kube_list_q qs[2 * NS_BATCH + 1];
	struct err e;

	err_clear(&e);
	if (!sel || (n && kube_resolve(v->kube, "apps/v1", "ReplicaSet", &rsr, &e) < 0))
		n = 0; /* no lists: recorded without revisions */
	for (size_t b = 0; b < n || (b == 0 && extra); b += NS_BATCH) {
		size_t m = n - b < NS_BATCH ? n - b : NS_BATCH, q = 2 * m;
		bool first = b == 0 && extra;

		queue_batch(qs, dres, rsr, st + b, m, sel);
		if (first)
			qs[q++] = *extra;
		kube_list_many(v->kube, qs, q);
		if (first)
			*extra = qs[2 * m];
		take_batch(qs, st + b, m);
	}
	free(sel);
}

static const cJSON *find_named(const cJSON *list, const char *name)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		const char *n = json_str(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "name", NULL);
		if (n && !strcmp(n, name))
			return o;
	}
	return NULL;
}

static bool owned_by(const cJSON *rs, const char *uid)
{
	const cJSON *o;

	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(
				      cJSON_GetObjectItemCaseSensitive(rs, "metadata"), "ownerReferences"))
	{
		const char *u = json_str(o, "uid", NULL);
		if (u && uid && !strcmp(u, uid))
			return true;
	}
	return false;
}

/* The pod-template-hash of d's ReplicaSet at d's current revision (borrowed). */
static const char *current_hash(const cJSON *rss, const cJSON *d)
{
	const char *uid = json_str(cJSON_GetObjectItemCaseSensitive(d, "metadata"), "uid", NULL);
	const char *rev = json_str(d, "metadata", "annotations", HISTORY_ANN_REVISION, NULL);
	const cJSON *rs;

	cJSON_ArrayForEach(rs, cJSON_GetObjectItemCaseSensitive(rss, "items"))
	{
		const char *r2 = json_str(rs, "metadata", "annotations", HISTORY_ANN_REVISION, NULL);
		if (rev && r2 && !strcmp(r2, rev) && owned_by(rs, uid))
			return json_str(cJSON_GetObjectItemCaseSensitive(
					    cJSON_GetObjectItemCaseSensitive(rs, "metadata"), "labels"), "pod-template-hash", NULL);
	}
	return NULL;
}

/* Appends the record of it's Deployment (when the cluster has it) to deps; TE_NOMEM. */
static int deployment_record(const struct sync_deployment *it, const struct ns_state *s,
			     const char *name, cJSON *deps)
{
	const cJSON *d = find_named(s->deps, it->name);
	const char *rev, *commit, *hash;
	cJSON *rec;

	if (!d)
		return 0;
	if (!(rec = cJSON_CreateObject()))
		return TE_NOMEM;
	rev = json_str(d, "metadata", "annotations", HISTORY_ANN_REVISION, NULL);
	commit = json_str(d, "metadata", "annotations", SYNC_ANNOTATION_COMMIT, NULL);
	hash = current_hash(s->rss, d);
	if (!cJSON_AddStringToObject(rec, "name", name) ||
	    !cJSON_AddNumberToObject(rec, "revision", rev ? (double)strtoll(rev, NULL, 10) : 0) ||
	    !cJSON_AddStringToObject(rec, "podTemplateHash", hash ? hash : "") ||
	    !cJSON_AddStringToObject(rec, "commit", commit ? commit : "") ||
	    !cJSON_AddBoolToObject(rec, "changed", it->changed)) {
		cJSON_Delete(rec);
		return TE_NOMEM;
	}
	return json_array_append(deps, rec);
}

static struct ns_state *ns_find(struct ns_state *st, size_t n, const char *ns)
{
	for (size_t j = 0; j < n; j++)
		if (!strcmp(st[j].ns, ns))
			return &st[j];
	return NULL;
}

/* Each Deployment of the run with its revision, pod-template-hash and commit; extra is
 * read along with the first lists. */
static cJSON *deployment_records(const struct sync_view *v, struct kube_list_q *extra)
{
	cJSON *deps = cJSON_CreateArray();
	const struct kube_resource *dres = NULL;
	struct ns_state *st = NULL;
	size_t n = 0, cap = 0;

	for (size_t i = 0; deps && i < v->n_deployments; i++) { /* the namespaces first */
		const struct sync_deployment *it = &v->deployments[i];

		if (ns_find(st, n, it->ns))
			continue;
		if (array_reserve(&st, &cap, n + 1, sizeof(*st)) < 0) {
			cJSON_Delete(deps);
			deps = NULL;
			break;
		}
		memset(&st[n], 0, sizeof(*st));
		if (!(st[n].ns = xstrdup(it->ns))) {
			cJSON_Delete(deps);
			deps = NULL;
			break;
		}
		n++;
		dres = it->res;
	}
	ns_load_all(v, dres, st, n, extra);
	for (size_t i = 0; deps && i < v->n_deployments; i++) {
		const struct sync_deployment *it = &v->deployments[i];
		struct ns_state *s;
		char *name;

		if (!(s = ns_find(st, n, it->ns)) || !s->deps)
			continue; /* recorded without this namespace's Deployments */
		name = xasprintf("%s/%s", s->ns, it->name);
		if (!name || deployment_record(it, s, name, deps) < 0) {
			cJSON_Delete(deps);
			deps = NULL;
		}
		free(name);
	}
	ns_state_dispose(st, n);
	return deps; /* NULL: out of memory */
}

static const char *result_name(int rc)
{
	return rc == 0 ? "ok" : rc == TE_ROLLOUT ? "rollout-failed" : "failed";
}

static cJSON *build_entry(const struct sync_view *v, int rc, const struct err *e,
			  struct kube_list_q *extra)
{
	cJSON *en = cJSON_CreateObject(), *deps;
	char now[32];

	if (!en)
		return NULL;
	time_rfc3339(time(NULL), now);
	if (!cJSON_AddStringToObject(en, "commit", v->commit) ||
	    json_object_add(en, "commits", covered_commits(v)) < 0 ||
	    !cJSON_AddStringToObject(en, "time", now) ||
	    !cJSON_AddStringToObject(en, "result", result_name(rc)) ||
	    !cJSON_AddStringToObject(en, "message", rc < 0 && e ? e->msg : "") ||
	    (v->cfg->on_failure && !cJSON_AddStringToObject(en, "onFailure", v->cfg->on_failure)))
		goto fail;
	deps = deployment_records(v, extra);
	if (json_object_add(en, "deployments", deps) < 0)
		goto fail;
	return en;
fail:
	cJSON_Delete(en); /* the caller reports out of memory */
	return NULL;
}

/* The history sits next to the inventory: where an older tether put both until this
 * sync has moved the inventory, then with it (the view's read_ns and write_ns). */
static int write_history(const struct sync_view *v, cJSON *entries, struct err *e)
{
	struct kube_apply_opts o = {SYNC_FIELD_MANAGER, true, false};
	const struct kube_resource *cm;
	const char *ns = v->write_ns;
	cJSON *obj = history_configmap(v->cfg->app, ns, entries), *out = NULL;
	char *name = NULL;
	int rc;

	if (!obj)
		return err_set(e, TE_NOMEM, "history: out of memory");
	if ((rc = kube_resolve(v->kube, "v1", "ConfigMap", &cm, e)) == 0)
		rc = kube_apply(v->kube, cm, ns, obj, &o, &out, e);
	if (rc == 0 && strcmp(ns, v->read_ns) != 0) { /* moved: the old one goes */
		if (!(name = xasprintf(HISTORY_PREFIX "%s", v->cfg->app)))
			rc = err_set(e, TE_NOMEM, "out of memory");
		else if ((rc = kube_delete(v->kube, cm, v->read_ns, name, e)) == TE_NOTFOUND)
			rc = 0;
	}
	free(name);
	cJSON_Delete(out);
	cJSON_Delete(obj);
	return rc;
}

void history_record(const struct sync_view *v, int rc, const struct err *e,
		    struct sync_result *res)
{
	const struct kube_resource *cm = NULL;
	char *name = xasprintf(HISTORY_PREFIX "%s", v->cfg->app);
	struct kube_list_q hist = {0};
	cJSON *entries = NULL, *en = NULL;
	struct err sub;
	int wrc;

	if (!v->kube || !v->commit[0] || !v->wrote) {
		free(name);
		return;
	}
	err_clear(&sub);
	if (!name)
		wrc = err_set(&sub, TE_NOMEM, "out of memory");
	else if ((wrc = kube_resolve(v->kube, "v1", "ConfigMap", &cm, &sub)) == 0) {
		/* the history is read in the same round trip as the Deployments' lists */
		hist = (struct kube_list_q){.res = cm, .ns = v->read_ns, .name = name};
		en = build_entry(v, rc, e, &hist);
		wrc = history_take(hist.out, hist.rc, &hist.err, hist.ns, name, &entries, &sub);
	}
	if (wrc == 0) {
		wrc = en ? history_push(entries, en, HISTORY_MAX_ENTRIES, HISTORY_MAX_BYTES)
			 : TE_NOMEM;
		en = NULL; /* history_push took it */
		if (wrc == 0)
			wrc = write_history(v, entries, &sub);
		else
			err_set(&sub, wrc, "out of memory");
	}
	cJSON_Delete(en);
	if (wrc < 0)
		strlist_add_owned(&res->errors, xasprintf("write history %s/" HISTORY_PREFIX "%s: %s",
							  v->write_ns, v->cfg->app, sub.msg));
	cJSON_Delete(hist.out);
	cJSON_Delete(entries);
	free(name);
}

int history_check_hold(const struct sync_view *v, struct err *e)
{
	cJSON *entries = NULL;
	const cJSON *last;
	const char *commit, *result;
	int rc;

	if (!v->cfg->on_failure || strcmp(v->cfg->on_failure, "hold") != 0)
		return 0;
	if ((rc = history_load(v->kube, v->read_ns, v->cfg->app, &entries, e)) < 0)
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
