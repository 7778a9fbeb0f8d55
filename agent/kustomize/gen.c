/*
 * kustomize_gen: configMapGenerator and secretGenerator, and the content hash that
 * kustomize appends to generated names. The hash must match kustomize's byte for
 * byte (api/hasher): sha256 of Go's json.Marshal of {"data", "kind", "name", ...}
 * with sorted keys and Go's HTML-safe string escaping; "name" is always empty there
 * because kustomize looks the path "metadata/name" up as one field name.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "kustomize_int.h"

enum ks_behavior { KS_CREATE, KS_MERGE, KS_REPLACE };

struct ks_genopts {
	const cJSON *labels;
	const cJSON *annotations;
	int disable_hash; /* -1 unset */
	int immutable;	  /* -1 unset */
};

/* ---- Go-compatible JSON for the hash ---- */

/* The multi-byte forms of UTF-8: lead byte under mask, and the least code point each
 * may encode (a smaller one is overlong). */
static const struct {
	unsigned char mask, lead;
	int len;
	unsigned min;
} ks_utf8_forms[] = {{0xe0, 0xc0, 2, 0x80}, {0xf0, 0xe0, 3, 0x800}, {0xf8, 0xf0, 4, 0x10000}};

/* The length of the UTF-8 sequence at s (n bytes left) and its code point; -1 when
 * it is invalid, overlong, a surrogate or beyond U+10FFFF. */
static int ks_utf8_len(const unsigned char *s, size_t n, unsigned *cp)
{
	size_t f = 0, nf = sizeof(ks_utf8_forms) / sizeof(ks_utf8_forms[0]);
	unsigned c;
	int len;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	while (f < nf && (s[0] & ks_utf8_forms[f].mask) != ks_utf8_forms[f].lead)
		f++;
	if (f == nf || (size_t)(len = ks_utf8_forms[f].len) > n)
		return -1;
	c = s[0] & (unsigned char)~ks_utf8_forms[f].mask;
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return -1;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < ks_utf8_forms[f].min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return -1;
	*cp = c;
	return len;
}

static bool ks_utf8_valid(const char *s, size_t n)
{
	unsigned cp;

	for (size_t i = 0; i < n;) {
		int l = ks_utf8_len((const unsigned char *)s + i, n - i, &cp);

		if (l < 0)
			return false;
		i += (size_t)l;
	}
	return true;
}

/* One ASCII byte as Go escapes it: short escapes, \u00XX for controls and <, >, &. */
static int ks_go_ascii(struct buf *b, unsigned char c)
{
	switch (c) {
	case '"':
	case '\\':
		return buf_printf(b, "\\%c", c);
	case '\n':
		return buf_puts(b, "\\n");
	case '\r':
		return buf_puts(b, "\\r");
	case '\t':
		return buf_puts(b, "\\t");
	case '\b':
		return buf_puts(b, "\\b");
	case '\f':
		return buf_puts(b, "\\f");
	default:
		if (c < 0x20 || c == '<' || c == '>' || c == '&')
			return buf_printf(b, "\\u%04x", c);
		return buf_append(b, &c, 1);
	}
}

/* The multibyte sequence at s (n bytes left), *used its length: an invalid byte is
 * U+FFFD, and U+2028 and U+2029 are escaped (JavaScript line terminators). */
static int ks_go_utf8(struct buf *b, const char *s, size_t n, size_t *used)
{
	unsigned cp;
	int l = ks_utf8_len((const unsigned char *)s, n, &cp);

	if (l < 0) {
		*used = 1;
		return buf_puts(b, "\\ufffd");
	}
	*used = (size_t)l;
	if (cp == 0x2028 || cp == 0x2029)
		return buf_printf(b, "\\u%04x", cp);
	return buf_append(b, s, (size_t)l);
}

