#!/usr/bin/env bash
# kubesim's cluster-configuration kinds (issue #13, part 2) with the real kubectl as the
# witness: IngressClass, PriorityClass, the webhook configurations, ValidatingAdmissionPolicy
# and its binding, APIService, EndpointSlice, CSIDriver and RuntimeClass (plus the existing
# NetworkPolicy, PodDisruptionBudget and CronJob) apply server-side and then diff clean, with
# the server's defaults, status and columns; the Priority and DefaultIngressClass admission;
# the real validation messages, dry-run included; node taints for DaemonSets and the
# scheduler; the DaemonSet controller's backoff for failed pods.
. "$(dirname "$0")/lib.sh"

kubesim_start --nodes 3 --node-taint kubesim-node-2=dedicated=gpu:NoSchedule \
  --pod-ready-ms 100 --pod-terminate-ms 50 || { not_ok "kubesim starts"; finish; }

kc() { kubectl --request-timeout=20s "$@"; }
field() { kc get "$1" -o jsonpath="{$2}"; }

cat >"$T/kinds.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata:
  name: nginx
  annotations:
    ingressclass.kubernetes.io/is-default-class: "true"
spec:
  controller: k8s.io/ingress-nginx
  parameters: {apiGroup: k8s.example.com, kind: IngressParameters, name: external-lb}
---
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: high}
value: 1000
description: important
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: vwc}
webhooks:
  - name: check.example.com
    sideEffects: None
    admissionReviewVersions: ["v1"]
    clientConfig:
      service: {name: hook, namespace: default}
    rules:
      - {operations: ["CREATE"], apiGroups: [""], apiVersions: ["v1"], resources: ["configmaps"]}
---
apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: mwc}
webhooks:
  - name: mutate.example.com
    sideEffects: NoneOnDryRun
    admissionReviewVersions: ["v1"]
    clientConfig: {url: "https://hook.example.com/mutate"}
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: replicas}
spec:
  matchConstraints:
    resourceRules:
      - {apiGroups: ["apps"], apiVersions: ["v1"], operations: ["CREATE", "UPDATE"], resources: ["deployments"]}
  validations:
    - expression: "object.spec.replicas <= 5"
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata: {name: replicas}
spec:
  policyName: replicas
  validationActions: [Deny]
  matchResources:
    namespaceSelector: {matchLabels: {env: test}}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1beta1.metrics.example.com}
spec:
  group: metrics.example.com
  version: v1beta1
  groupPriorityMinimum: 100
  versionPriority: 100
  insecureSkipTLSVerify: true
  service: {name: metrics, namespace: default}
---
apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.local.example.com}
spec: {group: local.example.com, version: v1, groupPriorityMinimum: 1000, versionPriority: 15}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: web-abc
  namespace: default
  labels: {kubernetes.io/service-name: web}
addressType: IPv4
ports: [{port: 80}]
endpoints: [{addresses: ["10.1.2.3"], conditions: {ready: true}}]
---
apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: hostpath.csi.k8s.io}
spec: {}
---
apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: gvisor}
handler: runsc
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: dns, namespace: default}
spec:
  podSelector: {}
  egress: [{ports: [{port: 53}]}]
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: web, namespace: default}
spec:
  minAvailable: 1
  selector: {matchLabels: {app: web}}
---
apiVersion: batch/v1
kind: CronJob
metadata: {name: tick, namespace: default}
spec:
  schedule: "*/5 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: tick, image: "busybox:1.36"}]
YAML

# ---- every kind: apply, then a server-side diff of the same file is clean --------------
check "the kinds apply server-side" kc apply --server-side -f "$T/kinds.yaml"
check_exit "kubectl diff --server-side of the same file exits 0" 0 kc diff --server-side -f "$T/kinds.yaml"
check_exit "a second apply changes no resourceVersion" 0 bash -c '
  before=$(kubectl get -f "$1" -o jsonpath="{.items[*].metadata.resourceVersion}")
  kubectl apply --server-side -f "$1" >/dev/null
  [ "$before" = "$(kubectl get -f "$1" -o jsonpath="{.items[*].metadata.resourceVersion}")" ]' _ "$T/kinds.yaml"

