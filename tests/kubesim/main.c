/*
 * kubesim: an emulator of the Kubernetes API server (and, through controllers*.c, of
 * its workload controllers) for tether's tests. This file: flags, the kubeconfig it
 * writes, signals, and the debounced --state saver. It must stay a thin shell around
 * store.c and server.c.
 */
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "controllers.h"
#include "oom.h"
#include "pki_state.h"
#include "auth.h"
#include "server.h"
#include "store_int.h"

struct flags {
	const char *listen;
	const char *kubeconfig_out;
	const char *state;
	const char *faults;
	struct server_opts so;
	struct sim_config cfg;
	struct auth_opts ao;
	bool anonymous_set;
	char admin_token[65]; /* generated for the kubeconfig under RBAC */
};

static const char usage[] =
	"usage: kubesim [options]\n"
	"  --listen HOST:PORT      listen address (default 127.0.0.1:0 = a free port)\n"
	"  --kubeconfig-out FILE   write a kubeconfig for kubectl and tether\n"
	"  --tls                   serve HTTPS with a CA generated at start (the default)\n"
	"  --http                  serve plain HTTP instead (kubectl then sends no credentials,\n"
	"                          so its requests are anonymous; curl and tether send tokens)\n"
	"  --client-ca             require client certificates (not with --http)\n"
	"  --token T               require bearer token T (an administrator, system:masters)\n"
	"  --users FILE            static tokens: token,user,uid,\"group1,group2\" (re-read on SIGHUP)\n"
	"  --authorization-mode M  RBAC (default: bootstrap roles, 403s, escalation checks) or\n"
	"                          AlwaysAllow\n"
	"  --anonymous-auth BOOL   requests without credentials are system:anonymous (default\n"
	"                          true; false when --token or --client-ca is given)\n"
	"  --state FILE            persist objects and the resourceVersion in FILE\n"
	"  --latency MS            delay every response by MS milliseconds\n"
	"  --faults SPEC           e.g. 500=0.05,503=0.05,429=0.05,reset=0.02,drop=0.02\n"
	"                          (reset: closed unanswered, nothing done; drop: done, then\n"
	"                          closed unanswered)\n"
	"                          (resource requests only; never /version, discovery, /metrics)\n"
	"  --faults-while FILE     inject the faults only while FILE exists\n"
	"  --faults-methods LIST   inject the faults only on these methods (PATCH,POST)\n"
	"  --seed N                seed for faults and controllers\n"
	"  --pod-ready-ms N        delay before simulated pods become ready (default 200)\n"
	"  --pod-terminate-ms N    a deleted pod stays Terminating this long, at most its\n"
	"                          grace period (default 100)\n"
	"  --nodes N               simulated Node objects pods run on (default 1): kubesim-node,\n"
	"                          kubesim-node-2, ...\n"
	"  --node-taint NODE=KEY[=VALUE]:EFFECT  a taint of that node (repeatable; EFFECT\n"
	"                          NoSchedule, PreferNoSchedule or NoExecute)\n"
	"  --fail-images GLOB      images matching GLOB never pull\n";

static int parse_int(const char *flag, const char *v, long lo, long hi, long *out)
{
	char *end;

	errno = 0;
	*out = strtol(v, &end, 10);
	if (errno || *end || *out < lo || *out > hi) {
		fprintf(stderr, "kubesim: %s: invalid value \"%s\" (%ld..%ld)\n", flag, v, lo, hi);
		return -1;
	}
	return 0;
}

/* "500=0.05,503=0.05,429=0.05,reset=0.02": each a probability, together at most 1. */
static int parse_faults(const char *spec, struct server_opts *o)
{
	const struct {
		const char *name;
		double *p;
	} kinds[] = {{"500", &o->p500}, {"503", &o->p503}, {"429", &o->p429}, {"reset", &o->preset},
		   {"drop", &o->pdrop}};
	char buf[512], *save = NULL, *tok, *eq, *end;
	size_t i, n = sizeof(kinds) / sizeof(kinds[0]);
	double p;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!(eq = strchr(tok, '=')))
			goto bad;
		*eq = '\0';
		p = strtod(eq + 1, &end);
		for (i = 0; i < n && strcmp(tok, kinds[i].name) != 0; i++)
			;
		if (*end || p < 0 || p > 1 || i == n)
			goto bad;
		*kinds[i].p = p;
	}
	if (o->p500 + o->p503 + o->p429 + o->preset + o->pdrop <= 1)
		return 0;
