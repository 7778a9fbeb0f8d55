/*
 * check-access: `tether check-access`, whether the identity of the kubeconfig may do
 * everything a sync of the commit does, asked before the first write. Exit 0 all
 * granted, 1 something missing, 2 bad input, 3 unreachable.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "access.h"
#include "cli.h"
#include "jsonedit.h"
#include "session.h"
#include "sync.h"

static const struct cli_cmd cmd = {
    "check-access", CMD_SYNC | CMD_ACCESS, "--repo URL [flags] | --config FILE [flags]",
    "Render the commit, work out every right its sync needs (apply, prune, inventory, "
    "history,\nrollouts; with --agent the Events and Lease of tether run), ask the cluster "
    "and print\nwhat is missing. --print-rbac yaml prints the least Roles and bindings "
    "granting it.\nExit 0: all granted, 1: something missing, 2: bad input, 3: unreachable."};

const struct cli_cmd *cli_check_access_cmd(void)
{
	return &cmd;
}

/* The document to print or append: the result, or the RBAC granting the plan. */
static int plan_doc(const struct access_plan *p, bool rbac, cJSON **out)
{
	return rbac ? access_plan_rbac(p, out) : access_plan_json(p, out);
}

static void print_text(const struct access_plan *p)
{
	struct buf b;

	buf_init(&b, 0);
	if (access_plan_text(p, &b) == 0)
		fputs(b.data, stdout);
	if (access_plan_missing(p))
		printf("the least RBAC granting all of it: tether check-access ... --print-rbac "
		       "yaml\n");
	buf_dispose(&b);
}

/* The items of a List as a YAML stream, one document each: what kubectl apply -f -
 * takes from any tool, several apps' one after the other. */
static int print_stream(const cJSON *list, struct err *e)
{
	const cJSON *it;
	int rc = 0;

	cJSON_ArrayForEach(it, cJSON_GetObjectItemCaseSensitive(list, "items"))
	{
		fputs("---\n", stdout);
		if ((rc = cli_print_doc(it, "yaml", e)) < 0)
			break;
	}
	return rc;
}

/* The app's output: appended to all (-o json|yaml), the RBAC alone (--print-rbac), or
 * the table. */
static int report(const struct app_config *c, const struct access_plan *p, bool json, cJSON *all,
		  struct err *e)
{
	cJSON *doc = NULL;
	int rc;

	if (!json && !c->print_rbac) {
		print_text(p);
		return 0;
	}
	if ((rc = plan_doc(p, c->print_rbac != NULL, &doc)) < 0)
		return err_set(e, rc, "out of memory");
	if (json)
		return json_array_append(all, doc) < 0 ? err_set(e, TE_NOMEM, "out of memory") : 0;
	rc = strcmp(c->print_rbac, "yaml") ? cli_print_doc(doc, c->print_rbac, e)
					   : print_stream(doc, e);
	cJSON_Delete(doc);
	return rc;
}

/* The entry of an app that failed, so that the document stays whole. */
static void append_error(cJSON *all, const char *app, const char *msg)
{
	cJSON *o = cJSON_CreateObject();
	struct json_build b = {.failed = !o};

	jb_str(&b, o, "app", app);
	jb_str(&b, o, "error", msg);
	if (b.failed)
		cJSON_Delete(o);
	else
		json_array_append(all, o);
}

static int access_one(struct session *s, bool json, cJSON *all)
{
	const struct app_config *c = s->cfg;
	struct access_plan p;
	struct err e;
	int rc;

	access_plan_init(&p);
	err_clear(&e);
	if ((rc = sync_access_plan(s, c, c->access_agent, &p, &e)) == 0 &&
	    (rc = access_plan_review(&p, s->kube, session_own_kube(s), &e)) == 0)
		rc = report(c, &p, json, all, &e);
	if (rc < 0) {
		fprintf(stderr, "error: %s: %s\n", c->app, e.msg);
		if (json)
			append_error(all, c->app, e.msg);
	}
	fflush(stdout);
	rc = rc < 0 ? err_exit_code(rc) : access_plan_missing(&p) ? 1 : 0;
	access_plan_dispose(&p);
	return rc;
}

int cmd_check_access(int argc, char **argv)
{
	return cli_each_app(&cmd, argc, argv, access_one);
}
