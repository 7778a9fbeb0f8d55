#!/usr/bin/env bash
# Every YAML file under examples/ is read by an independent parser (python3's yaml);
# the CI workflows' script entries are strings; the manifests pass a server-side
# dry-run on a fresh kubesim; examples/deploy (its namespaced variant) applies with
# `kubectl apply -k` from a clean cluster and every object it lists is created, the
# cluster-wide variant passes a dry-run; .dockerignore keeps build/ out.
. "$(dirname "$0")/lib.sh"

EX=$ROOT/examples
mapfile -t files < <(cd "$ROOT" && find examples -name '*.yaml' -o -name '*.yml' | sort)
check "examples/ holds YAML files" test "${#files[@]}" -ge 10
for f in "${files[@]}"; do
  check "$f parses as YAML" python3 -c '
import sys, yaml
docs = list(yaml.safe_load_all(open(sys.argv[1])))
sys.exit(0 if docs and all(d is not None for d in docs) else "empty document")' "$ROOT/$f"
done

# gitlab: every before_script / script / after_script entry of every job is a string
# (a ": " inside a plain scalar makes it a one-key mapping, which GitLab rejects).
check "every GitLab CI script entry is a string" python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
bad = [(job, k, i) for job, v in d.items() if isinstance(v, dict)
       for k in ("before_script", "script", "after_script")
       for i, s in enumerate(v.get(k) or []) if not isinstance(s, str)]
jobs = [j for j, v in d.items() if isinstance(v, dict) and "script" in v]
sys.exit("not strings: %s" % bad if bad else 0 if jobs else "no job with a script")' \
  "$EX/ci/gitlab-ci.yml"
check "every GitHub Actions step runs a string or uses an action" python3 -c '
import sys, yaml
d = yaml.safe_load(open(sys.argv[1]))
steps = [s for j in d["jobs"].values() for s in j["steps"]]
bad = [s.get("name") for s in steps
       if not (isinstance(s.get("run"), str) or isinstance(s.get("uses"), str))]
on = d.get("on", d.get(True))  # YAML 1.1 reads a bare on as true
sys.exit("bad steps: %s" % bad if bad else 0 if steps and on else "no steps or triggers")' \
  "$EX/ci/github-actions.yaml"

kubesim_start || { not_ok "kubesim starts"; finish; }

# examples/deploy, from a clean cluster, in one command.
check "kubectl apply -k examples/deploy succeeds on a clean cluster" kubectl apply -k "$EX/deploy"
kubectl kustomize "$EX/deploy" >"$T/deploy.yaml"
python3 -c '
import sys, yaml
for d in yaml.safe_load_all(open(sys.argv[1])):
    m = d["metadata"]
    print(d["kind"], m["name"], m.get("namespace", ""))' "$T/deploy.yaml" >"$T/deploy.objects"
check "examples/deploy lists at least 10 objects" test "$(wc -l <"$T/deploy.objects")" -ge 10
missing=
while read -r kind name ns; do
  kubectl get "$kind" "$name" ${ns:+-n "$ns"} >/dev/null 2>&1 || missing="$missing $kind/$name"
done <"$T/deploy.objects"
check_eq "every object of examples/deploy was created" "$missing" ""
for f in "$EX"/deploy/*/*.yaml; do
  [ "$(basename "$f")" = kustomization.yaml ] && continue
  check "deploy/${f#"$EX"/deploy/} passes a server-side dry-run" \
    kubectl apply --server-side --dry-run=server -f "$f"
done
check "the cluster-wide variant passes a server-side dry-run" \
  kubectl apply --server-side --dry-run=server -k "$EX/deploy/cluster-wide"
# every manifest of a kustomization's directory is one of its resources
for d in base namespaced cluster-wide; do
  check_eq "each deploy/$d manifest is a resource of its kustomization" \
    "$(cd "$EX/deploy/$d" && ls *.yaml | grep -v kustomization.yaml | sort | tr '\n' ' ')" \
    "$(python3 -c 'import yaml,sys; print(" ".join(sorted(r for r in yaml.safe_load(open(sys.argv[1]))["resources"] if r.endswith(".yaml"))))' \
      "$EX/deploy/$d/kustomization.yaml") "
done

# examples/guestbook: its Namespace first (a dry-run creates nothing, and the other
# objects live in it), then every file.
check "the guestbook Namespace applies" kubectl apply -f "$EX/guestbook/namespace.yaml"
for f in "$EX"/guestbook/*.yaml; do
  check "guestbook/$(basename "$f") passes a server-side dry-run" \
    kubectl apply --server-side --dry-run=server -f "$f"
done
check_fail "the dry-run created no guestbook Deployment" kubectl get deploy -n guestbook guestbook

check "the shipped agent configuration passes check-config" bash -c \
  "kubectl get cm tether-config -n tether-system -o jsonpath='{.data.tether\.yaml}' >'$T/tether.yaml' &&
   '$TETHER' check-config '$T/tether.yaml'"
check "the Dockerfile builds from the repository root" grep -q '^COPY \. \.' "$EX/deploy/Dockerfile"
check "the .dockerignore keeps build/ out of the image" grep -qxE '/?build/?' "$ROOT/.dockerignore"
finish
