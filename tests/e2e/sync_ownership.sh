#!/usr/bin/env bash
# Ownership: an object another app owns is not taken. Two apps rendering one object:
# the second is refused before its first write (exit 2, naming the object and both
# apps) and the label does not flip; with tether.dev/adopt: "true" it is moved on
# purpose. An existing object no app owns is adopted and reported (text and JSON).
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }

shared_cm() { # NAME VALUE [ANNOTATION]
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n' "$1"
  [ -n "${3:-}" ] && printf '  annotations:\n    %s\n' "$3"
  printf 'data:\n  k: "%s"\n' "$2"
}
A=$(git_repo alpha)
B=$(git_repo beta)
shared_cm shared alpha >"$A/shared.yaml"
shared_cm only-alpha 1 >"$A/own.yaml"
shared_cm shared beta >"$B/shared.yaml"
shared_cm only-beta 1 >"$B/own.yaml"
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n' >"$A/ns.yaml"
git_commit "$A" "alpha v1" >/dev/null
git_commit "$B" "beta v1" >/dev/null
sync() { local app=$1; shift
  "$TETHER" sync --repo "$GIT_BASE_URL/$app.git" --cache-dir "$T/cache" --no-wait "$@"; }
owner() { kubectl get configmap "$1" -n default -o jsonpath='{.metadata.labels.tether\.dev/app}'; }
value() { kubectl get configmap "$1" -n default -o jsonpath='{.data.k}'; }

check_exit "alpha syncs" 0 sync alpha
check_eq "alpha owns shared" "$(owner shared)" alpha

# beta renders alpha's object: refused before any write.
check_exit "beta is refused (exit 2)" 2 sync beta
out=$(cat "$T/check.out")
check_contains "the error names the object" "$out" "default/configmap/shared"
check_contains "the error names the owner" "$out" 'owned by app "alpha"'
check_contains "the error names the other app" "$out" 'not by app "beta"'
check_contains "the error names the way out" "$out" 'tether.dev/adopt: "true"'
check_contains "the error has file:line" "$out" "shared.yaml:1:1"
check_eq "the label did not flip" "$(owner shared)" alpha
check_eq "the value was not taken" "$(value shared)" alpha
check_fail "beta wrote none of its objects" kubectl get configmap only-beta -n default
check_fail "beta wrote no inventory" kubectl get configmap tether-inventory-beta -n default
check_eq "beta wrote nothing at all" "$(kubectl get configmaps -A -o name | grep -c beta)" 0
check_exit "beta -o json: exit 2" 2 sync beta -o json
check_contains "json errors name the owner" "$(jq -r '.errors[]' "$T/check.out")" 'owned by app "alpha"'
check_exit "beta diff says the same (exit 2)" 2 "$TETHER" diff --repo "$GIT_BASE_URL/beta.git" \
  --cache-dir "$T/cache"
check_contains "diff names the owner" "$(cat "$T/check.out")" 'owned by app "alpha"'
check_exit "alpha still in sync" 0 "$TETHER" diff --repo "$GIT_BASE_URL/alpha.git" --cache-dir "$T/cache"
check_exit "alpha syncs again, unchanged" 0 sync alpha
check_eq "still alpha's" "$(owner shared)" alpha

# A Namespace (read by its own GET, not the label LIST) is guarded the same way.
G=$(git_repo gamma)
printf 'apiVersion: v1\nkind: Namespace\nmetadata:\n  name: team\n' >"$G/ns.yaml"
git_commit "$G" "gamma v1" >/dev/null
check_exit "gamma renders alpha's Namespace: refused" 2 sync gamma
check_contains "the error names the Namespace" "$(cat "$T/check.out")" 'namespace/team: owned by app "alpha"'
check_eq "the Namespace is still alpha's" \
  "$(kubectl get namespace team -o jsonpath='{.metadata.labels.tether\.dev/app}')" alpha

# Explicit adoption moves it, once; alpha is then the one refused.
shared_cm shared beta 'tether.dev/adopt: "true"' >"$B/shared.yaml"
git_commit "$B" "beta takes shared" >/dev/null
check_exit "beta with tether.dev/adopt syncs" 0 sync beta -o json
cp "$T/check.out" "$T/adopt.json"
check_eq "beta owns shared" "$(owner shared)" beta
check_eq "beta's value" "$(value shared)" beta
check_eq "json reports the adoption" "$(jq -c '[.objects.adopted, .counts.adopted]' "$T/adopt.json")" \
  '[["default/configmap/shared"],1]'
check_exit "beta is in sync" 0 "$TETHER" diff --repo "$GIT_BASE_URL/beta.git" --cache-dir "$T/cache"
check_exit "alpha is refused now (no flip back)" 2 sync alpha
check_contains "alpha's error names beta" "$(cat "$T/check.out")" 'owned by app "beta"'
check_eq "still beta's" "$(owner shared)" beta

# An existing object no app owns is adopted and reported.
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: handmade\ndata:\n  k: "by hand"\n' |
  kubectl apply --server-side --validate=false -n default -f - >/dev/null 2>&1
check "handmade exists, unowned" test -z "$(owner handmade)"
shared_cm handmade git >"$A/handmade.yaml"
git -C "$A" rm -q shared.yaml
git_commit "$A" "alpha adopts handmade" >/dev/null
check_exit "diff shows the adoption" 1 "$TETHER" diff --repo "$GIT_BASE_URL/alpha.git" --cache-dir "$T/cache"
check_contains "diff names it" "$(cat "$T/check.out")" "adopt (no app owns it, or tether.dev/adopt): default/configmap/handmade"
check_exit "alpha adopts handmade" 0 sync alpha
check_contains "text reports the adoption" "$(cat "$T/check.out")" "adopted default/configmap/handmade"
check_eq "alpha owns handmade" "$(owner handmade)" alpha
check_eq "Git's value" "$(value handmade)" git
check_exit "next sync: nothing adopted" 0 sync alpha -o json
check_eq "json: adopted is empty" "$(jq -c '.objects.adopted' "$T/check.out")" '[]'
check_eq "shared was not pruned from beta (not alpha's any more)" "$(owner shared)" beta

finish
