/*
 * api_table: meta.k8s.io/v1 Table responses (§14) for `kubectl get`, with the columns
 * of the real printers for the kinds tests look at (Deployment, ReplicaSet, Pod,
 * ConfigMap, Secret, Namespace, Lease, Service, StatefulSet, DaemonSet, Job) and
 * NAME/AGE for everything else. Ages use kubectl's HumanDuration.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "api_int.h"
#include "store_int.h"

bool api_wants_table(struct req *r)
{
	const char *a = req_header(r, "Accept");

	return a && strstr(a, "as=Table") && strstr(a, "g=meta.k8s.io");
}

static int64_t parse_time(const char *s)
{
	struct tm tm = {0};

	if (!s || !strptime(s, "%Y-%m-%dT%H:%M:%S", &tm))
		return -1;
	return (int64_t)timegm(&tm);
}

/* k8s.io/apimachinery/pkg/util/duration.HumanDuration */
static void human_age(const cJSON *obj, char *out, size_t n)
{
	int64_t t = parse_time(obj_str(cJSON_GetObjectItem(obj, "metadata"), "creationTimestamp", NULL));
	int64_t s = t < 0 ? 0 : (int64_t)time(NULL) - t, m = s / 60, h = s / 3600;

	if (t < 0)
		snprintf(out, n, "<unknown>");
	else if (s < 0)
		snprintf(out, n, "0s");
	else if (s < 120)
		snprintf(out, n, "%llds", (long long)s);
	else if (m < 10)
		s % 60 ? snprintf(out, n, "%lldm%llds", (long long)m, (long long)(s % 60))
		       : snprintf(out, n, "%lldm", (long long)m);
	else if (m < 180)
		snprintf(out, n, "%lldm", (long long)m);
	else if (h < 8)
		m % 60 ? snprintf(out, n, "%lldh%lldm", (long long)h, (long long)(m % 60))
		       : snprintf(out, n, "%lldh", (long long)h);
	else if (h < 48)
		snprintf(out, n, "%lldh", (long long)h);
	else if (h < 24 * 8)
		h % 24 ? snprintf(out, n, "%lldd%lldh", (long long)(h / 24), (long long)(h % 24))
		       : snprintf(out, n, "%lldd", (long long)(h / 24));
	else
		snprintf(out, n, "%lldd", (long long)(h / 24));
}

static int64_t num(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItem(o, a);

	if (b)
		v = cJSON_GetObjectItem(v, b);
	return cJSON_IsNumber(v) ? (int64_t)v->valuedouble : 0;
}

static void add_col(cJSON *cols, const char *name, const char *type, int prio)
{
	cJSON *c = cJSON_CreateObject();

	cJSON_AddStringToObject(c, "name", name);
	cJSON_AddStringToObject(c, "type", type);
	cJSON_AddStringToObject(c, "format", strcmp(name, "Name") == 0 ? "name" : "");
	cJSON_AddStringToObject(c, "description", "");
	cJSON_AddNumberToObject(c, "priority", prio);
	cJSON_AddItemToArray(cols, c);
}

/* Comma-joined container names or images of a pod template spec. */
static void containers(const cJSON *podspec, const char *field, char *out, size_t n)
{
	const cJSON *c;
	size_t k = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(podspec, "containers"))
	{
		const char *v = obj_str(c, field, NULL);

		if (v && k < n)
			k += snprintf(out + k, n - k, "%s%s", k ? "," : "", v);
	}
}

static void selector_text(const cJSON *sel, char *out, size_t n)
{
	api_selector_string(sel, out, n);
	if (!out[0])
		snprintf(out, n, "<none>");
}

enum kindcols { K_DEFAULT, K_DEPLOY, K_RS, K_POD, K_CM, K_SECRET, K_NS, K_LEASE, K_SVC, K_STS,
		K_DS, K_JOB };

static enum kindcols kind_cols(const struct restype *rt)
{
	static const struct {
		const char *g, *r;
		enum kindcols k;
	} map[] = {{"apps", "deployments", K_DEPLOY}, {"apps", "replicasets", K_RS},
		   {"", "pods", K_POD},		      {"", "configmaps", K_CM},
		   {"", "secrets", K_SECRET},	      {"", "namespaces", K_NS},
		   {"coordination.k8s.io", "leases", K_LEASE}, {"", "services", K_SVC},
		   {"apps", "statefulsets", K_STS},   {"apps", "daemonsets", K_DS},
		   {"batch", "jobs", K_JOB}};

