/*
 * read: libyaml's event stream to cJSON, one document at a time, keeping where each
 * container started (every node, in YAML_TEXT mode) so errors can name file:line:col.
 * The input is untrusted, so this bounds nesting depth and the nodes produced through
 * aliases (a "billion laughs" file fails after YAML_MAX_ALIAS_NODES copies instead of
 * eating memory), counts documents and nodes per file as they stream (stopping at the
 * first one over YAML_MAX_DOCS or YAML_MAX_NODES, before it is built), and rejects
 * duplicate keys as go-yaml does. It must not know about Kubernetes.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "jsonedit.h"
#include "yaml_int.h"
#include "yamlread.h"

struct frame {
	cJSON *node;
	char *key; /* pending key of a mapping, NULL when a key comes next */
	bool key_merge;
	int key_line, key_col;
	char *anchor;
	size_t count_start;
	yaml_mark_t start;
	struct keyset keys;
};

struct anchor {
	char *name;
	const cJSON *node;
	size_t count; /* nodes in the subtree, aliases expanded */
};

struct builder {
	const char *file;
	struct frame *stack;
	size_t depth, stack_cap;
	struct anchor *anchors;
	size_t nanchors, anchors_cap;
	cJSON *orphans; /* anchored nodes the tree does not hold (merge sources, keys) */
	size_t count, alias_count;
	size_t ndocs, nodes; /* per file, never reset */
	struct yaml_doc doc;
	struct err *e;
	bool json; /* the file is JSON: kubectl reads its numbers with a JSON decoder */
	bool text; /* YAML_TEXT */
};

/* Positions are kept for the root, a List's items array and the items. */
#define POS_DEPTH 3

