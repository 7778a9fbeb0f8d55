/*
 * crd_schema: structural schemas compiled once per CRD version (crd_schema.h). A node
 * holds what one schema level says, with its regular expression compiled; requests
 * only walk the tree. Messages follow kube-openapi's validation errors as the
 * apiextensions validator turns them into field errors (the semantics spec §5.2).
 */
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd_schema_int.h"

/* ---- compiling ------------------------------------------------------------------------- */

static const char *const type_names[] = {"object",  "array",  "string",
					 "integer", "number", "boolean"};

static double num_or(const cJSON *o, const char *key, double dflt)
{
	const cJSON *v = cJSON_GetObjectItem(o, key);

	return cJSON_IsNumber(v) ? v->valuedouble : dflt;
}

static bool flag(const cJSON *o, const char *key)
{
	return cJSON_IsTrue(cJSON_GetObjectItem(o, key));
}

/* Go's RE2 classes that POSIX ERE lacks, spelled as brackets. */
static char *pattern_to_ere(const char *p)
{
	size_t n = strlen(p) * 8 + 1, k = 0;
	char *out = malloc(n);

	if (!out)
		abort();
	for (; *p && k + 10 < n; p++) {
		const char *rep = NULL;

		if (p[0] == '\\' && p[1] == 'd')
			rep = "[0-9]";
		else if (p[0] == '\\' && p[1] == 'w')
			rep = "[A-Za-z0-9_]";
		else if (p[0] == '\\' && p[1] == 's')
			rep = "[[:space:]]";
		if (rep) {
			k += (size_t)snprintf(out + k, n - k, "%s", rep);
			p++;
		} else
			out[k++] = *p;
	}
	out[k] = '\0';
	return out;
}

static struct snode *node_compile(const cJSON *s, struct crd_schema *cs);

static void node_props(struct snode *nd, const cJSON *props, struct crd_schema *cs)
{
	const cJSON *p;
	int n = cJSON_GetArraySize(props);

	if (n <= 0 || !(nd->props = calloc((size_t)n, sizeof(*nd->props))))
		return;
	cJSON_ArrayForEach(p, props)
	{
		nd->props[nd->nprops].name = strdup(p->string);
		if (!nd->props[nd->nprops].name)
			abort();
		nd->props[nd->nprops++].node = node_compile(p, cs);
	}
}

static void node_bounds(struct snode *nd, const cJSON *s)
{
	nd->has_max = cJSON_IsNumber(cJSON_GetObjectItem(s, "maximum"));
	nd->max = num_or(s, "maximum", 0);
	nd->excl_max = flag(s, "exclusiveMaximum");
	nd->has_min = cJSON_IsNumber(cJSON_GetObjectItem(s, "minimum"));
	nd->min = num_or(s, "minimum", 0);
	nd->excl_min = flag(s, "exclusiveMinimum");
	nd->has_mult = cJSON_IsNumber(cJSON_GetObjectItem(s, "multipleOf"));
	nd->mult = num_or(s, "multipleOf", 0);
	nd->min_len = num_or(s, "minLength", -1);
	nd->max_len = num_or(s, "maxLength", -1);
	nd->min_items = num_or(s, "minItems", -1);
	nd->max_items = num_or(s, "maxItems", -1);
	nd->min_props = num_or(s, "minProperties", -1);
	nd->max_props = num_or(s, "maxProperties", -1);
}

static void node_list_type(struct snode *nd, const cJSON *s)
{
	const cJSON *lt = cJSON_GetObjectItem(s, "x-kubernetes-list-type");

	if (!cJSON_IsString(lt))
		return;
	if (strcmp(lt->valuestring, "set") == 0)
		nd->list = LIST_SET;
	else if (strcmp(lt->valuestring, "map") == 0)
		nd->list = LIST_MAP;
	else if (strcmp(lt->valuestring, "atomic") == 0)
		nd->list = LIST_ATOMIC;
	nd->map_keys = cJSON_GetObjectItem(s, "x-kubernetes-list-map-keys");
}

static struct snode *node_compile(const cJSON *s, struct crd_schema *cs)
{
	struct snode *nd = calloc(1, sizeof(*nd));
	const cJSON *t = cJSON_GetObjectItem(s, "type"), *add;
	const char *pat;

