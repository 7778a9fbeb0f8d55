#!/usr/bin/env bash
# kubesim with --authorization-mode RBAC, the real kubectl as the witness: static
# tokens (--users, SIGHUP), 401 and anonymous, and a matrix of grants (Role in one
# namespace, ClusterRole through a RoleBinding, ClusterRoleBinding, resourceNames, a
# subresource, a non-resource URL, an aggregated ClusterRole) where each allowed request
# succeeds and each other fails with the exact 403 message of kube-apiserver 1.32;
# ServiceAccount tokens from `kubectl create token`, `kubectl auth whoami` for a static
# token, an SA token and a client certificate, and escalation prevention (escalate, bind).
. "$(dirname "$0")/lib.sh"

USERS=$T/users.csv
printf 'alice-token,alice,1001,"dev,ops"\nbob-token,bob,1002\n' >"$USERS"
kubesim_start --authorization-mode RBAC --users "$USERS" || { not_ok "kubesim starts"; finish; }
U=$KUBESIM_URL
kc()    { kubectl --request-timeout=20s "$@"; }
alice() { kubectl --request-timeout=20s --token alice-token "$@"; }
bob()   { kubectl --request-timeout=20s --token bob-token "$@"; }
# the HTTP code and body of a request as TOKEN ("" = anonymous)
raw() {
  local tok=$1; shift
  if [ -n "$tok" ]; then curl -sk -H "Authorization: Bearer $tok" "$@"; else curl -sk "$@"; fi
}
forbidden() { echo "Error from server (Forbidden): $1"; }

# ---- authentication -------------------------------------------------------------------
check_contains "the kubeconfig's administrator may list namespaces" "$(kc get ns 2>&1)" "kube-system"
check_eq "a bad token is 401 with the real Status" \
  "$(raw wrong-token "$U/api/v1/namespaces")" \
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'
check_eq "kubectl with a bad token" "$(kubectl --token wrong-token get ns 2>&1)" \
  "error: You must be logged in to the server (Unauthorized)"
check_eq "anonymous may not read /api" "$(raw "" "$U/api")" \
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"forbidden: User \"system:anonymous\" cannot get path \"/api\"","reason":"Forbidden","details":{},"code":403}'
check_contains "anonymous may read /version (system:public-info-viewer)" "$(raw "" "$U/version")" '"minor":"32"'
check_eq "anonymous may not list namespaces" "$(raw "" "$U/api/v1/namespaces")" \
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"namespaces is forbidden: User \"system:anonymous\" cannot list resource \"namespaces\" in API group \"\" at the cluster scope","reason":"Forbidden","details":{"kind":"namespaces"},"code":403}'
check_eq "a token user reaches discovery (system:authenticated)" \
  "$(raw alice-token -o /dev/null -w '%{http_code}' "$U/apis")" 200
check_eq "a token user without grants may not list pods" "$(alice get pods -n default 2>&1)" \
  "$(forbidden 'pods is forbidden: User "alice" cannot list resource "pods" in API group "" in the namespace "default"')"

kc create namespace a >/dev/null; kc create namespace b >/dev/null; kc create namespace c >/dev/null
kc create configmap one -n a --from-literal=k=1 >/dev/null
kc create configmap two -n a --from-literal=k=2 >/dev/null
kc create configmap c1 -n b --from-literal=k=1 >/dev/null
kc create secret generic s1 -n c --from-literal=k=1 >/dev/null

# ---- a Role in namespace a (read configmaps) bound to User alice ---------------------------
kc apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: cm-reader, namespace: a}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, watch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-reads, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}
YAML
check_eq "can-i: alice may list configmaps in a" "$(alice auth can-i list configmaps -n a 2>&1)" yes
check_exit "can-i: but not create them (exit 1)" 1 alice auth can-i create configmaps -n a
check_eq "can-i: nor list them in b" "$(alice auth can-i list configmaps -n b 2>&1)" no
check_contains "Role: alice lists configmaps in a" "$(alice get cm -n a 2>&1)" "one"
check_eq "Role: alice gets one configmap in a" "$(alice get cm one -n a -o jsonpath='{.data.k}' 2>&1)" 1
check_eq "Role: a watch is allowed by the watch verb" \
  "$(raw alice-token -o /dev/null -w '%{http_code}' -m 1 "$U/api/v1/namespaces/a/configmaps?watch=1")" 200