check_eq "webhook defaults" \
  "$(field validatingwebhookconfiguration/vwc '.webhooks[0].failurePolicy} {.webhooks[0].matchPolicy} {.webhooks[0].timeoutSeconds} {.webhooks[0].namespaceSelector} {.webhooks[0].rules[0].scope} {.webhooks[0].clientConfig.service.port')" \
  'Fail Equivalent 10 {} * 443'
check_eq "a mutating webhook is never reinvoked by default" \
  "$(field mutatingwebhookconfiguration/mwc '.webhooks[0].reinvocationPolicy} {.webhooks[0].objectSelector')" 'Never {}'
check_eq "policy and binding defaults" \
  "$(field validatingadmissionpolicy/replicas '.spec.failurePolicy} {.spec.matchConstraints.matchPolicy} {.spec.matchConstraints.resourceRules[0].scope')/$(field validatingadmissionpolicybinding/replicas '.spec.matchResources.objectSelector')" \
  'Fail Equivalent */{}'
check_eq "CSIDriver defaults" "$(field csidriver/hostpath.csi.k8s.io '.spec')" \
  '{"attachRequired":true,"fsGroupPolicy":"ReadWriteOnceWithFSType","podInfoOnMount":false,"requiresRepublish":false,"seLinuxMount":false,"storageCapacity":false,"volumeLifecycleModes":["Persistent"]}'
check_eq "EndpointSlice port defaults" "$(field endpointslice/web-abc '.ports')" '[{"name":"","port":80,"protocol":"TCP"}]'
check_eq "NetworkPolicy defaults" "$(field networkpolicy/dns '.spec.policyTypes} {.spec.egress[0].ports[0].protocol')" '["Ingress","Egress"] TCP'
check_eq "IngressClass parameters scope" "$(field ingressclass/nginx '.spec.parameters.scope')" Cluster
check_eq "PriorityClass default preemption" "$(field priorityclass/high '.preemptionPolicy')" PreemptLowerPriority

# ---- status and columns ---------------------------------------------------------------
check_eq "a local APIService is Available" \
  "$(field apiservice/v1.local.example.com '.status.conditions[?(@.type=="Available")].status} {.status.conditions[?(@.type=="Available")].reason')" 'True Local'
out=$(kc get apiservices v1beta1.metrics.example.com v1.local.example.com 2>&1)
check_contains "kubectl get apiservices: a missing Service" "$out" 'default/metrics   False (ServiceNotFound)'
check_contains "kubectl get apiservices: local" "$out" 'Local             True'
check_eq "a policy's status: observedGeneration and typeChecking" \
  "$(field validatingadmissionpolicy/replicas '.status')" '{"observedGeneration":1,"typeChecking":{}}'
kc patch validatingadmissionpolicy replicas --type=merge -p '{"spec":{"failurePolicy":"Ignore"}}' >/dev/null
check_eq "the policy's status follows its generation" \
  "$(field validatingadmissionpolicy/replicas '.metadata.generation} {.status.observedGeneration')" '2 2'
out=$(kc get priorityclasses 2>&1)
check_contains "the built-in priority classes exist" "$out" 'system-node-critical      2000001000   false'
check_contains "PriorityClass columns" "$out" 'PREEMPTIONPOLICY'
check_contains "IngressClass columns" "$(kc get ingressclass 2>&1)" 'nginx   k8s.io/ingress-nginx   IngressParameters.k8s.example.com/external-lb'
check_contains "CSIDriver columns" "$(kc get csidrivers 2>&1)" 'true             false            false             <unset>         false               Persistent'
check_contains "EndpointSlice columns" "$(kc get endpointslices 2>&1)" 'web-abc   IPv4          80      10.1.2.3'
check_contains "RuntimeClass columns" "$(kc get runtimeclasses 2>&1)" 'gvisor   runsc'

