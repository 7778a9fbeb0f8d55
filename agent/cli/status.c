/*
 * status: `tether status` asks a running agent (--listen ADDR, as given to `tether
 * run`) for its /status and prints a table, or the document with -o json|yaml.
 * Exit 0 when every app is synced, 1 when one failed or drifted, 3 when the agent
 * cannot be reached.
 */
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "cli.h"
#include "jsonget.h"

#define STATUS_MAX ((size_t)16 << 20)

static const struct cli_cmd cmd = {"status", CMD_STATUS, "[--listen HOST:PORT] [-o json|yaml]",
				   "Show the apps of a running agent: commit, state, health, "
				   "last error."};

const struct cli_cmd *cli_status_cmd(void)
{
	return &cmd;
}

static size_t on_data(char *p, size_t size, size_t n, void *ctx)
{
	return buf_append(ctx, p, size * n) < 0 ? 0 : size * n;
}

static int fetch_status(const char *listen, struct buf *out, struct err *e)
{
	char url[512];
	CURL *c = curl_easy_init();
	CURLcode rc;
	long code = 0;

	if (!c)
		return err_set(e, TE_NOMEM, "out of memory");
	snprintf(url, sizeof(url), "%s%s/status", strstr(listen, "://") ? "" : "http://", listen);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
	rc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	if (rc != CURLE_OK)
		return err_set(e, TE_UNREACHABLE, "%s: %s", url, curl_easy_strerror(rc));
	if (code != 200)
		return err_set(e, TE_UNREACHABLE, "%s: HTTP %ld", url, code);
	return 0;
}

static const char *field(const cJSON *o, const char *k)
{
	const char *s = json_str(o, k, NULL);
	return s && *s ? s : "-";
}

/* 0 when every app is synced, else 1. */
static int apps_code(const cJSON *root)
{
	const cJSON *a;

	cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(root, "apps"))
		if (strcmp(field(a, "state"), "synced") != 0)
			return 1;
	return 0;
}

static void print_table(const cJSON *root)
{
	const cJSON *apps = cJSON_GetObjectItemCaseSensitive(root, "apps"), *a;

	printf("%-24s %-12s %-9s %-9s %-6s %s\n", "APP", "COMMIT", "STATE", "HEALTH", "DRIFT",
	       "LAST ERROR");
	cJSON_ArrayForEach(a, apps)
	{
		const char *state = field(a, "state");
		printf(
		    "%-24s %-12.12s %-9s %-9s %-6d %s\n", field(a, "app"), field(a, "commit"),
		    state, field(a, "health"),
		    (int)cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(a, "driftObjects")),
		    field(a, "lastError"));
	}
	if (!cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(root, "leader")))
		printf("(standby: another replica holds the lease)\n");
}

int cmd_status(int argc, char **argv)
{
	struct app_config flags;
	struct buf b;
	struct err e;
	cJSON *root = NULL;
	int code = 0;

	buf_init(&b, STATUS_MAX);
	err_clear(&e);
	if (cli_parse_flags(&cmd, argc, argv, &flags, &code))
		goto out;
	if (fetch_status(flags.listen, &b, &e) < 0) {
		cli_error(&cmd, e.msg, false);
		code = 3;
		goto out;
	}
	if (!(root = cJSON_Parse(b.data))) {
		cli_error(&cmd, "the agent's /status is not JSON", false);
		code = 3;
		goto out;
	}
	code = apps_code(root);
	if (cli_doc_output(flags.output)) {
		int rc = cli_emit_doc(root, flags.output);
		root = NULL;
		code = code ? code : rc;
	} else {
		print_table(root);
	}
out:
	cJSON_Delete(root);
	buf_dispose(&b);
	app_config_dispose(&flags);
	return code;
}