static int b_error(struct builder *b, const yaml_mark_t *m, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int b_error(struct builder *b, const yaml_mark_t *m, int code, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return err_set(b->e, code, "%s:%zu:%zu: %s", b->file, m->line + 1, m->column + 1, msg);
}

/* Counts n more nodes (aliases expanded) against the per-file bound. */
static int count_nodes(struct builder *b, const yaml_mark_t *m, size_t n)
{
	b->count += n;
	b->nodes += n;
	if (b->nodes > YAML_MAX_NODES)
		return b_error(b, m, TE_INPUT, "more than %d nodes in one file",
			       YAML_MAX_NODES);
	return 0;
}

static void doc_reset(struct builder *b)
{
	while (b->depth) {
		struct frame *f = &b->stack[--b->depth];
		cJSON_Delete(f->node);
		free(f->key);
		free(f->anchor);
		keyset_dispose(&f->keys);
	}
	for (size_t i = 0; i < b->nanchors; i++)
		free(b->anchors[i].name);
	b->nanchors = 0;
	cJSON_Delete(b->orphans);
	b->orphans = NULL;
	cJSON_Delete(b->doc.root);
	b->doc.root = NULL;
	b->doc.npos = 0;
	b->doc.cursor = 0;
	b->doc.line = b->doc.col = 1;
	/* alias_count is not reset: the limit is per file, or a stream of small bombs
	 * would add up to a big one. */
	b->count = 0;
}

static int document_start(struct builder *b, const yaml_event_t *ev)
{
	doc_reset(b);
	if (++b->ndocs > YAML_MAX_DOCS)
		return b_error(b, &ev->start_mark, TE_INPUT, "more than %d documents in one file",
			       YAML_MAX_DOCS);
	return 0;
}

/* Keeps where node starts and, for a mapping's value, where its key does (f). */
static int remember_pos(struct builder *b, const cJSON *node, const yaml_mark_t *m,
			const struct frame *f)
{
	struct yaml_pos *p;

	if (array_reserve(&b->doc.pos, &b->doc.cap, b->doc.npos + 1, sizeof(*p)) < 0)
		return err_set(b->e, TE_NOMEM, "out of memory");
	p = &b->doc.pos[b->doc.npos++];
	*p = (struct yaml_pos){
	    .node = node,
	    .line = (int)m->line + 1,
	    .col = (int)m->column + 1,
	    .key_line = f ? f->key_line : 0,
	    .key_col = f ? f->key_col : 0,
	};
	return 0;
}

static int add_anchor(struct builder *b, const char *name, const cJSON *node, size_t count)
{
	if (array_reserve(&b->anchors, &b->anchors_cap, b->nanchors + 1, sizeof(*b->anchors)) < 0)
		return err_set(b->e, TE_NOMEM, "out of memory");
	b->anchors[b->nanchors].name = strdup(name);
	if (!b->anchors[b->nanchors].name)
		return err_set(b->e, TE_NOMEM, "out of memory");
	b->anchors[b->nanchors].node = node;
	b->anchors[b->nanchors].count = count;
	b->nanchors++;
	return 0;
}

static const struct anchor *find_anchor(struct builder *b, const char *name)
{
	/* A redefined anchor means its latest definition. */
	for (size_t i = b->nanchors; i-- > 0;)
		if (strcmp(b->anchors[i].name, name) == 0)
			return &b->anchors[i];
	return NULL;
}

static int keep_orphan(struct builder *b, cJSON *node)
{
	if (!b->orphans && !(b->orphans = cJSON_CreateArray())) {
		cJSON_Delete(node);
		return err_set(b->e, TE_NOMEM, "out of memory");
	}
	if (json_array_append(b->orphans, node) < 0)
		return err_set(b->e, TE_NOMEM, "out of memory");
	return 0;
}

static void format_number(double d, char *out, size_t n)
{
	if (d == (double)(long long)d && d > -1e15 && d < 1e15)
		snprintf(out, n, "%lld", (long long)d);
	else
		snprintf(out, n, "%.17g", d);
}

/* Resolves a scalar's tag and text (scalar.c); *decoded holds a !!binary's text. */
static int scalar_value(struct builder *b, const yaml_event_t *ev, const char *what, struct yval *v,
			char **decoded)
{
	const char *s = (const char *)ev->data.scalar.value;
	char msg[512];
	int rc;

	if (strlen(s) != ev->data.scalar.length)
		return b_error(b, &ev->start_mark, TE_INPUT, "NUL character in a %s", what);
	rc = scalar_resolve((const char *)ev->data.scalar.tag, s,
			    ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE, b->json, v, decoded,
			    msg, sizeof(msg));
	if (rc == TE_NOMEM)
		return err_set(b->e, TE_NOMEM, "out of memory");
	if (rc < 0)
		return b_error(b, &ev->start_mark, rc, "%s", msg);
	return 0;
}

static cJSON *scalar_node(struct builder *b, const yaml_event_t *ev)
{
	char *decoded = NULL;
	struct yval v;
	cJSON *out;

	if (b->text)
		return cJSON_CreateString((const char *)ev->data.scalar.value);
	if (scalar_value(b, ev, "string", &v, &decoded) < 0)
		return NULL;
	switch (v.type) {
	case YV_NULL:
		return cJSON_CreateNull();
	case YV_BOOL:
		return cJSON_CreateBool(v.b);
	case YV_NUM:
		return cJSON_CreateNumber(v.d);
	case YV_INFNAN:
		b_error(b, &ev->start_mark, TE_INPUT, "%s cannot be represented in JSON",
			(const char *)ev->data.scalar.value);
		return NULL;
	default:
		out = cJSON_CreateString(decoded ? decoded : (const char *)ev->data.scalar.value);
		free(decoded);
		return out;
	}
}

/* Keys become strings the way sigs.k8s.io/yaml does it (`on:` is the key "true"). */
static int scalar_key(struct builder *b, const yaml_event_t *ev, struct frame *f)
{
	const char *s = (const char *)ev->data.scalar.value;
	char *decoded = NULL;
	struct yval v;
	char num[64];
	int rc;

	if (b->text)
		v = (struct yval){.type = YV_STR};
	else if ((rc = scalar_value(b, ev, "key", &v, &decoded)) < 0)
		return rc;
	if (v.type == YV_NULL || v.type == YV_INFNAN) {
		free(decoded);
		return b_error(b, &ev->start_mark, TE_INPUT, "mapping key \"%s\" is not a string",
			       s);
	}
	if (v.type == YV_BOOL)
		s = v.b ? "true" : "false";
	else if (v.type == YV_NUM)
		format_number(v.d, num, sizeof(num)), s = num;
	f->key = decoded ? decoded : strdup(s);
	if (!f->key)
		return err_set(b->e, TE_NOMEM, "out of memory");
	f->key_merge = v.type == YV_MERGE;
	f->key_line = (int)ev->start_mark.line + 1;
	f->key_col = (int)ev->start_mark.column + 1;
	if (ev->data.scalar.anchor) {
		cJSON *k = cJSON_CreateString(f->key);
		if (!k || keep_orphan(b, k) < 0)
			return err_set(b->e, TE_NOMEM, "out of memory");
		return add_anchor(b, (const char *)ev->data.scalar.anchor, k, 1);
	}
	return 0;
}

static int merge_one(struct builder *b, struct frame *f, const cJSON *src)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, src)
	{
		cJSON *dup;

		if (keyset_find(&f->keys, c->string))
			continue; /* explicit keys and earlier merges win */
		dup = cJSON_Duplicate(c, 1);
		if (!dup || !keyset_add(&f->keys, c->string, f->key_line, true)) {
			cJSON_Delete(dup);
			return err_set(b->e, TE_NOMEM, "out of memory");
		}
		if (json_object_add(f->node, c->string, dup) < 0)
			return err_set(b->e, TE_NOMEM, "out of memory");
	}
	return 0;
}

