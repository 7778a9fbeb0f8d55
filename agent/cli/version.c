/* version: `tether version`, the version and the libraries it was built with. */
#include <stdio.h>
#include <string.h>

#include <git2.h>
#include <yaml.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "cli.h"
#include "jsonedit.h"

static const struct cli_cmd cmd = {"version", CMD_VERSION, "[-o json|yaml]",
				   "Print tether's version and the libraries it was built with."};

const struct cli_cmd *cli_version_cmd(void)
{
	return &cmd;
}

static cJSON *version_doc(const char *libgit2)
{
	cJSON *doc = cJSON_CreateObject(), *libs;
	struct json_build b = {.failed = !doc};

	jb_str(&b, doc, "version", TETHER_VERSION);
	libs = jb_object(&b, doc, "libraries");
	jb_str(&b, libs, "libgit2", libgit2);
	jb_str(&b, libs, "libyaml", yaml_get_version_string());
	jb_str(&b, libs, "libcurl", curl_version_info(CURLVERSION_NOW)->version);
	jb_str(&b, libs, "cJSON", cJSON_Version());
	return jb_done(&b, doc);
}

int cmd_version(int argc, char **argv)
{
	struct app_config flags;
	char libgit2[32];
	int major = 0, minor = 0, rev = 0, code = 0;

	if (cli_parse_flags(&cmd, argc, argv, &flags, &code))
		goto out;
	git_libgit2_version(&major, &minor, &rev);
	snprintf(libgit2, sizeof(libgit2), "%d.%d.%d", major, minor, rev);
	if (cli_doc_output(flags.output))
		code = cli_emit_doc(version_doc(libgit2), flags.output);
	else
		printf("tether %s (libgit2 %s, libyaml %s, %s, cJSON %s)\n", TETHER_VERSION, libgit2,
		       yaml_get_version_string(), curl_version(), cJSON_Version());
out:
	app_config_dispose(&flags);
	return code;
}
