#!/usr/bin/env bash
# examples/deploy's two variants (namespaced, cluster-wide), each on its own kubesim
# enforcing RBAC: installed with kubectl as the administrator, they grant exactly what
# `tether check-access --print-rbac` derives for examples/guestbook (nothing missing,
# nothing extra). tether then runs the way it does in its Pod: no kubeconfig,
# KUBERNETES_SERVICE_HOST/PORT and the ServiceAccount's directory (TETHER_SA_DIR, in
# place of /var/run/secrets/kubernetes.io/serviceaccount) holding a TokenRequest token,
# the CA and the namespace. The agent syncs examples/guestbook from a git daemon under
# leader election, writes its Lease and Events (kubectl as the witness), check-access
# reports nothing missing; with one rule removed the agent's next sync fails with the
# API server's 403 (its log, a Warning Event), so does `tether sync` (exit 2, nothing
# applied), and check-access names the rule's rights. No token appears in any output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

gitd_start || { not_ok "git daemon starts"; finish; }
G=$(git_repo guestbook)
cp "$ROOT"/examples/guestbook/*.yaml "$G/"
git_commit "$G" "guestbook" >/dev/null
kc() { kubectl --request-timeout=20s "$@"; }
SA=system:serviceaccount:tether-system:tether

# in_cluster VARIANT: the ServiceAccount's directory and a wrapper running tether with
# the in-cluster configuration only ($T/VARIANT.tether).
in_cluster() {
  local d=$T/$1.sa
  mkdir -p "$d"
  kc create token tether -n tether-system --duration 1h >"$d/token" || return 1
  cat "$d/token" >>"$T/tokens"
  printf tether-system >"$d/namespace"
  sed -n 's/^ *certificate-authority-data: //p' "$KUBECONFIG" | base64 -d >"$d/ca.crt"
  cat >"$T/$1.tether" <<SH
#!/bin/sh
exec env -u KUBECONFIG HOME="$T/$1.home" TETHER_SA_DIR="$d" \
  KUBERNETES_SERVICE_HOST=127.0.0.1 KUBERNETES_SERVICE_PORT="${KUBESIM_URL##*:}" "$TETHER" "\$@"
SH
  chmod +x "$T/$1.tether"
}

# agent_config VARIANT: the configuration the variant ships, its app's repository the
# git daemon's (no token), a short interval, the cache and listener of the test.
agent_config() {
  kubectl kustomize "$ROOT/examples/deploy/$1" | python3 -c '
import sys, yaml
cm = [d for d in yaml.safe_load_all(sys.stdin) if d["kind"] == "ConfigMap"
      and d["metadata"]["name"] == "tether-config"][0]
c = yaml.safe_load(cm["data"]["tether.yaml"])
c.update({"listen": "127.0.0.1:0", "cache-dir": sys.argv[2], "interval": "1s"})
del c["webhook-secret-file"]
for a in c["apps"]:
    a.update({"repo": sys.argv[1]}); a.pop("path"); a.pop("git-token-file"); a.pop("ref")
yaml.safe_dump(c, sys.stdout)' "$GIT_BASE_URL/guestbook.git" "$T/$1.cache" >"$T/$1.yaml"
}
out() { tee -a "$T/all.out"; }

# part VARIANT OBJECT...: OBJECT (kubectl get's arguments) is the Role or ClusterRole
# that holds the app's rules.
part() {
  local v=$1 ns=; shift
  local role=("$@") n=${v//-/}
  kubesim_start "$n" --pod-ready-ms 50 || { not_ok "$v: kubesim starts"; return; }
  check "$v: kubectl apply -k examples/deploy/$v as the administrator" \
    kc apply -k "$ROOT/examples/deploy/$v"
  check_fail "$v: witness: the ServiceAccount may not read Secrets" \
    kc auth can-i get secrets -n tether-system --as "$SA"
  in_cluster "$v" || { not_ok "$v: TokenRequest"; return; }
  agent_config "$v"
  local TC=$T/$v.tether AG=(--config "$T/$v.yaml" --agent --leader-elect)

  check_exit "$v: check-access in-cluster: nothing missing (exit 0)" 0 "$TC" check-access "${AG[@]}"
  out <"$T/check.out" >"$T/$v.access"
  check "$v: as the ServiceAccount, 0 rights missing" \
    grep -q "as $SA: 0 of [0-9]* rights missing" "$T/$v.access"
  check_exit "$v: --print-rbac yaml" 0 "$TC" check-access "${AG[@]}" --print-rbac yaml
  cp "$T/check.out" "$T/$v.printed"
  kubectl kustomize "$ROOT/examples/deploy/$v" >"$T/$v.install"
  if [ "$v" = cluster-wide ]; then
    ns=guestbook
    check_fail "$v: the install creates no guestbook Namespace" kc get namespace guestbook
  fi
  check_exit "$v: the variant grants what check-access derives, nothing missing, nothing extra" 0 \
    python3 "$ROOT/tests/e2e/incluster_rbac.py" "$T/$v.install" "$T/$v.printed" tether-system tether ${ns:+"$ns"}
  sed 's/^/# /' "$T/check.out"

  TETHER=$TC agent_start "$n" --config "$T/$v.yaml" || { not_ok "$v: the agent starts"; return; }
  wait_for "$v: the agent becomes leader" 10 grep -q 'became leader' "$T/$n.log"
  wait_for "$v: the agent syncs the guestbook" 20 bash -c \
    "[ \"\$(kubectl get deploy guestbook -n guestbook -o jsonpath='{.status.availableReplicas}' 2>/dev/null)\" -ge 1 ]"
  check_eq "$v: the Lease is held by the agent" \
    "$(kc get lease tether -n tether-system -o jsonpath='{.spec.holderIdentity}')" \
    "$(jq -r 'select(.msg == "became leader") | .identity' "$T/$n.log" | head -n1)"
  wait_for "$v: tether's Synced Event in guestbook" 10 bash -c \
    "kubectl get events -n guestbook -o jsonpath='{range .items[*]}{.reportingComponent} {.reason} {.involvedObject.name}{\"\\n\"}{end}' | grep -qx 'tether Synced tether-inventory-guestbook'"
  check_eq "$v: the guestbook Namespace is the agent's" \
    "$(kc get namespace guestbook -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" tether
  check "$v: the agent's log has no 403" bash -c "! grep -q forbidden '$T/$n.log'"

  # one rule less: the Deployments'
  local i
  i=$(kc get "${role[@]}" -o json | jq '[.rules[] | .resources | index("deployments") != null] | index(true)')
  check "$v: kubectl removes the deployments rule from ${role[0]}" \
    kc patch "${role[@]}" --type json -p "[{\"op\": \"remove\", \"path\": \"/rules/$i\"}]"
  sed -i 's/replicas: 2/replicas: 3/' "$G/deployment.yaml"
  git_commit "$G" "three replicas" >/dev/null
  local forbidden="deployment.yaml:1:1: guestbook/deployment.apps/guestbook: list deployments in namespace guestbook: deployments.apps is forbidden: User \"$SA\" cannot list resource \"deployments\" in API group \"apps\" in the namespace \"guestbook\"; $SA needs a Role in namespace guestbook (or a ClusterRole bound there by a RoleBinding) with the rule {apiGroups: [apps], resources: [deployments], verbs: [list]}"
  wait_for "$v: the agent's next sync fails with the 403" 15 bash -c \
    "jq -r 'select(.msg == \"sync\") | .error // empty' '$T/$n.log' | grep -qF '$forbidden'"
  wait_for "$v: and says so in a Warning Event" 10 bash -c \
    "kubectl get events -n guestbook -o jsonpath='{range .items[*]}{.type} {.reason} {.message}{\"\\n\"}{end}' | grep -F 'Warning SyncFailed' | grep -qF '$forbidden'"
  kill -TERM "$(eval echo "\$${n^^}_PID")"
  out <"$T/$n.log" >/dev/null
  check_exit "$v: tether sync exits 2" 2 "$TC" sync --config "$T/$v.yaml"
  out <"$T/check.out" >"$T/$v.sync"
  check_contains "$v: with the API server's 403 and the rule that grants it" \
    "$(cat "$T/$v.sync")" "error: $forbidden"
  check_contains "$v: nothing applied" "$(cat "$T/$v.sync")" "nothing applied"
  check_eq "$v: kubectl: the Deployment keeps two replicas" \
    "$(kc get deploy guestbook -n guestbook -o jsonpath='{.spec.replicas}')" 2
  check_exit "$v: check-access exits 1" 1 "$TC" check-access "${AG[@]}"
  out <"$T/check.out" >"$T/$v.access1"
  for verb in create delete get list patch watch; do
    check "$v: check-access names $verb deployments in guestbook" \
      grep -Eq "^$verb +apps +deployments +guestbook " "$T/$v.access1"
  done
  check "$v: and those 6 rights only" grep -q "as $SA: 6 of 28 rights missing" "$T/$v.access1"
  sed -i 's/replicas: 3/replicas: 2/' "$G/deployment.yaml"
  git_commit "$G" "two replicas" >/dev/null
}

part namespaced role/tether-app -n guestbook
part cluster-wide clusterrole/tether-app

leaked=0
while read -r tok; do grep -qF "$tok" "$T/all.out" && leaked=1; done <"$T/tokens"
check_eq "no ServiceAccount token in any output" "$leaked" 0
finish
