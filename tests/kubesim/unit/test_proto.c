/*
 * The protobuf decoder on hand-built bytes: every wire type it reads, nesting, maps,
 * packed and unpacked repeated fields, the apimachinery types with their own JSON form,
 * inline members, pointer and omitempty zeros, Go's struct order, and the errors.
 * Field numbers are those of k8s.io/api's generated.proto.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "proto.h"
#include "proto_int.h"

struct pbw {
	unsigned char d[512];
	size_t n;
};

static void w_varint(struct pbw *b, uint64_t v)
{
	do {
		b->d[b->n++] = (unsigned char)((v & 0x7f) | (v > 0x7f ? 0x80 : 0));
		v >>= 7;
	} while (v);
}

static void w_uint(struct pbw *b, int num, uint64_t v)
{
	w_varint(b, (uint64_t)num << 3);
	w_varint(b, v);
}

static void w_bytes(struct pbw *b, int num, const void *p, size_t n)
{
	w_varint(b, (uint64_t)num << 3 | 2);
	w_varint(b, n);
	memcpy(b->d + b->n, p, n);
	b->n += n;
}

static void w_str(struct pbw *b, int num, const char *s)
{
	w_bytes(b, num, s, strlen(s));
}

static void w_msg(struct pbw *b, int num, const struct pbw *m)
{
	w_bytes(b, num, m->d, m->n);
}

/* A map entry {1: key, 2: value}. */
static void w_entry(struct pbw *b, int num, const char *k, const char *v)
{
	struct pbw e = {.n = 0};

	w_str(&e, 1, k);
	if (v)
		w_str(&e, 2, v);
	w_msg(b, num, &e);
}

/* "k8s\0" + runtime.Unknown {1: TypeMeta {1: apiVersion, 2: kind}, 2: raw object}. */
static void w_envelope(struct pbw *env, const char *av, const char *kind, const struct pbw *obj)
{
	struct pbw tm = {.n = 0};

	memcpy(env->d, "k8s", 4);
	env->n = 4;
	w_str(&tm, 1, av);
	w_str(&tm, 2, kind);
	w_msg(env, 1, &tm);
	w_msg(env, 2, obj);
}

/* The message decoded as compact JSON (the caller frees), or the error as "error: ...". */
static char *decode(const char *msg, const struct pbw *b)
{
	int i = proto_message_find(msg);
	cJSON *o = cJSON_CreateObject();
	char err[256], *s;

	assert_true(i >= 0);
	if (proto_decode_message(o, i, b->d, b->n, err, sizeof(err)) < 0) {
		cJSON_Delete(o);
		s = malloc(strlen(err) + 8);
		sprintf(s, "error: %s", err);
		return s;
	}
	s = cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	return s;
}

static void expect(const char *msg, const struct pbw *b, const char *want)
{
	char *got = decode(msg, b);

	assert_string_equal(got, want);
	free(got);
}

/* Strings, an empty string left out, varint bool, string and bytes maps, Go order. */
static void test_scalars_and_maps(void **state)
{
	struct pbw md = {.n = 0}, cm = {.n = 0};
	const unsigned char bin[] = {0, 1, 2};
	struct pbw e = {.n = 0};

	(void)state;
	w_str(&md, 1, "cm");
	w_str(&md, 3, ""); /* gogo writes "" for an unset namespace */
	w_entry(&md, 11, "app", "web");
	w_msg(&cm, 1, &md);
	w_entry(&cm, 2, "k1", "v1");
	w_entry(&cm, 2, "k2", NULL); /* an entry without its value: "" */
	w_str(&e, 1, "bin");
	w_bytes(&e, 2, bin, sizeof(bin));
	w_msg(&cm, 3, &e);
	w_uint(&cm, 4, 1);
	expect("k8s.io.api.core.v1.ConfigMap", &cm,
	       "{\"metadata\":{\"name\":\"cm\",\"labels\":{\"app\":\"web\"}},\"immutable\":true,"
	       "\"data\":{\"k1\":\"v1\",\"k2\":\"\"},\"binaryData\":{\"bin\":\"AAEC\"}}");
}

