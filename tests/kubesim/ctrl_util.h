/*
 * ctrl_util: helpers the simulated controllers share: label selectors, owner
 * references, conditions, int-or-percent values, timestamps, the pod-template hash
 * and template normalisation. Pure functions on cJSON trees; nothing here touches
 * the store or takes a lock.
 */
#ifndef KUBESIM_CTRL_UTIL_H
#define KUBESIM_CTRL_UTIL_H

#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

/* Borrowed lookups along a path of object keys; NULL when any step is missing. */
const cJSON *ctrl_path(const cJSON *obj, const char *a, const char *b, const char *c);
const char *ctrl_str(const cJSON *obj, const char *a, const char *b, const char *c);
/* Number at path, or def when absent or not a number. */
int64_t ctrl_int(const cJSON *obj, const char *a, const char *b, const char *c, int64_t def);

const char *ctrl_name(const cJSON *obj);
const char *ctrl_namespace(const cJSON *obj);
const char *ctrl_uid(const cJSON *obj);
const char *ctrl_annotation(const cJSON *obj, const char *key);
/* Sets (adds or replaces) a string member, creating the object at obj[key] if missing. */
cJSON *ctrl_obj_child(cJSON *obj, const char *key);
void ctrl_set_str(cJSON *obj, const char *key, const char *val);
void ctrl_set_int(cJSON *obj, const char *key, int64_t val);
void ctrl_set_annotation(cJSON *obj, const char *key, const char *val);

/* A LabelSelector (matchLabels, matchExpressions) against a labels map. A NULL or
 * empty selector matches nothing here, as controllers treat `{}` as "select none". */
bool ctrl_selector_matches(const cJSON *selector, const cJSON *labels);
bool ctrl_selector_empty(const cJSON *selector);

/* The ownerReferences entry with controller:true, or NULL. */
const cJSON *ctrl_controller_ref(const cJSON *obj);
/* True when obj's controller reference names uid. */
bool ctrl_controlled_by(const cJSON *obj, const char *uid);
/* A new ownerReferences entry with controller and blockOwnerDeletion true. */
cJSON *ctrl_owner_ref_new(const char *api_version, const char *kind, const char *name,
			  const char *uid);

/* Conditions in status.conditions. */
const cJSON *ctrl_condition(const cJSON *status, const char *type);
/*
 * Sets a condition the way SetDeploymentCondition does: same status and reason leaves
 * it untouched; otherwise the old entry is removed and the new one appended, keeping
 * lastTransitionTime when the status did not change. with_update adds lastUpdateTime.
 * Returns true when status changed.
 */
bool ctrl_condition_set(cJSON *status, const char *type, const char *cstatus, const char *reason,
			const char *message, const char *now, bool with_update);
void ctrl_condition_remove(cJSON *status, const char *type);

/* Resolves an int-or-string percentage against total (GetScaledValueFromIntOrPercent). */
int ctrl_intstr_scaled(const cJSON *v, int total, bool round_up, int def);

/* RFC 3339 UTC with seconds, "2025-01-02T03:04:05Z" (buffer >= 32). */
void ctrl_time_format(int64_t ms, char *out);
/* Parses the same format (fractional seconds allowed); -1 when unparsable. */
int64_t ctrl_time_parse(const char *s);

/* Five characters from the apimachinery rand alphabet. */
void ctrl_rand_suffix(char out[6]);

/*
 * A copy of v with nulls, empty objects and empty arrays dropped recursively, so
 * that templates re-serialised by Go clients ("creationTimestamp": null,
 * "resources": {}) compare equal to the stored ones.
 */
cJSON *ctrl_normalize(const cJSON *v);
/* Template equality ignoring the pod-template-hash label (EqualIgnoreHash). */
bool ctrl_template_equal(const cJSON *a, const cJSON *b);
/*
 * The pod-template hash: FNV-32a over the canonical JSON of the normalised template
 * (hash label removed), then the collision count as in ComputeHash, rendered as the
 * decimal string mapped through the safe-encoding alphabet. out >= 16 bytes.
 */
void ctrl_template_hash(const cJSON *tmpl, const cJSON *collision_count, char *out);

/* FindMatchingUntoleratedTaint: whether a NoExecute taint (or, with no_schedule, a
 * NoSchedule one too) of the node is tolerated by none of the pod's tolerations. */
bool ctrl_untolerated_taint(const cJSON *taints, const cJSON *tolerations, bool no_schedule);

#endif
