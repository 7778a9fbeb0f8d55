/*
 * ctrl_util: small pure helpers for the simulated controllers (see ctrl_util.h).
 * Must not touch the store: callers hold the lock and own the trees.
 */
#include "jsonedit.h"
#include "ctrl_util.h"

#include <limits.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>

/* apimachinery pkg/util/rand: no vowels, no confusable digits. */
static const char safe_alphabet[] = "bcdfghjklmnpqrstvwxz2456789";

const cJSON *ctrl_path(const cJSON *obj, const char *a, const char *b, const char *c)
{
	const char *keys[3] = {a, b, c};
	for (int i = 0; i < 3 && keys[i] && obj; i++)
		obj = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, keys[i]) : NULL;
	return obj;
}

const char *ctrl_str(const cJSON *obj, const char *a, const char *b, const char *c)
{
	const cJSON *v = ctrl_path(obj, a, b, c);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int64_t ctrl_int(const cJSON *obj, const char *a, const char *b, const char *c, int64_t def)
{
	const cJSON *v = ctrl_path(obj, a, b, c);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : def;
}

const char *ctrl_name(const cJSON *obj)
{
	return ctrl_str(obj, "metadata", "name", NULL);
}
const char *ctrl_namespace(const cJSON *obj)
{
	return ctrl_str(obj, "metadata", "namespace", NULL);
}
const char *ctrl_uid(const cJSON *obj)
{
	return ctrl_str(obj, "metadata", "uid", NULL);
}

const char *ctrl_annotation(const cJSON *obj, const char *key)
{
	return ctrl_str(obj, "metadata", "annotations", key);
}

cJSON *ctrl_obj_child(cJSON *obj, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsObject(c))
		return c;
	if (c)
		cJSON_DeleteItemFromObjectCaseSensitive(obj, key);
	return cJSON_AddObjectToObject(obj, key);
}

void ctrl_set_str(cJSON *obj, const char *key, const char *val)
{
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsString(old) && strcmp(old->valuestring, val) == 0)
		return;
	/* Out of memory leaves the old value: the controller writes it on its next pass. */
	(void)json_object_set(obj, key, cJSON_CreateString(val));
}

void ctrl_set_int(cJSON *obj, const char *key, int64_t val)
{
	cJSON *old = cJSON_GetObjectItemCaseSensitive(obj, key);
	if (cJSON_IsNumber(old) && (int64_t)old->valuedouble == val)
		return;
	(void)json_object_set(obj, key, cJSON_CreateNumber((double)val));
}

void ctrl_set_annotation(cJSON *obj, const char *key, const char *val)
{
	cJSON *ann = ctrl_obj_child(ctrl_obj_child(obj, "metadata"), "annotations");
	ctrl_set_str(ann, key, val);
}

static bool str_in_array(const cJSON *arr, const char *s)
{
	const cJSON *v;
	cJSON_ArrayForEach(v, arr)
	{
		if (cJSON_IsString(v) && strcmp(v->valuestring, s) == 0)
			return true;
	}
	return false;
}

static bool expression_matches(const cJSON *expr, const cJSON *labels)
{
	const char *key = ctrl_str(expr, "key", NULL, NULL);
	const char *op = ctrl_str(expr, "operator", NULL, NULL);
	const cJSON *values = ctrl_path(expr, "values", NULL, NULL);
	if (!key || !op)
		return false;
	const char *have = ctrl_str(labels, key, NULL, NULL);
	if (strcmp(op, "In") == 0)
		return have && str_in_array(values, have);
	if (strcmp(op, "NotIn") == 0)
		return !have || !str_in_array(values, have);
	if (strcmp(op, "Exists") == 0)
		return have != NULL;
	if (strcmp(op, "DoesNotExist") == 0)
		return have == NULL;
	return false;
}

bool ctrl_selector_empty(const cJSON *selector)
{
	return cJSON_GetArraySize(ctrl_path(selector, "matchLabels", NULL, NULL)) == 0 &&
	       cJSON_GetArraySize(ctrl_path(selector, "matchExpressions", NULL, NULL)) == 0;
}

bool ctrl_selector_matches(const cJSON *selector, const cJSON *labels)
{
	const cJSON *v;
	if (!selector || ctrl_selector_empty(selector))
		return false;
	cJSON_ArrayForEach(v, ctrl_path(selector, "matchLabels", NULL, NULL))
	{
		const char *have = ctrl_str(labels, v->string, NULL, NULL);
		if (!cJSON_IsString(v) || !have || strcmp(have, v->valuestring) != 0)
			return false;
	}
	cJSON_ArrayForEach(v, ctrl_path(selector, "matchExpressions", NULL, NULL))
	{
		if (!expression_matches(v, labels))
			return false;
	}
	return true;
}

