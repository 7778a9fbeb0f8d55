/*
 * verify: the two kinds of commit signature behind one check, told apart by their
 * armor, and the signer of tether's own commits, chosen by the key file's armor. A
 * verifier trusts only what its key sources list; a commit whose kind of signature has
 * no key source configured is untrusted, never passed.
 */
#include <stdlib.h>
#include <string.h>

#include "verify_int.h"

#define PGP_ARMOR "-----BEGIN PGP SIGNATURE-----"
#define SSH_ARMOR "-----BEGIN SSH SIGNATURE-----"
#define SSH_KEY_ARMOR "-----BEGIN OPENSSH PRIVATE KEY-----"
#define PGP_KEY_ARMOR "-----BEGIN PGP PRIVATE KEY BLOCK-----"

struct verifier {
	struct pgp_home *pgp;		/* NULL: no verify-keyring */
	struct allowed_signers ssh;	/* n == 0: no verify-allowed-signers */
};

int verifier_new(struct verifier **out, const char *keyring, const char *allowed_signers,
		 struct err *e)
{
	struct verifier *v = calloc(1, sizeof(*v));
	int rc = 0;

	*out = NULL;
	if (!v)
		return err_set(e, TE_NOMEM, "out of memory");
	if (!keyring && !allowed_signers)
		rc = err_set(e, TE_INPUT, "verify needs verify-keyring or verify-allowed-signers");
	if (rc == 0 && keyring)
		rc = pgp_home_new(&v->pgp, keyring, false, e);
	if (rc == 0 && allowed_signers)
		rc = allowed_signers_load(&v->ssh, allowed_signers, e);
	if (rc < 0) {
		verifier_free(v);
		return rc;
	}
	*out = v;
	return 0;
}

void verifier_free(struct verifier *v)
{
	if (!v)
		return;
	pgp_home_free(v->pgp);
	allowed_signers_dispose(&v->ssh);
	free(v);
}

static bool starts_with(const char *s, size_t n, const char *prefix)
{
	size_t k = strlen(prefix);

	while (n && (*s == ' ' || *s == '\n' || *s == '\r' || *s == '\t')) {
		s++;
		n--;
	}
	return n >= k && memcmp(s, prefix, k) == 0;
}

int verifier_check(struct verifier *v, const char *sig, size_t siglen, const char *data,
		   size_t len, int64_t when, char *key, size_t keylen, struct err *e)
{
	if (keylen)
		key[0] = '\0';
	if (!sig || !siglen)
		return err_set(e, TE_UNVERIFIED, "not signed");
	if (starts_with(sig, siglen, SSH_ARMOR)) {
		if (!v->ssh.n)
			return err_set(e, TE_UNVERIFIED,
				       "signed with an SSH key, but no verify-allowed-signers is set");
		return sshsig_check(&v->ssh, sig, siglen, data, len, when, key, keylen, e);
	}
	if (starts_with(sig, siglen, PGP_ARMOR)) {
		if (!v->pgp)
			return err_set(e, TE_UNVERIFIED,
				       "signed with an OpenPGP key, but no verify-keyring is set");
		return pgp_check(v->pgp, sig, siglen, data, len, key, keylen, e);
	}
	return err_set(e, TE_UNVERIFIED, "signed in a format tether does not know (not OpenPGP or SSH)");
}

/* ---- the signer ------------------------------------------------------------------- */

struct signer {
	struct pgp_home *pgp;
	struct ssh_private ssh;
};

int signer_new(struct signer **out, const char *key_file, struct err *e)
{
	struct signer *s = calloc(1, sizeof(*s));
	struct buf b;
	int rc;

	*out = NULL;
	buf_init(&b, 16 << 20);
	if (!s)
		rc = err_set(e, TE_NOMEM, "out of memory");
	else if ((rc = file_read(key_file, &b, e)) < 0)
		err_prefix(e, "sign-key");
	else if (starts_with(b.data, b.len, SSH_KEY_ARMOR))
		rc = ssh_private_load(&s->ssh, key_file, b.data, b.len, e);
	else if (starts_with(b.data, b.len, PGP_KEY_ARMOR))
		rc = pgp_home_new(&s->pgp, key_file, true, e);
	else
		rc = err_set(e, TE_INPUT,
			     "sign-key %s: neither an OpenSSH private key nor an armored OpenPGP "
			     "secret key",
			     key_file);
	if (b.data)
		memset(b.data, 0, b.cap);
	buf_dispose(&b);
	if (rc < 0) {
		signer_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void signer_free(struct signer *s)
{
	if (!s)
		return;
	pgp_home_free(s->pgp);
	ssh_private_dispose(&s->ssh);
	free(s);
}

int signer_sign(struct signer *s, const char *data, size_t len, struct buf *sig, struct err *e)
{
	if (s->pgp)
		return pgp_sign(s->pgp, data, len, sig, e);
	return sshsig_sign(&s->ssh, data, len, sig, e);
}
