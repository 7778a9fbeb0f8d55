#!/usr/bin/env bash
# kustomize overlays rendered by tether itself must equal `kubectl kustomize` (v5.5):
# for each fixture in tests/fixtures/kustomize, `tether render -o json` of a Git
# commit holding the fixtures and kubectl's YAML (converted to JSON with yq) are
# compared as sets of parsed objects, generated names included, and the order of the
# output is checked too. Also: errors name the kustomization file and field.
. "$(dirname "$0")/lib.sh"

FIXTURES="basic nameref generators/base generators/overlay images replicas labels patches
smp/overlay fifo multins/overlay yaml12 variants/top component-top misc components/overlay
nested/top app/base app/overlays/dev app/overlays/prod plugins/builtin plugins/hash"
# Output order, empty annotations, field names, JSON 6902 positions.
FIXTURES="$FIXTURES order/base order/custom chart/base chart/overlay fieldnames json6902-positions
  configurations/base configurations/overlay openapi"
# replacements and vars, a kubebuilder config/default, components after generators.
FIXTURES="$FIXTURES replacements vars/base vars/overlay kubebuilder/config/default
  components-generated/top"

repo=$T/repo
cp -r "$ROOT/tests/fixtures/kustomize" "$repo"
git -C "$repo" init -q && git -C "$repo" add -A && git -C "$repo" commit -q -m fixtures

# Sorted by identity, keys sorted, so the comparison is of sets of objects.
norm='sort_by(.apiVersion, .kind, (.metadata.namespace // ""), .metadata.name)'

have_tools=1
for tool in kubectl yq jq; do
  command -v $tool >/dev/null || { not_ok "$tool is installed (needed to compare)"; have_tools=0; }
done

ident='.kind + "/" + (.metadata.namespace // "") + "/" + .metadata.name'
if [ $have_tools = 1 ]; then
  for f in $FIXTURES; do
    if ! "$TETHER" render --repo "$repo" --path "$f" -o json >"$T/mine.list" 2>"$T/mine.err"; then
      not_ok "render $f"; sed 's/^/#   /' "$T/mine.err"; continue
    fi
    jq '.items' "$T/mine.list" >"$T/mine.json" # a v1 List, as kubectl prints lists
    kubectl kustomize "$repo/$f" 2>/dev/null >"$T/ref.yaml"
    jq -S "$norm" "$T/mine.json" >"$T/mine.norm"
    yq -S -s "$norm" "$T/ref.yaml" >"$T/ref.norm"
    n=$(jq length "$T/ref.norm")
    if [ "$n" -gt 0 ] && cmp -s "$T/mine.norm" "$T/ref.norm"; then
      ok "$f: tether render equals kubectl kustomize ($n objects)"
    else
      not_ok "$f: tether render differs from kubectl kustomize"
      diff "$T/mine.norm" "$T/ref.norm" | head -n 30 | sed 's/^/#   /'
    fi
    # The order only matters to people reading `tether render`; it is kustomize's
    # (legacy: Namespace first, webhooks last; or fifo when sortOptions asks).
    jq -r ".[] | $ident" "$T/mine.json" >"$T/order.mine"
    yq -r "$ident" "$T/ref.yaml" >"$T/order.ref"
    if cmp -s "$T/order.mine" "$T/order.ref"; then ok "$f: same order as kubectl kustomize"; else
      not_ok "$f: order differs"; diff "$T/order.mine" "$T/order.ref" | head -n 10 | sed 's/^/#   /'
    fi
  done
fi

# Unsupported fields and paths leaving the repository fail with exit 2 and say where.
check_exit "helmCharts is an input error" 2 "$TETHER" render --repo "$repo" --path errors/helm
out=$("$TETHER" render --repo "$repo" --path errors/helm 2>&1)
check_contains "the error names the file and the field" "$out" "errors/helm/kustomization.yaml: field helmCharts"
# render_error DESCRIPTION FIXTURE TEXT: rendering FIXTURE fails with TEXT.
render_error() {
  out=$("$TETHER" render --repo "$repo" --path "$2" 2>&1)
  check_contains "$1" "$out" "$3"
}
render_error "a base outside the repository is refused" errors/escape "leaves the repository"
render_error "remote bases are refused" errors/remote "remote bases are not supported"
render_error "a plugin that runs a program is refused, naming the file and field" \
  errors/plugin-exec "errors/plugin-exec/kustomization.yaml: field transformers: errors/plugin-exec/sed.yaml:1"
render_error "a field kustomize does not know, inside an entry, is named with its entry" \
  errors/nested-field "errors/nested-field/kustomization.yaml: images[0]: unknown field tag"
render_error "a transformer configuration section tether does not apply is named" \
  errors/config-prefix "errors/config-prefix/prefix-config.yaml: configurations: field namePrefix is not supported"
render_error "openapi.version (a schema tether would have to fetch) is refused, naming it" \
  errors/openapi-version "errors/openapi-version/kustomization.yaml: field openapi.version is not supported"
render_error "a replacement's source selecting two objects is refused, naming its file" \
  errors/replacements-file "errors/replacements-file/repl.yaml: replacements: multiple matches for selector"
render_error "a var naming no object is refused" errors/vars \
  "errors/vars/kustomization.yaml: vars: var '{X ConfigMap.v1.[noGrp] {metadata.name}}' cannot be mapped"

finish
