/*
 * shard: replicas share the apps, with Kubernetes Leases (coordination.k8s.io/v1) as the
 * only coordination: no consensus of our own, no replica talks to another.
 *
 * Membership. Each replica holds the Lease "<group>-member-<identity>" in the lease
 * namespace, labelled tether.dev/replicas=<group>, holderIdentity its identity, and
 * renews it every third of the lease duration. One LIST of that label finds the group. A
 * member is live while its record (holder, renewTime) changed within the lease duration
 * by this replica's own clock (client-go's rule, lease_observe and lease_can_acquire:
 * clocks are never compared); a cleared holder (a clean stop) is gone at once. This
 * replica counts itself while its own renewals succeed. Each app goes to the live member
 * of highest rendezvous weight (shard_pick): every replica computes the same owner from
 * the same view, and a member that leaves or joins moves only the apps it had or gains.
 *
 * Fencing: why two replicas never sync one app at once. Views differ for up to a renewal
 * period (one replica has seen a member join or expire, another not yet), so ownership
 * alone could let two replicas sync an app. Each sync therefore holds the app's Lease
 * "<group>-sync-<app>" from before its first write to after its last:
 *  - taking it is a create (409 when it exists) or an update carrying the
 *    resourceVersion read (409 when anyone wrote it since): the API server orders the
 *    writes of one object, so of two replicas racing for one record at most one wins;
 *  - it may be taken only when its holder is cleared, or when its record has not
 *    changed for the lease duration by the taker's own clock;
 *  - the holder renews it every third of the lease duration from this file's thread
 *    (a long apply or rollout wait on the loop does not delay a renewal) and clears the
 *    holder once the sync returned.
 * So replica B starts syncing an app only after A's release of it was stored, or after
 * A did not renew it for a whole lease duration as B measured it. The second case rests
 * on the one assumption client-go's leader election makes too: a replica that cannot
 * renew (paused, or cut off from the API server holding the Leases) does not go on
 * writing for that long. A renewal that finds the Lease taken is logged ("sync lease
 * lost"), so a breach of that assumption is seen.
 *
 * Own thread and own kube client, as leader.c; kmu orders the client's users (this
 * thread, and the workers taking and giving back app Leases). The scheduler hands out
 * only this replica's apps (shard_owns, pool.c).
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cjson/cJSON.h>

#include "daemon_int.h"
#include "jsonget.h"
#include "log.h"

#define SHARD_LABEL "tether.dev/replicas"
#define NAME_MAX_LEN 253
/* A member Lease not live for this many lease durations is deleted: every start adds
 * one (a new identity), and the group's LIST must not grow with every restart. */
#define FORGET_LEASES 2

/* A member's Lease, as this replica last saw it (thread only). */
struct shard_peer {
	char name[NAME_MAX_LEN + 1];
	char rv[32]; /* resourceVersion listed: the precondition of its deletion */
	struct lease_seen seen;
	bool listed;
};

/* What this replica knows of an app's Lease (kmu). */
struct shard_app {
	struct lease_seen seen;
	cJSON *released; /* our last release, as the server answered it */
};

/* An app Lease held for a sync in progress (kmu). */
struct shard_hold {
	char app[64];
	char name[NAME_MAX_LEN + 1];
	cJSON *last; /* as the last write left it */
	bool lost;
};

struct shard {
	pthread_t thread;
	pthread_mutex_t mu;  /* live, stop */
	pthread_mutex_t kmu; /* the kube client, holds, apps, last */
	pthread_cond_t cv;
	bool stop, started;
	char *ns, *group, *me, *name;
	int64_t lease_ms, renew_ms;
	int64_t renewed_ms; /* the membership's last successful renewal (monotonic) */
	struct kube_config *kcfg;
	struct kube *kube;
	const struct kube_resource *res;
	cJSON *last; /* the membership Lease as our last write left it */
	struct shard_peer *peers;
	size_t n_peers, cap_peers;
	struct strlist live; /* under mu: live members' identities, sorted */
	struct strlist prev; /* under mu: the view before the last change */
	struct shard_hold **holds;
	size_t n_holds, cap_holds;
	struct strmap apps; /* app -> struct shard_app */
	void (*notify)(void *ctx);
	void *ctx;
};

