/*
 * file: the agent configuration file (config/tether.yaml documents it). Top-level
 * keys set defaults for every app, `apps:` lists the apps. Every error names
 * file:line:col. The file is untrusted input: size capped, keys checked against the
 * option table, values bounded by it.
 */
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "config.h"

#define CONFIG_MAX_FILE ((size_t)1 << 20)
#define CONFIG_MAX_APPS 1000

struct loader {
	const char *file;
	yaml_document_t *doc;
	struct err *e;
};

static int at(struct loader *l, const yaml_node_t *n, const char *fmt, const char *a, const char *b)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), fmt, a, b);
	return err_set(l->e, TE_INPUT, "%s:%zu:%zu: %s", l->file, n->start_mark.line + 1,
		       n->start_mark.column + 1, msg);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

/* Sets one key of a mapping at the given scope into c. */
static int load_key(struct loader *l, struct app_config *c, unsigned scope, yaml_node_t *k,
		    yaml_node_t *v)
{
	const char *key = scalar(k), *val = scalar(v);
	const struct opt_def *o;
	struct err sub;

	if (!key)
		return at(l, k, "a key must be a plain name%s%s", "", "");
	o = config_find(key, OPT_GLOBAL | OPT_APP);
	if (!o)
		return at(l, k, "unknown option \"%s\"%s", key, "");
	if (!(o->scope & scope))
		return at(l, k,
			  scope == OPT_GLOBAL ? "\"%s\" belongs in an entry of apps%s"
					      : "\"%s\" may only appear at the top level%s",
			  key, "");
	if (c->set_mask & ((uint64_t)1 << (o - config_options())))
		return at(l, k, "option \"%s\" given twice%s", key, "");
	if (!val)
		return at(l, v, "%s: expected a single value%s", key, "");
	err_clear(&sub);
	if (config_set(c, o, val, &sub) < 0)
		return at(l, v, "%s: %s", key, sub.msg);
	return 0;
}

static int load_mapping(struct loader *l, struct app_config *c, unsigned scope, yaml_node_t *m,
			yaml_node_t **apps)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top;
	     p++) {
		yaml_node_t *k = yaml_document_get_node(l->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(l->doc, p->value);
		const char *key = scalar(k);

		if (apps && key && strcmp(key, "apps") == 0) {
			if (*apps)
				return at(l, k, "option \"apps\" given twice%s%s", "", "");
			*apps = v;
			continue;
		}
		if (load_key(l, c, scope, k, v) < 0)
			return TE_INPUT;
	}
	return 0;
}

static int load_app(struct loader *l, struct tether_config *out, yaml_node_t *n)
{
	struct app_config *c = &out->apps[out->n_apps];
	struct err sub;

	if (n->type != YAML_MAPPING_NODE)
		return at(l, n, "an entry of apps must be a mapping (name, repo, ...)%s%s", "", "");
	if (app_config_copy(c, &out->defaults, l->e) < 0)
		return TE_NOMEM;
	out->n_apps++;
	c->set_mask = 0;
	c->line = (int)n->start_mark.line + 1;
	c->col = (int)n->start_mark.column + 1;
	if (load_mapping(l, c, OPT_APP, n, NULL) < 0)
		return TE_INPUT;
	err_clear(&sub);
	if (app_config_finish(c, &sub) < 0)
		return at(l, n, "%s%s", sub.msg, "");
	for (size_t i = 0; i + 1 < out->n_apps; i++)
		if (strcmp(out->apps[i].app, c->app) == 0)
			return at(l, n, "app \"%s\" listed twice%s", c->app, "");
	return 0;
}

static int load_apps(struct loader *l, struct tether_config *out, yaml_node_t *apps)
{
	size_t n;

	if (!apps)
		return err_set(l->e, TE_INPUT, "%s: no apps: list them under \"apps:\"", l->file);
	if (apps->type != YAML_SEQUENCE_NODE)
		return at(l, apps, "apps must be a list%s%s", "", "");
	n = (size_t)(apps->data.sequence.items.top - apps->data.sequence.items.start);
	if (n == 0)
		return at(l, apps, "apps is empty%s%s", "", "");
	if (n > CONFIG_MAX_APPS)
		return at(l, apps, "too many apps (at most 1000)%s%s", "", "");
	out->apps = calloc(n, sizeof(*out->apps));
	if (!out->apps)
		return err_set(l->e, TE_NOMEM, "out of memory");
	for (yaml_node_item_t *it = apps->data.sequence.items.start;
	     it < apps->data.sequence.items.top; it++) {
		if (load_app(l, out, yaml_document_get_node(l->doc, *it)) < 0)
			return TE_INPUT;
	}
	return 0;
}

int config_parse(struct tether_config *out, const char *file, const char *data, size_t len,
		 struct err *e)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	struct loader l = {file, &doc, e};
	yaml_node_t *root, *apps = NULL;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = app_config_init(&out->defaults, e)) < 0)
		return rc;
	if (!yaml_parser_initialize(&parser))
		return err_set(e, TE_NOMEM, "out of memory");
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);
	if (!yaml_parser_load(&parser, &doc)) {
		rc = err_set(e, TE_INPUT, "%s:%zu:%zu: %s", file, parser.problem_mark.line + 1,
			     parser.problem_mark.column + 1,
			     parser.problem ? parser.problem : "invalid YAML");
		yaml_parser_delete(&parser);
		return rc;
	}
	root = yaml_document_get_root_node(&doc);
	if (!root)
		rc = err_set(e, TE_INPUT, "%s: empty configuration", file);
	else if (root->type != YAML_MAPPING_NODE)
		rc = at(&l, root, "the configuration must be a mapping%s%s", "", "");
	else if ((rc = load_mapping(&l, &out->defaults, OPT_GLOBAL, root, &apps)) == 0)
		rc = load_apps(&l, out, apps);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc < 0)
		return e->code ? e->code : rc;
	return 0;
}

int config_load(struct tether_config *out, const char *file, struct err *e)
{
	struct buf b;
	int rc;

	memset(out, 0, sizeof(*out));
	buf_init(&b, CONFIG_MAX_FILE);
	rc = file_read(file, &b, e);
	if (rc < 0) {
		e->code = TE_INPUT; /* a missing or unreadable file is bad input (exit 2) */
		rc = TE_INPUT;
	} else
		rc = config_parse(out, file, b.data ? b.data : "", b.len, e);
	buf_dispose(&b);
	return rc;
}

void config_dispose(struct tether_config *c)
{
	if (!c)
		return;
	app_config_dispose(&c->defaults);
	for (size_t i = 0; i < c->n_apps; i++)
		app_config_dispose(&c->apps[i]);
	free(c->apps);
	c->apps = NULL;
	c->n_apps = 0;
}
