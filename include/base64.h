/*
 * base64: standard base64 (RFC 4648, "+/" alphabet) on OpenSSL's EVP_EncodeBlock and
 * EVP_DecodeBlock. OpenSSL's decoder skips surrounding blanks and decodes padding as
 * zero bytes, so the checks on characters, lengths and padding are made here first.
 */
#ifndef TETHER_BASE64_H
#define TETHER_BASE64_H

#include <stddef.h>

#include "util.h"

enum {
	BASE64_STRICT = 0,  /* no blanks; length a multiple of 4 with exact '=' padding */
	BASE64_LENIENT = 1, /* blanks and line breaks skipped; up to two final '=' optional */
};

/* Appends the decoding of in[0..len) to out: TE_INPUT if it is not base64, TE_NOMEM. */
int base64_decode(const char *in, size_t len, int mode, struct buf *out);
/* Appends the padded encoding of in[0..len) to out (no line breaks); TE_NOMEM. */
int base64_encode(const void *in, size_t len, struct buf *out);

#endif
