#!/usr/bin/env bash
# tether vs kubectl on a 1,000-object repository (issue #3). Each measurement gets a
# fresh kubesim so neither tool benefits from the other's work:
#   (a) first sync with 5 ms of API latency: wall time        goal: tether >= 10x faster
#   (b) first sync, no latency: CPU time user+sys              goal: tether <= 1/3 kubectl
#   (c) a no-op sync right after (b): requests from /metrics   goal: tether 0 writes
#   (d) peak RSS of the first sync                             goal: tether < 30 MB
# Prints a table, ratios and PASS/MISS; exits 0 (a benchmark, not a test).
# Knobs: BENCH_NAMESPACES (10), BENCH_PER_KIND (33 of each kind per namespace),
# BENCH_LATENCY_MS (5), BENCH_TETHER_FLAGS (extra flags for tether sync, e.g. --parallel 32). Takes about a minute on two busy cores.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"

NS_COUNT=${BENCH_NAMESPACES:-10}
PER_KIND=${BENCH_PER_KIND:-33} # per namespace: deployments, services and configmaps each
LATENCY=${BENCH_LATENCY_MS:-5}
APP=bench

[ -x "$TETHER" ] || { echo "bench: $TETHER is not built"; exit 1; }
cp "$TETHER" "$T/tether" && TETHER=$T/tether # others may relink build/tether meanwhile
[ -x /usr/bin/time ] || { echo "bench: /usr/bin/time is missing (Debian package 'time')"; exit 1; }

# ---- the repository ----------------------------------------------------------------------
gen_repo() { # one awk run writes every file (a shell loop of heredocs takes seconds)
  mkdir -p "$1/apps"
  awk -v dir="$1/apps" -v nns="$NS_COUNT" -v per="$PER_KIND" 'BEGIN {
    for (n = 1; n <= nns; n++) {
      ns = sprintf("bench-%02d", n)
      printf "apiVersion: v1\nkind: Namespace\nmetadata:\n  name: %s\n  labels:\n    bench: \"yes\"\n---\n", ns > (dir "/00-namespaces.yaml")
      system("mkdir -p " dir "/" ns)
      d = dir "/" ns "/deployments.yaml"; s = dir "/" ns "/services.yaml"; c = dir "/" ns "/configmaps.yaml"
      for (i = 1; i <= per; i++) {
        a = sprintf("app-%02d", i)
        printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    bench: \"yes\"\n    app: %s\nspec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: %s\n  template:\n    metadata:\n      labels:\n        app: %s\n    spec:\n      containers:\n      - name: app\n        image: nginx:1.25\n        ports:\n        - containerPort: 8080\n        env:\n        - name: INDEX\n          value: \"%d\"\n---\n", a, ns, a, a, a, i > d
        printf "apiVersion: v1\nkind: Service\nmetadata:\n  name: %s\n  namespace: %s\n  labels:\n    bench: \"yes\"\nspec:\n  selector:\n    app: %s\n  ports:\n  - name: http\n    port: 80\n    targetPort: 8080\n---\n", a, ns, a > s
        printf "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: config-%02d\n  namespace: %s\n  labels:\n    bench: \"yes\"\ndata:\n  index: \"%d\"\n  settings.yaml: |\n    level: info\n    name: %s\n---\n", i, ns, i, a > c
      }
      close(d); close(s); close(c)
    }
  }'
}

REPO=$T/repo
mkdir -p "$REPO"
git init -q "$REPO"
gen_repo "$REPO"
git -C "$REPO" add -A && git -C "$REPO" commit -q -m "1,000 objects"
TOTAL=$((NS_COUNT + NS_COUNT * PER_KIND * 3))
echo "repository: $TOTAL objects ($NS_COUNT namespaces; $PER_KIND deployments, services and configmaps in each)"

