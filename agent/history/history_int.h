/*
 * history_int: what the files of agent/history/ share with each other and with the
 * unit tests, and nothing else: the history ConfigMap and its entries, the hooks of a
 * recorded run, the revert commit, the messages of history rows and rollback commits.
 */
#ifndef TETHER_HISTORY_INT_H
#define TETHER_HISTORY_INT_H

#include "history.h"
#include "kube.h"

#define HISTORY_ANN_REVISION "deployment.kubernetes.io/revision"
#define HISTORY_ANN_REVISION_HISTORY "deployment.kubernetes.io/revision-history"
#define HISTORY_PREFIX "tether-history-"
#define HISTORY_KEY "history.json"
#define HISTORY_PART_LABEL "tether.dev/history-part"
/* Entries kept, newest first; older ones are dropped, and more while the encoded
 * list exceeds the byte bound, so that a history fits one ConfigMap (at most 1 MiB).
 * The newest entry is always kept: alone over the bound (an app of a few thousand
 * workloads), it is cut into pieces of that size, one ConfigMap each. */
#define HISTORY_MAX_ENTRIES 100
#define HISTORY_MAX_BYTES ((size_t)512 << 10)
#define HISTORY_PIECE_BYTES HISTORY_MAX_BYTES
/* Where the history's text lives (agent/sync/parts.c). */
extern const struct text_parts history_text;

/* kinds.c: the workloads with revisions, one row each. A Deployment's revisions are
 * its ReplicaSets (numbered by an annotation, and a reused one remembers its earlier
 * numbers); a StatefulSet's and a DaemonSet's are ControllerRevisions (numbered by
 * their revision field; one brought back is renumbered and keeps the annotations it
 * was made with, so the entries say which commit brought it back). */
struct history_kind {
	const char *kind;       /* "StatefulSet" */
	const char *name;       /* "statefulset", as in kubectl's statefulset/NAME */
	const char *alias;      /* "sts" */
	const char *rev_kind;   /* the kind of its revisions, apps/v1 */
	const char *hash_label; /* the label of a revision naming its template's hash */
	bool renumbers;         /* ControllerRevisions (above) */
};
/* The row of kind, NULL for a kind without revisions. */
const struct history_kind *history_kind_of(const char *kind);
/* "NAME" (a Deployment), "KIND/NAME" with KIND as kubectl takes it (deployment,
 * deployments, deployment.apps, deploy; statefulset, sts; daemonset, ds): the row and
 * the name in *name (borrowed from arg). TE_INPUT naming arg for any other kind. */
int history_kind_parse(const char *arg, const struct history_kind **k, const char **name,
		       struct err *e);
/* The revision number of rev, a revision of a workload of kind k (0: none). */
int64_t history_revision_of(const struct history_kind *k, const cJSON *rev);

/* history.c: the entries. */
/* Inserts entry (owned) at the front of the array and trims it to max_entries and
 * max_bytes of encoded JSON (the newest entry is always kept). */
int history_push(cJSON *entries, cJSON *entry, size_t max_entries, size_t max_bytes);
/* The entries of an app's history ConfigMap (an empty array when there is none). */
int history_load(struct kube *k, const char *ns, const char *app, cJSON **entries,
		 struct err *e);
/* The history's head ConfigMap holding text (the entries' JSON, or its first piece) and
 * commit, the newest entry's (NULL: none). */
cJSON *history_configmap(const char *app, const char *ns, const char *text, const char *commit);
/* The after_run hook: records the run when it wrote something, or when it wrote nothing
 * and the history is behind the inventory; a failure is added to res->errors. */
void history_record(const struct sync_view *v, int rc, const struct err *e,
		    struct sync_result *res);
/* The before_apply hook for on-failure: hold: TE_ROLLOUT when the commit to sync is
 * the one whose rollout failed last; 0 otherwise. */
int history_check_hold(const struct sync_view *v, struct err *e);
/* "k=v,k2=v2" from a workload's selector.matchLabels (owned), NULL when it has none
 * or uses matchExpressions (then list everything and filter by owner). */
char *history_rs_selector(const cJSON *deploy);
/* The workload records of an entry ("workloads"; "deployments" in older entries). */
const cJSON *history_records(const cJSON *entry);
/* Whether rec is the record of the workload of kind ("ns/name"); a record without a
 * kind is a Deployment's. */
bool history_record_is(const cJSON *rec, const char *kind, const char *name);
/* The commit an entry recorded for revision rev of the workload of kind ("ns/name"),
 * or NULL. */
const char *history_commit_of_revision(const cJSON *entries, const char *kind,
				       const char *name, int64_t rev);
/* The latest revision before rev that the entries recorded for the workload with the
 * template hash hash (a ControllerRevision renumbered since), 0 when none. */
int64_t history_earlier_revision(const cJSON *entries, const char *kind, const char *name,
				 const char *hash, int64_t rev);
/* The latest entry for commit, or NULL. */
const cJSON *history_entry_of_commit(const cJSON *entries, const char *commit);

/* history_view.c: message of a revision row: "rollback to revision 1 (commit
 * abc1234): Revert "v2"". */
char *history_message(const char *subject, int64_t rollback_rev, const char *rollback_commit,
		      const char *reverts);

/* rollback.c */
/* on-failure: revert: the revert commit of failed->commit, pushed. */
int rollback_revert_failed(struct session *s, const struct sync_result *failed,
			   struct rollback_result *res, struct err *e);
/* The message of a rollback commit. */
char *rollback_message(const char *what, const char *target, const char *subject,
		       const char *path);

#endif
