/*
 * kustomize_order: the order of a build's output, as kustomize's SortOrderTransformer
 * has it. The legacy order ranks kinds by two lists (kinds first, kinds last, every
 * other kind in between); objects of different group/version/kind compare by rank,
 * then by "group_version_kind"; objects of one group/version/kind by "namespace|name".
 * The fifo order keeps the order resources were read in. Nothing here reads files.
 */
#include <stdlib.h>
#include <string.h>

#include "kustomize_int.h"

/* kustomize's default lists, which it promises never to change. */
static const char *const ks_default_first[] = {
    "Namespace",
    "ResourceQuota",
    "StorageClass",
    "CustomResourceDefinition",
    "ServiceAccount",
    "PodSecurityPolicy",
    "Role",
    "ClusterRole",
    "RoleBinding",
    "ClusterRoleBinding",
    "ConfigMap",
    "Secret",
    "Endpoints",
    "Service",
    "LimitRange",
    "PriorityClass",
    "PersistentVolume",
    "PersistentVolumeClaim",
    "Deployment",
    "StatefulSet",
    "CronJob",
    "PodDisruptionBudget",
};
static const char *const ks_default_last[] = {
    "MutatingWebhookConfiguration",
    "ValidatingWebhookConfiguration",
};

#define KS_NELEM(a) (sizeof(a) / sizeof((a)[0]))

void ks_order_init(struct ks_order *o)
{
	memset(o, 0, sizeof(*o));
	strlist_init(&o->first);
	strlist_init(&o->last);
}

void ks_order_dispose(struct ks_order *o)
{
	if (!o)
		return;
	strlist_dispose(&o->first);
	strlist_dispose(&o->last);
}

/* legacySortOptions.<key>: a list of kinds (absent or null: none, as in kustomize). */
static int ks_order_list(struct strlist *l, const char *file, const cJSON *lso, const char *key,
			 struct err *e)
{
	const cJSON *list = cJSON_GetObjectItemCaseSensitive(lso, key), *it;

	if (!list || cJSON_IsNull(list))
		return 0;
	if (!cJSON_IsArray(list))
		return err_set(e, TE_INPUT, "%s: sortOptions.legacySortOptions.%s must be a list",
			       file, key);
	cJSON_ArrayForEach(it, list)
	{
		if (!cJSON_IsString(it))
			return err_set(e, TE_INPUT,
				       "%s: sortOptions.legacySortOptions.%s entries must be kinds "
				       "(strings)",
				       file, key);
		if (strlist_add(l, it->valuestring) < 0)
			return err_set(e, TE_NOMEM, "out of memory");
	}
	return 0;
}

int ks_order_read(struct ks_order *o, const char *file, const cJSON *so, struct err *e)
{
	const cJSON *lso = cJSON_GetObjectItemCaseSensitive(so, "legacySortOptions");
	const char *order = json_str(so, "order", NULL);
	int rc;

	if (!cJSON_IsObject(so))
		return err_set(e, TE_INPUT, "%s: sortOptions must be a mapping", file);
	if (!order || (strcmp(order, "legacy") != 0 && strcmp(order, "fifo") != 0))
		return err_set(e, TE_INPUT, "%s: sortOptions.order must be legacy or fifo", file);
	o->fifo = strcmp(order, "fifo") == 0;
	if (!lso || cJSON_IsNull(lso))
		return 0;
	if (o->fifo)
		return err_set(e, TE_INPUT,
			       "%s: sortOptions.legacySortOptions is set but sortOptions.order is "
			       "fifo, not legacy",
			       file);
	if (!cJSON_IsObject(lso))
		return err_set(e, TE_INPUT, "%s: sortOptions.legacySortOptions must be a mapping",
			       file);
	o->custom = true;
	if ((rc = ks_order_list(&o->first, file, lso, "orderFirst", e)) < 0 ||
	    (rc = ks_order_list(&o->last, file, lso, "orderLast", e)) < 0)
		return rc;
	return 0;
}

/* Index of the last occurrence of kind in list, or -1 (a kind named twice takes the
 * later place, as kustomize's map of ranks does). */
static long ks_last_index(const char *const *list, size_t n, const char *kind)
{
	for (size_t i = n; i-- > 0;)
		if (strcmp(list[i], kind) == 0)
			return (long)i;
	return -1;
}

/* Negative for the kinds first, positive for the kinds last, 0 for the others. */
static long ks_kind_rank(const struct ks_order *o, const char *kind)
{
	const char *const *first = ks_default_first, *const *last = ks_default_last;
	size_t nfirst = KS_NELEM(ks_default_first), nlast = KS_NELEM(ks_default_last);
	long i;

	if (o && o->custom) {
		first = (const char *const *)o->first.items;
		nfirst = o->first.n;
		last = (const char *const *)o->last.items;
		nlast = o->last.n;
	}
	if ((i = ks_last_index(last, nlast, kind)) >= 0)
		return 1 + i;
	if ((i = ks_last_index(first, nfirst, kind)) >= 0)
		return i - (long)nfirst;
	return 0;
}

struct ks_sortkey {
	long rank;
	char *gvk; /* "group_version_kind", "~G", "~V", "~K" for empty parts */
	char *id;  /* "namespace|name", "~X", "~N" for empty parts */
	size_t idx;
};

static const char *ks_or(const char *s, const char *def)
{
	return s && *s ? s : def;
}

static int ks_sortkey_make(struct ks_sortkey *k, const struct ks_order *o, const cJSON *body,
			   size_t idx)
{
	char g[256], v[128];
	const char *kind = ks_kind(body);

	ks_group_version(body, g, sizeof(g), v, sizeof(v));
	k->rank = ks_kind_rank(o, kind);
	k->idx = idx;
	k->gvk = xasprintf("%s_%s_%s", ks_or(g, "~G"), ks_or(v, "~V"), ks_or(kind, "~K"));
	k->id = xasprintf("%s|%s", ks_or(ks_ns(body), "~X"), ks_or(ks_name(body), "~N"));
	return k->gvk && k->id ? 0 : TE_NOMEM;
}

static int ks_sortkey_cmp(const void *pa, const void *pb)
{
	const struct ks_sortkey *a = pa, *b = pb;
	int c = strcmp(a->gvk, b->gvk);

	if (c == 0)
		return strcmp(a->id, b->id);
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return c;
}

/* Puts the items in the order of the sorted keys. */
static int ks_set_permute(struct ks_set *s, const struct ks_sortkey *keys)
{
	struct ks_res *items = malloc(s->n * sizeof(*items));

	if (!items)
		return TE_NOMEM;
	for (size_t i = 0; i < s->n; i++)
		items[i] = s->items[keys[i].idx];
	memcpy(s->items, items, s->n * sizeof(*items));
	free(items);
	return 0;
}

int ks_set_sort(struct ks_set *s, const struct ks_order *o, struct err *e)
{
	struct ks_sortkey *keys;
	int rc = 0;

	if ((o && o->fifo) || s->n < 2)
		return 0;
	if (!(keys = calloc(s->n, sizeof(*keys))))
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < s->n && rc == 0; i++)
		rc = ks_sortkey_make(&keys[i], o, s->items[i].body, i);
	if (rc == 0) {
		qsort(keys, s->n, sizeof(*keys), ks_sortkey_cmp);
		rc = ks_set_permute(s, keys);
	}
	for (size_t i = 0; i < s->n; i++) {
		free(keys[i].gvk);
		free(keys[i].id);
	}
	free(keys);
	return rc < 0 ? err_set(e, rc, "out of memory") : 0;
}
