#!/usr/bin/env bash
# tether run: a push reaches the cluster within one interval, a webhook push at once,
# a forged webhook changes nothing; /metrics, /healthz, /readyz, /status and
# `tether status`; SIGHUP with a bad configuration keeps the old one; SIGTERM exits.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W1=$(git_repo fast)
write_cm "$W1/deploy" fast 1
git_commit "$W1" "fast 1" >/dev/null
W2=$(git_repo hooked)
write_cm "$W2/deploy" hooked 1
git_commit "$W2" "hooked 1" >/dev/null
printf 's3cret\n' >"$T/secret"
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
no-wait: true
webhook-secret-file: $T/secret
apps:
  - name: fast
    repo: $GIT_BASE_URL/fast.git
    path: deploy
    interval: 1s
  - name: hooked
    repo: $GIT_BASE_URL/hooked.git
    path: deploy
    interval: 1h
Y

check_exit "run rejects an unknown flag" 2 "$TETHER" run --bogus
check_exit "run without a repository is bad input" 2 "$TETHER" run --listen 127.0.0.1:0

agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
ok "agent starts and logs its address"
check "/healthz answers" curl -sf "$AG_URL/healthz"
wait_for "/readyz turns ready once every app synced" 10 curl -sf "$AG_URL/readyz"
check "both apps were applied" bash -c "[ \"\$(kubectl get cm fast -o jsonpath='{.data.v}')\" = 1 ] && [ \"\$(kubectl get cm hooked -o jsonpath='{.data.v}')\" = 1 ]"

# Interval: a commit reaches the cluster within one interval (1s, plus jitter and the sync).
write_cm "$W1/deploy" fast 2
git_commit "$W1" "fast 2" >/dev/null
wait_for "a pushed commit reaches kubesim within one interval" 3 cm_is fast 2

# Webhook: interval 1h, so only the webhook can bring it in.
write_cm "$W2/deploy" hooked 2
SHA2=$(git_commit "$W2" "hooked 2")
sleep 1.5
check_eq "without a webhook the 1h app stays" "$(cm_value hooked)" 1
check_eq "a forged webhook gets 401" "$(github_push "$AG_URL" wrong-secret "$GIT_BASE_URL/hooked.git")" 401
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AG_URL/webhook" -H 'X-GitHub-Event: push' \
  --data-binary '{"ref":"refs/heads/main","repository":{"clone_url":"'"$GIT_BASE_URL/hooked.git"'"}}')
check_eq "an unsigned webhook gets 401" "$code" 401
sleep 1.5
check_eq "a forged webhook changes nothing" "$(cm_value hooked)" 1
check_eq "a webhook for another branch triggers nothing (202)" \
  "$(github_push "$AG_URL" s3cret "$GIT_BASE_URL/hooked.git" other)" 202
check_eq "a signed GitHub push gets 200" "$(github_push "$AG_URL" s3cret "$GIT_BASE_URL/hooked.git")" 200
wait_for "the webhook push reaches kubesim at once" 3 cm_is hooked 2
gl='{"object_kind":"push","ref":"refs/heads/main","project":{"git_http_url":"'"$GIT_BASE_URL/hooked.git"'"}}'
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AG_URL/webhook" -H 'X-Gitlab-Event: Push Hook' \
  -H 'X-Gitlab-Token: nope' --data-binary "$gl")
check_eq "a GitLab push with a wrong token gets 401" "$code" 401
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AG_URL/webhook" -H 'X-Gitlab-Event: Push Hook' \
  -H 'X-Gitlab-Token: s3cret' --data-binary "$gl")
check_eq "a GitLab push with the token gets 200" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AG_URL/webhook" -H 'Authorization: Bearer s3cret' \
  --data-binary '{"app":"fast"}')
check_eq "the generic endpoint with the secret as bearer token gets 200" "$code" 200
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$AG_URL/webhook" --data-binary '{"app":"fast"}')
check_eq "the generic endpoint without a secret gets 401" "$code" 401
big=$(head -c 1100000 /dev/zero | tr '\0' 'a')
code=$(printf '%s' "$big" | curl -s -o /dev/null -w '%{http_code}' -X POST "$AG_URL/webhook" \
  -H 'X-GitHub-Event: push' --data-binary @-)
check_eq "an oversized webhook body gets 413" "$code" 413

# /metrics: parses, counters move.
curl -s "$AG_URL/metrics" >"$T/metrics.txt"
check "every /metrics line is a comment or 'name{labels} number'" \
  awk '/^#/ { next } !/^[a-z_]+(\{[^}]*\})? [-+0-9.eEInfa]+$/ { print "bad line: " $0; bad = 1 } END { exit bad }' "$T/metrics.txt"
n=$(metric "$AG_URL" 'tether_sync_total{app="hooked",result="success"}')
check_eq "tether_sync_total counted both syncs of hooked" "$n" 2
check_contains "tether_app_info names the commit" "$(cat "$T/metrics.txt")" "tether_app_info{app=\"hooked\",commit=\"$SHA2\"} 1"
check_contains "the histogram is exposed" "$(cat "$T/metrics.txt")" 'tether_sync_duration_seconds_bucket{app="fast",le="+Inf"}'
check_contains "git timings are exposed" "$(cat "$T/metrics.txt")" 'tether_git_fetch_duration_seconds_count{app="fast"}'
check_contains "one log line per sync with app, commit and counts" "$(cat "$T/ag.log")" \
  "msg=sync app=hooked commit=$SHA2 result=success created=0 changed=1"
check "a Kubernetes Event records the sync" bash -c \
  "kubectl get events -n default -o jsonpath='{range .items[*]}{.reason} {.message}{\"\\n\"}{end}' | grep -q 'Synced commit ${SHA2:0:12}: synced: 0 created, 1 changed, 0 pruned'"

# /status and tether status.
st=$(curl -s "$AG_URL/status")
check_contains "/status has each app's commit" "$st" "\"commit\":\"$SHA2\""
port=${AG_URL##*:}
out=$("$TETHER" status --listen 127.0.0.1:$port)
check_contains "tether status prints a table" "$out" "hooked"
check_contains "tether status shows the commit" "$out" "${SHA2:0:12}"
check "tether status -o json is JSON" bash -c "'$TETHER' status --listen 127.0.0.1:$port -o json | python3 -m json.tool"
check_exit "tether status: agent unreachable is exit 3" 3 "$TETHER" status --listen 127.0.0.1:1

# SIGHUP: a broken configuration is refused, a valid one is swapped in.
cp "$T/tether.yaml" "$T/good.yaml"
echo "  - {name: broken" >>"$T/tether.yaml"
kill -HUP "$AG_PID"
wait_for "a bad configuration on SIGHUP is refused" 5 grep -q 'reload failed' "$T/ag.log"
check "the agent still runs after a bad reload" kill -0 "$AG_PID"
sed 's/interval: 1h/interval: 1s/' "$T/good.yaml" >"$T/tether.yaml"
kill -HUP "$AG_PID"
wait_for "a valid configuration on SIGHUP is swapped in" 5 grep -q 'configuration reloaded' "$T/ag.log"
write_cm "$W2/deploy" hooked 3
git_commit "$W2" "hooked 3" >/dev/null
wait_for "the reloaded interval applies" 4 cm_is hooked 3

# SIGTERM: exits promptly with status 0.
kill -TERM "$AG_PID"
start=$(date +%s%N)
wait "$AG_PID"; rc=$?
ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_eq "SIGTERM: exit status 0" "$rc" 0
check "SIGTERM: stopped within 3s (${ms}ms)" test "$ms" -lt 3000
finish
