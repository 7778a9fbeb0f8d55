/* Between the auth*.c and rbac*.c files; not for the HTTP handlers. */
#ifndef KUBESIM_AUTH_INT_H
#define KUBESIM_AUTH_INT_H

#include "auth.h"

/* Whether the array of strings values holds v (rbac_bootstrap.c). */
bool rbac_list_has(const cJSON *values, const char *v);
bool rbac_rule_json_allows(const cJSON *rule, const struct rbac_attrs *a);
/* The role a binding refers to (borrowed; hold the store lock), or NULL with err filled. */
const cJSON *rbac_role_of(struct store *st, const struct rbac_bref *b, char *err, size_t errlen);
/* The RBAC decision; reason gets "RBAC: allowed by ..." or the resolution errors. */
bool rbac_decide(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		 const struct auth_reqinfo *ri, char *reason, size_t reasonlen);

void rbac_rules(struct store *st, const struct rbac_index *ix, const struct auth_user *u,
		const char *ns, cJSON *resource_rules, cJSON *non_resource_rules, char *err,
		size_t errlen);

/* rbac_escalate.c: 0, or -403 with e when u may not write obj (old: NULL on create). */
int rbac_escalation_check(struct store *st, const struct rbac_index *ix,
			  const struct auth_user *u, const struct auth_reqinfo *ri,
			  const struct restype *rt, const cJSON *old, const cJSON *obj,
			  struct kstatus *e);

#endif
