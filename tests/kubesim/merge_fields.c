/*
 * merge_fields: field-path sets and the schema-aware walks over objects that build them
 * (structured-merge-diff's ToFieldSet, Compare and RemoveItems). Pure functions over
 * cJSON; see merge_int.h for the set representation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "merge.h"
#include "merge_int.h"

/* Allocation failures inside the void field-set builders (fs_mark, fs_child, fs_add,
 * fs_compare), per thread: a write compares the count before and after, and answers
 * 500 instead of acting on a set that lost a member. */
static __thread unsigned long failures;

enum fs_shape fs_shape_of(const struct schema_node *n, const cJSON *v)
{
	switch (n ? n->kind : SCHEMA_DEDUCED) {
	case SCHEMA_ATOMIC:
		return FS_LEAF;
	case SCHEMA_MAP_LIST:
		return cJSON_IsArray(v) ? FS_MAP_LIST : FS_LEAF;
	case SCHEMA_SET:
		return cJSON_IsArray(v) ? FS_SET : FS_LEAF;
	default:
		return cJSON_IsObject(v) ? FS_MAP : FS_LEAF;
	}
}

static char *fs_field_key(const char *name)
{
	size_t len = strlen(name) + 3;
	char *s = malloc(len);

	if (s)
		snprintf(s, len, "f:%s", name);
	return s;
}

/* Appends v to buf (at *len, capacity cap) exactly as cJSON_PrintUnformatted prints it,
 * for the values keys almost always are: strings needing no escapes and integers.
 * false for anything else (or no room): the caller prints it the long way. */
static bool put_plain(char *buf, size_t *len, size_t cap, const cJSON *v)
{
	size_t n;

	if (cJSON_IsString(v)) {
		const unsigned char *p = (const unsigned char *)v->valuestring;

		for (n = 0; p[n]; n++)
			if (p[n] < 0x20 || p[n] == '"' || p[n] == '\\')
				return false;
		if (*len + n + 3 > cap)
			return false;
		buf[(*len)++] = '"';
		memcpy(buf + *len, p, n);
		*len += n;
		buf[(*len)++] = '"';
		buf[*len] = 0;
		return true;
	}
	if (cJSON_IsNumber(v) && v->valuedouble == (double)v->valueint) {
		int w = snprintf(buf + *len, cap - *len, "%d", v->valueint);
		if (w < 0 || (size_t)w >= cap - *len)
			return false;
		*len += (size_t)w;
		return true;
	}
	return false;
}

/* fs_item_key of a map list's item without building and printing a cJSON object (it
 * ran for every item of every list of every write); NULL when put_plain says no. */
static char *plain_item_key(const char *const *names, const char *const *defs, int n,
			    const cJSON *item)
{
	char buf[512];
	size_t len = 3;

	memcpy(buf, "k:{", 4);
	for (int i = 0; i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, names[i]);
		cJSON def = {.type = cJSON_String, .valuestring = (char *)defs[i]};
		size_t nl = strlen(names[i]);

		if (!v && !defs[i])
			continue;
		if (len + nl + 5 > sizeof(buf))
			return NULL;
		if (buf[len - 1] != '{')
			buf[len++] = ',';
		buf[len++] = '"';
		memcpy(buf + len, names[i], nl);
		len += nl;
		buf[len++] = '"';
		buf[len++] = ':';
		buf[len] = 0;
		for (size_t j = 0; j < nl; j++)
			if ((unsigned char)names[i][j] < 0x20 || names[i][j] == '"' ||
			    names[i][j] == '\\')
				return NULL;
		if (!put_plain(buf, &len, sizeof(buf) - 1, v ? v : &def))
			return NULL;
	}
	buf[len++] = '}';
	buf[len] = 0;
	return strdup(buf);
}

/* prefix + the JSON of v ("v:..." or "k:..."); NULL (a failure counted) when memory
 * runs out. */
