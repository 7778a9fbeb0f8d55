/*
 * kustomize_vars: the deprecated vars field, as kustomize runs it. At the end of each
 * kustomization its vars are bound to the one object their objref names (by any of
 * its identities); once the whole build is done (hash suffixes and name references
 * included) each var takes the value at its fieldref in that object, and $(NAME) is
 * expanded in the fields of kustomize's varReference config only. A $(NAME) that names
 * no var stays as written; "$$" is a literal "$".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

struct ks_var {
	char *name;
	char *group, *version, *kind, *oname, *ns; /* objref */
	char *fieldpath;			   /* fieldref.fieldPath, "" for the default */
	char *file;
	cJSON *value; /* once resolved: a scalar, or NULL for a mapping or list */
};

/* The pod templates of a workload kind under prefix, as kustomize's varReference. */
/* clang-format off */
#define KS_VAR_POD(kind, pre)                                                                      \
	{"", "", kind, pre "containers/args", false},                                              \
	{"", "", kind, pre "containers/command", false},                                           \
	{"", "", kind, pre "containers/env/value", false},                                         \
	{"", "", kind, pre "containers/volumeMounts/mountPath", false},                            \
	{"", "", kind, pre "initContainers/args", false},                                          \
	{"", "", kind, pre "initContainers/command", false},                                       \
	{"", "", kind, pre "initContainers/env/value", false},                                     \
	{"", "", kind, pre "initContainers/volumeMounts/mountPath", false}
/* clang-format on */

static const struct ks_fieldspec ks_var_refs[] = {
    KS_VAR_POD("CronJob", "spec/jobTemplate/spec/template/spec/"),
    {"", "", "CronJob", "spec/jobTemplate/spec/template/spec/volumes/nfs/server", false},
    KS_VAR_POD("DaemonSet", "spec/template/spec/"),
    {"", "", "DaemonSet", "spec/template/spec/volumes/nfs/server", false},
    KS_VAR_POD("Deployment", "spec/template/spec/"),
    {"", "", "Deployment", "spec/template/spec/volumes/nfs/server", false},
    {"", "", "Ingress", "spec/rules/host", false},
    {"", "", "Ingress", "spec/tls/hosts", false},
    {"", "", "Ingress", "spec/tls/secretName", false},
    KS_VAR_POD("Job", "spec/template/spec/"),
    {"", "", "Job", "spec/template/spec/volumes/nfs/server", false},
    KS_VAR_POD("Pod", "spec/"),
    {"", "", "Pod", "spec/volumes/nfs/server", false},
    KS_VAR_POD("ReplicaSet", "spec/template/spec/"),
    {"", "", "ReplicaSet", "spec/template/spec/volumes/nfs/server", false},
    {"", "", "Service", "spec/ports/port", false},
    {"", "", "Service", "spec/ports/targetPort", false},
    KS_VAR_POD("StatefulSet", "spec/template/spec/"),
    {"", "", "StatefulSet", "spec/volumeClaimTemplates/spec/nfs/server", false},
    {"", "", "PersistentVolume", "spec/nfs/server", false},
    {"", "", "", "metadata/labels", false},
    {"", "", "", "metadata/annotations", false},
    {NULL, NULL, NULL, NULL, false},
};

static void ks_var_dispose(struct ks_var *v)
{
	free(v->name);
	free(v->group);
	free(v->version);
	free(v->kind);
	free(v->oname);
	free(v->ns);
	free(v->fieldpath);
	free(v->file);
	cJSON_Delete(v->value);
}

void ks_vars_dispose(struct ks_ctx *c)
{
	for (size_t i = 0; i < c->nvars; i++)
		ks_var_dispose(&c->vars[i]);
	free(c->vars);
	c->vars = NULL;
	c->nvars = c->capvars = 0;
}

/* kustomize prints a var as {NAME Kind.version.group {fieldPath}}. */
static void ks_var_text(const struct ks_var *v, bool defaulted, char *out, size_t sz)
{
	const char *fp = *v->fieldpath || !defaulted ? v->fieldpath : "metadata.name";

	snprintf(out, sz, "{%s %s.%s.%s {%s}}", v->name, *v->kind ? v->kind : "[noKind]",
		 *v->version ? v->version : "[noVer]", *v->group ? v->group : "[noGrp]", fp);
}

