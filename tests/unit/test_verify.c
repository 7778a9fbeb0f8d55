/*
 * Unit tests for agent/verify: SSHSIG parsing and checking against an allowed signers
 * file, and the allowed signers format (options, principals, errors with file:line).
 * The signatures were made by `ssh-keygen -Y sign` (namespaces git and file) over MSG
 * with the key ALICE; MALLORY is another key.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "verify_int.h"

#define ALICE "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIP2tjvh+cVAUtEPegLFGTxD2f+WPVpTEjCBmeXt1Bv5o"
#define MALLORY "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIErAiSdENi6NyXQ5N4SPg/PVKg0WSOy//hlz6TTDOPSY"
#define WHEN 1700000000

static const char MSG[] = "tree 4b825dc642cb6eb9a060e54bf8d69288fbee4904\n"
			  "author A <a@example.com> 1700000000 +0000\n"
			  "committer A <a@example.com> 1700000000 +0000\n"
			  "\n"
			  "signed\n";

/* ssh-keygen -Y sign -n git -f alice MSG */
static const char SIG_GIT[] =
    "-----BEGIN SSH SIGNATURE-----\n"
    "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg/a2O+H5xUBS0Q96AsUZPEPZ/5Y\n"
    "9WlMSMIGZ5e3UG/mgAAAADZ2l0AAAAAAAAAAZzaGE1MTIAAABTAAAAC3NzaC1lZDI1NTE5\n"
    "AAAAQEDn9EI+1belUu4XPbcxuxqhWQmfC7OEP/0p5grcT4ZYYZY2/hHAWtH4klYv5vf2IN\n"
    "+6vVHqhjt4O/KOYcgALgg=\n"
    "-----END SSH SIGNATURE-----\n";

/* ssh-keygen -Y sign -n file -f alice MSG */
static const char SIG_FILE[] =
    "-----BEGIN SSH SIGNATURE-----\n"
    "U1NIU0lHAAAAAQAAADMAAAALc3NoLWVkMjU1MTkAAAAg/a2O+H5xUBS0Q96AsUZPEPZ/5Y\n"
    "9WlMSMIGZ5e3UG/mgAAAAEZmlsZQAAAAAAAAAGc2hhNTEyAAAAUwAAAAtzc2gtZWQyNTUx\n"
    "OQAAAECOblj2/tQzx2lApcQg1SzYRvsmTR3QDQPrvO57GU1C+UN+K68VvCbGlAPa5F1Koe\n"
    "NZsJSN/2BFrnBoO8Xd88AP\n"
    "-----END SSH SIGNATURE-----\n";

/* Parses text as allowed signers file "as"; asserts the code. */
static void load(struct allowed_signers *a, const char *text, int want, struct err *e)
{
	err_clear(e);
	assert_int_equal(allowed_signers_parse(a, "as", text, e), want);
}

/* Checks sig over data against the allowed signers text; returns the code. */
static int check(const char *signers, const char *sig, const char *data, char *key, size_t keylen,
		 struct err *e)
{
	struct allowed_signers a;
	int rc;

	load(&a, signers, 0, e);
	rc = sshsig_check(&a, sig, strlen(sig), data, strlen(data), WHEN, key, keylen, e);
	allowed_signers_dispose(&a);
	return rc;
}

static void test_parse(void **state)
{
	struct sshsig s;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(sshsig_parse(&s, SIG_GIT, strlen(SIG_GIT), &e), 0);
	assert_true(wire_is(&s.ns, "git"));
	assert_true(wire_is(&s.hash_alg, "sha512"));
	assert_int_equal(s.pubkey.n, 51); /* string "ssh-ed25519", string key[32] */
	sshsig_dispose(&s);
	assert_int_equal(sshsig_parse(&s, SIG_FILE, strlen(SIG_FILE), &e), 0);
	assert_true(wire_is(&s.ns, "file"));
	sshsig_dispose(&s);
}

