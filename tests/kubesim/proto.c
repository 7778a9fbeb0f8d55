/*
 * proto: decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) for
 * the kinds kubectl's typed client creates with protobuf bodies (`kubectl create
 * configmap|secret|namespace|serviceaccount|deployment|role|rolebinding|clusterrole|
 * clusterrolebinding|token`, `kubectl auth can-i|whoami`). Field numbers follow
 * k8s.io/api/{core,apps}/v1/generated.proto and apimachinery's meta/v1. Other kinds are
 * refused with 415 by the caller. Bounded: input size is capped by the HTTP layer,
 * nesting is two levels deep by construction.
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

static int pb_meta(cJSON *meta, struct pb *b)
{
	static const char *strs[] = {NULL, "name", "generateName", "namespace", "selfLink", "uid",
				     "resourceVersion"};
	struct pb s;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (wt == 2 && num >= 1 && num <= 6 && s.p < s.end) /* "" means unset */
			cJSON_AddItemToObject(meta, strs[num], pb_string(&s));
		else if (wt == 2 && (num == 11 || num == 12))
			pb_map_entry(meta, num == 11 ? "labels" : "annotations", &s, false);
		else if (wt == 2 && num == 14)
			add_to_array(meta, "finalizers", pb_string(&s));
		/* timestamps, owner references, managedFields: the server sets or ignores them */
	}
	return 0;
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

static int pb_label_selector(cJSON *sel, struct pb *b)
{
	struct pb s, f;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (num == 1 && wt == 2)
			pb_map_entry(sel, "matchLabels", &s, false);
		else if (num == 2 && wt == 2) {
			cJSON *req = cJSON_CreateObject();

			add_to_array(sel, "matchExpressions", req);
			while (s.p < s.end) {
				if (pb_next(&s, &num, &wt, &f, &v) < 0)
					return -1;
				if (num == 1 && wt == 2)
					set_str(req, "key", &f);
				else if (num == 2 && wt == 2)
					set_str(req, "operator", &f);
				else if (num == 3 && wt == 2)
					add_str(req, "values", &f);
			}
		}
	}
	return 0;
}

static int pb_container(cJSON *c, struct pb *b)
{
	struct pb s, f;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (wt != 2)
			continue;
		if (num == 1)
			set_str(c, "name", &s);
		else if (num == 2)
			set_str(c, "image", &s);
		else if (num == 3 || num == 4)
			add_str(c, num == 3 ? "command" : "args", &s);
		else if (num == 5)
			set_str(c, "workingDir", &s);
		else if (num == 14)
			set_str(c, "imagePullPolicy", &s);
		else if (num == 8)
			cJSON_AddObjectToObject(c, "resources"); /* limits/requests not decoded */
		else if (num == 6 || num == 7) {
			cJSON *item = cJSON_CreateObject();

			add_to_array(c, num == 6 ? "ports" : "env", item);
			while (s.p < s.end) {
				if (pb_next(&s, &num, &wt, &f, &v) < 0)
					return -1;
				if (num == 1 && wt == 2)
					set_str(item, "name", &f);
				else if (num == 2 && wt == 2)
					set_str(item, "value", &f); /* EnvVar.value */
				else if (num == 3 && wt == 0)
					cJSON_AddNumberToObject(item, "containerPort", (double)v);
				else if (num == 4 && wt == 2)
					set_str(item, "protocol", &f);
			}
		}
	}
	return 0;
}

static int pb_pod_template(cJSON *t, struct pb *b)
{
	struct pb s, f;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (num == 1 && wt == 2) {
			if (pb_meta(cJSON_AddObjectToObject(t, "metadata"), &s) < 0)
				return -1;
		} else if (num == 2 && wt == 2) {
			cJSON *spec = cJSON_AddObjectToObject(t, "spec");

			while (s.p < s.end) {
				if (pb_next(&s, &num, &wt, &f, &v) < 0)
					return -1;
				if (num == 2 && wt == 2) {
					cJSON *c = cJSON_CreateObject();

					add_to_array(spec, "containers", c);
					if (pb_container(c, &f) < 0)
						return -1;
				} else if (num == 3 && wt == 2)
					set_str(spec, "restartPolicy", &f);
			}
		}
	}
	return 0;
}

