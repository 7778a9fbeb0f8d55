/*
 * tether: entry point; dispatches to one file per subcommand (agent/cli/<name>.c).
 * Nothing else happens here.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
};

static const struct subcommand subcommands[] = {
	{"sync", cmd_sync, "apply a Git commit's manifests to the cluster"},
	{"diff", cmd_diff, "show what sync would change (exit 0 none, 1 changes)"},
	{"history", cmd_history, "list the revisions of the app's Deployments and their commits"},
	{"rollback", cmd_rollback, "push a commit that brings an earlier revision back, then sync"},
	{"run", cmd_run, "run the agent: sync apps whenever Git moves, serve metrics and webhooks"},
	{"status", cmd_status, "show the apps of a running agent"},
	{"render", cmd_render, "print the rendered manifests of a commit"},
	{"check-config", cmd_check_config, "validate an agent configuration file"},
	{"version", cmd_version, "print the version"},
	{NULL, NULL, NULL},
};

static void usage(FILE *f)
{
	fprintf(f, "tether: a GitOps sync agent.\n\nUsage:\n  tether <command> [flags]\n\n"
		   "Commands:\n");
	for (const struct subcommand *s = subcommands; s->name; s++)
		fprintf(f, "  %-14s %s\n", s->name, s->summary);
	fprintf(f, "\nUse 'tether <command> --help' for the flags of a command.\n");
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		usage(stderr);
		return 2;
	}
	if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "--version"))
		return cmd_version(0, NULL);
	for (const struct subcommand *s = subcommands; s->name; s++)
		if (!strcmp(argv[1], s->name))
			return s->run(argc - 2, argv + 2);
	fprintf(stderr, "error: unknown command \"%s\"\nSee 'tether --help' for usage.\n", argv[1]);
	return 2;
}
