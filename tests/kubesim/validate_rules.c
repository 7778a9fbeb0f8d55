/*
 * validate_rules: apimachinery's pkg/util/validation checks (names, qualified names,
 * config keys, ports) with their messages word for word, each message one "Invalid
 * value" field error as the validators of pkg/apis/core/validation add them. The
 * regular expressions are hand-written matchers: nothing is compiled per request.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "validate_int.h"

#define SUBDOMAIN_MSG                                                                        \
	"a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, " \
	"'-' or '.', and must start and end with an alphanumeric character (e.g. "            \
	"'example.com', regex used for validation is "                                        \
	"'[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')"
#define LABEL_MSG                                                                            \
	"a lowercase RFC 1123 label must consist of lower case alphanumeric characters or "   \
	"'-', and must start and end with an alphanumeric character (e.g. 'my-name',  or "    \
	"'123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')"
#define DNS1035_MSG                                                                          \
	"a DNS-1035 label must consist of lower case alphanumeric characters or '-', start "  \
	"with an alphabetic character, and end with an alphanumeric character (e.g. "         \
	"'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')"
#define QNAME_MSG                                                                            \
	"must consist of alphanumeric characters, '-', '_' or '.', and must start and end "   \
	"with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex " \
	"used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')"
#define LABEL_VALUE_MSG                                                                      \
	"a valid label must be an empty string or consist of alphanumeric characters, '-', "  \
	"'_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue', " \
	" or 'my_value',  or '12345', regex used for validation is "                          \
	"'(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')"
#define CONFIG_KEY_MSG                                                                       \
	"a valid config key must consist of alphanumeric characters, '-', '_' or '.' (e.g. "  \
	"'key.name',  or 'KEY_NAME',  or 'key-name', regex used for validation is "           \
	"'[-._a-zA-Z0-9]+')"

const char *str_or(const cJSON *o, const char *key, const char *dflt)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, key);

	return cJSON_IsString(v) ? v->valuestring : dflt;
}

static bool lower_alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

/* [a-z0-9]([-a-z0-9]*[a-z0-9])? over s[0..n) */
static bool label_match(const char *s, size_t n)
{
	if (n == 0 || !lower_alnum(s[0]) || !lower_alnum(s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!lower_alnum(s[i]) && s[i] != '-')
			return false;
	return true;
}

static bool subdomain_match(const char *s)
{
	const char *dot;

	for (;; s = dot + 1) {
		dot = strchr(s, '.');
		if (!label_match(s, dot ? (size_t)(dot - s) : strlen(s)))
			return false;
		if (!dot)
			return true;
	}
}

/* ([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9] */
static bool qname_match(const char *s, size_t n)
{
	if (n == 0 || !isalnum((unsigned char)s[0]) || !isalnum((unsigned char)s[n - 1]))
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isalnum((unsigned char)s[i]) && !strchr("-_.", s[i]))
			return false;
	return true;
}

/* Go's %q for the plain strings names are (quotes and backslashes escaped). */
static void go_q(const char *s, char *out, size_t n)
{
	size_t k = 0;

	if (n < 3)
		return;
	out[k++] = '"';
	for (; *s && k + 3 < n; s++) {
		if (*s == '"' || *s == '\\')
			out[k++] = '\\';
		out[k++] = *s;
	}
	out[k++] = '"';
	out[k] = '\0';
}

static void invalid(struct field_errs *v, const char *field, const char *value, const char *msg)
{
	char q[600];

	go_q(value, q, sizeof(q));
	field_err(v, field, "FieldValueInvalid", "Invalid value: %s: %s", q, msg);
}

static void path_segment(struct field_errs *v, const char *field, const char *s)
{
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0) {
		char msg[32];

		snprintf(msg, sizeof(msg), "may not be '%s'", s);
		invalid(v, field, s, msg);
		return;
	}
	if (strchr(s, '/'))
		invalid(v, field, s, "may not contain '/'");
	if (strchr(s, '%'))
		invalid(v, field, s, "may not contain '%'");
}

void valid_name(struct field_errs *v, const char *field, enum name_rule rule, const char *s,
		const char *shown)
{
	size_t n = strlen(s);

	shown = shown ? shown : s;
	switch (rule) {
	case NAME_PATH:
		path_segment(v, field, s);
		return;
	case NAME_SUBDOMAIN:
		if (n > 253)
			invalid(v, field, shown, "must be no more than 253 characters");
		if (!subdomain_match(s))
			invalid(v, field, shown, SUBDOMAIN_MSG);
		return;
	case NAME_LABEL:
		if (n > 63)
			invalid(v, field, shown, "must be no more than 63 characters");
		if (!label_match(s, n))
			invalid(v, field, shown,
				subdomain_match(s) ? "must not contain dots" : LABEL_MSG);
		return;
	case NAME_DNS1035:
		if (n > 63)
			invalid(v, field, shown, "must be no more than 63 characters");
		if (!label_match(s, n) || !(s[0] >= 'a' && s[0] <= 'z'))
			invalid(v, field, shown, DNS1035_MSG);
		return;
	}
}

