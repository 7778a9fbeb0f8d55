/* Unit tests for least privilege: a 403 message read back into its request and the
 * rule that grants it, the needs of a plan (one per tuple, their reasons merged), and
 * the least RBAC made of them (a Role per namespace, a rule per group and resource, a
 * ClusterRole for the cluster scope, the ServiceAccount or User as the subject). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "access.h"
#include "jsonget.h"

static void test_forbidden_parse(void **state)
{
	struct kube_access a;

	(void)state;
	assert_int_equal(
	    kube_forbidden_parse(
		"deployments.apps \"web\" is forbidden: User "
		"\"system:serviceaccount:ci:bot\" cannot patch resource \"deployments\" "
		"in API group \"apps\" in the namespace \"a\"",
		&a),
	    0);
	assert_string_equal(a.user, "system:serviceaccount:ci:bot");
	assert_string_equal(a.verb, "patch");
	assert_string_equal(a.resource, "deployments");
	assert_string_equal(a.group, "apps");
	assert_string_equal(a.ns, "a");
	assert_int_equal(kube_forbidden_parse("namespaces is forbidden: User \"bob\" cannot list "
					      "resource \"namespaces\" in API group \"\" at the "
					      "cluster scope",
					      &a),
			 0);
	assert_string_equal(a.group, "");
	assert_string_equal(a.ns, "");
	assert_int_equal(kube_forbidden_parse("serviceaccounts \"bot\" is forbidden: User \"x\" "
					      "cannot create resource \"serviceaccounts/token\" in "
					      "API group \"\" in the namespace \"sa\"",
					      &a),
			 0);
	assert_string_equal(a.resource, "serviceaccounts/token");
	/* a non-resource path has no Role rule; an admission denial is not the authorizer's */
	assert_int_equal(
	    kube_forbidden_parse("forbidden: User \"alice\" cannot get path \"/logs/x\"", &a),
	    TE_NOTFOUND);
	assert_int_equal(kube_forbidden_parse("pods \"p\" is forbidden: exceeded quota", &a),
			 TE_NOTFOUND);
	assert_int_equal(kube_forbidden_parse(NULL, &a), TE_NOTFOUND);
}

static void test_explain(void **state)
{
	char out[1024];
	const char *msg = "configmaps is forbidden: User \"u\" cannot list resource \"configmaps\" "
			  "in API group \"\" at the cluster scope";

	(void)state;
	kube_forbidden_explain(msg, out, sizeof(out));
	assert_non_null(strstr(out, msg));
	assert_non_null(strstr(out,
			       "; u needs a ClusterRole bound by a ClusterRoleBinding with the "
			       "rule {apiGroups: [\"\"], resources: [configmaps], verbs: [list]}"));
	kube_forbidden_explain("exceeded quota", out, sizeof(out));
	assert_string_equal(out, "exceeded quota");
}

static void test_plan_merge(void **state)
{
	struct access_plan p;

	(void)state;
	access_plan_init(&p);
	assert_int_equal(access_plan_add(&p, "patch", "apps", "deployments", "b", "apply"), 0);
	assert_int_equal(access_plan_add(&p, "get", "", "configmaps", "a", "apply"), 0);
	assert_int_equal(access_plan_add(&p, "get", "", "configmaps", "a", "inventory"), 0);
	assert_int_equal(access_plan_add(&p, "get", "", "configmaps", "a", "apply"), 0);
	assert_int_equal(access_plan_add(&p, "list", "", "namespaces", NULL, "live state"), 0);
	assert_int_equal(p.n, 3);
	access_plan_sort(&p);
	assert_string_equal(p.items[0].a.ns, ""); /* the cluster scope first */
	assert_string_equal(p.items[1].a.resource, "configmaps");
	assert_string_equal(p.items[1].why, "apply, inventory");
	assert_int_equal(access_plan_missing(&p), 3);
	p.items[1].allowed = true;
	assert_int_equal(access_plan_missing(&p), 2);
	access_plan_dispose(&p);
}

