/*
 * kustomize_smp: strategic merge patches and JSON 6902 patches on cJSON objects.
 * Lists of built-in types merge by their Kubernetes merge key (containers by name,
 * volumeMounts by mountPath...); other lists, and every list of a custom resource
 * (kustomize has no schema for it), are replaced. Directives: null deletes a field, $patch: delete
 * and $patch: replace, $deleteFromPrimitiveList, $setElementOrder (ignored: order only).
 */
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

static const struct {
	const char *field;
	const char *key;
} ks_merge_keys[] = {
    {"containers", "name"},
    {"initContainers", "name"},
    {"ephemeralContainers", "name"},
    {"env", "name"},
    {"volumes", "name"},
    {"volumeMounts", "mountPath"},
    {"volumeDevices", "devicePath"},
    {"imagePullSecrets", "name"},
    {"hostAliases", "ip"},
    {"topologySpreadConstraints", "topologyKey"},
    {"conditions", "type"},
    {"ownerReferences", "uid"},
    {"resourceClaims", "name"},
    {"schedulingGates", "name"},
    {"webhooks", "name"},
    {"secrets", "name"},
};

/* API groups of the built-in kinds kustomize has a schema for. Lists of other kinds
 * (custom resources) have no merge keys there and are replaced by a patch. */
static const char *const ks_builtin_groups[] = {
    "",
    "apps",
    "batch",
    "autoscaling",
    "policy",
    "networking.k8s.io",
    "rbac.authorization.k8s.io",
    "storage.k8s.io",
    "scheduling.k8s.io",
    "apiextensions.k8s.io",
    "admissionregistration.k8s.io",
    "apiregistration.k8s.io",
    "coordination.k8s.io",
    "discovery.k8s.io",
    "node.k8s.io",
    "certificates.k8s.io",
    "events.k8s.io",
    "flowcontrol.apiserver.k8s.io",
    "resource.k8s.io",
};

/*
 * Where a merge is in the schema. Without an openapi file, builtin says whether the
 * object is of a built-in kind (its lists merge by the keys above). With one (doc),
 * node is the schema of the value being merged: kustomize then uses that schema alone,
 * built-in kinds included, and a value the schema does not describe has no merge key.
 */
struct ks_sch {
	bool builtin;
	const cJSON *doc;  /* the openapi document, or NULL */
	const cJSON *node; /* with doc: the schema of this value, or NULL */
};

/* Follows "$ref": "#/definitions/NAME" (a few times at most: refs to refs). */
static const cJSON *ks_sch_resolve(const cJSON *doc, const cJSON *node)
{
	for (int i = 0; i < 8 && node; i++) {
		const char *ref = json_str(node, "$ref", NULL);

		if (!ref)
			return node;
		if (strncmp(ref, "#/definitions/", 14) != 0)
			return NULL;
		node = json_get(doc, "definitions", ref + 14, NULL);
	}
	return node;
}

/* The schema of member k of an object (properties.k), or of a list's elements. */
static struct ks_sch ks_sch_child(const struct ks_sch *s, const char *k)
{
	struct ks_sch c = {s->builtin, s->doc, NULL};

	if (s->doc && s->node)
		c.node =
		    ks_sch_resolve(s->doc, k ? json_get(s->node, "properties", k, NULL)
					     : cJSON_GetObjectItemCaseSensitive(s->node, "items"));
	return c;
}

/* The definition of the object's kind in the openapi document (its
 * x-kubernetes-group-version-kind), or NULL. */
static const cJSON *ks_sch_kind(const cJSON *doc, const cJSON *body)
{
	char g[256], v[64];
	const cJSON *def, *gvk;

	ks_group_version(body, g, sizeof(g), v, sizeof(v));
	cJSON_ArrayForEach(def, cJSON_GetObjectItemCaseSensitive(doc, "definitions"))
	{
		cJSON_ArrayForEach(
		    gvk, cJSON_GetObjectItemCaseSensitive(def, "x-kubernetes-group-version-kind"))
		{
			if (strcmp(json_str_or(gvk, "", "group", NULL), g) == 0 &&
			    strcmp(json_str_or(gvk, "", "version", NULL), v) == 0 &&
			    strcmp(json_str_or(gvk, "", "kind", NULL), ks_kind(body)) == 0)
				return def;
		}
	}
	return NULL;
}

