/* Unit tests for manifest parsing: scalar typing, multi-document, List, JSON, and every
 * bad-input error with its exact file:line:col. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "manifest.h"
#include "alloc_fail.h"

static int parse(struct object_set *s, const char *file, const char *text, struct err *e)
{
	err_clear(e);
	object_set_init(s);
	return manifest_parse(s, file, text, strlen(text), e);
}

/* Parses text and expects TE_INPUT with exactly msg. */
static void expect_error(const char *text, const char *msg)
{
	struct object_set s;
	struct err e;
	int rc = parse(&s, "f.yaml", text, &e);

	if (rc != TE_INPUT || strcmp(e.msg, msg) != 0)
		print_error("rc=%d msg=\"%s\", want \"%s\"\n", rc, e.msg, msg);
	assert_int_equal(rc, TE_INPUT);
	assert_string_equal(e.msg, msg);
	object_set_dispose(&s);
}

static const char *data_json(const char *yaml)
{
	static char out[4096];
	struct object_set s;
	struct err e;
	char text[2048], *js;

	snprintf(text, sizeof(text), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n%s",
		 yaml);
	assert_int_equal(parse(&s, "f.yaml", text, &e), 0);
	assert_int_equal(s.n, 1);
	js = cJSON_PrintUnformatted(cJSON_GetObjectItem(s.items[0].body, "data"));
	snprintf(out, sizeof(out), "%s", js);
	free(js);
	object_set_dispose(&s);
	return out;
}

/* Expected values are what `kubectl label --local -f f.yaml -o json` printed (v1.32). */
static void test_scalar_typing(void **state)
{
	assert_string_equal(data_json("  a: yes\n  b: on\n  c: y\n  d: No\n  e: OFF\n"),
			    "{\"a\":true,\"b\":true,\"c\":true,\"d\":false,\"e\":false}");
	assert_string_equal(data_json("  d: 1.0\n  e: 0x1F\n  f: 012\n  g: 1e3\n  k: 0o17\n"),
			    "{\"d\":1,\"e\":31,\"f\":10,\"g\":1000,\"k\":15}");
	assert_string_equal(data_json("  l: 1_000\n  m: +12\n  p: 1.50\n  q: -0\n  s: .5\n  t: 0b101\n"),
			    "{\"l\":1000,\"m\":12,\"p\":1.5,\"q\":0,\"s\":0.5,\"t\":5}");
	assert_string_equal(data_json("  h: ~\n  u:\n  w: null\n  j: 2001-12-14\n  o: \"12\"\n"),
			    "{\"h\":null,\"u\":null,\"w\":null,\"j\":\"2001-12-14\",\"o\":\"12\"}");
	assert_string_equal(data_json("  a: 'true'\n  b: !!str 12\n  c: tRUE\n  d: 09\n  e: 1.2.3\n"),
			    "{\"a\":\"true\",\"b\":\"12\",\"c\":\"tRUE\",\"d\":9,\"e\":\"1.2.3\"}");
	/* Keys are resolved too, then turned into strings, as sigs.k8s.io/yaml does. */
	assert_string_equal(data_json("  on: x\n  1: y\n  n: True\n  0x10: z\n"),
			    "{\"true\":\"x\",\"1\":true,\"false\":true,\"16\":\"z\"}");
}

