/*
 * merge_patch: RFC 7386 JSON merge patch and RFC 6902 JSON patch, with the API
 * server's error mapping (apiserver patch.go: a malformed patch is 400, an operation
 * that does not apply is a generic 422 "Invalid"). Pure: the target is copied.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "merge.h"
#include "merge_int.h"

static cJSON *merge_rfc7386(cJSON *target, const cJSON *patch)
{
	const cJSON *c;

	if (!cJSON_IsObject(patch)) {
		cJSON_Delete(target);
		return cJSON_Duplicate(patch, true);
	}
	if (!cJSON_IsObject(target)) {
		cJSON_Delete(target);
		target = cJSON_CreateObject();
	}
	for (c = patch->child; target && c; c = c->next) {
		cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(target, c->string);

		if (cJSON_IsNull(c)) {
			cJSON_Delete(old);
			continue;
		}
		/* v NULL is out of memory: the whole result is, not just this member. */
		if (json_object_add(target, c->string, merge_rfc7386(old, c)) < 0) {
			cJSON_Delete(target);
			return NULL;
		}
	}
	return target;
}

int merge_patch_json(cJSON **out, const cJSON *target, const cJSON *patch, struct kstatus *e)
{
	*out = NULL;
	if (!cJSON_IsObject(patch))
		return merge_fail(e, 400, "BadRequest", "Invalid JSON Patch");
	*out = merge_rfc7386(cJSON_Duplicate(target, true), patch);
	if (!*out)
		return merge_fail(e, 500, "InternalError", "out of memory");
	return 0;
}

/* A JSON pointer split into unescaped tokens. */
struct ptr {
	char **tok;
	size_t n;
};

static void ptr_dispose(struct ptr *p)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		free(p->tok[i]);
	free(p->tok);
	p->tok = NULL;
	p->n = 0;
}

/* One reference token of len bytes at s into t: "~0" is '~', "~1" is '/'. */
static void ptr_unescape(char *t, const char *s, size_t len)
{
	size_t i, j = 0;

	for (i = 0; i < len; i++) {
		if (s[i] == '~' && i + 1 < len && (s[i + 1] == '0' || s[i + 1] == '1'))
			t[j++] = s[++i] == '0' ? '~' : '/';
		else
			t[j++] = s[i];
	}
	t[j] = 0;
}

static int ptr_parse(struct ptr *p, const char *s)
{
	const char *c = s;

	memset(p, 0, sizeof(*p));
	if (!*s)
		return 0;
	if (*s != '/')
		return -1;
	while (*c == '/') {
		const char *end = strchr(c + 1, '/');
		size_t len = end ? (size_t)(end - c - 1) : strlen(c + 1);
		char *t = malloc(len + 1), **v = realloc(p->tok, (p->n + 1) * sizeof(*v));

		if (!t || !v) {
			free(t);
			if (v)
				p->tok = v;
			ptr_dispose(p);
			return -1;
		}
		p->tok = v;
		ptr_unescape(t, c + 1, len);
		p->tok[p->n++] = t;
		c = end ? end : c + 1 + len;
	}
	return 0;
}

/* Array index of tok in an array of size n; -1 when invalid. "-" means n when allow_end. */
static int index_of(const char *tok, int n, bool allow_end)
{
	char *end;
	long v;

	if (!strcmp(tok, "-"))
		return allow_end ? n : -1;
	if (!*tok || (!isdigit((unsigned char)tok[0]) && tok[0] != '-'))
		return -1;
	v = strtol(tok, &end, 10);
	if (*end)
		return -1;
	if (v < 0) /* evanphx/json-patch v4 accepts negative indices from the end */
		v += n;
	if (v < 0 || v > n || (v == n && !allow_end))
		return -1;
	return (int)v;
}

static cJSON *child_of(cJSON *c, const char *tok)
{
	if (cJSON_IsObject(c))
		return cJSON_GetObjectItemCaseSensitive(c, tok);
	if (cJSON_IsArray(c)) {
		int i = index_of(tok, cJSON_GetArraySize(c), false);
		return i < 0 ? NULL : cJSON_GetArrayItem(c, i);
	}
	return NULL;
}

/* The node at the first n tokens of p. */
static cJSON *resolve(cJSON *doc, const struct ptr *p, size_t n)
{
	size_t i;

	for (i = 0; doc && i < n; i++)
		doc = child_of(doc, p->tok[i]);
	return doc;
}

/* Adds v at p; takes v whatever happens. -1: does not apply, -2: out of memory. */
static int op_add(cJSON **doc, const struct ptr *p, cJSON *v)
{
	cJSON *parent;
	const char *key;
	int i;

	if (!v)
		return -2;
	if (!p->n) {
		cJSON_Delete(*doc);
		*doc = v;
		return 0;
	}
	parent = resolve(*doc, p, p->n - 1);
	key = p->tok[p->n - 1];
	if (cJSON_IsObject(parent)) {
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
		return json_object_add(parent, key, v) < 0 ? -2 : 0;
	}
	if (cJSON_IsArray(parent) && (i = index_of(key, cJSON_GetArraySize(parent), true)) >= 0)
		return json_array_insert(parent, i, v) < 0 ? -2 : 0;
	cJSON_Delete(v);
	return -1;
}

/* Detaches the node at p (NULL when missing). */
static cJSON *op_detach(cJSON *doc, const struct ptr *p)
{
	cJSON *parent, *c;

	if (!p->n)
		return NULL;
	parent = resolve(doc, p, p->n - 1);
	c = child_of(parent, p->tok[p->n - 1]);
	return c ? cJSON_DetachItemViaPointer(parent, c) : NULL;
}

