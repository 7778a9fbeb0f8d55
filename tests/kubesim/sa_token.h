/*
 * sa_token: ServiceAccount tokens (kubernetes-semantics-2.md §1.4-§1.5). A token is a
 * JWT signed with HMAC-SHA256 under a key made at start, with the claims of the real
 * issuer (iss, sub, aud, exp, iat, nbf, jti, kubernetes.io{namespace, serviceaccount,
 * pod|secret}); it authenticates as system:serviceaccount:NS:NAME while it has not
 * expired and the ServiceAccount (and a bound object) still exists with the same uid.
 */
#ifndef KUBESIM_SA_TOKEN_H
#define KUBESIM_SA_TOKEN_H

#include <stdint.h>

#include <cjson/cJSON.h>

#include "auth.h"

#define SATOKEN_ISSUER "https://kubernetes.default.svc.cluster.local"

struct satoken_key {
	unsigned char k[32];
	char kid[48];
};

/* The object a token is bound to (kind "" = none). */
struct satoken_ref {
	char kind[16]; /* "Pod" or "Secret" */
	char name[254];
	char uid[128];
};

struct satoken_claims {
	char ns[254], name[254], uid[128];
	char jti[40];
	struct satoken_ref bound;
	int64_t iat, nbf, exp;
};

/* A fresh random key: 0, or -1 when the random source failed. */
int satoken_key_init(struct satoken_key *k);
/* A random version-4 UUID into out (>= 37 bytes). */
void satoken_uuid(char *out);
/* The signed token (malloc'd) for c and audiences (an array of strings). */
char *satoken_sign(const struct satoken_key *k, const struct satoken_claims *c,
		   const cJSON *audiences);
/* Whether tok looks like a JWT (three base64url parts). */
bool satoken_is_jwt(const char *tok);
/* Checks signature, issuer, audience and times at now; 0 with c filled, or -1 with why
 * (the reason the real server only logs). */
int satoken_verify(const struct satoken_key *k, const char *tok, int64_t now,
		   struct satoken_claims *c, char *why, size_t whylen);
/* satoken_verify, then the ServiceAccount (and the bound object) must still exist with
 * the uids of the claims; fills u (without system:authenticated). 0 or -1 with why.
 * Takes the store lock. */
int satoken_authenticate(const struct satoken_key *k, struct store *st, const char *tok,
			 int64_t now, struct auth_user *u, char *why, size_t whylen);

#endif
