#!/usr/bin/env bash
# tether run --shard-apps: three agents share 24 apps of one repository through Leases.
# Every app is synced by the replica it falls to; kill -9 one: the others sync its apps
# within the lease duration (the time is printed); a restarted replica takes a share
# back; a clean stop gives the membership up at once. No two replicas' syncs of one app
# ever overlap (the spans of the per-app Lease, from the logs), and a commit is applied
# once per app.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

APPS=24
LEASE_S=3
kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo apps)
write_all() { local i; for i in $(seq 1 $APPS); do write_cm "$W/app$i" "cm$i" "$1"; done; }
all_are() { local i; for i in $(seq 1 $APPS); do cm_is "cm$i" "$1" || return 1; done; }
write_all 1
git_commit "$W" "one" >/dev/null
{
  echo "kubeconfig: $KUBECONFIG"
  echo "no-wait: true"
  echo "interval: 1s"
  echo "shard-apps: true"
  echo "leader-elect-namespace: default"
  echo "leader-elect-lease-duration: ${LEASE_S}s"
  echo "apps:"
  for i in $(seq 1 $APPS); do
    echo "  - {name: app$i, repo: $GIT_BASE_URL/apps.git, path: app$i}"
  done
} >"$T/tether.yaml"

check_exit "--shard-apps with --leader-elect is bad input" 2 "$TETHER" run --config "$T/tether.yaml" \
  --listen 127.0.0.1:0 --leader-elect
check_contains "and says why" "$(cat "$T/check.out")" "--shard-apps and --leader-elect exclude each other"
check_exit "a group that cannot name a Lease is bad input" 2 "$TETHER" run --config "$T/tether.yaml" \
  --listen 127.0.0.1:0 --leader-elect-lease Tether_A
check_contains "and the message names the option" "$(cat "$T/check.out")" '--leader-elect-lease "Tether_A" names the group'

for r in a b c; do agent_start "$r" --config "$T/tether.yaml" || { not_ok "agent $r starts"; finish; }; done
members() { curl -s "$1/status" | jq -r '.shard.members | length'; }
sees() { [ "$(members "$1")" = "$2" ]; }
wait_for "every app synced" 15 all_are 1
wait_for "each replica sees three members" 8 bash -c "$(declare -f members sees); sees $A_URL 3 && sees $B_URL 3 && sees $C_URL 3"
check_eq "kubectl lists three member Leases by their label" \
  "$(kubectl get lease -n default -l tether.dev/replicas=tether -o name | wc -l)" 3
ident() { curl -s "$1/status" | jq -r .shard.identity; }
owned() { curl -s "$1/status" | jq -r .shard.ownedApps; }
IA=$(ident "$A_URL"); IB=$(ident "$B_URL"); IC=$(ident "$C_URL")
check_contains "a member Lease holds a replica's identity" \
  "$(kubectl get lease -n default -l tether.dev/replicas=tether -o jsonpath='{.items[*].spec.holderIdentity}')" "$IA"
total=$(( $(owned "$A_URL") + $(owned "$B_URL") + $(owned "$C_URL") ))
check_eq "the replicas own the $APPS apps between them" "$total" $APPS
for r in A B C; do # by chance none would be one in 10^4 runs
  u=$(eval echo "\$${r}_URL")
  check "replica ${r,,} owns some apps" test "$(owned "$u")" -gt 0
done
check_contains "the metrics count the members" "$(curl -s "$A_URL/metrics")" "tether_shard_members 3"
# The replicas agree on every app's owner.
owners() { curl -s "$1/status" | jq -r '.apps[] | "\(.app) \(.owner)"' | sort; }
check_eq "a and b agree on the owners" "$(owners "$A_URL")" "$(owners "$B_URL")"
check_eq "a and c agree on the owners" "$(owners "$A_URL")" "$(owners "$C_URL")"

# applied_by SHA: "app identity" of every sync of commit SHA in the logs given.
applied_by() {
  local sha=$1 f; shift
  for f in "$@"; do
    local id; id=$(grep -o 'msg="agent started".*identity=[^ ]*' "$f" | sed 's/.*identity=//')
    grep 'msg=sync ' "$f" | grep "commit=$sha" | grep -o ' app=[^ ]*' | sed "s/ app=//; s/\$/ $id/"
  done | sort
}
write_all 2
S2=$(git_commit "$W" "two")
wait_for "a push reaches every app" 10 all_are 2
sleep 1.5 # a second sync of the commit, if any, would show now
check_eq "commit two is applied once per app, each by its owner" \
  "$(applied_by "$S2" "$T/a.log" "$T/b.log" "$T/c.log")" "$(owners "$A_URL")"

