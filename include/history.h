/*
 * history: commits as revisions. Three parts:
 *  - revision: the change-cause and commit annotations a sync puts on a Deployment's
 *    own metadata, new values only when the commit changes the pod template (the
 *    deployment controller copies them onto the ReplicaSet of that template);
 *  - history: one entry per sync in a ConfigMap per app (commit, the commits it
 *    covered, time, result, each Deployment's revision and pod-template-hash), and
 *    the join of ReplicaSets, those entries and the Git log behind `tether history`;
 *  - rollback: a real commit on the tracked branch that brings the manifests back to
 *    an earlier commit, pushed and synced (`tether rollback`, on-failure: revert).
 * Git stays the truth: nothing here changes the cluster except through a sync.
 */
#ifndef TETHER_HISTORY_H
#define TETHER_HISTORY_H

#include <stdbool.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "config.h"
#include "kube.h"
#include "sync.h"
#include "util.h"

#define HISTORY_ANN_REVISION "deployment.kubernetes.io/revision"
#define HISTORY_ANN_REVISION_HISTORY "deployment.kubernetes.io/revision-history"
#define HISTORY_PREFIX "tether-history-"
#define HISTORY_KEY "history.json"
/* Entries kept, newest first; older ones are dropped, and more while the encoded
 * list exceeds the byte bound (a ConfigMap holds at most 1 MiB). */
#define HISTORY_MAX_ENTRIES 100
#define HISTORY_MAX_BYTES ((size_t)512 << 10)

struct session;
struct sync_run;

/* ---- history entries ----------------------------------------------------------- */

/* Inserts entry (owned) at the front of the array and trims it to max_entries and
 * max_bytes of encoded JSON (the newest entry is always kept). */
int history_push(cJSON *entries, cJSON *entry, size_t max_entries, size_t max_bytes);
/* The entries of an app's history ConfigMap (an empty array when there is none). */
int history_load(struct kube *k, const char *ns, const char *app, cJSON **entries,
		 struct err *e);
/* The ConfigMap holding entries. */
cJSON *history_configmap(const char *app, const char *ns, const cJSON *entries);
/* Sync hook: records the run (when it wrote something or a rollout failed). */
int history_record(struct sync_run *r, int rc, struct err *e);
/* Sync hook for on-failure: hold: TE_ROLLOUT when the commit to sync is the one whose
 * rollout failed last; 0 otherwise. */
int history_check_hold(struct sync_run *r, struct err *e);
/* "k=v,k2=v2" from a Deployment's selector.matchLabels (owned), NULL when it has none
 * or uses matchExpressions (then list everything and filter by owner). */
char *history_rs_selector(const cJSON *deploy);
/* The commit an entry recorded for revision rev of deployment ("ns/name"), or NULL. */
const char *history_commit_of_revision(const cJSON *entries, const char *deployment,
				       int64_t rev);
/* The latest entry for commit, or NULL. */
const cJSON *history_entry_of_commit(const cJSON *entries, const char *commit);

/* ---- tether history -------------------------------------------------------------- */

/* For each Deployment of the app (or only `deployment`, "NAME" or "deployment/NAME"):
 * [{"deployment": "ns/name", "revisions": [{"revision", "commit", "author", "date",
 * "time", "status", "message", "podTemplateHash", "rollbackOf"?: {revision, commit}},
 * ...]}], oldest revision first. */
int history_query(struct session *s, const char *deployment, cJSON **out, struct err *e);
/* Message of a revision row: "rollback to revision 1 (commit abc1234): Revert "v2"". */
char *history_message(const char *subject, int64_t rollback_rev, const char *rollback_commit,
		      const char *reverts);

/* ---- rollback --------------------------------------------------------------------- */

struct rollback_opts {
	const char *deployment; /* "deployment/NAME", with to_revision */
	int64_t to_revision;
	const char *commit;     /* or a commit (SHA or prefix, resolved in the cache) */
	bool dry_run;
	struct buf *out;        /* receives the commit, its message and diff (dry run) */
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
 * branch, or (no ref) on the remote's default branch. The caller syncs after. */
int rollback_commit(struct session *s, const struct rollback_opts *o,
		    struct rollback_result *res, struct err *e);
/* on-failure: revert: the revert commit of failed->commit, pushed. */
int rollback_revert_failed(struct session *s, const struct sync_result *failed,
			   struct rollback_result *res, struct err *e);
/* on-failure: revert applies: the app asks for it and failed (TE_ROLLOUT) has a
 * rollout that is not done (a commit refused by on-failure: hold has none). */
bool rollback_should_revert(const struct app_config *c, const struct sync_result *failed);
/* on-failure: revert after a sync of c's branch: pushes the revert of failed->commit
 * and syncs it (pinned to the revert commit) into res, which the caller initialised
 * and disposes. 1: nothing to revert; 0: pushed and synced (res->code says how the
 * sync went); negative: no revert was written (TE_CONFLICT: the branch moved on). */
int rollback_on_failure(struct session *s, const struct sync_env *env,
			const struct sync_result *failed, struct rollback_result *rr,
			struct sync_result *res, struct err *e);
/* The message of a rollback commit. */
char *rollback_message(const char *what, const char *target, const char *subject,
		       const char *path);

#endif
