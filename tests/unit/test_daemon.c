/* Unit tests for the agent's options in the option table: defaults, per-app and
 * top-level scopes, bounds, and `tether run` flags. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "daemon.h"

static int parse(struct tether_config *tc, const char *text, struct err *e)
{
	err_clear(e);
	return config_parse(tc, "tether.yaml", text, strlen(text), e);
}

static void test_defaults(void **state)
{
	struct app_config c;
	struct err e;

	err_clear(&e);
	assert_int_equal(app_config_init(&c, &e), 0);
	assert_int_equal(c.interval_ms, 60000);
	assert_false(c.self_heal);
	assert_string_equal(c.listen, "127.0.0.1:8080");
	assert_string_equal(c.log_format, "logfmt");
	assert_false(c.leader_elect);
	assert_string_equal(c.lease_name, "tether");
	assert_int_equal(c.lease_duration_ms, 15000); /* client-go's defaults */
	assert_int_equal(c.renew_deadline_ms, 10000);
	assert_int_equal(c.retry_period_ms, 2000);
	assert_null(c.webhook_secret_file);
	assert_int_equal(c.workers, 8);
	app_config_dispose(&c);
}

static void test_file_scopes(void **state)
{
	struct tether_config tc;
	struct err e;

	assert_int_equal(
	    parse(&tc,
		  "interval: 30s\nlisten: 0.0.0.0:9090\nleader-elect: true\n"
		  "apps:\n"
		  "  - {name: a, repo: https://h/a.git}\n"
		  "  - {name: b, repo: https://h/b.git, interval: 5s, self-heal: true}\n",
		  &e),
	    0);
	assert_int_equal(tc.n_apps, 2);
	assert_int_equal(tc.apps[0].interval_ms, 30000);
	assert_false(tc.apps[0].self_heal);
	assert_int_equal(tc.apps[1].interval_ms, 5000);
	assert_true(tc.apps[1].self_heal);
	assert_string_equal(tc.apps[1].listen, "0.0.0.0:9090");
	assert_true(tc.apps[1].leader_elect);
	config_dispose(&tc);
}

static void test_file_errors(void **state)
{
	struct tether_config tc;
	struct err e;

	/* the listener is the agent's, not an app's */
	assert_int_equal(parse(&tc,
			       "apps:\n  - name: a\n    repo: https://h/a.git\n"
			       "    listen: 127.0.0.1:1\n",
			       &e),
			 TE_INPUT);
	assert_non_null(strstr(e.msg, "tether.yaml:4:5"));
	assert_non_null(strstr(e.msg, "top level"));
	config_dispose(&tc);
	assert_int_equal(parse(&tc, "interval: 10ms\napps:\n  - {name: a, repo: x}\n", &e),
			 TE_INPUT);
	assert_non_null(strstr(e.msg, "tether.yaml:1:11"));
	config_dispose(&tc);
	assert_int_equal(parse(&tc, "log-format: xml\napps:\n  - {name: a, repo: x}\n", &e),
			 TE_INPUT);
	assert_non_null(strstr(e.msg, "logfmt|json"));
	config_dispose(&tc);
	/* workers: 1..64, the agent's (top level), not an app's */
	assert_int_equal(parse(&tc, "workers: 0\napps:\n  - {name: a, repo: x}\n", &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "tether.yaml:1:"));
	config_dispose(&tc);
	assert_int_equal(parse(&tc, "workers: 65\napps:\n  - {name: a, repo: x}\n", &e), TE_INPUT);
	config_dispose(&tc);
	assert_int_equal(parse(&tc, "apps:\n  - {name: a, repo: x, workers: 2}\n", &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "top level"));
	config_dispose(&tc);
	assert_int_equal(parse(&tc, "workers: 64\napps:\n  - {name: a, repo: x}\n", &e), 0);
	assert_int_equal(tc.apps[0].workers, 64);
	config_dispose(&tc);
}

static void test_run_flags(void **state)
{
	char *argv[] = {
	    "--repo",	"https://h/a.git", "--interval",     "2s",
	    "--listen", "127.0.0.1:0",	   "--leader-elect", "--leader-elect-lease-duration",
	    "3s",	"--self-heal"};
	struct app_config c;
	struct strlist args;
	struct err e;
	bool help;

	err_clear(&e);
	strlist_init(&args);
	app_config_init(&c, &e);
	assert_int_equal(config_parse_args(&c, CMD_SYNC | CMD_RUN, 10, argv, &args, &help, &e), 0);
	assert_int_equal(c.interval_ms, 2000);
	assert_string_equal(c.listen, "127.0.0.1:0");
	assert_true(c.leader_elect && c.self_heal);
	assert_int_equal(c.lease_duration_ms, 3000);
	app_config_dispose(&c);
	/* `tether sync` does not take the agent's flags */
	app_config_init(&c, &e);
	assert_int_equal(config_parse_args(&c, CMD_SYNC, 4, argv, &args, &help, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "--interval"));
	app_config_dispose(&c);
	strlist_dispose(&args);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_file_scopes),
	    cmocka_unit_test(test_file_errors),
	    cmocka_unit_test(test_run_flags),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
