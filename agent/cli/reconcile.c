/*
 * reconcile: `tether reconcile APP` asks the running agent, through the cluster, to
 * sync the app now: it sets tether.dev/reconcile-requested-at on the app's inventory
 * (as Flux's reconcile.fluxcd.io/requestedAt), which the agent checks every few
 * seconds; the agent syncs and records the request it handled with that sync's exit
 * code. --wait polls until the handled time reaches the request and exits with that
 * code; no answer within --timeout exits 3 (no agent runs this app, or it is not the
 * leader of any). Exit 0 once asked (without --wait), 2 bad input, 3 unreachable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "jsonedit.h"
#include "jsonget.h"
#include "ops.h"

#define POLL_MS 500

static const struct cli_cmd cmd = {
    "reconcile", CMD_RECONCILE, "APP [--wait [--timeout DUR]] [--inventory-namespace NS] [-o json|yaml]",
    "Ask the running agent, through the cluster, to sync APP now; with --wait, wait for\n"
    "that sync and exit with its exit code."};

const struct cli_cmd *cli_reconcile_cmd(void)
{
	return &cmd;
}

/* True once the agent answered a request at or after at (same-width stamps). */
static bool handled(const cJSON *cm, const char *at)
{
	const char *h = ops_annotation(cm, OPS_ANN_HANDLED);

	return h && strcmp(h, at) >= 0;
}

/* Polls the inventory of *cm until the agent answered at; *cm is the last one read. */
static int wait_handled(struct kube *k, cJSON **cm, const char *at, int64_t timeout_ms,
			struct err *e)
{
	char *app = xstrdup(ops_app_of(*cm));
	char *ns = xstrdup(json_str_or(*cm, "", "metadata", "namespace", NULL));
	int64_t deadline = now_ms() + timeout_ms;
	int rc = 0;

	while (rc == 0 && !handled(*cm, at)) {
		if (now_ms() >= deadline) {
			rc = err_set(e, TE_UNREACHABLE,
				     "no agent answered the reconcile of %s within %llds (is "
				     "`tether run` running for it, and leading?)",
				     app, (long long)(timeout_ms / 1000));
			break;
		}
		sleep_for_ms(POLL_MS);
		cJSON_Delete(*cm);
		rc = ops_find(k, app, ns, cm, e);
	}
	free(app);
	free(ns);
	return rc;
}

/* The exit code of the sync that answered (1 when the agent wrote none). */
static int result_code(const cJSON *cm)
{
	const char *r = ops_annotation(cm, OPS_ANN_RESULT);

	return r ? atoi(r) : 1;
}

static int print_doc(const cJSON *cm, const char *at, bool waited, const char *output)
{
	cJSON *doc = cJSON_CreateObject();
	struct json_build b = {.failed = !doc};
	struct err e;
	int rc;

	err_clear(&e);
	jb_str(&b, doc, "app", ops_app_of(cm));
	jb_str(&b, doc, "requestedAt", at);
	if (waited) {
		jb_str(&b, doc, "handledAt", ops_annotation(cm, OPS_ANN_HANDLED));
		jb_num(&b, doc, "exitCode", result_code(cm));
		jb_str(&b, doc, "message", ops_annotation(cm, OPS_ANN_MESSAGE));
	}
	rc = b.failed ? err_set(&e, TE_NOMEM, "out of memory") : cli_print_doc(doc, output, &e);
	if (rc < 0)
		fprintf(stderr, "error: %s\n", e.msg);
	cJSON_Delete(doc);
	return rc;
}

static void print_text(const cJSON *cm, const char *at, bool waited)
{
	const char *app = ops_app_of(cm);

	if (!waited) {
		printf("app %s: reconcile requested at %s\n", app, at);
		return;
	}
	printf("app %s: reconciled at %s: %s (exit %d)\n", app,
	       json_str_or(cm, "", "metadata", "annotations", OPS_ANN_HANDLED, NULL),
	       json_str_or(cm, "-", "metadata", "annotations", OPS_ANN_MESSAGE, NULL),
	       result_code(cm));
}

int cmd_reconcile(int argc, char **argv)
{
	static const char *const keys[] = {OPS_ANN_REQUESTED};
	const char *values[1];
	char at[40];
	struct cli_ops o;
	cJSON *cm = NULL;
	struct err e;
	int code = 0;

	err_clear(&e);
	if (cli_ops_open(&cmd, argc, argv, &o, &code) || (code = cli_ops_one_app(&cmd, &o, &cm)))
		goto out;
	time_rfc3339_micro(at);
	values[0] = at;
	if (ops_annotate_inventory(o.kube, cm, keys, values, 1, &e) < 0 ||
	    (o.flags.wait && wait_handled(o.kube, &cm, at, o.flags.timeout_ms, &e) < 0)) {
		code = cli_ops_fail(&cmd, &e);
		goto out;
	}
	if (cli_doc_output(o.flags.output))
		code = print_doc(cm, at, o.flags.wait, o.flags.output) < 0 ? 2 : 0;
	else
		print_text(cm, at, o.flags.wait);
	if (o.flags.wait && code == 0)
		code = result_code(cm);
out:
	cJSON_Delete(cm);
	cli_ops_close(&o);
	return code;
}
