/*
 * validate_kinds: the registry validation of the kinds issue #13 part 1 added
 * (pkg/apis/core/validation ValidateReplicationController, ValidatePersistentVolume,
 * ValidatePersistentVolumeClaimSpec, ValidateResourceQuota; pkg/apis/storage/validation;
 * pkg/apis/autoscaling/validation): required fields, enumerations, bounds and the
 * StorageClass's fixed fields, with the real messages.
 */
#include <stdio.h>
#include <string.h>

#include "quantity.h"
#include "store_int.h"
#include "validate_int.h"

static const char *const access_modes[] = {"ReadOnlyMany", "ReadWriteMany", "ReadWriteOnce",
					   "ReadWriteOncePod", NULL};
static const char *const volume_modes[] = {"Block", "Filesystem", NULL};

static bool is(const struct restype *rt, const char *group, const char *kind)
{
	return strcmp(rt->group, group) == 0 && strcmp(rt->kind, kind) == 0;
}

static void check_rc(struct field_errs *v, const cJSON *spec)
{
	const cJSON *sel = cJSON_GetObjectItem(spec, "selector");
	const cJSON *tmpl = cJSON_GetObjectItem(spec, "template");
	const cJSON *labels = cJSON_GetObjectItem(cJSON_GetObjectItem(tmpl, "metadata"), "labels");
	const cJSON *rep = cJSON_GetObjectItem(spec, "replicas"), *it;
	const char *rp = obj_str(cJSON_GetObjectItem(tmpl, "spec"), "restartPolicy", NULL);
	static const char *const always[] = {"Always", NULL};
	char buf[600];

	if (!cJSON_IsObject(sel) || !sel->child)
		field_err(v, "spec.selector", "FieldValueRequired", "Required value");
	if (cJSON_IsNumber(rep) && rep->valuedouble < 0)
		field_err(v, "spec.replicas", "FieldValueInvalid",
			  "Invalid value: %d: must be greater than or equal to 0", rep->valueint);
	if (!tmpl) {
		field_err(v, "spec.template", "FieldValueRequired", "Required value");
		return;
	}
	cJSON_ArrayForEach(it, sel)
	{
		const char *have = obj_str(labels, it->string, NULL);

		if (!cJSON_IsString(it) || !have || strcmp(have, it->valuestring) != 0) {
			valid_go_map(labels, buf, sizeof(buf));
			field_err(v, "spec.template.metadata.labels", "FieldValueInvalid",
				  "Invalid value: %s: selector does not match template labels",
				  buf);
			break;
		}
	}
	validate_labels(v, "spec.template.metadata.labels", labels);
	validate_pod_spec(v, cJSON_GetObjectItem(tmpl, "spec"), "spec.template.spec.");
	if (rp)
		valid_enum(v, "spec.template.spec.restartPolicy", rp, always);
}

static void check_modes(struct field_errs *v, const cJSON *spec, const char *required_msg)
{
	const cJSON *modes = cJSON_GetObjectItem(spec, "accessModes"), *m;
	const char *vm = obj_str(spec, "volumeMode", NULL);

	if (!cJSON_GetArraySize(modes))
		field_err(v, "spec.accessModes", "FieldValueRequired", "Required value%s%s",
			  required_msg ? ": " : "", required_msg ? required_msg : "");
	cJSON_ArrayForEach(m, modes) if (cJSON_IsString(m))
	    valid_enum(v, "spec.accessModes", m->valuestring, access_modes);
	if (vm)
		valid_enum(v, "spec.volumeMode", vm, volume_modes);
}

/* The volume sources a PersistentVolume may name (PersistentVolumeSource). */
static bool has_source(const cJSON *spec)
{
	static const char *const src[] = {"gcePersistentDisk",
					  "awsElasticBlockStore",
					  "hostPath",
					  "glusterfs",
					  "nfs",
					  "rbd",
					  "iscsi",
					  "cinder",
					  "cephfs",
					  "fc",
					  "flocker",
					  "flexVolume",
					  "azureFile",
					  "vsphereVolume",
					  "quobyte",
					  "azureDisk",
					  "photonPersistentDisk",
					  "portworxVolume",
					  "scaleIO",
					  "local",
					  "storageos",
					  "csi",
					  NULL};

	for (size_t i = 0; src[i]; i++)
		if (cJSON_GetObjectItem(spec, src[i]))
			return true;
	return false;
}

static void check_pv(struct field_errs *v, const cJSON *spec)
{
	static const char *const policies[] = {"Delete", "Recycle", "Retain", NULL};
	const char *pol = obj_str(spec, "persistentVolumeReclaimPolicy", NULL);

	check_modes(v, spec, NULL);
	if (!cJSON_GetArraySize(cJSON_GetObjectItem(spec, "capacity")))
		field_err(v, "spec.capacity", "FieldValueRequired", "Required value");
	if (pol)
		valid_enum(v, "spec.persistentVolumeReclaimPolicy", pol, policies);
	if (!has_source(spec))
		field_err(v, "spec", "FieldValueRequired",
			  "Required value: must specify a volume type");
}

