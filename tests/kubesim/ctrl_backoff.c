/*
 * ctrl_backoff: client-go's flowcontrol.Backoff as the DaemonSet controller uses it for
 * failed daemon pods (1 s doubling to 15 min, per DaemonSet and node, no jitter), so a
 * pod that keeps failing is deleted and recreated ever more slowly, not in a hot loop.
 * A fixed table: an entry unused for twice the maximum is expired and reused.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "controllers_int.h"

#define BACKOFF_SLOTS 512

struct backoff_entry {
	char key[300];
	int64_t backoff_ms, last_ms;
};

struct ctrl_backoff {
	struct backoff_entry e[BACKOFF_SLOTS];
};

static bool expired(const struct backoff_entry *b, int64_t now)
{
	return !b->key[0] || now - b->last_ms > 2 * CTRL_BACKOFF_MAX_MS;
}

static struct backoff_entry *find(struct ctrl_backoff *bo, const char *key)
{
	for (size_t i = 0; bo && i < BACKOFF_SLOTS; i++)
		if (strcmp(bo->e[i].key, key) == 0)
			return &bo->e[i];
	return NULL;
}

bool ctrl_backoff_active(struct ctrl_backoff *bo, const char *key, int64_t now, int64_t *delay)
{
	struct backoff_entry *b = find(bo, key);

	if (!b || now - b->last_ms >= b->backoff_ms)
		return false;
	*delay = b->backoff_ms;
	return true;
}

void ctrl_backoff_next(struct ctrl_backoff *bo, const char *key, int64_t now)
{
	struct backoff_entry *b = find(bo, key), *oldest = NULL;

	if (!bo)
		return;
	if (!b || expired(b, now)) {
		for (size_t i = 0; !b && i < BACKOFF_SLOTS; i++) {
			if (expired(&bo->e[i], now))
				b = &bo->e[i];
			else if (!oldest || bo->e[i].last_ms < oldest->last_ms)
				oldest = &bo->e[i];
		}
		b = b ? b : oldest;
		snprintf(b->key, sizeof(b->key), "%s", key);
		b->backoff_ms = CTRL_BACKOFF_INITIAL_MS;
	} else
		b->backoff_ms = b->backoff_ms * 2 > CTRL_BACKOFF_MAX_MS ? CTRL_BACKOFF_MAX_MS
								      : b->backoff_ms * 2;
	b->last_ms = now;
}

struct ctrl_backoff *ctrl_backoff_new(void)
{
	return calloc(1, sizeof(struct ctrl_backoff));
}

void ctrl_backoff_free(struct ctrl_backoff *bo)
{
	free(bo);
}