/* Explicit tags, checked against `kubectl label --local -f f.yaml -o json` (v1.32). */
static void test_tagged_scalars(void **state)
{
	assert_string_equal(data_json("  a: !!int \"42\"\n  b: !!float 1\n  c: !!bool \"yes\"\n"
				      "  d: !!null \"\"\n  e: !!str 12\n  f: !foo 42\n  g: ! 42\n"),
			    "{\"a\":42,\"b\":1,\"c\":true,\"d\":null,\"e\":\"12\",\"f\":\"42\",\"g\":\"42\"}");
	assert_string_equal(data_json("  a: !!binary aGVsbG8=\n  b: !!binary |\n    aGVs\n    bG8=\n"
				      "  c: !!binary /w==\n  d: !!binary \"\"\n"),
			    "{\"a\":\"hello\",\"b\":\"hello\",\"c\":\"\xef\xbf\xbd\",\"d\":\"\"}");
	assert_string_equal(data_json("  a: !!timestamp 2001-12-14\n"
				      "  b: !!timestamp \"2001-12-14T21:59:43.10-05:00\"\n"
				      "  c: !!timestamp 2001-1-2 3:4:5\n  d: 1e400\n  e: 1e-400\n"),
			    "{\"a\":\"2001-12-14\",\"b\":\"2001-12-14T21:59:43.10-05:00\","
			    "\"c\":\"2001-1-2 3:4:5\",\"d\":\"1e400\",\"e\":0}");
	/* A tagged key resolves as a value does, then becomes a string. */
	assert_string_equal(data_json("  !!int \"0x10\": a\n  !!binary aGk=: b\n"),
			    "{\"16\":\"a\",\"hi\":\"b\"}");
}

static void expect_data_error(const char *yaml, const char *msg)
{
	char text[2048];

	snprintf(text, sizeof(text), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\ndata:\n%s",
		 yaml);
	expect_error(text, msg);
}

/* What kubectl refuses ("error converting YAML to JSON: yaml: ..."), with a position. */
static void test_tagged_errors(void **state)
{
	expect_data_error("  a: !!int \"not a number\"\n",
			  "f.yaml:6:6: cannot decode !!str `not a number` as a !!int");
	expect_data_error("  a: !!int 1.5\n", "f.yaml:6:6: cannot decode !!float `1.5` as a !!int");
	expect_data_error("  a: !!float 1e400\n",
			  "f.yaml:6:6: cannot decode !!str `1e400` as a !!float");
	expect_data_error("  a: !!bool 1\n", "f.yaml:6:6: cannot decode !!int `1` as a !!bool");
	expect_data_error("  a: !!null x\n", "f.yaml:6:6: cannot decode !!str `x` as a !!null");
	expect_data_error("  a: !!timestamp 12\n",
			  "f.yaml:6:6: cannot decode !!int `12` as a !!timestamp");
	expect_data_error("  a: !!timestamp 2001-02-30\n",
			  "f.yaml:6:6: cannot decode !!str `2001-02-30` as a !!timestamp");
	expect_data_error("  a: !!binary \"==\"\n",
			  "f.yaml:6:6: !!binary value contains invalid base64 data");
	expect_data_error("  a: !!binary aGVsbG8\n",
			  "f.yaml:6:6: !!binary value contains invalid base64 data");
	expect_data_error("  a: !!binary AA==\n", "f.yaml:6:6: NUL character in a !!binary value");
	expect_data_error("  a: !!float .nan\n", "f.yaml:6:6: .nan cannot be represented in JSON");
}

/* kubectl reads a JSON file with a JSON decoder: 1e400 is refused, not a string. */
static void test_json_numbers(void **state)
{
	struct object_set s;
	struct err e;
	const char *ok = "{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},"
			 "\"data\":{\"a\":1e-400,\"b\":123456789012345678901234567890}}";
	char *js;

	assert_int_equal(parse(&s, "f.json", ok, &e), 0);
	js = cJSON_PrintUnformatted(cJSON_GetObjectItem(s.items[0].body, "data"));
	assert_string_equal(js, "{\"a\":0,\"b\":1.2345678901234568e+29}");
	free(js);
	object_set_dispose(&s);
	expect_error("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":\"x\"},\n"
		     " \"data\":{\"a\":-1e400}}",
		     "f.yaml:2:14: number -1e400 is out of range for a 64-bit float");
}

