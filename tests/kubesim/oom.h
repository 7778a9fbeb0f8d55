/*
 * oom: cJSON's allocations watched, so that out of memory anywhere in a request or a
 * controller step is never a partial answer or a partial object. cJSON's Add and
 * Create calls return NULL (or false) when memory runs out, and a builder that does
 * not look leaves a member out; rather than checking each of several hundred calls,
 * the allocator notes the failure for the thread, the write path refuses to commit
 * (500 InternalError, as a real server's storage error), a reply becomes a 500 Status,
 * and a controller requeues its key.
 */
#ifndef KUBESIM_OOM_H
#define KUBESIM_OOM_H
#include <stdbool.h>

/* Installs the watching allocator (once, before any thread starts). */
void oom_install(void);
/* Forgets what this thread saw: at the start of a request or a controller step. */
void oom_clear(void);
/* An allocation of cJSON's failed on this thread since the last oom_clear. */
bool oom_seen(void);
/* For tests: this thread's next n-th cJSON allocation fails (0: none). */
void oom_fail_at(long n);
/* For tests: cJSON allocations on this thread since oom_fail_at. */
long oom_calls(void);

/* The body of the 500 answer that replaces a reply built after a failure. */
#define OOM_STATUS_BODY                                                                       \
	"{\"kind\":\"Status\",\"apiVersion\":\"v1\",\"metadata\":{},\"status\":\"Failure\","   \
	"\"message\":\"Internal error occurred: out of memory\",\"reason\":\"InternalError\"," \
	"\"details\":{\"causes\":[{\"message\":\"out of memory\"}]},\"code\":500}"
#endif
