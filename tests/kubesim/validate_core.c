/*
 * validate_core: the core kinds' field rules worth emulating (k8s pkg/apis/core/
 * validation/validation.go): ConfigMap and Secret keys, sizes, type-specific keys and
 * immutability; Service ports, protocols, type and clusterIP; a pod spec's containers,
 * ports, pull policies and resources. Each rule adds field errors in the order the real
 * validator does; nothing here allocates tables per request.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store_int.h"
#include "validate_int.h"

#define CONFIG_MAX 1048576

static const char *const protocols[] = {"SCTP", "TCP", "UDP", NULL};

/* The bytes a base64 value decodes to (the decode already checked it is base64). */
static size_t b64_len(const char *s)
{
	size_t n = 0, pad = 0;

	for (; *s; s++) {
		if (*s == '=')
			pad++;
		else if (*s != '\r' && *s != '\n')
			n++;
	}
	return (n + pad) / 4 * 3 - (pad > 2 ? 2 : pad);
}

/* Keys of a data map; returns the total size of its values. */
static size_t check_keys(struct field_errs *v, const char *base, const cJSON *m, bool b64,
			 const cJSON *other, const char *other_name)
{
	size_t total = 0;
	const cJSON *it;

	cJSON_ArrayForEach(it, m)
	{
		valid_config_key(v, base, it->string);
		if (other && cJSON_GetObjectItemCaseSensitive(other, it->string)) {
			char f[400];

			snprintf(f, sizeof(f), "%s[%s]", base, it->string);
			field_err(v, f, "FieldValueInvalid",
				  "Invalid value: \"%s\": duplicate of key present in %s", it->string,
				  other_name);
		}
		if (cJSON_IsString(it))
			total += b64 ? b64_len(it->valuestring) : strlen(it->valuestring);
	}
	return total;
}

static void too_long(struct field_errs *v, const char *field, size_t total)
{
	if (total > CONFIG_MAX)
		field_err(v, field, "FieldValueTooLong", "Too long: may not be more than %d bytes",
			  CONFIG_MAX);
}

/* The keys a Secret of a built-in type must carry (ValidateSecret's switch). */
static void check_secret_type(struct field_errs *v, const cJSON *obj)
{
	static const struct {
		const char *type, *keys[2];
	} need[] = {
		{"kubernetes.io/dockercfg", {".dockercfg", NULL}},
		{"kubernetes.io/dockerconfigjson", {".dockerconfigjson", NULL}},
		{"kubernetes.io/ssh-auth", {"ssh-privatekey", NULL}},
		{"kubernetes.io/tls", {"tls.crt", "tls.key"}},
	};
	const char *type = obj_str(obj, "type", NULL);
	const cJSON *data = cJSON_GetObjectItem(obj, "data");
	char f[100];

	for (size_t i = 0; type && i < sizeof(need) / sizeof(need[0]); i++)
		for (int k = 0; k < 2 && strcmp(type, need[i].type) == 0 && need[i].keys[k]; k++)
			if (!cJSON_GetObjectItemCaseSensitive(data, need[i].keys[k])) {
				snprintf(f, sizeof(f), "data[%s]", need[i].keys[k]);
				field_err(v, f, "FieldValueRequired", "Required value");
			}
	if (type && strcmp(type, "kubernetes.io/service-account-token") == 0 &&
	    !obj_str(cJSON_GetObjectItem(obj_child((cJSON *)obj, "metadata"), "annotations"),
		     "kubernetes.io/service-account.name", NULL))
		field_err(v, "metadata.annotations[kubernetes.io/service-account.name]",
			  "FieldValueRequired", "Required value");
}

/* `immutable: true` freezes data (and binaryData) and itself. */
static void check_frozen(struct field_errs *v, const cJSON *obj, const cJSON *old, bool cm)
{
	static const char msg[] = "Forbidden: field is immutable when `immutable` is set";

	if (!cJSON_IsTrue(cJSON_GetObjectItem(old, "immutable")))
		return;
	if (!cJSON_IsTrue(cJSON_GetObjectItem(obj, "immutable")))
		field_err(v, "immutable", "FieldValueForbidden", "%s", msg);
	for (int i = 0; i < (cm ? 2 : 1); i++) {
		const char *f = i ? "binaryData" : "data";
		const cJSON *a = cJSON_GetObjectItem(obj, f), *b = cJSON_GetObjectItem(old, f);

		if ((a || b) && !cJSON_Compare(a, b, true))
			field_err(v, f, "FieldValueForbidden", "%s", msg);
	}
}

