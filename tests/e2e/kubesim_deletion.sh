#!/usr/bin/env bash
# kubesim's graceful deletion of pods, as kube-apiserver's pod strategy and the kubelet do
# it: DELETE answers 200 with the Pod carrying deletionTimestamp (now + the grace period)
# and deletionGracePeriodSeconds; the pod is Terminating until the simulated kubelet's
# containers stop (--pod-terminate-ms), then gone; a shorter grace period may be given
# again, 0 with --force deletes at once; a finalizer keeps the pod until it is removed;
# the ReplicaSet controller replaces a terminating pod at once (1.32 counts only active
# pods). The real kubectl is the witness.
. "$(dirname "$0")/lib.sh"

kubesim_start --pod-terminate-ms 6000 || { not_ok "kubesim starts"; finish; }
kubectl run solo --image=nginx >/dev/null
wait_for "the pod runs" 10 bash -c '[ "$(kubectl get pod solo -o jsonpath={.status.phase})" = Running ]'
t0=$(date -u +%s)
out=$(kcurl -s -X DELETE "$KUBESIM_URL/api/v1/namespaces/default/pods/solo")
check_eq "DELETE answers the Pod, not a Status" "$(jq -r .kind <<<"$out")" Pod
check_eq "deletionGracePeriodSeconds is spec.terminationGracePeriodSeconds" \
  "$(jq -r .metadata.deletionGracePeriodSeconds <<<"$out")" 30
dts=$(date -u -d "$(jq -r .metadata.deletionTimestamp <<<"$out")" +%s)
check "deletionTimestamp is when the grace period ends" test $((dts - t0)) -ge 29 -a $((dts - t0)) -le 31
again=$(kcurl -s -X DELETE -H 'Content-Type: application/json' -d '{"gracePeriodSeconds":10}' \
  "$KUBESIM_URL/api/v1/namespaces/default/pods/solo")
check_eq "a second DELETE may shorten the grace period" \
  "$(jq -r .metadata.deletionGracePeriodSeconds <<<"$again")" 10
longer=$(kcurl -s -X DELETE "$KUBESIM_URL/api/v1/namespaces/default/pods/solo?gracePeriodSeconds=60")
check_eq "...but not lengthen it" "$(jq -r .metadata.deletionGracePeriodSeconds <<<"$longer")" 10
check_contains "kubectl shows it Terminating" "$(kubectl get pod solo 2>&1)" Terminating
wait_for "once its containers stop, the pod is gone" 15 bash -c '! kubectl get pod solo >/dev/null 2>&1'

kubectl run forced --image=nginx >/dev/null
wait_for "another pod runs" 10 bash -c '[ "$(kubectl get pod forced -o jsonpath={.status.phase})" = Running ]'
check "kubectl delete --grace-period=0 --force" kubectl delete pod forced --grace-period=0 --force
check_fail "...deletes it at once" kubectl get pod forced

kubectl run graced --image=nginx >/dev/null
wait_for "a third pod runs" 10 bash -c '[ "$(kubectl get pod graced -o jsonpath={.status.phase})" = Running ]'
check "kubectl delete --grace-period=5 --wait=false" kubectl delete pod graced --grace-period=5 --wait=false
check_eq "...records 5 s" "$(kubectl get pod graced -o jsonpath='{.metadata.deletionGracePeriodSeconds}')" 5
start=$(date +%s%N)
check "kubectl delete waits for it" kubectl delete pod graced --timeout=20s
check_fail "...and it is gone" kubectl get pod graced

# A finalizer holds a pod past its grace period; removing it lets it go.
kubectl run held --image=nginx >/dev/null
kubectl patch pod held --type=merge -p '{"metadata":{"finalizers":["example.com/hold"]}}' >/dev/null
wait_for "the held pod runs" 10 bash -c '[ "$(kubectl get pod held -o jsonpath={.status.phase})" = Running ]'
kubectl delete pod held --wait=false >/dev/null
sleep 7
check "a finalizer keeps the pod after its containers stopped" kubectl get pod held
check_eq "...with no grace period left" "$(kubectl get pod held -o jsonpath='{.metadata.deletionGracePeriodSeconds}')" 0
check_fail "once deleting, a finalizer cannot be added" kubectl patch pod held --type=json \
  -p '[{"op":"add","path":"/metadata/finalizers/-","value":"example.com/more"}]'
kubectl patch pod held --type=json -p '[{"op":"remove","path":"/metadata/finalizers"}]' >/dev/null
wait_for "removing the finalizer lets it go" 10 bash -c '! kubectl get pod held >/dev/null 2>&1'

# The ReplicaSet replaces a terminating pod at once and counts only active pods.
kubectl create deployment web --image=nginx --replicas=2 >/dev/null
wait_for "two replicas are ready" 15 bash -c '[ "$(kubectl get deploy web -o jsonpath={.status.readyReplicas})" = 2 ]'
victim=$(kubectl get pods -l app=web -o name | head -n1)
kubectl delete "$victim" --wait=false >/dev/null
wait_for "a replacement is created while the old pod terminates" 10 bash -c \
  "[ \$(kubectl get pods -l app=web --no-headers | grep -vc Terminating) = 2 ] && kubectl get $victim >/dev/null 2>&1"
check_eq "the ReplicaSet counts the two active pods" \
  "$(kubectl get rs -l app=web -o jsonpath='{.items[0].status.replicas}')" 2
wait_for "the old pod goes" 10 bash -c "! kubectl get $victim >/dev/null 2>&1"
check "kubectl rollout status after a rolling update with terminating pods" \
  bash -c 'kubectl set image deploy/web nginx=nginx:2 >/dev/null && kubectl rollout status deploy/web --timeout=30s'
finish
