/*
 * kubeconfig: finds and reads kubeconfig files with kubectl's rules and resolves one
 * context into a struct kube_config. The files of a KUBECONFIG list are not merged
 * into one tree: each lookup (current-context, a named context, cluster or user)
 * takes the first file that defines it, which is what client-go's merge amounts to,
 * and remembers that file so relative paths resolve against its directory.
 * Errors name the file and the key; secret values never appear in them.
 */
#include <errno.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base64.h"
#include "kube_int.h"
#include "yamlread.h"

#define KC_MAX_FILE ((size_t)4 << 20)
#define KC_SA_DIR "/var/run/secrets/kubernetes.io/serviceaccount"

struct kc_file {
	char *path;
	char *dir;
	cJSON *doc;
};

struct kc_set {
	struct kc_file *f;
	size_t n, cap;
};

static void kc_set_dispose(struct kc_set *s)
{
	for (size_t i = 0; i < s->n; i++) {
		free(s->f[i].path);
		free(s->f[i].dir);
		cJSON_Delete(s->f[i].doc);
	}
	free(s->f);
	s->f = NULL;
	s->n = s->cap = 0;
}

/* Kubeconfig fields are strings: a token or a name that YAML read as a number
 * (token: 12345) is what kubectl would read as the string "12345". */
static void kc_scalars_to_strings(cJSON *node)
{
	cJSON *c;

	for (c = node ? node->child : NULL; c; c = c->next) {
		if (cJSON_IsNumber(c)) {
			char num[64];
			cJSON *str;

			if (c->valuedouble == (double)(long long)c->valuedouble)
				snprintf(num, sizeof(num), "%lld", (long long)c->valuedouble);
			else
				snprintf(num, sizeof(num), "%.17g", c->valuedouble);
			if ((str = cJSON_CreateString(num)) != NULL) {
				/* swap the value in place, keeping the key and position */
				cJSON_Delete(c->child);
				c->child = NULL;
				c->type = cJSON_String;
				c->valuestring = str->valuestring;
				str->valuestring = NULL;
				cJSON_Delete(str);
			}
		} else {
			kc_scalars_to_strings(c);
		}
	}
}

/* Reads and parses one file into *doc (NULL when empty); 1 when it is optional and missing. */
static int kc_parse_file(const char *path, bool optional, cJSON **doc, struct err *e)
{
	struct buf b;
	int rc;

	*doc = NULL;
	buf_init(&b, KC_MAX_FILE);
	if ((rc = file_read(path, &b, e)) < 0) {
		buf_dispose(&b);
		if (rc == TE_NOTFOUND && optional) {
			err_clear(e);
			return 1;
		}
		e->code = TE_INPUT;
		return err_prefix(e, "kubeconfig");
	}
	rc = yaml_to_json(path, b.data, b.len, doc, e);
	buf_dispose(&b);
	if (rc < 0)
		return rc;
	if (cJSON_IsNull(*doc)) {
		cJSON_Delete(*doc);
		*doc = NULL; /* an empty file */
	}
	kc_scalars_to_strings(*doc);
	if (*doc && !cJSON_IsObject(*doc)) {
		cJSON_Delete(*doc);
		*doc = NULL;
		return err_set(e, TE_INPUT, "%s: a kubeconfig must be a mapping", path);
	}
	return 0;
}

/* Appends the file to the set, taking doc (NULL: an empty mapping). */
static int kc_add_file(struct kc_set *s, const char *path, cJSON *doc)
{
	struct kc_file *f;
	char *copy;

	if (array_reserve(&s->f, &s->cap, s->n + 1, sizeof(*s->f)) < 0) {
		cJSON_Delete(doc);
		return TE_NOMEM;
	}
	f = &s->f[s->n++];
	f->path = strdup(path);
	copy = strdup(path);
	f->dir = copy ? strdup(dirname(copy)) : NULL;
	free(copy);
	f->doc = doc ? doc : cJSON_CreateObject();
	return f->path && f->dir && f->doc ? 0 : TE_NOMEM;
}

