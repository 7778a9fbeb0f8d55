/*
 * field_err: a field.ErrorList and its NewInvalid Status (field_err.h). Messages are
 * not capped: a patch's error carries the whole patched object as its value, and the
 * decoder's reason comes after it.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "field_err.h"

void field_errs_init(struct field_errs *v)
{
	*v = (struct field_errs){.causes = cJSON_CreateArray()};
}

void field_err(struct field_errs *v, const char *field, const char *reason, const char *fmt, ...)
{
	cJSON *c;
	char *msg = NULL, *text = NULL;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (n < 0)
		msg = NULL;
	if (asprintf(&text, "%s%s%s: %s", v->text ? v->text : "", v->n ? ", " : "", field,
		     msg ? msg : "") < 0)
		text = NULL;
	c = cJSON_CreateObject();
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg ? msg : "");
	cJSON_AddStringToObject(c, "field", field);
	cJSON_AddItemToArray(v->causes, c);
	free(msg);
	if (text) {
		free(v->text);
		v->text = text;
		v->len = strlen(text);
	}
	v->n++;
}

int field_errs_invalid(struct field_errs *v, const char *group, const char *kind,
		       const char *name, struct kstatus *e)
{
	const char *fmt = "%s%s%s \"%s\" is invalid: %s%s%s";
	const char *open = v->n > 1 ? "[" : "", *close = v->n > 1 ? "]" : "";
	const char *text = v->text ? v->text : "", *dot = *group ? "." : "";
	bool fresh = e && !e->code;
	int rc = kstatus_set(e, 422, "Invalid", fmt, kind, dot, group, name ? name : "", open,
			     text, close);

	if (fresh && strlen(e->message) + 1 >= sizeof(e->message) &&
	    asprintf(&e->long_message, fmt, kind, dot, group, name ? name : "", open, text,
		     close) < 0)
		e->long_message = NULL;
	if (e && e->code == 422 && !e->causes) {
		e->causes = v->causes;
		snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
		snprintf(e->group, sizeof(e->group), "%s", group);
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
	} else {
		cJSON_Delete(v->causes);
	}
	v->causes = NULL;
	free(v->text);
	v->text = NULL;
	return rc;
}

void field_errs_dispose(struct field_errs *v)
{
	cJSON_Delete(v->causes);
	v->causes = NULL;
	free(v->text);
	v->text = NULL;
}
