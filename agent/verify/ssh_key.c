/*
 * ssh_key: SSH public keys (RFC 4253, 5656, 8709 blobs) as OpenSSL keys, their
 * fingerprints, and the check of one SSH signature blob. Every length comes from the
 * signature or a file, so every read is bounded by what is left.
 */
#include <string.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ecdsa.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>

#include "base64.h"
#include "verify_int.h"

int wire_u32(struct wire *w, uint32_t *v)
{
	if (w->n < 4)
		return -1;
	*v = (uint32_t)w->p[0] << 24 | (uint32_t)w->p[1] << 16 | (uint32_t)w->p[2] << 8 | w->p[3];
	w->p += 4;
	w->n -= 4;
	return 0;
}

int wire_string(struct wire *w, struct wire *out)
{
	uint32_t len;

	if (wire_u32(w, &len) < 0 || len > w->n)
		return -1;
	out->p = w->p;
	out->n = len;
	w->p += len;
	w->n -= len;
	return 0;
}

bool wire_is(const struct wire *w, const char *s)
{
	return w->n == strlen(s) && memcmp(w->p, s, w->n) == 0;
}

int wire_put_u32(struct buf *b, uint32_t v)
{
	unsigned char x[4] = {v >> 24, v >> 16, v >> 8, v};

	return buf_append(b, x, 4);
}

int wire_put_string(struct buf *b, const void *p, size_t n)
{
	if (n > UINT32_MAX || wire_put_u32(b, (uint32_t)n) < 0)
		return TE_NOMEM;
	return buf_append(b, p, n);
}

void sshkey_fingerprint(const unsigned char *blob, size_t len, char *out, size_t n)
{
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct buf b;

	SHA256(blob, len, md);
	buf_init(&b, 128);
	if (base64_encode(md, sizeof(md), &b) < 0) {
		snprintf(out, n, "SHA256:?");
	} else {
		while (b.len && b.data[b.len - 1] == '=')
			b.data[--b.len] = '\0';
		snprintf(out, n, "SHA256:%s", b.data);
	}
	buf_dispose(&b);
}

/* A key from OpenSSL parameters (the builder's, consumed). */
static EVP_PKEY *key_fromdata(const char *type, OSSL_PARAM_BLD *bld)
{
	OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
	EVP_PKEY_CTX *ctx = params ? EVP_PKEY_CTX_new_from_name(NULL, type, NULL) : NULL;
	EVP_PKEY *key = NULL;

	if (ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	return key;
}

static EVP_PKEY *rsa_key(struct wire *w)
{
	struct wire ev, nv;
	BIGNUM *e = NULL, *n = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (wire_string(w, &ev) < 0 || wire_string(w, &nv) < 0 || nv.n > 2049 ||
	    !(e = BN_bin2bn(ev.p, (int)ev.n, NULL)) || !(n = BN_bin2bn(nv.p, (int)nv.n, NULL)))
		goto out;
	if (BN_num_bits(n) < 1024) /* ssh-keygen refuses smaller keys too */
		goto out;
	if ((bld = OSSL_PARAM_BLD_new()) && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e))
		key = key_fromdata("RSA", bld);
	else
		OSSL_PARAM_BLD_free(bld);
out:
	BN_free(e);
	BN_free(n);
	return key;
}

/* ecdsa-sha2-<curve>: the curve's name again, then the uncompressed point. */
static const char *ec_group(const struct wire *type)
{
	if (wire_is(type, "ecdsa-sha2-nistp256"))
		return "prime256v1";
	if (wire_is(type, "ecdsa-sha2-nistp384"))
		return "secp384r1";
	if (wire_is(type, "ecdsa-sha2-nistp521"))
		return "secp521r1";
	return NULL;
}

static EVP_PKEY *ec_key(const struct wire *type, struct wire *w)
{
	const char *group = ec_group(type);
	struct wire curve, q;
	OSSL_PARAM_BLD *bld;

	if (wire_string(w, &curve) < 0 || wire_string(w, &q) < 0 || type->n < 11 ||
	    curve.n != type->n - 11 || memcmp(curve.p, type->p + 11, curve.n) != 0)
		return NULL;
	if (!(bld = OSSL_PARAM_BLD_new()))
		return NULL;
	if (!OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, group, 0) ||
	    !OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, q.p, q.n)) {
		OSSL_PARAM_BLD_free(bld);
		return NULL;
	}
	return key_fromdata("EC", bld);
}

