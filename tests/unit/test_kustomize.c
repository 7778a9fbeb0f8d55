/*
 * Unit tests for tether's kustomize: every fixture overlay under
 * tests/fixtures/kustomize/ is built by tether and by `kubectl kustomize` (run with
 * execvp, no shell, with a private HOME), and the two object sets must be equal as
 * parsed objects, generated names included. Error fixtures must fail with TE_INPUT
 * and a message naming the file and the field. Without kubectl the comparisons fail
 * visibly instead of passing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "manifest.h"
#include "kustomize_int.h"
#include "alloc_fail.h"

#define FIXTURES "tests/fixtures/kustomize"

static char home[] = "/tmp/tether-kustomize-home.XXXXXX";

/* Runs `kubectl kustomize FIXTURES/dir` and returns its stdout; NULL on failure. */
static int kubectl_kustomize(const char *dir, struct buf *out)
{
	char path[512];
	int pfd[2], status;
	pid_t pid;
	char chunk[65536];
	ssize_t n;

	snprintf(path, sizeof(path), "%s/%s", FIXTURES, dir);
	if (pipe(pfd) < 0)
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char *argv[] = {"kubectl", "kustomize", path, NULL};

		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		setenv("HOME", home, 1);
		unsetenv("KUBECONFIG");
		execvp("kubectl", argv);
		_exit(127);
	}
	close(pfd[1]);
	while ((n = read(pfd[0], chunk, sizeof(chunk))) > 0)
		if (buf_append(out, chunk, (size_t)n) < 0)
			break;
	close(pfd[0]);
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
		return -1;
	return 0;
}

static int cmp_obj(const void *a, const void *b)
{
	const struct object *x = a, *y = b;
	char *kx = object_key(x), *ky = object_key(y);
	int c = strcmp(kx, ky);

	free(kx);
	free(ky);
	return c;
}

static void print_obj(const char *who, const struct object *o)
{
	char *s = cJSON_PrintUnformatted(o->body);

	print_error("  %s: %s\n", who, s);
	free(s);
}

/* Compares two object sets as sets of parsed objects; prints the differences. */
static int compare_sets(struct object_set *mine, struct object_set *ref)
{
	int diffs = 0;
	size_t i = 0, j = 0;

	qsort(mine->items, mine->n, sizeof(*mine->items), cmp_obj);
	qsort(ref->items, ref->n, sizeof(*ref->items), cmp_obj);
	while (i < mine->n || j < ref->n) {
		int c = i >= mine->n  ? 1
			: j >= ref->n ? -1
				      : cmp_obj(&mine->items[i], &ref->items[j]);

		if (c < 0) {
			print_obj("only tether", &mine->items[i++]);
			diffs++;
		} else if (c > 0) {
			print_obj("only kubectl", &ref->items[j++]);
			diffs++;
		} else {
			if (!cJSON_Compare(mine->items[i].body, ref->items[j].body, true)) {
				print_obj("tether ", &mine->items[i]);
				print_obj("kubectl", &ref->items[j]);
				diffs++;
			}
			i++;
			j++;
		}
	}
	return diffs;
}

/* Compares the order of two outputs (kustomize's sortOptions); prints the first
 * difference. */
static int compare_order(const struct object_set *mine, const struct object_set *ref)
{
	for (size_t i = 0; i < mine->n && i < ref->n; i++) {
		char *km = object_key(&mine->items[i]), *kr = object_key(&ref->items[i]);
		int c = strcmp(km, kr);

		if (c)
			print_error("  object %zu: tether %s, kubectl %s\n", i, km, kr);
		free(km);
		free(kr);
		if (c)
			return 1;
	}
	return mine->n != ref->n;
}

static int tether_build(const char *dir, struct object_set *out, struct err *e)
{
	struct vfs *v = NULL;
	int rc;

	err_clear(e);
	if ((rc = vfs_open_dir(&v, FIXTURES, e)) < 0)
		return rc;
	rc = kustomize_build(v, dir, out, e);
	vfs_free(v);
	return rc;
}

static void check_same(const char *dir)
{
	struct object_set mine, ref;
	struct buf out;
	struct err e;
	int rc;

	object_set_init(&mine);
	object_set_init(&ref);
	buf_init(&out, BUF_DEFAULT_MAX);
	rc = tether_build(dir, &mine, &e);
	if (rc < 0)
		print_error("%s: tether: %s\n", dir, e.msg);
	assert_int_equal(rc, 0);
	if (kubectl_kustomize(dir, &out) < 0) {
		print_error("%s: `kubectl kustomize` failed or is not installed\n", dir);
		fail();
	}
	err_clear(&e);
	rc = manifest_parse(&ref, "kubectl-output", out.data, out.len, &e);
	if (rc < 0)
		print_error("%s: parsing kubectl's output: %s\n", dir, e.msg);
	assert_int_equal(rc, 0);
	assert_true(ref.n > 0);
	if (compare_order(&mine, &ref) != 0) {
		print_error("%s: tether's order differs from kubectl kustomize's\n", dir);
		fail();
	}
	if (compare_sets(&mine, &ref) != 0) {
		print_error("%s: tether and kubectl kustomize differ\n", dir);
		fail();
	}
	object_set_dispose(&mine);
	object_set_dispose(&ref);
	buf_dispose(&out);
}

