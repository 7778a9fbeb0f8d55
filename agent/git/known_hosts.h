/*
 * known_hosts: OpenSSH's known_hosts format, enough to pin a Git server's host key:
 * plain and hashed (|1|salt|hash) host patterns, [host]:port, wildcards, negation,
 * @revoked. @cert-authority lines are ignored (no certificate support).
 */
#ifndef TETHER_KNOWN_HOSTS_H
#define TETHER_KNOWN_HOSTS_H

#include <stddef.h>

#include "util.h"

/*
 * Checks that key (the SSH wire-format public key blob) is listed for host:port in
 * file. 0 when it is; TE_UNREACHABLE with "host key for X not in known_hosts" (or
 * "... does not match" / "... is revoked") otherwise.
 * When key is NULL, sha256 (32 bytes) of the blob is compared instead.
 */
int known_hosts_check(const char *file, const char *host, int port, const unsigned char *key,
		      size_t keylen, const unsigned char *sha256, struct err *e);

#endif
