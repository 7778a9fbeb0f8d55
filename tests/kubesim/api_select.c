/*
 * api_select: label selectors (=, ==, !=, in, notin, exists, !key; comma = AND) and
 * field selectors (metadata.name, metadata.namespace and the few per-kind fields the
 * real server accepts), as in the semantics spec §5.2.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

enum sel_op { SEL_EQ, SEL_NE, SEL_IN, SEL_NOTIN, SEL_EXISTS, SEL_NOT_EXISTS };

#define SEL_MAX_VALUES 16

struct sel_req {
	char key[256];
	enum sel_op op;
	char *values[SEL_MAX_VALUES];
	int nvalues;
};

struct selector {
	bool field;
	struct sel_req *reqs;
	int n;
};

void selector_free(struct selector *sel)
{
	int i, j;

	if (!sel)
		return;
	for (i = 0; i < sel->n; i++)
		for (j = 0; j < sel->reqs[i].nvalues; j++)
			free(sel->reqs[i].values[j]);
	free(sel->reqs);
	free(sel);
}

static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

static int add_value(struct sel_req *q, const char *s, size_t n)
{
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
		n--;
	if (q->nvalues >= SEL_MAX_VALUES)
		return -1;
	q->values[q->nvalues] = strndup(s, n);
	if (!q->values[q->nvalues])
		abort();
	q->nvalues++;
	return 0;
}

static bool key_char(char c)
{
	return c && c != ' ' && c != '\t' && c != '=' && c != '!' && c != ',' && c != '(' &&
	       c != ')';
}

/* The key at p, after the '!' of "!key" (label selectors only); returns what follows
 * it, or NULL when there is no key. */
static const char *req_key(const char *p, struct sel_req *q, bool field)
{
	const char *k;
	size_t n;

	if (*p == '!' && !field) {
		q->op = SEL_NOT_EXISTS;
		p = skip_ws(p + 1);
	}
	for (k = p; key_char(*p); p++)
		;
	n = (size_t)(p - k);
	if (n == 0 || n >= sizeof(q->key))
		return NULL;
	memcpy(q->key, k, n);
	q->key[n] = '\0';
	return skip_ws(p);
}

static bool is_equality(const char *p)
{
	return p[0] == '=' || (p[0] == '!' && p[1] == '=');
}

/* "= v", "== v" or "!= v": the value runs to the next comma. */
static const char *req_equality(const char *p, struct sel_req *q)
{
	const char *k;

	q->op = p[0] == '!' ? SEL_NE : SEL_EQ;
	p += p[0] == '!' ? 2 : (p[1] == '=' ? 2 : 1);
	p = skip_ws(p);
	for (k = p; *p && *p != ','; p++)
		;
	add_value(q, k, (size_t)(p - k));
	return p;
}

static bool is_set_op(const char *p)
{
	return strncmp(p, "in", 2) == 0 || strncmp(p, "notin", 5) == 0;
}

/* The comma-separated values inside the parentheses, up to ')' or the end. */
static const char *req_values(const char *p, struct sel_req *q, char *err, size_t errlen)
{
	const char *k;

	while (*p && *p != ')') {
		p = skip_ws(p);
		for (k = p; *p && *p != ',' && *p != ')'; p++)
			;
		if (add_value(q, k, (size_t)(p - k)) < 0) {
			snprintf(err, errlen, "too many values in selector");
			return NULL;
		}
		if (*p == ',')
			p++;
	}
	return p;
}

/* "in (a, b)" or "notin (a, b)"; NULL with err set on a syntax error. */
static const char *req_set(const char *p, struct sel_req *q, char *err, size_t errlen)
{
	q->op = p[0] == 'i' ? SEL_IN : SEL_NOTIN;
	p = skip_ws(p + (q->op == SEL_IN ? 2 : 5));
	if (*p != '(') {
		snprintf(err, errlen, "unable to parse requirement: found '%s', expected: '('", p);
		return NULL;
	}
	if (!(p = req_values(p + 1, q, err, errlen)))
		return NULL;
	if (*p != ')') {
		snprintf(err, errlen, "unable to parse requirement: found '', expected: ')'");
		return NULL;
	}
	return p + 1;
}

/* After a requirement: the end of the selector or a comma; *pp moves past it. */
static int req_end(const char *p, const char **pp, char *err, size_t errlen)
{
	p = skip_ws(p);
	if (*p && *p != ',') {
		snprintf(err, errlen, "unable to parse requirement: unexpected \"%s\"", p);
		return -1;
	}
	*pp = *p == ',' ? p + 1 : p;
	return 0;
}

/* The operator and values after the key (the requirement starts at start); NULL with
 * err set on a syntax error. A field selector knows only equality. */
static const char *req_operator(const char *p, const char *start, struct sel_req *q, bool field,
				char *err, size_t errlen)
{
	if (is_equality(p))
		return req_equality(p, q);
	if (!field && is_set_op(p))
		return req_set(p, q, err, errlen);
	if (field) {
		snprintf(err, errlen, "invalid selector: '%s'; can't understand '%s'", start,
			 skip_ws(start));
		return NULL;
	}
	q->op = SEL_EXISTS;
	return p;
}

/* One requirement starting at *pp; advances past it. */
static int parse_req(const char **pp, struct sel_req *q, bool field, char *err, size_t errlen)
{
	const char *p = req_key(skip_ws(*pp), q, field);

	if (!p) {
		snprintf(err, errlen, "unable to parse requirement: invalid key near \"%s\"", *pp);
		return -1;
	}
	if (q->op != SEL_NOT_EXISTS && !(p = req_operator(p, *pp, q, field, err, errlen)))
		return -1;
	return req_end(p, pp, err, errlen);
}

