/*
 * auth: credentials that change while the client runs. A token file is re-read when
 * it changes (service account tokens rotate); an exec credential plugin is run with
 * execve-style argv (never a shell), stdin on /dev/null, and its answer is cached
 * until its expirationTimestamp or until the server answers 401. The plugin's output
 * holds secrets: it never reaches an error message or a log line.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base64.h"
#include "jsonget.h"
#include "kube_int.h"

extern char **environ;

#define EXEC_MAX_OUTPUT ((size_t)1 << 20)
#define EXEC_TIMEOUT_MS 60000
#define TOKEN_RECHECK_MS 60000
#define EXPIRY_MARGIN_MS 10000

void kube_cred_dispose(struct kube_cred *c)
{
	if (!c)
		return;
	free(c->token);
	free(c->cert);
	free(c->key);
	c->token = c->cert = c->key = NULL;
}

/* spec.cluster of the ExecCredential input; false when memory runs out. */
static bool add_cluster_info(cJSON *spec, const struct kube_config *cfg)
{
	cJSON *cl = cJSON_AddObjectToObject(spec, "cluster");
	bool ok = cl && cJSON_AddStringToObject(cl, "server", cfg->server);

	if (ok && cfg->tls_server_name)
		ok = cJSON_AddStringToObject(cl, "tls-server-name", cfg->tls_server_name);
	if (ok && cfg->insecure)
		ok = cJSON_AddBoolToObject(cl, "insecure-skip-tls-verify", true);
	if (ok && cfg->ca_data) {
		struct buf b;

		buf_init(&b, 0);
		ok = base64_encode(cfg->ca_data, strlen(cfg->ca_data), &b) == 0 &&
		     cJSON_AddStringToObject(cl, "certificate-authority-data", b.data);
		buf_dispose(&b);
	}
	if (ok && cfg->proxy_url)
		ok = cJSON_AddStringToObject(cl, "proxy-url", cfg->proxy_url);
	return ok;
}

/* KUBERNETES_EXEC_INFO, whole or NULL (out of memory). */
static char *exec_info(const struct kube_config *cfg)
{
	cJSON *root = cJSON_CreateObject(), *spec;
	char *s = NULL;

	if (!root)
		return NULL;
	if (cJSON_AddStringToObject(root, "apiVersion", cfg->exec->api_version) &&
	    cJSON_AddStringToObject(root, "kind", "ExecCredential") &&
	    (spec = cJSON_AddObjectToObject(root, "spec")) &&
	    cJSON_AddBoolToObject(spec, "interactive", false) &&
	    (!cfg->exec->provide_cluster_info || add_cluster_info(spec, cfg)))
		s = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
	return s;
}

static bool env_overridden(const char *entry, const struct strlist *env)
{
	size_t n = strcspn(entry, "=");

	if (n == strlen("KUBERNETES_EXEC_INFO") && !strncmp(entry, "KUBERNETES_EXEC_INFO", n))
		return true;
	for (size_t i = 0; i < env->n; i++)
		if (!strncmp(entry, env->items[i], n) && env->items[i][n] == '=')
			return true;
	return false;
}

/* The plugin's environment: ours, then the kubeconfig's env entries, then the info. */
static int exec_env(const struct kube_config *cfg, struct strlist *out)
{
	char *info = exec_info(cfg);

	strlist_init(out);
	if (!info)
		return TE_NOMEM;
	for (char **p = environ; *p; p++)
		if (!env_overridden(*p, &cfg->exec->env) && strlist_add(out, *p) < 0)
			goto nomem;
	for (size_t i = 0; i < cfg->exec->env.n; i++)
		if (strlist_add(out, cfg->exec->env.items[i]) < 0)
			goto nomem;
	if (strlist_add_owned(out, xasprintf("KUBERNETES_EXEC_INFO=%s", info)) < 0)
		goto nomem;
	free(info);
	/* NULL-terminate for execve */
	if (strlist_add(out, "") < 0)
		return TE_NOMEM;
	free(out->items[--out->n]);
	out->items[out->n] = NULL;
	return 0;
nomem:
	free(info);
	return TE_NOMEM;
}

static int exec_argv(const struct kube_exec *x, struct strlist *out)
{
	strlist_init(out);
	if (strlist_add(out, x->command) < 0)
		return TE_NOMEM;
	for (size_t i = 0; i < x->args.n; i++)
		if (strlist_add(out, x->args.items[i]) < 0)
			return TE_NOMEM;
	if (strlist_add(out, "") < 0)
		return TE_NOMEM;
	free(out->items[--out->n]);
	out->items[out->n] = NULL;
	return 0;
}

static void exec_child(int out_fd, char **argv, char **envp)
{
	int null = open("/dev/null", O_RDONLY);

	if (null >= 0)
		dup2(null, 0);
	dup2(out_fd, 1);
	execvpe(argv[0], argv, envp);
	_exit(127);
}

