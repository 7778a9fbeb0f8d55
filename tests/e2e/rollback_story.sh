#!/usr/bin/env bash
# The rollback story: v1 (revision 1), v2 (revision 2), v3 with an image that cannot
# start: sync exits 1 naming the image, and with on-failure: revert a revert commit
# appears on the branch and the cluster is back on v2's ReplicaSet. Then `git revert`
# of v2 brings back v1's ReplicaSet; in a second app, `tether rollback --to-revision 1`
# does the same through a commit tether wrote (after a push rejected once). After each
# step kubectl rollout history and tether history agree, and no rollback creates a
# ReplicaSet. Without --ref, rollback writes on the remote's default branch.
. "$(dirname "$0")/lib.sh"

kubesim_start --pod-ready-ms 100 --fail-images 'nginx:broken*' || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
for ns in a b; do printf '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"%s"}}' "$ns" | kubectl apply --server-side -f - >/dev/null; done

deploy() { # dir image
  web_deployment "$2" 2 2 >"$1/web.yaml"
}
# tsync NS REPO [flags]
tsync() { local ns=$1 repo=$2; shift 2
  "$TETHER" sync --repo "$GIT_BASE_URL/$repo.git" --ref main -n "$ns" --cache-dir "$T/cache" \
    --timeout 30s "$@"; }
thist() { local ns=$1 repo=$2; shift 2
  "$TETHER" history --repo "$GIT_BASE_URL/$repo.git" --ref main -n "$ns" --cache-dir "$T/cache" "$@"; }