/* Go's encoding/json string escaping (HTML-safe, invalid UTF-8 as U+FFFD). */
static int ks_go_string(struct buf *b, const char *s)
{
	size_t n = strlen(s), used;
	int rc = buf_puts(b, "\"");

	for (size_t i = 0; i < n && rc == 0; i += used) {
		used = 1;
		if ((unsigned char)s[i] < 0x80)
			rc = ks_go_ascii(b, (unsigned char)s[i]);
		else
			rc = ks_go_utf8(b, s + i, n - i, &used);
	}
	return rc ? rc : buf_puts(b, "\"");
}

static int ks_cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int ks_go_json(struct buf *b, const cJSON *v, int depth);

static int ks_go_object(struct buf *b, const cJSON *v, int depth)
{
	int n = cJSON_GetArraySize(v), rc = 0;
	const char **keys = calloc((size_t)n + 1, sizeof(*keys));
	const cJSON *c;
	int i = 0;

	if (!keys)
		return TE_NOMEM;
	cJSON_ArrayForEach(c, v) keys[i++] = c->string;
	qsort(keys, (size_t)n, sizeof(*keys), ks_cmp_str);
	rc = buf_puts(b, "{");
	for (i = 0; i < n && rc == 0; i++) {
		if (i)
			rc = buf_puts(b, ",");
		if (!rc)
			rc = ks_go_string(b, keys[i]);
		if (!rc)
			rc = buf_puts(b, ":");
		if (!rc)
			rc = ks_go_json(b, cJSON_GetObjectItemCaseSensitive(v, keys[i]), depth + 1);
	}
	free(keys);
	return rc ? rc : buf_puts(b, "}");
}

static int ks_go_json(struct buf *b, const cJSON *v, int depth);

static int ks_go_array(struct buf *b, const cJSON *v, int depth)
{
	const cJSON *c;
	int rc = buf_puts(b, "[");

	cJSON_ArrayForEach(c, v)
	{
		if (!rc && c != v->child)
			rc = buf_puts(b, ",");
		if (!rc)
			rc = ks_go_json(b, c, depth + 1);
	}
	return rc ? rc : buf_puts(b, "]");
}

static int ks_go_json(struct buf *b, const cJSON *v, int depth)
{
	int rc;

	if (depth > MANIFEST_MAX_DEPTH)
		return TE_INPUT;
	if (cJSON_IsString(v))
		return ks_go_string(b, v->valuestring);
	if (cJSON_IsObject(v))
		return ks_go_object(b, v, depth);
	if (cJSON_IsArray(v))
		return ks_go_array(b, v, depth);
	if (cJSON_IsTrue(v))
		return buf_puts(b, "true");
	if (cJSON_IsFalse(v))
		return buf_puts(b, "false");
	if (cJSON_IsNumber(v)) {
		char *s = cJSON_PrintUnformatted(v);

		rc = s ? buf_puts(b, s) : TE_NOMEM;
		free(s);
		return rc;
	}
	return buf_puts(b, "null");
}

/* Adds "key": obj.key (a mapping) or "" when absent, as getNodeValues does. */
static int ks_hash_field(cJSON *m, const cJSON *body, const char *key, bool always)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(body, key);
	cJSON *copy;

	if (!v || cJSON_IsNull(v)) {
		if (!always)
			return 0;
		copy = cJSON_CreateString("");
	} else if (!always && !cJSON_IsObject(v)) {
		return 0;
	} else {
		copy = cJSON_Duplicate(v, true);
	}
	return json_object_add(m, key, copy);
}

/* kustomize's encodeHash: the first 10 hex digits, with 0, 1, 3, a and e replaced by
 * g, h, k, m and t (no vowels, so no words in names). */
static void ks_hash_encode(const char *hex, char out[11])
{
	static const char from[] = "013ae", to[] = "ghkmt";

	for (int i = 0; i < 10; i++) {
		const char *p = strchr(from, hex[i]);

		out[i] = p ? to[p - from] : hex[i];
	}
	out[10] = '\0';
}

