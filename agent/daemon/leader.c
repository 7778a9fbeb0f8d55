/*
 * leader: leader election on a coordination.k8s.io/v1 Lease, client-go's algorithm.
 * A candidate reads the Lease every retry period; it takes the lease when nobody holds
 * it or the record has not changed for the lease duration by the candidate's own clock
 * (holders' clocks are never compared). The holder renews every retry period and steps
 * down when it could not renew for the renew deadline. Writes carry the
 * resourceVersion read, so two candidates cannot both win. Own thread and own kube
 * client: a long sync on a worker never delays a renewal.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "daemon_int.h"
#include "jsonedit.h"
#include "jsonget.h"
#include "log.h"

struct leader {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	bool stop, leader, started;
	int64_t last_renew;
	struct lease_seen seen;
	char *ns, *name, *me;
	int64_t lease_ms, renew_ms, retry_ms;
	struct kube_config *kcfg;
	struct kube *kube;
	const struct kube_resource *res;
	cJSON *last; /* the lease as our last write left it: the renewal fast path */
	void (*notify)(void *ctx);
	void *ctx;
};

bool lease_can_acquire(const struct lease_seen *s, const char *me, int64_t now, int64_t lease_ms)
{
	if (!s->holder[0] || strcmp(s->holder, me) == 0)
		return true;
	return now - s->observed_ms > lease_ms;
}

void lease_observe(struct lease_seen *s, const char *holder, const char *renew, int64_t now)
{
	holder = holder ? holder : "";
	renew = renew ? renew : "";
	if (s->observed_ms && strcmp(s->holder, holder) == 0 && strcmp(s->renew, renew) == 0)
		return;
	snprintf(s->holder, sizeof(s->holder), "%s", holder);
	snprintf(s->renew, sizeof(s->renew), "%s", renew);
	s->observed_ms = now;
}

cJSON *lease_body(const struct lease_spec *s, const cJSON *old)
{
	cJSON *o = cJSON_CreateObject(), *md, *spec;
	struct json_build b = {.failed = !o};
	const char *rv = json_str(old, "metadata", "resourceVersion", NULL);
	const char *was = json_str(old, "spec", "holderIdentity", NULL);
	const char *acquired = json_str(old, "spec", "acquireTime", NULL);
	double transitions = cJSON_GetNumberValue(json_get(old, "spec", "leaseTransitions", NULL));
	bool change = !was || strcmp(was, s->holder) != 0;
	char now[64];

	time_rfc3339_micro(now);
	if (transitions != transitions) /* NaN: absent */
		transitions = 0;
	jb_str(&b, o, "apiVersion", "coordination.k8s.io/v1");
	jb_str(&b, o, "kind", "Lease");
	md = jb_object(&b, o, "metadata");
	jb_str(&b, md, "name", s->name);
	jb_str(&b, md, "namespace", s->ns);
	if (rv)
		jb_str(&b, md, "resourceVersion", rv);
	if (s->label_key)
		jb_str(&b, jb_object(&b, md, "labels"), s->label_key, s->label_value);
	spec = jb_object(&b, o, "spec");
	jb_str(&b, spec, "holderIdentity", s->holder);
	jb_num(&b, spec, "leaseDurationSeconds",
				s->release ? 1 : (double)((s->lease_ms + 999) / 1000));
	jb_str(&b, spec, "acquireTime", change || !acquired ? now : acquired);
	jb_str(&b, spec, "renewTime", now);
	/* client-go counts every change of holder, from a released lease too */
	jb_num(&b, spec, "leaseTransitions",
				transitions + (old && change && !s->release ? 1 : 0));
	if (b.failed) {
		cJSON_Delete(o);
		return NULL; /* never a partial Lease */
	}
	return o;
}

int lease_send(struct kube *k, const struct kube_resource *res, const struct lease_spec *s,
	       const cJSON *old, cJSON **resp)
{
	struct kube_req req, *reqs[1] = {&req};
	cJSON *body = lease_body(s, old);
	int rc;

	memset(&req, 0, sizeof(req));
	req.method = old ? "PUT" : "POST";
	req.path = kube_path(res, s->ns, old ? s->name : NULL, NULL);
	req.body = cJSON_PrintUnformatted(body);
	cJSON_Delete(body);
	if (!req.path || !req.body)
		rc = TE_NOMEM;
	else if ((rc = kube_run(k, reqs, 1, NULL, NULL)) == 0)
		rc = req.status >= 200 && req.status < 300 ? 0
		     : req.status == 404		       ? TE_NOTFOUND
							       : TE_CONFLICT;
	if (rc == 0 && resp) {
		*resp = req.resp;
		req.resp = NULL;
	}
	kube_req_dispose(&req);
	return rc;
}

/* Writes the lease; 0 when the server took it, and l->last then holds what it
 * answered. */
static int lease_write(struct leader *l, const cJSON *old, const char *holder, bool release)
{
	const struct lease_spec s = {l->ns, l->name, holder, l->lease_ms, release, NULL, NULL};
	cJSON *resp = NULL;
	int rc = lease_send(l->kube, l->res, &s, old, &resp);

	cJSON_Delete(l->last); /* after the send: old may be l->last */
	l->last = rc == 0 && !release ? resp : NULL;
	if (l->last != resp)
		cJSON_Delete(resp);
	return rc;
}

