/*
 * parts: a text larger than one ConfigMap (include/sync.h, struct text_parts): the
 * inventory's and the history's. The text is cut into pieces of at most max bytes (at
 * line boundaries for line-oriented texts, else at character boundaries). The first
 * piece stays in the head (prefix<app>, as for every small app); each further piece
 * is a part, a ConfigMap named by its content (prefix<app>-<16 hex of its SHA-256>,
 * label <label>=<app>), and the head lists the parts' names in data.parts. The head
 * is the one atomic switch:
 *   1. the parts the head will name are created (a name is its content: an existing
 *      one is already right and is not written again);
 *   2. the head is written: from here on it names only parts that exist;
 *   3. parts the head does not name (the previous head's, or those of a write that
 *      stopped before step 2) are deleted.
 * A crash anywhere leaves the previous head with all of its parts, or the new one with
 * all of its parts: nothing is lost, and no reader trusts a part that no head names.
 * Reading checks each part's content against its name.
 * Memory: the pieces are spans of the caller's one text, never copies of it; a part or
 * the head is printed from a span and its tree freed before it is sent, and nothing of
 * the server's answer is kept, so a write holds the text and one piece's body at once.
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

/* The part that holds the len bytes at text (owned). */
static char *piece_name(const struct text_parts *t, const char *app, const char *text, size_t len)
{
	char full[65];

	sha256_hex(text, len, full);
	return xasprintf("%s%s-%.16s", t->prefix, app, full);
}

char *parts_name(const struct text_parts *t, const char *app, const char *text)
{
	return piece_name(t, app, text ? text : "", text ? strlen(text) : 0);
}

/* The length of the next piece of text, at most max bytes: whole lines for a
 * line-oriented text (a single line longer than max cannot be: names are bounded),
 * else whole UTF-8 characters. */
static size_t piece_len(const struct text_parts *t, const char *text, size_t len, size_t max)
{
	size_t end = 0;

	if (len <= max)
		return len;
	if (!t->lines) {
		end = max;
		while (end > 0 && ((unsigned char)text[end] & 0xc0) == 0x80)
			end--; /* not inside a character */
		return end ? end : max;
	}
	for (size_t i = 0; i < max; i++)
		if (text[i] == '\n')
			end = i + 1;
	return end ? end : len;
}

int parts_split(const struct text_parts *t, const char *text, size_t len, size_t max,
		struct text_pieces *pieces)
{
	while (len) {
		size_t n = piece_len(t, text, len, max);

		if (array_reserve(&pieces->items, &pieces->cap, pieces->n + 1,
				  sizeof(*pieces->items)) < 0)
			return TE_NOMEM;
		pieces->items[pieces->n++] = (struct text_piece){text, n};
		text += n, len -= n;
	}
	return 0;
}

void text_pieces_dispose(struct text_pieces *pieces)
{
	free(pieces->items);
	memset(pieces, 0, sizeof(*pieces));
}

/* A span as a string: the text itself where the span ends it (a text of one piece),
 * else a copy into *copy (owned), for as long as a tree that borrows it is printed. */
static const char *piece_str(const struct text_piece *p, const char *end, char **copy)
{
	*copy = NULL;
	if (p->text + p->len == end && !*end)
		return p->text;
	if (!(*copy = malloc(p->len + 1)))
		return NULL;
	memcpy(*copy, p->text, p->len);
	(*copy)[p->len] = '\0';
	return *copy;
}

/* Sets data[key] of obj to str, borrowed (not copied): obj must be freed first. */
static int borrow_into(cJSON *obj, const char *key, const char *str)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(obj, "data");
	cJSON *v = str ? cJSON_CreateStringReference(str) : NULL;

	if (!cJSON_IsObject(data) || !v) {
		cJSON_Delete(v);
		return TE_NOMEM;
	}
	cJSON_DeleteItemFromObjectCaseSensitive(data, key);
	cJSON_AddItemToObject(data, key, v);
	return 0;
}

/* Applies obj, keeping nothing of the answer; obj and copy (the text obj borrows, may be
 * NULL) are taken: freed as soon as obj is printed, before it is sent. */
