#!/usr/bin/env bash
# Labels Git sets are never replaced: a kubebuilder scaffold's
# app.kubernetes.io/managed-by: kustomize stays kustomize in the cluster and `tether
# diff` is clean; ownership is tether's own label. managed-by is added only when Git
# sets none, and a kubernetes.io/change-cause Git sets is kept (tether.dev/commit is
# tether's). A manifest that sets tether.dev/app to another app is bad input.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }

W=$(git_repo operator)
mkdir -p "$W/config/manager"
cat >"$W/config/manager/manager.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: controller-manager
  annotations:
    kubernetes.io/change-cause: set in Git
  labels:
    control-plane: controller-manager
    app.kubernetes.io/name: operator
    app.kubernetes.io/managed-by: kustomize
spec:
  selector:
    matchLabels:
      control-plane: controller-manager
  replicas: 1
  template:
    metadata:
      labels:
        control-plane: controller-manager
    spec:
      containers:
        - name: manager
          image: controller:latest
YAML
cat >"$W/config/manager/service_account.yaml" <<'YAML'
apiVersion: v1
kind: ServiceAccount
metadata:
  name: controller-manager
  labels:
    app.kubernetes.io/name: operator
    app.kubernetes.io/managed-by: kustomize
YAML
cat >"$W/config/manager/plain.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: plain
data:
  k: v
YAML
cat >"$W/config/manager/kustomization.yaml" <<'YAML'
resources:
  - manager.yaml
  - service_account.yaml
  - plain.yaml
YAML
sha1=$(git_commit "$W" "scaffold")
args=(--repo "$GIT_BASE_URL/operator.git" --path config/manager --cache-dir "$T/cache" --app operator)
label() { kubectl get "$1" -n default -o jsonpath="{.metadata.labels.${2//./\\.}}"; }
ann() { kubectl get "$1" -n default -o jsonpath="{.metadata.annotations.${2//./\\.}}"; }

check_exit "sync" 0 "$TETHER" sync "${args[@]}" --no-wait
check_eq "deployment keeps Git's managed-by" \
  "$(label deployment/controller-manager app.kubernetes.io/managed-by)" kustomize
check_eq "service account keeps Git's managed-by" \
  "$(label serviceaccount/controller-manager app.kubernetes.io/managed-by)" kustomize
check_eq "ownership is tether's own label" \
  "$(label deployment/controller-manager tether.dev/app)" operator
check_eq "managed-by is added where Git sets none" \
  "$(label configmap/plain app.kubernetes.io/managed-by)" tether
check_eq "Git's change-cause is kept" \
  "$(ann deployment/controller-manager kubernetes.io/change-cause)" "set in Git"
check_eq "tether.dev/commit is tether's" "$(ann deployment/controller-manager tether.dev/commit)" "$sha1"
check_exit "tether diff is clean" 0 "$TETHER" diff "${args[@]}"
check_contains "diff: nothing to change" "$(cat "$T/check.out")" "0 to create, 0 to change, 0 to prune, 3 unchanged"
check_exit "a second sync changes nothing" 0 "$TETHER" sync "${args[@]}" --no-wait -o json
check_eq "nothing changed" "$(jq -c '.counts | [.created, .changed]' "$T/check.out")" '[0,0]'

# Git changes the label: the cluster follows Git, not tether.
sed -i 's/managed-by: kustomize/managed-by: Helm/; s/controller:latest/controller:v2/' \
  "$W/config/manager/manager.yaml"
sha2=$(git_commit "$W" "helm now")
check_exit "sync the new label" 0 "$TETHER" sync "${args[@]}" --no-wait
check_eq "deployment says Helm" \
  "$(label deployment/controller-manager app.kubernetes.io/managed-by)" Helm
check_eq "a new template keeps Git's change-cause" \
  "$(ann deployment/controller-manager kubernetes.io/change-cause)" "set in Git"
check_eq "and records the new commit" "$(ann deployment/controller-manager tether.dev/commit)" "$sha2"
check_exit "diff clean again" 0 "$TETHER" diff "${args[@]}"

# tether.dev/app is tether's: a manifest naming another app is refused, nothing written.
sed -i 's/^  name: plain$/  name: plain\n  labels:\n    tether.dev\/app: someone-else/' \
  "$W/config/manager/plain.yaml"
sed -i 's/k: v/k: changed/' "$W/config/manager/plain.yaml"
git_commit "$W" "claim for another app" >/dev/null
check_exit "a foreign tether.dev/app label is bad input" 2 "$TETHER" sync "${args[@]}" --no-wait
check_contains "the error names file and label" "$(cat "$T/check.out")" \
  "plain.yaml:1:1: default/configmap/plain: label tether.dev/app names another app"
check_eq "nothing written" "$(kubectl get configmap plain -n default -o jsonpath='{.data.k}')" v

finish
