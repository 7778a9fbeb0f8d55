/*
 * rollback: `tether rollback deployment/NAME --to-revision N` (statefulset/, sts/,
 * daemonset/, ds/ too) or `tether rollback COMMIT`. Writes a commit on the tracked branch (--ref, or the remote's default
 * branch without it) that brings the manifests
 * back to that revision's commit, pushes it, then syncs it like `tether sync`.
 * --dry-run prints the commit and its diff and pushes nothing. -o json|yaml: the commit
 * written with its diff (--dry-run) or its sync.
 * Exit codes as sync; a push rejected twice is 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonedit.h"
#include "history.h"
#include "session.h"

static const struct cli_cmd cmd = {
	"rollback",
	CMD_ROLLBACK,
	"--repo URL [--ref BRANCH] (KIND/NAME --to-revision N | COMMIT) [--dry-run]\n"
	"  [-o json|yaml] [flags]",
	"Bring an earlier revision back through Git: write a commit on the branch that restores\n"
	"the manifests of that revision's commit, push it, then sync it."};

const struct cli_cmd *cli_rollback_cmd(void)
{
	return &cmd;
}

static int target_of(const struct strlist *args, struct rollback_opts *o, struct err *e)
{
	const char *a;

	if (args->n != 1)
		return err_set(e, TE_INPUT, "give KIND/NAME --to-revision N (deployment/, sts/, "
				   "ds/), or a commit");
	a = args->items[0];
	if (strchr(a, '/')) {
		if (!o->to_revision)
			return err_set(e, TE_INPUT, "%s: --to-revision N is required", a);
		o->workload = a;
	} else {
		if (o->to_revision)
			return err_set(e, TE_INPUT, "--to-revision goes with KIND/NAME");
		o->commit = a;
	}
	return 0;
}

static void print_sync(const struct sync_result *r)
{
	printf("%s: commit %.12s: %zu created, %zu changed, %zu unchanged, %zu pruned\n", r->app,
	       r->commit, r->created.n, r->changed.n, r->unchanged.n, r->pruned.n);
	for (size_t i = 0; i < r->n_rollouts; i++)
		printf("  rollout %s: %s: %s\n", r->rollouts[i].object, r->rollouts[i].status,
		       r->rollouts[i].message);
	for (size_t i = 0; i < r->errors.n; i++)
		fprintf(stderr, "error: %s\n", r->errors.items[i]);
}

/* -o json|yaml: the commit written, with its diff (--dry-run) or its sync (res). */
static cJSON *rollback_doc(const struct session *s, const struct rollback_opts *o,
			   const struct rollback_result *rr, const struct buf *diff,
			   const struct sync_result *res)
{
	cJSON *doc = cJSON_CreateObject(), *sj = NULL;
	struct json_build b = {.failed = !doc};

	jb_str(&b, doc, "app", s->cfg->app);
	jb_str(&b, doc, "commit", rr->commit);
	jb_str(&b, doc, "target", rr->target);
	jb_str(&b, doc, "branch", rr->branch);
	jb_str(&b, doc, "message", rr->message ? rr->message : "");
	jb_bool(&b, doc, "dryRun", o->dry_run);
	jb_bool(&b, doc, "pushed", rr->pushed);
	jb_num(&b, doc, "retries", rr->retries);
	if (o->dry_run) {
		jb_str(&b, doc, "diff", diff->data ? diff->data : "");
	} else {
		if (!b.failed && sync_result_json(res, &sj) < 0)
			b.failed = true;
		jb_item(&b, doc, "sync", sj);
	}
	return jb_done(&b, doc);
}

static void print_commit(const struct rollback_opts *o, const struct rollback_result *rr,
			 const struct buf *diff)
{
	if (o->dry_run) {
		printf("commit %s (not pushed: --dry-run)\n\n%s\n%s", rr->commit, rr->message,
		       diff->data ? diff->data : "");
		return;
	}
	printf("pushed %.12s to %s%s: %.*s\n", rr->commit, rr->branch,
	       rr->retries ? " (after a rejected push, fetched and retried)" : "",
	       (int)strcspn(rr->message, "\n"), rr->message);
	fflush(stdout);
}