/* Expects TE_INPUT with a message holding each of the given fragments. */
static void check_error(const char *dir, const char *frag1, const char *frag2)
{
	struct object_set mine;
	struct err e;
	int rc;

	object_set_init(&mine);
	rc = tether_build(dir, &mine, &e);
	if (rc != TE_INPUT || !strstr(e.msg, frag1) || (frag2 && !strstr(e.msg, frag2)))
		print_error("%s: rc=%d msg=\"%s\", want \"%s\" and \"%s\"\n", dir, rc, e.msg, frag1,
			    frag2 ? frag2 : "");
	assert_int_equal(rc, TE_INPUT);
	assert_non_null(strstr(e.msg, frag1));
	if (frag2)
		assert_non_null(strstr(e.msg, frag2));
	object_set_dispose(&mine);
}

/* Fixture overlays compared with `kubectl kustomize`: X(test name, directory). */
#define SAME_FIXTURES(X)                                                                           \
	X(basic, "basic")                                                                          \
	X(nameref, "nameref")                                                                      \
	X(generators, "generators/base")                                                           \
	X(generators_overlay, "generators/overlay")                                                \
	X(images, "images")                                                                        \
	X(replicas, "replicas")                                                                    \
	X(labels, "labels")                                                                        \
	X(patches, "patches")                                                                      \
	X(json6902_middle, "json6902-middle")                                                      \
	X(plugins_builtin, "plugins/builtin")                                                      \
	X(plugins_hash, "plugins/hash")                                                            \
	X(smp_lists, "smp/overlay")                                                                \
	X(fifo, "fifo")                                                                            \
	X(multins, "multins/overlay")                                                              \
	X(yaml12, "yaml12")                                                                        \
	X(component_top, "component-top")                                                          \
	X(variants, "variants/top")                                                                \
	X(misc, "misc")                                                                            \
	X(components, "components/overlay")                                                        \
	X(nested, "nested/top")                                                                    \
	X(app_base, "app/base")                                                                    \
	X(app_dev, "app/overlays/dev")                                                             \
	X(app_prod, "app/overlays/prod")                                                           \
	X(targets, "targets/overlay")                                                              \
	X(order_base, "order/base")                                                                \
	X(order_custom, "order/custom")                                                            \
	X(chart_base, "chart/base")                                                                \
	X(chart_overlay, "chart/overlay")                                                          \
	X(fieldnames, "fieldnames")                                                                \
	X(json6902_positions, "json6902-positions")                                                \
	X(configurations_base, "configurations/base")                                              \
	X(configurations_overlay, "configurations/overlay")                                        \
	X(openapi, "openapi")                                                                      \
	X(replacements, "replacements")                                                            \
	X(vars_base, "vars/base")                                                                  \
	X(vars_overlay, "vars/overlay")                                                            \
	X(kubebuilder, "kubebuilder/config/default")                                               \
	X(components_generated, "components-generated/top")

#define SAME_TEST(name, dir)                                                                       \
	static void test_same_##name(void **state)                                                 \
	{                                                                                          \
		check_same(dir);                                                                   \
	}
SAME_FIXTURES(SAME_TEST)

