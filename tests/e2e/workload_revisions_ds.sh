#!/usr/bin/env bash
# Every revision of a DaemonSet is a commit (the story: workload_story.bash), over three
# nodes with maxUnavailable 1; on-failure: hold holds a failed commit; kinds without
# revisions are refused by tether history.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/workload_story.bash"

NS=d OBJ=daemonset/agent SHORT=ds/agent LONG=daemonset/agent POD=agent-
workload_setup "$NS"
story ds_yaml
check_eq "ds: one pod per node, all at v2" \
  "$(kubectl get pods -n d -l app=agent -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}')" \
  "nginx:1.26 nginx:1.26 nginx:1.26 "

# on-failure: hold: the commit whose rollout failed is not applied again.
ds_yaml nginx:broken-7 >"$W/w.yaml"; V7=$(git_commit "$W" "v7")
TMO=4s check_exit "ds: v7 fails under on-failure: hold (exit 1)" 1 tsync --on-failure hold
before=$(kubesim_requests PATCH)
check_exit "ds: the same commit again is held (exit 1)" 1 tsync --on-failure hold
check_contains "ds: it says why" "$(cat "$T/check.out")" "on-failure: hold: the rollout of commit ${V7:0:12} failed"
check_eq "ds: and writes nothing" "$(kubesim_requests PATCH)" "$before"

check_exit "an unknown kind is refused (exit 2)" 2 "$TETHER" history job/x \
  --repo "$GIT_BASE_URL/d.git" --ref main -n d --cache-dir "$T/cache"
check_contains "it says which kinds have revisions" "$(cat "$T/check.out")" "sts/"
finish
