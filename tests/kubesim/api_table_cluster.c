/*
 * api_table_cluster: the `kubectl get` columns of the cluster-configuration kinds of issue
 * #13, part 2 and of PodDisruptionBudgets, as pkg/printers/internalversion prints them. One table row per column:
 * its title, type, priority, whether it comes after AGE, and the cell it shows.
 */
#include <stdio.h>
#include <string.h>

#include "api_int.h"
#include "store_int.h"

typedef cJSON *(*cell_fn)(const cJSON *o);

struct kcol {
	const char *title, *type;
	bool after_age;
	cell_fn cell;
};

static const cJSON *at(const cJSON *o, const char *a, const char *b)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, a);

	return b ? cJSON_GetObjectItemCaseSensitive(v, b) : v;
}

static cJSON *str_or(const char *s, const char *dflt)
{
	return cJSON_CreateString(s && *s ? s : dflt);
}

static cJSON *count(const cJSON *arr)
{
	return cJSON_CreateNumber(cJSON_GetArraySize(arr));
}

/* Strings of arr (or arr[i].key) joined with ",", at most max then "+ N more...". */
static cJSON *joined(const cJSON *arr, const char *key, int max, const char *none)
{
	char b[512];
	size_t k = 0;
	int i = 0, n = cJSON_GetArraySize(arr);
	const cJSON *it;

	b[0] = '\0';
	cJSON_ArrayForEach(it, arr)
	{
		const cJSON *s = key ? cJSON_GetObjectItemCaseSensitive(it, key) : it;

		if (max && i >= max)
			break;
		if (cJSON_IsString(s) && k < sizeof(b))
			k += snprintf(b + k, sizeof(b) - k, "%s%s", k ? "," : "", s->valuestring);
		else if (cJSON_IsNumber(s) && k < sizeof(b))
			k += snprintf(b + k, sizeof(b) - k, "%s%d", k ? "," : "", s->valueint);
		i++;
	}
	if (max && n > max && k < sizeof(b))
		snprintf(b + k, sizeof(b) - k, " + %d more...", n - max);
	return str_or(b, none);
}

static cJSON *boolean(const cJSON *v)
{
	return cJSON_CreateBool(cJSON_IsTrue(v));
}

static cJSON *ic_controller(const cJSON *o)
{
	return str_or(obj_str(o, "spec", "controller"), "");
}

static cJSON *ic_parameters(const cJSON *o)
{
	const cJSON *p = at(o, "spec", "parameters");
	const char *g = obj_str(p, "apiGroup", NULL);
	char b[600];

	if (!cJSON_IsObject(p))
		return cJSON_CreateString("<none>");
	snprintf(b, sizeof(b), "%s%s%s/%s", obj_str(p, "kind", NULL) ?: "", g ? "." : "", g ?: "",
		 obj_str(p, "name", NULL) ?: "");
	return cJSON_CreateString(b);
}

static cJSON *pc_value(const cJSON *o)
{
	const cJSON *v = at(o, "value", NULL);

	return cJSON_CreateNumber(cJSON_IsNumber(v) ? v->valuedouble : 0);
}

static cJSON *pc_default(const cJSON *o)
{
	return boolean(at(o, "globalDefault", NULL));
}

static cJSON *pc_policy(const cJSON *o)
{
	return str_or(obj_str(o, "preemptionPolicy", NULL), "");
}

static cJSON *webhooks(const cJSON *o)
{
	return count(at(o, "webhooks", NULL));
}

static cJSON *vap_validations(const cJSON *o)
{
	return count(at(o, "spec", "validations"));
}

/* "<a>/<b>" of the object o, or none when there is no object. */
static cJSON *pair(const cJSON *o, const char *a, const char *b, const char *none)
{
	char buf[600];

	if (!cJSON_IsObject(o))
		return cJSON_CreateString(none);
	snprintf(buf, sizeof(buf), "%s/%s", obj_str(o, a, NULL) ?: "", obj_str(o, b, NULL) ?: "");
	return cJSON_CreateString(buf);
}