/* ---- rendezvous hashing ------------------------------------------------------ */

/* FNV-1a over member, a NUL, app; then murmur3's finaliser, so that weights of nearby
 * strings are unrelated. */
uint64_t shard_weight(const char *member, const char *app)
{
	uint64_t h = 14695981039346656037ULL;

	for (const char *p = member; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h *= 1099511628211ULL; /* the NUL: ("ab","c") and ("a","bc") differ */
	for (const char *p = app; *p; p++)
		h = (h ^ (unsigned char)*p) * 1099511628211ULL;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

long shard_pick(const char *const *members, size_t n, const char *app)
{
	long best = -1;
	uint64_t top = 0;

	for (size_t i = 0; i < n; i++) {
		uint64_t w = shard_weight(members[i], app);
		/* ties (never seen in practice) go to the smaller name, in any order */
		if (best < 0 || w > top || (w == top && strcmp(members[i], members[best]) < 0)) {
			best = (long)i;
			top = w;
		}
	}
	return best;
}

bool shard_member_live(const struct lease_seen *s, int64_t now, int64_t lease_ms)
{
	/* lease_can_acquire for a candidate of no name: free, or expired */
	return s->observed_ms && !lease_can_acquire(s, "", now, lease_ms);
}

/* ---- Lease names --------------------------------------------------------------- */

/* "<group>-<kind>-<what>" as a DNS subdomain: what lower-cased, anything else '-', and
 * for a member a hash of the identity, since two identities may look alike once cut. */
static void lease_name(char out[NAME_MAX_LEN + 1], const char *group, const char *kind,
		       const char *what, bool hashed)
{
	char clean[161], hex[65]; /* 63 (group) + "-member-" + 160 + 9: within 253 */
	size_t k = 0;

	for (const char *p = what; *p && k < sizeof(clean) - 1; p++) {
		char c = *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p;
		clean[k++] = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ? c : '-';
	}
	clean[k] = '\0';
	if (!hashed) {
		snprintf(out, NAME_MAX_LEN + 1, "%s-%s-%s", group, kind, clean);
		return;
	}
	sha256_hex(what, strlen(what), hex);
	snprintf(out, NAME_MAX_LEN + 1, "%s-%s-%s-%.8s", group, kind, clean, hex);
}

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ---- writing Leases (kmu held) ------------------------------------------------- */

/*
 * Takes the Lease of s: renews *last when we wrote it last, else reads it and writes it
 * over what was read (created when missing). With seen, only when lease_can_acquire
 * allows it (TE_CONFLICT otherwise). *last receives the server's answer.
 */
static int lease_take(struct shard *sh, const struct lease_spec *s, cJSON **last,
		      struct lease_seen *seen)
{
	cJSON *got = NULL, *resp = NULL;
	struct err e;
	int rc;

	if (*last && lease_send(sh->kube, sh->res, s, *last, &resp) == 0)
		goto took;
	cJSON_Delete(*last);
	*last = NULL;
	err_clear(&e);
	rc = kube_get(sh->kube, sh->res, sh->ns, s->name, &got, &e);
	if (rc == TE_NOTFOUND)
		rc = lease_send(sh->kube, sh->res, s, NULL, &resp);
	else if (rc == 0) {
		if (seen) {
			lease_observe(seen, json_str(got, "spec", "holderIdentity", NULL),
				      json_str(got, "spec", "renewTime", NULL), now_ms());
			if (!lease_can_acquire(seen, sh->me, now_ms(), sh->lease_ms))
				rc = TE_CONFLICT;
		}
		if (rc == 0)
			rc = lease_send(sh->kube, sh->res, s, got, &resp);
	}
	cJSON_Delete(got);
	if (rc < 0)
		return rc;
took:
	cJSON_Delete(*last);
	*last = resp;
	return 0;
}

/* Clears the holder of the Lease last wrote (best effort); a member's keeps its label,
 * so that the others' LIST sees it go. */
static int lease_give_up(struct shard *sh, const char *name, const cJSON *last, bool member,
			 cJSON **resp)
{
	const struct lease_spec s = {sh->ns, name, "", sh->lease_ms, true,
				     member ? SHARD_LABEL : NULL, member ? sh->group : NULL};

	return last ? lease_send(sh->kube, sh->res, &s, last, resp) : 0;
}

static int member_renew(struct shard *sh)
{
	const struct lease_spec s = {sh->ns, sh->name, sh->me, sh->lease_ms, false, SHARD_LABEL,
				     sh->group};

	return lease_take(sh, &s, &sh->last, NULL);
}

/* Renews the app Leases of the syncs in progress. */
static void holds_renew(struct shard *sh)
{
	for (size_t i = 0; i < sh->n_holds; i++) {
		struct shard_hold *h = sh->holds[i];
		const struct lease_spec s = {sh->ns, h->name, sh->me, sh->lease_ms, false, NULL, NULL};
		cJSON *resp = NULL;
		int rc;

		if (h->lost)
			continue;
		if ((rc = lease_send(sh->kube, sh->res, &s, h->last, &resp)) == 0) {
			cJSON_Delete(h->last);
			h->last = resp;
		} else if (rc == TE_CONFLICT || rc == TE_NOTFOUND) {
			h->lost = true;
			log_kv(LOG_ERROR, "sync lease lost", "app", h->app, "lease", h->name,
			       "identity", sh->me, NULL);
		}
	}
}

/* ---- the view of the members --------------------------------------------------- */

static struct shard_peer *peer_find(struct shard *sh, const char *name)
{
	for (size_t i = 0; i < sh->n_peers; i++)
		if (!strcmp(sh->peers[i].name, name))
			return &sh->peers[i];
	if (array_reserve(&sh->peers, &sh->cap_peers, sh->n_peers + 1, sizeof(*sh->peers)) < 0)
		return NULL;
	memset(&sh->peers[sh->n_peers], 0, sizeof(*sh->peers));
	snprintf(sh->peers[sh->n_peers].name, sizeof(sh->peers->name), "%s", name);
	return &sh->peers[sh->n_peers++];
}

/* Records the LIST's items in the peers; the peers no longer listed are forgotten. */
static void peers_observe(struct shard *sh, const cJSON *list, int64_t now)
{
	const cJSON *item;
	size_t k = 0;

	for (size_t i = 0; i < sh->n_peers; i++)
		sh->peers[i].listed = false;
	cJSON_ArrayForEach(item, json_get(list, "items", NULL))
	{
		const char *name = json_str(item, "metadata", "name", NULL);
		struct shard_peer *p = name ? peer_find(sh, name) : NULL;

		if (!p)
			continue;
		p->listed = true;
		snprintf(p->rv, sizeof(p->rv), "%s",
			 json_str(item, "metadata", "resourceVersion", NULL)
			     ? json_str(item, "metadata", "resourceVersion", NULL)
			     : "");
		lease_observe(&p->seen, json_str(item, "spec", "holderIdentity", NULL),
			      json_str(item, "spec", "renewTime", NULL), now);
	}
	for (size_t i = 0; i < sh->n_peers; i++)
		if (sh->peers[i].listed)
			sh->peers[k++] = sh->peers[i];
	sh->n_peers = k;
}

/* Deletes the member Leases that have not been live for FORGET_LEASES lease durations
 * (kmu held). The deletion names the resourceVersion listed, so a member that came back
 * meanwhile keeps its Lease; one deleted while it was cut off creates it again at its
 * next renewal. Every replica may try; the second attempt gets a 404 or 409. */
static void peers_forget(struct shard *sh, int64_t now)
{
	for (size_t i = 0; i < sh->n_peers; i++) {
		struct shard_peer *p = &sh->peers[i];
		struct kube_req req, *reqs[1] = {&req};

		if (!p->rv[0] || !strcmp(p->name, sh->name) ||
		    now - p->seen.observed_ms <= FORGET_LEASES * sh->lease_ms ||
		    kube_req_delete(&req, sh->res, sh->ns, p->name, NULL) < 0)
			continue;
		free(req.body);
		req.body = xasprintf("{\"preconditions\":{\"resourceVersion\":\"%s\"}}", p->rv);
		if (req.body && kube_run(sh->kube, reqs, 1, NULL, NULL) == 0 &&
		    (req.status == 200 || req.status == 202))
			log_kv(LOG_INFO, "forgot a member", "lease", p->name, "holder",
			       p->seen.holder, NULL);
		kube_req_dispose(&req);
		p->rv[0] = '\0'; /* once; the next LIST says whether it is still there */
	}
}

/* The live identities: ourselves while our renewals hold, and every member whose record
 * changed within the lease duration. */
static int live_compute(struct shard *sh, int64_t now, struct strlist *out)
{
	int rc = 0;

	if (sh->renewed_ms && now - sh->renewed_ms <= sh->lease_ms - sh->renew_ms)
		rc = strlist_add(out, sh->me);
	for (size_t i = 0; i < sh->n_peers && rc == 0; i++) {
		const struct lease_seen *s = &sh->peers[i].seen;
		if (!shard_member_live(s, now, sh->lease_ms) || !strcmp(s->holder, sh->me) ||
		    strlist_contains(out, s->holder))
			continue;
		rc = strlist_add(out, s->holder);
	}
	strlist_sort(out);
	return rc;
}

static bool strlist_same(const struct strlist *a, const struct strlist *b)
{
	if (a->n != b->n)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->items[i], b->items[i]) != 0)
			return false;
	return true;
}

