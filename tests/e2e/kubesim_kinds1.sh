#!/usr/bin/env bash
# kubesim's kinds of issue #13 part 1, with the real kubectl as the witness: StorageClass,
# PersistentVolume(Claim) binding and provisioning, ResourceQuota, LimitRange,
# ReplicationController and HorizontalPodAutoscaler. Each applies server-side and a
# server-side diff of the same files is empty; kubectl get shows their status; the
# controllers and admission plugins behave as a cluster's. Then tether syncs the same
# files into a second kubesim, and a second sync is a no-op.
. "$(dirname "$0")/lib.sh"

kc() { kubectl --request-timeout=20s "$@"; }
F=$ROOT/tests/fixtures/manifests/kinds1
kubesim_start || { not_ok "kubesim starts"; finish; }

check "server-side apply of every kind" kc apply --server-side -f "$F"
check_exit "server-side diff of the same files is empty" 0 kc diff --server-side -f "$F"
out=$(kc get -f "$F" 2>&1)
check_contains "kubectl get knows the default class" "$out" "fast (default)"

# ---- binding and provisioning ----------------------------------------------------------------
n=kinds1
wait_eq "a claim binds to the Available volume its selector matches" 10 "Bound kinds1-manual" \
  kc get pvc manual -n $n -o jsonpath='{.status.phase} {.spec.volumeName}'
check_eq "the volume is Bound to it" "$(kc get pv kinds1-manual -o jsonpath='{.status.phase} {.spec.claimRef.namespace}/{.spec.claimRef.name}')" "Bound kinds1/manual"
check_eq "the bound claim reports the volume's capacity and modes" \
  "$(kc get pvc manual -n $n -o jsonpath='{.status.capacity.storage} {.status.accessModes[0]}')" "1Gi ReadWriteOnce"
check_eq "the controller's annotations" \
  "$(kc get pvc manual -n $n -o jsonpath='{.metadata.annotations.pv\.kubernetes\.io/bind-completed} {.metadata.annotations.pv\.kubernetes\.io/bound-by-controller}')" "yes yes"
check_eq "a claim without a class gets the default class" \
  "$(kc get pvc dynamic -n $n -o jsonpath='{.spec.storageClassName}')" fast
wait_eq "and a provisioned volume pvc-<uid>" 10 "Bound pvc-$(kc get pvc dynamic -n $n -o jsonpath='{.metadata.uid}')" \
  kc get pvc dynamic -n $n -o jsonpath='{.status.phase} {.spec.volumeName}'
pv=$(kc get pvc dynamic -n $n -o jsonpath='{.spec.volumeName}')
check_eq "of the claim's size, the class's policy, by its provisioner" \
  "$(kc get pv "$pv" -o jsonpath='{.spec.capacity.storage} {.spec.persistentVolumeReclaimPolicy} {.spec.storageClassName} {.metadata.annotations.pv\.kubernetes\.io/provisioned-by}')" \
  "2Gi Delete fast example.com/fast"
check_eq "WaitForFirstConsumer: no volume while no pod uses the claim" \
  "$(kc get pvc late -n $n -o jsonpath='{.status.phase}:{.spec.volumeName}')" "Pending:"
out=$(kc get pvc -n $n 2>&1)
check_contains "kubectl get pvc shows STATUS and VOLUME" "$out" "manual    Bound     kinds1-manual"
cat >"$T/consumer.yaml" <<'YAML'
apiVersion: v1
kind: Pod
metadata: {name: consumer, namespace: kinds1}
spec:
  containers:
  - name: c
    image: busybox:1.36
    resources: {limits: {memory: 64Mi}}
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: late}
YAML
check "a pod using the late claim" kc apply -f "$T/consumer.yaml"
wait_eq "then it is provisioned and bound" 10 Bound kc get pvc late -n $n -o jsonpath='{.status.phase}'
check_eq "with the node the pod was scheduled to" \
  "$(kc get pvc late -n $n -o jsonpath='{.metadata.annotations.volume\.kubernetes\.io/selected-node}')" \
  "$(kc get pod consumer -n $n -o jsonpath='{.spec.nodeName}')"