	if (!nd)
		abort();
	for (size_t i = 0; cJSON_IsString(t) && i < 6; i++)
		if (strcmp(t->valuestring, type_names[i]) == 0) {
			nd->type = 1u << i;
			nd->type_name = type_names[i];
		}
	nd->nullable = flag(s, "nullable");
	nd->preserve = flag(s, "x-kubernetes-preserve-unknown-fields");
	nd->int_or_string = flag(s, "x-kubernetes-int-or-string");
	nd->embedded = flag(s, "x-kubernetes-embedded-resource");
	nd->required = cJSON_GetObjectItem(s, "required");
	nd->enumv = cJSON_GetObjectItem(s, "enum");
	nd->def = cJSON_GetObjectItem(s, "default");
	if (nd->def)
		cs->defaults = true;
	node_bounds(nd, s);
	node_list_type(nd, s);
	if ((pat = cJSON_GetStringValue(cJSON_GetObjectItem(s, "pattern")))) {
		char *ere = pattern_to_ere(pat);

		nd->has_re = regcomp(&nd->re, ere, REG_EXTENDED | REG_NOSUB) == 0;
		nd->pattern = pat;
		free(ere);
	}
	node_props(nd, cJSON_GetObjectItem(s, "properties"), cs);
	if (cJSON_IsObject(cJSON_GetObjectItem(s, "items")))
		nd->items = node_compile(cJSON_GetObjectItem(s, "items"), cs);
	add = cJSON_GetObjectItem(s, "additionalProperties");
	if (cJSON_IsObject(add))
		nd->additional = node_compile(add, cs);
	else if (cJSON_IsTrue(add))
		nd->preserve = true;
	return nd;
}

static void node_free(struct snode *nd)
{
	if (!nd)
		return;
	for (size_t i = 0; i < nd->nprops; i++) {
		free(nd->props[i].name);
		node_free(nd->props[i].node);
	}
	free(nd->props);
	node_free(nd->items);
	node_free(nd->additional);
	if (nd->has_re)
		regfree(&nd->re);
	free(nd);
}

struct crd_schema *crd_schema_compile(const cJSON *openapi)
{
	struct crd_schema *cs;

	if (!cJSON_IsObject(openapi))
		return NULL;
	if (!(cs = calloc(1, sizeof(*cs))) || !(cs->src = cJSON_Duplicate(openapi, true)))
		abort();
	cs->root = node_compile(cs->src, cs);
	return cs;
}

struct crd_schema *crd_schema_chain(struct crd_schema *cs, struct crd_schema *older)
{
	if (!cs)
		return older;
	cs->next = older;
	return cs;
}

void crd_schema_free_all(struct crd_schema *cs)
{
	while (cs) {
		struct crd_schema *next = cs->next;

		node_free(cs->root);
		cJSON_Delete(cs->src);
		free(cs);
		cs = next;
	}
}

bool crd_schema_same(const struct crd_schema *cs, const cJSON *openapi)
{
	if (!cs)
		return !cJSON_IsObject(openapi);
	return cJSON_IsObject(openapi) && cJSON_Compare(cs->src, openapi, true);
}

bool crd_schema_has_defaults(const struct crd_schema *cs)
{
	return cs && cs->defaults;
}

/* ---- paths ------------------------------------------------------------------------------- */

/* path_add: appends n bytes of text, cut where the buffer ends (as snprintf would). */
static void path_add(struct path *p, const char *text, size_t n)
{
	size_t room = sizeof(p->s) - 1 - p->len;

	if (n > room)
		n = room;
	memcpy(p->s + p->len, text, n);
	p->len += n;
	p->s[p->len] = '\0';
}

/* Called for every node of every object validated or pruned: no snprintf here. */
size_t crd_path_push(struct path *p, const char *key, long index)
{
	size_t was = p->len;

	if (index >= 0) {
		char num[24];
		size_t i = sizeof(num);
		num[--i] = ']';
		do {
			num[--i] = (char)('0' + index % 10);
			index /= 10;
		} while (index > 0);
		num[--i] = '[';
		path_add(p, num + i, sizeof(num) - i);
	} else {
		if (p->len)
			path_add(p, ".", 1);
		path_add(p, key, strlen(key));
	}
	return was;
}

void crd_path_pop(struct path *p, size_t was)
{
	p->len = was;
	p->s[was] = '\0';
}

const struct snode *crd_prop_of(const struct snode *nd, const char *name)
{
	for (size_t i = 0; i < nd->nprops; i++)
		if (strcmp(nd->props[i].name, name) == 0)
			return nd->props[i].node;
	return NULL;
}

