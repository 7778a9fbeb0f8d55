#!/usr/bin/env bash
# kubesim's cost per request in instructions, for each git revision given (default: ac802e6,
# kubesim before strict validation, and HEAD), and the ratio of each to the first. Throughput
# on a loaded shared machine swings by several times; an instruction count is the same for
# the same binary and inputs whatever the load, so a 10% change shows.
#   bash tests/bench/kubesim_cost.sh [REV...]
# Each revision is checked out with `git worktree add --detach` into a temporary directory,
# built with `make build/kubesim` and run under `valgrind --tool=callgrind` (plain HTTP,
# --seed 1), counting only inside the request handlers (MHD's on_request and on_completed:
# parsing, authorization, validation, storage and the answer; not the controllers' own
# threads). A fixed mix is sent one request at a time with tests/bench/load.c and the
# counters are dumped after each kind of request. A benchmark, not a test: exits 0 unless
# something needed to measure is missing. Knob: BENCH_COST_DIV divides the request counts
# (default 1: 2000 GETs, 500 LISTs of 100, 1000 applies of a Deployment, 500 creates of a
# custom resource whose CRD has a schema).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"

DIV=${BENCH_COST_DIV:-1}
N_GET=$((2000 / DIV)) N_LIST=$((500 / DIV)) N_APPLY=$((1000 / DIV)) N_CR=$((500 / DIV))
PHASES=(get list apply crcreate)
declare -A LABEL=([get]="GET one ConfigMap" [list]="LIST 100 ConfigMaps"
  [apply]="apply a Deployment (writes)" [crcreate]="create a custom resource")
declare -A COUNT=([get]=$N_GET [list]=$N_LIST [apply]=$N_APPLY [crcreate]=$N_CR)
declare -A COST # COST[rev,phase] = instructions per request

command -v valgrind >/dev/null && command -v callgrind_control >/dev/null ||
  { echo "bench: valgrind (callgrind) is not installed"; exit 1; }
