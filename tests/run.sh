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

for t in tests/e2e/*.sh; do
  [ -f "$t" ] || continue
  [[ $(basename "$t") == lib.sh ]] && continue
  name=e2e/$(basename "$t" .sh)
  [ -n "$only" ] && [[ $name != *$only* ]] && continue
  log=$logdir/$(basename "$t" .sh).log
  timeout 600 bash "$t" >"$log" 2>&1
  count "$log" "$name" $?
done

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
  for b in $SAN_E2E; do
    log=$logdir/san/$b.log
    BUILD=$SAN_BUILD ASAN_OPTIONS=log_path=$logdir/san/$b.asan UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:log_path=$logdir/san/$b.asan \
      timeout 900 bash "tests/e2e/$b.sh" >"$log" 2>&1
    rc=$?; san_check "$log" "$logdir/san/$b.asan"
    count "$log" "san/e2e/$b" $rc
  done
fi

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed" | tee "$BUILD/test-summary.txt"
[ "$failed" -eq 0 ]
