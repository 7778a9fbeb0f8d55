#!/usr/bin/env bash
# tether run and SIGTERM during a long sync: a rollout that never completes (an image
# that never pulls, --timeout 5m) must not hold the agent; it exits within the grace
# period, and what it applied is recorded, so a restart continues from there.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start --fail-images 'broken/*' || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
mkdir -p "$W/deploy"
cat >"$W/deploy/web.yaml" <<'Y'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: broken/web:1}]
Y
git_commit "$W" "web" >/dev/null
agent_start ag --repo "$GIT_BASE_URL/app.git" --path deploy --app web --interval 1s \
  --timeout 5m --kubeconfig "$KUBECONFIG" || { not_ok "agent starts"; finish; }
wait_for "the sync applied the Deployment and waits for its rollout" 10 kubectl get deploy web
check "/readyz is not ready while the first sync runs" bash -c "! curl -sf '$AG_URL/readyz'"
check "/healthz answers while a sync runs" curl -sf "$AG_URL/healthz"
sleep 0.5
start=$(date +%s%N)
kill -TERM "$AG_PID"
wait "$AG_PID"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "SIGTERM during a rollout wait: exit 0" "$rc" 0
check "SIGTERM during a rollout wait: stopped within 7s (${ms}ms)" test "$ms" -lt 7000
check "the agent said why it did not wait longer" grep -q 'grace period' "$T/ag.log"
check "the inventory recorded the applied object" bash -c \
  "kubectl get cm tether-inventory-web -o yaml | grep -q 'Deployment'"
finish
