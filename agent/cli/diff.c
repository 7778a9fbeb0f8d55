/*
 * diff: `tether diff`, what `tether sync` would change, as one unified YAML diff per
 * object and a summary line. Exit 0 no changes, 1 changes, 2 bad input, 3 unreachable
 * (kubectl and flux agree on 0/1/>1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "sync.h"

static const struct cli_cmd cmd = {
    "diff", CMD_DIFF, "--repo URL [flags] | --config FILE [flags]",
    "Show what sync would change: the server's dry-run of each object against the live "
    "object.\nSecret values are masked. Exit 0: no changes, 1: changes, 2 or more: error."};

static int diff_one(const struct app_config *c, bool json, cJSON *all)
{
	struct buf out;
	struct sync_env env = {NULL, NULL, false, &out};
	struct sync_result res;
	struct err e;
	int rc, code;

	buf_init(&out, 0);
	env.color = !json && isatty(STDOUT_FILENO) == 1;
	sync_result_init(&res);
	err_clear(&e);
	rc = sync_diff(c, &env, &res, &e);
	code = rc < 0 ? err_exit_code(rc) : rc;
	if (rc < 0 && code < 2)
		code = 2; /* 1 means "changes" here */
	res.exit_code = code;
	if (json) {
		cJSON *o = NULL;
		if (sync_result_json(&res, &o) == 0) {
			cJSON_ReplaceItemInObject(o, "result",
						  cJSON_CreateString(code == 0	 ? "in-sync"
								     : code == 1 ? "changes"
										 : "error"));
			/* The unified diffs, Secret values masked as in the text output. */
			cJSON_AddStringToObject(o, "diff", out.data ? out.data : "");
			cJSON_AddItemToArray(all, o);
		}
	} else if (out.data) {
		fputs(out.data, stdout);
	}
	if (rc < 0)
		fprintf(stderr, "error: %s\n", e.msg);
	fflush(stdout);
	sync_result_dispose(&res);
	buf_dispose(&out);
	return code;
}

int cmd_diff(int argc, char **argv)
{
	struct app_config flags, *apps = NULL;
	struct strlist args;
	struct err e;
	size_t n = 0;
	int code = 0, worst = 0;
	cJSON *all = NULL;
	bool json;

	strlist_init(&args);
	err_clear(&e);
	if (cli_parse(&cmd, argc, argv, &flags, &args, &code))
		goto out;
	if (args.n) {
		cli_error(&cmd, "diff takes no arguments", true);
		code = 2;
		goto out;
	}
	if (cli_apps(&cmd, argc, argv, &flags, &apps, &n, &e) < 0) {
		cli_error(&cmd, e.msg, !flags.config_file && !flags.repo);
		code = err_exit_code(e.code ? e.code : TE_INPUT);
		goto out;
	}
	json = flags.output && !strcmp(flags.output, "json");
	all = cJSON_CreateArray();
	for (size_t i = 0; i < n; i++) {
		int c = diff_one(&apps[i], json, all);
		worst = c > worst ? c : worst;
	}
	if (json) {
		char *s = cJSON_Print(flags.config_file ? all : cJSON_GetArrayItem(all, 0));
		if (s)
			puts(s);
		free(s);
	}
	code = worst;
out:
	cJSON_Delete(all);
	cli_apps_free(apps, n);
	app_config_dispose(&flags);
	strlist_dispose(&args);
	return code;
}
