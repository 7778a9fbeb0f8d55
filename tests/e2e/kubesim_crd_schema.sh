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
    deprecated: true
    schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}
  - name: v1
    served: true
    storage: true
    subresources:
      status: {}
      scale: {specReplicasPath: .spec.size, statusReplicasPath: .status.count, labelSelectorPath: .status.sel}
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
check_eq "the subresources only where declared" \
  "$(kubectl get --raw /apis/example.com/v1 | jq -r '[.resources[].name] | sort | join(",")') $(kubectl get --raw /apis/example.com/v1alpha1 | jq -r '[.resources[].name] | join(",")')" \
  "widgets,widgets/scale,widgets/status widgets"
check "apply at v1alpha1" kubectl apply -f - <<EOF
apiVersion: example.com/v1alpha1
kind: Widget
metadata: {name: w1, namespace: default}
spec: {size: 3}
EOF
check_contains "a request at the deprecated v1alpha1 warns" \
  "$(kubectl get widgets.v1alpha1.example.com w1 2>&1 >/dev/null)" 'Warning: example.com/v1alpha1 Widget is deprecated'
check_eq "...and at v1 does not" "$(kubectl get widgets w1 2>&1 >/dev/null)" ""
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
kcurl -s -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"status":{"count":2,"sel":"app=w"}}' \
  "$KUBESIM_URL/apis/example.com/v1/namespaces/default/widgets/w1/status" >/dev/null
check_eq "the Scale reads the CRD's paths" \
  "$(kubectl get --raw /apis/example.com/v1/namespaces/default/widgets/w1/scale | jq -r '[.spec.replicas, .status.replicas, .status.selector] | join(" ")')" \
  "4 2 app=w"
check "kubectl scale writes specReplicasPath" kubectl scale widgets w1 --replicas=7
check_eq "...spec.size is 7" "$(kubectl get widgets w1 -o jsonpath='{.spec.size}')" 7
check_eq "/scale at v1alpha1 (not declared there) is 404" \
  "$(kcurl -s -o /dev/null -w '%{http_code}' "$KUBESIM_URL/apis/example.com/v1alpha1/namespaces/default/widgets/w1/scale")" 404
kcurl -sN "$KUBESIM_URL/apis/example.com/v1alpha1/namespaces/default/widgets?watch=true&timeoutSeconds=1" >"$D/watch" &
wpid=$!
sleep 0.3
kubectl patch widgets w1 --type=merge -p '{"spec":{"size":5}}' >/dev/null
wait "$wpid"
check_eq "a watch at v1alpha1 sends v1alpha1 objects" \
  "$(jq -r '[.type, .object.apiVersion, (.object.spec.size|tostring)] | join(" ")' "$D/watch" | tail -n1)" \
  "MODIFIED example.com/v1alpha1 5"

