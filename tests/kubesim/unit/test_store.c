/* Unit tests for kubesim's store: the metadata rules of the semantics spec §3, §11, §12. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store_int.h"

struct seen {
	int n;
	enum store_ev last;
	uint64_t last_rv;
};

static void on_write(void *ud, const struct store_event *ev)
{
	struct seen *s = ud;

	s->n++;
	s->last = ev->type;
	s->last_rv = ev->rv;
}

static cJSON *obj_parse(const char *json)
{
	cJSON *o = cJSON_Parse(json);

	assert_non_null(o);
	return o;
}

static const char *meta(const cJSON *o, const char *k)
{
	return obj_str(cJSON_GetObjectItem(o, "metadata"), k, NULL);
}

static int64_t gen(const cJSON *o)
{
	const cJSON *g = cJSON_GetObjectItem(cJSON_GetObjectItem(o, "metadata"), "generation");

	return cJSON_IsNumber(g) ? (int64_t)g->valuedouble : -1;
}

static struct store *setup(struct seen *s)
{
	struct sim_config cfg = {.pod_ready_ms = 10};
	struct store *st = store_new(&cfg);

	assert_non_null(st);
	if (s)
		store_subscribe(st, on_write, s);
	return st;
}

static void test_create_sets_metadata(void **state)
{
	struct store *st = setup(NULL);
	const struct restype *cm = store_type(st, "", "configmaps");
	struct store_wopts w = {.manager = "test"};
	struct kstatus e = {0};
	cJSON *in = obj_parse("{\"metadata\":{\"name\":\"a\",\"uid\":\"mine\"},\"data\":{\"k\":\"v\"}}");
	cJSON *out = NULL;
	uint64_t rv0 = store_rv(st);
	char rv[24];

	(void)state;
	assert_int_equal(store_create(st, cm, "default", in, &w, &out, &e), 0);
	snprintf(rv, sizeof(rv), "%llu", (unsigned long long)rv0 + 1);
	assert_string_equal(meta(out, "resourceVersion"), rv);
	assert_string_not_equal(meta(out, "uid"), "mine");
	assert_int_equal(strlen(meta(out, "uid")), 36);
	assert_non_null(meta(out, "creationTimestamp"));
	assert_string_equal(meta(out, "namespace"), "default");
	assert_string_equal(obj_str(out, "kind", NULL), "ConfigMap");
	assert_int_equal(gen(out), -1); /* ConfigMaps have no generation */
	cJSON_Delete(out);

	/* same name again: 409 AlreadyExists */
	assert_true(store_create(st, cm, "default", in, &w, NULL, &e) < 0);
	assert_int_equal(e.code, 409);
	assert_string_equal(e.reason, "AlreadyExists");
	assert_string_equal(e.message, "configmaps \"a\" already exists");
	kstatus_dispose(&e);
	memset(&e, 0, sizeof(e));

	/* missing namespace: 404 namespaces "x" not found */
	assert_true(store_create(st, cm, "nope", in, &w, NULL, &e) < 0);
	assert_int_equal(e.code, 404);
	assert_string_equal(e.message, "namespaces \"nope\" not found");
	assert_int_equal(store_rv(st), rv0 + 1);
	cJSON_Delete(in);
	store_free(st);
}

