/*
 * man: tether(1) in roff, written from the command table (main.c) and the option table
 * (agent/config/options.c), the same tables --help reads, so the page cannot drift from
 * the program. `make install` runs the hidden `tether __man`. Nothing here is
 * hand-copied from --help.
 */
#include <string.h>

#include "cli.h"

bool cli_takes(const struct cli_cmd *cmd, const struct opt_def *o)
{
	return cmd && cmd->cmds && (o->cmds & cmd->cmds);
}

/* Text for roff: backslashes and '-' escaped, and a line starting with '.' or '\''
 * (a request) guarded. */
static void roff_text(struct buf *out, const char *s, size_t n)
{
	if (n && (s[0] == '.' || s[0] == '\''))
		buf_puts(out, "\\&");
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '\\')
			buf_puts(out, "\\e");
		else if (s[i] == '-')
			buf_puts(out, "\\-");
		else
			buf_append(out, &s[i], 1);
	}
}

/* A --help paragraph: a blank line starts a new paragraph, an indented line (a table
 * of the command's own flags) starts a new output line. */
static void roff_paragraphs(struct buf *out, const char *s)
{
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t n = nl ? (size_t)(nl - s) : strlen(s);

		if (n == 0)
			buf_puts(out, ".PP\n");
		else {
			if (s[0] == ' ')
				buf_puts(out, ".br\n");
			while (n && *s == ' ')
				s++, n--;
			roff_text(out, s, n);
			buf_puts(out, "\n");
		}
		s += n + (nl ? 1 : 0);
	}
}

static void man_flag(struct buf *out, const struct opt_def *o)
{
	const char *name = o->flag ? o->flag : o->name;

	buf_puts(out, ".TP\n");
	if (o->short_flag)
		buf_printf(out, "\\fB\\-%c\\fR, ", o->short_flag);
	buf_puts(out, "\\fB\\-\\-");
	roff_text(out, name, strlen(name));
	buf_puts(out, "\\fR");
	if (o->metavar)
		buf_printf(out, " \\fI%s\\fR", o->metavar);
	buf_puts(out, "\n");
	roff_text(out, o->help, strlen(o->help));
	if (o->def && *o->def && o->type != OPT_BOOL) {
		buf_puts(out, " (default ");
		roff_text(out, o->def, strlen(o->def));
		buf_puts(out, ")");
	}
	buf_puts(out, "\n");
}

static void man_command(struct buf *out, const struct cli_subcommand *s)
{
	const struct cli_cmd *cmd = s->describe ? s->describe() : NULL;

	buf_printf(out, ".SS \"tether %s\"\n", s->name);
	if (cmd) {
		buf_puts(out, ".B tether ");
		roff_text(out, s->name, strlen(s->name));
		buf_puts(out, "\n");
		roff_text(out, cmd->usage, strlen(cmd->usage));
		buf_puts(out, "\n.PP\n");
		roff_paragraphs(out, cmd->summary);
	} else {
		roff_paragraphs(out, s->summary);
		buf_puts(out, ".\n");
	}
	for (const struct opt_def *o = config_options(); cmd && o->name; o++)
		if (cli_takes(cmd, o))
			man_flag(out, o);
	buf_puts(out, ".TP\n\\fB\\-h\\fR, \\fB\\-\\-help\\fR\nshow the help of the command\n");
}

static void man_header(struct buf *out, const struct cli_subcommand *table)
{
	buf_printf(out, ".TH TETHER 1 \"\" \"tether %s\" \"User Commands\"\n", TETHER_VERSION);
	buf_puts(out, ".SH NAME\ntether \\- a GitOps sync agent: the cluster equals Git, or it "
		      "says why\n.SH SYNOPSIS\n.B tether\n\\fICOMMAND\\fR [\\fIFLAGS\\fR]\n"
		      ".SH DESCRIPTION\n"
		      "tether applies the manifests of a Git commit to a Kubernetes cluster with "
		      "server-side apply, waits for the rollouts, records which commit made "
		      "which revision, and rolls back through Git. "
		      "Flags read as kubectl's: \\fB\\-\\-flag value\\fR or "
		      "\\fB\\-\\-flag=value\\fR.\n.SH COMMANDS\n");
	for (const struct cli_subcommand *s = table; s->name; s++) {
		buf_printf(out, ".TP\n.B %s\n", s->name);
		roff_paragraphs(out, s->summary);
	}
}

int cli_man_write(struct buf *out, const struct cli_subcommand *table)
{
	man_header(out, table);
	buf_puts(out, ".SH OPTIONS\n");
	for (const struct cli_subcommand *s = table; s->name; s++)
		man_command(out, s);
	buf_puts(out, ".SH EXIT STATUS\n"
		      ".TP\n.B 0\nsynced and healthy (diff: no changes)\n"
		      ".TP\n.B 1\na rollout failed or timed out (diff: changes)\n"
		      ".TP\n.B 2\nbad input: flags, configuration or manifests; nothing applied\n"
		      ".TP\n.B 3\nGit or the cluster unreachable; nothing applied\n"
		      ".SH ENVIRONMENT\n.TP\n.B KUBECONFIG\nthe kubeconfig files, as kubectl "
		      "reads them\n.TP\n.B XDG_CACHE_HOME\nthe Git cache goes to "
		      "$XDG_CACHE_HOME/tether\n.TP\n.B SSH_AUTH_SOCK\nthe ssh\\-agent tried for "
		      "ssh:// repositories\n"
		      ".SH FILES\n.TP\n.I ~/.ssh/id_ed25519, ~/.ssh/id_ecdsa, ~/.ssh/id_rsa\n"
		      "the keys tried for ssh:// repositories without \\fB\\-\\-ssh\\-key\\fR\n"
		      ".TP\n.I ~/.ssh/known_hosts\nthe host keys ssh servers are checked against\n"
		      ".SH SEE ALSO\n.BR kubectl (1),\n.BR git (1),\n.BR ssh\\-keyscan (1)\n");
	return out->len ? 0 : TE_NOMEM;
}