/* One round: read the lease, take or renew it when allowed. True when we hold it. */
static bool try_acquire(struct leader *l)
{
	cJSON *lease = NULL;
	struct err e;
	bool held = false;
	int rc;

	/* Fast path: the holder renews what it wrote last; a 409 sends it the slow way. */
	if (l->last && lease_write(l, l->last, l->me, false) == 0)
		return true;
	err_clear(&e);
	rc = kube_get(l->kube, l->res, l->ns, l->name, &lease, &e);
	if (rc == TE_NOTFOUND)
		held = lease_write(l, NULL, l->me, false) == 0;
	else if (rc == 0) {
		lease_observe(&l->seen, json_str(lease, "spec", "holderIdentity", NULL),
			      json_str(lease, "spec", "renewTime", NULL), now_ms());
		if (lease_can_acquire(&l->seen, l->me, now_ms(), l->lease_ms))
			held = lease_write(l, lease, l->me, false) == 0;
	}
	cJSON_Delete(lease);
	return held;
}

static void set_leader(struct leader *l, bool leader)
{
	pthread_mutex_lock(&l->mu);
	bool changed = l->leader != leader;
	l->leader = leader;
	pthread_mutex_unlock(&l->mu);
	if (!changed)
		return;
	log_kv(leader ? LOG_INFO : LOG_WARN, leader ? "became leader" : "lost leadership", "lease",
	       l->name, "namespace", l->ns, "identity", l->me, NULL);
	if (l->notify)
		l->notify(l->ctx);
}

static void *leader_thread(void *arg)
{
	struct leader *l = arg;

	for (;;) {
		int64_t wait;
		bool held = try_acquire(l), was;

		pthread_mutex_lock(&l->mu);
		was = l->leader;
		if (held)
			l->last_renew = now_ms();
		pthread_mutex_unlock(&l->mu);
		if (held)
			set_leader(l, true);
		else if (was && now_ms() - l->last_renew > l->renew_ms)
			set_leader(l, false);
		pthread_mutex_lock(&l->mu);
		wait = l->leader ? l->retry_ms : l->retry_ms + l->retry_ms / 5;
		if (!l->stop)
			cond_wait_ms(&l->cv, &l->mu, wait);
		if (l->stop) {
			pthread_mutex_unlock(&l->mu);
			return NULL;
		}
		pthread_mutex_unlock(&l->mu);
	}
}

int lease_connect(const struct app_config *c, struct kube_config **kcfg, struct kube **kube,
		  char **ns, const struct kube_resource **res, struct err *e)
{
	/* Its own client: the Leases are renewed on their own thread, and a renewal must
	 * not wait behind retries (one attempt, 5 s). */
	const struct kube_opts o = {.parallel = 2, .timeout_ms = 5000, .retries = -1};
	int rc;

	if ((rc = session_connect_own(c, &o, kcfg, kube, e)) < 0)
		return rc;
	if (!(*ns = xstrdup(c->lease_namespace	     ? c->lease_namespace
			    : (*kcfg)->namespace ? (*kcfg)->namespace
						 : "default")))
		return err_set(e, TE_NOMEM, "out of memory");
	return kube_resolve(*kube, "coordination.k8s.io/v1", "Lease", res, e);
}

int leader_start(struct leader **out, const struct app_config *c, const char *identity,
		 void (*notify)(void *ctx), void *ctx, struct err *e)
{
	struct leader *l = calloc(1, sizeof(*l));
	int rc;

	*out = NULL;
	if (!l)
		return err_set(e, TE_NOMEM, "out of memory");
	if (!(c->lease_duration_ms > c->renew_deadline_ms &&
	      c->renew_deadline_ms * 10 > c->retry_period_ms * 12)) {
		free(l);
		return err_set(e, TE_INPUT,
			       "need lease duration > renew deadline > 1.2 x retry period "
			       "(--leader-elect-lease-duration, -renew-deadline, -retry-period)");
	}
	pthread_mutex_init(&l->mu, NULL);
	cond_init_monotonic(&l->cv);
	l->name = xstrdup(c->lease_name ? c->lease_name : "tether");
	l->me = xstrdup(identity);
	l->lease_ms = c->lease_duration_ms;
	l->renew_ms = c->renew_deadline_ms;
	l->retry_ms = c->retry_period_ms;
	l->notify = notify;
	l->ctx = ctx;
	if ((rc = lease_connect(c, &l->kcfg, &l->kube, &l->ns, &l->res, e)) < 0) {
		leader_stop(l);
		return rc;
	}
	if (pthread_create(&l->thread, NULL, leader_thread, l) != 0) {
		leader_stop(l);
		return err_set(e, TE_FAIL, "cannot start the election thread");
	}
	l->started = true;
	*out = l;
	return 0;
}

bool leader_is_leader(struct leader *l)
{
	bool v;

	pthread_mutex_lock(&l->mu);
	v = l->leader;
	pthread_mutex_unlock(&l->mu);
	return v;
}

/* Clears the holder so that a standby takes over at once. */
static void leader_release(struct leader *l)
{
	cJSON *lease = NULL;
	struct err e;

	err_clear(&e);
	if (kube_get(l->kube, l->res, l->ns, l->name, &lease, &e) == 0 &&
	    !strcmp(json_str(lease, "spec", "holderIdentity", NULL)
			? json_str(lease, "spec", "holderIdentity", NULL)
			: "",
		    l->me))
		if (lease_write(l, lease, "", true) == 0)
			log_kv(LOG_INFO, "released lease", "lease", l->name, NULL);
	cJSON_Delete(lease);
}

void leader_stop(struct leader *l)
{
	if (!l)
		return;
	if (l->started) {
		pthread_mutex_lock(&l->mu);
		l->stop = true;
		pthread_cond_broadcast(&l->cv);
		pthread_mutex_unlock(&l->mu);
		pthread_join(l->thread, NULL);
		if (l->leader)
			leader_release(l);
	}
	cJSON_Delete(l->last);
	kube_free(l->kube);
	kube_config_free(l->kcfg);
	free(l->ns);
	free(l->name);
	free(l->me);
	pthread_cond_destroy(&l->cv);
	pthread_mutex_destroy(&l->mu);
	free(l);
}
