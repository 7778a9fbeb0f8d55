/*
 * proto: decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) for
 * the kinds kubectl's typed client creates with protobuf bodies (`kubectl create
 * configmap|secret|namespace|serviceaccount|deployment|role|rolebinding|clusterrole|
 * clusterrolebinding|token`, `kubectl auth can-i|whoami`). Field numbers follow
 * k8s.io/api/{core,apps}/v1/generated.proto and apimachinery's meta/v1. Other kinds are
 * refused with 415 by the caller. Bounded: input size is capped by the HTTP layer,
 * nesting by the static field tables (six deep at most).
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "proto.h"

struct pb {
	const unsigned char *p, *end;
};

static int pb_varint(struct pb *b, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (b->p < b->end && shift < 64) {
		unsigned char c = *b->p++;

		*v |= (uint64_t)(c & 0x7f) << shift;
		if (!(c & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* Next field: number, wire type, and for type 2 the bytes; for 0 the value. */
static int pb_next(struct pb *b, int *num, int *wt, struct pb *sub, uint64_t *val)
{
	uint64_t key, len;

	if (b->p >= b->end || pb_varint(b, &key) < 0)
		return -1;
	*num = (int)(key >> 3);
	*wt = (int)(key & 7);
	switch (*wt) {
	case 0:
		return pb_varint(b, val);
	case 1:
		if (b->end - b->p < 8)
			return -1;
		b->p += 8;
		return 0;
	case 5:
		if (b->end - b->p < 4)
			return -1;
		b->p += 4;
		return 0;
	case 2:
		if (pb_varint(b, &len) < 0 || len > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + len;
		b->p += len;
		return 0;
	default:
		return -1;
	}
}

static cJSON *pb_string(const struct pb *s)
{
	char *t = strndup((const char *)s->p, (size_t)(s->end - s->p));
	cJSON *v;

	if (!t)
		return NULL;
	v = cJSON_CreateString(t);
	free(t);
	return v;
}

static cJSON *pb_base64(const struct pb *s)
{
	size_t n = (size_t)(s->end - s->p);
	char *t = malloc(4 * ((n + 2) / 3) + 1);
	cJSON *v;

	if (!t)
		return NULL;
	EVP_EncodeBlock((unsigned char *)t, s->p, (int)n);
	v = cJSON_CreateString(t);
	free(t);
	return v;
}

/* A map entry {1: key, 2: value} added to obj[field]; value as string or base64. */
static int pb_map_entry(cJSON *obj, const char *field, struct pb *e, bool bytes)
{
	struct pb s, key = {NULL, NULL}, val = {NULL, NULL};
	cJSON *m = cJSON_GetObjectItem(obj, field);
	char *k;
	int num, wt;
	uint64_t v;

	while (e->p < e->end) {
		if (pb_next(e, &num, &wt, &s, &v) < 0)
			return -1;
		if (wt == 2 && num == 1)
			key = s;
		else if (wt == 2 && num == 2)
			val = s;
	}
	if (!key.p)
		return -1;
	if (!m)
		m = cJSON_AddObjectToObject(obj, field);
	k = strndup((const char *)key.p, (size_t)(key.end - key.p));
	if (!k)
		return -1;
	if (!val.p)
		val.p = val.end = key.end;
	cJSON_AddItemToObject(m, k, bytes ? pb_base64(&val) : pb_string(&val));
	free(k);
	return 0;
}

static void add_to_array(cJSON *obj, const char *field, cJSON *item)
{
	cJSON *a = cJSON_GetObjectItem(obj, field);

	if (!a)
		a = cJSON_AddArrayToObject(obj, field);
	cJSON_AddItemToArray(a, item);
}

/* Appends the string s to obj[field] (array), skipping nothing: used for repeated. */
static void add_str(cJSON *obj, const char *field, const struct pb *s)
{
	add_to_array(obj, field, pb_string(s));
}

/* Sets obj[field] to s unless empty (gogo emits "" for unset non-pointer strings). */
static void set_str(cJSON *obj, const char *field, const struct pb *s)
{
	if (s->p < s->end)
		cJSON_AddItemToObject(obj, field, pb_string(s));
}

/* ---- every kind, table-driven ------------------------------------------------------------
 * Each message is a table of the fields kubectl sets: number, JSON name, how to decode.
 * Unknown fields are skipped, as the server's decoder does for newer clients. */

enum pf_type {
	PF_STR,	  /* string, omitted when "" */
	PF_STRS,  /* repeated string */
	PF_INT,	  /* int64 */
	PF_INT32, /* int32 */
	PF_BOOL,
	PF_MAP,	 /* map<string, string> */
	PF_BMAP, /* map<string, bytes>, as base64 */
	PF_MSG,
	PF_MSGS, /* repeated message */
};

struct pfield {
	int num;
	const char *name;
	enum pf_type type;
	const struct pfield *sub; /* PF_MSG, PF_MSGS: terminated by num 0 */
	bool omit_zero;		  /* PF_INT32, PF_BOOL: a zero value is left out */
};

#define F_END {0, NULL, 0, NULL, false}

/* apimachinery meta/v1: ObjectMeta and LabelSelector. Timestamps, owner references and
 * managedFields are not decoded: the server sets or ignores them. */
static const struct pfield f_meta[] = {
	{1, "name", PF_STR, NULL, false}, {2, "generateName", PF_STR, NULL, false},
	{3, "namespace", PF_STR, NULL, false}, {4, "selfLink", PF_STR, NULL, false},
	{5, "uid", PF_STR, NULL, false}, {6, "resourceVersion", PF_STR, NULL, false},
	{11, "labels", PF_MAP, NULL, false}, {12, "annotations", PF_MAP, NULL, false},
	{14, "finalizers", PF_STRS, NULL, false}, F_END};
static const struct pfield f_requirement[] = {
	{1, "key", PF_STR, NULL, false}, {2, "operator", PF_STR, NULL, false},
	{3, "values", PF_STRS, NULL, false}, F_END};
static const struct pfield f_selector[] = {
	{1, "matchLabels", PF_MAP, NULL, false},
	{2, "matchExpressions", PF_MSGS, f_requirement, false}, F_END};
#define F_META {1, "metadata", PF_MSG, f_meta, false}

/* core/v1 and apps/v1: what `kubectl create deployment` sets. */
static const struct pfield f_none[] = {F_END};
static const struct pfield f_port[] = {
	{1, "name", PF_STR, NULL, false}, {3, "containerPort", PF_INT32, NULL, false},
	{4, "protocol", PF_STR, NULL, false}, F_END};
static const struct pfield f_env[] = {
	{1, "name", PF_STR, NULL, false}, {2, "value", PF_STR, NULL, false}, F_END};
static const struct pfield f_container[] = {
	{1, "name", PF_STR, NULL, false}, {2, "image", PF_STR, NULL, false},
	{3, "command", PF_STRS, NULL, false}, {4, "args", PF_STRS, NULL, false},
	{5, "workingDir", PF_STR, NULL, false}, {6, "ports", PF_MSGS, f_port, false},
	{7, "env", PF_MSGS, f_env, false},
	{8, "resources", PF_MSG, f_none, false}, /* limits/requests not decoded */
	{14, "imagePullPolicy", PF_STR, NULL, false}, F_END};
static const struct pfield f_pod_spec[] = {
	{2, "containers", PF_MSGS, f_container, false},
	{3, "restartPolicy", PF_STR, NULL, false}, F_END};
static const struct pfield f_template[] = {F_META, {2, "spec", PF_MSG, f_pod_spec, false},
					    F_END};
static const struct pfield f_deploy_spec[] = {
	{1, "replicas", PF_INT32, NULL, false}, {2, "selector", PF_MSG, f_selector, false},
	{3, "template", PF_MSG, f_template, false}, {5, "minReadySeconds", PF_INT32, NULL, true},
	{6, "revisionHistoryLimit", PF_INT32, NULL, false}, {7, "paused", PF_BOOL, NULL, true},
	{9, "progressDeadlineSeconds", PF_INT32, NULL, false}, F_END};
static const struct pfield f_ns_spec[] = {{1, "finalizers", PF_STRS, NULL, false}, F_END};

/* k8s.io/api/rbac/v1, authorization/v1 and authentication/v1 generated.proto. */
static const struct pfield f_rule[] = {
	{1, "verbs", PF_STRS, NULL, false}, {2, "apiGroups", PF_STRS, NULL, false},
	{3, "resources", PF_STRS, NULL, false}, {4, "resourceNames", PF_STRS, NULL, false},
	{5, "nonResourceURLs", PF_STRS, NULL, false}, F_END};
static const struct pfield f_agg[] = {{1, "clusterRoleSelectors", PF_MSGS, f_selector, false},
				      F_END};
static const struct pfield f_subject[] = {
	{1, "kind", PF_STR, NULL, false}, {2, "apiGroup", PF_STR, NULL, false},
	{3, "name", PF_STR, NULL, false}, {4, "namespace", PF_STR, NULL, false}, F_END};
static const struct pfield f_roleref[] = {
	{1, "apiGroup", PF_STR, NULL, false}, {2, "kind", PF_STR, NULL, false},
	{3, "name", PF_STR, NULL, false}, F_END};
static const struct pfield f_resattr[] = {
	{1, "namespace", PF_STR, NULL, false}, {2, "verb", PF_STR, NULL, false},
	{3, "group", PF_STR, NULL, false}, {4, "version", PF_STR, NULL, false},
	{5, "resource", PF_STR, NULL, false}, {6, "subresource", PF_STR, NULL, false},
	{7, "name", PF_STR, NULL, false}, F_END};
static const struct pfield f_nonresattr[] = {
	{1, "path", PF_STR, NULL, false}, {2, "verb", PF_STR, NULL, false}, F_END};
static const struct pfield f_sar_spec[] = {
	{1, "resourceAttributes", PF_MSG, f_resattr, false},
	{2, "nonResourceAttributes", PF_MSG, f_nonresattr, false},
	{3, "user", PF_STR, NULL, false}, {4, "groups", PF_STRS, NULL, false},
	{6, "uid", PF_STR, NULL, false}, F_END};
static const struct pfield f_ssrr_spec[] = {{1, "namespace", PF_STR, NULL, false}, F_END};
static const struct pfield f_boundref[] = {
	{1, "kind", PF_STR, NULL, false}, {2, "apiVersion", PF_STR, NULL, false},
	{3, "name", PF_STR, NULL, false}, {4, "uid", PF_STR, NULL, false}, F_END};
static const struct pfield f_token_spec[] = {
	{1, "audiences", PF_STRS, NULL, false}, {3, "boundObjectRef", PF_MSG, f_boundref, false},
	{4, "expirationSeconds", PF_INT, NULL, false}, F_END};

/* The object message of each kind. */
static const struct pfield f_configmap[] = {
	F_META, {2, "data", PF_MAP, NULL, false}, {3, "binaryData", PF_BMAP, NULL, false},
	{4, "immutable", PF_BOOL, NULL, false}, F_END};
static const struct pfield f_secret[] = {
	F_META, {2, "data", PF_BMAP, NULL, false}, {3, "type", PF_STR, NULL, false},
	{4, "stringData", PF_MAP, NULL, false}, {5, "immutable", PF_BOOL, NULL, false}, F_END};
static const struct pfield f_namespace[] = {F_META, {2, "spec", PF_MSG, f_ns_spec, false},
					     F_END};
static const struct pfield f_serviceaccount[] = {
	F_META, {4, "automountServiceAccountToken", PF_BOOL, NULL, false}, F_END};
static const struct pfield f_deployment[] = {F_META, {2, "spec", PF_MSG, f_deploy_spec, false},
					      F_END};
static const struct pfield f_role[] = {F_META, {2, "rules", PF_MSGS, f_rule, false}, F_END};
static const struct pfield f_clusterrole[] = {F_META, {2, "rules", PF_MSGS, f_rule, false},
					       {3, "aggregationRule", PF_MSG, f_agg, false}, F_END};
static const struct pfield f_binding[] = {F_META, {2, "subjects", PF_MSGS, f_subject, false},
					   {3, "roleRef", PF_MSG, f_roleref, false}, F_END};
static const struct pfield f_ssar[] = {F_META, {2, "spec", PF_MSG, f_sar_spec, false}, F_END};
static const struct pfield f_ssrr[] = {F_META, {2, "spec", PF_MSG, f_ssrr_spec, false}, F_END};
static const struct pfield f_ssr[] = {F_META, F_END};
static const struct pfield f_token[] = {F_META, {2, "spec", PF_MSG, f_token_spec, false}, F_END};

static const struct {
	const char *api_version, *kind;
	const struct pfield *fields;
} table_kinds[] = {
	{"v1", "ConfigMap", f_configmap},
	{"v1", "Secret", f_secret},
	{"v1", "Namespace", f_namespace},
	{"v1", "ServiceAccount", f_serviceaccount},
	{"apps/v1", "Deployment", f_deployment},
	{"rbac.authorization.k8s.io/v1", "Role", f_role},
	{"rbac.authorization.k8s.io/v1", "ClusterRole", f_clusterrole},
	{"rbac.authorization.k8s.io/v1", "RoleBinding", f_binding},
	{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f_binding},
	{"authorization.k8s.io/v1", "SelfSubjectAccessReview", f_ssar},
	{"authorization.k8s.io/v1", "SubjectAccessReview", f_ssar},
	{"authorization.k8s.io/v1", "LocalSubjectAccessReview", f_ssar},
	{"authorization.k8s.io/v1", "SelfSubjectRulesReview", f_ssrr},
	{"authentication.k8s.io/v1", "SelfSubjectReview", f_ssr},
	{"authentication.k8s.io/v1", "TokenRequest", f_token},
};

static const struct pfield *table_of(const char *api_version, const char *kind)
{
	for (size_t i = 0; i < sizeof(table_kinds) / sizeof(table_kinds[0]); i++)
		if (strcmp(table_kinds[i].api_version, api_version) == 0 &&
		    strcmp(table_kinds[i].kind, kind) == 0)
			return table_kinds[i].fields;
	return NULL;
}

static int pb_table(cJSON *obj, const struct pfield *fields, struct pb *b, int depth);

/* A varint field (wire type 0). */
static void pb_table_varint(cJSON *obj, const struct pfield *f, uint64_t v)
{
	if (f->omit_zero && !v)
		return;
	if (f->type == PF_BOOL)
		cJSON_AddBoolToObject(obj, f->name, v != 0);
	else if (f->type == PF_INT32)
		cJSON_AddNumberToObject(obj, f->name, (double)(int32_t)v);
	else
		cJSON_AddNumberToObject(obj, f->name, (double)(int64_t)v);
}

static int pb_table_field(cJSON *obj, const struct pfield *f, struct pb *s, int depth)
{
	cJSON *sub;

	switch (f->type) {
	case PF_STR:
		set_str(obj, f->name, s);
		return 0;
	case PF_STRS:
		add_str(obj, f->name, s);
		return 0;
	case PF_MAP:
	case PF_BMAP: /* an entry without a key is dropped */
		pb_map_entry(obj, f->name, s, f->type == PF_BMAP);
		return 0;
	case PF_MSG:
	case PF_MSGS:
		sub = cJSON_CreateObject();
		if (f->type == PF_MSG)
			cJSON_AddItemToObject(obj, f->name, sub);
		else
			add_to_array(obj, f->name, sub);
		return pb_table(sub, f->sub, s, depth + 1);
	default:
		return 0;
	}
}

static bool is_varint_type(enum pf_type t)
{
	return t == PF_INT || t == PF_INT32 || t == PF_BOOL;
}

static int pb_table(cJSON *obj, const struct pfield *fields, struct pb *b, int depth)
{
	struct pb s;
	int num, wt;
	uint64_t v;

	if (depth > 8) /* the tables nest six deep at most */
		return -1;
	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		for (const struct pfield *f = fields; f->num; f++) {
			if (f->num != num)
				continue;
			if (wt != (is_varint_type(f->type) ? 0 : 2))
				return -1; /* gogo's "proto: wrong wireType" */
			if (wt == 0)
				pb_table_varint(obj, f, v);
			else if (pb_table_field(obj, f, &s, depth) < 0)
				return -1;
		}
	}
	return 0;
}

