/*
 * openpgp: OpenPGP signatures through gpgme. Each verifier or signer gets its own
 * GNUPGHOME in a new temporary directory, with only the configured keys imported, so
 * the user's keyring, its trust settings and a running agent play no part, and no key
 * is fetched from a keyserver. A key in that keyring is trusted: its presence is the
 * configuration. The directory, and a gpg-agent that signing started in it, go with
 * the home.
 */
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gpgme.h>

#include "verify_int.h"

struct pgp_home {
	char dir[128];
	gpgme_ctx_t ctx;
	bool secret; /* a gpg-agent may be running in dir */
	char *file;  /* the key file, for messages */
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const char *gpgme_version;

static void pgp_init(void)
{
	gpgme_version = gpgme_check_version(NULL);
}

static int pgp_error(struct err *e, gpgme_error_t g, const char *what)
{
	return err_set(e, TE_FAIL, "%s: %s", what, gpgme_strerror(g));
}

/* A short path: gpg-agent's socket path must stay under sizeof(sun_path). */
static int make_dir(struct pgp_home *h, struct err *e)
{
	const char *tmp = getenv("TMPDIR");

	if (!tmp || !*tmp || strlen(tmp) > 60)
		tmp = "/tmp";
	snprintf(h->dir, sizeof(h->dir), "%s/tether-gpg-XXXXXX", tmp);
	if (!mkdtemp(h->dir)) {
		h->dir[0] = '\0';
		return err_set(e, TE_FAIL, "cannot make a temporary GNUPGHOME under %s", tmp);
	}
	return 0;
}

static int new_ctx(struct pgp_home *h, struct err *e)
{
	gpgme_error_t g;

	if ((g = gpgme_new(&h->ctx)) || (g = gpgme_set_protocol(h->ctx, GPGME_PROTOCOL_OpenPGP)) ||
	    (g = gpgme_ctx_set_engine_info(h->ctx, GPGME_PROTOCOL_OpenPGP, NULL, h->dir)))
		return pgp_error(e, g, "gpgme");
	gpgme_set_offline(h->ctx, 1); /* never a keyserver or a WKD look-up */
	gpgme_set_armor(h->ctx, 1);
	/* No pinentry: a key with a passphrase fails instead of waiting for one. */
	gpgme_set_pinentry_mode(h->ctx, GPGME_PINENTRY_MODE_LOOPBACK);
	return 0;
}

static int import_file(struct pgp_home *h, const char *file, bool secret, struct err *e)
{
	const char *what = secret ? "sign-key" : "verify-keyring";
	gpgme_data_t d = NULL;
	gpgme_import_result_t r;
	gpgme_error_t g;
	struct buf b;
	int rc;

	buf_init(&b, 16 << 20);
	if ((rc = file_read(file, &b, e)) < 0) {
		buf_dispose(&b);
		return err_prefix(e, "%s", what);
	}
	if ((g = gpgme_data_new_from_mem(&d, b.data, b.len, 0)) || (g = gpgme_op_import(h->ctx, d)))
		rc = err_set(e, TE_INPUT, "%s %s: %s", what, file, gpgme_strerror(g));
	else if (!(r = gpgme_op_import_result(h->ctx)) ||
		 (secret ? r->secret_imported + r->secret_unchanged : r->considered) == 0)
		rc = err_set(e, TE_INPUT, "%s %s: no OpenPGP %s key in it", what, file,
			     secret ? "secret" : "public");
	gpgme_data_release(d);
	buf_dispose(&b);
	return rc;
}

int pgp_home_new(struct pgp_home **out, const char *file, bool secret, struct err *e)
{
	struct pgp_home *h = calloc(1, sizeof(*h));
	int rc;

	*out = NULL;
	if (!h)
		return err_set(e, TE_NOMEM, "out of memory");
	pthread_once(&once, pgp_init);
	h->secret = secret;
	if (!(h->file = strdup(file)))
		rc = err_set(e, TE_NOMEM, "out of memory");
	else if (!gpgme_version)
		rc = err_set(e, TE_FAIL, "gpgme did not initialise");
	else if ((rc = make_dir(h, e)) == 0 && (rc = new_ctx(h, e)) == 0)
		rc = import_file(h, file, secret, e);
	if (rc < 0) {
		pgp_home_free(h);
		return rc;
	}
	*out = h;
	return 0;
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)flag;
	(void)ftw;
	remove(path);
	return 0;
}

