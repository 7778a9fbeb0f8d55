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

#endif