	if (rt->custom)
		return K_DEFAULT;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (strcmp(map[i].g, rt->group) == 0 && strcmp(map[i].r, rt->resource) == 0)
			return map[i].k;
	return K_DEFAULT;
}

static void columns(cJSON *cols, enum kindcols k, const struct kcol *kc)
{
	add_col(cols, "Name", "string", 0);
	if (kc)
		api_table_cluster_columns(kc, false, add_col, cols);
	switch (k) {
	case K_DEPLOY:
		add_col(cols, "Ready", "string", 0);
		add_col(cols, "Up-to-date", "integer", 0);
		add_col(cols, "Available", "integer", 0);
		break;
	case K_RS:
	case K_DS:
		add_col(cols, "Desired", "integer", 0);
		add_col(cols, "Current", "integer", 0);
		add_col(cols, "Ready", "integer", 0);
		if (k == K_DS) {
			add_col(cols, "Up-to-date", "integer", 0);
			add_col(cols, "Available", "integer", 0);
		}
		break;
	case K_POD:
		add_col(cols, "Ready", "string", 0);
		add_col(cols, "Status", "string", 0);
		add_col(cols, "Restarts", "string", 0);
		break;
	case K_CM:
		add_col(cols, "Data", "integer", 0);
		break;
	case K_SECRET:
		add_col(cols, "Type", "string", 0);
		add_col(cols, "Data", "integer", 0);
		break;
	case K_NS:
		add_col(cols, "Status", "string", 0);
		break;
	case K_LEASE:
		add_col(cols, "Holder", "string", 0);
		break;
	case K_SVC:
		add_col(cols, "Type", "string", 0);
		add_col(cols, "Cluster-IP", "string", 0);
		add_col(cols, "External-IP", "string", 0);
		add_col(cols, "Port(s)", "string", 0);
		break;
	case K_STS:
		add_col(cols, "Ready", "string", 0);
		break;
	case K_JOB:
		add_col(cols, "Status", "string", 0);
		add_col(cols, "Completions", "string", 0);
		break;
	default:
		break;
	}
	add_col(cols, "Age", "string", 0);
	if (kc)
		api_table_cluster_columns(kc, true, add_col, cols);
	if (k == K_DEPLOY || k == K_RS || k == K_STS || k == K_DS) {
		add_col(cols, "Containers", "string", 1);
		add_col(cols, "Images", "string", 1);
		if (k != K_STS)
			add_col(cols, "Selector", "string", 1);
	} else if (k == K_POD) {
		add_col(cols, "IP", "string", 1);
		add_col(cols, "Node", "string", 1);
	}
}

/* Pod STATUS: Terminating, a container's waiting reason, or the phase. */
static const char *pod_status(const cJSON *pod)
{
	const cJSON *st = cJSON_GetObjectItem(pod, "status"), *c;

	if (obj_str(cJSON_GetObjectItem(pod, "metadata"), "deletionTimestamp", NULL))
		return "Terminating";
	cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, "containerStatuses"))
	{
		const char *w = obj_str(cJSON_GetObjectItem(c, "state"), "waiting", NULL);
		const cJSON *wt = cJSON_GetObjectItem(cJSON_GetObjectItem(c, "state"), "waiting");

		(void)w;
		if (obj_str(wt, "reason", NULL))
			return obj_str(wt, "reason", NULL);
	}
	return obj_str(st, "phase", NULL) ? obj_str(st, "phase", NULL) : "Pending";
}

static void pod_cells(cJSON *cells, const cJSON *pod)
{
	const cJSON *st = cJSON_GetObjectItem(pod, "status"), *c;
	int ready = 0, total = cJSON_GetArraySize(
			       cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "spec"), "containers"));
	int64_t restarts = 0;
	char b[32];

	cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, "containerStatuses"))
	{
		ready += cJSON_IsTrue(cJSON_GetObjectItem(c, "ready"));
		restarts += num(c, "restartCount", NULL);
	}
	snprintf(b, sizeof(b), "%d/%d", ready, total);
	cJSON_AddItemToArray(cells, cJSON_CreateString(b));
	cJSON_AddItemToArray(cells, cJSON_CreateString(pod_status(pod)));
	snprintf(b, sizeof(b), "%lld", (long long)restarts);
	cJSON_AddItemToArray(cells, cJSON_CreateString(b));
}

