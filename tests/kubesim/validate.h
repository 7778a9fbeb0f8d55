/*
 * validate: registry validation of built-in kinds (semantics spec §7), run by the
 * store on every main-resource write after defaulting.
 */
#ifndef KUBESIM_VALIDATE_H
#define KUBESIM_VALIDATE_H

#include "store.h"

/* 0, or -422 with e filled (NewInvalid shape). old is NULL on create. */
int validate_object(const struct restype *rt, const cJSON *obj, const cJSON *old,
		    struct kstatus *e);

#endif
