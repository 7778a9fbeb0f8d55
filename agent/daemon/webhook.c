/*
 * webhook: POST /webhook bodies from GitHub, GitLab or anything else. The provider is
 * told apart by its headers; the signature (GitHub's HMAC-SHA256 of the body, GitLab's
 * shared token, or a bearer token) is checked in constant time BEFORE the body is
 * parsed, so an unauthenticated sender never reaches the JSON parser. Nothing here
 * triggers anything: it only says which repository and branch were pushed.
 */
#include <stdio.h>
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "daemon_int.h"
#include "jsonget.h"

void webhook_push_dispose(struct webhook_push *p)
{
	if (!p)
		return;
	strlist_dispose(&p->urls);
	free(p->ref);
	free(p->default_branch);
	free(p->app);
	memset(p, 0, sizeof(*p));
}

/* "sha256=<hex>" over the body under secret. */
static bool github_signature_ok(const char *sig, const char *secret, const char *body, size_t len)
{
	char want[65], got[65];
	size_t i;

	if (!sig || strncmp(sig, "sha256=", 7) != 0)
		return false;
	sig += 7;
	for (i = 0; i < 64 && sig[i]; i++)
		got[i] = (char)tolower((unsigned char)sig[i]);
	got[i] = '\0';
	if (i != 64 || sig[64])
		return false;
	hmac_sha256_hex(secret, strlen(secret), body, len, want);
	return str_equal_ct(want, got);
}

/* Compares digests, so that neither the content nor the length of the secret leaks
 * through the time a comparison takes. */
static bool token_ok(const char *got, const char *secret)
{
	char a[65], b[65];

	if (!got)
		return false;
	sha256_hex(got, strlen(got), a);
	sha256_hex(secret, strlen(secret), b);
	return str_equal_ct(a, b);
}

static bool bearer_ok(const char *auth, const char *secret)
{
	if (!auth || strncmp(auth, "Bearer ", 7) != 0)
		return false;
	return token_ok(auth + 7, secret);
}

static enum webhook_provider provider_of(webhook_header_fn header, void *ctx)
{
	if (header(ctx, "X-GitHub-Event"))
		return WEBHOOK_GITHUB;
	if (header(ctx, "X-Gitlab-Event") || header(ctx, "X-Gitlab-Token"))
		return WEBHOOK_GITLAB;
	return WEBHOOK_GENERIC;
}

static int authenticate(enum webhook_provider p, webhook_header_fn header, void *ctx,
			const char *body, size_t len, const char *secret, struct err *e)
{
	bool ok = false;

	if (!secret || !*secret)
		return err_set(e, TE_REJECTED, "webhooks are disabled: no --webhook-secret-file");
	if (p == WEBHOOK_GITHUB)
		ok = github_signature_ok(header(ctx, "X-Hub-Signature-256"), secret, body, len);
	else if (p == WEBHOOK_GITLAB)
		ok = token_ok(header(ctx, "X-Gitlab-Token"), secret);
	else
		ok = github_signature_ok(header(ctx, "X-Hub-Signature-256"), secret, body, len) ||
		     bearer_ok(header(ctx, "Authorization"), secret);
	if (!ok)
		return err_set(e, TE_REJECTED, "missing or invalid webhook signature");
	return 0;
}

static int add_url(struct webhook_push *p, const cJSON *obj, const char *key)
{
	const char *s = json_str(obj, key, NULL);

	if (!s || !*s)
		return 0;
	return strlist_add(&p->urls, s) < 0 ? TE_NOMEM : 0;
}

static int take_string(char **slot, const cJSON *obj, const char *key)
{
	const char *s = json_str(obj, key, NULL);

	if (!s)
		return 0;
	*slot = strdup(s);
	return *slot ? 0 : TE_NOMEM;
}

/* GitHub's "repository" and GitLab's "project" name the repository several ways. */
static int parse_repository(struct webhook_push *p, const cJSON *root, struct err *e)
{
	static const char *const keys[] = {"clone_url", "ssh_url",	"git_url",     "html_url",
					   "url",	"git_http_url", "git_ssh_url", "web_url",
					   "http_url",	"ssh_url"};
	const cJSON *repo = cJSON_GetObjectItemCaseSensitive(
	    root, p->provider == WEBHOOK_GITLAB ? "project" : "repository");
	int rc = 0;

	if (!cJSON_IsObject(repo))
		return err_set(e, TE_INPUT, "push event without a %s object",
			       p->provider == WEBHOOK_GITLAB ? "project" : "repository");
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]) && rc == 0; i++)
		rc = add_url(p, repo, keys[i]);
	if (rc == 0)
		rc = take_string(&p->default_branch, repo, "default_branch");
	if (rc == 0)
		rc = take_string(&p->ref, root, "ref");
	if (rc < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	if (!p->ref)
		return err_set(e, TE_INPUT, "push event without \"ref\"");
	return 0;
}

/* Generic: {"repo": URL, "ref": "main"} or {"app": NAME}; an empty body means all apps. */
static int parse_generic(struct webhook_push *p, const cJSON *root, struct err *e)
{
	int rc;

	p->push = true;
	if (!root)
		return 0;
	if (!cJSON_IsObject(root))
		return err_set(e, TE_INPUT, "the body must be a JSON object");
	rc = add_url(p, root, "repo");
	if (rc == 0)
		rc = take_string(&p->ref, root, "ref");
	if (rc == 0)
		rc = take_string(&p->app, root, "app");
	return rc < 0 ? err_set(e, TE_NOMEM, "out of memory") : 0;
}

