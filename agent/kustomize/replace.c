/*
 * kustomize_replace: the replacements field (and the builtin ReplacementTransformer),
 * as kustomize's replacement filter runs it: each replacement reads one value from
 * the single object its source selects and writes it at the field paths of every
 * object its targets select and do not reject. Objects are selected by any of their
 * identities, earlier names included. Messages carry kustomize's words so a user can
 * search for them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"
#include "yamlread.h"

/* A selector: the ResId fields ("" matches any) and label/annotation selectors. */
struct ks_sel {
	const char *group, *version, *kind, *name, *ns;
	const char *labels, *annos;
};

/* One identity of an object (current or earlier). */
struct ks_rid {
	const char *g, *v, *k, *n, *ns;
};

/* Options of a source or target. */
struct ks_opts {
	const char *delim;
	int index;
	bool create;
};

/* What one replacement works with. */
struct ks_rctx {
	const char *file; /* where the replacement is written */
	struct ks_set *ra;
	cJSON *value; /* owned copy of the source's value */
	struct err *e;
};

static void ks_sel_read(const cJSON *o, struct ks_sel *s)
{
	s->group = ks_kstr(o, "group", "");
	s->version = ks_kstr(o, "version", "");
	s->kind = ks_kstr(o, "kind", "");
	s->name = ks_kstr(o, "name", "");
	s->ns = ks_kstr(o, "namespace", "");
	s->labels = ks_kstr(o, "labelSelector", "");
	s->annos = ks_kstr(o, "annotationSelector", "");
}

static bool ks_sel_id_empty(const struct ks_sel *s)
{
	return !*s->group && !*s->version && !*s->kind && !*s->name && !*s->ns;
}

void ks_resid_text(const char *group, const char *version, const char *kind, const char *name,
		   const char *ns, char *out, size_t sz)
{
	snprintf(out, sz, "%s.%s.%s/%s.%s", *kind ? kind : "[noKind]",
		 *version ? version : "[noVer]", *group ? group : "[noGrp]",
		 *name ? name : "[noName]", ns && *ns ? ns : "[noNs]");
}

static void ks_sel_text(const struct ks_sel *s, char *out, size_t sz)
{
	ks_resid_text(s->group, s->version, s->kind, s->name, s->ns, out, sz);
}

/* kustomize's effective namespace: none for cluster-scoped kinds, "" is "default". */
static const char *ks_eff_ns(const char *ns, const char *group, const char *kind)
{
	if (ks_cluster_scoped(group, kind))
		return "_non_namespaceable_";
	return ns && *ns ? ns : "default";
}

/* ResId.IsSelectedBy. */
static bool ks_sel_id(const struct ks_sel *s, const struct ks_rid *id)
{
	if (*s->name && strcmp(s->name, id->n) != 0)
		return false;
	if (*s->ns && strcmp(ks_eff_ns(s->ns, s->group, s->kind), ks_eff_ns(id->ns, id->g, id->k)))
		return false;
	return (!*s->group || strcmp(s->group, id->g) == 0) &&
	       (!*s->version || strcmp(s->version, id->v) == 0) &&
	       (!*s->kind || strcmp(s->kind, id->k) == 0);
}

/* Identity i of r: 0 is the current one, then the earlier ones (which keep the
 * current version, as kustomize's previous ids do). g and v are caller buffers. */
static bool ks_rid_at(const struct ks_res *r, size_t i, char *g, char *v, struct ks_rid *id)
{
	const char *ns;

	if (i > r->nprev)
		return false;
	ks_group_version(r->body, g, 256, v, 64);
	if (i == 0) {
		ns = ks_ns(r->body);
		*id = (struct ks_rid){g, v, ks_kind(r->body), ks_name(r->body), ns ? ns : ""};
		return true;
	}
	const struct ks_id *p = &r->prev[i - 1];
	*id = (struct ks_rid){p->group ? p->group : "", v, p->kind ? p->kind : "",
			      p->name ? p->name : "", p->ns ? p->ns : ""};
	return true;
}

static bool ks_sel_any_id(const struct ks_sel *s, const struct ks_res *r)
{
	char g[256], v[64];
	struct ks_rid id;

	for (size_t i = 0; ks_rid_at(r, i, g, v, &id); i++)
		if (ks_sel_id(s, &id))
			return true;
	return false;
}

