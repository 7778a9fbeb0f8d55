/*
 * kustomize_select: Kubernetes label selector strings ("app=web,tier!=db,
 * env in (dev,prod),!legacy") matched against a labels or annotations mapping, for
 * patch targets' labelSelector and annotationSelector.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "kustomize_int.h"

static const char *ks_skip_ws(const char *p)
{
	while (*p && isspace((unsigned char)*p))
		p++;
	return p;
}

/* Reads a key or value token: up to space, ',', '=', '!', '(' or ')'. */
static const char *ks_token(const char *p, char *out, size_t sz)
{
	size_t n = 0;

	p = ks_skip_ws(p);
	while (*p && !isspace((unsigned char)*p) && !strchr(",=!()", *p)) {
		if (n + 1 < sz)
			out[n++] = *p;
		p++;
	}
	out[n] = '\0';
	return ks_skip_ws(p);
}

/* "(a, b)" membership of val; *p points at '('. */
static const char *ks_set_has(const char *p, const char *val, bool *has, bool *ok)
{
	char tok[256];

	*has = false;
	*ok = false;
	if (*p != '(')
		return p;
	p++;
	for (;;) {
		p = ks_token(p, tok, sizeof(tok));
		if (val && strcmp(tok, val) == 0)
			*has = true;
		if (*p == ',') {
			p++;
			continue;
		}
		if (*p == ')') {
			*ok = true;
			return ks_skip_ws(p + 1);
		}
		return p;
	}
}

/* "=v", "==v" or "!=v" at p against the label's value (NULL: absent). */
static const char *ks_equality(const char *p, const char *val, bool *match)
{
	char word[256];
	bool ne = *p == '!';

	p++;
	if (*p == '=')
		p++;
	else if (ne)
		return NULL;
	p = ks_token(p, word, sizeof(word));
	*match = (val && strcmp(val, word) == 0) != ne;
	return p;
}

/* "in (a,b)" or "notin (a,b)" at p against the label's value. */
static const char *ks_set_op(const char *p, const char *val, bool *match)
{
	char word[256];
	bool has, ok;

	p = ks_token(p, word, sizeof(word));
	if (strcmp(word, "in") != 0 && strcmp(word, "notin") != 0)
		return NULL;
	p = ks_set_has(p, val, &has, &ok);
	if (!ok)
		return NULL;
	*match = strcmp(word, "in") == 0 ? has : !has;
	return p;
}

/* One requirement starting at p; returns the position after it or NULL on error. */
static const char *ks_requirement(const char *p, const cJSON *labels, bool *match)
{
	char key[256];
	bool neg;

	p = ks_skip_ws(p);
	if ((neg = *p == '!'))
		p++;
	p = ks_token(p, key, sizeof(key));
	if (!*key)
		return NULL;
	if (neg || *p == ',' || !*p) { /* "!key" or "key" */
		*match = (cJSON_GetObjectItemCaseSensitive(labels, key) != NULL) != neg;
		return p;
	}
	if (*p == '=' || *p == '!')
		return ks_equality(p, json_str(labels, key, NULL), match);
	return ks_set_op(p, json_str(labels, key, NULL), match);
}

int ks_selector_match(const char *sel, const cJSON *labels, bool *match, struct err *e)
{
	const char *p = sel;

	*match = true;
	while (*(p = ks_skip_ws(p))) {
		bool m = false;

		if (!(p = ks_requirement(p, labels, &m)))
			return err_set(e, TE_INPUT, "invalid selector \"%s\"", sel);
		*match = *match && m;
		p = ks_skip_ws(p);
		if (*p == ',')
			p++;
		else if (*p)
			return err_set(e, TE_INPUT, "invalid selector \"%s\"", sel);
	}
	return 0;
}
