#!/usr/bin/env python3
"""conns: holds N TCP connections to HOST:PORT on loopback for a listener test.

  conns.py HOST PORT N MODE SECONDS
  MODE idle: connect and send nothing; slow: send a request line, then one header byte
  every 2 s (a slow-loris client). Prints "open K" once the connections are made (K may
  be less than N if the server refused some), "closed-by-server K" at the end, and exits
  after SECONDS. Loopback only: refuses any other host.
"""
import selectors
import socket
import sys
import time


def main():
    host, port, n, mode, secs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], float(sys.argv[5])
    if not host.startswith("127.") or n > 5000 or secs > 600:
        sys.exit("conns: loopback only, at most 5000 connections and 600 s")
    socks = []
    for _ in range(n):
        s = socket.socket()
        s.settimeout(2)
        try:
            s.connect((host, port))
        except OSError:
            s.close()
            continue
        s.setblocking(False)
        if mode == "slow":
            s.send(b"GET /healthz HTTP/1.1\r\nX-Slow: ")
        socks.append(s)
    print("open", len(socks), flush=True)
    sel = selectors.DefaultSelector()
    for s in socks:
        sel.register(s, selectors.EVENT_READ)
    closed = set()
    end = time.monotonic() + secs
    next_byte = time.monotonic() + 2
    while time.monotonic() < end:
        for key, _ in sel.select(timeout=0.5):
            try:
                data = key.fileobj.recv(4096)
            except OSError:
                data = b""
            if not data:
                closed.add(key.fileobj)
                sel.unregister(key.fileobj)
        if mode == "slow" and time.monotonic() >= next_byte:
            next_byte += 2
            for s in socks:
                if s not in closed:
                    try:
                        s.send(b"a")
                    except OSError:
                        pass
    print("closed-by-server", len(closed), flush=True)


if __name__ == "__main__":
    main()
