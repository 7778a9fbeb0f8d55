/*
 * file: the agent configuration file (config/tether.yaml documents it). Top-level
 * keys set defaults for every app, `apps:` lists the apps. Every error names
 * file:line:col. The file is untrusted input: size capped, read by the bounded YAML
 * reader (yamlread.h, as written: values are text for the option table to parse),
 * keys checked against the option table, values bounded by it. Only the first
 * document is read.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config_int.h"
#include "yamlread.h"

#define CONFIG_MAX_FILE ((size_t)1 << 20)
#define CONFIG_MAX_APPS 1000
#define CONFIG_MAX_NOTIFY 32

struct loader {
	const char *file;
	struct yaml_doc *doc;
	struct tether_config *out;
	struct err *e;
};

static int at_pos(struct loader *l, int line, int col, const char *fmt, const char *a,
		  const char *b)
{
	char msg[1024];

	snprintf(msg, sizeof(msg), fmt, a, b);
	return err_set(l->e, TE_INPUT, "%s:%d:%d: %s", l->file, line, col, msg);
}

/* An error at where node starts. */
static int at(struct loader *l, const cJSON *n, const char *fmt, const char *a, const char *b)
{
	int line, col;

	yaml_doc_pos(l->doc, n, &line, &col);
	return at_pos(l, line, col, fmt, a, b);
}

/* An error at the key of node (a mapping's value). */
static int at_key(struct loader *l, const cJSON *n, const char *fmt, const char *a,
		  const char *b)
{
	int line, col;

	yaml_doc_key_pos(l->doc, n, &line, &col);
	return at_pos(l, line, col, fmt, a, b);
}

/* Sets the key of v, a value of a mapping at the given scope, into c. */
static int load_key(struct loader *l, struct app_config *c, unsigned scope, const cJSON *v)
{
	const char *key = v->string, *val = cJSON_GetStringValue(v);
	const struct opt_def *o;
	struct err sub;

	o = config_find(key, OPT_GLOBAL | OPT_APP);
	if (!o)
		return at_key(l, v, "unknown option \"%s\"%s", key, "");
	if (!(o->scope & scope))
		return at_key(l, v,
			      scope == OPT_GLOBAL ? "\"%s\" belongs in an entry of apps%s"
						  : "\"%s\" may only appear at the top level%s",
			      key, "");
	if (c->set_mask & ((uint64_t)1 << (o - config_options())))
		return at_key(l, v, "option \"%s\" given twice%s", key, "");
	if (!val)
		return at(l, v, "%s: expected a single value%s", key, "");
	err_clear(&sub);
	if (config_set(c, o, val, &sub) < 0)
		return at(l, v, "%s: %s", key, sub.msg);
	return 0;
}

/* events: a list of names (notify_event_parse). */
static int load_events(struct loader *l, struct notify_target *t, const cJSON *list)
{
	const cJSON *it;

	if (!cJSON_IsArray(list))
		return at(l, list, "events must be a list, e.g. [sync-failed, rollout-failed]%s%s",
			  "", "");
	t->events = 0;
	cJSON_ArrayForEach(it, list)
	{
		const char *name = cJSON_GetStringValue(it);
		int ev = name ? notify_event_parse(name) : -1;

		if (ev < 0)
			return at(l, it,
				  "unknown event \"%s\" (started, synced, sync-failed, "
				  "rollout-failed, reverted, drift, drift-recovered)%s",
				  name ? name : "", "");
		t->events |= 1u << ev;
	}
	return 0;
}

/* One key of a notify: entry. */
static int load_target_key(struct loader *l, struct notify_target *t, const cJSON *v)
{
	static const char *const keys[] = {"type", "url", "token-file", "repo"};
	char **slots[] = {&t->type, &t->url, &t->token_file, &t->repo};
	const char *val = cJSON_GetStringValue(v);

	if (strcmp(v->string, "events") == 0)
		return load_events(l, t, v);
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (strcmp(v->string, keys[i]) != 0)
			continue;
		if (!val || !*val)
			return at(l, v, "notify: %s: expected a single value%s", keys[i], "");
		free(*slots[i]);
		*slots[i] = xstrdup(val);
		return *slots[i] ? 0 : err_set(l->e, TE_NOMEM, "out of memory");
	}
	return at_key(l, v, "notify: unknown key \"%s\" (type, url, token-file, repo, events)%s",
		      v->string, "");
}

