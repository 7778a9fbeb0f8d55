#!/usr/bin/env bash
# tether run and drift: a change made in the cluster is reported (log, metrics,
# status) without self-heal, and undone with self-heal: true. Logs in JSON here.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
write_cm "$W/report" reported 1
write_cm "$W/heal" healed 1
git_commit "$W" "one" >/dev/null
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
no-wait: true
interval: 1s
log-format: json
apps:
  - {name: report, repo: $GIT_BASE_URL/app.git, path: report}
  - {name: heal, repo: $GIT_BASE_URL/app.git, path: heal, self-heal: true}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "both apps synced" 10 curl -sf "$AG_URL/readyz"
check_eq "no drift at first" "$(metric "$AG_URL" 'tether_drift_objects{app="report"}')" 0

kubectl patch cm reported --type merge -p '{"data":{"v":"hand-edited"}}' >/dev/null
kubectl patch cm healed --type merge -p '{"data":{"v":"hand-edited"}}' >/dev/null
wait_for "drift is counted in /metrics" 5 bash -c "[ \"\$(curl -s '$AG_URL/metrics' | awk '/^tether_drift_objects\\{app=\"report\"\\}/ {print \$NF}')\" = 1 ]"
check_contains "drift is shown in /status" "$(curl -s "$AG_URL/status")" '"app":"report","namespace":"default"'
check "/status says drifted" bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"report\",[^}]*\"state\":\"drifted\"'"
check "drift is logged" grep -q '"msg":"drift","app":"report",.*"objects":1,"action":"report"' "$T/ag.log"
sleep 1.5
check_eq "without self-heal the change stays" "$(cm_value reported)" hand-edited
wait_for "with self-heal Git's state is re-applied" 5 cm_is healed 1
check "self-heal is logged" grep -q '"msg":"drift","app":"heal",.*"action":"self-heal"' "$T/ag.log"
check "every log line is JSON" python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$T/ag.log"
n=$(metric "$AG_URL" 'tether_sync_total{app="report",result="success"}')
check_eq "reporting drift does not sync" "$n" 1
finish
