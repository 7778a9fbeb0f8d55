/* RBAC PolicyRule matching as kube-apiserver 1.32 RuleAllows
 * (plugin/pkg/auth/authorizer/rbac/rbac.go, pkg/apis/rbac/v1/evaluation_helpers.go). */
#ifndef KUBESIM_RBAC_RULE_H
#define KUBESIM_RBAC_RULE_H
#include <stdbool.h>

struct rbac_rule {
	const char *const *verbs;          /* NULL-terminated lists */
	const char *const *api_groups;
	const char *const *resources;
	const char *const *resource_names;
	const char *const *non_resource_urls;
};

struct rbac_attrs {
	const char *verb;
	bool resource_request;
	const char *api_group;
	const char *resource;
	const char *subresource;  /* "" when none */
	const char *name;         /* "" when none */
	const char *path;         /* non-resource requests */
};

bool rbac_rule_allows(const struct rbac_rule *r, const struct rbac_attrs *a);
#endif
