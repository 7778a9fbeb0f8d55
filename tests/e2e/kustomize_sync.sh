#!/usr/bin/env bash
# tether sync of a kustomize overlay end to end on kubesim: the objects kubectl
# kustomize would produce reach the cluster (generated names included), and changing
# a generator's content changes the generated name, rewrites the reference in the
# Deployment and so rolls it out (a new ReplicaSet).
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
work=$(git_repo shop)
mkdir -p "$work/base" "$work/overlays/dev"
cat >"$work/base/kustomization.yaml" <<'YAML'
resources:
- deployment.yaml
- service.yaml
configMapGenerator:
- name: shop-config
  literals:
  - COLOR=blue
YAML
cat >"$work/base/deployment.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: shop
spec:
  replicas: 2
  selector:
    matchLabels: {app: shop}
  template:
    metadata:
      labels: {app: shop}
    spec:
      containers:
      - name: shop
        image: example/shop:1
        envFrom:
        - configMapRef:
            name: shop-config
YAML
cat >"$work/base/service.yaml" <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: shop
spec:
  selector: {app: shop}
  ports:
  - port: 80
YAML
cat >"$work/overlays/dev/kustomization.yaml" <<'YAML'
namespace: shop-dev
namePrefix: dev-
resources:
- namespace.yaml
- ../../base
labels:
- pairs: {env: dev}
  includeSelectors: true
YAML
cat >"$work/overlays/dev/namespace.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: shop-dev
YAML
git_commit "$work" "shop v1" >/dev/null

sync() {
  "$TETHER" sync --repo "$GIT_BASE_URL/shop.git" --path overlays/dev --app shop \
    --timeout 60s --cache-dir "$T/cache"
}
# Name kubectl kustomize gives the generated ConfigMap of the work tree.
expected_cm() {
  kubectl kustomize "$work/overlays/dev" 2>/dev/null |
    awk '/^kind: ConfigMap/ { c = 1 } c && /^  name: / { print $2; exit }'
}
cm_ref() {
  kubectl get deployment dev-shop -n shop-dev \
    -o jsonpath='{.spec.template.spec.containers[0].envFrom[0].configMapRef.name}'
}
rs_count_is() { [ "$(kubectl get replicasets -n shop-dev -l app=shop,env=dev -o name | wc -l)" -eq "$1" ]; }

check "first sync of the overlay" sync
want1=$(expected_cm)
check_contains "generated name has kustomize's hash" "$want1" "dev-shop-config-"
check "the generated ConfigMap exists under kustomize's name" \
  kubectl get configmap "$want1" -n shop-dev
check_eq "the Deployment refers to the generated name" "$(cm_ref)" "$want1"
check "the Service was renamed and namespaced" kubectl get service dev-shop -n shop-dev
check_eq "selector labels were added" \
  "$(kubectl get deployment dev-shop -n shop-dev -o jsonpath='{.spec.selector.matchLabels.env}')" dev
wait_for "one ReplicaSet for the first version" 30 rs_count_is 1

sed -i 's/COLOR=blue/COLOR=green/' "$work/base/kustomization.yaml"
git_commit "$work" "shop: green" >/dev/null
want2=$(expected_cm)
check "the generated name changes with the content" test "$want1" != "$want2"
check "second sync" sync
check "the new ConfigMap exists" kubectl get configmap "$want2" -n shop-dev
check_eq "the Deployment now refers to the new name" "$(cm_ref)" "$want2"
wait_for "the change rolled out as a new ReplicaSet" 30 rs_count_is 2

finish
