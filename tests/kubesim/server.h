/*
 * server: kubesim's HTTP front (libmicrohttpd, one thread per connection): TLS and
 * authentication, injected latency and faults, /metrics, and the routing of each
 * request to discovery or to the resource handlers (api*.c).
 */
#ifndef KUBESIM_SERVER_H
#define KUBESIM_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <stddef.h>

#include "store.h"

struct server_opts {
	const char *host;	/* listen address, "127.0.0.1" */
	int port;		/* 0 = pick a free one */
	bool tls;
	bool client_ca;		/* require client certificates signed by our CA */
	const char *token;	/* bearer token required when set */
	struct auth *auth;	/* authentication and authorization (auth.h), required */
	int latency_ms;
	/* faults: probabilities per request (resource requests only) */
	double p500, p503, p429, preset;
	/* drop: the request is carried out, then the connection is closed unanswered */
	double pdrop;
	/* injected only while this file exists (a test turns an outage on and off) */
	const char *faults_while;
	/* injected only on these methods ("PATCH,POST"); NULL: every method. An API
	 * server's priority and fairness can throttle one flow (writes) and not others. */
	const char *faults_methods;
	uint64_t seed;
};

/* PEM material generated at start (tls.c). */
struct tls_material {
	char *ca_cert, *ca_key;
	char *server_cert, *server_key;
	char *client_cert, *client_key;
};

int tls_generate(struct tls_material *m, bool with_client, char *errbuf, size_t errlen);
void tls_material_dispose(struct tls_material *m);

struct server;

struct server *server_start(struct store *st, const struct server_opts *o,
			    const struct tls_material *tls, char *errbuf, size_t errlen);
int server_port(const struct server *srv);
void server_stop(struct server *srv);

#endif
