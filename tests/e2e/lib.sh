# Shared helpers for the end-to-end tests. Source it first thing:
#   . "$(dirname "$0")/lib.sh"
# Each test gets a fresh temporary directory and HOME (kubectl caches discovery and the
# dispatcher's /version under HOME), and everything it starts is stopped on exit.
# Checks print "ok - ..." or "not ok - ..."; tests/run.sh counts them.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=${BUILD:-build}
TETHER=$ROOT/$BUILD/tether
KUBESIM=$ROOT/$BUILD/kubesim
T=$(mktemp -d /tmp/tether-e2e.XXXXXX)
export HOME=$T/home
mkdir -p "$HOME"
export GIT_AUTHOR_NAME="Test Author" GIT_AUTHOR_EMAIL="author@example.com"
export GIT_COMMITTER_NAME="Test Author" GIT_COMMITTER_EMAIL="author@example.com"
export GIT_CONFIG_NOSYSTEM=1
git config --global init.defaultBranch main
git config --global advice.detachedHead false
unset KUBECONFIG
_pids=()
_failed=0

_cleanup() {
  local p
  for p in "${_pids[@]}"; do kill "$p" 2>/dev/null; done
  for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
  if [ "${KEEP_TMP:-}" = "" ]; then rm -rf "$T"; else echo "# kept $T"; fi
}
trap _cleanup EXIT

ok()     { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; _failed=1; }

# check "description" command args...   (passes when the command exits 0)
check() {
  local d=$1; shift
  if "$@" >"$T/check.out" 2>&1; then ok "$d"; else
    not_ok "$d"; sed 's/^/#   /' "$T/check.out" | tail -n 20
  fi
}
# check_fail "description" command args...   (passes when the command exits non-zero)
check_fail() {
  local d=$1; shift
  if "$@" >"$T/check.out" 2>&1; then
    not_ok "$d (unexpected success)"; sed 's/^/#   /' "$T/check.out" | tail -n 20
  else ok "$d"; fi
}
# check_exit "description" CODE command args...   (passes when the exit status is CODE)
check_exit() {
  local d=$1 want=$2 rc; shift 2
  "$@" >"$T/check.out" 2>&1; rc=$?
  if [ "$rc" -eq "$want" ]; then ok "$d"; else
    not_ok "$d (exit $rc, wanted $want)"; sed 's/^/#   /' "$T/check.out" | tail -n 20
  fi
}
# check_eq "description" "actual" "expected"
check_eq() {
  if [ "$2" = "$3" ]; then ok "$1"; else not_ok "$1"; echo "#   got:  $2"; echo "#   want: $3"; fi
}
# check_contains "description" "haystack" "needle"
check_contains() {
  case "$2" in *"$3"*) ok "$1" ;; *) not_ok "$1"; echo "#   wanted to find: $3"; printf '%s\n' "$2" | sed 's/^/#   /' | tail -n 20 ;; esac
}
# wait_for "description" SECONDS command args...   (polls until the command succeeds)
wait_for() {
  local d=$1 secs=$2 end; shift 2
  end=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
  while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
    if "$@" >"$T/wait.out" 2>&1; then ok "$d"; return 0; fi
    sleep 0.1
  done
  not_ok "$d (timed out after ${secs}s)"; sed 's/^/#   /' "$T/wait.out" | tail -n 20
  return 1
}

# wait_eq "description" SECONDS EXPECTED command args...   (polls until the command's
# output equals EXPECTED; the command runs again on every poll)
wait_eq() {
  local d=$1 secs=$2 want=$3 end got=""; shift 3
  end=$(( $(date +%s%N) / 1000000 + secs * 1000 ))
  while [ $(( $(date +%s%N) / 1000000 )) -lt "$end" ]; do
    got=$("$@" 2>/dev/null)
    if [ "$got" = "$want" ]; then ok "$d"; return 0; fi
    sleep 0.1
  done
  not_ok "$d (timed out after ${secs}s)"; echo "#   got:  $got"; echo "#   want: $want"
  return 1
}

# web_deployment IMAGE REPLICAS DEADLINE_S: the YAML of a Deployment "web" (label
# app=web, one container "web") with that image, replica count and progress deadline.
web_deployment() {
  cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  replicas: $2
  progressDeadlineSeconds: $3
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web}
    spec:
      containers:
        - name: web
          image: $1
YAML
}

