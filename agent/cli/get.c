/*
 * get: `tether get [APP...]`, the apps as the cluster shows them, with no agent port:
 * APP, COMMIT, STATE, HEALTH, DRIFT, LAST SYNC and SUSPENDED from the inventories,
 * the sync histories and the live objects (ops.h). Without APP: the apps whose
 * inventory is in --inventory-namespace (or -n, else "default"), every namespace with
 * -A, or those of --config. -w prints the rows that change, every two seconds.
 * Exit 0, 2 for bad input or an app not found, 3 unreachable.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "cli.h"
#include "jsonget.h"
#include "ops.h"
#include "sync.h"

#define WATCH_MS 2000

static const struct cli_cmd cmd = {
    "get", CMD_GET, "[APP...] [-A | -n NS | --config FILE] [-o json|yaml] [-w]",
    "Show apps from the cluster (no agent port): APP, COMMIT, STATE, HEALTH, DRIFT,\n"
    "LAST SYNC and SUSPENDED, read from their inventories, histories and live objects."};

const struct cli_cmd *cli_get_cmd(void)
{
	return &cmd;
}

/* The apps named (on the command line, or by --config) into names, with where their
 * inventory is ("": look everywhere). */
static int named_apps(struct cli_ops *o, int argc, char **argv, struct strlist *names,
		      struct strlist *where, struct err *e)
{
	struct app_config *apps = NULL;
	size_t n = 0;
	int rc = 0;

	for (size_t i = 0; i < o->args.n && rc == 0; i++)
		if (strlist_add(names, o->args.items[i]) < 0 ||
		    strlist_add(where, cli_ops_namespace(o) ? cli_ops_namespace(o) : "") < 0)
			rc = err_set(e, TE_NOMEM, "out of memory");
	if (rc < 0 || !o->flags.config_file)
		return rc;
	if ((rc = cli_apps(&cmd, argc, argv, &o->flags, &apps, &n, e)) == 0)
		for (size_t i = 0; i < n && rc == 0; i++)
			if (strlist_add(names, apps[i].app) < 0 ||
			    strlist_add(where, sync_inventory_namespace(&apps[i])) < 0)
				rc = err_set(e, TE_NOMEM, "out of memory");
	cli_apps_free(apps, n);
	return rc;
}

/* The inventories to show: those named, else every one in the namespace asked. */
static int inventories(struct cli_ops *o, const struct strlist *names, const struct strlist *where,
		       cJSON **items, struct err *e)
{
	const struct strlist none = {0};
	const char *ns = o->flags.all_namespaces ? NULL : cli_ops_namespace(o);
	cJSON *cm;
	int rc;

	if (!names->n)
		return ops_list(o->kube, ns ? ns : "default", &none, items, e);
	if (!(*items = cJSON_CreateArray()))
		return err_set(e, TE_NOMEM, "out of memory");
	for (size_t i = 0; i < names->n; i++) {
		if ((rc = ops_find(o->kube, names->items[i],
				   *where->items[i] ? where->items[i] : NULL, &cm, e)) < 0)
			return rc;
		cJSON_AddItemToArray(*items, cm);
	}
	return 0;
}

static int rows_of(struct cli_ops *o, const cJSON *items, cJSON **doc, struct err *e)
{
	const cJSON *cm;
	cJSON *rows, *row;
	int rc;

	if (!(*doc = cJSON_CreateObject()) || !(rows = cJSON_AddArrayToObject(*doc, "apps")))
		return err_set(e, TE_NOMEM, "out of memory");
	cJSON_ArrayForEach(cm, items)
	{
		if ((rc = ops_app_row(o->kube, cm, &row, e)) < 0)
			return rc;
		cJSON_AddItemToArray(rows, row);
	}
	return 0;
}