void validate_config(struct field_errs *v, const struct restype *rt, const cJSON *obj,
		     const cJSON *old)
{
	const cJSON *data = cJSON_GetObjectItem(obj, "data"), *bin = cJSON_GetObjectItem(obj, "binaryData");
	bool cm = strcmp(rt->resource, "configmaps") == 0;
	const char *type = str_or(obj, "type", ""), *otype = str_or(old, "type", "");

	if (old && !cm && strcmp(type, otype) != 0)
		field_err(v, "type", "FieldValueInvalid", "Invalid value: \"%s\": field is immutable",
			  type);
	if (old)
		check_frozen(v, obj, old, cm);
	if (cm) {
		size_t total = check_keys(v, "data", data, false, bin, "binaryData");

		total += check_keys(v, "binaryData", bin, true, data, "data");
		too_long(v, "[]", total);
		return;
	}
	too_long(v, "data", check_keys(v, "data", data, true, NULL, NULL));
	check_secret_type(v, obj);
}

/* ---- Service ------------------------------------------------------------------------ */

static void check_service_port(struct field_errs *v, const cJSON *p, int i, int n,
			       const char *type)
{
	const char *name = str_or(p, "name", ""), *proto = obj_str(p, "protocol", NULL);
	const cJSON *tp = cJSON_GetObjectItem(p, "targetPort"), *np = cJSON_GetObjectItem(p, "nodePort");
	char f[80];

	snprintf(f, sizeof(f), "spec.ports[%d].name", i);
	if (n > 1 && !*name)
		field_err(v, f, "FieldValueRequired", "Required value");
	else if (*name) /* validateServicePort: a DNS-1123 label, "80-8080" is valid */
		valid_name(v, f, NAME_LABEL, name, NULL);
	snprintf(f, sizeof(f), "spec.ports[%d].protocol", i);
	if (proto)
		valid_enum(v, f, proto, protocols);
	snprintf(f, sizeof(f), "spec.ports[%d].port", i);
	valid_port_num(v, f, cJSON_GetObjectItem(p, "port"));
	snprintf(f, sizeof(f), "spec.ports[%d].targetPort", i);
	if (cJSON_IsNumber(tp) && tp->valuedouble != 0)
		valid_port_num(v, f, tp);
	else if (cJSON_IsString(tp))
		valid_port_name(v, f, tp->valuestring);
	snprintf(f, sizeof(f), "spec.ports[%d].nodePort", i);
	if (cJSON_IsNumber(np) && np->valuedouble != 0 && strcmp(type, "ClusterIP") == 0)
		field_err(v, f, "FieldValueForbidden",
			  "Forbidden: may not be used when `type` is 'ClusterIP'");
	else if (cJSON_IsNumber(np) && np->valuedouble != 0 &&
		 (np->valuedouble < 30000 || np->valuedouble > 32767))
		field_err(v, f, "FieldValueInvalid",
			  "Invalid value: %d: provided port is not in the valid range. The range of "
			  "valid ports is 30000-32767",
			  np->valueint);
}

/* Port names are unique within a Service. */
static void check_port_names(struct field_errs *v, const cJSON *ports)
{
	const cJSON *p, *q;
	int i = 0;

	cJSON_ArrayForEach(p, ports)
	{
		const char *name = str_or(p, "name", "");
		char f[80];

		for (q = ports->child; *name && q != p; q = q->next)
			if (strcmp(str_or(q, "name", ""), name) == 0) {
				snprintf(f, sizeof(f), "spec.ports[%d].name", i);
				field_err(v, f, "FieldValueDuplicate", "Duplicate value: \"%s\"", name);
				break;
			}
		i++;
	}
}

/* A Service's first cluster IP: clusterIPs[0], else clusterIP. */
static const char *cluster_ip(const cJSON *spec)
{
	const cJSON *ips = cJSON_GetObjectItem(spec, "clusterIPs");

	if (cJSON_IsString(cJSON_GetArrayItem(ips, 0)))
		return cJSON_GetArrayItem(ips, 0)->valuestring;
	return obj_str(spec, "clusterIP", NULL);
}

