/*
 * kustomize_res: the resource accumulator of a kustomize build, identity helpers and
 * the field-spec walker every transformer shares. Each rename records the old
 * identity so name references can be rewritten at the end, as kustomize does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

void ks_set_init(struct ks_set *s)
{
	memset(s, 0, sizeof(*s));
}

static void ks_id_dispose(struct ks_id *id)
{
	free(id->group);
	free(id->kind);
	free(id->name);
	free(id->ns);
}

void ks_res_dispose(struct ks_res *r)
{
	if (!r)
		return;
	cJSON_Delete(r->body);
	free(r->file);
	for (size_t i = 0; i < r->nprev; i++)
		ks_id_dispose(&r->prev[i]);
	free(r->prev);
	strlist_dispose(&r->prefixes);
	strlist_dispose(&r->suffixes);
	strlist_dispose(&r->vars);
	memset(r, 0, sizeof(*r));
}

void ks_set_dispose(struct ks_set *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->n; i++)
		ks_res_dispose(&s->items[i]);
	free(s->items);
	cJSON_Delete(s->tconfig);
	memset(s, 0, sizeof(*s));
}

static int ks_set_grow(struct ks_set *s, size_t more)
{
	if (array_reserve(&s->items, &s->cap, s->n + more, sizeof(*s->items)) < 0)
		return TE_NOMEM;
	return 0;
}

int ks_set_add(struct ks_set *s, cJSON *body, const char *file, int line, int col, struct err *e)
{
	struct ks_res *r;

	if (s->n >= KS_MAX_OBJECTS) {
		cJSON_Delete(body);
		return err_set(e, TE_INPUT, "%s: more than %d objects", file, KS_MAX_OBJECTS);
	}
	if (ks_set_grow(s, 1) < 0) {
		cJSON_Delete(body);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	r = &s->items[s->n++];
	memset(r, 0, sizeof(*r));
	r->body = body;
	r->file = xstrdup(file);
	r->line = line;
	r->col = col;
	strlist_init(&r->prefixes);
	strlist_init(&r->suffixes);
	strlist_init(&r->vars);
	return 0;
}

int ks_set_move_all(struct ks_set *dst, struct ks_set *src, struct err *e)
{
	if (dst->n + src->n > KS_MAX_OBJECTS)
		return err_set(e, TE_INPUT, "more than %d objects", KS_MAX_OBJECTS);
	if (ks_set_grow(dst, src->n) < 0 || ks_tconfig_merge(&dst->tconfig, src->tconfig) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	memcpy(dst->items + dst->n, src->items, src->n * sizeof(*src->items));
	dst->n += src->n;
	src->n = 0;
	return 0;
}

const char *ks_kind(const cJSON *body)
{
	const char *k = json_str(body, "kind", NULL);

	return k ? k : "";
}

const char *ks_name(const cJSON *body)
{
	const char *n = json_str(body, "metadata", "name", NULL);

	return n ? n : "";
}

const char *ks_ns(const cJSON *body)
{
	return json_str(body, "metadata", "namespace", NULL);
}

void ks_group_version(const cJSON *body, char *group, size_t gsz, char *version, size_t vsz)
{
	const char *av = json_str(body, "apiVersion", NULL);
	const char *slash;

	if (!av)
		av = "";
	slash = strchr(av, '/');
	if (slash) {
		snprintf(group, gsz, "%.*s", (int)(slash - av), av);
		snprintf(version, vsz, "%s", slash + 1);
	} else {
		snprintf(group, gsz, "%s", "");
		snprintf(version, vsz, "%s", av);
	}
}

/* Built-in cluster-scoped kinds; anything else (custom resources included) is
 * treated as namespaced, as kustomize does without a schema for it. */
bool ks_cluster_scoped(const char *group, const char *kind)
{
	static const char *const kinds[] = {
	    "APIService",
	    "CertificateSigningRequest",
	    "ClusterRole",
	    "ClusterRoleBinding",
	    "ComponentStatus",
	    "CSIDriver",
	    "CSINode",
	    "CustomResourceDefinition",
	    "FlowSchema",
	    "IngressClass",
	    "MutatingWebhookConfiguration",
	    "Namespace",
	    "Node",
	    "PersistentVolume",
	    "PodSecurityPolicy",
	    "PriorityClass",
	    "PriorityLevelConfiguration",
	    "RuntimeClass",
	    "SelfSubjectAccessReview",
	    "SelfSubjectRulesReview",
	    "SelfSubjectReview",
	    "StorageClass",
	    "SubjectAccessReview",
	    "TokenReview",
	    "ValidatingAdmissionPolicy",
	    "ValidatingAdmissionPolicyBinding",
	    "ValidatingWebhookConfiguration",
	    "VolumeAttachment",
	    "MutatingAdmissionPolicy",
	    "MutatingAdmissionPolicyBinding",
	    "ClusterTrustBundle",
	    "IPAddress",
	    "ServiceCIDR",
	    "DeviceClass",
	    "VolumeAttributesClass",
	};
	(void)group;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kind, kinds[i]) == 0)
			return true;
	return false;
}

bool ks_ns_equal(const char *a, const char *b)
{
	if (!a || !*a)
		a = "default";
	if (!b || !*b)
		b = "default";
	return strcmp(a, b) == 0;
}

cJSON *ks_obj_child(cJSON *obj, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, key);

	if (cJSON_IsObject(c))
		return c;
	if (c && !cJSON_IsNull(c))
		return NULL;
	if (c)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	return cJSON_AddObjectToObject(obj, key);
}

