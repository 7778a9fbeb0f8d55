# git http-backend behind basic auth, for the e2e tests: prints its port, then serves.
# usage: git_http_server.py ROOT USER TOKEN [CERT KEY]   (TLS when CERT and KEY are given)
import base64, os, ssl, subprocess, sys
from http.server import HTTPServer, BaseHTTPRequestHandler
root, user, token = sys.argv[1:4]
want = 'Basic ' + base64.b64encode((user + ':' + token).encode()).decode()
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
                   CONTENT_TYPE=self.headers.get('Content-Type', ''), REMOTE_USER=user,
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
if len(sys.argv) > 5:
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(sys.argv[4], sys.argv[5])
    srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
print(srv.server_address[1], flush=True)
srv.serve_forever()
