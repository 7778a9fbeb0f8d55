/* ServiceAccount tokens (sa_token.c, kubernetes-semantics-2.md §1.4): a signed token
 * authenticates as its ServiceAccount; an expired or not-yet-valid one, a changed
 * signature or payload, another key, and a ServiceAccount deleted or recreated with a
 * new uid do not. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "sa_token.h"

#define NOW 1800000000LL

struct fx {
	struct store *st;
	struct satoken_key key;
	cJSON *aud;
	char uid[128];
};

static void create_sa(struct fx *f)
{
	struct store_wopts w = {.manager = "test", .grace_seconds = -1};
	cJSON *sa = cJSON_Parse("{\"metadata\":{\"name\":\"bot\",\"namespace\":\"ci\"}}"), *out = NULL;
	const cJSON *md;

	assert_int_equal(store_create(f->st, store_type(f->st, "", "serviceaccounts"), "ci", sa, &w,
				      &out, NULL), 0);
	md = cJSON_GetObjectItem(out, "metadata");
	snprintf(f->uid, sizeof(f->uid), "%s", cJSON_GetObjectItem(md, "uid")->valuestring);
	cJSON_Delete(sa);
	cJSON_Delete(out);
}

static void delete_sa(struct fx *f)
{
	struct store_wopts w = {.manager = "test", .grace_seconds = -1};

	assert_int_equal(store_delete(f->st, store_type(f->st, "", "serviceaccounts"), "ci", "bot",
				      &w, NULL, NULL), 0);
}

static int setup(void **state)
{
	static struct sim_config cfg;
	struct store_wopts w = {.manager = "test", .grace_seconds = -1};
	struct fx *f = calloc(1, sizeof(*f));
	cJSON *ns = cJSON_Parse("{\"metadata\":{\"name\":\"ci\"}}");

	f->st = store_new(&cfg);
	assert_int_equal(satoken_key_init(&f->key), 0);
	assert_int_equal(store_create(f->st, store_type(f->st, "", "namespaces"), NULL, ns, &w, NULL,
				      NULL), 0);
	cJSON_Delete(ns);
	create_sa(f);
	f->aud = cJSON_Parse("[\"" SATOKEN_ISSUER "\"]");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;

	cJSON_Delete(f->aud);
	store_free(f->st);
	free(f);
	return 0;
}

/* A token for ci/bot with uid, valid from iat for ttl seconds. */
static char *token(struct fx *f, const char *uid, int64_t iat, int64_t ttl)
{
	struct satoken_claims c = {.ns = "ci", .name = "bot", .jti = "j-1", .iat = iat, .nbf = iat,
				   .exp = iat + ttl};

	snprintf(c.uid, sizeof(c.uid), "%s", uid);
	return satoken_sign(&f->key, &c, f->aud);
}

static int authn(struct fx *f, const char *tok, int64_t now, struct auth_user *u, char *why)
{
	return satoken_authenticate(&f->key, f->st, tok, now, u, why, 300);
}

static void test_valid(void **state)
{
	struct fx *f = *state;
	char *tok = token(f, f->uid, NOW, 600), why[300] = "";
	struct auth_user u;

	assert_true(satoken_is_jwt(tok));
	assert_int_equal(authn(f, tok, NOW + 10, &u, why), 0);
	assert_string_equal(u.name, "system:serviceaccount:ci:bot");
	assert_string_equal(u.uid, f->uid);
	assert_int_equal(u.ngroups, 2);
	assert_string_equal(u.groups[0], "system:serviceaccounts");
	assert_string_equal(u.groups[1], "system:serviceaccounts:ci");
	assert_int_equal(u.nextras, 1);
	assert_string_equal(u.extra_keys[0], "authentication.kubernetes.io/credential-id");
	assert_string_equal(u.extra_values[0], "JTI=j-1");
	free(tok);
}

static void test_times(void **state)
{
	struct fx *f = *state;
	char *tok = token(f, f->uid, NOW, 600), why[300] = "";
	struct auth_user u;

	assert_int_equal(authn(f, tok, NOW + 600, &u, why), -1);
	assert_string_equal(why, "service account token has expired");
	assert_int_equal(authn(f, tok, NOW - 1, &u, why), -1);
	assert_string_equal(why, "service account token is not valid yet");
	free(tok);
}

static void test_signature(void **state)
{
	struct fx *f = *state;
	char *tok = token(f, f->uid, NOW, 600), why[300] = "", *dot;
	struct satoken_key other;
	struct auth_user u;
	size_t n = strlen(tok);

	tok[n - 2] = tok[n - 2] == 'A' ? 'B' : 'A'; /* a changed signature */
	assert_int_equal(authn(f, tok, NOW, &u, why), -1);
	assert_string_equal(why, "invalid signature");
	free(tok);
	tok = token(f, f->uid, NOW, 600);
	dot = strchr(tok, '.');
	dot[3] = dot[3] == 'x' ? 'y' : 'x'; /* a changed payload */
	assert_int_equal(authn(f, tok, NOW, &u, why), -1);
	assert_string_equal(why, "invalid signature");
	free(tok);
	tok = token(f, f->uid, NOW, 600);
	assert_int_equal(satoken_key_init(&other), 0); /* another server's key */
	assert_int_equal(satoken_authenticate(&other, f->st, tok, NOW, &u, why, sizeof(why)), -1);
	assert_string_equal(why, "invalid signature");
	assert_false(satoken_is_jwt("s3cr3t"));
	assert_int_equal(authn(f, "eyJ.eyJ.x", NOW, &u, why), -1);
	free(tok);
}

static void test_wrong_uid(void **state)
{
	struct fx *f = *state;
	char *tok = token(f, "not-the-uid", NOW, 600), *good, why[300] = "";
	struct auth_user u;

	assert_int_equal(authn(f, tok, NOW, &u, why), -1);
	assert_non_null(strstr(why, "does not match claim (not-the-uid)"));
	free(tok);
	good = token(f, f->uid, NOW, 600);
	delete_sa(f); /* deleted */
	assert_int_equal(authn(f, good, NOW, &u, why), -1);
	assert_string_equal(why, "serviceaccounts \"bot\" not found");
	create_sa(f); /* recreated: a new uid */
	assert_int_equal(authn(f, good, NOW, &u, why), -1);
	assert_non_null(strstr(why, "does not match claim"));
	free(good);
}

static void test_audience(void **state)
{
	struct fx *f = *state;
	struct satoken_claims c = {.ns = "ci", .name = "bot", .iat = NOW, .nbf = NOW,
				   .exp = NOW + 600};
	cJSON *aud = cJSON_Parse("[\"vault\"]");
	char *tok, why[300] = "";
	struct auth_user u;

	snprintf(c.uid, sizeof(c.uid), "%s", f->uid);
	tok = satoken_sign(&f->key, &c, aud);
	assert_int_equal(authn(f, tok, NOW, &u, why), -1);
	assert_non_null(strstr(why, "audiences"));
	free(tok);
	cJSON_Delete(aud);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_valid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_times, setup, teardown),
		cmocka_unit_test_setup_teardown(test_signature, setup, teardown),
		cmocka_unit_test_setup_teardown(test_wrong_uid, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audience, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