static void test_update_conflict_and_noop(void **state)
{
	struct seen s = {0};
	struct store *st = setup(&s);
	const struct restype *cm = store_type(st, "", "configmaps");
	struct store_wopts w = {.manager = "test"};
	struct kstatus e = {0};
	cJSON *in = obj_parse("{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"v\"}}");
	cJSON *out = NULL, *upd;
	uint64_t rv;

	(void)state;
	assert_int_equal(store_create(st, cm, "default", in, &w, &out, &e), 0);
	rv = store_rv(st);
	assert_int_equal(s.n, 1);
	/* stale resourceVersion */
	upd = obj_parse("{\"metadata\":{\"name\":\"a\",\"resourceVersion\":\"1\"},\"data\":{\"k\":\"x\"}}");
	assert_true(store_update(st, cm, "default", upd, &w, NULL, &e) < 0);
	assert_int_equal(e.code, 409);
	assert_string_equal(e.reason, "Conflict");
	assert_non_null(strstr(e.message, "the object has been modified"));
	cJSON_Delete(upd);
	/* same content: no new RV, no event */
	assert_int_equal(store_update(st, cm, "default", out, &w, NULL, NULL), 1);
	assert_int_equal(store_rv(st), rv);
	assert_int_equal(s.n, 1);
	/* a real change: next RV, MODIFIED */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(out, "data"), "k", cJSON_CreateString("v2"));
	assert_int_equal(store_update(st, cm, "default", out, &w, NULL, NULL), 0);
	assert_int_equal(store_rv(st), rv + 1);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.last, STORE_MODIFIED);
	/* dry run: nothing stored */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(out, "data"), "k", cJSON_CreateString("v3"));
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(out, "metadata"), "resourceVersion");
	w.dry_run = true;
	assert_int_equal(store_update(st, cm, "default", out, &w, NULL, NULL), 0);
	assert_int_equal(store_rv(st), rv + 1);
	store_lock(st);
	assert_string_equal(obj_str(cJSON_GetObjectItem(store_get(st, cm, "default", "a"), "data"),
				    "k", NULL),
			    "v2");
	store_unlock(st);
	cJSON_Delete(in);
	cJSON_Delete(out);
	store_free(st);
}

static void test_generation_rules(void **state)
{
	struct store *st = setup(NULL);
	const struct restype *d = store_type(st, "apps", "deployments");
	struct store_wopts w = {.manager = "test"}, ws = {.manager = "kcm", .subresource = "status"};
	cJSON *in = obj_parse("{\"metadata\":{\"name\":\"web\"},\"spec\":{\"replicas\":1,"
			      "\"selector\":{\"matchLabels\":{\"app\":\"web\"}},\"template\":{"
			      "\"metadata\":{\"labels\":{\"app\":\"web\"}},\"spec\":{\"containers\":"
			      "[{\"name\":\"web\",\"image\":\"nginx\"}]}}},\"status\":{\"replicas\":9}}");
	cJSON *out = NULL, *o2 = NULL;

	(void)state;
	assert_int_equal(store_create(st, d, "default", in, &w, &out, NULL), 0);
	assert_int_equal(gen(out), 1);
	assert_null(cJSON_GetObjectItem(out, "status")); /* status cleared on create */
	/* spec change bumps */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(out, "spec"), "replicas", cJSON_CreateNumber(3));
	assert_int_equal(store_update(st, d, "default", out, &w, &o2, NULL), 0);
	assert_int_equal(gen(o2), 2);
	cJSON_Delete(out);
	/* annotation change bumps (Deployment only) */
	cJSON_AddObjectToObject(cJSON_GetObjectItem(o2, "metadata"), "annotations");
	cJSON_AddStringToObject(cJSON_GetObjectItem(cJSON_GetObjectItem(o2, "metadata"), "annotations"),
				"a", "1");
	assert_int_equal(store_update(st, d, "default", o2, &w, &out, NULL), 0);
	assert_int_equal(gen(out), 3);
	cJSON_Delete(o2);
	/* status write: no bump, spec untouched */
	cJSON_AddItemToObject(out, "status", obj_parse("{\"replicas\":3}"));
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(out, "spec"), "replicas", cJSON_CreateNumber(7));
	assert_int_equal(store_update(st, d, "default", out, &ws, &o2, NULL), 0);
	assert_int_equal(gen(o2), 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o2, "spec"), "replicas")->valueint, 3);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(o2, "status"), "replicas")->valueint, 3);
	cJSON_Delete(out);
	/* a main-resource write cannot change status */
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(o2, "status"), "replicas", cJSON_CreateNumber(0));
	assert_int_equal(store_update(st, d, "default", o2, &w, &out, NULL), 1);
	assert_int_equal(cJSON_GetObjectItem(cJSON_GetObjectItem(out, "status"), "replicas")->valueint, 3);
	cJSON_Delete(out);
	cJSON_Delete(o2);
	cJSON_Delete(in);
	store_free(st);
}