/* The label and annotation selectors of s against r. */
static int ks_sel_meta(const struct ks_sel *s, const struct ks_res *r, bool *match, struct err *e)
{
	bool l = true, a = true;
	int rc;

	if ((rc = ks_selector_match(s->labels, json_obj(r->body, "metadata", "labels", NULL), &l,
				    e)) < 0 ||
	    (rc = ks_selector_match(s->annos, json_obj(r->body, "metadata", "annotations", NULL),
				    &a, e)) < 0)
		return rc;
	*match = l && a;
	return 0;
}

/* Reads options (delimiter, index, create) of o. */
static void ks_opts_read(const cJSON *o, struct ks_opts *opt)
{
	opt->delim = ks_kstr(ks_kget(o, "options"), "delimiter", "");
	opt->index = ks_kint(ks_kget(o, "options"), "index");
	opt->create = cJSON_IsTrue(ks_kget(ks_kget(o, "options"), "create"));
}

/* Go's strings.Split. */
static int ks_split(const char *s, const char *delim, struct strlist *out)
{
	size_t dn = strlen(delim);
	const char *p;

	strlist_init(out);
	while ((p = strstr(s, delim))) {
		if (strlist_add_owned(out, strndup(s, (size_t)(p - s))) < 0)
			return TE_NOMEM;
		s = p + dn;
	}
	return strlist_add(out, s);
}

static char *ks_join(const struct strlist *l, const char *delim)
{
	struct buf b;

	buf_init(&b, MANIFEST_MAX_FILE);
	for (size_t i = 0; i < l->n; i++)
		if ((i && buf_puts(&b, delim) < 0) || buf_puts(&b, l->items[i]) < 0) {
			buf_dispose(&b);
			return NULL;
		}
	return buf_detach(&b);
}

static bool ks_is_scalar(const cJSON *v)
{
	return !cJSON_IsObject(v) && !cJSON_IsArray(v);
}

/* The source value cut by its delimiter: element index of the split text. */
static int ks_source_refine(struct ks_rctx *x, const struct ks_opts *o)
{
	char text[4096];
	struct strlist parts;
	cJSON *piece;
	int rc = 0;

	if (!*o->delim)
		return 0;
	if (!ks_is_scalar(x->value) || ks_scalar_text(x->value, text, sizeof(text)) < 0)
		return err_set(x->e, TE_INPUT,
			       "%s: replacements: delimiter option can only be used with scalar "
			       "nodes",
			       x->file);
	if ((rc = ks_split(text, o->delim, &parts)) == 0 &&
	    (o->index < 0 || (size_t)o->index >= parts.n))
		rc = err_set(x->e, TE_INPUT,
			     "%s: replacements: options.index %d is out of bounds for value %s",
			     x->file, o->index, text);
	else if (rc == 0 && !(piece = cJSON_CreateString(parts.items[o->index])))
		rc = TE_NOMEM;
	else if (rc == 0) {
		cJSON_Delete(x->value);
		x->value = piece;
	}
	strlist_dispose(&parts);
	return rc == TE_NOMEM ? err_set(x->e, rc, "out of memory") : rc;
}

/* Finds the one object the source selects. */
static int ks_source_object(struct ks_rctx *x, const cJSON *src, struct ks_res **out)
{
	struct ks_sel s;
	char id[1024];
	const char *fp = ks_kstr(src, "fieldPath", "");

	ks_sel_read(src, &s);
	*out = NULL;
	for (size_t i = 0; i < x->ra->n; i++) {
		if (!ks_sel_any_id(&s, &x->ra->items[i]))
			continue;
		if (*out) {
			ks_sel_text(&s, id, sizeof(id));
			return err_set(x->e, TE_INPUT,
				       "%s: replacements: multiple matches for selector %s%s%s",
				       x->file, id, *fp ? ":" : "", fp);
		}
		*out = &x->ra->items[i];
	}
	if (!*out) {
		ks_sel_text(&s, id, sizeof(id));
		return err_set(x->e, TE_INPUT, "%s: replacements: nothing selected by %s%s%s",
			       x->file, id, *fp ? ":" : "", fp);
	}
	return 0;
}

static bool ks_nil_or_empty(const cJSON *v)
{
	return !v || cJSON_IsNull(v) || ((cJSON_IsObject(v) || cJSON_IsArray(v)) && !v->child);
}