static int apply_taken(struct kube *k, const struct kube_resource *cm, const char *ns,
		       cJSON *obj, char *copy, struct err *e)
{
	struct kube_apply_opts o = {SYNC_FIELD_MANAGER, true, false};
	char *name = xstrdup(json_str(obj, "metadata", "name", NULL));
	char *body = obj ? cJSON_PrintUnformatted(obj) : NULL;
	int rc;

	cJSON_Delete(obj);
	free(copy);
	if (!name || !body) {
		free(body);
		rc = err_set(e, TE_NOMEM, "out of memory");
	} else {
		rc = kube_apply_text(k, cm, ns, name, body, &o, e); /* takes body */
	}
	free(name);
	return rc;
}

int parts_of(const cJSON *head, struct strlist *parts, struct err *e)
{
	const char *text = json_str(head, "data", PARTS_KEY, NULL);
	char *copy = xstrdup(text), *line, *save = NULL;
	int rc = 0;

	if (!text)
		return 0;
	if (!copy)
		return err_set(e, TE_NOMEM, "out of memory");
	for (line = strtok_r(copy, "\n", &save); line && rc == 0; line = strtok_r(NULL, "\n", &save))
		rc = strlist_add(parts, line);
	free(copy);
	return rc < 0 ? err_set(e, rc, "out of memory") : 0;
}

int parts_list_in(cJSON *head, const struct strlist *parts)
{
	cJSON *data = cJSON_GetObjectItemCaseSensitive(head, "data");
	struct buf names;
	int rc = 0;

	if (!parts->n)
		return 0;
	buf_init(&names, 0);
	for (size_t i = 0; i < parts->n && rc == 0; i++)
		rc = buf_printf(&names, "%s\n", parts->items[i]);
	if (rc == 0 && (!data || !cJSON_AddStringToObject(data, PARTS_KEY, names.data)))
		rc = TE_NOMEM;
	buf_dispose(&names);
	return rc;
}

/* One part as read: present and named by its content; its text into texts. */
static int take_part(const struct text_parts *t, const char *app, const char *ns,
		     const struct kube_list_q *q, struct strlist *texts, struct err *e)
{
	const char *text = json_str(q->out, "data", t->key, NULL);
	char *want;
	int rc;

	if (q->rc == TE_NOTFOUND)
		return err_set(e, TE_NOTFOUND, "%s part %s/%s is missing (deleted by hand?)",
			       t->what, ns, q->name);
	if (q->rc < 0)
		return err_set(e, q->rc, "read %s part %s/%s: %s", t->what, ns, q->name,
			       q->err.msg);
	want = parts_name(t, app, text ? text : "");
	rc = want && !strcmp(want, q->name) ? 0 : TE_INPUT;
	free(want);
	if (rc < 0)
		return err_set(e, TE_INPUT,
			       "%s part %s/%s does not hold what its name says (edited by hand?)",
			       t->what, ns, q->name);
	return strlist_add(texts, text ? text : "") < 0 ? err_set(e, TE_NOMEM, "out of memory") : 0;
}

int parts_read(struct kube *k, const struct text_parts *t, const char *app, const char *ns,
	       const struct strlist *names, struct strlist *texts, struct err *e)
{
	const struct kube_resource *cm;
	struct kube_list_q *qs;
	int rc;

	if (!names->n)
		return 0;
	if ((rc = kube_resolve(k, "v1", "ConfigMap", &cm, e)) < 0)
		return rc;
	if (!(qs = calloc(names->n, sizeof(*qs))))
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < names->n; i++)
		qs[i] = (struct kube_list_q){.res = cm, .ns = ns, .name = names->items[i]};
	kube_list_many(k, qs, names->n);
	for (size_t i = 0; i < names->n; i++) {
		if (rc == 0)
			rc = take_part(t, app, ns, &qs[i], texts, e);
		cJSON_Delete(qs[i].out);
	}
	free(qs);
	return rc;
}