/* Each cJSON allocation of a parse fails in turn: an error, or every member there. */
static void test_parse_alloc_failures(void **state)
{
	const char *text = "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n"
			   "data:\n  base: &b {a: 1, b: [x, z]}\n  m: {<<: *b, c: !!int \"3\"}\n";
	const char *want = "{\"base\":{\"a\":1,\"b\":[\"x\",\"z\"]},"
			   "\"m\":{\"a\":1,\"b\":[\"x\",\"z\"],\"c\":3}}";
	long n, failures = 0;

	for (n = 1; n < 10000; n++) {
		struct object_set s;
		struct err e;
		char *js;
		int rc;

		alloc_fail_start(n, ALLOC_FAIL_FROM);
		rc = parse(&s, "f.yaml", text, &e);
		alloc_fail_stop();
		if (rc < 0) {
			assert_true(e.msg[0] != '\0');
			failures++;
		} else {
			assert_int_equal(s.n, 1);
			js = cJSON_PrintUnformatted(cJSON_GetObjectItem(s.items[0].body, "data"));
			assert_string_equal(js, want);
			free(js);
		}
		object_set_dispose(&s);
		if (rc == 0 && alloc_fail_count() < n)
			break;
	}
	assert_true(failures > 0);
}

static void test_multi_doc_and_positions(void **state)
{
	struct object_set s;
	struct err e;
	const char *text = "# leading comment\n"
			   "---\n"
			   "---\n"
			   "apiVersion: apps/v1\n"
			   "kind: Deployment\n"
			   "metadata: {name: web, namespace: prod}\n"
			   "---\n"
			   "\n"
			   "---\n"
			   "  apiVersion: v1\n"
			   "  kind: Service\n"
			   "  metadata:\n"
			   "    name: web\n"
			   "...\n";
	char *d;

	assert_int_equal(parse(&s, "dir/a.yaml", text, &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.items[0].group, "apps");
	assert_string_equal(s.items[0].kind, "Deployment");
	assert_string_equal(s.items[0].ns, "prod");
	assert_string_equal(s.items[0].file, "dir/a.yaml");
	assert_int_equal(s.items[0].line, 4);
	assert_int_equal(s.items[0].col, 1);
	assert_int_equal(s.items[1].line, 10);
	assert_int_equal(s.items[1].col, 3);
	assert_null(s.items[1].ns);
	assert_string_equal(s.items[1].group, "");
	d = object_display(&s.items[0]);
	assert_string_equal(d, "deployment.apps/web");
	free(d);
	d = object_display(&s.items[1]);
	assert_string_equal(d, "service/web");
	free(d);
	d = object_display_name("apps", "StatefulSet", "prod", "db");
	assert_string_equal(d, "prod/statefulset.apps/db");
	free(d);
	d = object_display_name(NULL, "ConfigMap", "", "settings");
	assert_string_equal(d, "configmap/settings");
	free(d);
	d = object_key(&s.items[0]);
	assert_string_equal(d, "apps/Deployment/prod/web");
	free(d);
	object_set_dispose(&s);
}

static void test_list_items(void **state)
{
	struct object_set s;
	struct err e;
	const char *text = "apiVersion: v1\n"
			   "kind: List\n"
			   "items:\n"
			   "- apiVersion: v1\n"
			   "  kind: ConfigMap\n"
			   "  metadata: {name: a}\n"
			   "- apiVersion: v1\n"
			   "  kind: Secret\n"
			   "  metadata: {name: b}\n";

	assert_int_equal(parse(&s, "l.yaml", text, &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.items[0].kind, "ConfigMap");
	assert_int_equal(s.items[0].line, 4);
	assert_int_equal(s.items[0].col, 3);
	assert_string_equal(s.items[1].name, "b");
	assert_int_equal(s.items[1].line, 7);
	object_set_dispose(&s);
	expect_error("apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: ConfigMap\n"
		     "  metadata: {namespace: x}\n",
		     "f.yaml:4:3: missing metadata.name");
}

static void test_json_input(void **state)
{
	struct object_set s;
	struct err e;
	const char *text = "{\n"
			   "\t\"apiVersion\": \"v1\",\n"
			   "\t\"kind\":\"ConfigMap\",\n"
			   "\t\"metadata\": {\"name\": \"j\"},\n"
			   "\t\"data\": {\"n\": \"1.0\", \"t\": \"true\", \"x\": 1.0, \"y\": 1e2, \"z\": null}\n"
			   "}\n";
	char *js;

	assert_int_equal(parse(&s, "f.json", text, &e), 0);
	assert_int_equal(s.n, 1);
	js = cJSON_PrintUnformatted(cJSON_GetObjectItem(s.items[0].body, "data"));
	assert_string_equal(js, "{\"n\":\"1.0\",\"t\":\"true\",\"x\":1,\"y\":100,\"z\":null}");
	free(js);
	object_set_dispose(&s);
}

/* JSON's surrogate pairs are not YAML, but kubectl reads JSON as JSON. */
static void test_json_surrogates(void **state)
{
	struct object_set s;
	struct err e;
	const char *text = "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"s\"},\n"
			   " \"data\": {\"e\": \"\\ud83d\\ude00!\", \"lit\": \"\\\\ud83d\\\\ude00\", \"bmp\": \"\\u00e9\"}}\n";
	char *js;

	assert_int_equal(parse(&s, "e.json", text, &e), 0);
	js = cJSON_PrintUnformatted(cJSON_GetObjectItem(s.items[0].body, "data"));
	assert_string_equal(js, "{\"e\":\"\xf0\x9f\x98\x80!\",\"lit\":\"\\\\ud83d\\\\ude00\",\"bmp\":\"\xc3\xa9\"}");
	free(js);
	object_set_dispose(&s);
	/* In YAML they stay an error, as in go-yaml. */
	expect_error("apiVersion: v1\nkind: Pod\nmetadata: {name: \"\\ud83d\\ude00\"}\n",
		     "f.yaml:3:21: found invalid Unicode character escape code (while parsing a "
		     "quoted scalar at line 3)");
}

static void test_merge_keys(void **state)
{
	assert_string_equal(data_json("  base: &b {a: 1, b: 2}\n  m:\n    <<: *b\n    b: 3\n    c: 4\n"),
			    "{\"base\":{\"a\":1,\"b\":2},\"m\":{\"a\":1,\"b\":3,\"c\":4}}");
	assert_string_equal(data_json("  x: &x {a: 1}\n  z: &z {a: 2, b: 2}\n  m: {<<: [*x, *z]}\n"),
			    "{\"x\":{\"a\":1},\"z\":{\"a\":2,\"b\":2},\"m\":{\"a\":1,\"b\":2}}");
	assert_string_equal(data_json("  m: {\"<<\": 1}\n"), "{\"m\":{\"<<\":1}}");
	expect_error("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: x\n  <<: 5\n",
		     "f.yaml:5:3: << needs a mapping or a list of mappings");
}

static void test_errors(void **state)
{
	expect_error("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n   bad: x\n",
		     "f.yaml:5:7: mapping values are not allowed in this context");
	expect_error("- a\n- b\n", "f.yaml:1:1: document is not a mapping");
	expect_error("---\nkind: ConfigMap\nmetadata: {name: a}\n", "f.yaml:2:1: missing apiVersion");
	expect_error("apiVersion: v1\nmetadata: {name: a}\n", "f.yaml:1:1: missing kind");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata: {generateName: a-}\n",
		     "f.yaml:1:1: metadata.generateName is not supported, set metadata.name");
	expect_error("apiVersion: v1\nkind: Pod\n", "f.yaml:1:1: missing metadata.name");
	/* `name: y` is the boolean true to kubectl, so it is no name. */
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: y\n",
		     "f.yaml:1:1: metadata.name must be a string (quote it)");
	expect_error("apiVersion: 1\nkind: Pod\n", "f.yaml:1:1: apiVersion must be a string (quote it)");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"\"\n",
		     "f.yaml:1:1: missing metadata.name");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: 12\n",
		     "f.yaml:1:1: metadata.namespace must be a string (quote it)");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata: [a]\n",
		     "f.yaml:1:1: metadata is not a mapping");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  labels: {}\n  name: b\n",
		     "f.yaml:6:3: duplicate key \"name\" (first at line 4)");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  x: .inf\n",
		     "f.yaml:5:6: .inf cannot be represented in JSON");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  ? [x]\n  : y\n",
		     "f.yaml:5:5: mapping keys must be strings");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  l: *nope\n",
		     "f.yaml:5:6: unknown anchor \"nope\"");
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: \"a\n",
		     "f.yaml:5:1: found unexpected end of stream (while scanning a quoted scalar at line 4)");
}

