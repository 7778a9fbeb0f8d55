/*
 * admission: LimitRanger, DefaultStorageClass and ResourceQuota
 * (plugin/pkg/admission/{limitranger,storage/storageclass/setdefault},
 * apiserver/pkg/admission/plugin/resourcequota, pkg/quota/v1/evaluator/core). Quota
 * usage is counted from the store at the time of the request, which equals the
 * status.used the real plugin reads once the quota controller has caught up. Scopes and
 * scope selectors are not evaluated (a quota with scopes counts everything).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "admission.h"
#include "quantity.h"
#include "store_int.h"
#include "validate_int.h"

static bool builtin(const struct restype *rt, const char *group, const char *resource)
{
	return !rt->custom && strcmp(rt->group, group) == 0 && strcmp(rt->resource, resource) == 0;
}

int admission_vforbidden(struct kstatus *e, const struct restype *rt, const char *name,
			 const char *fmt, va_list ap)
{
	char why[2048];
	int rc;

	vsnprintf(why, sizeof(why), fmt, ap);
	rc = kstatus_set(e, 403, "Forbidden", "%s%s%s \"%s\" is forbidden: %s", rt->resource,
			 rt->group[0] ? "." : "", rt->group, name, why);
	if (e && e->code == 403 && !e->kind[0]) {
		snprintf(e->name, sizeof(e->name), "%s", name);
		snprintf(e->group, sizeof(e->group), "%s", rt->group);
		snprintf(e->kind, sizeof(e->kind), "%s", rt->resource);
	}
	return rc;
}

static int forbidden(struct kstatus *e, const struct restype *rt, const char *name, const char *fmt,
		     ...) __attribute__((format(printf, 4, 5)));
static int forbidden(struct kstatus *e, const struct restype *rt, const char *name, const char *fmt,
		     ...)
{
	va_list ap;
	int rc;

	va_start(ap, fmt);
	rc = admission_vforbidden(e, rt, name, fmt, ap);
	va_end(ap);
	return rc;
}

/* ---- LimitRanger ---------------------------------------------------------------- */

static void sorted_join(const char **names, size_t n, char *out, size_t len)
{
	size_t k = 0;

	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0 && strcmp(names[j - 1], names[j]) > 0; j--) {
			const char *t = names[j];

			names[j] = names[j - 1];
			names[j - 1] = t;
		}
	out[0] = '\0';
	for (size_t i = 0; i < n && k < len; i++)
		k += snprintf(out + k, len - k, "%s%s", i ? ", " : "", names[i]);
}

/* mergeContainerResources: what from (a default map) has that the container's
 * resources[field] lacks is copied in; the names set are noted for the annotation. */
static size_t fill_missing(cJSON *res, const char *field, const cJSON *from, const char **set,
			   size_t n, size_t cap)
{
	cJSON *to = cJSON_GetObjectItemCaseSensitive(res, field);
	const cJSON *q;

	cJSON_ArrayForEach(q, from)
	{
		if (to && cJSON_GetObjectItemCaseSensitive(to, q->string))
			continue;
		if (!to)
			to = cJSON_AddObjectToObject(res, field);
		if (!to)
			return n;
		cJSON_AddItemToObject(to, q->string, cJSON_Duplicate(q, true));
		if (n < cap)
			set[n++] = q->string;
	}
	return n;
}

/* One container: "cpu, memory request for container c" and "... limit ..." parts. */
static void default_container(cJSON *c, const cJSON *item, const char *what, char *note, size_t len)
{
	const char *req[16], *lim[16];
	cJSON *res = cJSON_GetObjectItemCaseSensitive(c, "resources");
	char a[256], b[256];
	size_t nr, nl, k = strlen(note);

	if (!res)
		res = cJSON_AddObjectToObject(c, "resources");
	if (!res)
		return;
	nl = fill_missing(res, "limits", cJSON_GetObjectItem(item, "default"), lim, 0, 16);
	nr = fill_missing(res, "requests", cJSON_GetObjectItem(item, "defaultRequest"), req, 0, 16);
	sorted_join(req, nr, a, sizeof(a));
	sorted_join(lim, nl, b, sizeof(b));
	if (nr && k < len)
		k += snprintf(note + k, len - k, "%s%s request for %s %s", k ? "; " : "", a, what,
			      str_or(c, "name", ""));
	if (nl && k < len)
		snprintf(note + k, len - k, "%s%s limit for %s %s", k ? "; " : "", b, what,
			 str_or(c, "name", ""));
}