bad:
	fprintf(stderr, "kubesim: --faults: invalid spec \"%s\" (want e.g. 500=0.05,reset=0.02)\n",
		spec);
	return -1;
}

/* ---- the flags, one setter each ---------------------------------------------------- */

static int set_tls(struct flags *f, const char *a, const char *v)
{
	f->so.tls = true;
	return 0;
}

static int set_http(struct flags *f, const char *a, const char *v)
{
	f->so.tls = false;
	return 0;
}

static int set_client_ca(struct flags *f, const char *a, const char *v)
{
	f->so.client_ca = true;
	return 0;
}

static int set_help(struct flags *f, const char *a, const char *v)
{
	fputs(usage, stdout);
	exit(0);
}

static int set_listen(struct flags *f, const char *a, const char *v)
{
	f->listen = v;
	return 0;
}

static int set_kubeconfig_out(struct flags *f, const char *a, const char *v)
{
	f->kubeconfig_out = v;
	return 0;
}

static int set_token(struct flags *f, const char *a, const char *v)
{
	f->so.token = v;
	return 0;
}

static int set_users(struct flags *f, const char *a, const char *v)
{
	f->ao.users_file = v;
	return 0;
}

static int set_authorization_mode(struct flags *f, const char *a, const char *v)
{
	if (strcmp(v, "RBAC") != 0 && strcmp(v, "AlwaysAllow") != 0) {
		fprintf(stderr, "kubesim: --authorization-mode: want AlwaysAllow or RBAC\n");
		return -1;
	}
	f->ao.rbac = strcmp(v, "RBAC") == 0;
	return 0;
}

static int set_anonymous_auth(struct flags *f, const char *a, const char *v)
{
	if (strcmp(v, "true") != 0 && strcmp(v, "false") != 0) {
		fprintf(stderr, "kubesim: --anonymous-auth: want true or false\n");
		return -1;
	}
	f->ao.anonymous = strcmp(v, "true") == 0;
	f->anonymous_set = true;
	return 0;
}

static int set_state(struct flags *f, const char *a, const char *v)
{
	f->state = v;
	return 0;
}

static int set_faults(struct flags *f, const char *a, const char *v)
{
	return parse_faults(v, &f->so);
}

static int set_faults_while(struct flags *f, const char *a, const char *v)
{
	f->so.faults_while = v;
	return 0;
}

static int set_faults_methods(struct flags *f, const char *a, const char *v)
{
	f->so.faults_methods = v;
	return 0;
}

static int set_latency(struct flags *f, const char *a, const char *v)
{
	long n;

	if (parse_int(a, v, 0, 60000, &n) < 0)
		return -1;
	f->so.latency_ms = (int)n;
	return 0;
}

static int set_seed(struct flags *f, const char *a, const char *v)
{
	long n;

	if (parse_int(a, v, 0, 0x7fffffffL, &n) < 0)
		return -1;
	f->so.seed = f->cfg.seed = (uint64_t)n;
	return 0;
}

static int set_pod_ms(struct flags *f, const char *a, const char *v)
{
	long n;

	if (parse_int(a, v, 0, 3600000, &n) < 0)
		return -1;
	if (strcmp(a, "--pod-terminate-ms") == 0)
		f->cfg.pod_terminate_ms = (int)n;
	else
		f->cfg.pod_ready_ms = (int)n;
	return 0;
}

static int set_nodes(struct flags *f, const char *a, const char *v)
{
	long n;

	if (parse_int(a, v, 0, 1000, &n) < 0)
		return -1;
	f->cfg.nodes = (int)n;
	return 0;
}

