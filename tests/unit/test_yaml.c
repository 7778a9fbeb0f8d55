/* Unit tests for the YAML reader's two modes: typed (manifests) and as written
 * (configuration files), with positions, and a callback that stops the stream. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "yamlread.h"

struct seen {
	int docs;
	int stop_after;
	char first[512];
	int key_line, key_col, val_line, val_col;
};

static int on_doc(void *ctx, struct yaml_doc *doc, struct err *e)
{
	struct seen *s = ctx;
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(
	    cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(doc->root, "list"), 0), "deep");

	if (++s->docs == 1) {
		char *text = cJSON_PrintUnformatted(doc->root);
		snprintf(s->first, sizeof(s->first), "%s", text ? text : "");
		free(text);
		yaml_doc_key_pos(doc, v, &s->key_line, &s->key_col);
		yaml_doc_pos(doc, v, &s->val_line, &s->val_col);
	}
	return s->docs == s->stop_after ? 1 : 0;
}

static const char text[] = "a: yes\n"
			   "b: 010\n"
			   "b: ~\n"
			   "list:\n"
			   "  - deep:   0x1F\n"
			   "---\n"
			   "c: 1\n";

static void test_text_mode(void **state)
{
	struct seen s = {0};
	struct err e;

	err_clear(&e);
	assert_int_equal(yaml_parse_stream("t.yaml", text, strlen(text), YAML_TEXT, on_doc, &s, &e),
			 0);
	assert_int_equal(s.docs, 2);
	/* text as written, the key given twice kept for the caller */
	assert_string_equal(
	    s.first, "{\"a\":\"yes\",\"b\":\"010\",\"b\":\"~\",\"list\":[{\"deep\":\"0x1F\"}]}");
	assert_int_equal(s.key_line, 5);
	assert_int_equal(s.key_col, 5);
	assert_int_equal(s.val_line, 5);
	assert_int_equal(s.val_col, 13);

	memset(&s, 0, sizeof(s));
	s.stop_after = 1;
	assert_int_equal(yaml_parse_stream("t.yaml", text, strlen(text), YAML_TEXT, on_doc, &s, &e),
			 1);
	assert_int_equal(s.docs, 1);
}

static void test_typed_mode(void **state)
{
	static const char typed[] = "a: yes\nb: 010\nlist:\n  - deep: 0x1F\n";
	struct seen s = {0};
	struct err e;

	err_clear(&e);
	assert_int_equal(
	    yaml_parse_stream("t.yaml", typed, strlen(typed), YAML_TYPED, on_doc, &s, &e), 0);
	assert_string_equal(s.first, "{\"a\":true,\"b\":8,\"list\":[{\"deep\":31}]}");
	assert_int_equal(
	    yaml_parse_stream("t.yaml", text, strlen(text), YAML_TYPED, on_doc, &s, &e), TE_INPUT);
	assert_string_equal(e.msg, "t.yaml:3:1: duplicate key \"b\" (first at line 2)");
}

static void test_text_mode_errors(void **state)
{
	static const char bad[] = "apps: [\n";
	struct seen s = {0};
	struct err e;

	err_clear(&e);
	assert_int_equal(yaml_parse_stream("t.yaml", bad, strlen(bad), YAML_TEXT, on_doc, &s, &e),
			 TE_INPUT);
	assert_string_equal(e.msg, "t.yaml:2:1: did not find expected node content");
	err_clear(&e);
	assert_int_equal(yaml_parse_stream("t.yaml", bad, strlen(bad), YAML_TYPED, on_doc, &s, &e),
			 TE_INPUT);
	assert_non_null(strstr(e.msg, "t.yaml:2:1: did not find expected node content ("));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_text_mode),
	    cmocka_unit_test(test_typed_mode),
	    cmocka_unit_test(test_text_mode_errors),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
