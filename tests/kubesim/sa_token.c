/*
 * sa_token: signs and checks ServiceAccount tokens (sa_token.h; kubernetes-semantics-2.md
 * §1.4). The JWT is HS256 over a key made at start: only kubesim can mint or check one,
 * which is all a client can tell (kubectl never decodes it).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "sa_token.h"

#define MAX_TOKEN 8192

int satoken_key_init(struct satoken_key *k)
{
	unsigned char d[32];
	unsigned int n = 0;

	if (RAND_bytes(k->k, sizeof(k->k)) != 1)
		return -1;
	EVP_Digest(k->k, sizeof(k->k), d, &n, EVP_sha256(), NULL);
	for (int i = 0; i < 20; i++)
		snprintf(k->kid + 2 * i, 3, "%02x", d[i]);
	return 0;
}

void satoken_uuid(char *out)
{
	unsigned char b[16];

	if (RAND_bytes(b, sizeof(b)) != 1)
		memset(b, 0, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
		 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
		 b[13], b[14], b[15]);
}

/* ---- base64url ---------------------------------------------------------------------------- */

static char *b64url(const unsigned char *in, size_t n)
{
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	int len;

	if (!out)
		abort();
	len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *p = out; *p; p++)
		*p = *p == '+' ? '-' : *p == '/' ? '_' : *p;
	return out;
}

/* Decodes n characters of base64url into out (capacity cap); the length or -1. */
static int b64url_decode(const char *in, size_t n, unsigned char *out, size_t cap)
{
	char buf[MAX_TOKEN + 4];
	size_t m = n;
	int len;

	if (n % 4 == 1 || n + 4 > sizeof(buf) || (n + 3) / 4 * 3 > cap)
		return -1;
	for (size_t i = 0; i < n; i++) {
		char c = in[i];

		if (c == '+' || c == '/' || c == '=')
			return -1;
		buf[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	while (m % 4)
		buf[m++] = '=';
	len = EVP_DecodeBlock(out, (const unsigned char *)buf, (int)m);
	if (len < 0)
		return -1;
	return len - (int)(m - n); /* EVP_DecodeBlock counts the padding as zero bytes */
}

/* ---- signing ------------------------------------------------------------------------------ */

static void mac(const struct satoken_key *k, const char *data, size_t n, unsigned char *out)
{
	unsigned int len = 32;

	HMAC(EVP_sha256(), k->k, (int)sizeof(k->k), (const unsigned char *)data, n, out, &len);
}

static void add_ref(cJSON *kio, const char *key, const char *name, const char *uid)
{
	cJSON *o = cJSON_AddObjectToObject(kio, key);

	cJSON_AddStringToObject(o, "name", name);
	cJSON_AddStringToObject(o, "uid", uid);
}

/* The claims in the order the real issuer's JSON has them (keys sorted). */
static cJSON *claims_json(const struct satoken_claims *c, const cJSON *audiences)
{
	cJSON *o = cJSON_CreateObject(), *kio;
	char sub[600];

	cJSON_AddItemToObject(o, "aud", cJSON_Duplicate(audiences, true));
	cJSON_AddNumberToObject(o, "exp", (double)c->exp);
	cJSON_AddNumberToObject(o, "iat", (double)c->iat);
	cJSON_AddStringToObject(o, "iss", SATOKEN_ISSUER);
	cJSON_AddStringToObject(o, "jti", c->jti);
	kio = cJSON_AddObjectToObject(o, "kubernetes.io");
	cJSON_AddStringToObject(kio, "namespace", c->ns);
	if (strcmp(c->bound.kind, "Pod") == 0)
		add_ref(kio, "pod", c->bound.name, c->bound.uid);
	else if (strcmp(c->bound.kind, "Secret") == 0)
		add_ref(kio, "secret", c->bound.name, c->bound.uid);
	add_ref(kio, "serviceaccount", c->name, c->uid);
	cJSON_AddNumberToObject(o, "nbf", (double)c->nbf);
	snprintf(sub, sizeof(sub), "system:serviceaccount:%s:%s", c->ns, c->name);
	cJSON_AddStringToObject(o, "sub", sub);
	return o;
}

char *satoken_sign(const struct satoken_key *k, const struct satoken_claims *c,
		   const cJSON *audiences)
{
	char header[128], *h, *p, *s, *json, *out;
	unsigned char sig[32];
	cJSON *cl = claims_json(c, audiences);
	size_t n;

	snprintf(header, sizeof(header), "{\"alg\":\"HS256\",\"kid\":\"%s\"}", k->kid);
	json = cJSON_PrintUnformatted(cl);
	cJSON_Delete(cl);
	if (!json)
		abort();
	h = b64url((const unsigned char *)header, strlen(header));
	p = b64url((const unsigned char *)json, strlen(json));
	free(json);
	n = strlen(h) + strlen(p) + 1;
	out = malloc(n + 1 + 44);
	if (!out)
		abort();
	snprintf(out, n + 1, "%s.%s", h, p);
	mac(k, out, n, sig);
	s = b64url(sig, sizeof(sig));
	snprintf(out + n, 45, ".%s", s);
	free(h);
	free(p);
	free(s);
	return out;
}

/* Fills why; returns -1. */
static int fail(char *why, size_t whylen, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int fail(char *why, size_t whylen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, whylen, fmt, ap);
	va_end(ap);
	return -1;
}

/* ---- checking ------------------------------------------------------------------------------ */

bool satoken_is_jwt(const char *tok)
{
	int dots = 0;

	if (strncmp(tok, "eyJ", 3) != 0)
		return false;
	for (const char *p = tok; *p; p++)
		if (*p == '.')
			dots++;
		else if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			   (*p >= '0' && *p <= '9') || *p == '-' || *p == '_'))
			return false;
	return dots == 2;
}

