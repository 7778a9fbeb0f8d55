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
	"  --faults SPEC           e.g. 500=0.05,503=0.05,429=0.05,reset=0.02\n"
	"                          (resource requests only; never /version, discovery, /metrics)\n"
	"  --faults-while FILE     inject the faults only while FILE exists\n"
	"  --faults-methods LIST   inject the faults only on these methods (PATCH,POST)\n"
	"  --seed N                seed for faults and controllers\n"
	"  --pod-ready-ms N        delay before simulated pods become ready (default 200)\n"
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

static int parse_faults(const char *spec, struct server_opts *o)
{
	char buf[512], *save = NULL, *tok;

	snprintf(buf, sizeof(buf), "%s", spec);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char *eq = strchr(tok, '='), *end;
		double p;

		if (!eq)
			goto bad;
		*eq = '\0';
		p = strtod(eq + 1, &end);
		if (*end || p < 0 || p > 1)
			goto bad;
		if (strcmp(tok, "500") == 0)
			o->p500 = p;
		else if (strcmp(tok, "503") == 0)
			o->p503 = p;
		else if (strcmp(tok, "429") == 0)
			o->p429 = p;
		else if (strcmp(tok, "reset") == 0)
			o->preset = p;
		else
			goto bad;
	}
	if (o->p500 + o->p503 + o->p429 + o->preset > 1)
		goto bad;
	return 0;
bad:
	fprintf(stderr, "kubesim: --faults: invalid spec \"%s\" (want e.g. 500=0.05,reset=0.02)\n",
		spec);
	return -1;
}

static int parse_flags(int argc, char **argv, struct flags *f)
{
	long v;
	int i;

	f->listen = "127.0.0.1:0";
	f->cfg.pod_ready_ms = 200;
	/* As kube-apiserver's secure port: HTTPS and RBAC. kubectl (client-go) reads a
	 * kubeconfig's credentials only for an https server, so plain HTTP is opt-in. */
	f->so.tls = true;
	f->ao.rbac = true;
	for (i = 1; i < argc; i++) {
		const char *a = argv[i], *val = i + 1 < argc ? argv[i + 1] : NULL;
		bool takes = true;

		if (strcmp(a, "--tls") == 0) {
			f->so.tls = true;
			takes = false;
		} else if (strcmp(a, "--http") == 0) {
			f->so.tls = false;
			takes = false;
		} else if (strcmp(a, "--client-ca") == 0) {
			f->so.client_ca = true;
			takes = false;
		} else if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) {
			fputs(usage, stdout);
			exit(0);
		} else if (!val) {
			fprintf(stderr, "kubesim: %s: missing value or unknown flag\n%s", a, usage);
			return -1;
		} else if (strcmp(a, "--listen") == 0)
			f->listen = val;
		else if (strcmp(a, "--kubeconfig-out") == 0)
			f->kubeconfig_out = val;
		else if (strcmp(a, "--token") == 0)
			f->so.token = val;
		else if (strcmp(a, "--users") == 0)
			f->ao.users_file = val;
		else if (strcmp(a, "--authorization-mode") == 0) {
			if (strcmp(val, "RBAC") != 0 && strcmp(val, "AlwaysAllow") != 0) {
				fprintf(stderr, "kubesim: --authorization-mode: want AlwaysAllow or RBAC\n");
				return -1;
			}
			f->ao.rbac = strcmp(val, "RBAC") == 0;
		} else if (strcmp(a, "--anonymous-auth") == 0) {
			if (strcmp(val, "true") != 0 && strcmp(val, "false") != 0) {
				fprintf(stderr, "kubesim: --anonymous-auth: want true or false\n");
				return -1;
			}
			f->ao.anonymous = strcmp(val, "true") == 0;
			f->anonymous_set = true;
		}
		else if (strcmp(a, "--state") == 0)
			f->state = val;
		else if (strcmp(a, "--faults") == 0) {
			if (parse_faults(val, &f->so) < 0)
				return -1;
		} else if (strcmp(a, "--faults-while") == 0)
			f->so.faults_while = val;
		else if (strcmp(a, "--faults-methods") == 0)
			f->so.faults_methods = val;
		else if (strcmp(a, "--latency") == 0) {
			if (parse_int(a, val, 0, 60000, &v) < 0)
				return -1;
			f->so.latency_ms = (int)v;
		} else if (strcmp(a, "--seed") == 0) {
			if (parse_int(a, val, 0, 0x7fffffffL, &v) < 0)
				return -1;
			f->so.seed = f->cfg.seed = (uint64_t)v;
		} else if (strcmp(a, "--pod-ready-ms") == 0) {
			if (parse_int(a, val, 0, 3600000, &v) < 0)
				return -1;
			f->cfg.pod_ready_ms = (int)v;
		} else if (strcmp(a, "--fail-images") == 0)
			snprintf(f->cfg.fail_images, sizeof(f->cfg.fail_images), "%s", val);
		else {
			fprintf(stderr, "kubesim: unknown flag %s\n%s", a, usage);
			return -1;
		}
		if (takes)
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

int main(int argc, char **argv)
{
	struct flags fl = {0};
	struct tls_material tls = {0};
	struct store *st = NULL;
	struct server *srv = NULL;
	struct auth *auth = NULL;
	char host[256], url[300], err[512];
	sigset_t set;
	int port, rc = 1;

	if (parse_flags(argc, argv, &fl) < 0 || split_listen(fl.listen, host, sizeof(host), &port) < 0)
		return 2;
	/* Large list bodies come and go all the time: keep freed memory in the heap
	 * instead of paying mmap/munmap and page faults for each response. */
	mallopt(M_MMAP_THRESHOLD, 64 << 20);
	mallopt(M_TRIM_THRESHOLD, 256 << 20);
	fl.so.host = host;
	fl.so.port = port;
	/* Signals go to the main thread only; block them before any thread starts. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	oom_install();
	st = store_new(&fl.cfg);
	if (!st) {
		fprintf(stderr, "kubesim: out of memory\n");
		goto out;
	}
	if (fl.state && store_load(st, fl.state, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: --state: %s\n", err);
		goto out;
	}
	if (pki_setup(&fl, &tls, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: %s\n", err);
		goto out;
	}
	auth = auth_setup(st, &fl, err, sizeof(err));
	if (!auth || pki_keep(&fl, &tls, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: %s\n", err);
		goto out;
	}
	fl.so.auth = auth;
	if (controllers_start(st) < 0) {
		fprintf(stderr, "kubesim: controllers failed to start\n");
		goto out;
	}
	srv = server_start(st, &fl.so, &tls, err, sizeof(err));
	if (!srv) {
		fprintf(stderr, "kubesim: %s\n", err);
		goto out;
	}
	snprintf(url, sizeof(url), "%s://%s:%d", fl.so.tls ? "https" : "http",
		 strcmp(host, "localhost") == 0 ? "127.0.0.1" : host, server_port(srv));
	if (fl.kubeconfig_out && write_kubeconfig(fl.kubeconfig_out, url, &fl, &tls) < 0)
		goto out;
	printf("kubesim listening on %s\n", url);
	fflush(stdout);
	run_until_signal(st, fl.state, auth);
	rc = 0;
out:
	server_stop(srv);
	controllers_stop();
	if (fl.state && st && rc == 0 && store_save(st, fl.state, err, sizeof(err)) < 0) {
		fprintf(stderr, "kubesim: save state: %s\n", err);
		rc = 1;
	}
	store_free(st);
	auth_free(auth);
	tls_material_dispose(&tls);
	return rc;
}
