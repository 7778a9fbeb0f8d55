#!/usr/bin/env bash
# kubesim validates built-in kinds as kube-apiserver 1.32 does: for each rule,
# `kubectl create`, `kubectl apply --server-side` and its `--dry-run=server` of an
# invalid object fail with the real server's message and store nothing; the boundary
# cases pass. Covers the typed decode (wrong JSON types, base64, quantities), names per
# kind, labels and annotations, ConfigMap and Secret keys and sizes, the request body
# limit and etcd's object limit, ports, container names, enumerations, immutable
# fields, fieldValidation and generateName.
. "$(dirname "$0")/lib.sh"

kc() { kubectl --request-timeout=20s "$@"; }
F=$T/obj.yaml

kubesim_start || { not_ok "kubesim starts"; finish; }

# Every invalid object goes into one file, $BAD, so that one `kubectl create`, one
# `kubectl apply --server-side` and one server dry-run try them all (kubectl goes on
# after a failed object); each rule is then one message looked for in each output.
BAD=$T/bad.yaml GOOD=$T/good.yaml
: >"$BAD"; : >"$GOOD"
bad() { cat >>"$BAD"; echo --- >>"$BAD"; }
good() { cat >>"$GOOD"; echo --- >>"$GOOD"; }
deploy() { # deploy NAME REPLICAS-YAML CONTAINER-NAME
  cat <<EOF
apiVersion: apps/v1
kind: Deployment
metadata: {name: $1}
spec:
  replicas: $2
  selector: {matchLabels: {app: $1}}
  template:
    metadata: {labels: {app: $1}}
    spec: {containers: [{name: $3, image: nginx}]}
EOF
}
bigcm() { # bigcm NAME BYTES: a ConfigMap whose one value has BYTES bytes
  python3 -c 'import sys; print("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\ndata:\n  k: %s" % (sys.argv[1], "x" * int(sys.argv[2])))' "$1" "$2"
}
n253=$(printf 'a%.0s' $(seq 1 253))
v63=$(printf 'v%.0s' $(seq 1 63))

# ---- the invalid objects, with the rule each breaks --------------------------------------
deploy two '"two"' web | bad           # a string for an int32
deploy huge 1e400 web | bad            # YAML reads 1e400 as a string
printf 'apiVersion: v1\nkind: Namespace\nmetadata: {name: a.b}\n' | bad
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: 1web.svc}\nspec: {ports: [{port: 80}]}\n' | bad
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a%s}\n' "$n253" | bad
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: l64, labels: {k: x%s}}\n' "$v63" | bad
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: lk, labels: {"bad key": v}}\n' | bad
python3 -c 'print("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ann\n  annotations:\n    big: " + "x" * 262142)' | bad
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: sk}\ndata: {"bad key!": dg==}\n' | bad
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: sb}\ndata: {k: "not base64!"}\n' | bad
printf 'apiVersion: v1\nkind: Secret\nmetadata: {name: tls}\ntype: kubernetes.io/tls\ndata: {tls.crt: dg==}\n' | bad
bigcm over 1048577 | bad
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: p99999}\nspec: {ports: [{port: 99999}]}\n' | bad
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: odd}\nspec: {type: Foo, ports: [{port: 80}]}\n' | bad
deploy cname 1 Web_1 | bad
bad <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: sometimes}
spec:
  restartPolicy: Sometimes
  containers: [{name: c, image: nginx, imagePullPolicy: Sometimes}]
EOF
bad <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: reqlim}
spec: {containers: [{name: c, image: nginx, resources: {requests: {cpu: "2"}, limits: {cpu: "1"}}}]}
EOF
bad <<'EOF'
apiVersion: v1
kind: Pod
metadata: {name: qty}
spec: {containers: [{name: c, image: nginx, resources: {limits: {cpu: 1x}}}]}
EOF

# ---- their valid neighbours ---------------------------------------------------------------
printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: "system:aggregated-metrics-reader"}\nrules: []\n' | good
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: %s}\n' "$n253" | good
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: l63, labels: {k: %s}}\n' "$v63" | good
bigcm mib 1048576 | good
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: p65535}\nspec: {ports: [{port: 65535}]}\n' | good
deploy web 2 web | good

