#!/usr/bin/env bash
# tether run through failures: a bad commit leaves its app on the last good commit
# while another app keeps syncing; Git unreachable for a while and kubesim restarted
# mid-sync (with --state) both end in convergence with nothing lost.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start sim --state "$T/state.json" --latency 30 || { not_ok "kubesim starts"; finish; }
SIM_URL=$KUBESIM_URL
KC=$KUBECONFIG
gitd_start || { not_ok "git daemon starts"; finish; }
GITD_PID=${_pids[-1]}
GIT_PORT=${GIT_BASE_URL##*:}
WG=$(git_repo good)
write_cm "$WG/deploy" good 1
git_commit "$WG" "good 1" >/dev/null
WB=$(git_repo bad)
write_cm "$WB/deploy" bad 1
GOOD_SHA=$(git_commit "$WB" "bad 1")
cat >"$T/tether.yaml" <<Y
kubeconfig: $KC
no-wait: true
interval: 1s
parallel: 1
apps:
  - {name: good, repo: $GIT_BASE_URL/good.git, path: deploy}
  - {name: bad, repo: $GIT_BASE_URL/bad.git, path: deploy}
  - {name: gone, repo: git://127.0.0.1:1/gone.git, path: deploy}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "/readyz: every app synced or reported an error" 10 curl -sf "$AG_URL/readyz"
check "an unreachable repository is reported for its app" bash -c \
  "curl -s '$AG_URL/status' | grep -q '\"app\":\"gone\",[^}]*\"state\":\"failed\",[^}]*\"lastError\":\"fetch git://127.0.0.1:1/gone.git'"
wait_for "the other apps synced" 10 bash -c "[ \"\$(kubectl get cm good -o jsonpath='{.data.v}')\" = 1 ] && [ \"\$(kubectl get cm bad -o jsonpath='{.data.v}')\" = 1 ]"

# A bad commit: one valid object changed and one broken file.
write_cm "$WB/deploy" bad 2
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: broken\n' >"$WB/deploy/broken.yaml"
BAD_SHA=$(git_commit "$WB" "bad 2")
write_cm "$WG/deploy" good 2
git_commit "$WG" "good 2" >/dev/null
wait_for "the other app keeps syncing" 5 cm_is good 2
wait_for "the bad commit is reported in /status" 5 bash -c "curl -s '$AG_URL/status' | grep -q '\"head\":\"$BAD_SHA\",\"state\":\"failed\"'"
check_eq "the bad app stays on its last good commit" "$(cm_value bad)" 1
st=$(curl -s "$AG_URL/status")
check_contains "/status keeps the last good commit" "$st" "\"commit\":\"$GOOD_SHA\""
check_contains "/status names the broken file" "$st" "broken.yaml"
check "the error counter moved" bash -c "[ \"\$(curl -s '$AG_URL/metrics' | awk '/^tether_sync_total\\{app=\"bad\",result=\"error\"\\}/ {print \$NF}')\" -ge 1 ]"
n1=$(grep -c 'msg=sync app=bad .*result=error' "$T/ag.log")
sleep 2.5
n2=$(grep -c 'msg=sync app=bad .*result=error' "$T/ag.log")
check_eq "a bad commit is not retried until Git moves" "$n2" "$n1"
rm "$WB/deploy/broken.yaml"
write_cm "$WB/deploy" bad 3
git_commit "$WB" "bad 3 fixed" >/dev/null
wait_for "a fixed commit syncs again" 5 cm_is bad 3

# Git unreachable for a while.
kill "$GITD_PID"; wait "$GITD_PID" 2>/dev/null
write_cm "$WG/deploy" good 3
git_commit "$WG" "good 3" >/dev/null
wait_for "the unreachable remote is reported" 10 bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"good\",[^}]*\"lastError\":\"fetch git://'"
check "the agent runs on" kill -0 "$AG_PID"
git daemon --reuseaddr --listen=127.0.0.1 --port="$GIT_PORT" --base-path="$T/git" \
  --export-all --enable=receive-pack "$T/git" >>"$T/gitd.log" 2>&1 &
_pids+=($!)
wait_for "after Git comes back the commit converges" 20 cm_is good 3
check "git errors were counted" bash -c "[ \"\$(curl -s '$AG_URL/metrics' | awk '/^tether_git_fetch_errors_total\\{app=\"good\"\\}/ {print \$NF}')\" -ge 1 ]"

# kubesim restarted mid-sync: a commit of many objects, kubesim stopped while it applies.
for i in $(seq 1 40); do write_cm "$WG/deploy" "many-$i" "$i"; done
write_cm "$WG/deploy" good 4
git_commit "$WG" "good 4: many objects" >/dev/null
wait_for "the sync of many objects started" 5 bash -c "kubectl get cm -o name | grep -q many-"
n=$(kubectl get cm -o name | grep -c many-)
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
check "kubesim is stopped mid-sync ($n of 40 applied)" test "$n" -lt 40
sleep 1.5
kubesim_start sim2 --state "$T/state.json" --latency 30 --listen "${SIM_URL#*://}" || { not_ok "kubesim restarts on the same port"; finish; }
export KUBECONFIG=$KC
wait_for "after the restart every object converges" 30 bash -c "[ \"\$(kubectl get cm -o name | grep -c many-)\" = 40 ] && [ \"\$(kubectl get cm good -o jsonpath='{.data.v}')\" = 4 ]"
wait_for "/status shows the app synced" 10 bash -c "curl -s '$AG_URL/status' | grep -q '\"app\":\"good\",[^}]*\"state\":\"synced\"'"
finish
