/*
 * ctrl_deploy: the Deployment controller's sync loop, the search for (or creation of)
 * the new ReplicaSet, and the RollingUpdate and Recreate rollouts, following k8s 1.28
 * pkg/controller/deployment (deployment_controller.go, sync.go, rolling.go,
 * recreate.go). One sync makes at most one step and writes nothing when nothing
 * changed; the write events it causes queue the next step.
 */
#include "ctrl_deploy_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* sync.go annotationsToSkip. */
static const char *const skip_annotations[] = {
    "kubectl.kubernetes.io/last-applied-configuration",
    ANN_REVISION,
    ANN_REVISION_HISTORY,
    ANN_DESIRED,
    ANN_MAX,
    "deprecated.deployment.rollback.to",
    NULL,
};

#define MAX_REV_HISTORY_CHARS 2000

static int cmp_creation(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	const char *tx = ctrl_str(x, "metadata", "creationTimestamp", NULL);
	const char *ty = ctrl_str(y, "metadata", "creationTimestamp", NULL);
	int64_t mx = ctrl_time_parse(tx), my = ctrl_time_parse(ty);
	if (mx != my)
		return mx < my ? -1 : 1;
	return strcmp(ctrl_name(x) ? ctrl_name(x) : "", ctrl_name(y) ? ctrl_name(y) : "");
}

static void dsync_dispose(struct dsync *ds)
{
	for (size_t i = 0; i < ds->n; i++)
		cJSON_Delete(ds->rss[i]);
	free(ds->rss);
	cJSON_Delete(ds->d);
}

/* Loads copies of the Deployment and the ReplicaSets it controls, oldest first. */
static bool dsync_load(struct dsync *ds, struct controllers *c, const char *ns, const char *name)
{
	const struct ctrl_types *t = ctrl_types(c);
	const cJSON *live = store_get(ctrl_store(c), t->deploy, ns, name);
	const cJSON **owned = NULL;
	memset(ds, 0, sizeof(*ds));
	ds->c = c;
	ds->new_idx = -1;
	if (!live)
		return false;
	ctrl_claim(c, live, "apps/v1", "Deployment", t->rs,
		   ctrl_path(live, "spec", "selector", NULL));
	ds->d = cJSON_Duplicate(live, true);
	ds->replicas = (int)ctrl_int(ds->d, "spec", "replicas", NULL, 1);
	size_t n = ctrl_owned(c, ctrl_uid(ds->d), t->rs, &owned);
	ds->rss = calloc(n ? n : 1, sizeof(cJSON *));
	for (size_t i = 0; ds->rss && i < n; i++) {
		if (ctrl_controlled_by(owned[i], ctrl_uid(ds->d)))
			ds->rss[ds->n++] = cJSON_Duplicate(owned[i], true);
	}
	free(owned);
	qsort(ds->rss, ds->n, sizeof(cJSON *), cmp_creation);
	return ds->d && ds->rss;
}

static bool skip_annotation(const char *key)
{
	for (size_t i = 0; skip_annotations[i]; i++)
		if (strcmp(skip_annotations[i], key) == 0)
			return true;
	return false;
}

/* copyDeploymentAnnotationsToReplicaSet: add or overwrite, never delete. */
static bool copy_annotations(const cJSON *d, cJSON *rs)
{
	const cJSON *a;
	bool changed = false;
	cJSON_ArrayForEach(a, ctrl_path(d, "metadata", "annotations", NULL))
	{
		const char *have = ctrl_annotation(rs, a->string);
		if (!cJSON_IsString(a) || skip_annotation(a->string) ||
		    (have && strcmp(have, a->valuestring) == 0))
			continue;
		ctrl_set_annotation(rs, a->string, a->valuestring);
		changed = true;
	}
	return changed;
}

