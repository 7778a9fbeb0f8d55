/*
 * sshsig: OpenSSH's signature format (PROTOCOL.sshsig), which git writes for
 * gpg.format=ssh: an armored blob with the signer's public key, a namespace ("git" for
 * commits), a hash algorithm and a signature over "SSHSIG", the namespace and the hash
 * of the message. Checked here against the allowed signers; written with an ed25519
 * key for the commits tether makes. Private key bytes are wiped after use and never
 * reach a message.
 */
#include <stdio.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#include "base64.h"
#include "verify_int.h"

#define SIG_BEGIN "-----BEGIN SSH SIGNATURE-----"
#define SIG_END "-----END SSH SIGNATURE-----"
#define KEY_BEGIN "-----BEGIN OPENSSH PRIVATE KEY-----"
#define KEY_END "-----END OPENSSH PRIVATE KEY-----"
#define MAGIC "SSHSIG"
#define KEY_MAGIC "openssh-key-v1"

/* The base64 between begin and end lines, decoded into out. */
static int armor_decode(const char *text, size_t len, const char *begin, const char *end,
			struct buf *out)
{
	const char *b = memmem(text, len, begin, strlen(begin)), *z;

	if (!b)
		return -1;
	b += strlen(begin);
	z = memmem(b, len - (size_t)(b - text), end, strlen(end));
	if (!z)
		return -1;
	return base64_decode(b, (size_t)(z - b), BASE64_LENIENT, out) < 0 ? -1 : 0;
}

int sshsig_parse(struct sshsig *out, const char *text, size_t len, struct err *e)
{
	struct wire w, reserved;
	uint32_t version;

	memset(out, 0, sizeof(*out));
	buf_init(&out->raw, 1 << 20);
	if (armor_decode(text, len, SIG_BEGIN, SIG_END, &out->raw) < 0)
		return err_set(e, TE_UNVERIFIED, "malformed SSH signature (not armored base64)");
	w = (struct wire){(const unsigned char *)out->raw.data, out->raw.len};
	if (w.n < 6 || memcmp(w.p, MAGIC, 6) != 0)
		return err_set(e, TE_UNVERIFIED, "malformed SSH signature (no SSHSIG preamble)");
	w.p += 6;
	w.n -= 6;
	if (wire_u32(&w, &version) < 0 || version != 1)
		return err_set(e, TE_UNVERIFIED, "SSH signature version %u is not supported",
			       version);
	if (wire_string(&w, &out->pubkey) < 0 || wire_string(&w, &out->ns) < 0 ||
	    wire_string(&w, &reserved) < 0 || wire_string(&w, &out->hash_alg) < 0 ||
	    wire_string(&w, &out->sig) < 0 || w.n != 0)
		return err_set(e, TE_UNVERIFIED, "malformed SSH signature");
	return 0;
}

void sshsig_dispose(struct sshsig *s)
{
	if (s)
		buf_dispose(&s->raw);
}

int sshsig_signed_blob(const char *ns, const char *hash_alg, const void *data, size_t len,
		       struct buf *out, struct err *e)
{
	unsigned char md[SHA512_DIGEST_LENGTH];
	size_t mdlen;

	if (!strcmp(hash_alg, "sha256")) {
		SHA256(data, len, md);
		mdlen = SHA256_DIGEST_LENGTH;
	} else if (!strcmp(hash_alg, "sha512")) {
		SHA512(data, len, md);
		mdlen = SHA512_DIGEST_LENGTH;
	} else {
		return err_set(e, TE_UNVERIFIED, "SSH signature hash %s is not allowed (sha256, sha512)",
			       hash_alg);
	}
	if (buf_append(out, MAGIC, 6) < 0 || wire_put_string(out, ns, strlen(ns)) < 0 ||
	    wire_put_string(out, "", 0) < 0 || wire_put_string(out, hash_alg, strlen(hash_alg)) < 0 ||
	    wire_put_string(out, md, mdlen) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}

/* The key's type and fingerprint, as a message names it. */
static void key_name(const struct wire *blob, char *out, size_t n)
{
	struct wire w = *blob, type = {(const unsigned char *)"?", 1};
	char fp[80];

	wire_string(&w, &type);
	sshkey_fingerprint(blob->p, blob->n, fp, sizeof(fp));
	snprintf(out, n, "%.*s %s", (int)(type.n > 40 ? 40 : type.n), (const char *)type.p, fp);
}

/* Signature, namespace and trust of a parsed SSHSIG, in that order. */
static int check_parsed(const struct allowed_signers *a, const struct sshsig *s,
			const char *data, size_t len, int64_t when, const char *key,
			struct err *e)
{
	char hash[16];
	struct buf msg;
	int rc;

