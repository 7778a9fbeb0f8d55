/*
 * yaml_int: the YAML reader's internals. keyset: the keys seen in one YAML mapping, so
 * duplicate keys are found without quadratic scans of huge mappings, and merged (<<)
 * keys can be told from explicit ones.
 */
#ifndef TETHER_YAML_INT_H
#define TETHER_YAML_INT_H

#include <stdbool.h>
#include <stddef.h>

struct keyset_entry {
	char *key;
	int line;
	bool merged;
};

struct keyset {
	struct keyset_entry *slots;
	size_t n, cap;
};

void keyset_init(struct keyset *s);
void keyset_dispose(struct keyset *s);
struct keyset_entry *keyset_find(struct keyset *s, const char *key);
/* Adds key (copied); NULL when out of memory. key must not be present. */
struct keyset_entry *keyset_add(struct keyset *s, const char *key, int line, bool merged);

#endif
