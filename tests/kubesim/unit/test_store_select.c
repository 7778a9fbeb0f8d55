/* Unit tests for kubesim's label and field selectors (semantics spec §5.2) and for the
 * store's watch-event ring as the watch handler reads it (§5.3). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "api_int.h"
#include "store_int.h"

static cJSON *labelled(const char *labels_json)
{
	cJSON *o = cJSON_CreateObject(), *m = cJSON_AddObjectToObject(o, "metadata");

	cJSON_AddStringToObject(m, "name", "web");
	cJSON_AddStringToObject(m, "namespace", "default");
	cJSON_AddItemToObject(m, "labels", cJSON_Parse(labels_json));
	return o;
}

static bool lmatch(const char *sel, const char *labels)
{
	char err[256];
	struct selector *s = selector_parse(sel, false, NULL, err, sizeof(err));
	cJSON *o = labelled(labels);
	bool r;

	assert_non_null(s);
	r = selector_match(s, o);
	selector_free(s);
	cJSON_Delete(o);
	return r;
}

static void test_label_selectors(void **state)
{
	(void)state;
	assert_true(lmatch("", "{}"));
	assert_true(lmatch("app=web", "{\"app\":\"web\"}"));
	assert_true(lmatch("app==web", "{\"app\":\"web\"}"));
	assert_false(lmatch("app=web", "{\"app\":\"db\"}"));
	assert_false(lmatch("app=web", "{}"));
	assert_true(lmatch("app!=web", "{\"app\":\"db\"}"));
	assert_true(lmatch("app!=web", "{}"));
	assert_false(lmatch("app!=web", "{\"app\":\"web\"}"));
	assert_true(lmatch("app in (db, web)", "{\"app\":\"web\"}"));
	assert_false(lmatch("app in (db,cache)", "{\"app\":\"web\"}"));
	assert_true(lmatch("app notin (db)", "{\"app\":\"web\"}"));
	assert_true(lmatch("app notin (db)", "{}"));
	assert_true(lmatch("app", "{\"app\":\"\"}"));
	assert_false(lmatch("app", "{\"x\":\"y\"}"));
	assert_true(lmatch("!app", "{\"x\":\"y\"}"));
	assert_false(lmatch("!app", "{\"app\":\"web\"}"));
	assert_true(lmatch("app=web,tier in (fe),!canary",
			   "{\"app\":\"web\",\"tier\":\"fe\"}"));
	assert_false(lmatch("app=web,tier in (fe),!canary",
			    "{\"app\":\"web\",\"tier\":\"fe\",\"canary\":\"1\"}"));
}

static void test_selector_errors(void **state)
{
	struct store *st = store_new(NULL);
	char err[256];
	struct selector *s;

	(void)state;
	assert_null(selector_parse("app in (a", false, NULL, err, sizeof(err)));
	assert_null(selector_parse("=x", false, NULL, err, sizeof(err)));
	assert_null(selector_parse("spec.replicas=1", true, store_type(st, "apps", "deployments"),
				   err, sizeof(err)));
	assert_string_equal(err, "\"spec.replicas\" is not a known field selector: only "
				 "\"metadata.name\", \"metadata.namespace\"");
	assert_null(selector_parse("spec.x=1", true, store_type(st, "", "configmaps"), err,
				   sizeof(err)));
	assert_string_equal(err, "field label not supported: spec.x");
	s = selector_parse("status.phase=Running", true, store_type(st, "", "pods"), err,
			   sizeof(err));
	assert_non_null(s);
	selector_free(s);
	store_free(st);
}

static void test_field_selectors(void **state)
{
	struct store *st = store_new(NULL);
	const struct restype *d = store_type(st, "apps", "deployments");
	char err[256];
	struct selector *s;
	cJSON *o = labelled("{}");

	(void)state;
	s = selector_parse("metadata.name=web", true, d, err, sizeof(err));
	assert_true(selector_match(s, o));
	selector_free(s);
	s = selector_parse("metadata.name!=web,metadata.namespace=default", true, d, err,
			   sizeof(err));
	assert_false(selector_match(s, o));
	selector_free(s);
	s = selector_parse("metadata.namespace==default", true, d, err, sizeof(err));
	assert_true(selector_match(s, o));
	selector_free(s);
	cJSON_Delete(o);
	store_free(st);
}

struct collected {
	int n;
	enum store_ev types[8];
	bool had_prev[8];
};

static int collect(void *ud, const struct sevent *ev)
{
	struct collected *c = ud;

	if (c->n < 8) {
		c->types[c->n] = ev->type;
		c->had_prev[c->n] = ev->prev != NULL;
		c->n++;
	}
	return 0;
}

static void test_event_ring(void **state)
{
	struct store *st = store_new(NULL);
	const struct restype *cm = store_type(st, "", "configmaps");
	struct store_wopts w = {.manager = "t"};
	struct collected c = {0};
	cJSON *o = labelled("{\"a\":\"1\"}"), *out = NULL;
	uint64_t start = store_rv(st);

	(void)state;
	assert_int_equal(store_create(st, cm, "default", o, &w, &out, NULL), 0);
	cJSON_ReplaceItemInObject(cJSON_GetObjectItem(out, "metadata"), "labels",
				  cJSON_Parse("{\"a\":\"2\"}"));
	assert_int_equal(store_update(st, cm, "default", out, &w, NULL, NULL), 0);
	assert_int_equal(store_delete(st, cm, "default", "web", &w, NULL, NULL), 0);
	store_lock(st);
	assert_int_equal(store_events_after(st, start, cm, collect, &c), 3);
	store_unlock(st);
	assert_int_equal(c.types[0], STORE_ADDED);
	assert_false(c.had_prev[0]);
	assert_int_equal(c.types[1], STORE_MODIFIED);
	assert_true(c.had_prev[1]); /* selectors compare both states */
	assert_int_equal(c.types[2], STORE_DELETED);
	/* "after" is exclusive: nothing after the last one */
	memset(&c, 0, sizeof(c));
	store_lock(st);
	assert_int_equal(store_events_after(st, store_rv(st), cm, collect, &c), 0);
	store_unlock(st);
	cJSON_Delete(o);
	cJSON_Delete(out);
	store_free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_label_selectors),
		cmocka_unit_test(test_selector_errors),
		cmocka_unit_test(test_field_selectors),
		cmocka_unit_test(test_event_ring),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