/* Error fixtures: X(test name, directory, fragment, fragment). */
#define ERROR_FIXTURES(X)                                                                          \
	X(remote, "errors/remote", "errors/remote/kustomization.yaml", "remote")                   \
	X(plugin_exec, "errors/plugin-exec",                                                       \
	  "errors/plugin-exec/kustomization.yaml: field transformers: errors/plugin-exec/sed.yaml:1", \
	  "an exec or Go plugin")                                                                  \
	X(plugin_krm, "errors/plugin-krm", "errors/plugin-krm/kustomization.yaml: field generators", \
	  "a KRM function")                                                                        \
	X(plugin_helm, "errors/plugin-helm", "field generators", "HelmChartInflationGenerator")     \
	X(plugin_misplaced, "errors/plugin-misplaced", "field transformers",                      \
	  "ConfigMapGenerator gen is not a transformer")                                           \
	X(plugin_fieldspec, "errors/plugin-fieldspec", "errors/plugin-fieldspec/affix.yaml",      \
	  "fieldSpecs path data/a is not supported")                                               \
	X(helm, "errors/helm", "errors/helm/kustomization.yaml", "helmCharts")                     \
	X(vars, "errors/vars", "errors/vars/kustomization.yaml: vars: var '{X ConfigMap.v1.[noGrp] "  \
	  "{metadata.name}}' cannot be mapped to a field in the set of known resources",           \
	  NULL)                                                                                    \
	X(vars_twice, "errors/vars-twice",                                                         \
	  "errors/vars-twice/kustomization.yaml: vars: var 'X' already encountered", NULL)         \
	X(replacements, "errors/replacements",                                                     \
	  "errors/replacements/kustomization.yaml: replacements: nothing selected by "             \
	  "Secret.[noVer].[noGrp]/c.[noNs]",                                                       \
	  NULL)                                                                                    \
	X(replacements_target, "errors/replacements-target",                                       \
	  "errors/replacements-target/kustomization.yaml: replacements: unable to find field "     \
	  "\"data.missing\" in replacement target ConfigMap.v1.[noGrp]/c.[noNs]",                  \
	  NULL)                                                                                    \
	X(replacements_field, "errors/replacements-field",                                         \
	  "errors/replacements-field/kustomization.yaml: replacements[0].targets[0]: unknown "     \
	  "field fieldPath",                                                                       \
	  NULL)                                                                                    \
	X(replacements_file, "errors/replacements-file",                                           \
	  "errors/replacements-file/repl.yaml: replacements: multiple matches for selector "       \
	  "ConfigMap.[noVer].[noGrp]/[noName].[noNs]:data.a",                                      \
	  NULL)                                                                                    \
	X(escape, "errors/escape", "errors/escape/kustomization.yaml", "leaves")                   \
	X(missing, "errors/missing", "errors/missing/kustomization.yaml", "nope.yaml")             \
	X(component_as_resource, "errors/component-as-resource", "Component", NULL)                \
	X(unknown_field, "errors/unknown", "errors/unknown/kustomization.yaml", "frobnicate")      \
	X(cycle, "errors/cycle/a", "cycle", NULL)                                                  \
	X(no_kustomization, "errors/nokust", "no kustomization.yaml", NULL)                        \
	X(outside_file, "errors/outside-file/k", "errors/outside-file/k/kustomization.yaml",       \
	  "not in or below")                                                                       \
	X(missing_genfile, "errors/missing-genfile", "configMapGenerator", "absent.properties")    \
	X(number_tag, "errors/number-tag", "newTag of nginx must be a string", NULL)               \
	X(duplicate, "errors/duplicate",                                                           \
	  "ConfigMap same from errors/duplicate/b.yaml:1 is already defined in "                   \
	  "errors/duplicate/a.yaml:1",                                                             \
	  "errors/duplicate/kustomization.yaml")                                                   \
	X(diamond, "errors/diamond/top", "ConfigMap same from", "is already defined")              \
	X(empty, "errors/empty", "errors/empty/kustomization.yaml: the kustomization is empty",    \
	  NULL)                                                                                    \
	X(two_files, "errors/two-files",                                                           \
	  "found both errors/two-files/kustomization.yaml and "                                    \
	  "errors/two-files/kustomization.yml",                                                    \
	  NULL)                                                                                    \
	X(nested_field, "errors/nested-field",                                                     \
	  "errors/nested-field/kustomization.yaml: images[0]: unknown field tag", NULL)            \
	X(config_prefix, "errors/config-prefix", "errors/config-prefix/prefix-config.yaml",        \
	  "field namePrefix is not supported")                                                     \
	X(openapi_version, "errors/openapi-version", "errors/openapi-version/kustomization.yaml",  \
	  "openapi.version")

#define ERROR_TEST(name, dir, f1, f2)                                                              \
	static void test_error_##name(void **state)                                                \
	{                                                                                          \
		check_error(dir, f1, f2);                                                          \
	}
ERROR_FIXTURES(ERROR_TEST)

/* Field paths split as kustomize's kyaml splits them. */
static void check_parts(const char *path, bool var, const char *const *want, size_t n)
{
	struct ks_fpath p;

	assert_int_equal(var ? ks_fpath_parse_var(&p, path) : ks_fpath_parse(&p, path), 0);
	assert_int_equal(p.parts.n, n);
	for (size_t i = 0; i < n; i++)
		assert_string_equal(p.parts.items[i], want[i]);
	ks_fpath_dispose(&p);
}

static void test_fpath_parse(void **state)
{
	const char *const a[] = {"spec", "containers", "[name=manager]", "image"};
	const char *const b[] = {"metadata", "annotations", "a.b/c"};
	const char *const c[] = {"spec", "dnsNames", "0"};
	const char *const d[] = {"[name=a.b]", "x"};
	const char *const v[] = {"spec", "ports", "0", "port"};

	check_parts("spec.containers.[name=manager].image", false, a, 4);
	check_parts("metadata.annotations.[a.b/c]", false, b, 3);
	check_parts(".spec.dnsNames.0", false, c, 3);
	check_parts("[name=a.b].x", false, d, 2);
	check_parts("spec.ports[0].port", true, v, 4);
}

