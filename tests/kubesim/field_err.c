/*
 * field_err: a field.ErrorList and its NewInvalid Status (field_err.h).
 */
#include <stdarg.h>
#include <stdio.h>

#include "field_err.h"

void field_errs_init(struct field_errs *v)
{
	*v = (struct field_errs){.causes = cJSON_CreateArray()};
}

void field_err(struct field_errs *v, const char *field, const char *reason, const char *fmt, ...)
{
	cJSON *c = cJSON_CreateObject();
	char msg[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	cJSON_AddStringToObject(c, "reason", reason);
	cJSON_AddStringToObject(c, "message", msg);
	cJSON_AddStringToObject(c, "field", field);
	cJSON_AddItemToArray(v->causes, c);
	if (v->len < sizeof(v->text))
		v->len += snprintf(v->text + v->len, sizeof(v->text) - v->len, "%s%s: %s",
				   v->n ? ", " : "", field, msg);
	v->n++;
}

int field_errs_invalid(struct field_errs *v, const char *group, const char *kind,
		       const char *name, struct kstatus *e)
{
	int rc = kstatus_set(e, 422, "Invalid", "%s%s%s \"%s\" is invalid: %s%s%s", kind,
			     *group ? "." : "", group, name ? name : "", v->n > 1 ? "[" : "",
			     v->text, v->n > 1 ? "]" : "");

	if (e && e->code == 422 && !e->causes) {
		e->causes = v->causes;
		snprintf(e->name, sizeof(e->name), "%s", name ? name : "");
		snprintf(e->group, sizeof(e->group), "%s", group);
		snprintf(e->kind, sizeof(e->kind), "%s", kind);
	} else {
		cJSON_Delete(v->causes);
	}
	v->causes = NULL;
	return rc;
}

void field_errs_dispose(struct field_errs *v)
{
	cJSON_Delete(v->causes);
	v->causes = NULL;
}