static void limitranger_mutate(struct store *st, const char *ns, cJSON *pod)
{
	const struct restype *lt = store_type(st, "", "limitranges");
	const cJSON **lrs = NULL, *item;
	cJSON *spec = cJSON_GetObjectItem(pod, "spec"), *c, *ann;
	size_t n = lt ? store_list(st, lt, ns, &lrs) : 0;
	char note[1024] = "";

	for (size_t i = 0; i < n; i++)
		cJSON_ArrayForEach(
		    item, cJSON_GetObjectItem(cJSON_GetObjectItem(lrs[i], "spec"), "limits"))
		{
			if (strcmp(str_or(item, "type", ""), "Container") != 0)
				continue;
			cJSON_ArrayForEach(c, cJSON_GetObjectItem(spec, "initContainers"))
			    default_container(c, item, "init container", note, sizeof(note));
			cJSON_ArrayForEach(c, cJSON_GetObjectItem(spec, "containers"))
			    default_container(c, item, "container", note, sizeof(note));
		}
	free(lrs);
	if (!note[0])
		return;
	ann = cJSON_GetObjectItem(cJSON_GetObjectItem(pod, "metadata"), "annotations");
	if (!ann)
		ann = cJSON_AddObjectToObject(cJSON_GetObjectItem(pod, "metadata"), "annotations");
	if (!ann)
		return;
	cJSON_DeleteItemFromObjectCaseSensitive(ann, "kubernetes.io/limit-ranger");
	{
		char val[1100];

		snprintf(val, sizeof(val), "LimitRanger plugin set: %s", note);
		cJSON_AddStringToObject(ann, "kubernetes.io/limit-ranger", val);
	}
}

static const char *qtext(const cJSON *q, char *buf, size_t n)
{
	if (cJSON_IsString(q))
		return q->valuestring;
	snprintf(buf, n, "%g", cJSON_IsNumber(q) ? q->valuedouble : 0);
	return buf;
}

/* minConstraint / maxConstraint for one container and one resource. */
static void limit_check(const cJSON *c, const char *rname, const cJSON *bound, bool max, char *msg,
			size_t len)
{
	const cJSON *res = cJSON_GetObjectItem(c, "resources");
	const cJSON *req =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(res, "requests"), rname);
	const cJSON *lim =
	    cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItem(res, "limits"), rname);
	int64_t b = quantity_milli(bound, NULL);
	char e[64], o[64];
	size_t k = strlen(msg);
	const char *fmt = NULL, *shown = NULL, *et = qtext(bound, e, sizeof(e));

	if (!max && !req)
		fmt = "minimum %s usage per Container is %s.  No request is specified";
	else if (!max && quantity_milli(req, NULL) < b)
		fmt = "minimum %s usage per Container is %s, but request is %s",
		shown = qtext(req, o, sizeof(o));
	else if (!max && lim && quantity_milli(lim, NULL) < b)
		fmt = "minimum %s usage per Container is %s, but limit is %s",
		shown = qtext(lim, o, sizeof(o));
	else if (max && !lim)
		fmt = "maximum %s usage per Container is %s.  No limit is specified";
	else if (max && quantity_milli(lim, NULL) > b)
		fmt = "maximum %s usage per Container is %s, but limit is %s",
		shown = qtext(lim, o, sizeof(o));
	else if (max && req && quantity_milli(req, NULL) > b)
		fmt = "maximum %s usage per Container is %s, but request is %s",
		shown = qtext(req, o, sizeof(o));
	if (!fmt || k >= len)
		return;
	k += snprintf(msg + k, len - k, "%s", k ? ", " : "");
	if (k < len)
		snprintf(msg + k, len - k, fmt, rname, et, shown);
}

static int limitranger_validate(struct store *st, const char *ns, const cJSON *pod,
				struct kstatus *e, const char *name)
{
	const struct restype *lt = store_type(st, "", "limitranges");
	const cJSON **lrs = NULL, *item, *c, *q;
	const cJSON *spec = cJSON_GetObjectItem(pod, "spec");
	size_t n = lt ? store_list(st, lt, ns, &lrs) : 0, errs = 0;
	char msg[1024] = "";

