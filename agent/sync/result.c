/*
 * result: what a sync tells its caller: progress as it goes (sync_run_progress, used by
 * every stage), and what it did, for the summary line and `-o json`. Names only: no
 * object content, so no Secret value can leak through it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "jsonedit.h"
#include "sync_int.h"

void sync_run_progress(struct sync_run *r, const char *phase, size_t done, size_t total)
{
	if (r->env && r->env->progress)
		r->env->progress(phase, done, total, r->env->progress_ctx);
}

void sync_run_stage(struct sync_run *r, const char *fmt, ...)
{
	char line[512];
	va_list ap;

	if (!r->env || !r->env->progress)
		return;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	r->env->progress(line, 0, SYNC_PROGRESS_STAGE, r->env->progress_ctx);
}

void sync_result_init(struct sync_result *r)
{
	memset(r, 0, sizeof(*r));
	r->started = (int64_t)time(NULL); /* the run sets it again when it begins */
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

static cJSON *names(struct json_build *b, const struct strlist *l)
{
	cJSON *a = cJSON_CreateArray();

	for (size_t i = 0; a && i < l->n; i++)
		jb_append(b, a, cJSON_CreateString(l->items[i]));
	return a;
}

static void add_objects(struct json_build *b, cJSON *root, const struct sync_result *r)
{
	cJSON *o = jb_object(b, root, "objects");

	jb_item(b, o, "created", names(b, &r->created));
	jb_item(b, o, "changed", names(b, &r->changed));
	jb_item(b, o, "unchanged", names(b, &r->unchanged));
	jb_item(b, o, "pruned", names(b, &r->pruned));
	jb_item(b, o, "pruneSkipped", names(b, &r->skipped));
	jb_item(b, o, "adopted", names(b, &r->adopted));
	jb_item(b, o, "notInGit", names(b, &r->not_in_git));
	cJSON *c = jb_object(b, root, "counts");
	jb_num(b, c, "created", (double)r->created.n);
	jb_num(b, c, "changed", (double)r->changed.n);
	jb_num(b, c, "unchanged", (double)r->unchanged.n);
	jb_num(b, c, "pruned", (double)r->pruned.n);
	jb_num(b, c, "adopted", (double)r->adopted.n);
	jb_num(b, c, "notInGit", (double)r->not_in_git.n);
}

static void add_requests(struct json_build *b, cJSON *root, const struct sync_result *r)
{
	cJSON *q = jb_object(b, root, "requests");

	jb_num(b, q, "total", (double)r->stats.requests);
	jb_num(b, q, "retries", (double)r->stats.retries);
	jb_num(b, q, "get", (double)r->stats.gets);
	jb_num(b, q, "list", (double)r->stats.lists);
	jb_num(b, q, "patch", (double)r->stats.patches);
	jb_num(b, q, "post", (double)r->stats.posts);
	jb_num(b, q, "put", (double)r->stats.puts);
	jb_num(b, q, "delete", (double)r->stats.deletes);
	jb_num(b, q, "watch", (double)r->stats.watches);
	jb_num(b, q, "dryRun", (double)r->dry_runs);
}

int sync_result_json(const struct sync_result *r, cJSON **out)
{
	cJSON *root = cJSON_CreateObject(), *ro;
	struct json_build build = {.failed = !root}, *b = &build;
	char started[TIME_RFC3339_LEN];

	jb_str(b, root, "app", r->app ? r->app : "");
	jb_str(b, root, "namespace", r->namespace ? r->namespace : "");
	jb_str(b, root, "commit", r->commit);
	jb_str(b, root, "result",
				r->exit_code == 0   ? "synced"
				: r->exit_code == 1 ? "rollout-failed"
				: r->exit_code == 2 ? "invalid"
						    : "unreachable");
	jb_num(b, root, "exitCode", r->exit_code);
	add_objects(b, root, r);
	ro = jb_array(b, root, "rollouts");
	for (size_t i = 0; ro && i < r->n_rollouts; i++) {
		cJSON *x = cJSON_CreateObject();
		jb_str(b, x, "object", r->rollouts[i].object);
		jb_str(b, x, "status", r->rollouts[i].status);
		jb_str(b, x, "message", r->rollouts[i].message);
		jb_append(b, ro, x);
	}
	if (r->inventory_moved)
		jb_str(b, root, "inventoryMoved", r->inventory_moved);
	jb_item(b, root, "errors", names(b, &r->errors));
	time_rfc3339(r->started, started);
	jb_str(b, root, "time", started);
	jb_num(b, root, "durationMs", (double)r->duration_ms);
	add_requests(b, root, r);
	if (build.failed) { /* never a report with members missing */
		cJSON_Delete(root);
		return TE_NOMEM;
	}
	*out = root;
	return 0;
}