static void test_invalid_utf8(void **state)
{
	expect_error("apiVersion: v1\nkind: Pod\nmetadata:\n  name: caf\xc3\n",
		     "f.yaml:4:13: invalid UTF-8: invalid trailing UTF-8 octet (byte 0x0a)");
	expect_error("apiVersion: v1\nkind: P\xffod\n",
		     "f.yaml:2:8: invalid UTF-8: invalid leading UTF-8 octet (byte 0xff)");
}

static void test_depth_limit(void **state)
{
	char text[1024];
	size_t n;

	n = (size_t)snprintf(text, sizeof(text), "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nx: ");
	for (int i = 0; i < MANIFEST_MAX_DEPTH; i++)
		text[n++] = '[';
	text[n] = '\0';
	/* The root mapping is level 1, so the 100th '[' is level 101, at column 103. */
	expect_error(text, "f.yaml:4:103: nesting deeper than 100 levels");
	n = (size_t)snprintf(text, sizeof(text), "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nx: ");
	for (int i = 0; i < MANIFEST_MAX_DEPTH - 2; i++)
		text[n++] = '[';
	for (int i = 0; i < MANIFEST_MAX_DEPTH - 2; i++)
		text[n++] = ']';
	text[n] = '\0';
	{
		struct object_set s;
		struct err e;
		assert_int_equal(parse(&s, "f.yaml", text, &e), 0);
		object_set_dispose(&s);
	}
}

