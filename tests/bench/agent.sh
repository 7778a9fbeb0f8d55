#!/usr/bin/env bash
# tether run (issue #5):
#   (a) webhook push -> first apply request (PATCH) on kubesim     goal: < 0.5 s
#   (b) idle RSS of an agent running 20 apps, after every app synced goal: < 20 MB
# Prints figures and PASS/MISS; exits 0 (a benchmark, not a test).
. "$(dirname "$0")/../e2e/lib.sh"
. "$(dirname "$0")/helpers.bash"
. "$(dirname "$0")/../e2e/agent_common.bash"

ROUNDS=${BENCH_ROUNDS:-5}
APPS=${BENCH_APPS:-20}
[ -x "$TETHER" ] || { echo "bench: $TETHER is not built"; exit 1; }
cp "$TETHER" "$T/tether" && TETHER=$T/tether # others may relink build/tether meanwhile

kubesim_start || { echo "bench: kubesim did not start"; exit 1; }
gitd_start || { echo "bench: git daemon did not start"; exit 1; }

# ---- (a) webhook latency -----------------------------------------------------------------
W=$(git_repo hook)
write_cm "$W/deploy" hook 0
git_commit "$W" "hook 0" >/dev/null
printf 'bench-secret\n' >"$T/secret"
agent_start hook --repo "$GIT_BASE_URL/hook.git" --path deploy --app hook --interval 1h --no-wait \
  --kubeconfig "$KUBECONFIG" --webhook-secret-file "$T/secret" || exit 1
for i in $(seq 1 50); do curl -sf "$HOOK_URL/readyz" >/dev/null && break; sleep 0.1; done
# One python process posts the webhook and polls kubesim's /metrics every few ms, so
# no process start-up lands inside the measurement.
measure() { # prints the ms from the webhook POST to the first apply request (PATCH)
  python3 - "$HOOK_URL" "$KUBESIM_URL" "$GIT_BASE_URL/hook.git" bench-secret <<'PY'
import hashlib, hmac, json, re, sys, time, urllib.request
hook, sim, repo, secret = sys.argv[1:5]
def patches():
    text = urllib.request.urlopen(sim + "/metrics").read().decode()
    return sum(float(l.rsplit(" ", 1)[1]) for l in text.splitlines()
               if l.startswith("apiserver_request_total{") and 'resource=""' not in l
               and re.search(r'verb="(PATCH|APPLY)"', l))
body = json.dumps({"ref": "refs/heads/main", "repository": {"clone_url": repo}}).encode()
sig = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
before = patches()
req = urllib.request.Request(hook + "/webhook", data=body, method="POST", headers={
    "X-GitHub-Event": "push", "X-Hub-Signature-256": sig, "Content-Type": "application/json"})
t0 = time.monotonic()
urllib.request.urlopen(req).read()
while patches() == before and time.monotonic() - t0 < 10:
    time.sleep(0.002)
print(int((time.monotonic() - t0) * 1000))
PY
}
lat=()
for r in $(seq 1 "$ROUNDS"); do
  write_cm "$W/deploy" hook "$r"
  git_commit "$W" "hook $r" >/dev/null
  ms=$(measure)
  lat+=("$ms")
  for i in $(seq 1 100); do cm_is hook "$r" && break; sleep 0.05; done
  echo "  round $r: first apply request ${ms} ms after the webhook"
done
median=$(printf '%s\n' "${lat[@]}" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')
echo "(a) webhook -> first apply request: median ${median} ms over $ROUNDS pushes (ls-remote, fetch,"
echo "    render, plan and the first dry-run; load average $(cut -d' ' -f1 /proc/loadavg))   goal < 500 ms: $(bench_verdict "$median" 500 le)"
kill "$HOOK_PID"; wait "$HOOK_PID" 2>/dev/null

# ---- (b) idle RSS with 20 apps ---------------------------------------------------------------
{
  echo "kubeconfig: $KUBECONFIG"
  echo "no-wait: true"
  echo "interval: 60s"
  echo "apps:"
} >"$T/many.yaml"
for i in $(seq 1 "$APPS"); do
  Wi=$(git_repo "app$i")
  write_cm "$Wi/deploy" "app$i" 1
  git_commit "$Wi" "app $i" >/dev/null
  echo "  - {name: app$i, repo: $GIT_BASE_URL/app$i.git, path: deploy}" >>"$T/many.yaml"
done
agent_start many --config "$T/many.yaml" || exit 1
for i in $(seq 1 200); do curl -sf "$MANY_URL/readyz" >/dev/null && break; sleep 0.1; done
sleep 2
rss_kb=$(awk '/^VmRSS:/ { print $2 }' "/proc/$MANY_PID/status")
synced=$(curl -s "$MANY_URL/status" | grep -o '"state":"synced"' | wc -l)
rss_mb=$(awk -v k="$rss_kb" 'BEGIN { printf "%.1f", k / 1024 }')
echo "(b) idle RSS with $APPS apps ($synced synced): ${rss_mb} MB   goal < 20 MB: $(bench_verdict "$rss_mb" 20 le)"
exit 0
