/*
 * args: kubectl-style flags from the option table: `--flag value`, `--flag=value`,
 * `-o json`, `-ojson`, booleans as `--prune` or `--prune=false`; `--help` text.
 * Unknown flags are input errors naming the flag (the CLI adds the usage hint).
 */
#include <stdio.h>
#include <string.h>

#include "config.h"

static const char *flag_name(const struct opt_def *o)
{
	return o->flag ? o->flag : o->name;
}

/* Finds the option of argv[*i] and its value (inline or the next argument). */
static int parse_one(struct app_config *c, unsigned cmds, int argc, char **argv, int *i,
		     struct err *e)
{
	const char *arg = argv[*i], *value = NULL;
	const struct opt_def *o;
	char name[128];

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
		return err_set(e, TE_INPUT, "unknown flag: %s", arg);
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