static void test_billion_laughs(void **state)
{
	const char *text = "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
			   "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
			   "b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
			   "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n"
			   "d: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
			   "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\n"
			   "f: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\n"
			   "g: &g [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n"
			   "h: &h [*g, *g, *g, *g, *g, *g, *g, *g, *g, *g]\n"
			   "i: &i [*h, *h, *h, *h, *h, *h, *h, *h, *h, *h]\n";

	/* a-d expand to 12330 nodes; each copy of d adds 11111: the 8th one passes 100000. */
	expect_error(text, "f.yaml:8:36: aliases expand to more than 100000 nodes");
}

static void test_alias_limit_per_file(void **state)
{
	struct buf b;
	struct object_set s;
	struct err e;

	/* 20 documents of 10000 alias nodes each: fine one by one, too many together. */
	buf_init(&b, 0);
	buf_puts(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\n"
		     "x: &x [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]\n");
	for (int d = 0; d < 20; d++) {
		buf_printf(&b, "---\napiVersion: v1\nkind: Pod\nmetadata: {name: p%d}\n"
			       "x: &x [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19]\n"
			       "y: &y [*x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x, *x]\n"
			       "z: [*y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y, *y]\n",
			   d);
	}
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_parse(&s, "many.yaml", b.data, b.len, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "aliases expand to more than 100000 nodes"));
	assert_true(s.n > 1 && s.n < 21);
	object_set_dispose(&s);
	buf_dispose(&b);
}

static void test_document_limit(void **state)
{
	struct buf b;
	struct object_set s;
	struct err e;
	char want[128];

	/* Twice the bound, four lines each: the parse stops at the first one over it. */
	buf_init(&b, 0);
	for (int d = 0; d < 2 * MANIFEST_MAX_DOCS; d++)
		buf_printf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", d);
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_parse(&s, "many.yaml", b.data, b.len, &e), TE_INPUT);
	snprintf(want, sizeof(want), "many.yaml:%d:1: more than %d documents in one file",
		 4 * MANIFEST_MAX_DOCS + 1, MANIFEST_MAX_DOCS);
	assert_string_equal(e.msg, want);
	/* Documents past the bound were never built. */
	assert_int_equal(s.n, MANIFEST_MAX_DOCS);
	object_set_dispose(&s);
	buf_dispose(&b);

	/* Empty documents count too: they cost the parser as much. */
	buf_init(&b, 0);
	for (int d = 0; d <= MANIFEST_MAX_DOCS; d++)
		buf_puts(&b, "---\n");
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_parse(&s, "empty.yaml", b.data, b.len, &e), TE_INPUT);
	snprintf(want, sizeof(want), "empty.yaml:%d:1: more than %d documents in one file",
		 MANIFEST_MAX_DOCS + 1, MANIFEST_MAX_DOCS);
	assert_string_equal(e.msg, want);
	object_set_dispose(&s);
	buf_dispose(&b);

	/* At the bound, every document is read. */
	buf_init(&b, 0);
	for (int d = 0; d < MANIFEST_MAX_DOCS; d++)
		buf_printf(&b, "---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: c%d}\n", d);
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_parse(&s, "ok.yaml", b.data, b.len, &e), 0);
	assert_int_equal(s.n, MANIFEST_MAX_DOCS);
	object_set_dispose(&s);
	buf_dispose(&b);
}

