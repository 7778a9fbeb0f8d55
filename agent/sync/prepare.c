/*
 * prepare: turns rendered objects into sync items. Discovery says whether a kind is
 * served and namespaced; objects of namespaced kinds without a namespace get the app's,
 * a namespace on a cluster-scoped kind is an error naming the object. Kinds defined by
 * a CRD of the same commit are deferred until that CRD is established.
 * Every object gets tether's app label (and managed-by when Git sets none); the hash
 * is taken after labelling.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonget.h"
#include "sync_int.h"

int item_hash(struct sync_item *it)
{
	char *text = cJSON_PrintUnformatted(it->obj->body);

	free(it->text);
	it->text = text;
	if (sync_is_secret(it->obj->group, it->obj->kind))
		secret_hash(it->obj->body, it->hash);
	else
		sync_hash_text(text, it->hash);
	return text ? 0 : TE_NOMEM;
}

int item_body_load(struct sync_item *it)
{
	if (it->obj->body)
		return 0;
	if (!it->text || !(it->obj->body = cJSON_Parse(it->text)))
		return TE_NOMEM;
	return 0;
}

int item_error(struct err *e, int code, const struct sync_item *it, const char *msg)
{
	const struct object *o = it->obj;

	return err_set(e, code, "%s:%d:%d: %s: %s", o->file, o->line, o->col, it->display, msg);
}

/* The commit's CRDs, found once (each object of a kind they define asks). */
static int commit_crds(struct sync_run *r)
{
	size_t cap = 0;

	if (r->crds_found)
		return 0;
	for (size_t i = 0; i < r->objects.n; i++) {
		struct object *o = &r->objects.items[i];

		if (!sync_is_crd(o->group, o->kind))
			continue;
		if (array_reserve(&r->crds, &cap, r->n_crds + 1, sizeof(*r->crds)) < 0)
			return TE_NOMEM;
		r->crds[r->n_crds++] = o;
	}
	r->crds_found = true;
	return 0;
}

/* A CRD of this commit that defines group/kind: its scope, or NULL. */
static const char *commit_crd_scope(struct sync_run *r, const char *group, const char *kind)
{
	if (commit_crds(r) < 0)
		return NULL;
	for (size_t i = 0; i < r->n_crds; i++) {
		const struct object *o = r->crds[i];
		const cJSON *spec, *g, *k, *scope;

		spec = cJSON_GetObjectItemCaseSensitive(o->body, "spec");
		g = cJSON_GetObjectItemCaseSensitive(spec, "group");
		k = json_get(spec, "names", "kind", NULL);
		scope = cJSON_GetObjectItemCaseSensitive(spec, "scope");
		if (cJSON_IsString(g) && cJSON_IsString(k) && !strcmp(g->valuestring, group) &&
		    !strcmp(k->valuestring, kind))
			return cJSON_IsString(scope) ? scope->valuestring : "Namespaced";
	}
	return NULL;
}

static int set_namespace(struct sync_run *r, struct sync_item *it, bool namespaced, struct err *e)
{
	struct object *o = it->obj;
	cJSON *meta;

	if (!namespaced) {
		if (o->ns && *o->ns)
			return item_error(
			    e, TE_INPUT, it,
			    "metadata.namespace is set but the kind is cluster-scoped");
		return 0;
	}
	if (o->ns && *o->ns)
		return 0;
	free(o->ns);
	o->ns = xstrdup(r->ns);
	meta = cJSON_GetObjectItemCaseSensitive(o->body, "metadata");
	if (!o->ns || !meta)
		return err_set(e, TE_NOMEM, "out of memory");
	cJSON_DeleteItemFromObjectCaseSensitive(meta, "namespace");
	if (!cJSON_AddStringToObject(meta, "namespace", r->ns))
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}

/* Discovery for one item; a kind unknown to the server may come from a CRD here. */
static int resolve_item(struct sync_run *r, struct sync_item *it, struct err *e)
{
	const struct object *o = it->obj;
	struct err sub;
	const char *scope;
	int rc;

	err_clear(&sub);
	rc = kube_resolve(r->kube, o->api_version, o->kind, &it->res, &sub);
	if (rc == 0)
		return set_namespace(r, it, it->res->namespaced, e);
	if (rc != TE_NOTFOUND)
		return err_set(e, rc, "%s", sub.msg);
	scope = commit_crd_scope(r, o->group, o->kind);
	if (!scope)
		return item_error(e, TE_INPUT, it, sub.msg[0] ? sub.msg : "kind not served");
	it->res = NULL;
	it->deferred = true;
	return set_namespace(r, it, strcmp(scope, "Cluster") != 0, e);
}

