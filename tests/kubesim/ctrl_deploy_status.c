/*
 * ctrl_deploy_status: the Deployment controller's arithmetic and bookkeeping:
 * maxSurge/maxUnavailable (ResolveFenceposts), proportional scaling (sync.go scale),
 * status and the Available/Progressing conditions (calculateStatus,
 * syncRolloutStatus), the progress-deadline timer and history cleanup. k8s 1.28
 * pkg/controller/deployment/{sync.go,progress.go,util/deployment_util.go}.
 */
#include "ctrl_deploy_int.h"

#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int rs_replicas(const cJSON *rs)
{
	return (int)ctrl_int(rs, "spec", "replicas", NULL, 1);
}

int rs_status(const cJSON *rs, const char *field)
{
	return (int)ctrl_int(rs, "status", field, NULL, 0);
}

int64_t rs_revision(const cJSON *rs)
{
	const char *v = ctrl_annotation(rs, ANN_REVISION);
	char *end;
	if (!v)
		return 0;
	long long r = strtoll(v, &end, 10);
	return end == v || *end ? 0 : r;
}

static bool is_rolling(const cJSON *d)
{
	const char *type = ctrl_str(d, "spec", "strategy", "type");
	return !type || strcmp(type, "RollingUpdate") == 0;
}

/* ResolveFenceposts: surge rounds up, unavailable down; both 0 means unavailable 1. */
static void fenceposts(const cJSON *d, int *surge, int *unavail)
{
	int replicas = (int)ctrl_int(d, "spec", "replicas", NULL, 1);
	const cJSON *ru = ctrl_path(d, "spec", "strategy", "rollingUpdate");
	const cJSON *ms = ctrl_path(ru, "maxSurge", NULL, NULL);
	const cJSON *mu = ctrl_path(ru, "maxUnavailable", NULL, NULL);
	cJSON *def = cJSON_CreateString("25%");
	*surge = ctrl_intstr_scaled(ms ? ms : def, replicas, true, 0);
	*unavail = ctrl_intstr_scaled(mu ? mu : def, replicas, false, 0);
	cJSON_Delete(def);
	if (*surge == 0 && *unavail == 0)
		*unavail = 1;
}

int deploy_max_surge(const cJSON *d)
{
	int s, u;
	if (!is_rolling(d))
		return 0;
	fenceposts(d, &s, &u);
	return s;
}

int deploy_max_unavailable(const cJSON *d)
{
	int s, u, replicas = (int)ctrl_int(d, "spec", "replicas", NULL, 1);
	if (!is_rolling(d) || replicas == 0)
		return 0;
	fenceposts(d, &s, &u);
	return u > replicas ? replicas : u;
}

bool deploy_has_deadline(const cJSON *d)
{
	const cJSON *p = ctrl_path(d, "spec", "progressDeadlineSeconds", NULL);
	return cJSON_IsNumber(p) && p->valuedouble < INT_MAX;
}

bool deploy_complete(const cJSON *d, const cJSON *status)
{
	int r = (int)ctrl_int(d, "spec", "replicas", NULL, 1);
	return ctrl_int(status, "updatedReplicas", NULL, NULL, 0) == r &&
	       ctrl_int(status, "replicas", NULL, NULL, 0) == r &&
	       ctrl_int(status, "availableReplicas", NULL, NULL, 0) == r &&
	       ctrl_int(status, "observedGeneration", NULL, NULL, 0) >=
		   ctrl_int(d, "metadata", "generation", NULL, 0);
}

void dsync_write_status(struct dsync *ds, const cJSON *old_status)
{
	const struct restype *rt = ctrl_types(ds->c)->deploy;
	const cJSON *live =
	    store_get(ctrl_store(ds->c), rt, ctrl_namespace(ds->d), ctrl_name(ds->d));
	if (!live)
		return;
	/* Annotations travel with /status too (the revision annotation). */
	if (cJSON_Compare(old_status, ctrl_path(ds->d, "status", NULL, NULL), true) &&
	    cJSON_Compare(ctrl_path(live, "metadata", "annotations", NULL),
			  ctrl_path(ds->d, "metadata", "annotations", NULL), true))
		return;
	ctrl_update(ds->c, rt, ds->d, CTRL_MANAGER, true);
	live = store_get(ctrl_store(ds->c), rt, ctrl_namespace(ds->d), ctrl_name(ds->d));
	if (live) {
		cJSON_Delete(ds->d);
		ds->d = cJSON_Duplicate(live, true);
	}
}

