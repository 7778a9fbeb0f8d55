#!/usr/bin/env bash
# A CustomResourceDefinition and objects of its kind in one commit: the CRD is applied
# first and waited for (Established), discovery is refreshed, then its objects are
# dry-run and applied; their namespace is defaulted from the CRD's scope.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
R=$T/repo
mkdir -p "$R" && git -C "$R" init -q -b main
widgets_crd >"$R/crd.yaml"
cat >"$R/widget.yaml" <<'YAML'
apiVersion: example.com/v1
kind: Widget
metadata:
  name: blue
spec:
  size: 3
YAML
git -C "$R" add -A && git -C "$R" commit -q -m crd
check_exit "CRD and its objects in one sync: exit 0" 0 "$TETHER" sync --repo "$R" \
  --cache-dir "$T/cache" --namespace default --no-wait -o json
check_eq "both created" "$(jq -r '.counts.created' "$T/check.out")" 2
check "the widget exists in the app namespace" kubectl get widgets.example.com blue -n default
check_exit "second sync is a no-op" 0 "$TETHER" sync --repo "$R" --cache-dir "$T/cache" \
  --namespace default --no-wait -o json
check_eq "no-op: no dry-run" "$(jq -r '.requests.dryRun' "$T/check.out")" 0
check_eq "no-op: two unchanged" "$(jq -r '.counts.unchanged' "$T/check.out")" 2
finish