static void ports_text(const cJSON *spec, char *out, size_t n)
{
	const cJSON *p;
	size_t k = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(p, cJSON_GetObjectItem(spec, "ports"))
	{
		const char *proto = obj_str(p, "protocol", NULL);

		if (k < n)
			k += snprintf(out + k, n - k, "%s%lld/%s", k ? "," : "",
				      (long long)num(p, "port", NULL), proto ? proto : "TCP");
	}
	if (!k)
		snprintf(out, n, "<none>");
}

static void kind_cells(cJSON *cells, enum kindcols k, const cJSON *o)
{
	const cJSON *spec = cJSON_GetObjectItem(o, "spec"), *st = cJSON_GetObjectItem(o, "status");
	char b[512];

#define INT(v) cJSON_AddItemToArray(cells, cJSON_CreateNumber((double)(v)))
#define STR(v) cJSON_AddItemToArray(cells, cJSON_CreateString(v))
	switch (k) {
	case K_DEPLOY:
		snprintf(b, sizeof(b), "%lld/%lld", (long long)num(st, "readyReplicas", NULL),
			 (long long)num(spec, "replicas", NULL));
		STR(b);
		INT(num(st, "updatedReplicas", NULL));
		INT(num(st, "availableReplicas", NULL));
		break;
	case K_RS:
		INT(num(spec, "replicas", NULL));
		INT(num(st, "replicas", NULL));
		INT(num(st, "readyReplicas", NULL));
		break;
	case K_DS:
		INT(num(st, "desiredNumberScheduled", NULL));
		INT(num(st, "currentNumberScheduled", NULL));
		INT(num(st, "numberReady", NULL));
		INT(num(st, "updatedNumberScheduled", NULL));
		INT(num(st, "numberAvailable", NULL));
		break;
	case K_POD:
		pod_cells(cells, o);
		break;
	case K_CM:
		INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")) +
		    cJSON_GetArraySize(cJSON_GetObjectItem(o, "binaryData")));
		break;
	case K_SECRET:
		STR(obj_str(o, "type", NULL) ? obj_str(o, "type", NULL) : "Opaque");
		INT(cJSON_GetArraySize(cJSON_GetObjectItem(o, "data")));
		break;
	case K_NS:
		STR(obj_str(st, "phase", NULL) ? obj_str(st, "phase", NULL) : "Active");
		break;
	case K_LEASE:
		STR(obj_str(spec, "holderIdentity", NULL) ? obj_str(spec, "holderIdentity", NULL)
							   : "");
		break;
	case K_SVC:
		STR(obj_str(spec, "type", NULL) ? obj_str(spec, "type", NULL) : "ClusterIP");
		STR(obj_str(spec, "clusterIP", NULL) ? obj_str(spec, "clusterIP", NULL) : "<none>");
		STR("<none>");
		ports_text(spec, b, sizeof(b));
		STR(b);
		break;
	case K_STS:
		snprintf(b, sizeof(b), "%lld/%lld", (long long)num(st, "readyReplicas", NULL),
			 (long long)num(spec, "replicas", NULL));
		STR(b);
		break;
	case K_JOB: {
		const cJSON *c;
		const char *status = "Running";

		cJSON_ArrayForEach(c, cJSON_GetObjectItem(st, "conditions"))
		{
			if (obj_str(c, "status", NULL) && strcmp(obj_str(c, "status", NULL), "True") == 0) {
				if (strcmp(obj_str(c, "type", NULL) ?: "", "Complete") == 0)
					status = "Complete";
				else if (strcmp(obj_str(c, "type", NULL) ?: "", "Failed") == 0)
					status = "Failed";
			}
		}
		STR(status);
		snprintf(b, sizeof(b), "%lld/%lld", (long long)num(st, "succeeded", NULL),
			 (long long)(cJSON_GetObjectItem(spec, "completions")
					     ? num(spec, "completions", NULL)
					     : 1));
		STR(b);
		break;
	}
	default:
		break;
	}