wait_eq "the rc runs two pods" 10 "2 2" kc get rc web -n $n -o jsonpath='{.status.replicas} {.status.readyReplicas}'
check_exit "after the controllers' work the diff is still empty" 0 kc diff --server-side -f "$F"
check_eq "claims and volumes carry the protection finalizers" \
  "$(kc get pvc late -n $n -o jsonpath='{.metadata.finalizers}') $(kc get pv kinds1-manual -o jsonpath='{.metadata.finalizers}')" \
  '["kubernetes.io/pvc-protection"] ["kubernetes.io/pv-protection"]'
kc delete pvc late -n $n --wait=false >/dev/null 2>&1
check "a claim in use is only Terminating" test -n "$(kc get pvc late -n $n -o jsonpath='{.metadata.deletionTimestamp}')"
late_pv=$(kc get pvc late -n $n -o jsonpath='{.spec.volumeName}')
kc delete pod consumer -n $n --wait=true >/dev/null 2>&1
wait_for "once its pod is gone the claim goes" 10 sh -c "! kubectl get pvc late -n $n >/dev/null 2>&1"
wait_eq "and its volume (Retain) is Released" 10 Released kc get pv "$late_pv" -o jsonpath='{.status.phase}'
kc delete pvc dynamic -n $n --wait=true >/dev/null 2>&1
wait_for "deleting a claim deletes its volume under the Delete policy" 10 \
  sh -c "! kubectl get pv $pv >/dev/null 2>&1"

# ---- LimitRange and the ReplicationController ------------------------------------------------
pod=$(kc get pods -n $n -l app=web -o jsonpath='{.items[0].metadata.name}')
check_eq "owned by the rc" "$(kc get pod "$pod" -n $n -o jsonpath='{.metadata.ownerReferences[0].kind}/{.metadata.ownerReferences[0].name}')" \
  "ReplicationController/web"
check_eq "LimitRange defaults on its pods (limit from max, requests from the limits)" \
  "$(kc get pod "$pod" -n $n -o jsonpath='{.spec.containers[0].resources.limits.cpu} {.spec.containers[0].resources.limits.memory} {.spec.containers[0].resources.requests.cpu}')" \
  "1 256Mi 1"
check_eq "and the LimitRanger annotation" \
  "$(kc get pod "$pod" -n $n -o jsonpath='{.metadata.annotations.kubernetes\.io/limit-ranger}')" \
  "LimitRanger plugin set: cpu, memory request for container web; cpu, memory limit for container web"
check_eq "the LimitRange's own defaults" \
  "$(kc get limitrange containers -n $n -o jsonpath='{.spec.limits[0].default.cpu} {.spec.limits[0].defaultRequest.memory}')" "1 256Mi"
out=$(kc run big -n $n --image=busybox:1.36 --restart=Never --overrides='{"spec":{"containers":[{"name":"big","image":"busybox:1.36","resources":{"limits":{"cpu":"2"}}}]}}' 2>&1)
check_eq "a pod over the max is refused" "$out" \
  'Error from server (Forbidden): pods "big" is forbidden: maximum cpu usage per Container is 1, but limit is 2'
check "kubectl scale rc" kc scale rc web -n $n --replicas=3
wait_eq "three pods" 10 3 kc get rc web -n $n -o jsonpath='{.status.replicas}'
check_eq "the scale subresource's selector" "$(kc get --raw /api/v1/namespaces/$n/replicationcontrollers/web/scale | jq -r '.status.selector')" app=web

# ---- ResourceQuota ---------------------------------------------------------------------------
wait_eq "quota used counts the pods, claims and cpu" 10 "3 3 1 768Mi" \
  kc get quota compute -n $n -o jsonpath='{.status.used.pods} {.status.used.requests\.cpu} {.status.used.persistentvolumeclaims} {.status.used.limits\.memory}'
out=$(kc get quota -n $n 2>&1)
check_contains "kubectl get quota shows used/hard" "$out" "pods: 3/3, requests.cpu: 3/4"
out=$(kc run extra -n $n --image=busybox:1.36 --restart=Never 2>&1)
check_eq "a pod over the quota is refused" "$out" \
  'Error from server (Forbidden): pods "extra" is forbidden: exceeded quota: compute, requested: pods=1, used: pods=3, limited: pods=3'
