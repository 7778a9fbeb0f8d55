#!/usr/bin/env bash
# The real kubectl against kubesim: what a user sees with a real API server
# (docs: kubernetes-semantics.md sections 4, 5, 6, 8-12). Every expectation here is the
# real server's and kubectl 1.32's behaviour; when kubesim differs, the check fails.
. "$(dirname "$0")/lib.sh"

# run CMD...: runs a command, keeps its combined output in $OUT and status in $RC.
run() { OUT=$("$@" 2>&1); RC=$?; }
# jqv FILTER: evaluates a jq filter over $JSON (raw output).
jqv() { printf '%s' "$JSON" | jq -r "$@" 2>/dev/null; }
K() { kubectl --request-timeout=20s "$@"; }

if ! kubesim_start --pod-ready-ms 100 --fail-images 'bad/*'; then
  not_ok "kubesim starts"; finish
fi
ok "kubesim starts ($KUBESIM_URL)"

mkdir -p "$T/m"
cat >"$T/m/app.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
  labels:
    app: web
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
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector:
    app: web
  ports:
  - port: 80
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-config
  namespace: default
data:
  greeting: hello
EOF

# ---- server-side apply of a Deployment, Service and ConfigMap -------------------------
run K apply --server-side -f "$T/m/app.yaml"
check_eq "apply --server-side (default validation) exits 0" "$RC" 0
check_contains "apply reports the deployment" "$OUT" "deployment.apps/web serverside-applied"
check_contains "apply reports the service" "$OUT" "service/web serverside-applied"
check_contains "apply reports the configmap" "$OUT" "configmap/web-config serverside-applied"

run K rollout status deploy/web --timeout=30s
check_eq "rollout status of the first rollout exits 0" "$RC" 0
check_contains "rollout status says successfully rolled out" "$OUT" 'deployment "web" successfully rolled out'

run K get deploy,rs,pods -o json
JSON=$OUT
check_eq "get deploy,rs,pods -o json exits 0" "$RC" 0
DEP_UID=$(jqv '.items[] | select(.kind=="Deployment" and .metadata.name=="web") | .metadata.uid')
RS1=$(jqv --arg u "$DEP_UID" '[.items[] | select(.kind=="ReplicaSet") |
  select(any(.metadata.ownerReferences[]?; .uid==$u and .controller==true and .kind=="Deployment" and .name=="web"))] |
  if length==1 then .[0].metadata.name else empty end')
check "the deployment owns exactly one ReplicaSet (controller owner reference)" test -n "$RS1"
check_eq "that ReplicaSet is revision 1" \
  "$(jqv --arg n "$RS1" '.items[] | select(.kind=="ReplicaSet" and .metadata.name==$n) | .metadata.annotations["deployment.kubernetes.io/revision"]')" 1
check_eq "the deployment is at revision 1" \
  "$(jqv '.items[] | select(.kind=="Deployment") | .metadata.annotations["deployment.kubernetes.io/revision"]')" 1
HASH1=$(jqv --arg n "$RS1" '.items[] | select(.kind=="ReplicaSet" and .metadata.name==$n) | .metadata.labels["pod-template-hash"]')
check_eq "the ReplicaSet is named deployment-hash" "$RS1" "web-$HASH1"
check_eq "two pods owned by the ReplicaSet, carrying its pod-template-hash" \
  "$(jqv --arg n "$RS1" --arg h "$HASH1" '[.items[] | select(.kind=="Pod") |
     select(any(.metadata.ownerReferences[]?; .kind=="ReplicaSet" and .name==$n and .controller==true)) |
     select(.metadata.labels["pod-template-hash"]==$h)] | length')" 2
check_eq "both pods are Running and Ready" \
  "$(jqv '[.items[] | select(.kind=="Pod" and .status.phase=="Running") |
     select(any(.status.conditions[]?; .type=="Ready" and .status=="True"))] | length')" 2
check_eq "deployment status: 2 ready, 2 updated, 2 available" \
  "$(jqv '.items[] | select(.kind=="Deployment") | "\(.status.readyReplicas) \(.status.updatedReplicas) \(.status.availableReplicas)"')" "2 2 2"

# ---- diff of the unchanged file, then of a changed one ---------------------------------
run K diff --server-side -f "$T/m/app.yaml"
check_eq "diff --server-side of the unchanged file exits 0" "$RC" 0
check_eq "and prints nothing" "$OUT" ""
sed 's/greeting: hello/greeting: changed/' "$T/m/app.yaml" >"$T/m/app-changed.yaml"
run K diff --server-side -f "$T/m/app-changed.yaml"
check_eq "diff --server-side of a changed file exits 1" "$RC" 1
check_contains "and shows the changed value" "$OUT" "+  greeting: changed"

