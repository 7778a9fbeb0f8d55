#!/usr/bin/env bash
# `make demo` must keep working: runs examples/demo/demo.sh and checks that it told the
# whole story, exited 0 and left nothing running.
. "$(dirname "$0")/lib.sh"

( cd "$T" && timeout 300 bash "$ROOT/examples/demo/demo.sh" ) >"$T/demo.out" 2>&1
rc=$?
OUT=$(cat "$T/demo.out")
check_eq "the demo exits 0" "$rc" 0
if [ "$rc" -ne 0 ]; then tail -n 30 "$T/demo.out" | sed 's/^/#   /'; fi
check_contains "v1 rolls out" "$OUT" "rollout default/deployment.apps/web: done"
check "kubectl rollout history names the commit of revision 2" \
  grep -Eq '^2 +[0-9a-f]{7} v2: nginx 1.26' "$T/demo.out"
check_contains "v3's failure names the image" "$OUT" 'registry.invalid/nginx:9.9'
check_contains "v3's sync exits 1" "$OUT" "(exit status 1)"
check "after the reverts v1's ReplicaSet serves again as revision 4" \
  grep -Eq "^v1's ReplicaSet web-[a-z0-9]+ is back in service as revision 4" "$T/demo.out"
check "the StatefulSet's revert is revision 3, v1's ControllerRevision" \
  grep -Eq '^3 +[0-9a-f]{7} db: a StatefulSet on nginx 1.25' "$T/demo.out"
check "tether history sts/db says it is a rollback to revision 1" \
  grep -Eq 'active +rollback to revision 1 \(commit [0-9a-f]{7}\): Revert "db: nginx 1.26"' "$T/demo.out"
check "the agent synced both tenants' apps, as their ServiceAccounts" bash -c \
  "grep -Eq 'msg=sync app=team-a .*result=success created=2' '$T/demo.out' && grep -Eq 'msg=sync app=team-b .*result=success created=2' '$T/demo.out'"
check "their records are tether's, in tether-system" grep -Eq '^tether-history-team-b +2 ' "$T/demo.out"
check_eq "where a team may not write (kubectl auth can-i)" \
  "$(grep -A1 '^\$ kubectl auth can-i patch configmaps -n tether-system' "$T/demo.out" | tail -n1)" no
check "tether status lists the three apps synced" bash -c \
  "grep -Eq '^shop +[0-9a-f]{12} synced' '$T/demo.out' && grep -Eq '^team-a +[0-9a-f]{12} synced' '$T/demo.out' && grep -Eq '^team-b +[0-9a-f]{12} synced' '$T/demo.out'"
check_contains "the story ends" "$OUT" "== Done"
SIM_URL=$(sed -n 's/^cluster: *\(http[^ ]*\).*/\1/p' "$T/demo.out" | head -n1)
check "the demo printed its cluster address" test -n "$SIM_URL"
check_fail "its kubesim is stopped" curl -sk --max-time 2 "$SIM_URL/version"
GIT_URL=$(sed -n 's/^git host: *git:\/\/\([^/]*\)\/.*/\1/p' "$T/demo.out" | head -n1)
check_fail "its git daemon is stopped" git ls-remote "git://$GIT_URL/shop.git"
check "its temporary directory is gone" \
  bash -c '! test -d "$1"' _ "$(sed -n 's/^Everything ran on 127.0.0.1 in \([^ ]*\) .*/\1/p' "$T/demo.out")"

finish