/* Nested messages and repeated messages; a pointer's zero is kept, a plain zero is not;
 * an unknown field is skipped; a message given twice merges. */
static void test_nesting_and_zeros(void **state)
{
	struct pbw port = {.n = 0}, c = {.n = 0}, ps = {.n = 0}, tpl = {.n = 0}, spec = {.n = 0};
	struct pbw spec2 = {.n = 0};

	(void)state;
	w_uint(&port, 3, 80);
	w_str(&c, 1, "web");
	w_msg(&c, 6, &port);
	w_msg(&c, 6, &port);
	w_msg(&ps, 2, &c);
	w_msg(&tpl, 2, &ps);
	w_uint(&spec, 1, 0); /* replicas: *int32 */
	w_uint(&spec, 5, 0); /* minReadySeconds: int32, omitempty */
	w_uint(&spec, 7, 0); /* paused: bool */
	w_uint(&spec, 99, 7);
	w_msg(&spec, 3, &tpl);
	w_uint(&spec2, 6, 3);
	w_msg(&spec, 2, &(struct pbw){.n = 0});
	expect("k8s.io.api.apps.v1.DeploymentSpec", &spec,
	       "{\"replicas\":0,\"selector\":{},\"template\":{\"spec\":{\"containers\":[{\"name\":"
	       "\"web\",\"ports\":[{\"containerPort\":80},{\"containerPort\":80}]}]}}}");
	w_bytes(&spec, 3, (const unsigned char[]){0x12, 0x00}, 2); /* template again: merges */
	memcpy(spec.d + spec.n, spec2.d, spec2.n);
	spec.n += spec2.n;
	expect("k8s.io.api.apps.v1.DeploymentSpec", &spec,
	       "{\"replicas\":0,\"selector\":{},\"template\":{\"spec\":{\"containers\":[{\"name\":"
	       "\"web\",\"ports\":[{\"containerPort\":80},{\"containerPort\":80}]}]}},"
	       "\"revisionHistoryLimit\":3}");
}

/* A list without omitempty that the body leaves out is null, as Go writes a nil slice; a
 * string without omitempty keeps its "". */
static void test_no_omitempty(void **state)
{
	struct pbw cr = {.n = 0}, md = {.n = 0}, ref = {.n = 0}, rb = {.n = 0};

	(void)state;
	w_str(&md, 1, "view");
	w_msg(&cr, 1, &md);
	expect("k8s.io.api.rbac.v1.ClusterRole", &cr,
	       "{\"metadata\":{\"name\":\"view\"},\"rules\":null}");
	w_str(&ref, 1, "");
	w_str(&ref, 2, "ClusterRole");
	w_str(&ref, 3, "view");
	w_msg(&rb, 3, &ref);
	expect("k8s.io.api.rbac.v1.ClusterRoleBinding", &rb,
	       "{\"roleRef\":{\"apiGroup\":\"\",\"kind\":\"ClusterRole\",\"name\":\"view\"}}");
}

/* A repeated int64 packed (one length-delimited run) and unpacked, mixed. */
static void test_packed_repeated(void **state)
{
	struct pbw run = {.n = 0}, psc = {.n = 0};

	(void)state;
	w_varint(&run, 1);
	w_varint(&run, 300);
	w_varint(&run, 1ULL << 40);
	w_bytes(&psc, 4, run.d, run.n);
	w_uint(&psc, 4, 7);
	expect("k8s.io.api.core.v1.PodSecurityContext", &psc,
	       "{\"supplementalGroups\":[1,300,1099511627776,7]}");
}

/* IntOrString both ways, Quantity in a ResourceList, Time (zero is null), MicroTime and
 * RawExtension. */
