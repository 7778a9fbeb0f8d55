/*
 * object: rendered objects, their identity (group, kind, namespace, name; never the
 * version) and the checks that need no cluster: required fields, no generateName
 * (GitOps needs a stable name to track), no identity twice.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "manifest.h"

void object_set_init(struct object_set *s)
{
	s->items = NULL;
	s->n = s->cap = 0;
}

static void object_dispose(struct object *o)
{
	cJSON_Delete(o->body);
	free(o->api_version);
	free(o->group);
	free(o->kind);
	free(o->ns);
	free(o->name);
	free(o->file);
}

void object_set_dispose(struct object_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		object_dispose(&s->items[i]);
	free(s->items);
	object_set_init(s);
}

/* A field that must be a non-empty string: missing and mistyped read differently
 * (`name: 123` or `name: yes` are a number and a boolean to kubectl). */
static int check_string(const cJSON *obj, const char *field, const char *shown, const char *where,
			struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, field);

	if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !v->valuestring[0]))
		return err_set(e, TE_INPUT, "%s: missing %s", where, shown);
	if (!cJSON_IsString(v))
		return err_set(e, TE_INPUT, "%s: %s must be a string (quote it)", where, shown);
	return 0;
}

static int check_body(const cJSON *body, const char *where, struct err *e)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	const cJSON *ns;
	int rc;

	if (!cJSON_IsObject(body))
		return err_set(e, TE_INPUT, "%s: document is not a mapping", where);
	if ((rc = check_string(body, "apiVersion", "apiVersion", where, e)) < 0 ||
	    (rc = check_string(body, "kind", "kind", where, e)) < 0)
		return rc;
	if (meta && !cJSON_IsNull(meta) && !cJSON_IsObject(meta))
		return err_set(e, TE_INPUT, "%s: metadata is not a mapping", where);
	if (!json_nonempty(meta, "name", NULL) && json_nonempty(meta, "generateName", NULL))
		return err_set(e, TE_INPUT,
			       "%s: metadata.generateName is not supported, set metadata.name",
			       where);
	if ((rc = check_string(meta, "name", "metadata.name", where, e)) < 0)
		return rc;
	ns = cJSON_GetObjectItemCaseSensitive(meta, "namespace");
	if (ns && !cJSON_IsNull(ns) && !cJSON_IsString(ns))
		return err_set(e, TE_INPUT, "%s: metadata.namespace must be a string (quote it)",
			       where);
	return 0;
}

int object_set_add(struct object_set *s, cJSON *body, const char *file, int line, int col,
		   struct err *e)
{
	char where[1200];
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	const char *av, *slash, *ns;
	struct object *o;
	int rc;

