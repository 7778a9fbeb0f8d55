/*
 * rbac_index: RoleBindings and ClusterRoleBindings indexed by subject (user, group,
 * serviceaccount), kept up to date from the store's write events, so that a request
 * looks up only the bindings naming its user and groups instead of scanning them all.
 * The caller holds the store lock for every call (the store's events arrive with it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"

#define NBUCKETS 1024

struct entry {
	struct entry *next;
	char *key;		/* "U:alice", "G:dev", "U:system:serviceaccount:ns:sa" */
	struct rbac_bref b;	/* strings owned by the entry */
};

struct rbac_index {
	struct entry *bucket[NBUCKETS];
};

static unsigned hash(const char *s)
{
	unsigned h = 2166136261u;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 16777619u;
	return h % NBUCKETS;
}

struct rbac_index *rbac_index_new(void)
{
	return calloc(1, sizeof(struct rbac_index));
}

static void entry_free(struct entry *en)
{
	free(en->key);
	free((char *)en->b.ns);
	free((char *)en->b.name);
	free((char *)en->b.role_kind);
	free((char *)en->b.role_name);
	free((char *)en->b.subject);
	free(en);
}

void rbac_index_free(struct rbac_index *ix)
{
	if (!ix)
		return;
	for (int i = 0; i < NBUCKETS; i++) {
		struct entry *en = ix->bucket[i], *nx;

		for (; en; en = nx) {
			nx = en->next;
			entry_free(en);
		}
	}
	free(ix);
}

static const char *str_or(const cJSON *o, const char *key, const char *def)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : def;
}

static char *xstrdup(const char *s)
{
	char *p = strdup(s ? s : "");

	if (!p)
		abort();
	return p;
}

/* The index key and the describer text of one subject; false if it matches nobody. */
static bool subject_key(const cJSON *s, bool cluster, const char *bns, char *key, size_t klen,
			char *desc, size_t dlen)
{
	const char *kind = str_or(s, "kind", ""), *name = str_or(s, "name", "");
	const char *ns = str_or(s, "namespace", "");

	if (strcmp(kind, "User") == 0) {
		snprintf(key, klen, "U:%s", name);
		snprintf(desc, dlen, "User \"%s\"", name);
	} else if (strcmp(kind, "Group") == 0) {
		snprintf(key, klen, "G:%s", name);
		snprintf(desc, dlen, "Group \"%s\"", name);
	} else if (strcmp(kind, "ServiceAccount") == 0) {
		if (!*ns && !cluster)
			ns = bns;
		if (!*ns)
			return false;
		snprintf(key, klen, "U:system:serviceaccount:%s:%s", ns, name);
		snprintf(desc, dlen, "ServiceAccount \"%s/%s\"", name, ns);
	} else {
		return false;
	}
	return true;
}

static void remove_binding(struct rbac_index *ix, bool cluster, const char *ns, const char *name,
			   const char *key)
{
	struct entry **pp = &ix->bucket[hash(key)];

	while (*pp) {
		struct entry *en = *pp;

		if (en->b.cluster == cluster && strcmp(en->key, key) == 0 &&
		    strcmp(en->b.ns, ns) == 0 && strcmp(en->b.name, name) == 0) {
			*pp = en->next;
			entry_free(en);
		} else {
			pp = &en->next;
		}
	}
}

static void add_binding(struct rbac_index *ix, bool cluster, const cJSON *obj, const char *key,
			const char *desc)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *ref = cJSON_GetObjectItemCaseSensitive(obj, "roleRef");
	struct entry *en = calloc(1, sizeof(*en));
	unsigned h = hash(key);

	if (!en)
		abort();
	en->key = xstrdup(key);
	en->b.cluster = cluster;
	en->b.ns = xstrdup(cluster ? "" : str_or(md, "namespace", ""));
	en->b.name = xstrdup(str_or(md, "name", ""));
	en->b.role_kind = xstrdup(str_or(ref, "kind", ""));
	en->b.role_name = xstrdup(str_or(ref, "name", ""));
	en->b.subject = xstrdup(desc);
	en->next = ix->bucket[h];
	ix->bucket[h] = en;
}

/* Calls add (obj) or remove for every subject of a binding. */
static void each_subject(struct rbac_index *ix, bool cluster, const cJSON *obj, bool add)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *s;
	const char *ns = cluster ? "" : str_or(md, "namespace", "");
	const char *name = str_or(md, "name", "");
	char key[600], desc[600];

	cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(obj, "subjects")) {
		if (!subject_key(s, cluster, ns, key, sizeof(key), desc, sizeof(desc)))
			continue;
		if (add)
			add_binding(ix, cluster, obj, key, desc);
		else
			remove_binding(ix, cluster, ns, name, key);
	}
}

void rbac_index_update(struct rbac_index *ix, bool cluster, const cJSON *old, const cJSON *obj)
{
	if (old)
		each_subject(ix, cluster, old, false);
	if (obj)
		each_subject(ix, cluster, obj, true);
}

struct found {
	struct rbac_bref *v;
	size_t n, cap;
};

static void found_add(struct found *f, const struct rbac_bref *b)
{
	for (size_t i = 0; i < f->n; i++)
		if (f->v[i].cluster == b->cluster && strcmp(f->v[i].ns, b->ns) == 0 &&
		    strcmp(f->v[i].name, b->name) == 0)
			return; /* a binding is visited once, for its first matching subject */
	if (f->n == f->cap) {
		f->cap = f->cap ? f->cap * 2 : 8;
		f->v = realloc(f->v, f->cap * sizeof(*f->v));
		if (!f->v)
			abort();
	}
	f->v[f->n++] = *b;
}

static void lookup_key(const struct rbac_index *ix, const char *key, const char *ns,
		       struct found *f)
{
	for (const struct entry *en = ix->bucket[hash(key)]; en; en = en->next) {
		if (strcmp(en->key, key) != 0)
			continue;
		if (en->b.cluster || (*ns && strcmp(en->b.ns, ns) == 0))
			found_add(f, &en->b);
	}
}

static int bref_cmp(const void *pa, const void *pb)
{
	const struct rbac_bref *a = pa, *b = pb;

	if (a->cluster != b->cluster)
		return a->cluster ? -1 : 1;
	return strcmp(a->name, b->name);
}

size_t rbac_index_lookup(const struct rbac_index *ix, const struct auth_user *u, const char *ns,
			 struct rbac_bref **out)
{
	struct found f = {0};
	char key[300];

	snprintf(key, sizeof(key), "U:%s", u->name);
	lookup_key(ix, key, ns, &f);
	for (int i = 0; i < u->ngroups; i++) {
		snprintf(key, sizeof(key), "G:%s", u->groups[i]);
		lookup_key(ix, key, ns, &f);
	}
	if (f.n > 1)
		qsort(f.v, f.n, sizeof(*f.v), bref_cmp);
	*out = f.v;
	return f.n;
}
