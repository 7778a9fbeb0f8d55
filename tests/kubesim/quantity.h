/*
 * quantity: resource.Quantity as the quota and limit range code needs it: a value in
 * thousandths (so "100m" CPU and "1Gi" memory both fit an int64) and the canonical text
 * the API server prints for a sum. No state.
 */
#ifndef KUBESIM_QUANTITY_H
#define KUBESIM_QUANTITY_H

#include <stdbool.h>
#include <stdint.h>

#include <cJSON.h>

/* A quantity's value as a double (the decode checked its form). */
double quantity_value(const char *s);
/* The value of a string or number quantity in thousandths (0 when neither); *binary
 * (may be NULL) tells whether it used a binary suffix (Ki, Mi, ...). */
int64_t quantity_milli(const cJSON *q, bool *binary);
/* Canonical text of milli thousandths: binary suffixes when binary and exact, else
 * decimal ones ("500m", "2", "3k"). out >= 32 bytes. */
void quantity_format(int64_t milli, bool binary, char *out, size_t n);

#endif
