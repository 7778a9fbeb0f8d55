#!/usr/bin/env bash
# kubesim's StatefulSet and DaemonSet controllers, with the real kubectl as the witness:
# pods <set>-<ordinal> in order (OrderedReady) or all at once (Parallel), rolling updates
# from the highest ordinal, a partition, OnDelete, ControllerRevisions read by kubectl
# rollout history and undo (CHANGE-CAUSE copied from the parent), a DaemonSet over three
# simulated nodes with maxUnavailable, failing images, garbage collection.
. "$(dirname "$0")/lib.sh"

kubesim_start --nodes 3 --pod-ready-ms 400 --fail-images '*:bad' ||
  { not_ok "kubesim starts"; finish; }

kc() { kubectl --request-timeout=20s "$@"; }
names() { kc get pods -l "app=$1" -o jsonpath='{range .items[*]}{.metadata.name}{" "}{end}'; }
revs() { # app: "<pod>=<controller-revision-hash> ..." sorted by name
  kc get pods -l "app=$1" \
    -o jsonpath='{range .items[*]}{.metadata.name}={.metadata.labels.controller-revision-hash}{" "}{end}'
}
field() { kc get "$1" -o jsonpath="{$2}"; }
fields() { # object path... : the values joined with "/"
  local obj=$1 jp="" p; shift
  for p in "$@"; do jp="$jp${jp:+/}{$p}"; done
  kc get "$obj" -o jsonpath="$jp"
}
rollout() { timeout "${2:-60}" kubectl rollout status "$1" 2>&1; }
# watch_start APP FILE: every event on the app's pods as "<name> <revision> <Ready>"
# lines (a watch, so no state between two polls is missed); watch_stop ends it.
watch_start() {
  kubectl get pods -l "app=$1" --watch -o jsonpath='{.metadata.name} {.metadata.labels.controller-revision-hash} {.status.conditions[?(@.type=="Ready")].status}{"\n"}' \
    >"$2" 2>/dev/null &
  WATCH_PID=$!
  _pids+=("$WATCH_PID")
  sleep 1
}
watch_stop() { kill "$WATCH_PID" 2>/dev/null; wait "$WATCH_PID" 2>/dev/null; }
# Pods whose first event came before the previous ordinal was ever Ready.
out_of_order() {
  awk '{ split($1, a, "-"); o = a[length(a)] + 0
         if (!($1 in seen)) { seen[$1] = 1; if (o > 0 && !(o - 1 in ready)) print $1 }
         if ($3 == "True") ready[o] = 1 }' "$1"
}

sts_yaml() { # name image cause [extra spec lines]
  cat <<YAML
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: $1
  annotations:
    kubernetes.io/change-cause: "$3"
spec:
  replicas: 3
  serviceName: $1
  selector:
    matchLabels: {app: $1}
${4:-}
  template:
    metadata:
      labels: {app: $1}
    spec:
      containers:
        - name: c
          image: $2
YAML
}

check_eq "three Node objects" "$(kc get nodes -o jsonpath='{.items[*].metadata.name}')" \
  "kubesim-node kubesim-node-2 kubesim-node-3"

# ---- OrderedReady: one pod at a time, each after the previous is ready ----------------
sts_yaml web nginx:1 "create web" >"$T/web.yaml"
watch_start web "$T/w1"
kc apply -f "$T/web.yaml" >/dev/null
out=$(rollout sts/web)
check_eq "rollout status ends with the real completion line" "$(printf '%s\n' "$out" | tail -n1)" \
  "partitioned roll out complete: 3 new pods have been updated..."
watch_stop
check_eq "OrderedReady: each pod appears after the previous one is Ready" "$(out_of_order "$T/w1")" ""
check_eq "pods appeared as web-0, web-1, web-2" "$(awk '!s[$1]++ {printf "%s ", $1}' "$T/w1")" \
  "web-0 web-1 web-2 "
