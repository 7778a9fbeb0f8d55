/*
 * store_crd: the types a CustomResourceDefinition serves. Its objects live in one
 * storing type, made at the storage version the CRD had first and kept for the CRD's
 * life, so objects never move when the storage flag does; every other served version is
 * a view (restype.stored) reading and writing the same objects with apiVersion
 * rewritten (conversion strategy None). Types are never freed while the store lives:
 * handlers keep their pointers without the lock.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crd_schema.h"
#include "store_int.h"

enum {
	OWN_GROUP = 1,
	OWN_VERSION,
	OWN_PLURAL,
	OWN_SINGULAR,
	OWN_KIND,
	OWN_LIST_KIND,
	OWN_SHORT,
	OWN_CATEGORIES
};

static char *dup_or_empty(const char *s)
{
	char *d = strdup(s ? s : "");

	if (!d)
		abort();
	return d;
}

/* Comma-joined string array (shortNames, categories). */
static char *join_strings(const cJSON *arr)
{
	char buf[512] = "";
	const cJSON *it;
	size_t n = 0;

	cJSON_ArrayForEach(it, arr)
	{
		if (!cJSON_IsString(it))
			continue;
		n += snprintf(buf + n, sizeof(buf) - n, "%s%s", n ? "," : "", it->valuestring);
		if (n >= sizeof(buf))
			break;
	}
	return dup_or_empty(buf);
}

static bool version_served(const cJSON *v)
{
	return v && !cJSON_IsFalse(cJSON_GetObjectItem(v, "served"));
}

/* The storage version, else the first served one. */
static const cJSON *storage_version(const cJSON *spec)
{
	const cJSON *v, *first = NULL;

	cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "versions"))
	{
		if (cJSON_IsTrue(cJSON_GetObjectItem(v, "storage")))
			return v;
		if (!first && version_served(v))
			first = v;
	}
	return first;
}

static const cJSON *version_named(const cJSON *spec, const char *name)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "versions"))
	{
		const char *n = obj_str(v, "name", NULL);

		if (n && strcmp(n, name) == 0)
			return v;
	}
	return NULL;
}

static struct rtype *find_home(struct store *st, const char *group, const char *plural)
{
	for (size_t i = 0; i < st->ntypes; i++) {
		struct rtype *t = st->types[i];

		if (t->pub.custom && t->pub.served && !t->pub.stored &&
		    strcmp(t->pub.group, group) == 0 && strcmp(t->pub.resource, plural) == 0)
			return t;
	}
	return NULL;
}

static struct rtype *find_view(struct store *st, const struct rtype *home, const char *version)
{
	for (size_t i = 0; i < st->ntypes; i++) {
		struct rtype *t = st->types[i];

		if (t->pub.stored == &home->pub && strcmp(t->pub.version, version) == 0)
			return t;
	}
	return NULL;
}

static struct rtype *home_new(struct store *st, const cJSON *spec, const char *version)
{
	const cJSON *names = cJSON_GetObjectItem(spec, "names");
	struct restype t = {.generation = GEN_NON_METADATA};
	struct rtype *rt;

	t.group = obj_str(spec, "group", NULL);
	t.version = version;
	rt = store_type_add(st, &t, true);
	rt->owned[OWN_GROUP] = dup_or_empty(t.group);
	rt->owned[OWN_VERSION] = dup_or_empty(version);
	rt->owned[OWN_PLURAL] = dup_or_empty(obj_str(names, "plural", NULL));
	rt->owned[OWN_SINGULAR] = dup_or_empty(obj_str(names, "singular", NULL));
	rt->owned[OWN_KIND] = dup_or_empty(obj_str(names, "kind", NULL));
	if (obj_str(names, "listKind", NULL))
		rt->owned[OWN_LIST_KIND] = dup_or_empty(obj_str(names, "listKind", NULL));
	else {
		size_t n = strlen(rt->owned[OWN_KIND]) + 5;

		if (!(rt->owned[OWN_LIST_KIND] = malloc(n)))
			abort();
		snprintf(rt->owned[OWN_LIST_KIND], n, "%sList", rt->owned[OWN_KIND]);
	}
	rt->owned[OWN_SHORT] = join_strings(cJSON_GetObjectItem(names, "shortNames"));
	rt->owned[OWN_CATEGORIES] = join_strings(cJSON_GetObjectItem(names, "categories"));
	rt->pub.group = rt->owned[OWN_GROUP];
	rt->pub.version = rt->owned[OWN_VERSION];
	rt->pub.resource = rt->owned[OWN_PLURAL];
	rt->pub.singular = rt->owned[OWN_SINGULAR];
	rt->pub.kind = rt->owned[OWN_KIND];
	rt->pub.list_kind = rt->owned[OWN_LIST_KIND];
	rt->pub.short_names = rt->owned[OWN_SHORT];
	rt->pub.categories = rt->owned[OWN_CATEGORIES];
	return rt;
}

/* A view shares the names of its storing type and owns its version strings. */
static struct rtype *view_new(struct store *st, struct rtype *home, const char *version)
{
	struct restype t = home->pub;
	struct rtype *rt;