# ---- admission: Priority, DefaultIngressClass ---------------------------------------------
pod() { # name [spec lines]
  printf 'apiVersion: v1\nkind: Pod\nmetadata: {name: %s}\nspec:\n%s  containers: [{name: c, image: "nginx:1.27"}]\n' "$1" "${2:-}"
}
pod plain | kc apply --server-side -f - >/dev/null
check_eq "a pod without a class gets priority 0" "$(field pod/plain '.spec.priority} {.spec.preemptionPolicy')" '0 PreemptLowerPriority'
pod classy "  priorityClassName: high
" >"$T/classy.yaml"
kc apply --server-side -f "$T/classy.yaml" >/dev/null
check_eq "a pod gets its class's priority" "$(field pod/classy '.spec.priority')" 1000
check_exit "the pod's diff stays clean" 0 kc diff --server-side -f "$T/classy.yaml"
pod nope "  priorityClassName: missing
" >"$T/nope.yaml"
out=$(kc apply --server-side --dry-run=server -f "$T/nope.yaml" 2>&1)
check_contains "an unknown class is refused (dry-run)" "$out" 'pods "nope" is forbidden: no PriorityClass with name missing was found'
out=$(kc create -f "$T/nope.yaml" 2>&1)
check_contains "an unknown class is refused (create)" "$out" 'pods "nope" is forbidden: no PriorityClass with name missing was found'
check_fail "nothing was stored" kc get pod nope
cat >"$T/defaults.yaml" <<'YAML'
apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: standard}
value: 10
globalDefault: true
YAML
kc apply -f "$T/defaults.yaml" >/dev/null
out=$(sed 's/standard/second/' "$T/defaults.yaml" | kc apply -f - 2>&1)
check_contains "only one default class" "$out" 'priorityclasses.scheduling.k8s.io "second" is forbidden: PriorityClass standard is already marked as default. Only one default can exist'
pod later | kc apply --server-side -f - >/dev/null
check_eq "the default class applies to new pods" "$(field pod/later '.spec.priority} {.spec.priorityClassName')" '10 standard'
cat >"$T/ing.yaml" <<'YAML'
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web}
spec:
  defaultBackend:
    service: {name: web, port: {number: 80}}
YAML
kc apply --server-side -f "$T/ing.yaml" >/dev/null
check_eq "a class-less Ingress gets the default class" "$(field ingress/web '.spec.ingressClassName')" nginx
check_exit "the Ingress diff stays clean" 0 kc diff --server-side -f "$T/ing.yaml"

# ---- PodDisruptionBudget status: the disruption controller's counts ---------------------
check_eq "a new budget's status before any pod" "$(field pdb/web '.status.expectedPods} {.status.desiredHealthy} {.status.disruptionsAllowed} {.status.conditions[0].reason')" '0 1 0 InsufficientPods'
cat >"$T/budget.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: cache}
spec:
  replicas: 3
  selector: {matchLabels: {app: cache}}
  template:
    metadata: {labels: {app: cache}}
    spec: {containers: [{name: c, image: "redis:7"}]}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: cache}
spec:
  maxUnavailable: 1
  selector: {matchLabels: {app: cache}}
---
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata: {name: loose}
spec:
  maxUnavailable: "50%"
  selector: {matchLabels: {budget: loose}}
YAML
kc apply --server-side -f "$T/budget.yaml" >/dev/null
wait_eq "maxUnavailable counts the Deployment's scale" 15 '3 3 2 1 True SufficientPods' \
  field pdb/cache '.status.expectedPods} {.status.currentHealthy} {.status.desiredHealthy} {.status.disruptionsAllowed} {.status.conditions[0].status} {.status.conditions[0].reason'
