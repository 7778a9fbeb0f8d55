#!/usr/bin/env bash
# kubesim's CustomResourceDefinitions with several served versions and structural
# schemas, as kube-apiserver 1.32 serves them: every served version in discovery and in
# requests, one stored object read at any of them (conversion None: apiVersion
# rewritten), 404 at an unserved version, subresources per version. The real kubectl
# is the witness.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
D=$(mktemp -d)
cat >"$D/crd.yaml" <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: widgets.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: widgets, singular: widget, kind: Widget, shortNames: [wd]}
  versions:
  - name: v1alpha1
    served: true
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v1
    served: true
    storage: true
    subresources: {status: {}}
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v0
    served: false
    storage: false
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
EOF
check "a CRD with two served versions" kubectl apply --server-side -f "$D/crd.yaml"
wait_eq "kubectl api-versions lists both served versions" 10 \
  "$(printf 'example.com/v1\nexample.com/v1alpha1')" bash -c 'kubectl api-versions | grep "^example.com/"'
check_eq "the group prefers v1, then lists v1alpha1" \
  "$(kubectl get --raw /apis/example.com | jq -r '.preferredVersion.version, ([.versions[].version] | join(","))')" \
  "$(printf 'v1\nv1,v1alpha1')"
check_eq "aggregated discovery lists both, v1 first" \
  "$(kcurl -s "$KUBESIM_URL/apis" -H 'Accept: application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList' |
     jq -r '.items[] | select(.metadata.name=="example.com") | [.versions[].version] | join(",")')" "v1,v1alpha1"
check_eq "the status subresource only where declared" \
  "$(kubectl get --raw /apis/example.com/v1 | jq -r '[.resources[].name] | join(",")') $(kubectl get --raw /apis/example.com/v1alpha1 | jq -r '[.resources[].name] | join(",")')" \
  "widgets,widgets/status widgets"
check "apply at v1alpha1" kubectl apply -f - <<EOF
apiVersion: example.com/v1alpha1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
EOF
check_eq "kubectl get widgets reads it at the preferred v1" \
  "$(kubectl get widgets w1 -o jsonpath='{.apiVersion} {.spec.size}')" "example.com/v1 3"
check_eq "kubectl get widgets.v1alpha1.example.com reads the same object at v1alpha1" \
  "$(kubectl get widgets.v1alpha1.example.com w1 -o jsonpath='{.apiVersion} {.spec.size} {.metadata.uid}')" \
  "example.com/v1alpha1 3 $(kubectl get widgets w1 -o jsonpath='{.metadata.uid}')"
check_eq "a list at v1alpha1 is a v1alpha1 list of v1alpha1 items" \
  "$(kubectl get --raw /apis/example.com/v1alpha1/namespaces/default/widgets | jq -r '.apiVersion, .items[0].apiVersion')" \
  "$(printf 'example.com/v1alpha1\nexample.com/v1alpha1')"
check "an update at v1 of the object made at v1alpha1" kubectl apply --server-side --force-conflicts -f - <<EOF
apiVersion: example.com/v1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 4}
EOF
check_eq "...is seen at v1alpha1" "$(kubectl get widgets.v1alpha1.example.com w1 -o jsonpath='{.spec.size}')" 4
check_eq "one object, whatever the version" "$(kubectl get --raw /apis/example.com/v1/widgets | jq '.items | length')" 1
out=$(kcurl -s "$KUBESIM_URL/apis/example.com/v0/namespaces/default/widgets/w1")
check_eq "an unserved version is 404 as the real server" "$(jq -r '.code, .message' <<<"$out")" \
  "$(printf '404\nthe server could not find the requested resource')"
check_eq "/status at v1alpha1 (no subresource there) is 404" \
  "$(kcurl -s -o /dev/null -w '%{http_code}' "$KUBESIM_URL/apis/example.com/v1alpha1/namespaces/default/widgets/w1/status")" 404
check_eq "/status at v1 answers the object at v1" \
  "$(kcurl -s "$KUBESIM_URL/apis/example.com/v1/namespaces/default/widgets/w1/status" | jq -r .apiVersion)" example.com/v1
kcurl -sN "$KUBESIM_URL/apis/example.com/v1alpha1/namespaces/default/widgets?watch=true&timeoutSeconds=1" >"$D/watch" &
wpid=$!
sleep 0.3
kubectl patch widgets w1 --type=merge -p '{"spec":{"size":5}}' >/dev/null
wait "$wpid"
check_eq "a watch at v1alpha1 sends v1alpha1 objects" \
  "$(jq -r '[.type, .object.apiVersion, (.object.spec.size|tostring)] | join(" ")' "$D/watch" | tail -n1)" \
  "MODIFIED example.com/v1alpha1 5"