/* Finding with create appends a selected element that is missing; an index past
 * the end is an error naming the list's length, as kustomize's. */
static void test_fpath_create(void **state)
{
	cJSON *o = cJSON_Parse("{\"a\":[{\"name\":\"x\"}]}");
	struct ks_match *m = NULL;
	struct ks_fpath p;
	struct err e;
	size_t n = 0;
	char *s;

	err_clear(&e);
	assert_int_equal(ks_fpath_parse(&p, "a.[name=y].v"), 0);
	assert_int_equal(ks_fpath_find(o, &p, 0, &m, &n, &e), 0);
	assert_int_equal(n, 0);
	free(m);
	assert_int_equal(ks_fpath_find(o, &p, cJSON_NULL, &m, &n, &e), 0);
	assert_int_equal(n, 1);
	free(m);
	ks_fpath_dispose(&p);
	s = cJSON_PrintUnformatted(o);
	assert_string_equal(s, "{\"a\":[{\"name\":\"x\"},{\"name\":\"y\",\"v\":null}]}");
	free(s);
	/* Reading compares the value as text; writing takes it as a regular expression. */
	assert_int_equal(ks_fpath_parse(&p, "a.[name=^x].name"), 0);
	assert_null(ks_fpath_get(o, &p));
	assert_int_equal(ks_fpath_find(o, &p, 0, &m, &n, &e), 0);
	assert_int_equal(n, 1);
	free(m);
	ks_fpath_dispose(&p);
	assert_int_equal(ks_fpath_parse(&p, "a.3.name"), 0);
	assert_int_equal(ks_fpath_find(o, &p, 0, &m, &n, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "index 3 specified but only 2 elements found"));
	ks_fpath_dispose(&p);
	cJSON_Delete(o);
}

/* Runs kust's replacements (or vars) on a copy of the objects of objs; returns them
 * printed (NULL when the run failed, with a message). */
static char *run_kust_step(const char *objs, const char *kust_text, bool vars, long fail_at,
			   int *rc)
{
	cJSON *list = cJSON_Parse(objs), *kust = cJSON_Parse(kust_text), *it, *out;
	struct ks_ctx c = {.file = "k.yaml"};
	struct ks_set ra;
	struct err e;
	char *text = NULL;

	ks_set_init(&ra);
	err_clear(&e);
	cJSON_ArrayForEach(it, list) ks_set_add(&ra, cJSON_Duplicate(it, true), "o.yaml", 1, 1, &e);
	if (fail_at)
		alloc_fail_start(fail_at, ALLOC_FAIL_ONLY);
	if (!vars)
		*rc = ks_replacements(&c, kust, &ra, &e);
	else if ((*rc = ks_vars_merge(&c, kust, &ra, &e)) == 0)
		*rc = ks_vars_resolve(&c, &ra, &e);
	alloc_fail_stop();
	ks_vars_dispose(&c);
	if (*rc < 0)
		assert_true(e.msg[0] != '\0');
	out = cJSON_CreateArray();
	for (size_t i = 0; i < ra.n && *rc == 0; i++)
		cJSON_AddItemToArray(out, cJSON_Duplicate(ra.items[i].body, true));
	if (*rc == 0)
		text = cJSON_PrintUnformatted(out);
	cJSON_Delete(out);
	ks_set_dispose(&ra);
	cJSON_Delete(list);
	cJSON_Delete(kust);
	return text;
}

/* Each allocation failing in turn gives an error or the whole result, never a result
 * missing a value. */
static void check_step_alloc_failures(const char *objs, const char *kust, bool vars,
				      const char *const *frags)
{
	long failures = 0;
	int rc;
	char *want = run_kust_step(objs, kust, vars, 0, &rc);

	assert_int_equal(rc, 0);
	for (; *frags; frags++)
		if (!strstr(want, *frags))
			fail_msg("%s lacks %s", want, *frags);
	for (long n = 1; n < 10000; n++) {
		char *got = run_kust_step(objs, kust, vars, n, &rc);

		if (rc < 0)
			failures++;
		else
			assert_string_equal(got, want);
		free(got);
		if (rc == 0 && alloc_fail_count() < n)
			break;
	}
	free(want);
	assert_true(failures > 0);
}

