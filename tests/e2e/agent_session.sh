#!/usr/bin/env bash
# The agent keeps one session per app and one discovery per cluster: drift checks
# reuse a warm client (no discovery again, one discovery for two apps on one cluster),
# and a kind that was unknown to a run is looked up again by the next run (a CRD
# installed meanwhile by someone else). sync_session.sh: each sync counts its own.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
discovery() { sim_count "" GET; }
lists() { sim_count configmaps LIST; }
W=$(git_repo app)
write_cm "$W/one" one 1
write_cm "$W/two" two 1
git_commit "$W" "one" >/dev/null

# What one command's session costs in discovery requests: the reference.
d0=$(discovery)
check_exit "a diff from the CLI" 1 "$TETHER" diff --repo "$GIT_BASE_URL/app.git" --path one \
  --cache-dir "$T/cache-cli" --app ref
d1=$(discovery)
per_session=$((d1 - d0))
check_eq "one session loads discovery with two requests (aggregated)" "$per_session" 2

cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
no-wait: true
interval: 1s
apps:
  - {name: one, repo: $GIT_BASE_URL/app.git, path: one}
  - {name: two, repo: $GIT_BASE_URL/app.git, path: two}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
wait_for "both apps synced" 10 curl -sf "$AG_URL/readyz"
d2=$(discovery)
check_eq "two apps on one cluster load discovery once" "$((d2 - d1))" "$per_session"
l0=$(lists)
checks() { metric "$AG_URL" 'tether_git_fetch_duration_seconds_count{app="one"}'; }
c0=$(checks)
wait_for "three more checks of each app" 10 bash -c "[ \"\$(curl -s '$AG_URL/metrics' | awk '/^tether_git_fetch_duration_seconds_count\\{app=\"two\"\\}/ {print \$NF}')\" -ge $((c0 + 3)) ]"
l1=$(lists)
check "the drift checks listed the cluster" test "$l1" -gt "$l0"
check_eq "drift checks reuse the warm client: no discovery again" "$(discovery)" "$d2"

# A new commit is synced on the same warm client.
write_cm "$W/one" one 2
git_commit "$W" "two" >/dev/null
wait_for "the new commit is synced" 10 cm_is one 2
kill -0 "$AG_PID" 2>/dev/null && kill "$AG_PID"; wait "$AG_PID" 2>/dev/null

# A kind unknown to one run is looked up again by the next run of the same client.
W2=$(git_repo crs)
cat >"$W2/widget.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: blue
  namespace: default
spec:
  size: 3
YAML
git_commit "$W2" "a widget" >/dev/null
cat >"$T/crs.yaml" <<Y
kubeconfig: $KUBECONFIG
no-wait: true
interval: 1s
apps:
  - {name: crs, repo: $GIT_BASE_URL/crs.git}
Y
agent_start cr --config "$T/crs.yaml" || { not_ok "agent starts"; finish; }
wait_for "the widget is refused while its CRD is missing" 10 grep -q 'no matches for kind' "$T/cr.log"
widgets_crd | kubectl apply -f - >/dev/null
sed -i 's/size: 3/size: 4/' "$W2/widget.yaml"
git_commit "$W2" "a bigger widget" >/dev/null
wait_for "the next commit finds the kind installed meanwhile" 10 kubectl get widgets.example.com blue -n default
finish
