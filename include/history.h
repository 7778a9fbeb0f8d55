/*
 * history: commits as revisions, above sync (agent/history/). Three parts:
 *  - the run: sync_run with history's hooks, as tether sync, tether rollback and the
 *    agent run it: on-failure: hold before the first write, one entry per sync in a
 *    ConfigMap per app (commit, the commits it covered, time, result, each
 *    Deployment's, StatefulSet's and DaemonSet's revision and template hash), and
 *    on-failure: revert after a failed rollout;
 *  - tether history: the join of ReplicaSets and ControllerRevisions, those entries
 *    and the Git log;
 *  - rollback: a real commit on the tracked branch that brings the manifests back to
 *    an earlier commit, pushed and synced (`tether rollback`, on-failure: revert).
 * The change-cause and commit annotations a sync puts on workloads are sync's
 * (revision stage, sync.h). Git stays the truth: nothing here changes the cluster
 * except through a sync.
 */
#ifndef TETHER_HISTORY_H
#define TETHER_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "config.h"
#include "sync.h"
#include "util.h"

struct session;

/* ---- rollback --------------------------------------------------------------------- */

struct rollback_opts {
	const char *workload;   /* "deployment/NAME", "sts/NAME", "ds/NAME", with to_revision */
	int64_t to_revision;
	const char *commit;     /* or a commit (SHA or prefix, resolved in the cache) */
	bool dry_run;
	struct buf *out;        /* receives the commit's diff (dry run) */
};

struct rollback_result {
	char target[41]; /* the commit whose manifests are brought back */
	char commit[41]; /* the commit tether wrote */
	char branch[256]; /* where: --ref, or the remote's default branch */
	char *message;
	bool pushed;
	int retries;     /* pushes retried after a rejection */
};
void rollback_result_dispose(struct rollback_result *r);

/* Writes and (unless dry_run) pushes the rollback commit on c->ref, which must be a
 * branch, or (no ref) on the remote's default branch. The caller syncs after
 * (history_sync_run). */
int rollback_commit(struct session *s, const struct rollback_opts *o,
		    struct rollback_result *res, struct err *e);

/* ---- the run ------------------------------------------------------------------------ */

/* sync_run (env may be NULL) with the history's hooks: on-failure: hold refuses the
 * commit whose rollout failed last, before the first write; the run is recorded when it
 * wrote something (a failure to record is added to res->errors). Returns sync_run's. */
int history_sync_run(struct session *s, const struct app_config *c, const struct sync_env *env,
		     struct sync_result *res, struct err *e);

/* on-failure: revert, as history_sync did it. */
struct history_revert {
	bool tried;      /* the app asks for it and a rollout of the sync failed */
	int rc;          /* 0: pushed and synced (sync.code says how the sync went);
			  * negative: no revert was written (err; TE_CONFLICT: the branch
			  * moved on) */
	struct err err;
	struct rollback_result commit; /* the revert commit */
	struct sync_result sync;       /* the sync of it, pinned to it */
};
void history_revert_dispose(struct history_revert *rv);

/* The one place a failed rollout is reverted, for tether sync and the agent:
 * history_sync_run into res; then, when c asks for on-failure: revert and a rollout
 * of res is not done, the revert of res->commit pushed to s's branch and synced
 * (history_sync_run, no progress) into rv. rv is initialised here, whatever happens;
 * dispose it. Returns the first sync's code. */
int history_sync(struct session *s, const struct app_config *c, const struct sync_env *env,
		 struct sync_result *res, struct history_revert *rv, struct err *e);

/* ---- tether history -------------------------------------------------------------- */

/* For each Deployment, StatefulSet and DaemonSet of the app (or only `workload`:
 * "NAME" for a Deployment, or "KIND/NAME" as kubectl takes it, sts/ and ds/ too):
 * [{"kind": "Deployment", "deployment": "ns/name" (the key is the kind in lower case),
 * "currentRevision", "revisions": [{"revision", "commit", "author", "date", "time",
 * "status", "message", "podTemplateHash", "rollbackOf"?: {revision, commit},
 * "templateCommit"?}, ...]}], oldest revision first. templateCommit: the commit that
 * first made a renumbered ControllerRevision's template (kubectl names it). */
int history_query(struct session *s, const char *workload, cJSON **out, struct err *e);

/* The newest entry of app's sync history in ns (owned), NULL when it has none. */
int history_latest(struct kube *k, const char *ns, const char *app, cJSON **entry,
		   struct err *e);

#endif
