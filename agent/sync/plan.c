/*
 * plan: decides, per object, whether a request is needed at all. A sync where nothing
 * changed in Git or in the cluster must cost no write and no dry-run: the manifest
 * hash matches the inventory and the live object is untouched since tether applied it.
 * Secrets are the exception: their digest leaves the data out (secret_hash), so each
 * costs one dry-run, never a write when nothing changed.
 * "Untouched" looks past status: generation for kinds that have one (status writes do
 * not move it), resourceVersion otherwise, and the managedFields of other managers.
 */
#include <stdlib.h>
#include <string.h>

#include "jsonget.h"
#include "sync_int.h"

void sync_hash_text(const char *text, char out[17])
{
	char full[65];

	sha256_hex(text ? text : "", text ? strlen(text) : 0, full);
	memcpy(out, full, 16);
	out[16] = '\0';
}

void sync_hash_object(const cJSON *body, char out[17])
{
	char *text = cJSON_PrintUnformatted(body);

	sync_hash_text(text, out);
	free(text);
}

/* Status writes (controllers, kubelet) and tether's own entries do not count. */
static bool foreign_manager(const cJSON *m)
{
	const cJSON *mgr = cJSON_GetObjectItemCaseSensitive(m, "manager");
	const cJSON *sub = cJSON_GetObjectItemCaseSensitive(m, "subresource");

	if (cJSON_IsString(sub) && strcmp(sub->valuestring, "status") == 0)
		return false;
	return !(cJSON_IsString(mgr) && strcmp(mgr->valuestring, SYNC_FIELD_MANAGER) == 0);
}

void sync_hash_managers(const cJSON *live, char out[17])
{
	const cJSON *meta = cJSON_GetObjectItemCaseSensitive(live, "metadata");
	const cJSON *mf = cJSON_GetObjectItemCaseSensitive(meta, "managedFields");
	const cJSON *m;
	struct buf b;
	char full[65];

	buf_init(&b, 0);
	cJSON_ArrayForEach(m, mf)
	{
		const char *keys[] = {"manager", "operation", "subresource", "apiVersion"};
		char *fields;

		if (!foreign_manager(m))
			continue;
		for (size_t i = 0; i < 4; i++) {
			const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, keys[i]);
			buf_printf(&b, "%s\t", cJSON_IsString(v) ? v->valuestring : "");
		}
		/* Time is left out: it changes without the fields changing. */
		fields = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(m, "fieldsV1"));
		buf_puts(&b, fields ? fields : "");
		buf_puts(&b, "\n");
		free(fields);
	}
	sha256_hex(b.data ? b.data : "", b.len, full);
	buf_dispose(&b);
	memcpy(out, full, 16);
	out[16] = '\0';
}

bool inventory_untouched(const struct inv_entry *inv, const cJSON *live)
{
	const cJSON *gen;
	const char *rv, *uid;
	char mgr[17];

	uid = json_str(live, "metadata", "uid", NULL);
	if (!uid || !inv->uid || strcmp(uid, inv->uid) != 0)
		return false; /* deleted and created again by someone */
	gen = json_get(live, "metadata", "generation", NULL);
	if (cJSON_IsNumber(gen)) {
		if ((int64_t)gen->valuedouble != inv->gen)
			return false;
	} else {
		rv = json_str(live, "metadata", "resourceVersion", NULL);
		if (!rv || !inv->rv || strcmp(rv, inv->rv) != 0)
			return false;
	}
	sync_hash_managers(live, mgr);
	return strcmp(mgr, inv->mgr) == 0; /* else another manager wrote non-status fields */
}

enum plan_decision plan_decide(const char *hash, const struct inv_entry *inv, const cJSON *live)
{
	if (!live)
		return PLAN_CREATE;
	/* The inventory holds no digest of a Secret's data (secret_hash): only a
	 * dry-run tells whether Git's values differ from the cluster's. */
	if (!inv || strcmp(inv->hash, hash) != 0 || sync_is_secret(inv->group, inv->kind))
		return PLAN_CHECK;
	return inventory_untouched(inv, live) ? PLAN_UNCHANGED : PLAN_CHECK;
}