/* apps/v1 DeploymentSpec: what `kubectl create deployment` sets. */
static int pb_deployment_spec(cJSON *spec, struct pb *b)
{
	struct pb s;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (num == 1 && wt == 0)
			cJSON_AddNumberToObject(spec, "replicas", (double)(int32_t)v);
		else if (num == 2 && wt == 2) {
			if (pb_label_selector(cJSON_AddObjectToObject(spec, "selector"), &s) < 0)
				return -1;
		} else if (num == 3 && wt == 2) {
			if (pb_pod_template(cJSON_AddObjectToObject(spec, "template"), &s) < 0)
				return -1;
		} else if (num == 5 && wt == 0 && v)
			cJSON_AddNumberToObject(spec, "minReadySeconds", (double)(int32_t)v);
		else if (num == 6 && wt == 0)
			cJSON_AddNumberToObject(spec, "revisionHistoryLimit", (double)(int32_t)v);
		else if (num == 7 && wt == 0 && v)
			cJSON_AddBoolToObject(spec, "paused", true);
		else if (num == 9 && wt == 0)
			cJSON_AddNumberToObject(spec, "progressDeadlineSeconds", (double)(int32_t)v);
	}
	return 0;
}

/* ---- the RBAC, review and TokenRequest kinds, table-driven -------------------------------
 * k8s.io/api/rbac/v1, authorization/v1 and authentication/v1 generated.proto. */

enum pf_type { PF_STR, PF_STRS, PF_INT, PF_MSG, PF_MSGS, PF_SEL, PF_SELS };

struct pfield {
	int num;
	const char *name;
	enum pf_type type;
	const struct pfield *sub; /* PF_MSG, PF_MSGS: terminated by num 0 */
};

static const struct pfield f_rule[] = {
	{1, "verbs", PF_STRS, NULL}, {2, "apiGroups", PF_STRS, NULL},
	{3, "resources", PF_STRS, NULL}, {4, "resourceNames", PF_STRS, NULL},
	{5, "nonResourceURLs", PF_STRS, NULL}, {0, NULL, 0, NULL}};
static const struct pfield f_agg[] = {{1, "clusterRoleSelectors", PF_SELS, NULL}, {0, NULL, 0, NULL}};
static const struct pfield f_subject[] = {
	{1, "kind", PF_STR, NULL}, {2, "apiGroup", PF_STR, NULL}, {3, "name", PF_STR, NULL},
	{4, "namespace", PF_STR, NULL}, {0, NULL, 0, NULL}};
static const struct pfield f_roleref[] = {
	{1, "apiGroup", PF_STR, NULL}, {2, "kind", PF_STR, NULL}, {3, "name", PF_STR, NULL},
	{0, NULL, 0, NULL}};
static const struct pfield f_resattr[] = {
	{1, "namespace", PF_STR, NULL}, {2, "verb", PF_STR, NULL}, {3, "group", PF_STR, NULL},
	{4, "version", PF_STR, NULL}, {5, "resource", PF_STR, NULL},
	{6, "subresource", PF_STR, NULL}, {7, "name", PF_STR, NULL}, {0, NULL, 0, NULL}};
static const struct pfield f_nonresattr[] = {
	{1, "path", PF_STR, NULL}, {2, "verb", PF_STR, NULL}, {0, NULL, 0, NULL}};
static const struct pfield f_sar_spec[] = {
	{1, "resourceAttributes", PF_MSG, f_resattr},
	{2, "nonResourceAttributes", PF_MSG, f_nonresattr},
	{3, "user", PF_STR, NULL}, {4, "groups", PF_STRS, NULL}, {6, "uid", PF_STR, NULL},
	{0, NULL, 0, NULL}};
