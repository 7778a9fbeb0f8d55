#!/usr/bin/env bash
# Benchmark: rendering a large kustomize overlay (1,000 objects: a base of Deployments,
# Services and generated ConfigMaps/Secrets, an overlay with namespace, prefix, labels,
# images, replicas and patches) with tether (`tether render`, warm Git cache) and with
# `kubectl kustomize`. Prints both times and the ratio, and checks both give the same
# objects.
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"

RUNS=${RUNS:-3}
N=${N:-200} # apps; each is a Deployment, a Service, a ConfigMap, a Secret, a ServiceAccount

repo=$T/repo
mkdir -p "$repo/base" "$repo/overlay"
awk -v n="$N" -v dir="$repo/base" 'BEGIN {
  k = dir "/kustomization.yaml"
  print "resources:" > k
  for (i = 0; i < n; i++) printf "- app-%d.yaml\n", i > k
  print "configMapGenerator:" > k
  for (i = 0; i < n; i++) printf "- name: cfg-%d\n  literals:\n  - INDEX=%d\n  - MODE=fast\n", i, i > k
  print "secretGenerator:" > k
  for (i = 0; i < n; i++) printf "- name: sec-%d\n  literals:\n  - token=t%d\n", i, i > k
  for (i = 0; i < n; i++) {
    f = sprintf("%s/app-%d.yaml", dir, i)
    printf "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: app-%d\n  labels:\n    tier: %s\n", i, (i % 2 ? "web" : "worker") > f
    printf "spec:\n  replicas: 1\n  selector:\n    matchLabels:\n      app: app-%d\n  template:\n    metadata:\n      labels:\n        app: app-%d\n", i, i > f
    printf "    spec:\n      serviceAccountName: sa-%d\n      containers:\n      - name: main\n        image: example/app:1\n", i > f
    printf "        envFrom:\n        - configMapRef:\n            name: cfg-%d\n        - secretRef:\n            name: sec-%d\n", i, i > f
    printf "        ports:\n        - containerPort: 8080\n      volumes:\n      - name: cfg\n        configMap:\n          name: cfg-%d\n", i > f
    printf "---\napiVersion: v1\nkind: Service\nmetadata:\n  name: app-%d\nspec:\n  selector:\n    app: app-%d\n  ports:\n  - port: 80\n    targetPort: 8080\n", i, i > f
    printf "---\napiVersion: v1\nkind: ServiceAccount\nmetadata:\n  name: sa-%d\n", i > f
  }
}'
cat >"$repo/overlay/kustomization.yaml" <<'YAML'
namespace: bench
namePrefix: prod-
labels:
- pairs:
    env: prod
  includeSelectors: true
commonAnnotations:
  owner: bench
images:
- name: example/app
  newTag: "2"
resources:
- ../base
patches:
- target:
    kind: Deployment
    labelSelector: tier=web
  patch: |-
    apiVersion: apps/v1
    kind: Deployment
    metadata:
      name: any
    spec:
      template:
        spec:
          containers:
          - name: main
            resources:
              limits:
                memory: 256Mi
- target:
    kind: Service
    name: app-1.*
  patch: |-
    - op: add
      path: /spec/sessionAffinity
      value: ClientIP
YAML
git -C "$repo" init -q && git -C "$repo" add -A && git -C "$repo" commit -q -m bench

ms() { echo $(( $(date +%s%N) / 1000000 )); }
best_of() { # command...: best wall time in ms over RUNS runs
  local best= t0 t1 i
  for i in $(seq 1 "$RUNS"); do
    t0=$(ms); "$@" >/dev/null 2>&1 || { echo fail; return; }; t1=$(ms)
    if [ -z "$best" ] || [ $((t1 - t0)) -lt "$best" ]; then best=$((t1 - t0)); fi
  done
  echo "$best"
}

"$TETHER" render --repo "$repo" --path overlay -o json >"$T/mine.json" || { echo "tether render failed"; exit 1; }
objects=$(jq length "$T/mine.json")
norm='sort_by(.apiVersion, .kind, (.metadata.namespace // ""), .metadata.name)'
jq -S "$norm" "$T/mine.json" >"$T/mine.norm"
kubectl kustomize "$repo/overlay" 2>/dev/null | yq -S -s "$norm" >"$T/ref.norm"
same=no; cmp -s "$T/mine.norm" "$T/ref.norm" && same=yes

t_tether=$(best_of "$TETHER" render --repo "$repo" --path overlay -o yaml)
t_kubectl=$(best_of kubectl kustomize "$repo/overlay")
echo "objects=$objects same_as_kubectl=$same"
echo "tether render:      ${t_tether} ms (best of $RUNS, includes reading the Git commit)"
echo "kubectl kustomize:  ${t_kubectl} ms (best of $RUNS)"
awk -v a="$t_tether" -v b="$t_kubectl" 'BEGIN { if (a > 0) printf "ratio kubectl/tether: %.1fx\n", b / a }'
echo "verdict: $(bench_verdict "$t_kubectl" "$t_tether") (tether at least as fast as kubectl kustomize)"
[ "$same" = yes ]
