/* version: `tether version`, the version and the libraries it was built with. */
#include <stdio.h>
#include <string.h>

#include <git2.h>
#include <yaml.h>
#include <curl/curl.h>
#include <cjson/cJSON.h>

#include "cli.h"

int cmd_version(int argc, char **argv)
{
	int major = 0, minor = 0, rev = 0;

	if (argc > 0 && (!strcmp(argv[0], "--help") || !strcmp(argv[0], "-h"))) {
		printf("Print tether's version.\n\nUsage:\n  tether version\n");
		return 0;
	}
	if (argc > 0) {
		fprintf(stderr, "error: unknown flag: %s\nSee 'tether version --help' for usage.\n",
			argv[0]);
		return 2;
	}
	git_libgit2_version(&major, &minor, &rev);
	printf("tether %s (libgit2 %d.%d.%d, libyaml %s, %s, cJSON %s)\n", TETHER_VERSION, major,
	       minor, rev, yaml_get_version_string(), curl_version(), cJSON_Version());
	return 0;
}