/* Appends old to revision-history, trimming from the front to the length limit. */
static void append_history(cJSON *rs, const char *old)
{
	const char *hist = ctrl_annotation(rs, ANN_REVISION_HISTORY);
	char out[MAX_REV_HISTORY_CHARS + 64];
	if (!hist || !*hist) {
		ctrl_set_annotation(rs, ANN_REVISION_HISTORY, old);
		return;
	}
	size_t total = strlen(hist) + strlen(old) + 1;
	const char *start = hist;
	while (total > MAX_REV_HISTORY_CHARS && start) {
		const char *comma = strchr(start, ',');
		size_t part = comma ? (size_t)(comma - start) : strlen(start);
		total -= part + 1;
		start = comma ? comma + 1 : NULL;
	}
	if (total > MAX_REV_HISTORY_CHARS)
		return;
	if (start)
		snprintf(out, sizeof(out), "%s,%s", start, old);
	else
		snprintf(out, sizeof(out), "%s", old);
	ctrl_set_annotation(rs, ANN_REVISION_HISTORY, out);
}

static bool set_replica_annotations(cJSON *rs, int desired, int max)
{
	char a[16], b[16];
	const char *ha = ctrl_annotation(rs, ANN_DESIRED), *hb = ctrl_annotation(rs, ANN_MAX);
	snprintf(a, sizeof(a), "%d", desired);
	snprintf(b, sizeof(b), "%d", max);
	if (ha && hb && strcmp(ha, a) == 0 && strcmp(hb, b) == 0)
		return false;
	ctrl_set_annotation(rs, ANN_DESIRED, a);
	ctrl_set_annotation(rs, ANN_MAX, b);
	return true;
}

/* SetNewReplicaSetAnnotations. */
static bool set_new_rs_annotations(const cJSON *d, cJSON *rs, int64_t new_rev, bool exists)
{
	bool changed = copy_annotations(d, rs);
	const char *old = ctrl_annotation(rs, ANN_REVISION);
	char oldbuf[32] = "", revbuf[32];
	int64_t old_rev = 0;
	if (old) {
		char *end;
		old_rev = strtoll(old, &end, 10);
		if (end == old || *end)
			return changed;
		snprintf(oldbuf, sizeof(oldbuf), "%s", old);
	}
	snprintf(revbuf, sizeof(revbuf), "%lld", (long long)new_rev);
	if (old_rev < new_rev) {
		ctrl_set_annotation(rs, ANN_REVISION, revbuf);
		changed = true;
		if (old)
			append_history(rs, oldbuf);
	}
	int replicas = (int)ctrl_int(d, "spec", "replicas", NULL, 1);
	if (!exists && set_replica_annotations(rs, replicas, replicas + deploy_max_surge(d)))
		changed = true;
	return changed;
}

/* Re-reads the live copy of rss[idx] after a write (the write bumped its RV). */
static void refresh_rs(struct dsync *ds, size_t idx)
{
	const cJSON *live = store_get(ctrl_store(ds->c), ctrl_types(ds->c)->rs,
				      ctrl_namespace(ds->rss[idx]), ctrl_name(ds->rss[idx]));
	if (!live)
		return;
	cJSON_Delete(ds->rss[idx]);
	ds->rss[idx] = cJSON_Duplicate(live, true);
}

bool dsync_scale_rs(struct dsync *ds, size_t idx, int replicas)
{
	cJSON *rs = ds->rss[idx];
	bool size = rs_replicas(rs) != replicas;
	bool ann =
	    set_replica_annotations(rs, ds->replicas, ds->replicas + deploy_max_surge(ds->d));
	if (!size && !ann)
		return false;
	ctrl_set_int(ctrl_obj_child(rs, "spec"), "replicas", replicas);
	if (ctrl_update(ds->c, ctrl_types(ds->c)->rs, rs, CTRL_MANAGER, false) < 0) {
		refresh_rs(ds, idx);
		return false;
	}
	refresh_rs(ds, idx);
	return size;
}

static int64_t max_old_revision(struct dsync *ds)
{
	int64_t max = 0;
	for (size_t i = 0; i < ds->n; i++) {
		int64_t r = (int)i == ds->new_idx ? 0 : rs_revision(ds->rss[i]);
		if (r > max)
			max = r;
	}
	return max;
}