static void test_replacement_alloc_failures(void **state)
{
	const char *objs = "[{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\",\"metadata\":{\"name\":"
			   "\"c\"},\"data\":{\"h\":\"a.b\",\"m\":{\"k\":1}}},{\"apiVersion\":"
			   "\"apps/v1\",\"kind\":\"Deployment\",\"metadata\":{\"name\":\"d\"},"
			   "\"spec\":{\"replicas\":1,\"x\":[{\"name\":\"n\",\"v\":\"p:q\"}]}}]";
	const char *kust =
	    "{\"replacements\":[{\"source\":{\"kind\":\"ConfigMap\",\"fieldPath\":\"data.h\","
	    "\"options\":{\"delimiter\":\".\",\"index\":1}},\"targets\":[{\"select\":{\"kind\":"
	    "\"Deployment\"},\"fieldPaths\":[\"spec.x.[name=n].v\",\"spec.x.[name=o].w\","
	    "\"metadata.annotations.[a.b/c]\"],\"options\":{\"delimiter\":\":\",\"index\":0,"
	    "\"create\":true}}]},{\"source\":{\"kind\":\"ConfigMap\",\"fieldPath\":\"data.m\"},"
	    "\"targets\":[{\"select\":{\"name\":\"d\"},\"fieldPaths\":[\"spec.m\"],"
	    "\"options\":{\"create\":true}}]}]}";
	const char *const frags[] = {"\"v\":\"b:q\"", "{\"name\":\"o\",\"w\":\"b\"}",
				     "\"a.b/c\":\"b\"", "\"m\":{\"k\":1}}}", NULL};

	check_step_alloc_failures(objs, kust, false, frags);
}

/* vars: a whole-string $(VAR) keeps the value's type, "$$" is "$", an unknown name
 * stays; each allocation failing in turn gives an error or all of that. */
static void test_vars_alloc_failures(void **state)
{
	const char *objs =
	    "[{\"apiVersion\":\"v1\",\"kind\":\"Service\",\"metadata\":{\"name\":\"db\"},"
	    "\"spec\":{\"ports\":[{\"port\":5432}]}},{\"apiVersion\":\"v1\",\"kind\":\"Pod\","
	    "\"metadata\":{\"name\":\"p\",\"annotations\":{\"a\":\"$(H):$(P) $$ $(X)\"}},"
	    "\"spec\":{\"containers\":[{\"name\":\"c\",\"args\":[\"$(P)\",\"-h=$(H)\"]}]}}]";
	const char *kust = "{\"vars\":[{\"name\":\"H\",\"objref\":{\"kind\":\"Service\","
			   "\"name\":\"db\",\"apiVersion\":\"v1\"}},{\"name\":\"P\",\"objref\":"
			   "{\"kind\":\"Service\",\"name\":\"db\",\"apiVersion\":\"v1\"},"
			   "\"fieldref\":{\"fieldPath\":\"spec.ports[0].port\"}}]}";
	const char *const frags[] = {"\"a\":\"db:5432 $ $(X)\"", "\"args\":[5432,\"-h=db\"]", NULL};

	check_step_alloc_failures(objs, kust, true, frags);
}

/* The hash kubectl kustomize v5.5 gave a generator with literals A=1 and B=<x&y>
 * (the HTML characters are escaped in the hashed JSON, as Go does). */
static void test_content_hash(void **state)
{
	cJSON *cm = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
				"\"metadata\":{\"name\":\"whatever\"},"
				"\"data\":{\"B\":\"<x&y>\",\"A\":\"1\"}}");
	struct err e;
	char h[11];

	err_clear(&e);
	assert_int_equal(ks_content_hash(cm, h, &e), 0);
	assert_string_equal(h, "kh7f5d858d");
	/* The name does not count: kustomize hashes an empty name. */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(cm, "metadata"), "name",
				  cJSON_CreateString("other"));
	assert_int_equal(ks_content_hash(cm, h, &e), 0);
	assert_string_equal(h, "kh7f5d858d");
	cJSON_Delete(cm);
}

/* kubectl kustomize v5.5 gave a generator with the literal A=café U+2029 U+2028 U+1F600
 * the hash 77h5fc7947: multibyte UTF-8 is hashed as is, U+2028 and U+2029 escaped. */
static void test_content_hash_utf8(void **state)
{
	cJSON *cm = cJSON_Parse("{\"apiVersion\":\"v1\",\"kind\":\"ConfigMap\","
				"\"metadata\":{\"name\":\"whatever\"},\"data\":{\"A\":\"\"}}");
	cJSON *data = cJSON_GetObjectItem(cm, "data");
	struct err e;
	char h[11], bad1[11], bad2[11], plain[11];

	err_clear(&e);
	cJSON_ReplaceItemInObject(data, "A",
				  cJSON_CreateString("caf\xc3\xa9 \xe2\x80\xa9 "
						     "\xe2\x80\xa8 \xf0\x9f\x98\x80"));
	assert_int_equal(ks_content_hash(cm, h, &e), 0);
	assert_string_equal(h, "77h5fc7947");
	/* Go writes every invalid byte as the escape \ufffd, not as the byte or a "?". */
	cJSON_ReplaceItemInObject(data, "A", cJSON_CreateString("\xff"));
	assert_int_equal(ks_content_hash(cm, bad1, &e), 0);
	cJSON_ReplaceItemInObject(data, "A", cJSON_CreateString("\xc3"));
	assert_int_equal(ks_content_hash(cm, bad2, &e), 0);
	cJSON_ReplaceItemInObject(data, "A", cJSON_CreateString("\xc3!"));
	assert_int_equal(ks_content_hash(cm, h, &e), 0);
	assert_string_not_equal(h, bad2); /* one byte replaced, the next one kept */
	cJSON_ReplaceItemInObject(data, "A", cJSON_CreateString("?"));
	assert_int_equal(ks_content_hash(cm, plain, &e), 0);
	assert_string_equal(bad1, bad2);
	assert_string_not_equal(bad1, plain);
	cJSON_Delete(cm);
}