static void test_delete_and_finalizers(void **state)
{
	struct seen s = {0};
	struct store *st = setup(&s);
	const struct restype *cm = store_type(st, "", "configmaps");
	struct store_wopts w = {.manager = "test"};
	struct kstatus e = {0};
	cJSON *in = obj_parse("{\"metadata\":{\"name\":\"a\",\"finalizers\":[\"x/y\"]}}");
	cJSON *out = NULL;
	uint64_t rv;

	(void)state;
	assert_int_equal(store_create(st, cm, "default", in, &w, NULL, NULL), 0);
	assert_int_equal(store_delete(st, cm, "default", "a", &w, &out, NULL), 1);
	assert_non_null(meta(out, "deletionTimestamp"));
	assert_int_equal(s.last, STORE_MODIFIED);
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(out, "metadata"), "finalizers");
	rv = store_rv(st);
	assert_int_equal(store_update(st, cm, "default", out, &w, NULL, NULL), 0);
	assert_int_equal(s.last, STORE_DELETED);
	assert_int_equal(s.last_rv, rv + 1);
	store_lock(st);
	assert_null(store_get(st, cm, "default", "a"));
	store_unlock(st);
	cJSON_Delete(out);
	/* plain delete: DELETED at once; again: 404 */
	cJSON_DeleteItemFromObject(cJSON_GetObjectItem(in, "metadata"), "finalizers");
	assert_int_equal(store_create(st, cm, "default", in, &w, NULL, NULL), 0);
	assert_int_equal(store_delete(st, cm, "default", "a", &w, NULL, NULL), 0);
	assert_int_equal(s.last, STORE_DELETED);
	assert_true(store_delete(st, cm, "default", "a", &w, NULL, &e) < 0);
	assert_int_equal(e.code, 404);
	assert_string_equal(e.message, "configmaps \"a\" not found");
	/* immortal namespace */
	memset(&e, 0, sizeof(e));
	assert_true(store_delete(st, store_type(st, "", "namespaces"), NULL, "default", &w, NULL,
				 &e) < 0);
	assert_int_equal(e.code, 403);
	cJSON_Delete(in);
	store_free(st);
}

/* spec.finalizers: set on create, kept by updates that omit or change it, replaced only
 * through the finalize subresource (k8s pkg/registry/core/namespace/strategy.go). */
static void test_namespace_finalize(void **state)
{
	struct store *st = setup(NULL);
	const struct restype *ns = store_type(st, "", "namespaces");
	struct store_wopts w = {.manager = "test", .grace_seconds = -1};
	struct store_wopts fin = {.manager = "test", .grace_seconds = -1, .subresource = "finalize"};
	cJSON *in = obj_parse("{\"metadata\":{\"name\":\"team\"}}");
	cJSON *out = NULL, *mf;
	char *s;

	(void)state;
	assert_int_equal(store_create(st, ns, NULL, in, &w, &out, NULL), 0);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "spec"));
	assert_string_equal(s, "{\"finalizers\":[\"kubernetes\"]}");
	free(s);
	cJSON_Delete(out);
	/* a plain update without spec, or with another list, keeps the old value */
	cJSON_AddItemToObject(cJSON_GetObjectItem(in, "metadata"), "labels",
			      obj_parse("{\"a\":\"b\"}"));
	assert_int_equal(store_update(st, ns, NULL, in, &w, &out, NULL), 0);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "spec"));
	assert_string_equal(s, "{\"finalizers\":[\"kubernetes\"]}");
	free(s);
	cJSON_Delete(out);
	cJSON_AddItemToObject(in, "spec", obj_parse("{\"finalizers\":[]}"));
	assert_int_equal(store_update(st, ns, NULL, in, &w, &out, NULL), 1);
	cJSON_Delete(out);
	/* the finalize subresource replaces it, and its managedFields entry says so */
	assert_int_equal(store_update(st, ns, NULL, in, &fin, &out, NULL), 0);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "spec"));
	assert_string_equal(s, "{\"finalizers\":[]}");
	free(s);
	mf = cJSON_GetObjectItem(cJSON_GetObjectItem(out, "metadata"), "managedFields");
	s = cJSON_PrintUnformatted(mf);
	assert_non_null(strstr(s, "\"subresource\":\"finalize\""));
	free(s);
	cJSON_Delete(out);
	/* omitting the list keeps it empty afterwards: no default brings "kubernetes" back */
	cJSON_DeleteItemFromObject(in, "spec");
	assert_int_equal(store_update(st, ns, NULL, in, &w, &out, NULL), 1);
	assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(
			     cJSON_GetObjectItem(out, "spec"), "finalizers")),
			 0);
	cJSON_Delete(out);
	cJSON_Delete(in);
	store_free(st);
}

