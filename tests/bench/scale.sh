#!/usr/bin/env bash
# One large app (issue #17): tether `sync --no-wait` vs `kubectl apply --server-side` on
# the same repository at growing sizes, each tool on a fresh kubesim with 5 ms of API
# latency. Where the machine has two cores, kubesim is pinned to core 0 and the measured
# tool to core 1 (taskset), so server and client do not compete.
#   wall time of the first sync          goal: tether >= 15x faster at 1,000, 20x at 10,000
#   peak RSS of the first sync           goal: tether <= 1/4 of kubectl's at every size
#   a no-op sync right after             goal: at most one LIST page per 500 objects per kind,
#                                              and no write
# Prints the growth table and PASS/MISS; exits 0 (a benchmark, not a test).
# Knobs: BENCH_SIZES ("1000 10000"; add 100000 for the largest: kubectl is then stopped
# after BENCH_KUBECTL_TIMEOUT, 600 s), BENCH_LATENCY_MS (5).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"

SIZES=${BENCH_SIZES:-1000 10000}
LATENCY=${BENCH_LATENCY_MS:-5}
KTIMEOUT=${BENCH_KUBECTL_TIMEOUT:-600}
APP=scale
[ -x "$TETHER" ] || { echo "bench: $TETHER is not built"; exit 1; }
cp "$TETHER" "$T/tether" && TETHER=$T/tether
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (Debian package 'time')"; exit 1; }
PIN_SIM=() PIN_TOOL=()
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null; then
  PIN_TOOL=(taskset -c 1)
  echo "kubesim pinned to core 0, the measured tool to core 1"
else
  echo "one core: kubesim and the measured tool share it"
fi

# gen DIR N: N objects in namespaces of 1,000 (a Namespace, then ConfigMaps, Services and
# Deployments in the ratio 6:2:2), files of at most 1,000 documents.
gen() {
  mkdir -p "$1"
  awk -v dir="$1" -v total="$2" 'BEGIN {
    made = 0
    for (n = 0; made < total; n++) {
      ns = sprintf("scale-%03d", n); f = sprintf("%s/%s.yaml", dir, ns)
      printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n---\n", ns > f; made++
      for (i = 1; i < 1000 && made < total; i++) {
        k = i % 10
        if (k < 6)
          printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%04d\n  namespace: %s\ndata:\n  index: \"%d\"\n---\n", i, ns, i > f
        else if (k < 8)
          printf "apiVersion: v1\nkind: Service\nmetadata:\n  name: svc-%04d\n  namespace: %s\nspec:\n  selector:\n    app: a%d\n  ports:\n  - port: 80\n---\n", i, ns, i > f
        else
          printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web-%04d\n  namespace: %s\nspec:\n  replicas: 0\n  selector:\n    matchLabels:\n      app: a%d\n  template:\n    metadata:\n      labels:\n        app: a%d\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n---\n", i, ns, i, i > f
        made++
      }
      close(f)
    }
  }'
}