static void test_selector(void **state)
{
	cJSON *labels = cJSON_Parse("{\"app\":\"web\",\"tier\":\"backend\"}");
	static const struct {
		const char *sel;
		bool want;
	} cases[] = {
	    {"app=web", true},
	    {"app==web,tier=backend", true},
	    {"app!=web", false},
	    {"tier in (backend, db)", true},
	    {"tier notin (backend)", false},
	    {"app,!legacy", true},
	    {"legacy", false},
	    {"!app", false},
	    {"", true},
	};
	struct err e;
	bool m;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err_clear(&e);
		assert_int_equal(ks_selector_match(cases[i].sel, labels, &m, &e), 0);
		if (m != cases[i].want)
			print_error("selector \"%s\" gave %d\n", cases[i].sel, m);
		assert_true(m == cases[i].want);
	}
	err_clear(&e);
	assert_int_equal(ks_selector_match("app in (web", labels, &m, &e), TE_INPUT);
	cJSON_Delete(labels);
}

/* Whether data.k is a boolean in the one object ks_parse_objects makes of text. */
static bool yaml12_k_is_bool(const char *text)
{
	struct ks_set s;
	struct err e;
	bool is_bool;

	ks_set_init(&s);
	err_clear(&e);
	assert_int_equal(ks_parse_objects(&s, "t.yaml", text, strlen(text), &e), 0);
	assert_int_equal(s.n, 1);
	is_bool =
	    cJSON_IsBool(cJSON_GetObjectItem(cJSON_GetObjectItem(s.items[0].body, "data"), "k"));
	ks_set_dispose(&s);
	return is_bool;
}

/* The YAML 1.2 pass turns `on` back into a string, except in a document with an anchor
 * or an alias: the positions are ambiguous there, so it is left as manifest_parse read it. */
static void test_yaml12_anchors(void **state)
{
	static const char *const shared[] = {
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\ndata: {x: &v yes, k: on}\n",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: &m {name: a}\ndata: {k: on}\n",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a, l: &l [1]}\ndata: {k: on}\n",
	    "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\nx: &v z\ndata: {w: *v, k: on}\n",
	};

	assert_false(yaml12_k_is_bool("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n"
				      "data: {k: on}\n"));
	for (size_t i = 0; i < sizeof(shared) / sizeof(shared[0]); i++) {
		if (!yaml12_k_is_bool(shared[i]))
			print_error("case %zu: k became a string\n", i);
		assert_true(yaml12_k_is_bool(shared[i]));
	}
}

static void test_json6902_errors(void **state)
{
	cJSON *doc = cJSON_Parse("{\"a\":{\"b\":[1,2]}}");
	cJSON *ok = cJSON_Parse("[{\"op\":\"add\",\"path\":\"/a/b/-\",\"value\":3},"
				"{\"op\":\"move\",\"from\":\"/a/b/0\",\"path\":\"/a/c\"}]");
	cJSON *bad = cJSON_Parse("[{\"op\":\"remove\",\"path\":\"/a/missing\"}]");
	cJSON *test = cJSON_Parse("[{\"op\":\"test\",\"path\":\"/a/c\",\"value\":2}]");
	struct err e;
	char *s;

	err_clear(&e);
	assert_int_equal(ks_json6902(&doc, ok, &e), 0);
	s = cJSON_PrintUnformatted(doc);
	assert_string_equal(s, "{\"a\":{\"b\":[2,3],\"c\":1}}");
	free(s);
	assert_int_equal(ks_json6902(&doc, bad, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "/a/missing"));
	err_clear(&e);
	assert_int_equal(ks_json6902(&doc, test, &e), TE_INPUT);
	cJSON_Delete(doc);
	cJSON_Delete(ok);
	cJSON_Delete(bad);
	cJSON_Delete(test);
}

static void assert_json6902(const char *doc_text, const char *ops_text, const char *want)
{
	cJSON *doc = cJSON_Parse(doc_text), *ops = cJSON_Parse(ops_text);
	struct err e;
	char *s;

	err_clear(&e);
	assert_int_equal(ks_json6902(&doc, ops, &e), 0);
	s = cJSON_PrintUnformatted(doc);
	assert_string_equal(s, want);
	free(s);
	cJSON_Delete(doc);
	cJSON_Delete(ops);
}

