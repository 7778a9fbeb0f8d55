/*
 * completion: `tether completion bash|zsh`, the completion scripts, written from the
 * command table (main.c) and the option table like --help and tether(1): a command
 * or a flag added there is completed without touching this file. The scripts run
 * nothing: every word they offer is in the script.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *flag_of(const struct opt_def *o)
{
	return o->flag ? o->flag : o->name;
}

/* What the value of o is completed with: files, directories, choices or nothing. */
enum value_kind { VALUE_NONE, VALUE_FILE, VALUE_DIR, VALUE_CHOICES, VALUE_OTHER };

static enum value_kind value_of(const struct opt_def *o)
{
	if (o->type == OPT_BOOL)
		return VALUE_NONE;
	if (o->type == OPT_ENUM)
		return VALUE_CHOICES;
	if (o->metavar && !strcmp(o->metavar, "FILE"))
		return VALUE_FILE;
	if (o->metavar && !strcmp(o->metavar, "DIR"))
		return VALUE_DIR;
	return VALUE_OTHER;
}

/* "a|b|c" as "a b c". */
static void words_of(struct buf *out, const char *choices)
{
	for (const char *p = choices; *p; p++)
		buf_append(out, *p == '|' ? " " : p, 1);
}

static void bash_commands(struct buf *out, const struct cli_subcommand *table)
{
	buf_puts(out, "  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W \"");
	for (const struct cli_subcommand *s = table; s->name; s++)
		buf_printf(out, "%s%s", s == table ? "" : " ", s->name);
	buf_puts(out, " help\" -- \"$cur\"))\n    return\n  fi\n");
}

/* The value of the flag before the cursor; a flag's value is the same whatever the
 * command. */
static void bash_values(struct buf *out)
{
	static const char *const with[] = {"", "-f", "-d", "-W", ""};

	buf_puts(out, "  case $prev in\n");
	for (const struct opt_def *o = config_options(); o->name; o++) {
		enum value_kind k = value_of(o);

		if (k == VALUE_NONE)
			continue;
		buf_puts(out, "    ");
		if (o->short_flag)
			buf_printf(out, "-%c|", o->short_flag);
		buf_printf(out, "--%s)", flag_of(o));
		if (k == VALUE_OTHER) {
			buf_puts(out, " return ;;\n");
			continue;
		}
		buf_printf(out, " COMPREPLY=($(compgen %s ", with[k]);
		if (k == VALUE_CHOICES) {
			buf_puts(out, "\"");
			words_of(out, o->choices);
			buf_puts(out, "\" ");
		}
		buf_puts(out, "-- \"$cur\")); return ;;\n");
	}
	buf_puts(out, "  esac\n");
}

static void bash_flags(struct buf *out, const struct cli_subcommand *table)
{
	buf_puts(out, "  case ${COMP_WORDS[1]} in\n");
	for (const struct cli_subcommand *s = table; s->name; s++) {
		const struct cli_cmd *cmd = s->describe ? s->describe() : NULL;

		if (!strcmp(s->name, "completion"))
			continue;
		buf_printf(out, "    %s) flags=\"", s->name);
		for (const struct opt_def *o = config_options(); o->name; o++)
			if (cli_takes(cmd, o) && o->short_flag)
				buf_printf(out, "-%c --%s ", o->short_flag, flag_of(o));
			else if (cli_takes(cmd, o))
				buf_printf(out, "--%s ", flag_of(o));
		buf_puts(out, "--help\" ;;\n");
	}
	buf_puts(out, "    completion) COMPREPLY=($(compgen -W \"bash zsh\" -- \"$cur\")); return ;;\n"
		      "    help) COMPREPLY=($(compgen -W \"$commands\" -- \"$cur\")); return ;;\n"
		      "    *) return ;;\n  esac\n");
}

static void bash_write(struct buf *out, const struct cli_subcommand *table)
{
	buf_puts(out, "# bash completion for tether (tether completion bash)\n"
		      "_tether() {\n  local cur prev flags commands\n  COMPREPLY=()\n"
		      "  cur=${COMP_WORDS[COMP_CWORD]}\n  prev=${COMP_WORDS[COMP_CWORD-1]}\n"
		      "  commands=\"");
	for (const struct cli_subcommand *s = table; s->name; s++)
		buf_printf(out, "%s%s", s == table ? "" : " ", s->name);
	buf_puts(out, "\"\n");
	bash_commands(out, table);
	bash_values(out);
	bash_flags(out, table);
	buf_puts(out, "  if [[ $cur == -* ]]; then\n"
		      "    COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\"))\n  else\n"
		      "    COMPREPLY=($(compgen -f -- \"$cur\"))\n  fi\n}\n"
		      "complete -o filenames -F _tether tether\n");
}