const cJSON *ctrl_controller_ref(const cJSON *obj)
{
	const cJSON *ref;
	cJSON_ArrayForEach(ref, ctrl_path(obj, "metadata", "ownerReferences", NULL))
	{
		if (cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ref, "controller")))
			return ref;
	}
	return NULL;
}

bool ctrl_controlled_by(const cJSON *obj, const char *uid)
{
	const char *have = ctrl_str(ctrl_controller_ref(obj), "uid", NULL, NULL);
	return have && uid && strcmp(have, uid) == 0;
}

cJSON *ctrl_owner_ref_new(const char *api_version, const char *kind, const char *name,
			  const char *uid)
{
	cJSON *ref = cJSON_CreateObject();
	cJSON_AddStringToObject(ref, "apiVersion", api_version);
	cJSON_AddStringToObject(ref, "kind", kind);
	cJSON_AddStringToObject(ref, "name", name);
	cJSON_AddStringToObject(ref, "uid", uid ? uid : "");
	cJSON_AddTrueToObject(ref, "controller");
	cJSON_AddTrueToObject(ref, "blockOwnerDeletion");
	return ref;
}

const cJSON *ctrl_condition(const cJSON *status, const char *type)
{
	const cJSON *c;
	cJSON_ArrayForEach(c, ctrl_path(status, "conditions", NULL, NULL))
	{
		const char *t = ctrl_str(c, "type", NULL, NULL);
		if (t && strcmp(t, type) == 0)
			return c;
	}
	return NULL;
}

void ctrl_condition_remove(cJSON *status, const char *type)
{
	cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
	cJSON *c = (cJSON *)ctrl_condition(status, type);
	if (c)
		cJSON_Delete(cJSON_DetachItemViaPointer(conds, c));
	if (conds && cJSON_GetArraySize(conds) == 0)
		cJSON_DeleteItemFromObjectCaseSensitive(status, "conditions");
}

static bool same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

bool ctrl_condition_set(cJSON *status, const char *type, const char *cstatus, const char *reason,
			const char *message, const char *now, bool with_update)
{
	const cJSON *old = ctrl_condition(status, type);
	const char *old_status = ctrl_str(old, "status", NULL, NULL);
	char transition[40];
	if (old && same_str(old_status, cstatus) &&
	    same_str(ctrl_str(old, "reason", NULL, NULL), reason))
		return false;
	snprintf(transition, sizeof(transition), "%s", now);
	if (old && same_str(old_status, cstatus) && ctrl_str(old, "lastTransitionTime", NULL, NULL))
		snprintf(transition, sizeof(transition), "%s",
			 ctrl_str(old, "lastTransitionTime", NULL, NULL));
	ctrl_condition_remove(status, type);
	cJSON *conds = cJSON_GetObjectItemCaseSensitive(status, "conditions");
	if (!cJSON_IsArray(conds))
		conds = cJSON_AddArrayToObject(status, "conditions");
	cJSON *c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "status", cstatus);
	if (with_update)
		cJSON_AddStringToObject(c, "lastUpdateTime", now);
	cJSON_AddStringToObject(c, "lastTransitionTime", transition);
	if (reason)
		cJSON_AddStringToObject(c, "reason", reason);
	if (message)
		cJSON_AddStringToObject(c, "message", message);
	cJSON_AddItemToArray(conds, c);
	return true;
}

int ctrl_intstr_scaled(const cJSON *v, int total, bool round_up, int def)
{
	if (cJSON_IsNumber(v))
		return (int)v->valuedouble;
	if (!cJSON_IsString(v))
		return def;
	char *end;
	long pct = strtol(v->valuestring, &end, 10);
	if (end == v->valuestring || strcmp(end, "%") != 0 || pct < 0 || pct > INT_MAX / 2)
		return def;
	double x = (double)pct * total / 100.0;
	return (int)(round_up ? ceil(x) : floor(x));
}

void ctrl_time_format(int64_t ms, char *out)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

int64_t ctrl_time_parse(const char *s)
{
	struct tm tm = {0};
	if (!s)
		return -1;
	const char *rest = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (!rest)
		return -1;
	int64_t ms = (int64_t)timegm(&tm) * 1000;
	if (*rest == '.') {
		double frac = strtod(rest, NULL);
		ms += (int64_t)(frac * 1000);
	}
	return ms;
}

