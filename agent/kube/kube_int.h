/*
 * kube_int: what the files of agent/kube/ share and nobody else sees: the client
 * struct and the credential state.
 */
#ifndef TETHER_KUBE_INT_H
#define TETHER_KUBE_INT_H

#include <curl/curl.h>
#include <pthread.h>
#include <time.h>

#include "kube.h"

#define KUBE_VERSION "0.1.0"
#define KUBE_MAX_RESPONSE ((size_t)64 << 20)
#define KUBE_MAX_RETRY_AFTER_MS 10000
#define KUBE_BACKOFF_BASE_MS 100
#define KUBE_BACKOFF_MAX_MS 5000
#define POOL_BUF_KEEP_SIZE ((size_t)256 << 10) /* bigger buffers are freed, not pooled */

/* A kubeconfig user's exec credential plugin. */
struct kube_exec {
	char *command;
	struct strlist args;
	struct strlist env; /* "NAME=value" */
	char *api_version;  /* client.authentication.k8s.io/v1 or v1beta1 */
	char *install_hint; /* shown when the command cannot be run */
	bool provide_cluster_info; /* pass the cluster in KUBERNETES_EXEC_INFO */
};

/* Credentials that change while the client lives (token files, exec plugins). */
struct kube_cred {
	char *token;	       /* current bearer token (owned) */
	char *cert, *key;      /* PEM from an exec plugin (owned) */
	time_t token_mtime;    /* of token_file when read */
	int64_t token_read_ms; /* now_ms() when token_file was read */
	int64_t expires_ms;    /* exec credential expiry (now_ms clock), 0 = none */
	bool exec_done;	       /* the exec plugin ran at least once */
	int generation;	       /* bumped whenever credentials change */
};

struct kube_rtab {
	struct kube_resource **items;
	size_t n, cap;
};

/*
 * What the clients of one cluster share (shared.c): curl's DNS and TLS session caches
 * and discovery. kube_new makes one; kube_new_sharing hands it to another client; the
 * last kube_free frees it. Entries of res and retired live as long as it does.
 */
struct kube_shared {
	pthread_mutex_t refs_mu;
	int refs;
	CURLSH *share;
	pthread_mutex_t locks[CURL_LOCK_DATA_LAST]; /* curl's lock callbacks, per kind */
	/* discovery, under disc_mu (held across a load: one load for all the clients) */
	pthread_mutex_t disc_mu;
	bool disc_loaded, disc_aggregated;
	int64_t disc_at;	   /* when it was loaded (now_ms) */
	struct kube_rtab res;	   /* current generation */
	struct kube_rtab retired;  /* earlier generations: callers may still hold pointers */
	struct strlist legacy_gvs; /* group versions fetched in legacy mode */
	struct strlist misses;	   /* "gv kind" that missed after a refresh */
};

/* One client: one thread at a time. */
struct kube {
	struct kube_config *cfg; /* owned copy */
	struct kube_opts opts;
	char *user_agent;
	char *host_header; /* "Host: ..." when tls-server-name rewrites the URL */
	char *connect_to;  /* CURLOPT_CONNECT_TO entry for tls-server-name */
	struct curl_slist *connect_list;
	char *base_url; /* server (or its tls-server-name form), no trailing '/' */
	CURLM *multi;	/* its connections: curl cannot share them between threads */
	int epfd;	   /* the multi handle's sockets (CURLMOPT_SOCKETFUNCTION), -1 if none */
	int64_t timer_at;  /* when curl wants CURL_SOCKET_TIMEOUT (ms clock), -1 if never */
	struct kube_shared *sh;
	CURL **pool; /* idle easy handles, kept for reuse */
	size_t npool;
	struct buf *bufs; /* idle response buffers, kept for reuse */
	size_t nbufs;
	struct kube_cred cred;
	struct kube_stats stats;
	uint64_t rng; /* backoff jitter */
};

/* kubeconfig.c */
struct kube_config *kube_config_dup(const struct kube_config *c);
void kube_exec_free(struct kube_exec *x);

/* auth.c */
int kube_cred_refresh(struct kube *k, bool force, struct err *e);
void kube_cred_dispose(struct kube_cred *c);
/* Runs the exec plugin of cfg and fills token or cert/key with the expiry. */
int kube_exec_run(const struct kube_config *cfg, struct kube_cred *out, struct err *e);

/* client.c */
/* Maps status >= 400 (or a transport failure) of a finished request to an error code. */
int kube_req_code(const struct kube_req *r);
void kube_easy_setup(struct kube *k, CURL *h);
struct curl_slist *kube_headers(struct kube *k, const char *accept, const char *content_type);
char *kube_url(const struct kube *k, const char *path);
/* True for a 500 Status without a reason: the server failed on this request itself. */
bool kube_status_is_final_500(long status, const cJSON *resp);
/* Sets r->err from a Status body or the bare HTTP code. */
void kube_req_set_err(struct kube_req *r, const char *body);

/* shared.c */
int kube_shared_new(struct kube_shared **out);
void kube_shared_unref(struct kube_shared *sh);

/* discovery.c */
void kube_discovery_dispose(struct kube_shared *sh);

/* percent-encodes s for a path segment or query value (owned) */
char *kube_escape(const char *s);

#endif
