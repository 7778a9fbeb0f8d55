/*
 * diff: `tether diff`, what `tether sync` would change, as one unified YAML diff per
 * object and a summary line. Exit 0 no changes, 1 changes, 2 bad input, 3 unreachable
 * (kubectl and flux agree on 0/1/>1).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "jsonedit.h"
#include "session.h"
#include "sync.h"

static const struct cli_cmd cmd = {
    "diff", CMD_DIFF, "--repo URL [flags] | --config FILE [flags]",
    "Show what sync would change: the server's dry-run of each object against the live "
    "object.\nSecret values are masked. Exit 0: no changes, 1: changes, 2 or more: error."};

const struct cli_cmd *cli_diff_cmd(void)
{
	return &cmd;
}

/* The app's result with "result" and its unified diffs, Secret values masked as in the
 * text output; NULL when out of memory. */
static cJSON *diff_json(const struct sync_result *res, int code, const struct buf *out)
{
	const char *result = code == 0 ? "in-sync" : code == 1 ? "changes" : "error";
	cJSON *o = NULL;

	if (sync_result_json(res, &o) == 0 &&
	    (json_object_set(o, "result", cJSON_CreateString(result)) < 0 ||
	     json_object_add_string(o, "diff", out->data ? out->data : "") < 0)) {
		cJSON_Delete(o);
		o = NULL;
	}
	return o;
}

static int diff_one(struct session *s, bool json, cJSON *all)
{
	struct buf out;
	struct sync_env env = {.diff = &out};
	struct sync_result res;
	struct err e;
	int rc, code;

	buf_init(&out, 0);
	env.color = !json && cli_color(STDOUT_FILENO);
	sync_result_init(&res);
	err_clear(&e);
	rc = sync_diff(s, s->cfg, &env, &res, &e);
	code = rc < 0 ? err_exit_code(rc) : rc;
	if (rc < 0 && code < 2)
		code = 2; /* 1 means "changes" here */
	res.exit_code = code;
	if (json && json_array_append(all, diff_json(&res, code, &out)) < 0) {
		/* append refuses a NULL item and frees one it cannot add */
		if (rc >= 0) /* else the error below says why */
			rc = err_set(&e, TE_NOMEM, "-o json: out of memory");
		code = err_exit_code(TE_NOMEM);
	} else if (!json && out.data) {
		fputs(out.data, stdout);
	}
	if (rc < 0)
		fprintf(stderr, "error: %s\n", e.msg);
	fflush(stdout);
	sync_result_dispose(&res);
	buf_dispose(&out);
	return code;
}

int cmd_diff(int argc, char **argv)
{
	return cli_each_app(&cmd, argc, argv, diff_one);
}