# expect WHAT MESSAGE [APPLY-MESSAGE]: the message is in the create output and the apply
# message (default: the same) in both server-side apply outputs. With several objects
# kubectl prints each Status message as it is ("Pod \"p\" is invalid: [a, b]").
expect() {
  check_contains "$1: create fails with the server's message" "$CREATE" "$2"
  check_contains "$1: server-side apply fails with the server's message" "$APPLY" "${3:-$2}"
  check_contains "$1: its server dry-run fails the same way" "$DRY" "${3:-$2}"
}
CREATE=$(kc create -f "$BAD" 2>&1)
APPLY=$(kc apply --server-side -f "$BAD" 2>&1)
DRY=$(kc apply --server-side --dry-run=server -f "$BAD" 2>&1)
expect 'replicas: "two"' \
  'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' \
  'failed to create typed patch object (default/two; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string'
expect 'replicas: 1e400' \
  'Deployment in version "v1" cannot be handled as a Deployment: json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32' \
  'failed to create typed patch object (default/huge; apps/v1, Kind=Deployment): .spec.replicas: expected numeric (int or float), got string'
expect 'Namespace a.b' 'Namespace "a.b" is invalid: metadata.name: Invalid value: "a.b": must not contain dots'
expect 'Service 1web.svc' \
  "Service \"1web.svc\" is invalid: metadata.name: Invalid value: \"1web.svc\": a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
expect 'a 254-character name' "metadata.name: Invalid value: \"a$n253\": must be no more than 253 characters"
expect 'a 64-character label value' \
  "ConfigMap \"l64\" is invalid: metadata.labels: Invalid value: \"x$v63\": must be no more than 63 characters"
expect 'a label key with a space' \
  "ConfigMap \"lk\" is invalid: metadata.labels: Invalid value: \"bad key\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
expect 'annotations over 256 KiB' \
  'ConfigMap "ann" is invalid: metadata.annotations: Too long: may not be more than 262144 bytes'
expect 'a Secret key "bad key!"' \
  "Secret \"sk\" is invalid: data[bad key!]: Invalid value: \"bad key!\": a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. 'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is '[-._a-zA-Z0-9]+')"
expect 'non-base64 Secret data' \
  'Secret in version "v1" cannot be handled as a Secret: illegal base64 data at input byte 3' \
  'failed to convert new object (default/sb; /v1, Kind=Secret) to proper version: illegal base64 data at input byte 3'
expect 'a TLS Secret without tls.key' 'Secret "tls" is invalid: data[tls.key]: Required value'
expect 'a ConfigMap one byte over 1 MiB' \
  'ConfigMap "over" is invalid: []: Too long: may not be more than 1048576 bytes'
expect 'Service port 99999 (and the targetPort it defaults)' \
  "Service \"p99999\" is invalid: [spec.ports[0].port: Invalid value: 99999: must be between 1 and 65535, inclusive, spec.ports[0].targetPort: Invalid value: 99999: must be between 1 and 65535, inclusive]"
expect 'Service type Foo' \
  'Service "odd" is invalid: spec.type: Unsupported value: "Foo": supported values: "ClusterIP", "ExternalName", "LoadBalancer", "NodePort"'
expect 'container name Web_1' \
  "Deployment.apps \"cname\" is invalid: spec.template.spec.containers[0].name: Invalid value: \"Web_1\": a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
expect 'restartPolicy and imagePullPolicy Sometimes' \
  'Pod "sometimes" is invalid: [spec.containers[0].imagePullPolicy: Unsupported value: "Sometimes": supported values: "Always", "IfNotPresent", "Never", spec.restartPolicy: Unsupported value: "Sometimes": supported values: "Always", "OnFailure", "Never"]'
expect 'requests over limits' \
  'Pod "reqlim" is invalid: spec.containers[0].resources.requests: Invalid value: "2": must be less than or equal to cpu limit of 1'
expect 'a malformed quantity' \
  "Pod in version \"v1\" cannot be handled as a Pod: quantities must match the regular expression '^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)\$'" \
  "failed to convert new object (default/qty; /v1, Kind=Pod) to proper version: quantities must match the regular expression"