/* The field selectors a built-in resource accepts besides metadata.name and
 * metadata.namespace (each type's GetAttrs / field label conversion). */
static const char *const pod_fields[] = {
	"spec.nodeName", "spec.restartPolicy", "spec.schedulerName", "spec.serviceAccountName",
	"spec.hostNetwork", "status.phase", "status.podIP", "status.nominatedNodeName", NULL};
static const char *const event_fields[] = {
	"involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
	"involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
	"involvedObject.fieldPath", "reason", "reportingComponent", "source", "type", NULL};
static const char *const secret_fields[] = {"type", NULL};
static const char *const namespace_fields[] = {"status.phase", NULL};
static const struct {
	const char *resource;
	const char *const *fields;
} field_tables[] = {{"pods", pod_fields},
		    {"events", event_fields},
		    {"secrets", secret_fields},
		    {"namespaces", namespace_fields}};

static bool only_meta_fields(const struct restype *rt)
{
	return !rt || rt->custom || *rt->group;
}

static bool field_known(const struct restype *rt, const char *key)
{
	const char *const *list = NULL;

	if (strcmp(key, "metadata.name") == 0 || strcmp(key, "metadata.namespace") == 0)
		return true;
	if (only_meta_fields(rt))
		return false;
	for (size_t i = 0; !list && i < sizeof(field_tables) / sizeof(field_tables[0]); i++)
		if (strcmp(rt->resource, field_tables[i].resource) == 0)
			list = field_tables[i].fields;
	for (; list && *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
}

bool selector_empty(const struct selector *sel)
{
	return !sel || sel->n == 0;
}

struct selector *selector_parse(const char *s, bool field, const struct restype *rt,
				char *errbuf, size_t errlen)
{
	struct selector *sel = calloc(1, sizeof(*sel));
	const char *p = s ? s : "";

	if (!sel)
		abort();
	sel->field = field;
	while (*(p = skip_ws(p))) {
		struct sel_req *q;

		sel->reqs = realloc(sel->reqs, (size_t)(sel->n + 1) * sizeof(*sel->reqs));
		if (!sel->reqs)
			abort();
		q = &sel->reqs[sel->n++];
		memset(q, 0, sizeof(*q));
		if (parse_req(&p, q, field, errbuf, errlen) < 0)
			goto fail;
		if (field && !field_known(rt, q->key)) {
			if (only_meta_fields(rt))
				snprintf(errbuf, errlen,
					 "\"%s\" is not a known field selector: only "
					 "\"metadata.name\", \"metadata.namespace\"",
					 q->key);
			else
				snprintf(errbuf, errlen, "field label not supported: %s", q->key);
			goto fail;
		}
	}
	return sel;
fail:
	selector_free(sel);
	return NULL;
}

int api_selectors(struct req *r, const struct restype *rt, struct selector **lsel,
		  struct selector **fsel, char *err, size_t errlen)
{
	*fsel = NULL;
	*lsel = selector_parse(req_arg(r, "labelSelector"), false, rt, err, errlen);
	if (!*lsel)
		return -1;
	*fsel = selector_parse(req_arg(r, "fieldSelector"), true, rt, err, errlen);
	if (*fsel)
		return 0;
	selector_free(*lsel);
	*lsel = NULL;
	return -1;
}

/* String value at a dotted path ("status.phase"); booleans as "true"/"false". */
static const char *field_value(const cJSON *obj, const char *path, char *tmp, size_t tmplen)
{
	char buf[256], *save = NULL, *tok;
	const cJSON *v = obj;

	snprintf(buf, sizeof(buf), "%s", path);
	for (tok = strtok_r(buf, ".", &save); tok && v; tok = strtok_r(NULL, ".", &save))
		v = cJSON_GetObjectItemCaseSensitive(v, tok);
	if (cJSON_IsString(v))
		return v->valuestring;
	if (cJSON_IsBool(v))
		return cJSON_IsTrue(v) ? "true" : "false";
	if (cJSON_IsNumber(v)) {
		snprintf(tmp, tmplen, "%g", v->valuedouble);
		return tmp;
	}
	return "";
}

static bool in_values(const struct sel_req *q, const char *v)
{
	for (int i = 0; i < q->nvalues; i++)
		if (strcmp(q->values[i], v) == 0)
			return true;
	return false;
}

/* Whether one requirement holds for a value; has is false when the label is absent. */
static bool req_holds(const struct sel_req *q, bool has, const char *v)
{
	switch (q->op) {
	case SEL_EQ:
	case SEL_IN:
		return has && in_values(q, v);
	case SEL_NE:
	case SEL_NOTIN:
		return !(has && in_values(q, v));
	case SEL_EXISTS:
		return has;
	case SEL_NOT_EXISTS:
		return !has;
	}
	return false;
}

bool selector_match(const struct selector *sel, const cJSON *obj)
{
	const cJSON *labels =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(obj, "metadata"), "labels");
	char tmp[64];

	for (int i = 0; sel && i < sel->n; i++) {
		const struct sel_req *q = &sel->reqs[i];
		const cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, q->key);
		bool has = sel->field || cJSON_IsString(l);
		const char *v = sel->field ? field_value(obj, q->key, tmp, sizeof(tmp))
				   : has   ? l->valuestring
					   : "";

		if (!req_holds(q, has, v))
			return false;
	}
	return true;
}
