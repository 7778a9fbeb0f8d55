/*
 * ratelog: decides whether a log line about a source (a client address) may be written
 * now: one per interval per source, counting the ones held back. It only decides; the
 * caller writes the line. A fixed table bounds memory whatever the number of sources.
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"

struct ratelog_entry {
	char source[64];
	int64_t last_ms; /* the last line written */
	long suppressed; /* held back since */
};

struct ratelog {
	pthread_mutex_t mu;
	struct ratelog_entry *e;
	size_t n, max;
	int64_t interval_ms;
};

struct ratelog *ratelog_new(size_t max_sources, int64_t interval_ms)
{
	struct ratelog *rl = calloc(1, sizeof(*rl));

	if (!rl || !(rl->e = calloc(max_sources ? max_sources : 1, sizeof(*rl->e)))) {
		free(rl);
		return NULL;
	}
	pthread_mutex_init(&rl->mu, NULL);
	rl->max = max_sources ? max_sources : 1;
	rl->interval_ms = interval_ms;
	return rl;
}

void ratelog_free(struct ratelog *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl->e);
	free(rl);
}

/* The source's entry; a new one (the oldest replaced when the table is full). */
static struct ratelog_entry *entry_of(struct ratelog *rl, const char *source, bool *fresh)
{
	struct ratelog_entry *oldest = &rl->e[0];

	for (size_t i = 0; i < rl->n; i++) {
		if (!strcmp(rl->e[i].source, source))
			return &rl->e[i];
		if (rl->e[i].last_ms < oldest->last_ms)
			oldest = &rl->e[i];
	}
	*fresh = true;
	if (rl->n < rl->max)
		oldest = &rl->e[rl->n++];
	memset(oldest, 0, sizeof(*oldest));
	snprintf(oldest->source, sizeof(oldest->source), "%s", source);
	return oldest;
}

bool ratelog_allow(struct ratelog *rl, const char *source, int64_t now, long *suppressed)
{
	struct ratelog_entry *en;
	bool fresh = false, allow;

	*suppressed = 0;
	if (!rl)
		return true;
	pthread_mutex_lock(&rl->mu);
	en = entry_of(rl, source ? source : "", &fresh);
	allow = fresh || now - en->last_ms >= rl->interval_ms;
	if (allow) {
		*suppressed = en->suppressed;
		en->suppressed = 0;
		en->last_ms = now;
	} else
		en->suppressed++;
	pthread_mutex_unlock(&rl->mu);
	return allow;
}