static int parse_body(struct webhook_push *p, webhook_header_fn header, void *ctx, const char *body,
		      size_t len, struct err *e)
{
	const char *event =
	    header(ctx, p->provider == WEBHOOK_GITHUB ? "X-GitHub-Event" : "X-Gitlab-Event");
	cJSON *root = NULL;
	int rc = 0;

	if (len) {
		root = cJSON_ParseWithLength(body, len);
		if (!root)
			return err_set(e, TE_INPUT, "the body is not JSON");
	}
	if (p->provider == WEBHOOK_GENERIC) {
		rc = parse_generic(p, root, e);
	} else if (event && (strcmp(event, "push") == 0 || strcmp(event, "Push Hook") == 0 ||
			     strcmp(event, "Tag Push Hook") == 0)) {
		p->push = true;
		rc = root ? parse_repository(p, root, e)
			  : err_set(e, TE_INPUT, "push event without a body");
	}
	cJSON_Delete(root);
	return rc;
}

int webhook_parse(webhook_header_fn header, void *ctx, const char *body, size_t len,
		  const char *secret, struct webhook_push *out, struct err *e)
{
	int rc;

	memset(out, 0, sizeof(*out));
	strlist_init(&out->urls);
	out->provider = provider_of(header, ctx);
	if ((rc = authenticate(out->provider, header, ctx, body, len, secret, e)) < 0)
		return rc;
	if ((rc = parse_body(out, header, ctx, body, len, e)) < 0)
		webhook_push_dispose(out);
	return rc;
}

/* out = lower(host) + path, without trailing slashes or ".git": the key URLs compare by. */
static void key_put(char *out, size_t n, const char *host, size_t hostlen, const char *path)
{
	size_t len;

	snprintf(out, n, "%.*s%s%s", (int)hostlen, host,
		 hostlen && *path && *path != '/' ? "/" : "", path);
	for (size_t i = 0; i < hostlen && out[i]; i++) /* the host is case-insensitive */
		out[i] = (char)tolower((unsigned char)out[i]);
	len = strlen(out);
	while (len > 0 && out[len - 1] == '/')
		len--;
	if (len >= 4 && strncmp(out + len - 4, ".git", 4) == 0)
		len -= 4;
	out[len] = '\0';
}

/* "scheme://user@host:port/path": the parsing is libcurl's; what it refuses has no key. */
static void url_key_parsed(const char *url, char *out, size_t n)
{
	CURLU *u = curl_url();
	char *host = NULL, *path = NULL;

	if (u && curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME | CURLU_PATH_AS_IS) ==
		     CURLUE_OK) {
		if (curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK)
			host = NULL; /* file:///path has none */
		if (curl_url_get(u, CURLUPART_PATH, &path, 0) == CURLUE_OK)
			key_put(out, n, host ? host : "", host ? strlen(host) : 0, path);
	}
	curl_free(host);
	curl_free(path);
	curl_url_cleanup(u);
}

/* host/path of a repository URL: no scheme, user, port, trailing slash or ".git". */
static void url_key(const char *url, char *out, size_t n)
{
	const char *colon = strchr(url, ':'), *slash = strchr(url, '/'), *at;

	*out = '\0';
	if (strstr(url, "://")) {
		url_key_parsed(url, out, n);
	} else if (strncmp(url, "file:", 5) == 0) {
		key_put(out, n, "", 0, url + 5);
	} else if (colon && (!slash || colon < slash)) { /* scp-like [user@]host:path */
		at = memchr(url, '@', (size_t)(colon - url));
		url = at ? at + 1 : url;
		key_put(out, n, url, (size_t)(colon - url), colon + 1);
	} else { /* a local path */
		key_put(out, n, "", 0, url);
	}
}

bool repo_url_equal(const char *a, const char *b)
{
	char ka[1024], kb[1024];

	if (!a || !b)
		return false;
	url_key(a, ka, sizeof(ka));
	url_key(b, kb, sizeof(kb));
	return *ka && strcmp(ka, kb) == 0;
}

/* refs/heads/X or refs/tags/X against the app's ref (a branch, tag or SHA). */
static bool ref_matches(const struct webhook_push *p, const char *want)
{
	const char *got = p->ref;

	if (!got)
		return true;
	if (strncmp(got, "refs/heads/", 11) == 0)
		got += 11;
	else if (strncmp(got, "refs/tags/", 10) == 0)
		got += 10;
	if (!want) /* the remote's default branch */
		return !p->default_branch || strcmp(got, p->default_branch) == 0;
	if (strncmp(want, "refs/heads/", 11) == 0)
		want += 11;
	else if (strncmp(want, "refs/tags/", 10) == 0)
		want += 10;
	return strcmp(got, want) == 0;
}

bool webhook_matches(const struct webhook_push *p, const struct app_config *c)
{
	bool url = p->urls.n == 0;

	if (!p->push)
		return false;
	if (p->app)
		return c->app && strcmp(p->app, c->app) == 0;
	for (size_t i = 0; i < p->urls.n && !url; i++)
		url = repo_url_equal(p->urls.items[i], c->repo);
	return url && ref_matches(p, c->ref);
}