# ---- kill -9 one replica: the others take its apps -------------------------------------
V=a; VURL=$A_URL; VID=$IA
theirs=$(owners "$VURL" | awk -v id="$VID" '$2 == id { print $1 }')
kill -KILL "$A_PID"; wait "$A_PID" 2>/dev/null
T_KILL=$(date +%s%N)
write_all 3
S3=$(git_commit "$W" "three")
its_apps_at() { # one LIST, so that polling adds little to the time measured
  kubectl get cm -n default -o json | jq -e --arg v "$1" --arg apps "$theirs" '
    ($apps | split("\n") | map("cm" + ltrimstr("app"))) as $want
    | [.items[] | select(.metadata.name as $n | $want | index($n)) | select(.data.v == $v)]
    | length == ($want | length)' >/dev/null
}
deadline=$(( T_KILL / 1000000 + (LEASE_S + 7) * 1000 ))
while ! its_apps_at 3 && [ $(( $(date +%s%N) / 1000000 )) -lt "$deadline" ]; do sleep 0.05; done
ms=$(( ($(date +%s%N) - T_KILL) / 1000000 ))
echo "# the killed replica's $(wc -w <<<"$theirs") apps were synced by the others ${ms} ms after kill -9 (lease ${LEASE_S}s)"
check "its apps are synced by the others" its_apps_at 3
# A member is dropped a lease duration after a survivor saw its last renewal (which it
# sees up to a renewal period, a third of the lease, late); then its apps sync.
check "within the lease duration, one renewal period and the syncs" \
  test "$ms" -le $(( LEASE_S * 1000 + LEASE_S * 1000 / 3 + 1500 ))
wait_for "every app has commit three" 5 all_are 3
wait_for "the survivors see two members" 3 bash -c "$(declare -f members sees); sees $B_URL 2 && sees $C_URL 2"
sleep 1.5
check_eq "commit three is applied once per app, each by a survivor that owns it" \
  "$(applied_by "$S3" "$T/b.log" "$T/c.log")" "$(owners "$B_URL")"

# ---- a restarted replica takes its share back -------------------------------------------
agent_start d --config "$T/tether.yaml" || { not_ok "agent d starts"; finish; }
wait_for "the replicas see the new one" 5 bash -c "$(declare -f members sees); sees $B_URL 3 && sees $C_URL 3 && sees $D_URL 3"
check "it owns a share" test "$(owned "$D_URL")" -gt 0
check_eq "the owners agree again" "$(owners "$D_URL")" "$(owners "$B_URL")"
wait_for "all apps stay synced" 5 all_are 3
write_all 4
S4=$(git_commit "$W" "four")
wait_for "a push reaches every app again" 10 all_are 4
sleep 1.5
check_eq "commit four is applied once per app, each by its owner" \
  "$(applied_by "$S4" "$T/b.log" "$T/c.log" "$T/d.log")" "$(owners "$D_URL")"

# ---- a clean stop gives the membership up at once ----------------------------------------
T_STOP=$(date +%s%N)
kill -TERM "$D_PID"; wait "$D_PID" 2>/dev/null
wait_for "after a clean stop the others drop it before the lease runs out" 2 \
  bash -c "$(declare -f members sees); sees $B_URL 2 && sees $C_URL 2"
echo "# a clean stop was seen by the others $(( ($(date +%s%N) - T_STOP) / 1000000 )) ms later"
check_contains "its member Lease has no holder" \
  "$(kubectl get lease -n default -l tether.dev/replicas=tether -o jsonpath='{range .items[*]}[{.spec.holderIdentity}]{end}')" "[]"

wait_for "the others delete the killed replica's member Lease" 8 bash -c \
  "! kubectl get lease -n default -l tether.dev/replicas=tether -o jsonpath='{.items[*].spec.holderIdentity}' | grep -qw '$VID'"
check_contains "and say so" "$(cat "$T/b.log" "$T/c.log")" 'msg="forgot a member"'

# ---- never two syncs of one app at once ---------------------------------------------------
spans=$(python3 "$(dirname "$0")/sync_spans.py" "$T_KILL" "$VID" "$T"/[abcd].log)
echo "# $spans (sync spans, overlaps)"
check "syncs were logged with their Lease spans" test "${spans% *}" -ge $(( APPS * 4 ))
check_eq "no two replicas synced one app at once" "${spans#* }" 0
finish
