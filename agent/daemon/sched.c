/*
 * sched: which due apps go to the workers next, as a pure function of their times so
 * that the order can be tested alone. A webhook's app goes first (the oldest push
 * first), then the due apps, the longest overdue first: an app that waits only gets
 * older, so every due app is reached. An app overdue for SCHED_STARVE_MS goes even
 * before the webhooks': a stream of pushes to some apps cannot starve the others. An
 * app in a worker is never picked: it is checked by one worker at a time.
 */
#include <stdlib.h>

#include "daemon_int.h"

/* The class an app is in (0 first), or -1 when it is not due. */
static int sched_class(const struct sched_app *s, int64_t now)
{
	if (s->busy)
		return -1;
	if (s->due <= now - SCHED_STARVE_MS)
		return 0;
	if (s->triggered)
		return 1;
	return s->due <= now ? 2 : -1;
}

static int key_cmp(const void *pa, const void *pb)
{
	const struct sched_key *a = pa, *b = pb;

	if (a->cls != b->cls)
		return a->cls < b->cls ? -1 : 1;
	if (a->at != b->at)
		return a->at < b->at ? -1 : 1;
	return a->i < b->i ? -1 : a->i > b->i;
}

size_t sched_order(const struct sched_app *apps, size_t n, int64_t now, struct sched_key *scratch,
		   size_t *order, int64_t *wait_ms)
{
	size_t k = 0;

	*wait_ms = SCHED_IDLE_MS;
	for (size_t i = 0; i < n; i++) {
		int cls = sched_class(&apps[i], now);

		if (cls >= 0) {
			scratch[k++] = (struct sched_key){
			    cls, cls == 1 ? apps[i].triggered_ms : apps[i].due, i};
		} else if (!apps[i].busy && apps[i].due - now < *wait_ms) {
			*wait_ms = apps[i].due - now;
		}
	}
	qsort(scratch, k, sizeof(*scratch), key_cmp);
	for (size_t i = 0; i < k; i++)
		order[i] = scratch[i].i;
	return k;
}