/* SetDeploymentRevision on the working copy; true when it changed. */
static bool set_deploy_revision(struct dsync *ds, const char *rev)
{
	const char *have = ctrl_annotation(ds->d, ANN_REVISION);
	if (!rev || (have && strcmp(have, rev) == 0))
		return false;
	ctrl_set_annotation(ds->d, ANN_REVISION, rev);
	return true;
}

static void progressing_if_missing(struct dsync *ds, const char *reason, const char *fmt,
				   const char *rsname, bool always)
{
	char msg[512], now[32];
	cJSON *status = ctrl_obj_child(ds->d, "status");
	if (!deploy_has_deadline(ds->d) || (!always && ctrl_condition(status, "Progressing")))
		return;
	snprintf(msg, sizeof(msg), fmt, rsname);
	ctrl_now_str(ds->c, now);
	ctrl_condition_set(status, "Progressing", "True", reason, msg, now, true);
}

/* The existing new RS: sync its annotations/minReadySeconds, then the Deployment's
 * revision (getNewReplicaSet, existingNewRS branch). */
static void sync_existing_new_rs(struct dsync *ds, int64_t new_rev)
{
	cJSON *rs = ds->rss[ds->new_idx];
	cJSON *before = cJSON_Duplicate(ctrl_path(ds->d, "status", NULL, NULL), true);
	int64_t mrs = ctrl_int(ds->d, "spec", "minReadySeconds", NULL, 0);
	bool ann = set_new_rs_annotations(ds->d, rs, new_rev, true);
	if (ann || ctrl_int(rs, "spec", "minReadySeconds", NULL, 0) != mrs) {
		ctrl_set_int(ctrl_obj_child(rs, "spec"), "minReadySeconds", mrs);
		ctrl_update(ds->c, ctrl_types(ds->c)->rs, rs, CTRL_MANAGER, false);
		refresh_rs(ds, (size_t)ds->new_idx);
		cJSON_Delete(before);
		return;
	}
	bool upd = set_deploy_revision(ds, ctrl_annotation(rs, ANN_REVISION));
	if (deploy_has_deadline(ds->d) &&
	    !ctrl_condition(ctrl_path(ds->d, "status", NULL, NULL), "Progressing")) {
		progressing_if_missing(ds, "FoundNewReplicaSet", "Found new replica set \"%s\"",
				       ctrl_name(rs), false);
		upd = true;
	}
	if (upd)
		dsync_write_status(ds, before);
	cJSON_Delete(before);
}

/* NewRSNewReplicas. */
static int new_rs_new_replicas(struct dsync *ds, int new_current)
{
	const char *type = ctrl_str(ds->d, "spec", "strategy", "type");
	if (type && strcmp(type, "Recreate") == 0)
		return ds->replicas;
	int current = 0;
	for (size_t i = 0; i < ds->n; i++)
		current += rs_replicas(ds->rss[i]);
	int max_total = ds->replicas + deploy_max_surge(ds->d);
	if (current >= max_total)
		return new_current;
	int up = max_total - current;
	if (up > ds->replicas - new_current)
		up = ds->replicas - new_current;
	return new_current + up;
}

static cJSON *build_new_rs(struct dsync *ds, const char *hash, int64_t new_rev)
{
	const cJSON *d = ds->d;
	char name[300];
	cJSON *rs = cJSON_CreateObject();
	cJSON *meta = cJSON_AddObjectToObject(rs, "metadata");
	cJSON *spec = cJSON_AddObjectToObject(rs, "spec");
	cJSON *tmpl = cJSON_Duplicate(ctrl_path(d, "spec", "template", NULL), true);
	cJSON *sel = cJSON_Duplicate(ctrl_path(d, "spec", "selector", NULL), true);
	snprintf(name, sizeof(name), "%s-%s", ctrl_name(d), hash);
	cJSON_AddStringToObject(rs, "apiVersion", "apps/v1");
	cJSON_AddStringToObject(rs, "kind", "ReplicaSet");
	cJSON_AddStringToObject(meta, "name", name);
	cJSON_AddStringToObject(meta, "namespace", ctrl_namespace(d));
	ctrl_set_str(ctrl_obj_child(ctrl_obj_child(tmpl, "metadata"), "labels"), HASH_LABEL, hash);
	ctrl_set_str(ctrl_obj_child(sel, "matchLabels"), HASH_LABEL, hash);
	cJSON_AddItemToObject(meta, "labels",
			      cJSON_Duplicate(ctrl_path(tmpl, "metadata", "labels", NULL), true));
	cJSON *refs = cJSON_AddArrayToObject(meta, "ownerReferences");
	cJSON_AddItemToArray(
	    refs, ctrl_owner_ref_new("apps/v1", "Deployment", ctrl_name(d), ctrl_uid(d)));
	cJSON_AddNumberToObject(spec, "replicas", new_rs_new_replicas(ds, 0));
	cJSON_AddNumberToObject(spec, "minReadySeconds",
				(double)ctrl_int(d, "spec", "minReadySeconds", NULL, 0));
	cJSON_AddItemToObject(spec, "selector", sel);
	cJSON_AddItemToObject(spec, "template", tmpl);
	set_new_rs_annotations(d, rs, new_rev, false);
	return rs;
}

