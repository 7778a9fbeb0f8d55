/*
 * session: the connections one command needs, opened once: the app's Git source (its
 * bare cache), the kube client with its discovery cache, and the namespaces resolved
 * from the app's settings and the kubeconfig context. A command opens one and passes
 * it to the engine (sync, diff, render, history, rollback); the agent keeps one per app
 * for as long as the app's settings are unchanged, lending it for each check a client
 * of the app's cluster (session_swap_kube), so a drift check reuses warm connections
 * and the cluster's discovery.
 *
 * Nothing is opened until it is asked for: session_git and session_kube are separate
 * so that the engine fetches Git on one thread while it connects on another (each
 * touches its own half only).
 */
#ifndef TETHER_SESSION_H
#define TETHER_SESSION_H

#include <stdbool.h>

#include "config.h"
#include "gitsrc.h"
#include "kube.h"
#include "util.h"

/* How long a kept client trusts its discovery: a run after that loads it again. */
#define SESSION_DISCOVERY_MAX_AGE_MS (5 * 60 * 1000)

struct session {
	const struct app_config *cfg; /* borrowed: outlives the session */
	/* Git half */
	struct gitsrc *git;
	/* cluster half */
	struct kube_config *kcfg;
	struct kube *kube;
	bool borrowed_kube; /* kcfg and kube belong to the agent's cluster table */
	/* With service-account, the client of tether's own identity (no impersonation):
	 * the app's bookkeeping (inventory, history, Events) is tether's, so a tenant's
	 * ServiceAccount needs rights on its objects only and cannot edit the record
	 * prune trusts. NULL without service-account: session_own_kube is kube. */
	struct kube_config *own_kcfg;
	struct kube *own_kube;
	struct strlist own_ns_scoped; /* as ns_scoped, for that identity */
	char *ns;           /* the app's namespace: --namespace, the context's, "default" */
	const char *context_ns; /* the kubeconfig context's namespace, or NULL (in kcfg) */
	struct strlist ns_scoped; /* "resource.group" the identity may list only per namespace */
	bool inventory_granted;   /* the identity may create and patch the inventory */
};

/* A session for app c; opens nothing. */
int session_new(struct session **out, const struct app_config *c, struct err *e);
void session_free(struct session *s);

/* The Git source, opened on first use (no network access: gitsrc_open). */
int session_git(struct session *s, struct err *e);
/* Forgets the Git source: the next use opens it again from the settings (rotated
 * credentials reach the credential callback). */
void session_drop_git(struct session *s);
/* The kube client, connected on first use, and the namespaces. */
int session_kube(struct session *s, struct err *e);
/* Uses a client that the caller owns and keeps (the agent's, per cluster) instead of
 * connecting; the namespaces are resolved from its kubeconfig. */
int session_use_kube(struct session *s, struct kube_config *kcfg, struct kube *k,
		     struct err *e);
/* With service-account: also the caller's client of tether's own identity (borrowed). */
void session_use_own_kube(struct session *s, struct kube_config *kcfg, struct kube *k);
/* The client of the app's bookkeeping: the inventory and history ConfigMaps and Events
 * (tether's own identity), once session_kube connected. */
struct kube *session_own_kube(const struct session *s);
/* True when the bookkeeping goes through a client of its own (service-account). */
bool session_own_identity(const struct session *s);

/* With borrowed clients: others of the same clusters and identities (the agent keeps
 * several, one per worker), or NULL between two uses; own is tether's own client of a
 * service-account's app (session_use_own_kube). What the session learnt about the
 * identities and the namespaces stays. */
void session_swap_kube(struct session *s, struct kube *k, struct kube *own);

/* Kinds the identity may not list across namespaces (a 403 seen once): the engine
 * lists and watches them in each namespace the app uses, for the session's life (the
 * same identity: it is forgotten with the client). */
bool session_ns_scoped(const struct session *s, const struct kube_resource *res);
int session_set_ns_scoped(struct session *s, const struct kube_resource *res);
/* The same for the bookkeeping's identity (the one list: ns_scoped, without a
 * service-account). */
bool session_own_ns_scoped(const struct session *s, const struct kube_resource *res);
int session_set_own_ns_scoped(struct session *s, const struct kube_resource *res);

/* The one recipe for "settings -> Git options" (pointers into c). */
void session_git_opts(const struct app_config *c, struct gitsrc_opts *o);
/* The one recipe for "settings -> kube client": loads c's kubeconfig and context and
 * makes a client with o (NULL: the sync's settings, c->parallel transfers). */
int session_connect(const struct app_config *c, const struct kube_opts *o,
		    struct kube_config **kcfg, struct kube **k, struct err *e);
/* The same as tether's own identity: c's service-account is not impersonated. */
int session_connect_own(const struct app_config *c, const struct kube_opts *o,
			struct kube_config **kcfg, struct kube **k, struct err *e);

#endif
