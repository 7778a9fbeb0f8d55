#!/usr/bin/env bash
# kubesim's source layout keeps the promises of its headers: the resource handlers
# and the HTTP front meet only in reply.h (no include cycle between api*.c and
# server.c), behaviour never hangs on what the linker pulled in (no weak symbols),
# internal headers carry the agent's _int.h suffix, and failures are told one way
# (struct kstatus, store.h).
. "$(dirname "$0")/lib.sh"

SIM=$(cd "$(dirname "$0")/../kubesim" && pwd)

# includes FILE: the quoted headers FILE includes, one a line.
includes() { sed -n 's/^#include "\([^"]*\)".*/\1/p' "$1"; }

bad=""
for f in "$SIM"/api*.c "$SIM"/api_int.h "$SIM"/discovery.c "$SIM"/reply.[ch]; do
  includes "$f" | grep -qx 'server.h' && bad="$bad $(basename "$f")"
done
check_eq "no handler (api*, discovery, reply) includes server.h" "$bad" ""
bad=""
for f in "$SIM"/server.c "$SIM"/server.h "$SIM"/reply.[ch]; do
  includes "$f" | grep -qxE 'api(_int)?\.h' && bad="$bad $(basename "$f")"
done
check_eq "the server and reply.* do not include api.h or api_int.h" "$bad" ""

check_eq "no weak symbols in kubesim" \
  "$(grep -l '__attribute__((weak))\|#pragma weak' "$SIM"/*.c "$SIM"/*.h)" ""
check_eq "internal headers end in _int.h (none named *_internal.h or *_priv.h)" \
  "$(cd "$SIM" && ls ./*_internal.h ./*_priv.h 2>/dev/null)" ""
check_eq "one error record: no struct merge_err next to struct kstatus" \
  "$(grep -l 'struct merge_err' "$SIM"/*.[ch] "$SIM"/unit/*.[ch])" ""
check_eq "failures return what kstatus_set returned, never a hard-coded -4xx" \
  "$(grep -n 'return -[1-5][0-9][0-9];' "$SIM"/*.c)" ""
finish
