/* Unit tests for what the inventory stores of a Secret: a digest that a reader of the
 * inventory ConfigMap cannot use to test guesses of the data (a 4-digit PIN used to
 * fall to 10,000 SHA-256 computations), and a plan that still compares Secrets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sync_int.h"

static const char b64chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* Base64 of 4 bytes (a PIN): 8 characters with "==". */
static void b64_4(const char *in, char out[9])
{
	const unsigned char *s = (const unsigned char *)in;

	out[0] = b64chars[s[0] >> 2];
	out[1] = b64chars[((s[0] & 3) << 4) | (s[1] >> 4)];
	out[2] = b64chars[((s[1] & 15) << 2) | (s[2] >> 6)];
	out[3] = b64chars[s[2] & 63];
	out[4] = b64chars[s[3] >> 2];
	out[5] = b64chars[(s[3] & 3) << 4];
	out[6] = out[7] = '=';
	out[8] = '\0';
}

/* The Secret as prepare_items leaves it: labelled, namespace defaulted. */
static cJSON *pin_secret(const char *pin, bool string_data)
{
	char b64[9], *text;
	cJSON *s;

	b64_4(pin, b64);
	text =
	    xasprintf("{\"apiVersion\":\"v1\",\"kind\":\"Secret\",\"metadata\":{\"name\":\"pin\","
		      "\"namespace\":\"default\",\"labels\":{\"app.kubernetes.io/managed-by\":"
		      "\"tether\",\"tether.dev/app\":\"bank\"}},\"type\":\"Opaque\","
		      "\"%s\":{\"pin\":\"%s\"}}",
		      string_data ? "stringData" : "data", string_data ? pin : b64);
	assert_non_null(text);
	s = cJSON_Parse(text);
	free(text);
	assert_non_null(s);
	return s;
}

/* The inventory row's digest, computed as a sync computes it. */
static void stored_digest(cJSON *body, char out[17])
{
	struct object o = {.body = body,
			   .api_version = "v1",
			   .group = "",
			   .kind = "Secret",
			   .ns = "default",
			   .name = "pin"};
	struct sync_item it;

	memset(&it, 0, sizeof(it));
	it.obj = &o;
	assert_int_equal(item_hash(&it), 0);
	memcpy(out, it.hash, 17);
	free(it.text);
}

static void test_pin_not_recoverable(void **state)
{
	static const bool forms[] = {false, true};
	char stored[17], other[17], old[17], pin[5];
	cJSON *s;

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		s = pin_secret("4821", forms[f]);
		stored_digest(s, stored);
		cJSON_Delete(s);
		for (int i = 0; i < 10000; i++) {
			snprintf(pin, sizeof(pin), "%04d", i);
			s = pin_secret(pin, forms[f]);
			sync_hash_object(s, old); /* the unsalted digest inventories used to hold */
			assert_string_not_equal(stored, old);
			stored_digest(s, other); /* the stored value does not depend on the data */
			assert_string_equal(stored, other);
			cJSON_Delete(s);
		}
	}
}

static void test_last_applied_left_out(void **state)
{
	const char *key = "kubectl.kubernetes.io/last-applied-configuration";
	cJSON *a = pin_secret("1111", false), *b = pin_secret("2222", false);
	char ha[17], hb[17];

	(void)state;
	cJSON_AddStringToObject(
	    cJSON_AddObjectToObject(cJSON_GetObjectItem(a, "metadata"), "annotations"), key,
	    "{\"data\":{\"pin\":\"MTExMQ==\"}}");
	cJSON_AddStringToObject(
	    cJSON_AddObjectToObject(cJSON_GetObjectItem(b, "metadata"), "annotations"), key,
	    "{\"data\":{\"pin\":\"MjIyMg==\"}}");
	stored_digest(a, ha);
	stored_digest(b, hb);
	assert_string_equal(ha, hb);
	cJSON_Delete(a);
	cJSON_Delete(b);
}

/* The digest says nothing of the data, so the plan never skips a Secret: the dry-run
 * compares Git's values with the cluster's. */
static void test_secret_always_checked(void **state)
{
	cJSON *live = cJSON_Parse("{\"metadata\":{\"name\":\"pin\",\"namespace\":\"default\","
				  "\"uid\":\"u1\",\"resourceVersion\":\"7\"},\"data\":{}}");
	cJSON *s = pin_secret("4821", false);
	struct inv_entry x;

	(void)state;
	assert_non_null(live);
	memset(&x, 0, sizeof(x));
	x.group = "";
	x.version = "v1";
	x.kind = "Secret";
	x.ns = "default";
	x.name = "pin";
	stored_digest(s, x.hash);
	assert_int_equal(inv_entry_observe(&x, live), 0);
	assert_int_equal(plan_decide(x.hash, &x, live), PLAN_CHECK);
	/* the same row for a ConfigMap is trusted */
	x.kind = "ConfigMap";
	assert_int_equal(plan_decide(x.hash, &x, live), PLAN_UNCHANGED);
	x.kind = "Secret";
	free(x.rv);
	free(x.uid);
	cJSON_Delete(s);
	cJSON_Delete(live);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_pin_not_recoverable),
	    cmocka_unit_test(test_last_applied_left_out),
	    cmocka_unit_test(test_secret_always_checked),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
