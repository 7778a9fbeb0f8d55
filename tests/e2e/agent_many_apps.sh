#!/usr/bin/env bash
# Fifty apps from one repository in one agent, checked by a pool of workers against a
# cluster answering in 20 ms: they first-sync concurrently (the time the syncs took,
# added up, is several times the wall time they took), a commit changing every app
# reaches all, an app with a bad manifest fails alone, a reload while syncs run is
# safe, and every app of the cluster shares one discovery and warm connections.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

N=50
kubesim_start --latency 20 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
discovery() { sim_count "" GET; }
# The agent's TCP connections to kubesim, as "local-port" lines.
port=${KUBESIM_URL##*:}
conns() { ss -tnH state established "( dport = :$port )" | awk '{print $3}' | sort; }
app() { printf 'app%02d' "$1"; }
W=$(git_repo many)
for i in $(seq 0 $((N - 1))); do write_cm "$W/$(app "$i")" "cm-$(app "$i")" 1; done
git_commit "$W" "fifty apps" >/dev/null
{
  echo "kubeconfig: $KUBECONFIG"; echo "no-wait: true"; echo "interval: 2s"; echo "workers: 8"
  echo "apps:"
  for i in $(seq 0 $((N - 1))); do
    echo "  - {name: $(app "$i"), repo: $GIT_BASE_URL/many.git, path: $(app "$i")}"
  done
} >"$T/tether.yaml"
# values NS: "name=value" of every ConfigMap cm-*, one a line
values() { kubectl get cm -n default -o jsonpath='{range .items[*]}{.metadata.name}={.data.v}{"\n"}{end}' | grep '^cm-'; }
count_at() { values | grep -c "=$1\$"; }

kubectl get cm -n default >/dev/null 2>&1 # kubectl's own discovery, cached in its HOME
d0=$(discovery)
t0=$(date +%s%N)
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
# Waited for through the agent's /status: kubectl would count in kubesim's discovery.
synced() { curl -s "$AG_URL/status" | jq '[.apps[] | select(.state == "synced")] | length'; }
wait_eq "the agent reports all $N apps synced" 25 "$N" synced
t1=$(date +%s%N)
check_eq "one discovery (two requests) for every app and worker" "$(( $(discovery) - d0 ))" 2
wait_eq "all $N apps first-synced (kubectl)" 5 "$N" count_at 1
check_eq "$N inventories, one per app" "$(kubectl get cm -n default -l tether.dev/inventory -o name | wc -l)" "$N"
check_contains "an inventory names its app's object" \
  "$(kubectl get cm tether-inventory-app31 -n default -o jsonpath='{.data.objects}')" "cm-app31"
# Concurrency: the syncs' own durations, added up, against the wall time they took.
sum=$(grep '^.*msg=sync ' "$T/ag.log" | grep -o 'durationMs=[0-9]*' | cut -d= -f2 | paste -sd+ | bc)
wall=$(( (t1 - t0) / 1000000 ))
echo "# $N first syncs: ${sum}ms of sync time in ${wall}ms of wall time"
check "the syncs overlapped (sum of durations >= 3x the wall time)" test "$sum" -ge $((3 * wall))

# Drift checks reuse the warm clients: no new connection, no discovery.
checks() { metric "$AG_URL" 'tether_git_fetch_duration_seconds_count{app="app00"}'; }
c0=$(checks)
wait_for "a round of drift checks" 15 bash -c "[ \"\$(curl -s '$AG_URL/metrics' | awk '/^tether_git_fetch_duration_seconds_count\\{app=\"app00\"\\}/ {print \$NF}')\" -ge $((c0 + 1)) ]"
before=$(conns)
d1=$(discovery)
c1=$(checks)
wait_for "two more rounds of drift checks" 15 bash -c "[ \"\$(curl -s '$AG_URL/metrics' | awk '/^tether_git_fetch_duration_seconds_count\\{app=\"app00\"\\}/ {print \$NF}')\" -ge $((c1 + 2)) ]"
after=$(conns)
echo "# connections to kubesim: $(echo "$before" | grep -c .) before, $(echo "$after" | grep -c .) after"
check "at most one client per worker: no more than 8 x parallel connections" test "$(echo "$after" | grep -c .)" -le 256
check_eq "drift checks opened no connection" "$(comm -13 <(echo "$before") <(echo "$after") | grep -c .)" 0
check_eq "drift checks loaded no discovery" "$(discovery)" "$d1"

# A commit changing every app, one of them to a bad manifest.
for i in $(seq 0 $((N - 1))); do write_cm "$W/$(app "$i")" "cm-$(app "$i")" 2; done
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n' >"$W/app07/broken.yaml"
git_commit "$W" "every app, one broken" >/dev/null
wait_eq "the commit reached the other $((N - 1)) apps" 20 "$((N - 1))" count_at 2
check_eq "the broken app kept its object as it was" "$(cm_value cm-app07)" 1
status=$(curl -s "$AG_URL/status")
check_eq "the broken app failed" \
  "$(echo "$status" | jq -r '.apps[] | select(.app=="app07") | .state')" "failed"
check_contains "... and where" "$(echo "$status" | jq -r '.apps[] | select(.app=="app07") | .lastError')" "broken.yaml"
check_eq "the other apps synced" "$(echo "$status" | jq '[.apps[] | select(.app!="app07" and .state=="synced")] | length')" "$((N - 1))"

# A reload while the syncs of the next commit run: they finish, nothing is lost.
rm "$W/app07/broken.yaml"
for i in $(seq 0 $((N - 1))); do write_cm "$W/$(app "$i")" "cm-$(app "$i")" 3; done
git_commit "$W" "every app again" >/dev/null
sha=$(git -C "$W" rev-parse HEAD)
wait_for "the syncs of the new commit started" 10 grep -q "commit=$sha result=success" "$T/ag.log"
kill -HUP "$AG_PID"; sleep 0.1; kill -HUP "$AG_PID"
wait_for "the configuration was reloaded" 10 grep -q 'configuration reloaded' "$T/ag.log"
wait_eq "all $N apps reached the new commit" 20 "$N" count_at 3
before=$(sed -n '/reloading configuration/q;p' "$T/ag.log" | grep -c "commit=$sha result=success")
echo "# apps synced to the last commit before the reload: $before"
check "the reload came while the commit was being synced" test "$before" -gt 0 -a "$before" -lt "$N"
check "the agent is still running" kill -0 "$AG_PID"
kill "$AG_PID"; wait "$AG_PID" 2>/dev/null; rc=$?
check_eq "the agent stopped cleanly" "$rc" 0
check_eq "no warning about a sync still running at exit" "$(grep -c 'grace period' "$T/ag.log")" 0
finish