/* objref's apiVersion ("group/version" or "version") wins over group and version. */
static int ks_var_read(struct ks_var *v, const cJSON *it, const char *file)
{
	const cJSON *ref = ks_kget(it, "objref");
	const char *av = ks_kstr(ref, "apiVersion", ""), *slash = strchr(av, '/');
	char *group =
	    slash ? strndup(av, (size_t)(slash - av)) : xstrdup(ks_kstr(ref, "group", ""));

	memset(v, 0, sizeof(*v));
	v->group = group;
	v->version = xstrdup(*av ? (slash ? slash + 1 : av) : ks_kstr(ref, "version", ""));
	v->name = xstrdup(ks_kstr(it, "name", ""));
	v->kind = xstrdup(ks_kstr(ref, "kind", ""));
	v->oname = xstrdup(ks_kstr(ref, "name", ""));
	v->ns = xstrdup(ks_kstr(ref, "namespace", ""));
	v->fieldpath = xstrdup(ks_kstr(ks_kget(it, "fieldref"), "fieldPath", ""));
	v->file = xstrdup(file);
	if (!v->group || !v->version || !v->name || !v->kind || !v->oname || !v->ns ||
	    !v->fieldpath || !v->file) {
		ks_var_dispose(v);
		return TE_NOMEM;
	}
	return 0;
}

/* ResId.Equals (GvknEquals when the objref has no namespace and the kind has one)
 * against every identity of r. */
static bool ks_var_names(const struct ks_var *v, const struct ks_res *r)
{
	char g[256], ver[64];
	bool any_ns = !*v->ns && !ks_cluster_scoped(v->group, v->kind);

	ks_group_version(r->body, g, sizeof(g), ver, sizeof(ver));
	if (strcmp(ver, v->version) != 0)
		return false;
	return ks_res_any_id(r, v->group, v->kind, v->oname,
			     any_ns || ks_cluster_scoped(v->group, v->kind) ? NULL : v->ns);
}

/* Binds v to the one object of ra it names (none: resolving it fails later). */
static int ks_var_bind(const struct ks_var *v, struct ks_set *ra, struct err *e)
{
	struct ks_res *match = NULL;
	char text[1024];
	int n = 0;

	for (size_t i = 0; i < ra->n; i++)
		if (ks_var_names(v, &ra->items[i])) {
			match = &ra->items[i];
			n++;
		}
	if (n > 1) {
		ks_var_text(v, false, text, sizeof(text));
		return err_set(
		    e, TE_INPUT,
		    "%s: vars: found %d resId matches for var %s (unable to disambiguate)", v->file,
		    n, text);
	}
	if (match && strlist_add(&match->vars, v->name) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}

static int ks_var_add(struct ks_ctx *c, const cJSON *it, struct ks_set *ra, struct err *e)
{
	struct ks_var v;
	int rc;

	if (!cJSON_IsObject(it) || !*ks_kstr(it, "name", "") ||
	    !cJSON_IsObject(ks_kget(it, "objref")))
		return err_set(e, TE_INPUT, "%s: vars: each var needs a name and an objref",
			       c->file);
	if (ks_var_read(&v, it, c->file) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < c->nvars; i++)
		if (strcmp(c->vars[i].name, v.name) == 0) {
			rc = err_set(e, TE_INPUT, "%s: vars: var '%s' already encountered", c->file,
				     v.name);
			goto fail;
		}
	if ((rc = ks_var_bind(&v, ra, e)) < 0)
		goto fail;
	if (array_reserve(&c->vars, &c->capvars, c->nvars + 1, sizeof(*c->vars)) < 0) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto fail;
	}
	c->vars[c->nvars++] = v;
	return 0;
fail:
	ks_var_dispose(&v);
	return rc;
}

int ks_vars_merge(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	const cJSON *list, *it;
	int rc;

	if ((rc = ks_list_field(c, kust, "vars", &list, e)) < 0)
		return rc;
	cJSON_ArrayForEach(it, list) if ((rc = ks_var_add(c, it, ra, e)) < 0) return rc;
	return 0;
}

