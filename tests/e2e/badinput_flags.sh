#!/usr/bin/env bash
# The command line and the agent configuration: kubectl-style flags, --help on every
# subcommand, unknown flags exit 2 with a usage hint, configuration errors name
# file:line:col, --config syncs every app it lists.
. "$(dirname "$0")/lib.sh"

check_exit "no command: exit 2" 2 "$TETHER"
check_exit "unknown command: exit 2" 2 "$TETHER" frobnicate
for c in sync diff render check-config version; do
  check_exit "$c --help: exit 0" 0 "$TETHER" $c --help
  check_contains "$c --help prints usage" "$(cat "$T/check.out")" "Usage:"
done
"$TETHER" sync --help >"$T/help.txt"
check_contains "sync --help from the option table" "$(cat "$T/help.txt")" "--timeout DUR"
check_contains "sync --help shows defaults" "$(cat "$T/help.txt")" "(default 5m)"
check_exit "unknown flag: exit 2" 2 "$TETHER" sync --repo x --frobnicate
check_contains "names the flag" "$(cat "$T/check.out")" "unknown flag: --frobnicate"
check_contains "usage hint" "$(cat "$T/check.out")" "See 'tether sync --help' for usage."
check_exit "flag without value: exit 2" 2 "$TETHER" sync --repo
check_exit "bad duration: exit 2" 2 "$TETHER" sync --repo x --timeout=5parsecs
check_contains "names the flag and value" "$(cat "$T/check.out")" "--timeout: invalid duration"
check_exit "out of bounds: exit 2" 2 "$TETHER" sync --repo x --parallel 1000
check_exit "no repository: exit 2" 2 "$TETHER" sync
check_exit "bad app name: exit 2" 2 "$TETHER" sync --repo x --app Not_Valid
check_exit "version: exit 0" 0 "$TETHER" version
check_contains "version text" "$(cat "$T/check.out")" "tether "

check_exit "the documented example validates" 0 "$TETHER" check-config "$ROOT/config/tether.yaml"
# Every option of the agent (sync's and run's) is documented there as "name:", and the
# commented examples ("# name: value") validate once uncommented.
missing=
for f in $("$TETHER" run --help | grep -oE -- '--[a-z-]+' | sort -u); do
  case ${f#--} in output|config|help|app) continue;; esac
  grep -qE "^ *(# )?${f#--}:" "$ROOT/config/tether.yaml" || missing="$missing ${f#--}"
done
check_eq "config/tether.yaml documents every option of tether run --help" "$missing" ""
sed -E 's/^( *)# ([a-z-]+): ([^ ]+)$/\1\2: \3/' "$ROOT/config/tether.yaml" >"$T/uncommented.yaml"
check_fail "the uncommented examples differ from the file" cmp -s "$T/uncommented.yaml" "$ROOT/config/tether.yaml"
check_exit "the documented example validates with every commented option set" 0 \
  "$TETHER" check-config "$T/uncommented.yaml"
cat >"$T/bad.yaml" <<'YAML'
timeout: 5m
apps:
  - name: web
    repo: https://example.com/web.git
    colour: blue
YAML
check_exit "check-config of a bad file: exit 2" 2 "$TETHER" check-config "$T/bad.yaml"
check_contains "file:line:col" "$(cat "$T/check.out")" "$T/bad.yaml:5:5: unknown option \"colour\""
check_exit "check-config of a missing file: exit 2" 2 "$TETHER" check-config "$T/nope.yaml"
check_exit "sync --config with a bad file: exit 2" 2 "$TETHER" sync --config "$T/bad.yaml"
check_contains "sync names file:line:col" "$(cat "$T/check.out")" "bad.yaml:5:5"

# --config syncs every app; flags override the file.
kubesim_start || { not_ok "kubesim starts"; finish; }
for a in one two; do
  mkdir -p "$T/$a" && git -C "$T/$a" init -q -b main
  printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-%s\ndata:\n  a: "1"\n' "$a" >"$T/$a/cm.yaml"
  git -C "$T/$a" add -A && git -C "$T/$a" commit -q -m "$a"
done
cat >"$T/tether.yaml" <<YAML
cache-dir: $T/cache
timeout: 30s
apps:
  - repo: $T/one
  - name: second
    repo: $T/two
    namespace: kube-public
YAML
check_exit "check-config of the test file" 0 "$TETHER" check-config "$T/tether.yaml"
check_exit "sync --config: exit 0" 0 "$TETHER" sync --config "$T/tether.yaml" --no-wait -o json
check_eq "json for every app" "$(jq -r '[.[].app] | join(",")' "$T/check.out")" "one,second"
check "app one synced" kubectl get configmap cm-one -n default
check "app second synced in its namespace" kubectl get configmap cm-two -n kube-public
check_exit "--config --app picks one app" 0 "$TETHER" sync --config "$T/tether.yaml" --app second -o json
check_eq "only that app" "$(jq -r '[.[].app] | join(",")' "$T/check.out")" "second"
check_exit "--config --app with an unknown app: exit 2" 2 "$TETHER" sync --config "$T/tether.yaml" --app three
check_exit "--repo and --config together: exit 2" 2 "$TETHER" sync --config "$T/tether.yaml" --repo x
check_exit "diff --config: no changes" 0 "$TETHER" diff --config "$T/tether.yaml"

# An error is never exit 1, which means "a rollout failed" (sync) or "changes" (diff):
# here a cache directory that cannot be created (a local failure, nothing applied).
L=$T/local-repo
mkdir -p "$L" && git -C "$L" init -q -b main
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n' >"$L/a.yaml"
git -C "$L" add -A && git -C "$L" -c user.name=t -c user.email=t@example.com commit -q -m a
touch "$T/not-a-dir"
check_exit "sync with an unusable cache directory: exit 2, not 1" 2 "$TETHER" sync --repo "$L" \
  --cache-dir "$T/not-a-dir/cache"
check_contains "it names the directory" "$(cat "$T/check.out")" "cache directory $T/not-a-dir/cache"
check_exit "diff with an unusable cache directory: exit 2, not 1 (changes)" 2 "$TETHER" diff \
  --repo "$L" --cache-dir "$T/not-a-dir/cache"
finish
