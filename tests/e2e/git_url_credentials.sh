#!/usr/bin/env bash
# Credentials in a repository URL (https://user:token@host/x.git) authenticate, as git
# uses them, and never show: not in text errors, -o json errors, the agent's log or its
# /status. Git errors say what failed once ("fetch URL: why"), a missing local path
# says so, and a repository the server says does not exist is exit 2, not 3.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
W=$(git_repo app)
write_cm "$W" url-creds 1
git_commit "$W" "one configmap" >/dev/null

# git http-backend behind basic auth for user alice (not git's default user "git").
SECRET='s3cr3t/t0ken@42'   # "/" and "@" percent-encoded in the URL
ENC='s3cr3t%2Ft0ken%4042'
python3 "$(dirname "$0")/git_http_server.py" "$T/git" alice "$SECRET" >"$T/http.port" 2>"$T/http.err" &
_pids+=($!)
wait_port() { [ -s "$T/http.port" ]; }
wait_for "the HTTP Git server starts" 10 wait_port || finish
HOSTPORT=127.0.0.1:$(head -n1 "$T/http.port")
GOOD=http://alice:$ENC@$HOSTPORT/app.git
BAD=http://alice:wr0ng-pa55word@$HOSTPORT/app.git

no_secret() { # text: neither the password nor its encoded form appears
  ! grep -q -e "$ENC" -e "wr0ng-pa55word" -e "s3cr3t" <<<"$1"
}

out=$("$TETHER" sync --repo "$GOOD" --app creds --cache-dir "$T/cache" --no-wait 2>&1); rc=$?
check_eq "credentials in the URL authenticate: exit 0" "$rc" 0
check "kubectl sees the ConfigMap" kubectl get configmap url-creds -n default
check "the successful sync does not print the password" no_secret "$out"

out=$("$TETHER" sync --repo "$BAD" --app creds --cache-dir "$T/cache2" --no-wait 2>&1); rc=$?
check_eq "a wrong password in the URL: exit 3" "$rc" 3
check_contains "the error names the refused credentials" "$out" "refused the credentials in the URL"
check_contains "the error names the URL without its credentials" "$out" "fetch http://$HOSTPORT/app.git: "
check "the text error does not hold the password" no_secret "$out"
check_eq "the error says the prefix once" "$(grep '^error: ' <<<"$out" | grep -o "fetch http://$HOSTPORT/app.git" | wc -l)" 1

json=$("$TETHER" sync --repo "$BAD" --app creds --cache-dir "$T/cache2" --no-wait -o json 2>/dev/null)
check_contains "-o json errors name the redacted URL" "$json" "fetch http://$HOSTPORT/app.git: "
check "-o json does not hold the password" no_secret "$json"

cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
no-wait: true
interval: 1s
apps:
  - {name: bad, repo: "$BAD"}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
has_error() { curl -s "$AG_URL/status" | grep -q 'refused the credentials'; }
wait_for "/status reports the refused credentials" 10 has_error
check "/status does not hold the password" no_secret "$(curl -s "$AG_URL/status")"
check "the agent log does not hold the password" no_secret "$(cat "$T/ag.log")"
check_contains "the agent log names the redacted URL" "$(cat "$T/ag.log")" "http://$HOSTPORT/app.git"

# The password in the URL is rotated and the agent reloaded: the new one is used.
kubectl delete configmap url-creds -n default >/dev/null
sed -i "s|$BAD|$GOOD|" "$T/tether.yaml"
kill -HUP "$AG_PID"
wait_for "after a reload with the right password the agent syncs" 15 cm_is url-creds 1
check "the agent log still does not hold the password" no_secret "$(cat "$T/ag.log")"

check_exit "a repository the server says does not exist: exit 2" 2 "$TETHER" sync \
  --repo "http://alice:$ENC@$HOSTPORT/absent.git" --cache-dir "$T/cache3" --no-wait
check_contains "it says the repository was not found" "$(cat "$T/check.out")" "repository not found"
check "and hides the password" no_secret "$(cat "$T/check.out")"

check_exit "a missing local path: exit 3" 3 "$TETHER" sync --repo "$T/nope" \
  --cache-dir "$T/cache4" --app nope --no-wait
check_contains "it says the directory is missing, once" "$(cat "$T/check.out")" \
  "error: fetch $T/nope: no such directory"
finish
