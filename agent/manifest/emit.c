/*
 * emit: cJSON values as block YAML through libyaml's emitter, keys in their order.
 * A string that would read back as something else under kubectl's YAML 1.1 rules
 * ("true", "yes", "1.0", "~", "<<", a timestamp) is double-quoted, so what we print
 * round-trips.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "manifest.h"

struct emit_ctx {
	struct buf *out;
	bool overflow;
};

static int write_handler(void *data, unsigned char *buffer, size_t size)
{
	struct emit_ctx *c = data;

	if (buf_append(c->out, buffer, size) < 0) {
		c->overflow = true;
		return 0;
	}
	return 1;
}

static int emit(yaml_emitter_t *em, yaml_event_t *ev)
{
	return yaml_emitter_emit(em, ev) ? 0 : TE_FAIL;
}

static int emit_scalar(yaml_emitter_t *em, const char *s, yaml_scalar_style_t style)
{
	yaml_event_t ev;

	if (!yaml_scalar_event_initialize(&ev, NULL, NULL, (yaml_char_t *)s, (int)strlen(s), 1, 1,
					  style))
		return TE_NOMEM;
	return emit(em, &ev);
}

static int emit_string(yaml_emitter_t *em, const char *s)
{
	struct yval v;

	scalar_resolve_plain(s, &v);
	if (v.type != YV_STR || scalar_is_timestamp(s)) /* as kubectl: "2026-12-08T00:20:01Z" */
		return emit_scalar(em, s, YAML_DOUBLE_QUOTED_SCALAR_STYLE);
	if (strchr(s, '\n'))
		return emit_scalar(em, s, YAML_LITERAL_SCALAR_STYLE);
	return emit_scalar(em, s, YAML_ANY_SCALAR_STYLE);
}

static void number_text(double d, char *out, size_t n)
{
	if (d == (double)(long long)d && d > -1e15 && d < 1e15) {
		snprintf(out, n, "%lld", (long long)d);
		return;
	}
	/* The shortest text that reads back as the same double. */
	for (int prec = 15; prec <= 17; prec++) {
		double back;
		snprintf(out, n, "%.*g", prec, d);
		if (sscanf(out, "%lf", &back) == 1 && back == d)
			return;
	}
}

static int emit_value(yaml_emitter_t *em, const cJSON *v, int depth);

static int emit_container(yaml_emitter_t *em, const cJSON *v, int depth)
{
	bool map = cJSON_IsObject(v);
	bool empty = v->child == NULL;
	const cJSON *c;
	yaml_event_t ev;
	int rc;

	if (map)
		rc = yaml_mapping_start_event_initialize(
		    &ev, NULL, NULL, 1, empty ? YAML_FLOW_MAPPING_STYLE : YAML_BLOCK_MAPPING_STYLE);
	else
		rc = yaml_sequence_start_event_initialize(&ev, NULL, NULL, 1,
							  empty ? YAML_FLOW_SEQUENCE_STYLE
								: YAML_BLOCK_SEQUENCE_STYLE);
	if (!rc || emit(em, &ev) < 0)
		return TE_FAIL;
	cJSON_ArrayForEach(c, v)
	{
		if (map && (rc = emit_string(em, c->string ? c->string : "")) < 0)
			return rc;
		if ((rc = emit_value(em, c, depth + 1)) < 0)
			return rc;
	}
	if (map)
		yaml_mapping_end_event_initialize(&ev);
	else
		yaml_sequence_end_event_initialize(&ev);
	return emit(em, &ev);
}

static int emit_value(yaml_emitter_t *em, const cJSON *v, int depth)
{
	char num[64];

	if (depth > MANIFEST_MAX_DEPTH * 2)
		return TE_INPUT;
	if (cJSON_IsObject(v) || cJSON_IsArray(v))
		return emit_container(em, v, depth);
	if (cJSON_IsString(v))
		return emit_string(em, v->valuestring);
	if (cJSON_IsBool(v))
		return emit_scalar(em, cJSON_IsTrue(v) ? "true" : "false", YAML_PLAIN_SCALAR_STYLE);
	if (cJSON_IsNumber(v)) {
		number_text(v->valuedouble, num, sizeof(num));
		return emit_scalar(em, num, YAML_PLAIN_SCALAR_STYLE);
	}
	return emit_scalar(em, "null", YAML_PLAIN_SCALAR_STYLE);
}

static int emit_document(yaml_emitter_t *em, const cJSON *v, bool marker)
{
	yaml_event_t ev;
	int rc;

	if (!yaml_document_start_event_initialize(&ev, NULL, NULL, NULL, !marker) ||
	    emit(em, &ev) < 0)
		return TE_FAIL;
	if ((rc = emit_value(em, v, 0)) < 0)
		return rc;
	yaml_document_end_event_initialize(&ev, 1);
	return emit(em, &ev);
}

/* Emits each value as a document; "---" between documents when there are several. */
static int emit_stream(const cJSON *const *vals, size_t n, struct buf *out, struct err *e)
{
	struct emit_ctx c = {out, false};
	yaml_emitter_t em;
	yaml_event_t ev;
	size_t start = out->len;
	int rc = 0;

	if (!yaml_emitter_initialize(&em))
		return err_set(e, TE_NOMEM, "out of memory");
	yaml_emitter_set_output(&em, write_handler, &c);
	yaml_emitter_set_unicode(&em, 1);
	yaml_emitter_set_width(&em, -1);
	yaml_emitter_set_indent(&em, 2);
	yaml_stream_start_event_initialize(&ev, YAML_UTF8_ENCODING);
	rc = emit(&em, &ev);
	for (size_t i = 0; rc == 0 && i < n; i++)
		rc = emit_document(&em, vals[i], i > 0);
	if (rc == 0) {
		yaml_stream_end_event_initialize(&ev);
		rc = emit(&em, &ev);
	}
	if (rc == 0 && !yaml_emitter_flush(&em))
		rc = TE_FAIL;
	if (rc < 0) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
		if (c.overflow)
			rc = err_set(e, TE_NOMEM, "rendered YAML larger than %zu bytes", out->max);
		else
			rc = err_set(e, rc == TE_INPUT ? TE_INPUT : TE_FAIL, "emit YAML: %s",
				     em.problem ? em.problem : "nesting too deep");
	}
	yaml_emitter_delete(&em);
	return rc;
}

int json_to_yaml(const cJSON *v, struct buf *out, struct err *e)
{
	return emit_stream(&v, 1, out, e);
}

int manifest_write_yaml(const struct object_set *s, struct buf *out, struct err *e)
{
	const cJSON **vals;
	int rc;

	if (!s->n)
		return 0;
	if (!(vals = calloc(s->n, sizeof(*vals))))
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < s->n; i++)
		vals[i] = s->items[i].body;
	rc = emit_stream(vals, s->n, out, e);
	free(vals);
	return rc;
}
