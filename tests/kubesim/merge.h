/*
 * merge: the pure object-algebra of kubesim: server-side apply and field ownership
 * (managedFields), strategic merge patch, JSON merge patch, JSON patch, defaulting and
 * equality helpers. Spec: tests/kubesim/docs/kubernetes-semantics.md sections 5.5-5.7, 6,
 * 7 and 8.7.
 *
 * Every function here is pure: cJSON in, new cJSON out (or an in-place edit of an object
 * the caller owns and passes as non-const). No globals, no locks, no I/O: safe to call
 * from any thread. Nothing here knows about the store, resourceVersions or HTTP; the
 * server turns the struct kstatus it fills into a Status body.
 *
 * Typical use by the server:
 *   create (POST):   obj = body; merge_defaults(obj, k);
 *                    merge_record_update(obj, k, NULL, manager, NULL, now, &e)
 *   update (PUT):    obj = body (+ server resets); merge_defaults(obj, k);
 *                    merge_record_update(obj, k, live, manager, NULL, now, &e)
 *   patch:           merge_patch_json / merge_patch_jsonpatch / merge_patch_strategic
 *                    (on live), then as for PUT
 *   apply:           merge_apply(&obj, &conflicts, k, live, config, manager, force, NULL,
 *                    now, &e)   (defaults the result itself, see below)
 *   no-op check:     !merge_objects_differ(live, obj) -> keep live, no new resourceVersion
 */
#ifndef KUBESIM_MERGE_H
#define KUBESIM_MERGE_H

#include <stdbool.h>
#include <stddef.h>
#include <cjson/cJSON.h>

#include "store.h"

/* Which type an object is. group is "" for the core group ("v1" objects). */
struct merge_kind {
	const char *group;
	const char *version;
	const char *kind;
};

/*
 * Failures fill a struct kstatus (store.h; first message wins, like kstatus_set): code
 * 400, 409, 415, 422 or 500, reason and message as the server's Status body says them.
 * That is all the merge library takes from the store.
 */

/* Return codes (negative on failure; the struct kstatus filled in). */
enum {
	MERGE_OK = 0,
	MERGE_EINVAL = -1,    /* bad request body / patch (status 400, 415 or 422) */
	MERGE_ECONFLICT = -2, /* apply conflicts (status 409); see struct merge_conflicts */
	MERGE_ENOMEM = -3,    /* allocation failed (status 500) */
};

/* One apply conflict: the other manager (rendered as in the message) and the path. */
struct merge_conflict {
	char *manager; /* e.g. "\"kubectl-edit\" using apps/v1" (printManager of spec 6.5) */
	char *path;    /* e.g. ".spec.template.spec.containers[name=\"web\"].image" */
};

/* The conflicts of a failed apply, sorted by manager then path (spec 6.5). */
struct merge_conflicts {
	struct merge_conflict *items;
	size_t n;
};

/* Frees the items; the struct itself is the caller's. Accepts NULL and empty. */
void merge_conflicts_dispose(struct merge_conflicts *c);

/*
 * "Apply failed with 1 conflict: conflict with \"m\" using apps/v1: .spec.replicas" or
 * the multi-conflict form of spec 6.5. Returns a malloc'd string (NULL on ENOMEM).
 */
char *merge_conflicts_message(const struct merge_conflicts *c);

/*
 * The whole 409 Status object of spec 6.5 (message, reason Conflict, details.causes with
 * reason FieldManagerConflict, message "conflict with <manager>", field <path>).
 */
cJSON *merge_conflicts_status(const struct merge_conflicts *c);

/*
 * Server-side apply (spec 6.3). live is the stored object or NULL (create); config is the
 * decoded apply body. manager must be non-empty (the server checks fieldManager first).
 * subresource is NULL/"" for the main resource or e.g. "status". now is an RFC 3339
 * timestamp ("2025-01-02T03:04:05Z").
 *
 * On success *out is a new object: live merged with config, fields this manager used to
 * apply and no longer sends pruned (unless someone else owns them), defaults applied
 * (merge_defaults), and metadata.managedFields rewritten. If the result equals live apart
 * from managedFields timestamps, the old managedFields are kept, so
 * merge_objects_differ(live, *out) is false and the server must not write.
 *
 * The result still carries whatever config sent for reset fields (status on the main
 * resource, spec on /status): the server applies its PrepareForUpdate resets afterwards
 * (those fields are never owned by the applier). As for any patch, metadata values sent
 * in config (resourceVersion, uid) win in the result, so the server can run its
 * resourceVersion/uid precondition checks on it; other metadata comes from live.
 *
 * Errors: 400 when config is not an object, carries metadata.managedFields, or its
 * apiVersion/kind do not match k ("Incorrect version specified in apply patch..."); 409
 * (MERGE_ECONFLICT) when force is false and other managers own fields whose values change:
 * *conflicts is filled (caller disposes it) and e->message holds the message.
 */