/* AlreadyExists: ours with an equal template is the new RS; otherwise a hash collision. */
static bool adopt_existing_or_collide(struct dsync *ds, const char *name)
{
	const cJSON *rs =
	    store_get(ctrl_store(ds->c), ctrl_types(ds->c)->rs, ctrl_namespace(ds->d), name);
	if (rs && ctrl_controlled_by(rs, ctrl_uid(ds->d)) &&
	    ctrl_template_equal(ctrl_path(rs, "spec", "template", NULL),
				ctrl_path(ds->d, "spec", "template", NULL)))
		return true;
	cJSON *before = cJSON_Duplicate(ctrl_path(ds->d, "status", NULL, NULL), true);
	cJSON *status = ctrl_obj_child(ds->d, "status");
	ctrl_set_int(status, "collisionCount",
		     ctrl_int(status, "collisionCount", NULL, NULL, 0) + 1);
	dsync_write_status(ds, before);
	cJSON_Delete(before);
	return false;
}

static void append_rs(struct dsync *ds, cJSON *rs)
{
	cJSON **n = realloc(ds->rss, (ds->n + 1) * sizeof(cJSON *));
	if (!n) {
		cJSON_Delete(rs);
		return;
	}
	ds->rss = n;
	ds->rss[ds->n] = rs;
	ds->new_idx = (int)ds->n++;
}

static void create_new_rs(struct dsync *ds, int64_t new_rev)
{
	char hash[16], rev[32];
	cJSON *created = NULL;
	ctrl_template_hash(ctrl_path(ds->d, "spec", "template", NULL),
			   ctrl_path(ds->d, "status", "collisionCount", NULL), hash);
	cJSON *rs = build_new_rs(ds, hash, new_rev);
	int rc = ctrl_create(ds->c, ctrl_types(ds->c)->rs, rs, CTRL_MANAGER, &created);
	bool exists = false;
	if (rc == -409) {
		if (!adopt_existing_or_collide(ds, ctrl_name(rs))) {
			cJSON_Delete(rs);
			return;
		}
		exists = true;
		created = cJSON_Duplicate(store_get(ctrl_store(ds->c), ctrl_types(ds->c)->rs,
						    ctrl_namespace(ds->d), ctrl_name(rs)),
					  true);
	}
	cJSON_Delete(rs);
	if (!created)
		return;
	cJSON *before = cJSON_Duplicate(ctrl_path(ds->d, "status", NULL, NULL), true);
	snprintf(rev, sizeof(rev), "%lld", (long long)new_rev);
	bool upd = set_deploy_revision(ds, rev);
	if (!exists && deploy_has_deadline(ds->d)) {
		progressing_if_missing(ds, "NewReplicaSetCreated", "Created new replica set \"%s\"",
				       ctrl_name(created), true);
		upd = true;
	}
	append_rs(ds, created);
	if (upd)
		dsync_write_status(ds, before);
	cJSON_Delete(before);
}