check_eq "Role: not in namespace b" "$(alice get cm -n b 2>&1)" \
  "$(forbidden 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "b"')"
check_contains "Role: a watch in b is forbidden as watch" \
  "$(raw alice-token "$U/api/v1/namespaces/b/configmaps?watch=true")" \
  'cannot watch resource \"configmaps\" in API group \"\" in the namespace \"b\"'
check_eq "Role: no create" "$(alice create cm x -n a --from-literal=k=1 2>&1)" \
  "error: failed to create configmap: configmaps is forbidden: User \"alice\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"a\""
check_eq "Role: no server-side dry-run create either" \
  "$(alice create cm x -n a --from-literal=k=1 --dry-run=server 2>&1)" \
  "error: failed to create configmap: configmaps is forbidden: User \"alice\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"a\""
check_eq "Role: no patch" "$(alice patch cm one -n a -p '{"data":{"k":"9"}}' 2>&1)" \
  "$(forbidden 'configmaps "one" is forbidden: User "alice" cannot patch resource "configmaps" in API group "" in the namespace "a"')"
check_eq "Role: no delete" "$(alice delete cm one -n a 2>&1)" \
  "$(forbidden 'configmaps "one" is forbidden: User "alice" cannot delete resource "configmaps" in API group "" in the namespace "a"')"
check_eq "a forbidden get of a missing object is 403, not 404" "$(alice get secret nope -n a 2>&1)" \
  "$(forbidden 'secrets "nope" is forbidden: User "alice" cannot get resource "secrets" in API group "" in the namespace "a"')"

# ---- a ClusterRole bound by a RoleBinding in b to Group dev ----------------------------------
kc apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cm-writer}
rules:
- {apiGroups: [""], resources: [configmaps], verbs: [get, list, create, patch, delete]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dev-writes, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cm-writer}
subjects:
- {kind: Group, apiGroup: rbac.authorization.k8s.io, name: dev}
YAML
check_eq "can-i: ClusterRole via RoleBinding in b" "$(alice auth can-i create configmaps -n b 2>&1)" yes
check_eq "can-i: ClusterRole via RoleBinding, not cluster-wide" "$(alice auth can-i list configmaps -A 2>&1)" no
check "ClusterRole via RoleBinding: create in b" alice create cm made -n b --from-literal=k=1
check "ClusterRole via RoleBinding: server-side dry-run create in b" \
  alice create cm dry -n b --from-literal=k=1 --dry-run=server
check_fail "the dry-run stored nothing" kc get cm dry -n b
check "ClusterRole via RoleBinding: patch in b" alice patch cm c1 -n b -p '{"data":{"k":"2"}}'
check "ClusterRole via RoleBinding: delete in b" alice delete cm made -n b
check_eq "ClusterRole via RoleBinding: not at the cluster scope" "$(alice get cm -A 2>&1)" \
  "$(forbidden 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" at the cluster scope')"
check_eq "ClusterRole via RoleBinding: not in c" "$(alice create cm x -n c --from-literal=k=1 2>&1)" \
  "error: failed to create configmap: configmaps is forbidden: User \"alice\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"c\""

# ---- a ClusterRoleBinding to User bob ---------------------------------------------------
check_eq "before the ClusterRoleBinding bob may not list namespaces" "$(bob get ns 2>&1)" \
  "$(forbidden 'namespaces is forbidden: User "bob" cannot list resource "namespaces" in API group "" at the cluster scope')"
kc apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: ns-reader}
rules:
- {apiGroups: [""], resources: [namespaces], verbs: [get, list]}
- {nonResourceURLs: ["/logs/*"], verbs: [get]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: bob-ns}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ns-reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: bob}
YAML
check_eq "can-i: ClusterRoleBinding" "$(bob auth can-i list namespaces 2>/dev/null)" yes
check_contains "ClusterRoleBinding: bob lists namespaces at once" "$(bob get ns 2>&1)" "kube-system"
# /api/v1/namespaces/c carries namespace c itself (requestinfo.go)
check_eq "ClusterRoleBinding: but may not delete one" "$(bob delete ns c 2>&1)" \
  "$(forbidden 'namespaces "c" is forbidden: User "bob" cannot delete resource "namespaces" in API group "" in the namespace "c"')"

