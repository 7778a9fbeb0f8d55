/* The typed decode's messages (api_decode.c) and the name and key rules
 * (validate_rules.c), against the Go decoder's and pkg/util/validation's words. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "api_int.h"
#include "validate_int.h"

/* What decoding JSON text into a field of gotype says ("" when it decodes). */
static const char *decode(const char *json, const char *gotype)
{
	static char out[600];
	struct decode_at at = {"DeploymentSpec", "spec.replicas"};
	cJSON *v = cJSON_Parse(json);

	assert_non_null(v);
	out[0] = '\0';
	if (api_decode_check(v, gotype, &at, out, sizeof(out)))
		assert_string_equal(out, "");
	cJSON_Delete(v);
	return out;
}

static const char *apply(const char *json, const char *gotype)
{
	static char out[600];
	cJSON *v = cJSON_Parse(json);

	assert_non_null(v);
	out[0] = '\0';
	api_decode_check_apply(v, gotype, ".spec.x", out, sizeof(out));
	cJSON_Delete(v);
	return out;
}

#define TYPE_ERR(what, type)                                                                 \
	"json: cannot unmarshal " what " into Go struct field DeploymentSpec.spec.replicas of type " type
#define QUANTITY_FORM                                                                        \
	"quantities must match the regular expression "                                      \
	"'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'"

/* JSON text, the field's Go type, what the decoder says ("" when it decodes). */
static const struct {
	const char *json, *gotype, *want;
} decodes[] = {
	{"3", "int32", ""},
	{"\"two\"", "int32", TYPE_ERR("string", "int32")},
	{"1.5", "int32", TYPE_ERR("number 1.5", "int32")},
	{"4294967296", "int32", TYPE_ERR("number 4294967296", "int32")},
	{"4294967296", "int64", ""},
	{"true", "string", TYPE_ERR("bool", "string")},
	{"{\"a\":1}", "map[string]string", TYPE_ERR("number", "string")},
	{"[\"a\"]", "map[string]string", TYPE_ERR("array", "map[string]string")},
	{"null", "int32", ""},
	/* base64 as Go's StdEncoding reports the first corrupt byte */
	{"{\"k\":\"dmFsdWU=\"}", "map[string][]uint8", ""},
	{"{\"k\":\"dg==\"}", "map[string][]uint8", ""},
	{"{\"k\":\"not base64!\"}", "map[string][]uint8", "illegal base64 data at input byte 3"},
	{"{\"k\":\"dg=\"}", "map[string][]uint8", "illegal base64 data at input byte 3"},
	{"{\"k\":\"dmFsd\"}", "map[string][]uint8", "illegal base64 data at input byte 4"},
	{"{\"k\":\"=AAA\"}", "map[string][]uint8", "illegal base64 data at input byte 0"},
	{"{\"k\":\"dg==dg==\"}", "map[string][]uint8", "illegal base64 data at input byte 4"},
	/* quantities as ParseQuantity words its errors */
	{"{\"cpu\":\"500m\",\"memory\":\"1Gi\",\"x\":2}", "v1.ResourceList", ""},
	{"{\"cpu\":\"1e3\"}", "v1.ResourceList", ""},
	{"{\"cpu\":\"1x\"}", "v1.ResourceList", QUANTITY_FORM},
	{"{\"cpu\":\"1Ki2\"}", "v1.ResourceList", "unable to parse quantity's suffix"},
};

static void test_decode(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(decodes) / sizeof(decodes[0]); i++)
		assert_string_equal(decode(decodes[i].json, decodes[i].gotype), decodes[i].want);
}

static void test_apply_types(void **state)
{
	(void)state;
	assert_string_equal(apply("\"two\"", "int32"),
			    ".spec.x: expected numeric (int or float), got string");
	assert_string_equal(apply("1.5", "int32"), "");
	assert_string_equal(apply("2", "string"),
			    ".spec.x: expected string, got &value.valueUnstructured{Value:2}");
	assert_string_equal(apply("\"yes\"", "bool"), ".spec.x: expected boolean, got &{yes}");
}

/* The messages valid_name adds for s under rule, joined with " | ". */
static const char *names(enum name_rule rule, const char *s)
{
	static char out[2000];
	struct field_errs v;
	const cJSON *c;
	size_t len = 0;

	field_errs_init(&v);
	valid_name(&v, "metadata.name", rule, s, NULL);
	out[0] = '\0';
	cJSON_ArrayForEach(c, v.causes)
	{
		const char *m = cJSON_GetObjectItem(c, "message")->valuestring;
		const char *detail = strstr(m, "\": ");

		len += snprintf(out + len, sizeof(out) - len, "%s%s", len ? " | " : "",
				detail ? detail + 3 : m);
	}
	field_errs_dispose(&v);
	return out;
}

static void test_names(void **state)
{
	char long_label[70];

	(void)state;
	assert_string_equal(names(NAME_SUBDOMAIN, "web.example-1"), "");
	assert_string_equal(names(NAME_LABEL, "a.b"), "must not contain dots");
	assert_true(strncmp(names(NAME_LABEL, "A_b"), "a lowercase RFC 1123 label", 26) == 0);
	assert_true(strncmp(names(NAME_DNS1035, "1web"), "a DNS-1035 label", 16) == 0);
	assert_string_equal(names(NAME_DNS1035, "web-1"), "");
	assert_string_equal(names(NAME_PATH, "system:aggregated-metrics-reader"), "");
	assert_string_equal(names(NAME_PATH, "a/b"), "may not contain '/'");
	memset(long_label, 'a', 64);
	long_label[64] = '\0';
	assert_string_equal(names(NAME_LABEL, long_label), "must be no more than 63 characters");
	long_label[63] = '\0';
	assert_string_equal(names(NAME_LABEL, long_label), "");
}

static void test_keys(void **state)
{
	struct field_errs v;

	(void)state;
	field_errs_init(&v);
	valid_config_key(&v, "data", "ok.key_1-x");
	valid_qualified(&v, "metadata.labels", "example.com/MyName", "example.com/MyName");
	valid_port_name(&v, "spec.ports[0].name", "http");
	assert_int_equal(v.n, 0);
	valid_config_key(&v, "data", "..x");
	assert_int_equal(v.n, 1);
	assert_string_equal(cJSON_GetObjectItem(cJSON_GetArrayItem(v.causes, 0), "field")->valuestring,
			    "data[..x]");
	valid_qualified(&v, "metadata.labels", "a/b/c", "a/b/c");
	assert_int_equal(v.n, 2);
	valid_port_name(&v, "spec.ports[0].name", "-80-");
	/* no letter, begins and ends with a hyphen */
	assert_int_equal(v.n, 4);
	field_errs_dispose(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode), cmocka_unit_test(test_apply_types),
		cmocka_unit_test(test_names), cmocka_unit_test(test_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
