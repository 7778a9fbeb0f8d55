/*
 * kustomize_index: a small string multimap (key to resource indexes) so that the
 * identity checks and the name-reference lookups of a build stay linear in the
 * number of objects: a repository of 10,000 objects must not cost 10^8 comparisons.
 */
#include <stdlib.h>
#include <string.h>

#include "kustomize_int.h"

static size_t ks_hash(const char *s)
{
	size_t h = 1469598103934665603ULL;

	while (*s)
		h = (h ^ (unsigned char)*s++) * 1099511628211ULL;
	return h;
}

int ks_index_init(struct ks_index *x, size_t expected)
{
	memset(x, 0, sizeof(*x));
	x->cap = 64;
	while (x->cap < expected * 2)
		x->cap *= 2;
	x->heads = calloc(x->cap, sizeof(*x->heads));
	return x->heads ? 0 : TE_NOMEM;
}

void ks_index_dispose(struct ks_index *x)
{
	if (!x)
		return;
	for (size_t i = 0; i < x->n; i++)
		free(x->pairs[i].key);
	free(x->pairs);
	free(x->heads);
	memset(x, 0, sizeof(*x));
}

int ks_index_add(struct ks_index *x, const char *key, size_t val)
{
	size_t slot = ks_hash(key) & (x->cap - 1);
	struct ks_pair *p;

	if (array_reserve(&x->pairs, &x->pcap, x->n + 1, sizeof(*x->pairs)) < 0)
		return TE_NOMEM;
	p = &x->pairs[x->n];
	if (!(p->key = xstrdup(key)))
		return TE_NOMEM;
	p->val = val;
	p->next = x->heads[slot];
	x->heads[slot] = ++x->n;
	return 0;
}

/* Values stored under key, most recent first: *out is an array of at most max. */
size_t ks_index_get(const struct ks_index *x, const char *key, size_t *out, size_t max)
{
	size_t n = 0;

	for (size_t it = x->heads[ks_hash(key) & (x->cap - 1)]; it && n < max;
	     it = x->pairs[it - 1].next)
		if (strcmp(x->pairs[it - 1].key, key) == 0)
			out[n++] = x->pairs[it - 1].val;
	return n;
}

/* "group|kind|namespace|name", the namespace "" read as "default". */
static char *ks_id_key(const cJSON *body)
{
	char g[256], v[64];
	const char *ns = ks_ns(body);

	ks_group_version(body, g, sizeof(g), v, sizeof(v));
	return xasprintf("%s|%s|%s|%s", g, ks_kind(body), ns && *ns ? ns : "default",
			 ks_name(body));
}

int ks_set_check_unique(const struct ks_set *s, const char *file, struct err *e)
{
	struct ks_index x;
	int rc;

	if ((rc = ks_index_init(&x, s->n)) < 0)
		return err_set(e, rc, "out of memory");
	for (size_t i = 0; i < s->n && rc == 0; i++) {
		const cJSON *b = s->items[i].body;
		char *key = ks_id_key(b);
		size_t first;

		if (!key) {
			rc = err_set(e, TE_NOMEM, "out of memory");
		} else if (ks_index_get(&x, key, &first, 1) == 1) {
			const char *ns = ks_ns(b);

			rc = err_set(e, TE_INPUT,
				     "%s: %s %s%s%s from %s:%d is already defined in %s:%d", file,
				     ks_kind(b), ns ? ns : "", ns ? "/" : "", ks_name(b),
				     s->items[i].file, s->items[i].line, s->items[first].file,
				     s->items[first].line);
		} else if (ks_index_add(&x, key, i) < 0) {
			rc = err_set(e, TE_NOMEM, "out of memory");
		}
		free(key);
	}
	ks_index_dispose(&x);
	return rc;
}