static cJSON *object_child(cJSON *parent, const char *key)
{
	cJSON *c = cJSON_GetObjectItemCaseSensitive(parent, key);

	if (cJSON_IsObject(c))
		return c;
	if (c)
		cJSON_DeleteItemFromObjectCaseSensitive(parent, key);
	return cJSON_AddObjectToObject(parent, key);
}

static int add_string(cJSON *map, const char *key, const char *value)
{
	cJSON *v = cJSON_CreateString(value);

	if (!v)
		return TE_NOMEM;
	if (!cJSON_AddItemToObject(map, key, v)) {
		cJSON_Delete(v);
		return TE_NOMEM;
	}
	return 0;
}

/* Git's labels win: kubebuilder sets managed-by "kustomize", Helm "Helm", and a
 * value replaced here would leave the cluster different from Git for good. Only
 * tether's own key says who owns the object. */
int sync_label_object(cJSON *body, const char *app)
{
	cJSON *meta = object_child(body, "metadata");
	cJSON *labels = meta ? object_child(meta, "labels") : NULL;
	const cJSON *own;
	int rc;

	if (!labels)
		return TE_NOMEM;
	own = cJSON_GetObjectItemCaseSensitive(labels, SYNC_LABEL_APP);
	if (own && !(cJSON_IsString(own) && strcmp(own->valuestring, app) == 0))
		return TE_INPUT;
	if (!own && (rc = add_string(labels, SYNC_LABEL_APP, app)) < 0)
		return rc;
	if (!cJSON_GetObjectItemCaseSensitive(labels, SYNC_LABEL_MANAGED_BY))
		return add_string(labels, SYNC_LABEL_MANAGED_BY, "tether");
	return 0;
}

const char *sync_owner_of(const cJSON *obj)
{
	return json_str(obj, "metadata", "labels", SYNC_LABEL_APP, NULL);
}

bool sync_adopt_requested(const cJSON *body)
{
	const char *v = json_str(body, "metadata", "annotations", SYNC_ANNOTATION_ADOPT, NULL);

	return v && strcmp(v, "true") == 0;
}

void sync_strip_server_fields(cJSON *obj)
{
	static const char *meta_keys[] = {"managedFields", "resourceVersion",	"uid",
					  "generation",	   "creationTimestamp", "selfLink"};
	cJSON *meta = cJSON_GetObjectItemCaseSensitive(obj, "metadata");
	cJSON *ann = cJSON_GetObjectItemCaseSensitive(meta, "annotations");

	cJSON_DeleteItemFromObjectCaseSensitive(obj, "status");
	for (size_t i = 0; i < sizeof(meta_keys) / sizeof(meta_keys[0]); i++)
		cJSON_DeleteItemFromObjectCaseSensitive(meta, meta_keys[i]);
	if (ann) {
		cJSON_DeleteItemFromObjectCaseSensitive(ann, "deployment.kubernetes.io/revision");
		if (!ann->child)
			cJSON_DeleteItemFromObjectCaseSensitive(meta, "annotations");
	}
}

/* Lists from a LIST omit kind and apiVersion; a dry-run answer carries them. */
static void strip_type(cJSON *obj)
{
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "kind");
	cJSON_DeleteItemFromObjectCaseSensitive(obj, "apiVersion");
}

bool sync_objects_equal(const cJSON *a, const cJSON *b)
{
	cJSON *x = cJSON_Duplicate(a, 1), *y = cJSON_Duplicate(b, 1);
	bool eq = false;

	if (x && y) {
		sync_strip_server_fields(x);
		sync_strip_server_fields(y);
		strip_type(x);
		strip_type(y);
		eq = cJSON_Compare(x, y, 1);
	}
	cJSON_Delete(x);
	cJSON_Delete(y);
	return eq;
}