static const struct pfield f_ssrr_spec[] = {{1, "namespace", PF_STR, NULL}, {0, NULL, 0, NULL}};
static const struct pfield f_boundref[] = {
	{1, "kind", PF_STR, NULL}, {2, "apiVersion", PF_STR, NULL}, {3, "name", PF_STR, NULL},
	{4, "uid", PF_STR, NULL}, {0, NULL, 0, NULL}};
static const struct pfield f_token_spec[] = {
	{1, "audiences", PF_STRS, NULL}, {3, "boundObjectRef", PF_MSG, f_boundref},
	{4, "expirationSeconds", PF_INT, NULL}, {0, NULL, 0, NULL}};

/* The fields after metadata (1) of each table-driven kind. */
static const struct pfield f_role[] = {{2, "rules", PF_MSGS, f_rule}, {0, NULL, 0, NULL}};
static const struct pfield f_clusterrole[] = {
	{2, "rules", PF_MSGS, f_rule}, {3, "aggregationRule", PF_MSG, f_agg}, {0, NULL, 0, NULL}};
static const struct pfield f_binding[] = {
	{2, "subjects", PF_MSGS, f_subject}, {3, "roleRef", PF_MSG, f_roleref}, {0, NULL, 0, NULL}};
static const struct pfield f_ssar[] = {{2, "spec", PF_MSG, f_sar_spec}, {0, NULL, 0, NULL}};
static const struct pfield f_ssrr[] = {{2, "spec", PF_MSG, f_ssrr_spec}, {0, NULL, 0, NULL}};
static const struct pfield f_none[] = {{0, NULL, 0, NULL}};
static const struct pfield f_token[] = {{2, "spec", PF_MSG, f_token_spec}, {0, NULL, 0, NULL}};

static const struct {
	const char *api_version, *kind;
	const struct pfield *fields;
} table_kinds[] = {
	{"rbac.authorization.k8s.io/v1", "Role", f_role},
	{"rbac.authorization.k8s.io/v1", "ClusterRole", f_clusterrole},
	{"rbac.authorization.k8s.io/v1", "RoleBinding", f_binding},
	{"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", f_binding},
	{"authorization.k8s.io/v1", "SelfSubjectAccessReview", f_ssar},
	{"authorization.k8s.io/v1", "SubjectAccessReview", f_ssar},
	{"authorization.k8s.io/v1", "LocalSubjectAccessReview", f_ssar},
	{"authorization.k8s.io/v1", "SelfSubjectRulesReview", f_ssrr},
	{"authentication.k8s.io/v1", "SelfSubjectReview", f_none},
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

static int pb_table_field(cJSON *obj, const struct pfield *f, int wt, struct pb *s, uint64_t v,
			  int depth)
{
	cJSON *sub;

	if (f->type == PF_INT)
		return wt == 0 ? (cJSON_AddNumberToObject(obj, f->name, (double)(int64_t)v), 0) : -1;
	if (wt != 2)
		return -1;
	switch (f->type) {
	case PF_STR:
		set_str(obj, f->name, s);
		return 0;
	case PF_STRS:
		add_str(obj, f->name, s);
		return 0;
	case PF_SEL:
	case PF_SELS:
		sub = cJSON_CreateObject();
		if (f->type == PF_SEL)
			cJSON_AddItemToObject(obj, f->name, sub);
		else
			add_to_array(obj, f->name, sub);
		return pb_label_selector(sub, s);
	default:
		sub = cJSON_CreateObject();
		if (f->type == PF_MSG)
			cJSON_AddItemToObject(obj, f->name, sub);
		else
			add_to_array(obj, f->name, sub);
		return pb_table(sub, f->sub, s, depth + 1);
	}
}

static int pb_table(cJSON *obj, const struct pfield *fields, struct pb *b, int depth)
{
	struct pb s;
	int num, wt;
	uint64_t v;

	if (depth > 4)
		return -1;
	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (depth == 0 && num == 1 && wt == 2) {
			if (pb_meta(cJSON_AddObjectToObject(obj, "metadata"), &s) < 0)
				return -1;
			continue;
		}
		for (const struct pfield *f = fields; f->num; f++)
			if (f->num == num && pb_table_field(obj, f, wt, &s, v, depth) < 0)
				return -1;
	}
	return 0;
}

