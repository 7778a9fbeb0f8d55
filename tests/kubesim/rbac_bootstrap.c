/*
 * rbac_bootstrap: the default ClusterRoles and ClusterRoleBindings a client sees on a
 * 1.32 cluster (bootstrappolicy/policy.go, kubernetes-semantics-2.md §2.4), and the
 * ClusterRole aggregation controller (§2.5), run synchronously: the aggregated rules
 * are written before the next request is authorized.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth.h"
#include "auth_int.h"

#define G "rbac.authorization.k8s.io"
#define LBL "\"labels\":{\"kubernetes.io/bootstrapping\":\"rbac-defaults\""
#define ANN "\"annotations\":{\"rbac.authorization.kubernetes.io/autoupdate\":\"true\"}"
#define AGG(x) "\"rbac.authorization.k8s.io/aggregate-to-" x "\":\"true\""
#define R(verbs, groups, res) \
	"{\"verbs\":[" verbs "],\"apiGroups\":[" groups "],\"resources\":[" res "]}"
#define URLS(verbs, urls) "{\"verbs\":[" verbs "],\"nonResourceURLs\":[" urls "]}"
#define RO "\"get\",\"list\",\"watch\""
#define RW "\"create\",\"delete\",\"deletecollection\",\"patch\",\"update\""

static const char *const roles[] = {
	"{\"metadata\":{\"name\":\"cluster-admin\"," LBL "}," ANN "},\"rules\":["
	R("\"*\"", "\"*\"", "\"*\"") "," URLS("\"*\"", "\"*\"") "]}",
	"{\"metadata\":{\"name\":\"system:discovery\"," LBL "}," ANN "},\"rules\":["
	URLS("\"get\"", "\"/api\",\"/api/*\",\"/apis\",\"/apis/*\",\"/healthz\",\"/livez\","
	     "\"/openapi\",\"/openapi/*\",\"/readyz\",\"/version\",\"/version/\"") "]}",
	"{\"metadata\":{\"name\":\"system:basic-user\"," LBL "}," ANN "},\"rules\":["
	R("\"create\"", "\"authorization.k8s.io\"",
	  "\"selfsubjectaccessreviews\",\"selfsubjectrulesreviews\"") ","
	R("\"create\"", "\"authentication.k8s.io\"", "\"selfsubjectreviews\"") "]}",
	"{\"metadata\":{\"name\":\"system:public-info-viewer\"," LBL "}," ANN "},\"rules\":["
	URLS("\"get\"", "\"/healthz\",\"/livez\",\"/readyz\",\"/version\",\"/version/\"") "]}",
	"{\"metadata\":{\"name\":\"system:service-account-issuer-discovery\"," LBL "}," ANN "},"
	"\"rules\":[" URLS("\"get\"", "\"/.well-known/openid-configuration\","
	"\"/.well-known/openid-configuration/\",\"/openid/v1/jwks\",\"/openid/v1/jwks/\"") "]}",
	"{\"metadata\":{\"name\":\"admin\"," LBL "}," ANN "},\"aggregationRule\":"
	"{\"clusterRoleSelectors\":[{\"matchLabels\":{" AGG("admin") "}}]},\"rules\":[]}",
	"{\"metadata\":{\"name\":\"edit\"," LBL "," AGG("admin") "}," ANN "},\"aggregationRule\":"
	"{\"clusterRoleSelectors\":[{\"matchLabels\":{" AGG("edit") "}}]},\"rules\":[]}",
	"{\"metadata\":{\"name\":\"view\"," LBL "," AGG("admin") "," AGG("edit") "}," ANN "},"
	"\"aggregationRule\":{\"clusterRoleSelectors\":[{\"matchLabels\":{" AGG("view") "}}]},"
	"\"rules\":[]}",
	"{\"metadata\":{\"name\":\"system:aggregate-to-admin\"," LBL "," AGG("admin") "}," ANN "},"
	"\"rules\":[" R("\"create\"", "\"authorization.k8s.io\"", "\"localsubjectaccessreviews\"") ","
	R(RO "," RW, "\"" G "\"", "\"rolebindings\",\"roles\"") "]}",
	"{\"metadata\":{\"name\":\"system:aggregate-to-edit\"," LBL "," AGG("edit") "}," ANN "},"
	"\"rules\":["
	R("\"impersonate\"", "\"\"", "\"serviceaccounts\"") ","
	R(RW, "\"\"", "\"pods\",\"pods/attach\",\"pods/exec\",\"pods/portforward\",\"pods/proxy\"") ","
	R("\"create\"", "\"\"", "\"pods/eviction\"") ","
	R(RW, "\"\"", "\"configmaps\",\"events\",\"persistentvolumeclaims\",\"replicationcontrollers\","
	  "\"replicationcontrollers/scale\",\"secrets\",\"serviceaccounts\",\"services\","
	  "\"services/proxy\"") ","
	R("\"create\"", "\"\"", "\"serviceaccounts/token\"") ","
	R(RW, "\"apps\"", "\"daemonsets\",\"deployments\",\"deployments/rollback\","
	  "\"deployments/scale\",\"replicasets\",\"replicasets/scale\",\"statefulsets\","
	  "\"statefulsets/scale\"") ","
	R(RW, "\"autoscaling\"", "\"horizontalpodautoscalers\"") ","
	R(RW, "\"batch\"", "\"cronjobs\",\"jobs\"") ","
	R(RW, "\"policy\"", "\"poddisruptionbudgets\"") ","
	R(RW, "\"networking.k8s.io\"", "\"ingresses\",\"networkpolicies\"") ","
	R(RO, "\"\"", "\"pods/attach\",\"pods/exec\",\"pods/portforward\",\"pods/proxy\",\"secrets\","
	  "\"services/proxy\"") "]}",
	"{\"metadata\":{\"name\":\"system:aggregate-to-view\"," LBL "," AGG("view") "," AGG("edit") ","
	AGG("admin") "}," ANN "},\"rules\":["
	R(RO, "\"\"", "\"configmaps\",\"endpoints\",\"persistentvolumeclaims\","
	  "\"persistentvolumeclaims/status\",\"pods\",\"replicationcontrollers\","
	  "\"replicationcontrollers/scale\",\"serviceaccounts\",\"services\",\"services/status\"") ","
	R(RO, "\"\"", "\"bindings\",\"events\",\"limitranges\",\"namespaces/status\",\"pods/log\","
	  "\"pods/status\",\"replicationcontrollers/status\",\"resourcequotas\","
	  "\"resourcequotas/status\"") ","
	R(RO, "\"\"", "\"namespaces\"") ","
	R(RO, "\"discovery.k8s.io\"", "\"endpointslices\"") ","
	R(RO, "\"apps\"", "\"controllerrevisions\",\"daemonsets\",\"daemonsets/status\","
	  "\"deployments\",\"deployments/scale\",\"deployments/status\",\"replicasets\","
	  "\"replicasets/scale\",\"replicasets/status\",\"statefulsets\",\"statefulsets/scale\","
	  "\"statefulsets/status\"") ","
	R(RO, "\"autoscaling\"", "\"horizontalpodautoscalers\",\"horizontalpodautoscalers/status\"") ","
	R(RO, "\"batch\"", "\"cronjobs\",\"cronjobs/status\",\"jobs\",\"jobs/status\"") ","
	R(RO, "\"policy\"", "\"poddisruptionbudgets\",\"poddisruptionbudgets/status\"") ","
	R(RO, "\"networking.k8s.io\"", "\"ingresses\",\"ingresses/status\",\"networkpolicies\"") "]}",
};

#define SUBJ(kind, name) "{\"kind\":\"" kind "\",\"apiGroup\":\"" G "\",\"name\":\"" name "\"}"
#define CRB(name, subjects) \
	"{\"metadata\":{\"name\":\"" name "\"," LBL "}," ANN "},\"roleRef\":{\"apiGroup\":\"" G \
	"\",\"kind\":\"ClusterRole\",\"name\":\"" name "\"},\"subjects\":[" subjects "]}"

static const char *const bindings[] = {
	CRB("cluster-admin", SUBJ("Group", "system:masters")),
	CRB("system:discovery", SUBJ("Group", "system:authenticated")),
	CRB("system:basic-user", SUBJ("Group", "system:authenticated")),
	CRB("system:public-info-viewer", SUBJ("Group", "system:authenticated") ","
	    SUBJ("Group", "system:unauthenticated")),
	CRB("system:service-account-issuer-discovery", SUBJ("Group", "system:serviceaccounts")),
};

static int create_missing(struct store *st, const char *res, const char *kind, const char *json,
			  char *errbuf, size_t errlen)
{
	const struct restype *rt = store_type(st, G, res);
	struct store_wopts w = {.manager = "kube-apiserver", .grace_seconds = -1};
	struct kstatus e = {0};
	cJSON *obj = cJSON_Parse(json);
	int rc = -1;

	if (!rt || !obj) {
		snprintf(errbuf, errlen, "bootstrap %s: cannot build", res);
		goto out;
	}
	cJSON_AddStringToObject(obj, "apiVersion", G "/v1");
	cJSON_AddStringToObject(obj, "kind", kind);
	rc = 0;
	if (store_get(st, rt, NULL, cJSON_GetObjectItem(cJSON_GetObjectItem(obj, "metadata"),
							"name")->valuestring))
		goto out; /* a restored --state keeps what it had */
	if (store_create(st, rt, NULL, obj, &w, NULL, &e) < 0) {
		snprintf(errbuf, errlen, "bootstrap %s: %s", res, e.message);
		rc = -1;
	}
