/* Unit tests for gitsrc against fixture repositories built with libgit2 in a temporary
 * directory: clone and no-op resolves, new commits, tags, SHAs, unknown refs and
 * unreachable remotes, the tree vfs with symlinks, the log and revert parsing, and
 * restore commits pushed to a bare repository; then the same over git:// (git daemon)
 * and HTTP with a token (git http-backend behind basic auth, via python3). Network
 * tests are skipped when their server cannot start. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <dirent.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>
#include <git2.h>

#include "gitsrc_int.h"
#include "manifest.h"
#include "render.h"

static char tmp[256];
static char remote_path[300];
static char cache_path[300];

static void write_file(const char *rel, const char *content)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", remote_path, rel);
	for (char *p = path + strlen(remote_path) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(content, f);
	fclose(f);
}

static void make_link(const char *target, const char *rel)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/%s", remote_path, rel);
	assert_int_equal(symlink(target, path), 0);
}

/* Commits the whole work tree of r on HEAD; the sha goes to out. */
static void commit_all(git_repository *r, const char *msg, char out[41])
{
	git_index *idx = NULL;
	git_oid tree_id, id, parent_id;
	git_tree *tree = NULL;
	git_commit *parent = NULL;
	git_signature *sig = NULL;
	int nparents = 0;

	assert_int_equal(git_repository_index(&idx, r), 0);
	assert_int_equal(git_index_add_all(idx, NULL, 0, NULL, NULL), 0);
	assert_int_equal(git_index_update_all(idx, NULL, NULL, NULL), 0);
	assert_int_equal(git_index_write(idx), 0);
	assert_int_equal(git_index_write_tree(&tree_id, idx), 0);
	assert_int_equal(git_tree_lookup(&tree, r, &tree_id), 0);
	if (git_reference_name_to_id(&parent_id, r, "HEAD") == 0) {
		assert_int_equal(git_commit_lookup(&parent, r, &parent_id), 0);
		nparents = 1;
	}
	assert_int_equal(git_signature_new(&sig, "Dev", "dev@example.com", 1700000000, 0), 0);
	assert_int_equal(git_commit_create_v(&id, r, "HEAD", sig, sig, NULL, msg, tree, nparents,
					     parent),
			 0);
	git_oid_tostr(out, 41, &id);
	git_signature_free(sig);
	git_commit_free(parent);
	git_tree_free(tree);
	git_index_free(idx);
}

static git_repository *init_remote(void)
{
	git_repository_init_options o;
	git_repository *r = NULL;

	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "main";
	assert_int_equal(git_repository_init_ext(&r, remote_path, &o), 0);
	return r;
}

static int setup(void **state)
{
	snprintf(tmp, sizeof(tmp), "/tmp/tether-git-XXXXXX");
	if (!mkdtemp(tmp))
		return -1;
	snprintf(remote_path, sizeof(remote_path), "%s/remote", tmp);
	snprintf(cache_path, sizeof(cache_path), "%s/cache", tmp);
	git_libgit2_init();
	return 0;
}

