/*
 * tether: entry point; dispatches to one file per subcommand (agent/cli/<name>.c).
 * Nothing else happens here.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static int cmd_completion(int argc, char **argv);

static const struct cli_subcommand subcommands[] = {
	{"sync", cmd_sync, "apply a Git commit's manifests to the cluster", cli_sync_cmd},
	{"diff", cmd_diff, "show what sync would change (exit 0 none, 1 changes)", cli_diff_cmd},
	{"history", cmd_history, "list the revisions of the app's Deployments and their commits",
	 cli_history_cmd},
	{"rollback", cmd_rollback, "push a commit that brings an earlier revision back, then sync",
	 cli_rollback_cmd},
	{"run", cmd_run, "run the agent: sync apps whenever Git moves, serve metrics and webhooks",
	 cli_run_cmd},
	{"status", cmd_status, "show the apps of a running agent", cli_status_cmd},
	{"get", cmd_get, "show apps from the cluster: commit, state, health, drift", cli_get_cmd},
	{"suspend", cmd_suspend, "stop every sync of an app until it is resumed", cli_suspend_cmd},
	{"resume", cmd_resume, "let the syncs of a suspended app apply again", cli_resume_cmd},
	{"reconcile", cmd_reconcile, "ask the running agent to sync an app now", cli_reconcile_cmd},
	{"events", cmd_events, "list the Events tether wrote about apps", cli_events_cmd},
	{"render", cmd_render, "print the rendered manifests of a commit", cli_render_cmd},
	{"check-access", cmd_check_access, "check that the identity may do all a sync needs",
	 cli_check_access_cmd},
	{"check-config", cmd_check_config, "validate an agent configuration file",
	 cli_check_config_cmd},
	{"version", cmd_version, "print the version", cli_version_cmd},
	{"completion", cmd_completion, "print the bash or zsh completion script", NULL},
	{NULL, NULL, NULL, NULL},
};

/* The completion scripts and the man page are written from this table. */
static int cmd_completion(int argc, char **argv)
{
	return cli_completion(argc, argv, subcommands);
}

static int print_man(void)
{
	struct buf b;
	int rc;

	buf_init(&b, 0);
	rc = cli_man_write(&b, subcommands);
	if (rc == 0)
		fputs(b.data, stdout);
	buf_dispose(&b);
	return rc == 0 ? 0 : 1;
}

static void usage(FILE *f)
{
	fprintf(f, "tether: a GitOps sync agent.\n\nUsage:\n  tether <command> [flags]\n\n"
		   "Commands:\n");
	for (const struct cli_subcommand *s = subcommands; s->name; s++)
		fprintf(f, "  %-14s %s\n", s->name, s->summary);
	fprintf(f, "\nUse 'tether help <command>' or 'tether <command> --help' for the flags of a "
		   "command.\n");
}

static const struct cli_subcommand *find_command(const char *name)
{
	for (const struct cli_subcommand *s = subcommands; s->name; s++)
		if (!strcmp(name, s->name))
			return s;
	return NULL;
}

/* As cobra says it: the commands a few edits away, or that start with name. */
static int unknown_command(const char *name)
{
	bool any = false;

	fprintf(stderr, "error: unknown command \"%s\" for \"tether\"\n", name);
	for (const struct cli_subcommand *s = subcommands; s->name; s++) {
		if (!str_suggests(name, s->name))
			continue;
		fprintf(stderr, "%s\t%s\n", any ? "" : "\nDid you mean this?\n", s->name);
		any = true;
	}
	fprintf(stderr, "%sSee 'tether --help' for usage.\n", any ? "\n" : "");
	return 2;
}

/* `tether help CMD` is `tether CMD --help`. */
static int help_command(int argc, char **argv)
{
	const struct cli_subcommand *s;
	char help[] = "--help", *args[] = {help, NULL};

	if (argc < 1 || !strcmp(argv[0], "help")) {
		usage(stdout);
		return 0;
	}
	if (!(s = find_command(argv[0])))
		return unknown_command(argv[0]);
	return s->run(1, args);
}

int main(int argc, char **argv)
{
	const struct cli_subcommand *s;

	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "help"))
		return help_command(argc - 2, argv + 2);
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	if (!strcmp(argv[1], "__man")) /* hidden: tether(1), for make install */
		return print_man();
	if ((s = find_command(argv[1])))
		return s->run(argc - 2, argv + 2);
	return unknown_command(argv[1]);
}
