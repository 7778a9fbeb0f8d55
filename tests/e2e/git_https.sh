#!/usr/bin/env bash
# tether sync from a Git server over HTTPS (git http-backend behind basic auth and TLS,
# served by a small python3 server on loopback): TLS verification is on by default, a
# token from an environment variable or a file authenticates, and the token is never
# printed.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }

# A repository with one ConfigMap.
WORK=$(git_repo app)
cat >"$WORK/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: over-https
data:
  a: "1"
YAML
git_commit "$WORK" "one configmap" >/dev/null

# A self-signed certificate for 127.0.0.1.
openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$T/key.pem" -out "$T/cert.pem" 2>/dev/null

SECRET=s3cr3t-git-token-42
python3 "$(dirname "$0")/git_http_server.py" "$T/git" git "$SECRET" "$T/cert.pem" "$T/key.pem" >"$T/https.port" 2>"$T/https.err" &
_pids+=($!)
wait_port() { [ -s "$T/https.port" ]; }
wait_for "the HTTPS Git server starts" 10 wait_port || finish
URL=https://127.0.0.1:$(head -n1 "$T/https.port")/app.git

sync_https() { # extra flags...
  "$TETHER" sync --repo "$URL" --app https-app --cache-dir "$T/cache" --no-wait "$@" 2>&1
}

export GIT_TOKEN=$SECRET
out=$(sync_https --git-token-env GIT_TOKEN); rc=$?
check_eq "a self-signed certificate is refused by default: exit 3" "$rc" 3
check_contains "the error is about the certificate" "$(tr 'A-Z' 'a-z' <<<"$out")" "certificate"
check_fail "nothing was applied" kubectl get configmap over-https -n default

out=$(sync_https --git-token-env GIT_TOKEN --git-insecure-skip-tls-verify); rc=$?
check_eq "with --git-insecure-skip-tls-verify and a token from the environment: exit 0" "$rc" 0
check "kubectl sees the ConfigMap from the HTTPS repository" kubectl get configmap over-https -n default
check_fail "the token is never printed" grep -q "$SECRET" <<<"$out"

printf '%s\n' "$SECRET" >"$T/token"
out=$(sync_https --git-token-file "$T/token" --git-insecure-skip-tls-verify --cache-dir "$T/cache2"); rc=$?
check_eq "a token from a file works too: exit 0" "$rc" 0

export GIT_TOKEN=wrong-token
out=$(sync_https --git-token-env GIT_TOKEN --git-insecure-skip-tls-verify --cache-dir "$T/cache3"); rc=$?
check_eq "a wrong token fails as unreachable: exit 3" "$rc" 3
check_fail "the wrong token is never printed" grep -q wrong-token <<<"$out"
check_contains "the error names the authentication" "$(tr 'A-Z' 'a-z' <<<"$out")" "auth"
finish