	t.version = version;
	rt = store_type_add(st, &t, true);
	rt->owned[OWN_VERSION] = dup_or_empty(version);
	rt->pub.version = rt->owned[OWN_VERSION];
	rt->pub.stored = &home->pub;
	rt->pub.hidden = false;
	return rt;
}

/* deprecated: true warns with deprecationWarning, else "<group>/<version> <Kind> is
 * deprecated" (apiextensions-apiserver's default). */
static void version_deprecation(struct rtype *rt, const cJSON *spec, const cJSON *v)
{
	const char *custom = obj_str(v, "deprecationWarning", NULL);
	char *text = NULL;

	if (cJSON_IsTrue(cJSON_GetObjectItem(v, "deprecated")) &&
	    (custom ? asprintf(&text, "%s", custom)
		    : asprintf(&text, "%s/%s %s is deprecated", obj_str(spec, "group", NULL),
			       obj_str(v, "name", NULL), rt->pub.kind)) < 0)
		abort();
	free(rt->deprecation);
	rt->deprecation = text;
}

static void version_scale(struct rtype *rt, const cJSON *scale)
{
	static const char *const keys[] = {"specReplicasPath", "statusReplicasPath",
					   "labelSelectorPath"};

	for (int i = 0; i < 3; i++) {
		const char *path = obj_str(scale, keys[i], NULL);

		free(rt->scale[i]);
		rt->scale[i] = path ? dup_or_empty(path) : NULL;
	}
}

bool store_crd_deprecation(struct store *st, const struct restype *view, char *out, size_t n)
{
	const struct rtype *rt = (const struct rtype *)view;
	bool found;

	if (!view->custom)
		return false;
	store_lock(st);
	found = rt->deprecation != NULL;
	if (found)
		snprintf(out, n, "%s", rt->deprecation);
	store_unlock(st);
	return found;
}

/* What a version declares: its scope, subresources and schema (compiled here, once per
 * CRD write, never per request; the schema it replaces stays chained to the type for
 * handlers that still hold it and goes with the store). */
static void version_apply(struct rtype *rt, const cJSON *spec, const cJSON *v)
{
	const cJSON *sub = cJSON_GetObjectItem(v, "subresources");
	const char *scope = obj_str(spec, "scope", NULL);
	const cJSON *schema =
	    cJSON_GetObjectItem(cJSON_GetObjectItem(v, "schema"), "openAPIV3Schema");
	struct crd_schema *cs;

	rt->pub.namespaced = !scope || strcmp(scope, "Cluster") != 0;
	rt->pub.has_status = cJSON_GetObjectItem(sub, "status") != NULL;
	rt->pub.has_scale = cJSON_GetObjectItem(sub, "scale") != NULL;
	if (!crd_schema_same(rt->pub.schema, schema) || !rt->schemas) {
		/* objects written under an earlier schema are pruned when read */
		rt->read_prune = rt->read_prune || rt->schemas;
		cs = crd_schema_compile(schema);
		rt->schemas = crd_schema_chain(cs, rt->schemas);
		rt->pub.schema = cs;
	}
	version_deprecation(rt, spec, v);
	version_scale(rt, cJSON_GetObjectItem(sub, "scale"));
}

/* Every view of home serves exactly the served versions of spec other than home's own. */
static void views_sync(struct store *st, struct rtype *home, const cJSON *spec, bool removed)
{
	const cJSON *v;

	for (size_t i = 0; i < st->ntypes; i++)
		if (st->types[i]->pub.stored == &home->pub)
			st->types[i]->pub.served = false;
	if (removed)
		return;
	cJSON_ArrayForEach(v, cJSON_GetObjectItem(spec, "versions"))
	{
		const char *name = obj_str(v, "name", NULL);
		struct rtype *view;

		if (!name || !version_served(v) || strcmp(name, home->pub.version) == 0)
			continue;
		if (!(view = find_view(st, home, name)))
			view = view_new(st, home, name);
		view->pub.served = true;
		version_apply(view, spec, v);
	}
}

void store_crd_sync(struct store *st, const cJSON *crd, bool removed)
{
	const cJSON *spec = cJSON_GetObjectItem(crd, "spec");
	const char *group = obj_str(spec, "group", NULL);
	const char *plural = obj_str(cJSON_GetObjectItem(spec, "names"), "plural", NULL);
	const cJSON *stor = storage_version(spec), *own;
	struct rtype *home;

	if (!group || !plural || !stor || !obj_str(stor, "name", NULL))
		return;
	home = find_home(st, group, plural);
	if (!home && removed)
		return;
	if (!home)
		home = home_new(st, spec, obj_str(stor, "name", NULL));
	views_sync(st, home, spec, removed);
	if (removed)
		home->pub.served = false;
	else {
		own = version_named(spec, home->pub.version);
		home->pub.hidden = !version_served(own);
		version_apply(home, spec, own ? own : stor);
	}
	store_types_refresh(st);
}
