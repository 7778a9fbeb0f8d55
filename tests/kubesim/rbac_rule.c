#include "rbac_rule.h"
#include <stdio.h>
#include <string.h>

static bool has(const char *const *l, const char *v, bool star)
{
	for (; l && *l; l++)
		if ((star && strcmp(*l, "*") == 0) || strcmp(*l, v) == 0)
			return true;
	return false;
}

static bool resource_matches(const char *const *l, const char *res, const char *sub)
{
	char combined[256];

	snprintf(combined, sizeof(combined), "%s%s%s", res, *sub ? "/" : "", sub);
	for (; l && *l; l++) {
		if (strcmp(*l, "*") == 0 || strcmp(*l, combined) == 0)
			return true;
		if (*sub && strncmp(*l, "*/", 2) == 0 && strcmp(*l + 2, sub) == 0)
			return true;
	}
	return false;
}

static bool url_matches(const char *const *l, const char *path)
{
	for (; l && *l; l++) {
		size_t n = strlen(*l);
		if (strcmp(*l, "*") == 0 || strcmp(*l, path) == 0)
			return true;
		if (n == 0 || (*l)[n - 1] != '*')
			continue;
		while (n > 0 && (*l)[n - 1] == '*')
			n--;  /* strings.TrimRight(url, "*") */
		if (strncmp(*l, path, n) == 0)
			return true;
	}
	return false;
}

bool rbac_rule_allows(const struct rbac_rule *r, const struct rbac_attrs *a)
{
	if (!has(r->verbs, a->verb, true))
		return false;
	if (!a->resource_request)
		return url_matches(r->non_resource_urls, a->path);
	if (!has(r->api_groups, a->api_group, true) ||
	    !resource_matches(r->resources, a->resource, a->subresource))
		return false;
	if (!r->resource_names || !*r->resource_names)
		return true;
	return has(r->resource_names, a->name, false);
}
