/* Structural schemas of custom resources (crd_schema.c, crd_validate.c): pruning,
 * defaulting and the validator's field errors, against apiextensions' behaviour. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crd_schema.h"
#include "store_int.h"

static const char schema_json[] =
    "{\"type\":\"object\",\"properties\":{\"spec\":{\"type\":\"object\","
    "\"required\":[\"size\"],\"properties\":{"
    "\"size\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":10},"
    "\"ratio\":{\"type\":\"number\",\"multipleOf\":0.5},"
    "\"mode\":{\"type\":\"string\",\"enum\":[\"slow\",\"safe\"],\"default\":\"safe\"},"
    "\"name\":{\"type\":\"string\",\"pattern\":\"^\\\\d+-[a-z]+$\"},"
    "\"opt\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"integer\",\"default\":3}}},"
    "\"keep\":{\"type\":\"object\",\"x-kubernetes-preserve-unknown-fields\":true},"
    "\"list\":{\"type\":\"array\",\"items\":{\"type\":\"object\",\"properties\":{"
    "\"k\":{\"type\":\"string\"}}},\"x-kubernetes-list-type\":\"map\","
    "\"x-kubernetes-list-map-keys\":[\"k\"]}}}}}";

static struct crd_schema *compiled(void)
{
	cJSON *s = cJSON_Parse(schema_json);
	struct crd_schema *cs;

	assert_non_null(s);
	cs = crd_schema_compile(s);
	cJSON_Delete(s); /* the compiled schema keeps its own copy */
	assert_non_null(cs);
	return cs;
}

/* The field errors for the object text, "f: body, f: body" ("" when valid). */
static char *errors_of(const struct crd_schema *cs, const char *json)
{
	cJSON *o = cJSON_Parse(json);
	struct field_errs v;
	char *out;

	assert_non_null(o);
	field_errs_init(&v);
	crd_schema_validate(cs, o, NULL, &v);
	out = strdup(v.text ? v.text : "");
	field_errs_dispose(&v);
	cJSON_Delete(o);
	return out;
}

static void expect_errors(const struct crd_schema *cs, const char *json, const char *want)
{
	char *got = errors_of(cs, json);

	assert_string_equal(got, want);
	free(got);
}

static void test_validate(void **state)
{
	struct crd_schema *cs = compiled();

	(void)state;
	expect_errors(cs, "{\"spec\":{\"size\":3}}", "");
	expect_errors(cs,
		      "{\"apiVersion\":\"x/v1\",\"kind\":\"K\",\"metadata\":{\"name\":\"a\"},"
		      "\"spec\":{\"size\":10,\"ratio\":1.5,\"name\":\"12-ab\"}}",
		      "");
	expect_errors(cs, "{\"spec\":{}}", "spec.size: Required value");
	expect_errors(cs, "{\"spec\":{\"size\":\"3\"}}",
		      "spec.size: Invalid value: \"string\": spec.size in body must be of type "
		      "integer: \"string\"");
	expect_errors(cs, "{\"spec\":{\"size\":1.5}}",
		      "spec.size: Invalid value: \"number\": spec.size in body must be of type "
		      "integer: \"number\"");
	expect_errors(cs, "{\"spec\":{\"size\":0,\"ratio\":0.7}}",
		      "spec.size: Invalid value: 0: spec.size in body should be greater than or "
		      "equal to 1, spec.ratio: Invalid value: 0.7: spec.ratio in body should be a "
		      "multiple of 0.5");
	expect_errors(cs, "{\"spec\":{\"size\":1,\"name\":\"x-ab\"}}",
		      "spec.name: Invalid value: \"x-ab\": spec.name in body should match "
		      "'^\\d+-[a-z]+$'");
	expect_errors(cs, "{\"spec\":{\"size\":1,\"mode\":3}}",
		      "spec.mode: Invalid value: \"integer\": spec.mode in body must be of type "
		      "string: \"integer\"");
	expect_errors(cs, "{\"spec\":{\"size\":1,\"list\":[{\"k\":\"a\"},{\"k\":\"a\"}]}}",
		      "spec.list[1]: Duplicate value: map[string]interface {}{\"k\":\"a\"}");
	crd_schema_free_all(cs);
}

static void test_ratcheting(void **state)
{
	struct crd_schema *cs = compiled();
	cJSON *old = cJSON_Parse("{\"spec\":{\"size\":20,\"name\":\"x\"}}");
	cJSON *same = cJSON_Parse("{\"spec\":{\"size\":20,\"name\":\"1-a\"}}");
	cJSON *moved = cJSON_Parse("{\"spec\":{\"size\":30,\"name\":\"y\"}}");
	struct field_errs v;

	(void)state;
	field_errs_init(&v);
	crd_schema_validate(cs, same, old, &v);
	assert_int_equal(v.n, 0);
	crd_schema_validate(cs, moved, old, &v);
	assert_string_equal(v.text,
			    "spec.size: Invalid value: 30: spec.size in body should be less "
			    "than or equal to 10, spec.name: Invalid value: \"y\": spec.name in "
			    "body should match '^\\d+-[a-z]+$'");
	field_errs_dispose(&v);
	cJSON_Delete(old);
	cJSON_Delete(same);
	cJSON_Delete(moved);
	crd_schema_free_all(cs);
}