/* getAllReplicaSetsAndSyncRevision: finds (and with create, makes) the new RS. */
static void find_new_rs(struct dsync *ds, bool create)
{
	const cJSON *tmpl = ctrl_path(ds->d, "spec", "template", NULL);
	ds->new_idx = -1;
	for (size_t i = 0; i < ds->n; i++) {
		if (ctrl_template_equal(ctrl_path(ds->rss[i], "spec", "template", NULL), tmpl)) {
			ds->new_idx = (int)i;
			break;
		}
	}
	int64_t new_rev = max_old_revision(ds) + 1;
	if (ds->new_idx >= 0)
		sync_existing_new_rs(ds, new_rev);
	else if (create && ctrl_selector_matches(ctrl_path(ds->d, "spec", "selector", NULL),
						 ctrl_path(ctrl_path(tmpl, "metadata", NULL, NULL),
							   "labels", NULL, NULL)))
		create_new_rs(ds, new_rev); /* (validation refuses a non-matching template) */
}

/* reconcileNewReplicaSet. */
static bool reconcile_new_rs(struct dsync *ds)
{
	if (ds->new_idx < 0)
		return false;
	int cur = rs_replicas(ds->rss[ds->new_idx]);
	if (cur == ds->replicas)
		return false;
	int want = cur > ds->replicas ? ds->replicas : new_rs_new_replicas(ds, cur);
	if (want == cur)
		return false;
	return dsync_scale_rs(ds, (size_t)ds->new_idx, want);
}

/* cleanupUnhealthyReplicas: scale down old RSs' unavailable replicas first. */
static int cleanup_unhealthy(struct dsync *ds, int max_cleanup)
{
	int total = 0;
	for (size_t i = 0; i < ds->n && total < max_cleanup; i++) {
		cJSON *rs = ds->rss[i];
		int spec = rs_replicas(rs), avail = rs_status(rs, "availableReplicas");
		if ((int)i == ds->new_idx || spec == 0 || spec == avail)
			continue;
		int down = max_cleanup - total;
		if (down > spec - avail)
			down = spec - avail;
		dsync_scale_rs(ds, i, spec - down);
		total += down;
	}
	return total;
}

/* scaleDownOldReplicaSetsForRollingUpdate. */
static int scale_down_old(struct dsync *ds)
{
	int min_avail = ds->replicas - deploy_max_unavailable(ds->d);
	int avail = 0, total = 0;
	for (size_t i = 0; i < ds->n; i++)
		avail += rs_status(ds->rss[i], "availableReplicas");
	if (avail <= min_avail)
		return 0;
	int want = avail - min_avail;
	for (size_t i = 0; i < ds->n && total < want; i++) {
		int spec = rs_replicas(ds->rss[i]);
		if ((int)i == ds->new_idx || spec == 0)
			continue;
		int down = want - total < spec ? want - total : spec;
		dsync_scale_rs(ds, i, spec - down);
		total += down;
	}
	return total;
}

/* reconcileOldReplicaSets. */
static bool reconcile_old_rss(struct dsync *ds)
{
	int old = 0, all = 0;
	for (size_t i = 0; i < ds->n; i++) {
		all += rs_replicas(ds->rss[i]);
		if ((int)i != ds->new_idx)
			old += rs_replicas(ds->rss[i]);
	}
	if (old == 0)
		return false;
	int min_avail = ds->replicas - deploy_max_unavailable(ds->d);
	int new_unavail = 0;
	if (ds->new_idx >= 0)
		new_unavail = rs_replicas(ds->rss[ds->new_idx]) -
			      rs_status(ds->rss[ds->new_idx], "availableReplicas");
	int max_down = all - min_avail - new_unavail;
	if (max_down <= 0)
		return false;
	int cleaned = cleanup_unhealthy(ds, max_down);
	int scaled = scale_down_old(ds);
	return cleaned + scaled > 0;
}

static void rollout_rolling(struct dsync *ds)
{
	find_new_rs(ds, true);
	if (reconcile_new_rs(ds) || reconcile_old_rss(ds)) {
		dsync_rollout_status(ds);
		return;
	}
	if (deploy_complete(ds->d, ctrl_path(ds->d, "status", NULL, NULL)))
		dsync_cleanup(ds);
	dsync_rollout_status(ds);
}

