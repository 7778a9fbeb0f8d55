/*
 * auth: the remote callbacks. Credentials come from the configured token (an
 * environment variable or a file) or SSH key, tried once each so a wrong token fails
 * instead of looping. SSH host keys are checked against known_hosts; HTTPS keeps
 * libgit2's TLS verification unless insecure_skip_tls_verify was asked for.
 * Nothing here may log or copy a secret into a message.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gitsrc_int.h"

#define TOKEN_MAX 8192

/* The token, trimmed of its trailing newline; NULL when none is configured. */
static char *load_token(struct gitsrc *g)
{
	struct buf b;
	struct err e;
	const char *v;

	if (g->token_env && (v = getenv(g->token_env)) != NULL && *v)
		return strdup(v);
	if (!g->token_file)
		return NULL;
	buf_init(&b, TOKEN_MAX);
	err_clear(&e);
	if (file_read(g->token_file, &b, &e) < 0) {
		buf_dispose(&b);
		return NULL;
	}
	while (b.len && (b.data[b.len - 1] == '\n' || b.data[b.len - 1] == '\r'))
		b.data[--b.len] = '\0';
	return buf_detach(&b);
}

static int refuse(struct gitsrc *g, int code, const char *msg)
{
	snprintf(g->cb_msg, sizeof(g->cb_msg), "%s", msg);
	git_error_set_str(GIT_ERROR_NET, msg);
	return code;
}

static int userpass(struct gitsrc *g, git_credential **out, const char *user_from_url)
{
	const char *user = g->username ? g->username : user_from_url ? user_from_url : "git";
	char *token = load_token(g);
	int rc;

	if (!token)
		return refuse(g, GIT_EAUTH, "authentication required (set a token)");
	rc = git_credential_userpass_plaintext_new(out, user, token);
	memset(token, 0, strlen(token));
	free(token);
	return rc;
}

/* The password (or token) of the URL, as git uses it: first, and only once. */
static bool url_credential(struct gitsrc *g, git_credential **out, unsigned int allowed, int *rc)
{
	if (!g->url_pass || !(allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT))
		return false;
	if (g->url_cred_used) {
		*rc =
		    refuse(g, GIT_EAUTH,
			   "authentication failed (the server refused the credentials in the URL)");
		return true;
	}
	g->url_cred_used = true;
	*rc =
	    git_credential_userpass_plaintext_new(out, g->url_user ? g->url_user : "", g->url_pass);
	return true;
}

/* The user credentials are for: the URL's, else the one in the configured URL, else
 * "git" (what SSH remotes expect). */
static const char *cred_user(const struct gitsrc *g, const char *user_from_url)
{
	if (user_from_url && *user_from_url)
		return user_from_url;
	return g->url_user && *g->url_user ? g->url_user : "git";
}

/* The configured SSH key, else the agent's keys. */
static int ssh_credential(const struct gitsrc *g, git_credential **out, const char *user)
{
	if (g->ssh_key)
		return git_credential_ssh_key_new(out, user, NULL, g->ssh_key, NULL);
	return git_credential_ssh_key_from_agent(out, user);
}

static int credentials(git_credential **out, const char *url, const char *user_from_url,
		       unsigned int allowed, void *payload)
{
	struct gitsrc *g = payload;
	const char *user = cred_user(g, user_from_url);
	int rc;

	if (url_credential(g, out, allowed, &rc))
		return rc;
	if (++g->auth_attempts > 2)
		return refuse(g, GIT_EAUTH, "authentication failed");
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && (g->ssh_key || getenv("SSH_AUTH_SOCK")))
		return ssh_credential(g, out, user);
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return userpass(g, out, strcmp(user, "git") ? user : NULL);
	if (allowed & GIT_CREDENTIAL_SSH_KEY)
		return refuse(g, GIT_EAUTH, "authentication required (set an SSH key)");
	return refuse(g, GIT_EAUTH, "no supported authentication method");
}

static const char *default_known_hosts(char *out, size_t n)
{
	const char *home = getenv("HOME");

	snprintf(out, n, "%s/.ssh/known_hosts", home ? home : "");
	return out;
}

static int certificate_check(git_cert *cert, int valid, const char *host, void *payload)
{
	struct gitsrc *g = payload;
	const git_cert_hostkey *hk;
	char path[1024], h[256];
	struct err e;
	int port = 22;

	if (cert->cert_type != GIT_CERT_HOSTKEY_LIBSSH2) {
		if (g->insecure)
			return 0;
		/* Keep libgit2's verdict on the TLS certificate. */
		return valid ? 0 : GIT_PASSTHROUGH;
	}
	hk = (const git_cert_hostkey *)cert;
	if (!url_ssh_host(g->url, h, sizeof(h), &port))
		port = 22;
	err_clear(&e);
	if (hk->type & GIT_CERT_SSH_RAW)
		known_hosts_check(
		    g->known_hosts ? g->known_hosts : default_known_hosts(path, sizeof(path)), host,
		    port, (const unsigned char *)hk->hostkey, hk->hostkey_len, NULL, &e);
	else if (hk->type & GIT_CERT_SSH_SHA256)
		known_hosts_check(g->known_hosts ? g->known_hosts
						 : default_known_hosts(path, sizeof(path)),
				  host, port, NULL, 0, hk->hash_sha256, &e);
	else
		err_set(&e, TE_UNREACHABLE, "host key for %s: no usable key from the server", host);
	if (e.code)
		return refuse(g, GIT_ECERTIFICATE, e.msg);
	return 0;
}

void gitsrc_callbacks(struct gitsrc *g, git_remote_callbacks *cbs)
{
	git_remote_init_callbacks(cbs, GIT_REMOTE_CALLBACKS_VERSION);
	cbs->credentials = credentials;
	cbs->certificate_check = certificate_check;
	cbs->payload = g;
	g->auth_attempts = 0;
	g->url_cred_used = false;
	g->cb_msg[0] = '\0';
}
