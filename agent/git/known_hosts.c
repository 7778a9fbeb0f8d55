/*
 * known_hosts: pins SSH host keys the way OpenSSH does, because libgit2 1.5 accepts
 * any host key unless its certificate callback says no. Unknown hosts are refused:
 * there is nobody to answer "are you sure you want to continue connecting?".
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "base64.h"
#include "gitsrc_int.h"

#define KNOWN_HOSTS_MAX ((size_t)4 << 20)

struct kh_state {
	const char *name; /* "host" or "[host]:port" */
	const unsigned char *key;
	size_t keylen;
	const unsigned char *sha256;
	bool seen, ok, revoked;
};

/* Base64 to at most outmax bytes; returns the length or -1. */
static int b64_decode(const char *in, size_t inlen, unsigned char *out, size_t outmax)
{
	struct buf b;
	int n = -1;

	buf_init(&b, outmax);
	if (inlen > 0 && base64_decode(in, inlen, BASE64_STRICT, &b) == 0) {
		memcpy(out, b.data, b.len);
		n = (int)b.len;
	}
	buf_dispose(&b);
	return n;
}

static bool hashed_match(const char *pattern, const char *name)
{
	unsigned char salt[64], want[64], got[EVP_MAX_MD_SIZE];
	unsigned gotlen = 0;
	const char *p = pattern + 3, *bar = strchr(p, '|');
	int saltlen, wantlen;

	if (!bar)
		return false;
	saltlen = b64_decode(p, (size_t)(bar - p), salt, sizeof(salt));
	wantlen = b64_decode(bar + 1, strlen(bar + 1), want, sizeof(want));
	if (saltlen <= 0 || wantlen != 20)
		return false;
	if (!HMAC(EVP_sha1(), salt, saltlen, (const unsigned char *)name, strlen(name), got,
		  &gotlen))
		return false;
	return gotlen == 20 && memcmp(got, want, 20) == 0;
}

/* OpenSSH's match_pattern: only '*' and '?' are special ("[host]:port" is literal). */
static bool glob_match(const char *p, const char *s)
{
	for (; *p; p++, s++) {
		if (*p == '*') {
			for (const char *t = s;; t++) {
				if (glob_match(p + 1, t))
					return true;
				if (!*t)
					return false;
			}
		}
		if (!*s || (*p != '?' && *p != *s))
			return false;
	}
	return *s == '\0';
}

/* One comma-separated host list; a matching negated pattern vetoes the line. */
static bool hosts_match(char *list, const char *name)
{
	bool match = false;
	char *save = NULL;

	for (char *pat = strtok_r(list, ",", &save); pat; pat = strtok_r(NULL, ",", &save)) {
		bool neg = pat[0] == '!';
		bool m;

		if (neg)
			pat++;
		if (strncmp(pat, "|1|", 3) == 0) {
			m = hashed_match(pat, name);
		} else {
			for (char *c = pat; *c; c++)
				*c = (char)tolower((unsigned char)*c);
			m = glob_match(pat, name);
		}
		if (m && neg)
			return false;
		match = match || m;
	}
	return match;
}

static bool key_match(struct kh_state *s, const char *b64)
{
	unsigned char blob[16384], md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	int n = b64_decode(b64, strlen(b64), blob, sizeof(blob));

	if (n <= 0)
		return false;
	if (s->key)
		return (size_t)n == s->keylen && memcmp(blob, s->key, s->keylen) == 0;
	EVP_Digest(blob, (size_t)n, md, &mdlen, EVP_sha256(), NULL);
	return s->sha256 && mdlen == 32 && memcmp(md, s->sha256, 32) == 0;
}

/* Splits a known_hosts line: an optional marker (@revoked, @cert-authority), the host
 * patterns, the key type and the key. False for a comment or a short line. */
static bool kh_split(char *line, const char **marker, char **hosts, const char **key)
{
	char *tok[5], *save = NULL;
	int n = 0, i = 0;

	for (char *t = strtok_r(line, " \t", &save); t && n < 5; t = strtok_r(NULL, " \t", &save))
		tok[n++] = t;
	if (n && tok[0][0] == '#')
		return false;
	*marker = n && tok[0][0] == '@' ? tok[i++] : NULL;
	if (n - i < 3)
		return false;
	*hosts = tok[i];
	*key = tok[i + 2];
	return true;
}

static void check_line(struct kh_state *s, char *line)
{
	const char *marker, *key;
	char *hosts;

	if (!kh_split(line, &marker, &hosts, &key))
		return;
	if (marker && strcmp(marker, "@cert-authority") == 0)
		return;
	if (!hosts_match(hosts, s->name))
		return;
	if (!key_match(s, key)) {
		if (!marker)
			s->seen = true;
		return;
	}
	if (marker && strcmp(marker, "@revoked") == 0)
		s->revoked = true;
	else
		s->ok = true;
}

/* No known key for the host: the message names the command that adds its key, to run
 * once its fingerprint was checked (nobody here can answer ssh's question). */
static int unknown_host(struct err *e, const char *name, const char *host, int port,
			const char *why, const char *file)
{
	char p[16] = "";

	if (port > 0 && port != 22)
		snprintf(p, sizeof(p), "-p %d ", port);
	return err_set(e, TE_UNREACHABLE,
		       "host key for %s not in known_hosts (%s%s); check the host's fingerprint, "
		       "then add its key: ssh-keyscan %s%s >> %s",
		       name, why, file, p, host, file);
}

int known_hosts_check(const char *file, const char *host, int port, const unsigned char *key,
		      size_t keylen, const unsigned char *sha256, struct err *e)
{
	struct kh_state s = {NULL, key, keylen, sha256, false, false, false};
	char name[300];
	struct buf b;
	struct err ignored;
	char *line, *save = NULL;

	if (port > 0 && port != 22)
		snprintf(name, sizeof(name), "[%s]:%d", host, port);
	else
		snprintf(name, sizeof(name), "%s", host);
	for (char *c = name; *c; c++)
		*c = (char)tolower((unsigned char)*c);
	s.name = name;
	buf_init(&b, KNOWN_HOSTS_MAX);
	err_clear(&ignored);
	if (file_read(file, &b, &ignored) < 0) {
		buf_dispose(&b);
		return unknown_host(e, name, host, port, "cannot read ", file);
	}
	for (line = strtok_r(b.data ? b.data : "", "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save))
		check_line(&s, line);
	buf_dispose(&b);
	if (s.revoked)
		return err_set(e, TE_UNREACHABLE, "host key for %s is revoked in %s", name, file);
	if (s.ok)
		return 0;
	if (s.seen)
		return err_set(e, TE_UNREACHABLE,
			       "host key for %s does not match %s (the key changed, or someone is "
			       "intercepting the connection)",
			       name, file);
	return unknown_host(e, name, host, port, "", file);
}
