#!/usr/bin/env bash
# Notifications from tether run, received by a real HTTP server the test starts on
# loopback (notify_receiver.py, which checks method, Content-Type, the bearer token and
# the JSON body of each request): a generic webhook hears of a sync, a failed rollout,
# the revert that follows, a sync failure, drift found and drift recovered; a GitHub
# and a GitLab commit status follow each commit (pending/running, then the outcome),
# keyed by its SHA; Slack gets text and blocks; a receiver answering 500 is retried
# until it takes the request. The token is never in the agent's log.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start --fail-images 'nginx:broken*' --pod-ready-ms 100 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
TOKEN=tok-$RANDOM-s3cr3t-$RANDOM
printf '%s\n' "$TOKEN" >"$T/token"
python3 "$ROOT/tests/e2e/notify_receiver.py" --log "$T/recv.log" --port-file "$T/recv.port" \
  --token "$TOKEN" --auth-prefix /hook --auth-prefix /gh --auth-prefix /gl --fail /retry:2 \
  2>"$T/recv.err" &
_pids+=($!)
wait_for "the receiver listens" 30 test -s "$T/recv.port" || finish
R=http://127.0.0.1:$(cat "$T/recv.port")
touch "$T/recv.log"

deploy() { web_failing "$1/web/web.yaml" "$2"; } # DIR IMAGE
W=$(git_repo app)
deploy "$W" nginx:1.25
write_cm "$W/cms" cms 1
V1=$(git_commit "$W" "v1")
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
interval: 1s
timeout: 20s
notify:
  - type: webhook
    url: $R/hook
    token-file: $T/token
    events: [synced, sync-failed, rollout-failed, reverted, drift, drift-recovered]
apps:
  - name: web
    repo: $GIT_BASE_URL/app.git
    path: web
    on-failure: revert
    notify:
      - {type: github, url: $R/gh, repo: acme/web, token-file: $T/token}
      - {type: gitlab, url: $R/gl/api/v4, repo: acme/web, token-file: $T/token}
      - {type: slack, url: $R/slack/T0/B0/hooksecret}
  - name: cms
    repo: $GIT_BASE_URL/app.git
    path: cms
    self-heal: true
    notify:
      - {type: webhook, url: $R/retry, events: [synced]}
Y
# reqs PREFIX [JQ-FILTER]: the bodies of the requests whose path starts with PREFIX.
reqs() { jq -c --arg p "$1" "select(.path | startswith(\$p)) | ${2:-.body}" "$T/recv.log"; }
# has PREFIX JQ-CONDITION: some request to PREFIX has a body meeting the condition.
has() { [ -n "$(reqs "$1" "select(.body != null) | .body | select($2)")" ]; }
hook() { has /hook ".app == \"$1\" and .event == \"$2\" and .commit == \"$3\"${4:+ and $4}"; }
gh() { has "/gh/repos/acme/web/statuses/$1" ".state == \"$2\" and .context == \"tether/web\""; }
gl() { has "/gl/api/v4/projects/acme%2Fweb/statuses/$1" ".state == \"$2\" and .name == \"tether/web\""; }

agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "webhook: web synced v1, naming the Deployment" 15 hook web synced "$V1" \
  '(.objects | index("default/deployment.apps/web")) and .namespace == "default"'
check "the generic payload: app, event, commit, message, objects, time (RFC 3339)" \
  bash -c "$(declare -f reqs); T='$T'; reqs /hook | head -n1 | python3 -c '
