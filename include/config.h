/*
 * config: the options of a sync, described by ONE table (name, type, default, bounds,
 * help). The table drives command-line parsing (kubectl-style `--flag value` and
 * `--flag=value`), the agent configuration file (config/tether.yaml), defaults, bounds
 * and `--help`. Errors in a file read `file:line:col: message`.
 * Nothing here talks to Git or a cluster.
 */
#ifndef TETHER_CONFIG_H
#define TETHER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Where an option may appear. */
enum {
	OPT_GLOBAL = 1, /* top level of the configuration file */
	OPT_APP = 2,    /* an entry of `apps:` */
	OPT_FLAG = 4,   /* command line only */
};

/* Which subcommands take an option (bit mask). */
enum {
	CMD_SYNC = 1,
	CMD_DIFF = 2,
	CMD_RENDER = 4,
	CMD_RUN = 8,    /* tether run: the agent */
	CMD_STATUS = 16,
	CMD_HISTORY = 32,
	CMD_ROLLBACK = 64,
	CMD_VERSION = 128,
	CMD_CHECK_CONFIG = 256,
	CMD_ACCESS = 512, /* tether check-access (it takes sync's flags too) */
	/* through the cluster (agent/ops) */
	CMD_GET = 1024,
	CMD_SUSPEND = 2048, /* and resume */
	CMD_RECONCILE = 4096,
	CMD_EVENTS = 8192,
};

enum opt_type { OPT_STRING, OPT_BOOL, OPT_DURATION, OPT_INT, OPT_ENUM };

/* What a notification reports (agent/notify); bit i of notify_target.events is event i. */
enum notify_event {
	NOTIFY_STARTED,	       /* a sync of a new commit begins (commit statuses: pending) */
	NOTIFY_SYNCED,	       /* applied, rollouts started */
	NOTIFY_SYNC_FAILED,    /* nothing or part applied */
	NOTIFY_ROLLOUT_FAILED, /* a workload's rollout failed or timed out */
	NOTIFY_REVERTED,       /* on-failure: revert pushed a revert of the failed commit */
	NOTIFY_DRIFT,	       /* the cluster differs from Git */
	NOTIFY_DRIFT_RECOVERED,
	NOTIFY_EVENTS
};

/* One `notify:` entry of the configuration file. Strings are owned. */
struct notify_target {
	char *type;	  /* webhook, slack, github, gitlab */
	char *url;	  /* webhook/slack: the endpoint; github/gitlab: the API base */
	char *token_file; /* read at each delivery, never logged */
	char *repo;	  /* github owner/name, gitlab project; NULL: from the app's repo */
	unsigned events;  /* 1 << enum notify_event */
};

/* "rollout-failed" -> NOTIFY_ROLLOUT_FAILED; -1 for an unknown name. */
int notify_event_parse(const char *name);
const char *notify_event_name(enum notify_event ev);

/* The settings of one app's sync. Strings are owned (NULL when unset). */
struct app_config {
	char *repo;
	char *ref;
	char *path;
	char *app;
	char *namespace;
	char *inventory_namespace;
	char *kubeconfig;
	char *context;
	char *cache_dir;
	char *output;      /* "text", "json" or "yaml" */
	char *progress;    /* "auto", "plain" or "none": sync's stage and rollout lines */
	char *config_file; /* --config */
	char *git_username;
	char *git_token_env;
	char *git_token_file;
	char *ssh_key;
	char *known_hosts;
	bool git_insecure;
	bool prune;
	bool force_prune;
	bool no_wait;
	int64_t timeout_ms;
	int64_t parallel;
	char *on_failure;  /* "none", "hold" or "revert" (history.h) */
	char *verify;      /* "none", "head" or "all": which commits must be signed */
	char *verify_keyring;          /* OpenPGP public keys trusted (verify.h) */
	char *verify_allowed_signers;  /* SSH keys trusted, ssh-keygen's format */
	char *sign_key;    /* signs the commits tether writes */
	char *service_account; /* "NS/NAME": every request of the app impersonates it */
	/* tether run (agent/daemon): per app, then agent-wide (top level or flags). */
	int64_t interval_ms;
	bool self_heal;
	int64_t workers; /* agent-wide: apps checked at once */
	char *listen;
	char *webhook_secret_file;
	char *log_format;
	bool leader_elect;
	bool shard_apps; /* replicas share the apps (agent/daemon/shard.c) */
	char *lease_name;
	char *lease_namespace;
	int64_t lease_duration_ms, renew_deadline_ms, retry_period_ms;
	/* get, reconcile, events (command line only) */
	bool all_namespaces;
	bool watch;
	bool wait;
	/* tether rollback */
	int64_t to_revision; /* 0: roll back to a commit instead */
	bool dry_run;
	/* tether check-access */
	char *print_rbac;  /* "yaml" or "json": the minimal RBAC instead of the result */
	bool access_agent; /* also what tether run needs (Events, the Lease) */
	/* notify: the agent-wide entries, then the app's own. */
	struct notify_target *notify;
	size_t n_notify;
	/* Position of the app entry in a configuration file (0 when from flags). */
	int line, col;
	/* Which options were given explicitly (bit i = config_options()[i]). */
	uint64_t set_mask;
};

struct opt_def {
	const char *name;  /* config key; also the flag unless flag is set */
	const char *flag;  /* flag name when it differs (NULL: same as name) */
	char short_flag;   /* e.g. 'o', or 0 */
	enum opt_type type;
	const char *def;   /* default as text, NULL for none */
	int64_t min, max;  /* bounds: ints; durations in ms; string length */
	const char *choices; /* OPT_ENUM: "text|json" */
	unsigned scope;    /* OPT_GLOBAL | OPT_APP | OPT_FLAG */
	unsigned cmds;     /* CMD_* */
	const char *metavar;
	const char *help;
	size_t offset;     /* into struct app_config */
};

/* The table, terminated by an entry with a NULL name. */
const struct opt_def *config_options(void);

/* Fills c with the table's defaults (strings stay NULL unless there is a default). */
int app_config_init(struct app_config *c, struct err *e);
void app_config_dispose(struct app_config *c);
int app_config_copy(struct app_config *dst, const struct app_config *src, struct err *e);

/* Sets option `name` (config key or flag name) from text; bounds checked.
 * The message names the option; the caller adds the position. */
int config_set(struct app_config *c, const struct opt_def *o, const char *value, struct err *e);
const struct opt_def *config_find(const char *name, unsigned scope);
const struct opt_def *config_find_flag(const char *flag, char short_flag);

/* An agent configuration file: top-level settings apply to every app; each entry of
 * `apps:` overrides them. */
struct tether_config {
	struct app_config defaults;
	struct app_config *apps;
	size_t n_apps;
};

int config_load(struct tether_config *out, const char *file, struct err *e);
/* Same, from a buffer; file is used in messages. */
int config_parse(struct tether_config *out, const char *file, const char *data, size_t len,
		 struct err *e);
void config_dispose(struct tether_config *c);

/* Writes the options of the subcommands in cmds as `--help` text. */
int config_write_help(struct buf *out, unsigned cmds);

/* Parses argv (after the subcommand name) into c. Positional arguments go to args.
 * Unknown flags and bad values are TE_INPUT naming the flag. *help is set on --help/-h. */
int config_parse_args(struct app_config *c, unsigned cmds, int argc, char **argv,
		      struct strlist *args, bool *help, struct err *e);

/* Fills derived defaults: the app name from the repo ("https://h/x/guestbook.git" ->
 * "guestbook"), normalised to a label value; TE_INPUT when repo is missing. */
int app_config_finish(struct app_config *c, struct err *e);

#endif