int sshkey_from_blob(const unsigned char *blob, size_t len, EVP_PKEY **out, struct err *e)
{
	struct wire w = {blob, len}, type, pk;

	*out = NULL;
	if (wire_string(&w, &type) < 0)
		return err_set(e, TE_INPUT, "not an SSH public key");
	if (wire_is(&type, "ssh-ed25519")) {
		if (wire_string(&w, &pk) == 0 && pk.n == 32)
			*out = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, pk.p, pk.n);
	} else if (wire_is(&type, "ssh-rsa")) {
		*out = rsa_key(&w);
	} else if (ec_group(&type)) {
		*out = ec_key(&type, &w);
	} else {
		return err_set(e, TE_INPUT, "SSH key type %.*s is not supported (ed25519, ecdsa, rsa)",
			       (int)(type.n > 64 ? 64 : type.n), (const char *)type.p);
	}
	if (!*out || w.n != 0) {
		EVP_PKEY_free(*out);
		*out = NULL;
		return err_set(e, TE_INPUT, "malformed SSH %.*s public key", (int)type.n,
			       (const char *)type.p);
	}
	return 0;
}

/* ECDSA's wire signature (mpint r, mpint s) as the DER that OpenSSL verifies. */
static int ecdsa_der(const struct wire *raw, struct buf *der)
{
	struct wire w = *raw, r, s;
	ECDSA_SIG *sig = ECDSA_SIG_new();
	BIGNUM *br = NULL, *bs = NULL;
	unsigned char *p = NULL;
	int n = -1;

	if (sig && wire_string(&w, &r) == 0 && wire_string(&w, &s) == 0 && w.n == 0 &&
	    r.n <= 67 && s.n <= 67 && (br = BN_bin2bn(r.p, (int)r.n, NULL)) &&
	    (bs = BN_bin2bn(s.p, (int)s.n, NULL)) && ECDSA_SIG_set0(sig, br, bs) == 1) {
		br = bs = NULL; /* the signature owns them */
		n = i2d_ECDSA_SIG(sig, &p);
	}
	if (n > 0 && buf_append(der, p, (size_t)n) < 0)
		n = -1;
	OPENSSL_free(p);
	BN_free(br);
	BN_free(bs);
	ECDSA_SIG_free(sig);
	return n > 0 ? 0 : -1;
}

/* The digest an algorithm name implies, and whether it fits the key. NULL md with ok
 * set: ed25519 (no separate digest). */
static bool sig_algorithm(const struct wire *key_type, const struct wire *alg, const EVP_MD **md)
{
	*md = NULL;
	if (wire_is(key_type, "ssh-ed25519"))
		return wire_is(alg, "ssh-ed25519");
	if (wire_is(key_type, "ssh-rsa")) { /* SHA-1 ("ssh-rsa") is refused, as ssh-keygen does */
		if (wire_is(alg, "rsa-sha2-256"))
			*md = EVP_sha256();
		else if (wire_is(alg, "rsa-sha2-512"))
			*md = EVP_sha512();
		return *md != NULL;
	}
	if (!ec_group(key_type) || alg->n != key_type->n || memcmp(alg->p, key_type->p, alg->n))
		return false;
	*md = wire_is(alg, "ecdsa-sha2-nistp256")   ? EVP_sha256()
	      : wire_is(alg, "ecdsa-sha2-nistp384") ? EVP_sha384()
						     : EVP_sha512();
	return true;
}

static int digest_verify(EVP_PKEY *key, const EVP_MD *md, const unsigned char *sig,
			 size_t siglen, const unsigned char *data, size_t len)
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit(ctx, NULL, md, NULL, key) == 1 &&
		 EVP_DigestVerify(ctx, sig, siglen, data, len) == 1;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int sshkey_verify(const unsigned char *blob, size_t bloblen, const struct wire *sig,
		  const unsigned char *data, size_t len, struct err *e)
{
	struct wire kw = {blob, bloblen}, key_type, sw = *sig, alg, raw;
	EVP_PKEY *key = NULL;
	const EVP_MD *md;
	struct buf der;
	int rc;

	buf_init(&der, 1024);
	if ((rc = sshkey_from_blob(blob, bloblen, &key, e)) < 0)
		goto out;
	wire_string(&kw, &key_type);
	if (wire_string(&sw, &alg) < 0 || wire_string(&sw, &raw) < 0 ||
	    !sig_algorithm(&key_type, &alg, &md)) {
		rc = err_set(e, TE_UNVERIFIED, "malformed signature or algorithm not allowed");
		goto out;
	}
	if (ec_group(&key_type)) {
		if (ecdsa_der(&raw, &der) < 0) {
			rc = err_set(e, TE_UNVERIFIED, "malformed ECDSA signature");
			goto out;
		}
		raw.p = (const unsigned char *)der.data;
		raw.n = der.len;
	}
	if (digest_verify(key, md, raw.p, raw.n, data, len) < 0)
		rc = err_set(e, TE_UNVERIFIED, "bad signature");
out:
	buf_dispose(&der);
	EVP_PKEY_free(key);
	return rc;
}
