/*
 * proto: decodes the Kubernetes protobuf envelope ("k8s\0" + runtime.Unknown) of every
 * built-in kind, as kubectl's typed client sends it (`kubectl create service|job|cronjob|
 * ingress|poddisruptionbudget|priorityclass|quota|deployment|...`, `kubectl autoscale`,
 * the access reviews and token requests). One decoder walks the message descriptors of
 * proto_desc.c (generated from k8s.io/api's generated.proto) and writes the JSON the real
 * server's Go types would marshal: gogo-protobuf always writes a non-pointer field, so a
 * zero scalar that is not a pointer is left out (omitempty), a pointer's is kept.
 * Bounded: the input size is capped by the HTTP layer, nesting by PROTO_MAX_DEPTH.
 */
#include <ctype.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "proto.h"
#include "proto_int.h"

#define PROTO_MAX_DEPTH 32

struct pb {
	const unsigned char *p, *end;
};

struct pctx {
	char *err;
	size_t errlen;
};

static int pb_fail(struct pctx *c, const char *msg, const struct proto_field *f, int wt)
{
	if (c->err[0])
		return -1;
	if (f)
		snprintf(c->err, c->errlen, "proto: wrong wireType = %d for field %s%s", wt,
			 f->go ? f->go : (char[2]){(char)toupper((unsigned char)f->name[0]), 0},
			 f->go ? "" : f->name + 1);
	else
		snprintf(c->err, c->errlen, "%s", msg);
	return -1;
}

static int pb_varint(struct pb *b, uint64_t *v)
{
	int shift = 0;

	*v = 0;
	while (b->p < b->end && shift < 64) {
		unsigned char ch = *b->p++;

		*v |= (uint64_t)(ch & 0x7f) << shift;
		if (!(ch & 0x80))
			return 0;
		shift += 7;
	}
	return -1;
}

/* Next field: number, wire type, and for type 2 the bytes; for 0 the value. Fixed-width
 * values (types 1 and 5, which no Kubernetes message uses) are skipped. */
static int pb_next(struct pb *b, int *num, int *wt, struct pb *sub, uint64_t *val)
{
	uint64_t key, len;

	if (pb_varint(b, &key) < 0)
		return -1;
	*num = (int)(key >> 3);
	*wt = (int)(key & 7);
	if (*num <= 0)
		return -1;
	switch (*wt) {
	case 0:
		return pb_varint(b, val);
	case 1:
	case 5:
		len = *wt == 1 ? 8 : 4;
		if ((uint64_t)(b->end - b->p) < len)
			return -1;
		b->p += len;
		return 0;
	case 2:
		if (pb_varint(b, &len) < 0 || len > (uint64_t)(b->end - b->p))
			return -1;
		sub->p = b->p;
		sub->end = b->p + len;
		b->p += len;
		return 0;
	default:
		return -1;
	}
}

static cJSON *pb_string(const struct pb *s)
{
	char *t = strndup((const char *)s->p, (size_t)(s->end - s->p));
	cJSON *v;

	if (!t)
		return NULL;
	v = cJSON_CreateString(t);
	free(t);
	return v;
}

static cJSON *pb_base64(const struct pb *s)
{
	size_t n = (size_t)(s->end - s->p);
	char *t = malloc(4 * ((n + 2) / 3) + 1);
	cJSON *v;

	if (!t)
		return NULL;
	EVP_EncodeBlock((unsigned char *)t, s->p, (int)n);
	v = cJSON_CreateString(t);
	free(t);
	return v;
}

/* The fields of a small apimachinery message: up to three varints and strings. */
struct pb_small {
	uint64_t v[4];
	struct pb s[4];
	bool has[4];
};

static int pb_small_read(struct pb *b, struct pb_small *m)
{
	struct pb s = {NULL, NULL};
	int num, wt;
	uint64_t v = 0;

	memset(m, 0, sizeof(*m));
	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (num > 3)
			continue;
		m->has[num] = true;
		if (wt == 0)
			m->v[num] = v;
		else if (wt == 2)
			m->s[num] = s;
	}
	return 0;
}

