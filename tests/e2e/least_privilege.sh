#!/usr/bin/env bash
# Least privilege on kubesim enforcing RBAC, kubectl with the administrator's
# kubeconfig as the witness: a ServiceAccount with only Roles in two namespaces syncs
# an app that spans them (each kind listed per namespace); a missing patch right stops
# the whole commit at the dry-run (exit 2, the message names verb, resource, namespace
# and the rule), nothing applied; check-access reports nothing missing with the full
# Role, names the removed rule (exit 1), and its --print-rbac output, applied with
# kubectl, lets a fresh identity sync. No token appears in any output.
. "$(dirname "$0")/lib.sh"

kubesim_start --authorization-mode RBAC || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
kc() { kubectl --request-timeout=20s "$@"; }

kc create namespace a >/dev/null && kc create namespace b >/dev/null
kc create namespace ci >/dev/null && kc create serviceaccount deployer -n ci >/dev/null
kc create serviceaccount fresh -n ci >/dev/null
role() { # NS [VERBS of deployments]
  cat <<YAML
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: deployer, namespace: $1}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, create, patch]}
- {apiGroups: [apps], resources: [deployments], verbs: [${2:-get, list, watch, create, patch}]}
- {apiGroups: [apps], resources: [replicasets], verbs: [list]}
- {apiGroups: [""], resources: [pods], verbs: [list]}
- {apiGroups: [""], resources: [namespaces], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: deployer, namespace: $1}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: deployer}
subjects:
- {kind: ServiceAccount, name: deployer, namespace: ci}
YAML
}
{ role a; echo ---; role b; } | kc apply -f - >/dev/null
# a kubeconfig per ServiceAccount: the cluster of the administrator's, its own token
sa_kubeconfig() { # NAME
  local tok
  tok=$(kc create token "$1" -n ci --duration 1h) || return 1
  cp "$KUBECONFIG" "$T/$1.kubeconfig"
  KUBECONFIG=$T/$1.kubeconfig kubectl config set-credentials "$1" --token="$tok" >/dev/null
  KUBECONFIG=$T/$1.kubeconfig kubectl config set-context --current --user="$1" >/dev/null
  echo "$tok" >>"$T/tokens"
}
sa_kubeconfig deployer && sa_kubeconfig fresh || { not_ok "tokens"; finish; }
check_eq "witness: the deployer may not list configmaps across namespaces" \
  "$(KUBECONFIG=$T/deployer.kubeconfig kubectl auth can-i list configmaps -A 2>&1)" no

W=$(git_repo web)
{ web_deployment nginx:1 1 60; echo ---; cat <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata: {name: settings}
data: {color: blue}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cache, namespace: b}
data: {size: "1"}
YAML
} >"$W/app.yaml"
git_commit "$W" "v1" >/dev/null
URL=$GIT_BASE_URL/web.git
out() { tee -a "$T/all.out"; }
as() { # NAME tether-args...: tether as that ServiceAccount
  local who=$1; shift
  "$TETHER" "$@" --kubeconfig "$T/$who.kubeconfig" --repo "$URL" --cache-dir "$T/cache" -n a \
    --timeout 30s
}

# ---- namespace-scoped rights are enough ---------------------------------------------------
check_exit "the deployer syncs an app in namespaces a and b with Roles only" 0 as deployer sync -o json
out <"$T/check.out" >/dev/null
check_eq "three objects created" "$(jq -r '.counts.created' "$T/check.out" 2>&1)" 3
check_eq "kubectl sees the ConfigMap in a" "$(kc get cm settings -n a -o jsonpath='{.data.color}')" blue
check_eq "kubectl sees the ConfigMap in b" "$(kc get cm cache -n b -o jsonpath='{.data.size}')" 1
check_eq "kubectl sees the Deployment's rollout" \
  "$(kc get deployment web -n a -o jsonpath='{.status.availableReplicas}')" 1
check_contains "the inventory is in a" \
  "$(kc get cm tether-inventory-web -n a -o jsonpath='{.data.objects}')" "ConfigMap	b	cache"