check_contains "kubectl get pdb columns" "$(kc get pdb cache 2>&1)" 'cache   N/A             1                 1'
pod bare "" | sed 's/metadata: {name: bare}/metadata: {name: bare, labels: {budget: loose}}/' | kc apply -f - >/dev/null
wait_eq "a percentage needs the pods' controllers: fails safe" 15 'SyncFailed found no controllers for pod "bare" 0' \
  field pdb/loose '.status.conditions[0].reason} {.status.conditions[0].message} {.status.disruptionsAllowed'

# ---- validation: the real messages, for create and dry-run, nothing stored ----------------
invalid() { # description manifest expected-line...: kubectl prints one line per cause
  local d=$1 m=$2 out mode; shift 2
  for mode in --dry-run=server ""; do
    out=$(printf '%s\n' "$m" | kc apply --server-side $mode -f - 2>&1)
    check_lines "$d${mode:+ (dry-run)}" "$out" "$@"
  done
}
check_lines() { # description output needle...: passes when the output holds every needle
  local d=$1 out=$2 n; shift 2
  for n in "$@"; do
    case "$out" in *"$n"*) ;; *) check_contains "$d" "$out" "$n"; return ;; esac
  done
  ok "$d"
}
invalid "a webhook needs sideEffects, versions and one client config" \
'apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingWebhookConfiguration
metadata: {name: bad}
webhooks: [{name: check, clientConfig: {}, timeoutSeconds: 40}]' \
'The ValidatingWebhookConfiguration "bad" is invalid:' \
  '* webhooks[0].name: Invalid value: "check": should be a domain with at least three segments separated by dots' \
  '* webhooks[0].sideEffects: Required value: must specify one of None, NoneOnDryRun' \
  '* webhooks[0].timeoutSeconds: Invalid value: 40: the timeout value must be between 1 and 30 seconds' \
  '* webhooks[0].clientConfig: Required value: exactly one of url or service is required' \
  '* webhooks[0].admissionReviewVersions: Required value: must specify one of v1, v1beta1'
invalid "a policy needs matchConstraints and validations" \
'apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicy
metadata: {name: bad}
spec: {}' \
'The ValidatingAdmissionPolicy "bad" is invalid:' \
  '* spec.matchConstraints: Required value' \
  '* spec.validations: Required value: validations or auditAnnotations must contain at least one item' \
  '* spec.auditAnnotations: Required value: validations or auditAnnotations must contain at least one item'
invalid "system- names are reserved" \
'apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: system-mine}
value: 1000' \
"The PriorityClass \"system-mine\" is invalid: metadata.name: Forbidden: priority class names with 'system-' prefix are reserved for system use only. error: system-mine is not a known system priority class"
invalid "a user priority is at most 1000000000" \
'apiVersion: scheduling.k8s.io/v1
kind: PriorityClass
metadata: {name: huge}
value: 2000000000' \
'The PriorityClass "huge" is invalid: value: Forbidden: maximum allowed value of a user defined priority is 1000000000'
invalid "an IngressClass controller is a domain-prefixed path" \
'apiVersion: networking.k8s.io/v1
kind: IngressClass
metadata: {name: bad}
spec: {controller: nginx}' \
'The IngressClass "bad" is invalid: spec.controller: Invalid value: "nginx": must be a domain-prefixed path (such as "acme.io/foo")'
invalid "an EndpointSlice address type and addresses" \
'apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: bad}
addressType: IPv5
endpoints: [{addresses: []}]' \
'The EndpointSlice "bad" is invalid:' \
  '* addressType: Unsupported value: "IPv5": supported values: "FQDN", "IPv4", "IPv6"' \
  '* endpoints[0].addresses: Required value: must contain at least 1 address'
invalid "an APIService is named version.group" \
'apiVersion: apiregistration.k8s.io/v1
kind: APIService
metadata: {name: v1.wrong.example.com}
spec: {group: metrics.example.com, version: v1, groupPriorityMinimum: 0, versionPriority: 10}' \
'The APIService "v1.wrong.example.com" is invalid:' \
  '* metadata.name: Invalid value: "v1.wrong.example.com": must be `spec.version+"."+spec.group`: "v1.metrics.example.com"' \
  '* spec.groupPriorityMinimum: Invalid value: 0: must be positive and less than 20000'
