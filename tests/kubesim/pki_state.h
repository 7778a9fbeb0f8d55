/*
 * pki_state: kubesim's certificates and administrator token kept beside --state
 * (pki_state.c), so a restart keeps the kubeconfigs written before valid.
 */
#ifndef KUBESIM_PKI_STATE_H
#define KUBESIM_PKI_STATE_H

#include <stddef.h>

#include "server.h"

/* Writes m and token (either may be empty) to path, mode 0600: 0 or -1 with err. */
int pki_save(const char *path, const struct tls_material *m, const char *token, char *err,
	     size_t errlen);
/* Reads path into m and token: 1 when read, 0 when there is no such file, -1 with err. */
int pki_load(const char *path, struct tls_material *m, char *token, size_t tokenlen, char *err,
	     size_t errlen);

#endif