/* add, copy and move to an index inside a list insert there (RFC 6902 4.1). */
static void test_json6902_middle(void **state)
{
	assert_json6902("{\"l\":[\"A\",\"C\"]}", "[{\"op\":\"add\",\"path\":\"/l/1\",\"value\":\"B\"}]",
			"{\"l\":[\"A\",\"B\",\"C\"]}");
	assert_json6902("{\"l\":[\"A\",\"B\",\"C\"]}",
			"[{\"op\":\"copy\",\"from\":\"/l/0\",\"path\":\"/l/2\"}]",
			"{\"l\":[\"A\",\"B\",\"A\",\"C\"]}");
	assert_json6902("{\"l\":[\"A\",\"B\",\"C\",\"D\"]}",
			"[{\"op\":\"move\",\"from\":\"/l/0\",\"path\":\"/l/2\"}]",
			"{\"l\":[\"B\",\"C\",\"A\",\"D\"]}");
	assert_json6902("{\"l\":[\"A\",\"B\"],\"m\":[\"X\",\"Z\"]}",
			"[{\"op\":\"move\",\"from\":\"/l/1\",\"path\":\"/m/1\"}]",
			"{\"l\":[\"A\"],\"m\":[\"X\",\"B\",\"Z\"]}");
}

/*
 * Each cJSON allocation of a patch fails in turn: the patch must either fail with an
 * error recorded, or give the full result. What it must never do is succeed with a
 * member or an element missing.
 */
static void check_alloc_failures(const char *doc_text, const char *ops_text, bool smp,
				 const char *want)
{
	long n, failures = 0;

	for (n = 1; n < 10000; n++) {
		cJSON *doc = cJSON_Parse(doc_text), *ops = cJSON_Parse(ops_text);
		struct err e;
		char *got;
		int rc;

		err_clear(&e);
		alloc_fail_start(n, ALLOC_FAIL_FROM);
		rc = smp ? ks_smp(doc, ops, &e) : ks_json6902(&doc, ops, &e);
		alloc_fail_stop();
		got = cJSON_PrintUnformatted(doc);
		if (rc < 0) {
			assert_true(e.msg[0] != '\0');
			failures++;
		} else {
			assert_string_equal(got, want);
		}
		free(got);
		cJSON_Delete(doc);
		cJSON_Delete(ops);
		if (rc == 0 && alloc_fail_count() < n)
			break; /* no allocation left to fail */
	}
	assert_true(failures > 0);
}

static void test_patch_alloc_failures(void **state)
{
	check_alloc_failures("{\"l\":[\"A\",\"C\"],\"m\":{\"x\":1}}",
			     "[{\"op\":\"add\",\"path\":\"/l/1\",\"value\":{\"b\":[1,2]}},"
			     "{\"op\":\"copy\",\"from\":\"/m\",\"path\":\"/l/0\"},"
			     "{\"op\":\"replace\",\"path\":\"/m/x\",\"value\":\"y\"}]",
			     false, "{\"l\":[{\"x\":1},\"A\",{\"b\":[1,2]},\"C\"],\"m\":{\"x\":\"y\"}}");
	check_alloc_failures("{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":"
			     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"x\"}]}}}}",
			     "{\"spec\":{\"replicas\":2,\"template\":{\"spec\":{\"containers\":["
			     "{\"name\":\"a\",\"image\":\"y\"},{\"name\":\"b\",\"image\":\"z\"}]}}}}",
			     true,
			     "{\"apiVersion\":\"apps/v1\",\"kind\":\"Deployment\",\"spec\":{\"template\":"
			     "{\"spec\":{\"containers\":[{\"name\":\"a\",\"image\":\"y\"},{\"name\":\"b\","
			     "\"image\":\"z\"}]}},\"replicas\":2}}");
}