static void test_node_limit(void **state)
{
	struct buf b;
	struct object_set s;
	struct err e;
	char want[128];
	/* Nodes before the list: the root, 5 keys and values, metadata, name, a, x, the list. */
	const int before = 11, over = MANIFEST_MAX_NODES - before + 1;

	buf_init(&b, 0);
	buf_puts(&b, "apiVersion: v1\nkind: Pod\nmetadata: {name: a}\nx: [0");
	for (int i = 1; i < MANIFEST_MAX_NODES; i++)
		buf_puts(&b, ",0");
	buf_puts(&b, "]\n");
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_parse(&s, "f.yaml", b.data, b.len, &e), TE_INPUT);
	/* Element k of "x: [0,0,..." is at column 2k + 3. */
	snprintf(want, sizeof(want), "f.yaml:4:%d: more than %d nodes in one file", 2 * over + 3,
		 MANIFEST_MAX_NODES);
	assert_string_equal(e.msg, want);
	assert_int_equal(s.n, 0);
	object_set_dispose(&s);
	buf_dispose(&b);
}

static void test_file_too_large(void **state)
{
	struct object_set s;
	struct err e;
	size_t n = MANIFEST_MAX_FILE + 1;
	char *big = malloc(n);

	memset(big, ' ', n);
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_parse(&s, "big.yaml", big, n, &e), TE_INPUT);
	assert_string_equal(e.msg, "big.yaml: 4194305 bytes, more than the 4194304-byte limit");
	free(big);
}

static void test_duplicate_identity(void **state)
{
	struct object_set s;
	struct err e;
	const char *a = "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: w}\n";
	const char *b = "apiVersion: v1\nkind: Service\nmetadata: {name: w}\n---\n"
			"apiVersion: apps/v1beta2\nkind: Deployment\nmetadata: {name: w}\n";

	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_parse(&s, "a.yaml", a, strlen(a), &e), 0);
	assert_int_equal(manifest_parse(&s, "b.yaml", b, strlen(b), &e), 0);
	assert_int_equal(s.n, 3);
	assert_int_equal(object_set_check_unique(&s, &e), TE_INPUT);
	assert_string_equal(e.msg, "deployment.apps/w defined twice: a.yaml:1:1 and b.yaml:5:1");
	object_set_dispose(&s);
}

static void test_yaml_to_json(void **state)
{
	struct err e;
	cJSON *v = NULL;
	char *js;

	err_clear(&e);
	assert_int_equal(yaml_to_json("k.yaml", "resources:\n- a.yaml\n- ../base\n", 30, &v, &e), 0);
	js = cJSON_PrintUnformatted(v);
	assert_string_equal(js, "{\"resources\":[\"a.yaml\",\"../base\"]}");
	free(js);
	cJSON_Delete(v);
	assert_int_equal(yaml_to_json("k.yaml", "a: 1\n---\nb: 2\n", 14, &v, &e), TE_INPUT);
	assert_string_equal(e.msg, "k.yaml:3:1: expected a single YAML document");
	assert_null(v);
	err_clear(&e);
	assert_int_equal(yaml_to_json("k.yaml", "", 0, &v, &e), 0);
	assert_true(cJSON_IsNull(v));
	cJSON_Delete(v);
}