	for (size_t i = 0; i < n; i++)
		cJSON_ArrayForEach(
		    item, cJSON_GetObjectItem(cJSON_GetObjectItem(lrs[i], "spec"), "limits"))
		{
			if (strcmp(str_or(item, "type", ""), "Container") != 0)
				continue;
			for (int init = 0; init < 2; init++)
				cJSON_ArrayForEach(c,
						   cJSON_GetObjectItem(spec, init ? "initContainers"
										  : "containers"))
				{
					cJSON_ArrayForEach(q, cJSON_GetObjectItem(item, "min"))
					    limit_check(c, q->string, q, false, msg, sizeof(msg));
					cJSON_ArrayForEach(q, cJSON_GetObjectItem(item, "max"))
					    limit_check(c, q->string, q, true, msg, sizeof(msg));
				}
		}
	free(lrs);
	if (!msg[0])
		return 0;
	for (const char *p = msg; (p = strstr(p, ", m")) != NULL; p++)
		errs++;
	/* utilerrors.NewAggregate prints one error as itself, more as "[a, b]" */
	return forbidden(e, store_type(st, "", "pods"), name, "%s%s%s", errs ? "[" : "", msg,
			 errs ? "]" : "");
}

/* ---- DefaultStorageClass -------------------------------------------------------- */

const char *admission_default_class(struct store *st)
{
	const struct restype *sc = store_type(st, "storage.k8s.io", "storageclasses");
	const cJSON **all = NULL;
	const char *best = NULL, *best_t = "";
	size_t n = sc ? store_list(st, sc, NULL, &all) : 0;

	for (size_t i = 0; i < n; i++) {
		const cJSON *md = cJSON_GetObjectItem(all[i], "metadata");
		const char *v = obj_str(cJSON_GetObjectItem(md, "annotations"),
					"storageclass.kubernetes.io/is-default-class", NULL);
		const char *t = str_or(md, "creationTimestamp", "");

		if (v && strcmp(v, "true") == 0 && (!best || strcmp(t, best_t) >= 0)) {
			best = obj_str(md, "name", NULL);
			best_t = t;
		}
	}
	free(all);
	return best;
}

/* StorageObjectInUseProtection: claims and volumes are deleted only once unused. */
static void add_protection(cJSON *obj, const char *finalizer)
{
	cJSON *md = cJSON_GetObjectItem(obj, "metadata"), *fins;

	if (!cJSON_IsObject(md))
		return;
	fins = cJSON_GetObjectItem(md, "finalizers");
	if (!cJSON_IsArray(fins)) {
		cJSON_DeleteItemFromObjectCaseSensitive(md, "finalizers");
		fins = cJSON_AddArrayToObject(md, "finalizers");
	}
	if (fins && !obj_array_has(fins, finalizer))
		cJSON_AddItemToArray(fins, cJSON_CreateString(finalizer));
}

void admission_mutate(struct store *st, const struct restype *rt, const char *ns, cJSON *obj)
{
	cJSON *spec = cJSON_GetObjectItem(obj, "spec");

	if (builtin(rt, "", "persistentvolumeclaims"))
		add_protection(obj, "kubernetes.io/pvc-protection");
	else if (builtin(rt, "", "persistentvolumes"))
		add_protection(obj, "kubernetes.io/pv-protection");

	if (builtin(rt, "", "pods") && cJSON_IsObject(spec))
		limitranger_mutate(st, ns, obj);
	else if (builtin(rt, "", "persistentvolumeclaims") && cJSON_IsObject(spec) &&
		 !cJSON_GetObjectItem(spec, "storageClassName")) {
		const char *def = admission_default_class(st);

		if (def)
			cJSON_AddStringToObject(spec, "storageClassName", def);
	}
}

/* ---- ResourceQuota -------------------------------------------------------------- */

/* Sum of the containers' resources[field][name], at least each init container's. */
static int64_t pod_resource(const cJSON *pod, const char *field, const char *name, bool *bin)
{
	const cJSON *spec = cJSON_GetObjectItem(pod, "spec"), *c;
	int64_t sum = 0, init = 0;

	for (int i = 0; i < 2; i++)
		cJSON_ArrayForEach(c,
				   cJSON_GetObjectItem(spec, i ? "initContainers" : "containers"))
		{
			const cJSON *q = cJSON_GetObjectItemCaseSensitive(
			    cJSON_GetObjectItem(cJSON_GetObjectItem(c, "resources"), field), name);
			int64_t v = q ? quantity_milli(q, bin) : 0;

			if (i)
				init = v > init ? v : init;
			else
				sum += v;
		}
	return sum > init ? sum : init;
}

/* QuotaV1Pod: pods that have not finished count for compute resources. */
static bool pod_counts(const cJSON *pod)
{
	const char *phase = obj_str(cJSON_GetObjectItem(pod, "status"), "phase", NULL);

	return !phase || (strcmp(phase, "Succeeded") != 0 && strcmp(phase, "Failed") != 0);
}

