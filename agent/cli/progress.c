/*
 * progress: what `tether sync` and `tether rollback` say on stderr while they work
 * (--progress). On a terminal one updating line (the stage, then "applying 120/1000"),
 * with a line of its own per rollout progress change; off a terminal (CI logs) a
 * timestamped line per stage and per rollout progress change, so a long job shows
 * where it is. Counters are for the eye only: they are never written to a log. With
 * -o json|yaml off a terminal, auto prints nothing: the document is the record there
 * (--progress plain asks for the lines too).
 */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "sync.h"

static void show_tty(struct cli_progress *p, const char *phase, size_t done, size_t total)
{
	if (total == 0) { /* a line of its own: a rollout's progress (rollout.c) */
		fprintf(stderr, "\r\033[K%s\n", phase);
		p->active = false;
		return;
	}
	if (total == SYNC_PROGRESS_STAGE)
		fprintf(stderr, "\r\033[K%s", phase);
	else
		fprintf(stderr, "\r\033[K%s %zu/%zu", phase, done, total);
	fflush(stderr);
	p->active = true;
}

/* "2026-12-08T00:20:01Z web: apply stage workloads: 3 objects" */
static void show_plain(const struct cli_progress *p, const char *line)
{
	char ts[TIME_RFC3339_LEN];

	time_rfc3339(time(NULL), ts);
	fprintf(stderr, "%s %s: %s\n", ts, p->app, line);
	fflush(stderr);
}

static void show(const char *phase, size_t done, size_t total, void *ctx)
{
	struct cli_progress *p = ctx;

	if (!p->plain)
		show_tty(p, phase, done, total);
	else if (total == 0 || total == SYNC_PROGRESS_STAGE)
		show_plain(p, phase);
}

void cli_progress_start(struct cli_progress *p, const struct app_config *c, struct sync_env *env)
{
	const char *mode = c->progress ? c->progress : "auto";

	memset(p, 0, sizeof(*p));
	p->app = c->app ? c->app : "";
	p->plain = !strcmp(mode, "plain") || !cli_tty();
	if (!strcmp(mode, "none") || (p->plain && !strcmp(mode, "auto") && cli_doc_output(c->output)))
		return;
	env->progress = show;
	env->progress_ctx = p;
}

void cli_progress_end(struct cli_progress *p)
{
	if (p->active)
		fputs("\r\033[K", stderr);
	p->active = false;
}
