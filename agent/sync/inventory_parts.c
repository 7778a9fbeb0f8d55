/*
 * inventory_parts: an inventory larger than one ConfigMap. The text is cut at line
 * boundaries into pieces of at most INVENTORY_MAX_BYTES. The first stays in the head
 * (tether-inventory-<app>, as for every small app); each further piece is a part,
 * a ConfigMap named by its content (tether-inventory-<app>-<16 hex of its SHA-256>,
 * label tether.dev/inventory-part=<app>), and the head lists the parts' names in
 * data.parts. The head is the one atomic switch:
 *   1. the parts the head will name are created (a name is its content: an existing
 *      one is already right and is not written again);
 *   2. the head is written: from here on it names only parts that exist;
 *   3. parts the head does not name (the previous head's, or those of a write that
 *      stopped before step 2) are deleted.
 * A crash anywhere leaves the previous head with all of its parts, or the new one with
 * all of its parts: membership is never lost, and prune never trusts a part that no
 * head names. Reading checks each part's content against its name.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "jsonpick.h"
#include "sync_int.h"

#define PARTS_KEY "parts"

/* What a LIST keeps of each item (jsonpick.h): its name. */
static const struct json_pick name_only[] = {{"name", NULL}, {NULL, NULL}};
static const struct json_pick name_pick[] = {{"metadata", name_only}, {NULL, NULL}};

char *inventory_part_name(const char *app, const char *text)
{
	char h[17];

	sync_hash_text(text, h);
	return xasprintf(SYNC_INVENTORY_PREFIX "%s-%s", app, h);
}

/* The length of the next piece of text: whole lines, at most max bytes (a single line
 * longer than max cannot be: names are bounded). */
static size_t piece_len(const char *text, size_t len, size_t max)
{
	size_t end = 0;

	if (len <= max)
		return len;
	for (size_t i = 0; i < max; i++)
		if (text[i] == '\n')
			end = i + 1;
	return end ? end : len;
}

int inventory_split(const char *text, size_t len, size_t max, struct strlist *pieces)
{
	while (len) {
		size_t n = piece_len(text, len, max);
		char *p = strndup(text, n);

		if (!p || strlist_add_owned(pieces, p) < 0)
			return TE_NOMEM;
		text += n, len -= n;
	}
	return 0;
}

int inventory_parts_of(const cJSON *head, struct strlist *parts, struct err *e)
{
	const char *text = json_str(head, "data", PARTS_KEY, NULL);
	char *copy = xstrdup(text), *line, *save = NULL;
	int rc = 0;

	if (!text)
		return 0;
	if (!copy)
		return err_set(e, TE_NOMEM, "inventory: out of memory");
	for (line = strtok_r(copy, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save))
		rc = strlist_add(parts, line);
	free(copy);
	return rc < 0 ? err_set(e, rc, "inventory: out of memory") : 0;
}

/* One part as read: present, named by its content, decoded into inv. */
static int take_part(struct inventory *inv, const char *app, const char *ns,
		     const struct kube_list_q *q, struct err *e)
{
	const char *text = json_str(q->out, "data", "objects", NULL);
	char *want;
	int rc;

	if (q->rc == TE_NOTFOUND)
		return err_set(e, TE_INPUT,
			       "inventory part %s/%s is missing (deleted by hand?): the app's "
			       "membership is incomplete, so nothing is applied or pruned; "
			       "delete %s/" SYNC_INVENTORY_PREFIX "%s to start again (objects "
			       "are then adopted, and none is pruned on that sync)",
			       ns, q->name, ns, app);
	if (q->rc < 0)
		return err_set(e, q->rc, "read inventory part %s/%s: %s", ns, q->name, q->err.msg);
	want = inventory_part_name(app, text ? text : "");
	rc = want && !strcmp(want, q->name) ? 0 : TE_INPUT;
	free(want);
	if (rc < 0)
		return err_set(e, TE_INPUT,
			       "inventory part %s/%s does not hold what its name says (edited "
			       "by hand?): nothing is applied or pruned",
			       ns, q->name);
	return inventory_decode(inv, text, e);
}