/* The type a quota resource name counts, and the usage one object of it adds. */
static const struct restype *quota_type(struct store *st, const char *res)
{
	static const char *const pod_res[] = {"pods", "cpu", "memory", "ephemeral-storage", NULL};
	char r[128], *dot;

	for (size_t i = 0; pod_res[i]; i++)
		if (strcmp(res, pod_res[i]) == 0)
			return store_type(st, "", "pods");
	if (strncmp(res, "requests.", 9) == 0 || strncmp(res, "limits.", 7) == 0)
		return strcmp(res, "requests.storage") == 0
			   ? store_type(st, "", "persistentvolumeclaims")
			   : store_type(st, "", "pods");
	if (strncmp(res, "services.", 9) == 0)
		return store_type(st, "", "services");
	if (strncmp(res, "count/", 6) != 0)
		return store_type(st, "", res);
	snprintf(r, sizeof(r), "%s", res + 6);
	dot = strchr(r, '.');
	if (dot)
		*dot++ = '\0';
	return store_type(st, dot ? dot : "", r);
}

static int64_t object_usage(const struct restype *rt, const char *res, const cJSON *o, bool *bin)
{
	const char *type = obj_str(cJSON_GetObjectItem(o, "spec"), "type", NULL);

	if (strncmp(res, "count/", 6) == 0)
		return 1000;
	if (builtin(rt, "", "pods")) {
		if (!pod_counts(o))
			return 0;
		if (strcmp(res, "pods") == 0)
			return 1000;
		if (strcmp(res, "cpu") == 0 || strcmp(res, "memory") == 0 ||
		    strcmp(res, "ephemeral-storage") == 0)
			return pod_resource(o, "requests", res, bin);
		if (strncmp(res, "requests.", 9) == 0)
			return pod_resource(o, "requests", res + 9, bin);
		return pod_resource(o, "limits", res + 7, bin);
	}
	if (strcmp(res, "requests.storage") == 0)
		return quantity_milli(
		    cJSON_GetObjectItem(
			cJSON_GetObjectItem(
			    cJSON_GetObjectItem(cJSON_GetObjectItem(o, "spec"), "resources"),
			    "requests"),
			"storage"),
		    bin);
	if (strcmp(res, "services.loadbalancers") == 0)
		return type && strcmp(type, "LoadBalancer") == 0 ? 1000 : 0;
	if (strcmp(res, "services.nodeports") == 0)
		return type && (strcmp(type, "NodePort") == 0 || strcmp(type, "LoadBalancer") == 0)
			   ? 1000 * (int64_t)cJSON_GetArraySize(cJSON_GetObjectItem(
					cJSON_GetObjectItem(o, "spec"), "ports"))
			   : 0;
	return 1000;
}

static int64_t ns_usage(struct store *st, const char *ns, const char *res, bool *bin)
{
	const struct restype *rt = quota_type(st, res);
	const cJSON **all = NULL;
	size_t n = rt ? store_list(st, rt, ns, &all) : 0;
	int64_t sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += object_usage(rt, res, all[i], bin);
	free(all);
	return sum;
}

cJSON *admission_quota_status(struct store *st, const cJSON *quota)
{
	const cJSON *hard = cJSON_GetObjectItem(cJSON_GetObjectItem(quota, "spec"), "hard"), *h;
	const char *ns = obj_str(cJSON_GetObjectItem(quota, "metadata"), "namespace", NULL);
	cJSON *s = cJSON_CreateObject(), *used;
	char buf[40];

	if (!s || !cJSON_IsObject(hard) || !hard->child)
		return s;
	cJSON_AddItemToObject(s, "hard", cJSON_Duplicate(hard, true));
	used = cJSON_AddObjectToObject(s, "used");
	cJSON_ArrayForEach(h, hard)
	{
		bool bin = false;
		int64_t u = ns_usage(st, ns, h->string, &bin);

		quantity_format(u, bin, buf, sizeof(buf));
		cJSON_AddStringToObject(used, h->string, buf);
	}
	return s;
}

/* "k=v,k=v" in key order (prettyPrint). */
static void pretty_add(char *out, size_t n, const char *k, int64_t v, bool bin)
{
	size_t len = strlen(out);
	char q[40];

	quantity_format(v, bin, q, sizeof(q));
	if (len < n)
		snprintf(out + len, n - len, "%s%s=%s", len ? "," : "", k, q);
}