/* Swaps in the new view; logs and notifies when it changed. */
static void live_set(struct shard *sh, struct strlist *live)
{
	struct strlist old = sh->live;
	char members[1024] = "", count[LOG_NUM_LEN];
	size_t k = 0;
	bool changed;

	pthread_mutex_lock(&sh->mu);
	changed = !strlist_same(&old, live);
	if (changed) {
		strlist_dispose(&sh->prev);
		sh->prev = old;
		sh->live = *live;
		strlist_init(live);
	}
	pthread_mutex_unlock(&sh->mu);
	if (!changed)
		return;
	for (size_t i = 0; i < sh->live.n && k < sizeof(members); i++)
		k += (size_t)snprintf(members + k, sizeof(members) - k, "%s%s", i ? "," : "",
				      sh->live.items[i]);
	log_kv(LOG_INFO, "members changed", "identity", sh->me, "members", members, "count",
	       log_num(count, (double)sh->live.n), NULL);
	if (sh->notify)
		sh->notify(sh->ctx);
}

/* One round: renew our membership and the app Leases held, list the group, update the
 * view. A failed LIST keeps the view, but we still drop ourselves when our renewals
 * stopped. */
static void shard_round(struct shard *sh)
{
	char sel[320];
	cJSON *list = NULL;
	struct strlist live;
	struct err e;
	int rc;

	snprintf(sel, sizeof(sel), "%s=%s", SHARD_LABEL, sh->group);
	err_clear(&e);
	strlist_init(&live);
	pthread_mutex_lock(&sh->kmu);
	if (member_renew(sh) == 0)
		sh->renewed_ms = now_ms();
	holds_renew(sh);
	rc = kube_list(sh->kube, sh->res, sh->ns, sel, &list, &e);
	pthread_mutex_unlock(&sh->kmu);
	if (rc == 0) {
		peers_observe(sh, list, now_ms());
		pthread_mutex_lock(&sh->kmu);
		if (sh->renewed_ms && now_ms() - sh->renewed_ms <= sh->renew_ms)
			peers_forget(sh, now_ms()); /* only while we are a member ourselves */
		pthread_mutex_unlock(&sh->kmu);
	} else {
		log_kv(LOG_WARN, "cannot list the members", "error", e.msg, NULL);
	}
	if (live_compute(sh, now_ms(), &live) == 0)
		live_set(sh, &live);
	strlist_dispose(&live);
	cJSON_Delete(list);
}

