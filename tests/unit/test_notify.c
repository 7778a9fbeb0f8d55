/* Unit tests for notifications: the requests each target makes (test_config.c reads
 * the notify: entries). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <cmocka.h>

#include "notify_int.h"

#define SHA "0123456789abcdef0123456789abcdef01234567"

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
	/* cut before a UTF-8 sequence that would not fit whole */
	strcpy(longmsg, "x");
	for (int i = 0; i < 100; i++)
		strcat(longmsg, "\xc3\xa9");
	b = build(&gh, &c, &in, &r);
	assert_int_equal(strlen(str(b, "description")), 139);
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
	{ /* Slack refuses a section over 3000 characters; the text keeps it all */
		char big[5001];
		memset(big, 'm', 5000);
		big[5000] = '\0';
		in.message = big;
		b = build(&slack, &c, &in, &r);
		blk = cJSON_GetArrayItem(cJSON_GetObjectItem(b, "blocks"), 0);
		assert_int_equal(strlen(str(cJSON_GetObjectItem(blk, "text"), "text")), 3000);
		assert_true(strlen(str(b, "text")) > 5000);
		cJSON_Delete(b);
		notify_req_dispose(&r);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_repo_path),
	    cmocka_unit_test(test_status_requests),
	    cmocka_unit_test(test_webhook_and_slack),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
