/*
 * kustomize: builds a kustomization directory of a vfs into an object set, as
 * `kustomize build` does (bases, components, generators, transformers, patches,
 * name references). The implementation lives in agent/kustomize/.
 */
#ifndef TETHER_KUSTOMIZE_H
#define TETHER_KUSTOMIZE_H

#include "manifest.h"
#include "util.h"
#include "vfs.h"

/* Kustomize build of the directory dir of v into out. Errors on the input are
 * TE_INPUT naming the file. */
int kustomize_build(struct vfs *v, const char *dir, struct object_set *out, struct err *e);

#endif
