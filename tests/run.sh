#!/usr/bin/env bash
# Runs every test: cmocka unit tests (TAP output) and the end-to-end scripts in
# tests/e2e/ (which print "ok - ..." / "not ok - ..." lines through tests/e2e/lib.sh).
# The last line is the plain "N passed, N failed" summary.
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
only=${1:-}
# A directory per run, so that two runs at once do not remove each other's logs.
mkdir -p "$BUILD/test-logs"
logdir=$(mktemp -d "$BUILD/test-logs/run.XXXXXX")
passed=0 failed=0
failures=()

count() { # $1 = log file, $2 = name, $3 = exit status
  local p f
  p=$(grep -cE '^ok( |$)' "$1" 2>/dev/null); p=${p:-0}
  f=$(grep -cE '^not ok( |$)' "$1" 2>/dev/null); f=${f:-0}
  if [ "$3" -ne 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $2 exited with status $3" >>"$1"
  fi
  if [ "$p" -eq 0 ] && [ "$f" -eq 0 ]; then
    f=1
    echo "not ok - $2 ran no check" >>"$1"
  fi
  passed=$((passed + p)); failed=$((failed + f))
  if [ "$f" -gt 0 ]; then
    failures+=("$2")
    printf '%-48s %3d passed, %d FAILED\n' "$2" "$p" "$f"
    grep -E '^not ok' "$1" | sed 's/^/    /'
    echo "    (log: $1)"
  else
    printf '%-48s %3d passed\n' "$2" "$p"
  fi
}

for t in "$BUILD"/tests/test_* "$BUILD"/tests/kubesim_test_*; do
  [ -x "$t" ] || continue
  name=unit/$(basename "$t")
  [ -n "$only" ] && [[ $name != *$only* ]] && continue
  log=$logdir/$(basename "$t").log
  CMOCKA_MESSAGE_OUTPUT=TAP timeout 300 "$t" >"$log" 2>&1
  count "$log" "$name" $?
done

# End-to-end scripts run TEST_JOBS at a time (default 2): each has its own kubesim, Git
# server, ports and HOME, and most of their time is spent waiting on the network, so two
# at once halve the wall time on a 2-core machine. The ones in TEST_SERIAL measure time
# or load and run afterwards, alone. Results print as scripts finish; the summary stays
# the last line.
JOBS=${TEST_JOBS:-2}
SERIAL=${TEST_SERIAL:-agent_failures kubesim_workloads kubesim_concurrency kube_throttled kube_retry agent_listener agent_replicas}
declare -A pending=() # pid -> "log|name"
reap() { # counts the scripts that finished (their .rc is written last)
  local pid log name
  for pid in "${!pending[@]}"; do
    IFS='|' read -r log name <<<"${pending[$pid]}"
    [ -f "$log.rc" ] || continue
    wait "$pid" 2>/dev/null
    unset "pending[$pid]"
    count "$log" "$name" "$(cat "$log.rc")"
    rm -f "$log.rc"
  done
}
pool_run() { # LOG NAME CMD...: runs CMD in the pool, output to LOG
  local log=$1 name=$2
  shift 2
  while [ "${#pending[@]}" -ge "$JOBS" ]; do
    wait -n 2>/dev/null
    reap
  done
  ( "$@" >"$log" 2>&1; echo $? >"$log.rc" ) &
  pending[$!]="$log|$name"
}
pool_drain() {
  while [ "${#pending[@]}" -gt 0 ]; do
    wait -n 2>/dev/null
    reap
  done
}
is_serial() { [[ " $SERIAL " == *" $1 "* ]]; }

e2e_pass() { # SERIAL_PASS: 0 the pooled scripts, 1 the serial ones
  local t b name
  for t in tests/e2e/*.sh; do
    [ -f "$t" ] || continue
    b=$(basename "$t" .sh)
    [[ $b == lib ]] && continue
    name=e2e/$b
    [ -n "$only" ] && [[ $name != *$only* ]] && continue
    if is_serial "$b"; then [ "$1" -eq 1 ] || continue; else [ "$1" -eq 0 ] || continue; fi
    pool_run "$logdir/$b.log" "$name" timeout 600 bash "$t"
  done
  pool_drain
}
e2e_pass 0
JOBS=1 e2e_pass 1

# The sanitizer pass (SAN_BUILD=build/san, set by `make test`): the unit tests and a few
# end-to-end scripts again on binaries built with `make SANITIZE=1`. A report from
# AddressSanitizer, LeakSanitizer or UndefinedBehaviorSanitizer fails the script that
# produced it, whatever its checks said.
SAN_E2E=${SAN_E2E:-sync_first sync_prune rollback_story agent_loop agent_many_apps badinput_manifests kustomize_render kubesim_smoke}
san_check() { # $1 = log, $2 = report prefix
  local f
  for f in "$2".*; do
    [ -e "$f" ] || continue
    echo "not ok - sanitizer report $f" >>"$1"
    sed 's/^/# /' "$f" | head -40 >>"$1"
  done
}
if [ -n "${SAN_BUILD:-}" ] && [ -z "$only" -o "$only" = san/ ]; then
  mkdir -p "$logdir/san"
  for t in "$SAN_BUILD"/tests/test_* "$SAN_BUILD"/tests/kubesim_test_*; do
    [ -x "$t" ] || continue
    b=$(basename "$t"); log=$logdir/san/$b.log
    ASAN_OPTIONS=log_path=$logdir/san/$b.asan UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$logdir/san/$b.asan \
      CMOCKA_MESSAGE_OUTPUT=TAP timeout 600 "$t" >"$log" 2>&1
    rc=$?; san_check "$log" "$logdir/san/$b.asan"
    count "$log" "san/unit/$b" $rc
  done
  san_e2e() { # NAME: one script on the sanitizer build, its reports into its log
    local log=$logdir/san/$1.log
    BUILD=$SAN_BUILD ASAN_OPTIONS=log_path=$logdir/san/$1.asan UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$logdir/san/$1.asan \
      timeout 900 bash "tests/e2e/$1.sh"
    rc=$?
    san_check /dev/stdout "$logdir/san/$1.asan"
    return $rc
  }
  for b in $SAN_E2E; do
    pool_run "$logdir/san/$b.log" "san/e2e/$b" san_e2e "$b"
  done
  pool_drain
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed" | tee "$BUILD/test-summary.txt"
[ "$failed" -eq 0 ]