static void roundtrip(const char *json, const char *want_yaml)
{
	cJSON *v = cJSON_Parse(json), *back = NULL;
	struct buf b;
	struct err e;

	err_clear(&e);
	buf_init(&b, 0);
	assert_non_null(v);
	assert_int_equal(json_to_yaml(v, &b, &e), 0);
	if (want_yaml)
		assert_string_equal(b.data, want_yaml);
	assert_int_equal(yaml_to_json("rt.yaml", b.data, b.len, &back, &e), 0);
	assert_true(cJSON_Compare(v, back, 1));
	cJSON_Delete(v);
	cJSON_Delete(back);
	buf_dispose(&b);
}

static void test_json_to_yaml(void **state)
{
	roundtrip("{\"a\":\"true\",\"b\":\"1.0\",\"c\":\"\",\"d\":\"x: y\",\"e\":\"yes\",\"f\":1.5,"
		  "\"g\":[],\"h\":{},\"i\":null,\"j\":false,\"k\":\"~\",\"l\":\"0x10\",\"m\":12}",
		  "a: \"true\"\nb: \"1.0\"\nc: \"\"\nd: 'x: y'\ne: \"yes\"\nf: 1.5\ng: []\nh: {}\n"
		  "i: null\nj: false\nk: \"~\"\nl: \"0x10\"\nm: 12\n");
	roundtrip("{\"z\":{\"b\":[1,{\"x\":\"line1\\nline2\\n\"}],\"a\":\"- dash\"},\"<<\":\"m\","
		  "\"n\":0.1,\"o\":1e+22,\"p\":\"# hash\",\"u\":\"caf\\u00e9\"}",
		  NULL);
	/* timestamps are quoted as kubectl quotes them; a date-like name is not one */
	roundtrip("{\"t\":\"2026-12-08T00:27:59Z\",\"d\":\"2026-1-2\",\"x\":\"2026-12-08x\","
		  "\"v\":\"v2026-12-08\"}",
		  "t: \"2026-12-08T00:27:59Z\"\nd: \"2026-1-2\"\nx: 2026-12-08x\nv: v2026-12-08\n");
}

static void test_write_yaml(void **state)
{
	struct object_set s;
	struct err e;
	struct buf b;

	assert_int_equal(parse(&s, "f.yaml",
			       "apiVersion: v1\nkind: A\nmetadata: {name: a}\n---\n"
			       "apiVersion: v1\nkind: B\nmetadata: {name: b}\n",
			       &e),
			 0);
	buf_init(&b, 0);
	assert_int_equal(manifest_write_yaml(&s, &b, &e), 0);
	assert_string_equal(b.data, "apiVersion: v1\nkind: A\nmetadata:\n  name: a\n---\n"
				    "apiVersion: v1\nkind: B\nmetadata:\n  name: b\n");
	buf_dispose(&b);
	buf_init(&b, 20);
	assert_int_equal(manifest_write_yaml(&s, &b, &e), TE_NOMEM);
	buf_dispose(&b);
	object_set_dispose(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalar_typing),
		cmocka_unit_test(test_multi_doc_and_positions),
		cmocka_unit_test(test_list_items),
		cmocka_unit_test(test_json_input),
		cmocka_unit_test(test_json_surrogates),
		cmocka_unit_test(test_merge_keys),
		cmocka_unit_test(test_errors),
		cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_depth_limit),
		cmocka_unit_test(test_billion_laughs),
		cmocka_unit_test(test_alias_limit_per_file),
		cmocka_unit_test(test_file_too_large),
		cmocka_unit_test(test_duplicate_identity),
		cmocka_unit_test(test_tagged_scalars),
		cmocka_unit_test(test_parse_alloc_failures),
		cmocka_unit_test(test_tagged_errors),
		cmocka_unit_test(test_json_numbers),
		cmocka_unit_test(test_document_limit),
		cmocka_unit_test(test_node_limit),
		cmocka_unit_test(test_yaml_to_json),
		cmocka_unit_test(test_json_to_yaml),
		cmocka_unit_test(test_write_yaml),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
