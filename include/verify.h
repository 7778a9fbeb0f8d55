/*
 * verify: who signed a commit, and signing the commits tether writes. OpenPGP
 * signatures are checked by gpgme against a keyring imported into a GNUPGHOME that
 * tether makes in a temporary directory (never the user's); SSH signatures (git's
 * gpg.format=ssh, the SSHSIG format) are checked with OpenSSL against an allowed-signers
 * file in `ssh-keygen -Y verify` format. Nothing here talks to Git: the caller hands over
 * the signature and the signed content (libgit2's git_commit_extract_signature).
 * Key files are read, never printed: messages name the file and a key's fingerprint.
 */
#ifndef TETHER_VERIFY_H
#define TETHER_VERIFY_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* The trusted keys of one app: either source may be NULL, not both. */
struct verifier;

int verifier_new(struct verifier **out, const char *keyring, const char *allowed_signers,
		 struct err *e);
void verifier_free(struct verifier *v);

/*
 * Checks sig (armored, OpenPGP or SSHSIG; NULL or empty: unsigned) over data, made at
 * when (the commit's committer time, for the allowed signers' valid-after/before).
 * 0 when a trusted key made it; otherwise TE_UNVERIFIED with the reason ("not signed",
 * "signed by ssh-ed25519 SHA256:..., which is not in the allowed signers file ...").
 * key receives the key found ("" when none): a fingerprint, never key material.
 */
int verifier_check(struct verifier *v, const char *sig, size_t siglen, const char *data,
		   size_t len, int64_t when, char *key, size_t keylen, struct err *e);

/* A key that signs the commits tether writes: an unencrypted OpenSSH private key
 * (ed25519) or an armored OpenPGP secret key without a passphrase. */
struct signer;

int signer_new(struct signer **out, const char *key_file, struct err *e);
void signer_free(struct signer *s);
/* The armored detached signature of data, as git puts in a commit's gpgsig header. */
int signer_sign(struct signer *s, const char *data, size_t len, struct buf *sig, struct err *e);

#endif
