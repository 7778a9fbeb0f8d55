#!/usr/bin/env bash
# tether's client rides out a flaky API server: 429, 5xx and dropped connections are
# retried with backoff, so a sync against kubesim --faults still applies every object;
# a server that is gone is reported as unreachable (exit 3) after the retries.
. "$(dirname "$0")/lib.sh"

run() { OUT=$("$@" 2>&1); RC=$?; }
K() { kubectl --request-timeout=20s "$@"; }
N=60

repo=$(git_repo app)
for i in $(seq 1 $N); do
  cat >"$repo/cm-$i.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-$i
  labels: {set: flaky}
data:
  n: "$i"
YAML
done
git_commit "$repo" "many configmaps" >/dev/null

if ! kubesim_start sim --faults 500=0.08,503=0.05,429=0.08,reset=0.03 --seed 7 --latency 2; then
  not_ok "kubesim starts with --faults"; finish
fi

run "$TETHER" sync --repo "$T/git/app.git" --ref main --no-wait -o json
check_eq "sync against a flaky server succeeds" "$RC" 0 || echo "$OUT" | tail -n 20 | sed 's/^/#   /'
check_eq "every object was created" "$(printf '%s' "$OUT" | jq -r '.counts.created' 2>&1)" "$N"
retries=$(printf '%s' "$OUT" | jq -r '.requests.retries' 2>&1)
check "requests were retried ($retries)" test "${retries:-0}" -gt 0
check_eq "all $N objects are in the cluster" \
  "$(K get configmaps -l set=flaky -o name 2>&1 | wc -l)" "$N"

run "$TETHER" sync --repo "$T/git/app.git" --ref main --no-wait -o json
check_eq "a second sync succeeds" "$RC" 0
check_eq "and finds nothing to change" "$(printf '%s' "$OUT" | jq -r '.counts.unchanged' 2>&1)" "$N"

# the server goes away: unreachable, exit 3, naming the server
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
run timeout 120 "$TETHER" sync --repo "$T/git/app.git" --ref main --no-wait
check_eq "an unreachable server exits 3" "$RC" 3
check_contains "the error names the server" "$OUT" "$KUBESIM_URL"

finish