# ---- a non-resource URL ----------------------------------------------------------------------
check_eq "can-i: a non-resource URL" "$(bob auth can-i get /logs/x 2>&1) $(alice auth can-i get /logs/x 2>&1)" "yes no"
check_eq "non-resource URL: bob passes authorization (then 404)" \
  "$(raw bob-token -o /dev/null -w '%{http_code}' "$U/logs/x")" 404
check_eq "non-resource URL: alice is forbidden" "$(alice get --raw /logs/x 2>&1)" \
  "Error from server (Forbidden): forbidden: User \"alice\" cannot get path \"/logs/x\""

# ---- resourceNames and a subresource ------------------------------------------------------
kc create deployment web -n c --image=nginx --replicas=1 >/dev/null
kc apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: named, namespace: c}
rules:
- {apiGroups: [""], resources: [secrets], resourceNames: [s1], verbs: [get, list]}
- {apiGroups: [apps], resources: [deployments/scale], verbs: [get, patch]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bob-named, namespace: c}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: named}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: bob}
YAML
check_eq "can-i: resourceNames" "$(bob auth can-i get secrets/s1 -n c 2>&1) $(bob auth can-i get secrets/s2 -n c 2>&1) $(bob auth can-i list secrets -n c 2>&1)" "yes no no"
check_eq "can-i: a subresource" "$(bob auth can-i patch deployments --subresource=scale -n c 2>&1) $(bob auth can-i patch deployments -n c 2>&1)" "yes no"
check_eq "resourceNames: bob gets s1" "$(bob get secret s1 -n c -o name 2>&1)" "secret/s1"
check_eq "resourceNames: a list with metadata.name=s1 is allowed" \
  "$(raw bob-token -o /dev/null -w '%{http_code}' "$U/api/v1/namespaces/c/secrets?fieldSelector=metadata.name%3Ds1")" 200
check_eq "resourceNames: bob may not list secrets" "$(bob get secrets -n c 2>&1)" \
  "$(forbidden 'secrets is forbidden: User "bob" cannot list resource "secrets" in API group "" in the namespace "c"')"
check_eq "resourceNames: nor get another one" "$(bob get secret s2 -n c 2>&1)" \
  "$(forbidden 'secrets "s2" is forbidden: User "bob" cannot get resource "secrets" in API group "" in the namespace "c"')"
check_contains "subresource: bob reads deployments/scale" \
  "$(raw bob-token "$U/apis/apps/v1/namespaces/c/deployments/web/scale")" '"kind":"Scale"'
check "subresource: bob scales the deployment" \
  bob patch deployment web -n c --subresource=scale -p '{"spec":{"replicas":2}}'
check_eq "the scale took" "$(kc get deployment web -n c -o jsonpath='{.spec.replicas}')" 2
check_eq "subresource: but may not read the deployment" "$(bob get deployment web -n c 2>&1)" \
  "$(forbidden 'deployments.apps "web" is forbidden: User "bob" cannot get resource "deployments" in API group "apps" in the namespace "c"')"
check_contains "subresource: the Status names resource/subresource" \
  "$(raw bob-token "$U/apis/apps/v1/namespaces/c/deployments/web/status")" \
  '"message":"deployments.apps \"web\" is forbidden: User \"bob\" cannot get resource \"deployments/status\" in API group \"apps\" in the namespace \"c\"","reason":"Forbidden","details":{"name":"web","group":"apps","kind":"deployments"},"code":403}'

# ---- an aggregated ClusterRole: view, bound in c to alice -------------------------------------
kc create rolebinding alice-view -n c --clusterrole=view --user=alice >/dev/null 2>&1 ||
kc apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: alice-view, namespace: c}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: view}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}
YAML
check_contains "aggregated view: alice reads deployments in c" "$(alice get deploy -n c 2>&1)" "web"
check_eq "aggregated view: no secrets" "$(alice get secrets -n c 2>&1)" \
  "$(forbidden 'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "c"')"
kc apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata:
  name: secret-viewer
  labels: {rbac.authorization.k8s.io/aggregate-to-view: "true"}
rules:
- {apiGroups: [""], resources: [secrets], verbs: [list]}
YAML
check_eq "can-i: the aggregated rule" "$(alice auth can-i list secrets -n c 2>&1)" yes
check_contains "aggregated view: a labelled ClusterRole's rules join view at once" \
  "$(alice get secrets -n c 2>&1)" "s1"
