#!/usr/bin/env bash
# Secrets in the inventory: the row of a Secret holds no digest of its data, so a
# reader of the inventory ConfigMap cannot test guesses of a short value (a 4-digit
# PIN), while a changed value is still applied and an unchanged one is not written.
. "$(dirname "$0")/lib.sh"

kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }

W=$(git_repo bank)
secret() {
  cat >"$W/pin.yaml" <<YAML
apiVersion: v1
kind: Secret
metadata:
  name: pin
type: Opaque
stringData:
  pin: "$1"
YAML
}
secret 4821
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: plain\ndata:\n  k: v\n' >"$W/cm.yaml"
git_commit "$W" "v1" >/dev/null
sync() { "$TETHER" sync --repo "$GIT_BASE_URL/bank.git" --cache-dir "$T/cache" --no-wait "$@"; }
check_exit "first sync" 0 sync
pin() { kubectl get secret pin -n default -o jsonpath='{.data.pin}' | base64 -d; }
check_eq "the PIN is applied" "$(pin)" 4821

row=$(kubectl get configmap tether-inventory-bank -n default -o jsonpath='{.data.objects}' |
  awk -F'\t' '$3 == "Secret"')
digest=$(printf '%s\n' "$row" | cut -f6)
check_eq "the inventory has a row for the Secret" "$(printf '%s' "$digest" | wc -c)" 16

# What the old digest was: SHA-256 of the labelled manifest as tether sends it. A
# reader who knows the layout tries every PIN, in both forms tether may hash.
hits=$(DIGEST=$digest python3 - <<'PY'
import base64, hashlib, os
meta = ('{"name":"pin","namespace":"default","labels":{"app.kubernetes.io/managed-by":'
        '"tether","tether.dev/app":"bank"}}')
hits = 0
for i in range(10000):
    pin = "%04d" % i
    for key, val in (("stringData", pin), ("data", base64.b64encode(pin.encode()).decode())):
        doc = '{"apiVersion":"v1","kind":"Secret","metadata":%s,"type":"Opaque","%s":{"pin":"%s"}}' % (meta, key, val)
        hits += hashlib.sha256(doc.encode()).hexdigest()[:16] == os.environ["DIGEST"]
print(hits)
PY
)
check_eq "no PIN's old-style digest matches the stored value" "$hits" 0

# The stored value does not move with the data: same digest for another PIN.
secret 1234
git_commit "$W" "new pin" >/dev/null
check_exit "sync after changing the PIN" 0 sync -o json
cp "$T/check.out" "$T/change.json"
check_eq "the Secret is reported changed" "$(jq -c '.objects.changed' "$T/change.json")" \
  '["default/secret/pin"]'
check_eq "the new PIN is applied" "$(pin)" 1234
digest2=$(kubectl get configmap tether-inventory-bank -n default -o jsonpath='{.data.objects}' |
  awk -F'\t' '$3 == "Secret" { print $6 }')
check_eq "the stored value does not depend on the PIN" "$digest2" "$digest"

rv=$(kubectl get secret pin -n default -o jsonpath='{.metadata.resourceVersion}')
check_exit "a no-op sync" 0 sync -o json
cp "$T/check.out" "$T/noop.json"
check_eq "nothing changed" "$(jq -c '[.counts.created, .counts.changed]' "$T/noop.json")" '[0,0]'
check_eq "no write, one dry-run (the Secret)" \
  "$(jq -c '[.requests.patch - .requests.dryRun, .requests.dryRun]' "$T/noop.json")" '[0,1]'
check_eq "the Secret was not written" \
  "$(kubectl get secret pin -n default -o jsonpath='{.metadata.resourceVersion}')" "$rv"

# Someone edits the Secret in the cluster: the next sync puts Git's value back.
kubectl patch secret pin -n default --type merge -p '{"stringData":{"pin":"0000"}}' >/dev/null
check_exit "sync after drift" 0 sync
check_eq "Git's PIN is back" "$(pin)" 1234
out=$(sync -o json; sync; "$TETHER" diff --repo "$GIT_BASE_URL/bank.git" --cache-dir "$T/cache")
check_eq "no output shows the PIN" "$(printf '%s' "$out" | grep -c -e 1234 -e MTIzNA)" 0
finish
