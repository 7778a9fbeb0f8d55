#!/usr/bin/env bash
# kubesim smoke test: the emulated API server itself, driven by curl and the real kubectl:
# discovery, CRUD of a ConfigMap, Status bodies, watch, --state, --token, --tls,
# --client-ca, --http, AlwaysAllow, --latency and /metrics.
. "$(dirname "$0")/lib.sh"

kc() { kubectl --request-timeout=20s "$@"; }
cm_yaml() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\ndata:\n  k: "%s"\n' "$1" "$2"; }
json_field() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k] if not isinstance(d, list) else d[int(k)]
print(d)' "$1"; }

# ---- the defaults: HTTPS, RBAC, the kubeconfig an administrator ---------------------------------------------------------------------
kubesim_start || { not_ok "kubesim starts"; finish; }
ok "kubesim starts and prints its URL"
out=$(kc get namespaces 2>&1)
check_contains "kubectl get namespaces lists default" "$out" "default"
check_contains "kubectl get namespaces lists kube-system" "$out" "kube-system"
check_eq "/version says minor 32" "$(kcurl -s "$KUBESIM_URL/version" | json_field minor)" "32"

cm_yaml c1 one >"$T/c1.yaml"
check "kubectl apply creates a configmap" kc apply -f "$T/c1.yaml"
check_eq "kubectl get returns the data" "$(kc get configmap c1 -o jsonpath='{.data.k}')" "one"
cm_yaml c2 two | kc apply -f - >/dev/null 2>&1
out=$(kc get configmaps -o name)
check_contains "list has c1" "$out" "configmap/c1"
check_contains "list has c2" "$out" "configmap/c2"
rv1=$(kc get configmap c1 -o jsonpath='{.metadata.resourceVersion}')
check "server-side apply over a client-side applied object" kc apply --server-side -f "$T/c1.yaml"
check_eq "the CSA->SSA migration keeps the data" "$(kc get configmap c1 -o jsonpath='{.data.k}')" "one"
cm_yaml s1 one >"$T/s1.yaml"
check "server-side apply creates a configmap" kc apply --server-side -f "$T/s1.yaml"
rv2=$(kc get configmap s1 -o jsonpath='{.metadata.resourceVersion}')
check "server-side re-apply of the same manifest succeeds" kc apply --server-side -f "$T/s1.yaml"
rv3=$(kc get configmap s1 -o jsonpath='{.metadata.resourceVersion}')
check_eq "a no-op re-apply keeps the resourceVersion" "$rv3" "$rv2"
[ -n "$rv1" ] && ok "resourceVersion set ($rv1)" || not_ok "resourceVersion set"

body=$(kcurl -s "$KUBESIM_URL/api/v1/namespaces/default/configmaps/nope")
check_eq "404 is a Status with reason NotFound" "$(echo "$body" | json_field reason)" "NotFound"
check_eq "404 message names the object" "$(echo "$body" | json_field message)" 'configmaps "nope" not found'
body=$(kcurl -s -XPOST -H 'Content-Type: application/json' \
  "$KUBESIM_URL/api/v1/namespaces/default/configmaps" -d '{"metadata":{"name":"c1"}}')
check_eq "409 AlreadyExists on a duplicate create" "$(echo "$body" | json_field reason)/$(echo "$body" | json_field code)" "AlreadyExists/409"
body=$(kcurl -s -XPOST -H 'Content-Type: application/json' \
  "$KUBESIM_URL/api/v1/namespaces/missing/configmaps" -d '{"metadata":{"name":"x"}}')
check_eq "create in a missing namespace: 404 namespaces not found" "$(echo "$body" | json_field message)" 'namespaces "missing" not found'
body=$(kcurl -s -XPUT -H 'Content-Type: application/json' \
  "$KUBESIM_URL/api/v1/namespaces/default/configmaps/c1" -d '{"metadata":{"name":"c1","resourceVersion":"1"},"data":{}}')