/* Reads the child's stdout until EOF, the cap or the deadline. */
static int exec_collect(int fd, pid_t pid, struct buf *b, const char *cmd, struct err *e)
{
	int64_t deadline = now_ms() + EXEC_TIMEOUT_MS;
	char tmp[4096];

	for (;;) {
		struct pollfd p = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - now_ms();
		ssize_t n;

		if (left <= 0) {
			kill(pid, SIGKILL);
			return err_set(e, TE_UNREACHABLE, "exec plugin %s: timed out", cmd);
		}
		if (poll(&p, 1, (int)left) < 0 && errno != EINTR)
			return err_set(e, TE_FAIL, "exec plugin %s: %s", cmd, strerror(errno));
		n = read(fd, tmp, sizeof(tmp));
		if (n == 0)
			return 0;
		if (n < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return err_set(e, TE_FAIL, "exec plugin %s: %s", cmd, strerror(errno));
		}
		if (buf_append(b, tmp, (size_t)n) < 0) {
			kill(pid, SIGKILL);
			return err_set(e, TE_INPUT, "exec plugin %s: output larger than %zu bytes",
				       cmd, b->max);
		}
	}
}

static int exec_wait(pid_t pid, const struct kube_exec *x, struct err *e)
{
	int st;

	while (waitpid(pid, &st, 0) < 0)
		if (errno != EINTR)
			return err_set(e, TE_FAIL, "exec plugin %s: %s", x->command,
				       strerror(errno));
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		return err_set(e, TE_INPUT, "exec plugin %s: could not run the command%s%s",
			       x->command, x->install_hint ? ": " : "",
			       x->install_hint ? x->install_hint : "");
	if (WIFEXITED(st))
		return err_set(e, TE_UNREACHABLE, "exec plugin %s: exited with status %d",
			       x->command, WEXITSTATUS(st));
	return err_set(e, TE_UNREACHABLE, "exec plugin %s: killed by signal %d", x->command,
		       WTERMSIG(st));
}

/* RFC 3339 "2026-11-27T01:02:03Z" (fraction and offset allowed) to time_t. */
static int parse_rfc3339(const char *s, time_t *out)
{
	struct tm tm = {0};
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	long off = 0;

	if (!p)
		return -1;
	if (*p == '.')
		while (*++p >= '0' && *p <= '9')
			;
	if (*p == '+' || *p == '-') {
		int hh, mm;

		if (sscanf(p + 1, "%2d:%2d", &hh, &mm) != 2)
			return -1;
		off = (*p == '+' ? 1 : -1) * (hh * 3600L + mm * 60L);
	} else if (*p != 'Z' && *p != 'z') {
		return -1;
	}
	*out = timegm(&tm) - off;
	return 0;
}

static bool json_str_is(const cJSON *obj, const char *key, const char *want)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsString(v) && strcmp(v->valuestring, want) == 0;
}

/* A non-empty string member, or NULL. */
/* status.token, or status.clientCertificateData with clientKeyData. */
static int exec_take_cred(const struct kube_exec *x, const cJSON *st, struct kube_cred *out,
			  struct err *e)
{
	const char *tok = json_nonempty(st, "token", NULL);
	const char *cert = json_nonempty(st, "clientCertificateData", NULL);
	const char *key = json_nonempty(st, "clientKeyData", NULL);

	if (tok)
		out->token = strdup(tok);
	if (cert && key) {
		out->cert = strdup(cert);
		out->key = strdup(key);
	} else if (cJSON_IsString(cJSON_GetObjectItemCaseSensitive(st, "clientCertificateData")) !=
		   cJSON_IsString(cJSON_GetObjectItemCaseSensitive(st, "clientKeyData"))) {
		return err_set(
		    e, TE_INPUT,
		    "exec plugin %s: clientCertificateData and clientKeyData must be set together",
		    x->command);
	}
	if (!out->token && !out->cert)
		return err_set(e, TE_INPUT,
			       "exec plugin %s: status has neither token nor client certificate",
			       x->command);
	return 0;
}

/* status.expirationTimestamp, when set, as a time on our monotonic clock. */
static int exec_take_expiry(const struct kube_exec *x, const cJSON *st, struct kube_cred *out,
			    struct err *e)
{
	const cJSON *exp = cJSON_GetObjectItemCaseSensitive(st, "expirationTimestamp");
	time_t t;

	if (!cJSON_IsString(exp))
		return 0;
	if (parse_rfc3339(exp->valuestring, &t) < 0)
		return err_set(e, TE_INPUT, "exec plugin %s: invalid expirationTimestamp \"%s\"",
			       x->command, exp->valuestring);
	out->expires_ms = now_ms() + ((int64_t)t - (int64_t)time(NULL)) * 1000;
	if (out->expires_ms == 0)
		out->expires_ms = -1;
	return 0;
}

static int exec_parse(const struct kube_exec *x, const struct buf *b, struct kube_cred *out,
		      struct err *e)
{
	cJSON *doc = cJSON_ParseWithLength(b->data, b->len);
	const cJSON *st = cJSON_GetObjectItemCaseSensitive(doc, "status");
	int rc;

