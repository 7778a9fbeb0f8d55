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

cat >"$T/server.py" <<'PY'
import base64, os, ssl, subprocess, sys
from http.server import HTTPServer, BaseHTTPRequestHandler
root, token, cert, key = sys.argv[1:5]
want = 'Basic ' + base64.b64encode(('git:' + token).encode()).decode()
class H(BaseHTTPRequestHandler):
    def go(self):
        if self.headers.get('Authorization', '') != want:
            self.send_response(401)
            self.send_header('WWW-Authenticate', 'Basic realm="git"')
            self.send_header('Content-Length', '0')
            self.end_headers()
            return
        p, _, q = self.path.partition('?')
        env = dict(os.environ, GIT_PROJECT_ROOT=root, GIT_HTTP_EXPORT_ALL='1', PATH_INFO=p,
                   QUERY_STRING=q, REQUEST_METHOD=self.command,
                   CONTENT_TYPE=self.headers.get('Content-Type', ''), REMOTE_USER='git',
                   REMOTE_ADDR='127.0.0.1')
        n = int(self.headers.get('Content-Length') or 0)
        out = subprocess.run(['git', 'http-backend'], input=self.rfile.read(n), env=env,
                             capture_output=True).stdout
        head, _, body = out.partition(b'\r\n\r\n')
        status, headers = 200, []
        for line in head.split(b'\r\n'):
            k, _, v = line.decode().partition(': ')
            if k.lower() == 'status':
                status = int(v.split()[0])
            elif k:
                headers.append((k, v))
        self.send_response(status)
        for k, v in headers:
            self.send_header(k, v)
        self.send_header('Content-Length', str(len(body)))
        self.end_headers()
        self.wfile.write(body)
    do_GET = go
    do_POST = go
    def log_message(self, *a):
        pass
srv = HTTPServer(('127.0.0.1', 0), H)
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ctx.load_cert_chain(cert, key)
srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
PY
SECRET=s3cr3t-git-token-42
python3 "$T/server.py" "$T/git" "$SECRET" "$T/cert.pem" "$T/key.pem" >"$T/https.port" 2>"$T/https.err" &
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
