#!/usr/bin/env bash
# A damaged Git cache (truncated packs) repairs itself: the next sync clones again,
# once, says so, and succeeds; it no longer fails every run until --cache-dir is
# deleted by hand.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
write_cm "$W" repaired 1
git_commit "$W" one >/dev/null
sync_app() { "$TETHER" sync --repo "$GIT_BASE_URL/app.git" --app app --cache-dir "$T/cache" --no-wait; }

check_exit "the first sync: exit 0" 0 sync_app
packs=$(find "$T/cache" -name '*.pack')
check "the cache holds a pack" test -n "$packs"
for p in $packs; do truncate -s 100 "$p"; done
write_cm "$W" repaired 2
git_commit "$W" two >/dev/null

check_exit "a sync on the damaged cache: exit 0" 0 sync_app
check_contains "it says the cache was cloned again" "$(cat "$T/check.out")" \
  "Git cache damaged, cloning it again"
check "kubectl sees the new commit's value" cm_is repaired 2
check_exit "the next sync is quiet" 0 sync_app
check_fail "with no repair" grep -q "damaged" "$T/check.out"
finish