timed() { # NAME CMD...: WALL, RSS_KB, RC
  local name=$1; shift
  /usr/bin/time -f '%e %M' -o "$T/$name.time" "$@" >"$T/$name.out" 2>&1
  RC=$?
  read -r WALL RSS_KB < <(tail -n 1 "$T/$name.time")
  [ "$RC" -ne 0 ] && { echo "# $name exited $RC:"; tail -n 4 "$T/$name.out" | sed 's/^/#   /'; }
  return 0
}
delta() { # FILE1 FILE2 VERB...|ALL
  local a=$1 b=$2; shift 2
  awk -v list="$*" 'BEGIN { n = split(list, L, " "); for (i = 1; i <= n; i++) want[L[i]] = 1 }
    FILENAME == ARGV[1] { before[$1] = $2; next }
    (list == "ALL" || ($1 in want)) { d += $2 - before[$1] }
    END { print d + 0 }' "$a" "$b"
}
sim() { # LABEL: a fresh kubesim with the latency, pinned
  kubesim_start "$1" --latency "$LATENCY" --pod-ready-ms 100 || return 1
  local pidvar=${1^^}_PID
  SIM_PID=${!pidvar}
  [ ${#PIN_TOOL[@]} -gt 0 ] && taskset -a -pc 0 "$SIM_PID" >/dev/null
  return 0
}
stop_sim() { kill "$SIM_PID" 2>/dev/null; wait "$SIM_PID" 2>/dev/null; }
kinds_pages() { # N: the LIST pages a no-op may make: per kind, ceil(objects of it / 500)
  awk -v n="$1" 'BEGIN { nsn = int((n + 999) / 1000); rest = n - nsn
    cm = int(rest * 0.6 + 0.5); svc = int(rest * 0.2 + 0.5); dep = rest - cm - svc
    p = 0; split(nsn " " cm " " svc " " dep, c, " ")
    for (i = 1; i <= 4; i++) p += int((c[i] + 499) / 500)
    print p }'
}

declare -A R
for N in $SIZES; do
  REPO=$T/repo-$N
  mkdir -p "$REPO" && git -C "$REPO" init -q -b main
  gen "$REPO/apps" "$N"
  git -C "$REPO" add -A && git -C "$REPO" -c user.name=b -c user.email=b@b commit -qm "$N objects"
  echo "== $N objects"
  # tether: the first sync, then a no-op
  sim t$N || exit 1
  timed t$N "${PIN_TOOL[@]}" "$TETHER" sync --repo "$REPO" --path apps --app "$APP" --no-wait \
    --kubeconfig "$KUBECONFIG" --cache-dir "$T/cache-$N"
  R[t$N.wall]=$WALL R[t$N.rss]=$((RSS_KB / 1024)) R[t$N.rc]=$RC
  kubesim_verbs >"$T/t$N.v1"
  timed t$N-noop "${PIN_TOOL[@]}" "$TETHER" sync --repo "$REPO" --path apps --app "$APP" \
    --no-wait --kubeconfig "$KUBECONFIG" --cache-dir "$T/cache-$N"
  R[t$N.noop.wall]=$WALL R[t$N.noop.rc]=$RC
  kubesim_verbs >"$T/t$N.v2"
  R[t$N.noop.list]=$(delta "$T/t$N.v1" "$T/t$N.v2" LIST)
  R[t$N.noop.writes]=$(delta "$T/t$N.v1" "$T/t$N.v2" POST PUT PATCH APPLY DELETE)
  stop_sim
  # kubectl
  sim k$N || exit 1
  timed k$N timeout "$KTIMEOUT" "${PIN_TOOL[@]}" kubectl apply --server-side -R -f "$REPO/apps"
  R[k$N.wall]=$WALL R[k$N.rss]=$((RSS_KB / 1024)) R[k$N.rc]=$RC
  [ "$RC" = 124 ] && R[k$N.wall]=">$KTIMEOUT"
  stop_sim
done

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a !~ /^[0-9.]+$/ || b + 0 == 0) print "n/a"; else printf "%.1f", a / b }'; }
echo
printf '%8s %10s %10s %8s %9s %9s %8s %11s %7s\n' objects "tether s" "kubectl s" speedup \
  "tether MB" "kubectl MB" "RSS" "no-op LIST" writes
for N in $SIZES; do
  printf '%8s %10s %10s %7sx %9s %9s %8s %6s/%-4s %7s\n' "$N" "${R[t$N.wall]}" "${R[k$N.wall]}" \
    "$(ratio "${R[k$N.wall]}" "${R[t$N.wall]}")" "${R[t$N.rss]}" "${R[k$N.rss]}" \
    "$(ratio "${R[t$N.rss]}" "${R[k$N.rss]}")" "${R[t$N.noop.list]}" "$(kinds_pages "$N")" \
    "${R[t$N.noop.writes]}"
done
echo
for N in $SIZES; do
  goal=15; [ "$N" -ge 10000 ] && goal=20
  ok=$([ "${R[t$N.rc]}" = 0 ] && [ "${R[t$N.noop.rc]}" = 0 ] && echo y)
  sp=$(ratio "${R[k$N.wall]}" "${R[t$N.wall]}")
  if [ "$N" -ge 100000 ]; then
    echo "$N: speedup ${sp}x (no goal at this size; kubectl exit ${R[k$N.rc]})"
  else
    echo "$N: speedup ${sp}x               goal >= $goal:   $([ -n "$ok" ] && bench_verdict "$sp" "$goal" || echo "MISS (tether failed)")"
  fi
  rr=$(ratio "${R[t$N.rss]}" "${R[k$N.rss]}")
  echo "$N: RSS tether/kubectl = $rr      goal <= 0.25: $(bench_verdict "$rr" 0.25 le)"
  echo "$N: no-op LIST ${R[t$N.noop.list]} (at most $(kinds_pages "$N") + 2 for the inventory), writes ${R[t$N.noop.writes]}: $(bench_verdict "${R[t$N.noop.list]}" $(( $(kinds_pages "$N") + 2 )) le) $(bench_verdict "${R[t$N.noop.writes]}" 0 le)"
done
exit 0