static char *prefixed_json(const char *prefix, const cJSON *v)
{
	char *json = v ? cJSON_PrintUnformatted(v) : NULL;
	char *out = json ? malloc(strlen(json) + 3) : NULL;

	if (out)
		sprintf(out, "%s%s", prefix, json);
	else
		failures++;
	free(json);
	return out;
}

/* The key fields of a map list and their defaults, sorted by name; returns how many. */
static int key_fields(const struct schema_node *list, const char **names, const char **defs)
{
	int i, j, n = 0;

	for (i = 0; i < 3 && list->keys[i]; i++) {
		names[n] = list->keys[i];
		defs[n++] = list->key_defaults[i];
	}
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j], *d = defs[j];
			names[j] = names[j - 1], defs[j] = defs[j - 1];
			names[j - 1] = t, defs[j - 1] = d;
		}
	return n;
}

/* The item's key fields (or their defaults) as an object, for the general case. */
static cJSON *key_object(const char *const *names, const char *const *defs, int n,
			 const cJSON *item)
{
	cJSON *obj = cJSON_CreateObject();

	for (int i = 0; obj && i < n; i++) {
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, names[i]);
		int rc = 0;

		if (v)
			rc = json_object_add(obj, names[i], cJSON_Duplicate(v, true));
		else if (defs[i])
			rc = json_object_add_string(obj, names[i], defs[i]);
		if (rc < 0) {
			cJSON_Delete(obj);
			obj = NULL;
		}
	}
	return obj;
}

/* "k:{"a":1,"b":"x"}": key fields sorted by name, defaults filled in (smd keys). */
char *fs_item_key(const struct schema_node *list, const cJSON *item)
{
	const char *names[3] = {NULL, NULL, NULL};
	const char *defs[3] = {NULL, NULL, NULL};
	cJSON *obj;
	char *out;
	int n;

	if (list->kind == SCHEMA_SET)
		return prefixed_json("v:", item);
	n = key_fields(list, names, defs);
	if ((out = plain_item_key(names, defs, n, item)) != NULL)
		return out;
	obj = key_object(names, defs, n, item);
	out = prefixed_json("k:", obj);
	cJSON_Delete(obj);
	return out;
}

unsigned long fs_failures(void)
{
	return failures;
}

cJSON *fs_new(void)
{
	return cJSON_CreateObject();
}

bool fs_is_member(const cJSON *s)
{
	return s && cJSON_GetObjectItemCaseSensitive(s, ".") != NULL;
}

bool fs_empty(const cJSON *s)
{
	return !s || !s->child;
}

void fs_mark(cJSON *s)
{
	if (s && !fs_is_member(s) && json_object_add(s, ".", cJSON_CreateObject()) < 0)
		failures++;
}

cJSON *fs_child(cJSON *s, const char *key)
{
	cJSON *c;

	if (!s)
		return NULL;
	c = cJSON_GetObjectItemCaseSensitive(s, key);
	if (!c) {
		c = cJSON_CreateObject();
		if (json_object_add(s, key, c) < 0) {
			failures++;
			return NULL;
		}
	}
	return c;
}

void fs_add(cJSON *dst, const cJSON *src)
{
	const cJSON *c;

	if (!dst || !src)
		return;
	for (c = src->child; c; c = c->next) {
		if (!strcmp(c->string, "."))
			fs_mark(dst);
		else
			fs_add(fs_child(dst, c->string), c);
	}
}

void fs_clean(cJSON *s)
{
	cJSON *c, *next;

	if (!s)
		return;
	for (c = s->child; c; c = next) {
		next = c->next;
		if (!strcmp(c->string, "."))
			continue;
		fs_clean(c);
		if (!c->child)
			cJSON_Delete(cJSON_DetachItemViaPointer(s, c));
	}
}

void fs_sub(cJSON *dst, const cJSON *src)
{
	const cJSON *c;

	if (!dst || !src)
		return;
	for (c = src->child; c; c = c->next) {
		if (!strcmp(c->string, "."))
			cJSON_DeleteItemFromObjectCaseSensitive(dst, ".");
		else
			fs_sub(cJSON_GetObjectItemCaseSensitive(dst, c->string), c);
	}
	fs_clean(dst);
}