out:
	kstatus_dispose(&e);
	cJSON_Delete(obj);
	return rc;
}

int rbac_bootstrap(struct store *st, char *errbuf, size_t errlen)
{
	int rc = 0;

	store_lock(st);
	for (size_t i = 0; i < sizeof(roles) / sizeof(roles[0]) && rc == 0; i++)
		rc = create_missing(st, "clusterroles", "ClusterRole", roles[i], errbuf, errlen);
	for (size_t i = 0; i < sizeof(bindings) / sizeof(bindings[0]) && rc == 0; i++)
		rc = create_missing(st, "clusterrolebindings", "ClusterRoleBinding", bindings[i],
				    errbuf, errlen);
	store_unlock(st);
	return rc;
}

/* ---- aggregation ------------------------------------------------------------------------- */

bool rbac_aggregation_relevant(const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");

	return cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(md, "labels")) > 0 ||
	       cJSON_GetObjectItemCaseSensitive(obj, "aggregationRule");
}

bool rbac_list_has(const cJSON *values, const char *v)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, values)
		if (cJSON_IsString(it) && strcmp(it->valuestring, v) == 0)
			return true;
	return false;
}

static bool expr_matches(const cJSON *ex, const cJSON *labels)
{
	const cJSON *key = cJSON_GetObjectItemCaseSensitive(ex, "key");
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(ex, "operator");
	const cJSON *vals = cJSON_GetObjectItemCaseSensitive(ex, "values");
	const cJSON *l;

	if (!cJSON_IsString(key) || !cJSON_IsString(op))
		return false;
	l = cJSON_GetObjectItemCaseSensitive(labels, key->valuestring);
	if (strcmp(op->valuestring, "Exists") == 0)
		return l != NULL;
	if (strcmp(op->valuestring, "DoesNotExist") == 0)
		return l == NULL;
	if (strcmp(op->valuestring, "In") == 0)
		return cJSON_IsString(l) && rbac_list_has(vals, l->valuestring);
	if (strcmp(op->valuestring, "NotIn") == 0)
		return !cJSON_IsString(l) || !rbac_list_has(vals, l->valuestring);
	return false;
}