static const char *jstr(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : "";
}

static int64_t jnum(const cJSON *o, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static bool has_audience(const cJSON *aud)
{
	const cJSON *a;

	if (cJSON_IsString(aud))
		return strcmp(aud->valuestring, SATOKEN_ISSUER) == 0;
	cJSON_ArrayForEach(a, aud)
		if (cJSON_IsString(a) && strcmp(a->valuestring, SATOKEN_ISSUER) == 0)
			return true;
	return false;
}

static void copy_ref(struct satoken_ref *r, const char *kind, const cJSON *o)
{
	if (!cJSON_IsObject(o))
		return;
	snprintf(r->kind, sizeof(r->kind), "%s", kind);
	snprintf(r->name, sizeof(r->name), "%s", jstr(o, "name"));
	snprintf(r->uid, sizeof(r->uid), "%s", jstr(o, "uid"));
}

/* The payload's claims; -1 with why when they are not those of our issuer. */
static int read_claims(const cJSON *cl, int64_t now, struct satoken_claims *c, char *why,
		       size_t whylen)
{
	const cJSON *kio = cJSON_GetObjectItemCaseSensitive(cl, "kubernetes.io");
	const cJSON *sa = cJSON_GetObjectItemCaseSensitive(kio, "serviceaccount");

	memset(c, 0, sizeof(*c));
	if (strcmp(jstr(cl, "iss"), SATOKEN_ISSUER) != 0 || !cJSON_IsObject(sa))
		return fail(why, whylen, "not issued by %s", SATOKEN_ISSUER);
	if (!has_audience(cJSON_GetObjectItemCaseSensitive(cl, "aud")))
		return fail(why, whylen, "token audiences is invalid for the target audiences "
			       "[\"%s\"]", SATOKEN_ISSUER);
	snprintf(c->ns, sizeof(c->ns), "%s", jstr(kio, "namespace"));
	snprintf(c->name, sizeof(c->name), "%s", jstr(sa, "name"));
	snprintf(c->uid, sizeof(c->uid), "%s", jstr(sa, "uid"));
	snprintf(c->jti, sizeof(c->jti), "%s", jstr(cl, "jti"));
	copy_ref(&c->bound, "Pod", cJSON_GetObjectItemCaseSensitive(kio, "pod"));
	copy_ref(&c->bound, "Secret", cJSON_GetObjectItemCaseSensitive(kio, "secret"));
	c->iat = jnum(cl, "iat");
	c->nbf = jnum(cl, "nbf");
	c->exp = jnum(cl, "exp");
	if (now >= c->exp)
		return fail(why, whylen, "service account token has expired");
	if (now < c->nbf)
		return fail(why, whylen, "service account token is not valid yet");
	return 0;
}

int satoken_verify(const struct satoken_key *k, const char *tok, int64_t now,
		   struct satoken_claims *c, char *why, size_t whylen)
{
	unsigned char want[32], got[40];
	const char *d1 = strchr(tok, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	unsigned char *buf = NULL;
	cJSON *cl;
	int n, rc;

	if (!d2 || strlen(tok) >= MAX_TOKEN || !satoken_is_jwt(tok))
		return fail(why, whylen, "not a JWT");
	mac(k, tok, (size_t)(d2 - tok), want);
	if (b64url_decode(d2 + 1, strlen(d2 + 1), got, sizeof(got)) != 32 ||
	    CRYPTO_memcmp(want, got, 32) != 0)
		return fail(why, whylen, "invalid signature");
	buf = malloc(MAX_TOKEN);
	if (!buf)
		abort();
	n = b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), buf, MAX_TOKEN - 1);
	cl = n > 0 ? cJSON_ParseWithLength((const char *)buf, (size_t)n) : NULL;
	free(buf);
	if (!cl)
		return fail(why, whylen, "malformed claims");
	rc = read_claims(cl, now, c, why, whylen);
	cJSON_Delete(cl);
	return rc;
}