static cJSON *vap_param_kind(const cJSON *o)
{
	return pair(at(o, "spec", "paramKind"), "apiVersion", "kind", "<unset>");
}

static cJSON *vapb_policy(const cJSON *o)
{
	return str_or(obj_str(o, "spec", "policyName"), "");
}

/* A named param with its namespace, "*" when it has none (it may be cluster-scoped),
 * else the selector. */
static cJSON *vapb_param_ref(const cJSON *o)
{
	const cJSON *pr = at(o, "spec", "paramRef");
	const char *ns = obj_str(pr, "namespace", NULL), *name = obj_str(pr, "name", NULL);
	char b[600];

	if (name && *name)
		snprintf(b, sizeof(b), "%s/%s", ns && *ns ? ns : "*", name);
	else if (cJSON_IsObject(at(pr, "selector", NULL)))
		api_selector_string(at(pr, "selector", NULL), b, sizeof(b));
	else
		snprintf(b, sizeof(b), "<unset>");
	return cJSON_CreateString(b);
}

static cJSON *as_service(const cJSON *o)
{
	return pair(at(o, "spec", "service"), "namespace", "name", "Local");
}

static cJSON *as_available(const cJSON *o)
{
	const cJSON *c;
	char b[300];

	cJSON_ArrayForEach(c, at(o, "status", "conditions"))
	{
		const char *st = obj_str(c, "status", NULL) ?: "Unknown";

		if (strcmp(obj_str(c, "type", NULL) ?: "", "Available") != 0)
			continue;
		if (strcmp(st, "True") == 0)
			return cJSON_CreateString("True");
		snprintf(b, sizeof(b), "%s (%s)", st, obj_str(c, "reason", NULL) ?: "");
		return cJSON_CreateString(b);
	}
	return cJSON_CreateString("Unknown");
}

static cJSON *eps_type(const cJSON *o)
{
	return str_or(obj_str(o, "addressType", NULL), "");
}

static cJSON *eps_ports(const cJSON *o)
{
	return joined(at(o, "ports", NULL), "port", 0, "<unset>");
}

/* The first three addresses of all endpoints. */
static cJSON *eps_endpoints(const cJSON *o)
{
	cJSON *all = cJSON_CreateArray(), *out;
	const cJSON *ep, *a;

	cJSON_ArrayForEach(ep, at(o, "endpoints", NULL))
		cJSON_ArrayForEach(a, at(ep, "addresses", NULL))
			cJSON_AddItemToArray(all, cJSON_Duplicate(a, 0));
	out = joined(all, NULL, 3, "<unset>");
	cJSON_Delete(all);
	return out;
}

static cJSON *csi_attach(const cJSON *o)
{
	return boolean(at(o, "spec", "attachRequired"));
}

static cJSON *csi_podinfo(const cJSON *o)
{
	return boolean(at(o, "spec", "podInfoOnMount"));
}

static cJSON *csi_capacity(const cJSON *o)
{
	return boolean(at(o, "spec", "storageCapacity"));
}

static cJSON *csi_tokens(const cJSON *o)
{
	return joined(at(o, "spec", "tokenRequests"), "audience", 0, "<unset>");
}

static cJSON *csi_republish(const cJSON *o)
{
	return boolean(at(o, "spec", "requiresRepublish"));
}

static cJSON *csi_modes(const cJSON *o)
{
	return joined(at(o, "spec", "volumeLifecycleModes"), NULL, 0, "<none>");
}

/* An int-or-string budget as IntOrString.String() prints it, else N/A. */
static cJSON *intstr(const cJSON *v)
{
	char b[64];

	if (cJSON_IsNumber(v)) {
		snprintf(b, sizeof(b), "%d", v->valueint);
		return cJSON_CreateString(b);
	}
	return str_or(cJSON_IsString(v) ? v->valuestring : NULL, "N/A");
}

static cJSON *pdb_min(const cJSON *o)
{
	return intstr(at(o, "spec", "minAvailable"));
}

static cJSON *pdb_max(const cJSON *o)
{
	return intstr(at(o, "spec", "maxUnavailable"));
}

