/*
 * daemon: the agent's life. Starts the listener, the signal thread, (with
 * --leader-elect) the election or (with --shard-apps) the membership (shard.c), and the
 * workers (pool.c), then runs the scheduler on
 * the calling thread: hand the apps that are due (webhooks first) to the idle
 * workers, sleep on a condition variable until the next one is due, a worker is done
 * or something wakes it. SIGTERM lets the checks in flight finish and exits; if that takes longer than the grace period the process
 * exits anyway (applies are idempotent and the inventory is written after applying,
 * so an interrupted sync loses nothing). SIGHUP reloads the configuration once the
 * checks in flight are done, and swaps it in only when it loaded without error.
 */
#include <stdio.h>
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "daemon_int.h"
#include "log.h"
#include "notify.h"

#define SHUTDOWN_GRACE_MS 5000
#define NOTIFY_DRAIN_MS 3000 /* what the notifier may still deliver after SIGTERM */

static int read_secret(const char *file, char **out, struct err *e)
{
	*out = NULL;
	if (file && secret_read(file, out, e) < 0)
		return err_prefix(e, "webhook secret");
	return 0;
}

static void set_log_format(const struct app_config *c)
{
	log_configure(c->log_format && !strcmp(c->log_format, "json") ? LOG_JSON : LOG_LOGFMT,
		      LOG_INFO);
}

static void app_init_state(struct daemon_app *a)
{
	snprintf(a->st.app, sizeof(a->st.app), "%s", a->cfg.app);
	snprintf(a->st.state, sizeof(a->st.state), "pending");
	snprintf(a->st.health, sizeof(a->st.health), "unknown");
	a->next_ms = now_ms();
}

/* New app states for cfgs; an app of the same name keeps its state and caches. */
static struct daemon_app *carry_over(struct daemon *d, struct app_config *cfgs, size_t n)
{
	struct daemon_app *apps = calloc(n ? n : 1, sizeof(*apps));

	for (size_t i = 0; apps && i < n; i++) {
		struct daemon_app *a = &apps[i];

		for (size_t j = 0; j < d->n_apps; j++) {
			struct daemon_app *old = &d->apps[j];
			if (!old->cfg.app || strcmp(old->cfg.app, cfgs[i].app) != 0)
				continue;
			*a = *old;
			/* The session is opened again from the new settings: a token rotated
			 * in the URL's userinfo (or a new key, user or token file) must reach
			 * the credential callback, a changed kubeconfig must be read. Opening a
			 * cache is cheap; the cluster's client is made again once. */
			session_free(a->sess);
			a->sess = NULL;
			a->cluster = a->own_cluster = NULL; /* the clusters are made again too */
			app_config_dispose(&a->cfg);
			memset(old, 0, sizeof(*old));
			break;
		}
		a->cfg = cfgs[i];
		memset(&cfgs[i], 0, sizeof(cfgs[i]));
		if (!a->st.app[0])
			app_init_state(a);
		a->failed[0] = '\0';
		a->next_ms = now_ms();
	}
	return apps;
}

static void apps_free(struct daemon_app *apps, size_t n)
{
	for (size_t i = 0; apps && i < n; i++)
		daemon_app_dispose(&apps[i]);
	free(apps);
}

static int load_apps(struct daemon *d, struct err *e)
{
	struct app_config *cfgs = NULL;
	struct daemon_app *apps, *old;
	struct remotes *remotes = NULL;
	size_t n = 0, n_old;
	char *secret = NULL;
	int rc;

	if ((rc = d->opts->load(d->opts->load_ctx, &cfgs, &n, e)) < 0 ||
	    (rc = read_secret(n ? cfgs[0].webhook_secret_file : NULL, &secret, e)) < 0)
		goto fail;
	if (!(remotes = remotes_new())) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto fail;
	}
	pthread_mutex_lock(&d->mu);
	if (!(apps = carry_over(d, cfgs, n))) {
		pthread_mutex_unlock(&d->mu);
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto fail;
	}
	old = d->apps;
	n_old = d->n_apps;
	d->apps = apps;
	d->n_apps = n;
	free(d->secret);
	d->secret = secret;
	pthread_mutex_unlock(&d->mu);
	apps_free(old, n_old);
	daemon_clusters_free(d); /* no session borrows a client now */
	remotes_free(d->remotes); /* asked again with the new settings (rotated tokens) */
	d->remotes = remotes;
	if (n)
		set_log_format(&apps[0].cfg);
	for (size_t i = 0; i < n; i++)
		app_config_dispose(&cfgs[i]);
	free(cfgs);
	return 0;