/* NODE=KEY[=VALUE]:EFFECT, as `kubectl taint nodes NODE KEY[=VALUE]:EFFECT` spells it. */
static int set_node_taint(struct flags *f, const char *a, const char *v)
{
	static const char *const effects[] = {"NoSchedule", "PreferNoSchedule", "NoExecute"};
	const char *eq = strchr(v, '='), *colon = strrchr(v, ':'), *veq;
	struct sim_taint *t;
	size_t i;

	if (f->cfg.ntaints == SIM_TAINTS_MAX || !eq || !colon || colon < eq || eq == v ||
	    colon == eq + 1)
		goto bad;
	t = &f->cfg.taints[f->cfg.ntaints];
	veq = memchr(eq + 1, '=', (size_t)(colon - eq - 1));
	if ((size_t)(eq - v) >= sizeof(t->node))
		goto bad;
	snprintf(t->node, sizeof(t->node), "%.*s", (int)(eq - v), v);
	snprintf(t->key, sizeof(t->key), "%.*s", (int)((veq ? veq : colon) - eq - 1), eq + 1);
	snprintf(t->value, sizeof(t->value), "%.*s", veq ? (int)(colon - veq - 1) : 0,
		 veq ? veq + 1 : "");
	snprintf(t->effect, sizeof(t->effect), "%s", colon + 1);
	for (i = 0; i < 3 && strcmp(t->effect, effects[i]) != 0; i++)
		;
	if (i == 3 || !*t->key)
		goto bad;
	f->cfg.ntaints++;
	return 0;
bad:
	fprintf(stderr, "kubesim: %s: invalid value \"%s\" (want NODE=KEY[=VALUE]:EFFECT, at "
			"most %d, EFFECT NoSchedule, PreferNoSchedule or NoExecute)\n",
		a, v, SIM_TAINTS_MAX);
	return -1;
}

static int set_fail_images(struct flags *f, const char *a, const char *v)
{
	snprintf(f->cfg.fail_images, sizeof(f->cfg.fail_images), "%s", v);
	return 0;
}

static const struct flag_def {
	const char *name;
	bool takes; /* a value, the next argument */
	int (*set)(struct flags *f, const char *flag, const char *val);
} flag_defs[] = {
	{"--tls", false, set_tls},
	{"--http", false, set_http},
	{"--client-ca", false, set_client_ca},
	{"-h", false, set_help},
	{"--help", false, set_help},
	{"--listen", true, set_listen},
	{"--kubeconfig-out", true, set_kubeconfig_out},
	{"--token", true, set_token},
	{"--users", true, set_users},
	{"--authorization-mode", true, set_authorization_mode},
	{"--anonymous-auth", true, set_anonymous_auth},
	{"--state", true, set_state},
	{"--faults", true, set_faults},
	{"--faults-while", true, set_faults_while},
	{"--faults-methods", true, set_faults_methods},
	{"--latency", true, set_latency},
	{"--seed", true, set_seed},
	{"--pod-ready-ms", true, set_pod_ms},
	{"--pod-terminate-ms", true, set_pod_ms},
	{"--nodes", true, set_nodes},
	{"--node-taint", true, set_node_taint},
	{"--fail-images", true, set_fail_images},
};

static const struct flag_def *flag_find(const char *name)
{
	for (size_t i = 0; i < sizeof(flag_defs) / sizeof(flag_defs[0]); i++)
		if (strcmp(flag_defs[i].name, name) == 0)
			return &flag_defs[i];
	return NULL;
}

static int parse_flags(int argc, char **argv, struct flags *f)
{
	f->listen = "127.0.0.1:0";
	f->cfg.pod_ready_ms = 200;
	f->cfg.pod_terminate_ms = 100;
	f->cfg.nodes = 1;
	/* As kube-apiserver's secure port: HTTPS and RBAC. kubectl (client-go) reads a
	 * kubeconfig's credentials only for an https server, so plain HTTP is opt-in. */
	f->so.tls = true;
	f->ao.rbac = true;
	for (int i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		const struct flag_def *d = flag_find(a);

		if (d && !d->takes) {
			d->set(f, a, NULL);
			continue;
		}
		if (!val) {
			fprintf(stderr, "kubesim: %s: missing value or unknown flag\n%s", a, usage);
			return -1;
		}
		if (!d) {
			fprintf(stderr, "kubesim: unknown flag %s\n%s", a, usage);
			return -1;
		}
		if (d->set(f, a, val) < 0)
			return -1;
		i++;
	}
	if (f->so.client_ca && !f->so.tls) {
		fprintf(stderr, "kubesim: --client-ca needs TLS (drop --http)\n");
		return -1;
	}
	return 0;
}

