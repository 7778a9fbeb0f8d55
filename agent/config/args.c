/*
 * args: kubectl-style flags from the option table: `--flag value`, `--flag=value`,
 * `-o json`, `-ojson`, booleans as `--prune` or `--prune=false`; `--help` text.
 * Unknown flags are input errors naming the flag and what was likely meant: a flag of
 * the command a few edits away, or the commands that take it (the CLI adds the usage
 * hint).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

static const char *flag_name(const struct opt_def *o)
{
	return o->flag ? o->flag : o->name;
}

/* The commands of each CMD_* bit, for "a flag of sync, rollback" (main.c has the rest
 * of what is said about each command). */
static const struct {
	unsigned bit;
	const char *name;
} cmd_names[] = {
    {CMD_SYNC, "sync"},		{CMD_DIFF, "diff"},	    {CMD_HISTORY, "history"},
    {CMD_ROLLBACK, "rollback"}, {CMD_RUN, "run"},	    {CMD_STATUS, "status"},
    {CMD_RENDER, "render"},	{CMD_VERSION, "version"}, {CMD_CHECK_CONFIG, "check-config"},
    {CMD_ACCESS, "check-access"},
};

/* The flag of cmds nearest to name that is worth suggesting; NULL when none is. */
static const char *nearest_flag(const char *name, unsigned cmds)
{
	const char *best = str_suggests(name, "help") ? "help" : NULL;
	size_t best_d = best ? str_distance(name, "help") : (size_t)-1;

	for (const struct opt_def *o = config_options(); o->name; o++) {
		size_t d;

		if (!(o->cmds & cmds) || !str_suggests(name, flag_name(o)))
			continue;
		d = str_distance(name, flag_name(o));
		if (!best || d < best_d) {
			best = flag_name(o);
			best_d = d;
		}
	}
	return best;
}

/* An unknown flag arg (name without dashes; o when another command takes it). */
static int unknown_flag(const char *arg, const char *name, const struct opt_def *o,
			unsigned cmds, struct err *e)
{
	char others[160] = "";
	const char *near;
	size_t n = 0;

	if (o) {
		for (size_t i = 0; i < sizeof(cmd_names) / sizeof(cmd_names[0]); i++)
			if ((o->cmds & cmd_names[i].bit) && n < sizeof(others))
				n += (size_t)snprintf(others + n, sizeof(others) - n, "%s%s",
						      n ? ", " : "", cmd_names[i].name);
		return err_set(e, TE_INPUT, "unknown flag: %s (only %s take it)",
			       arg, others);
	}
	if (*name && (near = nearest_flag(name, cmds)))
		return err_set(e, TE_INPUT, "unknown flag: %s (did you mean --%s?)", arg, near);
	return err_set(e, TE_INPUT, "unknown flag: %s", arg);
}

/* Finds the option of argv[*i] and its value (inline or the next argument). */
static int parse_one(struct app_config *c, unsigned cmds, int argc, char **argv, int *i,
		     struct err *e)
{
	const char *arg = argv[*i], *value = NULL;
	const struct opt_def *o;
	char name[128] = ""; /* of a long flag */

	if (arg[1] != '-') { /* -o json, -ojson, -o=json */
		o = config_find_flag(NULL, arg[1]);
		if (arg[2])
			value = arg[2] == '=' ? arg + 3 : arg + 2;
	} else {
		const char *eq = strchr(arg + 2, '=');
		size_t n = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
		if (n >= sizeof(name))
			n = sizeof(name) - 1;
		memcpy(name, arg + 2, n);
		name[n] = '\0';
		o = config_find_flag(name, 0);
		value = eq ? eq + 1 : NULL;
	}
	if (!o || !(o->cmds & cmds))
		return unknown_flag(arg, name, o, cmds, e);
	if (!value && o->type == OPT_BOOL)
		value = "true";
	if (!value) {
		if (*i + 1 >= argc)
			return err_set(e, TE_INPUT, "flag needs an argument: --%s", flag_name(o));
		value = argv[++*i];
	}
	if (config_set(c, o, value, e) < 0)
		return err_prefix(e, "--%s", flag_name(o));
	return 0;
}

int config_parse_args(struct app_config *c, unsigned cmds, int argc, char **argv,
		      struct strlist *args, bool *help, struct err *e)
{
	bool dashdash = false;

	*help = false;
	for (int i = 0; i < argc; i++) {
		const char *a = argv[i];

		if (dashdash || a[0] != '-' || a[1] == '\0') {
			if (strlist_add(args, a) < 0)
				return err_set(e, TE_NOMEM, "out of memory");
			continue;
		}
		if (!strcmp(a, "--")) {
			dashdash = true;
			continue;
		}
		if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
			*help = true;
			continue;
		}
		if (parse_one(c, cmds, argc, argv, &i, e) < 0)
			return TE_INPUT;
	}
	return 0;
}

int config_write_help(struct buf *out, unsigned cmds)
{
	buf_puts(out, "Flags:\n");
	for (const struct opt_def *o = config_options(); o->name; o++) {
		char left[80];
		int n;

		if (!(o->cmds & cmds))
			continue;
		if (o->short_flag)
			n = snprintf(left, sizeof(left), "  -%c, --%s", o->short_flag,
				     flag_name(o));
		else
			n = snprintf(left, sizeof(left), "      --%s", flag_name(o));
		if (o->metavar && n > 0 && (size_t)n < sizeof(left))
			snprintf(left + n, sizeof(left) - (size_t)n, " %s", o->metavar);
		buf_printf(out, "%-36s %s", left, o->help);
		if (o->def && *o->def && o->type != OPT_BOOL)
			buf_printf(out, " (default %s)", o->def);
		buf_puts(out, "\n");
	}
	buf_printf(out, "%-36s %s\n", "  -h, --help", "show this help");
	return out->len ? 0 : TE_NOMEM;
}