cJSON *fs_and(const cJSON *a, const cJSON *b)
{
	cJSON *out = fs_new();
	const cJSON *c;

	if (!out || !a || !b)
		return out;
	if (fs_is_member(a) && fs_is_member(b))
		fs_mark(out);
	for (c = a->child; c; c = c->next) {
		const cJSON *bc;
		cJSON *r;

		if (!strcmp(c->string, "."))
			continue;
		bc = cJSON_GetObjectItemCaseSensitive(b, c->string);
		if (!bc)
			continue;
		if (!(r = fs_and(c, bc)) || (r->child && json_object_add(out, c->string, r) < 0)) {
			cJSON_Delete(out);
			return NULL;
		}
		if (!r->child)
			cJSON_Delete(r);
	}
	return out;
}

void fs_remove_path(cJSON *s, const char *const *elems, bool subtree)
{
	cJSON *c;

	if (!s || !elems[0])
		return;
	c = cJSON_GetObjectItemCaseSensitive(s, elems[0]);
	if (!c)
		return;
	if (!elems[1]) {
		if (subtree)
			cJSON_Delete(cJSON_DetachItemViaPointer(s, c));
		else
			cJSON_DeleteItemFromObjectCaseSensitive(c, ".");
	} else {
		fs_remove_path(c, elems + 1, subtree);
	}
	fs_clean(s);
}

/* Order of path elements (smd PathElement.Less): fields, keys, values, indices. */
static int elem_rank(const char *k)
{
	switch (k[0]) {
	case '.':
		return 0;
	case 'f':
		return 1;
	case 'k':
		return 2;
	case 'v':
		return 3;
	default:
		return 4;
	}
}

static int value_cmp(const cJSON *a, const cJSON *b);

/* Member by member, names first; the shorter object first when one is a prefix. */
static int object_cmp(const cJSON *a, const cJSON *b)
{
	const cJSON *x = a->child, *y = b->child;

	for (; x && y; x = x->next, y = y->next) {
		int r = strcmp(x->string, y->string);
		if (!r)
			r = value_cmp(x, y);
		if (r)
			return r;
	}
	return x ? 1 : y ? -1 : 0;
}

static int value_cmp(const cJSON *a, const cJSON *b)
{
	if (cJSON_IsNumber(a) && cJSON_IsNumber(b))
		return a->valuedouble < b->valuedouble ? -1 : a->valuedouble > b->valuedouble;
	if (cJSON_IsString(a) && cJSON_IsString(b))
		return strcmp(a->valuestring, b->valuestring);
	if (cJSON_IsObject(a) && cJSON_IsObject(b))
		return object_cmp(a, b);
	return (a ? a->type : 0) - (b ? b->type : 0);
}

/* A child of a set being sorted, with its key's value parsed once (not per compare). */
struct kid {
	const cJSON *node;
	int rank;
	cJSON *val; /* k: and v: keys */
};

static int kid_cmp(const void *pa, const void *pb)
{
	const struct kid *a = pa, *b = pb;

	if (a->rank != b->rank)
		return a->rank - b->rank;
	if (a->rank == 1)
		return strcmp(a->node->string, b->node->string);
	if (a->rank == 4)
		return atoi(a->node->string + 2) - atoi(b->node->string + 2);
	if (a->val && b->val)
		return value_cmp(a->val, b->val);
	return strcmp(a->node->string, b->node->string);
}

/* The children of s in smd's order into v (room for n = cJSON_GetArraySize(s)). */
static void sort_kids(const cJSON *s, struct kid *v, size_t n)
{
	const cJSON *c;
	size_t i = 0;

	for (c = s->child; c && i < n; c = c->next, i++) {
		v[i] = (struct kid){.node = c, .rank = elem_rank(c->string)};
		if (n > 1 && (v[i].rank == 2 || v[i].rank == 3))
			v[i].val = cJSON_Parse(c->string + 2);
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), kid_cmp);
}

