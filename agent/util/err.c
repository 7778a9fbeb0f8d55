/* err: the error record. The first message wins; context is prepended on the way up. */
#include <stdio.h>
#include <string.h>

#include "util.h"

void err_clear(struct err *e)
{
	if (!e)
		return;
	e->code = 0;
	e->msg[0] = '\0';
}

int err_set(struct err *e, int code, const char *fmt, ...)
{
	va_list ap;

	if (!e || e->msg[0])
		return e && e->code ? e->code : code;
	e->code = code;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return code;
}

int err_prefix(struct err *e, const char *fmt, ...)
{
	char ctx[512], old[sizeof(e->msg)];
	va_list ap;

	if (!e)
		return TE_FAIL;
	va_start(ap, fmt);
	vsnprintf(ctx, sizeof(ctx), fmt, ap);
	va_end(ap);
	memcpy(old, e->msg, sizeof(old));
	snprintf(e->msg, sizeof(e->msg), "%s: %s", ctx, old);
	return e->code ? e->code : TE_FAIL;
}

/*
 * The README's table: 1 is a verdict on the commit (sync: applied, but a rollout failed
 * or timed out; diff: changes), so it is never the exit code of an error. Unreachable
 * Git or cluster is 3; every other failure (bad input, an object the server refused, a
 * ref, file, app or revision that does not exist, a local failure such as an unwritable
 * cache or a size cap) is 2: the run stopped without a verdict, and a script that acts
 * on 1 (a rollout to undo, changes to review) must not act on it. Commands with a
 * documented exception (rollback: a push rejected twice is 1) map it themselves.
 */
int err_exit_code(int code)
{
	switch (code) {
	case TE_OK:
		return 0;
	case TE_ROLLOUT:
		return 1;
	case TE_UNREACHABLE:
		return 3;
	case TE_SUSPENDED:
		return 4;
	default: /* TE_INPUT, TE_REJECTED, TE_UNVERIFIED, TE_NOTFOUND, TE_CONFLICT, TE_NOMEM, TE_FAIL */
		return 2;
	}
}