void valid_label_value(struct field_errs *v, const char *field, const char *s)
{
	size_t n = strlen(s);

	if (n > 63)
		invalid(v, field, s, "must be no more than 63 characters");
	if (n && !qname_match(s, n))
		invalid(v, field, s, LABEL_VALUE_MSG);
}

/* The name part of a qualified name. */
static void qname_part(struct field_errs *v, const char *field, const char *name,
		       const char *shown)
{
	size_t n = strlen(name);

	if (n == 0)
		invalid(v, field, shown, "name part must be non-empty");
	else if (n > 63)
		invalid(v, field, shown, "name part must be no more than 63 characters");
	if (!qname_match(name, n))
		invalid(v, field, shown, "name part " QNAME_MSG);
}

void valid_qualified(struct field_errs *v, const char *field, const char *key, const char *shown)
{
	const char *slash = strchr(key, '/');
	char prefix[300];

	if (slash && strchr(slash + 1, '/')) {
		invalid(v, field, shown,
			"a qualified name " QNAME_MSG " with an optional DNS subdomain prefix and "
			"'/' (e.g. 'example.com/MyName')");
		return;
	}
	if (slash) {
		snprintf(prefix, sizeof(prefix), "%.*s", (int)(slash - key), key);
		if (!*prefix)
			invalid(v, field, shown, "prefix part must be non-empty");
		else if (strlen(prefix) > 253)
			invalid(v, field, shown, "prefix part must be no more than 253 characters");
		if (*prefix && !subdomain_match(prefix))
			invalid(v, field, shown, "prefix part " SUBDOMAIN_MSG);
	}
	qname_part(v, field, slash ? slash + 1 : key, shown);
}

void valid_config_key(struct field_errs *v, const char *base, const char *key)
{
	char field[400];

	snprintf(field, sizeof(field), "%s[%s]", base, key);
	if (strlen(key) > 253)
		invalid(v, field, key, "must be no more than 253 characters");
	if (!*key || strspn(key, "-._abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") !=
			     strlen(key))
		invalid(v, field, key, CONFIG_KEY_MSG);
	if (strcmp(key, ".") == 0)
		invalid(v, field, key, "must not be '.'");
	else if (strcmp(key, "..") == 0)
		invalid(v, field, key, "must not be '..'");
	else if (strncmp(key, "..", 2) == 0)
		invalid(v, field, key, "must not start with '..'");
}

void valid_port_num(struct field_errs *v, const char *field, const cJSON *port)
{
	if (cJSON_IsNumber(port) && (port->valuedouble < 1 || port->valuedouble > 65535))
		field_err(v, field, "FieldValueInvalid",
			  "Invalid value: %d: must be between 1 and 65535, inclusive", port->valueint);
}

void valid_port_name(struct field_errs *v, const char *field, const char *name)
{
	size_t n = strlen(name);

	if (n > 15)
		invalid(v, field, name, "must be no more than 15 characters");
	if (!n || strspn(name, "-abcdefghijklmnopqrstuvwxyz0123456789") != n)
		invalid(v, field, name,
			"must contain only alpha-numeric characters (a-z, 0-9), and hyphens (-)");
	if (!strpbrk(name, "abcdefghijklmnopqrstuvwxyz"))
		invalid(v, field, name, "must contain at least one letter (a-z)");
	if (strstr(name, "--"))
		invalid(v, field, name, "must not contain consecutive hyphens");
	if (n && (name[0] == '-' || name[n - 1] == '-'))
		invalid(v, field, name, "must not begin or end with a hyphen");
}

void valid_enum(struct field_errs *v, const char *field, const char *s, const char *const *values)
{
	char list[300], q[300];
	size_t len = 0;

	for (const char *const *p = values; *p; p++)
		if (strcmp(*p, s) == 0)
			return;
	list[0] = '\0';
	for (const char *const *p = values; *p && len < sizeof(list); p++)
		len += snprintf(list + len, sizeof(list) - len, "%s\"%s\"", len ? ", " : "", *p);
	go_q(s, q, sizeof(q));
	field_err(v, field, "FieldValueNotSupported", "Unsupported value: %s: supported values: %s",
		  q, list);
}