static int teardown(void **state)
{
	char cmd[400];

	git_libgit2_shutdown();
	/* tmp comes from mkdtemp: a fixed prefix and six safe characters. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmp);
	return system(cmd) == 0 ? 0 : -1;
}

static struct gitsrc *open_src(const char *url)
{
	struct gitsrc_opts o = {0};
	struct gitsrc *g = NULL;
	struct err e;

	o.url = url;
	o.cache_dir = cache_path;
	err_clear(&e);
	assert_int_equal(gitsrc_open(&g, &o, &e), 0);
	return g;
}

static void test_resolve_and_fetch(void **state)
{
	git_repository *r = init_remote();
	struct gitsrc *g;
	char a[41], b[41], sha[41];
	bool fetched;
	struct err e;

	write_file("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
	commit_all(r, "first", a);
	g = open_src(remote_path);
	assert_non_null(strstr(gitsrc_cache_path(g), cache_path));
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, &fetched, &e), 0);
	assert_string_equal(sha, a);
	assert_true(fetched);
	assert_int_equal(gitsrc_fetch_count(g), 1);
	/* Unchanged remote: an ls-remote, no fetch. */
	assert_int_equal(gitsrc_resolve(g, "main", sha, &fetched, &e), 0);
	assert_string_equal(sha, a);
	assert_false(fetched);
	assert_int_equal(gitsrc_fetch_count(g), 1);
	write_file("app/cm.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: b}\n");
	commit_all(r, "second", b);
	assert_int_equal(gitsrc_resolve(g, "main", sha, &fetched, &e), 0);
	assert_string_equal(sha, b);
	assert_true(fetched);
	assert_int_equal(gitsrc_fetch_count(g), 2);
	gitsrc_free(g);
	/* A new gitsrc on the same cache has everything already. */
	g = open_src(remote_path);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, &fetched, &e), 0);
	assert_string_equal(sha, b);
	assert_false(fetched);
	/* A cached SHA, full or short, needs no network. */
	assert_int_equal(gitsrc_resolve(g, a, sha, &fetched, &e), 0);
	assert_string_equal(sha, a);
	b[8] = '\0';
	assert_int_equal(gitsrc_resolve(g, b, sha, &fetched, &e), 0);
	assert_int_equal(strncmp(sha, b, 8), 0);
	assert_false(fetched);
	assert_int_equal(gitsrc_fetch_count(g), 0);
	gitsrc_free(g);
	git_repository_free(r);
}

/* The default branch is what the remote's HEAD names, not a guess from "main". */
static void test_default_branch(void **state)
{
	git_repository_init_options o;
	git_repository *r = NULL;
	git_reference *ref = NULL;
	git_oid oid;
	struct gitsrc *g;
	char a[41], branch[64], missing[400];
	struct err e;

	git_repository_init_options_init(&o, GIT_REPOSITORY_INIT_OPTIONS_VERSION);
	o.flags = GIT_REPOSITORY_INIT_MKPATH;
	o.initial_head = "trunk";
	assert_int_equal(git_repository_init_ext(&r, remote_path, &o), 0);
	write_file("cm.yaml", "kind: ConfigMap\n");
	commit_all(r, "first", a);
	/* a "main" at the same commit, which a guess by name or by commit could pick */
	assert_int_equal(git_oid_fromstr(&oid, a), 0);
	assert_int_equal(git_reference_create(&ref, r, "refs/heads/main", &oid, 0, NULL), 0);
	git_reference_free(ref);
	g = open_src(remote_path);
	err_clear(&e);
	assert_int_equal(gitsrc_default_branch(g, branch, sizeof(branch), &e), 0);
	assert_string_equal(branch, "trunk");
	/* HEAD moved to another branch: the answer follows it */
	assert_int_equal(git_repository_set_head(r, "refs/heads/main"), 0);
	assert_int_equal(gitsrc_default_branch(g, branch, sizeof(branch), &e), 0);
	assert_string_equal(branch, "main");
	/* too small a buffer is refused, never cut */
	assert_int_equal(gitsrc_default_branch(g, branch, 4, &e), TE_INPUT);
	gitsrc_free(g);
	snprintf(missing, sizeof(missing), "%s/nothing-here", tmp);
	g = open_src(missing);
	err_clear(&e);
	assert_int_equal(gitsrc_default_branch(g, branch, sizeof(branch), &e), TE_UNREACHABLE);
	assert_string_equal(branch, "");
	gitsrc_free(g);
	git_repository_free(r);
}