static void add_nonzero(cJSON *o, const char *key, int64_t v)
{
	if (v)
		cJSON_AddNumberToObject(o, key, (double)v);
}

cJSON *dsync_calc_status(struct dsync *ds)
{
	int replicas = 0, ready = 0, avail = 0, total = 0, updated = 0;
	char now[32];
	const cJSON *old = ctrl_path(ds->d, "status", NULL, NULL);
	for (size_t i = 0; i < ds->n; i++) {
		replicas += rs_status(ds->rss[i], "replicas");
		ready += rs_status(ds->rss[i], "readyReplicas");
		avail += rs_status(ds->rss[i], "availableReplicas");
		total += rs_replicas(ds->rss[i]);
	}
	if (ds->new_idx >= 0)
		updated = rs_status(ds->rss[ds->new_idx], "replicas");
	cJSON *st = cJSON_CreateObject();
	add_nonzero(st, "observedGeneration", ctrl_int(ds->d, "metadata", "generation", NULL, 0));
	add_nonzero(st, "replicas", replicas);
	add_nonzero(st, "updatedReplicas", updated);
	add_nonzero(st, "readyReplicas", ready);
	add_nonzero(st, "availableReplicas", avail);
	add_nonzero(st, "unavailableReplicas", total - avail > 0 ? total - avail : 0);
	if (ctrl_path(old, "conditions", NULL, NULL))
		cJSON_AddItemToObject(
		    st, "conditions",
		    cJSON_Duplicate(ctrl_path(old, "conditions", NULL, NULL), true));
	if (ctrl_path(old, "collisionCount", NULL, NULL))
		cJSON_AddItemToObject(
		    st, "collisionCount",
		    cJSON_Duplicate(ctrl_path(old, "collisionCount", NULL, NULL), true));
	ctrl_now_str(ds->c, now);
	if (avail >= ds->replicas - deploy_max_unavailable(ds->d))
		ctrl_condition_set(st, "Available", "True", "MinimumReplicasAvailable",
				   "Deployment has minimum availability.", now, true);
	else
		ctrl_condition_set(st, "Available", "False", "MinimumReplicasUnavailable",
				   "Deployment does not have minimum availability.", now, true);
	return st;
}

static void replace_status(struct dsync *ds, cJSON *st)
{
	cJSON *old = cJSON_DetachItemFromObjectCaseSensitive(ds->d, "status");
	cJSON_AddItemToObject(ds->d, "status", st);
	dsync_write_status(ds, old);
	cJSON_Delete(old);
}

void dsync_status_only(struct dsync *ds)
{
	replace_status(ds, dsync_calc_status(ds));
}

/* DeploymentProgressing: any progress since the last recorded status. */
static bool progressing(const cJSON *old, const cJSON *st)
{
	int64_t ou = ctrl_int(old, "updatedReplicas", NULL, NULL, 0);
	int64_t nu = ctrl_int(st, "updatedReplicas", NULL, NULL, 0);
	int64_t oold = ctrl_int(old, "replicas", NULL, NULL, 0) - ou;
	int64_t nold = ctrl_int(st, "replicas", NULL, NULL, 0) - nu;
	return nu > ou || nold < oold ||
	       ctrl_int(st, "readyReplicas", NULL, NULL, 0) >
		   ctrl_int(old, "readyReplicas", NULL, NULL, 0) ||
	       ctrl_int(st, "availableReplicas", NULL, NULL, 0) >
		   ctrl_int(old, "availableReplicas", NULL, NULL, 0);
}

