/* Unit tests for the agent's Git remotes (agent/daemon/remotes.c) against a fixture
 * repository built with libgit2 in a temporary directory: threads that ask one remote at
 * once send one question and share its answer; a newer "since" asks again; other
 * credentials are another remote; an error is an answer shared the same way; and the
 * tree vfs reads a monorepo's directories right while its few kept trees are replaced. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <git2.h>

#include "daemon_int.h"

#define THREADS 8
#define DIRS 7 /* more than the tree vfs keeps */

static char tmp[256], work[300], cache[300];
static char head[41];

static void write_file(const char *rel, const char *content)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", work, rel);
	for (char *p = path + strlen(work) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	assert_non_null(f = fopen(path, "w"));
	fputs(content, f);
	fclose(f);
}

/* A repository whose one commit has apps/appN/v.yaml = "N" for N < DIRS. */
static int setup(void **state)
{
	git_repository *r = NULL;
	git_index *idx = NULL;
	git_signature *sig = NULL;
	git_tree *tree = NULL;
	git_oid tree_id, id;
	char rel[64], val[16];

	snprintf(tmp, sizeof(tmp), "/tmp/tether-remotes-XXXXXX");
	assert_non_null(mkdtemp(tmp));
	snprintf(work, sizeof(work), "%s/work", tmp);
	snprintf(cache, sizeof(cache), "%s/cache", tmp);
	git_libgit2_init();
	assert_int_equal(git_repository_init(&r, work, 0), 0);
	for (int i = 0; i < DIRS; i++) {
		snprintf(rel, sizeof(rel), "apps/app%d/v.yaml", i);
		snprintf(val, sizeof(val), "%d\n", i);
		write_file(rel, val);
	}
	assert_int_equal(git_repository_index(&idx, r), 0);
	assert_int_equal(git_index_add_all(idx, NULL, 0, NULL, NULL), 0);
	assert_int_equal(git_index_write_tree(&tree_id, idx), 0);
	assert_int_equal(git_tree_lookup(&tree, r, &tree_id), 0);
	assert_int_equal(git_signature_new(&sig, "T", "t@example.com", 1700000000, 0), 0);
	assert_int_equal(git_commit_create_v(&id, r, "HEAD", sig, sig, NULL, "one", tree, 0), 0);
	git_oid_tostr(head, sizeof(head), &id);
	git_signature_free(sig);
	git_tree_free(tree);
	git_index_free(idx);
	git_repository_free(r);
	*state = NULL;
	return 0;
}

static int teardown(void **state)
{
	char *argv[] = {"rm", "-rf", tmp, NULL};
	pid_t pid = fork();

	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	waitpid(pid, NULL, 0);
	git_libgit2_shutdown();
	return 0;
}

struct asker {
	struct remotes *rs;
	const struct app_config *c;
	int64_t since;
	char sha[41];
	int rc;
};

static void *ask(void *arg)
{
	struct asker *a = arg;
	struct err e;

	err_clear(&e);
	a->rc = remotes_resolve(a->rs, a->c, a->since, NULL, a->sha, &e);
	return NULL;
}

