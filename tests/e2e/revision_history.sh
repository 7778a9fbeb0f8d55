#!/usr/bin/env bash
# Commits are revisions: each commit that changes a Deployment's pod template puts
# kubernetes.io/change-cause "<sha> <subject>" and tether.dev/commit on the
# Deployment, the controller copies them to the ReplicaSet, and `kubectl rollout
# history` and `tether history` name the commit of every revision. A commit that only
# scales keeps them. `git revert` brings the earlier ReplicaSet back as the newest
# revision, without an extra ReplicaSet; drift by hand is shown and undone.
. "$(dirname "$0")/lib.sh"

kubesim_start --pod-ready-ms 100 --fail-images 'nginx:broken*' || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
REPO=$GIT_BASE_URL/app.git
deploy() { # image replicas
  web_deployment "$1" "$2" 3 >"$W/web.yaml"
}
tsync() { "$TETHER" sync --repo "$REPO" --ref main --cache-dir "$T/cache" --timeout 30s "$@"; }
thist() { "$TETHER" history --repo "$REPO" --ref main --cache-dir "$T/cache" "$@"; }
ann() { kubectl get deployment web -o "jsonpath={.metadata.annotations.$1}"; }
# "REV CAUSE" lines of kubectl rollout history, without the header.
rollout_hist() { kubectl rollout history deployment/web | awk 'NR>2 && NF {r=$1; $1=""; sub(/^ +/, ""); print r " " $0}'; }
rs_count() { kubectl get rs -o name | wc -l | tr -d ' '; }

deploy nginx:1.25 2
V1=$(git_commit "$W" "v1: web on nginx 1.25")
check_exit "sync v1" 0 tsync
check_eq "change-cause names v1" "$(ann 'kubernetes\.io/change-cause')" "${V1:0:7} v1: web on nginx 1.25"
check_eq "tether.dev/commit is v1" "$(ann 'tether\.dev/commit')" "$V1"
check_eq "not on the pod template" \
  "$(kubectl get deployment web -o jsonpath='{.spec.template.metadata.annotations}')" ""
check_eq "rollout history after v1" "$(rollout_hist)" "1 ${V1:0:7} v1: web on nginx 1.25"

deploy nginx:1.26 2
V2=$(git_commit "$W" "v2: nginx 1.26")
check_exit "sync v2" 0 tsync
check_eq "rollout history after v2" "$(rollout_hist)" "1 ${V1:0:7} v1: web on nginx 1.25
2 ${V2:0:7} v2: nginx 1.26"

deploy nginx:1.26 3
S=$(git_commit "$W" "scale to 3")
check_exit "sync a commit that only scales" 0 tsync
check_eq "scaling keeps v2's change-cause" "$(ann 'tether\.dev/commit')" "$V2"
check_eq "rollout history unchanged by scaling" "$(rollout_hist)" "1 ${V1:0:7} v1: web on nginx 1.25
2 ${V2:0:7} v2: nginx 1.26"
before=$(kubesim_requests PATCH)
check_exit "a second sync of the same commit" 0 tsync
check_eq "it writes nothing (no PATCH, not even history)" "$(kubesim_requests PATCH)" "$before"
check_eq "change-cause still v2 after no-op" "$(ann 'tether\.dev/commit')" "$V2"

out=$(thist)
check_contains "tether history lists v1" "$out" "${V1:0:7}"
check_contains "tether history shows v2 active" "$(echo "$out" | awk '$1==2')" "active"
check_contains "tether history has the author" "$out" "Test Author"
check_contains "tether history has the subject" "$out" "v2: nginx 1.26"
check_eq "tether history -o json revisions agree with kubectl" \
  "$(thist -o json | jq -r '.[0].revisions[] | "\(.revision) \(.commit[0:7])"')" "1 ${V1:0:7}
2 ${V2:0:7}"

# git revert of the scaling and of v2: the template is v1's again.
git -C "$W" revert --no-edit HEAD >/dev/null && git -C "$W" push -q origin HEAD:main 2>/dev/null
git -C "$W" revert --no-edit HEAD~2 >/dev/null && git -C "$W" push -q origin HEAD:main 2>/dev/null
R=$(git -C "$W" rev-parse HEAD)
n_rs=$(rs_count)
check_exit "sync the revert of v2" 0 tsync
check_eq "no extra ReplicaSet for the revert" "$(rs_count)" "$n_rs"
check_eq "v1's ReplicaSet is the newest revision" "$(rollout_hist)" "2 ${V2:0:7} v2: nginx 1.26
3 ${R:0:7} Revert \"v2: nginx 1.26\""
check_eq "its image is v1's" "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" "nginx:1.25"
H=$(kubectl get configmap tether-history-app -o jsonpath='{.data.history\.json}')
check_eq "the history entry covers both reverts" "$(echo "$H" | jq -r '.[0].commits | length')" 2
check_eq "and names the synced commit" "$(echo "$H" | jq -r '.[0].commit')" "$R"
check_eq "with the Deployment, revision 3 and v1's pod-template-hash" \
  "$(echo "$H" | jq -r '.[0].workloads[0] | "\(.kind) \(.revision) \(.podTemplateHash)"')" \
  "Deployment 3 $(kubectl get rs -o json | jq -r '.items[] | select(.metadata.annotations["deployment.kubernetes.io/revision"] == "3") | .metadata.labels["pod-template-hash"]')"
check_eq "entries so far: v1, v2, scale, reverts" "$(echo "$H" | jq -r 'length')" 4
row=$(thist | awk '$1==3')
check_contains "tether history shows the rollback" "$row" "rollback to revision 1 (commit ${V1:0:7})"
check_contains "tether history shows the revert's subject" "$row" "Revert \"v2: nginx 1.26\""
check_eq "tether history json names the earlier revision" \
  "$(thist -o json | jq -r '.[0].revisions[-1].rollbackOf | "\(.revision) \(.commit)"')" "1 $V1"

# Drift by hand: kubectl set image, then diff and sync take Git's image back.
kubectl set image deployment/web web=nginx:hand >/dev/null
check_exit "tether diff shows the drift (exit 1)" 1 "$TETHER" diff --repo "$REPO" --ref main --cache-dir "$T/cache"
check_contains "the diff names the image" "$(cat "$T/check.out")" "nginx:hand"
check_exit "sync restores Git's image" 0 tsync
check_eq "image is Git's again" "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" "nginx:1.25"
# kubectl rollout undo is drift too (it also copies the old ReplicaSet's annotations
# back onto the Deployment): diff shows it, sync applies Git's template and commit.
kubectl rollout undo deployment/web >/dev/null 2>"$T/undo.err" || cat "$T/undo.err"
wait_for "rollout undo took effect" 10 sh -c \
  "kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}' | grep -qv '^nginx:1.25\$'"
check_exit "tether diff shows the undo (exit 1)" 1 "$TETHER" diff --repo "$REPO" --ref main --cache-dir "$T/cache"
check_exit "sync after the undo" 0 tsync
check_eq "image is Git's after the undo" "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" "nginx:1.25"
check_eq "the Deployment names Git's commit again" "$(ann 'tether\.dev/commit')" "$R"

# On a terminal, one progress line per change of a rollout.
deploy nginx:1.27 3
git_commit "$W" "v4 on a terminal" >/dev/null
tty_out=$(script -qec "$TETHER sync --repo $REPO --ref main --cache-dir $T/cache --timeout 30s" /dev/null)
check_contains "a terminal shows the rollout's progress" "$tty_out" "deployment/web: "
check_contains "in kubectl's words" "$tty_out" " replicas "
finish
