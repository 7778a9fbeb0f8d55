/*
 * kustomize: builds a kustomization directory of a vfs into an object set, as
 * `kustomize build` does (bases, components, generators, transformers, patches,
 * name references). Only the build entry point is public; the implementation and
 * its internal header (kustomize_int.h) live in agent/kustomize/.
 */
#ifndef TETHER_KUSTOMIZE_H
#define TETHER_KUSTOMIZE_H

struct err;
struct object_set;
struct vfs;

/* Kustomize build of the directory dir of v into out. Errors on the input are
 * TE_INPUT naming the file. */
int kustomize_build(struct vfs *v, const char *dir, struct object_set *out, struct err *e);

#endif
