/*
 * field_err: the field errors of one request (k8s.io/apimachinery's field.ErrorList)
 * and the 422 Invalid Status they become (errors.NewInvalid): a cause per error, and
 * the message "<Kind>.<group> \"<name>\" is invalid: <f>: <body>", in brackets when
 * there are several. Shared by object validation, request options and the auth kinds.
 */
#ifndef KUBESIM_FIELD_ERR_H
#define KUBESIM_FIELD_ERR_H

#include "store.h"

struct field_errs {
	cJSON *causes;
	char *text; /* "f: body, f: body" (owned) */
	size_t len;
	int n;
};

void field_errs_init(struct field_errs *v);
/* Adds one error: field "spec.x", reason "FieldValueInvalid", body as ErrorBody prints
 * it ("Invalid value: \"x\": must be ..."). */
void field_err(struct field_errs *v, const char *field, const char *reason, const char *fmt,
	       ...) __attribute__((format(printf, 4, 5)));
/* The 422 for v (v's causes move into e, or are freed); returns -422. group "" for the
 * core group. */
int field_errs_invalid(struct field_errs *v, const char *group, const char *kind,
		       const char *name, struct kstatus *e);
/* Frees what v holds when it is not turned into a Status. */
void field_errs_dispose(struct field_errs *v);

#endif
