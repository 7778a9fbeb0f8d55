#!/usr/bin/env bash
# kubesim's raw speed on loopback with no added latency: GET (parallel and one
# sequential client), LIST of 100 objects and server-side apply that really writes.
# Prints figures and PASS/MISS against the goals; exits 0 (a benchmark, not a test).
# Knobs: BENCH_SECONDS (3 per figure), BENCH_PARALLEL (16 connections), BENCH_KUBESIM_FLAGS
# (extra kubesim flags, e.g. --http to leave TLS out of the figures).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"

SECONDS_PER_RUN=${BENCH_SECONDS:-3}
PAR=${BENCH_PARALLEL:-16}

bench_build_load || { echo "bench: cannot build the load generator"; exit 1; }
# shellcheck disable=SC2086
kubesim_start --pod-ready-ms 100 ${BENCH_KUBESIM_FLAGS:-} || { echo "bench: kubesim did not start"; exit 1; }
bench_auth || { echo "bench: cannot read the kubeconfig"; exit 1; }
# kcurl, not kubectl: with --http kubectl would send no credentials
kcurl -sf -X POST -H 'Content-Type: application/json' -d '{"metadata":{"name":"bench"}}' \
  "$SERVER/api/v1/namespaces" >/dev/null || { echo "bench: cannot create a namespace"; exit 1; }
NS_URL=$SERVER/api/v1/namespaces/bench/configmaps

# measure NAME CONC MAXN LOAD-ARGS...: a short probe sizes the run to about
# SECONDS_PER_RUN seconds; prints the rate and stores it in RATE[NAME].
declare -A RATE
measure() {
  local name=$1 conc=$2 maxn=$3 out rps n; shift 3
  out=$("$LOAD" -n $((conc * 60 < 1000 ? 1000 : conc * 60)) -c "$conc" "${AUTH[@]}" "$@")
  rps=$(bench_field "$out" rps)
  n=$(awk -v r="${rps:-0}" -v s="$SECONDS_PER_RUN" -v m="$maxn" -v c="$conc" \
    'BEGIN { n = int(r * s); if (n < c * 20) n = c * 20; if (n > m) n = m; print n }')
  out=$("$LOAD" -n "$n" -c "$conc" "${AUTH[@]}" "$@")
  RATE[$name]=$(bench_field "$out" rps)
  printf '%-34s %8s/s  (%s requests, %s errors, %ss)\n' "$name" "${RATE[$name]}" \
    "$(bench_field "$out" requests)" "$(bench_field "$out" errors)" "$(bench_field "$out" seconds)"
  if [ "$(bench_field "$out" errors)" != 0 ]; then
    echo "#   first error status $(bench_field "$out" first_error); one request:"
    "$LOAD" -v -n 1 -c 1 "${AUTH[@]}" "$@" 2>&1 | sed 's/^/#   /' | head -n 3
  fi
}

JSON_CT='Content-Type: application/json'
APPLY_CT='Content-Type: application/apply-patch+yaml'
CM='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{n}"},"data":{"key":"value-{n}","other":"0123456789abcdef"}}'
out=$("$LOAD" -X POST -H "$JSON_CT" -d "$CM" -n 100 -c 8 "${AUTH[@]}" "$NS_URL")
echo "setup: created 100 configmaps: $out"
LISTED=$(kcurl -s "$NS_URL" | jq '.items | length')
[ "$LISTED" -ge 100 ] || echo "# warning: only $LISTED configmaps exist; figures below are suspect"

echo
echo "kubesim on loopback ($SERVER), no added latency, $(nproc) cores shared with everything else"
echo "--------------------------------------------------------------------------------"
measure "GET (parallel, $PAR connections)" "$PAR" 200000 -m 100 "$NS_URL/cm-{i}"
measure "GET (one sequential client)" 1 50000 -m 100 "$NS_URL/cm-{i}"
measure "LIST 100 objects (parallel)" "$PAR" 20000 "$NS_URL"
APPLY='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{i}"},"data":{"key":"applied-{n}"}}'
measure "apply, real writes (parallel)" "$PAR" 100000 -X PATCH -H "$APPLY_CT" -d "$APPLY" -m 100 \
  "$NS_URL/cm-{i}?fieldManager=bench&force=true"
measure "apply, real writes (sequential)" 1 50000 -X PATCH -H "$APPLY_CT" -d "$APPLY" -m 100 \
  "$NS_URL/cm-{i}?fieldManager=bench&force=true"
NOOP='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{i}"},"data":{"key":"steady"}}'
"$LOAD" -X PATCH -H "$APPLY_CT" -d "$NOOP" -m 100 -n 100 -c 8 "${AUTH[@]}" \
  "$NS_URL/cm-{i}?fieldManager=bench&force=true" >/dev/null
RV1=$(kcurl -s "$NS_URL/cm-7" | jq -r .metadata.resourceVersion)
measure "apply, no-op (parallel)" "$PAR" 100000 -X PATCH -H "$APPLY_CT" -d "$NOOP" -m 100 \
  "$NS_URL/cm-{i}?fieldManager=bench&force=true"
RV2=$(kcurl -s "$NS_URL/cm-7" | jq -r .metadata.resourceVersion)
[ "$RV1" = "$RV2" ] || echo "# note: a no-op apply changed resourceVersion ($RV1 -> $RV2); it must not"
measure "dry-run apply (parallel)" "$PAR" 100000 -X PATCH -H "$APPLY_CT" -d "$APPLY" -m 100 \
  "$NS_URL/cm-{i}?fieldManager=bench&force=true&dryRun=All"

echo
echo "goal                                   measured      verdict"
printf '%-38s %8s/s    %s\n' "GET/s parallel >= 10000" "${RATE["GET (parallel, $PAR connections)"]}" \
  "$(bench_verdict "${RATE["GET (parallel, $PAR connections)"]}" 10000)"
printf '%-38s %8s/s    %s\n' "GET/s sequential >= 1000" "${RATE["GET (one sequential client)"]}" \
  "$(bench_verdict "${RATE["GET (one sequential client)"]}" 1000)"
printf '%-38s %8s/s    %s\n' "apply/s parallel >= 2000" "${RATE["apply, real writes (parallel)"]}" \
  "$(bench_verdict "${RATE["apply, real writes (parallel)"]}" 2000)"
printf '%-38s %8s/s    %s\n' "LIST of 100 (no goal)" "${RATE["LIST 100 objects (parallel)"]}" "-"
echo "kubesim peak RSS: $(awk '/VmHWM/ {print $2, $3}' /proc/"$SIM_PID"/status 2>/dev/null)"
exit 0
