#!/usr/bin/env bash
# `make demo`: the whole story on loopback, in a temporary directory.
# kubesim (our API-server emulator) plays the cluster, a git daemon plays the Git host,
# and tether keeps the one in step with the other:
#   v1 -> sync -> revision 1; v2 -> sync -> revision 2; v3 with an image that cannot be
#   pulled -> sync fails and names the image; git revert v3 and v2 -> sync -> the cluster
#   is back on v1's ReplicaSet (reused, not recreated); tether history; tether rollback
#   to revision 2 (a commit tether pushes); a StatefulSet's revisions and the git revert
#   of one; then the agent, tether run, syncing three apps at once (two of them tenants
#   running as their team's ServiceAccount, their records tether's own), applying a push
#   within seconds and reverting a commit whose rollout fails (on-failure: revert).
# Everything it starts is stopped on exit. Exits 0 when the story went as told.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
. "$ROOT/tests/e2e/lib.sh" # fresh temp dir and HOME, kubesim_start, gitd_start, cleanup

if [ -t 1 ]; then B=$'\033[1m' D=$'\033[2m' N=$'\033[0m'; else B='' D='' N=''; fi
section() { printf '\n%s== %s%s\n' "$B" "$*" "$N"; }
say() { printf '%s\n' "$*"; }
# show CMD...: prints the command as a user would type it, then runs it.
show() { printf '%s$ %s%s\n' "$D" "$*" "$N"; "$@"; }
die() { printf '\n%sdemo stopped: %s%s\n' "$B" "$*" "$N"; exit 1; }

[ -x "$TETHER" ] && [ -x "$KUBESIM" ] || die "build first: make all"
has_cmd() { "$TETHER" --help 2>&1 | grep -Eq "^ +$1( |$)"; }

section "Setting up: a cluster (kubesim) and a Git host (git daemon) on 127.0.0.1"
# RBAC as a kube-apiserver enforces it: the kubeconfig is the cluster's administrator;
# the tenants' apps (the agent, below) act as their ServiceAccounts.
kubesim_start --pod-ready-ms 300 --fail-images 'registry.invalid/*' --authorization-mode RBAC ||
  die "kubesim did not start"
say "cluster:  $KUBESIM_URL (kubeconfig $KUBECONFIG)"
gitd_start || die "git daemon did not start"
WORK=$(git_repo shop)
REPO_URL=$GIT_BASE_URL/shop.git
say "git host: $REPO_URL"

# manifests IMAGE MESSAGE: writes the app's manifests for one version.
manifests() {
  mkdir -p "$WORK/deploy"
  cat >"$WORK/deploy/web.yaml" <<EOF
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  namespace: default
spec:
  replicas: 2
  progressDeadlineSeconds: 8
  selector:
    matchLabels:
      app: web
  template:
    metadata:
      labels:
        app: web
    spec:
      containers:
      - name: web
        image: $1
        ports:
        - containerPort: 80
---
apiVersion: v1
kind: Service
metadata:
  name: web
  namespace: default
spec:
  selector:
    app: web
  ports:
  - port: 80
EOF
  cat >"$WORK/deploy/settings.yaml" <<EOF
apiVersion: v1
kind: ConfigMap
metadata:
  name: web-settings
  namespace: default
data:
  greeting: "$2"
EOF
}
commit() { # message
  git -C "$WORK" add -A && git -C "$WORK" commit -q -m "$1" && git -C "$WORK" push -q origin HEAD:main
  say "${D}pushed $(git -C "$WORK" log --oneline -1)${N}"
}
sync() { show "$TETHER" sync --repo "$REPO_URL" --path deploy --app shop --timeout 60s; }
pods() {
  show kubectl get pods -l app=web -o custom-columns='POD:.metadata.name,IMAGE:.spec.containers[0].image,READY:.status.containerStatuses[0].ready,WAITING:.status.containerStatuses[0].state.waiting.reason'
}
history() {
  show kubectl rollout history deployment/web
  show kubectl get replicasets -l app=web \
    -o custom-columns='REPLICASET:.metadata.name,REVISION:.metadata.annotations.deployment\.kubernetes\.io/revision,DESIRED:.spec.replicas,READY:.status.readyReplicas,IMAGE:.spec.template.spec.containers[0].image'
}
rs_of_revision() {
  kubectl get rs -l app=web -o json | jq -r --arg r "$1" \
    '.items[] | select(.metadata.annotations["deployment.kubernetes.io/revision"]==$r) | .metadata.name'
}