static bool ks_is_directive(const char *k)
{
	return strcmp(k, "$patch") == 0 || strncmp(k, "$setElementOrder/", 17) == 0 ||
	       strcmp(k, "$retainKeys") == 0 || strncmp(k, "$deleteFromPrimitiveList/", 25) == 0;
}

/* Whether member it of v is no content: a directive, or a list item that deletes or
 * replaces. */
static bool ks_clean_drops(const cJSON *v, const cJSON *it)
{
	const char *p;

	if (it->string && ks_is_directive(it->string))
		return true;
	if (!cJSON_IsObject(it) || !cJSON_IsArray(v))
		return false;
	p = json_str(it, "$patch", NULL);
	return p && (strcmp(p, "delete") == 0 || strcmp(p, "replace") == 0);
}

/* A copy of a patch value without directives. */
static cJSON *ks_clean(const cJSON *v, int depth)
{
	cJSON *out, *c;
	const cJSON *it;

	if (depth > MANIFEST_MAX_DEPTH)
		return NULL;
	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return cJSON_Duplicate(v, true);
	out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
	if (!out)
		return NULL;
	cJSON_ArrayForEach(it, v)
	{
		if (ks_clean_drops(v, it))
			continue;
		c = ks_clean(it, depth + 1);
		if ((it->string ? json_object_add(out, it->string, c) : json_array_append(out, c)) <
		    0) {
			cJSON_Delete(out);
			return NULL;
		}
	}
	return out;
}

static const char *ks_list_key(const char *field, const cJSON *dst, const cJSON *patch)
{
	const cJSON *el;

	for (size_t i = 0; i < sizeof(ks_merge_keys) / sizeof(ks_merge_keys[0]); i++)
		if (strcmp(field, ks_merge_keys[i].field) == 0)
			return ks_merge_keys[i].key;
	if (strcmp(field, "ports") == 0) {
		cJSON_ArrayForEach(el, patch) if (cJSON_GetObjectItemCaseSensitive(
						      el, "containerPort")) return "containerPort";
		cJSON_ArrayForEach(el, dst) if (cJSON_GetObjectItemCaseSensitive(
						    el, "containerPort")) return "containerPort";
		return "port";
	}
	return NULL;
}

static bool ks_json_eq(const cJSON *a, const cJSON *b)
{
	return a && b && cJSON_Compare(a, b, true);
}

static int ks_smp_map(cJSON *dst, const cJSON *patch, const struct ks_sch *s, int depth);

/* A list holding {"$patch": "replace"} replaces the original list with its other
 * elements. */
static bool ks_list_replaces(const cJSON *patch)
{
	const cJSON *pe;

	cJSON_ArrayForEach(pe, patch)
	{
		const char *d = json_str(pe, "$patch", NULL);

		if (d && strcmp(d, "replace") == 0)
			return true;
	}
	return false;
}

/* A list of scalars merged as a set (metadata.finalizers): the patch's values, then
 * the original values it does not repeat. */
static int ks_smp_set(cJSON *parent, const char *field, cJSON *dst, const cJSON *patch)
{
	cJSON *out = cJSON_Duplicate(patch, true), *d;
	const cJSON *p;

	if (!out)
		return TE_NOMEM;
	cJSON_ArrayForEach(d, dst)
	{
		bool seen = false;

		cJSON_ArrayForEach(p, patch) seen = seen || cJSON_Compare(p, d, true);
		if (!seen && json_array_append(out, cJSON_Duplicate(d, true)) < 0) {
			cJSON_Delete(out);
			return TE_NOMEM;
		}
	}
	return json_object_set(parent, field, out);
}

