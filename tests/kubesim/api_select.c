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

/* One requirement starting at *pp; advances past it. */
static int parse_req(const char **pp, struct sel_req *q, bool field, char *err, size_t errlen)
{
	const char *p = skip_ws(*pp), *k;
	size_t n;

	if (*p == '!' && !field) {
		q->op = SEL_NOT_EXISTS;
		p = skip_ws(p + 1);
	}
	for (k = p; key_char(*p); p++)
		;
	n = (size_t)(p - k);
	if (n == 0 || n >= sizeof(q->key)) {
		snprintf(err, errlen, "unable to parse requirement: invalid key near \"%s\"", *pp);
		return -1;
	}
	memcpy(q->key, k, n);
	q->key[n] = '\0';
	p = skip_ws(p);
	if (q->op == SEL_NOT_EXISTS)
		goto done;
	if (p[0] == '=' || (p[0] == '!' && p[1] == '=')) {
		q->op = p[0] == '!' ? SEL_NE : SEL_EQ;
		p += p[0] == '!' ? 2 : (p[1] == '=' ? 2 : 1);
		p = skip_ws(p);
		for (k = p; *p && *p != ','; p++)
			;
		add_value(q, k, (size_t)(p - k));
		goto done;
	}
	if (!field && (strncmp(p, "in", 2) == 0 || strncmp(p, "notin", 5) == 0)) {
		q->op = p[0] == 'i' ? SEL_IN : SEL_NOTIN;
		p = skip_ws(p + (q->op == SEL_IN ? 2 : 5));
		if (*p != '(') {
			snprintf(err, errlen, "unable to parse requirement: found '%s', expected: '('", p);
			return -1;
		}
		p++;
		while (*p && *p != ')') {
			p = skip_ws(p);
			for (k = p; *p && *p != ',' && *p != ')'; p++)
				;
			if (add_value(q, k, (size_t)(p - k)) < 0) {
				snprintf(err, errlen, "too many values in selector");
				return -1;
			}
			if (*p == ',')
				p++;
		}
		if (*p != ')') {
			snprintf(err, errlen, "unable to parse requirement: found '', expected: ')'");
			return -1;
		}
		p = skip_ws(p + 1);
		goto done;
	}
	if (field) {
		snprintf(err, errlen, "invalid selector: '%s'; can't understand '%s'", *pp, k);
		return -1;
	}
	q->op = SEL_EXISTS;
done:
	p = skip_ws(p);
	if (*p && *p != ',') {
		snprintf(err, errlen, "unable to parse requirement: unexpected \"%s\"", p);
		return -1;
	}
	*pp = *p == ',' ? p + 1 : p;
	return 0;
}

static bool field_known(const struct restype *rt, const char *key)
{
	static const char *pods[] = {"spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
				     "spec.serviceAccountName", "spec.hostNetwork", "status.phase",
				     "status.podIP", "status.nominatedNodeName", NULL};
	static const char *events[] = {"involvedObject.kind", "involvedObject.namespace",
				       "involvedObject.name", "involvedObject.uid",
				       "involvedObject.apiVersion",
				       "involvedObject.resourceVersion", "involvedObject.fieldPath",
				       "reason", "reportingComponent", "source", "type", NULL};
	const char **list = NULL;

	if (strcmp(key, "metadata.name") == 0 || strcmp(key, "metadata.namespace") == 0)
		return true;
	if (!rt || rt->custom || *rt->group)
		return false;
	if (strcmp(rt->resource, "pods") == 0)
		list = pods;
	else if (strcmp(rt->resource, "events") == 0)
		list = events;
	else if (strcmp(rt->resource, "secrets") == 0)
		return strcmp(key, "type") == 0;
	else if (strcmp(rt->resource, "namespaces") == 0)
		return strcmp(key, "status.phase") == 0;
	for (; list && *list; list++)
		if (strcmp(*list, key) == 0)
			return true;
	return false;
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
			if (!rt || rt->custom || *rt->group)
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

bool selector_match(const struct selector *sel, const cJSON *obj)
{
	const cJSON *labels =
		cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(obj, "metadata"), "labels");
	char tmp[64];
	int i;

	if (!sel)
		return true;
	for (i = 0; i < sel->n; i++) {
		const struct sel_req *q = &sel->reqs[i];
		const char *v;
		bool has;

		if (sel->field) {
			v = field_value(obj, q->key, tmp, sizeof(tmp));
			has = true;
		} else {
			const cJSON *l = cJSON_GetObjectItemCaseSensitive(labels, q->key);

			has = cJSON_IsString(l);
			v = has ? l->valuestring : "";
		}
		switch (q->op) {
		case SEL_EQ:
		case SEL_IN:
			if (!has || !in_values(q, v))
				return false;
			break;
		case SEL_NE:
		case SEL_NOTIN:
			if (has && in_values(q, v))
				return false;
			break;
		case SEL_EXISTS:
			if (!has)
				return false;
			break;
		case SEL_NOT_EXISTS:
			if (has)
				return false;
			break;
		}
	}
	return true;
}