int inventory_read_parts(struct kube *k, struct inventory *inv, const char *app, const char *ns,
			 struct err *e)
{
	const struct kube_resource *cm;
	struct kube_list_q *qs;
	int rc;

	if (!inv->parts.n)
		return 0;
	if ((rc = kube_resolve(k, "v1", "ConfigMap", &cm, e)) < 0)
		return rc;
	if (!(qs = calloc(inv->parts.n, sizeof(*qs))))
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < inv->parts.n; i++)
		qs[i] = (struct kube_list_q){.res = cm, .ns = ns, .name = inv->parts.items[i]};
	kube_list_many(k, qs, inv->parts.n);
	for (size_t i = 0; i < inv->parts.n; i++) {
		if (rc == 0)
			rc = take_part(inv, app, ns, &qs[i], e);
		cJSON_Delete(qs[i].out);
	}
	free(qs);
	return rc;
}

/* The part ConfigMap of one piece. */
static cJSON *part_configmap(const char *app, const char *ns, const char *name, const char *text)
{
	cJSON *cm = cJSON_CreateObject(), *m, *l, *d;

	if (!cm || !cJSON_AddStringToObject(cm, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(cm, "kind", "ConfigMap") ||
	    !(m = cJSON_AddObjectToObject(cm, "metadata")) ||
	    !cJSON_AddStringToObject(m, "name", name) || !cJSON_AddStringToObject(m, "namespace", ns) ||
	    !(l = cJSON_AddObjectToObject(m, "labels")) ||
	    !cJSON_AddStringToObject(l, SYNC_LABEL_MANAGED_BY, "tether") ||
	    !cJSON_AddStringToObject(l, SYNC_INVENTORY_PART_LABEL, app) ||
	    !(d = cJSON_AddObjectToObject(cm, "data")) || !cJSON_AddStringToObject(d, "objects", text)) {
		cJSON_Delete(cm);
		return NULL;
	}
	return cm;
}

int inventory_write_parts(struct kube *k, const struct kube_resource *cm, const char *app,
			  const char *ns, const struct strlist *pieces, const struct strlist *names,
			  const struct strlist *existing, struct err *e)
{
	struct kube_apply_opts o = {SYNC_FIELD_MANAGER, true, false};
	int rc = 0;

	for (size_t i = 0; i < names->n && rc == 0; i++) {
		cJSON *obj, *out = NULL;

		if (strlist_contains(existing, names->items[i]))
			continue; /* named by its content: already right */
		if (!(obj = part_configmap(app, ns, names->items[i], pieces->items[i + 1])))
			return err_set(e, TE_NOMEM, "out of memory");
		if ((rc = kube_apply(k, cm, ns, obj, &o, &out, e)) < 0)
			err_prefix(e, "write inventory part %s/%s", ns, names->items[i]);
		cJSON_Delete(obj);
		cJSON_Delete(out);
	}
	return rc;
}

int inventory_drop_parts(struct kube *k, const struct kube_resource *cm, const char *app,
			 const char *ns, const struct strlist *keep, bool must, struct err *e)
{
	char *sel = xasprintf(SYNC_INVENTORY_PART_LABEL "=%s", app);
	struct kube_list_q q = {.res = cm, .ns = ns, .selector = sel, .pick = name_pick};
	const cJSON *it;
	int rc;

	if (!sel)
		return err_set(e, TE_NOMEM, "out of memory");
	kube_list_many(k, &q, 1);
	free(sel);
	/* An identity that may not list ConfigMaps there has never had parts to drop
	 * unless this app has some now or had before. */
	if ((rc = q.rc) < 0 && q.status == 403 && !must)
		rc = 0;
	else if (rc < 0)
		err_set(e, rc, "list inventory parts in %s: %s", ns, q.err.msg);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(q.out, "items"))
	{
		const char *name = json_str(it, "metadata", "name", NULL);

		if (rc < 0 || !name || strlist_contains(keep, name))
			continue;
		if ((rc = kube_delete(k, cm, ns, name, e)) == TE_NOTFOUND)
			rc = 0;
		if (rc < 0)
			err_prefix(e, "delete inventory part %s/%s", ns, name);
	}
	cJSON_Delete(q.out);
	return rc;
}
