/*
 * ops: what the commands that work on apps through the cluster share (get, suspend,
 * resume, reconcile, events; agent/ops): their flags, one kube client from
 * --kubeconfig and --context, and the app named on the command line. No Git.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "ops.h"
#include "session.h"

int cli_ops_open(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ops *o, int *code)
{
	struct err e;

	memset(o, 0, sizeof(*o));
	strlist_init(&o->args);
	err_clear(&e);
	if (cli_parse(cmd, argc, argv, &o->flags, &o->args, code))
		return 1;
	if (session_connect_own(&o->flags, NULL, &o->kcfg, &o->kube, &e) < 0) {
		*code = cli_ops_fail(cmd, &e);
		return 1;
	}
	return 0;
}

void cli_ops_close(struct cli_ops *o)
{
	kube_free(o->kube);
	kube_config_free(o->kcfg);
	app_config_dispose(&o->flags); /* zeroed, or parsed */
	strlist_dispose(&o->args);
}

const char *cli_ops_namespace(const struct cli_ops *o)
{
	return o->flags.inventory_namespace ? o->flags.inventory_namespace : o->flags.namespace;
}

int cli_ops_fail(const struct cli_cmd *cmd, const struct err *e)
{
	cli_error(cmd, e->msg, false);
	return err_exit_code(e->code ? e->code : TE_FAIL);
}

int cli_ops_one_app(const struct cli_cmd *cmd, const struct cli_ops *o, cJSON **cm)
{
	char msg[128];
	struct err e;

	*cm = NULL;
	if (o->args.n != 1) {
		snprintf(msg, sizeof(msg), "%s takes one APP", cmd->name);
		cli_error(cmd, msg, true);
		return 2;
	}
	err_clear(&e);
	if (ops_find(o->kube, o->args.items[0], cli_ops_namespace(o), cm, &e) < 0)
		return cli_ops_fail(cmd, &e);
	return 0;
}
