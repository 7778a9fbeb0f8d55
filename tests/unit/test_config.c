/* Unit tests for the option table: defaults, bounds, flags, the configuration file and
 * its file:line:col errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config_int.h"

static void test_defaults(void **state)
{
	struct app_config c;
	struct err e;

	err_clear(&e);
	assert_int_equal(app_config_init(&c, &e), 0);
	assert_int_equal(c.timeout_ms, 300000);
	assert_int_equal(c.parallel, 32);
	assert_false(c.prune);
	assert_string_equal(c.output, "text");
	assert_null(c.repo);
	app_config_dispose(&c);
}

static int parse(struct app_config *c, unsigned cmds, struct err *e, int argc, char **argv,
		 struct strlist *args)
{
	bool help;

	err_clear(e);
	app_config_init(c, e);
	return config_parse_args(c, cmds, argc, argv, args, &help, e);
}

static void test_flags(void **state)
{
	char *argv[] = {"--repo", "https://example.com/org/Guest_Book.git/", "--prune",
			"--timeout=90s", "-o", "json", "--namespace=web", "--force-prune=false",
			"-ojson"};
	struct app_config c;
	struct strlist args;
	struct err e;

	strlist_init(&args);
	assert_int_equal(parse(&c, CMD_SYNC, &e, 9, argv, &args), 0);
	assert_string_equal(c.repo, "https://example.com/org/Guest_Book.git/");
	assert_true(c.prune);
	assert_false(c.force_prune);
	assert_int_equal(c.timeout_ms, 90000);
	assert_string_equal(c.output, "json");
	assert_string_equal(c.namespace, "web");
	assert_int_equal(app_config_finish(&c, &e), 0);
	assert_string_equal(c.app, "guest-book"); /* derived from the repository name */
	assert_int_equal(args.n, 0);
	app_config_dispose(&c);
	strlist_dispose(&args);
}

static void test_flag_errors(void **state)
{
	char *unknown[] = {"--repo", "x", "--bogus"};
	char *bounds[] = {"--parallel", "0"};
	char *missing[] = {"--repo"};
	char *badenum[] = {"-o", "xml"};
	char *notforrender[] = {"--prune"};
	char *typo[] = {"--namespce", "x"};
	char *short_other[] = {"-o", "json"};
	struct app_config c;
	struct strlist args;
	struct err e;

	strlist_init(&args);
	assert_int_equal(parse(&c, CMD_SYNC, &e, 3, unknown, &args), TE_INPUT);
	assert_string_equal(e.msg, "unknown flag: --bogus");
	app_config_dispose(&c);
	assert_int_equal(parse(&c, CMD_SYNC, &e, 2, bounds, &args), TE_INPUT);
	assert_string_equal(e.msg, "--parallel: must be between 1 and 64");
	app_config_dispose(&c);
	assert_int_equal(parse(&c, CMD_SYNC, &e, 1, missing, &args), TE_INPUT);
	assert_string_equal(e.msg, "flag needs an argument: --repo");
	app_config_dispose(&c);
	assert_int_equal(parse(&c, CMD_SYNC, &e, 2, badenum, &args), TE_INPUT);
	assert_non_null(strstr(e.msg, "\"xml\" is not one of"));
	app_config_dispose(&c);
	assert_int_equal(parse(&c, CMD_RENDER, &e, 1, notforrender, &args), TE_INPUT);
	assert_string_equal(e.msg, "unknown flag: --prune (only sync, diff, rollback, run take it)");
	app_config_dispose(&c);
	assert_int_equal(parse(&c, CMD_HISTORY, &e, 2, typo, &args), TE_INPUT);
	assert_string_equal(e.msg, "unknown flag: --namespce (did you mean --namespace?)");
	app_config_dispose(&c);
	assert_int_equal(parse(&c, CMD_RUN, &e, 2, short_other, &args), TE_INPUT);
	assert_non_null(strstr(e.msg, "unknown flag: -o (only sync, diff, history"));
	app_config_dispose(&c);
	strlist_dispose(&args);
}

static void test_app_name(void **state)
{
	char *n;

	n = config_app_name("git://127.0.0.1:9418/guestbook.git");
	assert_string_equal(n, "guestbook");
	free(n);
	n = config_app_name("/tmp/x/My Repo/");
	assert_string_equal(n, "my-repo");
	free(n);
	n = config_app_name("git@github.com:org/web.git");
	assert_string_equal(n, "web");
	free(n);
}

