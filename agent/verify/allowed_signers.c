/*
 * allowed_signers: the file `ssh-keygen -Y verify -f` reads (ssh-keygen(1), ALLOWED
 * SIGNERS): one key per line, "principals [options] keytype base64 [comment]", with
 * the options cert-authority, namespaces="..." and valid-after/valid-before="...". A
 * certificate-authority line is read but matches nothing: tether checks plain keys.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base64.h"
#include "verify_int.h"

#define FIELDS_MAX 8

/* Splits a line into blank-separated fields; double quotes keep blanks inside one. */
static int split_fields(char *line, char **f, size_t max)
{
	size_t n = 0;
	char *p = line;

	while (*p) {
		bool quoted = false;

		while (*p == ' ' || *p == '\t')
			p++;
		if (!*p || *p == '#')
			break;
		if (n == max)
			return -1;
		f[n++] = p;
		for (; *p && (quoted || (*p != ' ' && *p != '\t')); p++)
			if (*p == '"')
				quoted = !quoted;
		if (quoted)
			return -1;
		if (*p)
			*p++ = '\0';
	}
	return (int)n;
}

static bool is_key_type(const char *s)
{
	return !strncmp(s, "ssh-", 4) || !strncmp(s, "ecdsa-", 6) || !strncmp(s, "sk-", 3);
}

int allowed_signers_time(const char *s, size_t n, int64_t *out)
{
	struct tm tm = {0};
	bool utc = n && (s[n - 1] == 'Z' || s[n - 1] == 'z');
	int v[6] = {0, 0, 0, 0, 0, 0}, lens[6] = {4, 2, 2, 2, 2, 2}, k = 0;
	size_t digits = utc ? n - 1 : n;

	if (digits != 8 && digits != 12 && digits != 14)
		return -1;
	for (size_t i = 0; k < 6 && i < digits; k++)
		for (int j = 0; j < lens[k]; j++, i++) {
			if (!isdigit((unsigned char)s[i]))
				return -1;
			v[k] = v[k] * 10 + (s[i] - '0');
		}
	tm.tm_year = v[0] - 1900;
	tm.tm_mon = v[1] - 1;
	tm.tm_mday = v[2];
	tm.tm_hour = v[3];
	tm.tm_min = v[4];
	tm.tm_sec = v[5];
	tm.tm_isdst = -1;
	if (v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 60)
		return -1;
	*out = utc ? (int64_t)timegm(&tm) : (int64_t)mktime(&tm);
	return 0;
}

/* The value of name="value" (quotes optional) when opt is that option. */
static const char *opt_value(const char *opt, size_t len, const char *name, size_t *vlen)
{
	size_t nl = strlen(name);

	if (len <= nl + 1 || strncasecmp(opt, name, nl) != 0 || opt[nl] != '=')
		return NULL;
	opt += nl + 1;
	len -= nl + 1;
	if (len >= 2 && opt[0] == '"' && opt[len - 1] == '"') {
		opt++;
		len -= 2;
	}
	*vlen = len;
	return opt;
}

static int set_option(struct allowed_signer *s, const char *opt, size_t len)
{
	const char *v;
	size_t vl;

	if (len == 14 && !strncasecmp(opt, "cert-authority", 14))
		s->cert_authority = true;
	else if ((v = opt_value(opt, len, "namespaces", &vl)))
		s->namespaces = strndup(v, vl);
	else if ((v = opt_value(opt, len, "valid-after", &vl)))
		return allowed_signers_time(v, vl, &s->valid_after);
	else if ((v = opt_value(opt, len, "valid-before", &vl)))
		return allowed_signers_time(v, vl, &s->valid_before);
	else
		return -1;
	return 0;
}

/* "opt,opt=\"a,b\"": commas inside quotes belong to the value. */
static int parse_options(struct allowed_signer *s, const char *opts)
{
	const char *start = opts;
	bool quoted = false;

	for (const char *p = opts;; p++) {
		if (*p == '"')
			quoted = !quoted;
		if ((*p == ',' && !quoted) || !*p) {
			if (p == start || set_option(s, start, (size_t)(p - start)) < 0)
				return -1;
			if (!*p)
				return 0;
			start = p + 1;
		}
	}
}

static char *unquote(const char *s)
{
	size_t n = strlen(s);

	if (n >= 2 && s[0] == '"' && s[n - 1] == '"')
		return strndup(s + 1, n - 2);
	return strdup(s);
}

/* The key's blob, checked to be of the type the line names. */
static int parse_key(struct allowed_signer *s, const char *type, const char *b64)
{
	struct buf raw;
	struct wire w, t;

	buf_init(&raw, 64 << 10);
	if (base64_decode(b64, strlen(b64), BASE64_STRICT, &raw) < 0) {
		buf_dispose(&raw);
		return -1;
	}
	w = (struct wire){(const unsigned char *)raw.data, raw.len};
	if (wire_string(&w, &t) < 0 || !wire_is(&t, type)) {
		buf_dispose(&raw);
		return -1;
	}
	s->bloblen = raw.len;
	s->blob = (unsigned char *)buf_detach(&raw);
	return 0;
}