/* Until the next round: a renewal period, or less when a live member expires sooner,
 * so that its apps move as soon as it is due (not up to a period later). */
static int64_t round_wait(const struct shard *sh, int64_t now)
{
	int64_t wait = sh->renew_ms;

	for (size_t i = 0; i < sh->n_peers; i++) {
		const struct lease_seen *s = &sh->peers[i].seen;
		int64_t left = s->observed_ms + sh->lease_ms + 1 - now;
		if (shard_member_live(s, now, sh->lease_ms) && strcmp(s->holder, sh->me) != 0 &&
		    left < wait)
			wait = left > 1 ? left : 1;
	}
	return wait;
}

static void *shard_thread(void *arg)
{
	struct shard *sh = arg;

	for (;;) {
		int64_t wait = round_wait(sh, now_ms());

		pthread_mutex_lock(&sh->mu);
		if (!sh->stop)
			cond_wait_ms(&sh->cv, &sh->mu, wait);
		if (sh->stop) {
			pthread_mutex_unlock(&sh->mu);
			return NULL;
		}
		pthread_mutex_unlock(&sh->mu);
		shard_round(sh);
	}
}

/* ---- life ---------------------------------------------------------------------- */

/* The group names Leases and is a label's value: lowercase letters, digits, '-' and
 * '.', alphanumeric at both ends, at most 63. */
