/*
 * options: THE table of sync options. Parsing of flags and of the configuration file,
 * defaults, bounds and `--help` all read it; adding an option is one line here and a
 * field in struct app_config. Nothing else may hard-code an option's default.
 */
#include <ctype.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"

#define OFF(f) offsetof(struct app_config, f)
/* Which commands take a flag: those that apply (SYNCS), that also read the cluster
 * (ALL), that read Git (SRC), that print results (OUT); the commands that work through
 * the cluster (OPS), and those of them that look for an app's inventory (INV). */
#define SYNCS (CMD_SYNC | CMD_ROLLBACK | CMD_RUN)
#define ALL (SYNCS | CMD_DIFF | CMD_HISTORY)
#define SRC (ALL | CMD_RENDER)
#define PRUNES (SYNCS | CMD_DIFF)
#define OPS (CMD_GET | CMD_SUSPEND | CMD_RECONCILE | CMD_EVENTS)
#define INV (CMD_GET | CMD_SUSPEND | CMD_RECONCILE)
#define OUT (CMD_SYNC | CMD_DIFF | CMD_RENDER | CMD_STATUS | CMD_HISTORY | CMD_ROLLBACK | \
	     CMD_VERSION | CMD_CHECK_CONFIG | OPS)
#define G OPT_GLOBAL
#define A OPT_APP
#define F OPT_FLAG
#define MAXSTR 4096

