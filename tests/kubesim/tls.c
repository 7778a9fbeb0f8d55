/*
 * tls: a throw-away PKI made at start with OpenSSL: a CA, a server certificate for
 * 127.0.0.1/localhost and optionally a client certificate, all PEM in memory. The
 * keys never touch the disk except as kubeconfig data the caller asked for.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "server.h"

static EVP_PKEY *key_new(void)
{
	return EVP_EC_gen("P-256");
}

static char *pem_of_key(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) {
		n = BIO_get_mem_data(b, &data);
		out = strndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

static char *pem_of_cert(X509 *c)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out = NULL;
	long n;

	if (b && PEM_write_bio_X509(b, c)) {
		n = BIO_get_mem_data(b, &data);
		out = strndup(data, (size_t)n);
	}
	BIO_free(b);
	return out;
}

static int add_ext(X509 *cert, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ex;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, issuer, cert, NULL, NULL, 0);
	ex = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	if (!ex)
		return -1;
	X509_add_ext(cert, ex, -1);
	X509_EXTENSION_free(ex);
	return 0;
}

/* A certificate for key, signed by (ca, cakey), or self-signed when ca is NULL. */
static X509 *cert_new(EVP_PKEY *key, const char *cn, const char *org, X509 *ca, EVP_PKEY *cakey,
		      int kind)
{
	X509 *c = X509_new();
	X509_NAME *name;
	unsigned char serial[16];
	BIGNUM *bn;

	if (!c)
		return NULL;
	X509_set_version(c, 2);
	RAND_bytes(serial, sizeof(serial));
	serial[0] &= 0x7f;
	bn = BN_bin2bn(serial, sizeof(serial), NULL);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(c));
	BN_free(bn);
	X509_gmtime_adj(X509_getm_notBefore(c), -3600);
	X509_gmtime_adj(X509_getm_notAfter(c), 365L * 24 * 3600);
	X509_set_pubkey(c, key);
	name = X509_get_subject_name(c);
	if (org)
		X509_NAME_add_entry_by_txt(name, "O", MBSTRING_ASC, (const unsigned char *)org, -1,
					   -1, 0);
	X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(c, ca ? X509_get_subject_name(ca) : name);
	if (kind == 0) {
		add_ext(c, c, NID_basic_constraints, "critical,CA:TRUE");
		add_ext(c, c, NID_key_usage, "critical,keyCertSign,cRLSign,digitalSignature");
		add_ext(c, c, NID_subject_key_identifier, "hash");
	} else {
		add_ext(c, ca, NID_basic_constraints, "critical,CA:FALSE");
		add_ext(c, ca, NID_key_usage, "critical,digitalSignature,keyEncipherment");
		add_ext(c, ca, NID_ext_key_usage, kind == 1 ? "serverAuth" : "clientAuth");
		if (kind == 1)
			add_ext(c, ca, NID_subject_alt_name, "IP:127.0.0.1,DNS:localhost");
	}
	if (!X509_sign(c, ca ? cakey : key, EVP_sha256())) {
		X509_free(c);
		return NULL;
	}
	return c;
}

/* The keys and certificates of one start; ck and cc only with client certificates. */
struct tls_parts {
	EVP_PKEY *cak, *sk, *ck;
	X509 *ca, *sc, *cc;
};

/* The CA, the server's certificate and, with a client key, an administrator's
 * (system:masters). */
static int tls_certs(struct tls_parts *t, bool with_client)
{
	t->cak = key_new();
	t->sk = key_new();
	t->ck = with_client ? key_new() : NULL;
	if (!t->cak || !t->sk || (with_client && !t->ck))
		return -1;
	t->ca = cert_new(t->cak, "kubesim-ca", NULL, NULL, NULL, 0);
	t->sc = t->ca ? cert_new(t->sk, "kubesim", NULL, t->ca, t->cak, 1) : NULL;
	if (!t->sc)
		return -1;
	if (with_client &&
	    !(t->cc = cert_new(t->ck, "kubesim-admin", "system:masters", t->ca, t->cak, 2)))
		return -1;
	return 0;
}

/* All of them as PEM into m. */
static int tls_export(const struct tls_parts *t, struct tls_material *m)
{
	m->ca_cert = pem_of_cert(t->ca);
	m->ca_key = pem_of_key(t->cak);
	m->server_cert = pem_of_cert(t->sc);
	m->server_key = pem_of_key(t->sk);
	if (t->cc) {
		m->client_cert = pem_of_cert(t->cc);
		m->client_key = pem_of_key(t->ck);
	}
	if (!m->ca_cert || !m->server_cert || !m->server_key || (t->cc && !m->client_key))
		return -1;
	return 0;
}

int tls_generate(struct tls_material *m, bool with_client, char *errbuf, size_t errlen)
{
	struct tls_parts t = {0};
	int rc;

	memset(m, 0, sizeof(*m));
	rc = tls_certs(&t, with_client) < 0 ? -1 : tls_export(&t, m);
	if (rc < 0)
		snprintf(errbuf, errlen, "cannot generate TLS certificates");
	X509_free(t.ca);
	X509_free(t.sc);
	X509_free(t.cc);
	EVP_PKEY_free(t.cak);
	EVP_PKEY_free(t.sk);
	EVP_PKEY_free(t.ck);
	return rc;
}

void tls_material_dispose(struct tls_material *m)
{
	if (!m)
		return;
	free(m->ca_cert);
	free(m->ca_key);
	free(m->server_cert);
	free(m->server_key);
	free(m->client_cert);
	free(m->client_key);
	memset(m, 0, sizeof(*m));
}
