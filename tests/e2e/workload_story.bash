# The story of tests/e2e/workload_revisions_sts.sh and _ds.sh (sourced after lib.sh):
# every workload revision is a commit, for a StatefulSet and a DaemonSet as for a
# Deployment. v1 and v2 make ControllerRevisions whose change-cause names the commit;
# the StatefulSet's v2 rolls out above a partition set by a commit before it, then a
# commit that only lowers the partition and scales; neither relabels anything. v3 with
# an image that cannot start fails (exit 1, the pod and the image named) and
# on-failure: revert brings v2's revision back (the StatefulSet's pod of v3 deleted, as
# its forced rollback needs); `git revert` of v2 brings v1's back; `tether rollback
# KIND/NAME --to-revision N` through the short forms. After every step kubectl rollout
# history and tether history agree, and no step back makes a new ControllerRevision.

# workload_setup NS: kubesim with three nodes, a git daemon, the namespace.
workload_setup() {
  kubesim_start --nodes 3 --pod-ready-ms 100 --fail-images 'nginx:broken*' ||
    { not_ok "kubesim starts"; finish; }
  gitd_start || { not_ok "git daemon starts"; finish; }
  printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"}}' "$1" |
    kubectl apply --server-side -f - >/dev/null
}

sts_yaml() { # image replicas partition
  cat <<YAML
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
spec:
  replicas: $2
  serviceName: db
  selector:
    matchLabels: {app: db}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {partition: $3}
  template:
    metadata:
      labels: {app: db}
    spec:
      containers:
        - name: db
          image: $1
YAML
}
ds_yaml() { # image
  cat <<YAML
apiVersion: apps/v1
kind: DaemonSet
metadata:
  name: agent
spec:
  selector:
    matchLabels: {app: agent}
  updateStrategy:
    type: RollingUpdate
    rollingUpdate: {maxUnavailable: 1}
  template:
    metadata:
      labels: {app: agent}
    spec:
      containers:
        - name: agent
          image: $1
YAML
}

# The story's app: NS (namespace and repository), OBJ (kubectl's kind/name), W (work tree).
tsync() { "$TETHER" sync --repo "$GIT_BASE_URL/$NS.git" --ref main -n "$NS" --cache-dir "$T/cache" \
  --timeout "${TMO:-30s}" "$@"; }
thist() { "$TETHER" history --repo "$GIT_BASE_URL/$NS.git" --ref main -n "$NS" --cache-dir "$T/cache" "$@"; }
rollout_hist() { kubectl rollout history "$OBJ" -n "$NS" | awk 'NR>2 && NF {r=$1; $1=""; sub(/^ +/, ""); print r " " $0}'; }
cr_count() { kubectl get controllerrevisions -n "$NS" -o name | wc -l | tr -d ' '; }
# The template hash label of the newest ControllerRevision.
cur_hash() {
  kubectl get controllerrevisions -n "$NS" -o json |
    jq -r '.items | max_by(.revision) | .metadata.labels | (.["controller.kubernetes.io/hash"] // .["controller-revision-hash"])'
}
# tether history's "REV COMMIT" pairs (through the short form), with the commit kubectl
# names (the one that first made a renumbered revision's template), must equal
# kubectl's revisions and SHAs.
agree() { # step
  local k t
  k=$(rollout_hist | awk '{print $1, $2}')
  t=$(thist "$SHORT" -o json | jq -r '.[0].revisions[] | "\(.revision) \((.templateCommit // .commit)[0:7])"')
  check_eq "$OBJ: tether history $SHORT agrees with kubectl rollout history $1" "$t" "$k"
}
row() { thist "$OBJ" | awk -v r="$1" '$1==r'; }

