#!/usr/bin/env bash
# tether run with many apps from ONE repository (issue #17): APPS apps of 4 ConfigMaps
# each, every app a path of the same monorepo, kubesim at 5 ms of API latency.
#   (a) start -> every app first-synced                          (figure)
#   (b) one commit changing every app, a webhook -> applied everywhere   goal: <= 10 s
#   (c) agent RSS with every app synced                           goal: <= 60 MB
#   (d) idle CPU over IDLE_S seconds, 60 s interval               goal: <= 2 % of a core
# and what the agent asked of Git (ls-remotes and fetches at the git daemon) and of kubesim meanwhile.
# Where the machine has two cores, kubesim runs on core 0 and the agent on core 1.
# Knobs: BENCH_APPS (1000), BENCH_LATENCY_MS (5), BENCH_IDLE_S (60), BENCH_SETTLE_S (60:
# the wait before the idle measurement), BENCH_TETHER (the binary measured, default
# build/tether: another build to compare with).
# Prints figures and PASS/MISS; exits 0 (a benchmark, not a test).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../e2e/agent_common.bash"

APPS=${BENCH_APPS:-1000}
LATENCY=${BENCH_LATENCY_MS:-5}
IDLE_S=${BENCH_IDLE_S:-60}
SETTLE_S=${BENCH_SETTLE_S:-60}
TETHER=${BENCH_TETHER:-$TETHER}
[ -x "$TETHER" ] || { echo "bench: $TETHER is not built"; exit 1; }
cp "$TETHER" "$T/tether" && TETHER=$T/tether
PIN_SIM=() PIN_AGENT=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  PIN_SIM=(taskset -c 0) PIN_AGENT=(taskset -c 1)
  echo "kubesim pinned to core 0, the agent to core 1"
else
  echo "one core: kubesim and the agent share it"
fi

KUBESIM_REAL=$KUBESIM
KUBESIM=$T/kubesim-pinned
printf '#!/bin/sh\nexec %s "%s" "$@"\n' "${PIN_SIM[*]}" "$KUBESIM_REAL" >"$KUBESIM"
chmod +x "$KUBESIM"
kubesim_start --latency "$LATENCY" || { echo "bench: kubesim did not start"; exit 1; }
gitd_start || { echo "bench: git daemon did not start"; exit 1; }
git_asks() { gitd_requests mono; }

# gen DIR VALUE: apps/appN/cm-{1..4}.yaml for every app, data.v = VALUE.
gen() {
  awk -v dir="$1" -v n="$APPS" -v val="$2" 'BEGIN {
    for (a = 1; a <= n; a++) {
      system("mkdir -p " dir "/apps/app" a)
      for (k = 1; k <= 4; k++) {
        f = sprintf("%s/apps/app%d/cm-%d.yaml", dir, a, k)
        printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: app%d-cm%d\n  namespace: default\ndata:\n  v: \"%s\"\n", a, k, val > f
        close(f)
      }
    }
  }'
}
W=$(git_repo mono)
gen "$W" 1
git_commit "$W" "every app, 1" >/dev/null
printf 'bench-secret\n' >"$T/secret"
{
  echo "kubeconfig: $KUBECONFIG"
  echo "no-wait: true"
  echo "interval: 60s"
  echo "webhook-secret-file: $T/secret"
  echo "apps:"
  for a in $(seq 1 "$APPS"); do
    echo "  - {name: app$a, repo: $GIT_BASE_URL/mono.git, path: apps/app$a}"
  done
} >"$T/apps.yaml"

# all_at URL SHA|"" DEADLINE_S: seconds until every app reports commit SHA as synced
# (any commit with ""), polled by one python process; empty when the deadline passed.
all_at() {
  python3 - "$1" "$2" "$3" "$APPS" <<'PY'
import json, sys, time, urllib.request
url, sha, deadline, n = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
t0 = time.monotonic()
while time.monotonic() - t0 < deadline:
    try:
        apps = json.load(urllib.request.urlopen(url + "/status"))["apps"]
        done = sum(1 for a in apps if a["state"] == "synced" and (not sha or a["commit"] == sha))
        if done == n:
            print("%.1f" % (time.monotonic() - t0)); sys.exit(0)
    except Exception:
        pass
    time.sleep(0.2)
PY
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
cpu_used() { # PID TICKS_BEFORE: CPU seconds since
  awk -v t="$(cpu_ticks "$1")" -v b="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.1f", (t - b) / hz }'
}
# the checks of every app so far (each asks for the head, then syncs or looks for drift)
app_checks() {
  curl -s "$AG_URL/metrics" | awk '/^tether_git_fetch_duration_seconds_count\{/ { s += $NF } END { print s + 0 }'
}

