/* RBAC rule matching (kubernetes-semantics-2.md 2.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "rbac_rule.h"

#define L(...) ((const char *const[]){__VA_ARGS__, NULL})

static struct rbac_attrs res(const char *verb, const char *grp, const char *r,
			     const char *sub, const char *name)
{
	struct rbac_attrs a = {verb, true, grp, r, sub, name, ""};
	return a;
}

static void test_verb_group_resource(void **s)
{
	(void)s;
	struct rbac_rule r = {L("get", "list"), L(""), L("configmaps"), NULL, NULL};
	struct rbac_attrs a = res("list", "", "configmaps", "", "");
	assert_true(rbac_rule_allows(&r, &a));
	a.verb = "watch";
	assert_false(rbac_rule_allows(&r, &a));
	a = res("get", "apps", "configmaps", "", "x");
	assert_false(rbac_rule_allows(&r, &a));
	a = res("get", "", "secrets", "", "x");
	assert_false(rbac_rule_allows(&r, &a));
}

static void test_wildcards(void **s)
{
	(void)s;
	struct rbac_rule r = {L("*"), L("*"), L("*"), NULL, NULL};
	struct rbac_attrs a = res("deletecollection", "apps", "deployments", "scale", "");
	assert_true(rbac_rule_allows(&r, &a));
	a = (struct rbac_attrs){"get", false, "", "", "", "", "/healthz"};
	assert_false(rbac_rule_allows(&r, &a)); /* resources don't cover URLs */
}

static void test_subresource(void **s)
{
	(void)s;
	struct rbac_rule r = {L("get"), L("apps"), L("deployments"), NULL, NULL};
	struct rbac_attrs a = res("get", "apps", "deployments", "scale", "d");
	assert_false(rbac_rule_allows(&r, &a));
	struct rbac_rule r2 = {L("get"), L("apps"), L("deployments/scale"), NULL, NULL};
	assert_true(rbac_rule_allows(&r2, &a));
	a.subresource = "";
	assert_false(rbac_rule_allows(&r2, &a));
	struct rbac_rule r3 = {L("get"), L("apps"), L("*/scale"), NULL, NULL};
	a.subresource = "scale";
	assert_true(rbac_rule_allows(&r3, &a));
	a.subresource = "status";
	assert_false(rbac_rule_allows(&r3, &a));
}

static void test_resource_names(void **s)
{
	(void)s;
	struct rbac_rule r = {L("*"), L(""), L("configmaps"), L("cfg"), NULL};
	struct rbac_attrs a = res("get", "", "configmaps", "", "cfg");
	assert_true(rbac_rule_allows(&r, &a));
	a.name = "other";
	assert_false(rbac_rule_allows(&r, &a));
	a = res("list", "", "configmaps", "", "");  /* list has no name */
	assert_false(rbac_rule_allows(&r, &a));
	a = res("create", "", "configmaps", "", "");
	assert_false(rbac_rule_allows(&r, &a));
}

static void test_non_resource_urls(void **s)
{
	(void)s;
	struct rbac_rule r = {L("get"), NULL, NULL, NULL, L("/healthz", "/apis/*")};
	struct rbac_attrs a = {"get", false, "", "", "", "", "/healthz"};
	assert_true(rbac_rule_allows(&r, &a));
	a.path = "/healthz/ping";
	assert_false(rbac_rule_allows(&r, &a));
	a.path = "/apis/apps/v1";
	assert_true(rbac_rule_allows(&r, &a));
	a.path = "/apis";
	assert_false(rbac_rule_allows(&r, &a));
	struct rbac_rule r2 = {L("get"), NULL, NULL, NULL, L("/healthz**")};
	a.path = "/healthzfoo";
	assert_true(rbac_rule_allows(&r2, &a));
	a.path = "/health";
	assert_false(rbac_rule_allows(&r2, &a));
	a.verb = "post";
	a.path = "/apis/x";
	assert_false(rbac_rule_allows(&r, &a));
	a = res("get", "", "configmaps", "", "");
	assert_false(rbac_rule_allows(&r, &a)); /* URL rules don't cover resources */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_verb_group_resource),
		cmocka_unit_test(test_wildcards),
		cmocka_unit_test(test_subresource),
		cmocka_unit_test(test_resource_names),
		cmocka_unit_test(test_non_resource_urls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