/* Loads one file; a missing file is skipped when optional (KUBECONFIG entries). */
static int kc_load_file(struct kc_set *s, const char *path, bool optional, struct err *e)
{
	cJSON *doc;
	int rc;

	for (size_t i = 0; i < s->n; i++)
		if (strcmp(s->f[i].path, path) == 0)
			return 0; /* listed twice: the first occurrence already counts */
	if ((rc = kc_parse_file(path, optional, &doc, e)) != 0)
		return rc < 0 ? rc : 0;
	return kc_add_file(s, path, doc);
}

static int kc_load_list(struct kc_set *s, const char *list, struct err *e)
{
	char *copy = strdup(list), *save = NULL, *p;
	int rc = 0;

	if (!copy)
		return TE_NOMEM;
	for (p = strtok_r(copy, ":", &save); p && rc == 0; p = strtok_r(NULL, ":", &save))
		if (*p)
			rc = kc_load_file(s, p, true, e);
	free(copy);
	return rc;
}

/* Returns a string field: NULL when absent or null, TE_INPUT when not a string. */
static int kc_str(const cJSON *obj, const char *key, const char **out, const char *file,
		  const char *where, struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = NULL;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (!cJSON_IsString(v))
		return err_set(e, TE_INPUT, "%s: %s.%s: must be a string", file, where, key);
	*out = *v->valuestring ? v->valuestring : NULL;
	return 0;
}

struct kc_key {
	const char *key;
	const char **out;
};

/* kc_str for each key of a table ending in {NULL}, in order: the first error wins. */
static int kc_strs(const cJSON *obj, const struct kc_key *keys, const char *file,
		   const char *where, struct err *e)
{
	int rc = 0;

	for (; keys->key && rc == 0; keys++)
		rc = kc_str(obj, keys->key, keys->out, file, where, e);
	return rc;
}

static int kc_bool(const cJSON *obj, const char *key, bool *out, const char *file,
		   const char *where, struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	*out = false;
	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsBool(v))
		*out = cJSON_IsTrue(v);
	else if (cJSON_IsString(v) &&
		 (!strcmp(v->valuestring, "true") || !strcmp(v->valuestring, "false")))
		*out = !strcmp(v->valuestring, "true");
	else
		return err_set(e, TE_INPUT, "%s: %s.%s: must be true or false", file, where, key);
	return 0;
}

/*
 * Finds the first entry named name in the list section ("clusters", "users",
 * "contexts") of any file, returning its inner mapping (key inner) and the file.
 */
static int kc_find(const struct kc_set *s, const char *section, const char *inner, const char *name,
		   const cJSON **out, const struct kc_file **file, struct err *e)
{
	for (size_t i = 0; i < s->n; i++) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(s->f[i].doc, section), *it;

		if (!list || cJSON_IsNull(list))
			continue;
		if (!cJSON_IsArray(list))
			return err_set(e, TE_INPUT, "%s: %s: must be a list", s->f[i].path,
				       section);
		cJSON_ArrayForEach(it, list)
		{
			const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");

			if (!cJSON_IsString(n) || strcmp(n->valuestring, name) != 0)
				continue;
			*out = cJSON_GetObjectItemCaseSensitive(it, inner);
			*file = &s->f[i];
			if (cJSON_IsNull(*out))
				*out = NULL; /* "user:" with nothing below: an empty entry */
			if (*out && !cJSON_IsObject(*out))
				return err_set(e, TE_INPUT, "%s: %s[%s].%s: must be a mapping",
					       s->f[i].path, section, name, inner);
			return 0;
		}
	}
	return TE_NOTFOUND;
}

static char *kc_files_desc(const struct kc_set *s)
{
	struct buf b;

	buf_init(&b, 8192);
	for (size_t i = 0; i < s->n; i++)
		buf_printf(&b, "%s%s", i ? ":" : "", s->f[i].path);
	return buf_detach(&b);
}

/* A path from a kubeconfig, relative to the directory of the file that holds it. */
static char *kc_path(const struct kc_file *f, const char *p)
{
	if (!p)
		return NULL;
	while (p[0] == '.' && p[1] == '/')
		p += 2;
	if (p[0] == '/')
		return strdup(p);
	if (p[0] == '~' && p[1] == '/' && getenv("HOME"))
		return xasprintf("%s/%s", getenv("HOME"), p + 2);
	return xasprintf("%s/%s", f->dir, p);
}

