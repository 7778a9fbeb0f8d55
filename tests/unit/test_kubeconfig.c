/*
 * Unit tests for kubeconfig loading: kubectl's precedence (explicit path, KUBECONFIG
 * list merged first-wins, ~/.kube/config, in-cluster), contexts and namespaces,
 * relative paths, base64 data, exec plugins, and errors that name the file.
 */
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

#include "kube_int.h"

static char dir[256];

static void write_file(const char *name, const char *text)
{
	char path[512];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static char *path_of(const char *name)
{
	static char paths[8][512];
	static int i;
	char *p = paths[i++ % 8];

	snprintf(p, 512, "%s/%s", dir, name);
	return p;
}

static int setup(void **state)
{
	char *home;

	snprintf(dir, sizeof(dir), "/tmp/test_kubeconfig.XXXXXX");
	assert_non_null(mkdtemp(dir));
	mkdir(path_of("home"), 0700);
	mkdir(path_of("sub"), 0700);
	home = path_of("home");
	setenv("HOME", home, 1);
	unsetenv("KUBECONFIG");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("TETHER_SA_DIR");
	unsetenv("POD_NAMESPACE");
	return 0;
}

static int teardown(void **state)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

/* "hello" in base64 */
#define B64_HELLO "aGVsbG8="

static const char *simple =
	"apiVersion: v1\n"
	"kind: Config\n"
	"current-context: dev\n"
	"clusters:\n"
	"- name: c1\n"
	"  cluster:\n"
	"    server: https://127.0.0.1:6443/\n"
	"    certificate-authority-data: " B64_HELLO "\n"
	"    tls-server-name: api.example\n"
	"contexts:\n"
	"- name: dev\n"
	"  context: {cluster: c1, user: u1, namespace: team-a}\n"
	"- name: other\n"
	"  context: {cluster: c1, user: u2}\n"
	"users:\n"
	"- name: u1\n"
	"  user:\n"
	"    token: secret-token-1\n"
	"- name: u2\n"
	"  user:\n"
	"    client-certificate: certs/client.crt\n"
	"    client-key-data: " B64_HELLO "\n";

static void test_explicit_path(void **state)
{
	struct kube_config *c = NULL;
	struct err e;

	err_clear(&e);
	write_file("simple.yaml", simple);
	assert_int_equal(kube_config_load(&c, path_of("simple.yaml"), NULL, &e), 0);
	assert_string_equal(c->server, "https://127.0.0.1:6443");
	assert_string_equal(c->context, "dev");
	assert_string_equal(c->namespace, "team-a");
	assert_string_equal(c->ca_data, "hello");
	assert_null(c->ca_file);
	assert_string_equal(c->tls_server_name, "api.example");
	assert_string_equal(c->token, "secret-token-1");
	assert_false(c->insecure);
	assert_false(c->disable_compression);
	kube_config_free(c);
}

static void test_context_flag_and_default_namespace(void **state)
{
	struct kube_config *c = NULL;
	struct err e;
	char want[600];

	err_clear(&e);
	write_file("simple.yaml", simple);
	assert_int_equal(kube_config_load(&c, path_of("simple.yaml"), "other", &e), 0);
	assert_string_equal(c->context, "other");
	assert_string_equal(c->namespace, "default");
	assert_null(c->token);
	snprintf(want, sizeof(want), "%s/certs/client.crt", dir);
	assert_string_equal(c->cert_file, want);
	assert_string_equal(c->key_data, "hello");
	kube_config_free(c);
}

static void test_kubeconfig_list_first_wins(void **state)
{
	struct kube_config *c = NULL;
	struct err e;
	char list[2048], want[600];

	err_clear(&e);
	/* a: current-context and cluster c1; b: the context, a second c1 (ignored), the user */
	write_file("sub/a.yaml", "current-context: dev\n"
				 "clusters:\n"
				 "- name: c1\n"
				 "  cluster: {server: 'https://from-a:6443', certificate-authority: ca.pem}\n");
	write_file("b.yaml", "current-context: prod\n"
			     "clusters:\n"
			     "- name: c1\n"
			     "  cluster: {server: 'https://from-b:6443'}\n"
			     "contexts:\n"
			     "- name: dev\n"
			     "  context: {cluster: c1, user: u, namespace: ns-b}\n"
			     "users:\n"
			     "- name: u\n"
			     "  user: {tokenFile: tok.txt}\n");
	snprintf(list, sizeof(list), "%s:%s:%s", path_of("missing.yaml"), path_of("sub/a.yaml"),
		 path_of("b.yaml"));
	setenv("KUBECONFIG", list, 1);
	assert_int_equal(kube_config_load(&c, NULL, NULL, &e), 0);
	assert_string_equal(c->server, "https://from-a:6443");
	assert_string_equal(c->context, "dev");
	assert_string_equal(c->namespace, "ns-b");
	snprintf(want, sizeof(want), "%s/sub/ca.pem", dir);
	assert_string_equal(c->ca_file, want); /* relative to a.yaml, which defined it */
	snprintf(want, sizeof(want), "%s/tok.txt", dir);
	assert_string_equal(c->token_file, want); /* relative to b.yaml */
	kube_config_free(c);

	/* the explicit path beats KUBECONFIG */
	write_file("simple.yaml", simple);
	assert_int_equal(kube_config_load(&c, path_of("simple.yaml"), NULL, &e), 0);
	assert_string_equal(c->server, "https://127.0.0.1:6443");
	kube_config_free(c);
	unsetenv("KUBECONFIG");
}

static void test_home_default(void **state)
{
	struct kube_config *c = NULL;
	struct err e;

	err_clear(&e);
	mkdir(path_of("home/.kube"), 0700);
	write_file("home/.kube/config", simple);
	assert_int_equal(kube_config_load(&c, NULL, NULL, &e), 0);
	assert_string_equal(c->context, "dev");
	kube_config_free(c);
	unlink(path_of("home/.kube/config"));

	/* nothing at all, not in a cluster */
	err_clear(&e);
	assert_int_equal(kube_config_load(&c, NULL, NULL, &e), TE_INPUT);
	assert_null(c);
	assert_non_null(strstr(e.msg, "no kubeconfig"));
}

static void test_in_cluster(void **state)
{
	struct kube_config *c = NULL;
	struct err e;
	char want[600];

	err_clear(&e);
	mkdir(path_of("sa"), 0700);
	write_file("sa/token", "sa-token\n");
	write_file("sa/ca.crt", "PEM");
	write_file("sa/namespace", "agents\n");
	setenv("TETHER_SA_DIR", path_of("sa"), 1);
	setenv("KUBERNETES_SERVICE_HOST", "10.0.0.1", 1);
	setenv("KUBERNETES_SERVICE_PORT", "443", 1);
	assert_int_equal(kube_config_load(&c, NULL, NULL, &e), 0);
	assert_string_equal(c->server, "https://10.0.0.1:443");
	assert_string_equal(c->namespace, "agents");
	assert_null(c->context);
	snprintf(want, sizeof(want), "%s/sa/token", dir);
	assert_string_equal(c->token_file, want);
	snprintf(want, sizeof(want), "%s/sa/ca.crt", dir);
	assert_string_equal(c->ca_file, want);
	kube_config_free(c);

	setenv("KUBERNETES_SERVICE_HOST", "fd00::1", 1);
	setenv("POD_NAMESPACE", "from-env", 1);
	assert_int_equal(kube_config_load(&c, NULL, NULL, &e), 0);
	assert_string_equal(c->server, "https://[fd00::1]:443");
	assert_string_equal(c->namespace, "from-env");
	kube_config_free(c);

	/* no token: an error naming the file */
	unlink(path_of("sa/token"));
	err_clear(&e);
	assert_int_equal(kube_config_load(&c, NULL, NULL, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "sa/token"));
	unsetenv("TETHER_SA_DIR");
	unsetenv("KUBERNETES_SERVICE_HOST");
	unsetenv("KUBERNETES_SERVICE_PORT");
	unsetenv("POD_NAMESPACE");
}

/* Loads text as a kubeconfig and expects an error containing every needle. */
static void expect_error(const char *text, const char *context, const char *n1, const char *n2)
{
	struct kube_config *c = NULL;
	struct err e;

	err_clear(&e);
	write_file("bad.yaml", text);
	assert_true(kube_config_load(&c, path_of("bad.yaml"), context, &e) < 0);
	assert_null(c);
	if (!strstr(e.msg, path_of("bad.yaml")) || !strstr(e.msg, n1) || (n2 && !strstr(e.msg, n2)))
		fail_msg("error \"%s\" lacks the file, \"%s\" or \"%s\"", e.msg, n1, n2 ? n2 : "");
	assert_null(strstr(e.msg, "secret"));
}

static void test_errors_name_file(void **state)
{
	expect_error("clusters: [\n  bad", NULL, "bad.yaml:3:1: ", "did not find expected");
	expect_error(simple, "nope", "context \"nope\" not found", NULL);
	expect_error("current-context: x\ncontexts:\n- name: x\n  context: {cluster: gone}\n", NULL,
		     "cluster \"gone\"", NULL);
	expect_error("current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
		     "users:\n- name: u\n  user: {client-key-data: 'secret!!'}\n",
		     NULL, "users[u].user.client-key-data", "invalid base64");
	expect_error("current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
		     "clusters:\n- name: c\n  cluster: {certificate-authority: ca}\n",
		     NULL, "clusters[c].cluster.server", NULL);
	expect_error("current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
		     "clusters:\n- name: c\n  cluster: {server: 'https://h', certificate-authority-data: "
		     B64_HELLO ", insecure-skip-tls-verify: true}\n",
		     NULL, "insecure-skip-tls-verify", NULL);
	expect_error("contexts: []\n", NULL, "current-context", NULL);
	expect_error("current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		     "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
		     "users:\n- name: u\n  user:\n    exec: {command: x, apiVersion: "
		     "client.authentication.k8s.io/v1alpha1}\n",
		     NULL, "users[u].user.exec.apiVersion", NULL);

	/* a missing explicit file names it */
	{
		struct kube_config *c = NULL;
		struct err e;

		err_clear(&e);
		assert_int_equal(kube_config_load(&c, path_of("absent.yaml"), NULL, &e), TE_INPUT);
		assert_non_null(strstr(e.msg, "absent.yaml"));
	}
}

static void test_insecure(void **state)
{
	struct kube_config *c = NULL;
	struct err e;

	err_clear(&e);
	write_file("insecure.yaml", "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c}\n"
				    "clusters:\n- name: c\n  cluster:\n    server: https://h\n"
				    "    insecure-skip-tls-verify: true\n"
				    "    disable-compression: true\n");
	assert_int_equal(kube_config_load(&c, path_of("insecure.yaml"), NULL, &e), 0);
	assert_true(c->insecure);
	assert_true(c->disable_compression);
	assert_null(c->token);
	kube_config_free(c);

	/* a token YAML reads as a number is still the token kubectl would send; an empty
	 * file in the list counts for nothing */
	write_file("empty.yaml", "");
	write_file("num.yaml", "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
			       "clusters:\n- name: c\n  cluster: {server: 'https://h'}\n"
			       "users:\n- name: u\n  user: {token: 0012345}\n");
	{
		char list[1200];

		snprintf(list, sizeof(list), "%s:%s", path_of("empty.yaml"), path_of("num.yaml"));
		setenv("KUBECONFIG", list, 1);
	}
	assert_int_equal(kube_config_load(&c, NULL, NULL, &e), 0);
	assert_non_null(c->token);
	assert_string_equal(c->server, "https://h");
	kube_config_free(c);
	unsetenv("KUBECONFIG");
}

static const char *plugin =
	"#!/bin/sh\n"
	"# prints an ExecCredential whose token shows what the plugin received\n"
	"case \"$KUBERNETES_EXEC_INFO\" in *'\"interactive\":false'*) i=ni ;; *) i=bad ;; esac\n"
	"case \"$KUBERNETES_EXEC_INFO\" in *'\"server\":\"https://h:6443\"'*) s=srv ;; *) s=nosrv ;; esac\n"
	"if [ -t 0 ]; then i=tty; fi\n"
	"if [ \"$MODE\" = fail ]; then echo 'secret-output'; exit 3; fi\n"
	"if [ \"$MODE\" = cert ]; then\n"
	"  printf '{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"status\":{\"clientCertificateData\":\"CERT\",\"clientKeyData\":\"KEY\"}}' \"$API\"\n"
	"  exit 0\n"
	"fi\n"
	"printf '{\"apiVersion\":\"%s\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"tok-%s-%s-%s-%s\",\"expirationTimestamp\":\"2099-01-01T00:00:00Z\"}}' \"$API\" \"$1\" \"$FOO\" \"$i\" \"$s\"\n";

static struct kube_config *exec_config(const char *api, const char *mode)
{
	struct kube_config *c = NULL;
	struct err e;
	char text[2048];

	err_clear(&e);
	write_file("sub/plugin.sh", plugin);
	chmod(path_of("sub/plugin.sh"), 0755);
	snprintf(text, sizeof(text),
		 "current-context: x\ncontexts:\n- name: x\n  context: {cluster: c, user: u}\n"
		 "clusters:\n- name: c\n  cluster: {server: 'https://h:6443'}\n"
		 "users:\n- name: u\n  user:\n    exec:\n      apiVersion: %s\n"
		 "      command: ./plugin.sh\n      args: [arg1]\n      provideClusterInfo: true\n"
		 "      env:\n      - {name: FOO, value: bar}\n      - {name: API, value: %s}\n"
		 "      - {name: MODE, value: %s}\n",
		 api, api, mode);
	write_file("sub/exec.yaml", text);
	assert_int_equal(kube_config_load(&c, path_of("sub/exec.yaml"), NULL, &e), 0);
	return c;
}

static void test_exec_plugin(void **state)
{
	const char *apis[] = {"client.authentication.k8s.io/v1", "client.authentication.k8s.io/v1beta1"};

	for (int i = 0; i < 2; i++) {
		struct kube_config *c = exec_config(apis[i], "token");
		struct kube_cred cred;
		struct err e;
		char want[600];

		err_clear(&e);
		snprintf(want, sizeof(want), "%s/sub/plugin.sh", dir);
		assert_string_equal(c->exec->command, want);
		assert_string_equal(c->exec->api_version, apis[i]);
		assert_int_equal(kube_exec_run(c, &cred, &e), 0);
		assert_string_equal(cred.token, "tok-arg1-bar-ni-srv");
		assert_true(cred.expires_ms > now_ms() + 1000LL * 3600 * 24 * 365);
		kube_cred_dispose(&cred);
		kube_config_free(c);
	}
}

static void test_exec_plugin_cert_and_failure(void **state)
{
	struct kube_config *c = exec_config("client.authentication.k8s.io/v1", "cert");
	struct kube_cred cred;
	struct err e;

	err_clear(&e);
	assert_int_equal(kube_exec_run(c, &cred, &e), 0);
	assert_null(cred.token);
	assert_string_equal(cred.cert, "CERT");
	assert_string_equal(cred.key, "KEY");
	kube_cred_dispose(&cred);
	kube_config_free(c);

	c = exec_config("client.authentication.k8s.io/v1", "fail");
	err_clear(&e);
	assert_true(kube_exec_run(c, &cred, &e) < 0);
	assert_non_null(strstr(e.msg, "exited with status 3"));
	assert_null(strstr(e.msg, "secret"));
	kube_config_free(c);

	/* the plugin answers for another apiVersion */
	c = exec_config("client.authentication.k8s.io/v1", "token");
	free(c->exec->api_version);
	c->exec->api_version = strdup("client.authentication.k8s.io/v1beta1");
	err_clear(&e);
	assert_int_equal(kube_exec_run(c, &cred, &e), TE_INPUT);
	assert_non_null(strstr(e.msg, "ExecCredential"));
	kube_config_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_explicit_path, setup, teardown),
		cmocka_unit_test_setup_teardown(test_context_flag_and_default_namespace, setup, teardown),
		cmocka_unit_test_setup_teardown(test_kubeconfig_list_first_wins, setup, teardown),
		cmocka_unit_test_setup_teardown(test_home_default, setup, teardown),
		cmocka_unit_test_setup_teardown(test_in_cluster, setup, teardown),
		cmocka_unit_test_setup_teardown(test_errors_name_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_insecure, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_plugin, setup, teardown),
		cmocka_unit_test_setup_teardown(test_exec_plugin_cert_and_failure, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
