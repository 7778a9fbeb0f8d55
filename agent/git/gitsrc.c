/*
 * gitsrc: the bare cache of one remote and ref resolution. The steady state of a
 * GitOps agent is "nothing changed", so resolve asks the remote for its refs (one
 * ls-remote) and fetches only when the wanted commit is not in the cache yet.
 * URLs may carry credentials: messages only ever show safe_url.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "gitsrc_int.h"

/* "user@host:path" (scp-like ssh) rather than a local path? */
static bool is_scp_like(const char *url)
{
	size_t colon = strcspn(url, ":"), slash = strcspn(url, "/");

	return !strstr(url, "://") && url[colon] && colon < slash && colon > 0 && url[0] != '.';
}

bool url_ssh_host(const char *url, char *host, size_t hostlen, int *port)
{
	const char *p, *end;

	*port = 22;
	if (is_scp_like(url)) {
		p = strchr(url, '@');
		p = p && p < strchr(url, ':') ? p + 1 : url;
		end = strchr(p, ':');
	} else if (strncmp(url, "ssh://", 6) == 0 || strncmp(url, "git+ssh://", 10) == 0 ||
		   strncmp(url, "ssh+git://", 10) == 0) {
		p = strstr(url, "://") + 3;
		end = p + strcspn(p, "/");
		const char *at = memchr(p, '@', (size_t)(end - p));
		if (at)
			p = at + 1;
		if (*p == '[') {
			const char *close = memchr(p, ']', (size_t)(end - p));
			if (!close)
				return false;
			if (close[1] == ':')
				*port = atoi(close + 2);
			snprintf(host, hostlen, "%.*s", (int)(close - p - 1), p + 1);
			return true;
		}
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (colon) {
			*port = atoi(colon + 1);
			end = colon;
		}
	} else {
		return false;
	}
	snprintf(host, hostlen, "%.*s", (int)(end - p), p);
	return true;
}

const char *gitsrc_lasterr(void)
{
	const git_error *ge = git_error_last();

	return ge && ge->message ? ge->message : "unknown error";
}

int gitsrc_error(struct gitsrc *g, struct err *e, int code, const char *what)
{
	const git_error *ge = git_error_last();
	char msg[1024];

	snprintf(msg, sizeof(msg), "%s",
		 g->cb_msg[0]	     ? g->cb_msg
		 : ge && ge->message ? ge->message
				     : "unknown error");
	url_redact_text(msg, sizeof(msg));
	return err_set(e, code, "%s: %s", what, msg);
}

/* A local path (not scheme://, not user@host:path) that does not exist? */
static bool missing_local(const char *url)
{
	struct stat st;

	return !strstr(url, "://") && !is_scp_like(url) && stat(url, &st) < 0;
}

/* What servers say for a repository that is not there (GitHub, GitLab, git-daemon with
 * --informative-errors, git http-backend): a verdict on the URL, not an outage. */
static bool says_no_repository(const char *msg)
{
	static const char *const phrases[] = {
	    "status code: 404",	    "repository not found",
	    "no such repository",   "does not appear to be a git repository",
	    "not a git repository", "could not find repository"};

	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++)
		if (strcasestr(msg, phrases[i]))
			return true;
	return false;
}

/* An error in our own object store (a truncated pack, a missing object): the cache
 * is broken, not the remote. */
static bool local_store_error(const git_error *ge)
{
	return ge && (ge->klass == GIT_ERROR_ODB || ge->klass == GIT_ERROR_ZLIB);
}

int gitsrc_remote_error(struct gitsrc *g, struct err *e, const char *what)
{
	const git_error *ge = git_error_last();

	if (missing_local(g->url))
		return err_set(e, TE_UNREACHABLE, "%s: no such directory", what);
	if (!g->cb_msg[0] && local_store_error(ge)) {
		g->corrupt = true;
		return gitsrc_error(g, e, TE_FAIL, what);
	}
	if (!g->cb_msg[0] && ge && ge->message && says_no_repository(ge->message)) {
		err_set(e, TE_INPUT, "%s: repository not found (%s)", what, ge->message);
		url_redact_text(e->msg, sizeof(e->msg));
		return e->code;
	}
	return gitsrc_error(g, e, TE_UNREACHABLE, what);
}