# kubesim_start [NAME] [kubesim flags...]: starts kubesim on a free loopback port and
# exports KUBECONFIG, KUBESIM_URL and KUBESIM_TOKEN (the kubeconfig's administrator
# token; empty with --client-ca). NAME (default "sim") names its files in $T. kubesim
# serves HTTPS with RBAC, as kube-apiserver: talk to it with kcurl, not plain curl.
kubesim_start() {
  local name=sim
  if [ $# -gt 0 ] && [[ $1 != -* ]]; then name=$1; shift; fi
  "$KUBESIM" --listen 127.0.0.1:0 --kubeconfig-out "$T/$name.kubeconfig" "$@" \
    >"$T/$name.out" 2>"$T/$name.err" &
  _pids+=($!)
  eval "${name^^}_PID=$!"
  local i
  for i in $(seq 1 100); do
    if grep -q '^kubesim listening on ' "$T/$name.out" 2>/dev/null; then
      KUBESIM_URL=$(sed -n 's/^kubesim listening on //p' "$T/$name.out" | head -n1)
      KUBESIM_TOKEN=$(sed -n 's/^    token: //p' "$T/$name.kubeconfig" | head -n1)
      export KUBECONFIG=$T/$name.kubeconfig KUBESIM_URL KUBESIM_TOKEN
      return 0
    fi
    sleep 0.05
  done
  echo "# kubesim did not start:"; sed 's/^/#   /' "$T/$name.err"
  return 1
}

# kcurl ARGS...: curl as the kubeconfig's administrator (the last kubesim_start's bearer
# token; -k for kubesim's generated CA). Without it a request is system:anonymous.
kcurl() {
  local auth=()
  [ -n "${KUBESIM_TOKEN:-}" ] && auth=(-H "Authorization: Bearer $KUBESIM_TOKEN")
  curl -k "${auth[@]}" "$@"
}

# Count of requests kubesim served, from /metrics, optionally for one verb.
kubesim_requests() {
  kcurl -s "$KUBESIM_URL/metrics" | awk -v verb="${1:-}" '
    /^apiserver_request_total\{/ { if (verb == "" || index($0, "verb=\"" verb "\"")) s += $NF }
    END { print s + 0 }'
}

# gitd_start: a git daemon on a free loopback port serving $T/git (push enabled).
# Exports GIT_BASE_URL (git://127.0.0.1:PORT). Its log ($T/gitd.log) names every
# request: gitd_requests counts them.
gitd_start() {
  mkdir -p "$T/git"
  local port i
  for i in $(seq 1 20); do
    port=$((20000 + RANDOM % 40000))
    git daemon --verbose --reuseaddr --listen=127.0.0.1 --port=$port --base-path="$T/git" \
      --export-all --enable=receive-pack "$T/git" >"$T/gitd.log" 2>&1 &
    local pid=$!
    sleep 0.3
    if kill -0 $pid 2>/dev/null; then
      _pids+=($pid); GIT_BASE_URL=git://127.0.0.1:$port; export GIT_BASE_URL; return 0
    fi
  done
  echo "# git daemon did not start"; return 1
}

# gitd_requests NAME: fetches and ls-remotes of $T/git/NAME.git the git daemon served
# (one upload-pack each; pushes are receive-pack).
gitd_requests() { grep -c "Request upload-pack for '/$1.git'" "$T/gitd.log"; }

# git_repo NAME: creates a bare repository $T/git/NAME.git and a work tree
# $T/work/NAME cloned from it. Prints the work tree path.
git_repo() {
  mkdir -p "$T/git" "$T/work"
  git init -q --bare "$T/git/$1.git"
  git -C "$T/git/$1.git" symbolic-ref HEAD refs/heads/main
  git clone -q "$T/git/$1.git" "$T/work/$1" 2>/dev/null
  git -C "$T/work/$1" checkout -q -b main 2>/dev/null || true
  echo "$T/work/$1"
}

# git_commit DIR MESSAGE: commits everything in DIR and pushes it; prints the SHA.
git_commit() {
  git -C "$1" add -A && git -C "$1" commit -q -m "$2" && git -C "$1" push -q origin HEAD:main 2>/dev/null
  git -C "$1" rev-parse HEAD
}

# finish: exit status for the test script.
finish() { exit $_failed; }

# crd_with_schema PLURAL KIND [VERSION]: a namespaced CRD of example.com served and
# stored at VERSION (v1) whose openAPIV3Schema is stdin (YAML indented by 8 spaces).
crd_with_schema() {
  cat <<YAML
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata: {name: $1.example.com}
spec:
  group: example.com
  scope: Namespaced
  names: {plural: $1, singular: ${1%s}, kind: $2}
  versions:
  - name: ${3:-v1}
    served: true
    storage: true
    schema:
      openAPIV3Schema:
YAML
  cat
}

# widgets_crd: the CustomResourceDefinition of example.com/v1 Widget (namespaced, any
# content), for the tests that sync a custom resource.
widgets_crd() {
  crd_with_schema widgets Widget <<'YAML'
        type: object
        x-kubernetes-preserve-unknown-fields: true
YAML
}