static int run(struct session *s, struct rollback_opts *o)
{
	struct rollback_result rr;
	struct sync_env env = {0};
	struct sync_result res;
	struct cli_progress p;
	struct buf diff;
	struct err e;
	bool doc = cli_doc_output(s->cfg->output);
	int code = 0;

	err_clear(&e);
	buf_init(&diff, 0);
	sync_result_init(&res);
	o->out = o->dry_run ? &diff : NULL;
	if (rollback_commit(s, o, &rr, &e) < 0) {
		cli_error(&cmd, e.msg, false);
		code = e.code == TE_CONFLICT ? 1 : err_exit_code(e.code ? e.code : TE_FAIL);
		goto out;
	}
	if (!doc)
		print_commit(o, &rr, &diff);
	if (!o->dry_run) {
		cli_progress_start(&p, s->cfg, &env);
		history_sync_run(s, s->cfg, &env, &res, &e);
		cli_progress_end(&p);
		code = res.exit_code;
		if (!doc)
			print_sync(&res);
	}
	if (doc) {
		int rc = cli_emit_doc(rollback_doc(s, o, &rr, &diff, &res), s->cfg->output);
		code = code ? code : rc;
	}
out:
	sync_result_dispose(&res);
	rollback_result_dispose(&rr);
	buf_dispose(&diff);
	return code;
}

/* The revert itself is history_sync's (shared with tether run); this only prints it. */
void cli_on_failure_revert(const struct history_revert *rv, const struct sync_result *failed,
			   cJSON *json)
{
	const struct rollback_result *rr = &rv->commit;
	const struct sync_result *res = &rv->sync;
	const struct err *e = &rv->err;
	cJSON *o = NULL, *rj = NULL;
	struct json_build b = {.failed = false};
	int rc = rv->rc;

	if (rc < 0) {
		if (json)
			jb_str(&b, jb_object(&b, json, "revert"), "error", e->msg);
		if (!json || b.failed)
			fprintf(stderr, "error: %s\n", e->msg);
	} else if (rc == 0 && json) {
		rj = jb_object(&b, json, "revert");
		jb_str(&b, rj, "commit", rr->commit);
		jb_str(&b, rj, "reverts", failed->commit);
		if (!b.failed && sync_result_json(res, &o) < 0)
			b.failed = true;
		jb_item(&b, rj, "sync", o);
		if (b.failed) /* the revert was pushed: never unsaid */
			fprintf(stderr, "error: -o json: out of memory; on-failure: revert: pushed "
					"%.12s\n", rr->commit);
	} else if (rc == 0) {
		printf("on-failure: revert: pushed %.12s to %s: %.*s\n", rr->commit, rr->branch,
		       (int)strcspn(rr->message, "\n"), rr->message);
		print_sync(res);
	}
	fflush(stdout);
}

int cmd_rollback(int argc, char **argv)
{
	struct app_config flags, *apps = NULL;
	struct rollback_opts o;
	struct strlist args;
	struct err e;
	size_t n = 0;
	int code = 0;
	struct session *sess = NULL;

	memset(&o, 0, sizeof(o));
	strlist_init(&args);
	err_clear(&e);
	memset(&flags, 0, sizeof(flags));
	if (cli_parse(&cmd, argc, argv, &flags, &args, &code))
		goto out;
	o.to_revision = flags.to_revision;
	o.dry_run = flags.dry_run;
	if (target_of(&args, &o, &e) < 0 || cli_apps(&cmd, argc, argv, &flags, &apps, &n, &e) < 0) {
		cli_error(&cmd, e.msg, true);
		code = err_exit_code(e.code ? e.code : TE_INPUT);
		goto out;
	}
	if (n != 1) {
		cli_error(&cmd, "rollback works on one app at a time: choose it with --app NAME", true);
		code = 2;
		goto out;
	}
	if (session_new(&sess, &apps[0], &e) < 0) {
		cli_error(&cmd, e.msg, false);
		code = err_exit_code(TE_NOMEM);
		goto out;
	}
	code = run(sess, &o);
out:
	session_free(sess);
	cli_apps_free(apps, n);
	app_config_dispose(&flags);
	strlist_dispose(&args);
	return code;
}
