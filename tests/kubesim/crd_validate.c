/*
 * crd_validate: a custom resource against its compiled schema. Field errors as the apiextensions validator makes them
 * from kube-openapi's results (kubeOpenAPIResultToFieldErrors): type errors as
 * TypeInvalid, required as Required, enum as NotSupported, maxLength as TooLong,
 * maxItems/maxProperties as TooMany, the rest as Invalid with "<path> in body ...".
 * Also the typed conversion of a server-side apply body (structured-merge-diff's view of
 * the same schema).
 */
#include <math.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_int.h"
#include "crd_schema_int.h"

struct vctx {
	struct path p;
	struct field_errs *v;
};

/* %v of a float64 as Go prints it (strconv 'g', shortest): "10", "0.25", "1e+06",
 * "1.5e-05". */
static void go_float(double d, char *out, size_t n)
{
	char e[40];
	int p, exp, eprec = 6;

	if (!isfinite(d)) {
		snprintf(out, n, "%s", isnan(d) ? "NaN" : d > 0 ? "+Inf" : "-Inf");
		return;
	}
	for (p = 1; p < 17; p++) { /* the fewest digits that read back */
		snprintf(e, sizeof(e), "%.*e", p - 1, d);
		if (strtod(e, NULL) == d)
			break;
	}
	snprintf(e, sizeof(e), "%.*e", p - 1, d);
	exp = atoi(strchr(e, 'e') + 1);
	if (eprec > p && p >= exp + 1)
		eprec = p;
	if (exp < -4 || exp >= eprec)
		snprintf(out, n, "%s", e);
	else
		snprintf(out, n, "%.*f", p - 1 - exp > 0 ? p - 1 - exp : 0, d);
}

static bool is_int(const cJSON *v)
{
	return cJSON_IsNumber(v) && v->valuedouble == floor(v->valuedouble) &&
	       fabs(v->valuedouble) < 9.3e18;
}

static const char *json_type(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "string";
	if (is_int(v))
		return "integer";
	if (cJSON_IsNumber(v))
		return "number";
	if (cJSON_IsBool(v))
		return "boolean";
	if (cJSON_IsArray(v))
		return "array";
	if (cJSON_IsObject(v))
		return "object";
	return "null";
}

static void repr_add(char **s, const char *fmt, const char *a)
{
	char *n = NULL;

	if (asprintf(&n, fmt, *s ? *s : "", a) < 0)
		abort();
	free(*s);
	*s = n;
}

/* A value as field.Error prints it: %q for strings, %v for numbers and booleans, Go's
 * %#v for the unstructured lists and maps. */
static char *repr(const cJSON *v)
{
	char *s = NULL, num[64];
	const cJSON *c;

	if (cJSON_IsString(v)) {
		char *j = cJSON_PrintUnformatted(v);

		return j;
	}
	if (is_int(v)) { /* unstructured JSON holds whole numbers as int64 */
		snprintf(num, sizeof(num), "%.0f", v->valuedouble);
		return strdup(num);
	}
	if (cJSON_IsNumber(v)) {
		go_float(v->valuedouble, num, sizeof(num));
		return strdup(num);
	}
	if (cJSON_IsBool(v))
		return strdup(cJSON_IsTrue(v) ? "true" : "false");
	if (!cJSON_IsArray(v) && !cJSON_IsObject(v))
		return strdup("null");
	repr_add(&s, "%s%s", cJSON_IsArray(v) ? "[]interface {}{" : "map[string]interface {}{");
	cJSON_ArrayForEach(c, v)
	{
		char *inner = repr(c);

		if (c != v->child)
			repr_add(&s, "%s%s", ", ");
		if (cJSON_IsObject(v)) {
			cJSON *ks = cJSON_CreateString(c->string);
			char *k = cJSON_PrintUnformatted(ks);

			repr_add(&s, "%s%s:", k ? k : "");
			free(k);
			cJSON_Delete(ks);
		}
		repr_add(&s, "%s%s", inner ? inner : "");
		free(inner);
	}
	repr_add(&s, "%s%s", "}");
	return s;
}

