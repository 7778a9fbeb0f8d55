# Helpers for the benchmark scripts (sourced after tests/e2e/lib.sh).
# Benchmarks print figures and PASS/MISS against goals; they are not tests and exit 0
# unless something needed to measure is missing.

# bench_build_load: compiles tests/bench/load.c into $ROOT/$BUILD/bench/load (only when
# the source is newer). Prints nothing on success.
bench_build_load() {
  LOAD=$ROOT/$BUILD/bench/load
  mkdir -p "$ROOT/$BUILD/bench"
  if [ ! -x "$LOAD" ] || [ "$ROOT/tests/bench/load.c" -nt "$LOAD" ]; then
    cc -O2 -Wall -Wextra -Werror $(pkg-config --cflags libcurl) \
      -o "$LOAD" "$ROOT/tests/bench/load.c" $(pkg-config --libs libcurl) || return 1
  fi
}

# bench_auth: reads the current KUBECONFIG and sets SERVER and AUTH (an array of load
# options: bearer token or client certificate files under $T).
bench_auth() {
  local cfg
  cfg=$(kubectl config view --raw --minify -o json) || return 1
  SERVER=$(jq -r '.clusters[0].cluster.server' <<<"$cfg")
  AUTH=()
  local token cert key
  token=$(jq -r '.users[0].user.token // empty' <<<"$cfg")
  cert=$(jq -r '.users[0].user["client-certificate-data"] // empty' <<<"$cfg")
  key=$(jq -r '.users[0].user["client-key-data"] // empty' <<<"$cfg")
  [ -n "$token" ] && AUTH+=(-H "Authorization: Bearer $token")
  if [ -n "$cert" ] && [ -n "$key" ]; then
    base64 -d <<<"$cert" >"$T/bench-client.crt"
    base64 -d <<<"$key" >"$T/bench-client.key"
    AUTH+=(-E "$T/bench-client.crt" -K "$T/bench-client.key")
  fi
  return 0
}

# bench_field LINE NAME: the value of NAME=... in a load output line.
bench_field() { sed -n "s/.*\\b$2=\\([^ ]*\\).*/\\1/p" <<<"$1"; }

# bench_verdict VALUE GOAL [le]: PASS when VALUE >= GOAL (or <= with "le").
bench_verdict() {
  if [ "${3:-ge}" = le ]; then
    awk -v v="$1" -v g="$2" 'BEGIN { print (v != "" && v <= g) ? "PASS" : "MISS" }'
  else
    awk -v v="$1" -v g="$2" 'BEGIN { print (v != "" && v >= g) ? "PASS" : "MISS" }'
  fi
}

# kubesim_verbs: "VERB COUNT" lines summed from kubesim's /metrics over resource
# requests (resource=""  is discovery, /version, OpenAPI and the /metrics scrape itself).
kubesim_verbs() {
  curl -sk "$KUBESIM_URL/metrics" | awk '
    /^apiserver_request_total\{/ && !/resource=""/ {
      if (match($0, /verb="[A-Za-z]+"/)) { v = substr($0, RSTART + 6, RLENGTH - 7); s[v] += $NF }
    }
    END { for (v in s) print v, s[v] }' | sort
}
