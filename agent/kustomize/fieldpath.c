/*
 * kustomize_fieldpath: the dotted field paths of replacements and vars
 * ("spec.template.spec.containers.[name=manager].image", "metadata.annotations.[a.b/c]",
 * "containers.0.args.*"), split and walked as kustomize's kyaml does: "[k=v]" selects
 * the list elements whose field k matches the regular expression v, a number indexes a
 * list, "*" takes every element, and brackets without '=' only quote a key holding
 * dots. Walking reports every node a path leads to; it never changes an object except
 * to create what is missing when asked.
 */
#include <ctype.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

void ks_fpath_dispose(struct ks_fpath *p)
{
	if (p)
		strlist_dispose(&p->parts);
}

/* Adds path[from..to) as one part, trimmed, dropping empty parts and the brackets
 * of a quoted key (kyaml's SmarterPathSplitter and cleanPath). */
static int ks_fpath_add(struct ks_fpath *p, const char *s, size_t n)
{
	while (n && isspace((unsigned char)*s))
		s++, n--;
	while (n && isspace((unsigned char)s[n - 1]))
		n--;
	if (n >= 2 && s[0] == '[' && s[n - 1] == ']' && !memchr(s, '=', n))
		s++, n -= 2;
	if (!n)
		return 0;
	return strlist_add_owned(&p->parts, strndup(s, n));
}

int ks_fpath_parse(struct ks_fpath *p, const char *path)
{
	size_t start = 0, depth = 0;
	int rc = 0;

	strlist_init(&p->parts);
	for (size_t i = 0; path[i] && rc == 0; i++) {
		if (path[i] == '[')
			depth++;
		else if (path[i] == ']' && depth)
			depth--;
		else if (path[i] == '.' && !depth) {
			rc = ks_fpath_add(p, path + start, i - start);
			start = i + 1;
		}
	}
	if (rc == 0)
		rc = ks_fpath_add(p, path + start, strlen(path + start));
	if (rc < 0)
		ks_fpath_dispose(p);
	return rc < 0 ? TE_NOMEM : 0;
}

int ks_fpath_parse_var(struct ks_fpath *p, const char *path)
{
	char *copy = NULL, *s, *tok, *save = NULL, *br;
	int rc = 0;

	strlist_init(&p->parts);
	if (!(copy = xstrdup(path)))
		return TE_NOMEM;
	/* vars split on every dot and read "ports[0]" as "ports", "0". */
	for (s = copy; rc == 0 && (tok = strtok_r(s, ".", &save)); s = NULL) {
		if ((br = strchr(tok, '[')) && br != tok && tok[strlen(tok) - 1] == ']') {
			rc = ks_fpath_add(p, tok, (size_t)(br - tok));
			tok = br;
		}
		if (rc == 0)
			rc = ks_fpath_add(p, tok, strlen(tok));
	}
	free(copy);
	if (rc < 0)
		ks_fpath_dispose(p);
	return rc < 0 ? TE_NOMEM : 0;
}

static bool ks_part_is_select(const char *s)
{
	size_t n = strlen(s);

	return n >= 2 && s[0] == '[' && s[n - 1] == ']';
}