bench_build_load || { echo "bench: cannot build the load generator"; exit 1; }
REVS=("$@")
[ ${#REVS[@]} -gt 0 ] || REVS=(ac802e6 HEAD)

_trees=()
_cost_cleanup() {
  local t
  for t in "${_trees[@]}"; do git -C "$ROOT" worktree remove --force "$t" >/dev/null 2>&1; done
  _cleanup
}
trap _cost_cleanup EXIT

# sim_build REV: builds kubesim at REV into $T/src-REV; sets SIM_BIN.
sim_build() {
  local dir=$T/src-$1
  git -C "$ROOT" worktree add --detach "$dir" "$1" >/dev/null 2>&1 || return 1
  _trees+=("$dir")
  make -C "$dir" -j2 build/kubesim >"$T/build-$1.log" 2>&1 || {
    grep 'error:' "$T/build-$1.log" | head -n 5; return 1; }
  SIM_BIN=$dir/build/kubesim
}

# cg_dump NAME: dumps the counters gathered since the last dump and prints their total.
cg_dump() {
  local before after f
  before=$(find "$CG_DIR" -name 'cg.out.*' | wc -l)
  callgrind_control -d "$1" "$CG_PID" >/dev/null 2>&1
  for _ in $(seq 1 200); do
    after=$(find "$CG_DIR" -name 'cg.out.*' | wc -l)
    [ "$after" -gt "$before" ] && break
    sleep 0.1
  done
  f=$(grep -l "^desc: Trigger: dump $1\$" "$CG_DIR"/cg.out.* 2>/dev/null | head -n 1)
  [ -n "$f" ] || return 1
  awk '/^(summary|totals):/ { print $2; exit }' "$f"
}

# cg_start REV: starts $SIM_BIN under callgrind (as kubesim_start does, slower to come up);
# sets CG_PID, KUBESIM_URL and KUBESIM_TOKEN.
cg_start() {
  local out=$T/sim-$1.out
  valgrind --tool=callgrind --callgrind-out-file="$CG_DIR/cg.out" \
    --toggle-collect=on_request --toggle-collect=on_completed \
    "$SIM_BIN" --http --seed 1 --listen 127.0.0.1:0 --kubeconfig-out "$T/sim-$1.kubeconfig" \
    >"$out" 2>"$T/sim-$1.err" &
  CG_PID=$!
  _pids+=("$CG_PID")
  for _ in $(seq 1 600); do
    if grep -q '^kubesim listening on ' "$out" 2>/dev/null; then
      KUBESIM_URL=$(sed -n 's/^kubesim listening on //p' "$out" | head -n 1)
      KUBESIM_TOKEN=$(sed -n 's/^    token: //p' "$T/sim-$1.kubeconfig" | head -n 1)
      return 0
    fi
    sleep 0.1
  done
  sed 's/^/#   /' "$T/sim-$1.err" | tail -n 5
  return 1
}

# run_load NAME N ARGS...: N requests one at a time; fails (and says why) on any error.
run_load() {
  local name=$1 n=$2 out; shift 2
  out=$("$LOAD" -n "$n" -c 1 -H "Authorization: Bearer $KUBESIM_TOKEN" "$@")
  if [ "$(bench_field "$out" errors)" != 0 ]; then
    echo "bench: $name: $(bench_field "$out" errors) errors, first status $(bench_field "$out" first_error); one request:"
    "$LOAD" -v -n 1 -c 1 -H "Authorization: Bearer $KUBESIM_TOKEN" "$@" 2>&1 | sed 's/^/#   /' | head -n 5
    return 1
  fi
}

JSON_CT='Content-Type: application/json'
APPLY_CT='Content-Type: application/apply-patch+yaml'
CM='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"cm-{n}"},"data":{"key":"value-{n}","other":"0123456789abcdef"}}'
# A Deployment with zero replicas and a new annotation each time: every apply writes, and
# no rollout or pod follows, so the figure is the apply itself.
DEPLOY='{"apiVersion":"apps/v1","kind":"Deployment","metadata":{"name":"web-{i}","labels":{"app":"web"},"annotations":{"bench/serial":"{n}"}},"spec":{"replicas":0,"selector":{"matchLabels":{"app":"web-{i}"}},"template":{"metadata":{"labels":{"app":"web-{i}"}},"spec":{"containers":[{"name":"web","image":"nginx:1.27","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"requests":{"cpu":"100m","memory":"64Mi"}}}]}}}}'
CRD='{"apiVersion":"apiextensions.k8s.io/v1","kind":"CustomResourceDefinition","metadata":{"name":"widgets.bench.example.com"},"spec":{"group":"bench.example.com","scope":"Namespaced","names":{"plural":"widgets","singular":"widget","kind":"Widget","listKind":"WidgetList"},"versions":[{"name":"v1","served":true,"storage":true,"schema":{"openAPIV3Schema":{"type":"object","properties":{"spec":{"type":"object","required":["size","color"],"properties":{"size":{"type":"integer","minimum":1,"maximum":100},"color":{"type":"string","enum":["red","green","blue"]},"name":{"type":"string","maxLength":63,"pattern":"^[a-z0-9-]+$"},"tags":{"type":"array","items":{"type":"string"}},"limits":{"type":"object","additionalProperties":{"type":"string"}},"port":{"x-kubernetes-int-or-string":true}}}}}}}]}}'
CR='{"apiVersion":"bench.example.com/v1","kind":"Widget","metadata":{"name":"w-{n}","labels":{"app":"bench"}},"spec":{"size":7,"color":"green","name":"widget-{n}","tags":["a","b","c"],"limits":{"cpu":"1","memory":"1Gi"},"port":8080}}'

# measure REV: one run of the mix against kubesim built at REV; fills COST[REV,phase].
measure() {
  local rev=$1 total p
  sim_build "$rev" || { echo "bench: cannot build kubesim at $rev"; return 1; }
  CG_DIR=$T/cg-$rev
  mkdir -p "$CG_DIR"
  cg_start "$rev" || { echo "bench: kubesim at $rev did not start"; return 1; }
  local ns=$KUBESIM_URL/api/v1/namespaces/bench
  kcurl -sf -X POST -H "$JSON_CT" -d '{"metadata":{"name":"bench"}}' "$KUBESIM_URL/api/v1/namespaces" >/dev/null &&
    run_load "setup: configmaps" 100 -X POST -H "$JSON_CT" -d "$CM" "$ns/configmaps" &&
    kcurl -sf -X POST -H "$JSON_CT" -d "$CRD" "$KUBESIM_URL/apis/apiextensions.k8s.io/v1/customresourcedefinitions" >/dev/null ||
    { echo "bench: setup failed at $rev"; return 1; }
  for _ in $(seq 1 100); do
    kcurl -sf "$KUBESIM_URL/apis/bench.example.com/v1/namespaces/bench/widgets" >/dev/null && break
    sleep 0.2
  done
  cg_dump setup >/dev/null || { echo "bench: callgrind_control cannot dump at $rev"; return 1; }

  run_load get "$N_GET" -m 100 "$ns/configmaps/cm-{i}" || return 1
  total=$(cg_dump get) && COST[$rev,get]=$((total / N_GET))
  run_load list "$N_LIST" "$ns/configmaps" || return 1
  total=$(cg_dump list) && COST[$rev,list]=$((total / N_LIST))
  run_load apply "$N_APPLY" -m 100 -X PATCH -H "$APPLY_CT" -d "$DEPLOY" \
    "$KUBESIM_URL/apis/apps/v1/namespaces/bench/deployments/web-{i}?fieldManager=bench&force=true" || return 1
  total=$(cg_dump apply) && COST[$rev,apply]=$((total / N_APPLY))
  run_load crcreate "$N_CR" -X POST -H "$JSON_CT" -d "$CR" \
    "$KUBESIM_URL/apis/bench.example.com/v1/namespaces/bench/widgets" || return 1
  total=$(cg_dump crcreate) && COST[$rev,crcreate]=$((total / N_CR))
  for p in "${PHASES[@]}"; do [ -n "${COST[$rev,$p]:-}" ] || { echo "bench: no figure for $p at $rev"; return 1; }; done
  kill "$CG_PID" 2>/dev/null
  wait "$CG_PID" 2>/dev/null
}

for rev in "${REVS[@]}"; do
  echo "measuring kubesim at $rev ($(git -C "$ROOT" rev-parse --short "$rev" 2>/dev/null))"
  measure "$rev" || exit 1
done

echo
printf '%-36s' "instructions per request"
for rev in "${REVS[@]}"; do printf ' %14s' "$rev"; done
for rev in "${REVS[@]:1}"; do printf ' %9s' "ratio"; done
echo
for p in "${PHASES[@]}"; do
  printf '%-36s' "${LABEL[$p]} (x${COUNT[$p]})"
  for rev in "${REVS[@]}"; do printf ' %14s' "${COST[$rev,$p]}"; done
  for rev in "${REVS[@]:1}"; do
    printf ' %9s' "$(awk -v a="${COST[$rev,$p]}" -v b="${COST[${REVS[0]},$p]}" 'BEGIN { printf "%.3f", a / b }')"
  done
  echo
done
exit 0