static int attach_merge(struct builder *b, struct frame *f, cJSON *src)
{
	yaml_mark_t m = {0, (size_t)f->key_line - 1, (size_t)f->key_col - 1};
	const cJSON *c;
	int rc = 0;

	if (cJSON_IsObject(src)) {
		rc = merge_one(b, f, src);
	} else if (cJSON_IsArray(src)) {
		cJSON_ArrayForEach(c, src)
		{
			if (!cJSON_IsObject(c)) {
				rc = b_error(b, &m, TE_INPUT,
					     "<< needs a mapping or a list of mappings");
				break;
			}
			if ((rc = merge_one(b, f, c)) < 0)
				break;
		}
	} else {
		rc = b_error(b, &m, TE_INPUT, "<< needs a mapping or a list of mappings");
	}
	/* Anchors may point into src: keep it until the document ends. */
	if (keep_orphan(b, src) < 0 && rc == 0)
		rc = TE_NOMEM;
	return rc;
}

static int attach_key(struct builder *b, struct frame *f, cJSON *node)
{
	struct keyset_entry *k = b->text ? NULL : keyset_find(&f->keys, f->key);
	yaml_mark_t m = {0, (size_t)f->key_line - 1, (size_t)f->key_col - 1};

	if (b->text) /* duplicates are the caller's to judge */
		return json_object_add(f->node, f->key, node) < 0
			   ? err_set(b->e, TE_NOMEM, "out of memory")
			   : 0;
	if (k && !k->merged) {
		cJSON_Delete(node);
		return b_error(b, &m, TE_INPUT, "duplicate key \"%s\" (first at line %d)", f->key,
			       k->line);
	}
	if (k) {
		if (json_object_set(f->node, f->key, node) < 0)
			return err_set(b->e, TE_NOMEM, "out of memory");
		k->merged = false;
		k->line = f->key_line;
		return 0;
	}
	if (!keyset_add(&f->keys, f->key, f->key_line, false)) {
		cJSON_Delete(node);
		return err_set(b->e, TE_NOMEM, "out of memory");
	}
	if (json_object_add(f->node, f->key, node) < 0)
		return err_set(b->e, TE_NOMEM, "out of memory");
	return 0;
}

/* Hands a finished node to its parent (or makes it the document's root). */
static int attach(struct builder *b, cJSON *node, const yaml_mark_t *m)
{
	struct frame *f;
	int rc;

	if (!b->depth) {
		b->doc.root = node;
		b->doc.line = (int)m->line + 1;
		b->doc.col = (int)m->column + 1;
		return 0;
	}
	f = &b->stack[b->depth - 1];
	if (b->text && remember_pos(b, node, m, cJSON_IsArray(f->node) ? NULL : f) < 0) {
		cJSON_Delete(node);
		return TE_NOMEM;
	}
	if (cJSON_IsArray(f->node))
		return json_array_append(f->node, node) < 0
			   ? err_set(b->e, TE_NOMEM, "out of memory")
			   : 0;
	rc = f->key_merge ? attach_merge(b, f, node) : attach_key(b, f, node);
	free(f->key);
	f->key = NULL;
	f->key_merge = false;
	return rc;
}