# ---- change-cause, set image, revision 2 -------------------------------------------------
GEN0=$(K get deploy web -o jsonpath='{.metadata.generation}')
run K annotate deploy/web kubernetes.io/change-cause=first
check_eq "annotate change-cause exits 0" "$RC" 0
check_eq "an annotation change bumps the deployment's generation" \
  "$(K get deploy web -o jsonpath='{.metadata.generation}')" "$((GEN0 + 1))"
rs_cause() { [ "$(K get rs "$1" -o jsonpath='{.metadata.annotations.kubernetes\.io/change-cause}')" = "$2" ]; }
wait_for "the controller copies change-cause onto the current ReplicaSet" 10 rs_cause "$RS1" first

run K set image deploy/web web=nginx:1.26
check_eq "set image exits 0" "$RC" 0
check_contains "set image reports the update" "$OUT" "deployment.apps/web image updated"
run K annotate --overwrite deploy/web kubernetes.io/change-cause="image 1.26"
check_eq "annotate the new change-cause exits 0" "$RC" 0
run K rollout status deploy/web --timeout=30s
check_eq "rollout status of revision 2 exits 0" "$RC" 0
check_contains "rollout status says successfully rolled out" "$OUT" 'deployment "web" successfully rolled out'

rs_by_rev() { # prints the name of the ReplicaSet of deployment web with revision $1
  K get rs -l app=web -o json | jq -r --arg r "$1" --arg u "$DEP_UID" '.items[] |
    select(any(.metadata.ownerReferences[]?; .uid==$u)) |
    select(.metadata.annotations["deployment.kubernetes.io/revision"]==$r) | .metadata.name'
}
RS2=$(rs_by_rev 2)
check "set image made a new ReplicaSet at revision 2" test -n "$RS2" -a "$RS2" != "$RS1"
check_eq "the deployment is at revision 2" \
  "$(K get deploy web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')" 2
check_eq "revision 2's ReplicaSet runs nginx:1.26" \
  "$(K get rs "$RS2" -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.26
wait_eq "revision 1's ReplicaSet is scaled to 0" 10 0/0 \
  K get rs "$RS1" -o jsonpath='{.spec.replicas}/{.status.replicas}'
check_eq "revision 1's ReplicaSet keeps its change-cause" \
  "$(K get rs "$RS1" -o jsonpath='{.metadata.annotations.kubernetes\.io/change-cause}')" first

run K rollout history deploy/web
check_eq "rollout history exits 0" "$RC" 0
check "rollout history lists revision 1 with its change-cause" grep -Eq '^1 +first *$' <<<"$OUT"
check "rollout history lists revision 2 with its change-cause" grep -Eq '^2 +image 1\.26 *$' <<<"$OUT"
check_contains "rollout history has kubectl's header" "$OUT" "REVISION  CHANGE-CAUSE"

# ---- rollout undo reuses revision 1's ReplicaSet ------------------------------------------
run K rollout undo deploy/web
check_eq "rollout undo exits 0" "$RC" 0
check_contains "rollout undo says rolled back" "$OUT" "deployment.apps/web rolled back"
run K rollout status deploy/web --timeout=30s
check_eq "rollout status after undo exits 0" "$RC" 0
wait_eq "revision 1's ReplicaSet becomes revision 3" 10 3 \
  K get rs "$RS1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}'
check_eq "its revision-history records 1" \
  "$(K get rs "$RS1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision-history}')" 1
check_eq "no new ReplicaSet was created (still 2)" \
  "$(K get rs -l app=web -o name | wc -l)" 2
check_eq "the deployment runs nginx:1.25 again" \
  "$(K get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.25
check_eq "revision 1's ReplicaSet runs the 2 replicas" \
  "$(K get rs "$RS1" -o jsonpath='{.spec.replicas}/{.status.readyReplicas}')" 2/2
run K rollout history deploy/web
check "history after undo: revision 2 still listed" grep -Eq '^2 +image 1\.26 *$' <<<"$OUT"
check "history after undo: revision 3 carries revision 1's change-cause" grep -Eq '^3 +first *$' <<<"$OUT"
check "history after undo: revision 1 is gone" bash -c '! grep -Eq "^1 " <<<"$1"' _ "$OUT"
run K rollout undo deploy/web --to-revision=9
check_eq "rollout undo to a missing revision exits 1" "$RC" 1
check_contains "and says so" "$OUT" "unable to find specified revision 9 in history"

