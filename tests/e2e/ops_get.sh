#!/usr/bin/env bash
# Seeing and steering apps through the cluster, with no agent port: tether get (text,
# -A, -o json, -o yaml, -w), suspend/resume honoured by tether sync (CI) and by
# tether run, reconcile --wait answered by a running agent whose interval is an hour
# (so the sync comes from the request), and tether events naming drifted objects.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
write_cm "$W/ops" ops-cm v1
web_deployment nginx:1 1 60 >"$W/ops/web.yaml"
write_cm "$W/drifty" drifty-cm d1
c1=$(git_commit "$W" "v1")
URL=$GIT_BASE_URL/app.git
sync() { "$TETHER" sync --repo "$URL" --app ops --path ops --cache-dir "$T/cache" --timeout 60s "$@"; }
get() { "$TETHER" get "$@"; }
json() { jq -c "$2" "$1"; }   # json FILE FILTER: compact jq output

check_exit "CI sync of ops" 0 sync

# ---- get ----
check_exit "get lists the apps of namespace default" 0 get
cp "$T/check.out" "$T/get.txt"
check "get prints kubectl-style columns" grep -Eq '^APP +COMMIT +STATE +HEALTH +DRIFT +LAST SYNC +SUSPENDED$' "$T/get.txt"
check "get's row: ops, its commit, synced, healthy, no drift, not suspended" \
  grep -Eq "^ops +${c1:0:12} +synced +healthy +0 +[0-9]+s +False$" "$T/get.txt"
check_exit "get -A" 0 get -A
cp "$T/check.out" "$T/getA.txt"
check "-A adds the NAMESPACE column" grep -Eq '^NAMESPACE +APP +COMMIT' "$T/getA.txt"
check "-A finds ops in default" grep -Eq '^default +ops ' "$T/getA.txt"
check_exit "get ops -o json" 0 get ops -o json
cp "$T/check.out" "$T/get.json"
check_eq "json: the app and its commit" "$(json "$T/get.json" '.apps[0] | .app + " " + .commit')" "\"ops $c1\""
check_eq "json: state, health, drift, suspended" \
  "$(json "$T/get.json" '.apps[0] | [.state, .health, .drift, .suspended, .objects]')" \
  '["synced","healthy",0,false,2]'
check "json: lastSync is RFC 3339" jq -e '.apps[0].lastSync | test("^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?Z$")' "$T/get.json"
check_exit "get ops -o yaml" 0 get ops -o yaml
cp "$T/check.out" "$T/get.yaml"
check "yaml parses (python3 yaml) to the same document as json" python3 -c "
import json, sys, yaml
y = yaml.safe_load(open(sys.argv[1])); j = json.load(open(sys.argv[2]))
assert y == j, (y, j)" "$T/get.yaml" "$T/get.json"
check_exit "each command takes its own flags: get has no --wait" 2 get --wait
check_exit "reconcile takes one APP" 2 "$TETHER" reconcile
check_exit "get of an app that was never synced exits 2" 2 get nosuch
check_contains "and names it" "$(cat "$T/check.out")" "no app nosuch in the cluster"

kubectl patch cm ops-cm --type merge -p '{"data":{"v":"by-hand"}}' >/dev/null
check_exit "get after a hand edit" 0 get ops -o json
check_eq "drift names the edited object" "$(json "$T/check.out" '.apps[0].driftObjects')" '["default/configmap/ops-cm"]'
check_eq "and the state is drifted" "$(json "$T/check.out" '.apps[0].state')" '"drifted"'
check_exit "a CI sync repairs it" 0 sync

# ---- suspend / resume, CI ----
check_exit "suspend ops" 0 "$TETHER" suspend ops
check_eq "kubectl sees the annotation on the inventory" \
  "$(kubectl get cm tether-inventory-ops -o jsonpath='{.metadata.annotations.tether\.dev/suspended}')" true
check "with who suspended it" bash -c "kubectl get cm tether-inventory-ops -o jsonpath='{.metadata.annotations.tether\.dev/suspended-by}' | grep -q @"
check "get says suspended" bash -c "'$TETHER' get ops | grep -Eq 'True\$'"
write_cm "$W/ops" ops-cm v2
c2=$(git_commit "$W" "v2")
check_exit "a CI sync of a suspended app exits 4" 4 sync
check_contains "and says so" "$(cat "$T/check.out")" "app ops is suspended by"
check_eq "nothing was applied" "$(cm_value ops-cm)" v1
check_exit "tether diff still works while suspended" 1 "$TETHER" diff --repo "$URL" --app ops --path ops --cache-dir "$T/cache"
check_exit "a second sync keeps the suspension (the inventory's apply keeps it)" 4 sync
check_exit "resume ops -o json" 0 "$TETHER" resume ops -o json
check_eq "resume's json" "$(json "$T/check.out" '.suspended')" false
check_exit "after resume CI applies again" 0 sync
check_eq "v2 applied" "$(cm_value ops-cm)" v2

# ---- the agent: suspend, resume, reconcile --wait ----
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
no-wait: true
log-format: json
apps:
  - {name: ops, repo: $URL, path: ops, interval: 1h}
  - {name: drifty, repo: $URL, path: drifty, interval: 1s}
