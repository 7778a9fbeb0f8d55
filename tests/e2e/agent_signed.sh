#!/usr/bin/env bash
# tether run with verify and sign-key, real `git commit -S`. An unsigned head, then one
# signed by an unknown key: the app is `unverified` (/status names the commit and its
# lastError the key), tether_app_unverified and tether_app_status say so, a Warning Event
# with reason Unverified names both (kubectl as witness), and the agent does not retry the
# same head; a commit by a trusted key on top syncs and the app is synced again. A second
# app with on-failure: revert, verify: all and an SSH sign-key: the revert tether pushes
# is signed (git verify-commit accepts it) and its own sync passes verify. Then
# `tether rollback --to-revision` with an OpenPGP sign-key: signed, and synced with verify.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"
. "$(dirname "$0")/signed_common.bash"

export TMPDIR=$T/tmp # where tether makes its GNUPGHOMEs
mkdir -p "$TMPDIR"
kubesim_start --fail-images 'nginx:broken*' --pod-ready-ms 100 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
ssh_key bob   # a person whose commits are trusted
ssh_key eve   # a key nobody trusts
ssh_key robot # tether's own sign-key (SSH)
gpg_key rbot rbot@example.com # tether's own sign-key (OpenPGP)
{ allowed_line bob@example.com bob; allowed_line robot@example.com robot; } >"$T/allowed_signers"
cp "$T/rbot.pub.asc" "$T/keyring.asc"

W=$(git_repo cfg)
write_cm "$W" settings one; C1=$(commit_ssh "$W" "one" bob)
WW=$(git_repo web)
BARE=$T/git/web.git
web_failing "$WW/web.yaml" nginx:1.25; V1=$(commit_ssh "$WW" "v1" bob)
cat >"$T/tether.yaml" <<Y
kubeconfig: $KUBECONFIG
interval: 1s
timeout: 30s
verify-allowed-signers: $T/allowed_signers
apps:
  - {name: cfg, repo: $GIT_BASE_URL/cfg.git, ref: main, verify: head}
  - {name: web, repo: $GIT_BASE_URL/web.git, ref: main, verify: all, on-failure: revert, sign-key: $T/robot}
Y
agent_start ag --config "$T/tether.yaml" || { not_ok "agent starts"; finish; }
st() { curl -s "$AG_URL/status" | jq -r --arg a "$1" ".apps[] | select(.app == \$a) | $2"; }
state_is() { [ "$(st "$1" .state)" = "$2" ]; }
refused_is() { [ "$(st cfg .unverified)" = "$1" ]; }
# ev COMMIT: "type message" of the Events Unverified naming the commit; ev_seen: one exists.
ev() { kubectl get events -n default -o json | jq -r --arg c "$1" \
  '.items[] | select(.reason == "Unverified" and (.message | contains($c))) | "\(.type) \(.message)"'; }
ev_seen() { [ -n "$(ev "$1")" ]; }
wait_for "cfg: one (signed by bob) is synced" 10 cm_is settings one
wait_for "cfg: state synced" 5 state_is cfg synced

# ---- an unsigned head --------------------------------------------------------------
write_cm "$W" settings two; C2=$(commit_plain "$W" "two unsigned")
wait_for "cfg: an unsigned head makes the app unverified" 10 state_is cfg unverified
check_eq "/status: unverified names the commit" "$(st cfg .unverified)" "$C2"
check_eq "/status: head is the commit" "$(st cfg .head)" "$C2"
check_eq "/status: commit stays the last applied one" "$(st cfg .commit)" "$C1"
check_contains "/status: lastError says why" "$(st cfg .lastError)" "commit $C2: not signed"
check_eq "nothing applied (kubectl)" "$(cm_value settings)" one
check_eq "tether_app_unverified names the commit" "$(metric "$AG_URL" "tether_app_unverified{app=\"cfg\",commit=\"$C2\"}")" 1
check_eq "tether_app_status: state unverified" \
  "$(curl -s "$AG_URL/metrics" | grep -c '^tether_app_status{app="cfg",state="unverified",')" 1
check_eq "tether_app_condition: Ready False" "$(metric "$AG_URL" 'tether_app_condition{app="cfg",type="Ready",status="False"}')" 1
check_eq "tether_unverified_commits_total counts it" "$(metric "$AG_URL" 'tether_unverified_commits_total{app="cfg"}')" 1
wait_for "kubectl sees an Event Unverified naming the commit" 5 ev_seen "$C2"
check_contains "the Event is a Warning and says why" "$(ev "$C2")" "Warning"
check_contains "the Event says it is not signed" "$(ev "$C2")" "not signed"
g0=$(metric "$AG_URL" 'tether_git_fetch_duration_seconds_count{app="cfg"}')
sleep 3.5
check "the agent kept checking the remote (ls-remote)" test "$(metric "$AG_URL" 'tether_git_fetch_duration_seconds_count{app="cfg"}')" -gt "$g0"
check_eq "but did not retry the same head: still one refusal" \
  "$(metric "$AG_URL" 'tether_unverified_commits_total{app="cfg"}')" 1
check_eq "one unverified sync in the log" "$(grep -c "msg=sync app=cfg commit=$C2 result=unverified" "$T/ag.log")" 1
check "still unverified" state_is cfg unverified
check_eq "and one Event for it" "$(ev "$C2" | wc -l | tr -d ' ')" 1