/* A LabelSelector (matchLabels AND matchExpressions); an empty one matches nothing here,
 * as the aggregation controller skips it. */
static bool selector_matches(const cJSON *sel, const cJSON *obj)
{
	const cJSON *labels = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(obj, "metadata"), "labels");
	const cJSON *ml = cJSON_GetObjectItemCaseSensitive(sel, "matchLabels");
	const cJSON *me = cJSON_GetObjectItemCaseSensitive(sel, "matchExpressions"), *it;

	if (cJSON_GetArraySize(ml) + cJSON_GetArraySize(me) == 0)
		return false;
	cJSON_ArrayForEach(it, ml) {
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, it->string);

		if (!cJSON_IsString(it) || !cJSON_IsString(l) || strcmp(l->valuestring, it->valuestring))
			return false;
	}
	cJSON_ArrayForEach(it, me)
		if (!expr_matches(it, labels))
			return false;
	return true;
}

static bool any_selector(const cJSON *agg, const cJSON *obj)
{
	const cJSON *sel;

	cJSON_ArrayForEach(sel, cJSON_GetObjectItemCaseSensitive(agg, "clusterRoleSelectors"))
		if (selector_matches(sel, obj))
			return true;
	return false;
}

static void add_unique(cJSON *rules, const cJSON *rule)
{
	const cJSON *it;

	cJSON_ArrayForEach(it, rules)
		if (cJSON_Compare(it, rule, true))
			return;
	cJSON_AddItemToArray(rules, cJSON_Duplicate(rule, true));
}

