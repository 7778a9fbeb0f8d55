/*
 * remotes: the agent asks each Git remote once per round, however many apps read it.
 * A monorepo with a thousand paths is a thousand apps on one remote; each would ask
 * for the same head (an ls-remote) and fetch the same commit. Here one entry per
 * remote (URL, credentials and cache directory: apps with other tokens never share)
 * owns one gitsrc for the network and the answers it got, per ref, with the time they
 * were asked. The first app of a round asks; the others wait on the entry's lock and
 * take that answer (an error too: an unreachable remote is asked once, not by every
 * app). The caller says how old an answer it accepts: a webhook push, a reconcile
 * request or the app's own interval. Thread-safe: the table and each entry have a
 * lock, and a gitsrc is only used under its entry's.
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "daemon_int.h"

struct remote_answer {
	char *ref; /* "" for the remote's HEAD */
	int64_t asked_ms; /* monotonic time the question was sent */
	char sha[41];
	int code; /* 0, or the error's code with its message */
	char *msg;
};

struct remote {
	char *key;
	pthread_mutex_t mu; /* held while asking: the others wait for the answer */
	struct gitsrc *git;
	struct remote_answer *answers;
	size_t n_answers, cap_answers;
};

struct remotes {
	pthread_mutex_t mu; /* the table */
	struct remote **items;
	size_t n, cap;
	unsigned long asked; /* questions sent to remotes, for tests */
};

struct remotes *remotes_new(void)
{
	struct remotes *rs = calloc(1, sizeof(*rs));

	if (rs)
		pthread_mutex_init(&rs->mu, NULL);
	return rs;
}

static void remote_free(struct remote *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->n_answers; i++) {
		free(r->answers[i].ref);
		free(r->answers[i].msg);
	}
	free(r->answers);
	gitsrc_free(r->git);
	if (r->key)
		explicit_bzero(r->key, strlen(r->key)); /* the URL may hold a token */
	free(r->key);
	pthread_mutex_destroy(&r->mu);
	free(r);
}

void remotes_free(struct remotes *rs)
{
	if (!rs)
		return;
	for (size_t i = 0; i < rs->n; i++)
		remote_free(rs->items[i]);
	free(rs->items);
	pthread_mutex_destroy(&rs->mu);
	free(rs);
}

/* Everything that makes two apps' Git different: where, as whom, into which cache. */
static char *remote_key(const struct app_config *c)
{
	const char *none = "\x1e";

	return xasprintf("%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%s\x1f%d", c->repo,
			 c->cache_dir ? c->cache_dir : none,
			 c->git_username ? c->git_username : none,
			 c->git_token_env ? c->git_token_env : none,
			 c->git_token_file ? c->git_token_file : none,
			 c->ssh_key ? c->ssh_key : none, c->known_hosts ? c->known_hosts : none,
			 (int)c->git_insecure);
}

/* The entry for c's remote, made on first use (rs->mu held). */
static int remote_find(struct remotes *rs, const struct app_config *c, struct remote **out,
		       struct err *e)
{
	struct gitsrc_opts o;
	struct remote *r;
	char *key = remote_key(c);
	int rc;

	*out = NULL;
	if (!key)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < rs->n; i++)
		if (!strcmp(rs->items[i]->key, key)) {
			*out = rs->items[i];
			explicit_bzero(key, strlen(key));
			free(key);
			return 0;
		}
	if (!(r = calloc(1, sizeof(*r))) ||
	    array_reserve(&rs->items, &rs->cap, rs->n + 1, sizeof(*rs->items)) < 0) {
		free(r);
		explicit_bzero(key, strlen(key));
		free(key);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	r->key = key;
	pthread_mutex_init(&r->mu, NULL);
	session_git_opts(c, &o);
	if ((rc = gitsrc_open(&r->git, &o, e)) < 0) {
		remote_free(r);
		return rc;
	}
	rs->items[rs->n++] = r;
	*out = r;
	return 0;
}

/* The answer slot for ref (r->mu held); NULL when memory runs out. */
static struct remote_answer *answer_slot(struct remote *r, const char *ref)
{
	struct remote_answer *a;

	for (size_t i = 0; i < r->n_answers; i++)
		if (!strcmp(r->answers[i].ref, ref))
			return &r->answers[i];
	if (array_reserve(&r->answers, &r->cap_answers, r->n_answers + 1, sizeof(*r->answers)) <
	    0)
		return NULL;
	a = &r->answers[r->n_answers];
	*a = (struct remote_answer){.ref = strdup(ref), .asked_ms = INT64_MIN};
	if (!a->ref)
		return NULL;
	r->n_answers++;
	return a;
}

/* Asks the remote and keeps the answer (r->mu held). */
static void remote_ask(struct remotes *rs, struct remote *r, struct remote_answer *a)
{
	struct err e;

	err_clear(&e);
	a->asked_ms = now_ms();
	a->code = gitsrc_resolve(r->git, a->ref[0] ? a->ref : NULL, a->sha, NULL, &e);
	free(a->msg);
	a->msg = a->code < 0 ? strdup(e.msg) : NULL;
	pthread_mutex_lock(&rs->mu);
	rs->asked++;
	pthread_mutex_unlock(&rs->mu);
}

/* NULL, "" and "HEAD" all mean the remote's default branch. */
static const char *ref_key(const char *ref)
{
	return ref && *ref && strcmp(ref, "HEAD") != 0 ? ref : "";
}

int remotes_resolve(struct remotes *rs, const struct app_config *c, int64_t since,
		    struct gitsrc *also, char sha[41], struct err *e)
{
	struct remote_answer *a;
	struct remote *r;
	int rc;

	sha[0] = '\0';
	pthread_mutex_lock(&rs->mu);
	rc = remote_find(rs, c, &r, e);
	pthread_mutex_unlock(&rs->mu);
	if (rc < 0)
		return rc;
	pthread_mutex_lock(&r->mu);
	if (!(a = answer_slot(r, ref_key(c->ref)))) {
		pthread_mutex_unlock(&r->mu);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	if (a->asked_ms < since)
		remote_ask(rs, r, a);
	if ((rc = a->code) < 0) {
		err_set(e, rc, "%s", a->msg ? a->msg : "out of memory");
	} else {
		memcpy(sha, a->sha, 41);
		gitsrc_trust(also, r->git, sha); /* the commit was checked whole once */
	}
	pthread_mutex_unlock(&r->mu);
	return rc;
}

unsigned long remotes_asked(struct remotes *rs)
{
	unsigned long n;

	pthread_mutex_lock(&rs->mu);
	n = rs->asked;
	pthread_mutex_unlock(&rs->mu);
	return n;
}
