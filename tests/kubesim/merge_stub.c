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






int merge_patch_strategic(cJSON **out, const struct merge_kind *k, const cJSON *target,
			  const cJSON *patch, struct merge_err *e) { *out = NULL; return stub(e); }
bool merge_kind_is_builtin(const struct merge_kind *k) { return false; }



