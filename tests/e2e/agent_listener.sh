#!/usr/bin/env bash
# The agent's listener cannot be silenced: 1,000 idle and then 1,000 slow (slow-loris)
# connections from loopback leave /healthz answering within 100 ms; a declared body over
# the webhook limit gets 413 before any of it is sent; a flood of refused webhooks
# writes at most one log line per second per source, with the count it suppressed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

CONNS=$ROOT/tests/bench/conns.py
kubesim_start sim || { not_ok "kubesim starts"; finish; }
printf 's3cret' >"$T/secret"
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
interval: 1h
webhook-secret-file: $T/secret
apps:
  - {name: gone, repo: git://127.0.0.1:1/gone.git}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
PORT=${AG_URL##*:}

# healthz_ms: the slowest of 10 /healthz answers, in ms (5000 when one failed).
healthz_ms() {
  local i t worst=0
  for i in $(seq 1 10); do
    t=$(curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}' "$AG_URL/healthz")
    case "$t" in 200\ *) t=$(awk -v s="${t#200 }" 'BEGIN { printf "%d", s * 1000 }') ;; *) t=5000 ;; esac
    [ "$t" -gt "$worst" ] && worst=$t
  done
  echo "$worst"
}

# hold MODE: 1,000 connections of MODE held open in the background until all are made.
hold() {
  python3 "$CONNS" 127.0.0.1 "$PORT" 1000 "$1" 60 >"$T/conns-$1.out" 2>&1 &
  HOLD_PID=$!
  _pids+=($HOLD_PID)
  wait_for "1,000 $1 connections are open" 30 grep -q '^open 1000$' "$T/conns-$1.out"
}

for mode in idle slow; do
  hold $mode
  ms=$(healthz_ms)
  echo "# /healthz with 1,000 $mode connections: slowest of 10 answers ${ms} ms"
  check "/healthz answers within 100 ms beside 1,000 $mode connections (${ms} ms)" test "$ms" -lt 100
  check "/metrics answers beside them" curl -sf -m 2 -o /dev/null "$AG_URL/metrics"
  kill "$HOLD_PID" 2>/dev/null; wait "$HOLD_PID" 2>/dev/null
done

# A connection that sends nothing is closed after the 10 s inactivity timeout.
python3 "$CONNS" 127.0.0.1 "$PORT" 50 idle 13 >"$T/conns-timeout.out" 2>&1
check_eq "idle connections are closed by the agent after 10 s" \
  "$(sed -n 's/^closed-by-server //p' "$T/conns-timeout.out")" 50

# A declared 10 GB body: 413 at once, without sending any of it.
resp=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT"
  printf 'POST /webhook HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10737418240\r\n\r\n' >&3
  timeout 2 head -n1 <&3)
check_contains "a declared 10 GB body gets 413 before it is sent" "$resp" "413"

# A body without a length that passes the cap: the connection is closed at the cap,
# not read to its end (the client gets to send a few MB of its 300 MB at most).
sent=$(head -c 300000000 /dev/zero | curl -s -m 20 -o /dev/null -w '%{size_upload}' \
  -H 'Transfer-Encoding: chunked' --data-binary @- "$AG_URL/webhook")
sent=${sent%%.*}
check "a chunked body over the cap is cut off (${sent:-?} bytes sent)" test "${sent:-0}" -lt 50000000
check "/healthz answers after it" curl -sf -m 2 -o /dev/null "$AG_URL/healthz"

# 50 forged webhooks in one burst (one curl, one connection): refused, logged once; a
# second later the next refusal is logged with the count held back.
body='{"ref":"refs/heads/main","repository":{"clone_url":"git://x/y.git"}}'
codes=$(curl -s -m 20 -o /dev/null -w '%{http_code}\n' -X POST -H 'X-GitHub-Event: push' \
  -H 'X-Hub-Signature-256: sha256=0000' -H 'Content-Type: application/json' \
  --data-binary "$body" $(for i in $(seq 1 50); do printf '%s/webhook ' "$AG_URL"; done))
check_eq "50 forged webhooks are refused" "$(printf '%s\n' "$codes" | grep -c '^401$')" 50
sleep 1.1 # the next line may only come a second after the previous one
check_eq "a forged webhook is refused" "$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST \
  -H 'X-GitHub-Event: push' -H 'X-Hub-Signature-256: sha256=0000' --data-binary "$body" \
  "$AG_URL/webhook")" 401
lines=$(grep -c 'msg="webhook refused"' "$T/ag.log")
held=$(grep 'msg="webhook refused"' "$T/ag.log" | sed -n 's/.*suppressed=\([0-9]*\).*/\1/p' | awk '{ s += $1 } END { print s + 0 }')
check "51 refused webhooks write at most 3 log lines ($lines)" test "$lines" -ge 2 -a "$lines" -le 3
check_eq "the lines and the counts they carry add up to 51" "$((lines + held))" 51
check "a line counts the suppressed ones" grep -q 'msg="webhook refused".*suppressed=[1-9]' "$T/ag.log"
check "the source is named" grep -q 'msg="webhook refused".*source=127.0.0.1' "$T/ag.log"
finish