static void test_special_types(void **state)
{
	struct pbw sp = {.n = 0}, ios = {.n = 0}, md = {.n = 0}, t = {.n = 0}, rr = {.n = 0};
	struct pbw e = {.n = 0}, q = {.n = 0}, ls = {.n = 0}, cr = {.n = 0}, raw = {.n = 0};

	(void)state;
	w_str(&sp, 1, "http");
	w_uint(&sp, 3, 80);
	w_uint(&ios, 1, 1);
	w_str(&ios, 3, "web");
	w_msg(&sp, 4, &ios);
	expect("k8s.io.api.core.v1.ServicePort", &sp,
	       "{\"name\":\"http\",\"port\":80,\"targetPort\":\"web\"}");
	sp.n = ios.n = 0;
	w_uint(&ios, 2, 8080);
	w_msg(&sp, 4, &ios);
	/* port has no omitempty: Go writes its zero */
	expect("k8s.io.api.core.v1.ServicePort", &sp, "{\"port\":0,\"targetPort\":8080}");

	w_str(&q, 1, "100m");
	w_str(&e, 1, "cpu");
	w_msg(&e, 2, &q);
	w_msg(&rr, 1, &e);
	expect("k8s.io.api.core.v1.ResourceRequirements", &rr, "{\"limits\":{\"cpu\":\"100m\"}}");

	w_msg(&md, 8, &(struct pbw){.n = 0}); /* creationTimestamp, zero */
	w_uint(&t, 1, 1700000000);
	w_msg(&md, 9, &t);
	expect("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", &md,
	       "{\"creationTimestamp\":null,\"deletionTimestamp\":\"2023-11-14T22:13:20Z\"}");
	w_uint(&t, 2, 123456789);
	w_msg(&ls, 3, &t);
	expect("k8s.io.api.coordination.v1.LeaseSpec", &ls,
	       "{\"acquireTime\":\"2023-11-14T22:13:20.123456Z\"}");

	w_str(&raw, 1, "{\"a\":[1,\"x\"]}");
	w_msg(&cr, 2, &raw);
	w_uint(&cr, 3, 2);
	expect("k8s.io.api.apps.v1.ControllerRevision", &cr,
	       "{\"data\":{\"a\":[1,\"x\"]},\"revision\":2}");
}

/* `json:",inline"` members: the volume source's and the local object reference's fields
 * sit in the enclosing object, in Go's order. */
static void test_inline(void **state)
{
	struct pbw ref = {.n = 0}, cmv = {.n = 0}, vs = {.n = 0}, vol = {.n = 0};

	(void)state;
	w_str(&ref, 1, "app");
	w_uint(&cmv, 3, 0644);
	w_msg(&cmv, 1, &ref);
	w_msg(&vs, 19, &cmv);
	w_msg(&vol, 2, &vs);
	w_str(&vol, 1, "cfg");
	expect("k8s.io.api.core.v1.Volume", &vol,
	       "{\"name\":\"cfg\",\"configMap\":{\"name\":\"app\",\"defaultMode\":420}}");
}

/* The envelope, a kind without protobuf, malformed bodies. */
static void test_envelope_and_errors(void **state)
{
	struct pbw env = {.n = 0}, cm = {.n = 0}, md = {.n = 0}, bad = {.n = 0};
	char err[256], *s;
	cJSON *o;

	(void)state;
	w_str(&md, 1, "cm");
	w_msg(&cm, 1, &md);
	w_envelope(&env, "v1", "ConfigMap", &cm);
	o = proto_decode(env.d, env.n, err, sizeof(err));
	assert_non_null(o);
	s = cJSON_PrintUnformatted(o);
	assert_string_equal(s, "{\"kind\":\"ConfigMap\",\"apiVersion\":\"v1\","
			       "\"metadata\":{\"name\":\"cm\"}}");
	free(s);
	cJSON_Delete(o);

	assert_null(proto_decode("{}", 2, err, sizeof(err)));
	assert_string_equal(err, ""); /* not an envelope: 415 */
	w_envelope(&env, "example.com/v1", "Widget", &cm);
	assert_null(proto_decode(env.d, env.n, err, sizeof(err)));
	assert_string_equal(err, ""); /* a custom resource: 415 */

	w_uint(&bad, 1, 1); /* metadata as a varint */
	expect("k8s.io.api.core.v1.ConfigMap", &bad,
	       "error: proto: wrong wireType = 0 for field ObjectMeta");
	bad.n = 0;
	w_str(&bad, 2, "x"); /* generateName fine, then a length past the end */
	bad.d[bad.n++] = 0x0a;
	bad.d[bad.n++] = 0x05;
	bad.d[bad.n++] = 'a';
	expect("k8s.io.apimachinery.pkg.apis.meta.v1.ObjectMeta", &bad, "error: unexpected EOF");
	w_uint(&cm, 4, 1);
	w_bytes(&cm, 1, (const unsigned char[]){0x08, 0x01}, 2); /* name as a varint */
	w_envelope(&env, "v1", "ConfigMap", &cm);
	assert_null(proto_decode(env.d, env.n, err, sizeof(err)));
	assert_string_equal(err, "ConfigMap in version \"v1\" cannot be handled as a ConfigMap: "
				 "proto: wrong wireType = 0 for field Name");
}

