/*
 * merge_managed: metadata.managedFields entries: decoding, identity, the canonical sort
 * order, and the paths nobody may own (apimachinery's stripmeta and reset fields).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonedit.h"
#include "merge.h"
#include "merge_int.h"

static char *dup_str(const cJSON *v)
{
	return cJSON_IsString(v) && v->valuestring[0] ? strdup(v->valuestring) : NULL;
}

static void entry_dispose(struct mf_entry *e)
{
	free(e->manager);
	free(e->operation);
	free(e->api_version);
	free(e->time);
	free(e->subresource);
	cJSON_Delete(e->set);
	memset(e, 0, sizeof(*e));
}

void mf_dispose(struct mf_list *l)
{
	size_t i;

	if (!l)
		return;
	for (i = 0; i < l->n; i++)
		entry_dispose(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

static struct mf_entry *grow(struct mf_list *l)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? l->cap * 2 : 8;
		struct mf_entry *v = realloc(l->v, cap * sizeof(*v));
		if (!v)
			return NULL;
		l->v = v;
		l->cap = cap;
	}
	memset(&l->v[l->n], 0, sizeof(l->v[0]));
	return &l->v[l->n++];
}

/* A copy of v that failed for want of memory (dup_str of a non-empty string gave NULL). */
static bool lost(const char *copy, const cJSON *v)
{
	return !copy && cJSON_IsString(v) && v->valuestring[0];
}

/* Decodes one entry; MERGE_EINVAL when it is malformed, MERGE_ENOMEM when memory ran out. */
static int decode_entry(struct mf_entry *e, const cJSON *it)
{
	const cJSON *op = cJSON_GetObjectItemCaseSensitive(it, "operation");
	const cJSON *m = cJSON_GetObjectItemCaseSensitive(it, "manager");
	const cJSON *av = cJSON_GetObjectItemCaseSensitive(it, "apiVersion");
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(it, "time");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(it, "subresource");

	if (!cJSON_IsString(op) || !op->valuestring[0])
		return MERGE_EINVAL;
	e->manager = dup_str(m);
	e->operation = dup_str(op);
	e->api_version = dup_str(av);
	e->time = dup_str(t);
	e->subresource = dup_str(sub);
	e->set = fs_from_v1(cJSON_GetObjectItemCaseSensitive(it, "fieldsV1"));
	if (!e->manager && !lost(e->manager, m))
		e->manager = strdup("");
	if (!e->manager || !e->operation || !e->set || lost(e->api_version, av) ||
	    lost(e->time, t) || lost(e->subresource, sub))
		return MERGE_ENOMEM;
	return 0;
}

int mf_decode(struct mf_list *l, const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	const cJSON *mf = cJSON_GetObjectItemCaseSensitive(md, "managedFields"), *it;
	int rc = 0;

	memset(l, 0, sizeof(*l));
	cJSON_ArrayForEach(it, mf)
	{
		struct mf_entry *e;

		if (!cJSON_IsObject(it)) {
			rc = MERGE_EINVAL;
			break;
		}
		if (!(e = grow(l))) {
			rc = MERGE_ENOMEM;
			break;
		}
		if ((rc = decode_entry(e, it)) < 0)
			break;
	}
	if (rc < 0)
		mf_dispose(l);
	/* apiserver: undecodable managedFields are treated as empty (emptyManagedFieldsOnErr);
	 * running out of memory is not "undecodable". */
	return rc == MERGE_ENOMEM ? rc : 0;
}

static bool str_eq(const char *a, const char *b)
{
	return !strcmp(a ? a : "", b ? b : "");
}

int mf_find(const struct mf_list *l, const char *manager, const char *op, const char *apiv,
	    const char *subresource)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct mf_entry *e = &l->v[i];
		if (!str_eq(e->manager, manager) || !str_eq(e->operation, op) ||
		    !str_eq(e->subresource, subresource))
			continue;
		if (!strcmp(op, "Update") && !str_eq(e->api_version, apiv))
			continue;
		return (int)i;
	}
	return -1;
}