/* gpgconf --kill gpg-agent for this home, as an argv (gpgme's spawn protocol). */
static void kill_agent(const struct pgp_home *h)
{
	const char *gpgconf = gpgme_get_dirinfo("gpgconf-name");
	const char *argv[] = {"gpgconf", "--homedir", h->dir, "--kill", "gpg-agent", NULL};
	gpgme_ctx_t ctx = NULL;

	if (!gpgconf || gpgme_new(&ctx))
		return;
	if (!gpgme_set_protocol(ctx, GPGME_PROTOCOL_SPAWN))
		gpgme_op_spawn(ctx, gpgconf, argv, NULL, NULL, NULL, 0);
	gpgme_release(ctx);
}

void pgp_home_free(struct pgp_home *h)
{
	if (!h)
		return;
	gpgme_release(h->ctx);
	if (h->dir[0]) {
		if (h->secret)
			kill_agent(h);
		nftw(h->dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS);
	}
	free(h->file);
	free(h);
}

/* Why a signature is not good, in words. */
static const char *sig_problem(const gpgme_signature_t s)
{
	switch (gpgme_err_code(s->status)) {
	case GPG_ERR_NO_ERROR:
		if (s->summary & GPGME_SIGSUM_KEY_REVOKED)
			return "revoked key";
		if (s->summary & (GPGME_SIGSUM_KEY_EXPIRED | GPGME_SIGSUM_SIG_EXPIRED))
			return "expired key or signature";
		return NULL;
	case GPG_ERR_NO_PUBKEY:
		return "which is not in the keyring";
	case GPG_ERR_BAD_SIGNATURE:
		return "bad signature (the signed content was changed)";
	case GPG_ERR_KEY_EXPIRED:
	case GPG_ERR_SIG_EXPIRED:
		return "expired key or signature";
	case GPG_ERR_CERT_REVOKED:
		return "revoked key";
	default:
		return gpgme_strerror(s->status);
	}
}

/* The first good signature wins; otherwise the first signature's problem is the error. */
static int judge(const struct pgp_home *h, gpgme_verify_result_t r, char *key, size_t keylen,
		 struct err *e)
{
	const char *why;

	gpgme_signature_t first = r ? r->signatures : NULL;

	if (!first)
		return err_set(e, TE_UNVERIFIED, "malformed OpenPGP signature");
	for (gpgme_signature_t s = first; s; s = s->next) {
		if (!sig_problem(s)) {
			snprintf(key, keylen, "OpenPGP key %s", s->fpr ? s->fpr : "?");
			return 0;
		}
	}
	snprintf(key, keylen, "OpenPGP key %s", first->fpr ? first->fpr : "?");
	why = sig_problem(first);
	if (gpgme_err_code(first->status) == GPG_ERR_NO_PUBKEY)
		return err_set(e, TE_UNVERIFIED, "signed by %s, %s %s", key, why, h->file);
	return err_set(e, TE_UNVERIFIED, "signed by %s: %s", key, why);
}

int pgp_check(struct pgp_home *h, const char *sig, size_t siglen, const char *data,
	      size_t len, char *key, size_t keylen, struct err *e)
{
	gpgme_data_t s = NULL, d = NULL;
	gpgme_error_t g;
	int rc;

	if ((g = gpgme_data_new_from_mem(&s, sig, siglen, 0)) ||
	    (g = gpgme_data_new_from_mem(&d, data, len, 0)))
		rc = pgp_error(e, g, "gpgme");
	else if ((g = gpgme_op_verify(h->ctx, s, d, NULL)) &&
		 gpgme_err_code(g) != GPG_ERR_BAD_SIGNATURE)
		rc = err_set(e, TE_UNVERIFIED, "malformed OpenPGP signature (%s)", gpgme_strerror(g));
	else
		rc = judge(h, gpgme_op_verify_result(h->ctx), key, keylen, e);
	gpgme_data_release(d);
	gpgme_data_release(s);
	return rc;
}

int pgp_sign(struct pgp_home *h, const char *data, size_t len, struct buf *out,
	     struct err *e)
{
	gpgme_data_t d = NULL, s = NULL;
	gpgme_error_t g;
	char *sig = NULL;
	size_t n = 0;
	int rc = 0;

	if ((g = gpgme_data_new_from_mem(&d, data, len, 0)) || (g = gpgme_data_new(&s)) ||
	    (g = gpgme_op_sign(h->ctx, d, s, GPGME_SIG_MODE_DETACH)))
		rc = err_set(e, TE_FAIL, "OpenPGP signing: %s (a sign-key must have no passphrase)",
			     gpgme_strerror(g));
	else {
		sig = gpgme_data_release_and_get_mem(s, &n);
		s = NULL; /* released by the call */
		if (!sig || buf_append(out, sig, n) < 0)
			rc = err_set(e, TE_NOMEM, "out of memory");
	}
	gpgme_free(sig);
	gpgme_data_release(s);
	gpgme_data_release(d);
	return rc;
}