static void kids_dispose(struct kid *v, size_t n, struct kid *stack)
{
	for (size_t i = 0; i < n; i++)
		cJSON_Delete(v[i].val);
	if (v != stack)
		free(v);
}

/* Room for s's children: stack when they fit (most sets have one or two), else heap. */
static struct kid *kids_for(const cJSON *s, size_t *n, struct kid *stack, size_t cap)
{
	struct kid *v;

	*n = (size_t)cJSON_GetArraySize(s);
	v = *n <= cap ? stack : calloc(*n, sizeof(*v));
	if (!v)
		*n = 0;
	else
		sort_kids(s, v, *n);
	return v;
}

cJSON *fs_to_v1(const cJSON *s)
{
	cJSON *out = cJSON_CreateObject();
	struct kid stack[8], *kids;
	size_t n, i;

	if (!out || !s)
		return out;
	kids = kids_for(s, &n, stack, 8);
	if (n == 1 && !strcmp(kids[0].node->string, ".")) {
		kids_dispose(kids, n, stack);
		return out;
	}
	for (i = 0; out && i < n; i++) {
		const cJSON *k = kids[i].node;
		cJSON *v = !strcmp(k->string, ".") ? cJSON_CreateObject() : fs_to_v1(k);

		/* A set missing a field would hand it to no manager: all or nothing. */
		if (json_object_add(out, k->string, v) < 0) {
			cJSON_Delete(out);
			out = NULL;
		}
	}
	kids_dispose(kids, n, stack);
	return out;
}

