#!/usr/bin/env bash
# An API server that answers 429 for longer than the retries last (priority and
# fairness under load) is unreachable, not bad input: `tether sync` exits 3 and blames
# no file; `tether run` retries the same commit with backoff and converges on it once
# the server answers again (kubectl is the witness).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

run() { OUT=$("$@" 2>&1); RC=$?; }
THROTTLE=$T/throttle
# 429 with Retry-After on every write while $THROTTLE exists; reads still answer
kubesim_start sim --faults 429=1 --faults-while "$THROTTLE" --faults-methods PATCH,POST,PUT,DELETE \
  || { not_ok "kubesim starts"; finish; }
KC=$KUBECONFIG
repo=$(git_repo app)
write_cm "$repo" app-cm 1
git_commit "$repo" "v1" >/dev/null

# tether sync: 429 past the retries is exit 3, and no file is blamed
touch "$THROTTLE"
run "$TETHER" sync --repo "$T/git/app.git" --ref main --no-wait
check_eq "429 past the retries exits 3" "$RC" 3 || echo "$OUT" | sed 's/^/#   /'
check_contains "the error says the server is throttling" "$OUT" "too many requests"
case "$OUT" in *app-cm.yaml*) not_ok "no file is blamed for a 429"; echo "$OUT" | sed 's/^/#   /' ;;
  *) ok "no file is blamed for a 429" ;; esac
run "$TETHER" sync --repo "$T/git/app.git" --ref main --no-wait -o json
check_eq "-o json: exit 3" "$RC" 3
check_eq "-o json: result unreachable" "$(printf '%s' "$OUT" | jq -r '.exitCode' 2>&1)" 3
rm -f "$THROTTLE"
run "$TETHER" sync --repo "$T/git/app.git" --ref main --no-wait
check_eq "the same sync succeeds once the server answers" "$RC" 0
check "kubectl sees v1" cm_is app-cm 1

# tether run: a commit that met a 429 outage is retried, not held
cat >"$T/tether.yaml" <<Y
kubeconfig: $KC
no-wait: true
interval: 1s
apps:
  - {name: app, repo: $T/git/app.git}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "the agent reports v1 synced" 10 bash -c "curl -s '$AG_URL/status' | grep -q '\"state\":\"synced\"'"
touch "$THROTTLE"
write_cm "$repo" app-cm 2
V2=$(git_commit "$repo" "v2")
wait_for "the agent meets the 429 outage" 60 grep -q "msg=sync app=app .*commit=$V2.*result=error" "$T/ag.log"
check_eq "the cluster is still on v1 during the outage" "$(cm_value app-cm)" 1
check_fail "the log does not blame the file" grep -q "commit=$V2.*app-cm.yaml" "$T/ag.log"
rm -f "$THROTTLE"
wait_for "the agent converges on v2 once the 429s stop" 60 cm_is app-cm 2
wait_for "/status reports v2 synced" 10 bash -c \
  "curl -s '$AG_URL/status' | grep -q '\"commit\":\"$V2\",[^}]*\"state\":\"synced\"'"
finish
