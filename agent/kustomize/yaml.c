/*
 * kustomize_yaml: kustomize reads resources and patches with go-yaml v3 (YAML 1.2),
 * where yes/no/on/off/y/n are strings, while manifest_parse follows kubectl's
 * YAML 1.1 and makes them booleans. Numbers read the same in the end (kustomize's
 * output is re-read as YAML 1.1), so only those booleans differ. This pass re-reads
 * the text with libyaml, finds plain scalars spelled that way and turns the booleans
 * manifest_parse made of them back into strings. It only reads; nesting is bounded.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "kustomize_int.h"

#define KY_MAX_PATH 64

struct ky_seg {
	char *key; /* NULL for a sequence element */
	int index;
};

struct ky_fix {
	struct ky_seg path[KY_MAX_PATH];
	int depth;
	char *text;
};

/* One non-empty document: its fixes, and how many objects it yields. */
struct ky_doc {
	struct ky_fix *fixes;
	size_t n, cap;
	bool list; /* kind: List, objects are items */
	int nitems;
};

struct ky {
	yaml_parser_t parser;
	struct ky_seg path[KY_MAX_PATH + 1];
	bool is_map[KY_MAX_PATH + 1];
	bool want_key[KY_MAX_PATH + 1];
	int depth;
	bool kind_next; /* the next root-level scalar is the value of "kind" */
	struct ky_doc *docs;
	size_t ndocs, capdocs;
	bool skip; /* anchors or aliases: positions are ambiguous, leave the document */
};

static bool ky_old_bool(const char *s)
{
	static const char *const words[] = {"y",  "Y",	"yes", "Yes", "YES", "n",   "N",   "no",
					    "No", "NO", "on",  "On",  "ON",  "off", "Off", "OFF"};

	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(s, words[i]) == 0)
			return true;
	return false;
}

static void ky_doc_dispose(struct ky_doc *d)
{
	for (size_t i = 0; i < d->n; i++) {
		for (int j = 0; j < d->fixes[i].depth; j++)
			free(d->fixes[i].path[j].key);
		free(d->fixes[i].text);
	}
	free(d->fixes);
}

static int ky_add_fix(struct ky *y, const char *text)
{
	struct ky_doc *d = &y->docs[y->ndocs - 1];
	struct ky_fix *f;

	if (y->depth > KY_MAX_PATH)
		return 0;
	if (array_reserve(&d->fixes, &d->cap, d->n + 1, sizeof(*d->fixes)) < 0)
		return TE_NOMEM;
	f = &d->fixes[d->n++];
	f->depth = y->depth;
	f->text = xstrdup(text);
	for (int i = 0; i < y->depth; i++) {
		f->path[i].index = y->path[i + 1].index;
		f->path[i].key = xstrdup(y->path[i + 1].key);
	}
	return 0;
}

/* The element at the current level is complete: move to the next key or index. */
static void ky_advance(struct ky *y)
{
	if (y->depth == 0)
		return;
	if (y->is_map[y->depth]) {
		free(y->path[y->depth].key);
		y->path[y->depth].key = NULL;
		y->want_key[y->depth] = true;
	} else {
		y->path[y->depth].index++;
	}
}

static int ky_scalar(struct ky *y, const yaml_event_t *ev)
{
	const char *s = (const char *)ev->data.scalar.value;
	int rc = 0;

	if (y->depth > 0 && y->is_map[y->depth] && y->want_key[y->depth]) {
		y->want_key[y->depth] = false;
		y->path[y->depth].key = xstrdup(s);
		y->kind_next = y->depth == 1 && strcmp(s, "kind") == 0;
		return 0;
	}
	if (y->kind_next && strcmp(s, "List") == 0)
		y->docs[y->ndocs - 1].list = true;
	y->kind_next = false;
	if (ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE && !ev->data.scalar.tag &&
	    ky_old_bool(s))
		rc = ky_add_fix(y, s);
	ky_advance(y);
	return rc;
}

static int ky_open(struct ky *y, bool map)
{
	if (y->depth == 2 && !y->is_map[2] && y->is_map[1] && y->path[1].key &&
	    strcmp(y->path[1].key, "items") == 0)
		y->docs[y->ndocs - 1].nitems++;
	if (y->depth == 1 && !map && y->path[1].key && strcmp(y->path[1].key, "items") == 0)
		y->docs[y->ndocs - 1].nitems = 0;
	if (++y->depth > KY_MAX_PATH)
		return 0;
	y->is_map[y->depth] = map;
	y->want_key[y->depth] = map;
	y->path[y->depth].key = NULL;
	y->path[y->depth].index = 0;
	return 0;
}

static void ky_close(struct ky *y)
{
	if (y->depth <= KY_MAX_PATH)
		free(y->path[y->depth].key), y->path[y->depth].key = NULL;
	y->depth--;
	ky_advance(y);
}

static int ky_new_doc(struct ky *y)
{
	if (array_reserve(&y->docs, &y->capdocs, y->ndocs + 1, sizeof(*y->docs)) < 0)
		return TE_NOMEM;
	memset(&y->docs[y->ndocs++], 0, sizeof(*y->docs));
	return 0;
}

/* A top-level scalar that makes the document empty: "", "~" or "null". */
static bool ky_null_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	return !*v || !strcmp(v, "~") || !strcmp(v, "null");
}