invalid "a CSIDriver's enumerations" \
'apiVersion: storage.k8s.io/v1
kind: CSIDriver
metadata: {name: bad.csi}
spec: {fsGroupPolicy: Some}' \
'The CSIDriver "bad.csi" is invalid: spec.fsGroupPolicy: Unsupported value: "Some": supported values: "File", "None", "ReadWriteOnceWithFSType"'
invalid "a RuntimeClass handler is a DNS label" \
'apiVersion: node.k8s.io/v1
kind: RuntimeClass
metadata: {name: bad}
handler: Bad_Handler' \
'The RuntimeClass "bad" is invalid: handler: Invalid value: "Bad_Handler": a lowercase RFC 1123 label'
check_eq "none of the invalid objects was stored" \
  "$(kc get validatingwebhookconfigurations,validatingadmissionpolicies,ingressclasses,runtimeclasses,csidrivers -o name | grep -c bad)" 0
out=$(kc patch priorityclass high --type=merge -p '{"value":6000}' 2>&1)
check_contains "a class's value is fixed" "$out" 'The PriorityClass "high" is invalid: value: Forbidden: may not be changed in an update.'
out=$(kc patch runtimeclass gvisor --type=merge -p '{"handler":"kata"}' 2>&1)
check_contains "a RuntimeClass handler is fixed" "$out" 'handler: Invalid value: "kata": field is immutable'

# ---- immutability messages of the workloads -------------------------------------------------
cat >"$T/work.yaml" <<'YAML'
apiVersion: apps/v1
kind: Deployment
metadata: {name: web}
spec:
  selector:
    matchLabels: {app: web}
    matchExpressions: [{key: tier, operator: In, values: [a, b]}]
  template:
    metadata: {labels: {app: web, tier: a, extra: "1"}}
    spec: {containers: [{name: c, image: "nginx:1.27"}]}
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec: {containers: [{name: c, image: "nginx:1.27"}]}
YAML
kc apply --server-side -f "$T/work.yaml" >/dev/null
out=$(kc patch deployment web --type=merge -p '{"spec":{"selector":{"matchLabels":{"extra":"1"}}}}' 2>&1)
check_contains "a Deployment's selector is fixed (the new selector shown as Go prints it)" "$out" \
  'spec.selector: Invalid value: v1.LabelSelector{MatchLabels:map[string]string{"app":"web", "extra":"1"}, MatchExpressions:[]v1.LabelSelectorRequirement{v1.LabelSelectorRequirement{Key:"tier", Operator:"In", Values:[]string{"a", "b"}}}}: field is immutable'
out=$(kc patch statefulset db --type=merge -p '{"spec":{"serviceName":"db2"}}' 2>&1)
check_contains "a StatefulSet's spec beyond the updatable fields is fixed" "$out" \
  "The StatefulSet \"db\" is invalid: spec: Forbidden: updates to statefulset spec for fields other than 'replicas', 'ordinals', 'template', 'updateStrategy', 'revisionHistoryLimit', 'persistentVolumeClaimRetentionPolicy' and 'minReadySeconds' are forbidden"
check_eq "a StatefulSet's updatable fields still change" \
  "$(kc patch statefulset db --type=merge -p '{"spec":{"replicas":0}}' >/dev/null && field statefulset/db '.spec.replicas')" 0