static bool group_ok(const char *s)
{
	size_t n = strlen(s);

	if (!n || n > 63 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (const char *p = s; *p; p++)
		if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-' ||
		      *p == '.'))
			return false;
	return true;
}

int shard_start(struct shard **out, const struct app_config *c, const char *identity,
		void (*notify)(void *ctx), void *ctx, struct err *e)
{
	struct shard *sh;
	char name[NAME_MAX_LEN + 1];
	int rc;

	*out = NULL;
	if (!group_ok(c->lease_name ? c->lease_name : "tether"))
		return err_set(e, TE_INPUT,
			       "--leader-elect-lease \"%s\" names the group of replicas in a label: "
			       "at most 63 lowercase letters, digits, '-' and '.', alphanumeric at "
			       "both ends",
			       c->lease_name);
	if (!(sh = calloc(1, sizeof(*sh))))
		return err_set(e, TE_NOMEM, "out of memory");
	pthread_mutex_init(&sh->mu, NULL);
	pthread_mutex_init(&sh->kmu, NULL);
	cond_init_monotonic(&sh->cv);
	strlist_init(&sh->live);
	strlist_init(&sh->prev);
	strmap_init(&sh->apps);
	sh->group = xstrdup(c->lease_name ? c->lease_name : "tether");
	sh->me = xstrdup(identity);
	sh->lease_ms = c->lease_duration_ms;
	sh->renew_ms = c->lease_duration_ms / 3;
	sh->notify = notify;
	sh->ctx = ctx;
	lease_name(name, sh->group, "member", identity, true);
	sh->name = xstrdup(name);
	if (!sh->group || !sh->me || !sh->name)
		rc = err_set(e, TE_NOMEM, "out of memory");
	else
		rc = lease_connect(c, &sh->kcfg, &sh->kube, &sh->ns, &sh->res, e);
	if (rc < 0) {
		shard_stop(sh);
		return rc;
	}
	*out = sh; /* before the first round: notify may look for it */
	shard_round(sh); /* join now: the loop starts with a view */
	if (pthread_create(&sh->thread, NULL, shard_thread, sh) != 0) {
		*out = NULL;
		shard_stop(sh);
		return err_set(e, TE_FAIL, "cannot start the membership thread");
	}
	sh->started = true;
	return 0;
}

