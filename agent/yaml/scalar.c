/*
 * scalar: the type of a plain YAML scalar. kubectl reads manifests through
 * sigs.k8s.io/yaml, which is go-yaml v2 (YAML 1.1): yes/no/on/off/y/n are booleans,
 * 0x1F, 0o17, 012 and 0b101 are integers, underscores are ignored in numbers. The
 * same object must mean the same thing to tether as to kubectl, so the rules are
 * copied, not improved. Quoted scalars are strings unless a tag says otherwise.
 *
 * Explicit tags resolve as go-yaml v2's decoder does for an interface{}: !!str and
 * unknown tags give the text; !!int, !!float, !!bool, !!null and !!timestamp resolve
 * the text (quoted or not) and refuse what does not fit; !!binary is base64-decoded
 * into a string. JSON files go through the same reader, but kubectl reads them with
 * a JSON decoder, which refuses a number out of float64 range.
 */
#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "yamlread.h"

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

/* The base a Go integer's prefix gives (0x 0o 0b, or a leading 0 for octal); skips it. */
static unsigned go_int_base(const char **p)
{
	static const char prefixes[] = "xXoObB";
	static const unsigned bases[] = {16, 16, 8, 8, 2, 2};
	const char *s = *p, *at;

	if (s[0] != '0' || !s[1])
		return 10;
	at = strchr(prefixes, s[1]);
	if (!at) {
		*p = s + 1;
		return 8;
	}
	*p = s + 2;
	return bases[at - prefixes];
}

/* The digits of p in base into *v: false if one is not a digit of base or v overflows. */
static bool go_int_digits(const char *p, unsigned base, unsigned long long *v)
{
	for (*v = 0; *p; p++) {
		unsigned d = (unsigned)hex_value(*p); /* -1: too big for any base */

		if (d >= base || *v > (~0ULL - d) / base)
			return false;
		*v = *v * base + d;
	}
	return true;
}

/* A sign means ParseInt, whose range is int64; without one ParseUint also applies. */
static bool go_int_in_range(char sign, unsigned long long v)
{
	if (sign == '-')
		return v <= 1ULL << 63;
	return sign != '+' || v <= (1ULL << 63) - 1;
}

/* strconv.ParseInt(s, 0, 64) / ParseUint: sign, 0x 0o 0b or leading-0 octal. */
static bool parse_go_int(const char *s, double *out)
{
	const char *p = s + (*s == '+' || *s == '-');
	unsigned base = go_int_base(&p);
	unsigned long long v;

	if (!*p || !go_int_digits(p, base, &v) || !go_int_in_range(s[0], v))
		return false;
	*out = s[0] == '-' && v ? -(double)v : (double)v; /* Go's ParseInt("-0") is 0 */
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

	/* Go's ParseFloat fails on overflow only; an underflow is 0 or a denormal. */
	d = strtod(s, &end);
	if (*end || !isfinite(d))
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
	if (parse_go_int(plain, &v->d))
		v->type = YV_NUM, v->integer = true;
	else if (is_yaml_float(plain) && parse_float(plain, &v->d))
		v->type = YV_NUM;
}