import json, sys, datetime
b = json.loads(sys.stdin.read())
assert set(b) >= {\"app\", \"event\", \"commit\", \"message\", \"objects\", \"time\"}, b
datetime.datetime.strptime(b[\"time\"], \"%Y-%m-%dT%H:%M:%SZ\")'"
wait_for "GitHub: v1's status goes success" 5 gh "$V1" success
check "GitHub: pending came first" bash -c "$(declare -f reqs); T='$T'; reqs /gh/repos/acme/web/statuses/$V1 .body.state | head -n1 | grep -qx '\"pending\"'"
wait_for "GitLab: v1's status goes success" 5 gl "$V1" success
check "GitLab: running came first" bash -c "$(declare -f reqs); T='$T'; reqs /gl/api/v4/projects/acme%2Fweb/statuses/$V1 .body.state | head -n1 | grep -qx '\"running\"'"
check_eq "GitHub: its Accept header" "$(reqs /gh .accept | sort -u)" '"application/vnd.github+json"'
check_eq "GitHub and GitLab: the bearer token" "$(reqs /g .authorization | sort -u)" "\"Bearer $TOKEN\""
check "GitHub: a description GitHub keeps (at most 140 characters)" \
  bash -c "$(declare -f reqs); T='$T'; [ -z \"\$(reqs /gh '.body.description | select(length > 140)')\" ]"
wait_for "a receiver answering 500 twice gets the request the third time" 10 \
  bash -c "$(declare -f reqs); T='$T'; [ \"\$(reqs /retry .status | tr '\n' ' ')\" = '500 500 201 ' ]"
check "the retries are logged" grep -q 'msg="notification failed; will retry" app=cms event=synced target=webhook to=http://127.0.0.1:[0-9]* attempt=1 error="HTTP 500"' "$T/ag.log"
check_eq "cms' synced notification was sent once it was taken" \
  "$(reqs /retry 'select(.status == 201) | .body.event')" '"synced"'

# Drift: a hand edit is found (naming the object), self-heal undoes it, and it is over.
kubectl patch cm cms --type merge -p '{"data":{"v":"hand-edited"}}' >/dev/null
wait_for "webhook: drift found, naming the ConfigMap" 10 hook cms drift "$V1" \
  '(.objects | index("default/configmap/cms")) and (.message | test("1 object"))'
wait_for "webhook: drift recovered" 10 hook cms drift-recovered "$V1"
check_eq "self-heal put the value back" "$(cm_value cms)" 1

# A rollout that fails: rollout-failed, then the revert, then the revert's sync.
deploy "$W" nginx:broken-2; V2=$(git_commit "$W" "v2 broken")
wait_for "webhook: rollout failed at v2, naming the Deployment" 30 hook web rollout-failed "$V2" \
  '(.objects | index("default/deployment.apps/web"))'
wait_for "webhook: v2 reverted" 20 hook web reverted "$V2"
REV=$(git -C "$T/git/app.git" rev-parse main)
check "the revert is a new commit" test "$REV" != "$V2"
wait_for "webhook: the revert synced" 10 hook web synced "$REV"
wait_for "GitHub: v2 failure" 5 gh "$V2" failure
wait_for "GitLab: v2 failed" 5 gl "$V2" failed
wait_for "GitHub: the revert success" 5 gh "$REV" success
wait_for "Slack: text and blocks for the failed rollout" 5 has /slack \
  '(.text | test("^tether: web rollout failed at")) and .blocks[0].type == "section" and (.blocks[0].text.text | test("web"))'
check "Slack: no drift of another app's" bash -c "$(declare -f reqs); T='$T'; [ -z \"\$(reqs /slack 'select(.text | test(\"cms\"))')\" ]"

# A commit that cannot be applied: sync-failed, the file named.
git -C "$W" pull -q origin main 2>/dev/null
printf 'kind: [unclosed\n' >"$W/web/bad.yaml"
V3=$(git_commit "$W" "v3 bad yaml")
wait_for "webhook: sync failed at v3, naming the file" 15 hook web sync-failed "$V3" '(.message | test("bad.yaml"))'
wait_for "GitHub: v3 failure" 5 gh "$V3" failure
wait_for "GitLab: v3 failed" 5 gl "$V3" failed

check_eq "every request passed the receiver's checks" "$(jq -c 'select(.bad)' "$T/recv.log")" ""
check "the token is never in the agent's log" bash -c "! grep -qF '$TOKEN' '$T/ag.log'"
check "nor the Slack URL's secret path" bash -c "! grep -qF 'hooksecret' '$T/ag.log'"
kill -TERM "$AG_PID"; wait "$AG_PID"; rc=$?
check_eq "SIGTERM: exit 0" "$rc" 0
check "nothing in the log from the sanitizers" bash -c "! grep -qE 'Sanitizer|runtime error' '$T/ag.log'"

# tether sync in CI sends the same notifications: a commit status for the commit it
# synced, delivered before it exits.
write_cm "$W/ci" ci 1; V4=$(git_commit "$W" "v4 ci")
cat >"$T/ci.yaml" <<Y
kubeconfig: $KUBECONFIG
apps:
  - name: ci
    repo: $GIT_BASE_URL/app.git
    path: ci
    notify:
      - {type: github, url: $R/gh/, repo: acme/ci, token-file: $T/token}
      - {type: webhook, url: $R/hook, token-file: $T/token, events: [synced]}
Y
check "tether sync --config with notify entries" bash -c "'$TETHER' sync --config '$T/ci.yaml' --cache-dir '$T/cache-ci' >'$T/ci.out' 2>&1"
check "GitHub: tether sync posted success for the commit it synced" \
  has "/gh/repos/acme/ci/statuses/$V4" '.state == "success" and .context == "tether/ci"'
check "webhook: tether sync's synced notification" has /hook ".app == \"ci\" and .event == \"synced\" and .commit == \"$V4\""
check "the token is not in tether sync's output" bash -c "! grep -qF '$TOKEN' '$T/ci.out'"
finish
