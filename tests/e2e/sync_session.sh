#!/usr/bin/env bash
# One command, one session: the on-failure revert of `tether sync` pushes and syncs
# through the Git source and kube client of the failed sync, and each sync reports
# only its own requests (the revert's sync counts as a sync of its commit on its own).
. "$(dirname "$0")/lib.sh"

kubesim_start --pod-ready-ms 100 --fail-images 'nginx:broken*' || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
tsync() { "$TETHER" sync --repo "$GIT_BASE_URL/app.git" --ref main --cache-dir "$T/cache" \
  --timeout 20s "$@"; }
web_deployment nginx:1.25 1 1 >"$W/web.yaml"
git_commit "$W" "v1" >/dev/null
check_exit "sync v1" 0 tsync
web_deployment nginx:broken 1 1 >"$W/web.yaml"
git_commit "$W" "v2 broken" >/dev/null
k0=$(kubesim_requests)
check_exit "v2 fails and is reverted: exit 1" 1 tsync --on-failure revert -o json
k1=$(kubesim_requests)
J=$T/check.out
check_eq "the revert was pushed" "$(jq -r '.revert.reverts != null and .revert.commit != null' "$J")" true
check_eq "the cluster is back on v1's image" \
  "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.25
lf=$(jq -r '.requests.list' "$J"); lr=$(jq -r '.revert.sync.requests.list' "$J")
tf=$(jq -r '.requests.total' "$J"); tr=$(jq -r '.revert.sync.requests.total' "$J")
echo "# failed sync: $lf lists, $tf requests; revert sync: $lr lists, $tr requests"
# kubesim's count over the command (less the scrape of k0) is the sum of what the two
# syncs report: neither counts the other's requests on the shared client.
check_eq "the two syncs report the command's requests between them" "$((tf + tr))" "$((k1 - k0 - 1))"
finish