int ks_content_hash(const cJSON *body, char out[11], struct err *e)
{
	bool secret = strcmp(ks_kind(body), "Secret") == 0;
	cJSON *m = cJSON_CreateObject();
	struct buf b;
	char hex[65];
	int rc = TE_NOMEM;

	buf_init(&b, BUF_DEFAULT_MAX);
	if (!m || !cJSON_AddStringToObject(m, "kind", secret ? "Secret" : "ConfigMap") ||
	    !cJSON_AddStringToObject(m, "name", ""))
		goto out;
	if (ks_hash_field(m, body, "data", true) < 0 ||
	    ks_hash_field(m, body, secret ? "stringData" : "binaryData", false) < 0)
		goto out;
	if (secret && ks_hash_field(m, body, "type", true) < 0)
		goto out;
	if ((rc = ks_go_json(&b, m, 0)) < 0)
		goto out;
	sha256_hex(KS_TEXT(b), b.len, hex);
	ks_hash_encode(hex, out);
out:
	if (rc < 0)
		err_set(e, rc, "%s: cannot compute the content hash", ks_name(body));
	cJSON_Delete(m);
	buf_dispose(&b);
	return rc;
}

int ks_add_hashes(struct ks_set *ra, struct err *e)
{
	for (size_t i = 0; i < ra->n; i++) {
		struct ks_res *r = &ra->items[i];
		char h[11], *name;
		int rc;

		if (!r->hash)
			continue;
		if ((rc = ks_content_hash(r->body, h, e)) < 0)
			return rc;
		if (!(name = xasprintf("%s-%s", ks_name(r->body), h)))
			return err_set(e, TE_NOMEM, "out of memory");
		rc = ks_res_rename(r, name, NULL);
		free(name);
		if (rc < 0)
			return err_set(e, rc, "out of memory");
	}
	return 0;
}

/* ---- building the data of one generator ---- */

/* Base64 broken into lines of 70 characters, each ending in a newline when there is
 * more than one, exactly as kustomize's encodeBase64 does. */
