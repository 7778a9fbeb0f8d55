/*
 * admission_classes: the admission plugins of a default 1.32 kube-apiserver that read other
 * objects (plugin/pkg/admission/priority, network/defaultingressclass): a pod's
 * spec.priority from its PriorityClass, one global default class, an Ingress's default
 * class. Run by the store on every main-resource write, dry-runs included, before
 * defaulting (nothing they read is defaulted) and validation.
 */
#ifndef KUBESIM_ADMISSION_CLASSES_H
#define KUBESIM_ADMISSION_CLASSES_H

#include "store.h"

/* The value of the built-in class name (system-cluster-critical, system-node-critical),
 * or -1 for any other name. */
double admission_system_priority(const char *name);

/* Mutates obj or refuses it (403, e filled). old is NULL on create. Store lock held. */
int admission_classes_run(struct store *st, const struct restype *rt, cJSON *obj, const cJSON *old,
		  struct kstatus *e);

/* The built-in PriorityClasses every cluster has. */
void admission_classes_bootstrap(struct store *st);

#endif
