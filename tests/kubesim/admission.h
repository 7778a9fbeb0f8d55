/*
 * admission: the built-in admission plugins that change or refuse what is stored, run on
 * every create the store makes (the API's and the controllers', as all of them pass the
 * real API server's admission chain): LimitRanger (container defaults, min/max),
 * StorageObjectInUseProtection (protection finalizers on claims and volumes),
 * DefaultStorageClass (a claim without a class) and ResourceQuota (403 "exceeded
 * quota"). The quota arithmetic is shared with the quota controller (ctrl_kinds.c).
 * Lock held; no state of its own.
 */
#ifndef KUBESIM_ADMISSION_H
#define KUBESIM_ADMISSION_H

#include <stdarg.h>

#include "store.h"

/* admission.NewForbidden: 403 `<resource>[.<group>] "<name>" is forbidden: <why>` with
 * the details filled; returns -403. */
int admission_vforbidden(struct kstatus *e, const struct restype *rt, const char *name,
			 const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* Mutating plugins, after defaulting, before validation. */
void admission_mutate(struct store *st, const struct restype *rt, const char *ns, cJSON *obj);
/* Validating plugins, after validation; <0 with e filled (403) refuses the create. */
int admission_validate(struct store *st, const struct restype *rt, const char *ns, const cJSON *obj,
		       struct kstatus *e);
/* The newest StorageClass annotated as the default (GetDefaultClass), or NULL. */
const char *admission_default_class(struct store *st);
/* The status a quota has: hard from spec.hard, used per hard resource counted over the
 * quota's namespace (new cJSON, NULL when out of memory). */
cJSON *admission_quota_status(struct store *st, const cJSON *quota);

#endif