static int ks_b64(const char *in, size_t n, char **out)
{
	static const char t[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t enc = (n + 2) / 3 * 4, lines = enc / 70 + 1;
	char *o = malloc(enc + lines + 1), *p = o, *flat;
	const unsigned char *s = (const unsigned char *)in;

	if (!o)
		return TE_NOMEM;
	for (size_t i = 0; i < n; i += 3) {
		unsigned v = (unsigned)s[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)s[i + 1] << 8;
		if (i + 2 < n)
			v |= s[i + 2];
		*p++ = t[(v >> 18) & 63];
		*p++ = t[(v >> 12) & 63];
		*p++ = i + 1 < n ? t[(v >> 6) & 63] : '=';
		*p++ = i + 2 < n ? t[v & 63] : '=';
	}
	*p = '\0';
	if (lines == 1) {
		*out = o;
		return 0;
	}
	if (!(flat = xstrdup(o))) {
		free(o);
		return TE_NOMEM;
	}
	p = o;
	for (size_t i = 0; i < enc; i += 70) {
		size_t k = enc - i < 70 ? enc - i : 70;

		memcpy(p, flat + i, k);
		p += k;
		*p++ = '\n';
	}
	*p = '\0';
	free(flat);
	*out = o;
	return 0;
}

struct ks_gen {
	struct ks_ctx *c;
	const char *field; /* configMapGenerator or secretGenerator */
	bool secret;
	const char *name;
	cJSON *data;   /* owned by body */
	cJSON *binary; /* ConfigMap binaryData, created on demand */
	cJSON *body;
};

/* A key must be given once, across data and binaryData. */
static int ks_gen_key_check(const struct ks_gen *g, const char *key, struct err *e)
{
	if (!*key)
		return err_set(e, TE_INPUT, "%s: %s: empty key", g->c->file, g->name);
	if (cJSON_GetObjectItemCaseSensitive(g->data, key) ||
	    (g->binary && cJSON_GetObjectItemCaseSensitive(g->binary, key)))
		return err_set(e, TE_INPUT,
			       "%s: %s: cannot add key %s, another key by that name already exists",
			       g->c->file, g->name, key);
	return 0;
}

static int ks_gen_put(struct ks_gen *g, const char *key, const char *val, size_t len, struct err *e)
{
	bool text = ks_utf8_valid(val, len) && strlen(val) == len;
	cJSON *target = g->data;
	char *enc = NULL;
	int rc;

	if ((rc = ks_gen_key_check(g, key, e)) < 0)
		return rc;
	if (g->secret || !text) {
		if (ks_b64(val, len, &enc) < 0)
			return err_set(e, TE_NOMEM, "out of memory");
		if (!g->secret) {
			if (!g->binary &&
			    !(g->binary = cJSON_AddObjectToObject(g->body, "binaryData"))) {
				free(enc);
				return err_set(e, TE_NOMEM, "out of memory");
			}
			target = g->binary;
		}
	}
	if (!cJSON_AddStringToObject(target, key, enc ? enc : val)) {
		free(enc);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	free(enc);
	return 0;
}

static int ks_gen_env_line(struct ks_gen *g, const char *file, char *line, int lineno,
			   struct err *e)
{
	char *eq;

	if (lineno == 1 && strncmp(line, "\xef\xbb\xbf", 3) == 0)
		line += 3;
	while (*line == ' ' || *line == '\t' || *line == '\v' || *line == '\f' || *line == '\r')
		line++;
	if (!*line || *line == '#')
		return 0;
	if (!(eq = strchr(line, '=')))
		return err_set(
		    e, TE_INPUT,
		    "%s:%d: %s has no value (values taken from the environment are not supported)",
		    file, lineno, line);
	*eq = '\0';
	return ks_gen_put(g, line, eq + 1, strlen(eq + 1), e);
}

static int ks_gen_envfile(struct ks_gen *g, const char *rel, struct err *e)
{
	struct buf b;
	char *path = NULL, *p, *nl;
	int rc, lineno = 0;

	buf_init(&b, MANIFEST_MAX_FILE);
	if ((rc = ks_read_rel(g->c, g->field, rel, &path, &b, e)) < 0)
		goto out;
	if (!ks_utf8_valid(KS_TEXT(b), b.len)) {
		rc = err_set(e, TE_INPUT, "%s: not valid UTF-8", path);
		goto out;
	}
	for (p = b.data; p && *p; p = nl) {
		nl = strchr(p, '\n');
		if (nl) {
			*nl++ = '\0';
			if (nl - 2 >= p && nl[-2] == '\r')
				nl[-2] = '\0';
		}
		if ((rc = ks_gen_env_line(g, path, p, ++lineno, e)) < 0)
			goto out;
	}
out:
	free(path);
	buf_dispose(&b);
	return rc;
}

static int ks_gen_file(struct ks_gen *g, const char *spec, struct err *e)
{
	const char *eq = strchr(spec, '='), *rel = eq ? eq + 1 : spec, *base;
	char *key = NULL, *path = NULL;
	struct buf b;
	int rc;

	buf_init(&b, MANIFEST_MAX_FILE);
	if (eq)
		key = strndup(spec, (size_t)(eq - spec));
	else
		key = xstrdup((base = strrchr(rel, '/')) ? base + 1 : rel);
	if (!key) {
		rc = err_set(e, TE_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = ks_read_rel(g->c, g->field, rel, &path, &b, e)) < 0)
		goto out;
	rc = ks_gen_put(g, key, KS_TEXT(b), b.len, e);
out:
	free(key);
	free(path);
	buf_dispose(&b);
	return rc;
}

static int ks_gen_literal(struct ks_gen *g, const char *lit, struct err *e)
{
	const char *eq = strchr(lit, '=');
	char *key, *val;
	size_t n;
	int rc;

	if (!eq || eq == lit)
		return err_set(e, TE_INPUT, "%s: %s: literal %s is not KEY=VALUE", g->c->file,
			       g->name, lit);
	key = strndup(lit, (size_t)(eq - lit));
	val = xstrdup(eq + 1);
	if (!key || !val) {
		free(key);
		free(val);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	n = strlen(val);
	if (n >= 2 && (val[0] == '"' || val[0] == '\'') && val[n - 1] == val[0]) {
		memmove(val, val + 1, n - 2);
		val[n - 2] = '\0';
	}
	rc = ks_gen_put(g, key, val, strlen(val), e);
	free(key);
	free(val);
	return rc;
}

/* Calls fn for each string of gen.field (a list; "env" is a single string). */
static int ks_gen_each(struct ks_gen *g, const cJSON *gen, const char *field,
		       int (*fn)(struct ks_gen *, const char *, struct err *), struct err *e)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(gen, field), *it;
	int rc;

	if (!v || cJSON_IsNull(v))
		return 0;
	if (cJSON_IsString(v) && strcmp(field, "env") == 0)
		return fn(g, v->valuestring, e);
	if (!cJSON_IsArray(v))
		return err_set(e, TE_INPUT, "%s: %s: %s must be a list of strings", g->c->file,
			       g->name, field);
	cJSON_ArrayForEach(it, v)
	{
		if (!cJSON_IsString(it))
			return err_set(e, TE_INPUT, "%s: %s: %s must be a list of strings",
				       g->c->file, g->name, field);
		if ((rc = fn(g, it->valuestring, e)) < 0)
			return rc;
	}
	return 0;
}

/* Generator labels and annotations must be strings, as kustomize decodes them. */
static int ks_opts_check(struct ks_ctx *c, const cJSON *o, const char *field, struct err *e)
{
	static const char *const maps[] = {"labels", "annotations"};
	const cJSON *p;

	for (int i = 0; i < 2; i++)
		cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(o, maps[i])) if (
		    !cJSON_IsString(p)) return err_set(e, TE_INPUT,
						       "%s: %s: %s: the value of %s must be a "
						       "string (quote it)",
						       c->file, field, maps[i], p->string);
	return 0;
}

static int ks_merge_map(cJSON *dst_parent, const char *key, const cJSON *src)
{
	cJSON *dst;
	const cJSON *it;

	if (!cJSON_IsObject(src) || cJSON_GetArraySize(src) == 0)
		return 0;
	if (!(dst = ks_obj_child(dst_parent, key)))
		return TE_NOMEM;
	cJSON_ArrayForEach(it, src)
	{
		int rc = json_object_set(dst, it->string, cJSON_Duplicate(it, true));

		if (rc < 0)
			return rc;
	}
	return 0;
}

static void ks_opts_read(const cJSON *o, struct ks_genopts *opts)
{
	const cJSON *v;

	if (!cJSON_IsObject(o))
		return;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "labels")))
		opts->labels = v;
	if ((v = cJSON_GetObjectItemCaseSensitive(o, "annotations")))
		opts->annotations = v;
	if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(o, "disableNameSuffixHash")))
		opts->disable_hash = cJSON_IsTrue(v);
	if (cJSON_IsBool(v = cJSON_GetObjectItemCaseSensitive(o, "immutable")))
		opts->immutable = cJSON_IsTrue(v);
}

