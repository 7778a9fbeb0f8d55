/*
 * sync: `tether sync`, one commit of each app made true in the cluster.
 * Exit codes: 0 in sync and healthy; 1 applied but a rollout failed or timed out;
 * 2 bad input (flags, configuration, manifests), nothing applied; 3 Git or the
 * cluster unreachable, nothing applied.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonedit.h"
#include "history.h"
#include "notify.h"
#include "session.h"
#include "sync.h"

static const struct cli_cmd cmd = {
    "sync", CMD_SYNC, "--repo URL [flags] | --config FILE [flags]",
    "Apply a Git commit's manifests to the cluster: dry-run the whole commit, apply in "
    "stages,\nrecord the inventory, prune (with --prune) and wait for rollouts."};

/* How long tether sync may still deliver notifications after the sync (retries). */
#define NOTIFY_DRAIN_MS 30000

const struct cli_cmd *cli_sync_cmd(void)
{
	return &cmd;
}

/* One line per object, grouped by what happened to it. */
static void print_objects(const struct sync_result *r)
{
	const struct {
		const char *what;
		const struct strlist *objects;
	} groups[] = {{"adopted", &r->adopted},
		      {"created", &r->created},
		      {"changed", &r->changed},
		      {"pruned", &r->pruned},
		      {"not in Git (--prune deletes it)", &r->not_in_git},
		      {"not pruned (tether.dev/prune: disabled)", &r->skipped}};

	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		for (size_t i = 0; i < groups[g].objects->n; i++)
			printf("  %s %s\n", groups[g].what, groups[g].objects->items[i]);
}

static void print_text(const struct sync_result *r)
{
	static const char *verdict[] = {"synced", "rollout failed", "nothing applied: bad input",
					"nothing applied: unreachable", "nothing applied: suspended"};

	printf("%s: commit %.12s: %s: %zu created, %zu changed, %zu unchanged, %zu pruned", r->app,
	       r->commit[0] ? r->commit : "(none)",
	       r->code == TE_UNVERIFIED			  ? "nothing applied: not signed by a trusted key"
	       : r->exit_code >= 0 && r->exit_code <= 4 ? verdict[r->exit_code]
							: "failed",
	       r->created.n, r->changed.n, r->unchanged.n, r->pruned.n);
	if (r->not_in_git.n)
		printf(", %zu not in Git (--prune deletes them)", r->not_in_git.n);
	printf(" (%.1fs)\n", (double)r->duration_ms / 1000.0);
	print_objects(r);
	for (size_t i = 0; i < r->n_rollouts; i++)
		printf("  rollout %s: %s: %s\n", r->rollouts[i].object, r->rollouts[i].status,
		       r->rollouts[i].message);
	if (r->inventory_moved)
		printf("  %s\n", r->inventory_moved);
	for (size_t i = 0; i < r->errors.n; i++)
		fprintf(stderr, "error: %s\n", r->errors.items[i]);
	fflush(stdout);
}

static int sync_one(struct session *s, bool json, cJSON *all)
{
	const struct app_config *c = s->cfg;
	struct cli_progress p;
	struct sync_env env = {0};
	struct sync_result res;
	struct history_revert rv;
	cJSON *mine = NULL; /* this app's entry of all (-o json) */
	struct notifier *nt = NULL;
	struct err e;
	int code;

	cli_progress_start(&p, c, &env);
	sync_result_init(&res);
	err_clear(&e);
	if (c->n_notify && notifier_new(&nt, &e) < 0)
		fprintf(stderr, "warning: notify: %s\n", e.msg);
	err_clear(&e);
	history_sync(s, c, &env, &res, &rv, &e);
	cli_progress_end(&p);
	notifier_send_sync(nt, c, &res, e.msg);
	if (rv.tried)
		notifier_send_revert(nt, c, &res, &rv);
	code = res.exit_code;
	if (json) {
		cJSON *o = NULL;

		if (sync_result_json(&res, &o) < 0 || json_array_append(all, o) < 0) {
			/* what was applied is recorded; only the report is lost */
			fprintf(stderr, "error: -o json: out of memory\n");
			if (code == 0)
				code = err_exit_code(TE_NOMEM);
		} else {
			mine = o;
		}
	} else {
		print_text(&res);
	}
	if (rv.tried)
		cli_on_failure_revert(&rv, &res, mine);
	notifier_free(nt, NOTIFY_DRAIN_MS); /* after the report: it may wait for retries */
	history_revert_dispose(&rv);
	sync_result_dispose(&res);
	return code;
}

int cmd_sync(int argc, char **argv)
{
	return cli_each_app(&cmd, argc, argv, sync_one);
}