/* runtime.Unknown's TypeMeta {1: apiVersion, 2: kind}. */
static int pb_type_meta(struct pb *s, char *av, char *kind, size_t n)
{
	struct pb t;
	int num, wt;
	uint64_t v;

	while (s->p < s->end) {
		if (pb_next(s, &num, &wt, &t, &v) < 0)
			return -1;
		if (wt == 2 && (num == 1 || num == 2))
			snprintf(num == 1 ? av : kind, n, "%.*s", (int)(t.end - t.p),
				 (const char *)t.p);
	}
	return 0;
}

/* runtime.Unknown after the "k8s\0" magic: {1: TypeMeta, 2: raw object}. */
static int pb_envelope(struct pb *b, char *av, char *kind, size_t n, struct pb *raw)
{
	struct pb s;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (num == 1 && wt == 2 && pb_type_meta(&s, av, kind, n) < 0)
			return -1;
		if (num == 2 && wt == 2)
			*raw = s;
	}
	return raw->p ? 0 : -1;
}

cJSON *proto_decode(const void *data, size_t len)
{
	struct pb b = {data, (const unsigned char *)data + len}, raw = {NULL, NULL};
	char av[64] = "", kind[64] = "";
	const struct pfield *fields;
	cJSON *obj;

	if (len < 4 || memcmp(data, "k8s\0", 4) != 0)
		return NULL;
	b.p += 4;
	if (pb_envelope(&b, av, kind, sizeof(av), &raw) < 0 || !(fields = table_of(av, kind)))
		return NULL;
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "kind", kind);
	cJSON_AddStringToObject(obj, "apiVersion", av);
	if (pb_table(obj, fields, &raw, 0) < 0) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}
