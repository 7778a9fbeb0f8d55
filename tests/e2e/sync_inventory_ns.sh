#!/usr/bin/env bash
# Inventory location: from the app's configuration alone (--inventory-namespace, else
# --namespace, else "default"), never the kubeconfig context. Two kubeconfigs whose
# contexts name different namespaces share one inventory; an inventory an older tether
# left in the context's namespace is moved once; two inventories are an error.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
for ns in alpha beta shop; do kubectl create namespace $ns >/dev/null; done
for ns in alpha beta; do
  cp "$KUBECONFIG" "$T/$ns.kubeconfig"
  kubectl --kubeconfig "$T/$ns.kubeconfig" config set-context --current --namespace=$ns >/dev/null
done

W=$(git_repo shop)
for n in a b c; do
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%s\n  namespace: shop\ndata:\n  k: "%s"\n' \
    $n $n >"$W/cm-$n.yaml"
done
git_commit "$W" "v1" >/dev/null
sync() { # $1 = kubeconfig
  local kc=$1; shift
  "$TETHER" sync --repo "$GIT_BASE_URL/shop.git" --cache-dir "$T/cache" --no-wait \
    --kubeconfig "$kc" "$@"
}
inventories() {
  kubectl get configmap -A -l tether.dev/inventory=shop \
    -o jsonpath='{range .items[*]}{.metadata.namespace}/{.metadata.name}{" "}{end}'
}
check_exit "sync from the alpha context" 0 sync "$T/alpha.kubeconfig"
check_exit "sync from the beta context" 0 sync "$T/beta.kubeconfig"
check_eq "one inventory, in the namespace default" "$(inventories)" \
  "default/tether-inventory-shop "

git -C "$W" rm -q cm-a.yaml
git_commit "$W" "drop a" >/dev/null
check_exit "prune from the other context" 0 sync "$T/alpha.kubeconfig" --prune
check_fail "cm-a is pruned" kubectl get configmap cm-a -n shop
check "cm-b stays" kubectl get configmap cm-b -n shop
hist=$(kubectl get configmap tether-history-shop -n default -o jsonpath='{.data.history\.json}')
check_eq "history: both syncs that wrote, newest first, all ok" \
  "$(printf '%s' "$hist" | jq -c '[.[].result]')" '["ok","ok"]'
check_fail "no history in the contexts' namespaces" \
  kubectl get configmap tether-history-shop -n alpha
# Another app may not take shop's objects: had it relabelled them, shop's LIST (by its
# label) would miss them and the next sync would call them created.
check_exit "another app may not take shop's objects" 2 sync "$T/beta.kubeconfig" -n shop \
  --app shop2
check_eq "cm-b is still shop's" \
  "$(kubectl get configmap cm-b -n shop -o jsonpath='{.metadata.labels.tether\.dev/app}')" shop
# Another app with its own objects, with -n.
W2=$(git_repo shop2)
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-two\n' >"$W2/cm-two.yaml"
git_commit "$W2" "v1" >/dev/null
check_exit "-n names the inventory's namespace too" 0 "$TETHER" sync --no-wait \
  --repo "$GIT_BASE_URL/shop2.git" --cache-dir "$T/cache" --kubeconfig "$T/beta.kubeconfig" \
  -n shop --app shop2
check "the inventory of shop2 is in shop" kubectl get configmap tether-inventory-shop2 -n shop

# An inventory where an older tether put it (the context's namespace): moved once.
kubectl get configmap tether-inventory-shop -n default -o json |
  jq '.metadata |= {name, namespace: "alpha", labels}' | kubectl create -f - >/dev/null
kubectl get configmap tether-history-shop -n default -o json |
  jq '.metadata |= {name, namespace: "alpha", labels}' | kubectl create -f - >/dev/null
kubectl delete configmap tether-inventory-shop tether-history-shop -n default >/dev/null
diff_shop() { # $1 = kubeconfig
  local kc=$1; shift
  "$TETHER" diff --repo "$GIT_BASE_URL/shop.git" --cache-dir "$T/cache" --kubeconfig "$kc" "$@"
}
check_exit "diff reads the legacy inventory: in sync" 0 diff_shop "$T/alpha.kubeconfig"
check_contains "diff says the inventory will move" "$(cat "$T/check.out")" \
  "inventory at alpha/tether-inventory-shop will be moved to default/tether-inventory-shop by the next sync"
check_exit "diff -o json" 0 diff_shop "$T/alpha.kubeconfig" -o json
check_eq "diff -o json: inventoryMoved" "$(jq -r '.inventoryMoved' "$T/check.out")" \
  "inventory at alpha/tether-inventory-shop will be moved to default/tether-inventory-shop by the next sync"