rev1=$(field sts/web .status.updateRevision)
check_eq "pods carry the revision name" "$(revs web)" "web-0=$rev1 web-1=$rev1 web-2=$rev1 "
check_eq "pod-name label" "$(field pod/web-1 '.metadata.labels.statefulset\.kubernetes\.io/pod-name')" web-1
check_eq "pod-index label" "$(field pod/web-2 '.metadata.labels.apps\.kubernetes\.io/pod-index')" 2
check_eq "hostname and subdomain" "$(field pod/web-0 '.spec.hostname').$(field pod/web-0 '.spec.subdomain')" \
  "web-0.web"
check_eq "status counts" \
  "$(fields sts/web .status.replicas .status.readyReplicas .status.currentReplicas \
    .status.updatedReplicas .status.availableReplicas .status.observedGeneration)" \
  "3/3/3/3/3/1"
check_eq "currentRevision = updateRevision" "$(field sts/web .status.currentRevision)" "$rev1"
cr_hash=$(field "controllerrevision/$rev1" '.metadata.labels.controller\.kubernetes\.io/hash')
check_eq "revision named <set>-<hash label>" "$rev1" "web-$cr_hash"
check_eq "revision 1 carries the set's change-cause" \
  "$(field "controllerrevision/$rev1" '.metadata.annotations.kubernetes\.io/change-cause')" "create web"

# ---- RollingUpdate: highest ordinal first ---------------------------------------------
kc annotate sts web kubernetes.io/change-cause="image nginx:2" --overwrite >/dev/null
watch_start web "$T/w2"
kc set image sts/web c=nginx:2 >/dev/null
out=$(rollout sts/web)
watch_stop
first=$(awk -v r="$rev1" '$2 != r { print $1; exit }' "$T/w2")
check_eq "the first pod at the new revision is web-2" "$first" web-2
check_eq "then web-1, then web-0" "$(awk -v r="$rev1" '$2 != r && !s[$1]++ {printf "%s ", $1}' "$T/w2")" \
  "web-2 web-1 web-0 "
check_contains "rollout status waited for the update" "$out" "Waiting for"
check_eq "rolling update finishes with the real line" "$(printf '%s\n' "$out" | tail -n1)" \
  "partitioned roll out complete: 3 new pods have been updated..."
rev2=$(field sts/web .status.updateRevision)
check_eq "all pods at revision 2" "$(revs web)" "web-0=$rev2 web-1=$rev2 web-2=$rev2 "
check_eq "currentRevision follows when the update is done" "$(field sts/web .status.currentRevision)" "$rev2"

# ---- a partition: only ordinals >= 2 update ------------------------------------------
kc patch sts web -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":2}}}}' >/dev/null
kc annotate sts web kubernetes.io/change-cause="image nginx:3" --overwrite >/dev/null
kc set image sts/web c=nginx:3 >/dev/null
out=$(rollout sts/web)
check_eq "partitioned rollout status says what kubectl says" "$(printf '%s\n' "$out" | tail -n1)" \
  "partitioned roll out complete: 1 new pods have been updated..."
rev3=$(field sts/web .status.updateRevision)
check_eq "only web-2 updated" "$(revs web)" "web-0=$rev2 web-1=$rev2 web-2=$rev3 "
check_eq "currentRevision stays with a partition" "$(field sts/web .status.currentRevision)" "$rev2"
check_eq "current/updated counts with a partition" \
  "$(fields sts/web .status.currentReplicas .status.updatedReplicas)" "2/1"
kc annotate sts web kubernetes.io/change-cause="too late" --overwrite >/dev/null

out=$(kc rollout history sts/web 2>&1)
check_eq "rollout history lists the revisions with their change-cause" "$out" \
  "statefulset.apps/web 
REVISION  CHANGE-CAUSE
1         create web
2         image nginx:2
3         image nginx:3"
check_contains "rollout history --revision shows that template" \
  "$(kc rollout history sts/web --revision=1 2>&1)" "nginx:1"