/* The name a Forbidden from admission shows: the name, else the generateName. */
static const char *shown_name(const cJSON *obj)
{
	const cJSON *md = cJSON_GetObjectItem(obj, "metadata");
	const char *gn = obj_str(md, "generateName", NULL), *nm = str_or(md, "name", "");

	if (gn && strncmp(nm, gn, strlen(gn)) == 0 && strlen(nm) == strlen(gn) + 5)
		return gn;
	return nm;
}

/* podEvaluator.Constraints: with cpu or memory under quota, every container must state
 * it ("must specify limits.memory for: a,b; requests.cpu for: a"). */
static int pod_constraints(const struct restype *rt, const cJSON *pod, const cJSON *hard,
			   const char *quota, struct kstatus *e)
{
	static const char *const checked[] = {"cpu",	"limits.cpu",	"limits.memory",
					      "memory", "requests.cpu", "requests.memory",
					      NULL};
	const cJSON *spec = cJSON_GetObjectItem(pod, "spec"), *c;
	char msg[1024] = "";
	size_t k = 0;

	for (size_t i = 0; checked[i]; i++) {
		const char *res = checked[i], *dot = strchr(res, '.');
		const char *field = dot && res[0] == 'l' ? "limits" : "requests";
		const char *name = dot ? dot + 1 : res;
		char who[512] = "";
		size_t w = 0;

		if (!cJSON_GetObjectItemCaseSensitive(hard, res))
			continue;
		for (int init = 1; init >= 0; init--)
			cJSON_ArrayForEach(
			    c, cJSON_GetObjectItem(spec, init ? "initContainers" : "containers"))
			{
				const cJSON *m =
				    cJSON_GetObjectItem(cJSON_GetObjectItem(c, "resources"), field);

				if (!cJSON_GetObjectItemCaseSensitive(m, name) && w < sizeof(who))
					w += snprintf(who + w, sizeof(who) - w, "%s%s",
						      w ? "," : "", str_or(c, "name", ""));
			}
		if (w && k < sizeof(msg))
			k += snprintf(msg + k, sizeof(msg) - k, "%s%s for: %s", k ? "; " : "", res,
				      who);
	}
	if (!k)
		return 0;
	return forbidden(e, rt, shown_name(pod), "failed quota: %s: must specify %s", quota, msg);
}

static int quota_check(struct store *st, const struct restype *rt, const char *ns, const cJSON *obj,
		       const cJSON *quota, struct kstatus *e)
{
	const cJSON *hard = cJSON_GetObjectItem(cJSON_GetObjectItem(quota, "spec"), "hard");
	const cJSON *hk[32];
	char req[512] = "", used[512] = "", lim[512] = "";
	size_t n;
	int rc;

	if (builtin(rt, "", "pods") && pod_counts(obj) &&
	    (rc = pod_constraints(
		 rt, obj, hard, str_or(cJSON_GetObjectItem(quota, "metadata"), "name", ""), e)) < 0)
		return rc;
	n = obj_sorted_members(hard, hk, 32);
	for (size_t i = 0; i < n; i++) {
		const char *res = hk[i]->string;
		bool bin = false, hbin = false;
		int64_t add, u, limit = quantity_milli(hk[i], &hbin);

		if (quota_type(st, res) != rt)
			continue;
		add = object_usage(rt, res, obj, &bin);
		if (!add)
			continue;
		u = ns_usage(st, ns, res, &bin);
		if (u + add <= limit)
			continue;
		pretty_add(req, sizeof(req), res, add, bin);
		pretty_add(used, sizeof(used), res, u, bin);
		pretty_add(lim, sizeof(lim), res, limit, hbin);
	}
	if (!req[0])
		return 0;
	return forbidden(
	    e, rt, shown_name(obj), "exceeded quota: %s, requested: %s, used: %s, limited: %s",
	    str_or(cJSON_GetObjectItem(quota, "metadata"), "name", ""), req, used, lim);
}

int admission_validate(struct store *st, const struct restype *rt, const char *ns, const cJSON *obj,
		       struct kstatus *e)
{
	const struct restype *qt = store_type(st, "", "resourcequotas");
	const cJSON **quotas = NULL;
	size_t n;
	int rc = 0;

	if (!rt->namespaced || !ns)
		return 0;
	if (builtin(rt, "", "pods") &&
	    (rc = limitranger_validate(st, ns, obj, e, shown_name(obj))) < 0)
		return rc;
	n = qt ? store_list(st, qt, ns, &quotas) : 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = quota_check(st, rt, ns, obj, quotas[i], e);
	free(quotas);
	return rc;
}