check_contains "aggregated: the rule is written into view, edit and admin" \
  "$(for r in view edit admin; do kc get clusterrole $r -o jsonpath='{.rules[*].resources}'; echo; done | grep -c secrets)" 3
kc delete clusterrole secret-viewer >/dev/null
check_eq "aggregated view: deleting it takes the rule away" "$(alice get secrets -n c 2>&1)" \
  "$(forbidden 'secrets is forbidden: User "alice" cannot list resource "secrets" in API group "" in the namespace "c"')"

# ---- access reviews, whoami, typed (protobuf) creates -------------------------------------------
check_eq "whoami: a static token" "$(alice auth whoami 2>&1)" "ATTRIBUTE   VALUE
Username    alice
UID         1001
Groups      [dev ops system:authenticated]"
check_eq "whoami: the administrator token" "$(kc auth whoami 2>&1)" "ATTRIBUTE   VALUE
Username    kubesim-admin
Groups      [system:masters system:authenticated]"
check_contains "can-i --list: the basic-user rules" "$(alice auth can-i --list -n a 2>&1)" \
  "selfsubjectreviews.authentication.k8s.io        []                  []               [create]"
check_contains "can-i --list: the namespace's rules" "$(bob auth can-i --list -n c 2>&1)" "[s1]"
ssar='{"apiVersion":"authorization.k8s.io/v1","kind":"SelfSubjectAccessReview","spec":{"resourceAttributes":{"namespace":"a","verb":"list","resource":"configmaps"}}}'
check_contains "system:masters is allowed by the privileged-group authorizer: no RBAC reason" \
  "$(raw "$KUBESIM_TOKEN" -X POST -H 'Content-Type: application/json' -d "$ssar" \
     "$U/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")" '"status":{"allowed":true}}'
check_contains "the SelfSubjectAccessReview gives the RBAC reason" \
  "$(raw alice-token -X POST -H 'Content-Type: application/json' -d "$ssar" \
     "$U/apis/authorization.k8s.io/v1/selfsubjectaccessreviews")" \
  '"status":{"allowed":true,"reason":"RBAC: allowed by RoleBinding \"alice-reads/a\" of Role \"cm-reader\" to User \"alice\""}'
sar() { kc create --raw "$1" -f - 2>&1; }
check_contains "a SubjectAccessReview evaluates the user as given" \
  "$(echo '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"user":"bob","resourceAttributes":{"namespace":"c","verb":"get","resource":"secrets","name":"s1"}}}' |
     sar /apis/authorization.k8s.io/v1/subjectaccessreviews)" '"allowed":true'
check_contains "a SubjectAccessReview without user or groups is invalid" \
  "$(echo '{"apiVersion":"authorization.k8s.io/v1","kind":"SubjectAccessReview","spec":{"resourceAttributes":{"verb":"get","resource":"pods"}}}' |
     sar /apis/authorization.k8s.io/v1/subjectaccessreviews)" \
  'The SubjectAccessReview "" is invalid: spec.user: Invalid value: "": at least one of user or group must be specified'
check_contains "a LocalSubjectAccessReview must match its namespace" \
  "$(echo '{"apiVersion":"authorization.k8s.io/v1","kind":"LocalSubjectAccessReview","metadata":{"namespace":"c"},"spec":{"user":"bob","resourceAttributes":{"namespace":"a","verb":"get","resource":"pods"}}}' |
     sar /apis/authorization.k8s.io/v1/namespaces/c/localsubjectaccessreviews)" 'must match metadata.namespace'
check_contains "discovery lists the review kinds" "$(kc api-resources --api-group=authorization.k8s.io 2>&1)" "selfsubjectaccessreviews"
check "kubectl create clusterrole (protobuf)" kc create clusterrole pb-role --verb=get --resource=pods
check "kubectl create clusterrolebinding (protobuf)" kc create clusterrolebinding pb-bind --clusterrole=pb-role --user=dave
check "kubectl create role (protobuf)" kc create role pb-role -n a --verb=list --resource=deployments.apps --resource-name=x
check "kubectl create rolebinding (protobuf)" kc create rolebinding pb-bind -n a --role=pb-role --serviceaccount=a:bot
check_eq "the protobuf bodies were decoded whole" \
  "$(kc get clusterrolebinding pb-bind -o jsonpath='{.roleRef.name}/{.subjects[0].name}') $(kc get role pb-role -n a -o jsonpath='{.rules[0].apiGroups[0]}/{.rules[0].resources[0]}/{.rules[0].resourceNames[0]}') $(kc get rolebinding pb-bind -n a -o jsonpath='{.subjects[0].kind}:{.subjects[0].namespace}')" \
  "pb-role/dave apps/deployments/x ServiceAccount:a"

