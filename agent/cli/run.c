/*
 * run: `tether run`, the always-on agent (agent/daemon). The apps come from --config
 * FILE or, for a quick start, one app from the same flags as `tether sync`. The
 * configuration is loaded again on SIGHUP through the same function, so a reload sees
 * exactly what a fresh start would.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "daemon.h"

static const struct cli_cmd cmd = {
    "run", CMD_RUN, "--repo URL [flags] | --config FILE [flags]",
    "Run the agent: sync each app whenever its branch moves (checked every --interval,\n"
    "or at once on a webhook), report drift or heal it, serve /metrics /healthz /readyz\n"
    "/status and POST /webhook on --listen. SIGHUP reloads the configuration, SIGTERM stops."};

const struct cli_cmd *cli_run_cmd(void)
{
	return &cmd;
}

struct run_args {
	int argc;
	char **argv;
};

static int load(void *ctx, struct app_config **apps, size_t *n, struct err *e)
{
	struct run_args *a = ctx;
	struct app_config flags;
	struct strlist args;
	bool help;
	int rc;

	strlist_init(&args);
	if ((rc = app_config_init(&flags, e)) == 0 &&
	    (rc = config_parse_args(&flags, cmd.cmds, a->argc, a->argv, &args, &help, e)) == 0)
		rc = cli_apps(&cmd, a->argc, a->argv, &flags, apps, n, e);
	if (rc < 0) {
		cli_apps_free(*apps, *n);
		*apps = NULL;
		*n = 0;
	}
	app_config_dispose(&flags);
	strlist_dispose(&args);
	return rc;
}

int cmd_run(int argc, char **argv)
{
	struct run_args ra = {argc, argv};
	struct daemon_opts o = {load, &ra, NULL};
	struct app_config flags;
	struct err e;
	int code = 0;

	err_clear(&e);
	if (cli_parse_flags(&cmd, argc, argv, &flags, &code))
		goto out;
	if (daemon_run(&o, &e) < 0) {
		cli_error(&cmd, e.msg, !flags.config_file && !flags.repo);
		code = err_exit_code(e.code ? e.code : TE_FAIL);
	}
out:
	app_config_dispose(&flags);
	return code;
}
