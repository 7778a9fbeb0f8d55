/*
 * cli: the subcommands, one thin file each (agent/cli/<name>.c): parse flags through
 * the option table, call the core, print. Each returns the process exit code.
 */
#ifndef TETHER_CLI_H
#define TETHER_CLI_H

#include <stdbool.h>

#include "config.h"
#include "util.h"

#ifndef TETHER_VERSION
#define TETHER_VERSION "0.1.0"
#endif

int cmd_sync(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_render(int argc, char **argv);
int cmd_version(int argc, char **argv);
int cmd_check_config(int argc, char **argv);
int cmd_run(int argc, char **argv);    /* daemon.h */
int cmd_status(int argc, char **argv);
int cmd_history(int argc, char **argv);  /* history.h */
int cmd_get(int argc, char **argv);       /* ops.h: through the cluster */
int cmd_suspend(int argc, char **argv);
int cmd_resume(int argc, char **argv);
int cmd_reconcile(int argc, char **argv);
int cmd_events(int argc, char **argv);
int cmd_check_access(int argc, char **argv); /* access.h */
int cmd_rollback(int argc, char **argv); /* history.h */
/* on-failure: revert, after a sync whose rollout failed: pushes the revert commit,
 * syncs it and reports it (text, or a "revert" member of json). */
struct sync_result;
struct cJSON;
struct history_revert;
void cli_on_failure_revert(const struct history_revert *rv, const struct sync_result *failed,
			   struct cJSON *json);

/* --progress of sync and rollback (agent/cli/progress.c): start sets env's progress
 * callback for c's mode (none: leaves env as it is); end clears an updating line. */
struct sync_env;
struct cli_progress {
	const char *app;
	bool plain;  /* timestamped lines, not the updating one */
	bool active; /* an updating line is shown */
};
void cli_progress_start(struct cli_progress *p, const struct app_config *c, struct sync_env *env);
void cli_progress_end(struct cli_progress *p);

/* What a subcommand says about itself in --help. */
struct cli_cmd {
	const char *name;
	unsigned cmds; /* CMD_* bit of its flags */
	const char *usage;
	const char *summary;
};

/*
 * Parses flags for cmd into c (initialised here). Returns 0 to go on, or 1 when the
 * command should exit now with *exit_code (after --help, or a usage error already
 * printed with a hint). Positional arguments go to args.
 */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *c,
	      struct strlist *args, int *exit_code);
/* cli_parse for a command without positional arguments (one is a usage error). */
int cli_parse_flags(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *c,
		    int *exit_code);
/* Prints "error: msg" on stderr (and the usage hint when usage is set). */
void cli_error(const struct cli_cmd *cmd, const char *msg, bool usage);
/* True when stderr is a terminal (progress). */
bool cli_tty(void);
/* Whether to colour what goes to fd: a terminal, and NO_COLOR unset or empty
 * (no-color.org). */
bool cli_color(int fd);
/* The apps to work on: from --config FILE (flags override its values), or the flags. */
int cli_apps(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *flags,
	     struct app_config **apps, size_t *n, struct err *e);
void cli_apps_free(struct app_config *apps, size_t n);
/* cli_apps for a command: 0, or the exit code after printing why (with the usage hint
 * when no --config or --repo was given). */
int cli_load_apps(const struct cli_cmd *cmd, int argc, char **argv, struct app_config *flags,
		  struct app_config **apps, size_t *n);
/*
 * The driver of the per-app commands (sync, diff): parses the flags (no positional
 * arguments), loads the apps, runs one() on a session for each (session.h; s->cfg is
 * the app's settings; json: append its result to all),
 * prints the JSON (an array with --config, else the one object) and returns the
 * highest exit code of the apps.
 */
struct session;
int cli_each_app(const struct cli_cmd *cmd, int argc, char **argv,
		 int (*one)(struct session *s, bool json, struct cJSON *all));

/*
 * The one printer of -o json|yaml (every command that prints results uses it): doc as
 * indented JSON, or as YAML (one document, no "---"), on stdout. True when output asks
 * for a document (json or yaml), so that callers decide text vs document with one test.
 */
bool cli_doc_output(const char *output);
int cli_print_doc(const struct cJSON *doc, const char *output, struct err *e);
/* cli_print_doc of doc, which it frees (NULL: out of memory): the exit code, 0 or 1
 * after saying why nothing was printed. */
int cli_emit_doc(struct cJSON *doc, const char *output);

/* Each subcommand's description (agent/cli/<name>.c): what --help, the man page and
 * the completion scripts say about it. */
const struct cli_cmd *cli_sync_cmd(void);
const struct cli_cmd *cli_diff_cmd(void);
const struct cli_cmd *cli_history_cmd(void);
const struct cli_cmd *cli_rollback_cmd(void);
const struct cli_cmd *cli_run_cmd(void);
const struct cli_cmd *cli_status_cmd(void);
const struct cli_cmd *cli_render_cmd(void);
const struct cli_cmd *cli_check_config_cmd(void);
const struct cli_cmd *cli_version_cmd(void);
const struct cli_cmd *cli_check_access_cmd(void);

const struct cli_cmd *cli_get_cmd(void);
const struct cli_cmd *cli_suspend_cmd(void);
const struct cli_cmd *cli_resume_cmd(void);
const struct cli_cmd *cli_reconcile_cmd(void);
const struct cli_cmd *cli_events_cmd(void);

/* The commands through the cluster (agent/cli/ops.c): their flags, positional
 * arguments and a kube client from --kubeconfig and --context. cli_ops_open returns 1
 * when the command should exit now with *code (after --help, or an error printed). */
struct kube;
struct kube_config;
struct cli_ops {
	struct app_config flags;
	struct strlist args;
	struct kube_config *kcfg;
	struct kube *kube;
};
int cli_ops_open(const struct cli_cmd *cmd, int argc, char **argv, struct cli_ops *o,
		 int *code);
void cli_ops_close(struct cli_ops *o);
/* --inventory-namespace, else -n, else NULL (look everywhere). */
const char *cli_ops_namespace(const struct cli_ops *o);
/* Prints e and returns its exit code. */
int cli_ops_fail(const struct cli_cmd *cmd, const struct err *e);
/* The inventory of the one APP argument: 0, or the exit code after printing why. */
int cli_ops_one_app(const struct cli_cmd *cmd, const struct cli_ops *o, struct cJSON **cm);

/* A row of main.c's command table; describe is NULL for a command without flags of
 * the option table. The table ends with a row whose name is NULL. */
struct cli_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
	const struct cli_cmd *(*describe)(void);
};
/* True when the option table's o is a flag of cmd (NULL: none is). */
bool cli_takes(const struct cli_cmd *cmd, const struct opt_def *o);
/* tether(1) in roff: every command of table with its flags from the option table. */
int cli_man_write(struct buf *out, const struct cli_subcommand *table);
/* `tether completion bash|zsh`: prints the completion script for that shell. */
int cli_completion(int argc, char **argv, const struct cli_subcommand *table);
/* The completion script of shell ("bash" or "zsh") for table; TE_INPUT for another. */
int cli_completion_write(struct buf *out, const char *shell, const struct cli_subcommand *table,
			 struct err *e);

#endif