	if (!wire_is(&s->ns, SSHSIG_NAMESPACE))
		return err_set(e, TE_UNVERIFIED, "SSH signature by %s is for namespace \"%.*s\", not \"git\"",
			       key, (int)(s->ns.n > 64 ? 64 : s->ns.n), (const char *)s->ns.p);
	snprintf(hash, sizeof(hash), "%.*s", (int)s->hash_alg.n, (const char *)s->hash_alg.p);
	buf_init(&msg, 1024);
	rc = sshsig_signed_blob(SSHSIG_NAMESPACE, hash, data, len, &msg, e);
	if (rc == 0 && (rc = sshkey_verify(s->pubkey.p, s->pubkey.n, &s->sig,
					   (const unsigned char *)msg.data, msg.len, e)) < 0)
		err_prefix(e, "SSH signature by %s", key);
	buf_dispose(&msg);
	if (rc < 0)
		return rc;
	if (allowed_signers_match(a, s->pubkey.p, s->pubkey.n, SSHSIG_NAMESPACE, when))
		return 0;
	return err_set(e, TE_UNVERIFIED, "signed by %s, which %s %s", key,
		       allowed_signers_has_key(a, s->pubkey.p, s->pubkey.n)
			   ? "is not allowed for namespace \"git\" at the commit's time in"
			   : "is not in the allowed signers file",
		       a->file);
}

int sshsig_check(const struct allowed_signers *a, const char *text, size_t textlen,
		 const char *data, size_t len, int64_t when, char *key, size_t keylen,
		 struct err *e)
{
	struct sshsig s;
	int rc;

	if ((rc = sshsig_parse(&s, text, textlen, e)) == 0) {
		key_name(&s.pubkey, key, keylen);
		rc = check_parsed(a, &s, data, len, when, key, e);
	}
	sshsig_dispose(&s);
	return rc;
}

/* ---- signing ---------------------------------------------------------------------- */

/* The one private key of an unencrypted openssh-key-v1 blob. */
static int private_section(struct wire *w, struct wire *priv, const char **why)
{
	struct wire cipher, kdf, kdfopts, pub;
	uint32_t nkeys;

	*why = "not an OpenSSH private key";
	if (w->n < sizeof(KEY_MAGIC) || memcmp(w->p, KEY_MAGIC, sizeof(KEY_MAGIC)) != 0)
		return -1;
	w->p += sizeof(KEY_MAGIC);
	w->n -= sizeof(KEY_MAGIC);
	if (wire_string(w, &cipher) < 0 || wire_string(w, &kdf) < 0 ||
	    wire_string(w, &kdfopts) < 0 || wire_u32(w, &nkeys) < 0)
		return -1;
	*why = "the key is encrypted (a sign-key must have no passphrase)";
	if (!wire_is(&cipher, "none") || !wire_is(&kdf, "none"))
		return -1;
	*why = "the file must hold exactly one key";
	if (nkeys != 1 || wire_string(w, &pub) < 0 || wire_string(w, priv) < 0)
		return -1;
	return 0;
}

/* checkint twice, "ssh-ed25519", the public key, then seed and public key again. */
static int ed25519_private(struct ssh_private *k, struct wire *w, const char **why)
{
	struct wire type, pub, priv;
	uint32_t c1, c2;
	struct buf blob;

	*why = "malformed OpenSSH private key";
	if (wire_u32(w, &c1) < 0 || wire_u32(w, &c2) < 0 || c1 != c2 || wire_string(w, &type) < 0)
		return -1;
	*why = "only ed25519 keys can sign (ssh-keygen -t ed25519)";
	if (!wire_is(&type, "ssh-ed25519"))
		return -1;
	*why = "malformed OpenSSH private key";
	if (wire_string(w, &pub) < 0 || pub.n != 32 || wire_string(w, &priv) < 0 || priv.n != 64 ||
	    memcmp(priv.p + 32, pub.p, 32) != 0)
		return -1;
	if (!(k->key = EVP_PKEY_new_raw_private_key(EVP_PKEY_ED25519, NULL, priv.p, 32)))
		return -1;
	buf_init(&blob, sizeof(k->blob));
	if (wire_put_string(&blob, "ssh-ed25519", 11) == 0 && wire_put_string(&blob, pub.p, 32) == 0) {
		memcpy(k->blob, blob.data, blob.len);
		k->bloblen = blob.len;
	}
	buf_dispose(&blob);
	return k->bloblen ? 0 : -1;
}

int ssh_private_load(struct ssh_private *out, const char *file, const char *text, size_t len,
		     struct err *e)
{
	const char *why = "not an armored OpenSSH private key";
	struct buf raw;
	struct wire w, priv;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	buf_init(&raw, 1 << 20);
	if (armor_decode(text, len, KEY_BEGIN, KEY_END, &raw) < 0) {
		rc = -1;
	} else {
		w = (struct wire){(const unsigned char *)raw.data, raw.len};
		if ((rc = private_section(&w, &priv, &why)) == 0)
			rc = ed25519_private(out, &priv, &why);
	}
	if (raw.data)
		OPENSSL_cleanse(raw.data, raw.cap);
	buf_dispose(&raw);
	if (rc < 0) {
		ssh_private_dispose(out);
		return err_set(e, TE_INPUT, "sign-key %s: %s", file, why);
	}
	return 0;
}

void ssh_private_dispose(struct ssh_private *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->key);
	k->key = NULL;
}

