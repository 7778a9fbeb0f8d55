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

int diff_object(const char *label, const cJSON *before, const cJSON *after, bool secret, bool color,
		struct buf *out, struct err *e)
{
	cJSON *a = NULL, *b = NULL;
	struct buf ya, yb;
	char *la = NULL, *lb = NULL;
	int rc = TE_NOMEM;

	buf_init(&ya, 0);
	buf_init(&yb, 0);
	if ((before && !(a = cJSON_Duplicate(before, 1))) ||
	    (after && !(b = cJSON_Duplicate(after, 1)))) {
		err_set(e, TE_NOMEM, "diff: out of memory");
		goto out;
	}
	if (a)
		sync_strip_server_fields(a);
	if (b)
		sync_strip_server_fields(b);
	if (a && b) { /* a LIST leaves these out of items */
		if (!cJSON_GetObjectItemCaseSensitive(a, "kind"))
			cJSON_DeleteItemFromObjectCaseSensitive(b, "kind");
		if (!cJSON_GetObjectItemCaseSensitive(a, "apiVersion"))
			cJSON_DeleteItemFromObjectCaseSensitive(b, "apiVersion");
	}
	if (secret)
		secret_mask(a, b);
	if (sort_keys(a) < 0 || sort_keys(b) < 0) {
		rc = err_set(e, TE_NOMEM, "diff: out of memory");
		goto out;
	}
	if ((rc = to_yaml(a, &ya, e)) < 0 || (rc = to_yaml(b, &yb, e)) < 0)
		goto out;
	la = xasprintf("%s (%s)", label, a ? "live" : "absent");
	lb = xasprintf("%s (%s)", label, b ? "tether" : "pruned");
	rc = linediff_unified(la ? la : label, ya.data ? ya.data : "", lb ? lb : label,
			      yb.data ? yb.data : "", 3, color, out, e);
out:
	free(la);
	free(lb);
	buf_dispose(&ya);
	buf_dispose(&yb);
	cJSON_Delete(a);
	cJSON_Delete(b);
	return rc;
}