static void test_parse_malformed(void **state)
{
	static const char not_armored[] = "U1NIU0lHAAAAAQ==";
	static const char no_preamble[] = "-----BEGIN SSH SIGNATURE-----\n"
					  "Tk9UU0lHAAAAAQ==\n-----END SSH SIGNATURE-----\n";
	char cut[sizeof(SIG_GIT)];
	struct sshsig s;
	struct err e;

	(void)state;
	err_clear(&e);
	assert_int_equal(sshsig_parse(&s, not_armored, strlen(not_armored), &e), TE_UNVERIFIED);
	sshsig_dispose(&s);
	assert_non_null(strstr(e.msg, "not armored"));
	err_clear(&e);
	assert_int_equal(sshsig_parse(&s, no_preamble, strlen(no_preamble), &e), TE_UNVERIFIED);
	sshsig_dispose(&s);
	assert_non_null(strstr(e.msg, "no SSHSIG preamble"));
	err_clear(&e);
	/* the first two lines only: the blob ends inside the signature */
	memcpy(cut, SIG_GIT, sizeof(cut));
	strcpy(strchr(strchr(strchr(cut, '\n') + 1, '\n') + 1, '\n') + 1,
	       "-----END SSH SIGNATURE-----\n");
	assert_int_equal(sshsig_parse(&s, cut, strlen(cut), &e), TE_UNVERIFIED);
	sshsig_dispose(&s);
	assert_non_null(strstr(e.msg, "malformed SSH signature"));
}

static void test_good(void **state)
{
	char key[128];
	struct err e;

	(void)state;
	assert_int_equal(check("alice@example.com " ALICE "\n", SIG_GIT, MSG, key, sizeof(key), &e),
			 0);
	assert_string_equal(key, "ssh-ed25519 SHA256:SJ39goHXiISqDdlLMCd8T+0I80ZVUt4k/EFoFDDENRY");
	assert_int_equal(check("alice@example.com namespaces=\"git\" " ALICE "\n", SIG_GIT, MSG,
			       key, sizeof(key), &e),
			 0);
}

static void test_tampered(void **state)
{
	char data[sizeof(MSG)], key[128];
	struct err e;

	(void)state;
	memcpy(data, MSG, sizeof(MSG));
	*strstr(data, "signed") = 'S';
	assert_int_equal(
	    check("alice@example.com " ALICE "\n", SIG_GIT, data, key, sizeof(key), &e),
	    TE_UNVERIFIED);
	assert_non_null(strstr(e.msg, "bad signature"));
	assert_non_null(strstr(e.msg, "SHA256:SJ39goHXiISqDdlLMCd8T+0I80ZVUt4k/EFoFDDENRY"));
}

static void test_unknown_key(void **state)
{
	char key[128];
	struct err e;

	(void)state;
	assert_int_equal(
	    check("mallory@example.com " MALLORY "\n", SIG_GIT, MSG, key, sizeof(key), &e),
	    TE_UNVERIFIED);
	assert_non_null(strstr(
	    e.msg, "signed by ssh-ed25519 SHA256:SJ39goHXiISqDdlLMCd8T+0I80ZVUt4k/EFoFDDENRY"));
	assert_non_null(strstr(e.msg, "is not in the allowed signers file as"));
	assert_string_equal(key, "ssh-ed25519 SHA256:SJ39goHXiISqDdlLMCd8T+0I80ZVUt4k/EFoFDDENRY");
}

static void test_wrong_namespace(void **state)
{
	char key[128];
	struct err e;

	(void)state;
	/* signed for namespace file: refused whatever the file allows */
	assert_int_equal(
	    check("alice@example.com " ALICE "\n", SIG_FILE, MSG, key, sizeof(key), &e),
	    TE_UNVERIFIED);
	assert_non_null(strstr(e.msg, "is for namespace \"file\", not \"git\""));
	/* signed for git, but the key is allowed only for file */
	assert_int_equal(check("alice@example.com namespaces=\"file,email\" " ALICE "\n", SIG_GIT,
			       MSG, key, sizeof(key), &e),
			 TE_UNVERIFIED);
	assert_non_null(strstr(e.msg, "is not allowed for namespace \"git\""));
	/* a list that names git among others */
	assert_int_equal(check("alice@example.com namespaces=\"file,git\" " ALICE "\n", SIG_GIT,
			       MSG, key, sizeof(key), &e),
			 0);
}

