#!/usr/bin/env bash
# `cannot listen on ADDR` says why: the address in use, or not one of this host's.
. "$(dirname "$0")/lib.sh"

python3 -c 'import socket,sys,time
s=socket.socket(); s.bind(("127.0.0.1",0)); s.listen(1); print(s.getsockname()[1], flush=True); time.sleep(60)' >"$T/port" &
_pids+=($!)
wait_for "a test listener holds a port" 5 test -s "$T/port"
PORT=$(cat "$T/port")
"$TETHER" run --repo "$T/none" --listen "127.0.0.1:$PORT" >"$T/out" 2>&1
check_contains "a port in use is named as such" "$(cat "$T/out")" "cannot listen on 127.0.0.1:$PORT: address already in use"
"$TETHER" run --repo "$T/none" --listen "192.0.2.1:8080" >"$T/out2" 2>&1
check_contains "an address of another host is named as such" "$(cat "$T/out2")" "cannot listen on 192.0.2.1:8080: the address is not one of this host's"
finish