# ---- impersonation ----------------------------------------------------------------------------
kc create namespace ci >/dev/null; kc create serviceaccount bot -n ci >/dev/null
check_eq "--as a ServiceAccount, for an administrator" \
  "$(kc auth whoami --as system:serviceaccount:ci:bot 2>&1)" "ATTRIBUTE   VALUE
Username    system:serviceaccount:ci:bot
Groups      [system:serviceaccounts system:serviceaccounts:ci system:authenticated]"
check_eq "--as-group replaces the groups, nothing of the real user's is kept" \
  "$(kc auth whoami --as bob --as-group g1 2>&1 | grep Groups)" "Groups      [g1 system:authenticated]"
check_eq "the impersonated ServiceAccount has only its own grants" \
  "$(kc get pods -n ci --as system:serviceaccount:ci:bot 2>&1)" \
  "$(forbidden 'pods is forbidden: User "system:serviceaccount:ci:bot" cannot list resource "pods" in API group "" in the namespace "ci"')"
check_eq "--as is refused, naming impersonate, without the verb" \
  "$(alice get pods -n ci --as system:serviceaccount:ci:bot 2>&1)" \
  "$(forbidden 'serviceaccounts "bot" is forbidden: User "alice" cannot impersonate resource "serviceaccounts" in API group "" in the namespace "ci"')"
check_eq "--as a user is checked on users" "$(alice get pods -n ci --as carl 2>&1)" \
  "$(forbidden 'users "carl" is forbidden: User "alice" cannot impersonate resource "users" in API group "" at the cluster scope')"
kc create rolebinding alice-edit -n ci --clusterrole=edit --user=alice >/dev/null
check_eq "edit grants impersonate on the namespace's ServiceAccounts" \
  "$(alice auth whoami --as system:serviceaccount:ci:bot 2>&1 | grep Username)" \
  "Username    system:serviceaccount:ci:bot"
check_eq "a group without a user is a plain-text 500" \
  "$(raw alice-token -H 'Impersonate-Group: x' -w ' %{http_code}' "$U/api")" \
  'Internal Server Error: "/api": requested impersonation without impersonating a user 500'

# ---- changes take effect on the next request; resolution errors are the reason --------------
kc delete rolebinding alice-reads -n a >/dev/null
check_eq "deleting the RoleBinding revokes at once" "$(alice get cm -n a 2>&1)" \
  "$(forbidden 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "a"')"
kc delete role cm-reader -n a >/dev/null
kc create rolebinding dangling -n a --role=cm-reader --user=alice >/dev/null 2>&1 ||
kc apply -f - >/dev/null <<'YAML'
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: dangling, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: cm-reader}
subjects:
- {kind: User, apiGroup: rbac.authorization.k8s.io, name: alice}
YAML
check_eq "a binding to a missing role: the reason names it" "$(alice get cm -n a 2>&1)" \
  "$(forbidden 'configmaps is forbidden: User "alice" cannot list resource "configmaps" in API group "" in the namespace "a": RBAC: role.rbac.authorization.k8s.io "cm-reader" not found')"

# ---- --users is re-read on SIGHUP -------------------------------------------------------------
check_eq "carol is unknown" "$(raw carol-token -o /dev/null -w '%{http_code}' "$U/apis")" 401
printf 'carol-token,carol,1003,"dev"\n' >>"$USERS"
kill -HUP "$SIM_PID"
wait_eq "after SIGHUP carol is known, in group dev" 5 200 \
  raw carol-token -o /dev/null -w '%{http_code}' "$U/api/v1/namespaces/b/configmaps"

# ---- ServiceAccount tokens (kubectl create token) in a kubeconfig ------------------------------
kc create namespace sa >/dev/null
kc create serviceaccount bot -n sa >/dev/null
kc create role cm-lister -n sa --verb=get,list --resource=configmaps >/dev/null
kc create rolebinding bot-lists -n sa --role=cm-lister --serviceaccount=sa:bot >/dev/null
kc create configmap one -n sa --from-literal=k=1 >/dev/null
check_eq "create token: under 10 minutes is the real 422" \
  "$(kc create token bot -n sa --duration 5m 2>&1)" \
  'error: failed to create token: TokenRequest.authentication.k8s.io "" is invalid: spec.expirationSeconds: Invalid value: 300: may not specify a duration less than 10 minutes'
