#!/usr/bin/env bash
# Rollouts: sync waits for the Deployments it changed; a rollout past its progress
# deadline exits 1 naming the object and the image that cannot be pulled; --timeout
# expiry exits 1; --no-wait returns after applying.
. "$(dirname "$0")/lib.sh"

kubesim_start --fail-images 'nginx:broken*' --pod-ready-ms 200 || { not_ok "kubesim starts"; finish; }

R=$T/repo
mkdir -p "$R" && git -C "$R" init -q -b main
deploy() { # image deadline
  web_deployment "$1" 2 "$2" >"$R/web.yaml"
  git -C "$R" add -A && git -C "$R" commit -q -m "$1"
}
sync() { "$TETHER" sync --repo "$R" --cache-dir "$T/cache" "$@"; }

deploy nginx:1.25 600
check_exit "healthy rollout: exit 0" 0 sync --timeout 60s -o json
check_eq "rollout reported done" "$(jq -r '.rollouts[0].status' "$T/check.out")" done
check_eq "available after sync returns" "$(kubectl get deployment web -n default \
  -o jsonpath='{.status.availableReplicas}')" 2

deploy nginx:broken-1 2
check_exit "failed rollout: exit 1" 1 sync --timeout 60s -o json
cp "$T/check.out" "$T/failed.json"
check_eq "rollout reported failed" "$(jq -r '.rollouts[0].status' "$T/failed.json")" failed
msg=$(jq -r '.rollouts[0].message' "$T/failed.json")
check_contains "names the deadline" "$msg" "exceeded its progress deadline"
check_contains "names the image" "$msg" "nginx:broken-1"
check_contains "names the pull error" "$msg" "ImagePull"
check_contains "error names the object" "$(jq -r '.errors[0]' "$T/failed.json")" "default/deployment.apps/web"

deploy nginx:broken-2 600
check_exit "timeout: exit 1" 1 sync --timeout 2s
check_contains "timeout is reported" "$(cat "$T/check.out")" "timed out"

deploy nginx:1.26 600
check_exit "--no-wait: exit 0" 0 sync --no-wait -o json
check_eq "--no-wait reports no rollout" "$(jq -r '.rollouts | length' "$T/check.out")" 0
check_exit "then a sync with nothing changed waits for nothing: exit 0" 0 sync --timeout 60s
finish
