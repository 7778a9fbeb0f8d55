/*
 * merge_conflict: the text and Status body of a server-side apply conflict, as
 * apimachinery's internal/conflict.go renders them (spec 6.5).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "merge.h"

void merge_conflicts_dispose(struct merge_conflicts *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->n; i++) {
		free(c->items[i].manager);
		free(c->items[i].path);
	}
	free(c->items);
	c->items = NULL;
	c->n = 0;
}

static int append(char **buf, size_t *len, const char *fmt, const char *a, const char *b)
{
	int need = snprintf(NULL, 0, fmt, a, b);
	char *n = realloc(*buf, *len + (size_t)need + 1);

	if (!n)
		return -1;
	snprintf(n + *len, (size_t)need + 1, fmt, a, b);
	*buf = n;
	*len += (size_t)need;
	return 0;
}

char *merge_conflicts_message(const struct merge_conflicts *c)
{
	char *buf = NULL, num[32];
	size_t len = 0, i;
	int rc = 0;

	if (!c || !c->n)
		return strdup("Apply failed with 0 conflicts");
	if (c->n == 1) {
		rc = append(&buf, &len, "Apply failed with 1 conflict: conflict with %s: %s",
			    c->items[0].manager, c->items[0].path);
		return rc ? (free(buf), NULL) : buf;
	}
	snprintf(num, sizeof(num), "%zu", c->n);
	rc = append(&buf, &len, "Apply failed with %s conflicts: %s", num, "");
	/* items are grouped by manager (sorted) by merge_apply */
	for (i = 0; !rc && i < c->n; i++) {
		if (!i || strcmp(c->items[i].manager, c->items[i - 1].manager))
			rc = append(&buf, &len, "%sconflicts with %s:", i ? "\n" : "",
				    c->items[i].manager);
		if (!rc)
			rc = append(&buf, &len, "\n- %s%s", c->items[i].path, "");
	}
	if (rc) {
		free(buf);
		return NULL;
	}
	return buf;
}

cJSON *merge_conflicts_status(const struct merge_conflicts *c)
{
	cJSON *st = cJSON_CreateObject(), *details, *causes;
	char *msg = merge_conflicts_message(c);
	size_t i;

	if (!st || !msg) {
		free(msg);
		cJSON_Delete(st);
		return NULL;
	}
	cJSON_AddStringToObject(st, "kind", "Status");
	cJSON_AddStringToObject(st, "apiVersion", "v1");
	cJSON_AddObjectToObject(st, "metadata");
	cJSON_AddStringToObject(st, "status", "Failure");
	cJSON_AddStringToObject(st, "message", msg);
	cJSON_AddStringToObject(st, "reason", "Conflict");
	details = cJSON_AddObjectToObject(st, "details");
	causes = cJSON_AddArrayToObject(details, "causes");
	for (i = 0; c && causes && i < c->n; i++) {
		cJSON *cause = cJSON_CreateObject();
		char *m = malloc(strlen(c->items[i].manager) + 16);
		if (m)
			sprintf(m, "conflict with %s", c->items[i].manager);
		cJSON_AddStringToObject(cause, "reason", "FieldManagerConflict");
		cJSON_AddStringToObject(cause, "message", m ? m : "");
		cJSON_AddStringToObject(cause, "field", c->items[i].path);
		cJSON_AddItemToArray(causes, cause);
		free(m);
	}
	cJSON_AddNumberToObject(st, "code", 409);
	free(msg);
	return st;
}
