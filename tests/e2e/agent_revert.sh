#!/usr/bin/env bash
# tether run with on-failure: revert: a commit whose rollout fails (an image that never
# pulls, a short progressDeadlineSeconds) is reverted by the agent itself: it pushes
# `Revert "<subject>"` to the branch, syncs it, and the Deployment ends on the previous
# ReplicaSet (kubectl as witness). The log, /status and /metrics say so; the agent then
# stays on the revert (no loop of reverts). The app names no ref: the revert goes to
# the remote's default branch.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start --fail-images 'nginx:broken*' --pod-ready-ms 100 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
deploy() { web_failing "$1/web.yaml" "$2"; } # DIR IMAGE
cur_hash() { # pod-template-hash of the ReplicaSet at the Deployment's revision
  local rev; rev=$(kubectl get deployment web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')
  kubectl get rs -o json | jq -r --arg r "$rev" \
    '.items[] | select(.metadata.annotations["deployment.kubernetes.io/revision"] == $r) | .metadata.labels["pod-template-hash"]'
}
W=$(git_repo app)
BARE=$T/git/app.git
deploy "$W" nginx:1.25; V1=$(git_commit "$W" "v1")
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
interval: 1s
timeout: 30s
apps:
  - {name: web, repo: $GIT_BASE_URL/app.git, on-failure: revert} # no ref: the default branch
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "v1 is synced and healthy" 10 bash -c "curl -s '$AG_URL/status' | jq -e '.apps[0].commit == \"$V1\" and .apps[0].health == \"healthy\"' >/dev/null"
H1=$(cur_hash)
check "v1 has a ReplicaSet" test -n "$H1"
deploy "$W" nginx:broken-2; V2=$(git_commit "$W" "v2 broken")
wait_for "the agent pushes a revert to the branch" 30 bash -c \
  "git -C '$BARE' log -1 --format=%s main | grep -qx 'Revert \"v2 broken\"'"
R=$(git -C "$BARE" rev-parse main)
check_eq "the revert's parent is the failed commit" "$(git -C "$BARE" rev-parse main~1)" "$V2"
check_contains "it says what it reverts" "$(git -C "$BARE" log -1 --format=%b main)" "This reverts commit $V2."
check_contains "and why" "$(git -C "$BARE" log -1 --format=%b main)" "nginx:broken-2"
check_eq "the revert restores v1's manifest" "$(git -C "$BARE" show main:web.yaml)" "$(git -C "$BARE" show "$V1":web.yaml)"
wait_for "the agent syncs the revert" 20 bash -c "curl -s '$AG_URL/status' | jq -e '.apps[0].commit == \"$R\" and .apps[0].health == \"healthy\"' >/dev/null"
check_eq "the Deployment runs v1's image again" \
  "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.25
check_eq "the Deployment is back on v1's ReplicaSet" "$(cur_hash)" "$H1"
check_eq "kubectl rollout status agrees" \
  "$(kubectl rollout status deployment/web --timeout=10s >/dev/null 2>&1; echo $?)" 0
check_eq "two ReplicaSets: v1 reused, v2 kept" "$(kubectl get rs -o name | wc -l | tr -d ' ')" 2
check "the revert is logged" grep -q "msg=revert app=web reverts=$V2 commit=$R" "$T/ag.log"
check "the revert's sync is logged" grep -q "msg=sync app=web commit=$R result=success" "$T/ag.log"
S=$(curl -s "$AG_URL/status")
check_eq "/status: lastRevert.commit" "$(echo "$S" | jq -r '.apps[0].lastRevert.commit')" "$R"
check "an Event says it reverted (reason Reverted)" bash -c \
  "kubectl get events -n default -o jsonpath='{range .items[*]}{.reason} {.message}{\"\\n\"}{end}' | grep -q '^Reverted commit ${R:0:12}: on-failure: revert: pushed ${R:0:12} reverting ${V2:0:12}'"
check_eq "/status: lastRevert.reverts" "$(echo "$S" | jq -r '.apps[0].lastRevert.reverts')" "$V2"
check_eq "tether_reverts_total counts it" "$(metric "$AG_URL" 'tether_reverts_total{app="web"}')" 1
check_eq "tether_rollout_failures_total counts the failed rollout" \
  "$(metric "$AG_URL" 'tether_rollout_failures_total{app="web"}')" 1
sleep 3
check_eq "no further commit on the branch" "$(git -C "$BARE" rev-parse main)" "$R"
check_eq "one revert only" "$(metric "$AG_URL" 'tether_reverts_total{app="web"}')" 1
kill -TERM "$AG_PID"; wait "$AG_PID"; rc=$?
check_eq "SIGTERM: exit 0 (under SANITIZE=1: no leak or error report)" "$rc" 0
check "nothing in the log from the sanitizers" bash -c "! grep -qE 'Sanitizer|runtime error' '$T/ag.log'"
finish