# ---- scale --------------------------------------------------------------------------------
run K scale deploy/web --replicas=3
check_eq "scale --replicas=3 exits 0" "$RC" 0
check_contains "scale reports it" "$OUT" "deployment.apps/web scaled"
ready_pods() { [ "$(K get pods -l app=web -o json | jq '[.items[] | select(.metadata.deletionTimestamp==null) |
  select(any(.status.conditions[]?; .type=="Ready" and .status=="True"))] | length')" = "$1" ]; }
wait_for "scale: three ready pods" 15 ready_pods 3
check_eq "scale: the deployment's status says 3 available" \
  "$(K get deploy web -o jsonpath='{.status.availableReplicas}')" 3

# ---- server-side apply conflicts and --force-conflicts ----------------------------------
cat >"$T/m/cm-other.yaml" <<'EOF'
apiVersion: v1
kind: ConfigMap
metadata:
  name: shared
data:
  key: from-other
EOF
sed 's/from-other/from-kubectl/' "$T/m/cm-other.yaml" >"$T/m/cm-kubectl.yaml"
run K apply --server-side --field-manager=other -f "$T/m/cm-other.yaml"
check_eq "apply as manager 'other' exits 0" "$RC" 0
run K apply --server-side -f "$T/m/cm-kubectl.yaml"
check_eq "apply of a field another manager owns exits 1" "$RC" 1
check_contains "the error is a conflict" "$OUT" "conflict"
check_contains "the conflict names the manager and field" "$OUT" 'conflict with "other"'
check_contains "the conflict names the field path" "$OUT" ".data.key"
check_eq "the conflicting apply changed nothing" \
  "$(K get cm shared -o jsonpath='{.data.key}')" from-other
run K apply --server-side --force-conflicts -f "$T/m/cm-kubectl.yaml"
check_eq "apply --force-conflicts exits 0" "$RC" 0
JSON=$(K get cm shared -o json --show-managed-fields)
check_eq "--force-conflicts took the value" "$(jqv .data.key)" from-kubectl
check_eq "managedFields: kubectl (Apply) owns data.key" \
  "$(jqv '[.metadata.managedFields[] | select(.manager=="kubectl" and .operation=="Apply") |
     .fieldsV1["f:data"]["f:key"]] | length')" 1
check_eq "managedFields: 'other' no longer owns data.key" \
  "$(jqv '[.metadata.managedFields[] | select(.manager=="other") | .fieldsV1["f:data"]["f:key"] // empty] | length')" 0

# ---- dry-run=server changes nothing --------------------------------------------------------
RV0=$(K get cm web-config -o jsonpath='{.metadata.resourceVersion}')
awk '/^kind: ConfigMap/,0' "$T/m/app-changed.yaml" | sed '1i apiVersion: v1' >"$T/m/cm-changed.yaml"
run K apply --server-side --dry-run=server -f "$T/m/cm-changed.yaml"
check_eq "apply --server-side --dry-run=server exits 0" "$RC" 0
check_contains "it says server dry run" "$OUT" "configmap/web-config serverside-applied (server dry run)"
check_eq "dry-run: the configmap's resourceVersion is unchanged" \
  "$(K get cm web-config -o jsonpath='{.metadata.resourceVersion}')" "$RV0"
check_eq "dry-run: the configmap's data is unchanged" \
  "$(K get cm web-config -o jsonpath='{.data.greeting}')" hello

# ---- errors: NotFound, AlreadyExists ------------------------------------------------------
run K get deployment nope
check_eq "get of a missing object exits 1" "$RC" 1
check_contains "and prints the NotFound error" "$OUT" \
  'Error from server (NotFound): deployments.apps "nope" not found'
# kubectl create configmap/namespace use the typed client, which sends protobuf bodies
# (Content-Type application/vnd.kubernetes.protobuf); the real API server accepts them.
run K create configmap imperative --from-literal=a=1
check_eq "create configmap (protobuf body) exits 0" "$RC" 0
check_contains "create configmap reports it" "$OUT" "configmap/imperative created"
check_eq "the created configmap holds its data" \
  "$(K get cm imperative -o jsonpath='{.data.a}' 2>/dev/null)" 1