/*
 * From here on a sync sends each object as the text item_hash printed; the parsed
 * body is read again only by diff, for CRDs (the scope of their kinds) and for
 * workloads: the revision stage, a dry-run answer of a live one (revision.c) and the
 * rollout checks (unless --no-wait). The others go as soon as they are printed, the
 * workloads once the revision stage is done: bodies are most of a large app's memory.
 */
static void drop_body(struct sync_run *r, struct sync_item *it, bool revised)
{
	struct object *o = it->obj;

	if (r->diff_mode || !it->text || !o->body || sync_is_crd(o->group, o->kind))
		return;
	if (rollout_tracked_kind(o->group, o->kind) &&
	    (!revised || !r->cfg->no_wait || (it->live && sync_revisioned_kind(o->group, o->kind))))
		return;
	cJSON_Delete(o->body);
	o->body = NULL;
}

void prepare_drop_bodies(struct sync_run *r)
{
	for (size_t i = 0; i < r->n_items; i++)
		drop_body(r, &r->items[i], true);
}

static int prepare_item(struct sync_run *r, struct sync_item *it, struct object *o, struct err *e)
{
	int rc;

	it->obj = o;
	it->stage = sync_stage_of(o->group, o->kind);
	it->display = object_display_name(o->group, o->kind, o->ns, o->name);
	if (!it->display)
		return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = resolve_item(r, it, e)) < 0)
		return rc;
	/* The namespace may have been filled in. */
	free(it->display);
	it->display = object_display_name(o->group, o->kind, o->ns, o->name);
	if (!it->display)
		return err_set(e, TE_NOMEM, "out of memory");
	rc = sync_label_object(o->body, r->cfg->app);
	if (rc == TE_INPUT)
		return item_error(e, TE_INPUT, it,
				  "label " SYNC_LABEL_APP " names another app; it is tether's "
				  "own label, set from the app's name (to move the object, use "
				  "annotation " SYNC_ANNOTATION_ADOPT ": \"true\" in the app that "
				  "should own it)");
	if (rc < 0 || item_hash(it) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	it->adopt = sync_adopt_requested(o->body);
	drop_body(r, it, false);
	return 0;
}

int prepare_items(struct sync_run *r, struct err *e)
{
	int rc;

	r->items = calloc(r->objects.n ? r->objects.n : 1, sizeof(*r->items));
	if (!r->items)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < r->objects.n; i++) {
		r->n_items = i + 1;
		if ((rc = prepare_item(r, &r->items[i], &r->objects.items[i], e)) < 0)
			return rc;
	}
	return 0;
}

/* A CRD can be Established a moment before discovery serves its kind: retry for a
 * while with backoff before calling the kind unknown. */
static int resolve_with_retry(struct sync_run *r, struct sync_item *it, struct err *sub)
{
	int64_t deadline = now_ms() + 10000, delay = 100;
	int rc;

	for (;;) {
		err_clear(sub);
		rc = kube_resolve(r->kube, it->obj->api_version, it->obj->kind, &it->res, sub);
		if (rc != TE_NOTFOUND || now_ms() + delay > deadline)
			return rc;
		sleep_for_ms(delay);
		delay = delay * 2 > 1000 ? 1000 : delay * 2;
		kube_invalidate_discovery(r->kube);
	}
}

int prepare_resolve_deferred(struct sync_run *r, struct err *e)
{
	struct err sub;
	int rc;

	bool unknown = false;

	for (size_t i = 0; i < r->n_items; i++)
		unknown = unknown || (r->items[i].deferred && !r->items[i].res);
	if (unknown) /* kinds of the CRDs just applied: discovery again, once */
		kube_invalidate_discovery(r->kube);
	for (size_t i = 0; i < r->n_items; i++) {
		struct sync_item *it = &r->items[i];
		if (!it->deferred || it->res)
			continue;
		rc = resolve_with_retry(r, it, &sub);
		if (rc == TE_NOTFOUND)
			return item_error(e, TE_INPUT, it, sub.msg);
		if (rc < 0)
			return err_set(e, rc, "%s", sub.msg);
	}
	return 0;
}