int mf_add(struct mf_list *l, const char *manager, const char *op, const char *apiv,
	   const char *subresource)
{
	struct mf_entry *e = grow(l);

	if (!e)
		return -1;
	e->manager = strdup(manager ? manager : "");
	e->operation = strdup(op);
	e->api_version = apiv ? strdup(apiv) : NULL;
	e->subresource = subresource && subresource[0] ? strdup(subresource) : NULL;
	e->set = fs_new();
	if (!e->manager || !e->operation || !e->set) {
		entry_dispose(e);
		l->n--;
		return -1;
	}
	return (int)(l->n - 1);
}

void mf_set_time(struct mf_entry *e, const char *time)
{
	char *t = time ? strdup(time) : NULL;

	if (!time || t) {
		free(e->time);
		e->time = t;
	}
}

void mf_drop_empty(struct mf_list *l)
{
	size_t i = 0;

	while (i < l->n) {
		if (fs_empty(l->v[i].set)) {
			entry_dispose(&l->v[i]);
			memmove(&l->v[i], &l->v[i + 1], (l->n - i - 1) * sizeof(l->v[0]));
			l->n--;
		} else {
			i++;
		}
	}
}

/* capmanagers.go: at most this many Update entries; older ones merge per apiVersion. */
#define MAX_UPDATE_MANAGERS 10
#define ANCIENT "ancient-changes"

static int age_cmp(const void *pa, const void *pb)
{
	const struct mf_entry *p = *(const struct mf_entry *const *)pa;
	const struct mf_entry *q = *(const struct mf_entry *const *)pb;
	int r = strcmp(p->time ? p->time : "", q->time ? q->time : "");

	if (!r)
		r = strcmp(p->manager, q->manager);
	if (!r)
		r = strcmp(p->api_version ? p->api_version : "",
			   q->api_version ? q->api_version : "");
	return r ? r
		 : strcmp(p->subresource ? p->subresource : "",
			  q->subresource ? q->subresource : "");
}

static struct mf_entry *first_of_version(struct mf_entry **v, size_t upto, const char *apiv)
{
	size_t i;

	for (i = 0; i < upto; i++)
		if (str_eq(v[i]->api_version, apiv) && !fs_empty(v[i]->set))
			return v[i];
	return NULL;
}

void mf_cap_updates(struct mf_list *l)
{
	struct mf_entry **v = calloc(l->n + 1, sizeof(*v));
	size_t n = 0, i, length;

	for (i = 0; v && i < l->n; i++)
		if (!strcmp(l->v[i].operation, "Update"))
			v[n++] = &l->v[i];
	if (!v || n <= MAX_UPDATE_MANAGERS) {
		free(v);
		return;
	}
	qsort(v, n, sizeof(*v), age_cmp);
	for (i = 0, length = n; i < n && length > MAX_UPDATE_MANAGERS; i++) {
		struct mf_entry *first = first_of_version(v, i, v[i]->api_version), *bucket;
		int b;

		if (!first)
			continue;
		b = mf_find(l, ANCIENT, "Update", v[i]->api_version, NULL);
		bucket = b >= 0 ? &l->v[b] : first;
		if (b < 0) {
			char *name = strdup(ANCIENT);
			if (!name)
				break;
			free(first->manager);
			free(first->subresource);
			first->manager = name;
			first->subresource = NULL;
		}
		fs_add(bucket->set, v[i]->set);
		mf_set_time(bucket, v[i]->time);
		cJSON_Delete(v[i]->set);
		v[i]->set = fs_new(); /* emptied: dropped by mf_drop_empty */
		length--;
	}
	free(v);
	mf_drop_empty(l);
}

static int entry_cmp(const void *pa, const void *pb)
{
	const struct mf_entry *p = *(const struct mf_entry *const *)pa;
	const struct mf_entry *q = *(const struct mf_entry *const *)pb;
	int r;

	if ((r = strcmp(p->operation, q->operation)))
		return r;
	if ((r = strcmp(p->time ? p->time : "", q->time ? q->time : "")))
		return r;
	if ((r = strcmp(p->manager, q->manager)))
		return r;
	if ((r = strcmp(p->api_version ? p->api_version : "",
			q->api_version ? q->api_version : "")))
		return r;
	return strcmp(p->subresource ? p->subresource : "", q->subresource ? q->subresource : "");
}