static void signer_dispose(struct allowed_signer *s)
{
	free(s->principals);
	free(s->blob);
	free(s->namespaces);
}

/* One line; 1 when it holds no key (blank or a comment). */
static int parse_line(struct allowed_signer *s, char *line, const char **why)
{
	char *f[FIELDS_MAX];
	int n = split_fields(line, f, FIELDS_MAX), k = 1;

	memset(s, 0, sizeof(*s));
	if (n == 0)
		return 1;
	*why = "expected \"principals [options] keytype base64-key\"";
	if (n < 3)
		return -1;
	if (!is_key_type(f[1])) {
		*why = "unknown option (cert-authority, namespaces, valid-after, valid-before)";
		if (parse_options(s, f[k++]) < 0)
			return -1;
	}
	*why = "not a public key of the type named";
	if (k + 1 >= n || !is_key_type(f[k]) || parse_key(s, f[k], f[k + 1]) < 0)
		return -1;
	if (!(s->principals = unquote(f[0])))
		return TE_NOMEM;
	return 0;
}

/* Adds the key of one line (nothing for a blank line or a comment). */
static int add_line(struct allowed_signers *out, char *line, int lineno, struct err *e)
{
	struct allowed_signer s;
	const char *why = "";
	int r;

	line[strcspn(line, "\r")] = '\0';
	if ((r = parse_line(&s, line, &why)) < 0) {
		signer_dispose(&s);
		return err_set(e, r == TE_NOMEM ? TE_NOMEM : TE_INPUT, "%s:%d: %s", out->file,
			       lineno, r == TE_NOMEM ? "out of memory" : why);
	}
	if (r == 0 && array_reserve(&out->items, &out->cap, out->n + 1, sizeof(s)) < 0) {
		signer_dispose(&s);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	if (r == 0)
		out->items[out->n++] = s;
	return 0;
}

int allowed_signers_parse(struct allowed_signers *out, const char *file, const char *text,
			  struct err *e)
{
	char *copy = strdup(text), *line = copy;
	int rc = 0, lineno = 0;

	memset(out, 0, sizeof(*out));
	out->file = strdup(file);
	if (!copy || !out->file)
		rc = err_set(e, TE_NOMEM, "out of memory");
	while (rc == 0 && line && *line) {
		char *nl = strchr(line, '\n');

		if (nl)
			*nl = '\0';
		rc = add_line(out, line, ++lineno, e);
		line = nl ? nl + 1 : NULL;
	}
	free(copy);
	if (rc == 0 && out->n == 0)
		rc = err_set(e, TE_INPUT, "%s: no keys", file);
	if (rc < 0)
		allowed_signers_dispose(out);
	return rc;
}

int allowed_signers_load(struct allowed_signers *out, const char *file, struct err *e)
{
	struct buf b;
	int rc;

	buf_init(&b, 4 << 20);
	if ((rc = file_read(file, &b, e)) == 0)
		rc = allowed_signers_parse(out, file, b.data, e);
	else
		err_prefix(e, "verify-allowed-signers");
	buf_dispose(&b);
	return rc;
}

void allowed_signers_dispose(struct allowed_signers *a)
{
	if (!a)
		return;
	for (size_t i = 0; i < a->n; i++)
		signer_dispose(&a->items[i]);
	free(a->items);
	free(a->file);
	memset(a, 0, sizeof(*a));
}

/* namespaces="git,file": a comma-separated list of exact names. */
static bool ns_allowed(const char *list, const char *ns)
{
	size_t n = strlen(ns);

	if (!list)
		return true;
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");

		if (len == n && !strncmp(p, ns, n))
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

bool allowed_signers_has_key(const struct allowed_signers *a, const unsigned char *blob,
			     size_t len)
{
	for (size_t i = 0; i < a->n; i++)
		if (a->items[i].bloblen == len && !memcmp(a->items[i].blob, blob, len))
			return true;
	return false;
}

const struct allowed_signer *allowed_signers_match(const struct allowed_signers *a,
						   const unsigned char *blob, size_t len,
						   const char *ns, int64_t when)
{
	for (size_t i = 0; i < a->n; i++) {
		const struct allowed_signer *s = &a->items[i];

		if (s->cert_authority || s->bloblen != len || memcmp(s->blob, blob, len) != 0)
			continue;
		if (!ns_allowed(s->namespaces, ns))
			continue;
		if ((s->valid_after && when < s->valid_after) ||
		    (s->valid_before && when > s->valid_before))
			continue;
		return s;
	}
	return NULL;
}
