/*
 * api_misc: fieldValidation for unknown fields (§2.4), YAML request bodies
 * (application/apply-patch+yaml).
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "api.h"
#include "store_priv.h"

/* ---- fieldValidation -------------------------------------------------------------- */

static const char *meta_fields[] = {
	"name", "generateName", "namespace", "selfLink", "uid", "resourceVersion", "generation",
	"creationTimestamp", "deletionTimestamp", "deletionGracePeriodSeconds", "labels",
	"annotations", "ownerReferences", "finalizers", "managedFields", NULL};

/* Top-level fields besides apiVersion, kind, metadata; NULL = do not check the kind. */
static const char *const *top_fields(const struct restype *rt)
{
	static const char *spec_status[] = {"spec", "status", NULL};
	static const char *cm[] = {"data", "binaryData", "immutable", NULL};
	static const char *secret[] = {"data", "stringData", "type", "immutable", NULL};
	static const char *sa[] = {"secrets", "imagePullSecrets", "automountServiceAccountToken",
				   NULL};
	static const char *role[] = {"rules", NULL};
	static const char *crole[] = {"rules", "aggregationRule", NULL};
	static const char *binding[] = {"roleRef", "subjects", NULL};
	static const char *cr[] = {"data", "revision", NULL};
	static const char *ep[] = {"subsets", NULL};

	if (rt->custom)
		return NULL;
	if (!*rt->group && strcmp(rt->resource, "configmaps") == 0)
		return cm;
	if (!*rt->group && strcmp(rt->resource, "secrets") == 0)
		return secret;
	if (!*rt->group && strcmp(rt->resource, "serviceaccounts") == 0)
		return sa;
	if (!*rt->group && strcmp(rt->resource, "endpoints") == 0)
		return ep;
	if (!*rt->group && strcmp(rt->resource, "events") == 0)
		return NULL;
	if (strcmp(rt->resource, "roles") == 0)
		return role;
	if (strcmp(rt->resource, "clusterroles") == 0)
		return crole;
	if (strcmp(rt->resource, "rolebindings") == 0 ||
	    strcmp(rt->resource, "clusterrolebindings") == 0)
		return binding;
	if (strcmp(rt->resource, "controllerrevisions") == 0)
		return cr;
	return spec_status;
}

static bool in_list(const char *const *l, const char *s)
{
	for (; *l; l++)
		if (strcmp(*l, s) == 0)
			return true;
	return false;
}

/* Collects and drops unknown fields of obj (path prefix p) into msg. */
static int drop_unknown(cJSON *obj, const char *const *known, const char *p, char *msg,
			size_t n, size_t *len)
{
	cJSON *it = obj ? obj->child : NULL, *next;
	int count = 0;

	for (; it; it = next) {
		next = it->next;
		if (in_list(known, it->string))
			continue;
		if (*len < n)
			*len += snprintf(msg + *len, n - *len, "%sunknown field \"%s%s\"",
					 *len ? ", " : "", p, it->string);
		cJSON_DeleteItemFromObjectCaseSensitive(obj, it->string);
		count++;
	}
	return count;
}

int api_field_validation(struct req *r, const struct restype *rt, cJSON *obj, struct kstatus *e)
{
	static const char *base[] = {"apiVersion", "kind", "metadata", NULL};
	const char *mode = req_arg(r, "fieldValidation");
	const char *const *top = top_fields(rt);
	const char *known[16];
	char msg[900] = "";
	size_t len = 0, k = 0;
	int n;

	if (!top)
		return 0;
	for (; base[k]; k++)
		known[k] = base[k];
	for (size_t i = 0; top[i] && k < 15; i++)
		known[k++] = top[i];
	known[k] = NULL;
	n = drop_unknown(obj, known, "", msg, sizeof(msg), &len);
	n += drop_unknown(cJSON_GetObjectItem(obj, "metadata"), meta_fields, "metadata.", msg,
			  sizeof(msg), &len);
	if (!n || (mode && strcmp(mode, "Ignore") == 0))
		return 0;
	if (mode && strcmp(mode, "Strict") == 0)
		return kstatus_set(e, 400, "BadRequest", "strict decoding error: %s", msg);
	{
		char hdr[1024];

		snprintf(hdr, sizeof(hdr), "299 - \"%s\"", msg);
		for (char *q = hdr + 7; *q; q++)
			if (*q == '"' && q[1])
				*q = '\'';
		reply_add_header(r, "Warning", hdr);
	}
	return 0;
}

/* ---- YAML -------------------------------------------------------------------------------- */

static cJSON *yaml_scalar(const yaml_node_t *node)
{
	const char *s = (const char *)node->data.scalar.value;
	char *end;
	double d;

	if (node->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cJSON_CreateString(s);
	if (!*s || strcmp(s, "null") == 0 || strcmp(s, "~") == 0 || strcmp(s, "Null") == 0)
		return cJSON_CreateNull();
	if (strcmp(s, "true") == 0 || strcmp(s, "True") == 0)
		return cJSON_CreateTrue();
	if (strcmp(s, "false") == 0 || strcmp(s, "False") == 0)
		return cJSON_CreateFalse();
	errno = 0;
	d = strtod(s, &end);
	if (!*end && !errno && isfinite(d) && s[0] != '.' && strncmp(s, "0x", 2) != 0)
		return cJSON_CreateNumber(d);
	return cJSON_CreateString(s);
}

static cJSON *yaml_node(yaml_document_t *doc, yaml_node_t *node, int depth)
{
	cJSON *out;

	if (!node || depth > 64)
		return NULL;
	switch (node->type) {
	case YAML_SCALAR_NODE:
		return yaml_scalar(node);
	case YAML_SEQUENCE_NODE:
		out = cJSON_CreateArray();
		for (yaml_node_item_t *it = node->data.sequence.items.start;
		     it < node->data.sequence.items.top; it++) {
			cJSON *v = yaml_node(doc, yaml_document_get_node(doc, *it), depth + 1);

			if (!v) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToArray(out, v);
		}
		return out;
	case YAML_MAPPING_NODE:
		out = cJSON_CreateObject();
		for (yaml_node_pair_t *p = node->data.mapping.pairs.start;
		     p < node->data.mapping.pairs.top; p++) {
			yaml_node_t *k = yaml_document_get_node(doc, p->key);
			cJSON *v;

			if (!k || k->type != YAML_SCALAR_NODE) {
				cJSON_Delete(out);
				return NULL;
			}
			v = yaml_node(doc, yaml_document_get_node(doc, p->value), depth + 1);
			if (!v) {
				cJSON_Delete(out);
				return NULL;
			}
			cJSON_AddItemToObject(out, (const char *)k->data.scalar.value, v);
		}
		return out;
	default:
		return NULL;
	}
}

cJSON *api_yaml_to_json(const char *data, size_t len)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	cJSON *out = NULL;

	if (!yaml_parser_initialize(&parser))
		return NULL;
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (yaml_parser_load(&parser, &doc)) {
		yaml_node_t *root = yaml_document_get_root_node(&doc);

		if (root && root->type == YAML_MAPPING_NODE)
			out = yaml_node(&doc, root, 0);
		yaml_document_delete(&doc);
	}
	yaml_parser_delete(&parser);
	return out;
}
