#!/usr/bin/env bash
# Input only the cluster can judge: the server's dry-run rejects an object (among them
# wrong JSON types, bad Secret keys and data, ports and names only a strict server
# refuses, custom resources that break their CRD's schema), a kind the server does not serve, a namespace on a cluster-scoped kind. One commit is one
# transaction: nothing of it is applied, exit 2, the error names file:line and the object.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }

new_case() {
  C=$T/cases/$1
  mkdir -p "$C"
  git -C "$C" init -q -b main
  cat >"$C/a-good.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: good
data:
  a: "1"
YAML
}
commit_case() { git -C "$C" add -A && git -C "$C" commit -q -m "$1"; }
run_case() {
  local out rc
  out=$("$TETHER" sync --repo "$C" --cache-dir "$T/cache" --app "$1" --no-wait 2>&1); rc=$?
  check_eq "$1: exit 2" "$rc" 2
  check_contains "$1: message" "$out" "$2"
  check_fail "$1: cluster untouched (no configmap good)" kubectl get configmap good -n default
}

new_case rejected
# Two containers with the same name: the server cannot build the apply patch.
cat >"$C/z-bad.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: twins
spec:
  selector:
    matchLabels: {app: twins}
  template:
    metadata:
      labels: {app: twins}
    spec:
      containers:
        - name: web
          image: nginx:1.25
        - name: web
          image: nginx:1.26
YAML
commit_case rejected
run_case rejected "z-bad.yaml:1:1: default/deployment.apps/twins: dry-run:"
check_contains "rejected: the server's message" "$("$TETHER" sync --repo "$C" \
  --cache-dir "$T/cache" --app rejected --no-wait 2>&1)" "duplicate"
check_fail "rejected: no deployment" kubectl get deployment twins -n default

new_case unknown-field
# A field the schema does not declare: the real API server answers the apply with a 500
# Status without a reason ("failed to create typed patch object"), which is final, not
# an outage: exit 2 naming the object, at once (no retries), not exit 3.
cat >"$C/z-field.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: typo
spec:
  replicas: 1
  selector:
    matchLabels: {app: typo}
  template:
    metadata:
      labels: {app: typo}
    spec:
      containers:
        - name: web
          image: nginx:1.25
          imagePullPolicyy: Always
YAML
commit_case unknown-field
start=$(date +%s%N)
run_case unknown-field "z-field.yaml:1:1: default/deployment.apps/typo: dry-run:"
elapsed_ms=$(( ($(date +%s%N) - start) / 1000000 ))
check_contains "unknown-field: the server's message names the field" "$("$TETHER" sync \
  --repo "$C" --cache-dir "$T/cache" --app unknown-field --no-wait 2>&1)" "imagePullPolicyy"
check "unknown-field: rejected without retry backoff (${elapsed_ms} ms)" test "$elapsed_ms" -lt 3000
check_fail "unknown-field: no deployment" kubectl get deployment typo -n default

# Objects only a strict server refuses (kubesim validates as kube-apiserver does): each
# commit holds one, the server's dry-run rejects it, exit 2 naming the object and
# the server's message, nothing applied.
strict_case() { # strict_case NAME OBJECT-REF MESSAGE < manifest
  new_case "$1"
  cat >"$C/z-strict.yaml"
  commit_case "$1"
  local out rc
  out=$("$TETHER" sync --repo "$C" --cache-dir "$T/cache" --app "$1" --no-wait 2>&1); rc=$?
  check_eq "$1: exit 2" "$rc" 2
  check_contains "$1: names the object" "$out" "z-strict.yaml:1:1: $2: dry-run:"
  check_contains "$1: with the server's message" "$out" "$3"
  check_fail "$1: cluster untouched (no configmap good)" kubectl get configmap good -n default
}
strict_case string-replicas default/deployment.apps/two \
  '.spec.replicas: expected numeric (int or float), got string' <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata:
  name: two
spec:
  replicas: "two"
  selector:
    matchLabels: {app: two}
  template:
    metadata:
      labels: {app: two}
    spec:
      containers:
        - {name: web, image: "nginx:1.25"}
