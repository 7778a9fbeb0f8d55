/*
 * events: the Events tether wrote, as `kubectl events` would list them: those whose
 * reporting component is tether and whose object is an app's inventory, sorted by
 * their last time (then their name, for a stable order within a second).
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "ops.h"
#include "sync.h"

static bool ours(const cJSON *ev, const char *inv)
{
	const char *by = json_str(ev, "reportingComponent", NULL);
	const char *src = json_str(ev, "source", "component", NULL);
	const char *name = json_str_or(ev, "", "involvedObject", "name", NULL);

	if (!(by && !strcmp(by, "tether")) && !(src && !strcmp(src, "tether")))
		return false;
	if (inv)
		return !strcmp(name, inv);
	return !strncmp(name, SYNC_INVENTORY_PREFIX, strlen(SYNC_INVENTORY_PREFIX));
}

/* eventTime (events.k8s.io) when the old fields are empty. */
static const char *last_time(const cJSON *ev)
{
	const char *t = json_nonempty(ev, "lastTimestamp", NULL);

	return t ? t : json_str_or(ev, "", "eventTime", NULL);
}

static int by_time(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int64_t tx = ops_parse_time(last_time(x)), ty = ops_parse_time(last_time(y));

	if (tx != ty)
		return tx < ty ? -1 : 1;
	return strcmp(json_str_or(x, "", "metadata", "name", NULL),
		      json_str_or(y, "", "metadata", "name", NULL));
}

/* Keeps tether's Events of items, sorted, in a new array. */
static cJSON *sorted_ours(cJSON *items, const char *inv)
{
	size_t n = 0, m = (size_t)cJSON_GetArraySize(items);
	cJSON **v = calloc(m + 1, sizeof(*v)), *out = cJSON_CreateArray(), *it;

	if (!v || !out) {
		free(v);
		cJSON_Delete(out);
		return NULL;
	}
	cJSON_ArrayForEach(it, items)
	{
		if (ours(it, inv))
			v[n++] = it;
	}
	qsort(v, n, sizeof(*v), by_time);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(out, cJSON_DetachItemViaPointer(items, v[i]));
	free(v);
	return out;
}

int ops_events(struct kube *k, const char *ns, const char *app, cJSON **list, struct err *e)
{
	const struct kube_resource *res;
	cJSON *got = NULL, *items;
	char *inv = app ? xasprintf(SYNC_INVENTORY_PREFIX "%s", app) : NULL;
	int rc;

	*list = NULL;
	if (app && !inv)
		return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = kube_resolve(k, "v1", "Event", &res, e)) < 0 ||
	    (rc = kube_list(k, res, ns, NULL, &got, e)) < 0) {
		err_prefix(e, "list events");
		goto out;
	}
	if (!(items = sorted_ours(cJSON_GetObjectItemCaseSensitive(got, "items"), inv)) ||
	    !(*list = cJSON_CreateObject())) {
		cJSON_Delete(items);
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	cJSON_AddStringToObject(*list, "apiVersion", "v1");
	cJSON_AddStringToObject(*list, "kind", "List");
	cJSON_AddItemToObject(*list, "items", items);
	cJSON_AddItemToObject(*list, "metadata", cJSON_CreateObject());
out:
	cJSON_Delete(got);
	free(inv);
	return rc;
}
