#!/usr/bin/env bash
# Git or the cluster unreachable: exit 3 and nothing applied.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm\ndata:\n  a: "1"\n' >"$W/cm.yaml"
git_commit "$W" one >/dev/null

check_exit "unreachable Git server: exit 3" 3 "$TETHER" sync --repo "git://127.0.0.1:1/app.git" \
  --cache-dir "$T/cache" --app app --no-wait
check_contains "says what failed" "$(cat "$T/check.out")" "127.0.0.1:1"
check_fail "nothing applied" kubectl get configmap cm -n default
check_exit "missing local repository: exit 3" 3 "$TETHER" sync --repo "$T/nope" \
  --cache-dir "$T/cache" --app app --no-wait

printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:1"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u, namespace: default}\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n' >"$T/dead.kubeconfig"
check_exit "unreachable API server: exit 3" 3 "$TETHER" sync --repo "$GIT_BASE_URL/app.git" \
  --cache-dir "$T/cache" --kubeconfig "$T/dead.kubeconfig" --no-wait
check_exit "unknown ref: exit 2" 2 "$TETHER" sync --repo "$GIT_BASE_URL/app.git" --ref no-such-branch \
  --cache-dir "$T/cache" --no-wait
check_fail "still nothing applied" kubectl get configmap cm -n default
check_exit "then a good sync: exit 0" 0 "$TETHER" sync --repo "$GIT_BASE_URL/app.git" \
  --cache-dir "$T/cache" --no-wait
check "applied" kubectl get configmap cm -n default
finish