static bool expecting_key(struct builder *b)
{
	struct frame *f = b->depth ? &b->stack[b->depth - 1] : NULL;

	return f && cJSON_IsObject(f->node) && !f->key;
}

static int container_start(struct builder *b, const yaml_event_t *ev, bool mapping)
{
	const yaml_char_t *anchor =
	    mapping ? ev->data.mapping_start.anchor : ev->data.sequence_start.anchor;
	struct frame *f;

	if (expecting_key(b))
		return b_error(b, &ev->start_mark, TE_INPUT, "mapping keys must be strings");
	if (b->depth >= YAML_MAX_DEPTH)
		return b_error(b, &ev->start_mark, TE_INPUT, "nesting deeper than %d levels",
			       YAML_MAX_DEPTH);
	if (array_reserve(&b->stack, &b->stack_cap, b->depth + 1, sizeof(*b->stack)) < 0)
		return err_set(b->e, TE_NOMEM, "out of memory");
	if (count_nodes(b, &ev->start_mark, 1) < 0)
		return TE_INPUT;
	f = &b->stack[b->depth];
	memset(f, 0, sizeof(*f));
	f->node = mapping ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!f->node)
		return err_set(b->e, TE_NOMEM, "out of memory");
	f->count_start = b->count - 1;
	f->start = ev->start_mark;
	keyset_init(&f->keys);
	b->depth++;
	if (anchor && !(f->anchor = strdup((const char *)anchor)))
		return err_set(b->e, TE_NOMEM, "out of memory");
	if (!b->text && b->depth <= POS_DEPTH)
		return remember_pos(b, f->node, &ev->start_mark, NULL);
	return 0;
}

static int container_end(struct builder *b, const yaml_event_t *ev)
{
	struct frame f = b->stack[--b->depth];
	int rc = 0;

	keyset_dispose(&f.keys);
	free(f.key);
	if (f.anchor)
		rc = add_anchor(b, f.anchor, f.node, b->count - f.count_start);
	free(f.anchor);
	if (rc < 0) {
		cJSON_Delete(f.node);
		return rc;
	}
	return attach(b, f.node, &f.start);
}

static int on_scalar(struct builder *b, const yaml_event_t *ev)
{
	cJSON *node;

	if (count_nodes(b, &ev->start_mark, 1) < 0)
		return TE_INPUT;
	if (expecting_key(b))
		return scalar_key(b, ev, &b->stack[b->depth - 1]);
	if (!(node = scalar_node(b, ev)))
		return b->e->code ? b->e->code : err_set(b->e, TE_NOMEM, "out of memory");
	if (ev->data.scalar.anchor &&
	    add_anchor(b, (const char *)ev->data.scalar.anchor, node, 1) < 0) {
		cJSON_Delete(node);
		return TE_NOMEM;
	}
	return attach(b, node, &ev->start_mark);
}

static int tree_depth(const cJSON *n)
{
	const cJSON *c;
	int d = 0;

	if (!cJSON_IsObject(n) && !cJSON_IsArray(n))
		return 0;
	cJSON_ArrayForEach(c, n)
	{
		int cd = tree_depth(c);
		if (cd > d)
			d = cd;
	}
	return d + 1;
}

static int on_alias(struct builder *b, const yaml_event_t *ev)
{
	const char *name = (const char *)ev->data.alias.anchor;
	const struct anchor *a = find_anchor(b, name);
	cJSON *copy;

	if (!a)
		return b_error(b, &ev->start_mark, TE_INPUT, "unknown anchor \"%s\"", name);
	if (expecting_key(b))
		return b_error(b, &ev->start_mark, TE_INPUT, "aliases cannot be mapping keys");
	b->alias_count += a->count;
	if (b->alias_count > YAML_MAX_ALIAS_NODES)
		return b_error(b, &ev->start_mark, TE_INPUT, "aliases expand to more than %d nodes",
			       YAML_MAX_ALIAS_NODES);
	if (count_nodes(b, &ev->start_mark, a->count) < 0)
		return TE_INPUT;
	if (b->depth + (size_t)tree_depth(a->node) > YAML_MAX_DEPTH)
		return b_error(b, &ev->start_mark, TE_INPUT, "nesting deeper than %d levels",
			       YAML_MAX_DEPTH);
	if (!(copy = cJSON_Duplicate(a->node, 1)))
		return err_set(b->e, TE_NOMEM, "out of memory");
	return attach(b, copy, &ev->start_mark);
}

