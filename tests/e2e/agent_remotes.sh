#!/usr/bin/env bash
# tether run with many apps on one Git remote: a round costs one ls-remote and one fetch
# however many apps read the remote (counted at the git daemon), a webhook push starts a
# new round, a reconcile request asks again; the control check (suspend, reconcile) is
# one LIST of the inventories per namespace, however many apps live there (kubesim's
# /metrics).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

N=6
kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
M=$(git_repo mono)
for i in $(seq 1 $N); do write_cm "$M/app$i" "mono$i" 1; done
git_commit "$M" "mono 1" >/dev/null
S=$(git_repo solo)
write_cm "$S/deploy" solo 1
git_commit "$S" "solo 1" >/dev/null
printf 's3cret\n' >"$T/secret"
{
  echo "kubeconfig: $KUBECONFIG"
  echo "no-wait: true"
  echo "interval: 1h"
  echo "webhook-secret-file: $T/secret"
  echo "apps:"
  for i in $(seq 1 $N); do echo "  - {name: app$i, repo: $GIT_BASE_URL/mono.git, path: app$i}"; done
  echo "  - {name: solo, repo: $GIT_BASE_URL/solo.git, path: deploy}"
} >"$T/tether.yaml"
# configmaps requests of VERB kubesim served
cm_requests() {
  kcurl -s "$KUBESIM_URL/metrics" | awk -v v="verb=\"$1\"" \
    '/^apiserver_request_total\{/ && /resource="configmaps"/ && index($0, v) { s += $NF } END { print s + 0 }'
}

agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "every app synced" 15 curl -sf "$AG_URL/readyz"
check_eq "$N apps on one remote: one ls-remote and one fetch for the first round" \
  "$(gitd_requests mono)" 2
check_eq "the app on another remote asks its own" "$(gitd_requests solo)" 2

# The control check while nothing else happens (interval 1h): one LIST of the
# inventories of "default" per 2 s round for all $((N + 1)) apps, never a GET each.
sleep 1
g0=$(cm_requests GET) l0=$(cm_requests LIST)
sleep 6
g1=$(cm_requests GET) l1=$(cm_requests LIST)
check_eq "the control check GETs no inventory one by one" "$((g1 - g0))" 0
check "the control check is at most one LIST per 2 s round for $((N + 1)) apps (1 to 4 in 6 s, saw $((l1 - l0)))" \
  test $((l1 - l0)) -ge 1 -a $((l1 - l0)) -le 4
check_eq "nothing asks Git between rounds" "$(gitd_requests mono)" 2

# A push to every app and one webhook: a new round, again one ls-remote and one fetch.
for i in $(seq 1 $N); do write_cm "$M/app$i" "mono$i" 2; done
git_commit "$M" "mono 2" >/dev/null
check_eq "the webhook push is accepted" "$(github_push "$AG_URL" s3cret "$GIT_BASE_URL/mono.git")" 200
all_two() { for i in $(seq 1 $N); do cm_is "mono$i" 2 || return 1; done; }
wait_for "the commit reaches every app" 15 all_two
check_eq "the webhook round: one ls-remote and one fetch for $N apps" "$(gitd_requests mono)" 4
check_eq "the other remote was not asked" "$(gitd_requests solo)" 2

# A reconcile request asks the remote again (an ls-remote: the head is cached).
check_exit "reconcile --wait is answered" 0 "$TETHER" reconcile app3 --wait --timeout 20s
check_eq "the reconcile asked Git once more" "$(gitd_requests mono)" 5
check_exit "tether suspend" 0 "$TETHER" suspend app2
wait_for "the agent sees the suspension" 10 bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"app2\"[^}]*\"state\":\"suspended\"'"
check_exit "reconcile --wait of the suspended app exits 4" 4 "$TETHER" reconcile app2 --wait --timeout 20s
check_exit "tether resume" 0 "$TETHER" resume app2
check_exit "after resume, reconcile --wait syncs" 0 "$TETHER" reconcile app2 --wait --timeout 20s
finish