static int kc_data(const char *v, char **out, const char *file, const char *where, const char *key,
		   struct err *e)
{
	struct buf b;
	int rc;

	if (!v)
		return 0;
	buf_init(&b, 0);
	if ((rc = base64_decode(v, strlen(v), BASE64_LENIENT, &b)) < 0) {
		buf_dispose(&b);
		return rc == TE_NOMEM ? err_set(e, rc, "%s: out of memory", file)
				      : err_set(e, rc, "%s: %s.%s: invalid base64", file, where, key);
	}
	*out = buf_detach(&b);
	return 0;
}

/* Where the cluster's CA comes from: inline data wins over a file, as in client-go. */
static int kc_cluster_ca(struct kube_config *c, const struct kc_file *f, const char *where,
			 const char *ca, const char *ca_data, struct err *e)
{
	int rc = 0;

	if (ca_data)
		rc = kc_data(ca_data, &c->ca_data, f->path, where, "certificate-authority-data", e);
	else
		c->ca_file = kc_path(f, ca);
	if (rc < 0)
		return rc;
	if (c->insecure && (c->ca_data || c->ca_file))
		return err_set(
		    e, TE_INPUT,
		    "%s: %s: certificate-authority with insecure-skip-tls-verify is not allowed",
		    f->path, where);
	return 0;
}

static int kc_cluster(struct kube_config *c, const cJSON *cl, const struct kc_file *f,
		      const char *name, struct err *e)
{
	char where[300];
	const char *server, *ca, *ca_data, *sni, *proxy;
	const struct kc_key keys[] = {{"server", &server},
				      {"certificate-authority", &ca},
				      {"certificate-authority-data", &ca_data},
				      {"tls-server-name", &sni},
				      {"proxy-url", &proxy},
				      {NULL, NULL}};
	int rc;

	snprintf(where, sizeof(where), "clusters[%s].cluster", name);
	if ((rc = kc_strs(cl, keys, f->path, where, e)) < 0 ||
	    (rc = kc_bool(cl, "insecure-skip-tls-verify", &c->insecure, f->path, where, e)) < 0 ||
	    (rc = kc_bool(cl, "disable-compression", &c->disable_compression, f->path, where, e)) <
		0)
		return rc;
	if (!server)
		return err_set(e, TE_INPUT, "%s: %s.server: not set", f->path, where);
	c->server = strdup(server);
	while (c->server && *c->server && str_has_suffix(c->server, "/"))
		c->server[strlen(c->server) - 1] = '\0';
	if ((rc = kc_cluster_ca(c, f, where, ca, ca_data, e)) < 0)
		return rc;
	c->tls_server_name = xstrdup(sni);
	c->proxy_url = xstrdup(proxy);
	return 0;
}

/* An exec env entry: a name without '=', and a string value (or none). */
static bool kc_env_entry_ok(const cJSON *n, const cJSON *v)
{
	if (!cJSON_IsString(n) || !*n->valuestring || strchr(n->valuestring, '='))
		return false;
	return !v || cJSON_IsString(v) || cJSON_IsNull(v);
}

static int kc_exec_env(struct kube_exec *x, const cJSON *env, const char *file, const char *where,
		       struct err *e)
{
	const cJSON *it;

	if (!env || cJSON_IsNull(env))
		return 0;
	if (!cJSON_IsArray(env))
		return err_set(e, TE_INPUT, "%s: %s.exec.env: must be a list", file, where);
	cJSON_ArrayForEach(it, env)
	{
		const cJSON *n = cJSON_GetObjectItemCaseSensitive(it, "name");
		const cJSON *v = cJSON_GetObjectItemCaseSensitive(it, "value");

		if (!kc_env_entry_ok(n, v))
			return err_set(
			    e, TE_INPUT,
			    "%s: %s.exec.env: each entry needs a name and a string value", file,
			    where);
		if (strlist_add_owned(&x->env, xasprintf("%s=%s", n->valuestring,
							 cJSON_IsString(v) ? v->valuestring : "")) <
		    0)
			return TE_NOMEM;
	}
	return 0;
}