/* The armor ssh-keygen writes: 70 base64 characters a line. */
static int armor_encode(const struct buf *raw, struct buf *out)
{
	struct buf b64;
	int rc = 0;

	buf_init(&b64, 4 << 20);
	if (base64_encode(raw->data, raw->len, &b64) < 0 || buf_puts(out, SIG_BEGIN "\n") < 0)
		rc = TE_NOMEM;
	for (size_t i = 0; rc == 0 && i < b64.len; i += 70) {
		size_t n = b64.len - i < 70 ? b64.len - i : 70;

		if (buf_append(out, b64.data + i, n) < 0 || buf_puts(out, "\n") < 0)
			rc = TE_NOMEM;
	}
	if (rc == 0 && buf_puts(out, SIG_END "\n") < 0)
		rc = TE_NOMEM;
	buf_dispose(&b64);
	return rc;
}

static int ed25519_sign(EVP_PKEY *key, const struct buf *msg, unsigned char sig[64])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t n = 64;
	int ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, key) == 1 &&
		 EVP_DigestSign(ctx, sig, &n, (const unsigned char *)msg->data, msg->len) == 1 &&
		 n == 64;

	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

int sshsig_sign(const struct ssh_private *k, const char *data, size_t len, struct buf *out,
		struct err *e)
{
	unsigned char sig[64];
	struct buf msg, blob, sigblob;
	int rc = 0;

	buf_init(&msg, 1024);
	buf_init(&blob, 4096);
	buf_init(&sigblob, 1024);
	if ((rc = sshsig_signed_blob(SSHSIG_NAMESPACE, "sha512", data, len, &msg, e)) < 0)
		goto out;
	if (ed25519_sign(k->key, &msg, sig) < 0) {
		rc = err_set(e, TE_FAIL, "SSH signing failed");
		goto out;
	}
	if (wire_put_string(&sigblob, "ssh-ed25519", 11) < 0 || wire_put_string(&sigblob, sig, 64) < 0 ||
	    buf_append(&blob, MAGIC, 6) < 0 || wire_put_u32(&blob, 1) < 0 ||
	    wire_put_string(&blob, k->blob, k->bloblen) < 0 ||
	    wire_put_string(&blob, SSHSIG_NAMESPACE, 3) < 0 || wire_put_string(&blob, "", 0) < 0 ||
	    wire_put_string(&blob, "sha512", 6) < 0 ||
	    wire_put_string(&blob, sigblob.data, sigblob.len) < 0 || armor_encode(&blob, out) < 0)
		rc = err_set(e, TE_NOMEM, "out of memory");
out:
	buf_dispose(&sigblob);
	buf_dispose(&blob);
	buf_dispose(&msg);
	return rc;
}