fail:
	for (size_t i = 0; i < n; i++)
		app_config_dispose(&cfgs[i]);
	free(cfgs);
	free(secret);
	remotes_free(remotes);
	return rc;
}

static void wait_ms(struct daemon *d, int64_t ms)
{
	cond_wait_ms(&d->cv, &d->mu, ms);
}

static void do_reload(struct daemon *d)
{
	struct err e;

	err_clear(&e);
	log_kv(LOG_INFO, "reloading configuration", NULL);
	if (load_apps(d, &e) < 0)
		log_kv(LOG_ERROR, "reload failed; keeping the running configuration", "error",
		       e.msg, NULL);
	else
		log_kv(LOG_INFO, "configuration reloaded", NULL);
}

/* The scheduler. The apps being checked stay in place: a reload waits for them. */
static void run_loop(struct daemon *d)
{
	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		int64_t wait;

		if (d->reload) {
			pool_drain(d);
			if (d->stop)
				break;
			d->reload = false;
			pthread_mutex_unlock(&d->mu);
			do_reload(d);
			pthread_mutex_lock(&d->mu);
			continue;
		}
		if (!pool_dispatch(d, now_ms(), &wait))
			wait_ms(d, wait > 0 ? wait : 1);
	}
	pool_drain(d);
	pthread_mutex_unlock(&d->mu);
}

