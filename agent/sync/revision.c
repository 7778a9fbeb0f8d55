/*
 * revision: which commit produced which revision. A sync puts
 * kubernetes.io/change-cause ("<short sha> <subject>") and tether.dev/commit on the
 * own metadata of a Deployment, StatefulSet or DaemonSet; the controller copies both
 * onto the revision of the current template (the deployment controller onto its
 * ReplicaSet; the StatefulSet and DaemonSet controllers onto the ControllerRevision
 * they make for a new template), so `kubectl rollout history` names the commit.
 *
 * New values are written only when the commit changes the pod template: the
 * deployment controller also copies changed annotations onto the CURRENT ReplicaSet,
 * so a commit that only scales would otherwise relabel an older revision, and the
 * parent's tether.dev/commit is what the history records as its revision's commit.
 * Never on the template itself: that would roll out on every commit.
 *
 * tether owns these annotations through server-side apply, so leaving them out of the
 * next apply would remove them. Hence every apply carries them: first with the live
 * values (which also keeps the manifest hash, and so a no-op sync, unchanged), and
 * after the dry-run, where the server's defaulted template differs from the live one,
 * with the new commit's. A change-cause that Git sets is Git's: it is kept as it is,
 * and only tether.dev/commit is tether's.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "sync_int.h"

#define CAUSE_SUBJECT_MAX 200

char *revision_cause(const char *sha, const char *subject)
{
	char sub[CAUSE_SUBJECT_MAX + 1];
	size_t n = subject ? strlen(subject) : 0;

	if (n > CAUSE_SUBJECT_MAX)
		n = CAUSE_SUBJECT_MAX;
	memcpy(sub, subject ? subject : "", n);
	sub[n] = '\0';
	return xasprintf("%.7s%s%s", sha, n ? " " : "", sub);
}

static const cJSON *template_of(const cJSON *obj)
{
	return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(obj, "spec"),
						"template");
}

bool revision_template_changed(const cJSON *live, const cJSON *next)
{
	const cJSON *a = template_of(live), *b = template_of(next);

	if (!a || !b)
		return a != b;
	return !cJSON_Compare(a, b, 1);
}

static int set_or_remove(cJSON *ann, const char *key, const char *value)
{
	cJSON *v;

	cJSON_DeleteItemFromObjectCaseSensitive(ann, key);
	if (!value)
		return 0;
	v = cJSON_CreateString(value);
	return v && cJSON_AddItemToObject(ann, key, v) ? 0 : TE_NOMEM;
}

int revision_annotate(cJSON *obj, const char *cause, const char *commit)
{
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");

	if (!cJSON_IsObject(meta))
		return TE_INPUT;
	if (!cJSON_IsObject(ann)) {
		if (!cause && !commit)
			return 0;
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
		if (!(ann = cJSON_AddObjectToObject(meta, "annotations")))
			return TE_NOMEM;
	}
	if (set_or_remove(ann, SYNC_ANNOTATION_CAUSE, cause) < 0 ||
	    set_or_remove(ann, SYNC_ANNOTATION_COMMIT, commit) < 0)
		return TE_NOMEM;
	if (!ann->child)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
	return 0;
}

static bool has_revisions(const struct sync_item *it)
{
	return it->res && sync_revisioned_kind(it->obj->group, it->obj->kind);
}

/* The change-cause of this run's commit (owned). */
static int commit_cause(struct sync_run *r, char **out, struct err *e)
{
	struct gitsrc_commit c;
	int rc;

	memset(&c, 0, sizeof(c));
	if ((rc = gitsrc_commit(r->git, r->commit, &c, e)) < 0)
		return rc;
	*out = revision_cause(r->commit, c.subject);
	gitsrc_commit_dispose(&c);
	return *out ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

/* revision_annotate, with Git's change-cause in place of cause when Git sets one. */
static int annotate(const struct sync_item *it, cJSON *obj, const char *cause, const char *commit)
{
	char *git = NULL;
	int rc;

	if (it->git_cause &&
	    !(git = xstrdup(json_str(it->obj->body, "metadata", "annotations", SYNC_ANNOTATION_CAUSE,
				     NULL))))
		return TE_NOMEM;
	rc = revision_annotate(obj, git ? git : cause, commit);
	free(git);
	return rc;
}

static int set_new(struct sync_run *r, struct sync_item *it, const char *cause, struct err *e)
{
	if (item_body_load(it) < 0 || annotate(it, it->obj->body, cause, r->commit) < 0 ||
	    (it->dry && annotate(it, it->dry, cause, r->commit) < 0) || item_hash(it) < 0)
		return err_set(e, TE_NOMEM, "%s: out of memory", it->display);
	return 0;
}

int revision_stage(struct sync_run *r, struct err *e)
{
	char *cause = NULL;
	int rc = 0;

	for (size_t i = 0; i < r->n_items && rc == 0; i++) {
		struct sync_item *it = &r->items[i];

		if (!has_revisions(it))
			continue;
		it->git_cause = json_str(it->obj->body, "metadata", "annotations",
					 SYNC_ANNOTATION_CAUSE, NULL) != NULL;
		if (!it->live) { /* created by this commit */
			if (!cause && (rc = commit_cause(r, &cause, e)) < 0)
				break;
			rc = set_new(r, it, cause, e);
		} else if (annotate(it, it->obj->body,
				    json_str(it->live, "metadata", "annotations",
					     SYNC_ANNOTATION_CAUSE, NULL),
				    json_str(it->live, "metadata", "annotations",
					     SYNC_ANNOTATION_COMMIT, NULL)) < 0 ||
			   item_hash(it) < 0) {
			rc = err_set(e, TE_NOMEM, "%s: out of memory", it->display);
		}
		if (rc == 0)
			it->plan = plan_decide(it->hash, it->inv, it->live);
	}
	free(cause);
	return rc;
}

int revision_dry_run_item(struct sync_run *r, struct sync_item *it, struct err *e)
{
	char *cause = NULL;
	int rc;

	if (!has_revisions(it) || !it->live || !it->dry ||
	    !revision_template_changed(it->live, it->dry))
		return 0;
	if ((rc = commit_cause(r, &cause, e)) == 0 && (rc = set_new(r, it, cause, e)) == 0)
		it->apply = true;
	free(cause);
	return rc;
}
