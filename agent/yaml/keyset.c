/* keyset: an open-addressing string set (FNV-1a), grown at half load. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "yaml_int.h"

void keyset_init(struct keyset *s)
{
	s->slots = NULL;
	s->n = s->cap = 0;
}

void keyset_dispose(struct keyset *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->cap; i++)
		free(s->slots[i].key);
	free(s->slots);
	keyset_init(s);
}

static uint64_t key_hash(const char *k)
{
	uint64_t h = 1469598103934665603ULL;

	for (; *k; k++)
		h = (h ^ (unsigned char)*k) * 1099511628211ULL;
	return h;
}

static struct keyset_entry *slot_for(struct keyset_entry *slots, size_t cap, const char *key)
{
	size_t i = key_hash(key) & (cap - 1);

	while (slots[i].key && strcmp(slots[i].key, key) != 0)
		i = (i + 1) & (cap - 1);
	return &slots[i];
}

struct keyset_entry *keyset_find(struct keyset *s, const char *key)
{
	struct keyset_entry *e;

	if (!s->cap)
		return NULL;
	e = slot_for(s->slots, s->cap, key);
	return e->key ? e : NULL;
}

static int keyset_grow(struct keyset *s)
{
	size_t cap = s->cap ? s->cap * 2 : 16;
	struct keyset_entry *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -1;
	for (size_t i = 0; i < s->cap; i++)
		if (s->slots[i].key)
			*slot_for(slots, cap, s->slots[i].key) = s->slots[i];
	free(s->slots);
	s->slots = slots;
	s->cap = cap;
	return 0;
}

struct keyset_entry *keyset_add(struct keyset *s, const char *key, int line, bool merged)
{
	struct keyset_entry *e;

	if ((s->n + 1) * 2 > s->cap && keyset_grow(s) < 0)
		return NULL;
	e = slot_for(s->slots, s->cap, key);
	e->key = strdup(key);
	if (!e->key)
		return NULL;
	e->line = line;
	e->merged = merged;
	s->n++;
	return e;
}
