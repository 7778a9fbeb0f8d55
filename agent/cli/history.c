/*
 * history: `tether history [KIND/NAME]`, the revisions of an app's Deployments,
 * StatefulSets and DaemonSets joined with the commits that produced them. Takes the source and cluster flags of
 * `tether sync` (or --config with --app). Exit 0, 2 for bad input, 3 unreachable.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "history.h"
#include "jsonget.h"
#include "session.h"

static const struct cli_cmd cmd = {
	"history", CMD_HISTORY, "--repo URL [KIND/NAME] [-o json|yaml] | --config FILE [--app NAME]",
	"List the revisions of the app's Deployments, StatefulSets and DaemonSets: REVISION,\n"
	"COMMIT, AUTHOR, DATE, STATUS and MESSAGE, from the ReplicaSets and ControllerRevisions,\n"
	"tether's sync history and the Git log. KIND/NAME as kubectl takes it: deployment/\n"
	"(deploy/), statefulset/ (sts/), daemonset/ (ds/); a bare NAME is a Deployment."};

const struct cli_cmd *cli_history_cmd(void)
{
	return &cmd;
}

static int width(const cJSON *revs, const char *key, int min)
{
	const cJSON *r;
	int w = min;

	cJSON_ArrayForEach(r, revs)
	{
		int n = (int)strlen(json_str_or(r, "", key, NULL));
		w = n > w ? n : w;
	}
	return w > 40 ? 40 : w;
}

/* "ns/name" of an entry of history_query, under the key of its kind in lower case. */
static const char *workload_of(const cJSON *d)
{
	char key[32];
	size_t i;
	const char *kind = json_str_or(d, "", "kind", NULL);

	for (i = 0; kind[i] && i < sizeof(key) - 1; i++)
		key[i] = (char)tolower((unsigned char)kind[i]);
	key[i] = '\0';
	return json_str_or(d, "", key, NULL);
}

static void print_table(const cJSON *all)
{
	const cJSON *d, *r;
	bool many = cJSON_GetArraySize(all) > 1;

	cJSON_ArrayForEach(d, all)
	{
		const cJSON *revs = cJSON_GetObjectItemCaseSensitive(d, "revisions");
		int wa = width(revs, "author", 6), wd = width(revs, "date", 4);
		int ws = width(revs, "status", 6);

		if (many)
			printf("%s%s %s:\n", d == all->child ? "" : "\n",
			       json_str_or(d, "", "kind", NULL), workload_of(d));
		printf("%-8s  %-7s  %-*s  %-*s  %-*s  %s\n", "REVISION", "COMMIT", wa, "AUTHOR", wd,
		       "DATE", ws, "STATUS", "MESSAGE");
		cJSON_ArrayForEach(r, revs)
		{
			const char *commit = json_str_or(r, "", "commit", NULL);

			printf("%-8lld  %-7.7s  %-*.*s  %-*s  %-*s  %s\n",
			       (long long)json_int(r, 0, "revision", NULL), *commit ? commit : "-",
			       wa, wa, json_str_or(r, "", "author", NULL), wd,
			       json_str_or(r, "", "date", NULL), ws,
			       json_str_or(r, "", "status", NULL),
			       json_str_or(r, "", "message", NULL));
		}
	}
}

/* The one app history looks at; an exit code (2 for a usage error) when there is not
 * exactly one. */
static int history_app(int argc, char **argv, struct app_config *flags,
		       struct app_config **apps, size_t *n)
{
	int code = cli_load_apps(&cmd, argc, argv, flags, apps, n);

	if (code)
		return code;
	if (*n != 1) {
		cli_error(&cmd, "history shows one app at a time: choose it with --app NAME", true);
		return 2;
	}
	return 0;
}

int cmd_history(int argc, char **argv)
{
	struct app_config flags, *apps = NULL;
	struct strlist args;
	struct err e;
	size_t n = 0;
	int code = 0;
	cJSON *out = NULL;
	struct session *sess = NULL;

	strlist_init(&args);
	err_clear(&e);
	if (cli_parse(&cmd, argc, argv, &flags, &args, &code))
		goto out;
	if (args.n > 1) {
		cli_error(&cmd, "history takes at most one KIND/NAME", true);
		code = 2;
		goto out;
	}
	if ((code = history_app(argc, argv, &flags, &apps, &n)) != 0)
		goto out;
	if (session_new(&sess, &apps[0], &e) < 0 ||
	    history_query(sess, args.n ? args.items[0] : NULL, &out, &e) < 0) {
		cli_error(&cmd, e.msg, false);
		code = err_exit_code(e.code ? e.code : TE_FAIL);
		goto out;
	}
	if (cli_doc_output(flags.output)) {
		code = cli_emit_doc(out, flags.output);
		out = NULL;
	} else {
		print_table(out);
	}
out:
	cJSON_Delete(out);
	session_free(sess);
	cli_apps_free(apps, n);
	app_config_dispose(&flags);
	strlist_dispose(&args);
	return code;
}