static const struct opt_def options[] = {
	{"repo", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, A | F, SRC, "URL",
	 "Git repository: https://, ssh://, git://, file:// or a local path", OFF(repo)},
	{"ref", NULL, 0, OPT_STRING, NULL, 1, 1024, NULL, A | F, SRC, "REF",
	 "branch, tag or commit SHA (default: the remote's default branch)", OFF(ref)},
	{"path", NULL, 0, OPT_STRING, "", 0, 1024, NULL, A | F, SRC, "DIR",
	 "directory of the repository holding the manifests", OFF(path)},
	{"git-username", NULL, 0, OPT_STRING, NULL, 1, 256, NULL, A | F, SRC, "USER",
	 "https user name (default \"git\" with a token)", OFF(git_username)},
	{"git-token-env", NULL, 0, OPT_STRING, NULL, 1, 256, NULL, A | F, SRC, "VAR",
	 "environment variable holding the https token or password", OFF(git_token_env)},
	{"git-token-file", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, A | F, SRC, "FILE",
	 "file holding the https token or password", OFF(git_token_file)},
	{"ssh-key", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, A | F, SRC, "FILE",
	 "private key for ssh:// repositories", OFF(ssh_key)},
	{"known-hosts", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, A | F, SRC, "FILE",
	 "known_hosts for ssh (default ~/.ssh/known_hosts; host keys are always checked)",
	 OFF(known_hosts)},
	{"git-insecure-skip-tls-verify", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, A | F, SRC, NULL,
	 "do not verify the Git server's certificate (testing only)", OFF(git_insecure)},
	{"name", "app", 0, OPT_STRING, NULL, 1, 63, NULL, A | F, ALL, "NAME",
	 "app name, labels and inventory (default: the repository's name)", OFF(app)},
	{"namespace", NULL, 'n', OPT_STRING, NULL, 1, 63, NULL, G | A | F, ALL | OPS, "NS",
	 "namespace of namespaced objects that name none (default: the context's)",
	 OFF(namespace)},
	{"inventory-namespace", NULL, 0, OPT_STRING, NULL, 1, 63, NULL, G | A | F, ALL | INV, "NS",
	 "namespace of the inventory and history (default: --namespace, else \"default\"; never the context's)",
	 OFF(inventory_namespace)},
	{"prune", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, G | A | F, PRUNES, NULL,
	 "delete objects of the inventory that are no longer rendered", OFF(prune)},
	{"force-prune", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, G | A | F, PRUNES, NULL,
	 "allow pruning more than half of the inventory", OFF(force_prune)},
	{"timeout", NULL, 0, OPT_DURATION, "5m", 1000, 24LL * 3600 * 1000, NULL, G | A | F,
	 SYNCS | CMD_RECONCILE, "DUR", "how long to wait for rollouts (reconcile: for the agent's sync)",
	 OFF(timeout_ms)},
	{"on-failure", NULL, 0, OPT_ENUM, "none", 0, 0, "none|hold|revert", G | A | F, SYNCS,
	 "POLICY", "when a rollout fails: none, hold (apply nothing until a newer commit) or "
	 "revert (push the revert commit of the failed one and sync it)", OFF(on_failure)},
	{"verify", NULL, 0, OPT_ENUM, "none", 0, 0, "none|head|all", G | A | F, SYNCS, "MODE",
	 "apply only signed commits: none, head (the commit to apply) or all (every commit "
	 "since the last applied one); needs verify-keyring or verify-allowed-signers",
	 OFF(verify)},
	{"verify-keyring", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, G | A | F, SYNCS, "FILE",
	 "OpenPGP public keys whose signatures are trusted (what gpg exports, armored or not)",
	 OFF(verify_keyring)},
	{"verify-allowed-signers", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, G | A | F, SYNCS,
	 "FILE", "SSH keys whose signatures are trusted, in ssh-keygen's allowed signers format",
	 OFF(verify_allowed_signers)},
	{"sign-key", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, G | A | F, SYNCS, "FILE",
	 "sign the commits tether writes (rollback, on-failure: revert): an OpenSSH ed25519 "
	 "private key or an armored OpenPGP secret key, without a passphrase",
	 OFF(sign_key)},
	{"service-account", NULL, 0, OPT_STRING, NULL, 3, 317, NULL, A | F, ALL | CMD_ACCESS,
	 "NS/NAME", "run every request on the app's objects as this ServiceAccount "
	 "(impersonation): the app changes only what the ServiceAccount may; its inventory, "
	 "history and Events stay tether's own", OFF(service_account)},
	{"no-wait", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, G | A | F, SYNCS, NULL,
	 "return after applying, without waiting for rollouts", OFF(no_wait)},
	{"kubeconfig", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, G | F, ALL | OPS, "FILE",
	 "kubeconfig file (default: $KUBECONFIG, ~/.kube/config, in-cluster)", OFF(kubeconfig)},
	{"context", NULL, 0, OPT_STRING, NULL, 1, 253, NULL, G | F, ALL | OPS, "NAME",
	 "kubeconfig context (default: current-context)", OFF(context)},
	{"cache-dir", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, G | F, SRC, "DIR",
	 "Git cache (default: $XDG_CACHE_HOME/tether or ~/.cache/tether)", OFF(cache_dir)},
	{"to-revision", NULL, 0, OPT_INT, NULL, 1, 2147483647, NULL, F, CMD_ROLLBACK, "N",
	 "the revision of KIND/NAME: deployment/ (deploy/), statefulset/ (sts/) or daemonset/ "
	 "(ds/) (see tether history)", OFF(to_revision)},
	{"dry-run", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, F, CMD_ROLLBACK, NULL,
	 "show the commit and its diff; push and sync nothing", OFF(dry_run)},
	{"parallel", NULL, 0, OPT_INT, "32", 1, 64, NULL, G | F, ALL, "N",
	 "concurrent requests to the API server", OFF(parallel)},
	{"output", NULL, 'o', OPT_ENUM, "text", 0, 0, "text|json|yaml", F, OUT, "FORMAT",
	 "output format: text, json or yaml", OFF(output)},
	{"progress", NULL, 0, OPT_ENUM, "auto", 0, 0, "auto|plain|none", F, CMD_SYNC | CMD_ROLLBACK,
	 "MODE", "stage and rollout lines on stderr: auto (an updating line on a terminal, "
	 "timestamped lines otherwise, none with -o json|yaml), plain or none", OFF(progress)},
	{"config", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, F, ALL | CMD_GET, "FILE",
	 "agent configuration file: sync every app it lists", OFF(config_file)},
	/* tether get, suspend, resume, reconcile, events */
	{"all-namespaces", NULL, 'A', OPT_BOOL, "false", 0, 0, NULL, F, CMD_GET, NULL,
	 "every app found in the cluster by its inventory, in every namespace",
	 OFF(all_namespaces)},
	{"watch", NULL, 'w', OPT_BOOL, "false", 0, 0, NULL, F, CMD_GET | CMD_EVENTS, NULL,
	 "after listing, keep printing what changes (get: changed rows; events: new ones)",
	 OFF(watch)},
	{"wait", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, F, CMD_RECONCILE, NULL,
	 "reconcile: wait until the agent's sync ends, and exit with its exit code",
	 OFF(wait)},
	/* tether run */
	{"interval", NULL, 0, OPT_DURATION, "60s", 100, 24LL * 3600 * 1000, NULL, G | A | F, CMD_RUN,
	 "DUR", "how often to check Git and the cluster (jittered)", OFF(interval_ms)},
	{"self-heal", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, G | A | F, CMD_RUN, NULL,
	 "re-apply Git's state when the cluster drifts (otherwise drift is reported)",
	 OFF(self_heal)},
	{"workers", NULL, 0, OPT_INT, "8", 1, 64, NULL, G | F, CMD_RUN, "N",
	 "apps checked and synced at once (read at start)", OFF(workers)},
	{"listen", NULL, 0, OPT_STRING, "127.0.0.1:8080", 3, 256, NULL, G | F, CMD_RUN | CMD_STATUS,
	 "ADDR", "HTTP endpoints (/metrics /healthz /readyz /status /webhook); port 0 picks one",
	 OFF(listen)},
	{"webhook-secret-file", NULL, 0, OPT_STRING, NULL, 1, MAXSTR, NULL, G | F, CMD_RUN, "FILE",
	 "secret of POST /webhook (GitHub HMAC, GitLab token); without it webhooks are refused",
	 OFF(webhook_secret_file)},
	{"log-format", NULL, 0, OPT_ENUM, "logfmt", 0, 0, "logfmt|json", G | F, CMD_RUN, "FORMAT",
	 "log lines: logfmt or json", OFF(log_format)},
	{"leader-elect", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, G | F, CMD_RUN | CMD_ACCESS, NULL,
	 "sync only while holding a coordination.k8s.io/v1 Lease (for several replicas)",
	 OFF(leader_elect)},
	{"shard-apps", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, G | F, CMD_RUN | CMD_ACCESS, NULL,
	 "replicas share the apps: each holds a membership Lease, apps go to the live members "
	 "by rendezvous hashing, each sync holds the app's Lease (excludes --leader-elect)",
	 OFF(shard_apps)},
	{"leader-elect-lease", NULL, 0, OPT_STRING, "tether", 1, 253, NULL, G | F, CMD_RUN | CMD_ACCESS, "NAME",
	 "name of the Lease (with --shard-apps: the group, prefix of its Leases)", OFF(lease_name)},
	{"leader-elect-namespace", NULL, 0, OPT_STRING, NULL, 1, 63, NULL, G | F, CMD_RUN | CMD_ACCESS, "NS",
	 "namespace of the Lease(s) (default: the context's)", OFF(lease_namespace)},
	{"leader-elect-lease-duration", NULL, 0, OPT_DURATION, "15s", 1000, 3600 * 1000, NULL, G | F,
	 CMD_RUN, "DUR", "how long a standby waits before taking over (with --shard-apps: how long "
	 "a silent member keeps its apps; renewed every third of it)", OFF(lease_duration_ms)},
	{"leader-elect-renew-deadline", NULL, 0, OPT_DURATION, "10s", 100, 3600 * 1000, NULL, G | F,
	 CMD_RUN, "DUR", "the leader gives up when it could not renew for this long",
	 OFF(renew_deadline_ms)},
	{"leader-elect-retry-period", NULL, 0, OPT_DURATION, "2s", 100, 3600 * 1000, NULL, G | F,
	 CMD_RUN, "DUR", "how often to try to acquire or renew", OFF(retry_period_ms)},
	/* tether check-access */
	{"print-rbac", NULL, 0, OPT_ENUM, NULL, 0, 0, "yaml|json", F, CMD_ACCESS, "FORMAT",
	 "print the least Role/ClusterRole and bindings granting what the app needs, for the "
	 "identity asking: yaml, a stream for kubectl apply -f -, or json, a v1 List",
	 OFF(print_rbac)},
	{"agent", NULL, 0, OPT_BOOL, "false", 0, 0, NULL, F, CMD_ACCESS, NULL,
	 "also check what tether run needs: Events, and the Leases with --leader-elect or "
	 "--shard-apps",
	 OFF(access_agent)},
	{NULL, NULL, 0, 0, NULL, 0, 0, NULL, 0, 0, NULL, NULL, 0},
};

