#!/usr/bin/env bash
# The output contract: every command that prints results prints -o json and -o yaml
# that a JSON and a YAML parser read (the same document either way), times in RFC 3339;
# `tether help CMD` is `tether CMD --help`; a command refuses another's flags with a
# hint, and unknown commands and flags get a "did you mean"; NO_COLOR; off a terminal a
# sync prints a timestamped line per stage and per rollout progress change while it
# runs (--progress none: nothing); the agent's JSON log lines carry numbers as numbers.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/agent_common.bash"

kubesim_start --pod-ready-ms 1500 || { not_ok "kubesim starts"; finish; }
gitd_start || { not_ok "git daemon starts"; finish; }
W=$(git_repo app)
URL=$GIT_BASE_URL/app.git
S=(--repo "$URL" --ref main --cache-dir "$T/cache") # what diff and history take
F=("${S[@]}" --timeout 60s)
RFC3339='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$'
check_match() { if [[ $2 =~ $RFC3339 ]]; then ok "$1"; else not_ok "$1"; echo "#   got: $2"; fi; }

# both NAME CMD...: CMD -o json and -o yaml into $T/NAME.json and $T/NAME.yaml; the
# two exit alike.
both() {
  local name=$1 rc1 rc2; shift
  "$@" -o json >"$T/$name.json" 2>"$T/$name.json.err"; rc1=$?
  "$@" -o yaml >"$T/$name.yaml" 2>"$T/$name.yaml.err"; rc2=$?
  check_eq "$name: -o json and -o yaml exit alike" "$rc2" "$rc1"
}
# docs NAME same|keys EXPR...: reads $T/NAME.json with json and $T/NAME.yaml with PyYAML
# (parsers independent of tether) into R: R[0] "same" when the two are one document
# (keys: have the same top-level fields; yaml: there is no json), then each EXPR (Python over the document d),
# which must give the same in both. One python3 answers every call (a coprocess).
coproc PY { python3 -u -c '
import json, sys, yaml
for line in sys.stdin:
    jf, yf, mode, *exprs = line.rstrip("\n").split("\t")
    try:
        y = yaml.safe_load(open(yf))
        j = y if mode == "yaml" else json.load(open(jf))
        a, b = (sorted(j), sorted(y)) if mode == "keys" else (j, y)
        out = ["same" if a == b else "differ: %r vs %r" % (a, b)]
        for x in exprs:
            vj, vy = eval(x, {"d": j}), eval(x, {"d": y})
            out.append(vj if vj == vy else "json %r, yaml %r" % (vj, vy))
    except Exception as e:
        out = ["error: %s" % e]
    print(len(out))
    for o in out:
        print(str(o).replace("\n", "\\n"))
'; }
_pids+=("$PY_PID")
docs() {
  local name=$1 n i line IFS=$'\t'; shift
  R=()
  printf '%s\n' "$T/$name.json"$'\t'"$T/$name.yaml"$'\t'"$*" >&"${PY[1]}"
  read -r n <&"${PY[0]}"
  for ((i = 0; i < n; i++)); do read -r line <&"${PY[0]}"; R+=("$line"); done
  check_eq "$name: the documents parse, as one ($1)" "${R[0]:-}" same
}

web_deployment nginx:1.25 3 600 >"$W/web.yaml"
V1=$(git_commit "$W" v1)

# ---- CI logs: progress lines while the sync runs ----------------------------------------
"$TETHER" sync "${F[@]}" --progress auto >"$T/first.out" 2>"$T/first.err" &
SYNC_PID=$!
wait_for "a rollout progress line is printed before the sync ends" 30 \
  grep -q 'deployment/web: .* of 3 updated replicas are available' "$T/first.err"
if kill -0 $SYNC_PID 2>/dev/null; then ok "the sync was still running then"; else
  not_ok "the sync was still running then"; fi
wait $SYNC_PID
check_eq "the sync exits 0" "$?" 0
err=$(cat "$T/first.err")
for stage in "fetch $URL main" "render ${V1:0:12}" "dry-run 1 object" "apply stage workloads: 1 object" \
  "record inventory default/tether-inventory-app" "wait for 1 rollout (--timeout 60s)" "record history"; do
  check_contains "off a terminal a line for: $stage" "$err" " app: $stage"
done
check "every progress line starts with an RFC 3339 time and the app" \
  bash -c "grep -Ev '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z app: ' '$T/first.err' | { ! grep -q .; }"
check_fail "no terminal control off a terminal" grep -q $'\033' "$T/first.err"

web_deployment nginx:1.26 3 600 >"$W/web.yaml"
V2=$(git_commit "$W" v2)
check_exit "--progress none: the sync exits 0" 0 bash -c "'$TETHER' sync ${F[*]} --no-wait --progress none 2>'$T/none.err'"
check_eq "--progress none prints nothing on stderr" "$(cat "$T/none.err")" ""
check "v2 rolls out (kubectl rollout status)" kubectl rollout status deployment/web -n default --timeout 60s
"$TETHER" sync "${F[@]}" -o json >/dev/null 2>"$T/json.err"
check_eq "-o json off a terminal: auto prints no lines (the document is the record)" "$(cat "$T/json.err")" ""
"$TETHER" sync "${F[@]}" -o json --progress plain >/dev/null 2>"$T/plain.err"
check_contains "--progress plain prints them with -o json too" "$(cat "$T/plain.err")" " app: fetch $URL main"

# ---- every command x -o json|yaml --------------------------------------------------------
t0=$(date -u +%s)
both sync "$TETHER" sync "${F[@]}" --progress none
docs sync keys 'd["result"]' 'type(d["counts"]["unchanged"]).__name__' 'type(d["time"]).__name__'
check_eq "sync: result" "${R[1]:-}" synced
check_eq "sync: counts are numbers" "${R[2]:-}" int
check_eq "sync: time is a string in both (YAML quotes it, as kubectl)" "${R[3]:-}" str
st=$(jq -r '.time' "$T/sync.json")
check "sync: time is the run's start in RFC 3339 UTC, not before the command" bash -c \
  "[[ '$st' =~ ^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z\$ ]] && [ \$(date -u -d '$st' +%s) -ge $t0 ] && [ \$(date -u -d '$st' +%s) -le \$(date -u +%s) ]"

both diff "$TETHER" diff "${S[@]}"
docs diff keys 'd["result"] + " " + str(d["exitCode"])' 'type(d["time"]).__name__'
check_eq "diff: in sync" "${R[1]:-}" "in-sync 0"
check_eq "diff: time too" "${R[2]:-}" str

both render "$TETHER" render --repo "$URL" --ref main --cache-dir "$T/cache"
docs render same 'd["apiVersion"] + " " + d["kind"] + " " + d["items"][0]["metadata"]["name"]'
check_eq "render: a v1 List of the objects" "${R[1]:-}" "v1 List web"
check "kubectl reads the List" kubectl create --dry-run=client --validate=false -o name -f "$T/render.yaml"
check_eq "render's text form stays YAML documents" \
  "$("$TETHER" render --repo "$URL" --ref main --cache-dir "$T/cache" | head -n 2)" "apiVersion: apps/v1
kind: Deployment"

both history "$TETHER" history "${S[@]}"
docs history same 'len(d[0]["revisions"])' 'd[0]["revisions"][0]["date"]'
check_eq "history: two revisions" "${R[1]:-}" 2
check_match "history: dates in RFC 3339" "${R[2]:-}"

both rollback-dry "$TETHER" rollback "$V1" "${F[@]}" --dry-run
docs rollback-dry keys 'str(d["dryRun"]) + " " + str(d["pushed"]) + " " + d["target"]' \
  '"+          image: nginx:1.25" in d["diff"]'
check_eq "rollback --dry-run: not pushed" "${R[1]:-}" "True False $V1"
check_eq "rollback --dry-run: the diff brings v1's image back" "${R[2]:-}" True
check_eq "rollback --dry-run pushed nothing" "$(git -C "$T/git/app.git" rev-parse main)" "$V2"
"$TETHER" rollback "$V1" "${F[@]}" --no-wait --progress none -o yaml >"$T/rollback.yaml" 2>"$T/rollback.err"
check_eq "rollback -o yaml: exit 0" "$?" 0
docs rollback yaml 'str(d["pushed"]) + " " + d["sync"]["result"] + " " + d["commit"]'
check_eq "rollback -o yaml: pushed and synced" "${R[1]:-}" "True synced $(git -C "$T/git/app.git" rev-parse main)"

both version "$TETHER" version
docs version same 'd["version"]'
check_contains "version: the text names the version" "$("$TETHER" version)" "tether ${R[1]:-?} ("

cat >"$T/tether.yaml" <<Y
cache-dir: $T/cache
apps:
  - name: app
    repo: $URL
    ref: main
Y
both check-config "$TETHER" check-config "$T/tether.yaml"
docs check-config same 'str(d["valid"]) + " " + ",".join(d["apps"])'
check_eq "check-config: valid, with its apps" "${R[1]:-}" "True app"
printf 'apps:\n  - name: app\n    timeout: soon\n' >"$T/bad.yaml"
both check-config-bad "$TETHER" check-config "$T/bad.yaml"
check_exit "check-config -o json of a bad file: exit 2" 2 "$TETHER" check-config "$T/bad.yaml" -o json
docs check-config-bad same 'd["error"]'
check_contains "check-config -o json: the error names file and line" "${R[1]:-}" "bad.yaml:3:"

# The agent: status, and its JSON log lines.
agent_start ag --config "$T/tether.yaml" --interval 1s --log-format json || { not_ok "agent starts"; finish; }
wait_eq "the agent synced the app" 30 synced bash -c "curl -s '$AG_URL/status' | jq -r '.apps[0].state'"
both status "$TETHER" status --listen "${AG_URL#http://}"
docs status keys 'd["apps"][0]["app"] + " " + d["apps"][0]["state"]' 'd["apps"][0]["lastSyncTime"]'
check_eq "status: the app" "${R[1]:-}" "app synced"
check_match "status: lastSyncTime in RFC 3339" "${R[2]:-}"
check "agent log: JSON lines with counts as numbers" jq -se '
  map(select(.msg == "sync")) | length > 0 and all(
    (.created, .changed, .unchanged, .pruned, .durationMs | type == "number") and (.commit | type == "string"))' "$T/ag.log"
kill "$AG_PID" 2>/dev/null

# ---- help, flags, suggestions --------------------------------------------------------------
for c in sync diff history rollback run status render check-config check-access version; do
  check_eq "tether help $c = tether $c --help" "$("$TETHER" help "$c")" "$("$TETHER" "$c" --help)"
done
check_exit "history refuses a sync-only flag: exit 2" 2 "$TETHER" history "${S[@]}" --prune
check_contains "and says which commands take it" "$(cat "$T/check.out")" "unknown flag: --prune (only sync, diff, rollback, run take it)"
check_exit "history refuses --timeout too" 2 "$TETHER" history --repo "$URL" --timeout 5s
check_exit "a mistyped flag: exit 2" 2 "$TETHER" history "${S[@]}" --namespce default
check_contains "did you mean the flag" "$(cat "$T/check.out")" "did you mean --namespace?"
check_exit "run has no -o" 2 "$TETHER" run --repo "$URL" -o json
check_exit "an unknown command: exit 2" 2 "$TETHER" synk
check_contains "did you mean the command" "$(cat "$T/check.out")" "Did you mean this?
	sync"
check_exit "a prefix is suggested too" 2 "$TETHER" hist
check_contains "hist -> history" "$(cat "$T/check.out")" "	history"
check_exit "help of an unknown command: exit 2" 2 "$TETHER" help rollbak
check_contains "help suggests too" "$(cat "$T/check.out")" "	rollback"

# ---- NO_COLOR (colours only on a terminal: script gives the diff one) -----------------------
git -C "$W" pull -q origin main 2>/dev/null # the rollback's commit
web_deployment nginx:1.27 3 600 >"$W/web.yaml"
git_commit "$W" v3 >/dev/null
script -qec "$TETHER diff ${S[*]}" /dev/null >"$T/tty.diff" 2>&1
check "diff on a terminal is coloured" grep -q $'\033\\[3[12]m' "$T/tty.diff"
NO_COLOR=1 script -qec "$TETHER diff ${S[*]}" /dev/null >"$T/nocolor.diff" 2>&1
check_contains "NO_COLOR: the diff is there" "$(cat "$T/nocolor.diff")" "+      - image: nginx:1.27"
check_fail "NO_COLOR: no colour on a terminal" grep -q $'\033\\[' "$T/nocolor.diff"
"$TETHER" diff "${S[@]}" >"$T/pipe.diff" 2>&1
check_fail "off a terminal no colour" grep -q $'\033' "$T/pipe.diff"
finish
