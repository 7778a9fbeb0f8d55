/*
 * oom: see oom.h. The flag is per thread: libmicrohttpd answers each request on one
 * thread and each controller step runs on one worker, so a failure is charged to the
 * request or step that met it.
 */
#include <stdlib.h>

#include <cjson/cJSON.h>

#include "oom.h"

static __thread bool seen;
static __thread long fail_at, calls;

static void *oom_malloc(size_t n)
{
	void *p;

	if (++calls == fail_at)
		p = NULL;
	else
		p = malloc(n);
	if (!p)
		seen = true;
	return p;
}

void oom_install(void)
{
	cJSON_Hooks hooks = {oom_malloc, free};

	cJSON_InitHooks(&hooks);
}

void oom_clear(void)
{
	seen = false;
}

bool oom_seen(void)
{
	return seen;
}

void oom_fail_at(long n)
{
	fail_at = n;
	calls = 0;
}

long oom_calls(void)
{
	return calls;
}