static const char good[] = "kubeconfig: /tmp/kc\n"
			   "timeout: 2m\n"
			   "prune: true\n"
			   "apps:\n"
			   "  - name: web\n"
			   "    repo: https://example.com/web.git\n"
			   "    path: deploy\n"
			   "  - repo: https://example.com/api.git\n"
			   "    prune: false\n"
			   "    timeout: 30s\n";

static void test_file_good(void **state)
{
	struct tether_config tc;
	struct err e;

	err_clear(&e);
	assert_int_equal(config_parse(&tc, "t.yaml", good, strlen(good), &e), 0);
	assert_int_equal(tc.n_apps, 2);
	assert_string_equal(tc.apps[0].app, "web");
	assert_string_equal(tc.apps[0].path, "deploy");
	assert_string_equal(tc.apps[0].kubeconfig, "/tmp/kc"); /* inherited */
	assert_true(tc.apps[0].prune);
	assert_int_equal(tc.apps[0].timeout_ms, 120000);
	assert_string_equal(tc.apps[1].app, "api");
	assert_false(tc.apps[1].prune);
	assert_int_equal(tc.apps[1].timeout_ms, 30000);
	assert_int_equal(tc.apps[1].line, 8);
	config_dispose(&tc);
}

static void expect_error(const char *text, const char *msg)
{
	struct tether_config tc;
	struct err e;

	err_clear(&e);
	assert_int_equal(config_parse(&tc, "t.yaml", text, strlen(text), &e), TE_INPUT);
	if (strcmp(e.msg, msg) != 0)
		fail_msg("got \"%s\", want \"%s\"", e.msg, msg);
	config_dispose(&tc);
}

static void test_file_errors(void **state)
{
	expect_error("apps:\n  - repo: x\n    colour: red\n",
		     "t.yaml:3:5: unknown option \"colour\"");
	expect_error("timeout: 5 minutes\napps:\n  - repo: x\n",
		     "t.yaml:1:10: timeout: invalid duration \"5 minutes\" (use 250ms, 30s, 5m, 1h)");
	expect_error("repo: x\napps:\n  - repo: y\n", "t.yaml:1:1: \"repo\" belongs in an entry of apps");
	expect_error("apps:\n  - repo: y\n    kubeconfig: k\n",
		     "t.yaml:3:5: \"kubeconfig\" may only appear at the top level");
	expect_error("apps:\n  - name: web\n", "t.yaml:2:5: no repository: give --repo URL (or --config FILE)");
	expect_error("apps:\n  - repo: a/web\n  - repo: b/web\n", "t.yaml:3:5: app \"web\" listed twice");
	expect_error("apps: [\n", "t.yaml:2:1: did not find expected node content");
	expect_error("parallel: 100\napps:\n  - repo: x\n",
		     "t.yaml:1:11: parallel: must be between 1 and 64");
	expect_error("prune: maybe\napps:\n  - repo: x\n",
		     "t.yaml:1:8: prune: \"maybe\" is not true or false");
	expect_error("apps:\n  - repo: x\n    prune: [a]\n",
		     "t.yaml:3:12: prune: expected a single value");
	expect_error("kubeconfig: a\n", "t.yaml: no apps: list them under \"apps:\"");
	expect_error("- a\n", "t.yaml:1:1: the configuration must be a mapping");
	expect_error("apps:\n  - name: Web\n    repo: x\n",
		     "t.yaml:2:5: app name \"Web\" must be lowercase letters, digits and '-' (at "
		     "most 63, starting and ending alphanumeric)");
}

/* The file is read as written: values are text for the option table (010 is ten, not
 * YAML 1.1's octal eight), aliases give the anchored text, a key given twice is the
 * configuration's error, and only the first document counts. */
