/*
 * common: what every subcommand shares: flag parsing with the usage hint, --help from
 * the option table, error printing, the list of apps from --config or flags.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "manifest.h"
#include "session.h"

bool cli_tty(void)
{
	return isatty(STDERR_FILENO) == 1;
}

bool cli_color(int fd)
{
	const char *no = getenv("NO_COLOR");

	return isatty(fd) == 1 && !(no && *no);
}

void cli_error(const struct cli_cmd *cmd, const char *msg, bool usage)
{
	fprintf(stderr, "error: %s\n", msg);
	if (usage)
		fprintf(stderr, "See 'tether %s --help' for usage.\n", cmd->name);
}

static void print_help(const struct cli_cmd *cmd)
{
	struct buf b;

	buf_init(&b, 0);
	buf_printf(&b, "%s\n\nUsage:\n  tether %s %s\n\n", cmd->summary, cmd->name, cmd->usage);
	if (cmd->cmds)
		config_write_help(&b, cmd->cmds);
	else
		buf_printf(&b, "Flags:\n  -h, --help  show this help\n");
	fputs(b.data, stdout);
	buf_dispose(&b);
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *c,
	      struct strlist *args, int *exit_code)
{
	struct err e;
	bool help = false;

	err_clear(&e);
	if (app_config_init(c, &e) < 0 ||
	    config_parse_args(c, cmd->cmds, argc, argv, args, &help, &e) < 0) {
		cli_error(cmd, e.msg, true);
		*exit_code = 2;
		return 1;
	}
	if (help) {
		print_help(cmd);
		*exit_code = 0;
		return 1;
	}
	return 0;
}

int cli_parse_flags(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *c,
		    int *exit_code)
{
	struct strlist args;
	char msg[64];
	int stop;

	strlist_init(&args);
	stop = cli_parse(cmd, argc, argv, c, &args, exit_code);
	if (!stop && args.n) {
		snprintf(msg, sizeof(msg), "%s takes no arguments", cmd->name);
		cli_error(cmd, msg, true);
		*exit_code = 2;
		stop = 1;
	}
	strlist_dispose(&args);
	return stop;
}

void cli_apps_free(struct app_config *apps, size_t n)
{
	for (size_t i = 0; apps && i < n; i++)
		app_config_dispose(&apps[i]);
	free(apps);
}

/* Flags given on the command line win over the file's values. */
static int apply_flags(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *c,
		       struct err *e)
{
	struct strlist args;
	bool help;
	int rc;

	strlist_init(&args);
	rc = config_parse_args(c, cmd->cmds, argc, argv, &args, &help, e);
	strlist_dispose(&args);
	return rc;
}

/* --app NAME with --config: only that app of the file. */
static int select_app(struct app_config *apps, size_t *n, const char *name, const char *file,
		      struct err *e)
{
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(apps[i].app, name) != 0)
			continue;
		if (i != 0) {
			struct app_config tmp = apps[0];
			apps[0] = apps[i];
			apps[i] = tmp;
		}
		for (size_t j = 1; j < *n; j++)
			app_config_dispose(&apps[j]);
		*n = 1;
		return 0;
	}
	return err_set(e, TE_INPUT, "%s: no app named \"%s\"", file, name);
}

int cli_apps(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *flags,
	     struct app_config **apps, size_t *n, struct err *e)
{
	struct tether_config tc;
	int rc;

	*apps = NULL;
	*n = 0;
	if (!flags->config_file) {
		if ((rc = app_config_finish(flags, e)) < 0)
			return rc;
		*apps = calloc(1, sizeof(**apps));
		if (!*apps || app_config_copy(*apps, flags, e) < 0)
			return err_set(e, TE_NOMEM, "out of memory");
		*n = 1;
		return 0;
	}
	if (flags->repo)
		return err_set(e, TE_INPUT, "give --repo or --config, not both");
	if ((rc = config_load(&tc, flags->config_file, e)) < 0) {
		config_dispose(&tc); /* a file that fails half-way has allocated defaults */
		return rc;
	}
	*apps = tc.apps;
	*n = tc.n_apps;
	tc.apps = NULL;
	tc.n_apps = 0;
	config_dispose(&tc);
	if (flags->app && (rc = select_app(*apps, n, flags->app, flags->config_file, e)) < 0)
		return rc;
	for (size_t i = 0; i < *n; i++)
		if ((rc = apply_flags(cmd, argc, argv, &(*apps)[i], e)) < 0)
			return rc;
	return 0;
}

int cli_load_apps(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *flags,
		  struct app_config **apps, size_t *n)
{
	struct err e;

	err_clear(&e);
	if (cli_apps(cmd, argc, argv, flags, apps, n, &e) == 0)
		return 0;
	cli_error(cmd, e.msg, !flags->config_file && !flags->repo);
	return err_exit_code(e.code ? e.code : TE_INPUT);
}

/* one() on a session for each app; returns the worst exit code. */
static int each_app(struct app_config *apps, size_t n, bool json, cJSON *all,
		    int (*one)(struct session *s, bool json, cJSON *all))
{
	struct err e;
	int worst = 0;

	err_clear(&e);
	for (size_t i = 0; i < n; i++) {
		struct session *sess;
		int c;

		if (session_new(&sess, &apps[i], &e) < 0) {
			fprintf(stderr, "error: %s\n", e.msg);
			c = err_exit_code(TE_NOMEM);
		} else {
			c = one(sess, json, all);
		}
		session_free(sess);
		worst = c > worst ? c : worst;
	}
	return worst;
}

bool cli_doc_output(const char *output)
{
	return output && (!strcmp(output, "json") || !strcmp(output, "yaml"));
}

int cli_print_doc(const cJSON *doc, const char *output, struct err *e)
{
	struct buf b;
	char *s;

	if (output && !strcmp(output, "yaml")) {
		buf_init(&b, 0);
		if (json_to_yaml(doc, &b, e) < 0) {
			buf_dispose(&b);
			return -1;
		}
		fwrite(b.data, 1, b.len, stdout);
		buf_dispose(&b);
		return 0;
	}
	if (!(s = cJSON_Print(doc)))
		return err_set(e, TE_NOMEM, "out of memory");
	puts(s);
	free(s);
	return 0;
}

int cli_emit_doc(cJSON *doc, const char *output)
{
	struct err e;
	int rc;

	err_clear(&e);
	rc = doc ? cli_print_doc(doc, output, &e) : err_set(&e, TE_NOMEM, "out of memory");
	cJSON_Delete(doc);
	if (rc < 0)
		fprintf(stderr, "error: -o %s: %s\n", output, e.msg);
	return rc < 0 ? 1 : 0;
}

int cli_each_app(const struct cli_cmd *cmd, int argc, char **argv,
		 int (*one)(struct session *s, bool json, cJSON *all))
{
	struct app_config flags, *apps = NULL;
	size_t n = 0;
	int code = 0;
	cJSON *all = NULL;
	struct err e = {0};
	bool json;

	if (cli_parse_flags(cmd, argc, argv, &flags, &code))
		goto out;
	if ((code = cli_load_apps(cmd, argc, argv, &flags, &apps, &n)) != 0)
		goto out;
	json = cli_doc_output(flags.output);
	all = cJSON_CreateArray();
	code = each_app(apps, n, json, all, one);
	if (json && cli_print_doc(flags.config_file ? all : cJSON_GetArrayItem(all, 0),
				  flags.output, &e) < 0) {
		fprintf(stderr, "error: %s\n", e.msg);
		code = code ? code : 1;
	}
out:
	cJSON_Delete(all);
	cli_apps_free(apps, n);
	app_config_dispose(&flags);
	return code;
}
