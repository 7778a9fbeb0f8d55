/* Unit tests for the vfs over a local directory and for manifest_render: path joining,
 * symlinks inside and outside the root, walk order, skipped files, duplicates. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "manifest.h"
#include "render.h"
#include "vfs.h"

static char root[256];

static void put(const char *rel, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	for (char *p = path + strlen(root) + 1; (p = strchr(p, '/')) != NULL; p++) {
		*p = '\0';
		mkdir(path, 0755);
		*p = '/';
	}
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void link_to(const char *target, const char *rel)
{
	char path[512];

	snprintf(path, sizeof(path), "%s/%s", root, rel);
	assert_int_equal(symlink(target, path), 0);
}

static int setup(void **state)
{
	snprintf(root, sizeof(root), "/tmp/tether-vfs-XXXXXX");
	if (!mkdtemp(root))
		return -1;
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	/* root comes from mkdtemp: a fixed prefix and six safe characters. */
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
	return system(cmd) == 0 ? 0 : -1;
}

static struct vfs *open_root(void)
{
	struct vfs *v = NULL;
	struct err e;

	err_clear(&e);
	assert_int_equal(vfs_open_dir(&v, root, &e), 0);
	return v;
}

static void test_join(void **state)
{
	struct err e;
	char *p;

	err_clear(&e);
	assert_int_equal(vfs_join(&p, "a/b", "../c", &e), 0);
	assert_string_equal(p, "a/c");
	free(p);
	assert_int_equal(vfs_join(&p, "", "./x//y/.", &e), 0);
	assert_string_equal(p, "x/y");
	free(p);
	assert_int_equal(vfs_join(&p, "a", "..", &e), 0);
	assert_string_equal(p, "");
	free(p);
	assert_int_equal(vfs_join(&p, "a", "../../x", &e), TE_INPUT);
	assert_string_equal(e.msg, "../../x: path leaves the repository");
	assert_null(p);
	err_clear(&e);
	assert_int_equal(vfs_join(&p, "a", "/etc/passwd", &e), TE_INPUT);
	assert_string_equal(e.msg, "/etc/passwd: absolute paths are not allowed");
}

static void test_dir_read_list(void **state)
{
	struct vfs *v = open_root();
	struct strlist names;
	struct buf b;
	struct err e;
	enum vfs_type t;

	put("b.yaml", "b");
	put("a.yaml", "hello");
	put("sub/c.yaml", "c");
	err_clear(&e);
	strlist_init(&names);
	assert_int_equal(vfs_list(v, "", &names, &e), 0);
	assert_int_equal(names.n, 3);
	assert_string_equal(names.items[0], "a.yaml");
	assert_string_equal(names.items[1], "b.yaml");
	assert_string_equal(names.items[2], "sub");
	strlist_dispose(&names);
	buf_init(&b, 0);
	assert_int_equal(vfs_read(v, "a.yaml", 100, &b, &e), 0);
	assert_string_equal(b.data, "hello");
	buf_reset(&b);
	assert_int_equal(vfs_read(v, "a.yaml", 4, &b, &e), TE_INPUT);
	assert_string_equal(e.msg, "a.yaml: larger than 4 bytes");
	err_clear(&e);
	assert_int_equal(vfs_read(v, "nope.yaml", 4, &b, &e), TE_NOTFOUND);
	assert_string_equal(e.msg, "nope.yaml: no such file");
	err_clear(&e);
	assert_int_equal(vfs_read(v, "sub", 4, &b, &e), TE_INPUT);
	err_clear(&e);
	assert_int_equal(vfs_stat(v, "sub/c.yaml", &t, &e), 0);
	assert_int_equal(t, VFS_FILE);
	assert_int_equal(vfs_stat(v, "a.yaml/x", &t, &e), 0);
	assert_int_equal(t, VFS_NONE);
	buf_dispose(&b);
	vfs_free(v);
	vfs_free(NULL);
}

