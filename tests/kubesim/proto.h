/*
 * proto: the protobuf request bodies kubectl's typed client sends, for every built-in kind.
 */
#ifndef KUBESIM_PROTO_H
#define KUBESIM_PROTO_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* The object as JSON, or NULL: with err set when the body is an envelope of a built-in
 * kind that does not decode (the server's 400 message), with err empty when it is no
 * envelope or of a kind without protobuf (custom resources: 415). */
cJSON *proto_decode(const void *data, size_t len, char *err, size_t errlen);

#endif