void shard_stop(struct shard *sh)
{
	if (!sh)
		return;
	if (sh->started) {
		pthread_mutex_lock(&sh->mu);
		sh->stop = true;
		pthread_cond_broadcast(&sh->cv);
		pthread_mutex_unlock(&sh->mu);
		pthread_join(sh->thread, NULL);
	}
	if (sh->last && lease_give_up(sh, sh->name, sh->last, true, NULL) == 0)
		log_kv(LOG_INFO, "left the members", "lease", sh->name, "identity", sh->me, NULL);
	for (size_t i = 0; i < sh->n_holds; i++) {
		cJSON_Delete(sh->holds[i]->last);
		free(sh->holds[i]);
	}
	free(sh->holds);
	for (size_t i = 0; i < sh->apps.cap; i++) {
		struct shard_app *a = sh->apps.slots ? sh->apps.slots[i].value : NULL;
		if (a)
			cJSON_Delete(a->released);
		free(a);
	}
	strmap_dispose(&sh->apps);
	cJSON_Delete(sh->last);
	free(sh->peers);
	strlist_dispose(&sh->live);
	strlist_dispose(&sh->prev);
	kube_free(sh->kube);
	kube_config_free(sh->kcfg);
	free(sh->ns);
	free(sh->group);
	free(sh->me);
	free(sh->name);
	pthread_cond_destroy(&sh->cv);
	pthread_mutex_destroy(&sh->kmu);
	pthread_mutex_destroy(&sh->mu);
	free(sh);
}

static bool mine_in(const struct shard *sh, const struct strlist *view, const char *app)
{
	long i = shard_pick((const char *const *)view->items, view->n, app);

	return i >= 0 && !strcmp(view->items[i], sh->me);
}

bool shard_is_mine(struct shard *sh, const char *app)
{
	bool mine;

	pthread_mutex_lock(&sh->mu);
	mine = mine_in(sh, &sh->live, app);
	pthread_mutex_unlock(&sh->mu);
	return mine;
}

bool shard_gained(struct shard *sh, const char *app)
{
	bool gained;

	pthread_mutex_lock(&sh->mu);
	gained = mine_in(sh, &sh->live, app) && !mine_in(sh, &sh->prev, app);
	pthread_mutex_unlock(&sh->mu);
	return gained;
}

int shard_members(struct shard *sh, struct strlist *out)
{
	int rc = 0;

	pthread_mutex_lock(&sh->mu);
	for (size_t i = 0; i < sh->live.n && rc == 0; i++)
		rc = strlist_add(out, sh->live.items[i]);
	pthread_mutex_unlock(&sh->mu);
	return rc;
}

const char *shard_identity(const struct shard *sh)
{
	return sh->me;
}

int shard_view_fill(struct shard *sh, const struct app_stats *apps, size_t n,
		    struct shard_view *out)
{
	memset(out, 0, sizeof(*out));
	out->identity = sh->me;
	strlist_init(&out->members);
	if (!(out->owners = calloc(n ? n : 1, sizeof(*out->owners))) ||
	    shard_members(sh, &out->members) < 0) {
		shard_view_dispose(out);
		return TE_NOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		long k = shard_pick((const char *const *)out->members.items, out->members.n,
				    apps[i].app);
		out->owners[i] = k < 0 ? NULL : out->members.items[k];
		out->owned += out->owners[i] && !strcmp(out->owners[i], sh->me);
	}
	return 0;
}

void shard_view_dispose(struct shard_view *v)
{
	if (!v)
		return;
	strlist_dispose(&v->members);
	free(v->owners);
	v->owners = NULL;
}

/* ---- app Leases (kmu held) ----------------------------------------------------- */