/* Kustomizations with the wrong shapes: each must be TE_INPUT naming the field. */
static void test_bad_shapes(void **state)
{
	static const struct {
		const char *text, *frag;
	} cases[] = {
	    {"resources: just-a-string\n", "resources must be a list"},
	    {"resources: [{a: b}]\n", "resources entries must be strings"},
	    {"- a\n- b\n", "a kustomization must be a mapping"},
	    {"images: 3\n", "images must be a list"},
	    {"images: [{newTag: x}]\n", "images entries need a name"},
	    {"replicas: [{name: x}]\n", "replicas entries need a name and a count"},
	    {"replicas: [{name: x, count: 1}]\n", "replicas: no Deployment"},
	    {"configMapGenerator: [{literals: [A=1]}]\n", "configMapGenerator entries need a name"},
	    {"configMapGenerator: [{name: g, behavior: sideways}]\n", "unknown behavior sideways"},
	    {"configMapGenerator: [{name: g, literals: [A=1, A=2]}]\n", "key A"},
	    {"configMapGenerator: [{name: g, behavior: merge, literals: [A=1]}]\n",
	     "behavior merge but no such object"},
	    {"secretGenerator: [{name: g, literals: A=1}]\n", "literals must be a list"},
	    {"patches: [{target: {kind: X}}]\n", "exactly one of path or patch"},
	    {"patches: [{patch: '[{\"op\": \"add\", \"path\": \"/a\", \"value\": 1}]'}]\n",
	     "a JSON 6902 patch needs a target"},
	    {"patches: [{patch: 'apiVersion: v1\n\nkind: ConfigMap\n\nmetadata: {name: nope}'}]\n",
	     "no such object to patch"},
	    {"patchesJson6902: [{path: x.yaml}]\n", "patchesJson6902 entries need a target"},
	    {"commonLabels: [a, b]\n", "commonLabels must be a mapping"},
	    {"commonLabels: {version: 1.10}\n", "the value of version must be a string"},
	    {"commonAnnotations: {enabled: true}\n", "the value of enabled must be a string"},
	    {"sortOptions: {order: random}\n", "sortOptions.order must be legacy or fifo"},
	    {"sortOptions: {order: fifo, legacySortOptions: {}}\n",
	     "legacySortOptions is set but sortOptions.order is fifo"},
	    {"sortOptions: {order: legacy, legacySortOptions: {orderFirst: Pod}}\n",
	     "legacySortOptions.orderFirst must be a list"},
	    {"configurations: config.yaml\n", "configurations must be a list"},
	    {"configurations: [absent.yaml]\n", "absent.yaml"},
	    {"openapi: schema.json\n", "openapi must be a mapping"},
	    {"openapi: {path: absent.json}\n", "absent.json"},
	    {"Patches: [{Target: {Kind: X}, Frobnicate: 1}]\n", "patches[0]: unknown field Frobnicate"},
	    {"components: [../nowhere]\n", "components"},
	    {"patches: [{target: {name: '(['}, patch: 'apiVersion: v1\n\nkind: ConfigMap\n\n"
	     "metadata: {name: nn}'}]\nconfigMapGenerator: [{name: g}]\n",
	     "invalid regular expression"},
	};
	char dir[] = "/tmp/tether-kustomize-shape.XXXXXX";

	assert_non_null(mkdtemp(dir));
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[512];
		FILE *f;
		struct vfs *v = NULL;
		struct object_set s;
		struct err e;
		int rc;

		snprintf(path, sizeof(path), "%s/kustomization.yaml", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs(cases[i].text, f);
		fclose(f);
		err_clear(&e);
		object_set_init(&s);
		assert_int_equal(vfs_open_dir(&v, dir, &e), 0);
		rc = kustomize_build(v, "", &s, &e);
		if (rc != TE_INPUT || !strstr(e.msg, cases[i].frag))
			print_error("case %zu: rc=%d msg=\"%s\", want \"%s\"\n", i, rc, e.msg,
				    cases[i].frag);
		assert_int_equal(rc, TE_INPUT);
		assert_non_null(strstr(e.msg, cases[i].frag));
		assert_non_null(strstr(e.msg, "kustomization.yaml"));
		object_set_dispose(&s);
		vfs_free(v);
		unlink(path);
	}
	rmdir(dir);
}

static int setup(void **state)
{
	return mkdtemp(home) ? 0 : -1;
}

static int teardown(void **state)
{
	char *argv[] = {"rm", "-rf", home, NULL};
	pid_t pid = fork();

	if (pid == 0) {
		execvp("rm", argv);
		_exit(127);
	}
	if (pid > 0)
		waitpid(pid, NULL, 0);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
#define SAME_ENTRY(name, dir) cmocka_unit_test(test_same_##name),
	    SAME_FIXTURES(SAME_ENTRY)
#define ERROR_ENTRY(name, dir, f1, f2) cmocka_unit_test(test_error_##name),
		ERROR_FIXTURES(ERROR_ENTRY) cmocka_unit_test(test_content_hash),
	    cmocka_unit_test(test_content_hash_utf8),
	    cmocka_unit_test(test_selector),
	    cmocka_unit_test(test_fpath_parse),
	    cmocka_unit_test(test_fpath_create),
	    cmocka_unit_test(test_replacement_alloc_failures),
	    cmocka_unit_test(test_vars_alloc_failures),
	    cmocka_unit_test(test_yaml12_anchors),
	    cmocka_unit_test(test_json6902_errors),
	    cmocka_unit_test(test_json6902_middle),
	    cmocka_unit_test(test_patch_alloc_failures),
	    cmocka_unit_test(test_bad_shapes),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
