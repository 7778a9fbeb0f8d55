/*
 * auth: the remote callbacks. Credentials come from the configured token (an
 * environment variable or a file), tried once so a wrong token fails instead of
 * looping, or for ssh from the keys ssh would try (sshkey.c), each once. SSH host keys are checked against known_hosts; HTTPS keeps
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

/* "ssh-agent, /home/u/.ssh/id_ed25519": the ssh credentials presented so far. */
static void ssh_tried_list(const struct gitsrc *g, char *out, size_t n)
{
	const char *sock = getenv("SSH_AUTH_SOCK");
	char path[1024];
	size_t len = 0;

	out[0] = '\0';
	for (int i = 0; i < g->ssh_tried - 1 && len < n; i++) {
		enum sshkey_kind k =
		    sshkey_next(g->ssh_key, getenv("HOME"), sock && *sock, i, path, sizeof(path));

		len += (size_t)snprintf(out + len, n - len, "%s%s", i ? ", " : "",
					k == SSHKEY_AGENT ? "ssh-agent" : path);
	}
}

/* ssh: the next key as ssh would try it; 1 when there is none and another method
 * may follow. */
static int ssh_credential(struct gitsrc *g, git_credential **out, const char *user,
			  unsigned int allowed)
{
	char tried[1200], msg[1300];
	int rc = sshkey_credential(g, out, user);

	if (rc == GIT_EAUTH) {
		ssh_tried_list(g, tried, sizeof(tried));
		snprintf(msg, sizeof(msg), "authentication failed (the server refused %s)", tried);
		return refuse(g, GIT_EAUTH, msg);
	}
	if (rc != GIT_PASSTHROUGH)
		return rc;
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return 1;
	return refuse(g, GIT_EAUTH,
		      "authentication required: no ssh key (give --ssh-key FILE, start "
		      "ssh-agent, or create ~/.ssh/id_ed25519, id_ecdsa or id_rsa)");
}

static int credentials(git_credential **out, const char *url, const char *user_from_url,
		       unsigned int allowed, void *payload)
{
	struct gitsrc *g = payload;
	const char *user = cred_user(g, user_from_url);
	int rc;

	if (url_credential(g, out, allowed, &rc))
		return rc;
	if ((allowed & GIT_CREDENTIAL_SSH_KEY) && !(allowed & GIT_CREDENTIAL_USERNAME) &&
	    (rc = ssh_credential(g, out, user, allowed)) != 1)
		return rc;
	if (++g->auth_attempts > 2)
		return refuse(g, GIT_EAUTH, "authentication failed");
	if (allowed & GIT_CREDENTIAL_USERNAME)
		return git_credential_username_new(out, user);
	if (allowed & GIT_CREDENTIAL_USERPASS_PLAINTEXT)
		return userpass(g, out, strcmp(user, "git") ? user : NULL);
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
	g->ssh_tried = 0;
	g->url_cred_used = false;
	g->cb_msg[0] = '\0';
}