static void check_cluster_ip(struct field_errs *v, const cJSON *spec, const cJSON *ospec)
{
	const char *ip = cluster_ip(spec), *oip = cluster_ip(ospec);

	if (strcmp(str_or(spec, "type", ""), "ExternalName") == 0 ||
	    strcmp(str_or(ospec, "type", ""), "ExternalName") == 0)
		return;
	if (ip && *ip && oip && *oip && strcmp(ip, oip) != 0) {
		/* the value shown is the new clusterIPs, all of them */
		const cJSON *ips = cJSON_GetObjectItem(spec, "clusterIPs");
		cJSON *one = cJSON_IsArray(ips) ? NULL : cJSON_CreateArray();
		char buf[600];

		if (one)
			cJSON_AddItemToArray(one, cJSON_CreateString(ip));
		go_string_list(one ? one : ips, buf, sizeof(buf));
		cJSON_Delete(one);
		field_err(v, "spec.clusterIPs[0]", "FieldValueInvalid",
			  "Invalid value: %s: may not change once set", buf);
	}
}

void validate_service(struct field_errs *v, const cJSON *obj, const cJSON *old)
{
	static const char *const service_types[] = {"ClusterIP", "ExternalName", "LoadBalancer",
						    "NodePort", NULL};
	const cJSON *spec = cJSON_GetObjectItem(obj, "spec"), *ports = cJSON_GetObjectItem(spec, "ports"), *p;
	const char *type = str_or(spec, "type", "ClusterIP");
	int i = 0, n = cJSON_GetArraySize(ports);

	if (!n && strcmp(str_or(spec, "clusterIP", ""), "None") != 0 &&
	    strcmp(type, "ExternalName") != 0)
		field_err(v, "spec.ports", "FieldValueRequired", "Required value");
	cJSON_ArrayForEach(p, ports)
	{
		check_service_port(v, p, i++, n, type);
	}
	check_port_names(v, ports);
	valid_enum(v, "spec.type", type, service_types);
	if (old)
		check_cluster_ip(v, spec, cJSON_GetObjectItem(old, "spec"));
}

/* ---- Pod spec ----------------------------------------------------------------------- */

/* A quantity's value (the decode checked its form): number times its suffix's scale. */
static double quantity_value(const char *s)
{
	static const struct {
		const char *suffix;
		double scale;
	} scales[] = {{"Ki", 0x1p10}, {"Mi", 0x1p20}, {"Gi", 0x1p30}, {"Ti", 0x1p40}, {"Pi", 0x1p50},
		      {"Ei", 0x1p60}, {"n", 1e-9},    {"u", 1e-6},    {"m", 1e-3},    {"k", 1e3},
		      {"M", 1e6},     {"G", 1e9},     {"T", 1e12},    {"P", 1e15},    {"E", 1e18}};
	char *end;
	double d = strtod(s, &end);

	for (size_t i = 0; i < sizeof(scales) / sizeof(scales[0]); i++)
		if (strcmp(end, scales[i].suffix) == 0)
			return d * scales[i].scale;
	return d;
}

static const char *quantity_text(const cJSON *q, char *buf, size_t n)
{
	if (cJSON_IsString(q))
		return q->valuestring;
	snprintf(buf, n, "%g", cJSON_IsNumber(q) ? q->valuedouble : 0);
	return buf;
}

/* Resource quantities are >= 0 and requests <= limits (ValidateResourceRequirements). */
static void check_resources(struct field_errs *v, const cJSON *res, const char *path)
{
	const cJSON *lim = cJSON_GetObjectItem(res, "limits"), *req = cJSON_GetObjectItem(res, "requests"), *it;
	char f[300], a[40], b[40];

	for (int pass = 0; pass < 2; pass++) {
		const cJSON *m = pass ? req : lim;

		cJSON_ArrayForEach(it, m)
		{
			const char *q = quantity_text(it, a, sizeof(a));
			const cJSON *l = pass ? cJSON_GetObjectItemCaseSensitive(lim, it->string) : NULL;

			snprintf(f, sizeof(f), "%s.%s[%s]", path, pass ? "requests" : "limits", it->string);
			if (quantity_value(q) < 0)
				field_err(v, f, "FieldValueInvalid",
					  "Invalid value: \"%s\": must be greater than or equal to 0", q);
			snprintf(f, sizeof(f), "%s.requests", path);
			if (l && quantity_value(q) > quantity_value(quantity_text(l, b, sizeof(b))))
				field_err(v, f, "FieldValueInvalid",
					  "Invalid value: \"%s\": must be less than or equal to %s limit of %s",
					  q, it->string, quantity_text(l, b, sizeof(b)));
		}
	}
}

