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

echo
[ ${#failures[@]} -gt 0 ] && echo "failed: ${failures[*]}"
echo "$passed passed, $failed failed" | tee "$BUILD/test-summary.txt"
[ "$failed" -eq 0 ]