/* The uid of an object in the store, or NULL (hold the store lock). */
static const char *uid_of(struct store *st, const char *resource, const char *ns,
			  const char *name)
{
	const struct restype *rt = store_type(st, "", resource);
	const cJSON *o = rt ? store_get(st, rt, ns, name) : NULL;

	return o ? jstr(cJSON_GetObjectItemCaseSensitive(o, "metadata"), "uid") : NULL;
}

/* The ServiceAccount and a bound object must still be the ones the token names. */
static int check_live(struct store *st, const struct satoken_claims *c, char *why, size_t whylen)
{
	const char *uid;
	int rc = 0;

	store_lock(st);
	uid = uid_of(st, "serviceaccounts", c->ns, c->name);
	if (!uid)
		rc = fail(why, whylen, "serviceaccounts \"%s\" not found", c->name);
	else if (strcmp(uid, c->uid) != 0)
		rc = fail(why, whylen, "service account UID (%s) does not match claim (%s)", uid,
			      c->uid);
	else if (c->bound.kind[0]) {
		uid = uid_of(st, strcmp(c->bound.kind, "Pod") == 0 ? "pods" : "secrets", c->ns,
			     c->bound.name);
		if (!uid || strcmp(uid, c->bound.uid) != 0)
			rc = fail(why, whylen, "service account token has been invalidated");
	}
	store_unlock(st);
	return rc;
}

int satoken_authenticate(const struct satoken_key *k, struct store *st, const char *tok,
			 int64_t now, struct auth_user *u, char *why, size_t whylen)
{
	struct satoken_claims c;
	char group[300], id[64];

	if (satoken_verify(k, tok, now, &c, why, whylen) < 0 || check_live(st, &c, why, whylen) < 0)
		return -1;
	memset(u, 0, sizeof(*u));
	snprintf(u->name, sizeof(u->name), "system:serviceaccount:%s:%s", c.ns, c.name);
	snprintf(u->uid, sizeof(u->uid), "%s", c.uid);
	auth_user_add_group(u, "system:serviceaccounts");
	snprintf(group, sizeof(group), "system:serviceaccounts:%s", c.ns);
	auth_user_add_group(u, group);
	if (strcmp(c.bound.kind, "Pod") == 0) {
		auth_user_add_extra(u, "authentication.kubernetes.io/pod-name", c.bound.name);
		auth_user_add_extra(u, "authentication.kubernetes.io/pod-uid", c.bound.uid);
	}
	if (c.jti[0]) {
		snprintf(id, sizeof(id), "JTI=%s", c.jti);
		auth_user_add_extra(u, "authentication.kubernetes.io/credential-id", id);
	}
	return 0;
}