static void test_tags_and_unknown_refs(void **state)
{
	git_repository *r = init_remote();
	git_object *target = NULL;
	git_signature *sig = NULL;
	struct gitsrc *g;
	char a[41], b[41], sha[41], msg[600];
	git_oid oid;
	struct err e;

	write_file("f.yaml", "a: 1\n");
	commit_all(r, "one", a);
	assert_int_equal(git_revparse_single(&target, r, "HEAD"), 0);
	assert_int_equal(git_tag_create_lightweight(&oid, r, "v1", target, 0), 0);
	assert_int_equal(git_signature_new(&sig, "Dev", "dev@example.com", 1700000000, 0), 0);
	assert_int_equal(git_tag_create(&oid, r, "v2", target, sig, "release 2", 0), 0);
	write_file("f.yaml", "a: 2\n");
	commit_all(r, "two", b);
	g = open_src(remote_path);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "v1", sha, NULL, &e), 0);
	assert_string_equal(sha, a);
	assert_int_equal(gitsrc_resolve(g, "v2", sha, NULL, &e), 0);
	assert_string_equal(sha, a); /* the annotated tag is peeled to its commit */
	assert_int_equal(gitsrc_resolve(g, "refs/heads/main", sha, NULL, &e), 0);
	assert_string_equal(sha, b);
	assert_int_equal(gitsrc_resolve(g, "HEAD", sha, NULL, &e), 0);
	assert_string_equal(sha, b);
	assert_int_equal(gitsrc_resolve(g, "refs/tags/v2", sha, NULL, &e), 0);
	assert_string_equal(sha, a);
	assert_int_equal(gitsrc_resolve(g, "nope", sha, NULL, &e), TE_INPUT);
	snprintf(msg, sizeof(msg), "ref \"nope\" not found in %s", remote_path);
	assert_string_equal(e.msg, msg);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "deadbeef", sha, NULL, &e), TE_INPUT);
	snprintf(msg, sizeof(msg), "commit deadbeef not found in %s", remote_path);
	assert_string_equal(e.msg, msg);
	gitsrc_free(g);
	git_signature_free(sig);
	git_object_free(target);
	git_repository_free(r);
}

static void test_unreachable(void **state)
{
	struct gitsrc *g;
	char sha[41];
	struct err e;

	g = open_src("/nonexistent/tether/repo");
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, NULL, &e), TE_UNREACHABLE);
	/* Said once, and as what it is (libgit2 alone says "unsupported URL protocol"). */
	assert_string_equal(e.msg, "fetch /nonexistent/tether/repo: no such directory");
	gitsrc_free(g);
	/* Credentials in the URL never reach a message. */
	g = open_src("http://user:s3cret@127.0.0.1:1/repo.git");
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), TE_UNREACHABLE);
	assert_int_equal(strncmp(e.msg, "fetch http://127.0.0.1:1/repo.git: ", 35), 0);
	print_message("# %s\n", e.msg);
	assert_null(strstr(e.msg, "s3cret"));
	gitsrc_free(g);
}

static void test_tree_vfs(void **state)
{
	git_repository *r = init_remote();
	struct object_set s;
	struct gitsrc *g;
	struct vfs *v = NULL;
	struct strlist names;
	struct buf b;
	enum vfs_type t;
	char a[41], sha[41];
	struct err e;

	write_file("shared/c.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
	write_file("app/a.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: a}\n");
	write_file("app/sub/.keep", "");
	make_link("../../shared/c.yaml", "app/sub/link.yaml");
	write_file("bad/ok.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: ok}\n");
	make_link("../../../etc/passwd", "bad/esc.yaml");
	commit_all(r, "tree", a);
	g = open_src(remote_path);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, NULL, &e), 0);
	assert_int_equal(gitsrc_tree(g, sha, &v, &e), 0);
	strlist_init(&names);
	assert_int_equal(vfs_list(v, "", &names, &e), 0);
	assert_int_equal(names.n, 3);
	assert_string_equal(names.items[0], "app");
	assert_string_equal(names.items[2], "shared");
	strlist_dispose(&names);
	assert_int_equal(vfs_lstat(v, "app/sub/link.yaml", &t, &e), 0);
	assert_int_equal(t, VFS_LINK);
	buf_init(&b, 0);
	assert_int_equal(vfs_read(v, "app/sub/link.yaml", 1000, &b, &e), 0);
	assert_non_null(strstr(b.data, "name: c"));
	buf_reset(&b);
	assert_int_equal(vfs_read(v, "app/a.yaml", 10, &b, &e), TE_INPUT);
	assert_string_equal(e.msg, "app/a.yaml: larger than 10 bytes");
	buf_dispose(&b);
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_render(v, "app", &s, &e), 0);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.items[0].name, "a");
	assert_string_equal(s.items[1].name, "c");
	assert_string_equal(s.items[1].file, "app/sub/link.yaml");
	object_set_dispose(&s);
	assert_int_equal(manifest_render(v, "bad", &s, &e), TE_INPUT);
	assert_string_equal(e.msg, "bad/esc.yaml: symlink leaves the repository");
	object_set_dispose(&s);
	vfs_free(v);
	err_clear(&e);
	assert_int_equal(gitsrc_tree(g, "0123456789012345678901234567890123456789", &v, &e),
			 TE_NOTFOUND);
	gitsrc_free(g);
	git_repository_free(r);
}