/* The bodies kubectl 1.32 sends (captured with -v=8) for kinds whose e2e runs only where
 * kubesim serves them: each decodes to what `--dry-run=client -o json` prints for the
 * same command. */
static const char pc[] = /* create priorityclass high --value=1000 ... */
	"\x6b\x38\x73\x00\x0a\x25\x0a\x14scheduling.k8s.io/v1\x12\x0dPriorityClass"
	"\x12\x2d\x0a\x14\x0a\x04high\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42"
	"\x00\x10\xe8\x07\x18\x00\x22\x09important\x2a\x05Never\x1a\x00\x22\x00";
static const char quota[] = /* create quota q1 --hard=cpu=1,memory=1Gi,pods=10 ... */
	"\x6b\x38\x73\x00\x0a\x13\x0a\x02v1\x12\x0dResourceQuota\x12\x5a\x0a\x19\x0a\x02q1"
	"\x12\x00\x1a\x07" "default\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00\x12\x3b\x0a\x0a"
	"\x0a\x03" "cpu\x12\x03\x0a\x01" "1\x0a\x0f\x0a\x06memory\x12\x05\x0a\x03" "1Gi\x0a"
	"\x0c\x0a\x04pods\x12\x04\x0a\x02" "10\x12\x0eNotTerminating\x1a\x00\x1a\x00\x22\x00";
static const char hpa[] = /* autoscale deployment web --min=2 --max=5 --cpu-percent=80 */
	"\x6b\x38\x73\x00\x0a\x29\x0a\x0e" "autoscaling/v1\x12\x17HorizontalPodAutoscaler"
	"\x12\x3f\x0a\x13\x0a\x03web\x12\x00\x1a\x00\x22\x00\x2a\x00\x32\x00\x38\x00\x42\x00"
	"\x12\x22\x0a\x1a\x0a\x0a" "Deployment\x12\x03web\x1a\x07" "apps/v1\x10\x02\x18\x05"
	"\x20\x50\x1a\x04\x18\x00\x20\x00\x1a\x00\x22\x00";

static void test_kubectl_bodies(void **state)
{
	const struct {
		const char *body;
		size_t len;
		const char *want;
	} cases[] = {
		{pc, sizeof(pc) - 1,
		 "{\"kind\":\"PriorityClass\",\"apiVersion\":\"scheduling.k8s.io/v1\",\"metadata\":"
		 "{\"name\":\"high\",\"creationTimestamp\":null},\"value\":1000,\"description\":"
		 "\"important\",\"preemptionPolicy\":\"Never\"}"},
		{quota, sizeof(quota) - 1,
		 "{\"kind\":\"ResourceQuota\",\"apiVersion\":\"v1\",\"metadata\":{\"name\":\"q1\","
		 "\"namespace\":\"default\",\"creationTimestamp\":null},\"spec\":{\"hard\":{\"cpu\":"
		 "\"1\",\"memory\":\"1Gi\",\"pods\":\"10\"},\"scopes\":[\"NotTerminating\"]},"
		 "\"status\":{}}"},
		/* status's replica counts have no omitempty: their zeros are written */
		{hpa, sizeof(hpa) - 1,
		 "{\"kind\":\"HorizontalPodAutoscaler\",\"apiVersion\":\"autoscaling/v1\","
		 "\"metadata\":{\"name\":\"web\",\"creationTimestamp\":null},\"spec\":{"
		 "\"scaleTargetRef\":{\"kind\":\"Deployment\",\"name\":\"web\",\"apiVersion\":"
		 "\"apps/v1\"},\"minReplicas\":2,\"maxReplicas\":5,"
		 "\"targetCPUUtilizationPercentage\":80},\"status\":{\"currentReplicas\":0,"
		 "\"desiredReplicas\":0}}"},
	};
	char err[256], *s;
	cJSON *o;

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		o = proto_decode(cases[i].body, cases[i].len, err, sizeof(err));
		assert_non_null(o);
		s = cJSON_PrintUnformatted(o);
		assert_string_equal(s, cases[i].want);
		free(s);
		cJSON_Delete(o);
	}
}