/* What we know of app's Lease between syncs: the expiry of a holder that vanished is
 * measured from when we first saw its record; our release, when nobody wrote after it,
 * is taken again with one PUT. */
static struct shard_app *app_of(struct shard *sh, const char *app)
{
	struct shard_app *a = strmap_get(&sh->apps, app);

	if (a || !(a = calloc(1, sizeof(*a))))
		return a;
	if (strmap_put(&sh->apps, app, a) < 0) {
		free(a);
		return NULL;
	}
	return a;
}

static bool shard_acquire(struct shard *sh, const char *app)
{
	struct shard_hold *h = calloc(1, sizeof(*h));
	struct shard_app *a = app_of(sh, app);
	struct lease_spec s = {sh->ns, NULL, sh->me, sh->lease_ms, false, NULL, NULL};
	char at[LOG_NUM_LEN];

	if (!h || !a ||
	    array_reserve(&sh->holds, &sh->cap_holds, sh->n_holds + 1, sizeof(*sh->holds)) < 0) {
		free(h);
		return false;
	}
	snprintf(h->app, sizeof(h->app), "%s", app);
	lease_name(h->name, sh->group, "sync", app, false);
	s.name = h->name;
	h->last = a->released;
	a->released = NULL;
	if (lease_take(sh, &s, &h->last, &a->seen) < 0) {
		log_kv(LOG_INFO, "sync lease held elsewhere", "app", app, "holder", a->seen.holder,
		       NULL);
		cJSON_Delete(h->last);
		free(h);
		return false;
	}
	sh->holds[sh->n_holds++] = h;
	log_kv(LOG_INFO, "sync lease acquired", "app", app, "identity", sh->me, "atMs",
	       log_num(at, (double)wall_ms()), NULL);
	return true;
}

static void shard_release(struct shard *sh, const char *app)
{
	char at[LOG_NUM_LEN];

	for (size_t i = 0; i < sh->n_holds; i++) {
		struct shard_hold *h = sh->holds[i];
		if (strcmp(h->app, app) != 0)
			continue;
		/* stamped before the release is sent: whoever takes the Lease next does so
		 * after the server stored the release, so after this stamp */
		log_kv(LOG_INFO, "sync lease released", "app", app, "identity", sh->me, "atMs",
		       log_num(at, (double)wall_ms()), NULL);
		struct shard_app *a = strmap_get(&sh->apps, app);
		if (!h->lost && a && !a->released)
			lease_give_up(sh, h->name, h->last, false, &a->released);
		sh->holds[i] = sh->holds[--sh->n_holds];
		cJSON_Delete(h->last);
		free(h);
		return;
	}
}

/* ---- the daemon's hooks -------------------------------------------------------- */

bool shard_owns(struct daemon *d, const struct daemon_app *a)
{
	return !d->shard || shard_is_mine(d->shard, a->cfg.app);
}

void shard_changed(void *ctx)
{
	struct daemon *d = ctx;

	if (!d->shard)
		return;
	pthread_mutex_lock(&d->mu);
	/* The apps taken over are checked now: their owner may have died mid-way; the
	 * others keep their schedule (a busy app's times are its worker's). */
	for (size_t i = 0; i < d->n_apps; i++)
		if (!d->apps[i].busy && shard_gained(d->shard, d->apps[i].cfg.app))
			d->apps[i].next_ms = now_ms();
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
}

bool shard_begin(struct daemon *d, const struct daemon_app *a)
{
	bool held;

	if (!d->shard)
		return true;
	pthread_mutex_lock(&d->shard->kmu);
	held = shard_acquire(d->shard, a->cfg.app);
	pthread_mutex_unlock(&d->shard->kmu);
	return held;
}

void shard_end(struct daemon *d, const struct daemon_app *a)
{
	if (!d->shard)
		return;
	pthread_mutex_lock(&d->shard->kmu);
	shard_release(d->shard, a->cfg.app);
	pthread_mutex_unlock(&d->shard->kmu);
}
