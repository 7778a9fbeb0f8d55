/*
 * inventory: what tether applied for an app, kept in the cluster (a ConfigMap
 * tether-inventory-<app>) so a CI run on a fresh runner is stateless and a crash loses
 * nothing. One line per object, tab-separated (1,000 objects take ~150 KiB; what does
 * not fit in one ConfigMap goes to parts, inventory_parts.c):
 *   group  version  kind  namespace  name  hash  resourceVersion  generation  uid  managers
 * Names cannot hold tabs or newlines (Kubernetes validates them), and decoding refuses
 * lines that do not fit rather than guessing.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "sync_int.h"

#define INV_FIELDS 10
#define INV_KEY "objects"

void inventory_init(struct inventory *inv)
{
	memset(inv, 0, sizeof(*inv));
}

void inv_entry_dispose(struct inv_entry *x)
{
	if (!x)
		return;
	free(x->group);
	free(x->version);
	free(x->kind);
	free(x->ns);
	free(x->name);
	free(x->rv);
	free(x->uid);
	memset(x, 0, sizeof(*x));
}

void inventory_dispose(struct inventory *inv)
{
	if (!inv)
		return;
	for (size_t i = 0; i < inv->n; i++)
		inv_entry_dispose(&inv->items[i]);
	free(inv->items);
	free(inv->commit);
	strlist_dispose(&inv->parts);
	strmap_dispose(&inv->idx);
	inventory_init(inv);
}

int inventory_add(struct inventory *inv, const struct inv_entry *x)
{
	struct inv_entry *y;

	if (array_reserve(&inv->items, &inv->cap, inv->n + 1, sizeof(*inv->items)) < 0)
		return TE_NOMEM;
	y = &inv->items[inv->n];
	memset(y, 0, sizeof(*y));
	y->group = xstrdup(x->group ? x->group : "");
	y->version = xstrdup(x->version ? x->version : "");
	y->kind = xstrdup(x->kind);
	y->ns = xstrdup(x->ns ? x->ns : "");
	y->name = xstrdup(x->name);
	y->rv = xstrdup(x->rv ? x->rv : "");
	y->uid = xstrdup(x->uid ? x->uid : "");
	y->gen = x->gen;
	memcpy(y->hash, x->hash, sizeof(y->hash));
	memcpy(y->mgr, x->mgr, sizeof(y->mgr));
	if (!y->group || !y->version || !y->kind || !y->ns || !y->name || !y->rv || !y->uid) {
		inv_entry_dispose(y);
		return TE_NOMEM;
	}
	inv->n++;
	return 0;
}

/* The index key of an identity (in b). */
static char *entry_key(struct buf *b, const char *group, const char *kind, const char *ns,
		       const char *name)
{
	const char *parts[] = {group, kind, ns, name};

	return strmap_key(b, parts, 4);
}

/* Adds the entries appended since the last lookup to the index (the first of equal
 * identities wins, as a scan from the start would find it). */
static int index_more(struct inventory *inv, struct buf *b)
{
	for (; inv->indexed < inv->n; inv->indexed++) {
		struct inv_entry *x = &inv->items[inv->indexed];
		char *key = entry_key(b, x->group, x->kind, x->ns, x->name);

		if (!key)
			return TE_NOMEM;
		if (!strmap_get(&inv->idx, key) &&
		    strmap_put(&inv->idx, key, (void *)(uintptr_t)(inv->indexed + 1)) < 0)
			return TE_NOMEM;
	}
	return 0;
}

/* A linear scan: the answer when the index cannot be built (memory ran out). */
static struct inv_entry *scan(const struct inventory *inv, const char *group, const char *kind,
			      const char *ns, const char *name)
{
	for (size_t i = 0; i < inv->n; i++) {
		struct inv_entry *x = &inv->items[i];
		if (!strcmp(x->group, group ? group : "") && !strcmp(x->kind, kind) &&
		    !strcmp(x->ns, ns ? ns : "") && !strcmp(x->name, name))
			return x;
	}
	return NULL;
}

struct inv_entry *inventory_find(const struct inventory *cinv, const char *group, const char *kind,
				 const char *ns, const char *name)
{
	struct inventory *inv = (struct inventory *)cinv; /* the index is a cache */
	struct buf b;
	char *key;
	uintptr_t at = 0;

	buf_init(&b, 0);
	if (index_more(inv, &b) == 0 && (key = entry_key(&b, group, kind, ns, name)))
		at = (uintptr_t)strmap_get(&inv->idx, key);
	else
		at = UINTPTR_MAX;
	buf_dispose(&b);
	if (at == UINTPTR_MAX)
		return scan(inv, group, kind, ns, name);
	return at ? &inv->items[at - 1] : NULL;
}

static bool field_ok(const char *s)
{
	return !strpbrk(s, "\t\n\r");
}

int inventory_encode(const struct inventory *inv, size_t max, struct buf *out, struct err *e)
{
	for (size_t i = 0; i < inv->n; i++) {
		const struct inv_entry *x = &inv->items[i];
		const char *f[] = {x->group, x->version, x->kind, x->ns, x->name, x->rv, x->uid};

		for (size_t j = 0; j < sizeof(f) / sizeof(f[0]); j++)
			if (!field_ok(f[j]))
				return err_set(e, TE_INPUT, "inventory: %s/%s has a tab or newline",
					       x->kind, x->name);
		if (buf_printf(out, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%lld\t%s\t%s\n", x->group,
			       x->version, x->kind, x->ns, x->name, x->hash, x->rv,
			       (long long)x->gen, x->uid, x->mgr) < 0 ||
		    out->len > max)
			return err_set(e, TE_NOMEM,
				       "inventory: %zu objects do not fit in %zu bytes (the "
				       "ConfigMap size limit); split the app",
				       inv->n, max);
	}
	return 0;
}