/* The element of dst with the same key value as pe, detached from dst; NULL if none. */
static cJSON *ks_take_match(cJSON *dst, const char *key, const cJSON *pe)
{
	const cJSON *kv = cJSON_GetObjectItemCaseSensitive(pe, key);
	cJSON *d;

	cJSON_ArrayForEach(d, dst)
	{
		if (ks_json_eq(cJSON_GetObjectItemCaseSensitive(d, key), kv))
			return cJSON_DetachItemViaPointer(dst, d);
	}
	return NULL;
}

/* One element of a patch list: deletes the original element with its key, or merges
 * into it, or adds it; what is kept is appended to out. */
static int ks_smp_list_elem(cJSON *out, cJSON *dst, const cJSON *pe, const char *key,
			    const struct ks_sch *s, int depth)
{
	const char *dir = json_str(pe, "$patch", NULL);
	cJSON *match;
	int rc;

	if (!cJSON_IsObject(pe))
		return 0;
	match = ks_take_match(dst, key, pe);
	if (dir && strcmp(dir, "delete") == 0) {
		cJSON_Delete(match);
		return 0;
	}
	if (!match)
		return json_array_append(out, ks_clean(pe, depth));
	if ((rc = json_array_append(out, match)) < 0)
		return rc;
	return ks_smp_map(match, pe, s, depth + 1);
}

/*
 * Merges two lists by key. The result holds the patch's elements first, in the
 * patch's order (merged into the original element with the same key), then the
 * original elements the patch did not mention: what kustomize v5 produces.
 */
/* The merge key of a list (NULL: the patch replaces it); *set: a list of scalars
 * merged as a set. */
static const char *ks_sch_list_key(const struct ks_sch *s, const char *field, const cJSON *dst,
				   const cJSON *patch, bool *set)
{
	const char *strategy;

	*set = false;
	if (!s->doc) {
		*set = s->builtin && strcmp(field, "finalizers") == 0;
		return s->builtin ? ks_list_key(field, dst, patch) : NULL;
	}
	strategy = json_str_or(s->node, "", "x-kubernetes-patch-strategy", NULL);
	if (!strstr(strategy, "merge"))
		return NULL;
	*set = !json_str(s->node, "x-kubernetes-patch-merge-key", NULL);
	return json_str(s->node, "x-kubernetes-patch-merge-key", NULL);
}

/*
 * Merges two lists by key. The result holds the patch's elements first, in the
 * patch's order (merged into the original element with the same key), then the
 * original elements the patch did not mention: what kustomize v5 produces.
 */
static int ks_smp_list(cJSON *parent, const char *field, cJSON *dst, const cJSON *patch,
		       const struct ks_sch *s, int depth)
{
	bool set;
	const char *key = ks_sch_list_key(s, field, dst, patch, &set);
	struct ks_sch items = ks_sch_child(s, NULL);
	const cJSON *pe;
	cJSON *out;
	int rc;

	if (set && cJSON_IsArray(dst))
		return ks_smp_set(parent, field, dst, patch);
	if (!key || !cJSON_IsArray(dst) || ks_list_replaces(patch)) {
		return json_object_set(parent, field, ks_clean(patch, depth));
	}
	if (!(out = cJSON_CreateArray()))
		return TE_NOMEM;
	cJSON_ArrayForEach(pe, patch)
	{
		if ((rc = ks_smp_list_elem(out, dst, pe, key, &items, depth)) < 0) {
			cJSON_Delete(out);
			return rc;
		}
	}
	/* Moving items already in a tree cannot fail. */
	while (dst->child)
		cJSON_AddItemToArray(out, cJSON_DetachItemViaPointer(dst, dst->child));
	return json_object_set(parent, field, out);
}

/* $deleteFromPrimitiveList/field: [values] removes those values from dst.field. */
static void ks_delete_primitives(cJSON *dst, const char *field, const cJSON *values)
{
	cJSON *list = cJSON_GetObjectItemCaseSensitive(dst, field), *el, *next;
	const cJSON *v;

	if (!cJSON_IsArray(list))
		return;
	for (el = list->child; el; el = next) {
		next = el->next;
		cJSON_ArrayForEach(v, values) if (cJSON_Compare(el, v, true))
		{
			cJSON_Delete(cJSON_DetachItemViaPointer(list, el));
			break;
		}
	}
}