static void test_file_as_written(void **state)
{
	static const char text[] = "parallel: 010\n"
				   "apps:\n"
				   "  - repo: &r https://example.com/web.git\n"
				   "  - repo: *r\n"
				   "    name: other\n"
				   "---\n"
				   "apps: [\n";
	struct tether_config tc;
	struct err e;

	err_clear(&e);
	assert_int_equal(config_parse(&tc, "t.yaml", text, strlen(text), &e), 0);
	assert_int_equal(tc.defaults.parallel, 10);
	assert_int_equal(tc.n_apps, 2);
	assert_string_equal(tc.apps[1].repo, "https://example.com/web.git");
	assert_int_equal(tc.apps[1].line, 4);
	assert_int_equal(tc.apps[1].col, 5);
	config_dispose(&tc);
	expect_error("prune: true\nprune: false\napps:\n  - repo: x\n",
		     "t.yaml:2:1: option \"prune\" given twice");
	expect_error("apps:\n  - repo: x\napps: []\n", "t.yaml:3:1: option \"apps\" given twice");
	expect_error("", "t.yaml: empty configuration");
	expect_error("# nothing\n", "t.yaml: empty configuration");
	expect_error("---\n", "t.yaml:2:1: the configuration must be a mapping");
}

static void test_help(void **state)
{
	struct buf b;

	buf_init(&b, 0);
	assert_int_equal(config_write_help(&b, CMD_SYNC), 0);
	assert_non_null(strstr(b.data, "--timeout DUR"));
	assert_non_null(strstr(b.data, "(default 5m)"));
	assert_non_null(strstr(b.data, "-o, --output FORMAT"));
	assert_non_null(strstr(b.data, "--app NAME"));
	buf_reset(&b);
	config_write_help(&b, CMD_RENDER);
	assert_null(strstr(b.data, "--prune"));
	buf_dispose(&b);
}

static const char notify_cfg[] = "notify:\n"
			  "  - {type: slack, url: https://hooks.example/T/B/x}\n"
			  "apps:\n"
			  "  - name: web\n"
			  "    repo: https://github.com/acme/web.git\n"
			  "    notify:\n"
			  "      - type: github\n"
			  "        token-file: /run/t\n"
			  "        events: [synced, rollout-failed]\n"
			  "  - name: api\n"
			  "    repo: git@gitlab.example:group/sub/api.git\n";

/* notify: the top level's entries, then the app's; defaults by type. */
static void test_notify(void **state)
{
	struct tether_config tc;
	struct err e;

	err_clear(&e);
	assert_int_equal(config_parse(&tc, "t.yaml", notify_cfg, strlen(notify_cfg), &e), 0);
	assert_int_equal(tc.apps[0].n_notify, 2); /* the top level's, then its own */
	assert_string_equal(tc.apps[0].notify[0].type, "slack");
	assert_string_equal(tc.apps[0].notify[1].type, "github");
	assert_null(tc.apps[0].notify[1].url);
	assert_string_equal(tc.apps[0].notify[1].token_file, "/run/t");
	assert_int_equal(tc.apps[0].notify[1].events,
			 1u << NOTIFY_SYNCED | 1u << NOTIFY_ROLLOUT_FAILED);
	assert_int_equal(tc.apps[1].n_notify, 1);
	assert_true(tc.apps[1].notify[0].events & (1u << NOTIFY_DRIFT)); /* slack's defaults */
	assert_false(tc.apps[1].notify[0].events & (1u << NOTIFY_SYNCED));
	config_dispose(&tc);
}

static void test_notify_errors(void **state)
{
	expect_error("notify:\n  - {type: email, url: x}\napps:\n  - repo: x\n",
		     "t.yaml:2:5: notify: type must be webhook, slack, github or gitlab");
	expect_error("notify:\n  - {type: slack}\napps:\n  - repo: x\n",
		     "t.yaml:2:5: notify: a slack entry needs url");
	expect_error("notify:\n  - {type: github, events: [synced, exploded]}\napps:\n  - repo: x\n",
		     "t.yaml:2:37: unknown event \"exploded\" (started, synced, sync-failed, "
		     "rollout-failed, reverted, drift, drift-recovered)");
	expect_error("notify:\n  - {type: github, tokenfile: x}\napps:\n  - repo: x\n",
		     "t.yaml:2:20: notify: unknown key \"tokenfile\" (type, url, token-file, repo, "
		     "events)");
	expect_error("notify: {type: github}\napps:\n  - repo: x\n",
		     "t.yaml:1:9: notify must be a list");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),   cmocka_unit_test(test_flags),
		cmocka_unit_test(test_flag_errors), cmocka_unit_test(test_app_name),
		cmocka_unit_test(test_file_good),  cmocka_unit_test(test_file_errors),
		cmocka_unit_test(test_notify),     cmocka_unit_test(test_notify_errors),
		cmocka_unit_test(test_file_as_written), cmocka_unit_test(test_help),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