/* "12" or "12.5": whole, then frac (width digits) without its trailing zeros. */
static void frac_string(char *out, size_t n, uint64_t whole, uint64_t frac, int width)
{
	int k = snprintf(out, n, "%llu", (unsigned long long)whole);

	if (frac && k > 0 && (size_t)k + width + 2 <= n) {
		snprintf(out + k, n - k, ".%0*llu", width, (unsigned long long)frac);
		for (k = (int)strlen(out) - 1; out[k] == '0'; k--)
			out[k] = '\0';
	}
}

/* Go's time.Duration.String(): "1h2m3.5s", "1.5ms", "0s". */
void proto_duration_string(int64_t ns, char *out, size_t n)
{
	uint64_t u = ns < 0 ? -(uint64_t)ns : (uint64_t)ns, s = u / 1000000000;
	const char *sign = ns < 0 ? "-" : "";
	char num[32];

	if (u == 0) {
		snprintf(out, n, "0s");
	} else if (u < 1000) {
		snprintf(out, n, "%s%lluns", sign, (unsigned long long)u);
	} else if (u < 1000000) {
		frac_string(num, sizeof(num), u / 1000, u % 1000, 3);
		snprintf(out, n, "%s%sµs", sign, num);
	} else if (u < 1000000000) {
		frac_string(num, sizeof(num), u / 1000000, u % 1000000, 6);
		snprintf(out, n, "%s%sms", sign, num);
	} else {
		frac_string(num, sizeof(num), s % 60, u % 1000000000, 9);
		if (s >= 3600)
			snprintf(out, n, "%s%lluh%llum%ss", sign, (unsigned long long)(s / 3600),
				 (unsigned long long)(s / 60 % 60), num);
		else if (s >= 60)
			snprintf(out, n, "%s%llum%ss", sign, (unsigned long long)(s / 60), num);
		else
			snprintf(out, n, "%s%ss", sign, num);
	}
}

/* meta/v1 Time and MicroTime: an empty message is the zero time, JSON null. */
static cJSON *pb_time(const struct pb_small *m, bool micro, bool empty)
{
	time_t t = (time_t)(int64_t)m->v[1];
	char sec[32], out[48];
	struct tm tm;

	if (empty)
		return cJSON_CreateNull();
	if (!gmtime_r(&t, &tm) || !strftime(sec, sizeof(sec), "%Y-%m-%dT%H:%M:%S", &tm))
		return NULL;
	if (micro)
		snprintf(out, sizeof(out), "%s.%06dZ", sec, (int)((int32_t)m->v[2] / 1000));
	else
		snprintf(out, sizeof(out), "%sZ", sec);
	return cJSON_CreateString(out);
}

/* A value of one of the apimachinery types with their own JSON form. */
static cJSON *pb_special(const struct proto_field *f, struct pb *s, struct pctx *c)
{
	bool empty = s->p == s->end;
	struct pb_small m;
	char d[64];
	cJSON *v;

	if (pb_small_read(s, &m) < 0) {
		pb_fail(c, "unexpected EOF", NULL, 0);
		return NULL;
	}
	switch (f->type) {
	case PROTO_QUANTITY:
		return m.has[1] && m.s[1].p < m.s[1].end ? pb_string(&m.s[1])
							  : cJSON_CreateString("0");
	case PROTO_INTORSTRING:
		if (m.v[1] == 1)
			return m.has[3] ? pb_string(&m.s[3]) : cJSON_CreateString("");
		return cJSON_CreateNumber((double)(int32_t)m.v[2]);
	case PROTO_TIME:
	case PROTO_MICROTIME:
		return pb_time(&m, f->type == PROTO_MICROTIME, empty);
	case PROTO_DURATION:
		proto_duration_string((int64_t)m.v[1], d, sizeof(d));
		return cJSON_CreateString(d);
	case PROTO_RAW:
		if (!m.has[1] || m.s[1].p == m.s[1].end)
			return cJSON_CreateNull();
		v = cJSON_ParseWithLength((const char *)m.s[1].p,
					  (size_t)(m.s[1].end - m.s[1].p));
		if (!v)
			pb_fail(c, "the embedded object of field is not JSON", NULL, 0);
		return v;
	default:
		return NULL;
	}
}

