#!/usr/bin/env bash
# tether run and rollouts: the agent follows rollouts from its loop instead of waiting
# inside a sync, so a rollout that never completes (an image that never pulls) holds up
# no other app; it is reported as progressing, then failed at the app's timeout
# (metrics, /status, log, Event). A good rollout turns healthy. SIGTERM exits at once.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start --fail-images 'broken/*' --pod-ready-ms 100 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
deployment() { # DIR NAME IMAGE
  mkdir -p "$1"
  cat >"$1/$2.yaml" <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: $2, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: $2}}
  template:
    metadata: {labels: {app: $2}}
    spec:
      containers: [{name: $2, image: $3}]
Y
}
W=$(git_repo app)
deployment "$W/web" web broken/web:1
deployment "$W/api" api nginx:1.25
write_cm "$W/other" other 1
git_commit "$W" "web, api, other" >/dev/null
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
interval: 1s
timeout: 6s
apps:
  - {name: web, repo: $GIT_BASE_URL/app.git, path: web}
  - {name: api, repo: $GIT_BASE_URL/app.git, path: api}
  - {name: other, repo: $GIT_BASE_URL/app.git, path: other}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "every app synced without waiting for the stuck rollout" 5 curl -sf "$AG_URL/readyz"
check "the stuck rollout is progressing" bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"web\",[^}]*\"health\":\"progressing\"'"
write_cm "$W/other" other 2
git_commit "$W" "other 2" >/dev/null
wait_for "another app keeps syncing during the stuck rollout" 4 cm_is other 2
wait_for "the good rollout turns healthy" 8 bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"api\",[^}]*\"health\":\"healthy\"'"
wait_for "the stuck rollout fails at the app's timeout" 12 bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"web\",[^}]*\"health\":\"degraded\"'"
check_eq "tether_rollout_failures_total counts it" \
  "$(metric "$AG_URL" 'tether_rollout_failures_total{app="web"}')" 1
check_eq "the good rollout counts no failure" \
  "$(metric "$AG_URL" 'tether_rollout_failures_total{app="api"}')" 0
check "the failure is logged with the workload" grep -q 'msg="rollout failed" app=web .*deployment.apps web' "$T/ag.log"
check "an Event records the failed rollout" bash -c \
  "kubectl get events -n default -o jsonpath='{range .items[*]}{.reason}{\"\\n\"}{end}' | grep -q RolloutFailed"
n1=$(grep -c 'msg=sync app=web' "$T/ag.log")
sleep 2
check_eq "a failed rollout is not re-synced while Git does not move" "$(grep -c 'msg=sync app=web' "$T/ag.log")" "$n1"
check "a commit that leaves the failed workload alone keeps it degraded" bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"web\",[^}]*\"health\":\"degraded\"'"
deployment "$W/web" web nginx:1.25
git_commit "$W" "web fixed" >/dev/null
wait_for "a commit that fixes it turns the app healthy" 8 bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"web\",[^}]*\"health\":\"healthy\"'"

start=$(date +%s%N)
kill -TERM "$AG_PID"
wait "$AG_PID"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "SIGTERM: exit 0" "$rc" 0
check "SIGTERM: stopped within 2s (${ms}ms)" test "$ms" -lt 2000
finish
