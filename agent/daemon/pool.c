/*
 * pool: the workers. The loop thread (daemon.c) hands due apps out in sched.c's order,
 * never more than there are idle workers, so an app that becomes due (or a webhook)
 * meanwhile is not stuck behind a long queue; each worker checks its app (loop.c) and
 * returns it. An app is busy from the moment it is handed out until its worker is
 * done; a reload or a stop takes back what no worker started and waits for the rest,
 * so the apps array is never swapped (or freed) under a worker.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"

/* A Git cache on disk: one per repository URL and cache directory. */
struct pool_git {
	char *key;
	pthread_mutex_t mu;
};

static void *worker(void *arg)
{
	struct daemon *d = arg;

	pthread_mutex_lock(&d->mu);
	for (;;) {
		struct pool_job job;

		while (!d->n_jobs && !d->quit)
			pthread_cond_wait(&d->work, &d->mu);
		if (!d->n_jobs)
			break;
		job = d->jobs[0];
		memmove(d->jobs, d->jobs + 1, --d->n_jobs * sizeof(*d->jobs));
		pthread_mutex_unlock(&d->mu);
		loop_tick(d, job.a, job.full);
		daemon_session_done(d, job.a);
		pthread_mutex_lock(&d->mu);
		job.a->busy = false;
		d->busy--;
		pthread_cond_broadcast(&d->cv);
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

int pool_start(struct daemon *d, size_t n, struct err *e)
{
	if (!(d->threads = calloc(n, sizeof(*d->threads))) ||
	    !(d->jobs = calloc(n, sizeof(*d->jobs))))
		return err_set(e, TE_NOMEM, "out of memory");
	for (; d->n_threads < n; d->n_threads++)
		if (pthread_create(&d->threads[d->n_threads], NULL, worker, d) != 0)
			return err_set(e, TE_FAIL, "cannot start worker %zu", d->n_threads + 1);
	return 0;
}

void pool_stop(struct daemon *d)
{
	pthread_mutex_lock(&d->mu);
	d->quit = true;
	pthread_cond_broadcast(&d->work);
	pthread_mutex_unlock(&d->mu);
	for (size_t i = 0; i < d->n_threads; i++)
		pthread_join(d->threads[i], NULL);
	free(d->threads);
	free(d->jobs);
	free(d->sched);
	free(d->keys);
	free(d->order);
	for (size_t i = 0; i < d->n_git_locks; i++) {
		pthread_mutex_destroy(&d->git_locks[i]->mu);
		free(d->git_locks[i]->key);
		free(d->git_locks[i]);
	}
	free(d->git_locks);
}

static bool may_sync(struct daemon *d)
{
	return !d->leader || leader_is_leader(d->leader);
}

/* The loop's scratch for n apps (mu held). */
static int sched_reserve(struct daemon *d, size_t n)
{
	size_t cap = d->cap_sched;

	if (n <= cap)
		return 0;
	if (array_reserve(&d->sched, &cap, n, sizeof(*d->sched)) < 0)
		return TE_NOMEM;
	cap = d->cap_sched;
	if (array_reserve(&d->keys, &cap, n, sizeof(*d->keys)) < 0)
		return TE_NOMEM;
	cap = d->cap_sched;
	if (array_reserve(&d->order, &cap, n, sizeof(*d->order)) < 0)
		return TE_NOMEM;
	d->cap_sched = cap;
	return 0;
}

bool pool_dispatch(struct daemon *d, int64_t now, int64_t *wait_ms)
{
	size_t idle = d->n_threads - d->busy, k;

	*wait_ms = SCHED_IDLE_MS;
	if (!idle || !may_sync(d) || sched_reserve(d, d->n_apps) < 0)
		return false;
	for (size_t i = 0; i < d->n_apps; i++) {
		const struct daemon_app *a = &d->apps[i];

		/* another replica's app (--shard-apps) is left alone, as a busy one */
		d->sched[i] = (struct sched_app){.busy = a->busy || !shard_owns(d, a),
						 .triggered = a->triggered,
						 .triggered_ms = a->triggered_ms,
						 .due = a->busy ? 0 : daemon_app_due(a)};
	}
	k = sched_order(d->sched, d->n_apps, now, d->keys, d->order, wait_ms);
	for (size_t i = 0; i < k && i < idle; i++) {
		struct daemon_app *a = &d->apps[d->order[i]];

		d->jobs[d->n_jobs++] =
		    (struct pool_job){a, a->triggered || a->next_ms <= now, a->triggered};
		a->triggered = false;
		a->busy = true;
		d->busy++;
	}
	if (k)
		pthread_cond_broadcast(&d->work);
	return k > 0;
}

void pool_drain(struct daemon *d)
{
	for (size_t i = 0; i < d->n_jobs; i++) {
		d->jobs[i].a->busy = false; /* its times are unchanged: still due */
		d->jobs[i].a->triggered = d->jobs[i].triggered;
		d->busy--;
	}
	d->n_jobs = 0;
	while (d->busy)
		cond_wait_ms(&d->cv, &d->mu, SCHED_IDLE_MS);
}

static char *git_key(const struct app_config *c)
{
	return xasprintf("%s\n%s", c->cache_dir ? c->cache_dir : "", c->repo ? c->repo : "");
}

/* The lock of c's cache, made on first use (mu held); NULL when memory ran out. */
static struct pool_git *git_find(struct daemon *d, const char *key)
{
	struct pool_git *g;

	for (size_t i = 0; i < d->n_git_locks; i++)
		if (!strcmp(d->git_locks[i]->key, key))
			return d->git_locks[i];
	if (array_reserve(&d->git_locks, &d->cap_git_locks, d->n_git_locks + 1,
			  sizeof(*d->git_locks)) < 0 ||
	    !(g = calloc(1, sizeof(*g))))
		return NULL;
	if (!(g->key = strdup(key))) {
		free(g);
		return NULL;
	}
	pthread_mutex_init(&g->mu, NULL);
	d->git_locks[d->n_git_locks++] = g;
	return g;
}

/* A lock that cannot be made (out of memory) is skipped: Git's own lock files then
 * refuse a concurrent update, which the check reports as an error and retries. */
struct pool_git *pool_git_lock(struct daemon *d, const struct app_config *c)
{
	char *key = git_key(c);
	struct pool_git *g;

	if (!key)
		return NULL;
	pthread_mutex_lock(&d->mu);
	g = git_find(d, key);
	pthread_mutex_unlock(&d->mu);
	free(key);
	if (g)
		pthread_mutex_lock(&g->mu);
	return g;
}

void pool_git_unlock(struct pool_git *g)
{
	if (g)
		pthread_mutex_unlock(&g->mu);
}
