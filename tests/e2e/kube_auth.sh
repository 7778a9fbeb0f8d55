#!/usr/bin/env bash
# tether authenticates to the API server the way kubectl does: a bearer token over TLS
# (CA from certificate-authority-data), client certificates, an exec credential plugin,
# and the kubeconfig rules (context namespace, KUBECONFIG lists merged first-wins).
# Secrets never appear in tether's output.
. "$(dirname "$0")/lib.sh"

run() { OUT=$("$@" 2>&1); RC=$?; }
K() { kubectl --request-timeout=20s "$@"; }
TOKEN=s3cret-token-4711

repo=$(git_repo app)
cat >"$repo/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: settings
data:
  color: blue
YAML
git_commit "$repo" "settings" >/dev/null

# sync KUBECONFIG_FILE [flags...]: one sync of the app repository
sync() {
  local kc=$1; shift
  run "$TETHER" sync --repo "$T/git/app.git" --ref main --kubeconfig "$kc" --no-wait "$@"
}

# --- bearer token over TLS -------------------------------------------------------
if ! kubesim_start tok --tls --token "$TOKEN"; then not_ok "kubesim starts with --tls --token"; finish; fi
TOK_KC=$KUBECONFIG
check_contains "kubesim serves https" "$KUBESIM_URL" "https://"
sync "$TOK_KC"
check_eq "sync with a bearer token over TLS succeeds" "$RC" 0
check_eq "the object is there" "$(K get configmap settings -o jsonpath='{.data.color}' 2>&1)" "blue"

sed "s/$TOKEN/wrong-token-0815/" "$TOK_KC" >"$T/wrong.kubeconfig"
sync "$T/wrong.kubeconfig"
check "a wrong token fails the sync" test "$RC" -ne 0
check_contains "the error says Unauthorized" "$OUT" "Unauthorized"
case "$OUT" in *wrong-token-0815*) not_ok "the token stays out of the output" ;; *) ok "the token stays out of the output" ;; esac

# a CA that did not sign the server's certificate: TLS verification fails
awk '/certificate-authority-data/ { sub(/: .*/, ": " ca) } { print }' \
  ca="$(openssl req -x509 -newkey rsa:2048 -nodes -keyout /dev/null -subj /CN=other -days 1 2>/dev/null | base64 -w0)" \
  "$TOK_KC" >"$T/badca.kubeconfig"
sync "$T/badca.kubeconfig"
check "a foreign CA fails the sync" test "$RC" -ne 0
check_contains "the error names the server" "$OUT" "$KUBESIM_URL"

# tls-server-name: verification (and SNI) use that name, the socket still goes to the server
awk '/certificate-authority-data/ { print; print "    tls-server-name: localhost"; next } { print }' \
  "$TOK_KC" >"$T/sni.kubeconfig"
sync "$T/sni.kubeconfig"
check_eq "tls-server-name matching the certificate succeeds" "$RC" 0
sed 's/tls-server-name: localhost/tls-server-name: other.example/' "$T/sni.kubeconfig" >"$T/sni-bad.kubeconfig"
sync "$T/sni-bad.kubeconfig"
check "a tls-server-name the certificate does not carry fails" test "$RC" -ne 0
check_contains "the error names the expected name" "$OUT" "other.example"

# --- exec credential plugin -----------------------------------------------------------
cat >"$T/plugin.sh" <<'SH'
#!/bin/sh
# an exec credential plugin: logs what it was given, prints an ExecCredential
echo "args=$* interactive=$(printf '%s' "$KUBERNETES_EXEC_INFO" | grep -c '"interactive":false') stdin_tty=$([ -t 0 ] && echo yes || echo no)" >>"$PLUGIN_LOG"
printf '{"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","status":{"token":"%s","expirationTimestamp":"2099-01-01T00:00:00Z"}}\n' "$PLUGIN_TOKEN"
SH
chmod +x "$T/plugin.sh"
server=$(sed -n 's/^ *server: //p' "$TOK_KC")
cadata=$(sed -n 's/^ *certificate-authority-data: //p' "$TOK_KC")
cat >"$T/exec.kubeconfig" <<YAML
apiVersion: v1
kind: Config
current-context: sim
contexts:
- name: sim
  context: {cluster: sim, user: plugin}