/* Text inside a single-quoted zsh word and an _arguments [description]. */
static void zsh_text(struct buf *out, const char *s)
{
	for (; *s && *s != '\n'; s++) {
		if (*s == '\'')
			buf_puts(out, "'\\''");
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			buf_printf(out, "\\%c", *s);
		else
			buf_append(out, s, 1);
	}
}

static void zsh_flag(struct buf *out, const struct opt_def *o)
{
	static const char *const action[] = {"", ":FILE:_files", ":DIR:_files -/", "", ":VALUE: "};
	enum value_kind k = value_of(o);

	buf_puts(out, "        '");
	if (o->short_flag)
		buf_printf(out, "(-%c --%s)'{-%c,--%s}'", o->short_flag, flag_of(o), o->short_flag,
			   flag_of(o));
	else
		buf_printf(out, "--%s", flag_of(o));
	buf_puts(out, "[");
	zsh_text(out, o->help);
	buf_printf(out, "]%s", action[k]);
	if (k == VALUE_CHOICES) {
		buf_printf(out, ":%s:(", o->metavar ? o->metavar : "VALUE");
		words_of(out, o->choices);
		buf_puts(out, ")");
	}
	buf_puts(out, "' \\\n");
}

static void zsh_command(struct buf *out, const struct cli_subcommand *s)
{
	const struct cli_cmd *cmd = s->describe ? s->describe() : NULL;

	buf_printf(out, "    %s)\n      _arguments \\\n", s->name);
	for (const struct opt_def *o = config_options(); o->name; o++)
		if (cli_takes(cmd, o))
			zsh_flag(out, o);
	buf_puts(out, "        '(-h --help)'{-h,--help}'[show this help]' \\\n"
		      "        '*:file:_files' ;;\n");
}

static void zsh_write(struct buf *out, const struct cli_subcommand *table)
{
	buf_puts(out, "#compdef tether\n# zsh completion for tether (tether completion zsh)\n"
		      "_tether() {\n  local -a commands\n  commands=(\n");
	for (const struct cli_subcommand *s = table; s->name; s++) {
		buf_printf(out, "    '%s:", s->name);
		zsh_text(out, s->summary);
		buf_puts(out, "'\n");
	}
	buf_puts(out, "  )\n  if (( CURRENT == 2 )); then\n"
		      "    _describe -t commands 'tether command' commands\n    return\n  fi\n"
		      "  local cmd=$words[2]\n  shift words\n  (( CURRENT-- ))\n  case $cmd in\n");
	for (const struct cli_subcommand *s = table; s->name; s++)
		if (strcmp(s->name, "completion") != 0)
			zsh_command(out, s);
	buf_puts(out, "    completion) _values 'shell' bash zsh ;;\n"
		      "    help) _describe -t commands 'tether command' commands ;;\n  esac\n}\n"
		      "if [ \"$funcstack[1]\" = \"_tether\" ]; then\n  _tether \"$@\"\nelse\n"
		      "  compdef _tether tether\nfi\n");
}

int cli_completion_write(struct buf *out, const char *shell, const struct cli_subcommand *table,
			 struct err *e)
{
	if (!strcmp(shell, "bash"))
		bash_write(out, table);
	else if (!strcmp(shell, "zsh"))
		zsh_write(out, table);
	else
		return err_set(e, TE_INPUT, "completion: \"%s\" is not bash or zsh", shell);
	return out->len ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

static const char completion_help[] =
    "Print the completion script of a shell from tether's commands and flags.\n\n"
    "Usage:\n  tether completion bash|zsh\n\n"
    "  bash:  source <(tether completion bash)   (or install it as\n"
    "         /usr/share/bash-completion/completions/tether)\n"
    "  zsh:   tether completion zsh > \"${fpath[1]}/_tether\"\n\n"
    "Flags:\n  -h, --help  show this help\n";

int cli_completion(int argc, char **argv, const struct cli_subcommand *table)
{
	struct buf b;
	struct err e;
	int code = 0;

	if (argc == 1 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		fputs(completion_help, stdout);
		return 0;
	}
	if (argc != 1) {
		fprintf(stderr, "error: give one shell: bash or zsh\n"
				"See 'tether completion --help' for usage.\n");
		return 2;
	}
	buf_init(&b, 0);
	err_clear(&e);
	if (cli_completion_write(&b, argv[0], table, &e) < 0) {
		fprintf(stderr, "error: %s\nSee 'tether completion --help' for usage.\n", e.msg);
		code = err_exit_code(e.code);
	} else {
		fputs(b.data, stdout);
	}
	buf_dispose(&b);
	return code;
}
