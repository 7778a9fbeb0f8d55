/*
 * base64: the one base64 codec (kubeconfig *-data fields, exec plugin cluster info,
 * known_hosts). The input is checked here, then OpenSSL decodes: EVP_DecodeBlock alone
 * would accept blanks around the text and count '=' as zero bytes of output.
 */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "base64.h"

#define BASE64_MAX_IN ((size_t)1 << 30) /* EVP_*Block take int lengths */

static bool b64_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	       c == '+' || c == '/';
}

static bool b64_blank(char c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

/*
 * Copies the base64 characters of in to clean, padded to a multiple of 4, and returns
 * the number of '=' it holds; -1 if in is not base64 in the given mode.
 */
static int b64_clean(const char *in, size_t len, int mode, char *clean, size_t *n)
{
	size_t k = 0, pad = 0;

	for (size_t i = 0; i < len; i++) {
		if (mode == BASE64_LENIENT && b64_blank(in[i]))
			continue;
		if (in[i] == '=')
			pad++;
		else if (pad || !b64_alpha(in[i]))
			return -1; /* data after padding, or not base64 */
		else
			clean[k++] = in[i];
	}
	if (k % 4 == 1 || pad > 2)
		return -1;
	if (mode == BASE64_STRICT && (k + pad) % 4 != 0)
		return -1;
	for (pad = 0; k % 4; pad++)
		clean[k++] = '=';
	*n = k;
	return (int)pad;
}

int base64_decode(const char *in, size_t len, int mode, struct buf *out)
{
	char *clean = NULL;
	unsigned char *raw = NULL;
	size_t n = 0;
	int pad, got, rc = TE_NOMEM;

	if (len > BASE64_MAX_IN)
		return TE_INPUT;
	clean = malloc(len + 4);
	raw = malloc(len / 4 * 3 + 4);
	if (!clean || !raw)
		goto out;
	rc = TE_INPUT;
	if ((pad = b64_clean(in, len, mode, clean, &n)) < 0)
		goto out;
	got = n ? EVP_DecodeBlock(raw, (const unsigned char *)clean, (int)n) : 0;
	if (got < pad)
		goto out;
	rc = buf_append(out, raw, (size_t)(got - pad));
out:
	free(clean);
	free(raw);
	return rc;
}

int base64_encode(const void *in, size_t len, struct buf *out)
{
	size_t n = (len + 2) / 3 * 4;
	unsigned char *s;
	int rc;

	if (len > BASE64_MAX_IN || !(s = malloc(n + 1)))
		return TE_NOMEM;
	EVP_EncodeBlock(s, in, (int)len);
	rc = buf_append(out, s, n);
	free(s);
	return rc;
}