static int kc_exec_args(struct kube_exec *x, const cJSON *args, const char *file,
			const char *where, struct err *e)
{
	const cJSON *it;

	if (args && !cJSON_IsNull(args) && !cJSON_IsArray(args))
		return err_set(e, TE_INPUT, "%s: %s.exec.args: must be a list", file, where);
	cJSON_ArrayForEach(it, args)
	{
		if (!cJSON_IsString(it))
			return err_set(e, TE_INPUT, "%s: %s.exec.args: must be strings", file,
				       where);
		if (strlist_add(&x->args, it->valuestring) < 0)
			return TE_NOMEM;
	}
	return 0;
}

static bool kc_exec_api_known(const char *api)
{
	return api && (strcmp(api, "client.authentication.k8s.io/v1") == 0 ||
		       strcmp(api, "client.authentication.k8s.io/v1beta1") == 0);
}

static int kc_exec(struct kube_config *c, const cJSON *ex, const struct kc_file *f,
		   const char *where, struct err *e)
{
	struct kube_exec *x;
	const char *cmd, *api, *hint;
	const struct kc_key keys[] = {
	    {"command", &cmd}, {"apiVersion", &api}, {"installHint", &hint}, {NULL, NULL}};
	int rc;

	if ((rc = kc_strs(ex, keys, f->path, where, e)) < 0)
		return rc;
	if (!cmd)
		return err_set(e, TE_INPUT, "%s: %s.exec.command: not set", f->path, where);
	if (!kc_exec_api_known(api))
		return err_set(
		    e, TE_INPUT,
		    "%s: %s.exec.apiVersion: must be client.authentication.k8s.io/v1 or v1beta1",
		    f->path, where);
	if (!(x = c->exec = calloc(1, sizeof(*x))))
		return TE_NOMEM;
	strlist_init(&x->args);
	strlist_init(&x->env);
	/* a command with a slash is a path, relative to the kubeconfig; else PATH lookup */
	x->command = strchr(cmd, '/') ? kc_path(f, cmd) : strdup(cmd);
	x->api_version = strdup(api);
	x->install_hint = xstrdup(hint);
	if ((rc = kc_bool(ex, "provideClusterInfo", &x->provide_cluster_info, f->path, where, e)) <
		0 ||
	    (rc = kc_exec_args(x, cJSON_GetObjectItemCaseSensitive(ex, "args"), f->path, where,
			       e)) < 0)
		return rc;
	return kc_exec_env(x, cJSON_GetObjectItemCaseSensitive(ex, "env"), f->path, where, e);
}

struct kc_user_keys {
	const char *token, *token_file, *cert, *cert_data, *key, *key_data, *user, *pass;
};

/* The client certificate and key: inline data wins over a file, as in client-go. */
static int kc_user_tls(struct kube_config *c, const struct kc_user_keys *k,
		       const struct kc_file *f, const char *where, struct err *e)
{
	int rc;

	if ((rc = kc_data(k->cert_data, &c->cert_data, f->path, where, "client-certificate-data",
			  e)) < 0 ||
	    (rc = kc_data(k->key_data, &c->key_data, f->path, where, "client-key-data", e)) < 0)
		return rc;
	if (!c->cert_data)
		c->cert_file = kc_path(f, k->cert);
	if (!c->key_data)
		c->key_file = kc_path(f, k->key);
	if (!!(c->cert_data || c->cert_file) != !!(c->key_data || c->key_file))
		return err_set(e, TE_INPUT,
			       "%s: %s: client certificate and key must be set together", f->path,
			       where);
	return 0;
}

static int kc_user_exec(struct kube_config *c, const cJSON *u, const struct kc_file *f,
			const char *where, struct err *e)
{
	const cJSON *ex = cJSON_GetObjectItemCaseSensitive(u, "exec");

	if (!ex || cJSON_IsNull(ex))
		return 0;
	if (!cJSON_IsObject(ex))
		return err_set(e, TE_INPUT, "%s: %s.exec: must be a mapping", f->path, where);
	return kc_exec(c, ex, f, where, e);
}