static cJSON *pdb_allowed(const cJSON *o)
{
	const cJSON *v = at(o, "status", "disruptionsAllowed");

	return cJSON_CreateNumber(cJSON_IsNumber(v) ? v->valuedouble : 0);
}

static cJSON *rc_handler(const cJSON *o)
{
	return str_or(obj_str(o, "handler", NULL), "");
}

#define END {NULL, NULL, false, NULL}
static const struct kcol ingress_class[] = {{"Controller", "string", false, ic_controller},
					    {"Parameters", "string", false, ic_parameters}, END};
static const struct kcol priority_class[] = {{"Value", "integer", false, pc_value},
					     {"Global-Default", "boolean", false, pc_default},
					     {"PreemptionPolicy", "string", true, pc_policy}, END};
static const struct kcol webhook_config[] = {{"Webhooks", "integer", false, webhooks}, END};
static const struct kcol vap[] = {{"Validations", "integer", false, vap_validations},
				  {"ParamKind", "string", false, vap_param_kind}, END};
static const struct kcol vapb[] = {{"PolicyName", "string", false, vapb_policy},
				   {"ParamRef", "string", false, vapb_param_ref}, END};
static const struct kcol apiservice[] = {{"Service", "string", false, as_service},
					 {"Available", "string", false, as_available}, END};
static const struct kcol endpoint_slice[] = {{"AddressType", "string", false, eps_type},
					     {"Ports", "string", false, eps_ports},
					     {"Endpoints", "string", false, eps_endpoints}, END};
static const struct kcol csi_driver[] = {{"AttachRequired", "boolean", false, csi_attach},
					 {"PodInfoOnMount", "boolean", false, csi_podinfo},
					 {"StorageCapacity", "boolean", false, csi_capacity},
					 {"TokenRequests", "string", false, csi_tokens},
					 {"RequiresRepublish", "boolean", false, csi_republish},
					 {"Modes", "string", false, csi_modes}, END};
static const struct kcol pdb[] = {{"Min Available", "string", false, pdb_min},
				  {"Max Unavailable", "string", false, pdb_max},
				  {"Allowed Disruptions", "integer", false, pdb_allowed}, END};
static const struct kcol runtime_class[] = {{"Handler", "string", false, rc_handler}, END};

static const struct {
	const char *group, *resource;
	const struct kcol *cols;
} kinds[] = {
	{"networking.k8s.io", "ingressclasses", ingress_class},
	{"scheduling.k8s.io", "priorityclasses", priority_class},
	{"admissionregistration.k8s.io", "validatingwebhookconfigurations", webhook_config},
	{"admissionregistration.k8s.io", "mutatingwebhookconfigurations", webhook_config},
	{"admissionregistration.k8s.io", "validatingadmissionpolicies", vap},
	{"admissionregistration.k8s.io", "validatingadmissionpolicybindings", vapb},
	{"apiregistration.k8s.io", "apiservices", apiservice},
	{"discovery.k8s.io", "endpointslices", endpoint_slice},
	{"storage.k8s.io", "csidrivers", csi_driver},
	{"node.k8s.io", "runtimeclasses", runtime_class},
	{"policy", "poddisruptionbudgets", pdb},
};

const struct kcol *api_table_cluster_cols(const struct restype *rt)
{
	if (rt->custom)
		return NULL;
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].group, rt->group) == 0 && strcmp(kinds[i].resource, rt->resource) == 0)
			return kinds[i].cols;
	return NULL;
}

void api_table_cluster_columns(const struct kcol *cols, bool after_age,
			    void (*add)(cJSON *, const char *, const char *, int), cJSON *defs)
{
	for (; cols->title; cols++)
		if (cols->after_age == after_age)
			add(defs, cols->title, cols->type, 0);
}

void api_table_cluster_cells(const struct kcol *cols, bool after_age, const cJSON *o, cJSON *cells)
{
	for (; cols->title; cols++)
		if (cols->after_age == after_age)
			cJSON_AddItemToArray(cells, cols->cell(o));
}