static int ks_behavior(struct ks_ctx *c, const cJSON *gen, const char *name, int *out,
		       struct err *e)
{
	const char *b = json_str(gen, "behavior", NULL);

	*out = KS_CREATE;
	if (!b || !*b || strcmp(b, "create") == 0)
		return 0;
	if (strcmp(b, "merge") == 0)
		*out = KS_MERGE;
	else if (strcmp(b, "replace") == 0)
		*out = KS_REPLACE;
	else
		return err_set(e, TE_INPUT,
			       "%s: %s: unknown behavior %s (create, merge or replace)", c->file,
			       name, b);
	return 0;
}

/* metadata: name, namespace, and the labels and annotations of the options. */
static int ks_gen_meta(struct ks_gen *g, const char *ns, const struct ks_genopts *opts)
{
	cJSON *meta = cJSON_AddObjectToObject(g->body, "metadata");

	if (!meta || !cJSON_AddStringToObject(meta, "name", g->name) ||
	    (ns && *ns && !cJSON_AddStringToObject(meta, "namespace", ns)) ||
	    ks_merge_map(meta, "labels", opts->labels) < 0 ||
	    ks_merge_map(meta, "annotations", opts->annotations) < 0)
		return TE_NOMEM;
	return 0;
}

/* The object without its data: apiVersion, kind, metadata, a Secret's type, immutable. */
static int ks_gen_head(struct ks_gen *g, const cJSON *gen, const struct ks_genopts *opts)
{
	const char *ns = json_str(gen, "namespace", NULL), *type = json_str(gen, "type", NULL);

	if (!(g->body = cJSON_CreateObject()) ||
	    !cJSON_AddStringToObject(g->body, "apiVersion", "v1") ||
	    !cJSON_AddStringToObject(g->body, "kind", g->secret ? "Secret" : "ConfigMap") ||
	    ks_gen_meta(g, ns, opts) < 0)
		return TE_NOMEM;
	if (g->secret && !cJSON_AddStringToObject(g->body, "type", type && *type ? type : "Opaque"))
		return TE_NOMEM;
	if (opts->immutable == 1 && !cJSON_AddTrueToObject(g->body, "immutable"))
		return TE_NOMEM;
	return 0;
}