run K create configmap imperative --from-literal=a=1
check_eq "create configmap of the same name again exits 1" "$RC" 1
# (create configmap wraps the server's error: "failed to create configmap: %v")
check_contains "and prints AlreadyExists" "$OUT" \
  'error: failed to create configmap: configmaps "imperative" already exists'
cm_file() { # name key=value -> a ConfigMap manifest file (prints its path)
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  %s: "%s"\n' \
    "$1" "${2%%=*}" "${2#*=}" >"$T/m/cm-$1.yaml"
  echo "$T/m/cm-$1.yaml"
}
run K create -f "$(cm_file dup a=1)"
check_eq "create -f exits 0" "$RC" 0
check_contains "create -f reports it" "$OUT" "configmap/dup created"
run K create -f "$T/m/cm-dup.yaml"
check_eq "create -f of the same object again exits 1" "$RC" 1
check_contains "and prints AlreadyExists" "$OUT" \
  'Error from server (AlreadyExists): error when creating "'"$T/m/cm-dup.yaml"'": configmaps "dup" already exists'

# ---- label, annotate (merge patches) --------------------------------------------------------
K label cm dup tier=web >/dev/null 2>&1
run K label cm dup team=blue
check_eq "label exits 0" "$RC" 0
check_contains "label reports it" "$OUT" "configmap/dup labeled"
check_eq "labels are merged, not replaced" \
  "$(K get cm dup -o jsonpath='{.metadata.labels.tier},{.metadata.labels.team}')" "web,blue"
run K label cm dup team=red
check_eq "label of an existing key without --overwrite exits 1" "$RC" 1
check_contains "and says it already has a value" "$OUT" "already has a value (blue)"
K annotate cm dup a1=x >/dev/null 2>&1
run K annotate cm dup a2=y
check_eq "annotate exits 0" "$RC" 0
check_eq "annotations are merged" \
  "$(K get cm dup -o jsonpath='{.metadata.annotations.a1},{.metadata.annotations.a2}')" "x,y"
check_eq "label and annotate write as managers kubectl-label and kubectl-annotate" \
  "$(K get cm dup -o json --show-managed-fields | jq -r '[.metadata.managedFields[].manager] | map(select(startswith("kubectl-"))) | sort | unique | join(",")')" \
  "kubectl-annotate,kubectl-create,kubectl-label"

# ---- patch: json, merge, strategic -----------------------------------------------------------
K create -f "$(cm_file p k1=v1)" >/dev/null 2>&1
run K patch cm p --type=json -p '[{"op":"add","path":"/data/k2","value":"v2"},{"op":"add","path":"/metadata/annotations","value":{"example.com/x":"y"}}]'
check_eq "patch --type=json exits 0" "$RC" 0
check_contains "patch reports it" "$OUT" "configmap/p patched"
check_eq "json patch added data.k2 and kept k1" \
  "$(K get cm p -o jsonpath='{.data.k1},{.data.k2}')" "v1,v2"
run K patch cm p --type=json -p '[{"op":"remove","path":"/metadata/annotations/example.com~1x"},{"op":"replace","path":"/data/k1","value":"w1"}]'
check_eq "json patch with ~1 escaping exits 0" "$RC" 0
check_eq "json patch removed the escaped key and replaced k1" \
  "$(K get cm p -o json | jq -r '"\(.metadata.annotations["example.com/x"] // "gone"),\(.data.k1)"')" "gone,w1"
run K patch cm p --type=json -p '[{"op":"test","path":"/data/k1","value":"nope"},{"op":"remove","path":"/data/k1"}]'
check "json patch with a failing test op is rejected" test "$RC" -ne 0
check_eq "and changes nothing" "$(K get cm p -o jsonpath='{.data.k1}')" w1
run K patch cm p --type=merge -p '{"data":{"k1":null,"k3":"v3"}}'
check_eq "patch --type=merge exits 0" "$RC" 0
check_eq "merge patch: null deletes k1, k3 added, k2 kept" \
  "$(K get cm p -o json | jq -r '.data | "\(.k1 // "gone"),\(.k2),\(.k3)"')" "gone,v2,v3"

cat >"$T/m/two.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: two
spec:
  replicas: 1
  selector:
    matchLabels:
      app: two
  template:
    metadata:
      labels:
        app: two
    spec:
      containers:
      - name: main
        image: nginx:1.25
        env:
        - name: A
          value: "1"
EOF
K apply --server-side -f "$T/m/two.yaml" >/dev/null 2>&1
run K patch deploy two --type=strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"side","image":"busybox:1.36"}]}}}}'
check_eq "patch --type=strategic exits 0" "$RC" 0
check_eq "strategic patch merges containers by name (main kept, side added)" \
  "$(K get deploy two -o jsonpath='{.spec.template.spec.containers[*].name}' | tr ' ' '\n' | sort | paste -sd,)" "main,side"