/* Truncates every pack of the cache g uses; returns how many. */
static int truncate_packs(struct gitsrc *g)
{
	char dir[600], path[1200];
	struct dirent *d;
	DIR *dp;
	int n = 0;

	snprintf(dir, sizeof(dir), "%s/objects/pack", gitsrc_cache_path(g));
	assert_non_null(dp = opendir(dir));
	while ((d = readdir(dp)) != NULL) {
		if (!strstr(d->d_name, ".pack"))
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, d->d_name);
		assert_int_equal(truncate(path, 64), 0);
		n++;
	}
	closedir(dp);
	return n;
}

/* Removes the loose object oid from the (non-bare) remote. */
static void remove_loose(const char *hex)
{
	char path[600];

	snprintf(path, sizeof(path), "%s/.git/objects/%.2s/%s", remote_path, hex, hex + 2);
	assert_int_equal(unlink(path), 0);
}

/* A damaged cache (a truncated pack) is cloned again, once; only a second failure, here
 * a remote that lacks an object itself, is an error. */
static void test_damaged_cache(void **state)
{
	git_repository *r = init_remote();
	git_tree_entry *entry = NULL;
	git_commit *c = NULL;
	git_tree *tree = NULL;
	struct gitsrc *g;
	struct vfs *v = NULL;
	struct buf b;
	char a[41], bsha[41], sha[41];
	git_oid oid;
	struct err e;

	write_file("cm.yaml", "v: 1\n");
	commit_all(r, "one", a);
	g = open_src(remote_path);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, NULL, &e), 0);
	assert_true(truncate_packs(g) > 0);
	gitsrc_free(g);
	/* The same commit again, and a new one: both read from a clone made afresh. */
	g = open_src(remote_path);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, NULL, &e), 0);
	assert_string_equal(sha, a);
	assert_int_equal(truncate_packs(g), 1);
	write_file("cm.yaml", "v: 2\n");
	commit_all(r, "two", bsha);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), 0);
	assert_string_equal(sha, bsha);
	assert_int_equal(gitsrc_tree(g, sha, &v, &e), 0);
	buf_init(&b, 0);
	assert_int_equal(vfs_read(v, "cm.yaml", 100, &b, &e), 0);
	assert_string_equal(b.data, "v: 2\n");
	buf_dispose(&b);
	vfs_free(v);
	gitsrc_free(g);
	/* The remote itself lost the blob: the clone made afresh fails too, and says so. */
	write_file("cm.yaml", "v: 3\n");
	commit_all(r, "three", bsha);
	assert_int_equal(git_oid_fromstr(&oid, bsha), 0);
	assert_int_equal(git_commit_lookup(&c, r, &oid), 0);
	assert_int_equal(git_commit_tree(&tree, c), 0);
	assert_int_equal(git_tree_entry_bypath(&entry, tree, "cm.yaml"), 0);
	remove_loose(git_oid_tostr_s(git_tree_entry_id(entry)));
	g = open_src(remote_path);
	assert_true(truncate_packs(g) > 0);
	err_clear(&e);
	assert_true(gitsrc_resolve(g, "main", sha, NULL, &e) < 0);
	print_message("# %s\n", e.msg);
	assert_int_equal(strncmp(e.msg, "Git cache damaged, and cloning it again failed too: fetch ",
				 58),
			 0);
	gitsrc_free(g);
	git_tree_entry_free(entry);
	git_tree_free(tree);
	git_commit_free(c);
	git_repository_free(r);
}

