/*
 * kyaml: a small libyaml-to-cJSON loader for kubeconfig files. Kubeconfigs are
 * untrusted input: nesting is bounded and aliases are refused (no expansion bombs).
 * Plain scalars true/false/null become JSON values; every other scalar stays a
 * string, because kubeconfig fields are strings and numbers must not lose digits.
 */
#include <string.h>

#include <yaml.h>

#include "kube_int.h"

#define KYAML_MAX_DEPTH 64

struct kyaml {
	yaml_parser_t parser;
	const char *file;
	struct err *e;
};

static int kyaml_fail(struct kyaml *y, const yaml_mark_t *m, const char *what)
{
	return err_set(y->e, TE_INPUT, "%s:%zu:%zu: %s", y->file, m->line + 1, m->column + 1,
		       what);
}

static int kyaml_next(struct kyaml *y, yaml_event_t *ev)
{
	if (yaml_parser_parse(&y->parser, ev))
		return 0;
	return err_set(y->e, TE_INPUT, "%s:%zu:%zu: %s", y->file, y->parser.problem_mark.line + 1,
		       y->parser.problem_mark.column + 1,
		       y->parser.problem ? y->parser.problem : "invalid YAML");
}

static cJSON *kyaml_scalar(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;
	bool plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;

	if (plain && (!strcmp(v, "true") || !strcmp(v, "True") || !strcmp(v, "TRUE")))
		return cJSON_CreateTrue();
	if (plain && (!strcmp(v, "false") || !strcmp(v, "False") || !strcmp(v, "FALSE")))
		return cJSON_CreateFalse();
	if (plain && (!*v || !strcmp(v, "null") || !strcmp(v, "~") || !strcmp(v, "Null")))
		return cJSON_CreateNull();
	return cJSON_CreateString(v);
}

static int kyaml_node(struct kyaml *y, yaml_event_t *ev, int depth, cJSON **out);

/* Reads the children of a mapping or sequence until its end event. */
static int kyaml_children(struct kyaml *y, cJSON *parent, bool mapping, int depth)
{
	yaml_event_t ev;
	int rc;

	for (;;) {
		char *key = NULL;
		cJSON *child = NULL;

		if ((rc = kyaml_next(y, &ev)) < 0)
			return rc;
		if (ev.type == YAML_MAPPING_END_EVENT || ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (mapping) {
			if (ev.type != YAML_SCALAR_EVENT) {
				rc = kyaml_fail(y, &ev.start_mark, "mapping keys must be scalars");
				yaml_event_delete(&ev);
				return rc;
			}
			key = strdup((const char *)ev.data.scalar.value);
			yaml_event_delete(&ev);
			if (!key)
				return TE_NOMEM;
			if ((rc = kyaml_next(y, &ev)) < 0) {
				free(key);
				return rc;
			}
		}
		rc = kyaml_node(y, &ev, depth + 1, &child);
		yaml_event_delete(&ev);
		if (rc < 0) {
			free(key);
			return rc;
		}
		if (mapping) {
			/* first definition of a key wins, as in a kubeconfig merge */
			if (cJSON_GetObjectItemCaseSensitive(parent, key))
				cJSON_Delete(child);
			else
				cJSON_AddItemToObject(parent, key, child);
			free(key);
		} else {
			cJSON_AddItemToArray(parent, child);
		}
	}
}

static int kyaml_node(struct kyaml *y, yaml_event_t *ev, int depth, cJSON **out)
{
	int rc;

	if (depth > KYAML_MAX_DEPTH)
		return kyaml_fail(y, &ev->start_mark, "nesting too deep");
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		*out = kyaml_scalar(ev);
		return *out ? 0 : TE_NOMEM;
	case YAML_ALIAS_EVENT:
		return kyaml_fail(y, &ev->start_mark, "YAML aliases are not supported here");
	case YAML_MAPPING_START_EVENT:
	case YAML_SEQUENCE_START_EVENT: {
		bool mapping = ev->type == YAML_MAPPING_START_EVENT;

		*out = mapping ? cJSON_CreateObject() : cJSON_CreateArray();
		if (!*out)
			return TE_NOMEM;
		if ((rc = kyaml_children(y, *out, mapping, depth)) < 0) {
			cJSON_Delete(*out);
			*out = NULL;
		}
		return rc;
	}
	default:
		return kyaml_fail(y, &ev->start_mark, "unexpected YAML event");
	}
}

int kube_yaml_load(const char *file, const char *data, size_t len, cJSON **out, struct err *e)
{
	struct kyaml y = {.file = file, .e = e};
	yaml_event_t ev;
	cJSON *doc = NULL;
	int rc;

	*out = NULL;
	if (!yaml_parser_initialize(&y.parser))
		return err_set(e, TE_NOMEM, "%s: out of memory", file);
	yaml_parser_set_input_string(&y.parser, (const unsigned char *)data, len);
	for (;;) {
		if ((rc = kyaml_next(&y, &ev)) < 0)
			goto out;
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type == YAML_STREAM_START_EVENT || ev.type == YAML_DOCUMENT_START_EVENT ||
		    ev.type == YAML_DOCUMENT_END_EVENT) {
			yaml_event_delete(&ev);
			continue;
		}
		if (doc) {
			rc = kyaml_fail(&y, &ev.start_mark, "more than one YAML document");
			yaml_event_delete(&ev);
			goto out;
		}
		rc = kyaml_node(&y, &ev, 0, &doc);
		yaml_event_delete(&ev);
		if (rc < 0)
			goto out;
	}
	*out = doc;
	doc = NULL;
	rc = 0;
out:
	cJSON_Delete(doc);
	yaml_parser_delete(&y.parser);
	return rc;
}
