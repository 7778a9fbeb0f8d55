#!/usr/bin/env bash
# kubesim decodes the protobuf bodies of kubectl's typed client for every built-in kind:
# each `kubectl create` subcommand stores the object that the
# JSON path stores for the same object (`kubectl create --dry-run=client -o json |
# kubectl create -f -`), compared without uid, timestamps, allocated IPs and ports and
# status. kubectl -v=8 shows the protobuf Content-Type, so the witness is the real client.
# A malformed body is the server's 400 naming the field.
. "$(dirname "$0")/lib.sh"

kc() { kubectl --request-timeout=20s "$@"; }
kubesim_start || { not_ok "kubesim starts"; finish; }
kc create namespace pb >/dev/null && kc create namespace js >/dev/null

# norm DIR < List: the pb and the js object of the List, each without what differs between
# two creates of the same object, into DIR/pb.json and DIR/js.json.
norm() {
  python3 -c '
import json, re, sys
for o in json.load(sys.stdin)["items"]:
    o.pop("status", None)
    m = o["metadata"]
    side = "js" if m.get("namespace") == "js" or m["name"].endswith("-js") else "pb"
    for k in ("uid", "resourceVersion", "creationTimestamp", "namespace", "generation"):
        m.pop(k, None)
    for f in m.get("managedFields", []):
        f.pop("time", None)
    s = o.get("spec", {})
    for k in ("clusterIP", "clusterIPs"):
        s.pop(k, None)
    for p in s.get("ports", []):
        p.pop("nodePort", None)
    t = json.dumps(o, indent=1)
    if m["name"].endswith("-js"):  # a cluster-scoped object, created twice
        t = t.replace(m["name"], m["name"][:-3])
    t = re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", "UID", t)
    t = re.sub(r"\"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z\"", "\"TIME\"", t)
    open(sys.argv[1] + "/" + side + ".json", "w").write(t + "\n")' "$1"
}

# same DESC RESOURCE NAME CREATE-ARGS...: protobuf create in pb, JSON create in js, compare.
# A cluster-scoped object (NAME ending in -pb) is created as NAME-js the second time.
# SAME_VERB names another kubectl command than create (autoscale); the JSON create then
# records the same field manager.
same() {
  local desc=$1 res=$2 name=$3 a js_name verb=${SAME_VERB:-create}; shift 3
  local js_args=()
  js_name=${name%-pb}; [ "$js_name" != "$name" ] && js_name=$js_name-pb-js || js_name=$name
  for a in "$@"; do [ "$a" = "$name" ] && js_args+=("$js_name") || js_args+=("$a"); done
  # Flags before the subcommand: a command after "--" takes everything after it.
  if ! kc -n pb -v=8 "$verb" "$@" >"$T/pb.log" 2>&1; then
    not_ok "kubectl $verb $desc (protobuf)"; sed 's/^/#   /' "$T/pb.log" | grep -v '^#   I' ; return
  fi
  if grep -q 'Content-Type: application/vnd.kubernetes.protobuf' "$T/pb.log"; then
    ok "kubectl $verb $desc sends protobuf and succeeds"
  else
    not_ok "kubectl $verb $desc sends protobuf"
  fi
  kc -n js --dry-run=client -o json "$verb" "${js_args[@]}" >"$T/js.json" &&
    kc create -f "$T/js.json" -n js --field-manager="kubectl-$verb" >/dev/null ||
    { not_ok "kubectl create -f of the same $desc (JSON)"; return; }
  rm -f "$T/pb.json" "$T/js.json"
  if [ "$js_name" != "$name" ]; then
    kc get "$res" "$name" "$js_name" -o json | norm "$T"
  else
    kc get "$res" -A --field-selector "metadata.name=$name" -o json | norm "$T"
  fi
  if diff -u "$T/js.json" "$T/pb.json" >"$T/d.txt"; then
    ok "...it stores what the JSON path stores ($desc)"
  else
    not_ok "...it stores what the JSON path stores ($desc)"; sed 's/^/#   /' "$T/d.txt"
  fi
}

