#!/usr/bin/env bash
# tether diff: exit 0 no changes, 1 changes, 2 bad input, 3 unreachable; one unified
# YAML diff per object; Secret values never shown; nothing is written.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }

R=$T/repo
mkdir -p "$R" && git -C "$R" init -q -b main
cat >"$R/app.yaml" <<'YAML'
apiVersion: v1
kind: ConfigMap
metadata:
  name: web
data:
  color: blue
---
apiVersion: v1
kind: Secret
metadata:
  name: db
stringData:
  password: s3cr3t-one
YAML
git -C "$R" add -A && git -C "$R" commit -q -m one
diff() { "$TETHER" diff --repo "$R" --cache-dir "$T/cache" "$@"; }

applies0=$(kubesim_requests APPLY)
check_exit "diff before the first sync: changes (exit 1)" 1 diff
out=$(cat "$T/check.out")
check_contains "summary line" "$out" "2 to create, 0 to change, 0 to prune, 0 unchanged"
check_contains "the configmap is shown" "$out" "+  color: blue"
check_contains "secret values are masked" "$out" "password: '***'"
case "$out" in *s3cr3t*) not_ok "the secret value never appears" ;; *) ok "the secret value never appears" ;; esac
check_fail "diff wrote nothing" kubectl get configmap web -n default

check_exit "sync" 0 "$TETHER" sync --repo "$R" --cache-dir "$T/cache" --no-wait
check_exit "diff after sync: no changes (exit 0)" 0 diff
check_contains "in sync summary" "$(cat "$T/check.out")" "0 to create, 0 to change, 0 to prune, 2 unchanged"
check_exit "diff -o json in sync: exit 0" 0 diff -o json
check_eq "an in-sync diff dry-runs only the Secret (its inventory row holds no digest of its data)" "$(jq -r '.requests.dryRun' "$T/check.out")" 1

sed -i 's/blue/green/; s/s3cr3t-one/s3cr3t-two/' "$R/app.yaml"
git -C "$R" commit -q -am two
check_exit "diff of a changed commit: exit 1" 1 diff
out=$(cat "$T/check.out")
check_contains "unified diff of the configmap" "$out" "-  color: blue
+  color: green"
check_contains "changed secret shows as changed" "$out" "*** (changed)"
case "$out" in *s3cr3t*) not_ok "no secret value in the diff" ;; *) ok "no secret value in the diff" ;; esac
check_eq "still blue in the cluster" "$(kubectl get configmap web -n default -o jsonpath='{.data.color}')" blue
check_exit "diff -o json: exit 1" 1 diff -o json
check_eq "json lists the changes" "$(jq -c '.objects.changed' "$T/check.out")" \
  '["default/configmap/web","default/secret/db"]'
check_contains "json carries the unified diff" "$(jq -r '.diff' "$T/check.out")" "+  color: green"
case "$(cat "$T/check.out")" in *s3cr3t*) not_ok "no secret value in the json" ;; *) ok "no secret value in the json" ;; esac

# Manual drift shows in the diff as Git's value coming back.
git -C "$R" commit -q --allow-empty -m noop
check_exit "sync two" 0 "$TETHER" sync --repo "$R" --cache-dir "$T/cache" --no-wait
kubectl patch configmap web -n default --type merge -p '{"data":{"color":"red"}}' >/dev/null 2>&1
check_exit "diff sees drift: exit 1" 1 diff
check_contains "drift diff" "$(cat "$T/check.out")" "-  color: red"

check_exit "diff of bad input: exit 2" 2 "$TETHER" diff --repo "$R" --cache-dir "$T/cache" --path missing/dir
check_exit "diff with an unknown flag: exit 2" 2 diff --colour
check_contains "usage hint" "$(cat "$T/check.out")" "See 'tether diff --help'"
check_exit "diff with a context the kubeconfig lacks: exit 2" 2 diff --context nosuch
printf 'apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster: {server: "http://127.0.0.1:1"}\ncontexts:\n- name: c\n  context: {cluster: c, user: u}\nusers:\n- name: u\n  user: {}\ncurrent-context: c\n' >"$T/dead.kubeconfig"
check_exit "diff against a dead API server: exit 3" 3 diff --kubeconfig "$T/dead.kubeconfig"
finish