/* Fields of the object message after metadata (1), per kind. */
static int pb_body(cJSON *obj, const char *kind, struct pb *b)
{
	struct pb s;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (num == 1 && wt == 2) {
			if (pb_meta(cJSON_AddObjectToObject(obj, "metadata"), &s) < 0)
				return -1;
		} else if (strcmp(kind, "ConfigMap") == 0) {
			if (num == 2 && wt == 2)
				pb_map_entry(obj, "data", &s, false);
			else if (num == 3 && wt == 2)
				pb_map_entry(obj, "binaryData", &s, true);
			else if (num == 4 && wt == 0)
				cJSON_AddBoolToObject(obj, "immutable", v != 0);
		} else if (strcmp(kind, "Secret") == 0) {
			if (num == 2 && wt == 2)
				pb_map_entry(obj, "data", &s, true);
			else if (num == 3 && wt == 2 && s.p < s.end)
				cJSON_AddItemToObject(obj, "type", pb_string(&s));
			else if (num == 4 && wt == 2)
				pb_map_entry(obj, "stringData", &s, false);
			else if (num == 5 && wt == 0)
				cJSON_AddBoolToObject(obj, "immutable", v != 0);
		} else if (strcmp(kind, "Namespace") == 0) {
			if (num == 2 && wt == 2) {
				cJSON *spec = cJSON_AddObjectToObject(obj, "spec");
				struct pb f;

				while (s.p < s.end) {
					if (pb_next(&s, &num, &wt, &f, &v) < 0)
						return -1;
					if (num == 1 && wt == 2)
						add_to_array(spec, "finalizers", pb_string(&f));
				}
			}
		} else if (strcmp(kind, "Deployment") == 0) {
			if (num == 2 && wt == 2 &&
			    pb_deployment_spec(cJSON_AddObjectToObject(obj, "spec"), &s) < 0)
				return -1;
		} else if (strcmp(kind, "ServiceAccount") == 0) {
			if (num == 4 && wt == 0)
				cJSON_AddBoolToObject(obj, "automountServiceAccountToken", v != 0);
		}
	}
	return 0;
}

static bool supported(const char *api_version, const char *kind)
{
	if (table_of(api_version, kind))
		return true;
	if (strcmp(api_version, "apps/v1") == 0)
		return strcmp(kind, "Deployment") == 0;
	return strcmp(api_version, "v1") == 0 &&
	       (strcmp(kind, "ConfigMap") == 0 || strcmp(kind, "Secret") == 0 ||
		strcmp(kind, "Namespace") == 0 || strcmp(kind, "ServiceAccount") == 0);
}

cJSON *proto_decode(const void *data, size_t len)
{
	struct pb b = {data, (const unsigned char *)data + len}, s, raw = {NULL, NULL};
	char av[64] = "", kind[64] = "";
	cJSON *obj;
	int num, wt;
	uint64_t v;

	if (len < 4 || memcmp(data, "k8s\0", 4) != 0)
		return NULL;
	b.p += 4;
	while (b.p < b.end) {
		if (pb_next(&b, &num, &wt, &s, &v) < 0)
			return NULL;
		if (num == 1 && wt == 2) {
			struct pb t;

			while (s.p < s.end) {
				if (pb_next(&s, &num, &wt, &t, &v) < 0)
					return NULL;
				if (wt == 2 && (num == 1 || num == 2))
					snprintf(num == 1 ? av : kind, 64, "%.*s",
						 (int)(t.end - t.p), (const char *)t.p);
			}
		} else if (num == 2 && wt == 2) {
			raw = s;
		}
	}
	if (!raw.p || !supported(av, kind))
		return NULL;
	obj = cJSON_CreateObject();
	cJSON_AddStringToObject(obj, "kind", kind);
	cJSON_AddStringToObject(obj, "apiVersion", av);
	if (table_of(av, kind) ? pb_table(obj, table_of(av, kind), &raw, 0) < 0
			       : pb_body(obj, kind, &raw) < 0) {
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}