static void err_invalid(struct vctx *x, const cJSON *val, const char *fmt, const char *arg)
{
	char *r = repr(val), detail[1200];

	snprintf(detail, sizeof(detail), fmt, x->p.s, arg);
	field_err(x->v, x->p.s, "FieldValueInvalid", "Invalid value: %s: %s", r ? r : "", detail);
	free(r);
}

static void err_num(struct vctx *x, const cJSON *val, const char *fmt, double bound)
{
	char b[64];

	go_float(bound, b, sizeof(b)); /* the schema's bounds are float64 */
	err_invalid(x, val, fmt, b);
}

/* ---- the checks of one node ------------------------------------------------------------- */

static bool type_ok(const struct snode *nd, const cJSON *v, struct vctx *x)
{
	const char *got = json_type(v);
	bool ok;

	if (cJSON_IsNull(v) && nd->nullable)
		return false; /* accepted, nothing below to check */
	if (nd->int_or_string)
		ok = cJSON_IsString(v) || is_int(v);
	else if (!nd->type)
		return true;
	else if (nd->type == T_NUMBER)
		ok = cJSON_IsNumber(v);
	else
		ok = strcmp(got, nd->type_name) == 0;
	if (!ok)
		field_err(x->v, x->p.s, "FieldValueTypeInvalid",
			  "Invalid value: \"%s\": %s in body must be of type %s: \"%s\"", got,
			  x->p.s, nd->int_or_string ? "integer,string" : nd->type_name, got);
	return ok;
}

static void check_enum(const struct snode *nd, const cJSON *v, struct vctx *x)
{
	char *r, *list = NULL;
	const cJSON *e;

	if (!cJSON_IsArray(nd->enumv))
		return;
	cJSON_ArrayForEach(e, nd->enumv) if (cJSON_Compare(e, v, true)) return;
	cJSON_ArrayForEach(e, nd->enumv)
	{
		char *one = repr(e);

		repr_add(&list, list ? "%s, %s" : "%s%s", one ? one : "");
		free(one);
	}
	r = repr(v);
	field_err(x->v, x->p.s, "FieldValueNotSupported",
		  "Unsupported value: %s: supported values: %s", r ? r : "", list ? list : "");
	free(r);
	free(list);
}

static void check_number(const struct snode *nd, const cJSON *v, struct vctx *x)
{
	double d = v->valuedouble;

	if (nd->has_mult && nd->mult > 0 && fabs(remainder(d, nd->mult)) > 1e-9 * fabs(d))
		err_num(x, v, "%s in body should be a multiple of %s", nd->mult);
	if (nd->has_max && (nd->excl_max ? d >= nd->max : d > nd->max))
		err_num(x, v,
			nd->excl_max ? "%s in body should be less than %s"
				     : "%s in body should be less than or equal to %s",
			nd->max);
	if (nd->has_min && (nd->excl_min ? d <= nd->min : d < nd->min))
		err_num(x, v,
			nd->excl_min ? "%s in body should be greater than %s"
				     : "%s in body should be greater than or equal to %s",
			nd->min);
}

/* Characters, as Go's utf8.RuneCountInString counts them. */
static size_t runes(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xC0) != 0x80;
	return n;
}

static void check_string(const struct snode *nd, const cJSON *v, struct vctx *x)
{
	size_t n = runes(v->valuestring);
	char b[32];

	if (nd->max_len >= 0 && (double)n > nd->max_len)
		field_err(x->v, x->p.s, "FieldValueTooLong",
			  "Too long: may not be more than %.0f bytes", nd->max_len);
	if (nd->min_len >= 0 && (double)n < nd->min_len) {
		snprintf(b, sizeof(b), "%.0f", nd->min_len);
		err_invalid(x, v, "%s in body should be at least %s chars long", b);
	}
	if (nd->has_re && regexec(&nd->re, v->valuestring, 0, NULL, 0) != 0)
		err_invalid(x, v, "%s in body should match '%s'", nd->pattern);
}

static void check_count(struct vctx *x, const cJSON *v, double n, double min, double max,
			const char *what)
{
	char b[32];

	if (max >= 0 && n > max)
		field_err(x->v, x->p.s, "FieldValueTooMany",
			  "Too many: %.0f: must have at most %.0f items", n, max);
	if (min >= 0 && n < min) {
		snprintf(b, sizeof(b), what, min);
		err_invalid(x, v, "%s in body should have at least %s", b);
	}
}