rollout_hist() { kubectl rollout history deployment/web -n "$1" | awk 'NR>2 && NF {r=$1; $1=""; sub(/^ +/, ""); print r " " $0}'; }
rs_count() { kubectl get rs -n "$1" -o name | wc -l | tr -d ' '; }
cur_hash() { # pod-template-hash of the ReplicaSet at the Deployment's revision
  local rev; rev=$(kubectl get deployment web -n "$1" -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')
  kubectl get rs -n "$1" -o json | jq -r --arg r "$rev" \
    '.items[] | select(.metadata.annotations["deployment.kubernetes.io/revision"] == $r) | .metadata.labels["pod-template-hash"]'
}
# tether history's "REV COMMIT" pairs must equal kubectl's revisions and short SHAs.
agree() { # ns repo
  local k t
  k=$(rollout_hist "$1" | awk '{print $1, $2}')
  t=$(thist "$1" "$2" -o json | jq -r '.[0].revisions[] | "\(.revision) \(.commit[0:7])"')
  check_eq "$3: tether history agrees with kubectl rollout history" "$t" "$k"
}

story() { # ns repo: v1, v2, v3 failing with on-failure: revert
  local ns=$1 repo=$2 W
  W=$(git_repo "$repo")
  deploy "$W" nginx:1.25; V1=$(git_commit "$W" "v1")
  check_exit "$repo: sync v1" 0 tsync "$ns" "$repo"
  H1=$(cur_hash "$ns")
  check_eq "$repo: rollout history after v1" "$(rollout_hist "$ns")" "1 ${V1:0:7} v1"
  agree "$ns" "$repo" "$repo after v1"
  deploy "$W" nginx:1.26; V2=$(git_commit "$W" "v2")
  check_exit "$repo: sync v2" 0 tsync "$ns" "$repo"
  H2=$(cur_hash "$ns")
  check_eq "$repo: rollout history after v2" "$(rollout_hist "$ns")" "1 ${V1:0:7} v1
2 ${V2:0:7} v2"
  agree "$ns" "$repo" "$repo after v2"
  deploy "$W" nginx:broken-3; V3=$(git_commit "$W" "v3")
  check_exit "$repo: v3 fails: exit 1" 1 tsync "$ns" "$repo" --on-failure revert
  out=$(cat "$T/check.out")
  check_contains "$repo: the failure names the image" "$out" "nginx:broken-3"
  check_contains "$repo: the revert is reported" "$out" "on-failure: revert: pushed"
  git -C "$W" pull -q origin main 2>/dev/null
  RV=$(git -C "$W" rev-parse HEAD)
  check_eq "$repo: a revert commit is on the branch" "$(git -C "$W" log -1 --format=%s)" 'Revert "v3"'
  check_contains "$repo: it says what it reverts" "$(git -C "$W" log -1 --format=%b)" "This reverts commit $V3."
  check_eq "$repo: the cluster is back on v2's ReplicaSet" "$(cur_hash "$ns")" "$H2"
  check_eq "$repo: three ReplicaSets (v1, v2, v3)" "$(rs_count "$ns")" 3
  check_eq "$repo: rollout history after the revert" "$(rollout_hist "$ns")" "1 ${V1:0:7} v1
3 ${V3:0:7} v3
4 ${RV:0:7} Revert \"v3\""
  agree "$ns" "$repo" "after the revert"
  row=$(thist "$ns" "$repo" | awk '$1==4')
  check_contains "$repo: history row 4 is a rollback to v2" "$row" "rollback to revision 2 (commit ${V2:0:7})"
  check_contains "$repo: history marks v3 failed" "$(thist "$ns" "$repo" | awk '$1==3')" "failed"
  WORK=$W
}

# ---- app a: git revert of v2 ----------------------------------------------------------
story a a
git -C "$WORK" revert --no-edit "$V2" >/dev/null && git -C "$WORK" push -q origin HEAD:main 2>/dev/null
G=$(git -C "$WORK" rev-parse HEAD)
check_exit "a: sync the git revert of v2" 0 tsync a a
check_eq "a: v1's ReplicaSet is current" "$(cur_hash a)" "$H1"
check_eq "a: no extra ReplicaSet" "$(rs_count a)" 3
check_eq "a: rollout history after git revert" "$(rollout_hist a)" "3 ${V3:0:7} v3
4 ${RV:0:7} Revert \"v3\"
5 ${G:0:7} Revert \"v2\""
agree a a "after git revert"
check_contains "a: history row 5 is a rollback to v1" "$(thist a a | awk '$1==5')" "rollback to revision 1 (commit ${V1:0:7})"

head=$(git -C "$T/git/a.git" rev-parse main)
check_exit "a: rollback COMMIT --dry-run" 0 "$TETHER" rollback "${V2:0:10}" --dry-run \
  --repo "$GIT_BASE_URL/a.git" --ref main -n a --cache-dir "$T/cache"
out=$(cat "$T/check.out")
check_contains "a: it names the commit" "$out" "Roll back to commit ${V2:0:7}"
check_contains "a: and shows v2's image coming back" "$out" "+          image: nginx:1.26"
check_eq "a: nothing pushed" "$(git -C "$T/git/a.git" rev-parse main)" "$head"

# ---- app b: tether rollback --to-revision 1 ---------------------------------------------
story b b
RB=("$TETHER" rollback deployment/web --to-revision 1 --repo "$GIT_BASE_URL/b.git" --ref main -n b
    --cache-dir "$T/cache" --timeout 30s)
head=$(git -C "$T/git/b.git" rev-parse main)
check_exit "b: rollback --dry-run" 0 "${RB[@]}" --dry-run
out=$(cat "$T/check.out")
check_contains "b: dry run shows the message" "$out" "Roll back deployment/web to revision 1 (commit ${V1:0:7})"
check_contains "b: dry run shows the diff" "$out" "+          image: nginx:1.25"
check_eq "b: dry run pushes nothing" "$(git -C "$T/git/b.git" rev-parse main)" "$head"
# The first push is refused (as if someone pushed meanwhile): fetched and retried once.
cat >"$T/git/b.git/hooks/pre-receive" <<HOOK
#!/bin/sh
[ -f "$T/rejected-once" ] && exit 0
touch "$T/rejected-once"; echo "busy, try again" >&2; exit 1
HOOK
chmod +x "$T/git/b.git/hooks/pre-receive"
check_exit "b: rollback --to-revision 1" 0 "${RB[@]}"
check_contains "b: the rejected push was retried" "$(cat "$T/check.out")" "retried"
git -C "$WORK" pull -q origin main 2>/dev/null
TB=$(git -C "$WORK" rev-parse HEAD)
check_eq "b: tether's commit is on the branch" "$(git -C "$WORK" log -1 --format=%s)" "Roll back deployment/web to revision 1 (commit ${V1:0:7})"
check_contains "b: the message says it restores files" "$(git -C "$WORK" log -1 --format=%b)" "restore of the files"
check_eq "b: v1's ReplicaSet is current" "$(cur_hash b)" "$H1"
check_eq "b: no extra ReplicaSet" "$(rs_count b)" 3
check_eq "b: rollout history after tether rollback" "$(rollout_hist b)" "3 ${V3:0:7} v3
4 ${RV:0:7} Revert \"v3\"
5 ${TB:0:7} Roll back deployment/web to revision 1 (commit ${V1:0:7})"
agree b b "after tether rollback"
check_contains "b: history row 5 is a rollback to v1" "$(thist b b | awk '$1==5')" "rollback to revision 1 (commit ${V1:0:7})"
# A branch that keeps moving: rejected, retried once, rejected again, reported.
printf '#!/bin/sh\necho "busy, try again" >&2; exit 1\n' >"$T/git/b.git/hooks/pre-receive"
head=$(git -C "$T/git/b.git" rev-parse main)
check_exit "b: a push rejected twice: exit 1" 1 "$TETHER" rollback "$V2" \
  --repo "$GIT_BASE_URL/b.git" --ref main -n b --cache-dir "$T/cache"
check_contains "b: it says so" "$(cat "$T/check.out")" "rejected again after fetching and retrying once"
check_eq "b: the branch is unchanged" "$(git -C "$T/git/b.git" rev-parse main)" "$head"
check_eq "b: the cluster is unchanged" "$(cur_hash b)" "$H1"
check_exit "b: an unknown revision is refused (exit 2)" 2 "$TETHER" rollback deployment/web --to-revision 9 \
  --repo "$GIT_BASE_URL/b.git" --ref main -n b --cache-dir "$T/cache"
check_contains "b: it names the revision" "$(cat "$T/check.out")" "has no revision 9"
rm "$T/git/b.git/hooks/pre-receive"
head=$(git -C "$T/git/b.git" rev-parse main)
check_exit "b: rollback --dry-run without --ref: the remote's default branch" 0 "$TETHER" rollback \
  "$V2" --dry-run --repo "$GIT_BASE_URL/b.git" -n b --cache-dir "$T/cache"
check_contains "b: it writes on the default branch's head" "$(cat "$T/check.out")" "-          image: nginx:1.25"
check_eq "b: dry run without --ref pushes nothing" "$(git -C "$T/git/b.git" rev-parse main)" "$head"
check_exit "b: --ref naming a commit is refused (exit 2)" 2 "$TETHER" rollback "$V1" \
  --repo "$GIT_BASE_URL/b.git" --ref "$V2" -n b --cache-dir "$T/cache"
check_contains "b: it asks for a branch" "$(cat "$T/check.out")" "--ref BRANCH"
finish