/* One member pv of a map patch into dst: a directive, null (delete), a nested map or
 * list (merged), or a value (replaces). */
static int ks_smp_member(cJSON *dst, const cJSON *pv, const struct ks_sch *s, int depth)
{
	const char *k = pv->string, *d2;
	cJSON *dv = cJSON_GetObjectItemCaseSensitive(dst, k);
	struct ks_sch sub = ks_sch_child(s, k);

	if (strncmp(k, "$deleteFromPrimitiveList/", 25) == 0) {
		ks_delete_primitives(dst, k + 25, pv);
		return 0;
	}
	if (ks_is_directive(k))
		return 0;
	if (cJSON_IsNull(pv)) {
		cJSON_DeleteItemFromObjectCaseSensitive(dst, k);
		return 0;
	}
	if (cJSON_IsObject(pv) && cJSON_IsObject(dv)) {
		d2 = json_str(pv, "$patch", NULL);
		if (!d2 || strcmp(d2, "delete") != 0)
			return ks_smp_map(dv, pv, &sub, depth + 1);
		cJSON_DeleteItemFromObjectCaseSensitive(dst, k);
		return 0;
	}
	if (cJSON_IsArray(pv) && cJSON_IsArray(dv))
		return ks_smp_list(dst, k, dv, pv, &sub, depth + 1);
	return json_object_set(dst, k, ks_clean(pv, depth));
}

static int ks_smp_map(cJSON *dst, const cJSON *patch, const struct ks_sch *s, int depth)
{
	const char *dir = json_str(patch, "$patch", NULL);
	const cJSON *pv;
	int rc;

	if (depth > MANIFEST_MAX_DEPTH)
		return TE_INPUT;
	if (dir && strcmp(dir, "replace") == 0) {
		while (dst->child)
			cJSON_Delete(cJSON_DetachItemViaPointer(dst, dst->child));
	}
	cJSON_ArrayForEach(pv, patch)
	{
		if ((rc = ks_smp_member(dst, pv, s, depth)) < 0)
			return rc;
	}
	return 0;
}

int ks_smp_with(cJSON *target, const cJSON *patch, const cJSON *openapi, struct err *e)
{
	char g[256], v[64];
	struct ks_sch s = {false, openapi, NULL};
	int rc;

	ks_group_version(target, g, sizeof(g), v, sizeof(v));
	for (size_t i = 0; i < sizeof(ks_builtin_groups) / sizeof(ks_builtin_groups[0]); i++)
		s.builtin = s.builtin || strcmp(g, ks_builtin_groups[i]) == 0;
	if (openapi)
		s.node = ks_sch_kind(openapi, target);
	rc = ks_smp_map(target, patch, &s, 0);

	if (rc < 0)
		return err_set(e, rc, "strategic merge patch failed");
	return 0;
}

/* ---- JSON 6902 ---- */

static bool ks_index(const cJSON *arr, const char *tok, bool allow_end, int *idx)
{
	char *end;
	long v;
	int n = cJSON_GetArraySize(arr);

	if (allow_end && strcmp(tok, "-") == 0) {
		*idx = n;
		return true;
	}
	v = strtol(tok, &end, 10);
	if (!*tok || *end || v < 0 || v > n || (!allow_end && v == n))
		return false;
	*idx = (int)v;
	return true;
}

/* One reference token of n bytes at s, unescaped ("~0" is '~', "~1" is '/'); the
 * caller frees it. */
static char *ks_ptr_token(const char *s, size_t n)
{
	char *tok = malloc(n + 1), *w = tok;

	for (size_t i = 0; tok && i < n; i++) {
		if (s[i] == '~' && i + 1 < n && (s[i + 1] == '0' || s[i + 1] == '1'))
			*w++ = s[++i] == '0' ? '~' : '/';
		else
			*w++ = s[i];
	}
	if (tok)
		*w = '\0';
	return tok;
}