check_eq "stale resourceVersion on PUT: 409 Conflict" "$(echo "$body" | json_field reason)" "Conflict"
rvb=$(kcurl -s "$KUBESIM_URL/api/v1/namespaces/default/configmaps" | json_field metadata.resourceVersion)
kcurl -s -XPOST -H 'Content-Type: application/json' "$KUBESIM_URL/api/v1/namespaces/default/configmaps?dryRun=All" \
  -d '{"metadata":{"name":"dry"}}' >/dev/null
check_fail "dryRun=All stores nothing" kc get configmap dry
check_eq "dryRun=All keeps the resourceVersion" "$(kcurl -s "$KUBESIM_URL/api/v1/namespaces/default/configmaps" | json_field metadata.resourceVersion)" "$rvb"

# watch from the list's resourceVersion sees the next change only
kcurl -sN "$KUBESIM_URL/api/v1/namespaces/default/configmaps?watch=true&resourceVersion=$rvb&timeoutSeconds=5" >"$T/watch.out" &
wpid=$!
sleep 0.3
cm_yaml c3 three | kc apply -f - >/dev/null 2>&1
kc delete configmap c3 >/dev/null 2>&1
wait_for "watch stream reports ADDED then DELETED" 5 grep -q '"type":"DELETED"' "$T/watch.out"
check_eq "watch sent exactly the two events" "$(grep -c '"type"' "$T/watch.out")" "2"
kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null
check "kubectl delete removes the configmap" kc delete configmap c2
check_fail "deleted configmap is gone" kc get configmap c2
# namespace finalizers: kept by plain updates, changed only through /finalize
kc create namespace fin >/dev/null 2>&1
kcurl -s -XPUT -H 'Content-Type: application/json' "$KUBESIM_URL/api/v1/namespaces/fin" \
  -d '{"metadata":{"name":"fin","labels":{"a":"b"}},"spec":{"finalizers":[]}}' >/dev/null
check_eq "a namespace update keeps spec.finalizers" "$(kc get ns fin -o jsonpath='{.spec.finalizers}')" '["kubernetes"]'
check_eq "GET on namespaces/finalize: 405" "$(kcurl -s -o /dev/null -w '%{http_code}' "$KUBESIM_URL/api/v1/namespaces/fin/finalize")" "405"
kcurl -s -XPUT -H 'Content-Type: application/json' "$KUBESIM_URL/api/v1/namespaces/fin/finalize" \
  -d '{"metadata":{"name":"fin"},"spec":{"finalizers":["kubernetes","example.com/hold"]}}' >/dev/null
check_eq "PUT namespaces/finalize sets spec.finalizers" "$(kc get ns fin -o jsonpath='{.spec.finalizers}')" '["kubernetes","example.com/hold"]'
kc delete namespace fin --wait=false >/dev/null 2>&1
wait_for "the namespace controller removes only its own finalizer" 5 \
  sh -c "kubectl --request-timeout=5s get ns fin -o jsonpath='{.spec.finalizers}' | grep -qx '\[\"example.com/hold\"\]'"
check_eq "a namespace with a foreign finalizer stays Terminating" "$(kc get ns fin -o jsonpath='{.status.phase}')" "Terminating"
kcurl -s -XPUT -H 'Content-Type: application/json' "$KUBESIM_URL/api/v1/namespaces/fin/finalize" \
  -d '{"metadata":{"name":"fin"},"spec":{"finalizers":[]}}' >/dev/null