static void test_log_and_revert(void **state)
{
	git_repository *r = init_remote();
	struct gitsrc_commit *log = NULL, c;
	struct gitsrc *g;
	char a[41], b[41], rv[41], sha[41], msg[200];
	size_t n;
	struct err e;

	write_file("f.yaml", "v: 1\n");
	commit_all(r, "one", a);
	write_file("f.yaml", "v: 2\n");
	commit_all(r, "two\n\nbody text\n", b);
	write_file("f.yaml", "v: 1\n");
	snprintf(msg, sizeof(msg), "Revert \"two\"\n\nThis reverts commit %s.\n", b);
	commit_all(r, msg, rv);
	g = open_src(remote_path);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, NULL, &e), 0);
	assert_int_equal(gitsrc_log(g, sha, a, 0, &log, &n, &e), 0);
	assert_int_equal(n, 2);
	assert_string_equal(log[0].sha, rv);
	assert_string_equal(log[0].subject, "Revert \"two\"");
	assert_string_equal(log[0].reverts, b);
	assert_string_equal(log[0].parent, b);
	assert_string_equal(log[0].author, "Dev <dev@example.com>");
	assert_int_equal(log[0].time, 1700000000);
	assert_string_equal(log[1].sha, b);
	assert_string_equal(log[1].message, "two\n\nbody text\n");
	assert_string_equal(log[1].reverts, "");
	for (size_t i = 0; i < n; i++)
		gitsrc_commit_dispose(&log[i]);
	free(log);
	assert_int_equal(gitsrc_log(g, sha, NULL, 2, &log, &n, &e), 0);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < n; i++)
		gitsrc_commit_dispose(&log[i]);
	free(log);
	assert_int_equal(gitsrc_commit(g, a, &c, &e), 0);
	assert_string_equal(c.subject, "one");
	assert_string_equal(c.parent, "");
	gitsrc_commit_dispose(&c);
	gitsrc_free(g);
	git_repository_free(r);
}

static void read_remote_file(git_repository *bare, const char *rev, const char *path, char *out,
			     size_t n)
{
	char spec[300];
	git_object *obj = NULL;

	snprintf(spec, sizeof(spec), "%s:%s", rev, path);
	if (git_revparse_single(&obj, bare, spec) < 0) {
		snprintf(out, n, "(absent)");
		return;
	}
	snprintf(out, n, "%.*s", (int)git_blob_rawsize((git_blob *)obj),
		 (const char *)git_blob_rawcontent((git_blob *)obj));
	git_object_free(obj);
}

/* A bare copy of r's main (git_clone would do, but it leaks in libgit2 1.5). */
static git_repository *push_to_bare(git_repository *r, const char *path)
{
	git_remote_create_options o;
	git_push_options po;
	git_repository *bare = NULL;
	git_remote *remote = NULL;
	char *spec = "refs/heads/main:refs/heads/main";
	git_strarray specs = {&spec, 1};

	assert_int_equal(git_repository_init(&bare, path, 1), 0);
	git_remote_create_options_init(&o, GIT_REMOTE_CREATE_OPTIONS_VERSION);
	o.repository = r;
	o.flags = GIT_REMOTE_CREATE_SKIP_INSTEADOF | GIT_REMOTE_CREATE_SKIP_DEFAULT_FETCHSPEC;
	assert_int_equal(git_remote_create_with_opts(&remote, path, &o), 0);
	git_push_options_init(&po, GIT_PUSH_OPTIONS_VERSION);
	assert_int_equal(git_remote_push(remote, &specs, &po), 0);
	assert_int_equal(git_repository_set_head(bare, "refs/heads/main"), 0);
	git_remote_free(remote);
	return bare;
}

