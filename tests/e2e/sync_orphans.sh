#!/usr/bin/env bash
# Orphans: without --prune, what the inventory holds and Git no longer renders is
# named by diff and sync ("N not in Git (--prune deletes them)", text and JSON) and
# kept; diff still exits 0 when nothing else differs. --prune then deletes it.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }

W=$(git_repo shop)
for n in a b c d; do
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%s\ndata:\n  k: "%s"\n' "$n" "$n" \
    >"$W/cm-$n.yaml"
done
git_commit "$W" "v1" >/dev/null
args=(--repo "$GIT_BASE_URL/shop.git" --cache-dir "$T/cache")
check_exit "first sync" 0 "$TETHER" sync "${args[@]}" --no-wait
check_exit "diff: in sync" 0 "$TETHER" diff "${args[@]}"
check_eq "nothing is reported not in Git" "$(grep -c 'not in Git' "$T/check.out")" 0

git -C "$W" rm -q cm-a.yaml
git_commit "$W" "drop a" >/dev/null
check_exit "diff without --prune: exit 0 (nothing else differs)" 0 "$TETHER" diff "${args[@]}"
out=$(cat "$T/check.out")
check_contains "diff summary counts it" "$out" \
  "0 to create, 0 to change, 0 to prune, 3 unchanged, 1 not in Git (--prune deletes them)"
check_contains "diff names it" "$out" "not in Git (--prune deletes it): default/configmap/cm-a"
check_exit "diff -o json: exit 0" 0 "$TETHER" diff "${args[@]}" -o json
check_eq "diff json names it" "$(jq -c '[.objects.notInGit, .counts.notInGit, .result]' "$T/check.out")" \
  '[["default/configmap/cm-a"],1,"in-sync"]'

check_exit "sync without --prune" 0 "$TETHER" sync "${args[@]}" --no-wait
out=$(cat "$T/check.out")
check_contains "sync summary counts it" "$out" "0 pruned, 1 not in Git (--prune deletes them)"
check_contains "sync names it" "$out" "not in Git (--prune deletes it) default/configmap/cm-a"
check "cm-a is kept" kubectl get configmap cm-a -n default
check_exit "sync -o json" 0 "$TETHER" sync "${args[@]}" --no-wait -o json
check_eq "sync json names it" "$(jq -c '[.objects.notInGit, .counts.notInGit]' "$T/check.out")" \
  '[["default/configmap/cm-a"],1]'
check_exit "still reported by a later diff" 0 "$TETHER" diff "${args[@]}"
check_contains "kept in the inventory, so still named" "$(cat "$T/check.out")" "1 not in Git"

# A change and an orphan: diff exits 1 for the change, and names the orphan too.
sed -i 's/k: "b"/k: "B"/' "$W/cm-b.yaml"
git_commit "$W" "change b" >/dev/null
check_exit "diff with a change: exit 1" 1 "$TETHER" diff "${args[@]}"
check_contains "summary" "$(cat "$T/check.out")" "0 to create, 1 to change, 0 to prune, 2 unchanged, 1 not in Git"

# With --prune it is deleted, and no longer called "not in Git".
check_exit "diff --prune shows the prune" 1 "$TETHER" diff "${args[@]}" --prune
check_contains "diff --prune summary" "$(cat "$T/check.out")" "0 to create, 1 to change, 1 to prune, 2 unchanged"
check_eq "diff --prune does not say not in Git" "$(grep -c 'not in Git' "$T/check.out")" 0
check_exit "sync --prune" 0 "$TETHER" sync "${args[@]}" --no-wait --prune -o json
check_eq "json: pruned, none left not in Git" \
  "$(jq -c '[.objects.pruned, .objects.notInGit]' "$T/check.out")" '[["default/configmap/cm-a"],[]]'
check_fail "cm-a is gone" kubectl get configmap cm-a -n default
check_exit "diff: nothing left" 0 "$TETHER" diff "${args[@]}"
check_eq "nothing is reported not in Git" "$(grep -c 'not in Git' "$T/check.out")" 0

finish
