#!/usr/bin/env bash
# An app whose inventory does not fit in one ConfigMap: the inventory spans content-named
# parts, a no-op sync writes nothing, a prune shrinks it, and a kill -9 between the part
# write and the head write loses nothing (the old head still names parts that exist; the
# next sync converges and drops the stray part). kubectl is the witness.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
W=$T/repo
mkdir -p "$W" && git -C "$W" init -q -b main
# ConfigMaps with long names: ~360 bytes of inventory each, so 3,400 need two pieces.
gen() { # FROM TO: the ConfigMaps cm-FROM .. cm-(TO-1), one file
  python3 - "$W/cms.yaml" "$1" "$2" <<'PY'
import sys
path, a, b = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
pad = "x" * 230
with open(path, "w") as f:
    for i in range(a, b):
        f.write(f"---\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i:05d}-{pad}\n"
                f"  namespace: default\ndata:\n  k: v{i}\n")
PY
}
commit() { git -C "$W" add -A && git -C "$W" -c user.name=t -c user.email=t@t commit -qm "$1"; }
sync() { "$TETHER" sync --repo "$W" --app big --cache-dir "$T/cache" --no-wait "$@"; }
count() { kubectl get configmaps -n default -l tether.dev/app=big -o name | wc -l; }
parts() { kubectl get configmaps -n default -l tether.dev/inventory-part=big -o name | sort; }
head_parts() { kubectl get configmap tether-inventory-big -n default -o jsonpath='{.data.parts}'; }
inv_lines() { # the objects the head and the parts it names hold
  { kubectl get configmap tether-inventory-big -n default -o jsonpath='{.data.objects}'
    for p in $(head_parts); do kubectl get configmap "$p" -n default -o jsonpath='{.data.objects}'; done
  } | grep -c .
}

gen 0 3400 && commit "3400 objects"
check_exit "a sync of 3,400 objects (more than one ConfigMap of inventory)" 0 sync
check_contains "all created" "$(cat "$T/check.out")" "3400 created"
check_eq "kubectl sees the 3,400 objects" "$(count)" 3400
check_eq "the inventory has one part besides its head" "$(parts | wc -l)" 1
check_eq "the head names that part" "configmap/$(head_parts)" "$(parts)"
check_eq "head and part together list every object" "$(inv_lines)" 3400
p1=$(parts)
rv=$(kubectl get configmap tether-inventory-big -n default -o jsonpath='{.metadata.resourceVersion}')
before=$(kubesim_requests PATCH)
check_exit "a second sync of the same commit" 0 sync
check_contains "...changes nothing" "$(cat "$T/check.out")" "3400 unchanged"
check_eq "...and writes nothing" "$(kubesim_requests PATCH)" "$before"
check_eq "...not even the inventory" \
  "$(kubectl get configmap tether-inventory-big -n default -o jsonpath='{.metadata.resourceVersion}')" "$rv"

# Prune 800: the inventory shrinks to what fits in its head; the part goes.
gen 0 2600 && commit "2600 objects"
check_exit "sync --prune of 800 removed objects" 0 sync --prune --force-prune
check_contains "800 pruned" "$(cat "$T/check.out")" "800 pruned"
check_eq "kubectl sees 2,600" "$(count)" 2600
check_eq "head and parts list the 2,600" "$(inv_lines)" 2600
check_eq "no part is left that the head does not name" "$(parts | wc -l)" "$(head_parts | grep -c .)"

# kill -9 between the writes: stop tether where the parts are written and the head is
# not, and kill it there.
gen 0 3200 && commit "3200 objects"
old_head=$(kubectl get configmap tether-inventory-big -n default -o jsonpath='{.data}')
gdb -q -batch -ex 'set pagination off' -ex 'break inventory_configmap' -ex run -ex kill \
  --args "$TETHER" sync --repo "$W" --app big --cache-dir "$T/cache" --no-wait \
  >"$T/gdb.out" 2>&1
check_contains "tether was stopped at the head write" "$(cat "$T/gdb.out")" "Breakpoint 1, inventory_configmap"
check_eq "the objects were applied before the kill" "$(count)" 3200
check_eq "the head is the one before the kill" \
  "$(kubectl get configmap tether-inventory-big -n default -o jsonpath='{.data}')" "$old_head"
check_eq "the old head still lists its 2,600" "$(inv_lines)" 2600
stray=$(parts | wc -l)
check "the new part was written before the kill" test "$stray" -gt "$(head_parts | grep -c .)"
check_exit "the next sync converges" 0 sync --prune
check_contains "...with nothing pruned" "$(cat "$T/check.out")" " 0 pruned"
check_eq "kubectl sees 3,200" "$(count)" 3200
check_eq "head and parts list the 3,200" "$(inv_lines)" 3200
check_eq "the stray part is gone: only named parts remain" "$(parts | sed 's|configmap/||')" \
  "$(head_parts | grep . | sort)"

# A part deleted by hand: nothing is applied or pruned, and the message says what to do.
p=$(head_parts | grep . | head -n1)
kubectl delete configmap "$p" -n default >/dev/null
gen 0 10 && commit "10 objects"
check_exit "a missing part refuses the sync" 2 sync --prune --force-prune
check_contains "...naming the part" "$(cat "$T/check.out")" "inventory part default/$p is missing"
check_eq "...and nothing was pruned" "$(count)" 3200
finish