/* x-kubernetes-list-type set and map: no two equal items (or keys). */
static bool same_keys(const cJSON *a, const cJSON *b, const cJSON *keys)
{
	const cJSON *k;

	cJSON_ArrayForEach(k, keys)
	{
		const char *name = cJSON_GetStringValue(k);
		const cJSON *va = name ? cJSON_GetObjectItemCaseSensitive(a, name) : NULL;
		const cJSON *vb = name ? cJSON_GetObjectItemCaseSensitive(b, name) : NULL;

		if (!va != !vb || (va && !cJSON_Compare(va, vb, true)))
			return false;
	}
	return true;
}

static void check_list_type(const struct snode *nd, const cJSON *v, struct vctx *x)
{
	const cJSON *c, *d;
	long i = 0;

	if (nd->list != LIST_SET && nd->list != LIST_MAP)
		return;
	cJSON_ArrayForEach(c, v)
	{
		for (d = v->child; d != c; d = d->next)
			if (nd->list == LIST_SET ? cJSON_Compare(c, d, true)
						 : same_keys(c, d, nd->map_keys))
				break;
		if (d != c) {
			size_t was = crd_path_push(&x->p, NULL, i);
			char *r = repr(c);

			if (nd->list == LIST_MAP) {
				cJSON *k = cJSON_CreateObject();
				const cJSON *key;

				cJSON_ArrayForEach(key, nd->map_keys)
				{
					const cJSON *kv = cJSON_GetObjectItemCaseSensitive(
					    c, cJSON_GetStringValue(key) ?: "");
					if (kv)
						cJSON_AddItemToObject(k, key->valuestring,
								      cJSON_Duplicate(kv, true));
				}
				free(r);
				r = repr(k);
				cJSON_Delete(k);
			}
			field_err(x->v, x->p.s, "FieldValueDuplicate", "Duplicate value: %s",
				  r ? r : "");
			free(r);
			crd_path_pop(&x->p, was);
		}
		i++;
	}
}

static void validate_node(const struct snode *nd, const cJSON *v, const cJSON *old, struct vctx *x,
			  bool root);

static void validate_embedded(const cJSON *v, struct vctx *x)
{
	static const char *const keys[] = {"apiVersion", "kind"};

	for (int i = 0; i < 2; i++) {
		const char *s = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(v, keys[i]));

		if (!s || !*s) {
			size_t was = crd_path_push(&x->p, keys[i], -1);

			field_err(x->v, x->p.s, "FieldValueRequired",
				  "Required value: must not be empty");
			crd_path_pop(&x->p, was);
		}
	}
}

static void validate_object(const struct snode *nd, const cJSON *v, const cJSON *old,
			    struct vctx *x, bool root)
{
	const cJSON *r, *c;

	cJSON_ArrayForEach(r, nd->required)
	{
		const char *name = cJSON_GetStringValue(r);
		size_t was;

		if (!name || cJSON_GetObjectItemCaseSensitive(v, name))
			continue;
		was = crd_path_push(&x->p, name, -1);
		field_err(x->v, x->p.s, "FieldValueRequired", "Required value");
		crd_path_pop(&x->p, was);
	}
	check_count(x, v, cJSON_GetArraySize(v), nd->min_props, nd->max_props, "%.0f properties");
	if (nd->embedded)
		validate_embedded(v, x);
	cJSON_ArrayForEach(c, v)
	{
		const struct snode *sub = crd_prop_of(nd, c->string);
		size_t was;

		if ((root || nd->embedded) && crd_meta_field(c->string))
			continue;
		if (!sub && !(sub = nd->additional))
			continue;
		was = crd_path_push(&x->p, c->string, -1);
		validate_node(sub, c, cJSON_GetObjectItemCaseSensitive(old, c->string), x, false);
		crd_path_pop(&x->p, was);
	}
}

/* The old item an item of a new list stands for: lists of type map by their keys, sets
 * by value; atomic lists correlate nothing (CRDValidationRatcheting). */
