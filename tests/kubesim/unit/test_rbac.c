/* The RBAC authorizer: request attributes (§2.1), the subject index, binding scope
 * (§2.3), the 403 text (§2.6) and the static-token chain (§1.1-§1.2). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>
#include <cmocka.h>

#include "auth.h"
#include "auth_int.h"

static struct auth_reqinfo parse(const char *m, const char *path, const char *w, const char *fs)
{
	struct auth_reqinfo ri;

	auth_reqinfo_parse(&ri, m, path, w, fs);
	return ri;
}

static void test_reqinfo(void **s)
{
	struct auth_reqinfo ri;

	(void)s;
	ri = parse("GET", "/api/v1/namespaces/ns/pods", NULL, NULL);
	assert_true(ri.resource_request);
	assert_string_equal(ri.verb, "list");
	assert_string_equal(ri.ns, "ns");
	assert_string_equal(ri.resource, "pods");
	ri = parse("GET", "/api/v1/namespaces/ns/pods", "true", NULL);
	assert_string_equal(ri.verb, "watch");
	ri = parse("GET", "/api/v1/watch/namespaces/ns/pods/p", NULL, NULL);
	assert_string_equal(ri.verb, "watch");
	assert_string_equal(ri.name, "p");
	ri = parse("GET", "/api/v1/namespaces/foo", NULL, NULL);
	assert_string_equal(ri.resource, "namespaces");
	assert_string_equal(ri.name, "foo");
	assert_string_equal(ri.ns, "foo");
	ri = parse("PUT", "/api/v1/namespaces/foo/finalize", NULL, NULL);
	assert_string_equal(ri.resource, "namespaces");
	assert_string_equal(ri.sub, "finalize");
	assert_string_equal(ri.verb, "update");
	ri = parse("PATCH", "/apis/apps/v1/namespaces/x/deployments/web/scale", NULL, NULL);
	assert_string_equal(ri.group, "apps");
	assert_string_equal(ri.sub, "scale");
	assert_string_equal(ri.verb, "patch");
	ri = parse("DELETE", "/api/v1/namespaces/x/configmaps", NULL, NULL);
	assert_string_equal(ri.verb, "deletecollection");
	ri = parse("GET", "/api/v1/namespaces/x/secrets", NULL, "metadata.name=s1");
	assert_string_equal(ri.verb, "list");
	assert_string_equal(ri.name, "s1");
	ri = parse("GET", "/apis/apps/v1", NULL, NULL);
	assert_false(ri.resource_request);
	assert_string_equal(ri.verb, "get");
	assert_string_equal(ri.path, "/apis/apps/v1");
	ri = parse("POST", "/api/v1", NULL, NULL);
	assert_false(ri.resource_request);
	assert_string_equal(ri.verb, "post");
}

static void test_forbidden_text(void **s)
{
	struct auth_user u = {.name = "alice"};
	struct kstatus e = {0};
	struct auth_reqinfo ri = parse("PATCH", "/apis/apps/v1/namespaces/prod/deployments/web",
				       NULL, NULL);

	(void)s;
	assert_int_equal(auth_forbidden(&e, &u, &ri, ""), -403);
	assert_string_equal(e.message, "deployments.apps \"web\" is forbidden: User \"alice\" cannot "
				       "patch resource \"deployments\" in API group \"apps\" in the "
				       "namespace \"prod\"");
	assert_string_equal(e.kind, "deployments");
	memset(&e, 0, sizeof(e));
	ri = parse("GET", "/api/v1/nodes", NULL, NULL);
	auth_forbidden(&e, &u, &ri, "RBAC: x");
	assert_string_equal(e.message, "nodes is forbidden: User \"alice\" cannot list resource "
				       "\"nodes\" in API group \"\" at the cluster scope: RBAC: x");
	memset(&e, 0, sizeof(e));
	ri = parse("GET", "/a<b>&c", NULL, NULL);
	auth_forbidden(&e, &u, &ri, "");
	assert_string_equal(e.message, "forbidden: User \"alice\" cannot get path \"/a&lt;b&gt;&amp;c\"");
}

static cJSON *binding(const char *kind, const char *ns, const char *name, const char *subjects)
{
	char buf[1024];

	snprintf(buf, sizeof(buf),
		 "{\"kind\":\"%s\",\"metadata\":{\"name\":\"%s\",\"namespace\":\"%s\"},"
		 "\"roleRef\":{\"kind\":\"ClusterRole\",\"name\":\"r\"},\"subjects\":%s}",
		 kind, name, ns, subjects);
	return cJSON_Parse(buf);
}

static void test_index(void **s)
{
	struct rbac_index *ix = rbac_index_new();
	struct auth_user u = {.name = "system:serviceaccount:ci:bot"};
	cJSON *rb = binding("RoleBinding", "ci", "rb",
			    "[{\"kind\":\"ServiceAccount\",\"name\":\"bot\"}]");
	cJSON *crb = binding("ClusterRoleBinding", "", "crb",
			     "[{\"kind\":\"ServiceAccount\",\"name\":\"bot\"},"
			     "{\"kind\":\"Group\",\"name\":\"dev\"}]");
	cJSON *rb2 = binding("RoleBinding", "ci", "rb",
			     "[{\"kind\":\"User\",\"name\":\"someone\"}]");
	struct rbac_bref *b = NULL;

	(void)s;
	rbac_index_update(ix, false, NULL, rb);
	rbac_index_update(ix, true, NULL, crb);
	/* a RoleBinding's SA subject without namespace means the binding's namespace */
	assert_int_equal(rbac_index_lookup(ix, &u, "ci", &b), 1);
	assert_false(b[0].cluster);
	assert_string_equal(b[0].subject, "ServiceAccount \"bot/ci\"");
	free(b);
	/* ... and RoleBindings never apply at the cluster scope or in other namespaces */
	assert_int_equal(rbac_index_lookup(ix, &u, "", &b), 0);
	free(b);
	assert_int_equal(rbac_index_lookup(ix, &u, "other", &b), 0);
	free(b);
	/* a ClusterRoleBinding's SA subject without namespace matches nobody; groups do */
	auth_user_add_group(&u, "dev");
	assert_int_equal(rbac_index_lookup(ix, &u, "ci", &b), 2);
	assert_true(b[0].cluster); /* ClusterRoleBindings first */
	assert_string_equal(b[0].subject, "Group \"dev\"");
	free(b);
	/* an update replaces the old subjects */
	rbac_index_update(ix, false, rb, rb2);
	assert_int_equal(rbac_index_lookup(ix, &u, "ci", &b), 1);
	free(b);
	rbac_index_update(ix, true, crb, NULL);
	assert_int_equal(rbac_index_lookup(ix, &u, "ci", &b), 0);
	free(b);
	cJSON_Delete(rb);
	cJSON_Delete(rb2);
	cJSON_Delete(crb);
	rbac_index_free(ix);
}

