/*
 * validate_int.h: what the validate files share: apimachinery's name and value checks
 * (pkg/util/validation, each returning its messages into a field error) and the
 * per-part validators validate.c dispatches to.
 */
#ifndef KUBESIM_VALIDATE_INT_H
#define KUBESIM_VALIDATE_INT_H

#include "field_err.h"
#include "store.h"

/* The name rules of pkg/util/validation. */
enum name_rule {
	NAME_SUBDOMAIN, /* IsDNS1123Subdomain, <= 253 */
	NAME_LABEL,	/* IsDNS1123Label, <= 63 */
	NAME_DNS1035,	/* IsDNS1035Label, <= 63 */
	NAME_PATH,	/* path.IsValidPathSegmentName (RBAC) */
};

/* Adds one "Invalid value" error on field for each message the rule has for s; the
 * error shows `shown` (NULL: s) as the value. */
void valid_name(struct field_errs *v, const char *field, enum name_rule rule, const char *s,
		const char *shown);
/* IsValidLabelValue. */
void valid_label_value(struct field_errs *v, const char *field, const char *s);
/* IsQualifiedName (label keys, annotation keys, finalizers); shown names value. */
void valid_qualified(struct field_errs *v, const char *field, const char *key,
		     const char *shown);
/* IsConfigMapKey, reported on field "<base>[<key>]". */
void valid_config_key(struct field_errs *v, const char *base, const char *key);
/* IsValidPortNum / IsValidPortName. */
void valid_port_num(struct field_errs *v, const char *field, const cJSON *port);
void valid_port_name(struct field_errs *v, const char *field, const char *name);
/* NotSupported unless s is one of the NULL-ended values (in the order the server lists). */
void valid_enum(struct field_errs *v, const char *field, const char *s,
		const char *const *values);

/* Go's %#v of a []string, as field errors show one: []string{"a", "b"}, or
 * []string(nil) when a is no array; returns the length it wanted, as snprintf. */
size_t go_string_list(const cJSON *a, char *out, size_t n);

/* The string at o.key, else dflt. */
const char *str_or(const cJSON *o, const char *key, const char *dflt);

/* ObjectMeta: name (and generateName) per kind on create, labels, annotations,
 * finalizers. */
void validate_meta(struct field_errs *v, const struct restype *rt, const cJSON *meta,
		   bool create);
/* Label keys and values (ValidateLabels) under field. */
void validate_labels(struct field_errs *v, const char *field, const cJSON *labels);
/* ConfigMap and Secret: keys, sizes, types, immutability. */
void validate_config(struct field_errs *v, const struct restype *rt, const cJSON *obj,
		     const cJSON *old);
/* Service: ports, protocols, type, clusterIP. */
void validate_service(struct field_errs *v, const cJSON *obj, const cJSON *old);
/* The kinds of issue #13 part 2 (validate_cluster.c); false when rt is none of them. */
bool validate_cluster_kind(struct field_errs *v, const struct restype *rt, const cJSON *obj,
			   const cJSON *old);
/* A pod spec's containers (prefix "spec." or "spec.template.spec."). */
void validate_pod_spec(struct field_errs *v, const cJSON *podspec, const char *prefix);

#endif