static int load_target(struct loader *l, struct notify_target *t, const cJSON *n)
{
	const cJSON *v;
	bool events = false;

	if (!cJSON_IsObject(n))
		return at(l, n, "an entry of notify must be a mapping (type, url, ...)%s%s", "", "");
	cJSON_ArrayForEach(v, n)
	{
		events |= strcmp(v->string, "events") == 0;
		if (load_target_key(l, t, v) < 0)
			return TE_INPUT;
	}
	if (!t->type || (strcmp(t->type, "webhook") && strcmp(t->type, "slack") &&
			 strcmp(t->type, "github") && strcmp(t->type, "gitlab")))
		return at(l, n, "notify: type must be webhook, slack, github or gitlab%s%s", "", "");
	if (!t->url && (!strcmp(t->type, "webhook") || !strcmp(t->type, "slack")))
		return at(l, n, "notify: a %s entry needs url%s", t->type, "");
	if (!events)
		t->events = notify_default_events(t->type);
	return 0;
}

/* notify: a list of entries, added to those c has already (the top level's). */
static int load_notify(struct loader *l, struct app_config *c, const cJSON *list)
{
	struct notify_target *v;
	size_t n = (size_t)cJSON_GetArraySize(list), base = c->n_notify;
	const cJSON *it;

	if (!cJSON_IsArray(list))
		return at(l, list, "notify must be a list%s%s", "", "");
	if (base + n > CONFIG_MAX_NOTIFY)
		return at(l, list, "too many notify entries (at most 32)%s%s", "", "");
	if (!(v = realloc(c->notify, (base + n + 1) * sizeof(*v))))
		return err_set(l->e, TE_NOMEM, "out of memory");
	c->notify = v;
	cJSON_ArrayForEach(it, list)
	{
		memset(&v[c->n_notify], 0, sizeof(*v));
		c->n_notify++;
		if (load_target(l, &v[c->n_notify - 1], it) < 0)
			return TE_INPUT;
	}
	return 0;
}

static int load_mapping(struct loader *l, struct app_config *c, unsigned scope, const cJSON *m,
			const cJSON **apps)
{
	const cJSON *v;

	cJSON_ArrayForEach(v, m)
	{
		if (strcmp(v->string, "notify") == 0) {
			if (load_notify(l, c, v) < 0)
				return TE_INPUT;
			continue;
		}
		if (apps && strcmp(v->string, "apps") == 0) {
			if (*apps)
				return at_key(l, v, "option \"apps\" given twice%s%s", "", "");
			*apps = v;
			continue;
		}
		if (load_key(l, c, scope, v) < 0)
			return TE_INPUT;
	}
	return 0;
}

static int load_app(struct loader *l, const cJSON *n)
{
	struct tether_config *out = l->out;
	struct app_config *c = &out->apps[out->n_apps];
	struct err sub;

	if (!cJSON_IsObject(n))
		return at(l, n, "an entry of apps must be a mapping (name, repo, ...)%s%s", "", "");
	if (app_config_copy(c, &out->defaults, l->e) < 0)
		return TE_NOMEM;
	out->n_apps++;
	c->set_mask = 0;
	yaml_doc_pos(l->doc, n, &c->line, &c->col);
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

static int load_apps(struct loader *l, const cJSON *apps)
{
	const cJSON *it;
	int n;

	if (!apps)
		return err_set(l->e, TE_INPUT, "%s: no apps: list them under \"apps:\"", l->file);
	if (!cJSON_IsArray(apps))
		return at(l, apps, "apps must be a list%s%s", "", "");
	n = cJSON_GetArraySize(apps);
	if (n == 0)
		return at(l, apps, "apps is empty%s%s", "", "");
	if (n > CONFIG_MAX_APPS)
		return at(l, apps, "too many apps (at most 1000)%s%s", "", "");
	l->out->apps = calloc((size_t)n, sizeof(*l->out->apps));
	if (!l->out->apps)
		return err_set(l->e, TE_NOMEM, "out of memory");
	cJSON_ArrayForEach(it, apps)
	{
		if (load_app(l, it) < 0)
			return TE_INPUT;
	}
	return 0;
}

/* The first document is the configuration; the reader stops after it (1). */
static int load_doc(void *ctx, struct yaml_doc *doc, struct err *e)
{
	struct loader *l = ctx;
	const cJSON *apps = NULL;
	int rc;

	l->doc = doc;
	if (!cJSON_IsObject(doc->root))
		rc = at(l, doc->root, "the configuration must be a mapping%s%s", "", "");
	else if ((rc = load_mapping(l, &l->out->defaults, OPT_GLOBAL, doc->root, &apps)) == 0)
		rc = load_apps(l, apps);
	l->doc = NULL;
	if (rc < 0)
		return e->code ? e->code : rc;
	return 1;
}

int config_parse(struct tether_config *out, const char *file, const char *data, size_t len,
		 struct err *e)
{
	struct loader l = {.file = file, .out = out, .e = e};
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = app_config_init(&out->defaults, e)) < 0)
		return rc;
	rc = yaml_parse_stream(file, data, len, YAML_TEXT, load_doc, &l, e);
	if (rc == 0)
		return err_set(e, TE_INPUT, "%s: empty configuration", file);
	return rc < 0 ? rc : 0;
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