static char *pruned(const struct crd_schema *cs, const char *json, char **unknown)
{
	cJSON *o = cJSON_Parse(json);
	char *out;

	assert_non_null(o);
	crd_schema_prune(cs, o, unknown);
	crd_schema_default(cs, o);
	out = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return out;
}

static void test_prune_default(void **state)
{
	struct crd_schema *cs = compiled();
	char *unknown = NULL, *got;

	(void)state;
	got = pruned(cs,
		     "{\"kind\":\"K\",\"metadata\":{\"name\":\"a\"},\"top\":1,\"spec\":{\"size\":1,"
		     "\"x\":2,\"keep\":{\"any\":{\"deep\":1}},\"opt\":{},\"mode\":null}}",
		     &unknown);
	assert_string_equal(
	    got, "{\"kind\":\"K\",\"metadata\":{\"name\":\"a\"},\"spec\":{\"size\":1,"
		 "\"keep\":{\"any\":{\"deep\":1}},\"opt\":{\"x\":3},\"mode\":\"safe\"}}");
	assert_string_equal(unknown, "unknown field \"top\", unknown field \"spec.x\"");
	free(got);
	free(unknown);
	/* a default does not create its parent */
	got = pruned(cs, "{\"spec\":{\"size\":1}}", NULL);
	assert_string_equal(got, "{\"spec\":{\"size\":1,\"mode\":\"safe\"}}");
	free(got);
	crd_schema_free_all(cs);
}

static void test_apply_ok(void **state)
{
	struct crd_schema *cs = compiled();
	cJSON *o = cJSON_Parse("{\"spec\":{\"size\":\"x\"}}");
	char out[300] = "";

	(void)state;
	assert_false(crd_schema_apply_ok(cs, o, out, sizeof(out)));
	assert_string_equal(out, ".spec.size: expected numeric (int or float), got string");
	cJSON_Delete(o);
	o = cJSON_Parse("{\"spec\":{\"keep\":{\"free\":1},\"nope\":1}}");
	assert_false(crd_schema_apply_ok(cs, o, out, sizeof(out)));
	assert_string_equal(out, ".spec.nope: field not declared in schema");
	cJSON_Delete(o);
	crd_schema_free_all(cs);
}

static void test_structural(void **state)
{
	cJSON *spec = cJSON_Parse(
	    "{\"versions\":[{\"name\":\"v1\",\"schema\":{\"openAPIV3Schema\":{\"type\":\"object\","
	    "\"properties\":{\"a\":{\"type\":\"array\"},\"b\":{\"x-kubernetes-int-or-string\":true}"
	    "}}}},"
	    "{\"name\":\"v2\",\"schema\":{\"openAPIV3Schema\":{\"type\":\"string\"}}}]}");
	struct field_errs v;

	(void)state;
	field_errs_init(&v);
	crd_schema_check_crd(spec, &v);
	assert_string_equal(
	    v.text, "spec.versions[0].schema.openAPIV3Schema.properties[a].items: Required "
		    "value: must be specified, spec.versions[1].schema.openAPIV3Schema.type: "
		    "Invalid value: \"string\": must be object at the root");
	field_errs_dispose(&v);
	cJSON_Delete(spec);
	/* no type at the root is fine with preserve-unknown-fields; errors come sorted */
	spec = cJSON_Parse(
	    "{\"versions\":[{\"name\":\"v1\",\"schema\":{\"openAPIV3Schema\":{"
	    "\"x-kubernetes-preserve-unknown-fields\":true,\"properties\":{"
	    "\"t\":{\"type\":\"string\",\"x-kubernetes-embedded-resource\":true},"
	    "\"b\":{\"x-kubernetes-int-or-string\":true,"
	    "\"x-kubernetes-preserve-unknown-fields\":true}}}}}]}");
	field_errs_init(&v);
	crd_schema_check_crd(spec, &v);
	assert_string_equal(v.text,
			    "spec.versions[0].schema.openAPIV3Schema.properties[b].x-kubernetes-"
			    "preserve-unknown-fields: Invalid value: true: must be false if "
			    "x-kubernetes-int-or-string is true, "
			    "spec.versions[0].schema.openAPIV3Schema.properties[t].properties: Required "
			    "value: must not be empty if x-kubernetes-embedded-resource is true without "
			    "x-kubernetes-preserve-unknown-fields, "
			    "spec.versions[0].schema.openAPIV3Schema.properties[t].type: Invalid value: "
			    "\"string\": must be object if x-kubernetes-embedded-resource is true");
	field_errs_dispose(&v);
	cJSON_Delete(spec);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_validate),	  cmocka_unit_test(test_ratcheting),
	    cmocka_unit_test(test_prune_default), cmocka_unit_test(test_apply_ok),
	    cmocka_unit_test(test_structural),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