/* Builds the object of one generator entry into g->body. */
static int ks_gen_build(struct ks_gen *g, const cJSON *gen, const struct ks_genopts *opts,
			struct err *e)
{
	int rc;

	if (ks_gen_head(g, gen, opts) < 0 || !(g->data = cJSON_AddObjectToObject(g->body, "data")))
		return err_set(e, TE_NOMEM, "out of memory");
	/* kustomize's order: env files, literals, files. */
	if ((rc = ks_gen_each(g, gen, "envs", ks_gen_envfile, e)) < 0 ||
	    (rc = ks_gen_each(g, gen, "env", ks_gen_envfile, e)) < 0 ||
	    (rc = ks_gen_each(g, gen, "literals", ks_gen_literal, e)) < 0 ||
	    (rc = ks_gen_each(g, gen, "files", ks_gen_file, e)) < 0)
		return rc;
	if (cJSON_GetArraySize(g->data) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(g->body, "data");
	return 0;
}

/* Folds a merge/replace generator into the existing object it names. */
static int ks_gen_absorb(struct ks_ctx *c, struct ks_set *ra, cJSON *body, int behavior, bool hash,
			 struct err *e)
{
	const char *kind = ks_kind(body), *name = ks_name(body);
	const char *ns = ks_ns(body);
	cJSON *old_meta, *meta = cJSON_GetObjectItemCaseSensitive(body, "metadata");
	struct ks_res *old = NULL;
	static const char *const fields[] = {"data", "binaryData"};

	for (size_t i = 0; i < ra->n && !old; i++)
		if (ks_res_any_id(&ra->items[i], "", kind, name, ns ? ns : ""))
			old = &ra->items[i];
	if (!old)
		return err_set(e, TE_INPUT,
			       "%s: %s %s: behavior %s but no such object in the bases", c->file,
			       kind, name, behavior == KS_MERGE ? "merge" : "replace");
	old_meta = ks_obj_child(old->body, "metadata");
	if (!old_meta ||
	    ks_merge_map(old_meta, "labels", cJSON_GetObjectItemCaseSensitive(meta, "labels")) <
		0 ||
	    ks_merge_map(old_meta, "annotations",
			 cJSON_GetObjectItemCaseSensitive(meta, "annotations")) < 0)
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < 2; i++) {
		const cJSON *nv = cJSON_GetObjectItemCaseSensitive(body, fields[i]);

		if (behavior == KS_REPLACE)
			cJSON_DeleteItemFromObjectCaseSensitive(old->body, fields[i]);
		if (ks_merge_map(old->body, fields[i], nv) < 0)
			return err_set(e, TE_NOMEM, "out of memory");
	}
	/* The content hash follows the object merged into (kustomize keeps the old
	 * object's build annotations), not the overlay's options. */
	(void)hash;
	return 0;
}