static void check_container_ports(struct field_errs *v, const cJSON *ports, const char *path)
{
	const cJSON *p;
	char f[300];
	int i = 0;

	cJSON_ArrayForEach(p, ports)
	{
		const cJSON *cp = cJSON_GetObjectItem(p, "containerPort"), *hp = cJSON_GetObjectItem(p, "hostPort");
		const char *proto = obj_str(p, "protocol", NULL);

		snprintf(f, sizeof(f), "%s.ports[%d].name", path, i);
		if (obj_str(p, "name", NULL))
			valid_port_name(v, f, obj_str(p, "name", NULL));
		snprintf(f, sizeof(f), "%s.ports[%d].containerPort", path, i);
		if (!cJSON_IsNumber(cp) || cp->valuedouble == 0)
			field_err(v, f, "FieldValueRequired", "Required value");
		else
			valid_port_num(v, f, cp);
		snprintf(f, sizeof(f), "%s.ports[%d].hostPort", path, i);
		if (cJSON_IsNumber(hp) && hp->valuedouble != 0)
			valid_port_num(v, f, hp);
		snprintf(f, sizeof(f), "%s.ports[%d].protocol", path, i);
		if (proto)
			valid_enum(v, f, proto, protocols);
		i++;
	}
}

/* Names, images, ports, pull policy and resources of one container list. */
static void check_container_list(struct field_errs *v, const cJSON *cs, const char *prefix,
				 const char *list)
{
	static const char *const pulls[] = {"Always", "IfNotPresent", "Never", NULL};
	const cJSON *c, *d;
	char path[256], f[300];
	int i = 0;

	cJSON_ArrayForEach(c, cs)
	{
		const char *name = obj_str(c, "name", NULL), *image = obj_str(c, "image", NULL);
		const char *pull = obj_str(c, "imagePullPolicy", NULL);

		snprintf(path, sizeof(path), "%s%s[%d]", prefix, list, i++);
		snprintf(f, sizeof(f), "%s.name", path);
		if (!name || !*name)
			field_err(v, f, "FieldValueRequired", "Required value");
		else
			valid_name(v, f, NAME_LABEL, name, NULL);
		for (d = cs->child; name && *name && d != c; d = d->next)
			if (strcmp(str_or(d, "name", ""), name) == 0) {
				field_err(v, f, "FieldValueDuplicate", "Duplicate value: \"%s\"", name);
				break;
			}
		snprintf(f, sizeof(f), "%s.image", path);
		if (!image || !*image)
			field_err(v, f, "FieldValueRequired", "Required value");
		check_container_ports(v, cJSON_GetObjectItem(c, "ports"), path);
		snprintf(f, sizeof(f), "%s.imagePullPolicy", path);
		if (pull)
			valid_enum(v, f, pull, pulls);
		snprintf(f, sizeof(f), "%s.resources", path);
		check_resources(v, cJSON_GetObjectItem(c, "resources"), f);
	}
}

void validate_pod_spec(struct field_errs *v, const cJSON *podspec, const char *prefix)
{
	static const char *const restarts[] = {"Always", "OnFailure", "Never", NULL};
	const cJSON *cs = cJSON_GetObjectItem(podspec, "containers");
	const char *rp = obj_str(podspec, "restartPolicy", NULL);
	char f[256];

	snprintf(f, sizeof(f), "%scontainers", prefix);
	if (cJSON_GetArraySize(cs) == 0)
		field_err(v, f, "FieldValueRequired", "Required value");
	check_container_list(v, cs, prefix, "containers");
	check_container_list(v, cJSON_GetObjectItem(podspec, "initContainers"), prefix,
			     "initContainers");
	snprintf(f, sizeof(f), "%srestartPolicy", prefix);
	if (rp)
		valid_enum(v, f, rp, restarts);
}
