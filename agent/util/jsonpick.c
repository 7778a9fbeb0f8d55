/*
 * jsonpick: a parse that builds cJSON only for the members a caller picked. The rest
 * is walked once with a checking skipper (strings and their escapes, numbers,
 * literals, nesting depth) that allocates nothing. Picked values are handed to cJSON
 * itself, so what is kept is parsed exactly as a full parse would parse it. Lenient
 * where cJSON is lenient (any byte up to space counts as whitespace, text after the
 * value is ignored); skipped numbers follow JSON's grammar, where cJSON's strtod also
 * takes "1." or "+1" (no API server writes those).
 *
 * Why hand-written and not a library: cJSON (the JSON library we link) can only build
 * the whole tree, and a LIST page of 500 objects or a server-side apply answer is
 * mostly managedFields, status and annotations tether never reads. Every answer of a
 * sync goes through here (2,002 applies and the LIST pages of tests/bench/sync.sh),
 * so building those trees to throw them away is CPU on a measured hot path; this walk
 * allocates only for the picked members. Keep it, and its tests (test_jsonpick.c).
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "jsonpick.h"
#include "util.h"

#define PICK_DEPTH CJSON_NESTING_LIMIT
#define PICK_KEY_MAX 256

const struct json_pick json_pick_nothing[] = {{NULL, NULL}};

struct scan {
	const char *p, *end;
	int depth;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (unsigned char)*s->p <= 32)
		s->p++;
}

static bool at(const struct scan *s, char c)
{
	return s->p < s->end && *s->p == c;
}

static bool hex4(const char *p, unsigned *out)
{
	unsigned v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hex_value(p[i]);

		if (d < 0)
			return false;
		v = v << 4 | (unsigned)d;
	}
	*out = v;
	return true;
}

/* True when one of the 8 bytes of v is '"' or a backslash (the classic zero-byte test). */
static bool word_stops(uint64_t v)
{
	const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
	uint64_t q = v ^ (ones * '"'), b = v ^ (ones * '\\');

	return (((q - ones) & ~q) | ((b - ones) & ~b)) & highs;
}

/* The escape after a backslash at p: where it ends, NULL if it is not valid JSON. */
static const char *skip_escape(const char *p, const char *end)
{
	unsigned cp;

	if (p >= end)
		return NULL;
	if (*p == 'u')
		return end - p >= 5 && hex4(p + 1, &cp) ? p + 5 : NULL;
	return *p && strchr("\"\\/bfnrt", *p) ? p + 1 : NULL;
}

/* Skips the string at s->p (on its '"'), checking its escapes. Most of a skipped text
 * is string bytes, so long runs without a quote or backslash go 8 bytes at a time. */
static bool skip_string(struct scan *s)
{
	const char *p = s->p + 1;
	uint64_t v;

	for (;;) {
		while (s->end - p >= 8 && (memcpy(&v, p, 8), !word_stops(v)))
			p += 8;
		while (p < s->end && *p != '"' && *p != '\\')
			p++;
		if (p >= s->end)
			return false;
		if (*p++ == '"') {
			s->p = p;
			return true;
		}
		if (!(p = skip_escape(p, s->end)))
			return false;
	}
}

static bool skip_digits(struct scan *s)
{
	const char *start = s->p;

	while (s->p < s->end && *s->p >= '0' && *s->p <= '9')
		s->p++;
	return s->p > start;
}

/* -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)? */
static bool skip_number(struct scan *s)
{
	if (at(s, '-'))
		s->p++;
	if (!skip_digits(s))
		return false;
	if (at(s, '.')) {
		s->p++;
		if (!skip_digits(s))
			return false;
	}
	if (at(s, 'e') || at(s, 'E')) {
		s->p++;
		if (at(s, '+') || at(s, '-'))
			s->p++;
		if (!skip_digits(s))
			return false;
	}
	return true;
}

static bool skip_literal(struct scan *s, const char *lit, size_t n)
{
	if ((size_t)(s->end - s->p) < n || memcmp(s->p, lit, n) != 0)
		return false;
	s->p += n;
	return true;
}

static bool skip_value(struct scan *s);

/* After a member or an element: ',' (true, more follow) or close (done). */
static bool next_or_close(struct scan *s, char close, bool *more)
{
	skip_ws(s);
	if (at(s, ',')) {
		s->p++;
		*more = true;
		return true;
	}
	if (!at(s, close))
		return false;
	s->p++;
	*more = false;
	return true;
}

/* Skips "key" : up to the value. */
static bool skip_key(struct scan *s)
{
	skip_ws(s);
	if (!at(s, '"') || !skip_string(s))
		return false;
	skip_ws(s);
	if (!at(s, ':'))
		return false;
	s->p++;
	return true;
}

static bool skip_container(struct scan *s, char close)
{
	bool more = true;

	if (++s->depth > PICK_DEPTH)
		return false;
	s->p++;
	skip_ws(s);
	if (at(s, close)) {
		s->p++;
		s->depth--;
		return true;
	}
	while (more) {
		if (close == '}' && !skip_key(s))
			return false;
		if (!skip_value(s) || !next_or_close(s, close, &more))
			return false;
	}
	s->depth--;
	return true;
}

