/*
 * controllers: kubesim's simulated kube-controller-manager and kubelet. They react to
 * store writes (store_subscribe feeds a dirty queue of keys) and to timers (pod
 * readiness, progress deadlines), reconcile one key at a time under the store lock and
 * write only through the store's write path, so every change is a normal API write.
 *
 * kubesim's main calls controllers_start/controllers_stop, which run one background
 * thread. Unit tests use controllers_new without a thread, drive a
 * fake clock and call controllers_run until the cluster is stable.
 */
#ifndef KUBESIM_CONTROLLERS_H
#define KUBESIM_CONTROLLERS_H

#include <stdbool.h>
#include <stdint.h>

#include "store.h"

struct controllers;

/* Subscribes to st, queues every existing workload object and tells the store a
 * namespace controller runs (store_set_namespace_controller). threaded starts the
 * worker thread (real clock); otherwise the caller drives controllers_run. */
struct controllers *controllers_new(struct store *st, bool threaded);
/* Stops the thread. Free the store after this; the subscription cannot be removed, so
 * the store must not be written once the controllers are freed. Accepts NULL. */
void controllers_free(struct controllers *c);

/* Unit tests: switch to a fake clock at now_ms (Unix milliseconds). */
void controllers_set_time(struct controllers *c, int64_t now_ms);
/* Moves the fake clock forward. */
void controllers_advance(struct controllers *c, int64_t ms);
int64_t controllers_now(struct controllers *c);
/* Processes queued keys and due timers until none is left (at most max_steps
 * reconciles); returns how many reconciles ran. Not for threaded instances. */
int controllers_run(struct controllers *c, int max_steps);

/* kubesim's main: one threaded instance for the process (0, or -1 when it cannot be
 * made); controllers_stop stops its thread before the store is freed. */
int controllers_start(struct store *st);
void controllers_stop(void);
/* The instance controllers_start made, or NULL. */
struct controllers *controllers_global(void);

#endif