int ks_set_str(cJSON *obj, const char *key, const char *val)
{
	return json_object_set(obj, key, cJSON_CreateString(val));
}

int ks_res_rename(struct ks_res *r, const char *name, const char *ns)
{
	char group[256], version[64];
	cJSON *meta = ks_obj_child(r->body, "metadata");
	struct ks_id *id;

	if (!meta)
		return TE_NOMEM;
	if (array_reserve(&r->prev, &r->capprev, r->nprev + 1, sizeof(*r->prev)) < 0)
		return TE_NOMEM;
	ks_group_version(r->body, group, sizeof(group), version, sizeof(version));
	id = &r->prev[r->nprev++];
	id->group = xstrdup(group);
	id->kind = xstrdup(ks_kind(r->body));
	id->name = xstrdup(ks_name(r->body));
	id->ns = xstrdup(ks_ns(r->body));
	if (name && ks_set_str(meta, "name", name) < 0)
		return TE_NOMEM;
	if (ns && ks_set_str(meta, "namespace", ns) < 0)
		return TE_NOMEM;
	return 0;
}

static bool ks_id_match(const char *g, const char *k, const char *n, const char *ns,
			const char *group, const char *kind, const char *name, const char *want_ns)
{
	if (group && strcmp(g ? g : "", group) != 0)
		return false;
	if (kind && strcmp(k ? k : "", kind) != 0)
		return false;
	if (name && strcmp(n ? n : "", name) != 0)
		return false;
	return !want_ns || ks_ns_equal(ns, want_ns);
}

bool ks_res_any_id(const struct ks_res *r, const char *group, const char *kind, const char *name,
		   const char *ns)
{
	char g[256], v[64];

	ks_group_version(r->body, g, sizeof(g), v, sizeof(v));
	if (ks_id_match(g, ks_kind(r->body), ks_name(r->body), ks_ns(r->body), group, kind, name,
			ns))
		return true;
	for (size_t i = 0; i < r->nprev; i++) {
		const struct ks_id *id = &r->prev[i];

		if (ks_id_match(id->group, id->kind, id->name, id->ns, group, kind, name, ns))
			return true;
	}
	return false;
}

bool ks_fs_matches(const struct ks_fieldspec *fs, const cJSON *body)
{
	char g[256], v[64];

	ks_group_version(body, g, sizeof(g), v, sizeof(v));
	if (fs->kind && *fs->kind && strcmp(fs->kind, ks_kind(body)) != 0)
		return false;
	if (fs->group && *fs->group && strcmp(fs->group, g) != 0)
		return false;
	if (fs->version && *fs->version && strcmp(fs->version, v) != 0)
		return false;
	return true;
}

/* Splits the next segment of a field-spec path: '/' separates, "\/" is a literal
 * slash (annotation keys), a trailing "[]" only marks a sequence. */
static const char *ks_fs_segment(const char *p, char *seg, size_t sz, bool *seq)
{
	size_t n = 0;

	*seq = false;
	while (*p && *p != '/') {
		if (p[0] == '\\' && p[1] == '/')
			p++;
		if (n + 1 < sz)
			seg[n++] = *p;
		p++;
	}
	seg[n] = '\0';
	if (n >= 2 && strcmp(seg + n - 2, "[]") == 0) {
		seg[n - 2] = '\0';
		*seq = true;
	}
	return *p == '/' ? p + 1 : p;
}

static int ks_fs_walk_node(cJSON *node, const char *path, bool create, ks_fs_fn fn, void *ctx,
			   int depth)
{
	char seg[256];
	const char *rest;
	cJSON *child;
	bool seq;
	int rc;

	if (depth > MANIFEST_MAX_DEPTH)
		return 0;
	if (cJSON_IsArray(node)) {
		cJSON *el;

		cJSON_ArrayForEach(el, node) if ((rc = ks_fs_walk_node(el, path, create, fn, ctx,
								       depth + 1)) < 0) return rc;
		return 0;
	}
	if (!cJSON_IsObject(node))
		return 0;
	rest = ks_fs_segment(path, seg, sizeof(seg), &seq);
	child = cJSON_GetObjectItemCaseSensitive(node, seg);
	if (!*rest) {
		if (!child && !create)
			return 0;
		return fn(node, seg, ctx);
	}
	if (!child || cJSON_IsNull(child)) {
		/* A missing sequence is never invented. */
		if (!create || seq)
			return 0;
		if (!(child = ks_obj_child(node, seg)))
			return TE_NOMEM;
	}
	return ks_fs_walk_node(child, rest, create, fn, ctx, depth + 1);
}

int ks_fs_walk(cJSON *obj, const char *path, bool create, ks_fs_fn fn, void *ctx)
{
	return ks_fs_walk_node(obj, path, create, fn, ctx, 0);
}

int ks_fs_apply(const struct ks_fieldspec *table, cJSON *body, ks_fs_fn fn, void *ctx)
{
	int rc;

	for (const struct ks_fieldspec *fs = table; fs->path; fs++) {
		if (!ks_fs_matches(fs, body))
			continue;
		if ((rc = ks_fs_walk(body, fs->path, fs->create, fn, ctx)) < 0)
			return rc;
	}
	return 0;
}

bool ks_fs_any(const struct ks_fieldspec *table, const cJSON *body)
{
	for (const struct ks_fieldspec *fs = table; fs->path; fs++)
		if (ks_fs_matches(fs, body))
			return true;
	return false;
}