/* The rules role should have: those of every other matching ClusterRole, by name. */
static cJSON *aggregated_rules(const cJSON *role, const cJSON **all, size_t n)
{
	const cJSON *agg = cJSON_GetObjectItemCaseSensitive(role, "aggregationRule"), *rule;
	cJSON *rules = cJSON_CreateArray();

	for (size_t i = 0; i < n; i++) {
		if (all[i] == role || !any_selector(agg, all[i]))
			continue;
		cJSON_ArrayForEach(rule, cJSON_GetObjectItemCaseSensitive(all[i], "rules"))
			add_unique(rules, rule);
	}
	return rules;
}

static bool aggregate_one(struct store *st, const struct restype *rt, const cJSON *role,
			  const cJSON **all, size_t n)
{
	struct store_wopts w = {.manager = "clusterrole-aggregation-controller", .grace_seconds = -1};
	cJSON *rules = aggregated_rules(role, all, n), *upd;
	struct kstatus e = {0};
	bool wrote = false;
	const cJSON *cur = cJSON_GetObjectItemCaseSensitive(role, "rules");

	if (!rules || (cur && cJSON_Compare(cur, rules, true)) ||
	    (!cur && cJSON_GetArraySize(rules) == 0)) {
		cJSON_Delete(rules);
		return false;
	}
	upd = cJSON_Duplicate(role, true);
	if (upd) {
		cJSON_DeleteItemFromObjectCaseSensitive(upd, "rules");
		cJSON_AddItemToObject(upd, "rules", rules);
		rules = NULL;
		wrote = store_update(st, rt, NULL, upd, &w, NULL, &e) == 0;
	}
	cJSON_Delete(rules);
	cJSON_Delete(upd);
	kstatus_dispose(&e);
	return wrote;
}

void rbac_aggregate(struct store *st)
{
	const struct restype *rt = store_type(st, G, "clusterroles");
	bool again = true;

	if (!rt)
		return;
	store_lock(st);
	/* admin aggregates edit, which aggregates view: repeat until nothing changes. */
	for (int round = 0; again && round < 64; round++) {
		const cJSON **all = NULL;
		size_t n = store_list(st, rt, NULL, &all);

		again = false;
		for (size_t i = 0; i < n && !again; i++)
			if (cJSON_GetObjectItemCaseSensitive(all[i], "aggregationRule"))
				again = aggregate_one(st, rt, all[i], all, n);
		free(all);
	}
	store_unlock(st);
}