check_eq "create token: a missing ServiceAccount is 404" "$(kc create token nobody -n sa 2>&1)" \
  'error: failed to create token: serviceaccounts "nobody" not found'
SA_TOKEN=$(kc create token bot -n sa --duration 10m 2>&1)
check "create token prints a JWT" grep -Eq '^eyJ[A-Za-z0-9_-]+\.eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$' <<<"$SA_TOKEN"
claims=$(cut -d. -f2 <<<"$SA_TOKEN" | tr '_-' '/+' | base64 -d 2>/dev/null)
check_contains "its claims name the ServiceAccount" "$claims" '"sub":"system:serviceaccount:sa:bot"'
check_contains "its claims carry kubernetes.io" "$claims" '"kubernetes.io":{"namespace":"sa","serviceaccount":{"name":"bot","uid":"'"$(kc get sa bot -n sa -o jsonpath='{.metadata.uid}')"'"}}'
cp "$KUBECONFIG" "$T/sa.kubeconfig"
KUBECONFIG=$T/sa.kubeconfig kubectl config set-credentials bot --token="$SA_TOKEN" >/dev/null
KUBECONFIG=$T/sa.kubeconfig kubectl config set-context --current --user=bot >/dev/null
sak() { KUBECONFIG=$T/sa.kubeconfig kubectl --request-timeout=20s "$@"; }
check_eq "the SA token may list configmaps in its namespace" "$(sak get cm -n sa -o name 2>&1)" "configmap/one"
check_eq "the SA token may not list secrets" "$(sak get secrets -n sa 2>&1)" \
  "$(forbidden 'secrets is forbidden: User "system:serviceaccount:sa:bot" cannot list resource "secrets" in API group "" in the namespace "sa"')"
check_eq "nor create a token for itself (serviceaccounts/token)" "$(sak create token bot -n sa 2>&1)" \
  'error: failed to create token: serviceaccounts "bot" is forbidden: User "system:serviceaccount:sa:bot" cannot create resource "serviceaccounts/token" in API group "" in the namespace "sa"'
whoami_sa=$(sak auth whoami 2>&1)
check_contains "whoami: SA token username" "$whoami_sa" "Username                                            system:serviceaccount:sa:bot"
check_contains "whoami: SA token groups" "$whoami_sa" "[system:serviceaccounts system:serviceaccounts:sa system:authenticated]"
check_contains "whoami: SA token credential-id" "$whoami_sa" "Extra: authentication.kubernetes.io/credential-id   [JTI="
kc create role tokener -n sa --verb=create --resource=serviceaccounts/token >/dev/null
kc create rolebinding alice-tokens -n sa --role=tokener --user=alice >/dev/null
check "create on serviceaccounts/token lets alice mint one" alice create token bot -n sa --duration 1h
kc delete serviceaccount bot -n sa >/dev/null
check_eq "once the ServiceAccount is deleted the token is 401" "$(sak get cm -n sa 2>&1)" \
  "error: You must be logged in to the server (Unauthorized)"
kc create serviceaccount bot -n sa >/dev/null
check_eq "recreated with a new uid: still 401" "$(raw "$SA_TOKEN" "$U/api/v1/namespaces/sa/configmaps")" \
  '{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}'

# ---- kubectl auth whoami: static token ----------------------------------------------------------
check_eq "whoami: a static token" "$(alice auth whoami 2>&1)" "ATTRIBUTE   VALUE
Username    alice
UID         1001
Groups      [dev ops system:authenticated]"

# ---- escalation prevention -----------------------------------------------------------------------
kc create namespace esc >/dev/null
kc create role role-writer -n esc --verb=get,list,create,update,patch \
  --resource=roles.rbac.authorization.k8s.io,rolebindings.rbac.authorization.k8s.io,configmaps >/dev/null