section "v1: the first version, synced"
say "A Deployment (2 replicas of nginx:1.25), a Service and a ConfigMap, committed and pushed."
say "tether fetches the commit, dry-runs every object, applies them and waits for the rollout."
manifests nginx:1.25 "hello from v1"
commit "v1: web on nginx 1.25"
sync || die "the first sync failed"
say "The Deployment's first ReplicaSet is revision 1:"
history
RS_V1=$(rs_of_revision 1)
[ -n "$RS_V1" ] || die "no ReplicaSet at revision 1"
V1=$(git -C "$WORK" rev-parse --short HEAD)
if kubectl get rs "$RS_V1" -o jsonpath='{.metadata.annotations.kubernetes\.io/change-cause}' | grep -q "$V1"; then
  say "CHANGE-CAUSE names the commit: tether sets kubernetes.io/change-cause when a pod template"
  say "changes, and the deployment controller copies it onto that revision's ReplicaSet."
fi

section "v2: a new image; the sync makes revision 2"
manifests nginx:1.26 "hello from v2"
commit "v2: nginx 1.26"
say "Before syncing, tether diff shows what would change (exit 1: there are changes):"
show "$TETHER" diff --repo "$REPO_URL" --path deploy --app shop
sync || die "the second sync failed"
say "A new pod template means a new ReplicaSet, revision 2; revision 1 is scaled to 0:"
history
[ -n "$(rs_of_revision 2)" ] || die "no ReplicaSet at revision 2"

section "v3: an image that does not exist; the sync fails and says why"
manifests registry.invalid/nginx:9.9 "hello from v3"
commit "v3: nginx from a registry that does not exist"
sync >"$T/v3.out" 2>&1
rc=$?
cat "$T/v3.out"
say "${D}(exit status $rc)${N}"
[ "$rc" -eq 1 ] || die "the failing rollout should exit 1, not $rc"
grep -q 'registry.invalid/nginx:9.9' "$T/v3.out" || die "the failure should name the image"
say "tether exited 1 and named the image. The old pods keep serving while the new one"
say "cannot pull its image (the Deployment stopped at the surge point):"
pods

section "Rollback the Git way: git revert v3 and v2, then sync"
say "No special rollback command: Git stays the truth. Revert the bad commit and v2:"
show git -C "$WORK" revert --no-edit HEAD HEAD~1 >/dev/null
git -C "$WORK" push -q origin HEAD:main
show git -C "$WORK" log --oneline
sync || die "the sync of the reverts failed"
history
pods
[ "$(kubectl get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}')" = nginx:1.25 ] ||
  die "the deployment should run nginx:1.25 again"