const struct opt_def *config_options(void)
{
	return options;
}

const struct opt_def *config_find(const char *name, unsigned scope)
{
	for (const struct opt_def *o = options; o->name; o++)
		if ((o->scope & scope) && strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

const struct opt_def *config_find_flag(const char *flag, char short_flag)
{
	for (const struct opt_def *o = options; o->name; o++) {
		if (short_flag && o->short_flag == short_flag)
			return o;
		if (flag && strcmp(o->flag ? o->flag : o->name, flag) == 0)
			return o;
	}
	return NULL;
}

static int parse_bool(const char *v, bool *out)
{
	if (!strcmp(v, "true") || !strcmp(v, "yes") || !strcmp(v, "on") || !strcmp(v, "1"))
		*out = true;
	else if (!strcmp(v, "false") || !strcmp(v, "no") || !strcmp(v, "off") || !strcmp(v, "0"))
		*out = false;
	else
		return TE_INPUT;
	return 0;
}

static bool enum_allows(const char *choices, const char *v)
{
	size_t n = strlen(v);

	for (const char *p = choices; p && *p;) {
		const char *bar = strchr(p, '|');
		size_t len = bar ? (size_t)(bar - p) : strlen(p);

		if (len == n && strncmp(p, v, n) == 0)
			return true;
		p = bar ? bar + 1 : NULL;
	}
	return false;
}

static int set_string(char **slot, const struct opt_def *o, const char *v, struct err *e)
{
	size_t n = strlen(v);
	char *copy;

	if (o->type == OPT_STRING && ((int64_t)n < o->min || (int64_t)n > o->max))
		return err_set(e, TE_INPUT, "length must be between %lld and %lld",
			       (long long)o->min, (long long)o->max);
	for (const char *p = v; *p; p++)
		if ((unsigned char)*p < 0x20)
			return err_set(e, TE_INPUT, "control character in value");
	if (o->type == OPT_ENUM && !enum_allows(o->choices, v))
		return err_set(e, TE_INPUT, "\"%s\" is not one of %s", v, o->choices);
	copy = strdup(v);
	if (!copy)
		return err_set(e, TE_NOMEM, "out of memory");
	free(*slot);
	*slot = copy;
	return 0;
}

static int set_int(int64_t *slot, const struct opt_def *o, const char *v, struct err *e)
{
	struct err sub;
	char *end;
	int64_t x;

	if (o->type == OPT_DURATION) {
		err_clear(&sub);
		if (duration_parse(v, &x, &sub) < 0)
			return err_set(e, TE_INPUT, "%s", sub.msg);
	} else {
		errno = 0;
		x = strtoll(v, &end, 10);
		if (errno || end == v || *end)
			return err_set(e, TE_INPUT, "\"%s\" is not an integer", v);
	}
	if (x < o->min || x > o->max) {
		if (o->type == OPT_DURATION)
			return err_set(e, TE_INPUT, "must be between %llds and %llds",
				       (long long)o->min / 1000, (long long)o->max / 1000);
		return err_set(e, TE_INPUT, "must be between %lld and %lld",
			       (long long)o->min, (long long)o->max);
	}
	*slot = x;
	return 0;
}

int config_set(struct app_config *c, const struct opt_def *o, const char *value, struct err *e)
{
	char *base = (char *)c;
	int rc;

	switch (o->type) {
	case OPT_STRING:
	case OPT_ENUM:
		rc = set_string((char **)(base + o->offset), o, value, e);
		break;
	case OPT_BOOL:
		rc = parse_bool(value, (bool *)(base + o->offset));
		if (rc < 0)
			rc = err_set(e, TE_INPUT, "\"%s\" is not true or false", value);
		break;
	default:
		rc = set_int((int64_t *)(base + o->offset), o, value, e);
		break;
	}
	if (rc == 0)
		c->set_mask |= (uint64_t)1 << (o - options);
	return rc;
}

int app_config_init(struct app_config *c, struct err *e)
{
	memset(c, 0, sizeof(*c));
	for (const struct opt_def *o = options; o->name; o++) {
		if (o->def && config_set(c, o, o->def, e) < 0)
			return err_prefix(e, "default of %s", o->name);
	}
	c->set_mask = 0;
	return 0;
}

void app_config_dispose(struct app_config *c)
{
	if (!c)
		return;
	for (const struct opt_def *o = options; o->name; o++) {
		if (o->type == OPT_STRING || o->type == OPT_ENUM) {
			char **slot = (char **)((char *)c + o->offset);
			free(*slot);
			*slot = NULL;
		}
	}
	notify_targets_free(c->notify, c->n_notify);
	c->notify = NULL;
	c->n_notify = 0;
}

/* The string slot of option o in c, or NULL when o is not a string. */
static char **string_slot(const struct opt_def *o, struct app_config *c)
{
	if (o->type != OPT_STRING && o->type != OPT_ENUM)
		return NULL;
	return (char **)((char *)c + o->offset);
}

int app_config_copy(struct app_config *dst, const struct app_config *src, struct err *e)
{
	char **slot;

	*dst = *src;
	/* Nothing of src's is left in dst before copying, so a failure part-way disposes
	 * only what dst owns. */
	for (const struct opt_def *o = options; o->name; o++)
		if ((slot = string_slot(o, dst)))
			*slot = NULL;
	dst->notify = NULL;
	dst->n_notify = 0;
	for (const struct opt_def *o = options; o->name; o++) {
		const char *from = (slot = string_slot(o, dst)) ? *string_slot(o, (struct app_config *)src) : NULL;

		if (from && !(*slot = strdup(from))) {
			app_config_dispose(dst);
			return err_set(e, TE_NOMEM, "out of memory");
		}
	}
	if (notify_targets_copy(&dst->notify, src->notify, src->n_notify) < 0) {
		app_config_dispose(dst);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	dst->n_notify = src->n_notify;
	return 0;
}

/* The last path segment of a repository URL, without ".git" and trailing slashes;
 * *endp is set past it. */
static const char *repo_basename(const char *repo, const char **endp)
{
	const char *end = repo + strlen(repo), *start;

	while (end > repo && end[-1] == '/')
		end--;
	if (end - repo >= 4 && strncmp(end - 4, ".git", 4) == 0)
		end -= 4;
	while (end > repo && end[-1] == '/')
		end--;
	start = end;
	while (start > repo && start[-1] != '/' && start[-1] != ':')
		start--;
	*endp = end;
	return start;
}

/* s..end as a DNS label: lower case, a run of anything else one '-', none at the
 * ends; at most n - 1 characters. */
static size_t dns_label(const char *s, const char *end, char *out, size_t n)
{
	size_t k = 0;

	for (; s < end && k < n - 1; s++) {
		char ch = (char)tolower((unsigned char)*s);

		if (!isalnum((unsigned char)ch))
			ch = '-';
		if (ch == '-' && (k == 0 || out[k - 1] == '-'))
			continue;
		out[k++] = ch;
	}
	while (k > 0 && out[k - 1] == '-')
		k--;
	out[k] = '\0';
	return k;
}

char *config_app_name(const char *repo)
{
	const char *start, *end;
	char name[64];

	if (!repo)
		return NULL;
	start = repo_basename(repo, &end);
	return dns_label(start, end, name, sizeof(name)) ? strdup(name) : strdup("app");
}

static bool valid_label_value(const char *s)
{
	size_t n = strlen(s);

	if (n == 0 || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
			return false;
	return true;
}

/* "NS/NAME": two valid names. */
static int service_account_check(const char *sa, struct err *e)
{
	const char *slash = sa ? strchr(sa, '/') : NULL;
	char ns[64];
	bool ok;

	if (!sa)
		return 0;
	ok = slash && slash - sa < (ptrdiff_t)sizeof(ns) && slash[1] && !strchr(slash + 1, '/');
	if (ok) {
		snprintf(ns, sizeof(ns), "%.*s", (int)(slash - sa), sa);
		ok = valid_label_value(ns) && strlen(slash + 1) <= 253 && !strchr(slash + 1, ':');
	}
	return ok ? 0
		  : err_set(e, TE_INPUT,
			    "service-account \"%s\" must be NAMESPACE/NAME, as in ci/deployer", sa);
}

int app_config_finish(struct app_config *c, struct err *e)
{
	if (!c->repo)
		return err_set(e, TE_INPUT, "no repository: give --repo URL (or --config FILE)");
	if (!c->app && !(c->app = config_app_name(c->repo)))
		return err_set(e, TE_NOMEM, "out of memory");
	if (!valid_label_value(c->app))
		return err_set(e, TE_INPUT,
			       "app name \"%s\" must be lowercase letters, digits and '-' "
			       "(at most 63, starting and ending alphanumeric)",
			       c->app);
	if (c->namespace && !valid_label_value(c->namespace))
		return err_set(e, TE_INPUT, "namespace \"%s\" is not a valid name", c->namespace);
	if (c->verify && strcmp(c->verify, "none") != 0 && !c->verify_keyring &&
	    !c->verify_allowed_signers)
		return err_set(e, TE_INPUT,
			       "verify: %s needs the trusted keys: verify-keyring (OpenPGP) or "
			       "verify-allowed-signers (SSH)",
			       c->verify);
	return service_account_check(c->service_account, e);
}