static bool is_varint(uint8_t type)
{
	return type == PROTO_INT32 || type == PROTO_INT64 || type == PROTO_BOOL;
}

static cJSON *pb_varint_value(uint8_t type, uint64_t v)
{
	if (type == PROTO_BOOL)
		return cJSON_CreateBool(v != 0);
	if (type == PROTO_INT32)
		return cJSON_CreateNumber((double)(int32_t)v);
	return cJSON_CreateNumber((double)(int64_t)v);
}

static int decode_msg(cJSON *obj, int msg, struct pb *b, int depth, struct pctx *c);

/* The JSON value of a length-delimited field (wire type 2). */
static cJSON *pb_value(const struct proto_field *f, struct pb *s, int depth, struct pctx *c)
{
	cJSON *v;

	switch (f->type) {
	case PROTO_STRING:
		return pb_string(s);
	case PROTO_BYTES:
		return pb_base64(s);
	case PROTO_MESSAGE:
		v = cJSON_CreateObject();
		if (v && decode_msg(v, f->msg, s, depth + 1, c) < 0) {
			cJSON_Delete(v);
			return NULL;
		}
		return v;
	default:
		return pb_special(f, s, c);
	}
}

/* The zero value of a map entry's value when the entry carries none. */
static cJSON *pb_zero(const struct proto_field *f, int depth, struct pctx *c)
{
	struct pb none = {(const unsigned char *)"", (const unsigned char *)""};

	if (is_varint(f->type))
		return pb_varint_value(f->type, 0);
	return pb_value(f, &none, depth, c);
}

/* One map entry {1: key, 2: value} added to the object m. */
static int pb_map_entry(cJSON *m, const struct proto_message *entry, struct pb *e, int depth,
			struct pctx *c)
{
	const struct proto_field *vf = &proto_fields[entry->first + 1];
	struct pb s = {NULL, NULL}, key = {NULL, NULL};
	cJSON *val = NULL;
	int num, wt;
	uint64_t v = 0;
	char *k;

	while (e->p < e->end) {
		if (pb_next(e, &num, &wt, &s, &v) < 0)
			goto bad;
		if (num == 1 && wt == 2) {
			key = s;
		} else if (num == 2) {
			cJSON_Delete(val);
			if (wt != (is_varint(vf->type) ? 0 : 2)) {
				pb_fail(c, NULL, vf, wt);
				return -1;
			}
			val = wt == 0 ? pb_varint_value(vf->type, v) : pb_value(vf, &s, depth, c);
			if (!val)
				goto bad;
		}
	}
	if (!val && !(val = pb_zero(vf, depth, c)))
		goto bad;
	k = key.p ? strndup((const char *)key.p, (size_t)(key.end - key.p)) : strdup("");
	if (!k)
		goto bad;
	cJSON_DeleteItemFromObjectCaseSensitive(m, k);
	cJSON_AddItemToObject(m, k, val);
	free(k);
	return 0;
bad:
	cJSON_Delete(val);
	return pb_fail(c, "unexpected EOF", NULL, 0);
}

static const struct proto_field *field_by_num(const struct proto_message *m, int num)
{
	for (unsigned i = 0; i < m->count; i++)
		if (proto_fields[m->first + i].num == num)
			return &proto_fields[m->first + i];
	return NULL;
}

static cJSON *child(cJSON *obj, const char *name, bool array)
{
	cJSON *a = cJSON_GetObjectItemCaseSensitive(obj, name);

	if (!a)
		a = array ? cJSON_AddArrayToObject(obj, name) : cJSON_AddObjectToObject(obj, name);
	return a;
}

