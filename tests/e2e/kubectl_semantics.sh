#!/usr/bin/env bash
# More of the real API server's behaviour, seen through kubectl, that a GitOps agent leans
# on: no-op applies, SSA pruning and shared ownership, strict validation, 422s, rollout
# pause/resume/restart, undo that skips, kubectl wait, cascading deletes
# (kubernetes-semantics.md sections 3, 6, 7, 8.8, 10.3, 11).
. "$(dirname "$0")/lib.sh"

run() { OUT=$("$@" 2>&1); RC=$?; }
K() { kubectl --request-timeout=20s "$@"; }
jqv() { printf '%s' "$JSON" | jq -r "$@" 2>/dev/null; }

if ! kubesim_start --pod-ready-ms 100; then not_ok "kubesim starts"; finish; fi
ok "kubesim starts"
mkdir -p "$T/m"

deployment() { # name image [extra spec lines...]
  local name=$1 image=$2; shift 2
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $name
spec:
  replicas: 2
  selector:
    matchLabels:
      app: $name
  template:
    metadata:
      labels:
        app: $name
    spec:
      containers:
      - name: app
        image: $image
EOF
}
rev_of() { K get deploy "$1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}'; }
rs_count() { K get rs -l app="$1" -o name | wc -l; }

echo "# $(date +%T) ----"
# ---- no-op apply ------------------------------------------------------------------------------
cat >"$T/m/cm.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: conf
  labels:
    team: a
data:
  a: "1"
  b: "2"
EOF
K apply --server-side -f "$T/m/cm.yaml" >/dev/null 2>&1
RV1=$(K get cm conf -o jsonpath='{.metadata.resourceVersion}')
MF1=$(K get cm conf -o json --show-managed-fields | jq -c .metadata.managedFields)
run K apply --server-side -f "$T/m/cm.yaml"
check_eq "re-applying an unchanged manifest exits 0" "$RC" 0
check_eq "a no-op apply keeps the resourceVersion" \
  "$(K get cm conf -o jsonpath='{.metadata.resourceVersion}')" "$RV1"
check_eq "a no-op apply keeps managedFields (timestamps too)" \
  "$(K get cm conf -o json --show-managed-fields | jq -c .metadata.managedFields)" "$MF1"
run K patch cm conf --type=merge -p '{"data":{"a":"1"}}'
check_eq "a no-op merge patch keeps the resourceVersion" \
  "$(K get cm conf -o jsonpath='{.metadata.resourceVersion}')" "$RV1"

echo "# $(date +%T) ----"
# ---- SSA: pruning what the manager no longer applies; shared ownership ----------------------
sed '/  b: "2"/d' "$T/m/cm.yaml" >"$T/m/cm-a.yaml"
run K apply --server-side -f "$T/m/cm-a.yaml"
check_eq "apply without data.b exits 0" "$RC" 0
check_eq "the field the manager stopped applying is removed" \
  "$(K get cm conf -o json | jq -r '.data | keys | join(",")')" "a"
run K apply --server-side --field-manager=other -f "$T/m/cm-a.yaml"
check_eq "another manager applying the same values has no conflict" "$RC" 0
check_eq "both managers now own data.a" \
  "$(K get cm conf -o json --show-managed-fields | jq -r '[.metadata.managedFields[] | select(.fieldsV1["f:data"]["f:a"]) | .manager] | sort | join(",")')" \
  "kubectl,other"
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: conf\n' >"$T/m/cm-empty.yaml"
K apply --server-side -f "$T/m/cm-empty.yaml" >/dev/null 2>&1
check_eq "a co-owned field stays when one owner stops applying it" \
  "$(K get cm conf -o jsonpath='{.data.a}')" 1
K patch cm conf --type=merge -p '{"data":{"c":"3"}}' >/dev/null 2>&1
K apply --server-side -f "$T/m/cm.yaml" >/dev/null 2>&1
K apply --server-side -f "$T/m/cm-empty.yaml" >/dev/null 2>&1
check_eq "apply never prunes a field another manager (kubectl-patch) wrote" \
  "$(K get cm conf -o jsonpath='{.data.c}')" 3

echo "# $(date +%T) ----"
# ---- validation --------------------------------------------------------------------------------
deployment strict nginx:1.25 | sed 's/^  replicas: 2/  replicas: 2\n  foo: bar/' >"$T/m/strict.yaml"
K delete deploy strict >/dev/null 2>&1
run K create -f "$T/m/strict.yaml"
check_eq "create with an unknown field exits 1 (kubectl asks for strict field validation)" "$RC" 1
check_contains "and names the field" "$OUT" 'strict decoding error: unknown field "spec.foo"'
check_fail "nothing was created" K get deploy strict
# Apply patches are converted through the schema whatever fieldValidation says
# (kubernetes/kubernetes#105916: "Apply Patch requests already require strict schemas").
K delete deploy strict >/dev/null 2>&1
run K apply --server-side -f "$T/m/strict.yaml"
check_eq "apply --server-side with an unknown field exits 1" "$RC" 1
check_contains "with the schema error" "$OUT" ".spec.foo: field not declared in schema"
K delete deploy strict >/dev/null 2>&1
run K create --validate=false -f "$T/m/strict.yaml"
check_eq "create --validate=false drops the unknown field and succeeds" "$RC" 0
check_eq "the stored object has no spec.foo" "$(K get deploy strict -o json | jq -r '.spec.foo // "absent"')" absent
deployment mismatch nginx:1.25 | sed '0,/app: mismatch/! s/app: mismatch/app: other/' >"$T/m/mismatch.yaml"
run K apply --server-side -f "$T/m/mismatch.yaml"
check_eq "a selector that does not match the template labels exits 1" "$RC" 1
check_contains "422: the Deployment is invalid" "$OUT" 'The Deployment "mismatch" is invalid'
check_contains "naming the rule" "$OUT" '`selector` does not match template `labels`'
# If it was accepted anyway, its ReplicaSet would create pods it never counts as its own
# without end; remove it so the checks below test what they say.
K delete deploy mismatch --wait=false >/dev/null 2>&1

echo "# $(date +%T) ----"
# ---- defaults -----------------------------------------------------------------------------------
deployment web nginx:1.25 >"$T/m/web.yaml"
K apply --server-side -f "$T/m/web.yaml" >/dev/null 2>&1
JSON=$(K get deploy web -o json)
check_eq "defaults: strategy RollingUpdate 25%/25%, revisionHistoryLimit 10, progressDeadlineSeconds 600" \
  "$(jqv '"\(.spec.strategy.type) \(.spec.strategy.rollingUpdate.maxSurge) \(.spec.strategy.rollingUpdate.maxUnavailable) \(.spec.revisionHistoryLimit) \(.spec.progressDeadlineSeconds)"')" \
  "RollingUpdate 25% 25% 10 600"
check_eq "defaults: container imagePullPolicy IfNotPresent for a tagged image, terminationMessagePath" \
  "$(jqv '.spec.template.spec.containers[0] | "\(.imagePullPolicy) \(.terminationMessagePath)"')" \
  "IfNotPresent /dev/termination-log"
check_eq "defaults: pod spec restartPolicy, dnsPolicy, schedulerName" \
  "$(jqv '.spec.template.spec | "\(.restartPolicy) \(.dnsPolicy) \(.schedulerName)"')" \
  "Always ClusterFirst default-scheduler"
check_eq "generation starts at 1" "$(jqv .metadata.generation)" 1

echo "# $(date +%T) ----"
# ---- kubectl wait, rollout restart, pause/resume, undo that skips --------------------------------
run K wait --for=condition=Available deploy/web --timeout=30s
check_eq "kubectl wait --for=condition=Available exits 0" "$RC" 0
check_contains "and says condition met" "$OUT" "deployment.apps/web condition met"
K rollout status deploy/web --timeout=30s >/dev/null 2>&1
GEN=$(K get deploy web -o jsonpath='{.metadata.generation}')
sleep 0.5 # status writes by the controllers must not move the generation
check_eq "status updates do not bump the generation" \
  "$(K get deploy web -o jsonpath='{.metadata.generation}')" "$GEN"

run K rollout restart deploy/web
check_eq "rollout restart exits 0" "$RC" 0
check_contains "rollout restart reports it" "$OUT" "deployment.apps/web restarted"
wait_eq "rollout restart makes revision 2 (a new ReplicaSet)" 10 2 rev_of web
run K rollout status deploy/web --timeout=30s
check_eq "the restart rolls out" "$RC" 0

run K rollout pause deploy/web
check_contains "rollout pause reports it" "$OUT" "deployment.apps/web paused"
K set image deploy/web app=nginx:1.26 >/dev/null 2>&1
pause_cond() { [ "$(K get deploy web -o jsonpath='{.status.conditions[?(@.type=="Progressing")].reason}')" = DeploymentPaused ]; }
wait_for "a paused deployment gets Progressing=Unknown DeploymentPaused" 10 pause_cond
check_eq "a template change while paused makes no ReplicaSet" "$(rs_count web)" 2
check_eq "and no new revision" "$(rev_of web)" 2
run K rollout undo deploy/web
check_eq "rollout undo of a paused deployment exits 1" "$RC" 1
check_contains "and says to resume first" "$OUT" "you cannot rollback a paused deployment"
run K rollout resume deploy/web
check_contains "rollout resume reports it" "$OUT" "deployment.apps/web resumed"
wait_eq "after resume the change rolls out as revision 3" 10 3 rev_of web
run K rollout status deploy/web --timeout=30s
check_eq "and completes" "$RC" 0
run K rollout undo deploy/web --to-revision=3
check_eq "undo to the current revision exits 0" "$RC" 0
check_contains "and skips" "$OUT" "skipped rollback (current template already matches revision 3)"
check_eq "a skipped undo makes no revision" "$(rev_of web)" 3
run K rollout history deploy/web --revision=3
check_eq "rollout history --revision=3 exits 0" "$RC" 0
check_contains "prints the revision's image" "$OUT" "nginx:1.26"
check_contains "and its pod-template-hash label" "$OUT" "pod-template-hash="

echo "# $(date +%T) ----"
# ---- revisionHistoryLimit cleanup -----------------------------------------------------------------
deployment hist nginx:1.20 | sed 's/^  replicas: 2/  replicas: 1\n  revisionHistoryLimit: 1/' >"$T/m/hist.yaml"
K apply --server-side -f "$T/m/hist.yaml" >/dev/null 2>&1
K rollout status deploy/hist --timeout=30s >/dev/null 2>&1
for v in 1.21 1.22 1.23; do
  K set image deploy/hist app=nginx:$v >/dev/null 2>&1
  K rollout status deploy/hist --timeout=30s >/dev/null 2>&1
done
wait_eq "revisionHistoryLimit 1 keeps the current and one old ReplicaSet" 10 2 rs_count hist
run K rollout history deploy/hist
check "history lists revisions 3 and 4 only" \
  bash -c 'grep -Eq "^3 " <<<"$1" && grep -Eq "^4 " <<<"$1" && ! grep -Eq "^[12] " <<<"$1"' _ "$OUT"

echo "# $(date +%T) ----"
# ---- cascading deletes ----------------------------------------------------------------------------
deployment orph nginx:1.25 >"$T/m/orph.yaml"
K apply --server-side -f "$T/m/orph.yaml" >/dev/null 2>&1
K rollout status deploy/orph --timeout=30s >/dev/null 2>&1
ORS=$(K get rs -l app=orph -o jsonpath='{.items[0].metadata.name}')
run K delete deploy orph --cascade=orphan
check_eq "delete --cascade=orphan exits 0" "$RC" 0
check_fail "the deployment is gone" K get deploy orph
orphaned() { [ "$(K get rs "$ORS" -o json | jq '.metadata.ownerReferences // [] | length')" = 0 ]; }
wait_for "its ReplicaSet survives without an owner reference" 10 orphaned
check_eq "and keeps its pods" "$(K get pods -l app=orph -o name | wc -l)" 2

deployment fg nginx:1.25 >"$T/m/fg.yaml"
K apply --server-side -f "$T/m/fg.yaml" >/dev/null 2>&1
K rollout status deploy/fg --timeout=30s >/dev/null 2>&1
run K delete deploy fg --cascade=foreground --timeout=30s
check_eq "delete --cascade=foreground exits 0 (kubectl waits until it is gone)" "$RC" 0
check_eq "its ReplicaSets and pods are gone when it is" "$(K get rs,pods -l app=fg -o name | wc -l)" 0

echo "# $(date +%T) ----"
# ---- delete of a missing object, optimistic concurrency ---------------------------------------
run K delete cm nothing-here
check_eq "delete of a missing object exits 1" "$RC" 1
check_contains "with NotFound" "$OUT" 'configmaps "nothing-here" not found'
K get cm conf -o json | jq '.metadata.resourceVersion = "1" | .data.a = "stale"' >"$T/m/stale.json"
run K replace -f "$T/m/stale.json"
check_eq "replace with a stale resourceVersion exits 1" "$RC" 1
check_contains "409: the object has been modified" "$OUT" "the object has been modified; please apply your changes to the latest version and try again"

finish
