# Helpers for the tests of signed commits (sourced after lib.sh): real keys made in the
# test, real `git commit -S`.

# gpg_key NAME EMAIL: an ed25519 OpenPGP key without a passphrase in its own GNUPGHOME
# $T/gpg-NAME; writes $T/NAME.pub.asc (public) and $T/NAME.sec.asc (secret) and sets
# NAME_FPR to its fingerprint.
gpg_key() {
  local home=$T/gpg-$1
  mkdir -p "$home"; chmod 700 "$home"
  GNUPGHOME=$home gpg --batch --passphrase '' --quick-gen-key "$1 <$2>" ed25519 sign never 2>/dev/null
  local fpr
  fpr=$(GNUPGHOME=$home gpg --batch --list-keys --with-colons 2>/dev/null | awk -F: '/^fpr/ {print $10; exit}')
  GNUPGHOME=$home gpg --batch --export --armor >"$T/$1.pub.asc" 2>/dev/null
  GNUPGHOME=$home gpg --batch --export-secret-keys --armor >"$T/$1.sec.asc" 2>/dev/null
  eval "${1^^}_FPR=$fpr"
}

# ssh_key NAME: an ed25519 SSH key $T/NAME (no passphrase) and $T/NAME.pub; sets
# NAME_SSHFP to its SHA256 fingerprint as ssh-keygen prints it.
ssh_key() {
  ssh-keygen -q -t ed25519 -N '' -C "$1" -f "$T/$1"
  eval "${1^^}_SSHFP=$(ssh-keygen -l -E sha256 -f "$T/$1.pub" | awk '{print $2}')"
}

# allowed_line EMAIL NAME: a line of an allowed signers file for key NAME.
allowed_line() { echo "$1 namespaces=\"git\" $(cut -d' ' -f1,2 "$T/$2.pub")"; }

# commit_gpg DIR MESSAGE NAME / commit_ssh DIR MESSAGE NAME / commit_plain DIR MESSAGE:
# commits everything in DIR (signed with key NAME, or not), pushes, prints the SHA.
commit_gpg() {
  git -C "$1" add -A && GNUPGHOME=$T/gpg-$3 git -C "$1" -c user.signingkey="$(eval echo "\$${3^^}_FPR")" \
    commit -q -S -m "$2" && git -C "$1" push -q origin HEAD:main 2>/dev/null
  git -C "$1" rev-parse HEAD
}
commit_ssh() {
  git -C "$1" add -A && git -C "$1" -c gpg.format=ssh -c user.signingkey="$T/$3" \
    commit -q -S -m "$2" && git -C "$1" push -q origin HEAD:main 2>/dev/null
  git -C "$1" rev-parse HEAD
}
commit_plain() { git_commit "$1" "$2"; }

# key_body FILE: the base64 lines of a private key file (what must never be printed).
key_body() { grep -v -e '^-----' -e '^$' -e ':' "$1"; }
# no_key_material TEXT FILE...: none of the files' key lines appears in TEXT.
no_key_material() {
  local text=$1 f line; shift
  for f in "$@"; do
    while IFS= read -r line; do
      [ ${#line} -ge 16 ] || continue
      case "$text" in *"$line"*) echo "key material of $f printed: $line"; return 1 ;; esac
    done < <(key_body "$f")
  done
  return 0
}