static void test_commit_restore(void **state)
{
	git_repository *r = init_remote(), *bare = NULL;
	struct gitsrc *g;
	struct gitsrc_commit c;
	char one[41], two[41], sha[41], newsha[41], dry[41], bare_path[400], text[100];
	git_oid head;
	struct err e;

	write_file("app/x.yaml", "v: 1\n");
	write_file("app/old.yaml", "only in one\n");
	write_file("other/y.yaml", "y: 1\n");
	commit_all(r, "one", one);
	write_file("app/x.yaml", "v: 2\n");
	unlink(strcat(strcpy(bare_path, remote_path), "/app/old.yaml"));
	write_file("app/new.yaml", "only in two\n");
	write_file("other/y.yaml", "y: 2\n");
	commit_all(r, "two", two);
	snprintf(bare_path, sizeof(bare_path), "%s/bare.git", tmp);
	bare = push_to_bare(r, bare_path);
	g = open_src(bare_path);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), 0);
	assert_string_equal(sha, two);
	assert_int_equal(gitsrc_resolve(g, one, sha, NULL, &e), 0);
	/* dry run: a commit in the cache, nothing pushed */
	assert_int_equal(gitsrc_commit_restore(g, "main", two, one, "app", "restore", NULL, true, dry, &e), 0);
	assert_int_equal(git_reference_name_to_id(&head, bare, "refs/heads/main"), 0);
	assert_string_equal(git_oid_tostr_s(&head), two);
	setenv("GIT_COMMITTER_NAME", "Rollback Bot", 1);
	assert_int_equal(gitsrc_commit_restore(g, "main", two, one, "app/", "Roll back app", NULL, false,
					       newsha, &e),
			 0);
	unsetenv("GIT_COMMITTER_NAME");
	assert_int_equal(git_reference_name_to_id(&head, bare, "refs/heads/main"), 0);
	assert_string_equal(git_oid_tostr_s(&head), newsha);
	read_remote_file(bare, "main", "app/x.yaml", text, sizeof(text));
	assert_string_equal(text, "v: 1\n");
	read_remote_file(bare, "main", "app/old.yaml", text, sizeof(text));
	assert_string_equal(text, "only in one\n");
	read_remote_file(bare, "main", "app/new.yaml", text, sizeof(text));
	assert_string_equal(text, "(absent)");
	read_remote_file(bare, "main", "other/y.yaml", text, sizeof(text));
	assert_string_equal(text, "y: 2\n");
	assert_int_equal(gitsrc_commit(g, newsha, &c, &e), 0);
	assert_string_equal(c.parent, two);
	assert_string_equal(c.subject, "Roll back app");
	assert_non_null(strstr(c.author, "Rollback Bot <"));
	gitsrc_commit_dispose(&c);
	/* Restoring again on the stale parent must not overwrite the new head. */
	assert_int_equal(gitsrc_commit_restore(g, "main", two, one, "other", "again", NULL, false,
					       newsha, &e),
			 TE_CONFLICT);
	print_message("# %s\n", e.msg);
	assert_non_null(strstr(e.msg, "push main to "));
	err_clear(&e);
	assert_int_equal(gitsrc_commit_restore(g, "main", two, two, "app", "noop", NULL, true, newsha, &e),
			 TE_INPUT);
	gitsrc_free(g);
	git_repository_free(bare);
	git_repository_free(r);
}

/* Servers for the network tests, started with fixed argv (no shell). */
static pid_t spawn(char *const argv[])
{
	pid_t pid = fork();

	if (pid == 0) {
		int null = open("/dev/null", O_RDWR);
		/* Its own process group: `git daemon` runs git-daemon as a child. */
		setpgid(0, 0);
		dup2(null, 1);
		dup2(null, 2);
		execvp(argv[0], argv);
		_exit(127);
	}
	if (pid > 0)
		setpgid(pid, pid); /* also here, so stop() cannot race the child */
	return pid;
}

static bool port_open(int port)
{
	struct sockaddr_in a = {0};
	int fd = socket(AF_INET, SOCK_STREAM, 0), rc;

	a.sin_family = AF_INET;
	a.sin_port = htons((uint16_t)port);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	rc = connect(fd, (struct sockaddr *)&a, sizeof(a));
	close(fd);
	return rc == 0;
}

/* Polls until the server listens or exited; false on timeout or early exit. */
static bool wait_listening(pid_t pid, int port)
{
	struct timespec ts = {0, 20 * 1000 * 1000};

	for (int i = 0; i < 250; i++) {
		int status;
		if (port_open(port))
			return true;
		if (waitpid(pid, &status, WNOHANG) == pid)
			return false;
		nanosleep(&ts, NULL);
	}
	return false;
}

static void stop(pid_t pid)
{
	kill(-pid, SIGTERM);
	waitpid(pid, NULL, 0);
}