/* Every one-byte change of kubectl's bodies decodes or fails cleanly: untrusted input
 * never reads past the buffer (run under the sanitizers by make test). */
static void test_mutations(void **state)
{
	const char *const bodies[] = {pc, quota, hpa};
	const size_t lens[] = {sizeof(pc) - 1, sizeof(quota) - 1, sizeof(hpa) - 1};
	unsigned char buf[256];
	uint32_t seed = 12345;
	char err[256];
	int decoded = 0, failed = 0;

	(void)state;
	for (size_t b = 0; b < 3; b++) {
		for (size_t i = 0; i < lens[b]; i++) {
			for (int k = 0; k < 8; k++) {
				cJSON *o;

				memcpy(buf, bodies[b], lens[b]);
				seed = seed * 1103515245 + 12345;
				buf[i] = (unsigned char)(seed >> 16);
				o = proto_decode(buf, lens[b], err, sizeof(err));
				if (o)
					decoded++;
				else
					failed++;
				cJSON_Delete(o);
			}
			/* and every truncation */
			cJSON_Delete(proto_decode(bodies[b], i, err, sizeof(err)));
		}
	}
	assert_true(decoded > 0 && failed > 0);
}

static void test_duration(void **state)
{
	const struct {
		int64_t ns;
		const char *want;
	} cases[] = {
		{0, "0s"},
		{999, "999ns"},
		{1500, "1.5µs"},
		{1500000, "1.5ms"},
		{1500000000, "1.5s"},
		{3723000000000, "1h2m3s"},
		{5400000000000, "1h30m0s"},
		{90000000000, "1m30s"},
		{-2000000000, "-2s"},
	};
	char out[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		proto_duration_string(cases[i].ns, out, sizeof(out));
		assert_string_equal(out, cases[i].want);
	}
}

/* Every kind's message exists and every message reference is in range. */
static void test_tables(void **state)
{
	(void)state;
	assert_true(proto_nkinds >= 40);
	for (size_t i = 0; i < proto_nkinds; i++)
		assert_true(proto_kinds[i].msg < proto_nmessages);
	for (size_t i = 0; i < proto_nmessages; i++) {
		const struct proto_message *m = &proto_messages[i];

		for (unsigned k = 0; k < m->count; k++) {
			const struct proto_field *f = &proto_fields[m->first + k];

			if (f->type == PROTO_MESSAGE)
				assert_true(f->msg < proto_nmessages);
		}
		if (m->map_entry)
			assert_int_equal(m->count, 2);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scalars_and_maps),  cmocka_unit_test(test_nesting_and_zeros),
		cmocka_unit_test(test_no_omitempty),	  cmocka_unit_test(test_packed_repeated),	  cmocka_unit_test(test_special_types),
		cmocka_unit_test(test_inline),		  cmocka_unit_test(test_envelope_and_errors),
		cmocka_unit_test(test_kubectl_bodies),	  cmocka_unit_test(test_mutations),	  cmocka_unit_test(test_duration),
		cmocka_unit_test(test_tables),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