check_exit "a second sync is a no-op" 0 as deployer sync -o json
out <"$T/check.out" >/dev/null
check_eq "three unchanged" "$(jq -r '.counts.unchanged' "$T/check.out" 2>&1)" 3
check_exit "diff with the same rights: no changes (exit 0)" 0 "$TETHER" diff \
  --kubeconfig "$T/deployer.kubeconfig" --repo "$URL" --cache-dir "$T/cache" -n a

# ---- check-access with the full Role ---------------------------------------------------
check_exit "check-access: nothing missing (exit 0)" 0 as deployer check-access
out <"$T/check.out" >/dev/null
check_contains "check-access names the identity" "$(cat "$T/check.out")" \
  "as system:serviceaccount:ci:deployer: 0 of"
check_exit "check-access -o json" 0 as deployer check-access -o json
out <"$T/check.out" >/dev/null
check_eq "-o json: allowed, nothing missing" "$(jq -r '"\(.allowed) \(.missing | length)"' "$T/check.out")" "true 0"
check_eq "-o json: patch of deployments in a is needed for apply" \
  "$(jq -r '.needed[] | select(.verb == "patch" and .resource == "deployments") | "\(.namespace) \(.for)"' "$T/check.out")" \
  "a apply"

check_exit "check-access --prune: the Role has no delete (exit 1)" 1 as deployer check-access --prune
cp "$T/check.out" "$T/prune.out"
check "delete of configmaps in b, for prune" grep -Eq '^delete +\(core\) +configmaps +b +prune$' "$T/prune.out"
check "delete of deployments in a, for prune" grep -Eq '^delete +apps +deployments +a +prune$' "$T/prune.out"
check_contains "three rights missing" "$(cat "$T/prune.out")" "deployer: 3 of 19 rights missing"
check_exit "check-access --agent --leader-elect: tether run's own rights missing (exit 1)" 1 \
  as deployer check-access --agent --leader-elect --leader-elect-namespace a
cp "$T/check.out" "$T/agent.out"
check "the Events of the app's namespace" grep -Eq '^create +\(core\) +events +a +events$' "$T/agent.out"
check "the Lease's update" grep -Eq '^update +coordination.k8s.io +leases +a +leader election$' "$T/agent.out"
check_contains "and nothing else" "$(cat "$T/agent.out")" "deployer: 4 of 20 rights missing"
check_exit "check-access --agent --shard-apps: the Leases' rights missing (exit 1)" 1 \
  as deployer check-access --agent --shard-apps --leader-elect-namespace a
cp "$T/check.out" "$T/shard.out"
check "the members' LIST, for shard-apps" grep -Eq '^list +coordination.k8s.io +leases +a +shard-apps$' "$T/shard.out"
check "the sync Leases' update, for shard-apps" grep -Eq '^update +coordination.k8s.io +leases +a +shard-apps$' "$T/shard.out"
check "the gone members' delete, for shard-apps" grep -Eq '^delete +coordination.k8s.io +leases +a +shard-apps$' "$T/shard.out"
check_contains "five Lease rights and the Events" "$(cat "$T/shard.out")" "deployer: 6 of 22 rights missing"

# ---- a missing patch right: nothing applied ------------------------------------------------
role a "get, list, watch, create" | kc apply -f - >/dev/null
sed -i 's/nginx:1/nginx:2/; s/color: blue/color: red/' "$W/app.yaml"
git_commit "$W" "v2" >/dev/null
check_exit "without patch on deployments the sync exits 2" 2 as deployer sync
out <"$T/check.out" >/dev/null
msg=$(cat "$T/check.out")
check_contains "the message names verb, resource, namespace and identity" "$msg" \
  'User "system:serviceaccount:ci:deployer" cannot patch resource "deployments" in API group "apps" in the namespace "a"'
