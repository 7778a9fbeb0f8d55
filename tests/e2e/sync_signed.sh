#!/usr/bin/env bash
# verify: head and all with real `git commit -S`: OpenPGP (gpgme, a keyring) and SSH
# (SSHSIG, an allowed signers file). A commit signed by a trusted key applies; an
# unsigned one, one signed by an unknown key and a forged one (its signed content
# edited) apply nothing and exit 2 naming the commit and the key found; all refuses a
# head whose range holds one unsigned commit. kubectl is the witness of "nothing
# applied"; no key material reaches any output.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/signed_common.bash"

export TMPDIR=$T/tmp # where tether makes its GNUPGHOMEs
mkdir -p "$TMPDIR"
kubesim_start || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
gpg_key alice alice@example.com
gpg_key mallory mallory@example.com
ssh_key bob
ssh_key eve
check "gpg made two keys" test -n "$ALICE_FPR" -a -n "$MALLORY_FPR"
allowed_line bob@example.com bob >"$T/allowed_signers"
cp "$T/alice.pub.asc" "$T/keyring.asc"

W=$(git_repo app)
URL=$GIT_BASE_URL/app.git
tsync() { "$TETHER" sync --repo "$URL" --cache-dir "$T/cache" --app app --timeout 30s "$@"; }
pgp() { tsync --verify head --verify-keyring "$T/keyring.asc" "$@"; }
ssh() { tsync --verify head --verify-allowed-signers "$T/allowed_signers" "$@"; }
cmv() { kubectl get cm settings -o jsonpath='{.data.v}' 2>/dev/null; }
write() { printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: default}\ndata: {v: "%s"}\n' "$1" >"$W/cm.yaml"; }
outs=""
keep() { outs="$outs
$(cat "$T/check.out")"; [ -z "${SHOW:-}" ] || cat "$T/check.out"; }

# ---- OpenPGP ------------------------------------------------------------------------
write one; C1=$(commit_gpg "$W" "one" alice)
check "git verify-commit agrees the commit is signed" env GNUPGHOME="$T/gpg-alice" git -C "$W" verify-commit "$C1"
check_exit "signed by a trusted OpenPGP key: applied" 0 pgp; keep
check_eq "kubectl sees it" "$(cmv)" one
check_exit "verify needs a key source: exit 2" 2 tsync --verify head
check_contains "it says which options" "$(cat "$T/check.out")" "verify-keyring (OpenPGP) or verify-allowed-signers (SSH)"

write two; C2=$(commit_plain "$W" "two unsigned")
check_exit "unsigned: exit 2" 2 pgp; keep; out=$(cat "$T/check.out")
check_contains "it names the commit" "$out" "commit $C2"
check_contains "and says it is not signed" "$out" "not signed"
check_eq "nothing applied" "$(cmv)" one
check_exit "without verify the same commit applies (the check is what refused it)" 0 tsync
check_eq "kubectl sees two" "$(cmv)" two

write three; C3=$(commit_gpg "$W" "three" mallory)
check_exit "signed by an OpenPGP key not in the keyring: exit 2" 2 pgp; keep; out=$(cat "$T/check.out")
check_contains "it names the commit" "$out" "commit $C3"
check_contains "and the key found" "$out" "OpenPGP key $MALLORY_FPR"
check_contains "and the keyring" "$out" "not in the keyring $T/keyring.asc"
check_eq "nothing applied" "$(cmv)" two
check_exit "-o json: exit 2 too" 2 pgp -o json
check "-o json names the key in errors" jq -e --arg k "$MALLORY_FPR" '.errors[0] | contains($k)' "$T/check.out"
check_exit "an SSH-only app refuses the OpenPGP signature" 2 ssh; keep
check_contains "and says why" "$(cat "$T/check.out")" "signed with an OpenPGP key, but no verify-keyring is set"

# A forged commit: alice's signature over content that was edited afterwards.
write four; C4=$(commit_gpg "$W" "four" alice)
check_exit "four, signed by alice, applies" 0 pgp
git -C "$W" cat-file commit "$C4" | sed 's/^four$/four (edited)/' >"$T/forged.txt"
F=$(git -C "$W" hash-object -t commit -w "$T/forged.txt")
git -C "$W" push -q -f origin "$F:refs/heads/main" 2>/dev/null
check_contains "the forged commit keeps alice's signature" "$(git -C "$W" cat-file commit "$F")" "BEGIN PGP SIGNATURE"
check_fail "git verify-commit refuses the forged commit" env GNUPGHOME="$T/gpg-alice" git -C "$W" verify-commit "$F"
check_exit "forged OpenPGP signature: exit 2" 2 pgp; keep; out=$(cat "$T/check.out")
check_contains "it names the commit" "$out" "commit $F"
check_contains "and the bad signature" "$out" "bad signature"
check_contains "and alice's key" "$out" "OpenPGP key"
git -C "$W" reset -q --hard "$C4"; git -C "$W" push -q -f origin HEAD:main 2>/dev/null

# ---- SSH ------------------------------------------------------------------------------
write five; C5=$(commit_ssh "$W" "five" bob)
check "git verify-commit (ssh) agrees" git -C "$W" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit "$C5"
check_exit "signed by an allowed SSH key: applied" 0 ssh; keep
check_eq "kubectl sees five" "$(cmv)" five
check_exit "an OpenPGP-only app refuses the SSH signature" 2 pgp
write six; C6=$(commit_ssh "$W" "six" eve)
check_exit "signed by an SSH key not allowed: exit 2" 2 ssh; keep; out=$(cat "$T/check.out")
check_contains "it names the commit" "$out" "commit $C6"
check_contains "and the key found, as ssh-keygen -l names it" "$out" "ssh-ed25519 $EVE_SSHFP"
check_contains "and the allowed signers file" "$out" "not in the allowed signers file $T/allowed_signers"
check_eq "nothing applied" "$(cmv)" five
git -C "$W" cat-file commit "$C6" >/dev/null
# eve's key allowed, but only for another namespace than git's
{ cat "$T/allowed_signers"; echo "eve@example.com namespaces=\"file\" $(cut -d' ' -f1,2 "$T/eve.pub")"; } >"$T/allowed_ns"
check_exit "a key allowed only for namespace file: exit 2" 2 tsync --verify head --verify-allowed-signers "$T/allowed_ns"
check_contains "it says so" "$(cat "$T/check.out")" "is not allowed for namespace \"git\""
git -C "$W" cat-file commit "$C6" | sed 's/^six$/six (edited)/' >"$T/forged6.txt"
allowed_line eve@example.com eve >>"$T/allowed_signers"
check_exit "with eve allowed, six applies" 0 ssh
check_eq "kubectl sees six" "$(cmv)" six
write seven; C7=$(commit_ssh "$W" "seven" bob)
git -C "$W" cat-file commit "$C7" | sed 's/^seven$/seven (edited)/' >"$T/forged7.txt"
F7=$(git -C "$W" hash-object -t commit -w "$T/forged7.txt")
git -C "$W" push -q -f origin "$F7:refs/heads/main" 2>/dev/null
check_exit "forged SSH signature: exit 2" 2 ssh; keep; out=$(cat "$T/check.out")
check_contains "it names the commit" "$out" "commit $F7"
check_contains "and the bad signature by bob's key" "$out" "SSH signature by ssh-ed25519 $BOB_SSHFP: bad signature"
check_eq "nothing applied" "$(cmv)" six
git -C "$W" reset -q --hard "$C7"; git -C "$W" push -q -f origin HEAD:main 2>/dev/null
check_exit "seven itself applies" 0 ssh
check_eq "kubectl sees seven" "$(cmv)" seven

# ---- all: every commit since the last applied one -------------------------------------
both() { tsync --verify-keyring "$T/keyring.asc" --verify-allowed-signers "$T/allowed_signers" "$@"; }
write eight; C8=$(commit_plain "$W" "eight unsigned")
write nine; C9=$(commit_gpg "$W" "nine" alice)
write ten; C10=$(commit_ssh "$W" "ten" bob)
check_exit "all: one unsigned commit in the middle: exit 2" 2 both --verify all; keep; out=$(cat "$T/check.out")
check_contains "it names the unsigned commit" "$out" "commit $C8 (since the last applied commit ${C7:0:12}): not signed"
check_eq "nothing applied" "$(cmv)" seven
check_exit "head checks only the head: applied" 0 both --verify head
check_eq "kubectl sees ten" "$(cmv)" ten
write eleven; C11=$(commit_gpg "$W" "eleven" alice)
write twelve; C12=$(commit_ssh "$W" "twelve" bob)
check_exit "all: every commit since ten signed (OpenPGP and SSH): applied" 0 both --verify all
check_eq "kubectl sees twelve" "$(cmv)" twelve
check_eq "the inventory records twelve" \
  "$(kubectl get cm tether-inventory-app -o jsonpath='{.data.commit}')" "$C12"

check "no private key material in any output" no_key_material "$outs" \
  "$T/alice.sec.asc" "$T/mallory.sec.asc" "$T/bob" "$T/eve"
check "every GNUPGHOME tether made is gone" bash -c "! ls -d '$TMPDIR'/tether-gpg-* 2>/dev/null | grep -q ."
finish
