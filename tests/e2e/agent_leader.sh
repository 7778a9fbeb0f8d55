#!/usr/bin/env bash
# tether run --leader-elect: two agents on one kubesim; only the Lease holder syncs;
# when the leader is killed the standby takes over and syncs the next push.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
write_cm "$W/deploy" web 1
git_commit "$W" "one" >/dev/null
LE=(--leader-elect --leader-elect-lease-duration 2s --leader-elect-renew-deadline 1500ms
    --leader-elect-retry-period 300ms --leader-elect-namespace default)
FLAGS=(--repo "$GIT_BASE_URL/app.git" --path deploy --app web --interval 1s --no-wait
       --kubeconfig "$KUBECONFIG")
check_exit "lease duration <= renew deadline is bad input" 2 "$TETHER" run "${FLAGS[@]}" \
  --listen 127.0.0.1:0 --leader-elect --leader-elect-lease-duration 2s --leader-elect-renew-deadline 3s
agent_start a "${FLAGS[@]}" "${LE[@]}" || { not_ok "agent a starts"; finish; }
agent_start b "${FLAGS[@]}" "${LE[@]}" || { not_ok "agent b starts"; finish; }
wait_for "one agent becomes leader" 5 bash -c "grep -l 'became leader' '$T/a.log' '$T/b.log' | grep -q ."
wait_for "the leader syncs" 5 cm_is web 1
sleep 1
leaders=$(grep -l 'became leader' "$T/a.log" "$T/b.log" | wc -l)
check_eq "exactly one agent is leader" "$leaders" 1
if grep -q 'became leader' "$T/a.log"; then L=a; S=b; else L=b; S=a; fi
LPID=$(eval echo "\$${L^^}_PID"); SURL=$(eval echo "\$${S^^}_URL")
check "the standby never synced" bash -c "! grep -q 'msg=sync ' '$T/$S.log'"
check "the standby is ready (standby)" curl -sf "$SURL/readyz"
check_contains "the standby reports leader false" "$(curl -s "$SURL/status")" '"leader":false'
holder=$(kubectl get lease tether -n default -o jsonpath='{.spec.holderIdentity}')
check_contains "the Lease names the leader" "$(cat "$T/$L.log")" "identity=$holder"

kill -KILL "$LPID"; wait "$LPID" 2>/dev/null
write_cm "$W/deploy" web 2
git_commit "$W" "two" >/dev/null
wait_for "the standby takes over after the lease expires" 8 grep -q 'became leader' "$T/$S.log"
wait_for "the new leader syncs the push" 5 cm_is web 2
check_contains "the new leader reports leader true" "$(curl -s "$SURL/status")" '"leader":true'
t=$(kubectl get lease tether -n default -o jsonpath='{.spec.leaseTransitions}')
check_eq "the Lease counts the transition" "$t" 1

# A graceful stop releases the lease at once.
SPID=$(eval echo "\$${S^^}_PID")
agent_start c "${FLAGS[@]}" "${LE[@]}" --leader-elect-lease-duration 60s || { not_ok "agent c starts"; finish; }
sleep 0.5
kill -TERM "$SPID"; wait "$SPID" 2>/dev/null
wait_for "after a graceful stop a standby with a 60s lease takes over at once" 4 grep -q 'became leader' "$T/c.log"
finish