	if (!doc || !cJSON_IsObject(doc))
		rc = err_set(e, TE_INPUT,
			     "exec plugin %s: output is not an ExecCredential JSON object",
			     x->command);
	else if (!json_str_is(doc, "kind", "ExecCredential") ||
		 !json_str_is(doc, "apiVersion", x->api_version))
		rc = err_set(e, TE_INPUT,
			     "exec plugin %s: expected kind ExecCredential, apiVersion %s",
			     x->command, x->api_version);
	else if ((rc = exec_take_cred(x, st, out, e)) == 0)
		rc = exec_take_expiry(x, st, out, e);
	cJSON_Delete(doc);
	return rc;
}

/* Runs the plugin with argv and envp, its standard output collected in b. */
static int exec_spawn(const struct kube_exec *x, const struct strlist *argv,
		      const struct strlist *envp, struct buf *b, struct err *e)
{
	int fds[2] = {-1, -1}, rc;
	pid_t pid = -1;

	if (pipe2(fds, O_CLOEXEC) < 0 || (pid = fork()) < 0) {
		rc = err_set(e, TE_FAIL, "exec plugin %s: %s", x->command, strerror(errno));
		if (fds[0] >= 0) {
			close(fds[0]);
			close(fds[1]);
		}
		return rc;
	}
	if (pid == 0)
		exec_child(fds[1], argv->items, envp->items);
	close(fds[1]);
	rc = exec_collect(fds[0], pid, b, x->command, e);
	if (exec_wait(pid, x, e) < 0 && rc == 0)
		rc = e->code;
	close(fds[0]);
	return rc;
}

int kube_exec_run(const struct kube_config *cfg, struct kube_cred *out, struct err *e)
{
	const struct kube_exec *x = cfg->exec;
	struct strlist argv, envp;
	struct buf b;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&b, EXEC_MAX_OUTPUT);
	strlist_init(&argv);
	strlist_init(&envp);
	if ((rc = exec_argv(x, &argv)) < 0 || (rc = exec_env(cfg, &envp)) < 0) {
		rc = err_set(e, TE_NOMEM, "exec plugin: out of memory");
		goto out;
	}
	if ((rc = exec_spawn(x, &argv, &envp, &b, e)) == 0)
		rc = exec_parse(x, &b, out, e);
out:
	/* the output may hold a token: wipe it before freeing */
	if (b.data)
		memset(b.data, 0, b.cap);
	buf_dispose(&b);
	strlist_dispose(&argv);
	strlist_dispose(&envp);
	if (rc < 0)
		kube_cred_dispose(out);
	return rc;
}

static int cred_token_file(struct kube *k, bool force, struct err *e)
{
	const char *path = k->cfg->token_file;
	struct stat st;
	struct buf b;
	char *tok;
	int rc;

	if (stat(path, &st) != 0)
		return err_set(e, TE_INPUT, "token file %s: %s", path, strerror(errno));
	if (!force && k->cred.token && st.st_mtime == k->cred.token_mtime &&
	    now_ms() - k->cred.token_read_ms < TOKEN_RECHECK_MS)
		return 0;
	buf_init(&b, 1 << 20);
	if ((rc = file_read(path, &b, e)) < 0) {
		buf_dispose(&b);
		return err_prefix(e, "token file");
	}
	tok = buf_detach(&b);
	while (*tok && strchr(" \t\r\n", tok[strlen(tok) - 1]))
		tok[strlen(tok) - 1] = '\0';
	k->cred.token_mtime = st.st_mtime;
	k->cred.token_read_ms = now_ms();
	if (k->cred.token && strcmp(k->cred.token, tok) == 0) {
		free(tok);
		return 0;
	}
	free(k->cred.token);
	k->cred.token = tok;
	k->cred.generation++;
	return 0;
}

static int cred_exec(struct kube *k, bool force, struct err *e)
{
	struct kube_cred c;
	int rc;

	if (!force && k->cred.exec_done &&
	    (k->cred.expires_ms == 0 || now_ms() < k->cred.expires_ms - EXPIRY_MARGIN_MS))
		return 0;
	if ((rc = kube_exec_run(k->cfg, &c, e)) < 0)
		return rc;
	kube_cred_dispose(&k->cred);
	k->cred.token = c.token;
	k->cred.cert = c.cert;
	k->cred.key = c.key;
	k->cred.expires_ms = c.expires_ms;
	k->cred.exec_done = true;
	k->cred.generation++;
	return 0;
}

/* Makes k->cred current; force re-reads or re-runs (after a 401). */
int kube_cred_refresh(struct kube *k, bool force, struct err *e)
{
	if (k->cfg->exec && !k->cfg->token && !k->cfg->token_file)
		return cred_exec(k, force, e);
	if (k->cfg->token_file && !k->cfg->token)
		return cred_token_file(k, force, e);
	if (k->cfg->token && !k->cred.token) {
		if (!(k->cred.token = strdup(k->cfg->token)))
			return TE_NOMEM;
		k->cred.generation++;
	}
	return 0;
}