static void wake(void *ctx)
{
	struct daemon *d = ctx;

	pthread_mutex_lock(&d->mu);
	/* A new leader checks every app now: pushes may have come while nobody led. A
	 * busy app's times are its worker's: it is checked again when it is back. */
	for (size_t i = 0; i < d->n_apps; i++) {
		if (!d->apps[i].busy) {
			d->apps[i].next_ms = now_ms();
		} else if (!d->apps[i].triggered) {
			d->apps[i].triggered = true;
			d->apps[i].triggered_ms = now_ms();
		}
	}
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

/* Waits for signals; after SIGTERM, gives the loop SHUTDOWN_GRACE_MS to finish. */
static void *signal_thread(void *arg)
{
	struct daemon *d = arg;
	sigset_t set;
	int sig = 0;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	for (;;) {
		if (sigwait(&set, &sig) != 0)
			continue;
		pthread_mutex_lock(&d->mu);
		if (d->done) {
			pthread_mutex_unlock(&d->mu);
			return NULL;
		}
		if (sig == SIGHUP) {
			d->reload = true;
			pthread_cond_broadcast(&d->cv);
			pthread_mutex_unlock(&d->mu);
			continue;
		}
		d->stop = true;
		pthread_cond_broadcast(&d->cv);
		break;
	}
	log_kv(LOG_INFO, "shutting down", "signal", sig == SIGINT ? "SIGINT" : "SIGTERM", NULL);
	{
		int64_t end = now_ms() + SHUTDOWN_GRACE_MS;
		while (!d->done && now_ms() < end)
			wait_ms(d, end - now_ms());
	}
	if (!d->done) {
		log_kv(LOG_WARN, "sync still running after the grace period; exiting", NULL);
		_exit(0);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

static int daemon_init(struct daemon *d, const struct daemon_opts *o)
{
	char host[256] = "tether";

	memset(d, 0, sizeof(*d));
	d->opts = o;
	gitsrc_hold(); /* the workers' libgit2 state lives as long as they do */
	pthread_mutex_init(&d->mu, NULL);
	pthread_mutex_init(&d->clusters_mu, NULL);
	cond_init_monotonic(&d->cv);
	pthread_cond_init(&d->work, NULL);
	gethostname(host, sizeof(host) - 1);
	snprintf(d->identity, sizeof(d->identity), "%s_%d", host, (int)getpid());
	d->rand = (uint64_t)now_ms() * 2654435761u ^ (uint64_t)getpid();
	if (!d->rand)
		d->rand = 1;
	return 0;
}

static void daemon_dispose(struct daemon *d)
{
	http_stop(d);
	pool_stop(d); /* idle: run_loop drained it */
	leader_stop(d->leader);
	shard_stop(d->shard); /* after the loop: no sync holds an app Lease now */
	notifier_free(d->notifier, NOTIFY_DRAIN_MS);
	apps_free(d->apps, d->n_apps);
	daemon_clusters_free(d);
	remotes_free(d->remotes);
	control_cache_free(d->control);
	free(d->secret);
	gitsrc_release();
	pthread_cond_destroy(&d->work);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->clusters_mu);
	pthread_mutex_destroy(&d->mu);
}

/* The election first: the HTTP thread reads d->leader, which must not change under it. */
static int start_services(struct daemon *d, struct err *e)
{
	const struct app_config *c = &d->apps[0].cfg;
	char url[128], msg[160];
	int rc;

	if (c->leader_elect && c->shard_apps)
		return err_set(e, TE_INPUT, "--shard-apps and --leader-elect exclude each other: "
					    "replicas either share the apps or stand by");
	if (c->leader_elect && (rc = leader_start(&d->leader, c, d->identity, wake, d, e)) < 0)
		return err_prefix(e, "leader election");
	if (c->shard_apps && (rc = shard_start(&d->shard, c, d->identity, shard_changed, d, e)) < 0)
		return err_prefix(e, "shard-apps");
	if ((rc = pool_start(d, (size_t)c->workers, e)) < 0 ||
	    (rc = http_start(d, c->listen, url, sizeof(url), e)) < 0)
		return rc;
	snprintf(msg, sizeof(msg), "listening on %s", url);
	log_kv(LOG_INFO, msg, NULL);
	if (d->opts->listening)
		d->opts->listening(url, d->opts->load_ctx);
	return 0;
}

int daemon_run(const struct daemon_opts *o, struct err *e)
{
	struct daemon d;
	pthread_t sig_thread;
	sigset_t set;
	int rc;

	daemon_init(&d, o);
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL); /* every thread started from here inherits it */
	signal(SIGPIPE, SIG_IGN);
	if (!(d.control = control_cache_new())) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = notifier_new(&d.notifier, e)) < 0 || (rc = load_apps(&d, e)) < 0)
		goto out;
	if (d.n_apps == 0) {
		rc = err_set(e, TE_INPUT, "no apps to run");
		goto out;
	}
	if ((rc = start_services(&d, e)) < 0)
		goto out;
	if (pthread_create(&sig_thread, NULL, signal_thread, &d) != 0) {
		rc = err_set(e, TE_FAIL, "cannot start the signal thread");
		goto out;
	}
	{
		char n[LOG_NUM_LEN];
		char w[LOG_NUM_LEN];
		log_kv(LOG_INFO, "agent started", "apps", log_num(n, (double)d.n_apps), "workers",
		       log_num(w, (double)d.n_threads), "identity", d.identity, NULL);
	}
	run_loop(&d);
	pthread_mutex_lock(&d.mu);
	d.done = true;
	pthread_cond_broadcast(&d.cv);
	pthread_mutex_unlock(&d.mu);
	pthread_kill(sig_thread, SIGTERM); /* wakes sigwait if no signal came */
	pthread_join(sig_thread, NULL);
	log_kv(LOG_INFO, "stopped", NULL);
out:
	daemon_dispose(&d);
	return rc;
}
