/*
 * config_int: what the files of agent/config/ share beyond include/config.h, and their
 * unit tests see.
 */
#ifndef TETHER_CONFIG_INT_H
#define TETHER_CONFIG_INT_H

#include "config.h"

/* The app name derived from a repository URL ("https://h/o/guestbook.git" is
 * "guestbook"): a valid label value / DNS label (lowercase, [a-z0-9-], <= 63), "app"
 * when nothing is left. */
char *config_app_name(const char *repo);

/* notify.c: the notify: entries (config.h's struct notify_target). */
void notify_target_dispose(struct notify_target *t);
void notify_targets_free(struct notify_target *v, size_t n);
int notify_targets_copy(struct notify_target **out, const struct notify_target *src, size_t n);
unsigned notify_default_events(const char *type);

#endif
