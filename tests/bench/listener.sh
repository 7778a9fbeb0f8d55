#!/usr/bin/env bash
# The agent's listener under idle and slow (slow-loris) connections from loopback:
# /healthz latency (median and slowest of BENCH_PROBES answers) beside 0, 500, 1,000
# and 2,000 held connections of each kind.                          goal: < 100 ms
# Bounded: at most 2,000 connections, each set held at most 60 s, loopback only.
# Prints figures and PASS/MISS; exits 0 (a benchmark, not a test).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../e2e/agent_common.bash"

PROBES=${BENCH_PROBES:-50}
CONNS=$ROOT/tests/bench/conns.py
[ -x "$TETHER" ] || { echo "bench: $TETHER is not built"; exit 1; }
cp "$TETHER" "$T/tether" && TETHER=$T/tether # others may relink build/tether meanwhile
kubesim_start || { echo "bench: kubesim did not start"; exit 1; }
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
interval: 1h
apps:
  - {name: gone, repo: git://127.0.0.1:1/gone.git}
Y
agent_start ag --config "$T/tether.yaml" >/dev/null || exit 1
PORT=${AG_URL##*:}

# probe: "median max failed" of PROBES /healthz answers, in ms (a failure counts 5000).
probe() {
  local i t
  for i in $(seq 1 "$PROBES"); do
    t=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "$AG_URL/healthz")
    case "$t" in 200\ *) awk -v s="${t#200 }" 'BEGIN { printf "%.1f\n", s * 1000 }' ;; *) echo 5000 F ;; esac
  done | sort -n | awk '{ v[NR] = $1; f += ($2 == "F") } END { printf "%s %s %d\n", v[int((NR + 1) / 2)], v[NR], f }'
}

printf '%-6s %6s %6s %10s %10s %7s %9s %s\n' mode conns open median_ms max_ms failed rss_kB verdict
for mode in idle slow; do
  for n in 0 500 1000 2000; do
    open=0 pid=""
    if [ "$n" -gt 0 ]; then
      python3 "$CONNS" 127.0.0.1 "$PORT" "$n" "$mode" 60 >"$T/c.out" 2>&1 &
      pid=$!
      for i in $(seq 1 300); do grep -q '^open' "$T/c.out" && break; sleep 0.1; done
      open=$(sed -n 's/^open //p' "$T/c.out")
      [ "$mode" = slow ] && sleep 2.5 # let every slow client send a header byte or two
    fi
    read -r med max failed <<<"$(probe)"
    rss=$(awk '/VmRSS/ { print $2 }' /proc/"$AG_PID"/status)
    printf '%-6s %6s %6s %10s %10s %7s %9s %s\n' "$mode" "$n" "${open:-0}" "$med" "$max" "$failed" \
      "$rss" "$(bench_verdict "$max" 100 le)"
    [ -n "$pid" ] && { kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; }
  done
done
echo "load average $(cut -d' ' -f1 /proc/loadavg)"