static int kc_user(struct kube_config *c, const cJSON *u, const struct kc_file *f, const char *name,
		   struct err *e)
{
	char where[300];
	struct kc_user_keys k;
	const struct kc_key keys[] = {{"token", &k.token},
				      {"tokenFile", &k.token_file},
				      {"client-certificate", &k.cert},
				      {"client-certificate-data", &k.cert_data},
				      {"client-key", &k.key},
				      {"client-key-data", &k.key_data},
				      {"username", &k.user},
				      {"password", &k.pass},
				      {NULL, NULL}};
	int rc;

	snprintf(where, sizeof(where), "users[%s].user", name);
	if ((rc = kc_strs(u, keys, f->path, where, e)) < 0)
		return rc;
	if (cJSON_GetObjectItemCaseSensitive(u, "auth-provider"))
		return err_set(e, TE_INPUT,
			       "%s: %s.auth-provider: not supported, use an exec plugin", f->path,
			       where);
	if ((k.token || k.token_file) && (k.user || k.pass))
		return err_set(e, TE_INPUT,
			       "%s: %s: username/password or bearer token may be set, but not both",
			       f->path, where);
	c->token = xstrdup(k.token);
	if (!k.token)
		c->token_file = kc_path(f, k.token_file);
	c->username = xstrdup(k.user);
	c->password = xstrdup(k.pass);
	if ((rc = kc_user_tls(c, &k, f, where, e)) < 0)
		return rc;
	return kc_user_exec(c, u, f, where, e);
}

/* Reads one line of a small file (namespace), trimmed; NULL if unreadable. */
static char *kc_read_small(const char *path)
{
	struct buf b;
	struct err e;
	char *s;

	buf_init(&b, 4096);
	err_clear(&e);
	if (file_read(path, &b, &e) < 0) {
		buf_dispose(&b);
		return NULL;
	}
	s = buf_detach(&b);
	s[strcspn(s, "\r\n")] = '\0';
	return s;
}

static bool kc_in_cluster_possible(void)
{
	const char *h = getenv("KUBERNETES_SERVICE_HOST"), *p = getenv("KUBERNETES_SERVICE_PORT");

	return h && *h && p && *p;
}

/* $POD_NAMESPACE, else the service account's namespace file; NULL if neither. */
static char *kc_pod_namespace(const char *dir)
{
	const char *pod_ns = getenv("POD_NAMESPACE");
	char *p, *ns;

	if (pod_ns && *pod_ns)
		return strdup(pod_ns);
	p = xasprintf("%s/namespace", dir);
	ns = p ? kc_read_small(p) : NULL;
	free(p);
	return ns;
}

static int kc_in_cluster(struct kube_config *c, struct err *e)
{
	const char *dir = getenv("TETHER_SA_DIR"), *host = getenv("KUBERNETES_SERVICE_HOST");
	const char *port = getenv("KUBERNETES_SERVICE_PORT");
	struct stat st;

	if (!dir || !*dir)
		dir = KC_SA_DIR;
	c->server = xasprintf(strchr(host, ':') ? "https://[%s]:%s" : "https://%s:%s", host, port);
	c->token_file = xasprintf("%s/token", dir);
	if (!c->server || !c->token_file)
		return TE_NOMEM;
	if (access(c->token_file, R_OK) != 0)
		return err_set(e, TE_INPUT, "in-cluster configuration: cannot read %s: %s",
			       c->token_file, strerror(errno));
	c->ca_file = xasprintf("%s/ca.crt", dir);
	if (c->ca_file && stat(c->ca_file, &st) != 0) {
		free(c->ca_file);
		c->ca_file = NULL;
	}
	c->namespace = kc_pod_namespace(dir);
	return 0;
}

/* --context, else the first current-context of the files. */
static int kc_current_context(const struct kc_set *s, const char **context, const char *files,
			      struct err *e)
{
	int rc;

	for (size_t i = 0; i < s->n && !*context; i++)
		if ((rc = kc_str(s->f[i].doc, "current-context", context, s->f[i].path,
				 "kubeconfig", e)) < 0)
			return rc;
	if (!*context)
		return err_set(e, TE_INPUT,
			       "%s: current-context is not set (choose one with --context)", files);
	return 0;
}