/* The member or item tok of cur; NULL when there is none. */
static cJSON *ks_ptr_child(cJSON *cur, const char *tok)
{
	int idx;

	if (!cJSON_IsArray(cur))
		return cJSON_GetObjectItemCaseSensitive(cur, tok);
	return ks_index(cur, tok, false, &idx) ? cJSON_GetArrayItem(cur, idx) : NULL;
}

/* Resolves a JSON pointer to the parent container and the last token. */
static int ks_ptr(cJSON *doc, const char *ptr, cJSON **parent, char **last, struct err *e)
{
	cJSON *cur = doc;
	const char *p = ptr;

	*parent = NULL;
	*last = NULL;
	if (*p != '/')
		return err_set(e, TE_INPUT, "JSON patch path %s must start with /", ptr);
	while (*p == '/') {
		const char *end = strchr(p + 1, '/');
		size_t n = end ? (size_t)(end - p - 1) : strlen(p + 1);
		char *tok = ks_ptr_token(p + 1, n);

		if (!tok)
			return TE_NOMEM;
		if (!end) {
			*parent = cur;
			*last = tok;
			return 0;
		}
		cur = ks_ptr_child(cur, tok);
		free(tok);
		if (!cur)
			return err_set(e, TE_INPUT, "JSON patch path %s does not exist", ptr);
		p = end;
	}
	return err_set(e, TE_INPUT, "JSON patch path %s is invalid", ptr);
}

/* Detaches the value at path (for remove and move); NULL if absent. */
static cJSON *ks_ptr_detach(cJSON *doc, const char *path, struct err *e)
{
	cJSON *parent, *out = NULL;
	char *last;
	int idx;

	if (ks_ptr(doc, path, &parent, &last, e) < 0)
		return NULL;
	if (cJSON_IsArray(parent) && ks_index(parent, last, false, &idx))
		out = cJSON_DetachItemFromArray(parent, idx);
	else if (cJSON_IsObject(parent))
		out = cJSON_DetachItemFromObjectCaseSensitive(parent, last);
	if (!out)
		err_set(e, TE_INPUT, "JSON patch path %s does not exist", path);
	free(last);
	return out;
}

static const cJSON *ks_ptr_get(cJSON *doc, const char *path, struct err *e)
{
	cJSON *parent;
	const cJSON *out = NULL;
	char *last;
	int idx;

	if (strcmp(path, "") == 0)
		return doc;
	if (ks_ptr(doc, path, &parent, &last, e) < 0)
		return NULL;
	if (cJSON_IsArray(parent) && ks_index(parent, last, false, &idx))
		out = cJSON_GetArrayItem(parent, idx);
	else if (cJSON_IsObject(parent))
		out = cJSON_GetObjectItemCaseSensitive(parent, last);
	if (!out)
		err_set(e, TE_INPUT, "JSON patch path %s does not exist", path);
	free(last);
	return out;
}

/* add (replace=false) or replace (replace=true) value at path; takes value. */
static int ks_ptr_put(cJSON **doc, const char *path, cJSON *value, bool replace, struct err *e)
{
	cJSON *parent;
	char *last = NULL;
	int idx, rc = 0;

	if (strcmp(path, "") == 0) {
		cJSON_Delete(*doc);
		*doc = value;
		return 0;
	}
	if ((rc = ks_ptr(*doc, path, &parent, &last, e)) < 0)
		goto fail;
	if (cJSON_IsArray(parent)) {
		if (!ks_index(parent, last, !replace, &idx)) {
			rc = err_set(e, TE_INPUT, "JSON patch path %s: bad array index", path);
			goto fail;
		}
		/* value is owned by the helper from here on, whatever it returns. */
		rc = replace ? json_array_replace(parent, idx, value)
			     : json_array_insert(parent, idx, value);
		value = NULL;
	} else if (cJSON_IsObject(parent)) {
		if (replace && !cJSON_GetObjectItemCaseSensitive(parent, last)) {
			rc = err_set(e, TE_INPUT, "JSON patch replace: path %s does not exist",
				     path);
			goto fail;
		}
		rc = json_object_set(parent, last, value);
		value = NULL;
	} else {
		rc = err_set(e, TE_INPUT, "JSON patch path %s: parent is not a container", path);
		goto fail;
	}
	if (rc < 0)
		err_set(e, rc, "JSON patch %s %s: out of memory", replace ? "replace" : "add",
			path);
fail:
	free(last);
	cJSON_Delete(value);
	return rc;
}