static cJSON *entry_encode(const struct mf_entry *e)
{
	cJSON *o = cJSON_CreateObject();

	/* An entry missing a member would misattribute fields: all or nothing. */
	if (!o || json_object_add_string(o, "manager", e->manager) < 0 ||
	    json_object_add_string(o, "operation", e->operation) < 0 ||
	    (e->api_version && json_object_add_string(o, "apiVersion", e->api_version) < 0) ||
	    (e->time && json_object_add_string(o, "time", e->time) < 0) ||
	    json_object_add_string(o, "fieldsType", "FieldsV1") < 0 ||
	    json_object_add(o, "fieldsV1", fs_to_v1(e->set)) < 0 ||
	    (e->subresource && json_object_add_string(o, "subresource", e->subresource) < 0)) {
		cJSON_Delete(o);
		return NULL;
	}
	return o;
}

cJSON *mf_encode(const struct mf_list *l)
{
	const struct mf_entry **v = calloc(l->n + 1, sizeof(*v));
	cJSON *arr = cJSON_CreateArray();
	size_t i;

	if (!v || !arr) {
		free(v);
		cJSON_Delete(arr);
		return NULL;
	}
	for (i = 0; i < l->n; i++)
		v[i] = &l->v[i];
	qsort(v, l->n, sizeof(*v), entry_cmp);
	for (i = 0; arr && i < l->n; i++) {
		if (json_array_append(arr, entry_encode(v[i])) < 0) {
			cJSON_Delete(arr);
			arr = NULL;
		}
	}
	free(v);
	return arr;
}

int mf_store(cJSON *obj, const struct mf_list *l)
{
	cJSON *md = cJSON_GetObjectItemCaseSensitive(obj, "metadata"), *arr;

	if (!md) {
		md = cJSON_AddObjectToObject(obj, "metadata");
		if (!md)
			return MERGE_ENOMEM;
	}
	if (!l->n) {
		cJSON_DeleteItemFromObjectCaseSensitive(md, "managedFields");
		return 0;
	}
	arr = mf_encode(l);
	if (!arr)
		return MERGE_ENOMEM;
	return json_object_set(md, "managedFields", arr) < 0 ? MERGE_ENOMEM : 0;
}

char *mf_print_manager(const struct mf_entry *e)
{
	char buf[1024];
	size_t len;

	snprintf(buf, sizeof(buf), "\"%s\"", e->manager);
	len = strlen(buf);
	if (!strcmp(e->operation, "Update"))
		snprintf(buf + len, sizeof(buf) - len, " using %s",
			 e->api_version ? e->api_version : "");
	len = strlen(buf);
	if (e->subresource)
		snprintf(buf + len, sizeof(buf) - len, " with subresource \"%s\"", e->subresource);
	return strdup(buf);
}

/* Kinds whose main-resource writes reset status (they have a /status subresource). */
static bool has_status(const struct merge_kind *k)
{
	static const char *const kinds[] = {"Deployment",
					    "ReplicaSet",
					    "StatefulSet",
					    "DaemonSet",
					    "Job",
					    "CronJob",
					    "Pod",
					    "Service",
					    "Namespace",
					    "PersistentVolumeClaim",
					    "ReplicationController",
					    "HorizontalPodAutoscaler",
					    "PodDisruptionBudget",
					    "Ingress",
					    "ResourceQuota",
					    "CustomResourceDefinition",
					    NULL};
	size_t i;

	for (i = 0; k && k->kind && kinds[i]; i++)
		if (!strcmp(kinds[i], k->kind))
			return true;
	return false;
}

