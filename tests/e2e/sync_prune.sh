#!/usr/bin/env bash
# Prune: only inventory members no longer rendered, only with --prune, behind the
# guards (more than half needs --force-prune, tether.dev/prune: disabled is kept,
# an object tether never applied is never touched).
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }

W=$(git_repo shop)
for n in a b c d e f; do
  cat >"$W/cm-$n.yaml" <<YAML
apiVersion: v1
kind: ConfigMap
metadata:
  name: cm-$n
data:
  k: "$n"
YAML
done
cat >"$W/svc.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  ports:
    - port: 80
YAML
git_commit "$W" "v1" >/dev/null
sync() { "$TETHER" sync --repo "$GIT_BASE_URL/shop.git" --cache-dir "$T/cache" --no-wait "$@"; }
check_exit "first sync" 0 sync
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bystander\ndata:\n  x: "1"\n' |
  kubectl apply --server-side --validate=false -n default -f - >/dev/null 2>&1
kubectl annotate configmap cm-f -n default tether.dev/prune=disabled >/dev/null 2>&1

git -C "$W" rm -q cm-a.yaml svc.yaml
git_commit "$W" "drop a and the service" >/dev/null
check_exit "sync without --prune keeps removed objects" 0 sync
check "cm-a still there" kubectl get configmap cm-a -n default
check_exit "diff --prune shows the prune" 1 "$TETHER" diff --repo "$GIT_BASE_URL/shop.git" \
  --cache-dir "$T/cache" --prune
check_contains "diff summary" "$(cat "$T/check.out")" "0 to create, 0 to change, 2 to prune, 5 unchanged"
check_exit "sync --prune" 0 sync --prune -o json
cp "$T/check.out" "$T/prune.json"
check_eq "json names the pruned objects" "$(jq -c '.objects.pruned | sort' "$T/prune.json")" \
  '["default/configmap/cm-a","default/service/shop"]'
check_fail "cm-a is gone" kubectl get configmap cm-a -n default
check_fail "the service is gone" kubectl get service shop -n default
check "cm-b stays" kubectl get configmap cm-b -n default
check "an object tether never applied stays" kubectl get configmap bystander -n default
inv=$(kubectl get configmap tether-inventory-shop -n default -o jsonpath='{.data.objects}')
check_eq "inventory lists the five rendered objects" "$(printf '%s\n' "$inv" | grep -c .)" 5

# Removing four of five: more than half, refused without --force-prune, nothing applied.
git -C "$W" rm -q cm-b.yaml cm-c.yaml cm-d.yaml cm-f.yaml
sed -i 's/k: "e"/k: "E"/' "$W/cm-e.yaml"
git_commit "$W" "drop most" >/dev/null
check_exit "pruning more than half is refused" 2 sync --prune
check_contains "the refusal says why" "$(cat "$T/check.out")" "refusing to prune 4 of 5"
check_eq "nothing was applied either" "$(kubectl get configmap cm-e -n default -o jsonpath='{.data.k}')" e
check "cm-b still there" kubectl get configmap cm-b -n default
check_exit "--force-prune allows it" 0 sync --prune --force-prune -o json
cp "$T/check.out" "$T/force.json"
check_fail "cm-b pruned" kubectl get configmap cm-b -n default
check "cm-f (prune: disabled) is kept" kubectl get configmap cm-f -n default
check_eq "json says cm-f was not pruned" "$(jq -c '.objects.pruneSkipped' "$T/force.json")" \
  '["default/configmap/cm-f"]'
check_eq "cm-e updated" "$(kubectl get configmap cm-e -n default -o jsonpath='{.data.k}')" E

# An empty render never prunes.
git -C "$W" rm -q cm-e.yaml
echo "nothing here" >"$W/README.md"
git_commit "$W" "empty" >/dev/null
check_exit "an empty render is refused" 2 sync --prune --force-prune
check "cm-e survives the empty render" kubectl get configmap cm-e -n default

# An unreachable repository never prunes.
check_exit "fetch error: exit 3" 3 "$TETHER" sync --repo "git://127.0.0.1:1/shop.git" \
  --cache-dir "$T/cache2" --prune --force-prune --app shop --no-wait
check "cm-e survives the fetch error" kubectl get configmap cm-e -n default

finish
