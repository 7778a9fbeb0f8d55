#!/usr/bin/env bash
# kubesim under concurrent writers: server-side applies of one object by many field
# managers at once (merged without the store lock, stored only if nothing moved
# meanwhile, else merged again) lose nobody's fields, and the controllers keep up while
# requests run.
. "$(dirname "$0")/lib.sh"

N=24
kubesim_start --pod-ready-ms 50 || { not_ok "kubesim starts"; finish; }
kubectl create configmap shared --from-literal=base=1 >/dev/null 2>&1
check_eq "the shared configmap exists" "$(kubectl get cm shared -o jsonpath='{.data.base}')" "1"

# N managers, each applying its own label and 100 data keys to the same object, sent at
# the same instant by one curl (--parallel): merges overlap and some must be redone.
K=100
args=()
for i in $(seq 1 $N); do
  jq -cn --argjson i "$i" --argjson k "$K" '{apiVersion: "v1", kind: "ConfigMap",
    metadata: {name: "shared", labels: {("l\($i)"): "v\($i)"}},
    data: ([range($k)] | map({key: "k\($i)-\(.)", value: "value-\(.)"}) | from_entries)}' \
    >"$T/apply-$i.json"
  # --next resets the options: each transfer carries kcurl's -k and token itself
  args+=(--next -k -H "Authorization: Bearer $KUBESIM_TOKEN" -s -o /dev/null -w '%{http_code}\n' -X PATCH
         -H 'Content-Type: application/apply-patch+yaml' --data-binary "@$T/apply-$i.json"
         "$KUBESIM_URL/api/v1/namespaces/default/configmaps/shared?fieldManager=m$i")
done
curl --parallel --parallel-immediate --parallel-max $N "${args[@]:1}" >"$T/codes" 2>/dev/null
codes=$(sort "$T/codes" | uniq -c | awk '{print $2 "x" $1}' | tr '\n' ' ')
check_eq "every concurrent apply answered 200" "$codes" "200x$N "
obj=$(kubectl get cm shared -o json --show-managed-fields)
check_eq "all $N labels are there" "$(jq '.metadata.labels | length' <<<"$obj")" "$N"
check_eq "all $N x $K data keys and the first one are there" "$(jq '.data | length' <<<"$obj")" "$((N * K + 1))"
check_eq "each manager owns its own fields" \
  "$(jq '[.metadata.managedFields[] | select(.operation == "Apply")] | length' <<<"$obj")" "$N"
check_eq "m7 owns exactly its label and its $K keys" \
  "$(jq -c '.metadata.managedFields[] | select(.manager == "m7") | .fieldsV1 |
            [(."f:data" | keys | length), (."f:data" | keys | map(select(startswith("f:k7-"))) | length), ."f:metadata"]' <<<"$obj")" \
  "[$K,$K,{\"f:labels\":{\"f:l7\":{}}}]"
rv=$(jq -r .metadata.resourceVersion <<<"$obj")
again=$(kcurl -s -X PATCH -H 'Content-Type: application/apply-patch+yaml' \
  --data-binary "@$T/apply-7.json" \
  "$KUBESIM_URL/api/v1/namespaces/default/configmaps/shared?fieldManager=m7" | jq -r .metadata.resourceVersion)
check_eq "re-applying the same fields is a no-op (same resourceVersion)" "$again" "$rv"

# A conflict found on the state the merge read is still a conflict.
code=$(kcurl -s -o "$T/conflict.out" -w '%{http_code}\n' -X PATCH \
  -H 'Content-Type: application/apply-patch+yaml' \
  --data-binary '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"shared"},"data":{"k7-3":"other"}}' \
  "$KUBESIM_URL/api/v1/namespaces/default/configmaps/shared?fieldManager=intruder")
check_eq "a conflicting apply is refused with 409" "$code" "409"
check_contains "the conflict names the owner" "$(cat "$T/conflict.out")" 'conflict with \"m7\"'

# Deployments applied in parallel while the controllers work: every one rolls out.
pids=()
for i in $(seq 1 12); do
  kubectl create deployment "web-$i" --image=nginx:1.25 --dry-run=client -o json |
    kcurl -s -o /dev/null -X PATCH -H 'Content-Type: application/apply-patch+yaml' --data-binary @- \
      "$KUBESIM_URL/apis/apps/v1/namespaces/default/deployments/web-$i?fieldManager=bench" &
  pids+=($!)
done
wait "${pids[@]}"
available() { kubectl get deploy -o json | jq '[.items[] | select(.status.availableReplicas == 1)] | length'; }
wait_eq "12 deployments become available" 30 12 available
finish
