#!/usr/bin/env bash
# kubesim's CustomResourceDefinitions as kube-apiserver 1.32 keeps them: the status
# conditions (NamesAccepted, Established) change only when their status does, so a
# no-op apply keeps the resourceVersion and `kubectl diff --server-side` is empty;
# status.storedVersions accumulates every storage version used; acceptedNames follows
# spec.names. The real kubectl is the witness.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
D=$(mktemp -d)
crd() { # $1 = storage version (v1 or v2), both served
  cat <<EOF
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: gadgets.example.com
spec:
  group: example.com
  scope: Namespaced
  names: {plural: gadgets, singular: gadget, kind: Gadget, shortNames: [gd]}
  versions:
  - name: v1
    served: true
    storage: $([ "$1" = v1 ] && echo true || echo false)
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v2
    served: $([ "$1" = v2 ] && echo true || echo false)
    storage: $([ "$1" = v2 ] && echo true || echo false)
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
EOF
}
crd v1 >"$D/crd1.yaml"
crd v2 >"$D/crd2.yaml"
jp() { kubectl get crd gadgets.example.com -o jsonpath="$1"; }

check "apply --server-side of a CRD" kubectl apply --server-side -f "$D/crd1.yaml"
check_eq "Established is True" "$(jp '{.status.conditions[?(@.type=="Established")].status}')" True
check_eq "NamesAccepted is True with reason NoConflicts" \
  "$(jp '{.status.conditions[?(@.type=="NamesAccepted")].reason}')" NoConflicts
check_eq "acceptedNames are spec.names" "$(jp '{.status.acceptedNames.kind} {.status.acceptedNames.shortNames[0]}')" "Gadget gd"
check_eq "storedVersions is the storage version" "$(jp '{.status.storedVersions}')" '["v1"]'
rv=$(jp '{.metadata.resourceVersion}')
ltt=$(jp '{.status.conditions[?(@.type=="Established")].lastTransitionTime}')
sleep 1.1
check "a second apply of the same file" kubectl apply --server-side -f "$D/crd1.yaml"
check_eq "...keeps the resourceVersion (a no-op)" "$(jp '{.metadata.resourceVersion}')" "$rv"
check_exit "kubectl diff --server-side of the same file exits 0" 0 \
  kubectl diff --server-side -f "$D/crd1.yaml"
check "a client-side apply of the same file" kubectl apply -f "$D/crd1.yaml"
check "moving the storage version to v2" kubectl apply --server-side -f "$D/crd2.yaml"
check_eq "...storedVersions keeps v1 and adds v2" "$(jp '{.status.storedVersions}')" '["v1","v2"]'
check_eq "...the conditions keep their lastTransitionTime" \
  "$(jp '{.status.conditions[?(@.type=="Established")].lastTransitionTime}')" "$ltt"
check "moving it back to v1" kubectl apply --server-side -f "$D/crd1.yaml"
check_eq "...storedVersions still lists both, in order" "$(jp '{.status.storedVersions}')" '["v1","v2"]'

# Deleting a CRD with instances: Terminating with the cleanup finalizer until they go.
rm -rf "$HOME/.kube/cache" # the served versions changed: kubectl's discovery is stale
check "apply a gadget" kubectl apply -f - <<EOF
apiVersion: example.com/v1
kind: Gadget
metadata: {name: held, namespace: default, finalizers: [example.com/hold]}
EOF
check "kubectl delete crd --wait=false" kubectl delete crd gadgets.example.com --wait=false
check_eq "the CRD stays, with the cleanup finalizer" "$(jp '{.metadata.finalizers}')" \
  '["customresourcecleanup.apiextensions.k8s.io"]'
check "...and a deletionTimestamp" test -n "$(jp '{.metadata.deletionTimestamp}')"
wait_eq "its Terminating condition says the instances are being deleted" 10 \
  "True InstanceDeletionInProgress" \
  jp '{.status.conditions[?(@.type=="Terminating")].status} {.status.conditions[?(@.type=="Terminating")].reason}'
check "the instance is Terminating, held by its own finalizer" \
  test -n "$(kubectl get gadget held -o jsonpath='{.metadata.deletionTimestamp}')"
out=$(kubectl create -f - 2>&1 <<EOF
apiVersion: example.com/v1
kind: Gadget
metadata: {name: late, namespace: default}
EOF
)
check_contains "creating an instance is refused meanwhile" "$out" \
  "create not allowed while custom resource definition is terminating"
check "the CRD is still there" kubectl get crd gadgets.example.com
check "removing the instance's finalizer" kubectl patch gadget held --type=merge \
  -p '{"metadata":{"finalizers":null}}'
wait_for "then the CRD goes" 10 bash -c '! kubectl get crd gadgets.example.com >/dev/null 2>&1'
check "the group is gone from discovery" bash -c '! kubectl get --raw /apis | grep -q "\"example.com\""'

# Two CRDs of one group at v1 and v1alpha1: the group serves both, v1 preferred.
for spec in "foos Foo v1" "bars Bar v1alpha1"; do
  set -- $spec
  printf '        type: object\n        x-kubernetes-preserve-unknown-fields: true\n' |
    crd_with_schema "$1" "$2" "$3" | kubectl apply -f - >/dev/null
done
wait_eq "kubectl api-versions lists both versions of the group" 10 \
  "$(printf 'example.com/v1\nexample.com/v1alpha1')" bash -c 'kubectl api-versions | grep "^example.com/"'
check_eq "/apis/example.com prefers v1" \
  "$(kubectl get --raw /apis/example.com | jq -r '.preferredVersion.version')" v1
check_eq "kubectl api-resources shows each kind at its version" \
  "$(kubectl api-resources --api-group=example.com --no-headers | awk '{print $1, $2}')" \
  "$(printf 'bars example.com/v1alpha1\nfoos example.com/v1')"
check "a v1alpha1 object is served" kubectl apply -f - <<EOF
apiVersion: example.com/v1alpha1
kind: Bar
metadata: {name: b1, namespace: default}
EOF

# A CRD restored Terminating (--state) goes on with its cleanup after a restart.
kubesim_start st --state "$T/state.json" || not_ok "kubesim starts with --state"
kubectl apply --server-side -f "$D/crd1.yaml" >/dev/null
wait_for "the CRD is served" 10 kubectl get gadgets
kubectl apply -f - >/dev/null <<EOF
apiVersion: example.com/v1
kind: Gadget
metadata: {name: held, namespace: default, finalizers: [example.com/hold]}
EOF
kubectl delete crd gadgets.example.com --wait=false >/dev/null
wait_eq "the CRD waits for its instance" 10 "True InstanceDeletionInProgress" \
  jp '{.status.conditions[?(@.type=="Terminating")].status} {.status.conditions[?(@.type=="Terminating")].reason}'
kill "$ST_PID"; wait "$ST_PID" 2>/dev/null
kubesim_start st2 --state "$T/state.json" || not_ok "kubesim restarts with --state"
check "after a restart the CRD is still Terminating" test -n "$(jp '{.metadata.deletionTimestamp}')"
check "removing the instance's finalizer" kubectl patch gadget held --type=merge \
  -p '{"metadata":{"finalizers":null}}'
wait_for "then the restored CRD goes" 10 bash -c '! kubectl get crd gadgets.example.com >/dev/null 2>&1'
rm -rf "$D"
finish