void fs_strip(cJSON *s, const struct merge_kind *k, const char *subresource)
{
	static const char *const meta[] = {
	    "f:name",	     "f:namespace",  "f:creationTimestamp", "f:selfLink",	 "f:uid",
	    "f:clusterName", "f:generation", "f:managedFields",	    "f:resourceVersion", NULL};
	const char *p[3] = {"f:metadata", NULL, NULL};
	size_t i;

	fs_remove_path(s, (const char *const[]){"f:apiVersion", NULL}, true);
	fs_remove_path(s, (const char *const[]){"f:kind", NULL}, true);
	fs_remove_path(s, p, false);
	for (i = 0; meta[i]; i++) {
		p[1] = meta[i];
		fs_remove_path(s, p, true);
	}
	if (subresource && !strcmp(subresource, "status")) {
		fs_remove_path(s, (const char *const[]){"f:spec", NULL}, true);
		if (k && k->kind && !strcmp(k->kind, "Deployment"))
			fs_remove_path(s, (const char *const[]){"f:metadata", "f:labels", NULL},
				       true);
	} else if ((!subresource || !subresource[0]) && has_status(k)) {
		fs_remove_path(s, (const char *const[]){"f:status", NULL}, true);
	}
}

const char *mf_unrecorded_root(const struct merge_kind *k, const char *subresource)
{
	if (subresource && !strcmp(subresource, "status"))
		return "spec";
	if ((!subresource || !subresource[0]) && has_status(k))
		return "status";
	return NULL;
}

#define TEMPLATE "\"template\":{\"metadata\":{},\"spec\":{\"containers\":[]}}"

cJSON *mf_skeleton(const struct merge_kind *k)
{
	static const struct {
		const char *kind;
		const char *json;
	} sk[] = {
	    {"Deployment", "{\"spec\":{" TEMPLATE ",\"strategy\":{}},\"status\":{}}"},
	    {"ReplicaSet", "{\"spec\":{" TEMPLATE "},\"status\":{\"replicas\":0}}"},
	    {"StatefulSet",
	     "{\"spec\":{" TEMPLATE ",\"updateStrategy\":{}},\"status\":{\"replicas\":0}}"},
	    {"DaemonSet", "{\"spec\":{" TEMPLATE ",\"updateStrategy\":{}},\"status\":{}}"},
	    {"Job", "{\"spec\":{" TEMPLATE "},\"status\":{}}"},
	    {"CronJob", "{\"spec\":{\"jobTemplate\":{\"metadata\":{},\"spec\":{" TEMPLATE
			"}}},\"status\":{}}"},
	    {"Pod", "{\"spec\":{\"containers\":[]},\"status\":{}}"},
	    {"PodTemplate", "{\"template\":{\"metadata\":{},\"spec\":{\"containers\":[]}}}"},
	    {"Service", "{\"spec\":{},\"status\":{\"loadBalancer\":{}}}"},
	    {"Namespace", "{\"spec\":{},\"status\":{}}"},
	    {"Lease", "{\"spec\":{}}"},
	};
	size_t i;

	if (k && k->kind && schema_root(k->group, k->kind))
		for (i = 0; i < sizeof(sk) / sizeof(sk[0]); i++)
			if (!strcmp(sk[i].kind, k->kind))
				return cJSON_Parse(sk[i].json);
	return cJSON_CreateObject();
}

/* Adds what sk has and obj lacks (recursing into objects both have). */
static void overlay(cJSON *obj, const cJSON *sk)
{
	const cJSON *c;

	for (c = sk->child; c; c = c->next) {
		cJSON *o = cJSON_GetObjectItemCaseSensitive(obj, c->string);
		if (!o)
			cJSON_AddItemToObject(obj, c->string, cJSON_Duplicate(c, true));
		else if (cJSON_IsObject(o) && cJSON_IsObject(c))
			overlay(o, c);
	}
}

void mf_fill_skeleton(cJSON *obj, const struct merge_kind *k)
{
	cJSON *sk = mf_skeleton(k);

	if (sk && cJSON_IsObject(obj))
		overlay(obj, sk);
	cJSON_Delete(sk);
}

void mf_api_version(const struct merge_kind *k, char *out, size_t cap)
{
	if (k && k->group && k->group[0])
		snprintf(out, cap, "%s/%s", k->group, k->version ? k->version : "");
	else
		snprintf(out, cap, "%s", k && k->version ? k->version : "v1");
}