check_eq "diff moves nothing" "$(inventories)" "alpha/tether-inventory-shop "
check_exit "sync finds the legacy inventory" 0 sync "$T/alpha.kubeconfig" -o json
cp "$T/check.out" "$T/move.json"
check_eq "the move is said" "$(jq -r '.inventoryMoved' "$T/move.json")" \
  "inventory moved from alpha/tether-inventory-shop to default/tether-inventory-shop"
check_eq "one inventory after the move" "$(inventories)" "default/tether-inventory-shop "
check_fail "the legacy history is gone" kubectl get configmap tether-history-shop -n alpha
check_eq "the history moved with it" \
  "$(kubectl get configmap tether-history-shop -n default -o jsonpath='{.data.history\.json}' |
    jq 'length')" 3
check_eq "the move creates nothing that exists" "$(jq -c '.objects.created' "$T/move.json")" '[]'
check_eq "the move writes the inventory and history, deletes their old copies, no object" \
  "$(jq -c '.requests | [.patch, .post, .put, .delete, .dryRun]' "$T/move.json")" '[2,0,0,2,0]'
check_eq "the move: existing objects unchanged" "$(jq -c '.objects.unchanged' "$T/move.json")" \
  '["shop/configmap/cm-b","shop/configmap/cm-c"]'
check_exit "a second sync moves nothing" 0 sync "$T/alpha.kubeconfig" -o json
check_eq "nothing said" "$(grep -c 'inventory moved' "$T/check.out")" 0
check_exit "diff after the move" 0 diff_shop "$T/alpha.kubeconfig" -o json
check_eq "diff after the move: no inventoryMoved" "$(jq -r '.inventoryMoved' "$T/check.out")" null
check_eq "after the move: nothing created" "$(jq -c '.objects.created' "$T/check.out")" '[]'
check_eq "after the move: a no-op sync writes nothing" \
  "$(jq -c '.requests | [.patch, .post, .put, .delete]' "$T/check.out")" '[0,0,0,0]'

# Two inventories for one app: an error naming both, nothing applied.
kubectl get configmap tether-inventory-shop -n default -o json |
  jq '.metadata |= {name, namespace: "beta", labels}' | kubectl create -f - >/dev/null
sed -i 's/k: "b"/k: "B"/' "$W/cm-b.yaml"
git_commit "$W" "b" >/dev/null
check_exit "two inventories: exit 2" 2 sync "$T/beta.kubeconfig"
check_contains "the error names both" "$(cat "$T/check.out")" \
  "default/tether-inventory-shop and beta/tether-inventory-shop"
check_eq "nothing applied" "$(kubectl get configmap cm-b -n shop -o jsonpath='{.data.k}')" b
check_exit "history refuses too" 2 "$TETHER" history --repo "$GIT_BASE_URL/shop.git" \
  --cache-dir "$T/cache" --kubeconfig "$T/beta.kubeconfig"
kubectl delete configmap tether-inventory-shop -n beta >/dev/null

# Two configurations of one app (with -n, without): the inventory is found in any
# namespace (one LIST by its label), so the second run refuses instead of starting a
# second inventory that would prune nothing.
check_exit "-n shop while the inventory is in default: exit 2" 2 sync "$T/alpha.kubeconfig" -n shop
check_contains "the error names where it is and where this run keeps it" "$(cat "$T/check.out")" \
  "app shop has its inventory in default/tether-inventory-shop, not in namespace shop"
check_contains "and how to resolve it" "$(cat "$T/check.out")" "pass --inventory-namespace default"
check_eq "nothing applied" "$(kubectl get configmap cm-b -n shop -o jsonpath='{.data.k}')" b
check_eq "no second inventory" "$(inventories)" "default/tether-inventory-shop "
check_exit "diff refuses too" 2 diff_shop "$T/alpha.kubeconfig" -n shop
check_exit "history refuses too" 2 "$TETHER" history --repo "$GIT_BASE_URL/shop.git" \
  --cache-dir "$T/cache" --kubeconfig "$T/alpha.kubeconfig" -n shop
check_exit "with --inventory-namespace default it syncs" 0 sync "$T/alpha.kubeconfig" -n shop \
  --inventory-namespace default
check_eq "applied" "$(kubectl get configmap cm-b -n shop -o jsonpath='{.data.k}')" B
kubectl get configmap tether-inventory-shop -n default -o json |
  jq '.metadata |= {name, namespace: "alpha", labels}' | kubectl create -f - >/dev/null
check_exit "a copy in a third namespace: exit 2" 2 sync "$T/beta.kubeconfig"
check_contains "the error names both" "$(cat "$T/check.out")" \
  "app shop has two inventories, default/tether-inventory-shop and alpha/tether-inventory-shop"
finish