# ---- taints: DaemonSets and the scheduler -------------------------------------------------
ds() { # name [pod spec lines]
  printf 'apiVersion: apps/v1\nkind: DaemonSet\nmetadata: {name: %s}\nspec:\n  selector: {matchLabels: {app: %s}}\n  template:\n    metadata: {labels: {app: %s}}\n    spec:\n%s      containers: [{name: c, image: "nginx:1.27"}]\n' "$1" "$1" "$1" "${2:-}"
}
nodes_of() { kc get pods -l "app=$1" -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{end}' | tr ' ' '\n' | sort | xargs; }
ds agent | kc apply -f - >/dev/null
ds gpu "      tolerations: [{key: dedicated, operator: Equal, value: gpu, effect: NoSchedule}]
" | kc apply -f - >/dev/null
wait_eq "a tainted node gets no daemon pod" 15 'kubesim-node kubesim-node-3' nodes_of agent
wait_eq "a tolerating DaemonSet runs on every node" 15 'kubesim-node kubesim-node-2 kubesim-node-3' nodes_of gpu
wait_eq "the DaemonSet counts only the nodes it should run on" 15 '2 2' field ds/agent '.status.desiredNumberScheduled} {.status.numberReady'
kc taint nodes kubesim-node-3 evict=now:NoExecute >/dev/null
wait_eq "a NoExecute taint removes the daemon pod" 15 'kubesim-node' nodes_of agent
wait_eq "a tolerated NoSchedule taint with an untolerated NoExecute one: gone too" 15 'kubesim-node kubesim-node-2' nodes_of gpu
pod pinned "  nodeSelector: {kubernetes.io/hostname: kubesim-node-2}
" | kc apply -f - >/dev/null
wait_eq "a pod no node takes is Unschedulable" 15 \
  "0/3 nodes are available: 1 node(s) had untolerated taint {dedicated: gpu}, 2 node(s) didn't match Pod's node affinity/selector. preemption: 0/3 nodes are available: 3 Preemption is not helpful for scheduling." \
  field pod/pinned '.status.conditions[?(@.type=="PodScheduled")].message'
kc taint nodes kubesim-node-2 dedicated=gpu:NoSchedule- >/dev/null
wait_eq "once the taint is gone it is scheduled and runs" 15 'kubesim-node-2 Running' field pod/pinned '.spec.nodeName} {.status.phase'

# ---- the backoff of failed daemon pods --------------------------------------------------
# A failed daemon pod is deleted and replaced; the next failed one on that node waits until
# 1 s after the last deletion, the one after 2 s: consecutive deletions are at least the
# doubling backoff apart, never a hot loop (the bounds leave 150 ms for the polling).
running_on_first() {
  kc get pods -l app=agent --field-selector spec.nodeName=kubesim-node \
    -o jsonpath='{range .items[?(@.status.phase=="Running")]}{.metadata.name}{end}'
}
now_ms() { date +%s%3N; }
fail_and_wait() { # fails the running daemon pod of the first node; prints when it was gone
  local p="" t0
  t0=$(now_ms)
  while [ -z "$p" ] && [ $(( $(now_ms) - t0 )) -lt 15000 ]; do p=$(running_on_first); sleep 0.05; done
  kc patch pod "$p" --subresource=status --type=merge -p '{"status":{"phase":"Failed"}}' >/dev/null
  FAILED_AT=$(now_ms)
  while kc get pod "$p" >/dev/null 2>&1 && [ $(( $(now_ms) - FAILED_AT )) -lt 15000 ]; do sleep 0.05; done
  GONE_AT=$(now_ms)
}
fail_and_wait; d1=$GONE_AT
check "the first failed pod is replaced at once ($((d1 - FAILED_AT)) ms)" test $((d1 - FAILED_AT)) -lt 900
fail_and_wait; d2=$GONE_AT
check "the next deletion waits for the 1 s backoff ($((d2 - d1)) ms)" test $((d2 - d1)) -ge 850
fail_and_wait; d3=$GONE_AT
check "the backoff doubles to 2 s ($((d3 - d2)) ms)" test $((d3 - d2)) -ge 1850 -a $((d3 - FAILED_AT)) -le 3500
# asked on every poll: the replacement waits out the 2 s backoff, then the pod's ready
# delay, longer on a loaded machine
runs_on_first() { test -n "$(running_on_first)"; }
wait_for "a new daemon pod runs after the backoff" 30 runs_on_first

finish
