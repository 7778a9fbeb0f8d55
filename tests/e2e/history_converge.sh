#!/usr/bin/env bash
# The history catches up with the inventory: a sync killed after its inventory write and
# before its history entry (stopped in gdb at history_head) leaves the history one commit
# behind; the next sync of the same commit changes nothing in the app and records the
# entry, covering the commits since the history's newest. A history deleted while the
# inventory stays is started again the same way. A history in step costs a no-op sync
# no write: no PATCH.
. "$(dirname "$0")/lib.sh"

kubesim_start --pod-ready-ms 100 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
REPO=$GIT_BASE_URL/app.git
tsync() { "$TETHER" sync --repo "$REPO" --ref main --cache-dir "$T/cache" --timeout 30s "$@"; }
hist() { kubectl get configmap tether-history-app -o jsonpath='{.data.history\.json}'; }
head_commit() { kubectl get configmap tether-history-app -o jsonpath='{.data.commit}'; }
patches_of() { # the PATCH requests of one run of the command
  local before; before=$(kubesim_requests PATCH)
  "$@" >"$T/run.out" 2>&1 || { echo "exit $?"; cat "$T/run.out"; }
  echo $(($(kubesim_requests PATCH) - before))
}

web_deployment nginx:1.25 2 30 >"$W/web.yaml"
V1=$(git_commit "$W" "v1")
check_exit "sync v1" 0 tsync
check_eq "the history head names its newest commit" "$(head_commit)" "$V1"
web_deployment nginx:1.26 2 30 >"$W/web.yaml"
V2=$(git_commit "$W" "v2")

gdb -q -batch -ex 'set pagination off' -ex 'break history_head' -ex run -ex kill \
  --args "$TETHER" sync --repo "$REPO" --ref main --cache-dir "$T/cache" --timeout 30s \
  >"$T/gdb.out" 2>&1
check "tether was stopped at the history write" grep -qE 'Breakpoint 1(\.[0-9]+)?, history_head' "$T/gdb.out"
check_eq "the inventory names v2" \
  "$(kubectl get configmap tether-inventory-app -o jsonpath='{.data.commit}')" "$V2"
check_eq "the history's newest entry is still v1's" "$(hist | jq -r '.[0].commit')" "$V1"

check_exit "the next sync of v2" 0 tsync
check_contains "...changes nothing in the app" "$(cat "$T/check.out")" "1 unchanged"
H=$(hist)
check_eq "kubectl: the history's newest entry is v2's" "$(echo "$H" | jq -r '.[0].commit')" "$V2"
check_eq "covering v2 alone (v1 was recorded)" "$(echo "$H" | jq -c '.[0].commits')" "[\"$V2\"]"
check_eq "with the Deployment at revision 2" \
  "$(echo "$H" | jq -r '.[0].workloads[0] | "\(.name) \(.revision) \(.commit)"')" "default/web 2 $V2"
check_eq "entries: v1 and v2" "$(echo "$H" | jq -r 'length')" 2
check_eq "the head names v2" "$(head_commit)" "$V2"
out=$("$TETHER" history --repo "$REPO" --ref main --cache-dir "$T/cache")
check_contains "tether history shows v2 at revision 2" "$(echo "$out" | awk '$1==2')" "${V2:0:7}"
check_eq "a further sync writes nothing (no PATCH)" "$(patches_of tsync)" 0
check_eq "...and records nothing more" "$(hist | jq -r 'length')" 2

kubectl delete configmap tether-history-app >/dev/null
check_exit "a sync with the inventory and no history" 0 tsync
check_eq "the history is started again with v2" "$(hist | jq -r '[.[].commit] | join(" ")')" "$V2"
check_eq "then no-op syncs write nothing (no PATCH)" "$(patches_of tsync)" 0
finish