cJSON *fs_from_v1(const cJSON *v1)
{
	cJSON *out = fs_new();
	const cJSON *c;

	if (!out || !cJSON_IsObject(v1))
		return out;
	for (c = v1->child; c; c = c->next) {
		cJSON *sub;

		if (!strcmp(c->string, ".")) {
			fs_mark(out);
			continue;
		}
		if (!(sub = fs_from_v1(c))) {
			cJSON_Delete(out);
			return NULL;
		}
		if (!c->child)
			fs_mark(sub);
		if (json_object_add(out, c->string, sub) < 0) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

static void apply_walk(const cJSON *v, const struct schema_node *n, cJSON *s)
{
	const struct schema_node *it = schema_item(n);
	const cJSON *c;

	switch (fs_shape_of(n, v)) {
	case FS_LEAF:
		fs_mark(s);
		return;
	case FS_MAP:
		if (!v->child)
			fs_mark(s);
		for (c = v->child; c; c = c->next) {
			char *k = fs_field_key(c->string);
			if (k)
				apply_walk(c, schema_child(n, c->string), fs_child(s, k));
			free(k);
		}
		return;
	case FS_MAP_LIST:
	case FS_SET:
		if (!v->child)
			fs_mark(s);
		for (c = v->child; c; c = c->next) {
			char *k = fs_item_key(n, c);
			cJSON *cs = k ? fs_child(s, k) : NULL;
			fs_mark(cs);
			if (cs && n->kind == SCHEMA_MAP_LIST)
				apply_walk(c, it, cs);
			free(k);
		}
		return;
	}
}

cJSON *fs_from_apply(const cJSON *v, const struct schema_node *n)
{
	cJSON *s = fs_new();

	if (s && cJSON_IsObject(v)) {
		const cJSON *c;
		/* The root object itself is never a member. */
		for (c = v->child; c; c = c->next) {
			char *k = fs_field_key(c->string);
			if (k)
				apply_walk(c, schema_child(n, c->string), fs_child(s, k));
			free(k);
		}
	}
	fs_clean(s);
	return s;
}

/* Marks v's own path and, for containers, every path inside it (an added subtree). */
static void all_walk(const cJSON *v, const struct schema_node *n, cJSON *s)
{
	const struct schema_node *it = schema_item(n);
	const cJSON *c;

	fs_mark(s);
	switch (fs_shape_of(n, v)) {
	case FS_LEAF:
		return;
	case FS_MAP:
		for (c = v->child; c; c = c->next) {
			char *k = fs_field_key(c->string);
			if (k)
				all_walk(c, schema_child(n, c->string), fs_child(s, k));
			free(k);
		}
		return;
	case FS_MAP_LIST:
	case FS_SET:
		for (c = v->child; c; c = c->next) {
			char *k = fs_item_key(n, c);
			if (k)
				all_walk(c, n->kind == SCHEMA_MAP_LIST ? it : schema_deduced(),
					 fs_child(s, k));
			free(k);
		}
		return;
	}
}

/* "f:name" in buf when it fits, else malloc'd (free it when it is not buf); NULL on
 * ENOMEM. Saves fs_field_key's allocation for every field of every compared object. */
static char *field_key_in(const char *name, char *buf, size_t cap)
{
	size_t len = strlen(name);

	if (len + 3 > cap)
		return fs_field_key(name);
	buf[0] = 'f';
	buf[1] = ':';
	memcpy(buf + 2, name, len + 1);
	return buf;
}

/* The fs_item_key of every item of list, in order (entries NULL where it has none);
 * NULL on ENOMEM. */
static char **item_keys(const struct schema_node *n, const cJSON *list, size_t *count)
{
	const cJSON *c;
	size_t i = 0;
	char **keys;

	*count = (size_t)cJSON_GetArraySize(list);
	keys = calloc(*count + 1, sizeof(*keys));
	for (c = list ? list->child : NULL; keys && c; c = c->next)
		keys[i++] = fs_item_key(n, c);
	return keys;
}

static void free_keys(char **keys, size_t count)
{
	for (size_t i = 0; keys && i < count; i++)
		free(keys[i]);
	free(keys);
}

/* The first item of list whose key (from item_keys) is key. */
static const cJSON *find_key(const cJSON *list, char *const *keys, const char *key)
{
	const cJSON *c;
	size_t i = 0;

	for (c = list ? list->child : NULL; c; c = c->next, i++)
		if (keys[i] && !strcmp(keys[i], key))
			return c;
	return NULL;
}

/* s's child k, or, when s has none yet, the empty stack node tmp standing in for it. */
static cJSON *child_or_temp(cJSON *s, const char *k, cJSON *tmp)
{
	cJSON *c;

	if (!s)
		return NULL;
	if ((c = cJSON_GetObjectItemCaseSensitive(s, k)))
		return c;
	memset(tmp, 0, sizeof(*tmp));
	tmp->type = cJSON_Object;
	return tmp;
}

/* Attaches what was recorded into the stack node tmp as s's child k. */
static void keep_temp(cJSON *s, const char *k, cJSON *c, cJSON *tmp)
{
	cJSON *n;

	if (c != tmp || !tmp->child)
		return;
	if (!(n = cJSON_CreateObject())) {
		cJSON_Delete(tmp->child);
		failures++;
		return;
	}
	n->child = tmp->child;
	if (json_object_add(s, k, n) < 0)
		failures++; /* json_object_add freed n, and with it what was recorded */
}

/* fs_compare below key k. The child sets are attached only when something was
 * recorded: most fields of a write are unchanged, and building empty sets for them
 * for fs_clean to drop again was most of the cost of every write. */
static void compare_child(const cJSON *oc, const cJSON *c, const struct schema_node *cn,
			  cJSON *changed, cJSON *removed, const char *k)
{
	cJSON tc, tr;
	cJSON *pc = child_or_temp(changed, k, &tc), *pr = child_or_temp(removed, k, &tr);

	fs_compare(oc, c, cn, pc, pr);
	keep_temp(changed, k, pc, &tc);
	keep_temp(removed, k, pr, &tr);
}

static void compare_map(const cJSON *o, const cJSON *nv, const struct schema_node *n,
			cJSON *changed, cJSON *removed)
{
	const cJSON *c;

	char buf[128];

	for (c = nv->child; c; c = c->next) {
		const struct schema_node *cn = schema_child(n, c->string);
		const cJSON *oc = cJSON_GetObjectItemCaseSensitive(o, c->string);
		char *k = field_key_in(c->string, buf, sizeof(buf));

		if (k && !oc)
			all_walk(c, cn, fs_child(changed, k));
		else if (k)
			compare_child(oc, c, cn, changed, removed, k);
		if (k != buf)
			free(k);
	}
	for (c = o->child; c; c = c->next) {
		char *k;

		if (cJSON_GetObjectItemCaseSensitive(nv, c->string))
			continue;
		k = field_key_in(c->string, buf, sizeof(buf));
		if (k)
			all_walk(c, schema_child(n, c->string), fs_child(removed, k));
		if (k != buf)
			free(k);
	}
}

static void compare_list(const cJSON *o, const cJSON *nv, const struct schema_node *n,
			 cJSON *changed, cJSON *removed)
{
	const struct schema_node *it =
	    n->kind == SCHEMA_MAP_LIST ? schema_item(n) : schema_deduced();
	size_t no, nn, i;
	char **ok = item_keys(n, o, &no), **nk = item_keys(n, nv, &nn);
	const cJSON *c;

	for (c = nv->child, i = 0; ok && nk && c; c = c->next, i++) {
		const char *k = nk[i];
		const cJSON *oc = k ? find_key(o, ok, k) : NULL;

		if (k && !oc)
			all_walk(c, it, fs_child(changed, k));
		else if (k)
			compare_child(oc, c, it, changed, removed, k);
	}
	for (c = o->child, i = 0; ok && nk && c; c = c->next, i++) {
		const char *k = ok[i];

		if (k && !find_key(nv, nk, k))
			all_walk(c, it, fs_child(removed, k));
	}
	free_keys(ok, no);
	free_keys(nk, nn);
}

void fs_compare(const cJSON *o, const cJSON *nv, const struct schema_node *n, cJSON *changed,
		cJSON *removed)
{
	enum fs_shape so = fs_shape_of(n, o), sn = fs_shape_of(n, nv);

	if (so != sn || sn == FS_LEAF) {
		if (!merge_equal(o, nv))
			fs_mark(changed);
		return;
	}
	if (sn == FS_MAP)
		compare_map(o, nv, n, changed, removed);
	else
		compare_list(o, nv, n, changed, removed);
}

static void remove_child(cJSON *parent, cJSON *c, const struct schema_node *cn, const cJSON *sc)
{
	bool container = cJSON_IsObject(c) || cJSON_IsArray(c);
	bool had = container && c->child;

	if (fs_is_member(sc)) {
		cJSON_Delete(cJSON_DetachItemViaPointer(parent, c));
		return;
	}
	fs_remove_from(c, cn, sc);
	/* A container emptied by the removal goes too (Go drops empty omitempty maps). */
	if (had && !c->child)
		cJSON_Delete(cJSON_DetachItemViaPointer(parent, c));
}

void fs_remove_from(cJSON *obj, const struct schema_node *n, const cJSON *s)
{
	cJSON *c, *next;
	enum fs_shape shape = fs_shape_of(n, obj);

	if (!obj || !s || shape == FS_LEAF)
		return;
	for (c = obj->child; c; c = next) {
		const cJSON *sc;
		char *k;

		next = c->next;
		k = shape == FS_MAP ? fs_field_key(c->string) : fs_item_key(n, c);
		sc = k ? cJSON_GetObjectItemCaseSensitive(s, k) : NULL;
		free(k);
		if (!sc)
			continue;
		remove_child(obj, c,
			     shape == FS_MAP	    ? schema_child(n, c->string)
			     : shape == FS_MAP_LIST ? schema_item(n)
						    : schema_deduced(),
			     sc);
	}
}

/* Appends the rendering of element key to path (".name", "[k=v]", "[=v]", "[3]"). */
static void render_elem(char *path, size_t cap, const char *key)
{
	size_t len = strlen(path);
	cJSON *v, *c;

	if (key[0] == 'f') {
		snprintf(path + len, cap - len, ".%s", key + 2);
		return;
	}
	if (key[0] == 'i') {
		snprintf(path + len, cap - len, "[%s]", key + 2);
		return;
	}
	v = cJSON_Parse(key + 2);
	if (key[0] == 'v' || !cJSON_IsObject(v)) {
		snprintf(path + len, cap - len, "[=%s]", key + 2);
		cJSON_Delete(v);
		return;
	}
	snprintf(path + len, cap - len, "[");
	for (c = v->child; c; c = c->next) {
		char *js = cJSON_PrintUnformatted(c);
		len = strlen(path);
		snprintf(path + len, cap - len, "%s%s=%s", c == v->child ? "" : ",", c->string,
			 js ? js : "");
		free(js);
	}
	len = strlen(path);
	snprintf(path + len, cap - len, "]");
	cJSON_Delete(v);
}

static int each_path(const cJSON *s, char *path, size_t cap, fs_path_fn fn, void *ctx)
{
	size_t len = strlen(path), n, i;
	struct kid stack[8], *kids = kids_for(s, &n, stack, 8);
	int rc = 0;

	for (i = 0; i < n && !rc; i++) {
		const cJSON *k = kids[i].node;
		if (!strcmp(k->string, ".") || !fs_is_member(k))
			continue;
		render_elem(path, cap, k->string);
		rc = fn(path, ctx);
		path[len] = 0;
	}
	for (i = 0; i < n && !rc; i++) {
		const cJSON *k = kids[i].node;
		if (!strcmp(k->string, ".") || !k->child || (fs_is_member(k) && !k->child->next))
			continue;
		render_elem(path, cap, k->string);
		rc = each_path(k, path, cap, fn, ctx);
		path[len] = 0;
	}
	kids_dispose(kids, n, stack);
	return rc;
}

int fs_each_path(const cJSON *s, fs_path_fn fn, void *ctx)
{
	char path[4096] = "";

	return s ? each_path(s, path, sizeof(path), fn, ctx) : 0;
}

/* smd's typed-value checks on an applied configuration: keyed list items must carry
 * their keys (or have a default) and be unique. */
static int validate_walk(const cJSON *v, const struct schema_node *n, char *path, size_t cap,
			 char *err, size_t errcap)
{
	size_t len = strlen(path);
	const cJSON *c;
	int i = 0, rc = 0;

	switch (fs_shape_of(n, v)) {
	case FS_LEAF:
	case FS_SET:
		return 0;
	case FS_MAP:
		for (c = v->child; c && !rc; c = c->next) {
			snprintf(path + len, cap - len, ".%s", c->string);
			rc = validate_walk(c, schema_child(n, c->string), path, cap, err, errcap);
			path[len] = 0;
		}
		return rc;
	case FS_MAP_LIST:
		break;
	}
	for (c = v->child; c; c = c->next, i++) {
		const cJSON *d;
		char *k;
		int j;

		for (j = 0; j < 3 && n->keys[j]; j++)
			if (!cJSON_GetObjectItemCaseSensitive(c, n->keys[j]) &&
			    !n->key_defaults[j]) {
				snprintf(
				    err, errcap,
				    "%s: element %d: associative list with keys has an element "
				    "that omits key field \"%s\" (and doesn't have default value)",
				    path, i, n->keys[j]);
				return -1;
			}
		k = fs_item_key(n, c);
		for (d = v->child; k && d != c; d = d->next) {
			char *k2 = fs_item_key(n, d);
			bool dup = k2 && !strcmp(k, k2);
			free(k2);
			if (dup) {
				char r[512] = "";
				render_elem(r, sizeof(r), k);
				snprintf(err, errcap, "%s: duplicate entries for key %s", path, r);
				free(k);
				return -1;
			}
		}
		free(k);
		snprintf(path + len, cap - len, "[%d]", i);
		rc = validate_walk(c, schema_item(n), path, cap, err, errcap);
		path[len] = 0;
		if (rc)
			return rc;
	}
	return 0;
}

int fs_validate(const cJSON *v, const struct schema_node *n, char *err, size_t errcap)
{
	char path[2048] = "";

	return validate_walk(v, n, path, sizeof(path), err, errcap);
}