static bool ks_part_is_index(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

static bool ks_part_is_list(const char *s)
{
	return ks_part_is_select(s) || ks_part_is_index(s) || strcmp(s, "*") == 0;
}

/* What a walk carries along. */
struct ks_walk {
	const struct ks_fpath *p;
	int create; /* 0: never; else cJSON_NULL/Object/Array for a missing leaf */
	struct ks_match *out;
	size_t n, cap;
	struct err *e;
	const char *what; /* for messages */
	bool exact;	  /* "[k=v]" compares v as text, not as a regular expression */
};

static const char *ks_kind_name(const cJSON *n)
{
	return cJSON_IsArray(n) ? "SequenceNode" : cJSON_IsObject(n) ? "MappingNode" : "ScalarNode";
}

static int ks_wrong_kind(struct ks_walk *w, const char *want, const cJSON *got)
{
	return err_set(w->e, TE_INPUT, "wrong node kind: expected %s but got %s", want,
		       ks_kind_name(got));
}

static int ks_walk_node(struct ks_walk *w, cJSON *parent, cJSON *node, size_t i);

/* The text kustomize compares a list element's field with: a scalar's value. */
int ks_scalar_text(const cJSON *v, char *out, size_t sz)
{
	if (cJSON_IsString(v))
		return snprintf(out, sz, "%s", v->valuestring) < (int)sz ? 0 : -1;
	if (cJSON_IsBool(v))
		snprintf(out, sz, "%s", cJSON_IsTrue(v) ? "true" : "false");
	else if (cJSON_IsNumber(v) && v->valuedouble == (double)(long long)v->valuedouble)
		snprintf(out, sz, "%lld", (long long)v->valuedouble);
	else if (cJSON_IsNumber(v))
		snprintf(out, sz, "%.17g", v->valuedouble);
	else
		snprintf(out, sz, "%s", "");
	return 0;
}

/* Whether element el (of a list) is selected by "[k=v]": its field k (el itself when
 * k is empty) matches the regular expression v, unanchored as in kyaml ("[name=anage]"
 * selects "manager"), or equals exact (reading a value, as kyaml's PathGetter). */
static bool ks_elem_selected(const cJSON *el, const char *k, const regex_t *re, const char *exact)
{
	const cJSON *f = *k ? cJSON_GetObjectItemCaseSensitive(el, k) : el;
	char text[1024];

	if (*k && !cJSON_IsObject(el))
		return false;
	if (!f || cJSON_IsObject(f) || cJSON_IsArray(f) || cJSON_IsNull(f) ||
	    ks_scalar_text(f, text, sizeof(text)) < 0)
		return false;
	return exact ? strcmp(text, exact) == 0 : regexec(re, text, 0, NULL, 0) == 0;
}

/* A new element {k: v} (or a missing leaf) appended to list when creating. */
static int ks_select_create(struct ks_walk *w, cJSON *list, const char *k, const char *v, size_t i)
{
	cJSON *el;

	if (!*k || i + 1 == w->p->parts.n)
		el = *k ? cJSON_CreateObject() : cJSON_CreateNull();
	else
		el = cJSON_CreateObject();
	if (!el || (*k && !cJSON_AddStringToObject(el, k, v)) || json_array_append(list, el) < 0) {
		cJSON_Delete(el);
		return err_set(w->e, TE_NOMEM, "out of memory");
	}
	return ks_walk_node(w, list, el, i + 1);
}

static int ks_walk_select(struct ks_walk *w, cJSON *list, size_t i)
{
	const char *part = w->p->parts.items[i];
	char k[256], pat[1024];
	const char *eq = strchr(part, '=');
	regex_t re;
	size_t before = w->n;
	cJSON *el, *next;
	int rc = 0;

	if (!eq || (size_t)(eq - part - 1) >= sizeof(k))
		return err_set(w->e, TE_INPUT, "%s: %s should have the form [field=value]", w->what,
			       part);
	if (!cJSON_IsArray(list))
		return ks_wrong_kind(w, "SequenceNode", list);
	snprintf(k, sizeof(k), "%.*s", (int)(eq - part - 1), part + 1);
	snprintf(pat, sizeof(pat), "%.*s", (int)strlen(eq + 1) - 1, eq + 1);
	if (!w->exact && regcomp(&re, pat, REG_EXTENDED | REG_NOSUB) != 0)
		return err_set(w->e, TE_INPUT, "%s: %s: invalid regular expression", w->what, part);
	for (el = list->child; el && rc == 0; el = next) {
		next = el->next;
		if (ks_elem_selected(el, k, &re, w->exact ? pat : NULL))
			rc = ks_walk_node(w, list, el, i + 1);
	}
	if (!w->exact)
		regfree(&re);
	if (rc == 0 && w->n == before && w->create)
		rc = ks_select_create(w, list, k, pat, i);
	return rc;
}

static int ks_walk_index(struct ks_walk *w, cJSON *list, size_t i)
{
	long idx = strtol(w->p->parts.items[i], NULL, 10);
	int n;

	if (!cJSON_IsArray(list))
		return ks_wrong_kind(w, "SequenceNode", list);
	n = cJSON_GetArraySize(list);
	if (idx >= n)
		return err_set(w->e, TE_INPUT, "index %ld specified but only %d elements found",
			       idx, n);
	return ks_walk_node(w, list, cJSON_GetArrayItem(list, (int)idx), i + 1);
}

static int ks_walk_all(struct ks_walk *w, cJSON *list, size_t i)
{
	int rc = 0;

	if (!cJSON_IsArray(list))
		return ks_wrong_kind(w, "SequenceNode", list);
	for (cJSON *el = list->child; el && rc == 0; el = el->next)
		rc = ks_walk_node(w, list, el, i + 1);
	return rc;
}

/* A missing field: a list when what follows indexes one, else a mapping, or for the
 * leaf the kind of the value to be written. */
static cJSON *ks_new_field(const struct ks_walk *w, size_t i)
{
	if (i + 1 == w->p->parts.n)
		return w->create == cJSON_Object  ? cJSON_CreateObject()
		       : w->create == cJSON_Array ? cJSON_CreateArray()
						  : cJSON_CreateNull();
	return ks_part_is_list(w->p->parts.items[i + 1]) ? cJSON_CreateArray()
							 : cJSON_CreateObject();
}

static int ks_walk_field(struct ks_walk *w, cJSON *obj, size_t i)
{
	const char *key = w->p->parts.items[i];
	cJSON *child;

	if (!cJSON_IsObject(obj))
		return ks_wrong_kind(w, "MappingNode", obj);
	child = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (child && !(cJSON_IsNull(child) && w->create && i + 1 < w->p->parts.n))
		return ks_walk_node(w, obj, child, i + 1);
	if (!w->create)
		return 0;
	if (!(child = ks_new_field(w, i)) || json_object_set(obj, key, child) < 0)
		return err_set(w->e, TE_NOMEM, "out of memory");
	return ks_walk_node(w, obj, child, i + 1);
}

static int ks_walk_node(struct ks_walk *w, cJSON *parent, cJSON *node, size_t i)
{
	const char *part;

	if (i > MANIFEST_MAX_DEPTH)
		return err_set(w->e, TE_INPUT, "%s: path too deep", w->what);
	if (i == w->p->parts.n) {
		if (array_reserve(&w->out, &w->cap, w->n + 1, sizeof(*w->out)) < 0)
			return err_set(w->e, TE_NOMEM, "out of memory");
		w->out[w->n].parent = parent;
		w->out[w->n++].node = node;
		return 0;
	}
	part = w->p->parts.items[i];
	if (ks_part_is_select(part))
		return ks_walk_select(w, node, i);
	if (ks_part_is_index(part))
		return ks_walk_index(w, node, i);
	if (strcmp(part, "*") == 0)
		return ks_walk_all(w, node, i);
	return ks_walk_field(w, node, i);
}

int ks_fpath_find(cJSON *root, const struct ks_fpath *p, int create, struct ks_match **out,
		  size_t *n, struct err *e)
{
	struct ks_walk w = {.p = p, .create = create, .e = e, .what = "fieldPath"};
	int rc;

	*out = NULL;
	*n = 0;
	if ((rc = ks_walk_node(&w, NULL, root, 0)) < 0) {
		free(w.out);
		return rc;
	}
	*out = w.out;
	*n = w.n;
	return 0;
}

const cJSON *ks_kget(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return v ? v : cJSON_GetObjectItem(obj, key);
}

const char *ks_kstr(const cJSON *obj, const char *key, const char *def)
{
	const cJSON *v = ks_kget(obj, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

int ks_kint(const cJSON *obj, const char *key)
{
	const cJSON *v = ks_kget(obj, key);

	return cJSON_IsNumber(v) ? (int)v->valuedouble : 0;
}

int ks_node_replace(cJSON *parent, cJSON *old, cJSON *nv)
{
	/* A duplicate carries the key it had where it was copied from. */
	if (!(nv->type & cJSON_StringIsConst))
		free(nv->string);
	nv->string = NULL;
	nv->type &= ~cJSON_StringIsConst;
	if ((old->string && !(nv->string = xstrdup(old->string))) ||
	    !cJSON_ReplaceItemViaPointer(parent, old, nv)) {
		cJSON_Delete(nv);
		return TE_NOMEM;
	}
	return 0;
}

cJSON *ks_fpath_get(cJSON *root, const struct ks_fpath *p)
{
	struct err quiet;
	struct ks_walk w = {.p = p, .e = &quiet, .what = "fieldPath", .exact = true};
	cJSON *found = NULL;

	err_clear(&quiet);
	if (ks_walk_node(&w, NULL, root, 0) == 0 && w.n)
		found = w.out[0].node;
	free(w.out);
	return found;
}
