/*
 * sshkey: which ssh credential the next authentication attempt presents, in the order
 * ssh(1) tries them: the configured key alone when there is one; otherwise the keys of
 * ssh-agent (when SSH_AUTH_SOCK is set), then each default identity file that exists.
 * Nothing here reads a key: libgit2 and libssh2 do, and never say what is in it.
 */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "gitsrc_int.h"

/* ssh's default identities, in the order this module tries them. */
static const char *const default_keys[] = {"id_ed25519", "id_ecdsa", "id_rsa", NULL};

enum sshkey_kind sshkey_next(const char *configured, const char *home, bool agent, int index,
			     char *path, size_t n)
{
	if (configured) {
		if (index > 0)
			return SSHKEY_NONE;
		snprintf(path, n, "%s", configured);
		return SSHKEY_FILE;
	}
	if (agent && index-- == 0)
		return SSHKEY_AGENT;
	for (int i = 0; home && *home && default_keys[i]; i++) {
		snprintf(path, n, "%s/.ssh/%s", home, default_keys[i]);
		if (access(path, R_OK) == 0 && index-- == 0)
			return SSHKEY_FILE;
	}
	return SSHKEY_NONE;
}

/* A key file's public half, when it sits next to it as ssh-keygen writes it. */
static const char *public_half(const char *key, char *pub, size_t n)
{
	if ((size_t)snprintf(pub, n, "%s.pub", key) >= n || access(pub, R_OK) != 0)
		return NULL;
	return pub;
}

int sshkey_credential(struct gitsrc *g, git_credential **out, const char *user)
{
	char path[1024], pub[1100];
	const char *sock = getenv("SSH_AUTH_SOCK");

	switch (sshkey_next(g->ssh_key, getenv("HOME"), sock && *sock, g->ssh_tried++, path,
			    sizeof(path))) {
	case SSHKEY_AGENT:
		return git_credential_ssh_key_from_agent(out, user);
	case SSHKEY_FILE:
		return git_credential_ssh_key_new(out, user, public_half(path, pub, sizeof(pub)),
						  path, NULL);
	default:
		break;
	}
	if (g->ssh_tried > 1)
		return GIT_EAUTH; /* the caller says the server refused what was tried */
	return GIT_PASSTHROUGH;
}