/* The RFC 6902 operations; o is the operation's name, for messages. */
static int ks_op_put(cJSON **doc, const char *o, const char *path, const cJSON *op, struct err *e)
{
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
	cJSON *v;

	if (!value)
		return err_set(e, TE_INPUT, "JSON patch %s %s needs a value", o, path);
	if (!(v = cJSON_Duplicate(value, true)))
		return err_set(e, TE_NOMEM, "JSON patch %s: out of memory", o);
	return ks_ptr_put(doc, path, v, strcmp(o, "replace") == 0, e);
}

static int ks_op_remove(cJSON **doc, const char *o, const char *path, const cJSON *op,
			struct err *e)
{
	cJSON *v = ks_ptr_detach(*doc, path, e);

	if (!v)
		return TE_INPUT;
	cJSON_Delete(v);
	return 0;
}

/* move and copy: the value at from, detached or copied, added at path. */
static int ks_op_relocate(cJSON **doc, const char *o, const char *path, const cJSON *op,
			  struct err *e)
{
	const char *from = json_str(op, "from", NULL);
	const cJSON *src;
	cJSON *v;

	if (!from)
		return err_set(e, TE_INPUT, "JSON patch %s %s needs from", o, path);
	if (strcmp(o, "move") == 0)
		v = ks_ptr_detach(*doc, from, e);
	else
		v = (src = ks_ptr_get(*doc, from, e)) ? cJSON_Duplicate(src, true) : NULL;
	if (!v)
		return e->code ? e->code : err_set(e, TE_NOMEM, "JSON patch copy: out of memory");
	return ks_ptr_put(doc, path, v, false, e);
}

static int ks_op_test(cJSON **doc, const char *o, const char *path, const cJSON *op, struct err *e)
{
	const cJSON *value = cJSON_GetObjectItemCaseSensitive(op, "value");
	const cJSON *src = ks_ptr_get(*doc, path, e);

	if (!src)
		return TE_INPUT;
	if (!value || !cJSON_Compare(src, value, true))
		return err_set(e, TE_INPUT, "JSON patch test at %s failed", path);
	return 0;
}

static const struct {
	const char *name;
	int (*apply)(cJSON **doc, const char *o, const char *path, const cJSON *op, struct err *e);
} ks_ops[] = {{"add", ks_op_put},	{"replace", ks_op_put},	  {"remove", ks_op_remove},
	      {"move", ks_op_relocate}, {"copy", ks_op_relocate}, {"test", ks_op_test}};

static int ks_json_op(cJSON **doc, const cJSON *op, struct err *e)
{
	const char *o = json_str(op, "op", NULL), *path = json_str(op, "path", NULL);

	if (!o || !path)
		return err_set(e, TE_INPUT, "JSON patch operation needs op and path");
	for (size_t i = 0; i < sizeof(ks_ops) / sizeof(ks_ops[0]); i++)
		if (strcmp(o, ks_ops[i].name) == 0)
			return ks_ops[i].apply(doc, o, path, op, e);
	return err_set(e, TE_INPUT, "JSON patch: unknown op %s", o);
}

int ks_json6902(cJSON **doc, const cJSON *ops, struct err *e)
{
	const cJSON *op;
	int rc;

	if (!cJSON_IsArray(ops))
		return err_set(e, TE_INPUT, "a JSON 6902 patch must be a list of operations");
	cJSON_ArrayForEach(op, ops) if ((rc = ks_json_op(doc, op, e)) < 0) return rc;
	return 0;
}

int ks_smp(cJSON *target, const cJSON *patch, struct err *e)
{
	return ks_smp_with(target, patch, NULL, e);
}
