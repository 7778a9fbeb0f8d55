/*
 * render: `tether render`, the manifests of a commit as tether reads them (YAML, or
 * -o json), without touching a cluster. Useful to check a repository in CI.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "jsonedit.h"
#include "session.h"
#include "sync.h"

static const struct cli_cmd cmd = {
    "render", CMD_RENDER, "--repo URL [--ref REF] [--path DIR] [-o yaml|json]",
    "Print the manifests of a commit as tether renders them (no cluster access)."};

const struct cli_cmd *cli_render_cmd(void)
{
	return &cmd;
}

static int write_json(const struct object_set *s)
{
	cJSON *a = cJSON_CreateArray();
	char *text;

	for (size_t i = 0; a && i < s->n; i++)
		if (json_array_append(a, cJSON_Duplicate(s->items[i].body, 1)) < 0) {
			cJSON_Delete(a);
			a = NULL; /* out of memory, not an object fewer */
		}
	text = a ? cJSON_Print(a) : NULL;
	cJSON_Delete(a);
	if (!text)
		return TE_NOMEM;
	puts(text);
	free(text);
	return 0;
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
	if (rc == 0)
		rc =
		    c.output && !strcmp(c.output, "json") ? write_json(&set) : write_yaml(&set, &e);
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
