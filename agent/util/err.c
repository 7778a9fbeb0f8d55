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

int err_exit_code(int code)
{
	switch (code) {
	case TE_OK:
		return 0;
	case TE_INPUT:
	case TE_REJECTED:
		return 2;
	case TE_UNREACHABLE:
		return 3;
	case TE_ROLLOUT:
		return 1;
	default:
		return 1;
	}
}
