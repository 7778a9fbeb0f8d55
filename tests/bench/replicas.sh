#!/usr/bin/env bash
# tether run --shard-apps (issue #17): three replicas share BENCH_APPS apps (1,000) of one
# repository. Measures the first sync of every app, then kill -9 of one replica: the
# time until the others synced its apps (a commit pushed at the kill changes every app),
# and double syncs: overlapping Lease spans of one app (tests/e2e/sync_spans.py) and a
# commit applied more than once to an app.
# Prints figures and PASS/MISS; exits 0 (a benchmark, not a test).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../e2e/agent_common.bash"

APPS=${BENCH_APPS:-1000}
LEASE_S=${BENCH_LEASE_S:-3}
[ -x "$TETHER" ] || { echo "bench: $TETHER is not built"; exit 1; }
cp "$TETHER" "$T/tether" && TETHER=$T/tether # others may relink build/tether meanwhile

kubesim_start || { echo "bench: kubesim did not start"; exit 1; }
gitd_start || { echo "bench: git daemon did not start"; exit 1; }
W=$(git_repo apps)
write_all() { local i; for i in $(seq 1 "$APPS"); do write_cm "$W/app$i" "cm$i" "$1"; done; }
# at VALUE [APPS]: how many of the apps' ConfigMaps (of the apps named, "app1 app2 ...")
# hold VALUE (one LIST)
at() {
  kubectl get cm -n default -o json | jq --arg v "$1" --arg only "${2:-}" '
    ($only | split(" ") | map("cm" + ltrimstr("app")) | map({(.): true}) | add // {}) as $set
    | [.items[] | select(.metadata.name | startswith("cm")) | select($only == "" or $set[.metadata.name])
       | select(.data.v == $v)] | length'
}
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }
wait_at() { # VALUE COUNT SECONDS [APPS]: polls until COUNT apps hold VALUE; prints the ms waited
  local t0; t0=$(date +%s%N)
  while [ "$(at "$1" "${4:-}")" -lt "$2" ] && [ "$(ms_since "$t0")" -lt $(( $3 * 1000 )) ]; do sleep 0.2; done
  ms_since "$t0"
}
write_all 1
git_commit "$W" "one" >/dev/null
{
  echo "kubeconfig: $KUBECONFIG"
  echo "no-wait: true"
  echo "interval: 60s"
  echo "shard-apps: true"
  echo "leader-elect-namespace: default"
  echo "leader-elect-lease-duration: ${LEASE_S}s"
  echo "apps:"
  for i in $(seq 1 "$APPS"); do echo "  - {name: app$i, repo: $GIT_BASE_URL/apps.git, path: app$i}"; done
} >"$T/tether.yaml"

t0=$(date +%s%N)
for r in a b c; do agent_start "$r" --config "$T/tether.yaml" || exit 1; done
ms=$(wait_at 1 "$APPS" 600)
echo "first sync of $APPS apps by three replicas: ${ms} ms ($(at 1) synced)"
for r in A B C; do
  u=$(eval echo "\$${r}_URL")
  echo "  replica ${r,,}: $(curl -s "$u/status" | jq -r '"\(.shard.ownedApps) apps owned, \(.shard.members | length) members seen"')"
done

VID=$(curl -s "$A_URL/status" | jq -r .shard.identity)
theirs=$(curl -s "$A_URL/status" | jq -r --arg id "$VID" '[.apps[] | select(.owner == $id) | .app] | join(" ")')
n_theirs=$(wc -w <<<"$theirs")
write_all 2
kill -KILL "$A_PID"; wait "$A_PID" 2>/dev/null
T_KILL=$(date +%s%N)
S2=$(git_commit "$W" "two")
# The survivors' interval is 60 s: only the apps they take over (checked at once when
# the members change) reach commit two within this wait.
wait_at 2 "$n_theirs" $(( LEASE_S * 4 + 120 )) "$theirs" >/dev/null
ms=$(ms_since "$T_KILL")
echo "kill -9 of a replica owning $n_theirs apps: all of them at the new commit ${ms} ms after the kill ($(at 2 "$theirs") of them; $(at 2) apps in all; lease ${LEASE_S}s)"
first=$(grep -h 'msg="sync lease acquired"' "$T/b.log" "$T/c.log" | awk -v k=$(( T_KILL / 1000000 )) '
  match($0, /atMs=[0-9]+/) { t = substr($0, RSTART + 5, RLENGTH - 5) + 0; if (t > k && (m == "" || t < m)) m = t }
  END { print m - k }')
goal=$(( LEASE_S * 1000 + LEASE_S * 1000 / 3 ))
echo "  takeover: the first sync of its apps ${first} ms after the kill   goal <= ${goal} ms (lease + a renewal period): $(bench_verdict "$first" "$goal" le)"
spans=$(python3 "$(dirname "$0")/../e2e/sync_spans.py" "$T_KILL" "$VID" "$T"/[abc].log 2>"$T/overlaps")
twice=$(grep -h 'msg=sync ' "$T/b.log" "$T/c.log" | grep "commit=$S2" | grep -o ' app=[^ ]*' | sort | uniq -d | wc -l)
echo "double syncs: ${spans#* } overlapping of ${spans% *} sync spans, $twice apps applied commit two twice   goal 0: $(
  bench_verdict $(( ${spans#* } + twice )) 0 le)"
exit 0