# ---- undo: revision 1's template comes back as revision 4, same object ---------------
kc patch sts web -p '{"spec":{"updateStrategy":{"rollingUpdate":{"partition":0}}}}' >/dev/null
check_eq "rollout undo --to-revision 1" "$(kc rollout undo sts/web --to-revision 1 2>&1)" \
  "statefulset.apps/web rolled back"
out=$(rollout sts/web)
check_eq "the undo rolls out" "$(printf '%s\n' "$out" | tail -n1)" \
  "partitioned roll out complete: 3 new pods have been updated..."
check_eq "the set runs revision 1's revision object again" "$(field sts/web .status.updateRevision)" "$rev1"
check_eq "template image is nginx:1 again" "$(field sts/web '.spec.template.spec.containers[0].image')" nginx:1
check_eq "no new ControllerRevision" "$(kc get controllerrevisions -o name | wc -l)" 3
check_eq "revision 1 renumbered to 4" "$(field "controllerrevision/$rev1" .revision)" 4
out=$(kc rollout history sts/web 2>&1)
check_contains "history shows 4 with the first change-cause" "$out" "4         create web"
check_eq "undo to the running revision is skipped (data bytes equal)" \
  "$(kc rollout undo sts/web --to-revision 4 2>&1)" \
  "statefulset.apps/web skipped rollback (current template already matches revision 4)"

# ---- OnDelete: nothing changes until a pod is deleted -----------------------------------
kc patch sts web --type merge -p '{"spec":{"updateStrategy":{"type":"OnDelete","rollingUpdate":null}}}' >/dev/null
kc set image sts/web c=nginx:5 >/dev/null
sleep 1.5
check_eq "OnDelete: no pod replaced" "$(revs web)" "web-0=$rev1 web-1=$rev1 web-2=$rev1 "
check_exit "rollout status refuses OnDelete" 1 kubectl rollout status sts/web
check_contains "with the real message" "$(cat "$T/check.out")" \
  "rollout status is only available for RollingUpdate strategy type"
rev5=$(field sts/web .status.updateRevision)
kc delete pod web-1 >/dev/null
wait_eq "a deleted pod comes back at the update revision" 20 "web-0=$rev1 web-1=$rev5 web-2=$rev1 " revs web

# ---- Parallel: all pods at once; a failing image -----------------------------------------
sts_yaml par nginx:1 "" "  podManagementPolicy: Parallel" >"$T/par.yaml"
watch_start par "$T/w3"
kc apply -f "$T/par.yaml" >/dev/null
out=$(rollout sts/par)
watch_stop
check_eq "Parallel: all three pods appear before any is Ready" \
  "$(awk '$3 == "True" { exit } !s[$1]++ { n++ } END { print n + 0 }' "$T/w3")" 3
check_eq "Parallel rollout completes" "$(printf '%s\n' "$out" | tail -n1)" \
  "partitioned roll out complete: 3 new pods have been updated..."
kc set image sts/par c=nginx:bad >/dev/null
out=$(rollout sts/par 4)
check_eq "a failing image: rollout status does not finish" "$(printf '%s\n' "$out" | tail -n1)" \
  "Waiting for 1 pods to be ready..."
wait_eq "the replaced pod shows the pull failure" 10 ImagePullBackOff \
  field pod/par-2 '.status.containerStatuses[0].state.waiting.reason'
check_eq "par-1 is not touched while par-2 fails" "$(field pod/par-1 '.spec.containers[0].image')" nginx:1

# ---- DaemonSet over three nodes ------------------------------------------------------------
cat >"$T/ds.yaml" <<'YAML'
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
  annotations:
    kubernetes.io/change-cause: "agent v1"
spec:
  selector:
    matchLabels: {app: agent}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - name: c
          image: fluentd:1
YAML
kc apply -f "$T/ds.yaml" >/dev/null
out=$(rollout ds/agent)
check_eq "DaemonSet rollout status" "$(printf '%s\n' "$out" | tail -n1)" \
  'daemon set "agent" successfully rolled out'
