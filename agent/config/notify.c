/*
 * notify: the `notify:` entries of the configuration as data (agent/notify delivers
 * them). Entries at the top level are copied into every app, like any top-level
 * option; an app's own entries are added after them.
 */
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

static const char *const event_names[NOTIFY_EVENTS] = {
    "started", "synced", "sync-failed", "rollout-failed", "reverted", "drift", "drift-recovered",
};

int notify_event_parse(const char *name)
{
	for (int i = 0; i < NOTIFY_EVENTS; i++)
		if (strcmp(name, event_names[i]) == 0)
			return i;
	return -1;
}

const char *notify_event_name(enum notify_event ev)
{
	return (unsigned)ev < NOTIFY_EVENTS ? event_names[ev] : "unknown";
}

void notify_target_dispose(struct notify_target *t)
{
	free(t->type);
	free(t->url);
	free(t->token_file);
	free(t->repo);
	memset(t, 0, sizeof(*t));
}

void notify_targets_free(struct notify_target *v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		notify_target_dispose(&v[i]);
	free(v);
}

static int target_copy(struct notify_target *dst, const struct notify_target *src)
{
	*dst = *src;
	dst->type = xstrdup(src->type);
	dst->url = xstrdup(src->url);
	dst->token_file = xstrdup(src->token_file);
	dst->repo = xstrdup(src->repo);
	if ((src->type && !dst->type) || (src->url && !dst->url) ||
	    (src->token_file && !dst->token_file) || (src->repo && !dst->repo)) {
		notify_target_dispose(dst);
		return TE_NOMEM;
	}
	return 0;
}

int notify_targets_copy(struct notify_target **out, const struct notify_target *src, size_t n)
{
	struct notify_target *v;

	*out = NULL;
	if (!n)
		return 0;
	if (!(v = calloc(n, sizeof(*v))))
		return TE_NOMEM;
	for (size_t i = 0; i < n; i++) {
		if (target_copy(&v[i], &src[i]) < 0) {
			notify_targets_free(v, i);
			return TE_NOMEM;
		}
	}
	*out = v;
	return 0;
}

/* Default events: a chat or webhook hears of trouble, a commit status of every sync. */
unsigned notify_default_events(const char *type)
{
	if (strcmp(type, "github") == 0 || strcmp(type, "gitlab") == 0)
		return 1u << NOTIFY_STARTED | 1u << NOTIFY_SYNCED | 1u << NOTIFY_SYNC_FAILED |
		       1u << NOTIFY_ROLLOUT_FAILED | 1u << NOTIFY_REVERTED;
	return 1u << NOTIFY_SYNC_FAILED | 1u << NOTIFY_ROLLOUT_FAILED | 1u << NOTIFY_REVERTED |
	       1u << NOTIFY_DRIFT | 1u << NOTIFY_DRIFT_RECOVERED;
}