used=$(kc get quota compute -n $n -o jsonpath='{.status.used.configmaps}')
for i in $(seq $((used + 1)) 3); do kc create configmap "c$i" -n $n >/dev/null; done
out=$(kc create configmap c4 -n $n 2>&1)
check_eq "a configmap over the quota is refused" "$out" \
  'error: failed to create configmap: configmaps "c4" is forbidden: exceeded quota: compute, requested: configmaps=1, used: configmaps=3, limited: configmaps=3'
check_fail "and nothing is stored" kc get configmap c4 -n $n

# ---- HorizontalPodAutoscaler -----------------------------------------------------------------
wait_eq "the hpa reads the target's scale" 10 "3 False FailedGetResourceMetric" \
  kc get hpa web -n $n -o jsonpath='{.status.currentReplicas} {.status.conditions[?(@.type=="ScalingActive")].status} {.status.conditions[?(@.type=="ScalingActive")].reason}'
out=$(kc get hpa -n $n 2>&1)
check_contains "kubectl get hpa" "$out" "ReplicationController/web   cpu: <unknown>/80%   1         3         3"
kc patch hpa web -n $n --type=merge -p '{"spec":{"maxReplicas":2}}' >/dev/null
wait_eq "above maxReplicas the hpa scales the target down" 10 "2 2" \
  kc get rc web -n $n -o jsonpath='{.spec.replicas} {.status.replicas}'
check_eq "and says so" "$(kc get hpa web -n $n -o jsonpath='{.status.desiredReplicas} {.status.conditions[?(@.type=="ScalingLimited")].reason}')" \
  "2 TooManyReplicas"
check "with the time it scaled" test -n "$(kc get hpa web -n $n -o jsonpath='{.status.lastScaleTime}')"
# autoscaling/v1: the same objects as v2 (the storage version), converted both ways
cat >"$T/hpa-v1.yaml" <<YAML
apiVersion: autoscaling/v1
kind: HorizontalPodAutoscaler
metadata: {name: v1, namespace: $n}
spec:
  scaleTargetRef: {apiVersion: apps/v1, kind: Deployment, name: absent}
  minReplicas: 1
  maxReplicas: 3
  targetCPUUtilizationPercentage: 60
YAML
check "server-side apply of an autoscaling/v1 hpa" kc apply --server-side -f "$T/hpa-v1.yaml"
check_exit "its server-side diff is empty" 0 kc diff --server-side -f "$T/hpa-v1.yaml"
hv1() { kc get horizontalpodautoscalers.v1.autoscaling v1 -n $n -o jsonpath="$1"; }
hv2() { kc get horizontalpodautoscalers.v2.autoscaling v1 -n $n -o jsonpath="$1"; }
check_eq "read at v2: a Resource cpu Utilization metric" \
  "$(hv2 '{.apiVersion} {.spec.metrics[*].type} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.type} {.spec.metrics[0].resource.target.averageUtilization}')" \
  "autoscaling/v2 Resource cpu Utilization 60"
kc patch horizontalpodautoscalers.v2.autoscaling v1 -n $n --type=merge \
  -p '{"spec":{"metrics":[{"type":"Resource","resource":{"name":"cpu","target":{"type":"Utilization","averageUtilization":60}}},{"type":"Pods","pods":{"metric":{"name":"rps"},"target":{"type":"AverageValue","averageValue":"10"}}}]}}' >/dev/null
check_eq "read at v1: the cpu target, the other metric in the annotation" \
  "$(hv1 '{.apiVersion} {.spec.targetCPUUtilizationPercentage} {.metadata.annotations.autoscaling\.alpha\.kubernetes\.io/metrics}')" \
  'autoscaling/v1 60 [{"type":"Pods","pods":{"metricName":"rps","targetAverageValue":"10"}}]'
kc get horizontalpodautoscalers.v1.autoscaling v1 -n $n -o json | jq '.spec.maxReplicas = 4' >"$T/hpa-v1.json"
check "an update at v1" kc replace -f "$T/hpa-v1.json"
check_eq "keeps the other metric at v2 (after the cpu one, as the conversion orders them)" \
  "$(hv2 '{.spec.maxReplicas} {.spec.metrics[*].type} {.spec.metrics[0].pods.metric.name} {.spec.metrics[0].pods.target.averageValue} {.spec.metrics[1].resource.target.averageUtilization}')" \
  "4 Pods Resource rps 10 60"
