/*
 * suspend, resume: `tether suspend APP` records on the app's inventory that no sync
 * may touch it (who and when too), so every agent and every CI run honours it: their
 * sync does nothing and exits 4. `tether resume APP` removes it. Exit 0, 2 for bad
 * input or no such app, 3 unreachable.
 */
#include <stdio.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "jsonget.h"
#include "ops.h"

static const struct cli_cmd suspend_cmd = {
    "suspend", CMD_SUSPEND, "APP [--inventory-namespace NS] [-o json|yaml]",
    "Suspend an app: every sync of it (agent or CI) does nothing and exits 4, until\n"
    "'tether resume APP'. Recorded on the app's inventory in the cluster."};
static const struct cli_cmd resume_cmd = {"resume", CMD_SUSPEND,
					  "APP [--inventory-namespace NS] [-o json|yaml]",
					  "Resume a suspended app: its syncs apply again."};

const struct cli_cmd *cli_suspend_cmd(void)
{
	return &suspend_cmd;
}

const struct cli_cmd *cli_resume_cmd(void)
{
	return &resume_cmd;
}

static int print_result(const cJSON *cm, bool suspended, const char *by, const char *at,
			const char *output)
{
	const char *app = ops_app_of(cm);
	cJSON *doc = cJSON_CreateObject();
	struct err e;
	int rc = 0;

	err_clear(&e);
	if (!cli_doc_output(output)) {
		printf("app %s %s\n", app, suspended ? "suspended" : "resumed");
	} else if (!doc || !cJSON_AddStringToObject(doc, "app", app) ||
		   !cJSON_AddStringToObject(doc, "namespace",
					    json_str_or(cm, "", "metadata", "namespace", NULL)) ||
		   !cJSON_AddBoolToObject(doc, "suspended", suspended) ||
		   (by && !cJSON_AddStringToObject(doc, "suspendedBy", by)) ||
		   (at && !cJSON_AddStringToObject(doc, "suspendedAt", at)) ||
		   cli_print_doc(doc, output, &e) < 0) {
		fprintf(stderr, "error: %s\n", e.msg[0] ? e.msg : "out of memory");
		rc = 2;
	}
	cJSON_Delete(doc);
	return rc;
}

static int set_suspended(const struct cli_cmd *cmd, int argc, char **argv, bool on)
{
	static const char *const keys[] = {OPS_ANN_SUSPENDED, OPS_ANN_SUSPENDED_BY,
					   OPS_ANN_SUSPENDED_AT};
	const char *values[3] = {NULL, NULL, NULL};
	char who[300], now[40];
	struct cli_ops o;
	cJSON *cm = NULL;
	struct err e;
	int code = 0;

	err_clear(&e);
	if (cli_ops_open(cmd, argc, argv, &o, &code) || (code = cli_ops_one_app(cmd, &o, &cm)))
		goto out;
	ops_who(who, sizeof(who));
	time_rfc3339_micro(now);
	if (on) {
		values[0] = "true";
		values[1] = who;
		values[2] = now;
	}
	if (ops_annotate_inventory(o.kube, cm, keys, values, 3, &e) < 0)
		code = cli_ops_fail(cmd, &e);
	else
		code = print_result(cm, on, values[1], values[2], o.flags.output);
out:
	cJSON_Delete(cm);
	cli_ops_close(&o);
	return code;
}

int cmd_suspend(int argc, char **argv)
{
	return set_suspended(&suspend_cmd, argc, argv, true);
}

int cmd_resume(int argc, char **argv)
{
	return set_suspended(&resume_cmd, argc, argv, false);
}
