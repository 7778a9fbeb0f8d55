/* Unit tests for webhooks: provider detection, GitHub's HMAC, GitLab's token, the
 * generic endpoint, payload parsing and which apps a push concerns. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <cmocka.h>

#include "daemon_int.h"

struct hdrs {
	const char *names[4], *values[4];
};

static const char *hdr(void *ctx, const char *name)
{
	struct hdrs *h = ctx;

	for (int i = 0; i < 4 && h->names[i]; i++)
		if (!strcasecmp(h->names[i], name))
			return h->values[i];
	return NULL;
}

static const char *PUSH =
    "{\"ref\":\"refs/heads/main\",\"after\":\"abc\",\"repository\":{"
    "\"clone_url\":\"https://github.com/acme/deploy.git\","
    "\"ssh_url\":\"git@github.com:acme/deploy.git\",\"default_branch\":\"main\"}}";

static void sign(const char *secret, const char *body, char out[80])
{
	char hex[65];

	hmac_sha256_hex(secret, strlen(secret), body, strlen(body), hex);
	snprintf(out, 80, "sha256=%s", hex);
}

static void app(struct app_config *c, const char *repo, const char *ref, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->repo = (char *)repo;
	c->ref = (char *)ref;
	c->app = (char *)name;
}

static void test_github_valid(void **state)
{
	char sig[80];
	struct hdrs h = {{"X-GitHub-Event", "X-Hub-Signature-256"}, {"push", sig}};
	struct webhook_push p;
	struct app_config a, b, c;
	struct err e;

	sign("s3cret", PUSH, sig);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &h, PUSH, strlen(PUSH), "s3cret", &p, &e), 0);
	assert_int_equal(p.provider, WEBHOOK_GITHUB);
	assert_true(p.push);
	assert_string_equal(p.ref, "refs/heads/main");
	app(&a, "https://github.com/acme/deploy", NULL, "a");
	app(&b, "ssh://git@github.com:22/acme/deploy.git", "main", "b");
	app(&c, "https://github.com/acme/deploy.git", "staging", "c");
	assert_true(webhook_matches(&p, &a));
	assert_true(webhook_matches(&p, &b));
	assert_false(webhook_matches(&p, &c)); /* another branch */
	app(&c, "https://github.com/acme/other.git", "main", "c");
	assert_false(webhook_matches(&p, &c));
	webhook_push_dispose(&p);
}

static void test_github_bad_signature(void **state)
{
	char sig[80];
	struct hdrs h = {{"X-GitHub-Event", "X-Hub-Signature-256"}, {"push", sig}};
	struct hdrs none = {{"X-GitHub-Event"}, {"push"}};
	struct webhook_push p;
	struct err e;

	sign("wrong", PUSH, sig);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &h, PUSH, strlen(PUSH), "s3cret", &p, &e), TE_REJECTED);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &none, PUSH, strlen(PUSH), "s3cret", &p, &e),
			 TE_REJECTED);
	/* right signature, body changed by one byte */
	sign("s3cret", PUSH, sig);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &h, PUSH, strlen(PUSH) - 1, "s3cret", &p, &e),
			 TE_REJECTED);
	/* truncated signature */
	sig[20] = '\0';
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &h, PUSH, strlen(PUSH), "s3cret", &p, &e), TE_REJECTED);
	/* no secret configured: refused whatever is sent */
	sign("", PUSH, sig);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &h, PUSH, strlen(PUSH), NULL, &p, &e), TE_REJECTED);
}

static void test_github_ping_and_bad_json(void **state)
{
	char sig[80];
	struct hdrs h = {{"X-GitHub-Event", "X-Hub-Signature-256"}, {"ping", sig}};
	const char *ping = "{\"zen\":\"x\"}", *bad = "{not json";
	struct webhook_push p;
	struct app_config a;
	struct err e;

	sign("k", ping, sig);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &h, ping, strlen(ping), "k", &p, &e), 0);
	assert_false(p.push);
	app(&a, "https://github.com/acme/deploy", NULL, "a");
	assert_false(webhook_matches(&p, &a));
	webhook_push_dispose(&p);
	h.values[0] = "push";
	sign("k", bad, sig);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &h, bad, strlen(bad), "k", &p, &e), TE_INPUT);
}