check_contains "the message names the rule that grants it" "$msg" \
  'a Role in namespace a (or a ClusterRole bound there by a RoleBinding) with the rule {apiGroups: [apps], resources: [deployments], verbs: [patch]}'
check_contains "the message names the manifest" "$msg" "app.yaml:1:1: a/deployment.apps/web: dry-run"
check_eq "nothing applied: the ConfigMap of the same commit is unchanged" \
  "$(kc get cm settings -n a -o jsonpath='{.data.color}')" blue
check_eq "nothing applied: the Deployment keeps its image" \
  "$(kc get deployment web -n a -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1
check_exit "check-access names the removed rule (exit 1)" 1 as deployer check-access
out <"$T/check.out" >"$T/table.out"
check "the table has the missing patch" grep -Eq '^patch +apps +deployments +a +apply$' "$T/table.out"
check_contains "and one missing right only" "$(cat "$T/table.out")" "deployer: 1 of"
check_exit "check-access -o yaml (exit 1)" 1 as deployer check-access -o yaml
out <"$T/check.out" >/dev/null
check_contains "-o yaml: the missing entry" "$(cat "$T/check.out")" "missing:
- verb: patch
  group: apps
  resource: deployments
  namespace: a
  for: apply
  allowed: false"

# ---- a fresh identity, granted what --print-rbac prints -----------------------------------
check_exit "the fresh identity has nothing: check-access exits 1" 1 as fresh check-access
check_exit "--print-rbac yaml (exit 1: still missing)" 1 as fresh check-access --print-rbac yaml
cp "$T/check.out" "$T/rbac.yaml"
out <"$T/rbac.yaml" >/dev/null
check_contains "the RBAC binds the fresh ServiceAccount" "$(cat "$T/rbac.yaml")" \
  "subjects:
- kind: ServiceAccount
  name: fresh
  namespace: ci"
check "kubectl applies the printed RBAC" kc apply -f "$T/rbac.yaml"
check_eq "a Role in a and in b, no ClusterRole" \
  "$(kc get role tether-web -n a -o name) $(kc get role tether-web -n b -o name) $(kc get clusterrole tether-web -o name 2>/dev/null)" \
  "role.rbac.authorization.k8s.io/tether-web role.rbac.authorization.k8s.io/tether-web "
check_exit "then check-access passes for the fresh identity" 0 as fresh check-access
check_exit "and its sync applies the v2 commit" 0 as fresh sync
out <"$T/check.out" >/dev/null
check_eq "kubectl sees v2's ConfigMap" "$(kc get cm settings -n a -o jsonpath='{.data.color}')" red
check_eq "and v2's image" \
  "$(kc get deployment web -n a -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:2

# ---- the inventory's write is part of the transaction ---------------------------------------
role a | sed 's/verbs: \[get, list, create, patch\]/verbs: [get, list, create]/' | kc apply -f - >/dev/null
sed -i 's/nginx:2/nginx:3/' "$W/app.yaml"
git_commit "$W" "v3" >/dev/null
check_exit "without patch on the inventory's ConfigMap the sync exits 2" 2 as deployer sync
out <"$T/check.out" >"$T/inv.out"
check_contains "the message names the inventory, the right and the rule" "$(cat "$T/inv.out")" \
  'write inventory a/tether-inventory-web: User "system:serviceaccount:ci:deployer" cannot patch resource "configmaps" in API group "" in the namespace "a"; it needs a Role in namespace a (or a ClusterRole bound there by a RoleBinding) with the rule {apiGroups: [""], resources: [configmaps], verbs: [patch]}; nothing applied'
check_eq "nothing applied: the Deployment keeps v2's image" \
  "$(kc get deployment web -n a -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:2

# ---- no token in any output -----------------------------------------------------------------
leaked=0
while read -r tok; do grep -qF "$tok" "$T/all.out" && leaked=1; done <"$T/tokens"
check_eq "no ServiceAccount token in any output" "$leaked" 0
check_eq "nor the administrator's" "$(grep -cF "$KUBESIM_TOKEN" "$T/all.out")" 0
finish
