/*
 * diff: one object's unified YAML diff, live against what the server's dry-run says
 * it would become. Server-owned fields are left out (they are noise, not drift) and
 * Secret values are masked before any text is produced.
 */
#include <stdlib.h>
#include <string.h>

#include "sync_int.h"

static int cmp_key(const void *a, const void *b)
{
	const cJSON *x = *(cJSON *const *)a, *y = *(cJSON *const *)b;
	return strcmp(x->string ? x->string : "", y->string ? y->string : "");
}

/* Both sides in one key order (as kubectl diff prints them), so that the order the
 * server happens to keep is no diff. Depth is bounded by the manifest parser. */
static int sort_keys(cJSON *v)
{
	cJSON **kids, *c;
	size_t n = 0, i = 0;

	for (c = v ? v->child : NULL; c; c = c->next) {
		n++;
		if (sort_keys(c) < 0)
			return TE_NOMEM;
	}
	if (!cJSON_IsObject(v) || n < 2)
		return 0;
	kids = malloc(n * sizeof(*kids));
	if (!kids)
		return TE_NOMEM;
	for (c = v->child; c; c = c->next)
		kids[i++] = c;
	qsort(kids, n, sizeof(*kids), cmp_key);
	for (i = 0; i < n; i++) {
		kids[i]->prev = i ? kids[i - 1] : kids[n - 1]; /* cJSON: child->prev is the tail */
		kids[i]->next = i + 1 < n ? kids[i + 1] : NULL;
	}
	v->child = kids[0];
	free(kids);
	return 0;
}

static int to_yaml(const cJSON *v, struct buf *out, struct err *e)
{
	if (!v)
		return 0;
	return json_to_yaml(v, out, e);
}

/* A copy of one side without the server's fields; NULL for an absent side. */
static int diff_side(const cJSON *v, cJSON **out)
{
	*out = NULL;
	if (!v)
		return 0;
	if (!(*out = cJSON_Duplicate(v, 1)))
		return TE_NOMEM;
	sync_strip_server_fields(*out);
	return 0;
}

/* A LIST leaves kind and apiVersion out of its items: the dry-run side drops them too. */
static void diff_align_list_item(const cJSON *a, cJSON *b)
{
	static const char *const fields[] = {"kind", "apiVersion"};

	if (!a || !b)
		return;
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++)
		if (!cJSON_GetObjectItemCaseSensitive(a, fields[i]))
			cJSON_DeleteItemFromObjectCaseSensitive(b, fields[i]);
}

/* Both sides as they are compared: copied, stripped, aligned, masked and sorted. */
static int diff_prepare(const cJSON *before, const cJSON *after, bool secret, cJSON **a, cJSON **b,
			struct err *e)
{
	*b = NULL;
	if (diff_side(before, a) < 0 || diff_side(after, b) < 0)
		return err_set(e, TE_NOMEM, "diff: out of memory");
	diff_align_list_item(*a, *b);
	if (secret)
		secret_mask(*a, *b);
	if (sort_keys(*a) < 0 || sort_keys(*b) < 0)
		return err_set(e, TE_NOMEM, "diff: out of memory");
	return 0;
}

/* The unified diff of the two YAML texts, each side labelled with what it is. */
static int diff_text(const char *label, bool live, bool kept, const struct buf *ya,
		     const struct buf *yb, bool color, struct buf *out, struct err *e)
{
	char *la = xasprintf("%s (%s)", label, live ? "live" : "absent");
	char *lb = xasprintf("%s (%s)", label, kept ? "tether" : "pruned");
	int rc;

	rc = linediff_unified(la ? la : label, ya->data ? ya->data : "", lb ? lb : label,
			      yb->data ? yb->data : "", 3, color, out, e);
	free(la);
	free(lb);
	return rc;
}

int diff_object(const char *label, const cJSON *before, const cJSON *after, bool secret, bool color,
		struct buf *out, struct err *e)
{
	cJSON *a = NULL, *b = NULL;
	struct buf ya, yb;
	int rc;

	buf_init(&ya, 0);
	buf_init(&yb, 0);
	if ((rc = diff_prepare(before, after, secret, &a, &b, e)) < 0)
		goto out;
	if ((rc = to_yaml(a, &ya, e)) < 0 || (rc = to_yaml(b, &yb, e)) < 0)
		goto out;
	rc = diff_text(label, a != NULL, b != NULL, &ya, &yb, color, out, e);
out:
	buf_dispose(&ya);
	buf_dispose(&yb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return rc;
}
