/*
 * proto: the protobuf request bodies kubectl's typed client sends for core kinds.
 */
#ifndef KUBESIM_PROTO_H
#define KUBESIM_PROTO_H

#include <stddef.h>
#include <cjson/cJSON.h>

/* The object as JSON, or NULL when data is not a Kubernetes protobuf envelope of a
 * supported kind (v1 ConfigMap, Secret, Namespace, ServiceAccount; apps/v1 Deployment
 * with the fields kubectl create deployment sets). */
cJSON *proto_decode(const void *data, size_t len);

#endif