run K patch deploy two --type=strategic -p '{"spec":{"template":{"spec":{"containers":[{"name":"main","image":"nginx:1.26","env":[{"name":"B","value":"2"}]}]}}}}'
check_eq "strategic patch of one container exits 0" "$RC" 0
JSON=$(K get deploy two -o json)
check_eq "strategic patch changed main's image only" \
  "$(jqv '[.spec.template.spec.containers[] | "\(.name)=\(.image)"] | sort | join(",")')" "main=nginx:1.26,side=busybox:1.36"
check_eq "strategic patch merged env by name" \
  "$(jqv '.spec.template.spec.containers[] | select(.name=="main") | [.env[].name] | sort | join(",")')" "A,B"
run K patch deploy two --type=merge -p '{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"nginx:1.25"}]}}}}'
check_eq "merge patch of containers exits 0" "$RC" 0
check_eq "merge patch replaces the container list wholesale" \
  "$(K get deploy two -o jsonpath='{.spec.template.spec.containers[*].name}')" "only"

# ---- watch ------------------------------------------------------------------------------------
timeout 30 kubectl get cm -w --output-watch-events >"$T/watch.out" 2>"$T/watch.err" &
WPID=$!; _pids+=($WPID)
wait_for "get -w prints the existing objects first" 10 grep -Eq '^ADDED +web-config ' "$T/watch.out"
K create -f "$(cm_file watched a=1)" >/dev/null 2>&1
wait_for "get -w sees a new object (ADDED)" 10 grep -Eq '^ADDED +watched ' "$T/watch.out"
K patch cm watched --type=merge -p '{"data":{"a":"2"}}' >/dev/null 2>&1
wait_for "get -w sees a change (MODIFIED)" 10 grep -Eq '^MODIFIED +watched ' "$T/watch.out"
K delete cm watched >/dev/null 2>&1
wait_for "get -w sees a deletion (DELETED)" 10 grep -Eq '^DELETED +watched ' "$T/watch.out"
kill "$WPID" 2>/dev/null

# ---- namespaces --------------------------------------------------------------------------------
run K -n x create -f "$(cm_file early a=1)"
check_eq "create in a missing namespace exits 1" "$RC" 1
check_contains "with NotFound for the namespace" "$OUT" 'namespaces "x" not found'
run K create namespace x
check_eq "create namespace exits 0" "$RC" 0
check_contains "create namespace reports it" "$OUT" "namespace/x created"
if [ "$RC" -ne 0 ]; then # keep testing namespaces with a JSON body
  printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: x\n' | K create -f - >/dev/null 2>&1
fi
check_eq "the namespace has its metadata.name label and is Active" \
  "$(K get ns x -o jsonpath='{.metadata.labels.kubernetes\.io/metadata\.name} {.status.phase}')" "x Active"
K -n x create -f "$(cm_file inside a=1)" >/dev/null 2>&1
K -n x apply --server-side -f "$T/m/two.yaml" >/dev/null 2>&1
check "objects exist in namespace x" K -n x get cm/inside deploy/two
run K delete namespace x --timeout=30s
check_eq "delete namespace exits 0" "$RC" 0
ns_gone() { ! K get ns x >/dev/null 2>&1; }
wait_for "the namespace disappears" 15 ns_gone
run K -n x get configmap inside
# The server answers 'configmaps "inside" not found'; kubectl 1.32 then looks the
# namespace up itself and prints that error instead, so check both layers.
check_eq "kubectl get of its configmap fails" "$RC" 1
check_contains "kubectl says the namespace is gone" "$OUT" 'namespaces "x" not found'
check_contains "the server says its configmap is gone" \
  "$(kcurl -s "$KUBESIM_URL/api/v1/namespaces/x/configmaps/inside")" '"message":"configmaps \"inside\" not found"'
check_eq "its deployment, ReplicaSets and pods are gone" \
  "$(K -n x get deploy,rs,pods -o name 2>/dev/null | wc -l)" 0

# ---- CRD, custom resource, CRD deletion -------------------------------------------------------
cat >"$T/m/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    listKind: WidgetList
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              size:
                type: integer
EOF
cat >"$T/m/widget.yaml" <<'EOF'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w1
  namespace: default