static void test_token_chain(void **s)
{
	char path[] = "/tmp/kubesim-users-XXXXXX", err[256];
	struct auth_opts o = {.anonymous = true, .admin_token = "adm"};
	struct auth_creds c = {0};
	struct auth_user u;
	struct kstatus e = {0};
	struct auth *a;
	int fd = mkstemp(path);

	(void)s;
	assert_true(fd >= 0);
	assert_true(write(fd, "s3cr3t,alice,1001,\"dev,ops\"\n,skipped,1\n", 39) == 39);
	close(fd);
	o.users_file = path;
	a = auth_new(NULL, &o, err, sizeof(err));
	assert_non_null(a);
	c.authorization = "Bearer s3cr3t";
	assert_int_equal(auth_authenticate(a, &c, &u, &e), 0);
	assert_string_equal(u.name, "alice");
	assert_string_equal(u.uid, "1001");
	assert_int_equal(u.ngroups, 3);
	assert_string_equal(u.groups[2], "system:authenticated");
	c.authorization = "bearer adm";
	assert_int_equal(auth_authenticate(a, &c, &u, &e), 0);
	assert_true(auth_user_in_group(&u, "system:masters"));
	c.authorization = "Bearer nope"; /* a bad token is never anonymous */
	assert_int_equal(auth_authenticate(a, &c, &u, &e), -401);
	assert_string_equal(e.message, "Unauthorized");
	c.authorization = NULL;
	memset(&e, 0, sizeof(e));
	assert_int_equal(auth_authenticate(a, &c, &u, &e), 0);
	assert_string_equal(u.name, "system:anonymous");
	assert_int_equal(u.ngroups, 1);
	assert_string_equal(u.groups[0], "system:unauthenticated");
	auth_free(a);
	/* fewer than 3 columns is a start-up error */
	fd = open(path, O_WRONLY | O_TRUNC);
	assert_true(write(fd, "tok,user\n", 9) == 9);
	close(fd);
	assert_null(auth_new(NULL, &o, err, sizeof(err)));
	assert_non_null(strstr(err, "must have at least 3 columns"));
	unlink(path);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reqinfo),
		cmocka_unit_test(test_forbidden_text),
		cmocka_unit_test(test_index),
		cmocka_unit_test(test_token_chain),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