/* What a context names. */
struct kc_ctx {
	const char *cluster, *user;
	const struct kc_file *f; /* the file the context is in */
};

/* Finds the context and reads what it names; sets the context and namespace of c. */
static int kc_context(struct kube_config *c, const struct kc_set *s, const char *context,
		      struct kc_ctx *out, const char *files, struct err *e)
{
	const cJSON *ctx = NULL;
	const char *ns = NULL;
	char where[300];
	int rc;

	if ((rc = kc_find(s, "contexts", "context", context, &ctx, &out->f, e)) < 0)
		return rc == TE_NOTFOUND
			   ? err_set(e, TE_INPUT, "%s: context \"%s\" not found", files, context)
			   : rc;
	snprintf(where, sizeof(where), "contexts[%s].context", context);
	if ((rc = kc_str(ctx, "cluster", &out->cluster, out->f->path, where, e)) < 0 ||
	    (rc = kc_str(ctx, "user", &out->user, out->f->path, where, e)) < 0 ||
	    (rc = kc_str(ctx, "namespace", &ns, out->f->path, where, e)) < 0)
		return rc;
	if (!out->cluster)
		return err_set(e, TE_INPUT, "%s: %s.cluster: not set", out->f->path, where);
	c->context = strdup(context);
	c->namespace = xstrdup(ns);
	return 0;
}

static int kc_resolve_cluster(struct kube_config *c, const struct kc_set *s, const char *context,
			      const struct kc_ctx *x, const char *files, struct err *e)
{
	const cJSON *cl = NULL;
	const struct kc_file *clf = NULL;
	int rc;

	if ((rc = kc_find(s, "clusters", "cluster", x->cluster, &cl, &clf, e)) < 0 || !cl) {
		if (rc == TE_NOTFOUND || !cl)
			rc = err_set(e, TE_INPUT,
				     "%s: cluster \"%s\" (of context \"%s\" in %s) not found",
				     files, x->cluster, context, x->f->path);
		return rc;
	}
	return kc_cluster(c, cl, clf, x->cluster, e);
}

static int kc_resolve_user(struct kube_config *c, const struct kc_set *s, const char *context,
			   const struct kc_ctx *x, const char *files, struct err *e)
{
	const cJSON *u = NULL;
	const struct kc_file *uf = NULL;
	int rc;

	if (!x->user)
		return 0;
	rc = kc_find(s, "users", "user", x->user, &u, &uf, e);
	if (rc == TE_NOTFOUND)
		rc = err_set(e, TE_INPUT, "%s: user \"%s\" (of context \"%s\" in %s) not found",
			     files, x->user, context, x->f->path);
	if (rc < 0 || !u)
		return rc < 0 ? rc : 0;
	return kc_user(c, u, uf, x->user, e);
}

static int kc_resolve(struct kube_config *c, const struct kc_set *s, const char *context,
		      struct err *e)
{
	struct kc_ctx x = {0};
	char *files = kc_files_desc(s);
	int rc;

	if ((rc = kc_current_context(s, &context, files, e)) < 0 ||
	    (rc = kc_context(c, s, context, &x, files, e)) < 0 ||
	    (rc = kc_resolve_cluster(c, s, context, &x, files, e)) < 0 ||
	    (rc = kc_resolve_user(c, s, context, &x, files, e)) < 0)
		goto out;
	rc = 0;
out:
	free(files);
	return rc;
}

/* No context anywhere: kubectl then falls back to the in-cluster configuration. */
static bool kc_is_empty(const struct kc_set *s)
{
	for (size_t i = 0; i < s->n; i++)
		if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(s->f[i].doc, "contexts")) >
			0 ||
		    cJSON_GetObjectItemCaseSensitive(s->f[i].doc, "current-context"))
			return false;
	return true;
}

static int kc_collect(struct kc_set *s, const char *path, struct err *e)
{
	const char *env = getenv("KUBECONFIG"), *home = getenv("HOME");
	char *def;
	int rc;

	if (path && *path)
		return kc_load_file(s, path, false, e);
	if (env && *env)
		return kc_load_list(s, env, e);
	if (!home || !*home)
		return 0;
	if (!(def = xasprintf("%s/.kube/config", home)))
		return TE_NOMEM;
	rc = kc_load_file(s, def, true, e);
	free(def);
	return rc;
}