/* The value of the source (x->value, a copy). */
static int ks_source_value(struct ks_rctx *x, const cJSON *src)
{
	const char *fp = ks_kstr(src, "fieldPath", "metadata.name");
	struct ks_res *r = NULL;
	struct ks_fpath p;
	struct ks_opts o;
	struct ks_sel s;
	char id[1024];
	cJSON *v;
	int rc;

	if (!*fp)
		fp = "metadata.name";
	if ((rc = ks_source_object(x, src, &r)) < 0)
		return rc;
	if (ks_fpath_parse(&p, fp) < 0)
		return err_set(x->e, TE_NOMEM, "out of memory");
	v = ks_fpath_get(r->body, &p);
	ks_fpath_dispose(&p);
	if (ks_nil_or_empty(v)) {
		ks_sel_read(src, &s);
		ks_sel_text(&s, id, sizeof(id));
		return err_set(x->e, TE_INPUT,
			       "%s: replacements: fieldPath `%s` is missing for replacement source "
			       "%s",
			       x->file, fp, id);
	}
	if (!(x->value = cJSON_Duplicate(v, true)))
		return err_set(x->e, TE_NOMEM, "out of memory");
	ks_opts_read(src, &o);
	return ks_source_refine(x, &o);
}

/* The delimiter option on a target: the value put into element index of the target's
 * split text (before it when index < 0, after the last when past it). */
static char *ks_target_join(const cJSON *t, const char *v, const struct ks_opts *o)
{
	char text[4096];
	struct strlist tv, nl;
	char *out = NULL;
	int rc = 0;

	if (ks_scalar_text(t, text, sizeof(text)) < 0 || ks_split(text, o->delim, &tv) < 0)
		return NULL;
	strlist_init(&nl);
	if (o->index < 0)
		rc = strlist_add(&nl, v);
	for (size_t i = 0; i < tv.n && rc == 0; i++)
		rc = strlist_add(&nl, o->index >= 0 && (size_t)o->index == i ? v : tv.items[i]);
	if (rc == 0 && o->index >= 0 && (size_t)o->index >= tv.n)
		rc = strlist_add(&nl, v);
	if (rc == 0)
		out = ks_join(&nl, o->delim);
	strlist_dispose(&nl);
	strlist_dispose(&tv);
	return out;
}

/* YAML's reading of a plain scalar: null, a boolean, a number or a string. */
static cJSON *ks_plain_scalar(const char *s)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};
	char *end;
	double d;

	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++)
		if (strcmp(s, nulls[i]) == 0)
			return cJSON_CreateNull();
	if (!strcmp(s, "true") || !strcmp(s, "True") || !strcmp(s, "TRUE"))
		return cJSON_CreateTrue();
	if (!strcmp(s, "false") || !strcmp(s, "False") || !strcmp(s, "FALSE"))
		return cJSON_CreateFalse();
	d = strtod(s, &end);
	if (!*end && strspn(s, "+-0123456789.eE") == strlen(s) && strpbrk(s, "0123456789"))
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(s);
}

/* The new scalar for text written into scalar t, which keeps its type (kustomize copies
 * only the value); annotation values are strings. */