	snprintf(where, sizeof(where), "%s:%d:%d", file, line, col);
	if ((rc = check_body(body, where, e)) < 0 ||
	    (rc = array_reserve(&s->items, &s->cap, s->n + 1, sizeof(*s->items))) < 0) {
		cJSON_Delete(body);
		return rc == TE_NOMEM ? err_set(e, rc, "out of memory") : rc;
	}
	o = &s->items[s->n];
	memset(o, 0, sizeof(*o));
	av = json_nonempty(body, "apiVersion", NULL);
	slash = strchr(av, '/');
	ns = json_nonempty(meta, "namespace", NULL);
	o->body = body;
	o->api_version = strdup(av);
	o->group = slash ? strndup(av, (size_t)(slash - av)) : strdup("");
	o->kind = strdup(json_nonempty(body, "kind", NULL));
	o->name = strdup(json_nonempty(meta, "name", NULL));
	o->ns = ns ? strdup(ns) : NULL;
	o->file = strdup(file);
	o->line = line;
	o->col = col;
	if (!o->api_version || !o->group || !o->kind || !o->name || !o->file || (ns && !o->ns)) {
		object_dispose(o);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	s->n++;
	return 0;
}

char *object_key(const struct object *o)
{
	return xasprintf("%s/%s/%s/%s", o->group, o->kind, o->ns ? o->ns : "", o->name);
}

char *object_display_name(const char *group, const char *kind, const char *ns, const char *name)
{
	bool has_ns = ns && *ns, has_group = group && *group;
	size_t at = has_ns ? strlen(ns) + 1 : 0;
	char *s = xasprintf("%s%s%s%s%s/%s", has_ns ? ns : "", has_ns ? "/" : "", kind,
			    has_group ? "." : "", has_group ? group : "", name);

	for (size_t i = 0; s && kind[i]; i++)
		s[at + i] = (char)tolower((unsigned char)s[at + i]);
	return s;
}

char *object_display(const struct object *o)
{
	return object_display_name(o->group, o->kind, NULL, o->name);
}

struct keyed {
	char *key;
	size_t index;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	if (c)
		return c;
	return x->index < y->index ? -1 : x->index > y->index;
}

static int report_duplicate(const struct object *a, const struct object *b, struct err *e)
{
	char *d = object_display(a);
	int rc;

	rc = err_set(e, TE_INPUT, "%s%s%s defined twice: %s:%d:%d and %s:%d:%d", d ? d : a->name,
		     a->ns ? " in namespace " : "", a->ns ? a->ns : "", a->file, a->line, a->col,
		     b->file, b->line, b->col);
	free(d);
	return rc;
}

int object_set_check_unique(const struct object_set *s, struct err *e)
{
	struct keyed *k;
	int rc = 0;
	size_t i;

	if (s->n < 2)
		return 0;
	if (!(k = calloc(s->n, sizeof(*k))))
		return err_set(e, TE_NOMEM, "out of memory");
	for (i = 0; i < s->n; i++) {
		k[i].index = i;
		if (!(k[i].key = object_key(&s->items[i]))) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
	}
	qsort(k, s->n, sizeof(*k), cmp_keyed);
	for (i = 1; i < s->n; i++) {
		if (strcmp(k[i - 1].key, k[i].key) == 0) {
			rc = report_duplicate(&s->items[k[i - 1].index], &s->items[k[i].index], e);
			goto out;
		}
	}
out:
	for (i = 0; i < s->n; i++)
		free(k[i].key);
	free(k);
	return rc;
}

struct parse_ctx {
	struct object_set *s;
	const char *file;
};

static bool is_list(const cJSON *root)
{
	const char *kind = json_nonempty(root, "kind", NULL);

	return kind && str_has_suffix(kind, "List") &&
	       cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "items"));
}

/* A List contributes its items, each with its own position. */
static int add_list(struct parse_ctx *c, struct yaml_doc *doc, struct err *e)
{
	cJSON *items = cJSON_GetObjectItemCaseSensitive(doc->root, "items");
	cJSON *item;
	int line, col, rc;

	while ((item = cJSON_DetachItemFromArray(items, 0)) != NULL) {
		yaml_doc_pos(doc, item, &line, &col);
		if ((rc = object_set_add(c->s, item, c->file, line, col, e)) < 0)
			return rc;
	}
	return 0;
}

static int add_doc(void *ctx, struct yaml_doc *doc, struct err *e)
{
	struct parse_ctx *c = ctx;
	cJSON *root = doc->root;

	if (!cJSON_IsObject(root))
		return err_set(e, TE_INPUT, "%s:%d:%d: document is not a mapping", c->file,
			       doc->line, doc->col);
	if (is_list(root))
		return add_list(c, doc, e);
	doc->root = NULL;
	return object_set_add(c->s, root, c->file, doc->line, doc->col, e);
}

int manifest_parse(struct object_set *s, const char *file, const char *data, size_t len,
		   struct err *e)
{
	struct parse_ctx c = {s, file};

	return yaml_parse_stream(file, data, len, YAML_TYPED, add_doc, &c, e);
}
