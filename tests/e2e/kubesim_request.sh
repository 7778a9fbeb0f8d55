#!/usr/bin/env bash
# kubesim request details as kube-apiserver 1.32 handles them: write options validated
# (dryRun, fieldValidation, fieldManager, propagationPolicy: 422 and nothing changed),
# boolean query parameters as the parameter codec reads them, remainingItemCount on
# paged lists, the deprecated /watch/ paths, precondition conflicts, and the "drop"
# fault (the write happens, the answer is lost).
. "$(dirname "$0")/lib.sh"

kc() { kubectl --request-timeout=20s "$@"; }
jf() { python3 -c 'import json,sys; d=json.load(sys.stdin)
for k in sys.argv[1].split("."): d=d[k] if not isinstance(d, list) else d[int(k)]
print(d)' "$1"; }
cm() { printf '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"%s"},"data":{"k":"%s"}}' "$1" "$2"; }
api=/api/v1/namespaces/default/configmaps

kubesim_start || { not_ok "kubesim starts"; finish; }

# ---- CreateOptions / UpdateOptions / PatchOptions / DeleteOptions ----------------------
out=$(kcurl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "$(cm bad1 v)" "$KUBESIM_URL$api?dryRun=Yes")
check_eq "create with dryRun=Yes is 422" "$(echo "$out" | tail -n1)" "422"
body=$(echo "$out" | sed '$d')
check_eq "the message is ValidateCreateOptions'" "$(echo "$body" | jf message)" \
  'CreateOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"Yes"}: supported values: "All"'
check_eq "the cause names the field" "$(echo "$body" | jf details.causes.0.field)" "dryRun"
check_eq "the cause reason is FieldValueNotSupported" "$(echo "$body" | jf details.causes.0.reason)" \
  "FieldValueNotSupported"
check_eq "details.kind is CreateOptions" "$(echo "$body" | jf details.kind)" "CreateOptions"
check_eq "details.group is meta.k8s.io" "$(echo "$body" | jf details.group)" "meta.k8s.io"
check_fail "nothing was created" kc get configmap bad1
code=$(kcurl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "$(cm bad2 v)" "$KUBESIM_URL$api?dryRun=All&dryRun=Nope")
check_eq "a second bad dryRun value is caught too" "$code" "422"
body=$(kcurl -s -X POST -H 'Content-Type: application/json' -d "$(cm bad3 v)" \
  "$KUBESIM_URL$api?fieldValidation=Loose")
check_eq "fieldValidation=Loose is refused with the supported values" "$(echo "$body" | jf message)" \
  'CreateOptions.meta.k8s.io "" is invalid: fieldValidation: Unsupported value: "Loose": supported values: "", "Ignore", "Strict", "Warn"'
long=$(printf 'm%.0s' $(seq 1 129))
body=$(kcurl -s -X POST -H 'Content-Type: application/json' -d "$(cm bad4 v)" \
  "$KUBESIM_URL$api?fieldManager=$long&dryRun=x")
check_eq "two invalid options are listed together" "$(echo "$body" | jf message)" \
  'CreateOptions.meta.k8s.io "" is invalid: [fieldManager: Too long: must have at most 128 bytes, dryRun: Unsupported value: []string{"x"}: supported values: "All"]'
check_eq "...with a cause each" "$(echo "$body" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["details"]["causes"]))')" "2"
code=$(kcurl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "$(cm ok1 v)" "$KUBESIM_URL$api?dryRun=All&fieldValidation=Strict")
check_eq "dryRun=All with fieldValidation=Strict is accepted" "$code" "201"
check_fail "...and stores nothing (dry run)" kc get configmap ok1

kc create configmap c1 --from-literal=k=v >/dev/null
body=$(kcurl -s -X PUT -H 'Content-Type: application/json' -d "$(cm c1 changed)" \
  "$KUBESIM_URL$api/c1?dryRun=true")
check_eq "update with dryRun=true is 422 UpdateOptions" "$(echo "$body" | jf details.kind)" "UpdateOptions"
check_eq "...and the object is unchanged" "$(kc get configmap c1 -o jsonpath='{.data.k}')" "v"
body=$(kcurl -s -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"data":{"k":"p"}}' \
  "$KUBESIM_URL$api/c1?dryRun=server")
check_eq "merge patch with dryRun=server is 422 PatchOptions" "$(echo "$body" | jf message)" \
  'PatchOptions.meta.k8s.io "" is invalid: dryRun: Unsupported value: []string{"server"}: supported values: "All"'
body=$(kcurl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' -d "$(cm c1 p)" \
  "$KUBESIM_URL$api/c1")
check_eq "apply without fieldManager: Required value" "$(echo "$body" | jf message)" \
  'PatchOptions.meta.k8s.io "" is invalid: fieldManager: Required value: is required for apply patch'
body=$(kcurl -s -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"data":{"k":"p"}}' \
  "$KUBESIM_URL$api/c1?force=true")
check_eq "force on a merge patch: Forbidden" "$(echo "$body" | jf details.causes.0.reason)" "FieldValueForbidden"
check_eq "...and the object is unchanged" "$(kc get configmap c1 -o jsonpath='{.data.k}')" "v"

body=$(kcurl -s -X DELETE -H 'Content-Type: application/json' -d '{"propagationPolicy":"Cascade"}' \
  "$KUBESIM_URL$api/c1")
check_eq "delete with propagationPolicy Cascade is 422 DeleteOptions" "$(echo "$body" | jf message)" \
  'DeleteOptions.meta.k8s.io "" is invalid: propagationPolicy: Unsupported value: "Cascade": supported values: "Foreground", "Background", "Orphan", "nil"'
check "...and the object is still there" kc get configmap c1
body=$(kcurl -s -X DELETE "$KUBESIM_URL$api/c1?propagationPolicy=foreground")
check_eq "the query's propagationPolicy is checked when there is no body" "$(echo "$body" | jf code)" "422"
body=$(kcurl -s -X DELETE -H 'Content-Type: application/json' \
  -d '{"propagationPolicy":"Orphan","orphanDependents":true}' "$KUBESIM_URL$api/c1")
check_contains "orphanDependents with propagationPolicy is refused" "$(echo "$body" | jf message)" \
  "orphanDependents and deletionPropagation cannot be both set"
body=$(kcurl -s -X DELETE -H 'Content-Type: application/json' -d '{"dryRun":["Al"]}' "$KUBESIM_URL$api/c1")
check_eq "a body's dryRun is checked" "$(echo "$body" | jf details.causes.0.field)" "dryRun"
check "...the object is still there" kc get configmap c1
body=$(kcurl -s -X DELETE -H 'Content-Type: application/json' -d '{"propagationPolicy":"Cascade"}' \
  "$KUBESIM_URL$api/missing")
check_eq "the options of a missing object: 404 first, as BeforeDelete runs after the read" \
  "$(echo "$body" | jf code)" "404"
out=$(kc delete configmap c1 --cascade=foreground --dry-run=server 2>&1)
check_contains "kubectl delete --dry-run=server still works" "$out" "deleted (server dry run)"
check "...and keeps the object" kc get configmap c1

# ---- preconditions ---------------------------------------------------------------------
body=$(kcurl -s -X DELETE -H 'Content-Type: application/json' \
  -d '{"preconditions":{"uid":"00000000-0000-0000-0000-000000000000"}}' "$KUBESIM_URL$api/c1")
uid=$(kc get configmap c1 -o jsonpath='{.metadata.uid}')
check_eq "a UID precondition conflict reads as BeforeDelete's" "$(echo "$body" | jf message)" \
  "Operation cannot be fulfilled on ConfigMap \"c1\": the UID in the precondition (00000000-0000-0000-0000-000000000000) does not match the UID in record ($uid). The object might have been deleted and then recreated"
check_eq "...details.kind is the Kind" "$(echo "$body" | jf details.kind)" "ConfigMap"
rv=$(kc get configmap c1 -o jsonpath='{.metadata.resourceVersion}')
body=$(kcurl -s -X DELETE -H 'Content-Type: application/json' \
  -d '{"preconditions":{"resourceVersion":"1"}}' "$KUBESIM_URL$api/c1")
check_eq "a resourceVersion precondition conflict" "$(echo "$body" | jf message)" \
  "Operation cannot be fulfilled on ConfigMap \"c1\": the ResourceVersion in the precondition (1) does not match the ResourceVersion in record ($rv). The object might have been modified"

# ---- boolean query parameters -----------------------------------------------------------
for v in True 1 yes; do
  out=$(kcurl -s -m 2 "$KUBESIM_URL$api?watch=$v&timeoutSeconds=1" | head -c 200)
  check_contains "watch=$v starts a watch" "$out" '"type":"ADDED"'
done
for v in False 0 FALSE; do
  out=$(kcurl -s -m 2 "$KUBESIM_URL$api?watch=$v" | head -c 200)
  check_contains "watch=$v is a list" "$out" '"kind":"ConfigMapList"'
done
out=$(kcurl -s -m 2 "$KUBESIM_URL$api/c1?watch=true" | head -c 200)
check_contains "watch=true on one object is a plain GET" "$out" '"kind":"ConfigMap"'

# ---- the deprecated watch paths ---------------------------------------------------------
out=$(kcurl -s -m 3 "$KUBESIM_URL/api/v1/watch/namespaces/default/configmaps?timeoutSeconds=1")
check_contains "/api/v1/watch/namespaces/NS/configmaps streams events" "$out" '"name":"c1"'
kc create deployment web --image=nginx >/dev/null
out=$(kcurl -s -m 3 "$KUBESIM_URL/apis/apps/v1/watch/deployments?timeoutSeconds=1")
check_contains "/apis/apps/v1/watch/deployments streams events" "$out" '"name":"web"'
kcurl -s -m 8 "$KUBESIM_URL/api/v1/watch/namespaces/default/configmaps/c1?timeoutSeconds=5" >"$T/named.watch" &
wpid=$!
sleep 1
kc create configmap other-watch --from-literal=k=v >/dev/null
kc patch configmap c1 -p '{"data":{"named":"watch"}}' >/dev/null
wait "$wpid"
check_contains "/watch/.../NAME streams that object's changes" "$(cat "$T/named.watch")" '"named":"watch"'
check_not_contains "...and no other object's" "$(cat "$T/named.watch")" 'other-watch'
check "kubesim survives a named watch" kc get configmap c1
code=$(kcurl -s -o /dev/null -w '%{http_code}' -X DELETE "$KUBESIM_URL/api/v1/watch/namespaces/default/configmaps/c1")
check_eq "DELETE on a watch path is 405" "$code" "405"
check "...and deletes nothing" kc get configmap c1

# ---- remainingItemCount -----------------------------------------------------------------
for i in 1 2 3 4 5; do kc create configmap "page$i" --from-literal=k=v >/dev/null; done
n=$(kc get configmaps -o name | wc -l)
body=$(kcurl -s "$KUBESIM_URL$api?limit=2")
check_eq "a paged list says how many items remain" "$(echo "$body" | jf metadata.remainingItemCount)" "$((n - 2))"
cont=$(echo "$body" | jf metadata.continue)
body=$(kcurl -s "$KUBESIM_URL$api?limit=2&continue=$(python3 -c 'import urllib.parse,sys; print(urllib.parse.quote(sys.argv[1]))' "$cont")")
check_eq "...and on the next page" "$(echo "$body" | jf metadata.remainingItemCount)" "$((n - 4))"
body=$(kcurl -s "$KUBESIM_URL$api?limit=2&labelSelector=nope%21%3Dx")
check_eq "no remainingItemCount with a selector" \
  "$(echo "$body" | python3 -c 'import json,sys; print("remainingItemCount" in json.load(sys.stdin)["metadata"])')" "False"
body=$(kcurl -s "$KUBESIM_URL$api?limit=100")
check_eq "no remainingItemCount on the last page" \
  "$(echo "$body" | python3 -c 'import json,sys; print("remainingItemCount" in json.load(sys.stdin)["metadata"])')" "False"

# ---- the drop fault ---------------------------------------------------------------------
kubesim_start drop --faults drop=1 --faults-methods POST || { not_ok "kubesim starts with drop"; finish; }
code=$(kcurl -s -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
  -d "$(cm dropped v)" "$KUBESIM_URL$api")
check_eq "a dropped answer: the client sees no HTTP status" "$code" "000"
check_eq "...but the write happened" "$(kc get configmap dropped -o jsonpath='{.data.k}')" "v"
out=$(kc create configmap dropped2 --from-literal=k=v 2>&1)
check_fail "kubectl create sees the dropped answer as an error" test $? -eq 0 -a -z "$out"
check "...and the object exists all the same" kc get configmap dropped2
check_fail "kubesim refuses an over-1 fault spec" "$KUBESIM" --faults drop=0.7,reset=0.5 --listen 127.0.0.1:0
finish