#undef INT
#undef STR
}

static void wide_cells(cJSON *cells, enum kindcols k, const cJSON *o)
{
	const cJSON *spec = cJSON_GetObjectItem(o, "spec");
	const cJSON *pod = cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "template"), "spec");
	char b[1024];

	if (k == K_DEPLOY || k == K_RS || k == K_STS || k == K_DS) {
		containers(pod, "name", b, sizeof(b));
		cJSON_AddItemToArray(cells, cJSON_CreateString(b));
		containers(pod, "image", b, sizeof(b));
		cJSON_AddItemToArray(cells, cJSON_CreateString(b));
		if (k != K_STS) {
			selector_text(cJSON_GetObjectItem(spec, "selector"), b, sizeof(b));
			cJSON_AddItemToArray(cells, cJSON_CreateString(b));
		}
	} else if (k == K_POD) {
		const cJSON *st = cJSON_GetObjectItem(o, "status");

		cJSON_AddItemToArray(cells, cJSON_CreateString(obj_str(st, "podIP", NULL) ?: "<none>"));
		cJSON_AddItemToArray(cells,
				     cJSON_CreateString(obj_str(spec, "nodeName", NULL) ?: "<none>"));
	}
}

static cJSON *row_of(const cJSON *o, enum kindcols k, const struct kcol *kc)
{
	cJSON *row = cJSON_CreateObject(), *cells = cJSON_AddArrayToObject(row, "cells"), *pom;
	const cJSON *m = cJSON_GetObjectItem(o, "metadata");
	char age[32];

	cJSON_AddItemToArray(cells, cJSON_CreateString(obj_str(m, "name", NULL) ?: ""));
	kind_cells(cells, k, o);
	if (kc)
		api_table_cluster_cells(kc, false, o, cells);
	human_age(o, age, sizeof(age));
	cJSON_AddItemToArray(cells, cJSON_CreateString(age));
	if (kc)
		api_table_cluster_cells(kc, true, o, cells);
	wide_cells(cells, k, o);
	pom = cJSON_AddObjectToObject(row, "object");
	cJSON_AddStringToObject(pom, "kind", "PartialObjectMetadata");
	cJSON_AddStringToObject(pom, "apiVersion", "meta.k8s.io/v1");
	cJSON_AddItemToObject(pom, "metadata", cJSON_Duplicate(m, 1));
	return row;
}

cJSON *api_table_of(const struct restype *rt, const cJSON *in)
{
	const cJSON *items = cJSON_GetObjectItem(in, "items"), *it, *inmd;
	enum kindcols k = kind_cols(rt);
	const struct kcol *kc = api_table_cluster_cols(rt);
	cJSON *t, *md, *rows;

	t = cJSON_CreateObject();
	cJSON_AddStringToObject(t, "kind", "Table");
	cJSON_AddStringToObject(t, "apiVersion", "meta.k8s.io/v1");
	md = cJSON_AddObjectToObject(t, "metadata");
	inmd = cJSON_GetObjectItem(in, "metadata");
	if (obj_str(inmd, "resourceVersion", NULL))
		cJSON_AddStringToObject(md, "resourceVersion", obj_str(inmd, "resourceVersion", NULL));
	if (items && obj_str(inmd, "continue", NULL))
		cJSON_AddStringToObject(md, "continue", obj_str(inmd, "continue", NULL));
	columns(cJSON_AddArrayToObject(t, "columnDefinitions"), k, kc);
	rows = cJSON_AddArrayToObject(t, "rows");
	if (items) {
		cJSON_ArrayForEach(it, items)
		{
			cJSON_AddItemToArray(rows, row_of(it, k, kc));
		}
	} else {
		cJSON_AddItemToArray(rows, row_of(in, k, kc));
	}
	return t;
}

enum MHD_Result api_table_reply(struct req *r, struct route *ro, const char *json, size_t len)
{
	cJSON *in = cJSON_ParseWithLength(json, len), *t;

	if (!in)
		return reply_raw(r, 200, "application/json", json, len);
	t = api_table_of(ro->rt, in);
	cJSON_Delete(in);
	return reply_json(r, 200, t);
}