NOW=$(kubectl get deploy web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')
[ "$(rs_of_revision "$NOW")" = "$RS_V1" ] || die "v1's ReplicaSet $RS_V1 should be the current revision"
say "v1's ReplicaSet $RS_V1 is back in service as revision $NOW: no new ReplicaSet was made."

if has_cmd history; then
  section "tether history: every revision joined with the commit that made it"
  show "$TETHER" history --repo "$REPO_URL" --path deploy --app shop
fi

if has_cmd rollback; then
  section "tether rollback: the same through a command (dry run: shows the commit it would push)"
  show "$TETHER" rollback --repo "$REPO_URL" --ref main --path deploy --app shop \
    deployment/web --to-revision 2 --dry-run

  section "tether rollback for real: a commit on the branch, pushed, then synced"
  say "Without --ref, tether commits to the remote's default branch."
  RS_V2=$(rs_of_revision 2)
  RS_COUNT=$(kubectl get rs -l app=web -o name | wc -l)
  show "$TETHER" rollback --repo "$REPO_URL" --path deploy --app shop deployment/web \
    --to-revision 2 --timeout 60s || die "tether rollback failed"
  git -C "$WORK" pull -q --ff-only origin main
  show git -C "$WORK" log --oneline -3
  history
  NOW=$(kubectl get deploy web -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')
  [ "$(rs_of_revision "$NOW")" = "$RS_V2" ] || die "v2's ReplicaSet $RS_V2 should be the current revision"
  [ "$(kubectl get rs -l app=web -o name | wc -l)" -eq "$RS_COUNT" ] || die "a rollback made a ReplicaSet"
  show "$TETHER" history --repo "$REPO_URL" --path deploy --app shop
  say "v2's ReplicaSet $RS_V2 is back as revision $NOW, and the branch says who did it and why."
fi

section "A StatefulSet: its revisions are commits too"
say "The same story for a StatefulSet (and a DaemonSet): the change-cause goes on the set,"
say "the controller copies it onto the ControllerRevision it makes, and git revert brings"
say "the earlier ControllerRevision back under a new number."
db() { # image
  cat >"$WORK/deploy/db.yaml" <<EOF
apiVersion: apps/v1
kind: StatefulSet
metadata:
  name: db
  namespace: default
spec:
  replicas: 2
  serviceName: db
  selector:
    matchLabels:
      app: db
  template:
    metadata:
      labels:
        app: db
    spec:
      containers:
      - name: db
        image: $1
EOF
}
db nginx:1.25
commit "db: a StatefulSet on nginx 1.25"
sync >/dev/null || die "the sync of the StatefulSet failed"
db nginx:1.26
commit "db: nginx 1.26"
sync >/dev/null || die "the sync of the StatefulSet's v2 failed"
show git -C "$WORK" revert --no-edit HEAD | sed -n 1p
git -C "$WORK" push -q origin HEAD:main
sync >/dev/null || die "the sync of the StatefulSet's revert failed"
show kubectl rollout history statefulset/db
show "$TETHER" history --repo "$REPO_URL" --path deploy --app shop sts/db
[ "$(kubectl get controllerrevisions -l app=db -o name | wc -l)" -eq 2 ] ||
  die "the revert should bring a ControllerRevision back, not make one"
say "Two ControllerRevisions, three revisions: revision 3 is v1's, brought back by the revert."

section "One owner per object: another app that renders the same objects is refused"
say "A second app, 'shop-copy', pointed at the same manifests: tether stops before the"
say "first write (exit 2) and names the object and both apps, instead of taking it over."
rc=0
show "$TETHER" sync --repo "$REPO_URL" --path deploy --app shop-copy --no-wait || rc=$?
say "${D}(exit status $rc)${N}"
[ "$rc" -eq 2 ] || die "the second app should have been refused with exit 2"
show kubectl get deploy web -o 'jsonpath={.metadata.labels.tether\.dev/app}{"\n"}'
[ "$(kubectl get deploy web -o 'jsonpath={.metadata.labels.tether\.dev/app}')" = shop ] ||
  die "the Deployment should still belong to shop"

if has_cmd run; then
  section "The agent: tether run syncs several apps at once, two of them tenants"
  say "Two teams get a namespace, a ServiceAccount 'deployer' with rights there only, and"
  say "tether's right to act as it (examples/tenants/rbac.yaml). Their manifests are pushed"
  say "to the same repository, under team-a/ and team-b/."
  kubectl create namespace tether-system >/dev/null || die "no namespace tether-system"
  show kubectl apply -f "$ROOT/examples/tenants/rbac.yaml" >"$T/rbac.out" || die "rbac.yaml: $(cat "$T/rbac.out")"
  say "$(grep -c created "$T/rbac.out") objects created"
  team() { # name
    mkdir -p "$WORK/$1"
    web_deployment nginx:1.25 1 30 | sed "s/^  name: web\$/  name: web\n  namespace: $1/" >"$WORK/$1/web.yaml"
    printf 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: %s}\ndata: {owner: %s}\n' \
      "$1" "$1" >"$WORK/$1/settings.yaml"
  }
  team team-a && team team-b
  commit "team-a and team-b: their first versions"
  AGENT_CONF=$T/tether.yaml
  cat >"$AGENT_CONF" <<EOF
interval: 1s # 60s by default, or at once on a webhook
workers: 4   # apps checked and synced at once
listen: 127.0.0.1:0
apps:
  - {name: shop, repo: $REPO_URL, path: deploy, on-failure: revert, timeout: 30s}
  - name: team-a
    repo: $REPO_URL
    path: team-a
    namespace: team-a
    service-account: team-a/deployer   # every request on its objects as that account
    inventory-namespace: tether-system # its records are tether's, out of the team's reach
  - {name: team-b, repo: $REPO_URL, path: team-b, namespace: team-b,
     service-account: team-b/deployer, inventory-namespace: tether-system}
EOF
  say "One agent for the three apps (shop's failing commits are reverted: on-failure):"
  sed 's/^/  /' "$AGENT_CONF"
  AGENT_LOG=$T/agent.log
  say "${D}\$ $TETHER run --config $AGENT_CONF &${N}"
  "$TETHER" run --config "$AGENT_CONF" >"$AGENT_LOG" 2>&1 &
  AGENT_PID=$!
  _pids+=("$AGENT_PID")
  agent_url() { sed -n 's/.*listening on \(http:[^ "]*\).*/\1/p' "$AGENT_LOG" | head -n1; }
  image() { kubectl get deploy web -o jsonpath='{.spec.template.spec.containers[0].image}'; }
  wait_until() { # SECONDS CMD...: polls CMD until it succeeds
    local end=$((SECONDS + $1)); shift
    until "$@" >/dev/null 2>&1; do [ $SECONDS -lt $end ] || return 1; sleep 0.2; done
  }
  agent_up() { test -n "$(agent_url)"; }
  runs() { test "$(image)" = "$1"; }
  teams_synced() { [ "$(grep -c 'msg=sync app=team-' "$AGENT_LOG")" -ge 2 ]; }
  wait_until 15 agent_up || die "the agent did not start: $(tail -5 "$AGENT_LOG")"
  say "agent listening on $(agent_url)"
  wait_until 30 teams_synced || die "the agent did not sync the teams' apps: $(tail -5 "$AGENT_LOG")"
  say "The two new apps synced in the agent's first round, each on a worker of its own:"
  grep 'msg=sync app=team-' "$AGENT_LOG" | tail -2 | sed 's/^/  /'
  show kubectl get deploy,configmap -n team-b -l tether.dev/app=team-b
  say "Their objects were written as the teams' ServiceAccounts; their records by tether,"
  say "in tether-system, where no team may write:"
  show kubectl get configmaps -n tether-system -l app.kubernetes.io/managed-by=tether
  show kubectl auth can-i patch configmaps -n tether-system --as system:serviceaccount:team-a:deployer
  [ "$(kubectl get cm settings -n team-a -o jsonpath='{.data.owner}')" = team-a ] ||
    die "team-a's ConfigMap should be in team-a"

  manifests nginx:1.27 "hello from v4"
  commit "v4: nginx 1.27"
  V4=$(git -C "$WORK" rev-parse HEAD)
  logged() { grep -q "msg=sync app=shop .*commit=$V4" "$AGENT_LOG"; }
  wait_until 30 runs nginx:1.27 || die "the agent did not apply v4"
  wait_until 10 logged || die "the agent did not log the sync of v4"
  say "Within seconds of the push, the cluster runs nginx:1.27. What the agent logged:"
  grep "msg=sync app=shop .*commit=$V4" "$AGENT_LOG" | tail -1 | sed 's/^/  /'
  show "$TETHER" status --listen "$(agent_url | sed 's|http://||')"

  manifests registry.invalid/nginx:9.9 "hello from v5"
  commit "v5: a bad image again"
  say "v5 cannot start; the agent waits for its rollout, sees it fail, and reverts it..."
  remote_log() { git --git-dir="$T/git/shop.git" log --oneline -3 main; }
  wait_until 60 grep -q 'msg=revert' "$AGENT_LOG" || die "the agent did not revert v5: $(tail -5 "$AGENT_LOG")"
  wait_until 30 runs nginx:1.27 || die "the cluster should be back on nginx:1.27"
  grep 'msg=revert' "$AGENT_LOG" | tail -1 | sed 's/^/  /'
  say "The branch now holds the revert tether pushed (Git stays the truth):"
  show remote_log
  history
  curl -s "$(agent_url)/metrics" | grep -E '^tether_(sync_total|reverts_total|rollout_failures_total)\{app="shop"' | sed 's/^/  /'
  kill -TERM "$AGENT_PID" && wait "$AGENT_PID" 2>/dev/null
  say "SIGTERM: the agent finished what it was doing and exited."
fi

section "Done"
say "Everything ran on 127.0.0.1 in $T and is being stopped now."
exit 0