static void row_line(const cJSON *r, bool with_ns, char *out, size_t n)
{
	char age[32];
	int k = 0;

	ops_age_of(json_str(r, "lastSync", NULL), age, sizeof(age));
	if (with_ns)
		k = snprintf(out, n, "%-16s ", json_str_or(r, "", "namespace", NULL));
	snprintf(out + k, n - (size_t)k, "%-24s %-12.12s %-9s %-12s %-6lld %-10s %s",
		 json_str_or(r, "", "app", NULL),
		 *json_str_or(r, "", "commit", NULL) ? json_str(r, "commit", NULL) : "-",
		 json_str_or(r, "", "state", NULL), json_str_or(r, "", "health", NULL),
		 (long long)json_int(r, 0, "drift", NULL), age,
		 json_true(r, "suspended", NULL) ? "True" : "False");
}

static void print_header(bool with_ns)
{
	if (with_ns)
		printf("%-16s ", "NAMESPACE");
	printf("%-24s %-12s %-9s %-12s %-6s %-10s %s\n", "APP", "COMMIT", "STATE", "HEALTH",
	       "DRIFT", "LAST SYNC", "SUSPENDED");
}

/* Prints the rows of doc whose line is not in seen (all of them when seen is NULL);
 * seen becomes this round's lines. */
static void print_rows(const cJSON *doc, bool with_ns, struct strlist *seen)
{
	struct strlist now;
	const cJSON *r;
	char line[512];

	strlist_init(&now);
	cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(doc, "apps"))
	{
		row_line(r, with_ns, line, sizeof(line));
		if (!strlist_contains(seen, line))
			puts(line);
		strlist_add(&now, line);
	}
	fflush(stdout);
	strlist_dispose(seen);
	*seen = now;
}

static int snapshot(struct cli_ops *o, const struct strlist *names, const struct strlist *where,
		    cJSON **doc, struct err *e)
{
	cJSON *items = NULL;
	int rc;

	*doc = NULL;
	if ((rc = inventories(o, names, where, &items, e)) == 0)
		rc = rows_of(o, items, doc, e);
	cJSON_Delete(items);
	return rc;
}

/* -o json|yaml: the document, unless it is the one printed last (in seen). */
static int print_doc_changed(const cJSON *doc, const char *output, struct strlist *seen,
			     struct err *e)
{
	char *text = cJSON_PrintUnformatted(doc);
	int rc = 0;

	if (!text)
		return err_set(e, TE_NOMEM, "out of memory");
	if (!strlist_contains(seen, text))
		rc = cli_print_doc(doc, output, e);
	strlist_dispose(seen);
	strlist_add_owned(seen, text);
	fflush(stdout);
	return rc;
}

/* One listing, then (-w) what changes every WATCH_MS: the rows (the header once), or
 * each new document with -o. */
static int show(struct cli_ops *o, const struct strlist *names, const struct strlist *where,
		struct err *e)
{
	bool with_ns = o->flags.all_namespaces, doc_out = cli_doc_output(o->flags.output);
	struct strlist seen;
	cJSON *doc = NULL;
	int rc;

	strlist_init(&seen);
	for (bool first = true;; first = false) {
		if ((rc = snapshot(o, names, where, &doc, e)) < 0)
			break;
		if (first && !doc_out)
			print_header(with_ns);
		if (doc_out)
			rc = print_doc_changed(doc, o->flags.output, &seen, e);
		else
			print_rows(doc, with_ns, &seen);
		cJSON_Delete(doc);
		doc = NULL;
		if (rc < 0 || !o->flags.watch)
			break;
		sleep_for_ms(WATCH_MS);
	}
	cJSON_Delete(doc);
	strlist_dispose(&seen);
	return rc;
}

int cmd_get(int argc, char **argv)
{
	struct strlist names, where;
	struct cli_ops o;
	struct err e;
	int code = 0;

	strlist_init(&names);
	strlist_init(&where);
	err_clear(&e);
	if (cli_ops_open(&cmd, argc, argv, &o, &code))
		goto out;
	if (o.flags.all_namespaces && (o.args.n || o.flags.config_file)) {
		cli_error(&cmd, "-A lists every app: give no APP and no --config with it", true);
		code = 2;
		goto out;
	}
	if (named_apps(&o, argc, argv, &names, &where, &e) < 0 || show(&o, &names, &where, &e) < 0)
		code = cli_ops_fail(&cmd, &e);
out:
	strlist_dispose(&names);
	strlist_dispose(&where);
	cli_ops_close(&o);
	return code;
}