/* stringData is merged into data as base64 and never stored, dry-run included. */
static void test_secret_string_data(void **state)
{
	struct store *st = setup(NULL);
	const struct restype *sec = store_type(st, "", "secrets");
	struct store_wopts w = {.manager = "test", .grace_seconds = -1};
	struct store_wopts dry = {.manager = "test", .grace_seconds = -1, .dry_run = true};
	cJSON *in = obj_parse("{\"metadata\":{\"name\":\"s\"},\"data\":{\"a\":\"eA==\","
			      "\"b\":\"eQ==\"},\"stringData\":{\"b\":\"hello\",\"c\":\"\"}}");
	cJSON *out = NULL;
	const cJSON *got;
	char *s;

	(void)state;
	for (int i = 0; i < 2; i++) {
		assert_int_equal(store_create(st, sec, "default", in, i ? &w : &dry, &out, NULL), 0);
		assert_null(cJSON_GetObjectItem(out, "stringData"));
		s = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "data"));
		assert_string_equal(s, "{\"a\":\"eA==\",\"b\":\"aGVsbG8=\",\"c\":\"\"}");
		free(s);
		cJSON_Delete(out);
	}
	store_lock(st);
	got = store_get(st, sec, "default", "s");
	assert_null(cJSON_GetObjectItem(got, "stringData"));
	assert_string_equal(obj_str(got, "data", "b"), "aGVsbG8=");
	store_unlock(st);
	/* an update with stringData alone: data holds just those keys */
	cJSON_DeleteItemFromObject(in, "data");
	assert_int_equal(store_update(st, sec, "default", in, &w, &out, NULL), 0);
	s = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "data"));
	assert_string_equal(s, "{\"b\":\"aGVsbG8=\",\"c\":\"\"}");
	free(s);
	assert_null(cJSON_GetObjectItem(out, "stringData"));
	cJSON_Delete(out);
	cJSON_Delete(in);
	store_free(st);
}

static void test_list_sorted_and_filtered(void **state)
{
	struct store *st = setup(NULL);
	const struct restype *cm = store_type(st, "", "configmaps");
	const char *names[] = {"c", "a", "b"};
	const cJSON **objs = NULL;
	struct store_wopts w = {.manager = "test"};
	size_t n;

	(void)state;
	for (int i = 0; i < 3; i++) {
		cJSON *o = cJSON_CreateObject();

		cJSON_AddStringToObject(cJSON_AddObjectToObject(o, "metadata"), "name", names[i]);
		assert_int_equal(store_create(st, cm, i == 2 ? "kube-system" : "default", o, &w,
					      NULL, NULL),
				 0);
		cJSON_Delete(o);
	}
	store_lock(st);
	n = store_list(st, cm, "default", &objs);
	assert_int_equal(n, 2);
	assert_string_equal(meta(objs[0], "name"), "a");
	assert_string_equal(meta(objs[1], "name"), "c");
	free(objs);
	n = store_list(st, cm, NULL, &objs);
	assert_int_equal(n, 3);
	assert_string_equal(meta(objs[2], "name"), "b"); /* kube-system sorts after default */
	free(objs);
	store_unlock(st);
	store_free(st);
}