same "service clusterip" service web service clusterip web --tcp=80:8080 --tcp=443:8443
same "service nodeport" service np service nodeport np --tcp=80:8080 --node-port=30080
same "service loadbalancer" service lb service loadbalancer lb --tcp=443:8443
same "service externalname" service ext service externalname ext --external-name=example.com
same "deployment" deployment web deployment web --image=nginx:1.27 --replicas=2 --port=80
same "cronjob" cronjob cj cronjob cj --image=busybox --schedule='*/5 * * * *' -- echo hi
same "job" job j1 job j1 --image=busybox -- echo hi
same "job --from=cronjob" job j2 job j2 --from=cronjob/cj
same "ingress" ingress ing ingress ing --class=nginx \
  --rule='foo.com/bar*=svc1:8080,tls=my-cert' --rule='bar.com/=svc2:http' \
  --annotation=a=b --default-backend=svc3:80
same "poddisruptionbudget" pdb pdb1 poddisruptionbudget pdb1 --selector=app=web --min-available=50%
same "configmap" configmap cm configmap cm --from-literal=a=1 --from-literal=b=two
same "secret generic" secret s1 secret generic s1 --from-literal=p=hunter2 --type=Opaque
same "secret docker-registry" secret t1 secret docker-registry t1 --docker-server=r.example.com \
  --docker-username=u --docker-password=pw
same "serviceaccount" serviceaccount sa serviceaccount sa
same "role" role r1 role r1 --verb=get,list --resource=pods,deployments.apps
same "rolebinding" rolebinding rb rolebinding rb --role=r1 --user=ann --serviceaccount=pb:sa
same "namespace" namespace team-pb namespace team-pb
same "clusterrole" clusterrole view-pb clusterrole view-pb \
  --aggregation-rule=rbac.example.com/aggregate-to-view=true
same "clusterrolebinding" clusterrolebinding bind-pb clusterrolebinding bind-pb \
  --clusterrole=view-pb --group=devs

same "priorityclass" priorityclass high-pb priorityclass high-pb --value=1000 \
  --description=important --preemption-policy=Never
same "quota" resourcequota q1 quota q1 --hard=cpu=1,memory=1Gi,pods=10 --scopes=NotTerminating
# autoscale posts an autoscaling/v1 HorizontalPodAutoscaler, stored at v2
SAME_VERB=autoscale same "deployment web" hpa web deployment web --min=2 --max=5 --cpu-percent=80
check_eq "...as a cpu Utilization metric at v2" \
  "$(kc get hpa web -n pb -o jsonpath='{.apiVersion} {.spec.metrics[0].resource.name} {.spec.metrics[0].resource.target.averageUtilization}')" \
  "autoscaling/v2 cpu 80"
check_eq "...and as targetCPUUtilizationPercentage at v1" \
  "$(kc get horizontalpodautoscalers.v1.autoscaling web -n pb -o jsonpath='{.apiVersion} {.spec.targetCPUUtilizationPercentage}')" \
  "autoscaling/v1 80"

# A ConfigMap whose metadata (field 1, a message) comes as a varint: gogo's error, as the
# server's 400.
printf 'k8s\0\n\017\n\002v1\022\tConfigMap\022\002\010\001' >"$T/bad.pb"
out=$(kcurl -s -w '\n%{http_code}' -X POST -H 'Content-Type: application/vnd.kubernetes.protobuf' \
  --data-binary @"$T/bad.pb" "$KUBESIM_URL/api/v1/namespaces/pb/configmaps")
check_eq "a malformed protobuf body is 400" "$(echo "$out" | tail -n1)" 400
check_contains "...naming the field as the Go decoder does" "$(echo "$out" | sed '$d')" \
  'ConfigMap in version \"v1\" cannot be handled as a ConfigMap: proto: wrong wireType = 0 for field ObjectMeta'
finish
