/*
 * annotate: the requests made through the cluster. suspend, resume and reconcile are
 * annotations on the app's inventory, set by a JSON merge patch under tether-ops'
 * field manager: a patch never creates an inventory for a name mistyped, and the
 * sync's server-side apply (field manager "tether") owns none of these keys, so it
 * keeps them. Finding the inventory reads its label across namespaces, so that a
 * command needs the app's name only.
 */
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "jsonget.h"
#include "jsonedit.h"
#include "ops.h"
#include "sync.h"

const char *ops_app_of(const cJSON *cm)
{
	return json_str_or(cm, "", "metadata", "labels", "tether.dev/inventory", NULL);
}

const char *ops_annotation(const cJSON *cm, const char *key)
{
	return json_str(cm, "metadata", "annotations", key, NULL);
}

bool ops_is_suspended(const cJSON *cm)
{
	const char *v = ops_annotation(cm, OPS_ANN_SUSPENDED);

	return v && !strcmp(v, "true");
}

void ops_who(char *out, size_t n)
{
	const struct passwd *pw = getpwuid(getuid());
	const char *user = getenv("USER");
	char host[256] = "";

	if (pw && pw->pw_name)
		user = pw->pw_name;
	gethostname(host, sizeof(host) - 1);
	snprintf(out, n, "%s@%s", user && *user ? user : "unknown", *host ? host : "unknown");
}

/* One inventory of the LIST, or an error naming every one found. */
static int one_of(const cJSON *list, const char *app, cJSON **cm, struct err *e)
{
	const cJSON *items = json_arr(list, "items", NULL);
	int n = cJSON_GetArraySize(items);

	if (n == 0)
		return err_set(e, TE_NOTFOUND,
			       "no app %s in the cluster (no inventory " SYNC_INVENTORY_PREFIX
			       "%s in any namespace; never synced?)",
			       app, app);
	if (n > 1)
		return err_set(
		    e, TE_INPUT,
		    "app %s has inventories in namespaces %s and %s: choose one with "
		    "--inventory-namespace",
		    app,
		    json_str_or(cJSON_GetArrayItem(items, 0), "", "metadata", "namespace", NULL),
		    json_str_or(cJSON_GetArrayItem(items, 1), "", "metadata", "namespace", NULL));
	*cm = cJSON_Duplicate(cJSON_GetArrayItem(items, 0), true);
	return *cm ? 0 : err_set(e, TE_NOMEM, "out of memory");
}

static int get_in(struct kube *k, const struct kube_resource *res, const char *app, const char *ns,
		  cJSON **cm, struct err *e)
{
	char *name = xasprintf(SYNC_INVENTORY_PREFIX "%s", app);
	struct err sub;
	int rc;

	err_clear(&sub);
	if (!name)
		return err_set(e, TE_NOMEM, "out of memory");
	rc = kube_get(k, res, ns, name, cm, &sub);
	if (rc == TE_NOTFOUND)
		err_set(e, rc, "no app %s in namespace %s (no inventory %s there; never synced?)",
			app, ns, name);
	else if (rc < 0)
		err_set(e, rc, "read inventory %s/%s: %s", ns, name, sub.msg);
	free(name);
	return rc;
}

int ops_find(struct kube *k, const char *app, const char *ns, cJSON **cm, struct err *e)
{
	const struct kube_resource *res;
	struct kube_list_q q;
	char *sel = NULL;
	int rc;

	*cm = NULL;
	if ((rc = kube_resolve(k, "v1", "ConfigMap", &res, e)) < 0)
		return rc;
	if (ns)
		return get_in(k, res, app, ns, cm, e);
	if (!(sel = xasprintf("tether.dev/inventory=%s", app)))
		return err_set(e, TE_NOMEM, "out of memory");
	q = (struct kube_list_q){.res = res, .selector = sel};
	kube_list_many(k, &q, 1);
	if (q.rc < 0 && q.status == 403) /* may not list across namespaces */
		rc = get_in(k, res, app, "default", cm, e);
	else if (q.rc < 0)
		rc = err_set(e, q.rc, "look for app %s: %s", app, q.err.msg);
	else
		rc = one_of(q.out, app, cm, e);
	cJSON_Delete(q.out);
	free(sel);
	return rc;
}

static char *merge_patch(const char *const *keys, const char *const *values, size_t n)
{
	cJSON *p = cJSON_CreateObject(), *ann;
	struct json_build b = {.failed = !p};
	char *text;

	ann = jb_object(&b, jb_object(&b, p, "metadata"), "annotations");
	for (size_t i = 0; i < n; i++)
		jb_item(&b, ann, keys[i],
			values[i] ? cJSON_CreateString(values[i]) : cJSON_CreateNull());
	text = b.failed ? NULL : cJSON_PrintUnformatted(p);
	cJSON_Delete(p);
	return text;
}

static int status_code(long status)
{
	if (status == 404)
		return TE_NOTFOUND;
	return status == 0 || status >= 500 ? TE_UNREACHABLE : TE_REJECTED;
}

int ops_annotate(struct kube *k, const char *ns, const char *name, const char *const *keys,
		 const char *const *values, size_t n, struct err *e)
{
	const struct kube_resource *res;
	struct kube_req req, *reqs[1] = {&req};
	char *path;
	int rc;

	if ((rc = kube_resolve(k, "v1", "ConfigMap", &res, e)) < 0)
		return rc;
	memset(&req, 0, sizeof(req));
	path = kube_path(res, ns, name, NULL);
	req.method = "PATCH";
	req.content_type = "application/merge-patch+json";
	req.path = path ? xasprintf("%s?fieldManager=" OPS_FIELD_MANAGER, path) : NULL;
	req.body = merge_patch(keys, values, n);
	free(path);
	if (!req.path || !req.body) {
		kube_req_dispose(&req);
		return err_set(e, TE_NOMEM, "out of memory");
	}
	kube_run(k, reqs, 1, NULL, NULL);
	rc = 0;
	if (req.status == 0 || req.status >= 300)
		rc = err_set(e, status_code(req.status), "annotate %s/%s: %s", ns, name,
			     req.err.msg);
	kube_req_dispose(&req);
	return rc;
}

int ops_annotate_inventory(struct kube *k, const cJSON *cm, const char *const *keys,
			   const char *const *values, size_t n, struct err *e)
{
	return ops_annotate(k, json_str_or(cm, "", "metadata", "namespace", NULL),
			    json_str_or(cm, "", "metadata", "name", NULL), keys, values, n, e);
}