YAML
strict_case secret-key default/secret/keys \
  'data[bad key!]: Invalid value: "bad key!": a valid config key must consist of alphanumeric characters' <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: keys
data:
  "bad key!": dmFsdWU=
YAML
strict_case secret-base64 default/secret/b64 'illegal base64 data at input byte 3' <<'YAML'
apiVersion: v1
kind: Secret
metadata:
  name: b64
data:
  token: "not base64!"
YAML
strict_case service-port default/service/web \
  'spec.ports[0].port: Invalid value: 99999: must be between 1 and 65535, inclusive' <<'YAML'
apiVersion: v1
kind: Service
metadata:
  name: web
spec:
  ports:
    - port: 99999
YAML
strict_case namespace-name namespace/a.b 'metadata.name: Invalid value: "a.b": must not contain dots' <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: a.b
YAML
check_fail "namespace-name: no namespace a.b" kubectl get namespace a.b

# Custom resources against their CRD's structural schema (installed beforehand).
crd_with_schema gauges Gauge <<'YAML' | kubectl apply -f - >/dev/null
        type: object
        properties:
          spec:
            type: object
            properties:
              level: {type: integer, maximum: 10}
YAML
wait_for "the Gauge CRD is served" 10 kubectl get gauges
strict_case cr-maximum default/gauge.example.com/high \
  'spec.level: Invalid value: 11: spec.level in body should be less than or equal to 10' <<'YAML'
apiVersion: example.com/v1
kind: Gauge
metadata:
  name: high
spec:
  level: 11
YAML
strict_case cr-type default/gauge.example.com/word \
  '.spec.level: expected numeric (int or float), got string' <<'YAML'
apiVersion: example.com/v1
kind: Gauge
metadata:
  name: word
spec:
  level: "eleven"
YAML
check_eq "cr: no gauge stored" "$(kubectl get gauges -n default -o name)" ""

new_case unknown-kind
cat >"$C/z-crd.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: w
YAML
commit_case unknown
run_case unknown-kind "z-crd.yaml:1:1"

new_case cluster-scoped-ns
cat >"$C/z-ns.yaml" <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: reader
  namespace: default
rules: []
YAML
commit_case clusterns
run_case cluster-scoped-ns "clusterrole.rbac.authorization.k8s.io/reader: metadata.namespace is set but the kind is cluster-scoped"

new_case inventory-namespace
commit_case invns
out=$("$TETHER" sync --repo "$C" --cache-dir "$T/cache" --app invns --inventory-namespace nowhere \
  --no-wait 2>&1); rc=$?
check_eq "missing inventory namespace: exit 2" "$rc" 2
check_contains "missing inventory namespace: says so" "$out" "namespace nowhere for the inventory does not exist"
check_fail "missing inventory namespace: nothing applied" kubectl get configmap good -n default

# Rejected after the namespace of the commit exists: the documented exception. The
# namespace is created (stage 0), nothing else.
new_case new-namespace
cat >"$C/ns.yaml" <<'YAML'
apiVersion: v1
kind: Namespace
metadata:
  name: fresh
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: inside
  namespace: fresh
spec:
  selector:
    matchLabels: {app: inside}
  template:
    metadata:
      labels: {app: inside}
    spec:
      containers:
        - {name: web, image: "nginx:1.25"}
        - {name: web, image: "nginx:1.25"}
YAML
commit_case newns
run_case new-namespace "fresh/deployment.apps/inside"
check_fail "new-namespace: the rejected object was not applied" kubectl get deployment inside -n fresh

# A good commit in a new namespace syncs in one run.
C=$T/cases/new-namespace
sed -i '$d' "$C/ns.yaml"
commit_case fixed
check_exit "new namespace and its objects in one sync" 0 "$TETHER" sync --repo "$C" \
  --cache-dir "$T/cache" --app new-namespace --no-wait
check "object in the new namespace exists" kubectl get deployment inside -n fresh


finish