/* A repeated field: one element, a packed run of varints, or a map entry. */
static int pb_repeated(cJSON *obj, const struct proto_field *f, int wt, uint64_t v, struct pb *s,
		       int depth, struct pctx *c)
{
	const struct proto_message *sub = &proto_messages[f->msg];
	cJSON *a, *item;

	if (f->type == PROTO_MESSAGE && sub->map_entry)
		return pb_map_entry(child(obj, f->name, false), sub, s, depth, c);
	a = child(obj, f->name, true);
	if (wt == 0) {
		cJSON_AddItemToArray(a, pb_varint_value(f->type, v));
		return 0;
	}
	if (is_varint(f->type)) { /* packed */
		while (s->p < s->end) {
			if (pb_varint(s, &v) < 0)
				return pb_fail(c, "unexpected EOF", NULL, 0);
			cJSON_AddItemToArray(a, pb_varint_value(f->type, v));
		}
		return 0;
	}
	if (!(item = pb_value(f, s, depth, c)))
		return pb_fail(c, "unexpected EOF", NULL, 0);
	cJSON_AddItemToArray(a, item);
	return 0;
}

/* A singular field: the last value wins, messages merge, a zero non-pointer scalar is left
 * out as Go's omitempty leaves it out. */
static int pb_singular(cJSON *obj, const struct proto_field *f, uint64_t v, struct pb *s,
		       int depth, struct pctx *c)
{
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, f->name), *item;

	if (f->type == PROTO_MESSAGE && (f->flags & PROTO_INLINE))
		return decode_msg(obj, f->msg, s, depth + 1, c);
	if (f->type == PROTO_MESSAGE && cJSON_IsObject(old))
		return decode_msg(old, f->msg, s, depth + 1, c);
	cJSON_DeleteItemFromObjectCaseSensitive(obj, f->name);
	if (!(f->flags & (PROTO_POINTER | PROTO_KEEP)) &&
	    (is_varint(f->type) ? v == 0
				: (f->type == PROTO_STRING || f->type == PROTO_BYTES) && s->p == s->end))
		return 0;
	item = is_varint(f->type) ? pb_varint_value(f->type, v) : pb_value(f, s, depth, c);
	if (!item)
		return pb_fail(c, "unexpected EOF", NULL, 0);
	cJSON_AddItemToObject(obj, f->name, item);
	return 0;
}

/* What Go's encoder writes for a field without omitempty that the body did not carry: null
 * for a nil pointer, slice or map, else the zero value. */
static int pb_absent(cJSON *obj, int msg, int depth, struct pctx *c)
{
	const struct proto_message *m = &proto_messages[msg];
	cJSON *v;

	for (unsigned i = 0; i < m->count; i++) {
		const struct proto_field *f = &proto_fields[m->first + i];

		if (!(f->flags & PROTO_KEEP) || cJSON_GetObjectItemCaseSensitive(obj, f->name))
			continue;
		if (f->flags & (PROTO_POINTER | PROTO_REPEATED))
			v = cJSON_CreateNull();
		else
			v = pb_zero(f, depth, c);
		if (!v)
			return -1;
		cJSON_AddItemToObject(obj, f->name, v);
	}
	return 0;
}

/* Moves obj's members into the order of the message's fields (Go's struct order, the order
 * the JSON path stores), inline messages at their place. */
static void reorder_into(cJSON *obj, cJSON *out, int msg)
{
	const struct proto_message *m = &proto_messages[msg];

	for (unsigned i = 0; i < m->count; i++) {
		const struct proto_field *f = &proto_fields[m->first + i];
		cJSON *it;

		if (f->flags & PROTO_INLINE) {
			reorder_into(obj, out, f->msg);
			continue;
		}
		it = cJSON_GetObjectItemCaseSensitive(obj, f->name);
		if (it)
			cJSON_AddItemToArray(out, cJSON_DetachItemViaPointer(obj, it));
	}
}

static void reorder(cJSON *obj, int msg)
{
	cJSON tmp = {0}, *it;

	tmp.type = cJSON_Object;
	reorder_into(obj, &tmp, msg);
	while ((it = tmp.child))
		cJSON_AddItemToArray(obj, cJSON_DetachItemViaPointer(&tmp, it));
}

