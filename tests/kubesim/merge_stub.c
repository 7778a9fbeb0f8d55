/* Temporary stubs so callers link while the merge library is being written. */
#include <stdio.h>
#include "merge.h"

static int stub(struct merge_err *e)
{
	if (e) {
		e->status = 500;
		snprintf(e->reason, sizeof(e->reason), "InternalError");
		snprintf(e->msg, sizeof(e->msg), "not implemented");
		e->cause[0] = 0;
	}
	return MERGE_EINVAL;
}

void merge_conflicts_dispose(struct merge_conflicts *c) { (void)c; }
char *merge_conflicts_message(const struct merge_conflicts *c) { (void)c; return NULL; }
cJSON *merge_conflicts_status(const struct merge_conflicts *c) { (void)c; return NULL; }
int merge_apply(cJSON **out, struct merge_conflicts *conflicts, const struct merge_kind *k,
		const cJSON *live, const cJSON *config, const char *manager, bool force,
		const char *subresource, const char *now, struct merge_err *e) { *out = NULL; return stub(e); }
int merge_record_update(cJSON *obj, const struct merge_kind *k, const cJSON *old,
			const char *manager, const char *subresource, const char *now,
			struct merge_err *e) { return stub(e); }
int merge_patch_json(cJSON **out, const cJSON *target, const cJSON *patch, struct merge_err *e) { *out = NULL; return stub(e); }
int merge_patch_jsonpatch(cJSON **out, const cJSON *target, const cJSON *patch, struct merge_err *e) { *out = NULL; return stub(e); }
int merge_patch_strategic(cJSON **out, const struct merge_kind *k, const cJSON *target,
			  const cJSON *patch, struct merge_err *e) { *out = NULL; return stub(e); }
bool merge_kind_is_builtin(const struct merge_kind *k) { return false; }
void merge_defaults(cJSON *obj, const struct merge_kind *k) {}
void merge_defaults_podspec(cJSON *podspec) {}
bool merge_equal(const cJSON *a, const cJSON *b) { return cJSON_Compare(a, b, true); }
bool merge_objects_differ(const cJSON *a, const cJSON *b) { return !cJSON_Compare(a, b, true); }
void merge_normalize_template(cJSON *t) {}
