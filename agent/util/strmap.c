/*
 * strmap: a string-keyed hash index (open addressing, linear probing, FNV-1a), so
 * that looking objects up by identity costs O(1) and nothing between render and
 * record grows quadratically with the app. Keys are copied; values are borrowed.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return h;
}

void strmap_init(struct strmap *m)
{
	memset(m, 0, sizeof(*m));
}

void strmap_dispose(struct strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].key);
	free(m->slots);
	strmap_init(m);
}

/* The slot of key, or the empty slot where it would go (cap is a power of two). */
static struct strmap_slot *slot_of(struct strmap_slot *slots, size_t cap, const char *key)
{
	size_t i = (size_t)fnv1a(key) & (cap - 1);

	while (slots[i].key && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

static int grow(struct strmap *m)
{
	size_t cap = m->cap ? m->cap * 2 : 16;
	struct strmap_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return TE_NOMEM;
	for (size_t i = 0; i < m->cap; i++)
		if (m->slots[i].key)
			*slot_of(slots, cap, m->slots[i].key) = m->slots[i];
	free(m->slots);
	m->slots = slots;
	m->cap = cap;
	return 0;
}

int strmap_put(struct strmap *m, const char *key, void *value)
{
	struct strmap_slot *s = m->cap ? slot_of(m->slots, m->cap, key) : NULL;

	if (s && s->key) { /* a key already there: no allocation */
		s->value = value;
		return 0;
	}
	if ((m->n + 1) * 4 > m->cap * 3 && grow(m) < 0) /* load factor at most 3/4 */
		return TE_NOMEM;
	s = slot_of(m->slots, m->cap, key);
	if (!s->key) {
		if (!(s->key = strdup(key)))
			return TE_NOMEM;
		m->n++;
	}
	s->value = value;
	return 0;
}

void *strmap_get(const struct strmap *m, const char *key)
{
	return m->cap ? slot_of(m->slots, m->cap, key)->value : NULL;
}

char *strmap_key(struct buf *b, const char *const *parts, size_t n)
{
	buf_reset(b);
	for (size_t i = 0; i < n; i++)
		if (buf_puts(b, parts[i] ? parts[i] : "") < 0 || buf_append(b, "\x1f", 1) < 0)
			return NULL;
	return b->data;
}
