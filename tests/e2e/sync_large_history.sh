#!/usr/bin/env bash
# An app of so many Deployments that one history entry does not fit in a ConfigMap: the
# history spans content-named parts (tether-history-<app>-<h16>), `tether history`
# reads them back, the next entry replaces them, and a kill -9 between the part write
# and the head write loses nothing (the old head still names parts that exist, the next
# sync converges and drops the stray part). kubectl is the witness.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
W=$T/repo
mkdir -p "$W" && git -C "$W" init -q -b main
N=${HIST_N:-1700}
# Deployments with long names and no replicas: ~370 bytes of history each, so that
# 1,700 make an entry over the 512 KiB a ConfigMap of history holds.
gen() { # IMAGE-TAG: N Deployments, one file
  python3 - "$W/deploys.yaml" "$N" "$1" <<'PY'
import sys
path, n, tag = sys.argv[1], int(sys.argv[2]), sys.argv[3]
pad = "x" * 220
with open(path, "w") as f:
    for i in range(n):
        name = f"d{i:05d}-{pad}"
        f.write(f"---\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {name}\n"
                f"  namespace: default\nspec:\n  replicas: 0\n  selector:\n"
                f"    matchLabels: {{app: d{i:05d}}}\n  template:\n    metadata:\n"
                f"      labels: {{app: d{i:05d}}}\n    spec:\n      containers:\n"
                f"        - {{name: c, image: 'nginx:{tag}'}}\n")
PY
}
commit() { git -C "$W" add -A && git -C "$W" -c user.name=t -c user.email=t@t commit -qm "$1"; }
sync() { "$TETHER" sync --repo "$W" --app hist --cache-dir "$T/cache" --no-wait "$@"; }
parts() { kubectl get configmaps -n default -l tether.dev/history-part=hist -o name | sort; }
head_parts() { kubectl get configmap tether-history-hist -n default -o jsonpath='{.data.parts}'; }
history_text() { # the head's piece, then its parts' in the head's order
  kubectl get configmap tether-history-hist -n default -o jsonpath='{.data.history\.json}'
  for p in $(head_parts); do kubectl get configmap "$p" -n default -o jsonpath='{.data.history\.json}'; done
}
newest() { # FIELD of the newest entry, from the text kubectl reads
  history_text | python3 -c 'import json,sys; e=json.load(sys.stdin)[0]; print(len(e["workloads"]) if sys.argv[1] == "workloads" else e[sys.argv[1]])' "$1"
}
last_result() { "$TETHER" get hist -n default -o json 2>&1 | tee "$T/get.out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["apps"][0]["lastResult"])'; }

gen 1.0 && commit "v1"
check_exit "a sync of $N Deployments" 0 sync
check_eq "the history has parts besides its head" "$(test "$(parts | wc -l)" -ge 1 && echo yes)" yes
check_eq "the head names exactly those parts" "$(parts | sed 's|configmap/||')" "$(head_parts | grep . | sort)"
p1=$(parts)
check_eq "kubectl reads the $N workloads of the entry across head and parts" "$(newest workloads)" "$N"
check_eq "...recorded for v1" "$(newest commit)" "$(git -C "$W" rev-parse HEAD)"
check_eq "tether get reads the history back through its parts" "$(last_result)" ok

# kill -9 between the writes: stop tether where the new parts are written and the head
# is not, and kill it there.
gen 2.0 && commit "v2"
old_head=$(kubectl get configmap tether-history-hist -n default -o jsonpath='{.data}')
gdb -q -batch -ex 'set pagination off' -ex 'break history_head' -ex run -ex kill \
  --args "$TETHER" sync --repo "$W" --app hist --cache-dir "$T/cache" --no-wait \
  >"$T/gdb.out" 2>&1
check_contains "tether was stopped at the head write" "$(cat "$T/gdb.out")" "history_head (ctx="
check_eq "the head is the one before the kill" \
  "$(kubectl get configmap tether-history-hist -n default -o jsonpath='{.data}')" "$old_head"
check_eq "it still reads whole: v1's $N workloads" "$(newest workloads)" "$N"
check "the new parts were written before the kill" test "$(parts | wc -l)" -gt "$(head_parts | grep -c .)"
check_eq "tether get still reads it" "$(last_result)" ok

# The next sync that writes records its entry and drops the parts no head names.
sed -i '0,/nginx:2.0/s//nginx:3.0/' "$W/deploys.yaml" && commit "v3: one Deployment"
check_exit "the next sync converges" 0 sync
check_contains "...changing the one Deployment" "$(cat "$T/check.out")" "1 changed"
check_eq "the newest entry is v3's, with every workload" "$(newest workloads)" "$N"
check_eq "...recorded for v3" "$(newest commit)" "$(git -C "$W" rev-parse HEAD)"
check_eq "the stray parts are gone: only named parts remain" "$(parts | sed 's|configmap/||')" \
  "$(head_parts | grep . | sort)"
check "no part of v1's head is left" sh -c "for p in $(echo $p1); do kubectl get -n default \$p >/dev/null 2>&1 && exit 1; done; exit 0"
finish