spec:
  size: 3
EOF
run K create -f "$T/m/crd.yaml"
check_eq "create CRD exits 0" "$RC" 0
check_contains "create CRD reports it" "$OUT" "customresourcedefinition.apiextensions.k8s.io/widgets.example.com created"
established() { [ "$(K get crd widgets.example.com -o jsonpath='{.status.conditions[?(@.type=="Established")].status}')" = True ]; }
wait_for "the CRD becomes Established" 10 established
wait_for "the new resource type is served (kubectl get widgets)" 10 K get widgets
run K apply --server-side -f "$T/m/widget.yaml"
check_eq "apply --server-side of a custom resource exits 0" "$RC" 0
check_contains "apply reports it" "$OUT" "widget.example.com/w1 serverside-applied"
run K get widgets -o name
check_eq "the custom resource is listed" "$OUT" "widget.example.com/w1"
check_eq "its spec is stored" "$(K get widget w1 -o jsonpath='{.spec.size}')" 3
run K delete crd widgets.example.com --timeout=30s
check_eq "delete CRD exits 0" "$RC" 0
# kubectl's discovery cache still knows "widgets" (6 h), so it lists and gets a 404;
# with a fresh cache it would say the server has no such type. Either way it fails.
type_gone() { ! K get widgets >/dev/null 2>&1 &&
  K get widgets 2>&1 | grep -Eq "the server doesn't have a resource type \"widgets\"|the server could not find the requested resource"; }
wait_for "after the CRD is deleted the resource type is gone (get widgets fails)" 15 type_gone
check "the group is gone from discovery" \
  bash -c '! kubectl get --raw /apis | grep -q "\"example.com\""'
run K get --raw /apis/example.com/v1/namespaces/default/widgets
check_contains "the old resource path answers NotFound" "$OUT" "NotFound"
run K --cache-dir "$T/fresh-cache" get widgets
check_contains "with a fresh discovery cache kubectl says there is no such type" "$OUT" \
  "the server doesn't have a resource type \"widgets\""

# ---- delete deployment: garbage collection ----------------------------------------------------
run K delete deployment web --timeout=30s
check_eq "delete deployment exits 0" "$RC" 0
check_contains "delete reports it" "$OUT" 'deployment.apps "web" deleted'
gone_rs_pods() { [ -z "$(K get rs,pods -l app=web -o name 2>/dev/null)" ]; }
wait_for "its ReplicaSets and pods are garbage-collected" 15 gone_rs_pods

# ---- a rollout that cannot finish: progress deadline -----------------------------------------
cat >"$T/m/broken.yaml" <<'EOF'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: broken
spec:
  replicas: 2
  progressDeadlineSeconds: 2
  selector:
    matchLabels:
      app: broken
  template:
    metadata:
      labels:
        app: broken
    spec:
      containers:
      - name: app
        image: nginx:1.25
EOF
K apply --server-side -f "$T/m/broken.yaml" >/dev/null 2>&1
run K rollout status deploy/broken --timeout=30s
check_eq "a good first rollout with a short deadline completes" "$RC" 0
run K set image deploy/broken app=bad/app:1
check_eq "set image to a failing image exits 0" "$RC" 0
run K rollout status deploy/broken --timeout=40s
check_eq "rollout status of the failing image exits 1" "$RC" 1
check_contains "and says the deadline was exceeded" "$OUT" \
  'error: deployment "broken" exceeded its progress deadline'
JSON=$(K get deploy broken -o json)
check_eq "Progressing=False with reason ProgressDeadlineExceeded" \
  "$(jqv '.status.conditions[] | select(.type=="Progressing") | "\(.status) \(.reason)"')" "False ProgressDeadlineExceeded"
check_eq "the rollout stalled at the surge point (replicas 3, updated 1, available 2)" \
  "$(jqv '"\(.status.replicas) \(.status.updatedReplicas) \(.status.availableReplicas)"')" "3 1 2"
check_eq "the failing pod reports an image pull error" \
  "$(K get pods -l app=broken -o json | jq -r '[.items[].status.containerStatuses[]?.state.waiting.reason // empty] |
     map(select(. == "ErrImagePull" or . == "ImagePullBackOff")) | length > 0')" true

# ---- immortal namespaces (last: a wrong answer would break everything after it) ---------------
run K delete namespace default --wait=false
check_eq "delete namespace default exits 1" "$RC" 1
check_contains "forbidden: this namespace may not be deleted" "$OUT" "this namespace may not be deleted"

finish