clusters:
- name: sim
  cluster:
    server: $server
    certificate-authority-data: $cadata
users:
- name: plugin
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1
      command: ./plugin.sh
      args: [--cluster, sim]
      interactiveMode: Never
      env:
      - {name: PLUGIN_TOKEN, value: $TOKEN}
      - {name: PLUGIN_LOG, value: $T/plugin.log}
YAML
sync "$T/exec.kubeconfig"
check_eq "sync with an exec credential plugin succeeds" "$RC" 0
check_contains "the plugin ran with its args, non-interactive, stdin not a tty" \
  "$(cat "$T/plugin.log" 2>&1)" "args=--cluster sim interactive=1 stdin_tty=no"
check_eq "the plugin ran once (its credential is cached)" "$(wc -l <"$T/plugin.log")" 1

sed "s/value: $TOKEN/value: not-the-token/" "$T/exec.kubeconfig" >"$T/exec-bad.kubeconfig"
sync "$T/exec-bad.kubeconfig"
check "a plugin with a wrong token fails the sync" test "$RC" -ne 0

# --- kubeconfig rules: context namespace, KUBECONFIG list first-wins --------------
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team-a\n' >"$T/ns.yaml"
check "namespace team-a is created" K create -f "$T/ns.yaml"
cat >"$T/first.kubeconfig" <<'YAML'
apiVersion: v1
kind: Config
current-context: team
contexts:
- name: team
  context: {cluster: kubesim, user: kubesim, namespace: team-a}
YAML
run env KUBECONFIG="$T/missing.kubeconfig:$T/first.kubeconfig:$TOK_KC" \
  "$TETHER" sync --repo "$T/git/app.git" --ref main --app app-team --no-wait
check_eq "sync with a KUBECONFIG list succeeds" "$RC" 0 || echo "$OUT" | sed 's/^/#   /' 
check_eq "the context's namespace from the first file is used" \
  "$(K get configmap settings -n team-a -o jsonpath='{.data.color}' 2>&1)" "blue"

cat >"$T/broken.kubeconfig" <<'YAML'
current-context: x
contexts:
- name: x
  context: {cluster: nowhere}
YAML
sync "$T/broken.kubeconfig"
check "a kubeconfig naming a missing cluster fails" test "$RC" -ne 0
check_contains "the error names the file and the cluster" "$OUT" "$T/broken.kubeconfig: cluster \"nowhere\""

# --- in-cluster: service account token, CA and namespace files, no kubeconfig --------
mkdir -p "$T/sa"
printf '%s\n' "$TOKEN" >"$T/sa/token"
sed -n 's/^ *certificate-authority-data: //p' "$TOK_KC" | base64 -d >"$T/sa/ca.crt"
printf 'team-a' >"$T/sa/namespace"
port=${KUBESIM_URL##*:}
run env -u KUBECONFIG HOME="$T/empty-home" TETHER_SA_DIR="$T/sa" \
  KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$port" \
  "$TETHER" sync --repo "$T/git/app.git" --ref main --app app-team --no-wait -o json
check_eq "in-cluster sync succeeds" "$RC" 0; [ "$RC" = 0 ] || echo "$OUT" | jq -c .errors | sed "s/^/#   /"
check_eq "in-cluster uses the service account's namespace" \
  "$(printf '%s' "$OUT" | jq -r .namespace 2>&1)" "team-a"
printf 'rotated-away\n' >"$T/sa/token"
run env -u KUBECONFIG HOME="$T/empty-home" TETHER_SA_DIR="$T/sa" \
  KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="$port" \
  "$TETHER" sync --repo "$T/git/app.git" --ref main --app app-team --no-wait
check "in-cluster with a token the server does not know fails" test "$RC" -ne 0

# --- client certificates ----------------------------------------------------------------
if kubesim_start cert --client-ca; then
  CERT_KC=$KUBECONFIG
  sync "$CERT_KC"
  check_eq "sync with a client certificate succeeds" "$RC" 0
  grep -v 'client-certificate-data\|client-key-data' "$CERT_KC" >"$T/nocert.kubeconfig"
  sync "$T/nocert.kubeconfig"
  check "without the client certificate the sync fails" test "$RC" -ne 0
else
  not_ok "kubesim starts with --client-ca"
fi

finish
