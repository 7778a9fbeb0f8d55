#!/usr/bin/env python3
"""A notification receiver on loopback for tests/e2e/notify.sh.

Records every request as one JSON line (method, path, the headers that matter, the
body parsed as JSON) in LOG, and checks it: POST, Content-Type application/json, a
JSON body, and `Authorization: Bearer TOKEN` on the paths that need a token. A request
that fails a check is answered 400 (401 for a bad token) and recorded with "bad": why.
--fail PREFIX:N answers 500 to the first N requests whose path starts with PREFIX.
Writes the port it listens on to PORTFILE.
"""
import argparse
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--port-file", required=True)
ap.add_argument("--token", default="")
ap.add_argument("--auth-prefix", action="append", default=[])
ap.add_argument("--fail", action="append", default=[])
args = ap.parse_args()

lock = threading.Lock()
fails = {}
for f in args.fail:
    prefix, n = f.rsplit(":", 1)
    fails[prefix] = int(n)


def check(h, body):
    if h.command != "POST":
        return 400, "method " + h.command
    if h.headers.get("Content-Type") != "application/json":
        return 400, "content-type %r" % h.headers.get("Content-Type")
    try:
        doc = json.loads(body)
    except ValueError:
        return 400, "body is not JSON"
    if any(h.path.startswith(p) for p in args.auth_prefix):
        if h.headers.get("Authorization") != "Bearer " + args.token:
            return 401, "authorization %r" % h.headers.get("Authorization")
    return 0, doc


class Handler(BaseHTTPRequestHandler):
    def handle_one(self):
        n = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(n).decode("utf-8", "replace")
        code, res = check(self, body)
        rec = {
            "method": self.command,
            "path": self.path,
            "contentType": self.headers.get("Content-Type"),
            "authorization": self.headers.get("Authorization"),
            "accept": self.headers.get("Accept"),
            "userAgent": self.headers.get("User-Agent"),
        }
        with lock:
            if code:
                rec["bad"] = res
            else:
                rec["body"] = res
                for prefix, left in fails.items():
                    if self.path.startswith(prefix) and left > 0:
                        fails[prefix] = left - 1
                        code = 500
            rec["status"] = code or 201
            with open(args.log, "a") as f:
                f.write(json.dumps(rec) + "\n")
        self.send_response(code or 201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    do_POST = do_PUT = do_GET = handle_one

    def log_message(self, *a):
        pass


srv = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
with open(args.port_file + ".tmp", "w") as f:
    f.write(str(srv.server_address[1]))
import os

os.rename(args.port_file + ".tmp", args.port_file)
srv.serve_forever()