stored=" $(kc get deploy,svc,cm,secret,pod,ns -o name 2>&1 | tr '\n' ' ') "
for o in deployment.apps/two deployment.apps/huge namespace/a.b service/1web.svc "configmap/a$n253" \
  configmap/l64 configmap/lk configmap/ann secret/sk secret/sb secret/tls configmap/over \
  service/p99999 service/odd deployment.apps/cname pod/sometimes pod/reqlim pod/qty; do
  case "$stored" in *" $o "*) not_ok "$o is not stored" ;; *) ok "$o is not stored" ;; esac
done

check "the valid neighbours are created" kc create -f "$GOOD"
check "and applied server-side" kc apply --server-side -f "$GOOD"
stored=$(kc get deploy,svc,cm,clusterrole -o name 2>&1)
for o in clusterrole.rbac.authorization.k8s.io/system:aggregated-metrics-reader "configmap/$n253" \
  configmap/l63 configmap/mib service/p65535 deployment.apps/web; do
  check_contains "$o is stored" "$stored" "$o"
done

# ---- a body over the limit -------------------------------------------------------------------
bigcm toobig 3200000 >"$F"
out=$(kc create -f "$F" 2>&1)
check_contains "a body over 3 MiB is 413" "$out" \
  'Error from server (RequestEntityTooLarge): error when creating'
check_contains "with the server's limit" "$out" 'Request entity too large: limit is 3145728'
out=$(kc apply --server-side -f "$F" 2>&1)
check_contains "an apply body over 3 MiB too" "$out" 'Request entity too large: limit is 3145728'
check_fail "and nothing is stored" kc get cm toobig

# ---- an object over etcd's request limit ------------------------------------------------------
widgets_crd >"$F"
check "a CRD" kc apply --server-side -f "$F"
wait_for "its kind is served" 10 kc get widgets
widget() { # widget NAME BYTES
  python3 -c 'import sys; print("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: %s}\nspec:\n  blob: %s" % (sys.argv[1], "x" * int(sys.argv[2])))' "$1" "$2" >"$F"
}
widget big 1600000
out=$(kc create -f "$F" 2>&1)
check_contains "a 1.6 MB object is refused as etcd refuses it" "$out" \
  'Error from server: error when creating "'"$F"'": etcdserver: request is too large'
check_fail "and is not stored" kc get widget big
widget fits 1500000
check "a 1.5 MB one is stored" kc create -f "$F"

# ---- patches that do not decode --------------------------------------------------------------
out=$(kc patch deploy web --type=merge -p '{"spec":{"replicas":"x"}}' 2>&1)
check_contains "a merge patch to a string replicas is 422 patch: Invalid value" "$out" \
  'The request is invalid: patch: Invalid value: "{'
check_contains "with the decoder's reason at the end" "$out" \
  '": json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas of type int32'
out=$(kc patch deploy web --type=json -p '[{"op":"add","path":"/spec/paused","value":"yes"}]' 2>&1)
check_contains "a JSON patch to a string paused is refused the same way" "$out" \
  'json: cannot unmarshal string into Go struct field DeploymentSpec.spec.paused of type bool'
out=$(kc patch deploy web -p '{"spec":{"replicas":1.5}}' 2>&1)
check_contains "a strategic merge patch to replicas 1.5 names the number" "$out" \
  'json: cannot unmarshal number 1.5 into Go struct field DeploymentSpec.spec.replicas of type int32'
check_eq "the Deployment keeps its replicas" "$(kc get deploy web -o jsonpath='{.spec.replicas}')" "2"

# ---- immutable fields ------------------------------------------------------------------------
# One object per kind, applied, then changed where the server forbids it.
deploy sel 1 web >"$F"
cat >>"$F" <<'EOF'
---
apiVersion: v1
kind: Service
metadata: {name: fixed}
spec: {clusterIP: 10.96.0.50, ports: [{port: 80}]}
---
apiVersion: batch/v1
kind: Job
metadata: {name: once}
spec:
  template:
    spec: {restartPolicy: Never, containers: [{name: c, image: busybox}]}
