/* Renders every case under tests/fixtures/manifests/ and checks the exact error (or, for
 * "good", the objects): the bad-input catalogue as users would hit it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"
#include "render.h"

#define FIXTURES "tests/fixtures/manifests"

struct bad_case {
	const char *dir;
	const char *msg;
};

static const struct bad_case cases[] = {
	{"syntax", "syntax/configmap.yaml:7:5: did not find expected key (while parsing a block "
		   "mapping at line 6)"},
	{"not-mapping", "not-mapping/list.yaml:1:1: document is not a mapping"},
	{"missing-kind", "missing-kind/deploy.yaml:5:1: missing kind"},
	{"generate-name",
	 "generate-name/job.yaml:1:1: metadata.generateName is not supported, set metadata.name"},
	{"dup-key", "dup-key/configmap.yaml:8:3: duplicate key \"mode\" (first at line 6)"},
	{"dup-identity", "deployment.apps/web in namespace shop defined twice: dup-identity/a.yaml:1:1 "
			 "and dup-identity/b/b.yaml:3:1"},
	{"invalid-utf8",
	 "invalid-utf8/latin1.yaml:4:12: invalid UTF-8: incomplete UTF-8 octet sequence (byte 0xe9)"},
	{"billion-laughs", "billion-laughs/lol.yaml:10:10: aliases expand to more than 100000 nodes"},
	{"deep", "deep/deep.yaml:4:106: nesting deeper than 100 levels"},
	{"symlink-escape", "symlink-escape/host.yaml: symlink leaves the repository"},
	{"json-syntax", "json-syntax/cm.json:6:1: did not find expected ',' or '}' (while parsing "
			"a flow mapping at line 1)"},
	{"infinity", "infinity/cm.yaml:5:10: .inf cannot be represented in JSON"},
	{"tagged-int", "tagged-int/cm.yaml:6:12: cannot decode !!str `not a number` as a !!int"},
	{"json-overflow", "json-overflow/cm.json:5:21: number 1e400 is out of range for a 64-bit "
			  "float"},
	{"bad-binary", "bad-binary/cm.yaml:6:9: !!binary value contains invalid base64 data"},
	{"list-item", "list-item/list.yaml:7:3: metadata.generateName is not supported, set "
		      "metadata.name"},
};

static void test_bad_cases(void **state)
{
	struct vfs *v = NULL;
	struct err e;

	err_clear(&e);
	assert_int_equal(vfs_open_dir(&v, FIXTURES, &e), 0);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct object_set s;
		int rc;

		object_set_init(&s);
		err_clear(&e);
		rc = manifest_render(v, cases[i].dir, &s, &e);
		if (rc != TE_INPUT || strcmp(e.msg, cases[i].msg) != 0)
			print_error("%s: rc=%d \"%s\"\n", cases[i].dir, rc, e.msg);
		assert_int_equal(rc, TE_INPUT);
		assert_string_equal(e.msg, cases[i].msg);
		object_set_dispose(&s);
	}
	vfs_free(v);
}

static void test_good_case(void **state)
{
	struct vfs *v = NULL;
	struct object_set s;
	struct err e;
	const char *want[] = {"namespace/shop", "configmap/json", "service/web",
			      "deployment.apps/web"};

	err_clear(&e);
	assert_int_equal(vfs_open_dir(&v, FIXTURES, &e), 0);
	object_set_init(&s);
	assert_int_equal(manifest_render(v, "good", &s, &e), 0);
	assert_int_equal(s.n, 4);
	for (size_t i = 0; i < s.n; i++) {
		char *d = object_display(&s.items[i]);
		assert_string_equal(d, want[i]);
		free(d);
	}
	assert_string_equal(s.items[1].file, "good/sub/cm.json");
	assert_string_equal(s.items[2].file, "good/web.yml");
	assert_int_equal(s.items[2].line, 5);
	assert_int_equal(s.items[3].line, 11);
	/* Quoted "yes" in JSON stays a string; the key "on" is quoted too. */
	assert_string_equal(
		cJSON_GetObjectItem(cJSON_GetObjectItem(s.items[1].body, "data"), "on")->valuestring,
		"yes");
	object_set_dispose(&s);
	vfs_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bad_cases),
		cmocka_unit_test(test_good_case),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