static void test_rbac(void **state)
{
	struct access_plan p;
	cJSON *list = NULL;
	const cJSON *items, *role, *rules, *bind;

	(void)state;
	access_plan_init(&p);
	p.app = strdup("web");
	p.user = strdup("system:serviceaccount:ci:bot");
	access_plan_add(&p, "patch", "apps", "deployments", "a", "apply");
	access_plan_add(&p, "get", "apps", "deployments", "a", "apply");
	access_plan_add(&p, "get", "", "configmaps", "a", "inventory");
	access_plan_add(&p, "list", "", "namespaces", NULL, "live state");
	access_plan_sort(&p);
	assert_int_equal(access_plan_rbac(&p, &list), 0);
	items = cJSON_GetObjectItemCaseSensitive(list, "items");
	assert_int_equal(cJSON_GetArraySize(items), 4);
	role = cJSON_GetArrayItem(items, 0);
	assert_string_equal(json_str(role, "kind", NULL), "ClusterRole");
	assert_null(json_get(role, "metadata", "namespace", NULL));
	role = cJSON_GetArrayItem(items, 2);
	assert_string_equal(json_str(role, "kind", NULL), "Role");
	assert_string_equal(json_str(role, "metadata", "namespace", NULL), "a");
	assert_string_equal(json_str(role, "metadata", "name", NULL), "tether-web");
	rules = cJSON_GetObjectItemCaseSensitive(role, "rules");
	assert_int_equal(cJSON_GetArraySize(rules), 2); /* configmaps; deployments get+patch */
	assert_int_equal(cJSON_GetArraySize(json_get(cJSON_GetArrayItem(rules, 1), "verbs", NULL)),
			 2);
	bind = cJSON_GetArrayItem(items, 3);
	assert_string_equal(json_str(bind, "kind", NULL), "RoleBinding");
	assert_string_equal(
	    json_str(cJSON_GetArrayItem(json_get(bind, "subjects", NULL), 0), "kind", NULL),
	    "ServiceAccount");
	assert_string_equal(
	    json_str(cJSON_GetArrayItem(json_get(bind, "subjects", NULL), 0), "namespace", NULL),
	    "ci");
	cJSON_Delete(list);
	free(p.user);
	p.user = strdup("alice");
	assert_int_equal(access_plan_rbac(&p, &list), 0);
	bind = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(list, "items"), 1);
	assert_string_equal(
	    json_str(cJSON_GetArrayItem(json_get(bind, "subjects", NULL), 0), "kind", NULL),
	    "User");
	cJSON_Delete(list);
	access_plan_dispose(&p);
}

/* A tenant's app: its bookkeeping's needs are tether's own, kept apart from the same
 * tuple of the app's, sorted after them, bound to tether in a Role of their own. */
static void test_own_needs(void **state)
{
	struct access_plan p;
	struct buf text;
	cJSON *list = NULL, *doc = NULL;
	const cJSON *items, *role, *bind;

	(void)state;
	buf_init(&text, 1 << 16);
	access_plan_init(&p);
	p.app = strdup("web");
	p.user = strdup("system:serviceaccount:team:deployer");
	p.own_user = strdup("system:serviceaccount:tether-system:tether");
	assert_false(access_plan_has_own(&p));
	access_plan_add_as(&p, true, "patch", "", "configmaps", "team", "inventory");
	access_plan_add(&p, "patch", "", "configmaps", "team", "apply");
	access_plan_add_as(&p, true, "patch", "", "configmaps", "team", "history");
	assert_int_equal(p.n, 2);
	assert_true(access_plan_has_own(&p));
	access_plan_sort(&p);
	assert_false(p.items[0].own);
	assert_true(p.items[1].own);
	assert_string_equal(p.items[1].why, "inventory, history");
	assert_int_equal(access_plan_text(&p, &text), 0);
	assert_non_null(strstr(text.data, "(inventory, history and Events as "
					  "system:serviceaccount:tether-system:tether)"));
	assert_non_null(strstr(text.data, "  AS  "));
	assert_non_null(strstr(text.data, "system:serviceaccount:tether-system:tether  inventory"));
	assert_int_equal(access_plan_json(&p, &doc), 0);
	assert_string_equal(json_str(doc, "bookkeepingUser", NULL), p.own_user);
	assert_string_equal(
	    json_str(cJSON_GetArrayItem(json_get(doc, "needed", NULL), 1), "user", NULL), p.own_user);
	assert_int_equal(access_plan_rbac(&p, &list), 0);
	items = cJSON_GetObjectItemCaseSensitive(list, "items");
	assert_int_equal(cJSON_GetArraySize(items), 4);
	role = cJSON_GetArrayItem(items, 2);
	assert_string_equal(json_str(role, "metadata", "name", NULL), "tether-web-bookkeeping");
	bind = cJSON_GetArrayItem(items, 3);
	assert_string_equal(
	    json_str(cJSON_GetArrayItem(json_get(bind, "subjects", NULL), 0), "namespace", NULL),
	    "tether-system");
	bind = cJSON_GetArrayItem(items, 1);
	assert_string_equal(
	    json_str(cJSON_GetArrayItem(json_get(bind, "subjects", NULL), 0), "name", NULL),
	    "deployer");
	cJSON_Delete(list);
	cJSON_Delete(doc);
	buf_dispose(&text);
	access_plan_dispose(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_forbidden_parse),
	    cmocka_unit_test(test_explain),
	    cmocka_unit_test(test_plan_merge),
	    cmocka_unit_test(test_rbac),
	    cmocka_unit_test(test_own_needs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
