/*
 * ops: an app as the cluster shows it, and the requests made through the cluster, so
 * that no command needs the agent's port (agent/ops/). Everything lives on the app's
 * inventory ConfigMap (sync.h) as annotations that the sync's server-side apply does
 * not own (they are written with their own field manager, so a sync keeps them):
 *   tether.dev/suspended: "true"             a sync of the app does nothing (TE_SUSPENDED)
 *   tether.dev/suspended-by, -at             who asked, when (RFC 3339)
 *   tether.dev/reconcile-requested-at        `tether reconcile` asks the agent for a sync
 *   tether.dev/reconcile-handled-at          the request the agent last answered
 *   tether.dev/reconcile-result, -message    that sync's exit code and summary
 * Also the rows of `tether get` (inventory, history, live objects) and the Events
 * tether writes (`tether events`). Nothing here applies manifests.
 */
#ifndef TETHER_OPS_H
#define TETHER_OPS_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "kube.h"
#include "sync.h"
#include "util.h"

#define OPS_ANN_SUSPENDED SYNC_ANNOTATION_SUSPENDED /* the sync honours it (sync.h) */
#define OPS_ANN_SUSPENDED_BY SYNC_ANNOTATION_SUSPENDED_BY
#define OPS_ANN_SUSPENDED_AT SYNC_ANNOTATION_SUSPENDED_AT
#define OPS_ANN_REQUESTED "tether.dev/reconcile-requested-at"
#define OPS_ANN_HANDLED "tether.dev/reconcile-handled-at"
#define OPS_ANN_RESULT "tether.dev/reconcile-result"
#define OPS_ANN_MESSAGE "tether.dev/reconcile-message"
/* The field manager of the annotations (never the sync's "tether"). */
#define OPS_FIELD_MANAGER "tether-ops"

/* ---- time ---------------------------------------------------------------------- */

/* Seconds since the epoch of an RFC 3339 time; -1 when it is not one. */
int64_t ops_parse_time(const char *s);
/* kubectl's age of a duration in seconds ("45s", "3m20s", "5h", "12d"). */
void ops_age(int64_t seconds, char *out, size_t n);
/* The age of RFC 3339 time s now, or "-" for none. */
void ops_age_of(const char *s, char *out, size_t n);

/* ---- the inventory's annotations --------------------------------------------------- */

/* The app whose inventory cm is (its tether.dev/inventory label; "" when none). */
const char *ops_app_of(const cJSON *cm);
/* An annotation of the inventory ConfigMap cm (NULL when absent). */
const char *ops_annotation(const cJSON *cm, const char *key);
bool ops_is_suspended(const cJSON *cm);
/* The inventory of app: in ns when given, else wherever its label says (one across
 * every namespace; a GET in "default" when the LIST is forbidden). TE_NOTFOUND names
 * the app; two inventories are TE_INPUT naming both. */
int ops_find(struct kube *k, const char *app, const char *ns, cJSON **cm, struct err *e);
/* Sets annotations of the ConfigMap ns/name (an inventory): keys[i] to values[i]
 * (NULL removes it), by a JSON merge patch (never creating one). */
int ops_annotate(struct kube *k, const char *ns, const char *name, const char *const *keys,
		 const char *const *values, size_t n, struct err *e);
/* ops_annotate on the inventory cm as read. */
int ops_annotate_inventory(struct kube *k, const cJSON *cm, const char *const *keys,
			   const char *const *values, size_t n, struct err *e);
/* "user@host" of whoever runs this, for suspended-by. */
void ops_who(char *out, size_t n);

/* ---- tether get ------------------------------------------------------------------ */

/* The inventories in ns (NULL: every namespace), only those of apps when apps->n. */
int ops_list(struct kube *k, const char *ns, const struct strlist *apps, cJSON **items,
	     struct err *e);
/* An app's row from its inventory cm, its history's newest entry and its live
 * objects: {"app","namespace","commit","state","health","drift","driftObjects":[],
 * "lastSync","lastResult","suspended","suspendedBy","suspendedAt","reconcile":{...}}. */
int ops_app_row(struct kube *k, const cJSON *cm, cJSON **row, struct err *e);

/* ---- tether events ------------------------------------------------------------- */

/* The Events tether wrote (about an inventory), in ns (NULL: every namespace), only
 * app's when app is set, oldest first by last time: a v1 List. */
int ops_events(struct kube *k, const char *ns, const char *app, cJSON **list, struct err *e);

#endif
