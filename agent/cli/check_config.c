/*
 * check_config: `tether check-config FILE`, validates an agent configuration and
 * exits: 0 when valid, 2 with `file:line:col: message` when not.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const struct cli_cmd cmd = {
    "check-config", 0, "FILE",
    "Validate an agent configuration file (see config/tether.yaml) and exit."};

const struct cli_cmd *cli_check_config_cmd(void)
{
	return &cmd;
}

int cmd_check_config(int argc, char **argv)
{
	struct app_config flags;
	struct tether_config tc;
	struct strlist args;
	struct err e;
	int code = 0;

	strlist_init(&args);
	err_clear(&e);
	if (cli_parse(&cmd, argc, argv, &flags, &args, &code))
		goto out;
	if (args.n != 1) {
		cli_error(&cmd, "check-config takes one FILE", true);
		code = 2;
		goto out;
	}
	if (config_load(&tc, args.items[0], &e) < 0) {
		fprintf(stderr, "%s\n", e.msg);
		code = 2;
	} else {
		printf("%s: ok (%zu app%s)\n", args.items[0], tc.n_apps, tc.n_apps == 1 ? "" : "s");
	}
	config_dispose(&tc);
out:
	app_config_dispose(&flags);
	strlist_dispose(&args);
	return code;
}
