#!/usr/bin/env bash
# First sync of a repository over git:// and from a local path, seen by kubectl; a
# no-op sync makes no write and no dry-run; a changed commit writes only what changed.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }

W=$(git_repo guestbook)
cp -r "$ROOT/examples/guestbook/." "$W/"
git_commit "$W" "guestbook v1" >/dev/null
URL=$GIT_BASE_URL/guestbook.git
sync() { "$TETHER" sync --repo "$URL" --cache-dir "$T/cache" --timeout 60s "$@"; }

check_exit "first sync over git:// exits 0" 0 sync -o json
cp "$T/check.out" "$T/first.json"
check "-o json parses" jq -e '.commit | length == 40' "$T/first.json"
check_eq "four objects created" "$(jq -r '.counts.created' "$T/first.json")" 4
check_eq "rollout done" "$(jq -r '.rollouts[0].status' "$T/first.json")" done
check "kubectl sees the namespace" kubectl get namespace guestbook
check "kubectl sees the deployment" kubectl get deployment guestbook -n guestbook
check "kubectl sees the service" kubectl get service guestbook -n guestbook
check_eq "app label" "$(kubectl get configmap guestbook-settings -n guestbook \
  -o jsonpath='{.metadata.labels.tether\.dev/app}')" guestbook
check_eq "managed-by label" "$(kubectl get deployment guestbook -n guestbook \
  -o jsonpath='{.metadata.labels.app\.kubernetes\.io/managed-by}')" tether
check_eq "field manager is tether" "$(kubectl get configmap guestbook-settings -n guestbook \
  --show-managed-fields -o jsonpath='{.metadata.managedFields[0].manager}')" tether
check_eq "deployment is available" "$(kubectl get deployment guestbook -n guestbook \
  -o jsonpath='{.status.availableReplicas}')" 2
inv=$(kubectl get configmap tether-inventory-guestbook -n default -o jsonpath='{.data.objects}')
check_contains "inventory lists the deployment" "$inv" "Deployment	guestbook	guestbook"
check_eq "inventory has four lines" "$(printf '%s\n' "$inv" | grep -c .)" 4

# A sync where nothing changed: LISTs and GETs only.
# kubesim counts server-side apply (dry-run or not) under verb APPLY, like the API server.
writes() { echo $(( $(kubesim_requests PATCH) + $(kubesim_requests POST) + $(kubesim_requests PUT) + $(kubesim_requests DELETE) )); }
p0=$(kubesim_requests APPLY); w0=$(writes)
check_exit "no-op sync exits 0" 0 sync -o json
cp "$T/check.out" "$T/noop.json"
p1=$(kubesim_requests APPLY); w1=$(writes)
check "apply requests are counted at all" test "$p0" -ge 8
check_eq "no-op sync sends no apply and no dry-run" "$p1" "$p0"
check_eq "no-op sync sends no other write" "$w1" "$w0"
check_eq "no-op reports four unchanged" "$(jq -r '.counts.unchanged' "$T/noop.json")" 4
check_eq "no-op: one LIST per kind, one for the app's inventories in every namespace" \
  "$(jq -r '.requests.list' "$T/noop.json")" 5

# A commit changing one object: one dry-run, one apply, one inventory write.
# "The others were not written" is judged by what tether sent, not by resourceVersion,
# which the controllers move with status writes (a Deployment's conditions) on their
# own: write requests (apply, dry-run or not, and any other write) per resource as
# kubesim counts them, and as kubectl sees them, the generation and the time of
# manager tether's managedFields entry.
writes_of() { # RESOURCE: apply, patch, put, post and delete requests for it
  kcurl -s "$KUBESIM_URL/metrics" | awk -v res="$1" '
    /^apiserver_request_total\{/ && index($0, "resource=\"" res "\"") &&
      $0 ~ /verb="(APPLY|PATCH|PUT|POST|DELETE)"/ { s += $NF }
    END { print s + 0 }'
}
others_written() { echo "$(writes_of namespaces) $(writes_of deployments) $(writes_of services)"; }
tether_marks() { kubectl get namespace/guestbook deployment/guestbook service/guestbook -n guestbook \
  --show-managed-fields -o json | jq -r '.items[] | "\(.kind) \(.metadata.generation // "-") \(
    [.metadata.managedFields[] | select(.manager == "tether") | .time] | join(","))"'; }
writes_before=$(others_written)
marks_before=$(tether_marks)
check "the first sync's writes to them were counted" test "$(writes_of deployments)" -ge 2
check_eq "three objects to watch" "$(echo "$marks_before" | grep -c ' [0-9TZ:-]*$')" 3
sed -i 's/Welcome to the guestbook/Welcome back/' "$W/configmap.yaml"
sha=$(git_commit "$W" "new greeting")
check_exit "sync of the changed commit exits 0" 0 sync -o json
cp "$T/check.out" "$T/second.json"
p2=$(kubesim_requests APPLY)
check_eq "one dry-run: only the changed object is a candidate" "$(jq -r '.requests.dryRun' "$T/second.json")" 1
# dry-run + apply of the configmap, the inventory, and the history record
check "at most four apply requests" test "$((p2 - p1))" -ge 2 -a "$((p2 - p1))" -le 4
check_eq "the other objects were not written (requests)" "$(others_written)" "$writes_before"
check_eq "the other objects were not written (generation, tether's managedFields)" \
  "$(tether_marks)" "$marks_before"
check_eq "json names the changed object" "$(jq -c '.objects.changed' "$T/second.json")" \
  '["guestbook/configmap/guestbook-settings"]'
check_eq "json carries the commit" "$(jq -r '.commit' "$T/second.json")" "$sha"
check_eq "kubectl sees the new value" "$(kubectl get configmap guestbook-settings -n guestbook \
  -o jsonpath='{.data.GREETING}')" "Welcome back"

# Someone edits a managed object: the next sync puts Git's value back.
kubectl patch configmap guestbook-settings -n guestbook --type merge \
  -p '{"data":{"MAX_ENTRIES":"5"}}' >/dev/null 2>&1
check_exit "sync after a manual edit exits 0" 0 sync -o json
check_eq "drift is reverted" "$(kubectl get configmap guestbook-settings -n guestbook \
  -o jsonpath='{.data.MAX_ENTRIES}')" 100

# A local path works the same (a repository on disk, no daemon).
L=$T/local
mkdir -p "$L/deploy" && git -C "$L" init -q -b main
cat >"$L/deploy/cm.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: local-settings
data:
  a: "1"
YAML
git -C "$L" add -A && git -C "$L" commit -q -m local
check_exit "sync from a local path exits 0" 0 "$TETHER" sync --repo "$L" --path deploy \
  --cache-dir "$T/cache" --namespace default --no-wait
check_eq "namespace defaulted from --namespace" "$(kubectl get configmap local-settings -n default \
  -o jsonpath='{.metadata.labels.tether\.dev/app}')" local
check "inventory of the local app" kubectl get configmap tether-inventory-local -n default

# render: the same objects, without a cluster.
check_exit "render: exit 0" 0 "$TETHER" render --repo "$URL" --cache-dir "$T/cache"
check_contains "render prints YAML" "$(cat "$T/check.out")" "kind: Deployment"
check_exit "render -o json: exit 0" 0 "$TETHER" render --repo "$URL" --cache-dir "$T/cache" -o json
check_eq "render -o json lists four objects" "$(jq -r '.kind + " " + (.items | length | tostring)' "$T/check.out")" "List 4"
check_exit "render of a missing path: exit 2" 2 "$TETHER" render --repo "$URL" --cache-dir "$T/cache" --path nope

finish