bool crd_meta_field(const char *key)
{
	return strcmp(key, "apiVersion") == 0 || strcmp(key, "kind") == 0 ||
	       strcmp(key, "metadata") == 0;
}

/* ---- pruning ------------------------------------------------------------------------------ */

struct prune {
	struct path p;
	char *msg;
	int n;
};

static void prune_note(struct prune *pr)
{
	char *s = NULL;

	if (asprintf(&s, "%s%sunknown field \"%s\"", pr->msg ? pr->msg : "", pr->msg ? ", " : "",
		     pr->p.s) < 0)
		abort();
	free(pr->msg);
	pr->msg = s;
	pr->n++;
}

static void prune_node(const struct snode *nd, cJSON *v, struct prune *pr, bool meta_kept);

static void prune_object(const struct snode *nd, cJSON *v, struct prune *pr, bool meta_kept)
{
	cJSON *c = v->child, *next;

	for (; c; c = next) {
		const struct snode *sub = crd_prop_of(nd, c->string);
		size_t was;

		next = c->next;
		if (meta_kept && crd_meta_field(c->string))
			continue;
		if (!sub)
			sub = nd->additional;
		/* a null where null is not allowed and nothing defaults it is dropped silently
		 * (PruneNonNullableNullsWithoutDefaults) */
		if (sub && cJSON_IsNull(c) && !sub->nullable && !sub->def) {
			cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
			continue;
		}
		was = crd_path_push(&pr->p, c->string, -1);
		if (sub)
			prune_node(sub, c, pr, false);
		else if (!nd->preserve) {
			prune_note(pr);
			cJSON_Delete(cJSON_DetachItemViaPointer(v, c));
		}
		crd_path_pop(&pr->p, was);
	}
}

static void prune_node(const struct snode *nd, cJSON *v, struct prune *pr, bool meta_kept)
{
	if (cJSON_IsObject(v) && !nd->int_or_string)
		prune_object(nd, v, pr, meta_kept || nd->embedded);
	else if (cJSON_IsArray(v) && nd->items) {
		long i = 0;
		cJSON *c;

		cJSON_ArrayForEach(c, v)
		{
			size_t was = crd_path_push(&pr->p, NULL, i++);

			prune_node(nd->items, c, pr, false);
			crd_path_pop(&pr->p, was);
		}
	}
}

int crd_schema_prune(const struct crd_schema *cs, cJSON *obj, char **unknown)
{
	struct prune pr = {0};

	if (!cs || !cJSON_IsObject(obj))
		return 0;
	prune_object(cs->root, obj, &pr, true);
	if (unknown)
		*unknown = pr.msg;
	else
		free(pr.msg);
	return pr.n;
}

/* ---- defaulting ---------------------------------------------------------------------------- */

static int default_node(const struct snode *nd, cJSON *v);

static int default_object(const struct snode *nd, cJSON *v)
{
	int n = 0;
	cJSON *c;

	for (size_t i = 0; i < nd->nprops; i++) {
		const struct snode *sub = nd->props[i].node;

		c = cJSON_GetObjectItemCaseSensitive(v, nd->props[i].name);
		if (sub->def && (!c || (cJSON_IsNull(c) && !sub->nullable))) {
			cJSON *d = cJSON_Duplicate(sub->def, true);

			if (!d)
				abort();
			if (c)
				cJSON_ReplaceItemInObjectCaseSensitive(v, nd->props[i].name, d);
			else
				cJSON_AddItemToObject(v, nd->props[i].name, d);
			n++;
		}
	}
	cJSON_ArrayForEach(c, v)
	{
		const struct snode *sub = crd_prop_of(nd, c->string);

		if (sub || (sub = nd->additional))
			n += default_node(sub, c);
	}
	return n;
}

static int default_node(const struct snode *nd, cJSON *v)
{
	int n = 0;
	cJSON *c;

	if (cJSON_IsObject(v))
		return default_object(nd, v);
	if (cJSON_IsArray(v) && nd->items)
		cJSON_ArrayForEach(c, v) n += default_node(nd->items, c);
	return n;
}

int crd_schema_default(const struct crd_schema *cs, cJSON *obj)
{
	if (!cs || !cs->defaults || !cJSON_IsObject(obj))
		return 0;
	return default_object(cs->root, obj);
}
