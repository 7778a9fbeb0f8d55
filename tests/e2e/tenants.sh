#!/usr/bin/env bash
# Two tenants on one configuration, each app impersonating its team's ServiceAccount
# (service-account: NS/NAME) on kubesim enforcing RBAC, kubectl as the witness: a
# tenant repository with an object in the other tenant's namespace exits 2 naming the
# object and the missing right, nothing of it applied, while the other tenant's app
# syncs; check-access --config names the same right; once the object is gone, both sync.
# tether itself runs as the ServiceAccount tether in tether-system with only what
# examples/tenants/rbac.yaml gives it: impersonation of the two ServiceAccounts, Events
# in the teams' namespaces, and the apps' records (inventory, history) in tether-system,
# which the teams may not write.
. "$(dirname "$0")/lib.sh"

kubesim_start --authorization-mode RBAC || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
kc() { kubectl --request-timeout=20s "$@"; }

# the agent's namespace and ServiceAccount (examples/deploy), then the documented example
check "the agent's ServiceAccount" kc create namespace tether-system
kc create serviceaccount tether -n tether-system >/dev/null
check "kubectl applies examples/tenants/rbac.yaml" kc apply -f "$ROOT/examples/tenants/rbac.yaml"
tok=$(kc create token tether -n tether-system --duration 1h) || not_ok "a token of the agent"
cp "$KUBECONFIG" "$T/agent.kubeconfig"
KUBECONFIG=$T/agent.kubeconfig kubectl config set-credentials tether --token="$tok" >/dev/null
KUBECONFIG=$T/agent.kubeconfig kubectl config set-context --current --user=tether >/dev/null
cm() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s%s}\ndata: {k: "1"}\n' "$1" "${2:+, namespace: $2}"; }
A=$(git_repo team-a); B=$(git_repo team-b)
{ cm settings; echo ---; cm intruder team-b; } >"$A/app.yaml"
cm settings >"$B/app.yaml"
git_commit "$A" "a v1" >/dev/null; git_commit "$B" "b v1" >/dev/null
cat >"$T/tether.yaml" <<YAML
cache-dir: $T/cache
kubeconfig: $T/agent.kubeconfig
apps:
  - name: team-a
    repo: $GIT_BASE_URL/team-a.git
    namespace: team-a
    service-account: team-a/deployer
    inventory-namespace: tether-system
  - name: team-b
    repo: $GIT_BASE_URL/team-b.git
    namespace: team-b
    service-account: team-b/deployer
    inventory-namespace: tether-system
YAML
check_exit "check-config takes service-account" 0 "$TETHER" check-config "$T/tether.yaml"

check_exit "an object in the other tenant's namespace: exit 2" 2 "$TETHER" sync --config "$T/tether.yaml" --no-wait
msg=$(cat "$T/check.out")
check_contains "the message names the object" "$msg" \
  "app.yaml:6:1: team-b/configmap/intruder: list configmaps in namespace team-b"
check_contains "and the missing right of the tenant's ServiceAccount" "$msg" \
  'User "system:serviceaccount:team-a:deployer" cannot list resource "configmaps" in API group "" in the namespace "team-b"'
check_eq "nothing of team-a applied" "$(kc get cm settings -n team-a -o name 2>&1)" \
  'Error from server (NotFound): configmaps "settings" not found'
check_eq "nor the intruder" "$(kc get cm intruder -n team-b -o name 2>&1)" \
  'Error from server (NotFound): configmaps "intruder" not found'
check_eq "the other tenant's app synced" "$(kc get cm settings -n team-b -o jsonpath='{.metadata.labels.tether\.dev/app}')" team-b
# the record is tether's own: written in tether-system, where the team may not write
check_eq "team-b's inventory is in tether-system" \
  "$(kc get cm tether-inventory-team-b -n tether-system -o name 2>&1)" configmap/tether-inventory-team-b
check_eq "which team-b's ServiceAccount may not write" \
  "$(kc auth can-i patch configmaps -n tether-system --as system:serviceaccount:team-b:deployer 2>&1)" no
check_eq "no inventory of team-a" "$(kc get cm tether-inventory-team-a -n tether-system -o name 2>&1)" \
  'Error from server (NotFound): configmaps "tether-inventory-team-a" not found'

check_exit "check-access --config: exit 1" 1 "$TETHER" check-access --config "$T/tether.yaml" --no-wait
cp "$T/check.out" "$T/access.out"
check "team-a misses patch of configmaps in team-b" grep -Eq '^patch +\(core\) +configmaps +team-b +system:serviceaccount:team-a:deployer +apply$' "$T/access.out"
check_contains "team-a is checked as its ServiceAccount" "$(cat "$T/access.out")" \
  "team-a: commit"
