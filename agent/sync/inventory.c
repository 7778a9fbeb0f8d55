/*
 * inventory: what tether applied for an app, kept in the cluster (a ConfigMap
 * tether-inventory-<app>) so a CI run on a fresh runner is stateless and a crash loses
 * nothing. One line per object, tab-separated, so 1,000 objects take ~150 KiB, well
 * under the 1 MiB object limit:
 *   group  version  kind  namespace  name  hash  resourceVersion  generation  uid  managers
 * Names cannot hold tabs or newlines (Kubernetes validates them), and decoding refuses
 * lines that do not fit rather than guessing.
 */
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

struct inv_entry *inventory_find(const struct inventory *inv, const char *group, const char *kind,
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

int inventory_configmap(const struct inventory *inv, const char *app, const char *ns, cJSON **out,
			struct err *e)
{
	cJSON *cm = cJSON_CreateObject();
	struct buf b;
	char *name = xasprintf(SYNC_INVENTORY_PREFIX "%s", app);
	int rc = TE_NOMEM;

	/* The ConfigMap limit is 1 MiB for the whole object; leave room for metadata. */
	buf_init(&b, (size_t)1 << 20);
	if (!cm || !name)
		goto fail;
	if ((rc = inventory_encode(inv, INVENTORY_MAX_BYTES, &b, e)) < 0)
		goto fail;
	if ((rc = configmap_fill(cm, name, ns, app, b.data ? b.data : "",
				 inv->commit ? inv->commit : "")) < 0)
		goto fail;
	free(name);
	buf_dispose(&b);
	*out = cm;
	return 0;
fail:
	err_set(e, rc, "inventory: out of memory");
	free(name);
	buf_dispose(&b);
	cJSON_Delete(cm);
	return rc;
}

int inventory_from_configmap(struct inventory *inv, const cJSON *cm, struct err *e)
{
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(cm, "data");
	const cJSON *objs = cJSON_GetObjectItemCaseSensitive(data, INV_KEY);
	const cJSON *commit = cJSON_GetObjectItemCaseSensitive(data, "commit");

	if (cJSON_IsString(commit) && !(inv->commit = xstrdup(commit->valuestring)))
		return err_set(e, TE_NOMEM, "inventory: out of memory");
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