/* The part ConfigMap of one piece, borrowing text. */
static cJSON *part_configmap(const struct text_parts *t, const char *app, const char *ns,
			     const char *name, const char *text)
{
	cJSON *cm = cJSON_CreateObject(), *m, *l;

	if (!cm || !cJSON_AddStringToObject(cm, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(cm, "kind", "ConfigMap") ||
	    !(m = cJSON_AddObjectToObject(cm, "metadata")) ||
	    !cJSON_AddStringToObject(m, "name", name) || !cJSON_AddStringToObject(m, "namespace", ns) ||
	    !(l = cJSON_AddObjectToObject(m, "labels")) ||
	    !cJSON_AddStringToObject(l, SYNC_LABEL_MANAGED_BY, "tether") ||
	    !cJSON_AddStringToObject(l, t->label, app) || !cJSON_AddObjectToObject(cm, "data") ||
	    borrow_into(cm, t->key, text) < 0) {
		cJSON_Delete(cm);
		return NULL;
	}
	return cm;
}

/* Creates part names[i] holding pieces[i + 1], except those the previous head named. */
static int write_parts(struct kube *k, const struct kube_resource *cm, const struct parts_save *s,
		       const struct text_pieces *pieces, const struct strlist *names,
		       struct err *e)
{
	const struct text_parts *t = s->parts;
	int rc = 0;

	for (size_t i = 0; i < names->n && rc == 0; i++) {
		char *copy;
		const char *text;
		cJSON *obj;

		if (strlist_contains(s->before, names->items[i]))
			continue; /* named by its content: already right */
		text = piece_str(&pieces->items[i + 1], s->text + s->len, &copy);
		obj = text ? part_configmap(t, s->app, s->ns, names->items[i], text) : NULL;
		if (!obj) {
			free(copy);
			return err_set(e, TE_NOMEM, "out of memory");
		}
		if ((rc = apply_taken(k, cm, s->ns, obj, copy, e)) < 0)
			err_prefix(e, "write %s part %s/%s", t->what, s->ns, names->items[i]);
	}
	return rc;
}

int parts_drop(struct kube *k, const struct kube_resource *cm, const struct text_parts *t,
	       const char *app, const char *ns, const struct strlist *keep, bool must,
	       struct err *e)
{
	char *sel = xasprintf("%s=%s", t->label, app);
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
		err_set(e, rc, "list %s parts in %s: %s", t->what, ns, q.err.msg);
	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(q.out, "items"))
	{
		const char *name = json_str(it, "metadata", "name", NULL);

		if (rc < 0 || !name || strlist_contains(keep, name))
			continue;
		if ((rc = kube_delete(k, cm, ns, name, e)) == TE_NOTFOUND)
			rc = 0;
		if (rc < 0)
			err_prefix(e, "delete %s part %s/%s", t->what, ns, name);
	}
	cJSON_Delete(q.out);
	return rc;
}

/* The head, holding the first piece (borrowed) and listing names. */
static int make_head(const struct parts_save *s, const struct text_pieces *pieces,
		     const struct strlist *names, cJSON **head, char **copy, struct err *e)
{
	const char *first = "";
	int rc;

	*copy = NULL;
	if ((rc = s->head(s->ctx, "", names, head, e)) < 0 || !pieces->n)
		return rc;
	if (!(first = piece_str(&pieces->items[0], s->text + s->len, copy)) ||
	    borrow_into(*head, s->parts->key, first) < 0)
		return err_set(e, TE_NOMEM, "%s: out of memory", s->parts->what);
	return 0;
}

int parts_save(struct kube *k, const struct kube_resource *cm, const struct parts_save *s,
	       struct strlist *names, struct err *e)
{
	const struct text_parts *t = s->parts;
	struct text_pieces pieces = {0};
	cJSON *head = NULL;
	char *copy = NULL;
	int rc;

	if ((rc = parts_split(t, s->text, s->len, s->max, &pieces)) < 0) {
		err_set(e, rc, "%s: out of memory", t->what);
		goto out;
	}
	for (size_t i = 1; i < pieces.n; i++)
		if ((rc = strlist_add_owned(names, piece_name(t, s->app, pieces.items[i].text,
							      pieces.items[i].len))) < 0) {
			err_set(e, rc, "%s: out of memory", t->what);
			goto out;
		}
	if ((rc = write_parts(k, cm, s, &pieces, names, e)) < 0 ||
	    (rc = make_head(s, &pieces, names, &head, &copy, e)) < 0)
		goto out;
	rc = apply_taken(k, cm, s->ns, head, copy, e);
	head = NULL;
	copy = NULL;
	if (rc < 0) {
		err_prefix(e, "write %s %s/%s%s", t->what, s->ns, t->prefix, s->app);
		goto out;
	}
	if (names->n || s->before->n || s->always_drop)
		rc = parts_drop(k, cm, t, s->app, s->ns, names, names->n || s->before->n, e);
out:
	text_pieces_dispose(&pieces);
	cJSON_Delete(head);
	free(copy);
	return rc;
}