/* Starts argv (with its port argument filled from a random free port) and waits. */
static pid_t start_server(char **argv, int port_arg, const char *port_fmt, int *port)
{
	static char portbuf[64];

	srand((unsigned)getpid() ^ (unsigned)time(NULL));
	for (int attempt = 0; attempt < 10; attempt++) {
		pid_t pid;
		*port = 20000 + rand() % 40000;
		if (port_open(*port))
			continue;
		snprintf(portbuf, sizeof(portbuf), port_fmt, *port);
		argv[port_arg] = portbuf;
		if ((pid = spawn(argv)) < 0)
			return -1;
		if (wait_listening(pid, *port))
			return pid;
		stop(pid);
	}
	return -1;
}

/* git-http-backend behind HTTP basic auth (user git, password tok123). */
static const char http_server_py[] =
	"import base64,os,subprocess,sys\n"
	"from http.server import HTTPServer,BaseHTTPRequestHandler\n"
	"class H(BaseHTTPRequestHandler):\n"
	"  def go(self):\n"
	"    if self.headers.get('Authorization','')!='Basic '+base64.b64encode(b'git:tok123').decode():\n"
	"      self.send_response(401);self.send_header('WWW-Authenticate','Basic realm=\"x\"')\n"
	"      self.send_header('Content-Length','0');self.end_headers();return\n"
	"    p,_,q=self.path.partition('?')\n"
	"    env=dict(os.environ,GIT_PROJECT_ROOT=sys.argv[2],GIT_HTTP_EXPORT_ALL='1',PATH_INFO=p,\n"
	"      QUERY_STRING=q,REQUEST_METHOD=self.command,CONTENT_TYPE=self.headers.get('Content-Type',''),\n"
	"      REMOTE_USER='git',REMOTE_ADDR='127.0.0.1')\n"
	"    n=int(self.headers.get('Content-Length') or 0)\n"
	"    out=subprocess.run(['git','http-backend'],input=self.rfile.read(n),env=env,capture_output=True).stdout\n"
	"    h,_,body=out.partition(b'\\r\\n\\r\\n');st=200;hs=[]\n"
	"    for l in h.split(b'\\r\\n'):\n"
	"      k,_,v=l.decode().partition(': ')\n"
	"      if k.lower()=='status': st=int(v.split()[0])\n"
	"      elif k: hs.append((k,v))\n"
	"    self.send_response(st)\n"
	"    for k,v in hs: self.send_header(k,v)\n"
	"    self.send_header('Content-Length',str(len(body)));self.end_headers();self.wfile.write(body)\n"
	"  do_GET=go;do_POST=go\n"
	"  def log_message(self,*a): pass\n"
	"HTTPServer(('127.0.0.1',int(sys.argv[1])),H).serve_forever()\n";

static void test_git_daemon(void **state)
{
	git_repository *r = init_remote(), *bare = NULL;
	char one[41], two[41], sha[41], newsha[41], srv[300], bare_path[400], url[200], text[64];
	char *argv[] = {"git", "daemon", "--reuseaddr", "--listen=127.0.0.1", NULL, NULL,
			"--export-all", "--enable=receive-pack", NULL, NULL};
	struct gitsrc *g;
	bool fetched;
	git_oid head;
	struct err e;
	int port;
	pid_t pid;

	write_file("app/x.yaml", "v: 1\n");
	commit_all(r, "one", one);
	write_file("app/x.yaml", "v: 2\n");
	commit_all(r, "two", two);
	snprintf(srv, sizeof(srv), "%s/srv", tmp);
	snprintf(bare_path, sizeof(bare_path), "%s/srv/r.git", tmp);
	bare = push_to_bare(r, bare_path);
	snprintf(text, sizeof(text), "--base-path=%s", srv);
	argv[5] = text;
	argv[8] = srv;
	if ((pid = start_server(argv, 4, "--port=%d", &port)) < 0) {
		git_repository_free(bare);
		git_repository_free(r);
		skip();
	}
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/r.git", port);
	g = open_src(url);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, &fetched, &e), 0);
	assert_string_equal(sha, two);
	assert_true(fetched);
	assert_int_equal(gitsrc_resolve(g, NULL, sha, &fetched, &e), 0);
	assert_false(fetched);
	assert_int_equal(gitsrc_resolve(g, one, sha, &fetched, &e), 0);
	assert_int_equal(gitsrc_commit_restore(g, "main", two, one, "app", "Roll back", NULL, false, newsha,
					       &e),
			 0);
	assert_int_equal(git_reference_name_to_id(&head, bare, "refs/heads/main"), 0);
	assert_string_equal(git_oid_tostr_s(&head), newsha);
	gitsrc_free(g);
	snprintf(url, sizeof(url), "git://127.0.0.1:%d/absent.git", port);
	g = open_src(url);
	assert_int_equal(gitsrc_resolve(g, "main", sha, &fetched, &e), TE_UNREACHABLE);
	gitsrc_free(g);
	stop(pid);
	git_repository_free(bare);
	git_repository_free(r);
}

