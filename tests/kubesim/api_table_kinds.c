/*
 * api_table_kinds: the `kubectl get` columns of the kinds issue #13 part 1 added, as
 * the real printers (pkg/printers/internalversion) show them: PersistentVolume,
 * PersistentVolumeClaim, StorageClass, ResourceQuota, HorizontalPodAutoscaler.
 */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "store_int.h"
#include "validate_int.h"

enum tk { TK_NONE, TK_PV, TK_PVC, TK_SC, TK_QUOTA, TK_HPA };

static enum tk tk_of(const struct restype *rt)
{
	if (rt->custom)
		return TK_NONE;
	if (!*rt->group && strcmp(rt->resource, "persistentvolumes") == 0)
		return TK_PV;
	if (!*rt->group && strcmp(rt->resource, "persistentvolumeclaims") == 0)
		return TK_PVC;
	if (!*rt->group && strcmp(rt->resource, "resourcequotas") == 0)
		return TK_QUOTA;
	if (strcmp(rt->group, "storage.k8s.io") == 0 && strcmp(rt->resource, "storageclasses") == 0)
		return TK_SC;
	if (strcmp(rt->group, "autoscaling") == 0 &&
	    strcmp(rt->resource, "horizontalpodautoscalers") == 0)
		return TK_HPA;
	return TK_NONE;
}

bool api_table_kinds_columns(const struct restype *rt, cJSON *cols)
{
	static const char *const names[][11] = {
	    [TK_PV] = {"Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim",
		       "StorageClass", "VolumeAttributesClass", "Reason", "Age", NULL},
	    [TK_PVC] = {"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
			"VolumeAttributesClass", "Age", NULL},
	    [TK_SC] = {"Name", "Provisioner", "ReclaimPolicy", "VolumeBindingMode",
		       "AllowVolumeExpansion", "Age", NULL},
	    [TK_QUOTA] = {"Name", "Age", "Request", "Limit", NULL},
	    [TK_HPA] = {"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age",
			NULL},
	};
	enum tk k = tk_of(rt);

	if (k == TK_NONE)
		return false;
	for (size_t i = 0; names[k][i]; i++) {
		const char *n = names[k][i];
		bool num = strcmp(n, "MinPods") == 0 || strcmp(n, "MaxPods") == 0 ||
			   strcmp(n, "Replicas") == 0;

		api_table_col(cols, n,
			      num				       ? "integer"
			      : strcmp(n, "AllowVolumeExpansion") == 0 ? "boolean"
								       : "string",
			      0);
	}
	if (k == TK_PV || k == TK_PVC)
		api_table_col(cols, "VolumeMode", "string", 1);
	return true;
}

/* GetAccessModesAsString: RWO,ROX,RWX,RWOP in that order. */
static void access_modes(const cJSON *modes, char *out, size_t n)
{
	static const char *const full[] = {"ReadWriteOnce", "ReadOnlyMany", "ReadWriteMany",
					   "ReadWriteOncePod"};
	static const char *const abbr[] = {"RWO", "ROX", "RWX", "RWOP"};
	size_t k = 0;

	out[0] = '\0';
	for (size_t i = 0; i < 4; i++)
		if (obj_array_has(modes, full[i]) && k < n)
			k += snprintf(out + k, n - k, "%s%s", k ? "," : "", abbr[i]);
}

#define STR(v) cJSON_AddItemToArray(cells, cJSON_CreateString(v))
#define INT(v) cJSON_AddItemToArray(cells, cJSON_CreateNumber((double)(v)))

static void pv_cells(cJSON *cells, const cJSON *o, char *age)
{
	const cJSON *spec = cJSON_GetObjectItem(o, "spec"), *st = cJSON_GetObjectItem(o, "status");
	const cJSON *ref = cJSON_GetObjectItem(spec, "claimRef");
	char b[512];

	STR(obj_str(cJSON_GetObjectItem(spec, "capacity"), "storage", NULL) ?: "");
	access_modes(cJSON_GetObjectItem(spec, "accessModes"), b, sizeof(b));
	STR(b);
	STR(str_or(spec, "persistentVolumeReclaimPolicy", ""));
	STR(str_or(st, "phase", ""));
	b[0] = '\0';
	if (ref)
		snprintf(b, sizeof(b), "%s/%s", str_or(ref, "namespace", ""),
			 str_or(ref, "name", ""));
	STR(b);
	STR(str_or(spec, "storageClassName", ""));
	STR(str_or(spec, "volumeAttributesClassName", "<unset>"));
	STR(str_or(st, "reason", ""));
	STR(age);
	STR(str_or(spec, "volumeMode", "<unset>"));
}

static void pvc_cells(cJSON *cells, const cJSON *o, char *age)
{
	const cJSON *spec = cJSON_GetObjectItem(o, "spec"), *st = cJSON_GetObjectItem(o, "status");
	const char *phase = str_or(st, "phase", "");
	bool bound = strcmp(phase, "Bound") == 0;
	char b[64] = "";

	STR(phase);
	STR(str_or(spec, "volumeName", ""));
	STR(bound ? obj_str(cJSON_GetObjectItem(st, "capacity"), "storage", NULL) ?: "" : "");
	if (bound)
		access_modes(cJSON_GetObjectItem(st, "accessModes"), b, sizeof(b));
	STR(b);
	STR(str_or(spec, "storageClassName", ""));
	STR(str_or(spec, "volumeAttributesClassName", "<unset>"));
	STR(age);
	STR(str_or(spec, "volumeMode", "<unset>"));
}