static void test_one_question_for_many_apps(void **state)
{
	struct app_config c = {.repo = work, .cache_dir = cache};
	struct remotes *rs = remotes_new();
	struct asker as[THREADS];
	pthread_t th[THREADS];
	int64_t t0 = now_ms();

	assert_non_null(rs);
	for (int i = 0; i < THREADS; i++) {
		as[i] = (struct asker){.rs = rs, .c = &c, .since = t0};
		assert_int_equal(pthread_create(&th[i], NULL, ask, &as[i]), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
		assert_int_equal(as[i].rc, 0);
		assert_string_equal(as[i].sha, head);
	}
	assert_int_equal(remotes_asked(rs), 1);
	/* an answer asked before since does not do: a webhook push, a reconcile */
	as[0].since = now_ms() + 1;
	usleep(2000);
	ask(&as[0]);
	assert_int_equal(as[0].rc, 0);
	assert_int_equal(remotes_asked(rs), 2);
	as[0].since = t0;
	ask(&as[0]);
	assert_int_equal(remotes_asked(rs), 2);
	remotes_free(rs);
}

static void test_other_credentials_other_remote(void **state)
{
	struct app_config c = {.repo = work, .cache_dir = cache};
	struct app_config tok = {.repo = work, .cache_dir = cache, .git_token_env = "NO_SUCH_TOKEN"};
	struct remotes *rs = remotes_new();
	struct asker a = {.rs = rs, .c = &c, .since = now_ms()};

	ask(&a);
	assert_int_equal(a.rc, 0);
	a.c = &tok;
	ask(&a);
	assert_int_equal(remotes_asked(rs), 2);
	remotes_free(rs);
}

static void test_error_is_shared(void **state)
{
	char missing[400];
	struct app_config c = {.cache_dir = cache};
	struct remotes *rs = remotes_new();
	char sha[41];
	struct err e;
	int64_t t0 = now_ms();

	snprintf(missing, sizeof(missing), "%s/nothing-here", tmp);
	c.repo = missing;
	for (int i = 0; i < 3; i++) {
		err_clear(&e);
		assert_int_equal(remotes_resolve(rs, &c, t0, NULL, sha, &e), TE_UNREACHABLE);
		assert_non_null(strstr(e.msg, "no such directory"));
	}
	assert_int_equal(remotes_asked(rs), 1);
	remotes_free(rs);
}

/* Every app's file through one vfs, twice round: more directories than it keeps. */
static void test_tree_dirs_replaced(void **state)
{
	struct gitsrc_opts o = {.url = work, .cache_dir = cache};
	struct gitsrc *g = NULL;
	struct vfs *v = NULL;
	struct strlist names;
	char sha[41], path[64], want[16];
	struct buf b;
	struct err e;

	err_clear(&e);
	assert_int_equal(gitsrc_open(&g, &o, &e), 0);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, NULL, &e), 0);
	assert_int_equal(gitsrc_tree(g, sha, &v, &e), 0);
	for (int round = 0; round < 2; round++)
		for (int i = 0; i < DIRS; i++) {
			enum vfs_type t;
			snprintf(path, sizeof(path), "apps/app%d", (i * 3) % DIRS);
			strlist_init(&names);
			assert_int_equal(vfs_list(v, path, &names, &e), 0);
			assert_int_equal(names.n, 1);
			assert_string_equal(names.items[0], "v.yaml");
			strlist_dispose(&names);
			snprintf(path, sizeof(path), "apps/app%d/v.yaml", (i * 3) % DIRS);
			assert_int_equal(vfs_lstat(v, path, &t, &e), 0);
			assert_int_equal(t, VFS_FILE);
			buf_init(&b, 1024);
			assert_int_equal(vfs_read(v, path, 1024, &b, &e), 0);
			snprintf(want, sizeof(want), "%d\n", (i * 3) % DIRS);
			assert_int_equal(b.len, strlen(want));
			assert_memory_equal(b.data, want, b.len);
			buf_dispose(&b);
		}
	assert_int_equal(vfs_lstat(v, "apps/app1/nope.yaml", &(enum vfs_type){0}, &e), 0);
	assert_int_equal(vfs_list(v, "apps/app1/v.yaml", &names, &e), TE_INPUT); /* a file */
	err_clear(&e);
	assert_int_equal(vfs_list(v, "apps/app9", &names, &e), TE_NOTFOUND);
	vfs_free(v);
	gitsrc_free(g);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_one_question_for_many_apps),
	    cmocka_unit_test(test_other_credentials_other_remote),
	    cmocka_unit_test(test_error_is_shared),
	    cmocka_unit_test(test_tree_dirs_replaced),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
