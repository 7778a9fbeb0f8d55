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
#include "schema_fieldset_int.h"

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
		size_t len = end ? (size_t)(end - c - 1) : strlen(c + 1), i, j = 0;
		char *t = malloc(len + 1), **v = realloc(p->tok, (p->n + 1) * sizeof(*v));

		if (!t || !v) {
			free(t);
			if (v)
				p->tok = v;
			ptr_dispose(p);
			return -1;
		}
		p->tok = v;
		for (i = 0; i < len; i++) {
			if (c[1 + i] == '~' && i + 1 < len &&
			    (c[2 + i] == '0' || c[2 + i] == '1')) {
				t[j++] = c[2 + i] == '0' ? '~' : '/';
				i++;
			} else {
				t[j++] = c[1 + i];
			}
		}
		t[j] = 0;
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

/* One operation; returns 0, -1 (does not apply) or -2 (out of memory). */
static int apply_op(cJSON **doc, const cJSON *op)
{
	const char *kind = op_str(op, "op"), *path = op_str(op, "path"), *from = op_str(op, "from");
	const cJSON *val = cJSON_GetObjectItemCaseSensitive(op, "value");
	struct ptr p = {0}, f = {0};
	cJSON *v = NULL, *cur, *parent;
	int rc = -1;

	if (!kind || !path || ptr_parse(&p, path) < 0)
		goto out;
	if (!strcmp(kind, "add")) {
		rc = op_add(doc, &p, val ? cJSON_Duplicate(val, true) : cJSON_CreateNull());
	} else if (!strcmp(kind, "remove")) {
		v = op_detach(*doc, &p);
		rc = v ? 0 : -1;
		cJSON_Delete(v);
		v = NULL;
		goto out;
	} else if (!strcmp(kind, "replace")) {
		if (!(cur = resolve(*doc, &p, p.n)))
			goto out;
		v = val ? cJSON_Duplicate(val, true) : cJSON_CreateNull();
		parent = p.n ? resolve(*doc, &p, p.n - 1) : NULL;
		if (cJSON_IsArray(parent))
			rc = cJSON_ReplaceItemViaPointer(parent, cur, v) ? 0 : -2;
		else if (parent)
			rc = json_object_set(parent, p.tok[p.n - 1], v) < 0 ? -2 : 0, v = NULL;
		else
			rc = op_add(doc, &p, v), v = NULL;
	} else if (!strcmp(kind, "test")) {
		cur = resolve(*doc, &p, p.n);
		rc = (cur && merge_equal(cur, val)) || (!cur && (!val || cJSON_IsNull(val))) ? 0
											     : -1;
		goto out;
	} else if (!strcmp(kind, "move") || !strcmp(kind, "copy")) {
		if (!from || ptr_parse(&f, from) < 0 || !(cur = resolve(*doc, &f, f.n)))
			goto out;
		if (!strcmp(kind, "move")) {
			if (!f.n ||
			    (!strncmp(path, from, strlen(from)) && path[strlen(from)] == '/'))
				goto out; /* the root, or into its own child */
			v = op_detach(*doc, &f);
		} else {
			v = cJSON_Duplicate(cur, true);
		}
		/* cur exists, so a NULL v is a copy that ran out of memory */
		rc = op_add(doc, &p, v);
		v = NULL; /* op_add took it */
	}
	if (rc < 0)
		cJSON_Delete(v);
out:
	ptr_dispose(&p);
	ptr_dispose(&f);
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