static void test_gitlab(void **state)
{
	const char *body = "{\"object_kind\":\"push\",\"ref\":\"refs/heads/prod\",\"project\":{"
			   "\"git_http_url\":\"https://gitlab.example.com/g/app.git\","
			   "\"git_ssh_url\":\"git@gitlab.example.com:g/app.git\"}}";
	struct hdrs ok = {{"X-Gitlab-Event", "X-Gitlab-Token"}, {"Push Hook", "tok"}};
	struct hdrs bad = {{"X-Gitlab-Event", "X-Gitlab-Token"}, {"Push Hook", "tok2"}};
	struct webhook_push p;
	struct app_config a;
	struct err e;

	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &bad, body, strlen(body), "tok", &p, &e), TE_REJECTED);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &ok, body, strlen(body), "tok", &p, &e), 0);
	assert_int_equal(p.provider, WEBHOOK_GITLAB);
	app(&a, "git@gitlab.example.com:g/app", "prod", "a");
	assert_true(webhook_matches(&p, &a));
	app(&a, "git@gitlab.example.com:g/app", "main", "a");
	assert_false(webhook_matches(&p, &a));
	webhook_push_dispose(&p);
}

static void test_generic(void **state)
{
	const char *body = "{\"app\":\"web\"}";
	struct hdrs bearer = {{"Authorization"}, {"Bearer zz"}};
	struct hdrs wrong = {{"Authorization"}, {"Bearer zy"}};
	struct webhook_push p;
	struct app_config a, b;
	struct err e;

	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &wrong, body, strlen(body), "zz", &p, &e), TE_REJECTED);
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &bearer, body, strlen(body), "zz", &p, &e), 0);
	app(&a, "https://h/x.git", NULL, "web");
	app(&b, "https://h/x.git", NULL, "api");
	assert_true(webhook_matches(&p, &a));
	assert_false(webhook_matches(&p, &b));
	webhook_push_dispose(&p);
	/* an empty body triggers every app */
	err_clear(&e);
	assert_int_equal(webhook_parse(hdr, &bearer, "", 0, "zz", &p, &e), 0);
	assert_true(webhook_matches(&p, &a) && webhook_matches(&p, &b));
	webhook_push_dispose(&p);
}

static void test_url_equal(void **state)
{
	assert_true(
	    repo_url_equal("https://GitHub.com/acme/deploy.git", "git@github.com:acme/deploy"));
	assert_true(
	    repo_url_equal("git://127.0.0.1:9418/app.git", "git://127.0.0.1:9418/app.git/"));
	assert_true(
	    repo_url_equal("https://u:p@h.example/x/y", "ssh://git@h.example:2222/x/y.git"));
	assert_false(
	    repo_url_equal("https://h/x/Y", "https://h/x/y")); /* paths are case-sensitive */
	assert_false(repo_url_equal("https://h/x/y", "https://h/x/z"));
	assert_true(repo_url_equal("/srv/git/app.git", "file:///srv/git/app"));
	assert_false(repo_url_equal(NULL, "x"));
	/* parsed as URLs (curl_url): a query or fragment is not part of the repository */
	assert_true(repo_url_equal("https://h.example/x/y.git?ref=main", "git@H.example:x/y"));
	assert_true(repo_url_equal("https://h.example/x/y#readme", "https://h.example:443/x/y"));
	assert_true(repo_url_equal("ssh://git@[::1]:2222/x/y", "https://[::1]/x/y.git"));
	assert_false(repo_url_equal("https://[::1]/x/y", "https://[::2]/x/y"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_github_valid),
	    cmocka_unit_test(test_github_bad_signature),
	    cmocka_unit_test(test_github_ping_and_bad_json),
	    cmocka_unit_test(test_gitlab),
	    cmocka_unit_test(test_generic),
	    cmocka_unit_test(test_url_equal),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