void ctrl_rand_suffix(char out[6])
{
	unsigned char r[5];
	if (getrandom(r, sizeof(r), 0) != (ssize_t)sizeof(r)) {
		for (int i = 0; i < 5; i++)
			r[i] = (unsigned char)rand();
	}
	for (int i = 0; i < 5; i++)
		out[i] = safe_alphabet[r[i] % 27];
	out[5] = '\0';
}

static int cmp_keys(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	return strcmp(x->string, y->string);
}

/* Rebuilds an object's members in key order so printing it is canonical. */
static void sort_members(cJSON *obj)
{
	int n = cJSON_GetArraySize(obj);
	if (n < 2)
		return;
	cJSON **items = calloc((size_t)n, sizeof(*items));
	if (!items)
		return;
	for (int i = 0; i < n; i++)
		items[i] = cJSON_DetachItemFromArray(obj, 0);
	qsort(items, (size_t)n, sizeof(*items), cmp_keys);
	for (int i = 0; i < n; i++)
		cJSON_AddItemToArray(obj, items[i]);
	free(items);
}

static bool is_empty(const cJSON *v)
{
	return cJSON_IsNull(v) || ((cJSON_IsObject(v) || cJSON_IsArray(v)) && !v->child);
}

cJSON *ctrl_normalize(const cJSON *v)
{
	if (!cJSON_IsObject(v) && !cJSON_IsArray(v))
		return cJSON_Duplicate(v, true);
	cJSON *out = cJSON_IsObject(v) ? cJSON_CreateObject() : cJSON_CreateArray();
	const cJSON *c;
	cJSON_ArrayForEach(c, v)
	{
		cJSON *n = ctrl_normalize(c);
		if (!n)
			continue;
		/* Map entries (labels) keep empty strings; empty structs are dropped. */
		if (is_empty(n) && cJSON_IsObject(v)) {
			cJSON_Delete(n);
			continue;
		}
		if (cJSON_IsObject(v))
			cJSON_AddItemToObject(out, c->string, n);
		else
			cJSON_AddItemToArray(out, n);
	}
	if (cJSON_IsObject(out))
		sort_members(out);
	return out;
}

/* Normalised template with the pod-template-hash label removed. */
static cJSON *template_key(const cJSON *tmpl)
{
	cJSON *copy = cJSON_Duplicate(tmpl, true);
	cJSON *labels = (cJSON *)ctrl_path(copy, "metadata", "labels", NULL);
	if (labels)
		cJSON_DeleteItemFromObjectCaseSensitive(labels, "pod-template-hash");
	cJSON *n = ctrl_normalize(copy);
	cJSON_Delete(copy);
	return n;
}

static bool same_tree(const cJSON *a, const cJSON *b);

static bool same_key(const cJSON *a, const cJSON *b)
{
	return a->string == b->string ||
	       (a->string && b->string && strcmp(a->string, b->string) == 0);
}

/* The first member of o named name; NULL when there is none, or no name. */
static const cJSON *first_named(const cJSON *o, const char *name)
{
	const cJSON *c;

	for (c = o && name ? o->child : NULL; c; c = c->next)
		if (c->string && strcmp(c->string, name) == 0)
			return c;
	return NULL;
}

/* a and b member by member in order, each one's first member named skip left out;
 * below them, a member named down (the first one of both) compares with
 * down_fn, any other with same_tree. */
static bool same_members(const cJSON *a, const cJSON *b, const char *skip, const char *down,
			 bool (*down_fn)(const cJSON *, const cJSON *))
{
	const cJSON *sa = first_named(a, skip), *sb = first_named(b, skip);
	const cJSON *da = first_named(a, down), *db = first_named(b, down);
	const cJSON *c = a->child, *d = b->child;

	for (;; c = c->next, d = d->next) {
		if (c && c == sa)
			c = c->next;
		if (d && d == sb)
			d = d->next;
		if (!c || !d)
			return !c && !d;
		if (!same_key(c, d) || (c == da) != (d == db))
			return false;
		if (c == da ? !down_fn(c, d) : !same_tree(c, d))
			return false;
	}
}