/* The files' context, or (no file, or no context in any) the in-cluster configuration. */
static int kc_choose(struct kube_config *c, const struct kc_set *s, const char *context,
		     struct err *e)
{
	if (s->n > 0 && !(kc_is_empty(s) && !context && kc_in_cluster_possible()))
		return kc_resolve(c, s, context, e);
	if (!kc_in_cluster_possible())
		return err_set(e, TE_INPUT,
			       "no kubeconfig found (set --kubeconfig or KUBECONFIG, or create "
			       "~/.kube/config) and not running in a cluster");
	return kc_in_cluster(c, e);
}

int kube_config_load(struct kube_config **out, const char *path, const char *context, struct err *e)
{
	struct kc_set s = {0};
	struct kube_config *c = calloc(1, sizeof(*c));
	int rc;

	*out = NULL;
	if (!c)
		return err_set(e, TE_NOMEM, "out of memory");
	if ((rc = kc_collect(&s, path, e)) < 0 || (rc = kc_choose(c, &s, context, e)) < 0)
		goto out;
	if (!c->namespace && !(c->namespace = strdup("default"))) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	*out = c;
	c = NULL;
out:
	kc_set_dispose(&s);
	kube_config_free(c);
	return rc;
}

void kube_exec_free(struct kube_exec *x)
{
	if (!x)
		return;
	free(x->command);
	strlist_dispose(&x->args);
	strlist_dispose(&x->env);
	free(x->api_version);
	free(x->install_hint);
	free(x);
}

void kube_config_free(struct kube_config *c)
{
	if (!c)
		return;
	free(c->server);
	free(c->namespace);
	free(c->context);
	free(c->ca_file);
	free(c->ca_data);
	free(c->token);
	free(c->token_file);
	free(c->cert_file);
	free(c->key_file);
	free(c->cert_data);
	free(c->key_data);
	free(c->username);
	free(c->password);
	kube_exec_free(c->exec);
	free(c->tls_server_name);
	free(c->proxy_url);
	free(c->impersonate);
	free(c);
}

static int kc_dup_strlist(struct strlist *dst, const struct strlist *src)
{
	strlist_init(dst);
	for (size_t i = 0; i < src->n; i++)
		if (strlist_add(dst, src->items[i]) < 0)
			return TE_NOMEM;
	return 0;
}

struct kube_config *kube_config_dup(const struct kube_config *c)
{
	struct kube_config *d = calloc(1, sizeof(*d));

	if (!d)
		return NULL;
	d->server = xstrdup(c->server);
	d->namespace = xstrdup(c->namespace);
	d->context = xstrdup(c->context);
	d->ca_file = xstrdup(c->ca_file);
	d->ca_data = xstrdup(c->ca_data);
	d->insecure = c->insecure;
	d->disable_compression = c->disable_compression;
	d->token = xstrdup(c->token);
	d->token_file = xstrdup(c->token_file);
	d->cert_file = xstrdup(c->cert_file);
	d->key_file = xstrdup(c->key_file);
	d->cert_data = xstrdup(c->cert_data);
	d->key_data = xstrdup(c->key_data);
	d->username = xstrdup(c->username);
	d->password = xstrdup(c->password);
	d->tls_server_name = xstrdup(c->tls_server_name);
	d->proxy_url = xstrdup(c->proxy_url);
	d->impersonate = xstrdup(c->impersonate);
	if (c->exec) {
		struct kube_exec *x = calloc(1, sizeof(*x));

		d->exec = x;
		if (!x || kc_dup_strlist(&x->args, &c->exec->args) < 0 ||
		    kc_dup_strlist(&x->env, &c->exec->env) < 0) {
			kube_config_free(d);
			return NULL;
		}
		x->command = xstrdup(c->exec->command);
		x->api_version = xstrdup(c->exec->api_version);
		x->install_hint = xstrdup(c->exec->install_hint);
		x->provide_cluster_info = c->exec->provide_cluster_info;
	}
	if (!d->server) {
		kube_config_free(d);
		return NULL;
	}
	return d;
}