# ---- a head signed by a key nobody trusts ---------------------------------------------
write_cm "$W" settings three; C3=$(commit_ssh "$W" "three" eve)
wait_for "cfg: the untrusted head is refused" 10 refused_is "$C3"
check_contains "/status: lastError names eve's key" "$(st cfg .lastError)" "ssh-ed25519 $EVE_SSHFP"
check_eq "tether_unverified_commits_total: two" "$(metric "$AG_URL" 'tether_unverified_commits_total{app="cfg"}')" 2
wait_for "kubectl sees an Event Unverified naming the commit" 5 ev_seen "$C3"
check_contains "the Event names eve's key" "$(ev "$C3")" "ssh-ed25519 $EVE_SSHFP"
check_eq "nothing applied (kubectl)" "$(cm_value settings)" one

# ---- a signed commit on top ---------------------------------------------------------------
write_cm "$W" settings four; C4=$(commit_ssh "$W" "four" bob)
wait_for "cfg: four (signed by bob) is synced" 10 state_is cfg synced
check_eq "kubectl sees four" "$(cm_value settings)" four
check_eq "/status: commit is four" "$(st cfg .commit)" "$C4"
check_eq "/status: no unverified head" "$(st cfg '.unverified // "none"')" none
check_eq "/status: no error" "$(st cfg .lastError)" ""
check_eq "tether_app_unverified: 0, no commit named" "$(metric "$AG_URL" 'tether_app_unverified{app="cfg",commit=""}')" 0
check_eq "tether_app_status: state synced" \
  "$(curl -s "$AG_URL/metrics" | grep -c '^tether_app_status{app="cfg",state="synced",')" 1
check_eq "tether_app_condition: Ready True" "$(metric "$AG_URL" 'tether_app_condition{app="cfg",type="Ready",status="True"}')" 1

# ---- on-failure: revert with verify: all and an SSH sign-key ------------------------------
wait_for "web: v1 (signed by bob) is synced" 20 state_is web synced
web_failing "$WW/web.yaml" nginx:broken-2; V2=$(commit_ssh "$WW" "v2 broken" bob)
wait_for "the agent pushes a revert" 30 bash -c \
  "git -C '$BARE' log -1 --format=%s main | grep -qx 'Revert \"v2 broken\"'"
R=$(git -C "$BARE" rev-parse main)
check_contains "the revert is signed (SSH)" "$(git -C "$BARE" cat-file commit "$R")" "BEGIN SSH SIGNATURE"
check "git verify-commit accepts the revert" git -C "$BARE" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" verify-commit "$R"
check_contains "git log --show-signature names tether's key" \
  "$(git -C "$BARE" -c gpg.ssh.allowedSignersFile="$T/allowed_signers" log -1 --show-signature main 2>&1)" \
  "Good \"git\" signature for robot@example.com"
wait_for "the agent syncs the revert (verify: all passes)" 20 bash -c \
  "curl -s '$AG_URL/status' | jq -e '.apps[] | select(.app == \"web\") | .commit == \"$R\" and .state == \"synced\"' >/dev/null"
check_eq "web: no unverified head" "$(st web '.unverified // "none"')" none
check_eq "the Deployment runs v1's image again" \
  "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.25
check_eq "tether_reverts_total: one" "$(metric "$AG_URL" 'tether_reverts_total{app="web"}')" 1
check_eq "web: nothing refused" "$(metric "$AG_URL" 'tether_unverified_commits_total{app="web"}')" 0
kill -TERM "$AG_PID"; wait "$AG_PID"; rc=$?
check_eq "SIGTERM: exit 0" "$rc" 0
logs=$(cat "$T/ag.log")

# ---- tether rollback --to-revision with an OpenPGP sign-key -------------------------------
git -C "$WW" pull -q origin main 2>/dev/null
web_failing "$WW/web.yaml" nginx:1.26; V3=$(commit_ssh "$WW" "v3" bob)
tsync() { "$TETHER" "$@" --repo "$GIT_BASE_URL/web.git" --ref main --app web --cache-dir "$T/cache" \
  --timeout 30s --verify all --verify-allowed-signers "$T/allowed_signers" --verify-keyring "$T/keyring.asc"; }
check_exit "v3 (signed by bob) syncs with verify: all" 0 tsync sync
# v1's ReplicaSet, reused by the revert, carries the revision of the revert now
REV=$(kubectl get rs -o json | jq -r '.items[] | select(.spec.template.spec.containers[0].image == "nginx:1.25")
  | .metadata.annotations["deployment.kubernetes.io/revision"]')
check_exit "rollback --to-revision $REV signed with the OpenPGP key, synced with verify: all" 0 \
  tsync rollback deployment/web --to-revision "$REV" -n default --sign-key "$T/rbot.sec.asc"
logs="$logs
$(cat "$T/check.out")"
TB=$(git -C "$BARE" rev-parse main)
check_eq "tether's commit is on the branch" "$(git -C "$BARE" log -1 --format=%s main)" "Roll back deployment/web to revision $REV (commit ${R:0:7})"
check_contains "it is signed (OpenPGP)" "$(git -C "$BARE" cat-file commit "$TB")" "BEGIN PGP SIGNATURE"
check "git verify-commit accepts it" env GNUPGHOME="$T/gpg-rbot" git -C "$BARE" verify-commit "$TB"
check_eq "the Deployment runs v1's image" \
  "$(kubectl get deployment web -o jsonpath='{.spec.template.spec.containers[0].image}')" nginx:1.25
check_eq "the inventory records the rollback commit" \
  "$(kubectl get cm tether-inventory-web -o jsonpath='{.data.commit}')" "$TB"
check_exit "a later sync of it passes verify: all again" 0 tsync sync

check "no private key material in any output" no_key_material "$logs" "$T/rbot.sec.asc" "$T/robot"
check "every GNUPGHOME tether made is gone" bash -c "! ls -d '$TMPDIR'/tether-gpg-* 2>/dev/null | grep -q ."
finish
