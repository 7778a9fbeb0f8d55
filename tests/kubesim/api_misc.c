/*
 * api_misc: YAML request bodies (application/apply-patch+yaml) as cJSON.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "api_int.h"
#include "jsonedit.h"
#include "store_int.h"

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

			/* A NULL v (bad input or out of memory) fails the whole body. */
			if (json_array_append(out, v) < 0) {
				cJSON_Delete(out);
				return NULL;
			}
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
			if (json_object_add(out, (const char *)k->data.scalar.value, v) < 0) {
				cJSON_Delete(out);
				return NULL;
			}
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