static const char *op_str(const cJSON *op, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(op, k);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ---- the six operations of RFC 6902; each returns 0, -1 (does not apply) or -2 (out
 * of memory) ---------------------------------------------------------------------- */

/* A copy of the operation's value; a missing one is null, as json-patch reads it. */
static cJSON *op_value(const cJSON *op)
{
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(op, "value");

	return val ? cJSON_Duplicate(val, true) : cJSON_CreateNull();
}

static int jp_add(cJSON **doc, const struct ptr *p, const cJSON *op)
{
	return op_add(doc, p, op_value(op));
}

static int jp_remove(cJSON **doc, const struct ptr *p, const cJSON *op)
{
	cJSON *v = op_detach(*doc, p);

	if (!v)
		return -1;
	cJSON_Delete(v);
	return 0;
}

static int jp_replace(cJSON **doc, const struct ptr *p, const cJSON *op)
{
	cJSON *cur = resolve(*doc, p, p->n), *parent, *v;

	if (!cur)
		return -1;
	v = op_value(op);
	parent = p->n ? resolve(*doc, p, p->n - 1) : NULL;
	if (cJSON_IsArray(parent)) {
		if (cJSON_ReplaceItemViaPointer(parent, cur, v))
			return 0;
		cJSON_Delete(v);
		return -2;
	}
	if (parent)
		return json_object_set(parent, p->tok[p->n - 1], v) < 0 ? -2 : 0;
	return op_add(doc, p, v);
}

static int jp_test(cJSON **doc, const struct ptr *p, const cJSON *op)
{
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(op, "value");
	const cJSON *cur = resolve(*doc, p, p->n);

	if (cur)
		return merge_equal(cur, val) ? 0 : -1;
	return !val || cJSON_IsNull(val) ? 0 : -1;
}

/* The node at the operation's "from" (move, copy); f is disposed by the caller. */
static cJSON *op_from(cJSON *doc, const cJSON *op, struct ptr *f)
{
	const char *from = op_str(op, "from");

	if (!from || ptr_parse(f, from) < 0)
		return NULL;
	return resolve(doc, f, f->n);
}

/* Whether path lies below from: a move into its own child. */
static bool path_below(const char *path, const char *from)
{
	size_t n = strlen(from);

	return strncmp(path, from, n) == 0 && path[n] == '/';
}

static int jp_move(cJSON **doc, const struct ptr *p, const cJSON *op)
{
	struct ptr f = {0};
	int rc = -1;

	/* not the root, nor into its own child */
	if (op_from(*doc, op, &f) && f.n && !path_below(op_str(op, "path"), op_str(op, "from")))
		rc = op_add(doc, p, op_detach(*doc, &f));
	ptr_dispose(&f);
	return rc;
}

static int jp_copy(cJSON **doc, const struct ptr *p, const cJSON *op)
{
	struct ptr f = {0};
	cJSON *cur = op_from(*doc, op, &f);
	int rc = -1;

	if (cur) /* cur exists, so a NULL copy ran out of memory: op_add says -2 */
		rc = op_add(doc, p, cJSON_Duplicate(cur, true));
	ptr_dispose(&f);
	return rc;
}

static const struct {
	const char *name;
	int (*apply)(cJSON **doc, const struct ptr *p, const cJSON *op);
} jp_ops[] = {{"add", jp_add},	 {"remove", jp_remove}, {"replace", jp_replace},
	      {"test", jp_test}, {"move", jp_move},	{"copy", jp_copy}};

/* One operation; an unknown one does not apply. */
static int apply_op(cJSON **doc, const cJSON *op)
{
	const char *kind = op_str(op, "op"), *path = op_str(op, "path");
	struct ptr p;
	int rc = -1;

	if (!kind || !path || ptr_parse(&p, path) < 0)
		return -1;
	for (size_t i = 0; i < sizeof(jp_ops) / sizeof(jp_ops[0]); i++) {
		if (strcmp(kind, jp_ops[i].name) == 0) {
			rc = jp_ops[i].apply(doc, &p, op);
			break;
		}
	}
	ptr_dispose(&p);
	return rc;
}

int merge_patch_jsonpatch(cJSON **out, const cJSON *target, const cJSON *patch, struct kstatus *e)
{
	const cJSON *op;
	cJSON *doc;

	*out = NULL;
	if (!cJSON_IsArray(patch)) {
		const char *what = cJSON_IsObject(patch)   ? "object"
				   : cJSON_IsString(patch) ? "string"
							   : "value";
		return merge_fail(e, 400, "BadRequest",
				  "json: cannot unmarshal %s into Go value of type jsonpatch.Patch",
				  what);
	}
	cJSON_ArrayForEach(op, patch)
	{
		if (!cJSON_IsObject(op))
			return merge_fail(e, 400, "BadRequest",
					  "json: cannot unmarshal %s into Go value of type "
					  "jsonpatch.Operation",
					  cJSON_IsArray(op) ? "array" : "value");
	}
	doc = cJSON_Duplicate(target, true);
	if (!doc)
		return merge_fail(e, 500, "InternalError", "out of memory");
	cJSON_ArrayForEach(op, patch)
	{
		int rc = apply_op(&doc, op);

		if (rc == -2) {
			cJSON_Delete(doc);
			return merge_fail(e, 500, "InternalError", "out of memory");
		}
		if (rc < 0) {
			cJSON_Delete(doc);
			/* apiserver: NewGenericServerResponse(422, ...) drops the detail */
			return merge_fail(e, 422, "Invalid",
					  "the server rejected our request due to an error in our "
					  "request");
		}
	}
	*out = doc;
	return 0;
}