static int64_t deadline_due(const cJSON *d, const cJSON *cond)
{
	int64_t from = ctrl_time_parse(ctrl_str(cond, "lastUpdateTime", NULL, NULL));
	if (from < 0)
		return -1;
	return from + ctrl_int(d, "spec", "progressDeadlineSeconds", NULL, 600) * 1000;
}

/* DeploymentTimedOut. */
static bool timed_out(struct dsync *ds, const cJSON *st)
{
	const cJSON *cond = ctrl_condition(st, "Progressing");
	const char *reason = ctrl_str(cond, "reason", NULL, NULL);
	if (!deploy_has_deadline(ds->d) || !cond || !reason ||
	    strcmp(reason, "NewReplicaSetAvailable") == 0)
		return false;
	if (strcmp(reason, "ProgressDeadlineExceeded") == 0)
		return true;
	int64_t due = deadline_due(ds->d, cond);
	return due >= 0 && due < ctrl_now(ds->c);
}

static void set_progress_conditions(struct dsync *ds, cJSON *st, const cJSON *old)
{
	char msg[512], now[32], ltt[40] = "";
	const char *rsname = ds->new_idx >= 0 ? ctrl_name(ds->rss[ds->new_idx]) : NULL;
	const char *what = rsname ? "ReplicaSet" : "Deployment";
	const char *who = rsname ? rsname : ctrl_name(ds->d);
	ctrl_now_str(ds->c, now);
	if (deploy_complete(ds->d, st)) {
		snprintf(msg, sizeof(msg), "%s \"%s\" has successfully progressed.", what, who);
		ctrl_condition_set(st, "Progressing", "True", "NewReplicaSetAvailable", msg, now,
				   true);
	} else if (progressing(old, st)) {
		/* Rewritten on every progress so lastUpdateTime moves; the transition time
		 * stays while the condition remains True. */
		const cJSON *cur = ctrl_condition(st, "Progressing");
		const char *cs = ctrl_str(cur, "status", NULL, NULL);
		if (cs && strcmp(cs, "True") == 0 &&
		    ctrl_str(cur, "lastTransitionTime", NULL, NULL))
			snprintf(ltt, sizeof(ltt), "%s",
				 ctrl_str(cur, "lastTransitionTime", NULL, NULL));
		ctrl_condition_remove(st, "Progressing");
		snprintf(msg, sizeof(msg), "%s \"%s\" is progressing.", what, who);
		ctrl_condition_set(st, "Progressing", "True", "ReplicaSetUpdated", msg, now, true);
		if (*ltt)
			ctrl_set_str((cJSON *)ctrl_condition(st, "Progressing"),
				     "lastTransitionTime", ltt);
	} else if (timed_out(ds, st)) {
		snprintf(msg, sizeof(msg), "%s \"%s\" has timed out progressing.", what, who);
		ctrl_condition_set(st, "Progressing", "False", "ProgressDeadlineExceeded", msg, now,
				   true);
	}
}

/* requeueStuckDeployment: wake up when the progress deadline passes. */
static void requeue_stuck(struct dsync *ds, const cJSON *st)
{
	const cJSON *cond = ctrl_condition(st, "Progressing");
	const char *reason = ctrl_str(cond, "reason", NULL, NULL);
	if (!deploy_has_deadline(ds->d) || !cond || deploy_complete(ds->d, st) ||
	    (reason && strcmp(reason, "ProgressDeadlineExceeded") == 0))
		return;
	int64_t due = deadline_due(ds->d, cond);
	if (due < 0)
		return;
	/* lastUpdateTime has whole seconds and the check is strict: look a second later. */
	due += 1000;
	int64_t now = ctrl_now(ds->c);
	if (due < now + 50)
		due = now + 50;
	ctrl_enqueue_at(ds->c, due, CK_DEPLOY, ctrl_types(ds->c)->deploy, ctrl_namespace(ds->d),
			ctrl_name(ds->d), NULL);
}