static int ks_typed(const cJSON *t, const char *text, bool anno, cJSON **out, struct err *e)
{
	char *end;
	double d;

	*out = NULL;
	if (anno || cJSON_IsString(t))
		*out = cJSON_CreateString(text);
	else if (cJSON_IsNull(t))
		*out = ks_plain_scalar(text);
	else if (cJSON_IsBool(t)) {
		cJSON *b = ks_plain_scalar(text);

		if (b && !cJSON_IsBool(b)) {
			cJSON_Delete(b);
			return err_set(e, TE_INPUT, "cannot decode !!str `%s` as a !!bool", text);
		}
		*out = b;
	} else {
		bool integral = t->valuedouble == (double)(long long)t->valuedouble;

		d = strtod(text, &end);
		if (!*text || *end || (integral && strpbrk(text, ".eE")))
			return err_set(e, TE_INPUT, "cannot decode !!str `%s` as a !!%s", text,
				       integral ? "int" : "float");
		*out = cJSON_CreateNumber(d);
	}
	return *out ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

static int ks_replace_node(struct ks_match *m, cJSON *nv, struct err *e)
{
	if (ks_node_replace(m->parent, m->node, nv) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	m->node = nv;
	return 0;
}

/* kustomize's setTargetValue for one node the field path led to. */
static int ks_set_target(struct ks_rctx *x, struct ks_match *m, const struct ks_opts *o, bool anno)
{
	char text[4096];
	char *joined = NULL;
	cJSON *nv = NULL;
	int rc;

	if (*o->delim && !ks_is_scalar(m->node))
		return err_set(x->e, TE_INPUT,
			       "%s: replacements: delimiter option can only be used with scalar "
			       "nodes",
			       x->file);
	if (!ks_is_scalar(m->node)) {
		if (!(nv = cJSON_Duplicate(x->value, true)))
			return err_set(x->e, TE_NOMEM, "out of memory");
		return ks_replace_node(m, nv, x->e);
	}
	if (ks_scalar_text(x->value, text, sizeof(text)) < 0)
		return err_set(x->e, TE_INPUT, "%s: replacements: value too long", x->file);
	if (*o->delim && !(joined = ks_target_join(m->node, text, o)))
		return err_set(x->e, TE_NOMEM, "out of memory");
	rc = ks_typed(m->node, joined ? joined : text, anno, &nv, x->e);
	free(joined);
	if (rc < 0) {
		err_prefix(x->e, "%s: replacements", x->file);
		return rc;
	}
	return ks_replace_node(m, nv, x->e);
}

/* Writes the value at one field path of r. */
static int ks_target_path(struct ks_rctx *x, struct ks_res *r, const char *fp,
			  const struct ks_opts *o)
{
	int create = !o->create			? 0
		     : cJSON_IsObject(x->value) ? cJSON_Object
		     : cJSON_IsArray(x->value)	? cJSON_Array
						: cJSON_NULL;
	const cJSON *annos;
	struct ks_match *m = NULL;
	struct ks_fpath p;
	size_t n = 0;
	char g[256], v[64], id[1024];
	int rc;

	if (ks_fpath_parse(&p, fp) < 0)
		return err_set(x->e, TE_NOMEM, "out of memory");
	if (p.parts.n == 0) {
		ks_fpath_dispose(&p);
		return err_set(x->e, TE_INPUT, "%s: replacements: fieldPath \"%s\" names no field",
			       x->file, fp);
	}
	rc = ks_fpath_find(r->body, &p, create, &m, &n, x->e);
	ks_fpath_dispose(&p);
	if (rc < 0 || n == 0) {
		ks_group_version(r->body, g, sizeof(g), v, sizeof(v));
		ks_resid_text(g, v, ks_kind(r->body), ks_name(r->body), ks_ns(r->body), id,
			      sizeof(id));
		rc = rc < 0 ? err_prefix(x->e,
					 "%s: replacements: unable to find %sfield \"%s\" in "
					 "replacement target %s",
					 x->file, create ? "or create " : "", fp, id)
			    : err_set(x->e, TE_INPUT,
				      "%s: replacements: unable to find %sfield \"%s\" in "
				      "replacement target %s",
				      x->file, create ? "or create " : "", fp, id);
	}
	annos = json_obj(r->body, "metadata", "annotations", NULL);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = ks_set_target(x, &m[i], o, m[i].parent && m[i].parent == annos);
	free(m);
	return rc;
}

/* Whether a reject with ResId fields matches any identity of r. */
static bool ks_rejected_id(const cJSON *rej, const struct ks_res *r)
{
	const cJSON *it;
	struct ks_sel rs;

	cJSON_ArrayForEach(it, rej)
	{
		ks_sel_read(it, &rs);
		if (!ks_sel_id_empty(&rs) && ks_sel_any_id(&rs, r))
			return true;
	}
	return false;
}

/* Whether target t (select, reject) takes r: the select's label and annotation
 * selectors match and no reject's do, the select matches one of its identities and
 * no reject's ResId matches any. */
static int ks_target_takes(const cJSON *t, const struct ks_res *r, bool *takes, struct err *e)
{
	const cJSON *rej = ks_kget(t, "reject"), *it;
	struct ks_sel sel, rs;
	bool m = false;
	int rc;

	*takes = false;
	ks_sel_read(ks_kget(t, "select"), &sel);
	if ((rc = ks_sel_meta(&sel, r, &m, e)) < 0 || !m)
		return rc;
	cJSON_ArrayForEach(it, rej)
	{
		ks_sel_read(it, &rs);
		if (!*rs.labels && !*rs.annos)
			continue;
		if ((rc = ks_sel_meta(&rs, r, &m, e)) < 0 || m)
			return rc;
	}
	*takes = ks_sel_any_id(&sel, r) && !ks_rejected_id(rej, r);
	return 0;
}

/* Absent, null or a list of strings. */
static bool ks_string_list(const cJSON *l)
{
	const cJSON *it;

	if (!l || cJSON_IsNull(l))
		return true;
	if (!cJSON_IsArray(l))
		return false;
	cJSON_ArrayForEach(it, l) if (!cJSON_IsString(it)) return false;
	return true;
}

static int ks_target(struct ks_rctx *x, const cJSON *t)
{
	const cJSON *fps = ks_kget(t, "fieldPaths"), *fp;
	const cJSON *sel = ks_kget(t, "select");
	struct ks_opts o;
	bool takes;
	int rc = 0;

	if (!cJSON_IsObject(sel))
		return err_set(x->e, TE_INPUT,
			       "%s: replacements: target must specify resources to select",
			       x->file);
	if (!ks_string_list(fps))
		return err_set(x->e, TE_INPUT,
			       "%s: replacements: fieldPaths must be a list of strings", x->file);
	ks_opts_read(t, &o);
	for (size_t i = 0; i < x->ra->n && rc == 0; i++) {
		struct ks_res *r = &x->ra->items[i];

		if ((rc = ks_target_takes(t, r, &takes, x->e)) < 0) {
			err_prefix(x->e, "%s: replacements", x->file);
			break;
		}
		if (!takes)
			continue;
		if (!cJSON_GetArraySize(fps))
			rc = ks_target_path(x, r, "metadata.name", &o);
		cJSON_ArrayForEach(fp, fps) if (rc == 0) rc =
		    ks_target_path(x, r, fp->valuestring, &o);
	}
	return rc;
}

/* One replacement (source and targets), written in file. */
static int ks_replacement(const char *file, const cJSON *rep, struct ks_set *ra, struct err *e)
{
	const cJSON *src = ks_kget(rep, "source");
	const cJSON *targets = ks_kget(rep, "targets"), *t;
	struct ks_rctx x = {.file = file, .ra = ra, .e = e};
	int rc = 0;

	if (!cJSON_IsObject(rep))
		return err_set(e, TE_INPUT, "%s: replacements: each replacement must be a mapping",
			       file);
	if (!cJSON_IsObject(src) || !targets || cJSON_IsNull(targets))
		return err_set(e, TE_INPUT,
			       "%s: replacements: replacements must specify a source and at least "
			       "one target",
			       file);
	if (!cJSON_IsArray(targets))
		return err_set(e, TE_INPUT, "%s: replacements: targets must be a list", file);
	if ((rc = ks_source_value(&x, src)) == 0) {
		cJSON_ArrayForEach(t, targets) if ((rc = ks_target(&x, t)) < 0) break;
	}
	cJSON_Delete(x.value);
	return rc;
}

/* A path: entry, a file holding one replacement or a list of them. */
static int ks_replacement_file(struct ks_ctx *c, const char *field, const char *rel,
			       struct ks_set *ra, struct err *e)
{
	char *path = NULL;
	cJSON *doc = NULL, *it;
	struct buf data;
	int rc;

	buf_init(&data, MANIFEST_MAX_FILE);
	if ((rc = ks_read_rel(c, field, rel, &path, &data, e)) < 0 ||
	    (rc = yaml_to_json(path, KS_TEXT(data), data.len, &doc, e)) < 0)
		goto out;
	if (cJSON_IsArray(doc)) {
		cJSON_ArrayForEach(it, doc) if ((rc = ks_replacement(path, it, ra, e)) < 0) break;
	} else if (cJSON_IsObject(doc))
		rc = ks_replacement(path, doc, ra, e);
	else
		rc = err_set(e, TE_INPUT,
			     "%s: unsupported replacement type encountered within replacement path",
			     path);
out:
	cJSON_Delete(doc);
	buf_dispose(&data);
	free(path);
	return rc;
}

int ks_replacements(struct ks_ctx *c, const cJSON *obj, struct ks_set *ra, struct err *e)
{
	const char *field = "replacements";
	const cJSON *list, *it;
	int rc;

	if ((rc = ks_list_field(c, obj, field, &list, e)) < 0)
		return rc;
	cJSON_ArrayForEach(it, list)
	{
		const char *path = ks_kstr(it, "path", NULL);

		if (path && (ks_kget(it, "source") || cJSON_GetArraySize(ks_kget(it, "targets"))))
			return err_set(e, TE_INPUT,
				       "%s: %s: cannot specify both path and inline replacement",
				       c->file, field);
		rc = path ? ks_replacement_file(c, field, path, ra, e)
			  : ks_replacement(c->file, it, ra, e);
		if (rc < 0)
			return rc;
	}
	return 0;
}