static int mkdir_p(const char *dir)
{
	char tmp[PATH_MAX];

	if (snprintf(tmp, sizeof(tmp), "%s", dir) >= (int)sizeof(tmp))
		return -1;
	for (char *p = tmp + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(tmp, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(tmp, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

static char *default_cache_dir(void)
{
	const char *xdg = getenv("XDG_CACHE_HOME"), *home = getenv("HOME");

	if (xdg && *xdg)
		return xasprintf("%s/tether", xdg);
	return xasprintf("%s/.cache/tether", home && *home ? home : "/tmp");
}

/* Local paths are made absolute: the cache must not depend on the working directory. */
static char *normalise_url(const char *url)
{
	char abs[PATH_MAX];

	if (strstr(url, "://") || is_scp_like(url))
		return strdup(url);
	if (realpath(url, abs))
		return strdup(abs);
	return strdup(url);
}

/* A copy of s (NULL stays NULL); *failed is set when memory runs out. */
static char *dup_opt(const char *s, bool *failed)
{
	char *d = xstrdup(s);

	if (s && !d)
		*failed = true;
	return d;
}

static int copy_opts(struct gitsrc *g, const struct gitsrc_opts *o)
{
	bool failed = false;

	g->username = dup_opt(o->username, &failed);
	g->token_env = dup_opt(o->token_env, &failed);
	g->token_file = dup_opt(o->token_file, &failed);
	g->ssh_key = dup_opt(o->ssh_key, &failed);
	g->known_hosts = dup_opt(o->known_hosts, &failed);
	g->insecure = o->insecure_skip_tls_verify;
	g->url = normalise_url(o->url);
	g->safe_url = g->url ? url_redact(g->url) : NULL;
	if (g->url && url_userinfo(g->url, &g->url_user, &g->url_pass) < 0)
		return TE_NOMEM;
	return failed || !g->url || !g->safe_url ? TE_NOMEM : 0;
}

/*
 * The cache records its remote as "origin" for people who look inside, but the code
 * works with anonymous remotes: git_remote_lookup leaks in libgit2 1.5 (the regex
 * match data of its config lookups), and the URL is ours anyway.
 */
int gitsrc_open_cache(struct gitsrc *g, struct err *e)
{
	git_config *cfg = NULL;
	git_buf cur = {0};
	int rc;

	if (git_repository_open_bare(&g->repo, g->path) < 0 &&
	    git_repository_init(&g->repo, g->path, 1) < 0)
		return gitsrc_error(g, e, TE_FAIL, "open cache");
	rc = git_repository_config(&cfg, g->repo);
	if (rc == 0 && (git_config_get_string_buf(&cur, cfg, "remote.origin.url") < 0 ||
			strcmp(cur.ptr, g->safe_url) != 0))
		rc = git_config_set_string(cfg, "remote.origin.url", g->safe_url);
	git_buf_dispose(&cur);
	git_config_free(cfg);
	if (rc < 0)
		return gitsrc_error(g, e, TE_FAIL, "open cache");
	return 0;
}

static bool is_http(const char *url)
{
	return strncmp(url, "http://", 7) == 0 || strncmp(url, "https://", 8) == 0;
}

int gitsrc_remote(struct gitsrc *g, git_remote **out, struct err *e)
{
	git_remote_create_options o;

	/* url.*.insteadOf is skipped: its lookup is what leaks, and an agent's URL should
	 * mean what it says regardless of the user's ~/.gitconfig. */
	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = g->repo;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	if (git_remote_create_with_opts(out, is_http(g->url) ? g->safe_url : g->url, &o) < 0)
		return gitsrc_error(g, e, TE_FAIL, "remote");
	return 0;
}

void gitsrc_hold(void)
{
	git_libgit2_init();
}

void gitsrc_release(void)
{
	git_libgit2_shutdown();
}

int gitsrc_open(struct gitsrc **out, const struct gitsrc_opts *o, struct err *e)
{
	struct gitsrc *g;
	char *dir = NULL, hex[65];
	int rc;

	*out = NULL;
	if (!o->url || !*o->url)
		return err_set(e, TE_INPUT, "no Git URL");
	if (!(g = calloc(1, sizeof(*g))))
		return err_set(e, TE_NOMEM, "out of memory");
	git_libgit2_init();
	if (copy_opts(g, o) < 0) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	dir = o->cache_dir ? strdup(o->cache_dir) : default_cache_dir();
	if (!dir || mkdir_p(dir) < 0) {
		rc =
		    err_set(e, TE_FAIL, "cache directory %s: %s", dir ? dir : "?", strerror(errno));
		goto out;
	}
	/* The cache is named after the URL, credentials included, so two users of the
	 * same repository with different tokens do not share (or see) each other's. */
	sha256_hex(g->url, strlen(g->url), hex);
	g->path = xasprintf("%s/%.32s.git", dir, hex);
	if (!g->path) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = gitsrc_open_cache(g, e)) < 0)
		goto out;
	*out = g;
	g = NULL;
out:
	free(dir);
	gitsrc_free(g);
	return rc;
}

void gitsrc_free(struct gitsrc *g)
{
	if (!g)
		return;
	git_repository_free(g->repo);
	free(g->url);
	free(g->safe_url);
	free(g->url_user);
	if (g->url_pass)
		explicit_bzero(g->url_pass, strlen(g->url_pass));
	free(g->url_pass);
	free(g->path);
	free(g->username);
	free(g->token_env);
	free(g->token_file);
	free(g->ssh_key);
	free(g->known_hosts);
	free(g);
	git_libgit2_shutdown();
}

unsigned gitsrc_fetch_count(const struct gitsrc *g)
{
	return g->fetches;
}

const char *gitsrc_cache_path(const struct gitsrc *g)
{
	return g->path;
}