check_fail "finalizing the last finalizer removes the namespace" kc get ns fin
# Secret stringData: merged into data as base64, never stored; dry-run shows the same
printf 'apiVersion: v1\nkind: Secret\nmetadata:\n  name: sd\ndata:\n  a: eA==\n  b: eQ==\nstringData:\n  b: hello\n' >"$T/sd.yaml"
out=$(kc apply --server-side --dry-run=server -f "$T/sd.yaml" -o json 2>&1)
has_sd() { python3 -c 'import json,sys; print("stringData" in json.load(sys.stdin))'; }
check_eq "dry-run apply of stringData returns merged data" "$(echo "$out" | json_field data.b) $(echo "$out" | has_sd)" "aGVsbG8= False"
check "server-side apply of a Secret with stringData" kc apply --server-side -f "$T/sd.yaml"
body=$(kcurl -s "$KUBESIM_URL/api/v1/namespaces/default/secrets/sd")
check_eq "stringData is merged over data as base64" "$(echo "$body" | json_field data.a) $(echo "$body" | json_field data.b)" "eA== aGVsbG8="
check_eq "stringData is not stored" "$(echo "$body" | has_sd)" "False"
# Apply patches go through the schema whatever fieldValidation says (structuredmerge.go:
# a plain error, so 500 with no reason); the object is named from the patch body.
for fv in Strict Ignore; do
  code=$(kcurl -s -o "$T/apply.out" -w '%{http_code}' -XPATCH -H 'Content-Type: application/apply-patch+yaml' \
    "$KUBESIM_URL/api/v1/namespaces/default/configmaps/unk?fieldManager=m&fieldValidation=$fv" \
    -d '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"unk","namespace":"default"},"spec":{"foo":1}}')
  check_eq "apply with an unknown field, fieldValidation=$fv: 500" "$code" "500"
  check_eq "... names the field and the object" "$(json_field message <"$T/apply.out")" \
    'failed to create typed patch object (default/unk; /v1, Kind=ConfigMap): .spec: field not declared in schema'
