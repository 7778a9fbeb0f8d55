/* sshkey: the ssh credentials tried, in ssh's order, from a temporary HOME. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "gitsrc_int.h"

static char home[64];

static void touch(const char *name)
{
	char p[200];
	FILE *f;

	snprintf(p, sizeof(p), "%s/.ssh/%s", home, name);
	f = fopen(p, "w");
	assert_non_null(f);
	fclose(f);
}

static void test_order(void **state)
{
	char path[256], want[256], dir[128];

	snprintf(home, sizeof(home), "/tmp/tether-sshkey.XXXXXX");
	assert_non_null(mkdtemp(home));
	snprintf(dir, sizeof(dir), "%s/.ssh", home);
	assert_int_equal(mkdir(dir, 0700), 0);
	/* No key and no agent: nothing to try. */
	assert_int_equal(sshkey_next(NULL, home, false, 0, path, sizeof(path)), SSHKEY_NONE);
	touch("id_rsa");
	touch("id_ed25519");
	/* The agent first, then id_ed25519, then id_rsa (id_ecdsa does not exist). */
	assert_int_equal(sshkey_next(NULL, home, true, 0, path, sizeof(path)), SSHKEY_AGENT);
	assert_int_equal(sshkey_next(NULL, home, true, 1, path, sizeof(path)), SSHKEY_FILE);
	snprintf(want, sizeof(want), "%s/.ssh/id_ed25519", home);
	assert_string_equal(path, want);
	assert_int_equal(sshkey_next(NULL, home, true, 2, path, sizeof(path)), SSHKEY_FILE);
	snprintf(want, sizeof(want), "%s/.ssh/id_rsa", home);
	assert_string_equal(path, want);
	assert_int_equal(sshkey_next(NULL, home, true, 3, path, sizeof(path)), SSHKEY_NONE);
	/* Without an agent the files come first; id_ecdsa sits between them. */
	touch("id_ecdsa");
	assert_int_equal(sshkey_next(NULL, home, false, 1, path, sizeof(path)), SSHKEY_FILE);
	snprintf(want, sizeof(want), "%s/.ssh/id_ecdsa", home);
	assert_string_equal(path, want);
	/* A configured key is the only one tried. */
	assert_int_equal(sshkey_next("/k/deploy", home, true, 0, path, sizeof(path)), SSHKEY_FILE);
	assert_string_equal(path, "/k/deploy");
	assert_int_equal(sshkey_next("/k/deploy", home, true, 1, path, sizeof(path)), SSHKEY_NONE);
	/* No HOME: only the agent. */
	assert_int_equal(sshkey_next(NULL, NULL, true, 1, path, sizeof(path)), SSHKEY_NONE);
	for (const char *const *k = (const char *const[]){"id_rsa", "id_ecdsa", "id_ed25519", NULL};
	     *k; k++) {
		snprintf(path, sizeof(path), "%s/.ssh/%s", home, *k);
		assert_int_equal(unlink(path), 0);
	}
	assert_int_equal(rmdir(dir), 0);
	assert_int_equal(rmdir(home), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {cmocka_unit_test(test_order)};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