static int on_event(struct builder *b, const yaml_event_t *ev, yaml_doc_fn fn, void *ctx)
{
	int rc = 0;

	switch (ev->type) {
	case YAML_DOCUMENT_START_EVENT:
		rc = document_start(b, ev);
		break;
	case YAML_DOCUMENT_END_EVENT:
		if (b->doc.root && !cJSON_IsNull(b->doc.root))
			rc = fn(ctx, &b->doc, b->e);
		doc_reset(b);
		break;
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT:
		rc = container_start(b, ev, ev->type == YAML_MAPPING_START_EVENT);
		break;
	case YAML_MAPPING_END_EVENT:
	case YAML_SEQUENCE_END_EVENT:
		rc = container_end(b, ev);
		break;
	case YAML_SCALAR_EVENT:
		rc = on_scalar(b, ev);
		break;
	case YAML_ALIAS_EVENT:
		rc = on_alias(b, ev);
		break;
	default:
		break;
	}
	return rc;
}

static int parser_error(struct builder *b, const yaml_parser_t *p, const char *data, size_t len)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "invalid YAML";

	if (p->error == YAML_MEMORY_ERROR)
		return err_set(b->e, TE_NOMEM, "%s: out of memory", b->file);
	if (p->error == YAML_READER_ERROR) {
		/* The reader reports a byte offset, not a mark. */
		size_t off = p->problem_offset < len ? p->problem_offset : len;
		m.line = m.column = 0;
		for (size_t i = 0; i < off; i++) {
			if (data[i] == '\n')
				m.line++, m.column = 0;
			else
				m.column++;
		}
		if (strstr(problem, "UTF"))
			return b_error(b, &m, TE_INPUT, "invalid UTF-8: %s (byte 0x%02x)", problem,
				       off < len ? (unsigned char)data[off] : 0);
		return b_error(b, &m, TE_INPUT, "%s", problem);
	}
	if (p->context && !b->text)
		return b_error(b, &m, TE_INPUT, "%s (%s at line %zu)", problem, p->context,
			       p->context_mark.line + 1);
	return b_error(b, &m, TE_INPUT, "%s", problem);
}

static bool looks_like_json(const char *data, size_t len)
{
	size_t i = 0;

	while (i < len && data[i] && strchr(" \t\r\n", data[i]))
		i++;
	return i < len && (data[i] == '{' || data[i] == '[');
}

static int hex4(const char *p)
{
	int v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9'   ? c - '0'
			: c >= 'a' && c <= 'f' ? c - 'a' + 10
			: c >= 'A' && c <= 'F' ? c - 'A' + 10
					       : -1;
		if (d < 0)
			return -1;
		v = v * 16 + d;
	}
	return v;
}

/* The code point of the escaped surrogate pair (\uD8xx\uDCxx) at p, which has left
 * bytes; -1 if there is none. */
static long escaped_pair(const char *p, size_t left)
{
	int hi, lo;

	if (left < 12 || p[1] != 'u' || p[6] != '\\' || p[7] != 'u')
		return -1;
	hi = hex4(p + 2);
	lo = hex4(p + 8);
	if (hi < 0xd800 || hi > 0xdbff || lo < 0xdc00 || lo > 0xdfff)
		return -1;
	return 0x10000 + ((long)(hi - 0xd800) << 10) + (lo - 0xdc00);
}

/*
 * JSON writes characters outside the BMP as surrogate pairs ("\ud83d\ude00"), which
 * YAML forbids; kubectl reads JSON with a JSON decoder and accepts them. Rewrites each
 * pair as YAML's "\U0001f600". NULL when there is nothing to rewrite.
 */