static void test_validity(void **state)
{
	char key[128];
	struct err e;

	(void)state;
	/* WHEN is 2023-11-14 22:13:20 UTC */
	assert_int_equal(
	    check("a valid-after=\"20240101\" " ALICE "\n", SIG_GIT, MSG, key, sizeof(key), &e),
	    TE_UNVERIFIED);
	assert_int_equal(
	    check("a valid-before=\"20231114\" " ALICE "\n", SIG_GIT, MSG, key, sizeof(key), &e),
	    TE_UNVERIFIED);
	assert_int_equal(check("a valid-after=\"20231114\",valid-before=\"20231115Z\" " ALICE "\n",
			       SIG_GIT, MSG, key, sizeof(key), &e),
			 0);
	/* a CA line never matches (certificates are not supported) */
	assert_int_equal(check("a cert-authority " ALICE "\n", SIG_GIT, MSG, key, sizeof(key), &e),
			 TE_UNVERIFIED);
}

static void test_allowed_signers_parse(void **state)
{
	struct allowed_signers a;
	struct err e;

	(void)state;
	load(&a,
	     "# people\n\n"
	     "alice@example.com,*@ops.example.com namespaces=\"git,file\" " ALICE
	     " alice's laptop\n"
	     "\"mallory@example.com\" " MALLORY "\n",
	     0, &e);
	assert_int_equal(a.n, 2);
	assert_string_equal(a.items[0].principals, "alice@example.com,*@ops.example.com");
	assert_string_equal(a.items[0].namespaces, "git,file");
	assert_int_equal(a.items[0].bloblen, 51);
	assert_string_equal(a.items[1].principals, "mallory@example.com");
	assert_null(a.items[1].namespaces);
	assert_non_null(
	    allowed_signers_match(&a, a.items[0].blob, a.items[0].bloblen, "git", WHEN));
	assert_null(allowed_signers_match(&a, a.items[0].blob, a.items[0].bloblen, "email", WHEN));
	assert_true(allowed_signers_has_key(&a, a.items[1].blob, a.items[1].bloblen));
	allowed_signers_dispose(&a);
}

static void test_allowed_signers_errors(void **state)
{
	struct allowed_signers a;
	struct err e;

	(void)state;
	load(&a, "# only a comment\n", TE_INPUT, &e);
	assert_string_equal(e.msg, "as: no keys");
	load(&a, "alice " ALICE "\nmallory\n", TE_INPUT, &e);
	assert_non_null(
	    strstr(e.msg, "as:2: expected \"principals [options] keytype base64-key\""));
	load(&a, "alice nosuch=\"x\" " ALICE "\n", TE_INPUT, &e);
	assert_non_null(strstr(e.msg, "as:1: unknown option"));
	load(&a, "alice ssh-ed25519 AAAA!!\n", TE_INPUT, &e);
	assert_non_null(strstr(e.msg, "as:1: not a public key of the type named"));
	load(&a, "alice valid-after=\"2024\" " ALICE "\n", TE_INPUT, &e);
	assert_non_null(strstr(e.msg, "as:1:"));
}

static void test_time(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(allowed_signers_time("20231114", 8, &t), 0);
	assert_int_equal(t, 1699920000);
	assert_int_equal(allowed_signers_time("202311142213Z", 13, &t), 0);
	assert_int_equal(t, 1700000000 - 20);
	assert_int_equal(allowed_signers_time("20231114221320", 14, &t), 0);
	assert_int_equal(t, 1700000000);
	assert_true(allowed_signers_time("2023111", 7, &t) < 0);
	assert_true(allowed_signers_time("2023111x", 8, &t) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),
	    cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_good),
	    cmocka_unit_test(test_tampered),
	    cmocka_unit_test(test_unknown_key),
	    cmocka_unit_test(test_wrong_namespace),
	    cmocka_unit_test(test_validity),
	    cmocka_unit_test(test_allowed_signers_parse),
	    cmocka_unit_test(test_allowed_signers_errors),
	    cmocka_unit_test(test_time),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