---
apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec: {accessModes: [ReadWriteOnce], resources: {requests: {storage: 1Gi}}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: frozen}
immutable: true
data: {k: a}
EOF
check "objects with immutable fields are applied" kc apply --server-side -f "$F"
check "and applied again unchanged" kc apply --server-side -f "$F"
sed -i 's/matchLabels: {app: sel}/matchLabels: {app: sel, tier: x}/; s/labels: {app: sel}}/labels: {app: sel, tier: x}}/;
  s/10.96.0.50/10.96.0.51/; s/image: busybox/image: alpine/; s/ReadWriteOnce/ReadWriteMany/; s/{k: a}/{k: b}/' "$F"
out=$(kc apply --server-side -f "$F" 2>&1)
check_contains "a Deployment's selector is immutable" "$out" \
  'Deployment.apps "sel" is invalid: spec.selector: Invalid value: v1.LabelSelector{'
check_contains "a Service's cluster IP may not change" "$out" \
  'Service "fixed" is invalid: spec.clusterIPs[0]: Invalid value: []string{"10.96.0.51"}: may not change once set'
check_contains "a Job's template is immutable" "$out" \
  'Job.batch "once" is invalid: spec.template: Invalid value: core.PodTemplateSpec{...}: field is immutable'
check_contains "a claim's spec is immutable but for requests" "$out" \
  'PersistentVolumeClaim "data" is invalid: spec: Forbidden: spec is immutable after creation except resources.requests and volumeAttributesClassName for bound claims'
check_contains "an immutable ConfigMap's data cannot change" "$out" \
  'ConfigMap "frozen" is invalid: data: Forbidden: field is immutable when `immutable` is set'
check_eq "nothing changed" "$(kc get deploy/sel svc/fixed job/once pvc/data cm/frozen -o jsonpath='{range .items[*]}{.spec.selector.matchLabels.tier}{.spec.clusterIP}{.spec.template.spec.containers[0].image}{.spec.accessModes[0]}{.data.k}{" "}{end}')" \
  "nginx 10.96.0.50 busybox ReadWriteOnce a "

# ---- fieldValidation -------------------------------------------------------------------------
printf 'apiVersion: v1\nkind: Service\nmetadata: {name: unk}\nspec: {foo: 1, ports: [{port: 80}]}\n' >"$F"
out=$(kc create -f "$F" 2>&1)
check_contains "kubectl create is Strict: an unknown field fails" "$out" \
  'Service in version "v1" cannot be handled as a Service: strict decoding error: unknown field "spec.foo"'
out=$(kc create --validate=warn -f "$F" 2>&1)
check_contains "--validate=warn: a warning header" "$out" 'Warning: unknown field "spec.foo"'
check "and the object is stored" kc get svc unk
dup='{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup"},"data":{"k":"a"},"data":{"k":"b"}}'
out=$(kcurl -s -X POST -H 'Content-Type: application/json' -d "$dup" \
  "$KUBESIM_URL/api/v1/namespaces/default/configmaps?fieldValidation=Strict")
check_contains "Strict: duplicate fields are named by their key" "$out" \
  'ConfigMap in version \"v1\" cannot be handled as a ConfigMap: strict decoding error: duplicate field \"name\", duplicate field \"data\"'
out=$(kcurl -s -i -X POST -H 'Content-Type: application/json' -d "$dup" \
  "$KUBESIM_URL/api/v1/namespaces/default/configmaps?fieldValidation=Warn")
check_contains "Warn: each is a Warning header" "$out" 'Warning: 299 - "duplicate field \"data\""'
check_eq "and the last value wins" "$(kc get cm dup -o jsonpath='{.data.k}')" "b"

# ---- generateName ----------------------------------------------------------------------------
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {generateName: gen-}\n' >"$F"
name=$(kc create -f "$F" -o jsonpath='{.metadata.name}' 2>&1)
check_contains "generateName: the name starts with the prefix" "$name" "gen-"
check_eq "followed by five characters of the safe alphabet" \
  "$(printf '%s' "${name#gen-}" | tr -d 'bcdfghjklmnpqrstvwxz2456789' | wc -c)/${#name}" "0/9"

finish