check_eq "without the annotation at v2" "$(hv2 '{.metadata.annotations}')" ""
sed 's/^spec:/spec:\n  behavior: {scaleUp: {stabilizationWindowSeconds: 5}}/; s/name: v1,/name: v1b,/' \
  "$T/hpa-v1.yaml" >"$T/hpa-v1b.yaml"
out=$(kc create -f "$T/hpa-v1b.yaml" 2>&1)
check_contains "a v1 body decodes as v1: behavior is not a v1 field" "$out" \
  'HorizontalPodAutoscaler in version "v1" cannot be handled as a HorizontalPodAutoscaler: strict decoding error: unknown field "spec.behavior"'
check_fail "and nothing is stored" kc get hpa v1b -n $n
out=$(kc get horizontalpodautoscalers.v1.autoscaling v1 -n $n -o yaml 2>&1)
check_contains "kubectl get -o yaml at v1" "$out" "  targetCPUUtilizationPercentage: 60"
out=$(printf 'apiVersion: autoscaling/v2\nkind: HorizontalPodAutoscaler\nmetadata: {name: bad}\nspec:\n  scaleTargetRef: {kind: Deployment}\n  minReplicas: 3\n  maxReplicas: 2\n' | kc apply --server-side --dry-run=server -f - 2>&1)
check_contains "hpa validation: max below min" "$out" 'spec.maxReplicas: Invalid value: 2: must be greater than or equal to `minReplicas`'
check_contains "hpa validation: target name required" "$out" 'spec.scaleTargetRef.name: Required value'
out=$(printf 'apiVersion: v1\nkind: PersistentVolume\nmetadata: {name: bad}\nspec:\n  persistentVolumeReclaimPolicy: Keep\n' | kc create -f - 2>&1)
check_contains "pv validation: a volume type is required" "$out" 'spec: Required value: must specify a volume type'
check_contains "pv validation: the reclaim policy enum" "$out" 'spec.persistentVolumeReclaimPolicy: Unsupported value: "Keep": supported values: "Delete", "Recycle", "Retain"'
out=$(kc patch sc fast --type=merge -p '{"provisioner":"other.example.com"}' 2>&1)
check_contains "a StorageClass's provisioner is fixed" "$out" 'provisioner: Forbidden: updates to provisioner are forbidden.'

# ---- tether syncs the same kinds -------------------------------------------------------------
kubesim_start sim2 || { not_ok "second kubesim starts"; finish; }
kc create namespace early >/dev/null
printf 'apiVersion: v1\nkind: PersistentVolumeClaim\nmetadata: {name: early, namespace: early}\nspec:\n  accessModes: [ReadWriteOnce]\n  resources: {requests: {storage: 1Gi}}\n' >"$T/early.yaml"
check "a claim before any StorageClass exists" kc apply -f "$T/early.yaml"
check_eq "stays without a class" "$(kc get pvc early -n early -o jsonpath='{.status.phase}:{.spec.storageClassName}')" "Pending:"
W=$(git_repo kinds)
cp "$F"/*.yaml "$W/"
git_commit "$W" kinds >/dev/null
sync() { "$TETHER" sync --repo "$W" --cache-dir "$T/cache" --timeout 60s "$@"; }
check_exit "tether syncs the repository" 0 sync -o json
check_eq "every object created" "$(jq -r '.counts.created' "$T/check.out")" 11
wait_eq "its claims bind" 10 "Bound Bound Pending" \
  kc get pvc manual dynamic late -n $n -o jsonpath='{.items[*].status.phase}'
wait_eq "the default class comes to the earlier claim too, which then binds" 10 "fast Bound" \
  kc get pvc early -n early -o jsonpath='{.spec.storageClassName} {.status.phase}'
check_exit "a second sync" 0 sync -o json
check_eq "is a no-op" "$(jq -r '.counts.created + .counts.updated' "$T/check.out") $(jq -r '.counts.unchanged' "$T/check.out")" "0 11"
check "deleting the namespace waits out the claims' protection and ends" \
  kc delete namespace kinds1 --timeout=20s
wait_eq "its pre-provisioned volume (Retain) is then Released" 10 Released \
  kc get pv kinds1-manual -o jsonpath='{.status.phase}'
finish