int merge_apply(cJSON **out, struct merge_conflicts *conflicts, const struct merge_kind *k,
		const cJSON *live, const cJSON *config, const char *manager, bool force,
		const char *subresource, const char *now, struct kstatus *e);

/*
 * Records the ownership of a non-apply write (POST, PUT, merge/strategic/JSON patch;
 * spec 6.4) into obj's metadata.managedFields, in place. obj is the new object as it
 * will be stored (already defaulted and reset by the server); old is the stored object,
 * or NULL on create. The manager (operation "Update", apiVersion of k) gains every path
 * that was added or modified; other managers lose those paths; removed paths vanish from
 * everyone; empty entries are dropped.
 *
 * managedFields carried by obj: on the main resource, absent or equal to old's -> old's
 * list is the base; "[{}]" -> reset to empty; any other non-empty list -> replaces the
 * stored one (and no ownership is recorded for this write). For subresources the
 * request's list is always ignored. If obj equals old apart from managedFields, old's
 * managedFields (with their timestamps) are kept.
 */
int merge_record_update(cJSON *obj, const struct merge_kind *k, const cJSON *old,
			const char *manager, const char *subresource, const char *now,
			struct kstatus *e);

/* RFC 7386 JSON merge patch: a new object (target is not modified). */
int merge_patch_json(cJSON **out, const cJSON *target, const cJSON *patch, struct kstatus *e);

/*
 * RFC 6902 JSON patch (add, remove, replace, move, copy, test; RFC 6901 pointers with
 * ~0/~1). patch must be an array of operations. A malformed patch -> 400; an operation
 * that does not apply (missing path, failed test) -> 422, message as the server's.
 */
int merge_patch_jsonpatch(cJSON **out, const cJSON *target, const cJSON *patch,
			  struct kstatus *e);

/*
 * Strategic merge patch for built-in kinds (spec 5.6, 5.7): merge keys per list,
 * $patch (replace/delete/merge), $retainKeys, $deleteFromPrimitiveList/<f>,
 * $setElementOrder/<f> (ordering applied best-effort), null deletes. Kinds without a
 * schema table get the deduced behaviour (maps merge, lists replace); refusing CRDs with
 * 415 is the server's job (see merge_kind_is_builtin).
 */
int merge_patch_strategic(cJSON **out, const struct merge_kind *k, const cJSON *target,
			  const cJSON *patch, struct kstatus *e);

/* True when k is a built-in kind with a schema (strategic merge patch allowed). */
bool merge_kind_is_builtin(const struct merge_kind *k);

/*
 * Applies the API server's defaults (spec 7) to obj in place: Deployment, ReplicaSet,
 * StatefulSet, DaemonSet, Job, CronJob, Pod, PodTemplate specs, Service, Namespace.
 * Unknown kinds are left alone. Idempotent. Allocation of clusterIP/clusterIPs and
 * nodePorts is left to the server (call merge_defaults first, then allocate).
 */
void merge_defaults(cJSON *obj, const struct merge_kind *k);

/* Defaults for a bare PodSpec (also inside templates); used by merge_defaults. */
void merge_defaults_podspec(cJSON *podspec);

/* Deep equality of two JSON values; object key order is ignored, array order is not. */
bool merge_equal(const cJSON *a, const cJSON *b);

/*
 * True when two stored objects differ in anything but metadata.managedFields timestamps,
 * metadata.resourceVersion. Used for no-op write detection: a write whose result does
 * not differ must not be persisted (spec 3).
 */
bool merge_objects_differ(const cJSON *a, const cJSON *b);

/*
 * Normalises a pod template in place for equality and hashing (spec 8.7): drops null
 * values (creationTimestamp: null), applies pod-spec defaults, and materialises
 * resources: {} in every container. Call on both sides before comparing.
 */
void merge_normalize_template(cJSON *template);

#endif
