/*
 * result: what a sync did, for the summary line and `-o json`. Names only: no object
 * content, so no Secret value can leak through it.
 */
#include <stdlib.h>
#include <string.h>

#include "sync.h"

void sync_result_init(struct sync_result *r)
{
	memset(r, 0, sizeof(*r));
	strlist_init(&r->created);
	strlist_init(&r->changed);
	strlist_init(&r->unchanged);
	strlist_init(&r->pruned);
	strlist_init(&r->skipped);
	strlist_init(&r->adopted);
	strlist_init(&r->not_in_git);
	strlist_init(&r->errors);
}

void sync_result_dispose(struct sync_result *r)
{
	if (!r)
		return;
	free(r->app);
	free(r->namespace);
	free(r->inventory_moved);
	strlist_dispose(&r->created);
	strlist_dispose(&r->changed);
	strlist_dispose(&r->unchanged);
	strlist_dispose(&r->pruned);
	strlist_dispose(&r->skipped);
	strlist_dispose(&r->adopted);
	strlist_dispose(&r->not_in_git);
	strlist_dispose(&r->errors);
	for (size_t i = 0; i < r->n_rollouts; i++) {
		free(r->rollouts[i].object);
		free(r->rollouts[i].status);
		free(r->rollouts[i].message);
	}
	free(r->rollouts);
	memset(r, 0, sizeof(*r));
}

static cJSON *names(const struct strlist *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->n; i++)
		cJSON_AddItemToArray(a, cJSON_CreateString(l->items[i]));
	return a;
}

static void add_objects(cJSON *root, const struct sync_result *r)
{
	cJSON *o = cJSON_AddObjectToObject(root, "objects");

	cJSON_AddItemToObject(o, "created", names(&r->created));
	cJSON_AddItemToObject(o, "changed", names(&r->changed));
	cJSON_AddItemToObject(o, "unchanged", names(&r->unchanged));
	cJSON_AddItemToObject(o, "pruned", names(&r->pruned));
	cJSON_AddItemToObject(o, "pruneSkipped", names(&r->skipped));
	cJSON_AddItemToObject(o, "adopted", names(&r->adopted));
	cJSON_AddItemToObject(o, "notInGit", names(&r->not_in_git));
	cJSON *c = cJSON_AddObjectToObject(root, "counts");
	cJSON_AddNumberToObject(c, "created", (double)r->created.n);
	cJSON_AddNumberToObject(c, "changed", (double)r->changed.n);
	cJSON_AddNumberToObject(c, "unchanged", (double)r->unchanged.n);
	cJSON_AddNumberToObject(c, "pruned", (double)r->pruned.n);
	cJSON_AddNumberToObject(c, "adopted", (double)r->adopted.n);
	cJSON_AddNumberToObject(c, "notInGit", (double)r->not_in_git.n);
}

static void add_requests(cJSON *root, const struct sync_result *r)
{
	cJSON *q = cJSON_AddObjectToObject(root, "requests");

	cJSON_AddNumberToObject(q, "total", (double)r->stats.requests);
	cJSON_AddNumberToObject(q, "retries", (double)r->stats.retries);
	cJSON_AddNumberToObject(q, "get", (double)r->stats.gets);
	cJSON_AddNumberToObject(q, "list", (double)r->stats.lists);
	cJSON_AddNumberToObject(q, "patch", (double)r->stats.patches);
	cJSON_AddNumberToObject(q, "post", (double)r->stats.posts);
	cJSON_AddNumberToObject(q, "put", (double)r->stats.puts);
	cJSON_AddNumberToObject(q, "delete", (double)r->stats.deletes);
	cJSON_AddNumberToObject(q, "watch", (double)r->stats.watches);
	cJSON_AddNumberToObject(q, "dryRun", (double)r->dry_runs);
}

int sync_result_json(const struct sync_result *r, cJSON **out)
{
	cJSON *root = cJSON_CreateObject(), *ro;

	if (!root)
		return TE_NOMEM;
	cJSON_AddStringToObject(root, "app", r->app ? r->app : "");
	cJSON_AddStringToObject(root, "namespace", r->namespace ? r->namespace : "");
	cJSON_AddStringToObject(root, "commit", r->commit);
	cJSON_AddStringToObject(root, "result",
				r->exit_code == 0   ? "synced"
				: r->exit_code == 1 ? "rollout-failed"
				: r->exit_code == 2 ? "invalid"
						    : "unreachable");
	cJSON_AddNumberToObject(root, "exitCode", r->exit_code);
	add_objects(root, r);
	ro = cJSON_AddArrayToObject(root, "rollouts");
	for (size_t i = 0; ro && i < r->n_rollouts; i++) {
		cJSON *x = cJSON_CreateObject();
		cJSON_AddStringToObject(x, "object", r->rollouts[i].object);
		cJSON_AddStringToObject(x, "status", r->rollouts[i].status);
		cJSON_AddStringToObject(x, "message", r->rollouts[i].message);
		cJSON_AddItemToArray(ro, x);
	}
	if (r->inventory_moved)
		cJSON_AddStringToObject(root, "inventoryMoved", r->inventory_moved);
	cJSON_AddItemToObject(root, "errors", names(&r->errors));
	cJSON_AddNumberToObject(root, "durationMs", (double)r->duration_ms);
	add_requests(root, r);
	*out = root;
	return 0;
}