static bool ky_has_anchor(const yaml_event_t *ev)
{
	if (ev->type == YAML_SCALAR_EVENT)
		return ev->data.scalar.anchor != NULL;
	if (ev->type == YAML_MAPPING_START_EVENT)
		return ev->data.mapping_start.anchor != NULL;
	if (ev->type == YAML_SEQUENCE_START_EVENT)
		return ev->data.sequence_start.anchor != NULL;
	return false;
}

/* One event of the scan; *empty: the current document has held nothing yet. */
static int ky_event(struct ky *y, yaml_event_t *ev, bool *empty)
{
	yaml_event_type_t t = ev->type;

	/* Anchors and aliases share nodes: the positions no longer say which object. */
	if (ky_has_anchor(ev) || t == YAML_ALIAS_EVENT)
		y->skip = true;
	switch (t) {
	case YAML_DOCUMENT_START_EVENT:
		*empty = true;
		return ky_new_doc(y);
	case YAML_DOCUMENT_END_EVENT:
		if (*empty)
			ky_doc_dispose(&y->docs[--y->ndocs]); /* skipped, as manifest_parse does */
		return 0;
	case YAML_SCALAR_EVENT:
		if (y->depth != 0 || !ky_null_scalar(ev))
			*empty = false;
		return ky_scalar(y, ev);
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		*empty = false;
		return ky_open(y, t == YAML_MAPPING_START_EVENT);
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		ky_close(y);
		return 0;
	case YAML_ALIAS_EVENT:
		ky_advance(y);
		return 0;
	default:
		return 0;
	}
}

/* Collects the fixes of every document; a libyaml error just stops the pass (the
 * real parser has reported it already). */
static int ky_scan(struct ky *y)
{
	yaml_event_t ev;
	int rc = 0;
	bool empty = true, end = false;

	while (rc == 0 && !end && yaml_parser_parse(&y->parser, &ev)) {
		rc = ky_event(y, &ev, &empty);
		end = ev.type == YAML_STREAM_END_EVENT;
		yaml_event_delete(&ev);
	}
	return rc;
}

/* Follows path in obj from segment from; turns a boolean leaf into text. */
static void ky_apply(cJSON *obj, const struct ky_fix *f, int from)
{
	cJSON *cur = obj, *parent = NULL, *s;

	for (int i = from; i < f->depth && cur; i++) {
		parent = cur;
		cur = f->path[i].key ? cJSON_GetObjectItemCaseSensitive(cur, f->path[i].key)
				     : cJSON_GetArrayItem(cur, f->path[i].index);
	}
	if (!parent || !cJSON_IsBool(cur) || !(s = cJSON_CreateString(f->text)))
		return;
	/* Replacing via the pointer keeps the position but not the key: copy it. */
	if (cur->string && !(s->string = xstrdup(cur->string))) {
		cJSON_Delete(s);
		return;
	}
	if (!cJSON_ReplaceItemViaPointer(parent, cur, s))
		cJSON_Delete(s);
}

/* How many objects manifest_parse made of the document. */
static size_t ky_doc_objects(const struct ky_doc *doc)
{
	return doc->list ? (size_t)doc->nitems : 1;
}

/* A fix inside items[k] of a List of n items: path items/k/... */
static bool ky_in_item(const struct ky_fix *f, size_t n)
{
	return f->depth >= 2 && f->path[0].key && !strcmp(f->path[0].key, "items") &&
	       !f->path[1].key && (size_t)f->path[1].index < n;
}

/* Applies the fixes of one document to its objects, ra->items[r..]. */
static void ky_apply_doc(const struct ky_doc *doc, struct ks_set *ra, size_t r)
{
	size_t n = ky_doc_objects(doc);

	for (size_t i = 0; i < doc->n && r < ra->n; i++) {
		const struct ky_fix *f = &doc->fixes[i];

		if (!doc->list)
			ky_apply(ra->items[r].body, f, 0);
		else if (ky_in_item(f, n) && r + f->path[1].index < ra->n)
			ky_apply(ra->items[r + f->path[1].index].body, f, 2);
	}
}

static void ky_dispose(struct ky *y)
{
	for (size_t d = 0; d < y->ndocs; d++)
		ky_doc_dispose(&y->docs[d]);
	free(y->docs);
	for (int i = 0; i <= KY_MAX_PATH; i++)
		free(y->path[i].key);
	yaml_parser_delete(&y->parser);
}

int ks_yaml12_fix(struct ks_set *ra, size_t first, const char *data, size_t len)
{
	struct ky y;
	size_t r = first;
	int rc;

	memset(&y, 0, sizeof(y));
	if (!yaml_parser_initialize(&y.parser))
		return TE_NOMEM;
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)data, len);
	rc = ky_scan(&y);
	/* Only when the documents line up with the objects manifest_parse made. */
	for (size_t d = 0; d < y.ndocs; d++)
		r += ky_doc_objects(&y.docs[d]);
	if (r != ra->n)
		y.skip = true;
	r = first;
	for (size_t d = 0; d < y.ndocs && rc == 0 && !y.skip; d++) {
		ky_apply_doc(&y.docs[d], ra, r);
		r += ky_doc_objects(&y.docs[d]);
	}
	ky_dispose(&y);
	return rc;
}
