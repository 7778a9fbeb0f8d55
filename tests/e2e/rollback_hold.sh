#!/usr/bin/env bash
# on-failure: hold: after a commit's rollout failed, syncing the same commit again
# applies nothing and says why (exit 1); a newer commit is applied. on-failure is also
# read from the configuration file per app. A revert reported in -o json.
. "$(dirname "$0")/lib.sh"

kubesim_start --pod-ready-ms 100 --fail-images 'nginx:broken*' || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
deploy() {
  web_deployment "$1" 1 2 >"$W/web.yaml"
}
cat >"$T/tether.yaml" <<YAML
cache-dir: $T/cache
timeout: 30s
apps:
  - name: app
    repo: $GIT_BASE_URL/app.git
    ref: main
    on-failure: hold
YAML
tsync() { "$TETHER" sync --config "$T/tether.yaml" "$@"; }

deploy nginx:1.25; git_commit "$W" v1 >/dev/null
check_exit "sync v1" 0 tsync
deploy nginx:broken-2; B=$(git_commit "$W" "v2 broken")
check_exit "the broken commit fails: exit 1" 1 tsync
check_contains "it names the image" "$(cat "$T/check.out")" "nginx:broken-2"
patches=$(kubesim_requests PATCH)
check_exit "the same commit again is held: exit 1" 1 tsync
check_contains "it says it is held" "$(cat "$T/check.out")" "on-failure: hold: the rollout of commit ${B:0:12} failed"
check_eq "nothing was applied while held" "$(kubesim_requests PATCH)" "$patches"
check_exit "still held on the next run" 1 tsync
deploy nginx:1.27; N=$(git_commit "$W" "v3 fixed")
check_exit "a newer commit is applied: exit 0" 0 tsync
check_eq "the newer commit's image runs" \
  "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.27
check_eq "and it names the newer commit" \
  "$(kubectl get deployment web -o jsonpath='{.metadata.annotations.tether\.dev/commit}')" "$N"

out=$("$TETHER" history --config "$T/tether.yaml" --app app)
check_contains "history --config --app: the broken commit failed" "$(echo "$out" | awk '$1==2')" "failed"
check_contains "history --config --app: the newer one is active" "$(echo "$out" | awk '$1==3')" "active"
check_contains "history --config --app: with its subject" "$(echo "$out" | awk '$1==3')" "v3 fixed"
# on-failure: revert with -o json: both syncs in one document.
sed -i 's/on-failure: hold/on-failure: revert/' "$T/tether.yaml"
deploy nginx:broken-4; B4=$(git_commit "$W" "v4 broken")
check_exit "revert: exit 1" 1 tsync -o json
J=$T/revert.json; cp "$T/check.out" "$J"
check_eq "json: the failed commit" "$(jq -r '.[0].commit' "$J")" "$B4"
check_eq "json: the revert reverts it" "$(jq -r '.[0].revert.reverts' "$J")" "$B4"
check_eq "json: the revert commit is the branch head" "$(jq -r '.[0].revert.commit' "$J")" \
  "$(git -C "$T/git/app.git" rev-parse main)"
check_eq "json: the revert's sync succeeded" "$(jq -r '.[0].revert.sync.exitCode' "$J")" 0
check_eq "the image is back to v3's" \
  "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.27
finish