g0=$(git_asks)
"${PIN_AGENT[@]}" "$TETHER" run --listen 127.0.0.1:0 --cache-dir "$T/cache" --config "$T/apps.yaml" \
  2>"$T/agent.log" &
AG_PID=$!
_pids+=($AG_PID)
for i in $(seq 1 200); do
  AG_URL=$(grep -o 'listening on http://[0-9.:]*' "$T/agent.log" 2>/dev/null | head -n1 | sed 's/listening on //')
  [ -n "$AG_URL" ] && break
  sleep 0.05
done
[ -n "$AG_URL" ] || { echo "bench: the agent did not start"; sed 's/^/#   /' "$T/agent.log" | tail; exit 1; }
a0=$(cpu_ticks "$AG_PID") s0=$(cpu_ticks "$SIM_PID")
first=$(all_at "$AG_URL" "" 900)
g1=$(git_asks)
echo "(a) $APPS apps of 4 objects from one repository, first-synced in ${first:-(not within 900)} s;" \
  "Git asked $((g1 - g0)) times; CPU: $(cpu_used "$AG_PID" "$a0") s agent, $(cpu_used "$SIM_PID" "$s0") s kubesim"

rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$AG_PID/status")
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')

gen "$W" 2
SHA=$(git_commit "$W" "every app, 2")
g2=$(git_asks)
a0=$(cpu_ticks "$AG_PID") s0=$(cpu_ticks "$SIM_PID")
code=$(github_push "$AG_URL" bench-secret "$GIT_BASE_URL/mono.git")
[ "$code" = 200 ] || echo "# the webhook got $code"
change=$(all_at "$AG_URL" "$SHA" 300)
g3=$(git_asks)
echo "(b) one commit changing every app, webhook -> applied everywhere: ${change:-(not within 300)} s;" \
  "Git asked $((g3 - g2)) times; CPU: $(cpu_used "$AG_PID" "$a0") s agent, $(cpu_used "$SIM_PID" "$s0") s kubesim" \
  "  goal <= 10 s: $(bench_verdict "${change:-}" 10 le)"
echo "(c) agent RSS with $APPS apps synced: ${rss_mb} MB   goal <= 60 MB: $(bench_verdict "$rss_mb" 60 le)"

# (d) idle: every app synced; a check per app per minute (ls-remote shared, drift check).
# After the commit the checks bunch where the syncs were; one interval spreads them.
sleep "$SETTLE_S"
kubesim_verbs >"$T/verbs0"
c0=$(cpu_ticks "$AG_PID") g4=$(git_asks) k0=$(app_checks)
sleep "$IDLE_S"
c1=$(cpu_ticks "$AG_PID") g5=$(git_asks) k1=$(app_checks)
kubesim_verbs >"$T/verbs1"
hz=$(getconf CLK_TCK)
pct=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v s="$IDLE_S" 'BEGIN { printf "%.2f", 100 * t / hz / s }')
reqs=$(awk 'FILENAME == ARGV[1] { b[$1] = $2; next } { d += $2 - b[$1] } END { print d + 0 }' \
  "$T/verbs0" "$T/verbs1")
lists=$(awk 'FILENAME == ARGV[1] { b[$1] = $2; next } $1 == "LIST" { d += $2 - b[$1] } END { print d + 0 }' \
  "$T/verbs0" "$T/verbs1")
echo "(d) idle CPU over ${IDLE_S} s (interval 60 s, after ${SETTLE_S} s to settle): ${pct} % of a core;" \
  "$((k1 - k0)) app checks, Git asked $((g5 - g4)) times, $reqs API requests ($lists LIST)" \
  "  goal <= 2 %: $(bench_verdict "$pct" 2 le)"
exit 0
