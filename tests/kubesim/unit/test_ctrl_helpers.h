/*
 * Shared fixture for the controller unit tests: a store, controllers without a thread
 * on a fake clock, and helpers to write objects the way the HTTP layer would (with
 * the server's defaults) and to run the controllers until they settle.
 */
#ifndef KUBESIM_TEST_CTRL_HELPERS_H
#define KUBESIM_TEST_CTRL_HELPERS_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "controllers.h"
#include "ctrl_util.h"
#include "merge.h"
#include "store.h"

struct fx {
	struct store *st;
	struct controllers *c;
};

static inline int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof(*f));
	struct sim_config cfg = {.pod_ready_ms = 200};
	struct timespec ts;
	snprintf(cfg.fail_images, sizeof(cfg.fail_images), "*:bad*");
	f->st = store_new(&cfg);
	f->c = controllers_new(f->st, false);
	clock_gettime(CLOCK_REALTIME, &ts);
	controllers_set_time(f->c, (int64_t)ts.tv_sec * 1000);
	*state = f;
	return f->st && f->c ? 0 : -1;
}

static inline int fx_teardown(void **state)
{
	struct fx *f = *state;
	store_free(f->st);
	controllers_free(f->c);
	free(f);
	return 0;
}

static inline const struct restype *fx_type(struct fx *f, const char *group, const char *res)
{
	const struct restype *rt = store_type(f->st, group, res);
	assert_non_null(rt);
	return rt;
}

static inline struct merge_kind fx_kind(const struct restype *rt)
{
	struct merge_kind k = {rt->group, rt->version, rt->kind};
	return k;
}

/* Runs queued work, moving the clock by step ms between rounds, for total ms. */
static inline void fx_settle_for(struct fx *f, int64_t total, int64_t step)
{
	for (int64_t t = 0; t <= total; t += step) {
		controllers_run(f->c, 100000);
		controllers_advance(f->c, step);
	}
	controllers_run(f->c, 100000);
}

static inline void fx_settle(struct fx *f)
{
	fx_settle_for(f, 2000, 100);
}

/* Creates obj (defaulted as the server would). */
static inline void fx_create(struct fx *f, const struct restype *rt, cJSON *obj)
{
	struct store_wopts o = {.manager = "kubectl", .grace_seconds = -1};
	struct kstatus e = {0};
	struct merge_kind k = fx_kind(rt);
	merge_defaults(obj, &k);
	int rc = store_create(f->st, rt,
			      cJSON_GetStringValue(cJSON_GetObjectItem(
				  cJSON_GetObjectItem(obj, "metadata"), "namespace")),
			      obj, &o, NULL, &e);
	if (rc < 0)
		fprintf(stderr, "create: %s\n", e.message);
	assert_true(rc >= 0);
	kstatus_dispose(&e);
	cJSON_Delete(obj);
}

static inline void fx_update(struct fx *f, const struct restype *rt, cJSON *obj)
{
	struct store_wopts o = {.manager = "kubectl", .grace_seconds = -1};
	struct kstatus e = {0};
	struct merge_kind k = fx_kind(rt);
	merge_defaults(obj, &k);
	int rc = store_update(f->st, rt, ctrl_namespace(obj), obj, &o, NULL, &e);
	if (rc < 0)
		fprintf(stderr, "update: %s\n", e.message);
	assert_true(rc >= 0);
	kstatus_dispose(&e);
	cJSON_Delete(obj);
}

static inline int fx_delete(struct fx *f, const struct restype *rt, const char *ns,
			    const char *name, const char *propagation)
{
	struct store_wopts o = {
	    .manager = "kubectl", .grace_seconds = -1, .propagation = propagation};
	struct kstatus e = {0};
	int rc = store_delete(f->st, rt, ns, name, &o, NULL, &e);
	kstatus_dispose(&e);
	return rc;
}

/* A copy of the stored object, or NULL. */
static inline cJSON *fx_get(struct fx *f, const struct restype *rt, const char *ns,
			    const char *name)
{
	store_lock(f->st);
	const cJSON *o = store_get(f->st, rt, ns, name);
	cJSON *copy = o ? cJSON_Duplicate(o, 1) : NULL;
	store_unlock(f->st);
	return copy;
}

/* Copies of all objects of rt in ns as a JSON array. */
static inline cJSON *fx_list(struct fx *f, const struct restype *rt, const char *ns)
{
	const cJSON **objs = NULL;
	cJSON *arr = cJSON_CreateArray();
	store_lock(f->st);
	size_t n = store_list(f->st, rt, ns, &objs);
	for (size_t i = 0; i < n; i++)
		cJSON_AddItemToArray(arr, cJSON_Duplicate(objs[i], 1));
	store_unlock(f->st);
	free(objs);
	return arr;
}

static inline int fx_count(struct fx *f, const struct restype *rt, const char *ns)
{
	cJSON *arr = fx_list(f, rt, ns);
	int n = cJSON_GetArraySize(arr);
	cJSON_Delete(arr);
	return n;
}

static inline cJSON *fx_parse(const char *json)
{
	cJSON *o = cJSON_Parse(json);
	assert_non_null(o);
	return o;
}

#endif
