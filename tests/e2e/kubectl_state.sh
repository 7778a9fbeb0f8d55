#!/usr/bin/env bash
# kubesim --state FILE: a restart keeps every object as it was, like an API server on
# etcd: same uid, creationTimestamp, resourceVersion and content; new writes continue the
# global resourceVersion counter (kubernetes-semantics.md section 3).
. "$(dirname "$0")/lib.sh"

run() { OUT=$("$@" 2>&1); RC=$?; }
K() { kubectl --request-timeout=20s "$@"; }
STATE=$T/state.json
KINDS=namespaces,configmaps,services,deployments,replicasets,pods,crd

# snapshot FILE: every object of $KINDS, sorted, as canonical JSON.
snapshot() {
  K get "$KINDS" -A -o json |
    jq -S '[.items[] | select(.metadata.namespace // "" | startswith("kube-") | not)] |
      sort_by(.kind, .metadata.namespace // "", .metadata.name)' >"$1"
}

if ! kubesim_start sim --pod-ready-ms 100 --state "$STATE"; then
  not_ok "kubesim starts with --state"; finish
fi
ok "kubesim starts with --state (empty state file)"

mkdir -p "$T/m"
cat >"$T/m/objs.yaml" <<'EOF'
apiVersion: v1
kind: Namespace
metadata:
  name: keep
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: one
  namespace: keep
  labels:
    tier: web
  annotations:
    note: "kept across restarts"
data:
  a: "1"
  multi: |
    line one
    line "two"
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: keep
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: keep
spec:
  replicas: 2
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: nginx:1.25
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: gadgets
    singular: gadget
    kind: Gadget
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        x-kubernetes-preserve-unknown-fields: true
EOF
run K apply --server-side -f "$T/m/objs.yaml"
check_eq "apply of a namespace, configmap, service, deployment and CRD exits 0" "$RC" 0
run K -n keep rollout status deploy/web --timeout=30s
check_eq "the deployment rolls out" "$RC" 0
K -n keep set image deploy/web web=nginx:1.26 >/dev/null 2>&1
run K -n keep rollout status deploy/web --timeout=30s
check_eq "a second revision rolls out" "$RC" 0
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: doomed\n' | K -n keep create -f - >/dev/null 2>&1
K -n keep delete configmap doomed >/dev/null 2>&1
wait_for "the custom resource type is served" 10 K get gadgets -n keep
cat >"$T/m/gadget.yaml" <<'EOF'
apiVersion: example.com/v1
kind: Gadget
metadata:
  name: g1
  namespace: keep
spec:
  colour: blue
EOF
run K apply --server-side -f "$T/m/gadget.yaml"
check_eq "apply of a custom resource exits 0" "$RC" 0

snapshot "$T/before.json"
K get gadgets -A -o json | jq -S '.items' >"$T/before-cr.json"
list_rv() { K get --raw /api/v1/configmaps | jq -r .metadata.resourceVersion; }
LIST_RV_BEFORE=$(list_rv)
MAX_RV_BEFORE=$(jq '[.[].metadata.resourceVersion | tonumber] | max' "$T/before.json")
check "snapshot before restart has objects" test "$(jq length "$T/before.json")" -ge 10

kill -TERM "$SIM_PID"
stopped() { ! kill -0 "$SIM_PID" 2>/dev/null; }
wait_for "kubesim stops on SIGTERM" 10 stopped
wait "$SIM_PID"; rc=$?
check_eq "kubesim exits 0 on SIGTERM" "$rc" 0
check "the state file exists and is not empty" test -s "$STATE"

if ! kubesim_start sim2 --pod-ready-ms 100 --state "$STATE"; then
  not_ok "kubesim restarts on the same state"; finish
fi
ok "kubesim restarts on the same state"
sleep 1 # let the restarted controllers run: a steady state must not be rewritten
snapshot "$T/after.json"
K get gadgets -A -o json 2>/dev/null | jq -S '.items' >"$T/after-cr.json"

for kind in Namespace ConfigMap Service Deployment ReplicaSet Pod CustomResourceDefinition; do
  b=$(jq -S --arg k "$kind" '[.[] | select(.kind==$k)]' "$T/before.json")
  a=$(jq -S --arg k "$kind" '[.[] | select(.kind==$k)]' "$T/after.json")
  n=$(jq length <<<"$b")
  if [ "$a" = "$b" ]; then ok "every $kind ($n) kept: same content, uid and resourceVersion"
  else
    not_ok "every $kind ($n) kept: same content, uid and resourceVersion"
    diff <(echo "$b") <(echo "$a") | head -n 20 | sed 's/^/#   /'
  fi
done
check_eq "the custom resource is kept" "$(cat "$T/after-cr.json")" "$(cat "$T/before-cr.json")"
run K -n keep get configmap doomed
check_contains "a deleted object stays deleted" "$OUT" 'configmaps "doomed" not found'
LIST_RV_AFTER=$(list_rv)
check "the list resourceVersion did not go back ($LIST_RV_AFTER >= $LIST_RV_BEFORE)" test "$LIST_RV_AFTER" -ge "$LIST_RV_BEFORE"

run K -n keep create -f - <<<$'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: fresh\ndata:\n  b: "2"\n'
check_eq "a write after the restart succeeds" "$RC" 0
NEW_RV=$(K -n keep get configmap fresh -o jsonpath='{.metadata.resourceVersion}')
check "a new write gets a resourceVersion above every old one ($NEW_RV > $MAX_RV_BEFORE)" \
  test "$NEW_RV" -gt "$MAX_RV_BEFORE"
K -n keep patch configmap one --type=merge -p '{"data":{"a":"2"}}' >/dev/null 2>&1
RV_ONE=$(K -n keep get configmap one -o jsonpath='{.metadata.resourceVersion}')
check "an update after the restart gets a higher resourceVersion ($RV_ONE > $NEW_RV)" \
  test "$RV_ONE" -gt "$NEW_RV"
run K -n keep rollout history deploy/web
check "rollout history still lists revisions 1 and 2" \
  bash -c 'grep -Eq "^1 " <<<"$1" && grep -Eq "^2 " <<<"$1"' _ "$OUT"
K -n keep scale deploy/web --replicas=3 >/dev/null 2>&1
ready3() { [ "$(K -n keep get deploy web -o jsonpath='{.status.availableReplicas}')" = 3 ]; }
wait_for "the controllers work after the restart (scale to 3)" 15 ready3

# A second restart keeps what the first run after the restart wrote.
snapshot "$T/before2.json"
kill -TERM "$SIM2_PID"
wait_for "kubesim stops on SIGTERM again" 10 bash -c "! kill -0 $SIM2_PID 2>/dev/null"
if kubesim_start sim3 --pod-ready-ms 100 --state "$STATE"; then
  sleep 1
  snapshot "$T/after2.json"
  check_eq "a second restart keeps everything (count)" \
    "$(jq length "$T/after2.json")" "$(jq length "$T/before2.json")"
  check_eq "a second restart keeps the post-restart writes" \
    "$(K -n keep get configmap fresh -o jsonpath='{.data.b}/{.metadata.resourceVersion}')" "2/$NEW_RV"
else
  not_ok "kubesim restarts a second time"
fi

finish