# ---- measuring -------------------------------------------------------------------------------
# timed NAME CMD...: runs CMD under /usr/bin/time; sets WALL, CPU (user+sys), RSS_KB, RC.
timed() {
  local name=$1; shift
  /usr/bin/time -f '%e %U %S %M' -o "$T/$name.time" "$@" >"$T/$name.out" 2>&1
  RC=$?
  read -r WALL U S RSS_KB < <(tail -n 1 "$T/$name.time")
  CPU=$(awk -v u="$U" -v s="$S" 'BEGIN { printf "%.2f", u + s }')
  if [ "$RC" -ne 0 ]; then
    echo "# $name exited $RC:"; tail -n 8 "$T/$name.out" | sed 's/^/#   /'
  fi
}
# the two commands measured (arrays: /usr/bin/time runs programs, not shell functions)
tether_cmd() { # cache dir name
  CMD=("$TETHER" sync --repo "$REPO" --path apps --app "$APP" --no-wait
       --kubeconfig "$KUBECONFIG" --cache-dir "$T/cache-$1" ${BENCH_TETHER_FLAGS:-})
}
kubectl_cmd() { CMD=(kubectl apply --server-side -R -f "$REPO/apps"); }
# counted: objects of the repository present in the cluster now.
counted() {
  echo $(( $(kubectl get ns -l bench=yes -o name 2>/dev/null | wc -l) +
           $(kubectl get deploy,svc,cm -A -l bench=yes -o name 2>/dev/null | wc -l) ))
}
# verbs: "VERB COUNT" of the current kubesim into FILE.
verbs() { kubesim_verbs >"$1"; }
# delta FILE1 FILE2 VERB...: summed growth of the given verbs.
delta() {
  local a=$1 b=$2; shift 2
  awk -v list="$*" 'BEGIN { n = split(list, L, " "); for (i = 1; i <= n; i++) want[L[i]] = 1 }
    FILENAME == ARGV[1] { before[$1] = $2; next }
    (list == "ALL" || ($1 in want)) { d += $2 - before[$1] }
    END { print d + 0 }' "$a" "$b"
}
stop_sim() { kill "$1" 2>/dev/null; wait "$1" 2>/dev/null; }
WRITES="POST PUT PATCH APPLY DELETE"

declare -A R
run_one() { # tool label latency
  local tool=$1 label=$2 lat=$3 pidvar
  local flags=(--pod-ready-ms 100)
  [ "$lat" -gt 0 ] && flags+=(--latency "$lat")
  kubesim_start "$label" "${flags[@]}" || { echo "# kubesim did not start"; return 1; }
  pidvar=${label^^}_PID
  verbs "$T/$label.v0"
  if [ "$tool" = tether ]; then tether_cmd "$label"; else kubectl_cmd; fi
  timed "$label" "${CMD[@]}"
  R[$label.wall]=$WALL R[$label.cpu]=$CPU R[$label.rss]=$((RSS_KB / 1024)) R[$label.rc]=$RC
  verbs "$T/$label.v1"
  R[$label.objects]=$(counted)
  R[$label.req]=$(delta "$T/$label.v0" "$T/$label.v1" ALL)
  R[$label.writes]=$(delta "$T/$label.v0" "$T/$label.v1" $WRITES)
  R[$label.verbs]=$(awk 'FILENAME == ARGV[1] { b[$1] = $2; next }
    { d = $2 - b[$1]; if (d) printf "%s%s=%d", sep, $1, d; sep = " " }' "$T/$label.v0" "$T/$label.v1")
  if [ "$lat" -eq 0 ]; then # (c): the same command again, nothing changed in Git
    verbs "$T/$label.v1" # again: counted() above made requests too
    timed "$label-noop" "${CMD[@]}"
    R[$label.noop.wall]=$WALL R[$label.noop.rc]=$RC R[$label.noop.cpu]=$CPU
    verbs "$T/$label.v2"
    R[$label.noop.req]=$(delta "$T/$label.v1" "$T/$label.v2" ALL)
    R[$label.noop.list]=$(delta "$T/$label.v1" "$T/$label.v2" LIST)
    R[$label.noop.get]=$(delta "$T/$label.v1" "$T/$label.v2" GET)
    R[$label.noop.writes]=$(delta "$T/$label.v1" "$T/$label.v2" $WRITES)
  fi
  stop_sim "${!pidvar}"
}

START=$(date +%s)
echo "(a) first sync, kubesim --latency $LATENCY"
run_one tether ta "$LATENCY"
run_one kubectl ka "$LATENCY"
echo "(b)-(d) first sync and a no-op sync, no latency"
run_one tether tb 0
run_one kubectl kb 0

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0) print "n/a"; else printf "%.2f", a / b }'; }
echo
printf '%-44s %12s %12s\n' "" tether kubectl
printf '%-44s %12s %12s\n' "(a) first sync wall s, ${LATENCY} ms latency" "${R[ta.wall]}" "${R[ka.wall]}"
printf '%-44s %12s %12s\n' "    resource requests / objects after" "${R[ta.req]} / ${R[ta.objects]}" "${R[ka.req]} / ${R[ka.objects]}"
echo "    tether requests by verb:  ${R[ta.verbs]}"
echo "    kubectl requests by verb: ${R[ka.verbs]}"
printf '%-44s %12s %12s\n' "(b) first sync CPU s (user+sys), no latency" "${R[tb.cpu]}" "${R[kb.cpu]}"
printf '%-44s %12s %12s\n' "    wall s" "${R[tb.wall]}" "${R[kb.wall]}"
printf '%-44s %12s %12s\n' "    requests / writes (dry-runs included)" "${R[tb.req]} / ${R[tb.writes]}" "${R[kb.req]} / ${R[kb.writes]}"
printf '%-44s %12s %12s\n' "(c) no-op sync: resource requests" "${R[tb.noop.req]}" "${R[kb.noop.req]}"
printf '%-44s %12s %12s\n' "    LIST / GET / writes" \
  "${R[tb.noop.list]}/${R[tb.noop.get]}/${R[tb.noop.writes]}" "${R[kb.noop.list]}/${R[kb.noop.get]}/${R[kb.noop.writes]}"