static const cJSON *old_item(const struct snode *nd, const cJSON *c, const cJSON *old)
{
	const cJSON *o;

	if (!cJSON_IsArray(old) || (nd->list != LIST_MAP && nd->list != LIST_SET))
		return NULL;
	cJSON_ArrayForEach(o, old)
	{
		if (nd->list == LIST_SET ? cJSON_Compare(o, c, true)
					 : same_keys(o, c, nd->map_keys))
			return o;
	}
	return NULL;
}

/* old: the value this one replaces on an update (NULL: none). An unchanged value keeps
 * whatever errors it had (ratcheting, on by default since 1.30). */
static void validate_node(const struct snode *nd, const cJSON *v, const cJSON *old, struct vctx *x,
			  bool root)
{
	const cJSON *c;
	long i = 0;

	if (old && !root && cJSON_Compare(v, old, true))
		return;
	if (!type_ok(nd, v, x))
		return;
	check_enum(nd, v, x);
	if (cJSON_IsNumber(v))
		check_number(nd, v, x);
	else if (cJSON_IsString(v))
		check_string(nd, v, x);
	else if (cJSON_IsObject(v))
		validate_object(nd, v, old, x, root);
	else if (cJSON_IsArray(v)) {
		check_count(x, v, cJSON_GetArraySize(v), nd->min_items, nd->max_items,
			    "%.0f items");
		check_list_type(nd, v, x);
		cJSON_ArrayForEach(c, v)
		{
			size_t was = crd_path_push(&x->p, NULL, i++);

			if (nd->items)
				validate_node(nd->items, c, old_item(nd, c, old), x, false);
			crd_path_pop(&x->p, was);
		}
	}
}

void crd_schema_validate(const struct crd_schema *cs, const cJSON *obj, const cJSON *old,
			 struct field_errs *v)
{
	struct vctx x = {.v = v};

	if (cs && cs->root)
		validate_node(cs->root, obj, old, &x, true);
}

/* ---- the typed apply patch (structured-merge-diff over the CRD's schema) ----------------- */

static bool smd_node(const struct snode *nd, const cJSON *v, struct path *p, char *out, size_t n,
		     bool meta_kept);

static bool smd_object(const struct snode *nd, const cJSON *v, struct path *p, char *out, size_t n,
		       bool meta_kept)
{
	const cJSON *c;

	cJSON_ArrayForEach(c, v)
	{
		const struct snode *sub = crd_prop_of(nd, c->string);
		size_t was;
		bool ok = true;

		if (meta_kept && crd_meta_field(c->string))
			continue;
		if (!sub)
			sub = nd->additional;
		was = crd_path_push(p, c->string, -1);
		if (sub)
			ok = smd_node(sub, c, p, out, n, false);
		else if (!nd->preserve) {
			snprintf(out, n, ".%s: field not declared in schema", p->s);
			ok = false;
		}
		crd_path_pop(p, was);
		if (!ok)
			return false;
	}
	return true;
}

static bool smd_node(const struct snode *nd, const cJSON *v, struct path *p, char *out, size_t n,
		     bool meta_kept)
{
	char at[1100];
	const cJSON *c;
	long i = 0;

	snprintf(at, sizeof(at), ".%s", p->s);
	if (nd->int_or_string || cJSON_IsNull(v))
		return true;
	if (nd->type == T_INTEGER || nd->type == T_NUMBER)
		return api_decode_check_apply(v, "int64", at, out, n);
	if (nd->type == T_STRING)
		return api_decode_check_apply(v, "string", at, out, n);
	if (nd->type == T_BOOLEAN)
		return api_decode_check_apply(v, "bool", at, out, n);
	if (cJSON_IsObject(v))
		return smd_object(nd, v, p, out, n, meta_kept || nd->embedded);
	cJSON_ArrayForEach(c, v)
	{
		size_t was = crd_path_push(p, NULL, i++);
		bool ok = !nd->items || smd_node(nd->items, c, p, out, n, false);

		crd_path_pop(p, was);
		if (!ok)
			return false;
	}
	return true;
}

bool crd_schema_apply_ok(const struct crd_schema *cs, const cJSON *config, char *out, size_t n)
{
	struct path p = {0};

	return !cs || !cJSON_IsObject(config) || smd_object(cs->root, config, &p, out, n, true);
}
