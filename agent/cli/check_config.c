/*
 * check_config: `tether check-config FILE`, validates an agent configuration and
 * exits: 0 when valid, 2 with `file:line:col: message` when not.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "jsonedit.h"

static const struct cli_cmd cmd = {
    "check-config", CMD_CHECK_CONFIG, "FILE [-o json|yaml]",
    "Validate an agent configuration file (see config/tether.yaml) and exit."};

const struct cli_cmd *cli_check_config_cmd(void)
{
	return &cmd;
}

/* -o json|yaml: {file, valid, apps: [names]} or {file, valid: false, error}. */
static cJSON *check_doc(const char *file, const struct tether_config *tc, const struct err *e)
{
	cJSON *doc = cJSON_CreateObject(), *apps;
	struct json_build b = {.failed = !doc};

	jb_str(&b, doc, "file", file);
	jb_bool(&b, doc, "valid", !e->msg[0]);
	if (e->msg[0]) {
		jb_str(&b, doc, "error", e->msg);
	} else {
		apps = jb_array(&b, doc, "apps");
		for (size_t i = 0; i < tc->n_apps; i++)
			jb_append(&b, apps, cJSON_CreateString(tc->apps[i].app ? tc->apps[i].app : ""));
	}
	return jb_done(&b, doc);
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
	}
	if (cli_doc_output(flags.output)) {
		int rc = cli_emit_doc(check_doc(args.items[0], &tc, &e), flags.output);
		code = code ? code : rc;
	} else if (!code) {
		printf("%s: ok (%zu app%s)\n", args.items[0], tc.n_apps, tc.n_apps == 1 ? "" : "s");
	}
	config_dispose(&tc);
out:
	app_config_dispose(&flags);
	strlist_dispose(&args);
	return code;
}