static int split_listen(const char *listen, char *host, size_t hostlen, int *port)
{
	const char *colon = strrchr(listen, ':');
	long p;

	if (!colon || (size_t)(colon - listen) >= hostlen) {
		fprintf(stderr, "kubesim: --listen: want HOST:PORT, got \"%s\"\n", listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = '\0';
	if (parse_int("--listen", colon + 1, 0, 65535, &p) < 0)
		return -1;
	*port = (int)p;
	return 0;
}

static char *b64(const char *s)
{
	size_t n = strlen(s);
	char *out = malloc(4 * ((n + 2) / 3) + 1);

	if (!out)
		abort();
	EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)s, (int)n);
	return out;
}

static void put_b64(FILE *f, const char *key, const char *pem)
{
	char *v = b64(pem);

	fprintf(f, "    %s: %s\n", key, v);
	free(v);
}

static int write_kubeconfig(const char *path, const char *url, const struct flags *fl,
			    const struct tls_material *tls)
{
	char tmp[4096];
	FILE *f;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
	f = fopen(tmp, "w");
	if (!f) {
		fprintf(stderr, "kubesim: %s: %s\n", tmp, strerror(errno));
		return -1;
	}
	fprintf(f, "apiVersion: v1\nkind: Config\nclusters:\n- name: kubesim\n  cluster:\n"
		   "    server: %s\n", url);
	if (fl->so.tls)
		put_b64(f, "certificate-authority-data", tls->ca_cert);
	fprintf(f, "contexts:\n- name: kubesim\n  context:\n    cluster: kubesim\n"
		   "    user: kubesim\n    namespace: default\ncurrent-context: kubesim\n"
		   "preferences: {}\nusers:\n- name: kubesim\n  user:");
	if (!fl->so.token && !fl->so.client_ca)
		fprintf(f, " {}\n");
	else
		fprintf(f, "\n");
	if (fl->so.token)
		fprintf(f, "    token: %s\n", fl->so.token);
	if (fl->so.client_ca) {
		put_b64(f, "client-certificate-data", tls->client_cert);
		put_b64(f, "client-key-data", tls->client_key);
	}
	if (fclose(f) != 0 || rename(tmp, path) != 0) {
		fprintf(stderr, "kubesim: %s: %s\n", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* The auth flags: --token and --client-ca lock anonymous out unless told otherwise (as
 * kubesim always did); under RBAC without either, the kubeconfig gets a generated
 * administrator token, since an empty user would be anonymous. */
static struct auth *auth_setup(struct store *st, struct flags *fl, char *err, size_t errlen)
{
	unsigned char rnd[32];

	if (!fl->anonymous_set)
		fl->ao.anonymous = !fl->so.token && !fl->so.client_ca;
	if (fl->ao.rbac && !fl->so.token && !fl->so.client_ca) {
		if (fl->admin_token[0]) /* kept by --state */
			goto have;
		if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
			snprintf(err, errlen, "cannot generate the administrator token");
			return NULL;
		}
		for (size_t i = 0; i < sizeof(rnd); i++)
			snprintf(fl->admin_token + 2 * i, 3, "%02x", rnd[i]);
have:
		fl->so.token = fl->admin_token;
	}
	fl->ao.admin_token = fl->so.token;
	return auth_new(st, &fl->ao, err, errlen);
}

/* The certificates (made at start, or kept beside --state) and, with --state, the
 * administrator token kept from the last run. */
static int pki_setup(struct flags *fl, struct tls_material *tls, char *err, size_t errlen)
{
	char path[4096];
	int got = 0;

	if (fl->state) {
		snprintf(path, sizeof(path), "%s.pki", fl->state);
		got = pki_load(path, tls, fl->admin_token, sizeof(fl->admin_token), err, errlen);
		if (got < 0)
			return -1;
	}
	if (got && (!tls->ca_cert || (fl->so.client_ca && !tls->client_cert))) {
		tls_material_dispose(tls); /* made without them: make new ones */
		got = 0;
	}
	if (!got && fl->so.tls && tls_generate(tls, fl->so.client_ca, err, errlen) < 0)
		return -1;
	return 0;
}

static int pki_keep(const struct flags *fl, const struct tls_material *tls, char *err,
		    size_t errlen)
{
	char path[4096];

	if (!fl->state)
		return 0;
	snprintf(path, sizeof(path), "%s.pki", fl->state);
	return pki_save(path, tls, fl->so.token == fl->admin_token ? fl->admin_token : "", err,
			errlen);
}

/* Waits for SIGTERM/SIGINT; meanwhile saves the state at most every 100 ms after a
 * write (debounced: a burst of writes costs one save). */
static void run_until_signal(struct store *st, const char *state, struct auth *auth)
{
	uint64_t saved = store_rv(st);
	struct timespec ts = {0, 100 * 1000000L};
	sigset_t set;
	char err[512];

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		int sig = sigtimedwait(&set, NULL, &ts);

		if (sig == SIGHUP)
			auth_request_reload(auth); /* the next request re-reads --users */

		if (state && store_rv(st) != saved) {
			uint64_t rv = store_rv(st);

			if (store_save(st, state, err, sizeof(err)) < 0)
				fprintf(stderr, "kubesim: save state: %s\n", err);
			else
				saved = rv;
		}
		if (sig == SIGTERM || sig == SIGINT)
			return;
	}
}

/* Signals go to the main thread only; block them before any thread starts. */
static void signals_block(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

struct sim {
	struct tls_material tls;
	struct store *st;
	struct auth *auth;
	struct server *srv;
	char url[300];
};

/* A new store, with the objects of --state when given. */
static struct store *store_open(const struct flags *fl)
{
	struct store *st = store_new(&fl->cfg);
	char err[512];

	if (!st) {
		fprintf(stderr, "kubesim: out of memory\n");
		return NULL;
	}
	if (fl->state && store_load(st, fl->state, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: --state: %s\n", err);
		store_free(st);
		return NULL;
	}
	return st;
}

/* The store (loaded from --state), TLS material, authentication, the controllers and
 * the listener, in that order; then the kubeconfig for them. */
static int sim_start(struct sim *s, struct flags *fl, const char *host)
{
	char err[512];

	if (!(s->st = store_open(fl)))
		return -1;
	if (pki_setup(fl, &s->tls, err, sizeof(err)) < 0 ||
	    !(s->auth = fl->so.auth = auth_setup(s->st, fl, err, sizeof(err))) ||
	    pki_keep(fl, &s->tls, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: %s\n", err);
		return -1;
	}
	if (controllers_start(s->st) < 0) {
		fprintf(stderr, "kubesim: controllers failed to start\n");
		return -1;
	}
	if (!(s->srv = server_start(s->st, &fl->so, &s->tls, err, sizeof(err)))) {
		fprintf(stderr, "kubesim: %s\n", err);
		return -1;
	}
	snprintf(s->url, sizeof(s->url), "%s://%s:%d", fl->so.tls ? "https" : "http",
		 strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, server_port(s->srv));
	if (fl->kubeconfig_out && write_kubeconfig(fl->kubeconfig_out, s->url, fl, &s->tls) < 0)
		return -1;
	return 0;
}

int main(int argc, char **argv)
{
	struct flags fl = {0};
	struct sim s = {0};
	char host[256], err[512];
	int port, rc = 1;

	if (parse_flags(argc, argv, &fl) < 0 || split_listen(fl.listen, host, sizeof(host), &port) < 0)
		return 2;
	/* Large list bodies come and go all the time: keep freed memory in the heap
	 * instead of paying mmap/munmap and page faults for each response. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	fl.so.host = host;
	fl.so.port = port;
	signals_block();
	oom_install();
	if (sim_start(&s, &fl, host) < 0)
		goto out;
	printf("kubesim listening on %s\n", s.url);
	fflush(stdout);
	run_until_signal(s.st, fl.state, s.auth);
	rc = 0;
out:
	server_stop(s.srv);
	controllers_stop();
	if (fl.state && s.st && rc == 0 && store_save(s.st, fl.state, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: save state: %s\n", err);
		rc = 1;
	}
	store_free(s.st);
	auth_free(s.auth);
	tls_material_dispose(&s.tls);
	return rc;
}