/* "pods: 2/4, requests.cpu: 1/2" for Request (and the limits.* for Limit), by name. */
static void quota_cells(cJSON *cells, const cJSON *o, char *age)
{
	const cJSON *st = cJSON_GetObjectItem(o, "status");
	const cJSON *hard = cJSON_GetObjectItem(st, "hard"),
		    *used = cJSON_GetObjectItem(st, "used");
	const cJSON *keys[64];
	char req[1024] = "", lim[1024] = "";
	size_t n = 0, kr = 0, kl = 0;

	n = obj_sorted_members(hard, keys, 64);
	for (size_t i = 0; i < n; i++) {
		bool l = strncmp(keys[i]->string, "limits.", 7) == 0;
		char *out = l ? lim : req;
		size_t *k = l ? &kl : &kr;

		if (*k < sizeof(req))
			*k += snprintf(out + *k, sizeof(req) - *k, "%s%s: %s/%s", *k ? ", " : "",
				       keys[i]->string, obj_str(used, keys[i]->string, NULL) ?: "0",
				       cJSON_IsString(keys[i]) ? keys[i]->valuestring : "");
	}
	STR(age);
	STR(req);
	STR(lim);
}

/* formatHPAMetrics for what the status can show without a metrics API. */
static void hpa_targets(const cJSON *spec, char *out, size_t n)
{
	const cJSON *m;
	size_t k = 0;

	out[0] = '\0';
	cJSON_ArrayForEach(m, cJSON_GetObjectItem(spec, "metrics"))
	{
		const cJSON *r = cJSON_GetObjectItem(m, "resource");
		const cJSON *t = cJSON_GetObjectItem(r, "target");
		const cJSON *u = cJSON_GetObjectItem(t, "averageUtilization");
		char want[64];

		if (strcmp(str_or(m, "type", ""), "Resource") != 0 || k >= n)
			continue;
		if (cJSON_IsNumber(u))
			snprintf(want, sizeof(want), "%d%%", u->valueint);
		else
			snprintf(want, sizeof(want), "%s", str_or(t, "averageValue", "<auto>"));
		k += snprintf(out + k, n - k, "%s%s: <unknown>/%s", k ? ", " : "",
			      str_or(r, "name", ""), want);
	}
	if (!k)
		snprintf(out, n, "<none>");
}

static void hpa_cells(cJSON *cells, const cJSON *o, char *age)
{
	const cJSON *spec = cJSON_GetObjectItem(o, "spec"), *st = cJSON_GetObjectItem(o, "status");
	const cJSON *ref = cJSON_GetObjectItem(spec, "scaleTargetRef");
	const cJSON *min = cJSON_GetObjectItem(spec, "minReplicas");
	const cJSON *max = cJSON_GetObjectItem(spec, "maxReplicas");
	const cJSON *cur = cJSON_GetObjectItem(st, "currentReplicas");
	char b[512];

	snprintf(b, sizeof(b), "%s/%s", str_or(ref, "kind", ""), str_or(ref, "name", ""));
	STR(b);
	hpa_targets(spec, b, sizeof(b));
	STR(b);
	if (cJSON_IsNumber(min))
		INT(min->valuedouble);
	else
		STR("<unset>");
	INT(cJSON_IsNumber(max) ? max->valuedouble : 0);
	INT(cJSON_IsNumber(cur) ? cur->valuedouble : 0);
	STR(age);
}

cJSON *api_table_kinds_row(const struct restype *rt, const cJSON *o)
{
	enum tk k = tk_of(rt);
	const cJSON *md = cJSON_GetObjectItem(o, "metadata");
	cJSON *row, *cells;
	char age[32], name[300];

	if (k == TK_NONE)
		return NULL;
	row = cJSON_CreateObject();
	cells = cJSON_AddArrayToObject(row, "cells");
	api_human_age(o, age, sizeof(age));
	snprintf(name, sizeof(name), "%s", str_or(md, "name", ""));
	if (k == TK_SC && strcmp(obj_str(cJSON_GetObjectItem(md, "annotations"),
					 "storageclass.kubernetes.io/is-default-class", NULL)
				     ?: "",
				 "true") == 0)
		snprintf(name, sizeof(name), "%s (default)", str_or(md, "name", ""));
	STR(name);
	switch (k) {
	case TK_PV:
		pv_cells(cells, o, age);
		break;
	case TK_PVC:
		pvc_cells(cells, o, age);
		break;
	case TK_SC:
		STR(str_or(o, "provisioner", ""));
		STR(str_or(o, "reclaimPolicy", "Delete"));
		STR(str_or(o, "volumeBindingMode", "Immediate"));
		cJSON_AddItemToArray(cells, cJSON_CreateBool(cJSON_IsTrue(
						cJSON_GetObjectItem(o, "allowVolumeExpansion"))));
		STR(age);
		break;
	case TK_QUOTA:
		quota_cells(cells, o, age);
		break;
	default:
		hpa_cells(cells, o, age);
		break;
	}
	return api_table_row_object(row, o);
}