done
check_fail "... and stores nothing" kc get configmap unk
out=$(printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: unk\nspec:\n  foo: bar\n' | kc apply --server-side --validate=false -f - 2>&1)
check_contains "kubectl apply --server-side --validate=false still fails on .spec.foo" "$out" \
  'Error from server: failed to create typed patch object (/unk; /v1, Kind=Namespace): .spec.foo: field not declared in schema'
n=$(kubesim_requests LIST)
[ "$n" -gt 0 ] && ok "/metrics counts LIST requests ($n)" || not_ok "/metrics counts LIST requests"
# Stop with a watch stream open: server_stop and the stream's thread share the stopping
# flag (run with KUBESIM=a -fsanitize=thread build to catch a race on it).
kcurl -sN "$KUBESIM_URL/api/v1/namespaces/default/configmaps?watch=true&timeoutSeconds=30" >/dev/null &
wpid=$!
wait_for "the watch stream is open" 5 sh -c "curl -sk '$KUBESIM_URL/metrics' | grep -q 'verb=\"WATCH\"'"
kill "$SIM_PID"; wait "$SIM_PID" 2>/dev/null
check_eq "SIGTERM with an open watch: clean exit" "$?" "0"
check_eq "no sanitizer report on stderr" "$(grep -c 'Sanitizer' "$T/sim.err")" "0"
kill "$wpid" 2>/dev/null; wait "$wpid" 2>/dev/null

# ---- --state ----------------------------------------------------------------------------
kubesim_start st --state "$T/state.json" || not_ok "kubesim starts with --state"
cm_yaml keep v | kc apply -f - >/dev/null 2>&1
rv=$(kc get configmap keep -o jsonpath='{.metadata.resourceVersion}')
uid=$(kc get configmap keep -o jsonpath='{.metadata.uid}')
kill "$ST_PID"; wait "$ST_PID" 2>/dev/null
kubesim_start st2 --state "$T/state.json" || not_ok "kubesim restarts with --state"
check_eq "--state keeps the object's resourceVersion" "$(kc get configmap keep -o jsonpath='{.metadata.resourceVersion}')" "$rv"
check_eq "--state keeps the uid" "$(kc get configmap keep -o jsonpath='{.metadata.uid}')" "$uid"
check_eq "--state keeps the CA and the administrator token: old kubeconfigs stay valid" \
  "$(KUBECONFIG=$T/st.kubeconfig kubectl --server "$KUBESIM_URL" get configmap keep -o jsonpath='{.metadata.uid}' 2>&1)" "$uid"
check_eq "the certificates and token are kept private" "$(stat -c %a "$T/state.json.pki")" 600
cm_yaml after v | kc apply -f - >/dev/null 2>&1
rv_after=$(kc get configmap after -o jsonpath='{.metadata.resourceVersion}')
[ "$rv_after" -gt "$rv" ] && ok "resourceVersion counter continues after restart" ||
  not_ok "resourceVersion counter continues after restart ($rv_after <= $rv)"
kill "$ST2_PID"; wait "$ST2_PID" 2>/dev/null

# ---- --token and --tls ------------------------------------------------------------------
kubesim_start tok --tls --token s3cret || not_ok "kubesim starts with --tls --token"
check_eq "no token: 401" "$(curl -sk -o /dev/null -w '%{http_code}' "$KUBESIM_URL/api/v1/namespaces")" "401"
check_eq "wrong token: 401" "$(curl -sk -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer nope' "$KUBESIM_URL/api/v1/namespaces")" "401"
check_contains "kubectl over TLS with the token works" "$(kc get ns 2>&1)" "kube-public"
check_contains "kubeconfig carries the CA" "$(cat "$KUBECONFIG")" "certificate-authority-data"
kill "$TOK_PID"; wait "$TOK_PID" 2>/dev/null

kubesim_start cca --client-ca || not_ok "kubesim starts with --client-ca"
check_eq "no client certificate: 401" "$(curl -sk -o /dev/null -w '%{http_code}' "$KUBESIM_URL/api/v1/namespaces")" "401"
check_contains "kubectl with the generated client certificate works" "$(kc get ns 2>&1)" "kube-system"
kill "$CCA_PID"; wait "$CCA_PID" 2>/dev/null

# ---- --http and --authorization-mode AlwaysAllow -------------------------------------------
kubesim_start plain --http || not_ok "kubesim starts with --http"
check_contains "--http serves plain HTTP" "$KUBESIM_URL" "http://"
check_eq "the administrator token works over plain HTTP" \
  "$(kcurl -s -o /dev/null -w '%{http_code}' "$KUBESIM_URL/api/v1/namespaces")" "200"
check_contains "kubectl sends no credentials over plain HTTP: anonymous, even discovery is 403" \
  "$(kc get ns 2>&1)" 'Error from server (Forbidden): unknown'
kill "$PLAIN_PID"; wait "$PLAIN_PID" 2>/dev/null
check_fail "--client-ca needs TLS" "$KUBESIM" --http --client-ca
kubesim_start open --authorization-mode AlwaysAllow || not_ok "kubesim starts with AlwaysAllow"
check_eq "AlwaysAllow lets an anonymous request through" \
  "$(curl -sk -o /dev/null -w '%{http_code}' "$KUBESIM_URL/api/v1/namespaces")" "200"
kill "$OPEN_PID"; wait "$OPEN_PID" 2>/dev/null

# ---- --latency does not serialise ---------------------------------------------------------
kubesim_start lat --latency 300 || not_ok "kubesim starts with --latency"
# One curl process, 32 parallel connections: serialised they would take 9.6 s.
urls=()
for i in $(seq 1 32); do urls+=("$KUBESIM_URL/api/v1/namespaces/default?i=$i"); done
start=$(date +%s%N)
kcurl -s -Z --parallel-max 64 "${urls[@]}" >/dev/null 2>&1
ms=$(( ($(date +%s%N) - start) / 1000000 ))
[ "$ms" -ge 300 ] && ok "latency applied (${ms}ms >= 300ms)" || not_ok "latency applied (${ms}ms)"
[ "$ms" -lt 2500 ] && ok "32 parallel requests at 300ms take ${ms}ms (not serialised)" ||
  not_ok "32 parallel requests at 300ms took ${ms}ms"
kill "$LAT_PID"; wait "$LAT_PID" 2>/dev/null

finish
