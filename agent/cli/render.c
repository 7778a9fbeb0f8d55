/*
 * render: `tether render`, the manifests of a commit as tether reads them (multi-document
 * YAML; -o json|yaml: a v1 List, as kubectl prints lists), without touching a cluster.
 * Useful to check a repository in CI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonedit.h"
#include "session.h"
#include "sync.h"

static const struct cli_cmd cmd = {
    "render", CMD_RENDER, "--repo URL [--ref REF] [--path DIR] [-o json|yaml]",
    "Print the manifests of a commit as tether renders them (no cluster access): YAML\n"
    "documents, or with -o json|yaml a v1 List of them."};

const struct cli_cmd *cli_render_cmd(void)
{
	return &cmd;
}

/* The objects as `kubectl get -o json` prints a list; NULL when out of memory. */
static cJSON *list_doc(const struct object_set *s)
{
	cJSON *doc = cJSON_CreateObject(), *items;
	struct json_build b = {.failed = !doc};

	jb_str(&b, doc, "apiVersion", "v1");
	items = jb_array(&b, doc, "items");
	for (size_t i = 0; items && i < s->n; i++)
		jb_append(&b, items, cJSON_Duplicate(s->items[i].body, 1));
	jb_str(&b, doc, "kind", "List");
	jb_str(&b, jb_object(&b, doc, "metadata"), "resourceVersion", "");
	return jb_done(&b, doc);
}

static int write_yaml(const struct object_set *s, struct err *e)
{
	struct buf out;
	int rc;

	buf_init(&out, 0);
	if ((rc = manifest_write_yaml(s, &out, e)) == 0 && out.data)
		fputs(out.data, stdout);
	buf_dispose(&out);
	return rc;
}

int cmd_render(int argc, char **argv)
{
	struct app_config c;
	struct object_set set;
	struct strlist args;
	struct err e;
	char commit[41] = "";
	struct session *sess = NULL;
	int code = 0, rc;

	strlist_init(&args);
	object_set_init(&set);
	err_clear(&e);
	if (cli_parse(&cmd, argc, argv, &c, &args, &code))
		goto out;
	if (args.n || !c.repo) {
		cli_error(&cmd, args.n ? "render takes no arguments" : "give --repo URL", true);
		code = 2;
		goto out;
	}
	if ((rc = session_new(&sess, &c, &e)) == 0)
		rc = sync_render(sess, &c, &set, commit, &e);
	if (rc == 0 && cli_doc_output(c.output)) {
		code = cli_emit_doc(list_doc(&set), c.output);
		goto out;
	}
	if (rc == 0)
		rc = write_yaml(&set, &e);
	if (rc < 0) {
		fprintf(stderr, "error: %s\n", e.msg[0] ? e.msg : "out of memory");
		code = err_exit_code(e.code ? e.code : rc);
	}
out:
	session_free(sess);
	object_set_dispose(&set);
	app_config_dispose(&c);
	strlist_dispose(&args);
	return code;
}
