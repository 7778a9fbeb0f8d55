/*
 * resolve: the type of a plain YAML scalar. kubectl reads manifests through
 * sigs.k8s.io/yaml, which is go-yaml v2 (YAML 1.1): yes/no/on/off/y/n are booleans,
 * 0x1F, 0o17, 012 and 0b101 are integers, underscores are ignored in numbers. The
 * same object must mean the same thing to tether as to kubectl, so the rules are
 * copied, not improved. Quoted scalars never come here: they are strings.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "manifest_int.h"

struct word {
	const char *s;
	enum yval_type type;
	bool b;
};

/* go-yaml v2 resolve.go's table. */
static const struct word words[] = {
    {"y", YV_BOOL, true},	 {"Y", YV_BOOL, true},	      {"yes", YV_BOOL, true},
    {"Yes", YV_BOOL, true},	 {"YES", YV_BOOL, true},      {"true", YV_BOOL, true},
    {"True", YV_BOOL, true},	 {"TRUE", YV_BOOL, true},     {"on", YV_BOOL, true},
    {"On", YV_BOOL, true},	 {"ON", YV_BOOL, true},	      {"n", YV_BOOL, false},
    {"N", YV_BOOL, false},	 {"no", YV_BOOL, false},      {"No", YV_BOOL, false},
    {"NO", YV_BOOL, false},	 {"false", YV_BOOL, false},   {"False", YV_BOOL, false},
    {"FALSE", YV_BOOL, false},	 {"off", YV_BOOL, false},     {"Off", YV_BOOL, false},
    {"OFF", YV_BOOL, false},	 {"", YV_NULL, false},	      {"~", YV_NULL, false},
    {"null", YV_NULL, false},	 {"Null", YV_NULL, false},    {"NULL", YV_NULL, false},
    {".nan", YV_INFNAN, false},	 {".NaN", YV_INFNAN, false},  {".NAN", YV_INFNAN, false},
    {".inf", YV_INFNAN, false},	 {".Inf", YV_INFNAN, false},  {".INF", YV_INFNAN, false},
    {"+.inf", YV_INFNAN, false}, {"+.Inf", YV_INFNAN, false}, {"+.INF", YV_INFNAN, false},
    {"-.inf", YV_INFNAN, false}, {"-.Inf", YV_INFNAN, false}, {"-.INF", YV_INFNAN, false},
    {"<<", YV_MERGE, false},
};

/* strconv.ParseInt(s, 0, 64) / ParseUint: sign, 0x 0o 0b or leading-0 octal. */
static bool parse_go_int(const char *s, double *out)
{
	bool neg = false;
	unsigned base = 10;
	unsigned long long v = 0;
	const char *p = s;

	if (*p == '+' || *p == '-')
		neg = *p++ == '-';
	if (p[0] == '0' && (p[1] == 'x' || p[1] == 'X'))
		base = 16, p += 2;
	else if (p[0] == '0' && (p[1] == 'o' || p[1] == 'O'))
		base = 8, p += 2;
	else if (p[0] == '0' && (p[1] == 'b' || p[1] == 'B'))
		base = 2, p += 2;
	else if (p[0] == '0' && p[1])
		base = 8, p += 1;
	if (!*p)
		return false;
	for (; *p; p++) {
		unsigned d = (unsigned)hex_value(*p); /* -1: too big for any base */
		if (d >= base || v > (~0ULL - d) / base)
			return false;
		v = v * base + d;
	}
	/* A sign means ParseInt, whose range is int64; without one ParseUint also applies. */
	if (neg && v > (1ULL << 63))
		return false;
	if (!neg && s[0] == '+' && v > (1ULL << 63) - 1)
		return false;
	*out = neg && v ? -(double)v : (double)v; /* Go's ParseInt("-0") is 0 */
	return true;
}

/* ^[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?$ */
static bool is_yaml_float(const char *p)
{
	size_t n;

	if (*p == '+' || *p == '-')
		p++;
	if (*p == '.') {
		n = strspn(++p, "0123456789");
		if (!n)
			return false;
		p += n;
	} else {
		n = strspn(p, "0123456789");
		if (!n)
			return false;
		p += n;
		if (*p == '.')
			p += 1 + strspn(p + 1, "0123456789");
	}
	if (*p == 'e' || *p == 'E') {
		p++;
		if (*p == '+' || *p == '-')
			p++;
		n = strspn(p, "0123456789");
		if (!n)
			return false;
		p += n;
	}
	return *p == '\0';
}

static bool parse_float(const char *s, double *out)
{
	char *end;
	double d;

	errno = 0;
	d = strtod(s, &end);
	if (*end || errno == ERANGE || !isfinite(d))
		return false;
	*out = d;
	return true;
}

static void resolve_number(const char *s, struct yval *v)
{
	char plain[128];
	size_t n = 0;

	for (const char *p = s; *p && n < sizeof(plain) - 1; p++)
		if (*p != '_')
			plain[n++] = *p;
	if (strlen(s) >= sizeof(plain))
		return; /* longer than any number go-yaml would parse: a string */
	plain[n] = '\0';
	if (parse_go_int(plain, &v->d) || (is_yaml_float(plain) && parse_float(plain, &v->d)))
		v->type = YV_NUM;
}

void scalar_resolve_plain(const char *s, struct yval *v)
{
	v->type = YV_STR;
	v->b = false;
	v->d = 0;
	/* Most scalars are names: look at the table only when the first letter fits. */
	for (size_t i = 0;
	     (!*s || strchr("yYnNtTfFoO~.+-<", *s)) && i < sizeof(words) / sizeof(words[0]); i++) {
		if (strcmp(s, words[i].s) == 0) {
			v->type = words[i].type;
			v->b = words[i].b;
			return;
		}
	}
	if ((*s >= '0' && *s <= '9') || *s == '+' || *s == '-')
		resolve_number(s, v);
	else if (*s == '.' && is_yaml_float(s) && parse_float(s, &v->d))
		v->type = YV_NUM;
}
