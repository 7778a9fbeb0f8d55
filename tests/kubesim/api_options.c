/*
 * api_options: the options of a write, validated before anything is read or written,
 * as the apiserver's handlers call ValidateCreateOptions, ValidateUpdateOptions,
 * ValidatePatchOptions and ValidateDeleteOptions (apimachinery's
 * pkg/apis/meta/v1/validation): an unknown dryRun, fieldValidation or propagationPolicy
 * is a 422 Invalid "<Kind>Options.meta.k8s.io" and changes nothing. Also the query's
 * booleans (query_bool in rbac.c).
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "api_int.h"
#include "field_err.h"

bool api_arg_true(struct req *r, const char *key)
{
	return query_bool(req_arg(r, key));
}

/* The values of one query key, in order, as Go's url.Values holds them. */
struct qvals {
	const char *key;
	const char *v[8];
	int n;
};

static enum MHD_Result qval_collect(void *cls, enum MHD_ValueKind kind, const char *key,
				    const char *value)
{
	struct qvals *q = cls;

	(void)kind;
	if (strcmp(key, q->key) == 0 && q->n < (int)(sizeof(q->v) / sizeof(q->v[0])))
		q->v[q->n++] = value ? value : "";
	return MHD_YES;
}

/* Go's %#v of a []string: []string{"a", "b"}. */
static void go_strings(char *out, size_t len, const char *const *v, int n)
{
	size_t k = (size_t)snprintf(out, len, "[]string{");

	for (int i = 0; i < n && k < len; i++)
		k += (size_t)snprintf(out + k, len - k, "%s\"%s\"", i ? ", " : "", v[i]);
	if (k < len)
		snprintf(out + k, len - k, "}");
}

static void check_dry_run(struct field_errs *v, const char *const *vals, int n)
{
	char shown[400];

	for (int i = 0; i < n; i++)
		if (strcmp(vals[i], "All") != 0) {
			go_strings(shown, sizeof(shown), vals, n);
			field_err(v, "dryRun", "FieldValueNotSupported",
				  "Unsupported value: %s: supported values: \"All\"", shown);
			return;
		}
}

static void check_field_validation(struct field_errs *v, const char *fv)
{
	static const char *const ok[] = {"", "Ignore", "Strict", "Warn"};

	if (!fv)
		return;
	for (size_t i = 0; i < sizeof(ok) / sizeof(ok[0]); i++)
		if (strcmp(fv, ok[i]) == 0)
			return;
	field_err(v, "fieldValidation", "FieldValueNotSupported",
		  "Unsupported value: \"%s\": supported values: \"\", \"Ignore\", \"Strict\", "
		  "\"Warn\"",
		  fv);
}

/* ValidateFieldManager: at most 128 bytes, printable characters only. */
static void check_field_manager(struct field_errs *v, const char *m)
{
	if (!m)
		return;
	if (strlen(m) > 128)
		field_err(v, "fieldManager", "FieldValueTooLong",
			  "Too long: must have at most 128 bytes");
	for (size_t i = 0; m[i]; i++)
		if ((unsigned char)m[i] < 0x20 || m[i] == 0x7f) {
			field_err(v, "fieldManager", "FieldValueInvalid",
				  "Invalid value: \"%s\": invalid character U+%04X (at position %zu)",
				  m, (unsigned)(unsigned char)m[i], i);
			break;
		}
}

static void query_dry_run(struct req *r, struct field_errs *v)
{
	struct qvals q = {.key = "dryRun"};

	MHD_get_connection_values(r->con, MHD_GET_ARGUMENT_KIND, qval_collect, &q);
	check_dry_run(v, q.v, q.n);
}

static void check_write(struct req *r, struct field_errs *v, enum api_opts k)
{
	const char *fm = req_arg(r, "fieldManager");

	if (k == API_OPTS_APPLY && !(fm && *fm))
		field_err(v, "fieldManager", "FieldValueRequired",
			  "Required value: is required for apply patch");
	if (k == API_OPTS_PATCH && req_arg(r, "force"))
		field_err(v, "force", "FieldValueForbidden",
			  "Forbidden: may not be specified for non-apply patch");
	check_field_manager(v, fm);
	query_dry_run(r, v);
	check_field_validation(v, req_arg(r, "fieldValidation"));
}

/* DeleteOptions come from the body when there is one, else from the query. */
static void check_delete(struct req *r, struct field_errs *v, const cJSON *body)
{
	const char *pp = body ? cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(body, "propagationPolicy"))
			      : req_arg(r, "propagationPolicy");
	const cJSON *dr = cJSON_GetObjectItemCaseSensitive(body, "dryRun");
	const char *vals[8];
	int n = 0;

	if (pp && cJSON_IsBool(cJSON_GetObjectItemCaseSensitive(body, "orphanDependents")))
		field_err(v, "propagationPolicy", "FieldValueInvalid",
			  "Invalid value: \"%s\": orphanDependents and deletionPropagation cannot "
			  "be both set",
			  pp);
	if (pp && strcmp(pp, "Foreground") != 0 && strcmp(pp, "Background") != 0 &&
	    strcmp(pp, "Orphan") != 0)
		field_err(v, "propagationPolicy", "FieldValueNotSupported",
			  "Unsupported value: \"%s\": supported values: \"Foreground\", "
			  "\"Background\", \"Orphan\", \"nil\"",
			  pp);
	if (!body) {
		query_dry_run(r, v);
		return;
	}
	for (const cJSON *it = cJSON_IsArray(dr) ? dr->child : NULL; it && n < 8; it = it->next)
		vals[n++] = cJSON_IsString(it) ? it->valuestring : "";
	check_dry_run(v, vals, n);
}

int api_options_check(struct req *r, enum api_opts k, const cJSON *body, struct kstatus *e)
{
	static const char *const kinds[] = {"CreateOptions", "UpdateOptions", "PatchOptions",
					    "PatchOptions", "DeleteOptions"};
	struct field_errs v;

	field_errs_init(&v);
	if (k == API_OPTS_DELETE)
		check_delete(r, &v, body);
	else
		check_write(r, &v, k);
	if (v.n)
		return field_errs_invalid(&v, "meta.k8s.io", kinds[k], "", e);
	field_errs_dispose(&v);
	return 0;
}
