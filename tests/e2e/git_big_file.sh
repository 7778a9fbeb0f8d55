#!/usr/bin/env bash
# A 100 MB file in Git is refused by its size before it is read: the sync fails with
# exit 2 naming the file, and tether's peak RSS stays far below the file's size
# (the blob's size comes from the object header, not from reading the blob).
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
[ -x /usr/bin/time ] || { not_ok "/usr/bin/time is installed"; finish; }
W=$(git_repo app)
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: small}\n' >"$W/small.yaml"
# Compressible, so the repository stays small while the blob is 100 MB.
yes 'key: value' | head -c 100000000 >"$W/huge.yaml"
git_commit "$W" "a huge file" >/dev/null

sync_rss() { # prints "exit=N rss_kb=M" and leaves the output in $T/out
  /usr/bin/time -f 'rss_kb=%M' -o "$T/time" "$TETHER" sync --repo "$GIT_BASE_URL/app.git" \
    --app app --cache-dir "$T/cache" --no-wait >"$T/out" 2>&1
  echo "exit=$? $(cat "$T/time")"
}
for run in "first (clone)" "second (cached)"; do
  res=$(sync_rss)
  check_contains "$run sync: exit 2" "$res" "exit=2 "
  check_contains "$run sync: the error names the file and the limit" "$(cat "$T/out")" \
    "huge.yaml: larger than 4194304 bytes"
  rss=${res##*rss_kb=}
  check "$run sync: peak RSS ${rss} kB is under 40 MB" test "$rss" -lt 40960
done
check_fail "nothing applied" kubectl get configmap small -n default
finish