Y
"$TETHER" sync --config "$T/tether.yaml" --app drifty --cache-dir "$T/cache" >/dev/null 2>&1
check_exit "suspend ops before the agent starts" 0 "$TETHER" suspend ops
write_cm "$W/ops" ops-cm v3
c3=$(git_commit "$W" "v3")
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_eq "the agent's metric says suspended" 10 1 metric "$AG_URL" 'tether_app_suspended{app="ops"}'
check "/status says suspended" bash -c "curl -s '$AG_URL/status' | jq -e '.apps[] | select(.app == \"ops\") | .suspended and .state == \"suspended\"'"
check_eq "the agent applied nothing of a suspended app" "$(cm_value ops-cm)" v2
check_exit "reconcile --wait of a suspended app exits 4" 4 "$TETHER" reconcile ops --wait --timeout 20s
check_contains "and says it is suspended" "$(cat "$T/check.out")" "suspended"
check_exit "resume ops" 0 "$TETHER" resume ops
wait_for "the agent applies v3 once resumed" 10 cm_is ops-cm v3
wait_eq "the metric follows" 5 0 metric "$AG_URL" 'tether_app_suspended{app="ops"}'

write_cm "$W/ops" ops-cm v4
c4=$(git_commit "$W" "v4")
syncs0=$(grep -c '"msg":"sync","app":"ops"' "$T/ag.log")
check_exit "reconcile --wait: the agent syncs now, not in an hour" 0 "$TETHER" reconcile ops --wait --timeout 20s -o json
cp "$T/check.out" "$T/rec.json"
check_eq "v4 is applied" "$(cm_value ops-cm)" v4
check_eq "one more sync in the agent's log" "$(grep -c '"msg":"sync","app":"ops"' "$T/ag.log")" $((syncs0 + 1))
check_eq "reconcile's json: exit code and a handled time not before the request" \
  "$(json "$T/rec.json" '[.exitCode, .handledAt >= .requestedAt]')" '[0,true]'
check_eq "the inventory records the answer" \
  "$(kubectl get cm tether-inventory-ops -o jsonpath='{.metadata.annotations.tether\.dev/reconcile-result}')" 0
check_exit "reconcile without --wait returns at once" 0 "$TETHER" reconcile ops
check_contains "naming the request" "$(cat "$T/check.out")" "reconcile requested at"

# ---- get -w ----
"$TETHER" get ops -w >"$T/watch.out" 2>&1 &
wpid=$!; _pids+=($wpid)
wait_for "get -w prints the row" 10 grep -Eq '^ops .*False$' "$T/watch.out"
"$TETHER" suspend ops >/dev/null
wait_for "get -w reprints the changed row" 10 grep -Eq '^ops .*True$' "$T/watch.out"
kill $wpid 2>/dev/null
check_eq "the header once" "$(grep -c '^APP ' "$T/watch.out")" 1
"$TETHER" resume ops >/dev/null
"$TETHER" get ops -w -o json >"$T/watch.json" 2>&1 &
wpid=$!; _pids+=($wpid)
wait_for "get -w -o json prints the document" 10 grep -q '"suspended":	false' "$T/watch.json"
"$TETHER" suspend ops >/dev/null
wait_for "and a new one when it changes" 10 grep -q '"suspended":	true' "$T/watch.json"
sleep 2.5 # one more round of the watch, which must print nothing new
kill $wpid 2>/dev/null
check "each document parses, one per change" jq -s -e 'length == 2 and .[0].apps[0].suspended == false and .[1].apps[0].suspended == true' "$T/watch.json"
"$TETHER" resume ops >/dev/null

# ---- events ----
kubectl patch cm drifty-cm --type merge -p '{"data":{"v":"by-hand"}}' >/dev/null
wait_for "the agent posts a Drifted Event" 10 bash -c "'$TETHER' events drifty | grep -q Drifted"
check_exit "events drifty" 0 "$TETHER" events drifty
cp "$T/check.out" "$T/ev.txt"
check "kubectl-style columns" grep -Eq '^LAST SEEN +TYPE +REASON +OBJECT +MESSAGE$' "$T/ev.txt"
check "the drift Event names the object" grep -Eq 'Warning +Drifted +configmap/tether-inventory-drifty +commit [0-9a-f]{12}: 1 object differs from Git: default/configmap/drifty-cm$' "$T/ev.txt"
check "the drift log line names it too" grep -q '"msg":"drift","app":"drifty",.*"drifted":"default/configmap/drifty-cm"' "$T/ag.log"
check_exit "events -o json" 0 "$TETHER" events -o json
cp "$T/check.out" "$T/ev.json"
check "json: a v1 List of tether's Events, oldest first" jq -e '
  .kind == "List" and .apiVersion == "v1" and ([.items[].reason] | index("Synced") and index("Drifted") and index("Suspended"))
  and ([.items[].lastTimestamp] | . == sort) and all(.items[]; .reportingComponent == "tether")' "$T/ev.json"
check_exit "events -o yaml" 0 "$TETHER" events -o yaml
cp "$T/check.out" "$T/ev.yaml"
check "yaml parses to the same List" python3 -c "
import json, sys, yaml
assert yaml.safe_load(open(sys.argv[1])) == json.load(open(sys.argv[2]))" "$T/ev.yaml" "$T/ev.json"
check "kubectl sees the same Events" bash -c "kubectl get events -o json | jq -e 'any(.items[]; .reason == \"Drifted\")'"
finish