check_eq "one pod per node" \
  "$(kc get pods -l app=agent -o jsonpath='{range .items[*]}{.spec.nodeName}{"\n"}{end}' | sort | tr '\n' ' ')" \
  "kubesim-node kubesim-node-2 kubesim-node-3 "
check_eq "pods named <ds>- plus five characters" \
  "$(names agent | tr ' ' '\n' | grep -cE '^agent-[bcdfghjklmnpqrstvwxz2456789]{5}$')" 3
check_eq "DaemonSet status counts" \
  "$(fields ds/agent .status.desiredNumberScheduled .status.currentNumberScheduled \
    .status.numberReady .status.updatedNumberScheduled .status.numberAvailable \
    .status.numberMisscheduled .status.observedGeneration)" \
  "3/3/3/3/3/0/1"
h1=$(kc get pods -l app=agent -o jsonpath='{.items[0].metadata.labels.controller-revision-hash}')
check_eq "the revision is <ds>-<pod hash label>" \
  "$(kc get controllerrevisions -l app=agent -o jsonpath='{.items[0].metadata.name}')" "agent-$h1"

kc annotate ds agent kubernetes.io/change-cause="agent v2" --overwrite >/dev/null
kc set image ds/agent c=fluentd:2 >/dev/null
low=3
for _ in $(seq 1 60); do
  r=$(kc get pods -l app=agent -o jsonpath='{range .items[*]}{.status.containerStatuses[0].ready}{" "}{end}' |
    tr ' ' '\n' | grep -c true)
  [ "$r" -lt "$low" ] && low=$r
  [ "$(field ds/agent .status.updatedNumberScheduled)/$r" = "3/3" ] && break
  sleep 0.1
done
check_eq "maxUnavailable 1: at least two ready pods all along" "$low" 2
out=$(rollout ds/agent)
check_eq "DaemonSet rolling update finishes" "$(printf '%s\n' "$out" | tail -n1)" \
  'daemon set "agent" successfully rolled out'
check_eq "DaemonSet history" "$(kc rollout history ds/agent 2>&1)" "daemonset.apps/agent 
REVISION  CHANGE-CAUSE
1         agent v1
2         agent v2"
check_eq "DaemonSet undo" "$(kc rollout undo ds/agent 2>&1)" "daemonset.apps/agent rolled back"
check_eq "DaemonSet undo rolls out" "$(rollout ds/agent | tail -n1)" 'daemon set "agent" successfully rolled out'
check_eq "undo renumbers revision 1 to 3" "$(kc rollout history ds/agent 2>&1 | sed '/^$/d' | tail -n2)" \
  "2         agent v2
3         agent v1"
check_eq "DaemonSet undo to the running revision is skipped" \
  "$(kc rollout undo ds/agent --to-revision 3 2>&1)" \
  "daemonset.apps/agent skipped rollback (current template already matches revision 3)"
kc set image ds/agent c=fluentd:bad >/dev/null
out=$(rollout ds/agent 4)
check_eq "DaemonSet with a failing image does not finish" "$(printf '%s\n' "$out" | tail -n1)" \
  'Waiting for daemon set "agent" rollout to finish: 1 out of 3 new pods have been updated...'
check_contains "the new pod shows the pull failure" \
  "$(kc get pods -l app=agent -o jsonpath='{range .items[*]}{.status.containerStatuses[0].state.waiting.reason}{" "}{end}')" \
  ImagePullBackOff
check_eq "numberUnavailable counts it" "$(field ds/agent .status.numberUnavailable)" 1

# ---- garbage collection ------------------------------------------------------------------
kc delete sts web par >/dev/null
kc delete ds agent >/dev/null
wait_eq "pods of deleted sets are collected" 20 "" kc get pods -o name
wait_eq "their ControllerRevisions too" 20 "" kc get controllerrevisions -o name
finish