static void test_crd_serves_type(void **state)
{
	struct store *st = setup(NULL);
	const struct restype *crd = store_type(st, "apiextensions.k8s.io", "customresourcedefinitions");
	struct store_wopts w = {.manager = "test"};
	cJSON *in = obj_parse(
		"{\"metadata\":{\"name\":\"widgets.example.com\"},\"spec\":{\"group\":\"example.com\","
		"\"names\":{\"plural\":\"widgets\",\"singular\":\"widget\",\"kind\":\"Widget\"},"
		"\"scope\":\"Namespaced\",\"versions\":[{\"name\":\"v1\",\"served\":true,"
		"\"storage\":true,\"subresources\":{\"status\":{}}}]}}");
	cJSON *w1 = obj_parse("{\"metadata\":{\"name\":\"w1\"},\"spec\":{\"size\":1}}");
	cJSON *out = NULL;
	const struct restype *t;

	(void)state;
	assert_null(store_type(st, "example.com", "widgets"));
	assert_int_equal(store_create(st, crd, NULL, in, &w, &out, NULL), 0);
	{
		char *status = cJSON_PrintUnformatted(cJSON_GetObjectItem(out, "status"));

		assert_non_null(strstr(status, "\"Established\""));
		free(status);
	}
	cJSON_Delete(out);
	t = store_type(st, "example.com", "widgets");
	assert_non_null(t);
	assert_string_equal(t->kind, "Widget");
	assert_string_equal(t->api_version, "example.com/v1");
	assert_true(t->has_status);
	assert_int_equal(store_create(st, t, "default", w1, &w, &out, NULL), 0);
	assert_int_equal(gen(out), 1);
	cJSON_Delete(out);
	assert_int_equal(store_delete(st, crd, NULL, "widgets.example.com", &w, NULL, NULL), 0);
	assert_null(store_type(st, "example.com", "widgets"));
	cJSON_Delete(in);
	cJSON_Delete(w1);
	store_free(st);
}

static void test_persist_roundtrip(void **state)
{
	struct store *st = setup(NULL), *st2;
	const struct restype *cm = store_type(st, "", "configmaps");
	struct store_wopts w = {.manager = "test"};
	char path[] = "/tmp/kubesim-state-XXXXXX", err[256];
	cJSON *in = obj_parse("{\"metadata\":{\"name\":\"a\"},\"data\":{\"k\":\"v\"}}"), *out = NULL;
	int fd = mkstemp(path);
	uint64_t rv;

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(store_create(st, cm, "default", in, &w, &out, NULL), 0);
	rv = store_rv(st);
	assert_int_equal(store_save(st, path, err, sizeof(err)), 0);
	st2 = setup(NULL);
	assert_int_equal(store_load(st2, path, err, sizeof(err)), 0);
	assert_int_equal(store_rv(st2), rv);
	store_lock(st2);
	cm = store_type(st2, "", "configmaps"); /* types belong to their store */
	assert_non_null(store_get(st2, cm, "default", "a"));
	assert_string_equal(meta(store_get(st2, cm, "default", "a"), "uid"), meta(out, "uid"));
	assert_non_null(store_get(st2, store_type(st2, "", "namespaces"), NULL, "kube-system"));
	store_unlock(st2);
	unlink(path);
	cJSON_Delete(in);
	cJSON_Delete(out);
	store_free(st);
	store_free(st2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_create_sets_metadata),
		cmocka_unit_test(test_update_conflict_and_noop),
		cmocka_unit_test(test_generation_rules),
		cmocka_unit_test(test_delete_and_finalizers),
		cmocka_unit_test(test_namespace_finalize),
		cmocka_unit_test(test_secret_string_data),
		cmocka_unit_test(test_list_sorted_and_filtered),
		cmocka_unit_test(test_crd_serves_type),
		cmocka_unit_test(test_persist_roundtrip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
