/*
 * api_decode: what decoding a JSON value into a typed Go field says when it fails, for
 * the field types the decode walk (api_validate.c) knows. Two decoders matter: the JSON
 * serializer of create, update and patches (sigs.k8s.io/json, Go's encoding/json
 * messages: "json: cannot unmarshal string into Go struct field DeploymentSpec.spec.replicas
 * of type int32", base64 and quantity errors as their unmarshalers word them) and
 * structured-merge-diff's typed conversion of apply patches (".spec.replicas: expected
 * numeric (int or float), got string"). Pure functions on one value; no tables of their own.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"

/* The JSON kind Go's UnmarshalTypeError names. */
static const char *json_kind(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsBool(v))
		return "bool";
	if (cJSON_IsArray(v))
		return "array";
	return "object";
}

/* Go's shortest %v of a float64 ("2", "1.5", "1e+06"). */
static void go_float(double d, char *out, size_t n)
{
	for (int p = 1; p <= 17; p++) {
		snprintf(out, n, "%.*g", p, d);
		if (strtod(out, NULL) == d)
			return;
	}
}

static bool fits_int(const cJSON *v, bool is64)
{
	double d = v->valuedouble, lim = is64 ? 9223372036854775807.0 : 2147483647.0;

	return isfinite(d) && d == floor(d) && d <= lim && d >= -lim - 1;
}

/* Go's base64.StdEncoding: 0, or the offset of the first corrupt byte + 1. */
static size_t base64_bad(const char *s)
{
	size_t len = strlen(s), i = 0, j = 0, pad = 0;

	for (; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r' || c == '\n')
			continue;
		if (c == '=') {
			if (j % 4 < 2)
				return i + 1;
			pad++;
			if ((j + pad) % 4 == 0)
				break;
			continue;
		}
		if (pad || !(c == '+' || c == '/' || (c >= '0' && c <= '9') ||
			     ((c | 0x20) >= 'a' && (c | 0x20) <= 'z')))
			return i + 1;
		j++;
	}
	if (pad) {
		for (i++; i < len && (s[i] == '\r' || s[i] == '\n'); i++)
			;
		if ((j + pad) % 4 != 0)
			return len + 1; /* not enough padding */
		return i < len ? i + 1 : 0;
	}
	return j % 4 ? len - (j % 4 == 1 ? 1 : j % 4) + 1 : 0;
}

/* apimachinery's ParseQuantity: NULL, or its error. */
static const char *quantity_error(const char *s)
{
	static const char *const suffixes[] = {"",  "Ki", "Mi", "Gi", "Ti", "Pi", "Ei", "n", "u",
					       "m", "k",  "M",  "G",  "T",  "P",  "E"};
	const char *p = s, *num;
	int dots = 0;

	if (*p == '+' || *p == '-')
		p++;
	num = p;
	for (; (*p >= '0' && *p <= '9') || *p == '.'; p++)
		dots += *p == '.';
	if (p == num || strspn(p, "eEinumkKMGTP") + strspn(p + strspn(p, "eEinumkKMGTP"), "+-0123456789") != strlen(p))
		return "quantities must match the regular expression "
		       "'^([+-]?[0-9.]+)([eEinumkKMGTP]*[-+]?[0-9]*)$'";
	if (dots > 1 || (dots == 1 && p - num == 1))
		return "unable to parse numeric part of quantity";
	for (size_t i = 0; i < sizeof(suffixes) / sizeof(suffixes[0]); i++)
		if (strcmp(p, suffixes[i]) == 0)
			return NULL;
	if ((*p == 'e' || *p == 'E') && p[1]) {
		const char *q = p + 1 + (p[1] == '+' || p[1] == '-');

		if (*q && strspn(q, "0123456789") == strlen(q))
			return NULL;
	}
	return "unable to parse quantity's suffix";
}

static void type_error(char *out, size_t n, const char *what, const struct decode_at *at,
		       const char *gotype)
{
	snprintf(out, n, "json: cannot unmarshal %s into Go struct field %s.%s of type %s", what,
		 at->gostruct, at->gopath, gotype);
}

/* A scalar field: int32, int64, bool, string. */
static bool scalar_ok(const cJSON *v, const char *gotype, const struct decode_at *at, char *out,
		      size_t n)
{
	char num[40], what[64];
	bool is_int = strncmp(gotype, "int", 3) == 0;

	if (is_int && cJSON_IsNumber(v)) {
		if (fits_int(v, strcmp(gotype, "int64") == 0))
			return true;
		go_float(v->valuedouble, num, sizeof(num));
		snprintf(what, sizeof(what), "number %s", num);
		type_error(out, n, what, at, gotype);
		return false;
	}
	if ((strcmp(gotype, "bool") == 0 && cJSON_IsBool(v)) ||
	    (strcmp(gotype, "string") == 0 && cJSON_IsString(v)))
		return true;
	type_error(out, n, json_kind(v), at, gotype);
	return false;
}

