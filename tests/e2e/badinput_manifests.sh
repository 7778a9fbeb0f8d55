#!/usr/bin/env bash
# Each bad manifest stops the sync before anything reaches the cluster: exit 2, a
# message naming file:line:col or the object, and kubectl sees nothing new.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }

good='apiVersion: v1
kind: ConfigMap
metadata:
  name: good
data:
  a: "1"
'
# case NAME: a repository with a good object and the bad file(s) written by the caller.
new_case() {
  C=$T/cases/$1
  mkdir -p "$C"
  git -C "$C" init -q -b main
  printf '%s' "$good" >"$C/a-good.yaml"
}
commit_case() { git -C "$C" add -A && git -C "$C" commit -q -m "$1"; }
# run_case NAME WANTED-MESSAGE
run_case() {
  local out rc
  out=$("$TETHER" sync --repo "$C" --cache-dir "$T/cache" --app "$1" --no-wait 2>&1); rc=$?
  check_eq "$1: exit 2" "$rc" 2
  check_contains "$1: message" "$out" "$2"
  check_fail "$1: cluster untouched (no configmap good)" kubectl get configmap good -n default
  check_fail "$1: no inventory" kubectl get configmap "tether-inventory-$1" -n default
}

new_case yaml-syntax
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata: {a: [1, 2\n' >"$C/bad.yaml"
commit_case syntax
run_case yaml-syntax "bad.yaml:"

new_case missing-kind
printf 'apiVersion: v1\nmetadata:\n  name: x\n' >"$C/bad.yaml"
commit_case kind
run_case missing-kind "bad.yaml:1:1"

new_case duplicate
printf '%s' "$good" >"$C/b-again.yaml"
commit_case dup
run_case duplicate "b-again.yaml"

new_case too-large
{ printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\ndata:\n  a: "'
  head -c 5000000 /dev/zero | tr '\0' x; printf '"\n'; } >"$C/big.yaml"
commit_case big
run_case too-large "big.yaml"

new_case alias-bomb
{ printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: bomb\na: &a ["x","x","x","x","x","x","x","x","x","x"]\n'
  prev=a
  for l in b c d e f g h i; do
    printf '%s: &%s [*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s,*%s]\n' $l $l $prev $prev $prev $prev $prev $prev $prev $prev $prev $prev
    prev=$l
  done; } >"$C/bomb.yaml"
commit_case bomb
run_case alias-bomb "bomb.yaml"

new_case bad-utf8
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: u\ndata:\n  a: "\xff\xfe"\n' >"$C/utf.yaml"
commit_case utf8
run_case bad-utf8 "utf.yaml"

new_case symlink-out
ln -s /etc/passwd "$C/leak.yaml"
commit_case symlink
run_case symlink-out "leak.yaml"

new_case not-a-mapping
printf -- '- just\n- a list\n' >"$C/list.yaml"
commit_case list
run_case not-a-mapping "list.yaml:1:1"

# Typed YAML as kubectl reads it: each file is one kubectl itself refuses.
kubectl_refuses() {
  local out
  out=$(kubectl label --local -f "$C/$1" x=y -o json 2>&1)
  check_contains "$2: kubectl refuses it too" "$out" "$3"
}

new_case tagged-int
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: t\ndata:\n  n: !!int "not a number"\n' >"$C/tag.yaml"
commit_case tagged-int
run_case tagged-int 'tag.yaml:6:6: cannot decode !!str `not a number` as a !!int'
kubectl_refuses tag.yaml tagged-int 'cannot decode !!str `not a number` as a !!int'

new_case json-overflow
printf '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "j"},\n "data": {"r": 1e400}}\n' >"$C/huge.json"
commit_case json-overflow
run_case json-overflow "huge.json:2:16: number 1e400 is out of range"
kubectl_refuses huge.json json-overflow "cannot unmarshal number 1e400"

new_case bad-binary
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: b\ndata:\n  b: !!binary "=="\n' >"$C/bin.yaml"
commit_case bad-binary
run_case bad-binary "bin.yaml:6:6: !!binary value contains invalid base64 data"
kubectl_refuses bin.yaml bad-binary "!!binary value contains invalid base64 data"

new_case empty-render
rm "$C/a-good.yaml"
printf 'not yaml, just text\n' >"$C/README.md"
commit_case empty
run_case empty-render "rendered no objects"

finish