static bool skip_value(struct scan *s)
{
	skip_ws(s);
	if (s->p >= s->end)
		return false;
	switch (*s->p) {
	case '"':
		return skip_string(s);
	case '{':
		return skip_container(s, '}');
	case '[':
		return skip_container(s, ']');
	case 't':
		return skip_literal(s, "true", 4);
	case 'f':
		return skip_literal(s, "false", 5);
	case 'n':
		return skip_literal(s, "null", 4);
	default:
		return skip_number(s);
	}
}

static size_t put_utf8(char *out, unsigned cp)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | cp >> 6);
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | cp >> 12);
		out[1] = (char)(0x80 | (cp >> 6 & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | cp >> 18);
	out[1] = (char)(0x80 | (cp >> 12 & 0x3F));
	out[2] = (char)(0x80 | (cp >> 6 & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

/* One escape at k[*i] (after the backslash, already checked by skip_string). */
static unsigned unescape(const char *k, size_t n, size_t *i)
{
	static const char from[] = "bfnrt", to[] = "\b\f\n\r\t";
	char c = k[(*i)++];
	unsigned cp, lo;

	if (c != 'u') {
		const char *f = strchr(from, c);
		return f ? (unsigned char)to[f - from] : (unsigned char)c;
	}
	if (!hex4(k + *i, &cp))
		cp = 0xFFFD; /* skip_string let only four hex digits through */
	*i += 4;
	if (cp >= 0xD800 && cp < 0xDC00 && *i + 6 <= n && k[*i] == '\\' && k[*i + 1] == 'u' &&
	    hex4(k + *i + 2, &lo) && lo >= 0xDC00 && lo < 0xE000) {
		cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		*i += 6;
	}
	return cp;
}

/* Decodes a key with escapes; -1 when it is longer than any key worth comparing. */
static int decode_key(const char *k, size_t n, char *out, size_t cap)
{
	size_t o = 0;

	for (size_t i = 0; i < n;) {
		char c = k[i++];

		if (o + 4 >= cap)
			return -1;
		if (c != '\\')
			out[o++] = c;
		else
			o += put_utf8(out + o, unescape(k, n, &i));
	}
	return (int)o;
}

/* The pick entry named by the raw (still escaped) key k[0..n), or NULL. */
static const struct json_pick *pick_match(const struct json_pick *pick, const char *k, size_t n)
{
	char dec[PICK_KEY_MAX];

	if (memchr(k, '\\', n)) {
		int d = decode_key(k, n, dec, sizeof(dec));

		if (d < 0)
			return NULL;
		k = dec;
		n = (size_t)d;
	}
	for (; pick->key; pick++)
		if (strlen(pick->key) == n && memcmp(pick->key, k, n) == 0)
			return pick;
	return NULL;
}

/* The value at s->p, parsed whole by cJSON. */
static cJSON *parse_whole(struct scan *s)
{
	const char *end = NULL;
	cJSON *v;

	skip_ws(s);
	if (s->p >= s->end)
		return NULL;
	v = cJSON_ParseWithLengthOpts(s->p, (size_t)(s->end - s->p), &end, 0);
	if (v)
		s->p = end;
	return v;
}

static cJSON *pick_value(struct scan *s, const struct json_pick *pick);

/* One member of an object being picked: kept in obj, or skipped. */
static bool pick_member(struct scan *s, const struct json_pick *pick, cJSON *obj)
{
	const char *k;
	const struct json_pick *m;
	cJSON *v;

	skip_ws(s);
	if (!at(s, '"'))
		return false;
	k = s->p + 1;
	if (!skip_string(s))
		return false;
	m = pick_match(pick, k, (size_t)(s->p - 1 - k));
	skip_ws(s);
	if (!at(s, ':'))
		return false;
	s->p++;
	if (!m)
		return skip_value(s);
	v = m->sub ? pick_value(s, m->sub) : parse_whole(s);
	if (!v)
		return false;
	if (!cJSON_AddItemToObject(obj, m->key, v)) {
		cJSON_Delete(v);
		return false;
	}
	return true;
}

/* An object or array (at s->p) with pick applied to its members or elements. */
static cJSON *pick_container(struct scan *s, const struct json_pick *pick, char close)
{
	cJSON *c = close == '}' ? cJSON_CreateObject() : cJSON_CreateArray(), *v;
	bool more = true;

	if (!c || ++s->depth > PICK_DEPTH)
		goto fail;
	s->p++;
	skip_ws(s);
	if (at(s, close)) {
		s->p++;
		more = false;
	}
	while (more) {
		if (close == '}') {
			if (!pick_member(s, pick, c))
				goto fail;
		} else if (!(v = pick_value(s, pick)) || !cJSON_AddItemToArray(c, v)) {
			cJSON_Delete(v);
			goto fail;
		}
		if (!next_or_close(s, close, &more))
			goto fail;
	}
	s->depth--;
	return c;
fail:
	cJSON_Delete(c);
	return NULL;
}

static cJSON *pick_value(struct scan *s, const struct json_pick *pick)
{
	skip_ws(s);
	if (at(s, '{'))
		return pick_container(s, pick, '}');
	if (at(s, '['))
		return pick_container(s, pick, ']');
	return parse_whole(s);
}

cJSON *json_pick_parse(const char *text, size_t len, const struct json_pick *pick)
{
	struct scan s = {text, text + len, 0};

	if (!text)
		return NULL;
	if (!pick)
		return cJSON_ParseWithLength(text, len);
	if (len >= 3 && !memcmp(text, "\xEF\xBB\xBF", 3)) /* as cJSON: a UTF-8 BOM */
		s.p += 3;
	return pick_value(&s, pick);
}