void dsync_rollout_status(struct dsync *ds)
{
	cJSON *st = dsync_calc_status(ds);
	const cJSON *old = ctrl_path(ds->d, "status", NULL, NULL);
	if (!deploy_has_deadline(ds->d))
		ctrl_condition_remove(st, "Progressing");
	const cJSON *cur = ctrl_condition(st, "Progressing");
	const char *reason = ctrl_str(cur, "reason", NULL, NULL);
	bool complete = ctrl_int(st, "replicas", NULL, NULL, 0) ==
			    ctrl_int(st, "updatedReplicas", NULL, NULL, 0) &&
			reason && strcmp(reason, "NewReplicaSetAvailable") == 0;
	if (deploy_has_deadline(ds->d) && !complete)
		set_progress_conditions(ds, st, old);
	if (cJSON_Compare(old, st, true)) {
		requeue_stuck(ds, st);
		cJSON_Delete(st);
		return;
	}
	replace_status(ds, st);
}

/* ---- scaling (sync.go scale) ---------------------------------------------------------- */

static bool rs_active(const cJSON *rs)
{
	return rs_replicas(rs) > 0;
}

bool dsync_is_scaling_event(struct dsync *ds)
{
	const cJSON *tmpl = ctrl_path(ds->d, "spec", "template", NULL);
	for (size_t i = 0; i < ds->n; i++) {
		const char *des = ctrl_annotation(ds->rss[i], ANN_DESIRED);
		(void)tmpl;
		if (!rs_active(ds->rss[i]) || !des)
			continue;
		if (atoi(des) != ds->replicas)
			return true;
	}
	return false;
}

/* FindActiveOrLatest: the single active RS, or the newest when none is active. */
static int active_or_latest(struct dsync *ds)
{
	int active = -1, count = 0;
	if (ds->n == 0)
		return -1;
	for (size_t i = 0; i < ds->n; i++) {
		if (rs_active(ds->rss[i])) {
			active = (int)i;
			count++;
		}
	}
	if (count == 1)
		return active;
	if (count == 0)
		return ds->new_idx >= 0 ? ds->new_idx : (int)ds->n - 1;
	return -1;
}

static bool is_saturated(struct dsync *ds)
{
	if (ds->new_idx < 0)
		return false;
	const cJSON *rs = ds->rss[ds->new_idx];
	const char *des = ctrl_annotation(rs, ANN_DESIRED);
	return des && atoi(des) == ds->replicas && rs_replicas(rs) == ds->replicas &&
	       rs_status(rs, "availableReplicas") == ds->replicas;
}

/* getReplicaSetFraction. */
static int rs_fraction(struct dsync *ds, const cJSON *rs)
{
	if (ds->replicas == 0)
		return -rs_replicas(rs);
	int dep = ds->replicas + deploy_max_surge(ds->d);
	const char *maxa = ctrl_annotation(rs, ANN_MAX);
	int annotated = maxa ? atoi(maxa) : (int)ctrl_int(ds->d, "status", "replicas", NULL, 0);
	if (annotated <= 0)
		return 0;
	double size = (double)rs_replicas(rs) * dep / annotated;
	return (int)lround(size) - rs_replicas(rs);
}

/* The active ReplicaSets as indices into ds->rss; *total gets their replicas. */
static size_t active_sets(const struct dsync *ds, int *idx, int *total)
{
	size_t k = 0;

	for (size_t i = 0; i < ds->n; i++) {
		if (rs_active(ds->rss[i])) {
			idx[k++] = (int)i;
			*total += rs_replicas(ds->rss[i]);
		}
	}
	return k;
}

/* Whether the ReplicaSet at a is scaled before the one at b: larger first; on ties
 * newer first when growing, older first when shrinking (ReplicaSetsBySizeNewer,
 * ReplicaSetsBySizeOlder). */
static bool scaled_before(const struct dsync *ds, int a, int b, bool growing)
{
	int x = rs_replicas(ds->rss[a]), y = rs_replicas(ds->rss[b]);

	return x > y || (x == y && (growing ? a > b : a < b));
}