/* The value of v: its fieldref in the first object it is bound to. */
static int ks_var_value(struct ks_var *v, struct ks_set *ra, struct err *e)
{
	char text[1024];
	struct ks_fpath p;
	const cJSON *val = NULL;
	size_t i;

	for (i = 0; i < ra->n && !strlist_contains(&ra->items[i].vars, v->name); i++)
		;
	ks_var_text(v, true, text, sizeof(text));
	if (i == ra->n)
		return err_set(e, TE_INPUT,
			       "%s: vars: var '%s' cannot be mapped to a field in the set of known "
			       "resources",
			       v->file, text);
	if (ks_fpath_parse_var(&p, *v->fieldpath ? v->fieldpath : "metadata.name") < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	val = ks_fpath_get(ra->items[i].body, &p);
	ks_fpath_dispose(&p);
	if (!val)
		return err_set(e, TE_INPUT,
			       "%s: vars: field specified in var '%s' not found in corresponding "
			       "resource",
			       v->file, text);
	if (cJSON_IsObject(val) || cJSON_IsArray(val))
		return 0;
	if (!(v->value = cJSON_Duplicate(val, true)))
		return err_set(e, TE_NOMEM, "out of memory");
	return 0;
}

static const struct ks_var *ks_var_find(const struct ks_ctx *c, const char *name, size_t n)
{
	for (size_t i = 0; i < c->nvars; i++)
		if (c->vars[i].value && strlen(c->vars[i].name) == n &&
		    strncmp(c->vars[i].name, name, n) == 0)
			return &c->vars[i];
	return NULL;
}

/* One "$..." at in[0] (in[1] exists): appends what it stands for to b and returns
 * how many bytes it took; *var is set when it is a defined $(NAME). */
static size_t ks_expand_one(const struct ks_ctx *c, const char *in, struct buf *b,
			    const struct ks_var **var, int *rc)
{
	const char *close;
	char text[4096];

	*var = NULL;
	if (in[1] == '$') {
		*rc = buf_puts(b, "$");
		return 2;
	}
	if (in[1] != '(' || !(close = strchr(in + 2, ')'))) {
		*rc = buf_append(b, in, 2);
		return 2;
	}
	*var = ks_var_find(c, in + 2, (size_t)(close - in - 2));
	if (!*var)
		*rc = buf_append(b, in, (size_t)(close - in + 1));
	else if (ks_scalar_text((*var)->value, text, sizeof(text)) < 0)
		*rc = TE_INPUT;
	else
		*rc = buf_puts(b, text);
	return (size_t)(close - in + 1);
}

/* kustomize's expansion of s: a copy of the var's value when s is exactly one defined
 * $(NAME) (its type kept), else the expanded string. */
static cJSON *ks_expand(const struct ks_ctx *c, const char *s)
{
	const struct ks_var *var = NULL;
	struct buf b;
	size_t len = strlen(s), at = 0;
	cJSON *out = NULL;
	int rc = 0;

	buf_init(&b, MANIFEST_MAX_FILE);
	while (at < len && rc == 0) {
		const char *d = strchr(s + at, '$');
		size_t took;

		if (!d || d[1] == '\0') {
			rc = buf_puts(&b, s + at);
			break;
		}
		if ((rc = buf_append(&b, s + at, (size_t)(d - s - at))) < 0)
			break;
		took = ks_expand_one(c, d, &b, &var, &rc);
		if (var && d == s && took == len) {
			buf_dispose(&b);
			return cJSON_Duplicate(var->value, true);
		}
		at = (size_t)(d - s) + took;
	}
	if (rc == 0)
		out = cJSON_CreateString(KS_TEXT(b));
	buf_dispose(&b);
	return out;
}

/* Expands the string node n (of parent) in place. */
static int ks_expand_node(const struct ks_ctx *c, cJSON *parent, cJSON *n)
{
	cJSON *nv = ks_expand(c, n->valuestring);

	if (!nv)
		return TE_NOMEM;
	if (cJSON_IsString(nv) && strcmp(nv->valuestring, n->valuestring) == 0) {
		cJSON_Delete(nv);
		return 0;
	}
	return ks_node_replace(parent, n, nv);
}

/* The field key of parent, at a varReference path: a string, the strings of a
 * mapping, or a list that must hold only strings. */
static int ks_var_field(cJSON *parent, const char *key, void *ctx)
{
	const struct ks_ctx *c = ctx;
	cJSON *n = cJSON_GetObjectItemCaseSensitive(parent, key), *it, *next;
	int rc = 0;

	if (cJSON_IsString(n))
		return ks_expand_node(c, parent, n);
	if (cJSON_IsArray(n))
		for (it = n->child; it && rc == 0; it = it->next)
			if (!cJSON_IsString(it))
				return TE_INPUT;
	if (!cJSON_IsArray(n) && !cJSON_IsObject(n))
		return 0;
	for (it = n->child; it && rc == 0; it = next) {
		next = it->next;
		if (cJSON_IsString(it))
			rc = ks_expand_node(c, n, it);
	}
	return rc;
}

/* The varReference field specs: kustomize's, then those of the configurations. */
int ks_vars_resolve(struct ks_ctx *c, struct ks_set *ra, struct err *e)
{
	struct ks_fieldspec *cfg = NULL;
	int rc = 0;

	if (c->nvars == 0)
		return 0;
	for (size_t i = 0; i < c->nvars; i++)
		if ((rc = ks_var_value(&c->vars[i], ra, e)) < 0)
			return rc;
	if ((rc = ks_tconfig_specs("configurations", ra, "varReference", ks_var_refs, &cfg, e)) < 0)
		return rc;
	for (size_t i = 0; i < ra->n && rc == 0; i++) {
		struct ks_res *r = &ra->items[i];

		rc = ks_fs_apply(cfg ? cfg : ks_var_refs, r->body, ks_var_field, c);
		if (rc == TE_INPUT)
			rc = err_set(e, rc, "%s: %s %s: vars: invalid value type expect a string",
				     r->file, ks_kind(r->body), ks_name(r->body));
		else if (rc < 0)
			rc = err_set(e, rc, "out of memory");
	}
	free(cfg);
	return rc;
}