# v1, v2 (with the StatefulSet's partition step) and a failing v3 reverted.
story() { # yaml-function
  local gen=$1
  W=$(git_repo "$NS")
  if [ "$gen" = sts_yaml ]; then sts_yaml nginx:1.25 3 0; else ds_yaml nginx:1.25; fi >"$W/w.yaml"
  V1=$(git_commit "$W" "v1")
  check_exit "$OBJ: sync v1" 0 tsync
  check_eq "$OBJ: rollout history after v1" "$(rollout_hist)" "1 ${V1:0:7} v1"
  agree "after v1"
  H1=$(cur_hash)
  if [ "$gen" = sts_yaml ]; then
    sts_yaml nginx:1.25 3 2 >"$W/w.yaml"; P=$(git_commit "$W" "canary: partition 2")
    check_exit "$OBJ: sync a commit that only sets a partition" 0 tsync
    check_eq "$OBJ: it relabels nothing" "$(rollout_hist)" "1 ${V1:0:7} v1"
    sts_yaml nginx:1.26 3 2 >"$W/w.yaml"; V2=$(git_commit "$W" "v2")
    check_exit "$OBJ: sync v2 above partition 2" 0 tsync
    check_contains "$OBJ: only db-2 is at v2" \
      "$(kubectl get pods -n "$NS" -l app=db -o jsonpath='{range .items[*]}{.metadata.name}={.spec.containers[0].image} {end}')" \
      "db-0=nginx:1.25 db-1=nginx:1.25 db-2=nginx:1.26"
    sts_yaml nginx:1.26 4 0 >"$W/w.yaml"; S=$(git_commit "$W" "all pods to v2, scale to 4")
    check_exit "$OBJ: sync the partition and scale commit" 0 tsync
    check_eq "$OBJ: it keeps v2's commit on the set" \
      "$(kubectl get "$OBJ" -n "$NS" -o jsonpath='{.metadata.annotations.tether\.dev/commit}')" "$V2"
    check_eq "$OBJ: every pod at v2" \
      "$(kubectl get pods -n "$NS" -l app=db -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}')" \
      "nginx:1.26 nginx:1.26 nginx:1.26 nginx:1.26 "
  else
    ds_yaml nginx:1.26 >"$W/w.yaml"; V2=$(git_commit "$W" "v2")
    check_exit "$OBJ: sync v2" 0 tsync
  fi
  check_eq "$OBJ: rollout history after v2" "$(rollout_hist)" "1 ${V1:0:7} v1
2 ${V2:0:7} v2"
  agree "after v2"
  H2=$(cur_hash)
  if [ "$gen" = sts_yaml ]; then sts_yaml nginx:broken-3 4 0; else ds_yaml nginx:broken-3; fi >"$W/w.yaml"
  V3=$(git_commit "$W" "v3")
  TMO=4s check_exit "$OBJ: v3 fails: exit 1" 1 tsync --on-failure revert
  out=$(cat "$T/check.out")
  check_contains "$OBJ: the failure names the image" "$out" "(image nginx:broken-3)"
  check_contains "$OBJ: and the pod" "$out" "pod $POD"
  check_contains "$OBJ: the revert is reported" "$out" "on-failure: revert: pushed"
  if [ "$gen" = sts_yaml ]; then # OrderedReady waits for db-3 forever unless it goes
    check_contains "$OBJ: the pod of v3 is deleted, and that is said" "$out" \
      "forced rollback: deleted pod db-3"
  else
    check_eq "$OBJ: a DaemonSet needs no forced rollback" "$(grep -c 'forced rollback' <<<"$out")" 0
  fi
  git -C "$W" pull -q origin main 2>/dev/null
  RV=$(git -C "$W" rev-parse HEAD)
  check_eq "$OBJ: a revert commit is on the branch" "$(git -C "$W" log -1 --format=%s)" 'Revert "v3"'
  check_eq "$OBJ: the cluster is back on v2's revision" "$(cur_hash)" "$H2"
  check_eq "$OBJ: three ControllerRevisions (v1, v2, v3)" "$(cr_count)" 3
  check_eq "$OBJ: rollout history after the revert" "$(rollout_hist)" "1 ${V1:0:7} v1
3 ${V3:0:7} v3
4 ${V2:0:7} v2"
  agree "after the revert"
  local r3 r4
  r3=$(row 3) r4=$(row 4)
  check_contains "$OBJ: history row 4 is the revert, a rollback to v2" "$r4" \
    "${RV:0:7}"
  check_contains "$OBJ: history row 4 names revision 2" "$r4" "rollback to revision 2 (commit ${V2:0:7})"
  check_contains "$OBJ: history marks v3 failed" "$r3" "failed"
  check_contains "$OBJ: and row 4 active" "$r4" "active"

  git -C "$W" revert --no-edit "$V2" >/dev/null && git -C "$W" push -q origin HEAD:main 2>/dev/null
  G=$(git -C "$W" rev-parse HEAD)
  check_exit "$OBJ: sync the git revert of v2" 0 tsync
  check_eq "$OBJ: v1's revision is current" "$(cur_hash)" "$H1"
  check_eq "$OBJ: no new ControllerRevision" "$(cr_count)" 3
  check_eq "$OBJ: rollout history after git revert" "$(rollout_hist)" "3 ${V3:0:7} v3
4 ${V2:0:7} v2
5 ${V1:0:7} v1"
  agree "after git revert"
  check_contains "$OBJ: history row 5 is a rollback to v1" "$(row 5)" "rollback to revision 1 (commit ${V1:0:7})"

  check_exit "$OBJ: tether rollback $SHORT --to-revision 4" 0 "$TETHER" rollback "$SHORT" --to-revision 4 \
    --repo "$GIT_BASE_URL/$NS.git" --ref main -n "$NS" --cache-dir "$T/cache" --timeout 30s
  git -C "$W" pull -q origin main 2>/dev/null
  TB=$(git -C "$W" rev-parse HEAD)
  check_eq "$OBJ: tether's commit names the kind" "$(git -C "$W" log -1 --format=%s)" \
    "Roll back $LONG to revision 4 (commit ${RV:0:7})"
  check_eq "$OBJ: v2's revision is current again" "$(cur_hash)" "$H2"
  check_eq "$OBJ: still no new ControllerRevision" "$(cr_count)" 3
  check_eq "$OBJ: rollout history after tether rollback" "$(rollout_hist)" "3 ${V3:0:7} v3
5 ${V1:0:7} v1
6 ${V2:0:7} v2"
  agree "after tether rollback"
  r4=$(row 6)
  check_contains "$OBJ: history row 6 is tether's commit" "$r4" "${TB:0:7}"
  check_contains "$OBJ: a rollback to revision 4" "$r4" "rollback to revision 4 (commit ${RV:0:7})"
  check_eq "$OBJ: $OBJ and $SHORT show the same history" "$(thist "$OBJ" -o json | jq -c .)" \
    "$(thist "$SHORT" -o json | jq -c .)"
}
