#!/usr/bin/env bash
# tether run's /metrics for alerting: every series in valid text exposition format
# (tests/e2e/promtext.py, a strict reader), the per-app status and conditions (in the
# manner of argocd_app_info and gotk_reconcile_condition), the last successful sync,
# suspended, build info and the process_* metrics, each changing with the app's state:
# a failing app turns healthy once fixed, a drifted one turns Ready False. Then the
# alert rules of examples/monitoring load and name only metrics the agent exports.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
write_cm "$W/good" good 1
mkdir -p "$W/bad"; printf 'kind: [unclosed\n' >"$W/bad/bad.yaml"
V1=$(git_commit "$W" "v1")
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
no-wait: true
interval: 1s
apps:
  - {name: good, repo: $GIT_BASE_URL/app.git, path: good}
  - {name: bad, repo: $GIT_BASE_URL/app.git, path: bad}
Y
START=$(date +%s)
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
# parse FILE: /metrics read by the strict reader into FILE, as JSON {series: value}
# (labels sorted by name); v FILE SERIES: one series' value, "null" when absent.
parse() { curl -sf "$AG_URL/metrics" | python3 "$ROOT/tests/e2e/promtext.py" >"$1"; }
v() { jq -r --arg k "$2" '.[$k]' "$1"; }
# jqe DESC FILE EXPR: passes when EXPR holds of the parsed metrics.
jqe() { check "$1" jq -e "$3" "$2"; }
wait_eq "good is synced and healthy" 10 1 metric "$AG_URL" 'tether_app_status{app="good",state="synced",health="healthy"}'
wait_eq "bad failed" 10 1 metric "$AG_URL" 'tether_app_status{app="bad",state="failed",health="unknown"}'
check "/metrics is valid text exposition format" parse "$T/m.json"
NOW=$(date +%s)
M=$T/m.json
for f in tether_app_status:gauge tether_app_condition:gauge tether_last_success_timestamp_seconds:gauge \
         tether_app_suspended:gauge tether_build_info:gauge process_cpu_seconds_total:counter \
         process_resident_memory_bytes:gauge process_virtual_memory_bytes:gauge \
         process_open_fds:gauge process_max_fds:gauge process_start_time_seconds:gauge; do
  check_eq "${f%%:*} is a ${f##*:}" "$(jq -r --arg f "${f%%:*}" '.__families__[$f]' "$M")" "${f##*:}"
done
check_eq "good: Ready True" "$(v "$M" 'tether_app_condition{app="good",status="True",type="Ready"}')" 1
check_eq "good: Ready False is 0" "$(v "$M" 'tether_app_condition{app="good",status="False",type="Ready"}')" 0
check_eq "good: Healthy True" "$(v "$M" 'tether_app_condition{app="good",status="True",type="Healthy"}')" 1
check_eq "bad: Ready False" "$(v "$M" 'tether_app_condition{app="bad",status="False",type="Ready"}')" 1
check_eq "bad: Healthy Unknown" "$(v "$M" 'tether_app_condition{app="bad",status="Unknown",type="Healthy"}')" 1
check_eq "bad: one series per status of each condition" \
  "$(jq -r 'keys[] | select(startswith("tether_app_condition{app=\"bad\""))' "$M" | wc -l | tr -d ' ')" 6
jqe "good: last success between the start and now" "$M" \
  ".[\"tether_last_success_timestamp_seconds{app=\\\"good\\\"}\"] | . >= $START - 1 and . <= $NOW + 1"
check_eq "bad: no success yet" "$(v "$M" 'tether_last_success_timestamp_seconds{app="bad"}')" 0
jqe "bad: but a last sync" "$M" ".[\"tether_last_sync_timestamp_seconds{app=\\\"bad\\\"}\"] >= $START - 1"
check_eq "not suspended" "$(v "$M" 'tether_app_suspended{app="good"}')" 0
VERSION=$("$TETHER" version | awk '{print $2}')
check_eq "tether_build_info names the version tether version prints" \
  "$(jq -r 'keys[] | select(startswith("tether_build_info{"))' "$M" | grep -o 'version="[^"]*"')" "version=\"$VERSION\""
jqe "process_start_time_seconds is the agent's start" "$M" \
  ".process_start_time_seconds | . >= $START - 3 and . <= $NOW + 1"
RSS=$(( $(awk '/^VmRSS:/ {print $2}' "/proc/$AG_PID/status") * 1024 ))
jqe "process_resident_memory_bytes: over 1 MiB, near /proc's VmRSS" "$M" \
  ".process_resident_memory_bytes | . > 1048576 and (. - $RSS | fabs) < 67108864"
FDS=$(ls "/proc/$AG_PID/fd" | wc -l)
jqe "process_open_fds: the agent's descriptors, at most process_max_fds" "$M" \
  ".process_open_fds >= 3 and .process_open_fds <= .process_max_fds and (.process_open_fds - $FDS | fabs) <= 8"
CPU1=$(v "$M" process_cpu_seconds_total)

# Values follow the state: bad fixed, good drifted.
rm "$W/bad/bad.yaml"; write_cm "$W/bad" fixed 1; git_commit "$W" "v2" >/dev/null
wait_eq "bad fixed: Ready True" 10 1 metric "$AG_URL" 'tether_app_condition{app="bad",type="Ready",status="True"}'
kubectl patch cm good --type merge -p '{"data":{"v":"hand-edited"}}' >/dev/null
wait_eq "good drifted: Ready False" 10 1 metric "$AG_URL" 'tether_app_condition{app="good",type="Ready",status="False"}'
M2=$T/m2.json
check "/metrics is still valid" parse "$M2"
jqe "bad: now a last success" "$M2" '.["tether_last_success_timestamp_seconds{app=\"bad\"}"] > 0'
check_eq "bad: the failed status series is gone" "$(v "$M2" 'tether_app_status{app="bad",health="unknown",state="failed"}')" null
check_eq "good drifted: tether_app_status says so" "$(v "$M2" 'tether_app_status{app="good",health="healthy",state="drifted"}')" 1
jqe "process_cpu_seconds_total does not go down" "$M2" ".process_cpu_seconds_total >= $CPU1"

# The alert rules of examples/monitoring, against what the agent exports.
python3 "$ROOT/tests/e2e/alert_rules.py" "$ROOT/examples/monitoring" "$M" "$ROOT/examples/deploy/base/service.yaml" >"$T/rules.out" 2>&1
cat "$T/rules.out"
grep -q '^not ok' "$T/rules.out" && _failed=1
grep -q '^ok' "$T/rules.out" || not_ok "alert_rules.py ran"
check "the strict reader refuses bad exposition text" python3 "$ROOT/tests/e2e/promtext.py" --selftest
finish