/* One element of a map or list field; elem is the element's Go type. */
static bool elem_ok(const cJSON *v, const char *elem, const struct decode_at *at, char *out,
		    size_t n)
{
	size_t bad;

	if (cJSON_IsNull(v))
		return true;
	if (strcmp(elem, "[]uint8") == 0) {
		if (!cJSON_IsString(v)) {
			type_error(out, n, json_kind(v), at, elem);
			return false;
		}
		if ((bad = base64_bad(v->valuestring))) {
			snprintf(out, n, "illegal base64 data at input byte %zu", bad - 1);
			return false;
		}
		return true;
	}
	if (strcmp(elem, "resource.Quantity") == 0) {
		const char *err = NULL;
		char num[40];

		if (cJSON_IsString(v))
			err = quantity_error(v->valuestring);
		else if (cJSON_IsNumber(v))
			go_float(v->valuedouble, num, sizeof(num)), err = quantity_error(num);
		else
			err = quantity_error("");
		if (err)
			snprintf(out, n, "%s", err);
		return !err;
	}
	if (strncmp(elem, "v1.", 3) == 0) {
		if (cJSON_IsObject(v))
			return true;
		type_error(out, n, json_kind(v), at, elem);
		return false;
	}
	return scalar_ok(v, elem, at, out, n);
}

/* The element type of a map or list Go type ("map[string]string" -> "string"). */
static const char *elem_type(const char *gotype, bool *is_map)
{
	*is_map = strncmp(gotype, "map[", 4) == 0;
	if (*is_map)
		return strchr(gotype, ']') + 1;
	if (strncmp(gotype, "[]", 2) == 0 && strcmp(gotype, "[]uint8") != 0)
		return gotype + 2;
	return NULL;
}

bool api_decode_check(const cJSON *v, const char *gotype, const struct decode_at *at, char *out,
		      size_t n)
{
	const char *elem;
	const cJSON *it;
	bool is_map;

	if (!v || cJSON_IsNull(v))
		return true;
	if (strcmp(gotype, "v1.ResourceList") == 0)
		gotype = "map[v1.ResourceName]resource.Quantity";
	elem = elem_type(gotype, &is_map);
	if (!elem)
		return elem_ok(v, gotype, at, out, n);
	if (is_map ? !cJSON_IsObject(v) : !cJSON_IsArray(v)) {
		type_error(out, n, json_kind(v), at, gotype);
		return false;
	}
	cJSON_ArrayForEach(it, v)
	{
		if (!elem_ok(it, elem, at, out, n))
			return false;
	}
	return true;
}

/* structured-merge-diff's messages print the Go value the apply body decoded to: %T of it
 * for "expected numeric", %v of it inside the value.Value wrapper for the others. */
static const char *smd_gotype(const cJSON *v)
{
	return cJSON_IsString(v)   ? "string"
	       : cJSON_IsNumber(v) ? "float64"
	       : cJSON_IsBool(v)   ? "bool"
	       : cJSON_IsArray(v)  ? "[]interface {}"
				   : "map[string]interface {}";
}

static void smd_plain(const cJSON *v, char *out, size_t n)
{
	if (cJSON_IsNumber(v))
		go_float(v->valuedouble, out, n);
	else
		snprintf(out, n, "%s",
			 cJSON_IsString(v) ? v->valuestring
			 : cJSON_IsTrue(v) ? "true"
			 : cJSON_IsFalse(v) ? "false"
					    : "...");
}

static bool smd_scalar_ok(const cJSON *v, const char *gotype, const char *path, char *out,
			  size_t n)
{
	bool q = cJSON_IsString(v);
	char val[300];

	if (cJSON_IsNull(v))
		return true;
	smd_plain(v, val, sizeof(val));
	if (strncmp(gotype, "int", 3) == 0 && !cJSON_IsNumber(v))
		snprintf(out, n, "%s: expected numeric (int or float), got %s", path, smd_gotype(v));
	else if (strcmp(gotype, "bool") == 0 && !cJSON_IsBool(v))
		snprintf(out, n, "%s: expected boolean, got &{%s}", path, val);
	else if (strcmp(gotype, "string") == 0 && !q)
		snprintf(out, n, "%s: expected string, got &value.valueUnstructured{Value:%s}", path,
			 val);
	else
		return true;
	return false;
}

bool api_decode_check_apply(const cJSON *v, const char *gotype, const char *path, char *out,
			    size_t n)
{
	char sub[512];
	const cJSON *it;

	if (strcmp(gotype, "map[string]string") != 0)
		return smd_scalar_ok(v, gotype, path, out, n);
	if (!cJSON_IsObject(v))
		return true;
	cJSON_ArrayForEach(it, v)
	{
		snprintf(sub, sizeof(sub), "%s.%s", path, it->string);
		if (!smd_scalar_ok(it, "string", sub, out, n))
			return false;
	}
	return true;
}