printf '%-44s %12s %12s\n' "    wall s / CPU s" "${R[tb.noop.wall]} / ${R[tb.noop.cpu]}" "${R[kb.noop.wall]} / ${R[kb.noop.cpu]}"
printf '%-44s %12s %12s\n' "(d) first sync peak RSS MB (no latency)" "${R[tb.rss]}" "${R[kb.rss]}"
printf '%-44s %12s %12s\n' "    exit status (a, b, no-op)" \
  "${R[ta.rc]},${R[tb.rc]},${R[tb.noop.rc]}" "${R[ka.rc]},${R[kb.rc]},${R[kb.noop.rc]}"

echo
# good LABEL...: the runs exited 0 and left every object in the cluster; a goal measured
# on a failed run is a MISS whatever the figure says.
good() { local l; for l; do [ "${R[$l.rc]}" = 0 ] && [ "${R[$l.objects]}" = "$TOTAL" ] || return 1; done; }
verdict() { # labels... -- value goal [le]
  local ls=(); while [ "$1" != -- ]; do ls+=("$1"); shift; done; shift
  if good "${ls[@]}"; then bench_verdict "$@"; else echo "MISS (a run failed or left objects out)"; fi
}
SPEED=$(ratio "${R[ka.wall]}" "${R[ta.wall]}")
CPU_R=$(ratio "${R[tb.cpu]}" "${R[kb.cpu]}")
NOOP_OK=${R[tb.noop.rc]}
echo "(a) kubectl wall / tether wall = ${SPEED}x            goal >= 10:    $(verdict ta ka -- "$SPEED" 10)"
echo "(b) tether CPU / kubectl CPU = ${CPU_R}               goal <= 0.33:  $(verdict tb kb -- "$CPU_R" 0.3334 le)"
if [ "$NOOP_OK" = 0 ]; then c_verdict=$(verdict tb -- "${R[tb.noop.writes]}" 0 le); else c_verdict="MISS (the no-op sync failed)"; fi
echo "(c) tether no-op writes = ${R[tb.noop.writes]} (kubectl ${R[kb.noop.writes]})     goal 0:        $c_verdict"
echo "(d) tether peak RSS = ${R[tb.rss]} MB                 goal < 30:     $(verdict tb -- "${R[tb.rss]}" 29 le)"
echo "total bench time: $(( $(date +%s) - START ))s"
exit 0