/* Splits line (modified in place) at tabs into exactly INV_FIELDS fields. */
static int split_fields(char *line, char **f)
{
	size_t n = 0;

	for (char *p = line;; p++) {
		if (n == INV_FIELDS)
			return TE_INPUT;
		f[n++] = p;
		p = strchr(p, '\t');
		if (!p)
			break;
		*p = '\0';
	}
	return n == INV_FIELDS ? 0 : TE_INPUT;
}

static int decode_line(struct inventory *inv, char *line, size_t lineno, struct err *e)
{
	struct inv_entry x;
	char *f[INV_FIELDS], *end;

	if (split_fields(line, f) < 0 || strlen(f[5]) != 16 || strlen(f[9]) != 16 || !*f[2] ||
	    !*f[4])
		return err_set(e, TE_INPUT, "inventory: line %zu is malformed", lineno);
	memset(&x, 0, sizeof(x));
	x.group = f[0], x.version = f[1], x.kind = f[2], x.ns = f[3], x.name = f[4];
	memcpy(x.hash, f[5], 17);
	x.rv = f[6];
	x.gen = strtoll(f[7], &end, 10);
	if (*end)
		return err_set(e, TE_INPUT, "inventory: line %zu is malformed", lineno);
	x.uid = f[8];
	memcpy(x.mgr, f[9], 17);
	if (inventory_add(inv, &x) < 0)
		return err_set(e, TE_NOMEM, "inventory: out of memory");
	return 0;
}

int inventory_decode(struct inventory *inv, const char *text, struct err *e)
{
	char *copy = xstrdup(text ? text : ""), *line, *save = NULL;
	size_t lineno = 0;
	int rc = 0;

	if (!copy)
		return err_set(e, TE_NOMEM, "inventory: out of memory");
	for (line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		lineno++;
		if ((rc = decode_line(inv, line, lineno, e)) < 0)
			break;
	}
	free(copy);
	return rc;
}

struct kv {
	const char *key, *value;
};

/* Adds n string members to o; o NULL (an object not made) fails too. */
static int add_strings(cJSON *o, const struct kv *kv, size_t n)
{
	if (!o)
		return TE_NOMEM;
	for (size_t i = 0; i < n; i++)
		if (json_object_add_string(o, kv[i].key, kv[i].value) < 0)
			return TE_NOMEM;
	return 0;
}

/* The ConfigMap's members: its name, namespace and labels, the text and the commit. */
static int configmap_fill(cJSON *cm, const char *name, const char *ns, const char *app,
			  const char *text, const char *commit)
{
	const struct kv top[] = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}};
	const struct kv meta[] = {{"name", name}, {"namespace", ns}};
	const struct kv labels[] = {{SYNC_LABEL_MANAGED_BY, "tether"},
				    {"tether.dev/inventory", app}};
	const struct kv data[] = {{INV_KEY, text}, {"commit", commit}};
	cJSON *m;

	if (add_strings(cm, top, 2) < 0 ||
	    add_strings(m = cJSON_AddObjectToObject(cm, "metadata"), meta, 2) < 0 ||
	    add_strings(cJSON_AddObjectToObject(m, "labels"), labels, 2) < 0)
		return TE_NOMEM;
	return add_strings(cJSON_AddObjectToObject(cm, "data"), data, 2);
}

int inventory_configmap(const char *text, const struct strlist *parts, const char *commit,
			const char *app, const char *ns, cJSON **out, struct err *e)
{
	cJSON *cm = cJSON_CreateObject();
	char *name = xasprintf(SYNC_INVENTORY_PREFIX "%s", app);
	int rc = TE_NOMEM;

	if (!cm || !name ||
	    (rc = configmap_fill(cm, name, ns, app, text, commit ? commit : "")) < 0 ||
	    (rc = parts_list_in(cm, parts)) < 0) {
		err_set(e, rc, "inventory: out of memory");
		free(name);
		cJSON_Delete(cm);
		return rc;
	}
	free(name);
	*out = cm;
	return 0;
}

int inventory_from_configmap(struct inventory *inv, const cJSON *cm, struct err *e)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
	const cJSON *objs = cJSON_GetObjectItemCaseSensitive(data, INV_KEY);
	const cJSON *commit = cJSON_GetObjectItemCaseSensitive(data, "commit");

	if (cJSON_IsString(commit) && !(inv->commit = xstrdup(commit->valuestring)))
		return err_set(e, TE_NOMEM, "inventory: out of memory");
	if (parts_of(cm, &inv->parts, e) < 0)
		return err_prefix(e, "inventory");
	if (!objs)
		return 0;
	if (!cJSON_IsString(objs))
		return err_set(e, TE_INPUT, "inventory: data.objects is not a string");
	return inventory_decode(inv, objs->valuestring, e);
}

int inv_entry_observe(struct inv_entry *x, const cJSON *obj)
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *rv = cJSON_GetObjectItemCaseSensitive(meta, "resourceVersion");
	const cJSON *uid = cJSON_GetObjectItemCaseSensitive(meta, "uid");
	const cJSON *gen = cJSON_GetObjectItemCaseSensitive(meta, "generation");

	free(x->rv);
	free(x->uid);
	x->rv = xstrdup(cJSON_IsString(rv) ? rv->valuestring : "");
	x->uid = xstrdup(cJSON_IsString(uid) ? uid->valuestring : "");
	x->gen = cJSON_IsNumber(gen) ? (int64_t)gen->valuedouble : 0;
	sync_hash_managers(obj, x->mgr);
	return x->rv && x->uid ? 0 : TE_NOMEM;
}