/* Insertion sort: stable, and k is a handful. */
static void sort_for_scaling(const struct dsync *ds, int *idx, size_t k, bool growing)
{
	for (size_t a = 1; a < k; a++) {
		for (size_t b = a; b > 0 && scaled_before(ds, idx[b], idx[b - 1], growing); b--) {
			int t = idx[b];
			idx[b] = idx[b - 1];
			idx[b - 1] = t;
		}
	}
}

/* Each set's share of to_add, capped by what is left; the rounding rest goes to the
 * first (the largest), never below zero. */
static void proportional_sizes(struct dsync *ds, const int *idx, size_t k, int to_add,
			       int *sizes)
{
	int added = 0;

	for (size_t i = 0; i < k; i++) {
		const cJSON *rs = ds->rss[idx[i]];
		int prop = 0;
		if (to_add != 0 && to_add != added && rs_replicas(rs) != 0) {
			int frac = rs_fraction(ds, rs), left = to_add - added;
			prop =
			    to_add > 0 ? (frac < left ? frac : left) : (frac > left ? frac : left);
		}
		sizes[i] = rs_replicas(rs) + prop;
		added += prop;
	}
	if (k && to_add != 0) {
		sizes[0] += to_add - added;
		if (sizes[0] < 0)
			sizes[0] = 0;
	}
}

static void scale_proportionally(struct dsync *ds)
{
	int total = 0, idx[ds->n ? ds->n : 1], sizes[ds->n ? ds->n : 1];
	size_t k = active_sets(ds, idx, &total);
	int allowed = ds->replicas > 0 ? ds->replicas + deploy_max_surge(ds->d) : 0;
	int to_add = allowed - total;

	sort_for_scaling(ds, idx, k, to_add > 0);
	proportional_sizes(ds, idx, k, to_add, sizes);
	for (size_t i = 0; i < k; i++)
		dsync_scale_rs(ds, (size_t)idx[i], sizes[i]);
}

void dsync_scale(struct dsync *ds)
{
	int al = active_or_latest(ds);
	if (al >= 0) {
		if (rs_replicas(ds->rss[al]) != ds->replicas)
			dsync_scale_rs(ds, (size_t)al, ds->replicas);
		return;
	}
	if (is_saturated(ds)) {
		for (size_t i = 0; i < ds->n; i++)
			if ((int)i != ds->new_idx && rs_active(ds->rss[i]))
				dsync_scale_rs(ds, i, 0);
		return;
	}
	if (is_rolling(ds->d))
		scale_proportionally(ds);
}

/* ---- history cleanup (cleanupDeployment) ------------------------------------------------ */

static int cmp_revision(const void *a, const void *b)
{
	const cJSON *x = *(const cJSON *const *)a, *y = *(const cJSON *const *)b;
	int64_t rx = rs_revision(x), ry = rs_revision(y);
	if (rx != ry)
		return rx < ry ? -1 : 1;
	return strcmp(ctrl_name(x), ctrl_name(y));
}

void dsync_cleanup(struct dsync *ds)
{
	const cJSON *lim = ctrl_path(ds->d, "spec", "revisionHistoryLimit", NULL);
	const cJSON *old[ds->n ? ds->n : 1];
	size_t k = 0;
	if (!cJSON_IsNumber(lim))
		return;
	for (size_t i = 0; i < ds->n; i++)
		if ((int)i != ds->new_idx &&
		    !ctrl_path(ds->rss[i], "metadata", "deletionTimestamp", NULL))
			old[k++] = ds->rss[i];
	int diff = (int)k - (int)lim->valuedouble;
	if (diff <= 0)
		return;
	qsort(old, k, sizeof(old[0]), cmp_revision);
	for (int i = 0; i < diff; i++) {
		const cJSON *rs = old[i];
		if (rs_status(rs, "replicas") != 0 || rs_replicas(rs) != 0 ||
		    ctrl_int(rs, "metadata", "generation", NULL, 0) >
			rs_status(rs, "observedGeneration"))
			continue;
		ctrl_delete(ds->c, ctrl_types(ds->c)->rs, ctrl_namespace(rs), ctrl_name(rs),
			    "Background", -1);
	}
}
