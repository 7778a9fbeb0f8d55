#!/usr/bin/env bash
# Git over ssh against a real sshd on loopback: host keys are checked (an unknown host
# names the ssh-keyscan command to run; a changed key is refused), and the keys ssh
# would try are tried as ssh tries them: ssh-agent first, then ~/.ssh/id_ed25519,
# id_ecdsa, id_rsa; a configured --ssh-key alone. No key material in any output.
. "$(dirname "$0")/lib.sh"

SSHD=$(command -v sshd || echo /usr/sbin/sshd)
[ -x "$SSHD" ] || { not_ok "sshd is installed (Debian package openssh-server)"; finish; }
kubesim_start || { not_ok "kubesim starts"; finish; }

# ---- an sshd of our own, serving $T/git as the user running the test ---------------------
S=$T/sshd && mkdir -p "$S"
ssh-keygen -q -t ed25519 -N '' -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -C client -f "$S/client"
ssh-keygen -q -t ed25519 -N '' -C stranger -f "$S/stranger"
cp "$S/client.pub" "$S/authorized_keys"
chmod 600 "$S/authorized_keys"
port=$((20000 + RANDOM % 40000))
cat >"$S/sshd_config" <<CFG
ListenAddress 127.0.0.1:$port
HostKey $S/host_key
AuthorizedKeysFile $S/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
PermitRootLogin prohibit-password
StrictModes no
UsePAM no
PidFile $S/sshd.pid
CFG
# sshd wants its privilege separation directory even on a private port.
[ -d /run/sshd ] || mkdir -p /run/sshd 2>/dev/null || true
"$SSHD" -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
_pids+=($!)
for _ in $(seq 1 50); do grep -q "Server listening" "$S/sshd.log" && break; sleep 0.1; done
grep -q "Server listening" "$S/sshd.log" ||
  { not_ok "sshd starts: $(head -c 300 "$S/sshd.log")"; finish; }

W=$(git_repo app)
printf 'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: over-ssh\ndata:\n  k: v\n' >"$W/cm.yaml"
git_commit "$W" "one" >/dev/null
URL="ssh://$(id -un)@127.0.0.1:$port$T/git/app.git"

H=$T/home && mkdir -p "$H/.ssh"
sync() { env -u SSH_AUTH_SOCK HOME="$H" "$TETHER" sync --repo "$URL" --app ssh --cache-dir "$T/cache" --no-wait "$@"; }

# ---- host keys ------------------------------------------------------------------------------
cp "$S/client" "$H/.ssh/id_ed25519"
check_exit "an unknown host is refused (exit 3)" 3 sync
check_contains "...naming the ssh-keyscan command to run" "$(cat "$T/check.out")" \
  "ssh-keyscan -p $port 127.0.0.1 >> $H/.ssh/known_hosts"
check_fail "...and nothing was applied" kubectl get configmap over-ssh -n default
ssh-keyscan -p "$port" 127.0.0.1 2>/dev/null >"$H/.ssh/known_hosts"
check "ssh-keyscan wrote the host's key" grep -q ed25519 "$H/.ssh/known_hosts"

# ---- the keys ssh would try -------------------------------------------------------------------
check_exit "~/.ssh/id_ed25519 is tried without any flag" 0 sync
check "the ConfigMap came over ssh" kubectl get configmap over-ssh -n default
check_fail "no key material in the output" grep -q "PRIVATE KEY" "$T/check.out"

rm "$H/.ssh/id_ed25519"
cp "$S/stranger" "$H/.ssh/id_ed25519"
cp "$S/client" "$H/.ssh/id_rsa" # not an RSA key, but ssh tries the file by its name
sed -i 's/k: v/k: v2/' "$W/cm.yaml" && git_commit "$W" "two" >/dev/null
check_exit "a refused id_ed25519, then id_rsa: the next default key is tried" 0 sync
check_eq "the second commit is applied" \
  "$(kubectl get configmap over-ssh -n default -o jsonpath='{.data.k}')" v2

rm -f "$H/.ssh/id_ed25519" "$H/.ssh/id_rsa"
check_exit "with no key at all the sync fails" 3 sync
eval "$(ssh-agent -s)" >/dev/null
_pids+=("$SSH_AGENT_PID")
SSH_ASKPASS= ssh-add -q "$S/client" 2>/dev/null
sed -i 's/k: v2/k: v3/' "$W/cm.yaml" && git_commit "$W" "three" >/dev/null
check_exit "ssh-agent's key is used" 0 env HOME="$H" SSH_AUTH_SOCK="$SSH_AUTH_SOCK" "$TETHER" sync \
  --repo "$URL" --app ssh --cache-dir "$T/cache" --no-wait
check_eq "the third commit is applied" \
  "$(kubectl get configmap over-ssh -n default -o jsonpath='{.data.k}')" v3

check_exit "a configured --ssh-key is the only key tried" 3 env HOME="$H" \
  SSH_AUTH_SOCK="$SSH_AUTH_SOCK" "$TETHER" sync --repo "$URL" --app ssh --cache-dir "$T/cache2" \
  --no-wait --ssh-key "$S/stranger"

# ---- a changed host key ---------------------------------------------------------------------
ssh-keygen -q -t ed25519 -N '' -f "$S/other_host"
{ printf '[127.0.0.1]:%s ' "$port"; cut -d' ' -f1,2 "$S/other_host.pub"; } >"$H/.ssh/known_hosts"
cp "$S/client" "$H/.ssh/id_ed25519"
check_exit "a host key that changed is refused" 3 sync
check_contains "...and says so" "$(cat "$T/check.out")" "host key for [127.0.0.1]:$port does not match $H/.ssh/known_hosts"
finish