static char *json_join_surrogates(const char *data, size_t len, size_t *outlen)
{
	struct buf out;
	bool changed = false;

	if (!looks_like_json(data, len) || !memmem(data, len, "\\u", 2))
		return NULL;
	buf_init(&out, len + 1);
	for (size_t i = 0; i < len;) {
		long cp;

		if (data[i] != '\\' || i + 1 >= len) {
			buf_append(&out, data + i++, 1);
			continue;
		}
		if ((cp = escaped_pair(data + i, len - i)) >= 0) {
			buf_printf(&out, "\\U%08lx", cp);
			changed = true;
			i += 12;
		} else {
			buf_append(&out, data + i, 2); /* so an escaped backslash starts nothing */
			i += 2;
		}
	}
	if (!changed) {
		buf_dispose(&out);
		return NULL;
	}
	*outlen = out.len;
	return buf_detach(&out);
}

static int parse_events(struct builder *b, const char *data, size_t len, yaml_doc_fn fn, void *ctx)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	bool done = false;
	int rc = 0;

	if (!yaml_parser_initialize(&parser))
		return err_set(b->e, TE_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done && rc == 0) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = parser_error(b, &parser, data, len);
			break;
		}
		done = ev.type == YAML_STREAM_END_EVENT;
		rc = on_event(b, &ev, fn, ctx);
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&parser);
	return rc;
}

int yaml_parse_stream(const char *file, const char *data, size_t len, enum yaml_mode mode,
		      yaml_doc_fn fn, void *ctx, struct err *e)
{
	struct builder b;
	char *fixed;
	size_t flen = 0;
	int rc;

	if (len > YAML_MAX_FILE)
		return err_set(e, TE_INPUT, "%s: %zu bytes, more than the %zu-byte limit", file,
			       len, YAML_MAX_FILE);
	memset(&b, 0, sizeof(b));
	b.file = file;
	b.e = e;
	b.json = looks_like_json(data, len);
	b.text = mode == YAML_TEXT;
	fixed = json_join_surrogates(data, len, &flen);
	rc = parse_events(&b, fixed ? fixed : data, fixed ? flen : len, fn, ctx);
	free(fixed);
	doc_reset(&b);
	free(b.stack);
	free(b.anchors);
	free(b.doc.pos);
	return rc;
}

static const struct yaml_pos *find_pos(struct yaml_doc *doc, const cJSON *node)
{
	/* Callers ask in document order: start where the last answer was found. */
	for (size_t k = 0; k < doc->npos; k++) {
		size_t i = (doc->cursor + k) % doc->npos;
		if (doc->pos[i].node == node) {
			doc->cursor = i;
			return &doc->pos[i];
		}
	}
	return NULL;
}

void yaml_doc_pos(struct yaml_doc *doc, const cJSON *node, int *line, int *col)
{
	const struct yaml_pos *p = find_pos(doc, node);

	*line = p ? p->line : doc->line;
	*col = p ? p->col : doc->col;
}

void yaml_doc_key_pos(struct yaml_doc *doc, const cJSON *node, int *line, int *col)
{
	const struct yaml_pos *p = find_pos(doc, node);

	if (p && p->key_line) {
		*line = p->key_line;
		*col = p->key_col;
	} else {
		yaml_doc_pos(doc, node, line, col);
	}
}

struct one_doc {
	const char *file;
	cJSON *root;
};

static int take_one(void *ctx, struct yaml_doc *doc, struct err *e)
{
	struct one_doc *o = ctx;

	if (o->root)
		return err_set(e, TE_INPUT, "%s:%d:%d: expected a single YAML document", o->file,
			       doc->line, doc->col);
	o->root = doc->root;
	doc->root = NULL;
	return 0;
}

int yaml_to_json(const char *file, const char *data, size_t len, cJSON **out, struct err *e)
{
	struct one_doc o = {file, NULL};
	int rc;

	*out = NULL;
	rc = yaml_parse_stream(file, data, len, YAML_TYPED, take_one, &o, e);
	if (rc < 0) {
		cJSON_Delete(o.root);
		return rc;
	}
	*out = o.root ? o.root : cJSON_CreateNull();
	return *out ? 0 : err_set(e, TE_NOMEM, "out of memory");
}