kc create rolebinding bob-writes -n esc --role=role-writer --user=bob >/dev/null
check "bob may create a Role granting what he holds" bob create role cm-get -n esc --verb=get --resource=configmaps
check_eq "but not one that reads Secrets" "$(bob create role secrets -n esc --verb=get,list --resource=secrets 2>&1)" \
  "$(forbidden 'roles.rbac.authorization.k8s.io "secrets" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["secrets"], Verbs:["get" "list"]}')"
check_eq "nor patch a Role to read Secrets" \
  "$(bob patch role cm-get -n esc --type=json -p '[{"op":"add","path":"/rules/-","value":{"apiGroups":[""],"resources":["secrets"],"verbs":["get"]}}]' 2>&1)" \
  "$(forbidden 'roles.rbac.authorization.k8s.io "cm-get" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:
{APIGroups:[""], Resources:["secrets"], Verbs:["get"]}')"
printf 'apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata: {name: applied, namespace: esc}\nrules:\n- {apiGroups: [""], resources: [secrets], verbs: [get]}\n' >"$T/applied-role.yaml"
check_contains "nor server-side apply one" "$(bob apply --server-side -f "$T/applied-role.yaml" 2>&1)" \
  'roles.rbac.authorization.k8s.io "applied" is forbidden: user "bob"'
check_eq "bob may not bind view (he lacks its rules)" \
  "$(bob create rolebinding v -n esc --clusterrole=view --user=dave 2>&1 | head -n 1)" \
  'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "v" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:'
check "bob may bind a Role whose rules he holds" bob create rolebinding cm -n esc --role=cm-get --user=dave
check_eq "a binding to a missing role: the lookup error" \
  "$(bob create rolebinding m -n esc --role=missing --user=dave 2>&1)" \
  'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "m" is forbidden: role.rbac.authorization.k8s.io "missing" not found'
kc create role escalator -n esc --verb=escalate --resource=roles.rbac.authorization.k8s.io >/dev/null
kc create role binder -n esc --verb=bind --resource=clusterroles.rbac.authorization.k8s.io --resource-name=view >/dev/null
kc create rolebinding bob-escalates -n esc --role=escalator --user=bob >/dev/null
kc create rolebinding bob-binds -n esc --role=binder --user=bob >/dev/null
check "with escalate bob may create a Role that reads Secrets" \
  bob create role secrets -n esc --verb=get,list --resource=secrets
check "with bind on view bob may bind it" bob create rolebinding v -n esc --clusterrole=view --user=dave
check_eq "bind is per role name: edit is still refused" \
  "$(bob create rolebinding e -n esc --clusterrole=edit --user=dave 2>&1 | head -n 1)" \
  'error: failed to create rolebinding: rolebindings.rbac.authorization.k8s.io "e" is forbidden: user "bob" (groups=["system:authenticated"]) is attempting to grant RBAC permissions not currently held:'
check "system:masters bypasses the checks" kc create clusterrolebinding dave-admin --clusterrole=cluster-admin --user=dave

# ---- /metrics counts 401 and 403 ---------------------------------------------------------------
m=$(curl -sk "$U/metrics")
check_contains "/metrics counts 401s" "$m" 'code="401"'
check_contains "/metrics counts 403s" "$m" 'code="403",resource="configmaps"'
count_code() { curl -sk "$U/metrics" | awk -v c="code=\"$1\"" 'index($0, "apiserver_request_total{" c) == 1 {s += $NF} END {print s + 0}'; }
c0=$(count_code 401); raw wrong-token "$U/api/v1/namespaces" >/dev/null; c1=$(count_code 401)
check_eq "each 401 is counted once" "$((c1 - c0))" 1
c0=$(count_code 403); raw "" "$U/api/v1/namespaces" >/dev/null; raw bob-token "$U/api/v1/secrets" >/dev/null
c1=$(count_code 403)
check_eq "each 403 is counted once (anonymous and a token user)" "$((c1 - c0))" 2

# ---- kubectl auth whoami: a client certificate ---------------------------------------------------
if kubesim_start certsim --client-ca; then
  w=$(kubectl --request-timeout=20s auth whoami 2>&1)
  check_contains "whoami: a client certificate's CN" "$w" "Username                                            kubesim-admin"
  check_contains "whoami: its O as groups" "$w" "Groups                                              [system:masters system:authenticated]"
  check_contains "whoami: its credential-id" "$w" "Extra: authentication.kubernetes.io/credential-id   [X509SHA256="
else
  not_ok "kubesim starts with --client-ca"
fi

finish
