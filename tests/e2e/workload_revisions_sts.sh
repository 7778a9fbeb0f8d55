#!/usr/bin/env bash
# Every revision of a StatefulSet is a commit (the story: workload_story.bash), with a
# partition step and the forced rollback of a pod of the failed template.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/workload_story.bash"

NS=s OBJ=statefulset/db SHORT=sts/db LONG=statefulset/db POD=db-3
workload_setup "$NS"
story sts_yaml
check_eq "sts: every pod at v2 after the rollback" \
  "$(kubectl get pods -n s -l app=db -o jsonpath='{range .items[*]}{.spec.containers[0].image} {end}')" \
  "nginx:1.26 nginx:1.26 nginx:1.26 nginx:1.26 "
finish
