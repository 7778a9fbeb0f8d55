# Helpers for the tests/e2e/agent_*.sh scripts (sourced after lib.sh).

# agent_start NAME tether-run-flags...: starts `tether run` with its log in $T/NAME.log
# and exports NAME_URL (its endpoints) and NAME_PID.
agent_start() {
  local name=$1 i; shift
  "$TETHER" run --listen 127.0.0.1:0 --cache-dir "$T/cache-$name" "$@" 2>"$T/$name.log" &
  local pid=$!
  _pids+=($pid)
  eval "${name^^}_PID=$pid"
  for i in $(seq 1 100); do
    local url
    url=$(grep -o 'listening on http://[0-9.:]*' "$T/$name.log" 2>/dev/null | head -n1 | sed 's/listening on //')
    if [ -n "$url" ]; then eval "${name^^}_URL=$url"; return 0; fi
    kill -0 $pid 2>/dev/null || break
    sleep 0.05
  done
  echo "# agent $name did not start:"; sed 's/^/#   /' "$T/$name.log"
  return 1
}

# cm_value NAME [NS]: data.v of ConfigMap NAME.
cm_value() { kubectl get cm "$1" -n "${2:-default}" -o jsonpath='{.data.v}' 2>/dev/null; }
# cm_is NAME VALUE [NS]: succeeds when data.v is VALUE.
cm_is() { [ "$(cm_value "$1" "${3:-default}")" = "$2" ]; }

# write_cm DIR NAME VALUE [NS]: a manifest of ConfigMap NAME with data.v = VALUE.
write_cm() {
  mkdir -p "$1"
  cat >"$1/$2.yaml" <<Y
apiVersion: v1
kind: ConfigMap
metadata:
  name: $2
  namespace: ${4:-default}
data:
  v: "$3"
Y
}

# web_failing FILE IMAGE: Deployment "web" in default, one replica, with a short
# progressDeadlineSeconds so that an image that never pulls fails its rollout fast.
web_failing() {
  mkdir -p "$(dirname "$1")"
  cat >"$1" <<Y
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: default}
spec:
  replicas: 1
  progressDeadlineSeconds: 2
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers: [{name: web, image: $2}]
Y
}

# github_push URL SECRET REPO_URL [REF]: POSTs a GitHub push event signed with SECRET;
# prints the HTTP status.
github_push() {
  local body sig
  body=$(printf '{"ref":"refs/heads/%s","repository":{"clone_url":"%s","default_branch":"main"}}' "${4:-main}" "$3")
  sig=$(printf '%s' "$body" | openssl dgst -sha256 -hmac "$2" -r | cut -d' ' -f1)
  curl -s -o /dev/null -w '%{http_code}' -X POST "$1/webhook" -H 'X-GitHub-Event: push' \
    -H "X-Hub-Signature-256: sha256=$sig" -H 'Content-Type: application/json' --data-binary "$body"
}

# metric URL NAME{labels}: the value of one sample of /metrics.
metric() { curl -s "$1/metrics" | awk -v k="$2" 'index($0, k " ") == 1 { print $NF }'; }

# sim_count RESOURCE VERB: the 200s kubesim's /metrics counts for RESOURCE and VERB
# (RESOURCE "" and GET: discovery, /api and /apis), less the scrapes of /metrics made
# here before, which kubesim counts under those same labels.
sim_count() {
  local n raw
  n=$(cat "$T/scrapes" 2>/dev/null || echo 0); echo $((n + 1)) >"$T/scrapes"
  raw=$(kcurl -s "$KUBESIM_URL/metrics" | awk -v r="$1" -v v="$2" \
    'index($0, "apiserver_request_total{code=\"200\",resource=\"" r "\",verb=\"" v "\"} ") == 1 {print $NF}')
  [ "$1$2" = GET ] || n=0
  echo $(( ${raw:-0} - n ))
}
