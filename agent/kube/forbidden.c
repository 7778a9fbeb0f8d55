/*
 * forbidden: what a 403 means in RBAC terms. The authorizer's Status message has a
 * fixed shape (kube-apiserver's forbiddenMessage): `User "u" cannot VERB resource
 * "RES[/SUB]" in API group "G" in the namespace "NS"` or `... at the cluster scope`.
 * From it, the rule that would grant the request, so that an operator can fix the
 * Role without reading the request. The identity comes from the message, never from
 * the client's credentials.
 */
#include <stdio.h>
#include <string.h>

#include "kube.h"

/* The text between the quotes that follow key in s ("" when absent), into out. */
static const char *quoted_after(const char *s, const char *key, char *out, size_t n)
{
	const char *p = s ? strstr(s, key) : NULL;
	const char *end;

	out[0] = '\0';
	if (!p)
		return NULL;
	p += strlen(key);
	if (*p != '"' || !(end = strchr(p + 1, '"')))
		return NULL;
	snprintf(out, n, "%.*s", (int)(end - p - 1), p + 1);
	return end + 1;
}

int kube_forbidden_parse(const char *msg, struct kube_access *out)
{
	const char *p, *verb;
	char tmp[KUBE_ACCESS_FIELD];
	size_t len;

	memset(out, 0, sizeof(*out));
	if (!msg || !(p = quoted_after(msg, "User ", out->user, sizeof(out->user))))
		return TE_NOTFOUND;
	if (strncmp(p, " cannot ", 8) != 0)
		return TE_NOTFOUND;
	verb = p + 8;
	len = strcspn(verb, " ");
	if (len == 0 || len >= sizeof(out->verb) || strncmp(verb + len, " resource ", 10) != 0)
		return TE_NOTFOUND; /* a non-resource path: no rule of a Role grants it */
	snprintf(out->verb, sizeof(out->verb), "%.*s", (int)len, verb);
	if (!(p = quoted_after(verb + len, " resource ", tmp, sizeof(tmp))))
		return TE_NOTFOUND;
	memcpy(out->resource, tmp, sizeof(out->resource));
	if (!(p = quoted_after(p, " in API group ", out->group, sizeof(out->group))))
		return TE_NOTFOUND;
	if (strncmp(p, " at the cluster scope", 21) == 0)
		return 0;
	return quoted_after(p, " in the namespace ", out->ns, sizeof(out->ns)) ? 0 : TE_NOTFOUND;
}

void kube_access_rule(const struct kube_access *a, char *out, size_t n)
{
	const char *g = a->group[0] ? a->group : "\"\"";

	if (a->ns[0])
		snprintf(out, n,
			 "a Role in namespace %s (or a ClusterRole bound there by a RoleBinding) "
			 "with the rule {apiGroups: [%s], resources: [%s], verbs: [%s]}",
			 a->ns, g, a->resource, a->verb);
	else
		snprintf(out, n,
			 "a ClusterRole bound by a ClusterRoleBinding with the rule "
			 "{apiGroups: [%s], resources: [%s], verbs: [%s]}",
			 g, a->resource, a->verb);
}

void kube_forbidden_explain(const char *msg, char *out, size_t n)
{
	struct kube_access a;
	char rule[700];

	if (kube_forbidden_parse(msg, &a) < 0) {
		snprintf(out, n, "%s", msg);
		return;
	}
	kube_access_rule(&a, rule, sizeof(rule));
	snprintf(out, n, "%s; %s needs %s", msg, a.user, rule);
}