static void test_symlinks(void **state)
{
	struct vfs *v;
	struct err e;
	enum vfs_type t;
	char *r;
	struct buf b;

	put("sub/real.yaml", "real");
	link_to("sub/real.yaml", "link.yaml");
	link_to("sub", "d");
	link_to("../real.yaml", "sub/up.yaml");
	link_to("../outside-secret", "out.yaml");
	link_to("/etc/passwd", "abs.yaml");
	link_to("l2", "l1");
	link_to("l1", "l2");
	link_to("missing", "dangling");
	v = open_root();
	err_clear(&e);
	assert_int_equal(vfs_resolve(v, "link.yaml", &r, &t, &e), 0);
	assert_string_equal(r, "sub/real.yaml");
	assert_int_equal(t, VFS_FILE);
	free(r);
	assert_int_equal(vfs_resolve(v, "d/up.yaml", &r, &t, &e), 0);
	assert_string_equal(r, "real.yaml");
	assert_int_equal(t, VFS_NONE); /* sub/up.yaml points at ./real.yaml, which is absent */
	free(r);
	assert_int_equal(vfs_lstat(v, "d/up.yaml", &t, &e), 0);
	assert_int_equal(t, VFS_LINK);
	buf_init(&b, 0);
	assert_int_equal(vfs_read(v, "d/real.yaml", 100, &b, &e), 0);
	assert_string_equal(b.data, "real");
	buf_dispose(&b);
	assert_int_equal(vfs_resolve(v, "out.yaml", &r, &t, &e), TE_INPUT);
	assert_string_equal(e.msg, "out.yaml: symlink leaves the repository");
	err_clear(&e);
	assert_int_equal(vfs_stat(v, "abs.yaml", &t, &e), TE_INPUT);
	assert_string_equal(e.msg, "abs.yaml: symlink leaves the repository");
	err_clear(&e);
	assert_int_equal(vfs_stat(v, "l1", &t, &e), TE_INPUT);
	assert_string_equal(e.msg, "l1: too many levels of symbolic links");
	err_clear(&e);
	assert_int_equal(vfs_stat(v, "dangling", &t, &e), 0);
	assert_int_equal(t, VFS_NONE);
	vfs_free(v);
}

static const char *cm(const char *name)
{
	static char text[256];

	snprintf(text, sizeof(text), "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: %s\n", name);
	return text;
}

static void test_render_walk(void **state)
{
	struct object_set s;
	struct vfs *v;
	struct err e;

	put("app/z.json", "{\"apiVersion\": \"v1\", \"kind\": \"ConfigMap\", \"metadata\": {\"name\": \"z\"}}");
	put("app/a.yaml", cm("a"));
	put("app/b/c.yml", cm("c"));
	put("app/b/.hidden/x.yaml", "not: [valid");
	put("app/.github/workflow.yaml", "on: push\n");
	put("app/.pre-commit-config.yaml", "repos: []\n");
	put("app/notes.txt", "not yaml: [");
	put("app/README.md", "# readme");
	link_to("b/c.yml", "app/c-link.yaml");
	v = open_root();
	err_clear(&e);
	object_set_init(&s);
	assert_int_equal(manifest_render(v, "app/c-link.yaml", &s, &e), 0);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.items[0].file, "app/c-link.yaml");
	object_set_dispose(&s);
	/* The link is a second path to c.yml: rendering the directory would see c twice. */
	{
		char p[512];
		snprintf(p, sizeof(p), "%s/app/c-link.yaml", root);
		assert_int_equal(unlink(p), 0);
	}
	assert_int_equal(manifest_render(v, "./app/", &s, &e), 0);
	assert_int_equal(s.n, 3);
	assert_string_equal(s.items[0].file, "app/a.yaml");
	assert_string_equal(s.items[1].file, "app/b/c.yml");
	assert_string_equal(s.items[2].file, "app/z.json");
	assert_string_equal(s.items[2].name, "z");
	object_set_dispose(&s);
	assert_int_equal(manifest_render(v, "nope", &s, &e), TE_INPUT);
	assert_string_equal(e.msg, "nope: no such file or directory");
	vfs_free(v);
}

static void test_render_errors(void **state)
{
	struct object_set s;
	struct vfs *v;
	struct err e;

	put("dup/one.yaml", cm("x"));
	put("dup/sub/two.yaml", "# two\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n");
	put("bad/ok.yaml", cm("ok"));
	put("bad/sub/broken.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: [x\n");
	put("esc/a.yaml", cm("a"));
	link_to("../../../etc/passwd", "esc/passwd.yaml");
	put("cyc/a.yaml", cm("a"));
	link_to("..", "cyc/loop");
	v = open_root();
	object_set_init(&s);
	err_clear(&e);
	assert_int_equal(manifest_render(v, "dup", &s, &e), TE_INPUT);
	assert_string_equal(e.msg,
			    "configmap/x defined twice: dup/one.yaml:1:1 and dup/sub/two.yaml:3:1");
	object_set_dispose(&s);
	err_clear(&e);
	assert_int_equal(manifest_render(v, "bad", &s, &e), TE_INPUT);
	assert_string_equal(e.msg, "bad/sub/broken.yaml:5:1: did not find expected ',' or ']' "
				   "(while parsing a flow sequence at line 4)");
	object_set_dispose(&s);
	err_clear(&e);
	assert_int_equal(manifest_render(v, "esc", &s, &e), TE_INPUT);
	assert_string_equal(e.msg, "esc/passwd.yaml: symlink leaves the repository");
	object_set_dispose(&s);
	err_clear(&e);
	assert_int_equal(manifest_render(v, "cyc", &s, &e), TE_INPUT);
	assert_string_equal(e.msg, "cyc/loop: symlink cycle");
	object_set_dispose(&s);
	vfs_free(v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_join),
		cmocka_unit_test_setup_teardown(test_dir_read_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_symlinks, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_walk, setup, teardown),
		cmocka_unit_test_setup_teardown(test_render_errors, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