# The storage version need not be served: its objects are still read at the served one.
kubectl apply -f - >/dev/null <<'EOF'
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: knobs.example.org}
spec:
  group: example.org
  scope: Cluster
  names: {plural: knobs, singular: knob, kind: Knob}
  versions:
  - {name: v1, served: false, storage: true, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
  - {name: v2, served: true, storage: false, schema: {openAPIV3Schema: {type: object, x-kubernetes-preserve-unknown-fields: true}}}
EOF
wait_eq "only the served v2 is discovered" 10 example.org/v2 bash -c 'kubectl api-versions | grep "^example.org/"'
check "a knob written at v2" kubectl apply -f - <<'EOF'
apiVersion: example.org/v2
kind: Knob
metadata: {name: k1}
spec: {turn: 1}
EOF
check_eq "...reads back at v2" "$(kubectl get knobs k1 -o jsonpath='{.apiVersion} {.spec.turn}')" "example.org/v2 1"
check_eq "...and the unserved storage version is 404" \
  "$(kcurl -s -o /dev/null -w '%{http_code}' "$KUBESIM_URL/apis/example.org/v1/knobs/k1")" 404

# A structural schema with every keyword; invalid objects refused with the real
# messages by create, server-side apply and its dry-run; nothing stored.
crd_with_schema gadgets Gadget >"$D/gadgets.yaml" <<'EOF'
        type: object
        properties:
          spec:
            type: object
            required: [replicas]
            properties:
              replicas: {type: integer, minimum: 1, maximum: 10}
              ratio: {type: number, exclusiveMinimum: true, minimum: 0, exclusiveMaximum: true, maximum: 1, multipleOf: 0.25}
              mode: {type: string, enum: [slow, safe], default: safe}
              name: {type: string, minLength: 3, maxLength: 5, pattern: '^[a-z-]+$'}
              tags: {type: array, minItems: 1, maxItems: 3, items: {type: string}, x-kubernetes-list-type: set}
              labels: {type: object, minProperties: 1, maxProperties: 2, additionalProperties: {type: string}}
              note: {type: string, nullable: true}
              port: {x-kubernetes-int-or-string: true}
              extra: {type: object, x-kubernetes-preserve-unknown-fields: true}
              template: {type: object, x-kubernetes-embedded-resource: true, x-kubernetes-preserve-unknown-fields: true}
              knobs: {type: object, default: {}, properties: {level: {type: integer, default: 2}}}
EOF
check "a CRD with a structural schema" kubectl apply --server-side -f "$D/gadgets.yaml"
wait_for "it is served" 10 kubectl get gadgets
gadget() { # $1 = name, $2 = spec (YAML flow)
  printf 'apiVersion: example.com/v1\nkind: Gadget\nmetadata: {name: %s, namespace: default}\nspec: %s\n' "$1" "$2"
}
ALL_WAYS=("create" "apply --server-side" "apply --server-side --dry-run=server")
refused() { # $1 = what, $2 = spec, $3 = expected message part, $4... = ways (default all)
  local out what=$1 spec=$2 want=$3 how; shift 3
  [ $# -gt 0 ] || set -- "${ALL_WAYS[@]}"
  for how in "$@"; do
    # shellcheck disable=SC2086
    out=$(gadget bad "$spec" | kubectl $how -f - 2>&1)
    check_contains "$what ($how)" "$out" "$want"
  done
  check_exit "...nothing stored" 1 kubectl get gadget bad
}
refused "a string for an integer" '{replicas: two}' \
  'The Gadget "bad" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"' create
# server-side apply converts the body through the schema first (structured-merge-diff)
refused "a string for an integer" '{replicas: two}' \
  'failed to create typed patch object (default/bad; example.com/v1, Kind=Gadget): .spec.replicas: expected numeric (int or float), got string' \
  "apply --server-side" "apply --server-side --dry-run=server"
refused "an undeclared field" '{replicas: 1, bogus: 1}' \
  'failed to create typed patch object (default/bad; example.com/v1, Kind=Gadget): .spec.bogus: field not declared in schema' \
  "apply --server-side" "apply --server-side --dry-run=server"
refused "a required field missing" '{name: abc}' 'spec.replicas: Required value'
refused "above maximum" '{replicas: 11}' 'spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10'
refused "below minimum" '{replicas: 0}' 'spec.replicas in body should be greater than or equal to 1'
refused "exclusiveMaximum" '{replicas: 1, ratio: 1}' 'spec.ratio: Invalid value: 1: spec.ratio in body should be less than 1'
refused "exclusiveMinimum" '{replicas: 1, ratio: 0}' 'spec.ratio in body should be greater than 0'
refused "multipleOf" '{replicas: 1, ratio: 0.3}' 'spec.ratio: Invalid value: 0.3: spec.ratio in body should be a multiple of 0.25'
refused "enum" '{replicas: 1, mode: fast}' 'spec.mode: Unsupported value: "fast": supported values: "slow", "safe"'
refused "maxLength" '{replicas: 1, name: abcdef}' 'spec.name: Too long: may not be more than 5 bytes'
refused "minLength" '{replicas: 1, name: ab}' 'spec.name: Invalid value: "ab": spec.name in body should be at least 3 chars long'
refused "pattern" '{replicas: 1, name: A_b}' "spec.name: Invalid value: \"A_b\": spec.name in body should match '^[a-z-]+\$'"
refused "maxItems" '{replicas: 1, tags: [a, b, c, d]}' 'spec.tags: Too many: 4: must have at most 3 items'
refused "minItems" '{replicas: 1, tags: []}' 'spec.tags in body should have at least 1 items'
refused "list-type set" '{replicas: 1, tags: [a, b, a]}' 'spec.tags[2]: Duplicate value: "a"' create
refused "maxProperties" '{replicas: 1, labels: {a: p, b: q, c: r}}' 'spec.labels: Too many: 3: must have at most 2 items'
refused "minProperties" '{replicas: 1, labels: {}}' 'spec.labels in body should have at least 1 properties'
refused "int-or-string" '{replicas: 1, port: true}' 'spec.port: Invalid value: "boolean"'
refused "an embedded resource without apiVersion and kind" '{replicas: 1, template: {metadata: {name: x}}}' \
  'spec.template.apiVersion: Required value: must not be empty'
out=$(gadget bad '{replicas: 0, name: ab}' | kcurl -s -X POST -H 'Content-Type: application/yaml' --data-binary @- \
  "$KUBESIM_URL/apis/example.com/v1/namespaces/default/gadgets")
check_eq "several errors: one 422 Invalid Status, a cause each, details naming the kind" \
  "$(jq -r '.code, .reason, .details.kind, .details.group, ([.details.causes[] | .field + " " + .reason] | sort | join(","))' <<<"$out")" \
  "$(printf '422\nInvalid\nGadget\nexample.com\nspec.name FieldValueInvalid,spec.replicas FieldValueInvalid')"
check_contains "...the message lists both" "$(jq -r .message <<<"$out")" \
  'Gadget.example.com "bad" is invalid: [spec.'

check "boundary values are accepted" bash -c "$(declare -f gadget); gadget edge '{replicas: 10, ratio: 0.75, name: abcde, tags: [a, b, c], labels: {a: p, b: q}, note: null, port: http, template: {apiVersion: v1, kind: ConfigMap, metadata: {name: x}}}' | kubectl create -f -"
edge_rv=$(kubectl get gadget edge -o jsonpath='{.metadata.resourceVersion}')
check "...and the other ends" bash -c "$(declare -f gadget); gadget edge2 '{replicas: 1, ratio: 0.25, name: abc, tags: [a], labels: {a: p}, port: 8080}' | kubectl create -f -"
out=$(gadget pruned '{replicas: 2, bogus: 1, extra: {any: [1]}, knobs: {junk: true}}' | kubectl create --validate=warn -f - 2>&1)
check_contains "an unknown field is pruned with a warning (fieldValidation Warn)" "$out" 'Warning: unknown field "spec.bogus"'
check_contains "...one warning per field" "$out" 'Warning: unknown field "spec.knobs.junk"'
check_eq "pruned, defaulted and preserved as the schema says" \
  "$(kubectl get gadget pruned -o json | jq -c '.spec')" \
  '{"extra":{"any":[1]},"knobs":{"level":2},"mode":"safe","replicas":2}'
out=$(gadget strict '{replicas: 2, bogus: 1}' | kubectl create -f - 2>&1)
check_contains "fieldValidation=Strict (kubectl's default) refuses the unknown field" "$out" \
  'Gadget in version "v1" cannot be handled as a Gadget: strict decoding error: unknown field "spec.bogus"'
check_exit "...nothing stored" 1 kubectl get gadget strict
check_eq "a null where nullable is false is dropped" \
  "$(gadget nulls '{replicas: 1, name: null, note: null}' | kubectl create -o jsonpath='{.spec}' -f -)" \
  '{"knobs":{"level":2},"mode":"safe","note":null,"replicas":1}'
check_eq "a merge patch is validated too" \
  "$(kcurl -s -X PATCH -H 'Content-Type: application/merge-patch+json' -d '{"spec":{"replicas":"x"}}' \
     "$KUBESIM_URL/apis/example.com/v1/namespaces/default/gadgets/edge" | jq -r .message)" \
  'Gadget.example.com "edge" is invalid: spec.replicas: Invalid value: "string": spec.replicas in body must be of type integer: "string"'
sed 's/^\(              knobs: .*\)$/\1\n              color: {type: string, default: blue}/' "$D/gadgets.yaml" >"$D/gadgets2.yaml"
check "a default added to the schema later" kubectl apply --server-side -f "$D/gadgets2.yaml"
check_eq "...shows on objects stored before it (defaulted on read)" \
  "$(kubectl get gadget edge -o jsonpath='{.spec.color}') $(kubectl get gadgets -o jsonpath='{.items[0].spec.color}')" "blue blue"
check_eq "...without rewriting them" "$(kubectl get gadget edge -o jsonpath='{.metadata.resourceVersion}')" "$edge_rv"

# Ratcheting (1.30+): on an update, what did not change is not held against the object.
sed 's/minimum: 1, maximum: 10}/minimum: 1, maximum: 5}/' "$D/gadgets2.yaml" >"$D/gadgets3.yaml"
check "the schema tightened below a stored value" kubectl apply --server-side -f "$D/gadgets3.yaml"
check "an update leaving the now invalid field as it is passes" \
  kubectl patch gadget edge --type=merge -p '{"spec":{"name":"abcd"}}'
check_contains "changing that field to another invalid value is refused" \
  "$(kubectl patch gadget edge --type=merge -p '{"spec":{"replicas":9}}' 2>&1)" \
  'spec.replicas: Invalid value: 9: spec.replicas in body should be less than or equal to 5'
grep -v '^              ratio:' "$D/gadgets3.yaml" >"$D/gadgets4.yaml"
check "a field dropped from the schema" kubectl apply --server-side -f "$D/gadgets4.yaml"
check_eq "...is pruned from what stored objects read as" \
  "$(kubectl get gadget edge -o json | jq -c '[.spec.ratio, .spec.name]')" '[null,"abcd"]'

# The CRD's schema must be structural.
out=$(crd_with_schema things Thing <<'EOF' | kubectl apply -f - 2>&1
        type: object
        properties:
          spec: {properties: {tags: {type: array, uniqueItems: true, items: {type: string}}}}
EOF
)
check_contains "a property without a type is refused" "$out" \
  'spec.versions[0].schema.openAPIV3Schema.properties[spec].type: Required value: must not be empty for specified object fields'
check_contains "uniqueItems is refused" "$out" \
  'spec.versions[0].schema.openAPIV3Schema.properties[spec].properties[tags].uniqueItems: Forbidden: uniqueItems cannot be set to true since the runtime complexity becomes quadratic'
check_exit "...and not stored" 1 kubectl get crd things.example.com
rm -rf "$D"
finish