static void check_pvc(struct field_errs *v, const cJSON *spec)
{
	const cJSON *req = cJSON_GetObjectItem(cJSON_GetObjectItem(spec, "resources"), "requests");
	const char *sc = obj_str(spec, "storageClassName", NULL);

	check_modes(v, spec, "at least 1 access mode is required");
	if (!cJSON_GetObjectItem(req, "storage"))
		field_err(v, "spec.resources[storage]", "FieldValueRequired", "Required value");
	if (sc && *sc)
		valid_name(v, "spec.storageClassName", NAME_SUBDOMAIN, sc, NULL);
}

static void check_storageclass(struct field_errs *v, const cJSON *sc, const cJSON *old)
{
	static const char *const policies[] = {"Delete", "Retain", NULL};
	static const char *const modes[] = {"Immediate", "WaitForFirstConsumer", NULL};
	const char *prov = str_or(sc, "provisioner", "");

	if (!*prov)
		field_err(v, "provisioner", "FieldValueRequired", "Required value");
	valid_enum(v, "reclaimPolicy", str_or(sc, "reclaimPolicy", "Delete"), policies);
	valid_enum(v, "volumeBindingMode", str_or(sc, "volumeBindingMode", "Immediate"), modes);
	if (!old)
		return;
	if (!cJSON_Compare(cJSON_GetObjectItem(sc, "parameters"),
			   cJSON_GetObjectItem(old, "parameters"), true) &&
	    (cJSON_GetArraySize(cJSON_GetObjectItem(sc, "parameters")) ||
	     cJSON_GetArraySize(cJSON_GetObjectItem(old, "parameters"))))
		field_err(v, "parameters", "FieldValueForbidden",
			  "Forbidden: updates to parameters are forbidden.");
	if (strcmp(prov, str_or(old, "provisioner", "")) != 0)
		field_err(v, "provisioner", "FieldValueForbidden",
			  "Forbidden: updates to provisioner are forbidden.");
	if (strcmp(str_or(sc, "reclaimPolicy", ""), str_or(old, "reclaimPolicy", "")) != 0)
		field_err(v, "reclaimPolicy", "FieldValueForbidden",
			  "Forbidden: updates to reclaimPolicy are forbidden.");
	if (strcmp(str_or(sc, "volumeBindingMode", ""), str_or(old, "volumeBindingMode", "")) != 0)
		field_err(v, "volumeBindingMode", "FieldValueInvalid",
			  "Invalid value: \"%s\": field is immutable",
			  str_or(sc, "volumeBindingMode", ""));
}

/* ValidateResourceQuantityValue for each spec.hard entry. */
static void check_quota(struct field_errs *v, const cJSON *spec)
{
	const cJSON *h;
	char f[300];

	cJSON_ArrayForEach(h, cJSON_GetObjectItem(spec, "hard"))
	{
		snprintf(f, sizeof(f), "spec.hard[%s]", h->string);
		valid_qualified(v, f, h->string, NULL);
		if (quantity_milli(h, NULL) < 0)
			field_err(v, f, "FieldValueInvalid",
				  "Invalid value: \"%s\": must be greater than or equal to 0",
				  cJSON_IsString(h) ? h->valuestring : "");
	}
}

static void check_hpa(struct field_errs *v, const cJSON *spec)
{
	const cJSON *min = cJSON_GetObjectItem(spec, "minReplicas");
	const cJSON *max = cJSON_GetObjectItem(spec, "maxReplicas");
	const cJSON *ref = cJSON_GetObjectItem(spec, "scaleTargetRef");
	int hi = cJSON_IsNumber(max) ? max->valueint : 0;

	if (cJSON_IsNumber(min) && min->valueint < 1)
		field_err(v, "spec.minReplicas", "FieldValueInvalid",
			  "Invalid value: %d: must be greater than or equal to 1", min->valueint);
	if (hi < 1)
		field_err(v, "spec.maxReplicas", "FieldValueInvalid",
			  "Invalid value: %d: must be greater than 0", hi);
	if (cJSON_IsNumber(min) && hi < min->valueint)
		field_err(v, "spec.maxReplicas", "FieldValueInvalid",
			  "Invalid value: %d: must be greater than or equal to `minReplicas`", hi);
	if (!*str_or(ref, "kind", ""))
		field_err(v, "spec.scaleTargetRef.kind", "FieldValueRequired", "Required value");
	else
		valid_name(v, "spec.scaleTargetRef.kind", NAME_PATH, str_or(ref, "kind", ""), NULL);
	if (!*str_or(ref, "name", ""))
		field_err(v, "spec.scaleTargetRef.name", "FieldValueRequired", "Required value");
	else
		valid_name(v, "spec.scaleTargetRef.name", NAME_PATH, str_or(ref, "name", ""), NULL);
}

void validate_kinds(struct field_errs *v, const struct restype *rt, const cJSON *obj,
		    const cJSON *old)
{
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec");

	if (is(rt, "", "ReplicationController"))
		check_rc(v, spec);
	else if (is(rt, "", "PersistentVolume"))
		check_pv(v, spec);
	else if (is(rt, "", "PersistentVolumeClaim") && !old)
		check_pvc(v, spec);
	else if (is(rt, "storage.k8s.io", "StorageClass"))
		check_storageclass(v, obj, old);
	else if (is(rt, "", "ResourceQuota"))
		check_quota(v, spec);
	else if (is(rt, "autoscaling", "HorizontalPodAutoscaler"))
		check_hpa(v, spec);
}