static int ks_gen_one(struct ks_ctx *c, struct ks_set *ra, const cJSON *gen, bool secret,
		      const struct ks_genopts *global, struct err *e)
{
	struct ks_genopts opts = *global;
	struct ks_gen g = {
	    .c = c, .secret = secret, .field = secret ? "secretGenerator" : "configMapGenerator"};
	int behavior, rc;
	bool hash;

	if (!cJSON_IsObject(gen) || !(g.name = json_str(gen, "name", NULL)) || !*g.name)
		return err_set(e, TE_INPUT, "%s: %s entries need a name", c->file,
			       secret ? "secretGenerator" : "configMapGenerator");
	if ((rc = ks_behavior(c, gen, g.name, &behavior, e)) < 0)
		return rc;
	if ((rc = ks_opts_check(c, cJSON_GetObjectItemCaseSensitive(gen, "options"), g.field, e)) <
	    0)
		return rc;
	ks_opts_read(cJSON_GetObjectItemCaseSensitive(gen, "options"), &opts);
	/* Per-generator labels/annotations add to the global ones (merged below). */
	opts.labels = global->labels;
	opts.annotations = global->annotations;
	if ((rc = ks_gen_build(&g, gen, &opts, e)) < 0)
		goto out;
	{
		const cJSON *o = cJSON_GetObjectItemCaseSensitive(gen, "options");
		cJSON *meta = cJSON_GetObjectItemCaseSensitive(g.body, "metadata");

		if (ks_merge_map(meta, "labels", cJSON_GetObjectItemCaseSensitive(o, "labels")) <
			0 ||
		    ks_merge_map(meta, "annotations",
				 cJSON_GetObjectItemCaseSensitive(o, "annotations")) < 0) {
			rc = err_set(e, TE_NOMEM, "out of memory");
			goto out;
		}
	}
	hash = opts.disable_hash != 1;
	if (behavior != KS_CREATE) {
		rc = ks_gen_absorb(c, ra, g.body, behavior, hash, e);
		goto out;
	}
	if ((rc = ks_set_add(ra, g.body, c->file, 1, 1, e)) < 0) {
		g.body = NULL;
		goto out;
	}
	ra->items[ra->n - 1].hash = hash;
	g.body = NULL;
out:
	cJSON_Delete(g.body);
	return rc;
}

int ks_generate(struct ks_ctx *c, const cJSON *kust, struct ks_set *ra, struct err *e)
{
	static const char *const fields[] = {"configMapGenerator", "secretGenerator"};
	struct ks_genopts global = {.disable_hash = -1, .immutable = -1};
	int rc;

	if ((rc = ks_opts_check(c, cJSON_GetObjectItemCaseSensitive(kust, "generatorOptions"),
				"generatorOptions", e)) < 0)
		return rc;
	ks_opts_read(cJSON_GetObjectItemCaseSensitive(kust, "generatorOptions"), &global);
	for (int i = 0; i < 2; i++) {
		const cJSON *list = cJSON_GetObjectItemCaseSensitive(kust, fields[i]), *gen;

		if (!list || cJSON_IsNull(list))
			continue;
		if (!cJSON_IsArray(list))
			return err_set(e, TE_INPUT, "%s: %s must be a list", c->file, fields[i]);
		cJSON_ArrayForEach(
		    gen, list) if ((rc = ks_gen_one(c, ra, gen, i == 1, &global, e)) < 0) return rc;
	}
	return 0;
}