static void rollout_recreate(struct dsync *ds)
{
	bool scaled = false;
	int old_pods = 0;
	find_new_rs(ds, false);
	for (size_t i = 0; i < ds->n; i++) {
		if ((int)i == ds->new_idx)
			continue;
		if (rs_replicas(ds->rss[i]) > 0)
			scaled |= dsync_scale_rs(ds, i, 0);
		old_pods += rs_status(ds->rss[i], "replicas");
	}
	/* oldPodsRunning: the old RSs' active pods stand in for the pod list. */
	if (scaled || old_pods > 0) {
		dsync_rollout_status(ds);
		return;
	}
	if (ds->new_idx < 0)
		find_new_rs(ds, true);
	if (ds->new_idx >= 0 && rs_replicas(ds->rss[ds->new_idx]) != ds->replicas)
		dsync_scale_rs(ds, (size_t)ds->new_idx, ds->replicas);
	if (deploy_complete(ds->d, ctrl_path(ds->d, "status", NULL, NULL)))
		dsync_cleanup(ds);
	dsync_rollout_status(ds);
}

/* checkPausedConditions. */
static void check_paused(struct dsync *ds)
{
	char now[32];
	cJSON *before;
	const cJSON *cond = ctrl_condition(ctrl_path(ds->d, "status", NULL, NULL), "Progressing");
	const char *reason = ctrl_str(cond, "reason", NULL, NULL);
	if (!deploy_has_deadline(ds->d) ||
	    (reason && strcmp(reason, "ProgressDeadlineExceeded") == 0))
		return;
	bool paused = cJSON_IsTrue(ctrl_path(ds->d, "spec", "paused", NULL));
	bool has_paused = reason && strcmp(reason, "DeploymentPaused") == 0;
	if (paused == has_paused)
		return;
	before = cJSON_Duplicate(ctrl_path(ds->d, "status", NULL, NULL), true);
	ctrl_now_str(ds->c, now);
	ctrl_condition_set(ctrl_obj_child(ds->d, "status"), "Progressing", "Unknown",
			   paused ? "DeploymentPaused" : "DeploymentResumed",
			   paused ? "Deployment is paused" : "Deployment is resumed", now, true);
	dsync_write_status(ds, before);
	cJSON_Delete(before);
}

/* sync(): scaling and cleanup without a rollout (paused or a scaling event). */
static void sync_scale_only(struct dsync *ds)
{
	find_new_rs(ds, false);
	dsync_scale(ds);
	if (cJSON_IsTrue(ctrl_path(ds->d, "spec", "paused", NULL)))
		dsync_cleanup(ds);
	dsync_status_only(ds);
}

void deploy_sync(struct controllers *c, const char *ns, const char *name)
{
	struct dsync ds;
	if (!dsync_load(&ds, c, ns, name))
		goto out;
	if (ctrl_selector_empty(ctrl_path(ds.d, "spec", "selector", NULL))) {
		/* Selecting everything is refused: only observedGeneration moves. */
		cJSON *before = cJSON_Duplicate(ctrl_path(ds.d, "status", NULL, NULL), true);
		ctrl_set_int(ctrl_obj_child(ds.d, "status"), "observedGeneration",
			     ctrl_int(ds.d, "metadata", "generation", NULL, 0));
		dsync_write_status(&ds, before);
		cJSON_Delete(before);
		goto out;
	}
	if (ctrl_path(ds.d, "metadata", "deletionTimestamp", NULL)) {
		find_new_rs(&ds, false);
		dsync_status_only(&ds);
		goto out;
	}
	check_paused(&ds);
	if (cJSON_IsTrue(ctrl_path(ds.d, "spec", "paused", NULL)) || dsync_is_scaling_event(&ds)) {
		sync_scale_only(&ds);
		goto out;
	}
	const char *type = ctrl_str(ds.d, "spec", "strategy", "type");
	if (type && strcmp(type, "Recreate") == 0)
		rollout_recreate(&ds);
	else
		rollout_rolling(&ds);
out:
	dsync_dispose(&ds);
}