void scalar_resolve_plain(const char *s, struct yval *v)
{
	v->type = YV_STR;
	v->b = false;
	v->d = 0;
	v->integer = false;
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

#define TAG_PREFIX "tag:yaml.org,2002:"

/* go-yaml's shortTag of what a plain reading of the text gives. */
static const char *yval_tag(const struct yval *v)
{
	switch (v->type) {
	case YV_NULL:
		return "!!null";
	case YV_BOOL:
		return "!!bool";
	case YV_NUM:
		return v->integer ? "!!int" : "!!float";
	case YV_INFNAN:
		return "!!float";
	case YV_MERGE:
		return "!!merge";
	default:
		return "!!str";
	}
}

/* 1 or 2 digits in [lo, hi]; advances *p. */
static bool ts_num(const char **p, int lo, int hi, int *out)
{
	const char *s = *p;
	int v;

	if (s[0] < '0' || s[0] > '9')
		return false;
	v = s[0] - '0';
	if (s[1] >= '0' && s[1] <= '9')
		v = v * 10 + s[1] - '0', s++;
	*p = s + 1;
	*out = v;
	return v >= lo && v <= hi;
}

static int days_in_month(int y, int m)
{
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return m == 2 && leap ? 29 : days[m - 1];
}

/* "Z" or "+hh:mm" / "-hh:mm", as Go's Z07:00 layout reads it. */
static bool ts_zone(const char *p)
{
	if (p[0] == 'Z')
		return p[1] == '\0';
	if (p[0] != '+' && p[0] != '-')
		return false;
	for (int i = 1; i <= 5; i++)
		if (i == 3 ? p[i] != ':' : (p[i] < '0' || p[i] > '9'))
			return false;
	return p[6] == '\0' && (p[1] - '0') * 10 + p[2] - '0' <= 24 &&
	       (p[4] - '0') * 10 + p[5] - '0' <= 59;
}

/* "YYYY-M-D", the day within its month; *p is left after it. */
static bool ts_date(const char *s, const char **p)
{
	int m, d;

	*p = s + 5;
	return strspn(s, "0123456789") == 4 && s[4] == '-' && ts_num(p, 1, 12, &m) &&
	       *(*p)++ == '-' && ts_num(p, 1, 31, &d) && d <= days_in_month(atoi(s), m);
}

/* "hh:mm:ss" and an optional fraction after '.' or ','; advances *p. */
static bool ts_clock(const char **p)
{
	static const int max[] = {23, 59, 59};
	const char *s = *p;
	int v;

	for (int i = 0; i < 3; i++)
		if ((i && *s++ != ':') || !ts_num(&s, 0, max[i], &v))
			return false;
	if ((*s == '.' || *s == ',') && isdigit((unsigned char)s[1]))
		s += 1 + strspn(s + 1, "0123456789");
	*p = s;
	return true;
}

/*
 * go-yaml v2's parseTimestamp: YYYY-M-D, optionally followed by T or t, a time and a
 * zone, or by a space and a time without a zone (Go's time.Parse layouts).
 */
static bool is_timestamp(const char *s)
{
	const char *p;
	char sep;

	if (!ts_date(s, &p))
		return false;
	if (!*p)
		return true;
	sep = *p++;
	if (!strchr("Tt ", sep) || !ts_clock(&p))
		return false;
	return sep == ' ' ? *p == '\0' : ts_zone(p);
}

bool scalar_is_timestamp(const char *s)
{
	return is_timestamp(s);
}

static int b64_value(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	return c == '+' ? 62 : c == '/' ? 63 : -1;
}

/* Appends the first n of the 3 bytes of the group q. */
static int b64_put(struct buf *out, unsigned q, unsigned n)
{
	unsigned char b[3] = {q >> 16, q >> 8, q};

	return buf_append(out, b, n) < 0 ? TE_NOMEM : 0;
}

/* Whether c is padding here: after 2 or 3 characters of a group, up to its end. */
static bool b64_pad(char c, unsigned n, unsigned pad)
{
	return c == '=' && n >= 2 && n + pad < 4;
}

/* Go's base64.StdEncoding.DecodeString: padded, line breaks ignored. */
static int b64_decode(const char *s, struct buf *out)
{
	unsigned q = 0, n = 0, pad = 0;

	for (; *s; s++) {
		int v;

		if (strchr("\r\n", *s))
			continue;
		if (b64_pad(*s, n, pad)) {
			pad++;
			continue;
		}
		if (pad || (v = b64_value(*s)) < 0)
			return TE_INPUT;
		q = q << 6 | (unsigned)v;
		if (++n == 4) {
			if (b64_put(out, q, 3) < 0)
				return TE_NOMEM;
			n = 0, q = 0;
		}
	}
	if (n && n + pad != 4)
		return TE_INPUT;
	return n ? b64_put(out, q << 6 * (4 - n), n - 1) : 0;
}

/* A lead byte of Go's utf8 tables: its sequence length and the second byte's range. */
struct utf8_lead {
	unsigned char lo, hi, n, lo2, hi2;
};

/* The ranges exclude overlong forms, surrogates and what is above U+10FFFF. */
static const struct utf8_lead utf8_leads[] = {
    {.lo = 0xc2, .hi = 0xdf, .n = 2, .lo2 = 0x80, .hi2 = 0xbf},
    {.lo = 0xe0, .hi = 0xe0, .n = 3, .lo2 = 0xa0, .hi2 = 0xbf},
    {.lo = 0xe1, .hi = 0xec, .n = 3, .lo2 = 0x80, .hi2 = 0xbf},
    {.lo = 0xed, .hi = 0xed, .n = 3, .lo2 = 0x80, .hi2 = 0x9f},
    {.lo = 0xee, .hi = 0xef, .n = 3, .lo2 = 0x80, .hi2 = 0xbf},
    {.lo = 0xf0, .hi = 0xf0, .n = 4, .lo2 = 0x90, .hi2 = 0xbf},
    {.lo = 0xf1, .hi = 0xf3, .n = 4, .lo2 = 0x80, .hi2 = 0xbf},
    {.lo = 0xf4, .hi = 0xf4, .n = 4, .lo2 = 0x80, .hi2 = 0x8f},
};

static bool in_range(unsigned char c, unsigned char lo, unsigned char hi)
{
	return c >= lo && c <= hi;
}

static const struct utf8_lead *utf8_lead_of(unsigned char c)
{
	for (size_t i = 0; i < sizeof(utf8_leads) / sizeof(utf8_leads[0]); i++)
		if (in_range(c, utf8_leads[i].lo, utf8_leads[i].hi))
			return &utf8_leads[i];
	return NULL;
}

/* Bytes 3 and 4 of a sequence: continuation bytes, 10xxxxxx. */
static bool utf8_tail_ok(const unsigned char *p, size_t n)
{
	for (size_t i = 2; i < n; i++)
		if (!in_range(p[i], 0x80, 0xbf))
			return false;
	return true;
}

/* Length of the valid UTF-8 sequence at p (as Go's utf8.DecodeRune), 0 if invalid. */
static size_t utf8_len(const unsigned char *p, size_t left)
{
	const struct utf8_lead *l;

	if (p[0] < 0x80)
		return 1;
	l = utf8_lead_of(p[0]);
	if (!l || l->n > left || !in_range(p[1], l->lo2, l->hi2) || !utf8_tail_ok(p, l->n))
		return 0;
	return l->n;
}

/*
 * !!binary: go-yaml decodes to a Go string and encoding/json writes each byte that is
 * not valid UTF-8 as U+FFFD. A NUL cannot be held in a C string: refused.
 */
static int binary_decode(const char *s, char **decoded, char *msg, size_t msgsz)
{
	struct buf raw, out;
	int rc;

	buf_init(&raw, YAML_MAX_FILE);
	buf_init(&out, YAML_MAX_FILE * 3);
	if ((rc = b64_decode(s, &raw)) == TE_INPUT)
		snprintf(msg, msgsz, "!!binary value contains invalid base64 data");
	else if (rc == 0 && memchr(raw.data ? raw.data : "", '\0', raw.len))
		rc = TE_INPUT, snprintf(msg, msgsz, "NUL character in a !!binary value");
	for (size_t i = 0; rc == 0 && i < raw.len;) {
		size_t n = utf8_len((const unsigned char *)raw.data + i, raw.len - i);

		rc = n ? buf_append(&out, raw.data + i, n) : buf_puts(&out, "\xef\xbf\xbd");
		i += n ? n : 1;
	}
	buf_dispose(&raw);
	if (rc == 0)
		*decoded = buf_detach(&out);
	buf_dispose(&out);
	return rc;
}

static bool tag_is(const char *tag, const char *name)
{
	return strncmp(tag, TAG_PREFIX, sizeof(TAG_PREFIX) - 1) == 0 &&
	       strcmp(tag + sizeof(TAG_PREFIX) - 1, name) == 0;
}

/* go-yaml's resolve() with an explicit tag: does the text's reading fit the tag? */
static bool tag_fits(const char *tag, const char *s, struct yval *v)
{
	if (tag_is(tag, "timestamp") && is_timestamp(s)) {
		v->type = YV_STR; /* an interface{} gets the text as written */
		return true;
	}
	scalar_resolve_plain(s, v);
	if (tag_is(tag, "int"))
		return v->type == YV_NUM && v->integer;
	if (tag_is(tag, "float"))
		return v->type == YV_NUM || v->type == YV_INFNAN;
	if (tag_is(tag, "bool"))
		return v->type == YV_BOOL;
	if (tag_is(tag, "null"))
		return v->type == YV_NULL;
	return false; /* timestamp that is not one */
}

/*
 * A JSON number YAML's rules left a string (out of float64 range, or too long for
 * resolve_number): kubectl's JSON decoder reads it as a number or refuses it.
 */
static int json_number(const char *s, struct yval *v, char *msg, size_t msgsz)
{
	const char *p = s + (*s == '-');
	double d;

	if (*p < '0' || *p > '9' || !is_yaml_float(s))
		return 0;
	d = strtod(s, NULL);
	if (isinf(d)) {
		snprintf(msg, msgsz, "number %s is out of range for a 64-bit float", s);
		return TE_INPUT;
	}
	v->type = YV_NUM;
	v->d = d;
	return 0;
}

int scalar_resolve(const char *tag, const char *s, bool plain, bool json, struct yval *v,
		   char **decoded, char *msg, size_t msgsz)
{
	static const char *const typed[] = {"int", "float", "bool", "null", "timestamp"};

	*decoded = NULL;
	v->type = YV_STR;
	v->integer = false;
	if (!tag) {
		if (!plain)
			return 0;
		scalar_resolve_plain(s, v);
		return json && v->type == YV_STR ? json_number(s, v, msg, msgsz) : 0;
	}
	if (tag_is(tag, "binary"))
		return binary_decode(s, decoded, msg, msgsz);
	for (size_t i = 0; i < sizeof(typed) / sizeof(typed[0]); i++) {
		if (!tag_is(tag, typed[i]))
			continue;
		if (tag_fits(tag, s, v))
			return 0;
		snprintf(msg, msgsz, "cannot decode %s `%s` as a !!%s", yval_tag(v), s, typed[i]);
		return TE_INPUT;
	}
	return 0; /* !!str, "!" and tags go-yaml does not know: the text */
}
