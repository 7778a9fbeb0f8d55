#!/usr/bin/env bash
# examples/deploy: tether applies its own deployment to kubesim from a Git repository,
# and the configuration it ships passes check-config.
. "$(dirname "$0")/lib.sh"

kubesim_start --pod-ready-ms 50 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo ops)
cp -r "$ROOT/examples/deploy" "$W/deploy"
git_commit "$W" "tether's deployment" >/dev/null
check "tether sync applies examples/deploy and its rollout completes" \
  "$TETHER" sync --repo "$GIT_BASE_URL/ops.git" --path deploy --app tether --namespace tether-system \
    --cache-dir "$T/cache" --timeout 60s
check "the Namespace exists" kubectl get ns tether-system
check "the ServiceAccount exists" kubectl get sa tether -n tether-system
check "the Lease Role exists" kubectl get role tether-leader-election -n tether-system
check "the app RoleBinding is namespaced" kubectl get rolebinding tether-app -n guestbook
check_eq "the only ClusterRoleBinding is for the app's Namespaces" \
  "$(kubectl get clusterrolebindings -o name | grep tether)" clusterrolebinding.rbac.authorization.k8s.io/tether-namespaces
check_eq "two replicas" "$(kubectl get deploy tether -n tether-system -o jsonpath='{.spec.replicas}')" 2
check_eq "both replicas are ready" "$(kubectl get deploy tether -n tether-system -o jsonpath='{.status.readyReplicas}')" 2
check_eq "runs as non-root" "$(kubectl get deploy tether -n tether-system -o jsonpath='{.spec.template.spec.securityContext.runAsNonRoot}')" true
check_eq "read-only root filesystem" "$(kubectl get deploy tether -n tether-system -o jsonpath='{.spec.template.spec.containers[0].securityContext.readOnlyRootFilesystem}')" true
check_eq "readiness probe on /readyz" "$(kubectl get deploy tether -n tether-system -o jsonpath='{.spec.template.spec.containers[0].readinessProbe.httpGet.path}')" /readyz
check "the Git credentials Secret exists" kubectl get secret tether-git -n tether-system
kubectl get cm tether-config -n tether-system -o jsonpath='{.data.tether\.yaml}' >"$T/tether.yaml"
check "the shipped agent configuration passes check-config" "$TETHER" check-config "$T/tether.yaml"
check "the shipped configuration enables leader election" grep -q 'leader-elect: true' "$T/tether.yaml"
check "a second sync changes nothing" bash -c "'$TETHER' sync --repo '$GIT_BASE_URL/ops.git' --path deploy --app tether \
    --namespace tether-system --cache-dir '$T/cache' --no-wait | grep -q '0 created, 0 changed'"
finish
