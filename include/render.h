/*
 * render: a path of a vfs (a Git tree or a directory) to an object set, plain
 * manifests or kustomize. It sits above manifest/ and kustomize/ so neither needs the
 * other's entry point.
 */
#ifndef TETHER_RENDER_H
#define TETHER_RENDER_H

#include "manifest.h"
#include "vfs.h"

/*
 * Renders path (a directory or file) of a vfs: a kustomization when the directory
 * holds kustomization.yaml/.yml/Kustomization, otherwise every .yaml, .yml and .json
 * below it, recursively, in sorted path order. Then checks the whole set: the same
 * identity twice is TE_INPUT naming both origins.
 * In the recursive walk: names starting with '.' are skipped (.git, .github,
 * .pre-commit-config.yaml); a subdirectory with a kustomization is built with
 * kustomize_build (kustomize.h); symlinks are followed inside the repository only, and one that
 * points at an enclosing directory is a "symlink cycle" error. An object's file is
 * the path as walked (the symlink's, not its target's).
 */
int manifest_render(struct vfs *v, const char *path, struct object_set *out, struct err *e);

#endif
