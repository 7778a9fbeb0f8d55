/*
 * verify_int: what the files of agent/verify/ share, and their unit tests see: the SSH
 * wire format (RFC 4251 strings), SSH public keys as OpenSSL keys, the allowed-signers
 * file, SSHSIG, and the isolated GNUPGHOME of the OpenPGP side.
 */
#ifndef TETHER_VERIFY_INT_H
#define TETHER_VERIFY_INT_H

#include <stdbool.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "verify.h"

/* ---- the SSH wire format ------------------------------------------------------- */

/* A borrowed byte range being read: each read consumes from the front. */
struct wire {
	const unsigned char *p;
	size_t n;
};

int wire_u32(struct wire *w, uint32_t *v);
/* A length-prefixed string (borrowed); -1 when it runs past the end. */
int wire_string(struct wire *w, struct wire *out);
bool wire_is(const struct wire *w, const char *s);
/* Appends a uint32 and a string in wire format. */
int wire_put_u32(struct buf *b, uint32_t v);
int wire_put_string(struct buf *b, const void *p, size_t n);

/* ---- SSH public keys (ssh_key.c) ----------------------------------------------- */

/* The key of a public key blob (ssh-ed25519, ssh-rsa, ecdsa-sha2-nistp256/384/521);
 * TE_INPUT naming the key type when it is none of them. */
int sshkey_from_blob(const unsigned char *blob, size_t len, EVP_PKEY **out, struct err *e);
/* "SHA256:<base64 without padding>" of the blob, as ssh-keygen -l prints it. */
void sshkey_fingerprint(const unsigned char *blob, size_t len, char *out, size_t n);
/* Verifies an SSH signature blob (string algorithm, string signature) over data with
 * the key of blob: 0 when good, TE_UNVERIFIED when not. */
int sshkey_verify(const unsigned char *blob, size_t bloblen, const struct wire *sig,
		  const unsigned char *data, size_t len, struct err *e);

/* ---- the allowed-signers file (allowed_signers.c) ------------------------------ */

struct allowed_signer {
	char *principals;	/* as written: "alice@example.com,*@ops" */
	unsigned char *blob;	/* the public key blob */
	size_t bloblen;
	char *namespaces;	/* namespaces="..." or NULL (every namespace) */
	int64_t valid_after;	/* seconds since the epoch, 0 when unset */
	int64_t valid_before;	/* 0 when unset */
	bool cert_authority;	/* a CA line: certificates are not supported, never matches */
};

struct allowed_signers {
	struct allowed_signer *items;
	size_t n, cap;
	char *file;
};

/* Parses file; errors read "file:line: message". */
int allowed_signers_load(struct allowed_signers *out, const char *file, struct err *e);
int allowed_signers_parse(struct allowed_signers *out, const char *file, const char *text,
			  struct err *e);
void allowed_signers_dispose(struct allowed_signers *a);
/* The entry that trusts the key blob for namespace ns at time when, or NULL. */
const struct allowed_signer *allowed_signers_match(const struct allowed_signers *a,
						   const unsigned char *blob, size_t len,
						   const char *ns, int64_t when);
/* Whether the file lists the key at all (for the message when it does not match). */
bool allowed_signers_has_key(const struct allowed_signers *a, const unsigned char *blob,
			     size_t len);
/* "YYYYMMDD[HHMM[SS]]" (UTC, or with a trailing Z) as seconds since the epoch. */
int allowed_signers_time(const char *s, size_t n, int64_t *out);

/* ---- SSHSIG (sshsig.c) ---------------------------------------------------------- */

#define SSHSIG_NAMESPACE "git"

/* The parts of an armored SSHSIG (borrowing raw, the decoded bytes). */
struct sshsig {
	struct buf raw;
	struct wire pubkey, ns, hash_alg, sig;
};

/* Decodes and parses armored text; TE_UNVERIFIED naming what is wrong. */
int sshsig_parse(struct sshsig *out, const char *text, size_t len, struct err *e);
void sshsig_dispose(struct sshsig *s);
/* The message that an SSHSIG signs for data (the "SSHSIG" blob with its hash). */
int sshsig_signed_blob(const char *ns, const char *hash_alg, const void *data, size_t len,
		       struct buf *out, struct err *e);
/* Checks an SSHSIG over data against the allowed signers; key as verifier_check. */
int sshsig_check(const struct allowed_signers *a, const char *text, size_t textlen,
		 const char *data, size_t len, int64_t when, char *key, size_t keylen,
		 struct err *e);

/* An unencrypted OpenSSH ed25519 private key (openssh-key-v1). */
struct ssh_private {
	EVP_PKEY *key;
	unsigned char blob[51]; /* its public key blob */
	size_t bloblen;
};

int ssh_private_load(struct ssh_private *out, const char *file, const char *text, size_t len,
		     struct err *e);
void ssh_private_dispose(struct ssh_private *k);
/* The armored SSHSIG of data in namespace "git". */
int sshsig_sign(const struct ssh_private *k, const char *data, size_t len, struct buf *out,
		struct err *e);

/* ---- OpenPGP through gpgme (openpgp.c) ------------------------------------------ */

struct pgp_home;
/* A GNUPGHOME in a new temporary directory, with the keys of file imported (public
 * keys, or a secret key when secret). */
int pgp_home_new(struct pgp_home **out, const char *file, bool secret, struct err *e);
void pgp_home_free(struct pgp_home *h);
int pgp_check(struct pgp_home *h, const char *sig, size_t siglen, const char *data,
	      size_t len, char *key, size_t keylen, struct err *e);
int pgp_sign(struct pgp_home *h, const char *data, size_t len, struct buf *out,
	     struct err *e);

#endif
