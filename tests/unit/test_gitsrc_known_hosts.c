/* Unit tests for the known_hosts check behind SSH host key verification: plain,
 * hashed, [host]:port, wildcard and negated patterns, @revoked, @cert-authority. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "gitsrc_int.h"

static char path[64];

/* Fake key blobs: the check compares bytes, it does not parse keys. */
static const unsigned char key_a[] = "\0\0\0\x0b" "ssh-ed25519\0\0\0\x20" "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA";
static const unsigned char key_b[] = "\0\0\0\x0b" "ssh-ed25519\0\0\0\x20" "BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB";
static const unsigned char key_c[] = "\0\0\0\x07" "ssh-rsa\0\0\0\x03\x01\0\x01\0\0\0\x04" "CCCC";

static void b64(const unsigned char *in, size_t n, char *out)
{
	EVP_EncodeBlock((unsigned char *)out, in, (int)n);
}

static void hashed_host(const char *host, char *out)
{
	const unsigned char salt[20] = "0123456789abcdefghij";
	unsigned char mac[20];
	unsigned len = 0;
	char s64[64], h64[64];

	HMAC(EVP_sha1(), salt, sizeof(salt), (const unsigned char *)host, strlen(host), mac, &len);
	b64(salt, sizeof(salt), s64);
	b64(mac, sizeof(mac), h64);
	sprintf(out, "|1|%s|%s", s64, h64);
}

static int setup(void **state)
{
	char a[200], b[200], c[200], h[200];
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/tmp/tether-kh-XXXXXX");
	if ((fd = mkstemp(path)) < 0)
		return -1;
	f = fdopen(fd, "w");
	b64(key_a, sizeof(key_a) - 1, a);
	b64(key_b, sizeof(key_b) - 1, b);
	b64(key_c, sizeof(key_c) - 1, c);
	hashed_host("hashed.test", h);
	fprintf(f, "# a comment\n\n");
	fprintf(f, "git.test,10.0.0.1 ssh-ed25519 %s comment here\n", a);
	fprintf(f, "%s ssh-ed25519 %s\n", h, b);
	fprintf(f, "[ported.test]:2222 ssh-rsa %s\n", c);
	fprintf(f, "@revoked bad.test ssh-ed25519 %s\n", a);
	fprintf(f, "bad.test ssh-ed25519 %s\n", a);
	fprintf(f, "*.wild.test,!no.wild.test ssh-ed25519 %s\n", b);
	fprintf(f, "@cert-authority *.ca.test ssh-ed25519 %s\n", a);
	fprintf(f, "broken.test ssh-ed25519 !!!notbase64\n");
	fclose(f);
	return 0;
}

static int teardown(void **state)
{
	return unlink(path);
}

static int check(const char *host, int port, const unsigned char *key, size_t len, struct err *e)
{
	err_clear(e);
	return known_hosts_check(path, host, port, key, len, NULL, e);
}

static void test_known_hosts(void **state)
{
	char msg[600];
	struct err e;

	assert_int_equal(check("git.test", 22, key_a, sizeof(key_a) - 1, &e), 0);
	assert_int_equal(check("10.0.0.1", 22, key_a, sizeof(key_a) - 1, &e), 0);
	assert_int_equal(check("GIT.test", 22, key_a, sizeof(key_a) - 1, &e), 0);
	assert_int_equal(check("git.test", 22, key_b, sizeof(key_b) - 1, &e), TE_UNREACHABLE);
	snprintf(msg, sizeof(msg),
		 "host key for git.test does not match %s (the key changed, or someone is "
		 "intercepting the connection)",
		 path);
	assert_string_equal(e.msg, msg);
	assert_int_equal(check("unknown.test", 22, key_a, sizeof(key_a) - 1, &e), TE_UNREACHABLE);
	snprintf(msg, sizeof(msg),
		 "host key for unknown.test not in known_hosts (%s); check the host's fingerprint, "
		 "then add its key: ssh-keyscan unknown.test >> %s",
		 path, path);
	assert_string_equal(e.msg, msg);
	assert_int_equal(check("hashed.test", 22, key_b, sizeof(key_b) - 1, &e), 0);
	assert_int_equal(check("hashed.test", 22, key_a, sizeof(key_a) - 1, &e), TE_UNREACHABLE);
	assert_int_equal(check("ported.test", 2222, key_c, sizeof(key_c) - 1, &e), 0);
	assert_int_equal(check("ported.test", 22, key_c, sizeof(key_c) - 1, &e), TE_UNREACHABLE);
	snprintf(msg, sizeof(msg),
		 "host key for ported.test not in known_hosts (%s); check the host's fingerprint, "
		 "then add its key: ssh-keyscan ported.test >> %s",
		 path, path);
	assert_string_equal(e.msg, msg);
	assert_int_equal(check("ported.test", 2200, key_c, sizeof(key_c) - 1, &e), TE_UNREACHABLE);
	snprintf(msg, sizeof(msg),
		 "host key for [ported.test]:2200 not in known_hosts (%s); check the host's "
		 "fingerprint, then add its key: ssh-keyscan -p 2200 ported.test >> %s",
		 path, path);
	assert_string_equal(e.msg, msg);
}

static void test_patterns_and_markers(void **state)
{
	unsigned char sha[32];
	unsigned n = 0;
	char msg[600];
	struct err e;

	assert_int_equal(check("bad.test", 22, key_a, sizeof(key_a) - 1, &e), TE_UNREACHABLE);
	snprintf(msg, sizeof(msg), "host key for bad.test is revoked in %s", path);
	assert_string_equal(e.msg, msg);
	assert_int_equal(check("a.wild.test", 22, key_b, sizeof(key_b) - 1, &e), 0);
	assert_int_equal(check("no.wild.test", 22, key_b, sizeof(key_b) - 1, &e), TE_UNREACHABLE);
	assert_int_equal(check("x.ca.test", 22, key_a, sizeof(key_a) - 1, &e), TE_UNREACHABLE);
	assert_int_equal(check("broken.test", 22, key_a, sizeof(key_a) - 1, &e), TE_UNREACHABLE);
	/* Without the raw key, the SHA-256 of the blob is compared. */
	EVP_Digest(key_a, sizeof(key_a) - 1, sha, &n, EVP_sha256(), NULL);
	err_clear(&e);
	assert_int_equal(known_hosts_check(path, "git.test", 22, NULL, 0, sha, &e), 0);
	sha[0] ^= 1;
	assert_int_equal(known_hosts_check(path, "git.test", 22, NULL, 0, sha, &e), TE_UNREACHABLE);
	err_clear(&e);
	assert_int_equal(known_hosts_check("/nonexistent/known_hosts", "git.test", 22, key_a,
					   sizeof(key_a) - 1, NULL, &e),
			 TE_UNREACHABLE);
	assert_string_equal(e.msg, "host key for git.test not in known_hosts (cannot read "
				   "/nonexistent/known_hosts); check the host's fingerprint, then "
				   "add its key: ssh-keyscan git.test >> /nonexistent/known_hosts");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_known_hosts, setup, teardown),
		cmocka_unit_test_setup_teardown(test_patterns_and_markers, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