/* Identical, members in the same order: then any normalisation agrees. */
static bool same_tree(const cJSON *a, const cJSON *b)
{
	if ((a->type & 0xFF) != (b->type & 0xFF))
		return false;
	if (cJSON_IsNumber(a))
		return a->valuedouble == b->valuedouble;
	if (cJSON_IsString(a) || cJSON_IsRaw(a))
		return a->valuestring == b->valuestring ||
		       (a->valuestring && b->valuestring &&
			strcmp(a->valuestring, b->valuestring) == 0);
	if (cJSON_IsObject(a) || cJSON_IsArray(a))
		return same_members(a, b, NULL, NULL, NULL);
	return true;
}

static bool same_labels(const cJSON *a, const cJSON *b)
{
	if (!cJSON_IsObject(a) || !cJSON_IsObject(b))
		return same_tree(a, b);
	return same_members(a, b, "pod-template-hash", NULL, NULL);
}

static bool same_meta(const cJSON *a, const cJSON *b)
{
	if (!cJSON_IsObject(a) || !cJSON_IsObject(b))
		return same_tree(a, b);
	return same_members(a, b, NULL, "labels", same_labels);
}

/* The templates are identical but for the pod-template-hash label that template_key
 * drops: equal without building both keys (the common case of every sync). */
static bool same_template(const cJSON *a, const cJSON *b)
{
	if (!a || !b || !cJSON_IsObject(a) || !cJSON_IsObject(b))
		return false;
	return same_members(a, b, NULL, "metadata", same_meta);
}

bool ctrl_template_equal(const cJSON *a, const cJSON *b)
{
	if (same_template(a, b))
		return true;
	cJSON *x = template_key(a), *y = template_key(b);
	bool eq = cJSON_Compare(x, y, true);
	cJSON_Delete(x);
	cJSON_Delete(y);
	return eq;
}

static uint32_t fnv32a(uint32_t h, const void *data, size_t len)
{
	const unsigned char *p = data;
	for (size_t i = 0; i < len; i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

void ctrl_template_hash(const cJSON *tmpl, const cJSON *collision_count, char *out)
{
	cJSON *key = template_key(tmpl);
	char *text = key ? cJSON_PrintUnformatted(key) : NULL;
	uint32_t h = 2166136261u;
	if (text)
		h = fnv32a(h, text, strlen(text));
	if (cJSON_IsNumber(collision_count)) {
		/* binary.LittleEndian.PutUint32 into an 8-byte slice, as ComputeHash does. */
		uint32_t cc = (uint32_t)collision_count->valuedouble;
		unsigned char b[8] = {cc & 0xff, (cc >> 8) & 0xff, (cc >> 16) & 0xff, cc >> 24};
		h = fnv32a(h, b, sizeof(b));
	}
	char dec[16];
	snprintf(dec, sizeof(dec), "%u", h);
	size_t i;
	for (i = 0; dec[i]; i++)
		out[i] = safe_alphabet[(unsigned char)dec[i] % 27];
	out[i] = '\0';
	free(text);
	cJSON_Delete(key);
}

/* Toleration.ToleratesTaint: an empty effect or key matches any; Exists matches any
 * value, Equal (or no operator) the same value. */
static bool tolerates(const cJSON *tol, const cJSON *taint)
{
	const char *te = ctrl_str(tol, "effect", NULL, NULL), *tk = ctrl_str(tol, "key", NULL, NULL);
	const char *op = ctrl_str(tol, "operator", NULL, NULL);
	const char *tv = ctrl_str(tol, "value", NULL, NULL), *v = ctrl_str(taint, "value", NULL, NULL);

	if (te && *te && strcmp(te, ctrl_str(taint, "effect", NULL, NULL) ?: "") != 0)
		return false;
	if (tk && *tk && strcmp(tk, ctrl_str(taint, "key", NULL, NULL) ?: "") != 0)
		return false;
	if (op && strcmp(op, "Exists") == 0)
		return true;
	if (op && *op && strcmp(op, "Equal") != 0)
		return false;
	return strcmp(tv ? tv : "", v ? v : "") == 0;
}

bool ctrl_untolerated_taint(const cJSON *taints, const cJSON *tolerations, bool no_schedule)
{
	const cJSON *taint, *tol;

	cJSON_ArrayForEach(taint, taints)
	{
		const char *eff = ctrl_str(taint, "effect", NULL, NULL) ?: "";
		bool tolerated = false;

		if (strcmp(eff, "NoExecute") != 0 && !(no_schedule && strcmp(eff, "NoSchedule") == 0))
			continue;
		cJSON_ArrayForEach(tol, tolerations) tolerated = tolerated || tolerates(tol, taint);
		if (!tolerated)
			return true;
	}
	return false;
}