static int decode_msg(cJSON *obj, int msg, struct pb *b, int depth, struct pctx *c)
{
	const struct proto_message *m = &proto_messages[msg];
	const struct proto_field *f;
	struct pb s = {NULL, NULL};
	int num, wt, rc;
	uint64_t v = 0;

	if (depth > PROTO_MAX_DEPTH)
		return pb_fail(c, "proto: message nested too deep", NULL, 0);
	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return pb_fail(c, "unexpected EOF", NULL, 0);
		if (!(f = field_by_num(m, num)))
			continue; /* a newer client's field: skipped, as gogo does */
		if (wt != (is_varint(f->type) ? 0 : 2) &&
		    !((f->flags & PROTO_REPEATED) && is_varint(f->type) && wt == 2))
			return pb_fail(c, NULL, f, wt);
		if (f->flags & PROTO_REPEATED)
			rc = pb_repeated(obj, f, wt, v, &s, depth, c);
		else
			rc = pb_singular(obj, f, v, &s, depth, c);
		if (rc < 0)
			return -1;
	}
	if (pb_absent(obj, msg, depth, c) < 0)
		return -1;
	reorder(obj, msg);
	return 0;
}

int proto_message_find(const char *name)
{
	for (size_t i = 0; i < proto_nmessages; i++)
		if (strcmp(proto_messages[i].name, name) == 0)
			return (int)i;
	return -1;
}

int proto_decode_message(cJSON *obj, int msg, const void *data, size_t len, char *err,
			 size_t errlen)
{
	struct pb b = {data, (const unsigned char *)data + len};
	struct pctx c = {err, errlen};

	err[0] = '\0';
	return decode_msg(obj, msg, &b, 0, &c);
}

/* runtime.Unknown after the "k8s\0" magic: {1: TypeMeta {1: apiVersion, 2: kind}, 2: raw}. */
static int pb_envelope(struct pb *b, char *av, char *kind, size_t n, struct pb *raw)
{
	struct pb s = {NULL, NULL}, t;
	struct pb_small tm;
	int num, wt;
	uint64_t v;

	while (b->p < b->end) {
		if (pb_next(b, &num, &wt, &s, &v) < 0)
			return -1;
		if (num == 1 && wt == 2) {
			t = s;
			if (pb_small_read(&t, &tm) < 0)
				return -1;
			for (int k = 1; k <= 2; k++)
				if (tm.has[k] && tm.s[k].p)
					snprintf(k == 1 ? av : kind, n, "%.*s",
						 (int)(tm.s[k].end - tm.s[k].p),
						 (const char *)tm.s[k].p);
		}
		if (num == 2 && wt == 2)
			*raw = s;
	}
	return raw->p ? 0 : -1;
}

cJSON *proto_decode(const void *data, size_t len, char *err, size_t errlen)
{
	struct pb b = {data, (const unsigned char *)data + len}, raw = {NULL, NULL};
	char av[128] = "", kind[128] = "", why[160];
	const char *version;
	cJSON *obj;
	int msg = -1;

	err[0] = '\0';
	if (len < 4 || memcmp(data, "k8s\0", 4) != 0)
		return NULL;
	b.p += 4;
	if (pb_envelope(&b, av, kind, sizeof(av), &raw) < 0)
		return NULL;
	for (size_t i = 0; i < proto_nkinds && msg < 0; i++)
		if (strcmp(proto_kinds[i].api_version, av) == 0 &&
		    strcmp(proto_kinds[i].kind, kind) == 0)
			msg = proto_kinds[i].msg;
	if (msg < 0)
		return NULL;
	obj = cJSON_CreateObject();
	if (!obj)
		return NULL;
	cJSON_AddStringToObject(obj, "kind", kind);
	cJSON_AddStringToObject(obj, "apiVersion", av);
	if (proto_decode_message(obj, msg, raw.p, (size_t)(raw.end - raw.p), why, sizeof(why)) <
	    0) {
		version = strrchr(av, '/') ? strrchr(av, '/') + 1 : av;
		snprintf(err, errlen, "%s in version \"%s\" cannot be handled as a %s: %s", kind,
			 version, kind, why);
		cJSON_Delete(obj);
		return NULL;
	}
	return obj;
}