check_contains "team-b has everything, its records as tether" "$(cat "$T/access.out")" \
  "as system:serviceaccount:team-b:deployer (inventory, history and Events as system:serviceaccount:tether-system:tether): 0 of"

# without the records' Role, the inventory's write is refused before the first write
kc delete rolebinding tether-tenant-records -n tether-system >/dev/null
sed -i 's/k: "1"/k: "2"/' "$B/app.yaml"; git_commit "$B" "b v2" >/dev/null
check_exit "check-access: the records' right missing, exit 1" 1 \
  "$TETHER" check-access --config "$T/tether.yaml" --app team-b --no-wait
cp "$T/check.out" "$T/records.out"
check "it names tether's own identity and the inventory" grep -Eq \
  '^patch +\(core\) +configmaps +tether-system +system:serviceaccount:tether-system:tether +inventory, history$' "$T/records.out"
"$TETHER" check-access --config "$T/tether.yaml" --app team-b --no-wait --print-rbac yaml >"$T/rbac.out" 2>&1
check "--print-rbac: the records in a Role of tether's own" \
  grep -q 'name: tether-team-b-bookkeeping' "$T/rbac.out"
check_exit "sync: exit 2 before the first write" 2 \
  "$TETHER" sync --config "$T/tether.yaml" --app team-b --no-wait
check_contains "naming tether's identity and the rule" "$(cat "$T/check.out")" \
  'read inventory tether-system/tether-inventory-team-b: configmaps "tether-inventory-team-b" is forbidden: User "system:serviceaccount:tether-system:tether" cannot get resource "configmaps"'
check_eq "nothing of b v2 applied" "$(kc get cm settings -n team-b -o jsonpath='{.data.k}')" 1
kc apply -f "$ROOT/examples/tenants/rbac.yaml" >/dev/null
sed -i 's/k: "2"/k: "1"/' "$B/app.yaml"; git_commit "$B" "b v2 reverted" >/dev/null

cm settings >"$A/app.yaml"
git_commit "$A" "a v2: only its own namespace" >/dev/null
check_exit "without it both tenants sync" 0 "$TETHER" sync --config "$T/tether.yaml" --no-wait
check_eq "kubectl sees team-a's ConfigMap" "$(kc get cm settings -n team-a -o jsonpath='{.metadata.labels.tether\.dev/app}')" team-a
check_exit "and check-access passes" 0 "$TETHER" check-access --config "$T/tether.yaml" --no-wait

# ---- the agent: a client per tenant, one tenant's refusal leaves the other syncing -------------
. "$(dirname "$0")/agent_common.bash"
sed -i 's/k: "1"/k: "3"/' "$B/app.yaml"; git_commit "$B" "b v3" >/dev/null
{ cm settings | sed 's/k: "1"/k: "3"/'; echo ---; cm intruder team-b; } >"$A/app.yaml"
git_commit "$A" "a v3: the intruder again" >/dev/null
agent_start agent --config "$T/tether.yaml" --interval 1s --no-wait || { not_ok "agent starts"; finish; }
wait_eq "the agent syncs team-b's v3 as its ServiceAccount" 20 3 \
  kubectl get cm settings -n team-b -o jsonpath='{.data.k}'
wait_for "the agent posts team-b's Synced Event itself" 20 \
  sh -c 'kubectl get events -n team-b --field-selector reason=Synced -o name | grep -q .'
check_eq "which team-b's ServiceAccount could not" \
  "$(kc auth can-i create events -n team-b --as system:serviceaccount:team-b:deployer 2>&1)" no
wait_for "the agent logs team-a's refusal, naming the object and the right" 20 \
  grep -q 'team-b/configmap/intruder: list configmaps in namespace team-b: .*system:serviceaccount:team-a:deployer' "$T/agent.log"
check_eq "nothing of team-a's v3 applied" "$(kc get cm settings -n team-a -o jsonpath='{.data.k}')" 1
# later syncs of the same sessions start from the kept decision (per namespace at once)
sed -i 's/k: "3"/k: "4"/' "$A/app.yaml" "$B/app.yaml"
git_commit "$A" "a v4" >/dev/null; git_commit "$B" "b v4" >/dev/null
wait_eq "the agent syncs team-b's v4 on the same session" 20 4 \
  kubectl get cm settings -n team-b -o jsonpath='{.data.k}'
wait_eq "and refuses team-a's v4 again" 20 2 grep -c 'result=error.*team-b/configmap/intruder' "$T/agent.log"
finish
