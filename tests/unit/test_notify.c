/* Unit tests for notifications: the notify: entries of the configuration (defaults,
 * inheritance, errors with positions) and the requests each target makes. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "config.h"
#include "notify_int.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"

static const char cfg[] = "notify:\n"
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

static void test_config(void **state)
{
	struct tether_config tc;
	struct err e;

	err_clear(&e);
	assert_int_equal(config_parse(&tc, "t.yaml", cfg, strlen(cfg), &e), 0);
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

static void test_config_errors(void **state)
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

static void test_repo_path(void **state)
{
	const char *cases[][2] = {
	    {"https://github.com/acme/web.git", "acme/web"},
	    {"https://user:tok@github.com/acme/web/", "acme/web"},
	    {"git@gitlab.example:group/sub/api.git", "group/sub/api"},
	    {"ssh://git@host:22/o/r", "o/r"},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *p = notify_repo_path(cases[i][0]);
		assert_non_null(p);
		assert_string_equal(p, cases[i][1]);
		free(p);
	}
	assert_null(notify_repo_path("/srv/git/app"));
	assert_null(notify_repo_path("https://host"));
}

static cJSON *build(const struct notify_target *t, const struct app_config *c,
		    const struct notify_info *in, struct notify_req *r)
{
	struct err e;

	err_clear(&e);
	assert_int_equal(notify_req_build(r, t, c, in, &e), 0);
	return cJSON_Parse(r->body);
}

static const char *str(const cJSON *o, const char *k)
{
	return cJSON_GetStringValue(cJSON_GetObjectItem(o, k));
}

static void test_status_requests(void **state)
{
	struct app_config c = {.app = "web", .repo = "https://github.com/acme/web.git"};
	struct notify_target gh = {.type = "github", .token_file = "/t"};
	struct notify_target gl = {.type = "gitlab", .url = "https://gl.example/api/v4/"};
	char longmsg[400];
	struct notify_info in = {.event = NOTIFY_STARTED, .app = "web", .commit = SHA,
				 .message = longmsg};
	struct notify_req r;
	struct err e;
	cJSON *b;

	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	b = build(&gh, &c, &in, &r);
	assert_string_equal(r.url, "https://api.github.com/repos/acme/web/statuses/" SHA);
	assert_string_equal(r.token_file, "/t");
	assert_true(r.github);
	assert_string_equal(str(b, "state"), "pending");
	assert_string_equal(str(b, "context"), "tether/web");
	assert_int_equal(strlen(str(b, "description")), 140);
	cJSON_Delete(b);
	notify_req_dispose(&r);
	in.event = NOTIFY_SYNC_FAILED;
	in.transient = true; /* the cluster unreachable: GitHub's error, not failure */
	b = build(&gh, &c, &in, &r);
	assert_string_equal(str(b, "state"), "error");
	cJSON_Delete(b);
	notify_req_dispose(&r);
	b = build(&gl, &c, &in, &r);
	assert_string_equal(r.url, "https://gl.example/api/v4/projects/acme%2Fweb/statuses/" SHA);
	assert_null(r.token_file);
	assert_string_equal(str(b, "state"), "failed");
	assert_string_equal(str(b, "name"), "tether/web");
	cJSON_Delete(b);
	notify_req_dispose(&r);
	in.event = NOTIFY_DRIFT; /* not about a commit: no status */
	err_clear(&e);
	assert_int_equal(notify_req_build(&r, &gh, &c, &in, &e), 1);
	c.repo = "/srv/git/web"; /* nothing to derive the repository from */
	in.event = NOTIFY_SYNCED;
	assert_int_equal(notify_req_build(&r, &gh, &c, &in, &e), TE_INPUT);
	assert_string_equal(e.msg, "notify github: no repository: set repo");
}

static void test_webhook_and_slack(void **state)
{
	struct app_config c = {.app = "web"};
	struct notify_target hook = {.type = "webhook", .url = "http://r/hook"};
	struct notify_target slack = {.type = "slack", .url = "http://r/slack"};
	char *objs[] = {"default/deployment.apps/web"};
	struct strlist objects = {objs, 1, 1};
	struct notify_info in = {.event = NOTIFY_ROLLOUT_FAILED, .app = "web", .commit = SHA,
				 .message = "rollout <failed> & more", .objects = &objects,
				 .namespace = "default"};
	struct notify_req r;
	cJSON *b, *blk;

	b = build(&hook, &c, &in, &r);
	assert_string_equal(r.url, "http://r/hook");
	assert_string_equal(str(b, "event"), "rollout-failed");
	assert_string_equal(str(b, "commit"), SHA);
	assert_string_equal(str(b, "message"), "rollout <failed> & more");
	assert_string_equal(cJSON_GetStringValue(cJSON_GetArrayItem(cJSON_GetObjectItem(b, "objects"), 0)),
			    objs[0]);
	assert_int_equal(strlen(str(b, "time")), 20); /* 2026-01-02T03:04:05Z */
	cJSON_Delete(b);
	notify_req_dispose(&r);
	b = build(&slack, &c, &in, &r);
	assert_string_equal(str(b, "text"),
			    "tether: web rollout failed at 0123456789ab: rollout &lt;failed&gt; &amp; more");
	blk = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "blocks"), 1);
	assert_string_equal(str(blk, "type"), "context");
	cJSON_Delete(b);
	notify_req_dispose(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_config),	    cmocka_unit_test(test_config_errors),
	    cmocka_unit_test(test_repo_path),	    cmocka_unit_test(test_status_requests),
	    cmocka_unit_test(test_webhook_and_slack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