static void test_https_token(void **state)
{
	git_repository *r = init_remote(), *bare = NULL;
	char one[41], sha[41], srv[300], bare_path[400], url[200];
	char *argv[] = {"python3", "-c", (char *)http_server_py, NULL, srv, NULL};
	struct gitsrc_opts o = {0};
	struct gitsrc *g = NULL;
	struct err e;
	int port;
	pid_t pid;

	write_file("a.yaml", "v: 1\n");
	commit_all(r, "one", one);
	snprintf(srv, sizeof(srv), "%s/srv", tmp);
	snprintf(bare_path, sizeof(bare_path), "%s/srv/r.git", tmp);
	bare = push_to_bare(r, bare_path);
	if ((pid = start_server(argv, 3, "%d", &port)) < 0) {
		git_repository_free(bare);
		git_repository_free(r);
		skip();
	}
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/r.git", port);
	o.url = url;
	o.cache_dir = cache_path;
	o.token_env = "TETHER_TEST_TOKEN";
	unsetenv("TETHER_TEST_TOKEN");
	err_clear(&e);
	assert_int_equal(gitsrc_open(&g, &o, &e), 0);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), TE_UNREACHABLE);
	assert_non_null(strstr(e.msg, "authentication required"));
	setenv("TETHER_TEST_TOKEN", "wrong-secret", 1);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), TE_UNREACHABLE);
	assert_null(strstr(e.msg, "wrong-secret"));
	setenv("TETHER_TEST_TOKEN", "tok123", 1);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), 0);
	assert_string_equal(sha, one);
	unsetenv("TETHER_TEST_TOKEN");
	gitsrc_free(g);
	/* Credentials in the URL authenticate, as git uses them (percent-decoded)... */
	snprintf(url, sizeof(url), "http://g%%69t:tok%%3123@127.0.0.1:%d/r.git", port);
	g = open_src(url);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), 0);
	assert_string_equal(sha, one);
	gitsrc_free(g);
	/* ...a wrong one fails, named as such and never shown... */
	snprintf(url, sizeof(url), "http://git:wrong-secret@127.0.0.1:%d/r.git", port);
	g = open_src(url);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), TE_UNREACHABLE);
	assert_non_null(strstr(e.msg, "refused the credentials in the URL"));
	assert_null(strstr(e.msg, "wrong-secret"));
	gitsrc_free(g);
	/* ...and a repository the server says is not there is bad input, not an outage. */
	snprintf(url, sizeof(url), "http://git:tok123@127.0.0.1:%d/absent.git", port);
	g = open_src(url);
	err_clear(&e);
	assert_int_equal(gitsrc_resolve(g, "main", sha, NULL, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "repository not found"));
	assert_null(strstr(e.msg, "tok123"));
	gitsrc_free(g);
	stop(pid);
	git_repository_free(bare);
	git_repository_free(r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_resolve_and_fetch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tags_and_unknown_refs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_default_branch, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreachable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_tree_vfs, setup, teardown),
		cmocka_unit_test_setup_teardown(test_damaged_cache, setup, teardown),
		cmocka_unit_test_setup_teardown(test_log_and_revert, setup, teardown),
		cmocka_unit_test_setup_teardown(test_commit_restore, setup, teardown),
		cmocka_unit_test_setup_teardown(test_git_daemon, setup, teardown),
		cmocka_unit_test_setup_teardown(test_https_token, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
