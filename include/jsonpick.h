/*
 * jsonpick: parses only the parts of a JSON text that a caller reads. A server-side
 * apply answer or a LIST carries whole objects (spec, status, managedFields) when the
 * caller needs a few metadata fields; building a cJSON tree of everything costs most
 * of a sync's CPU and memory. The parts not picked are still checked (well-formed,
 * bounded nesting) and skipped without allocating, so a text that is not JSON is
 * refused exactly as a full parse would refuse it.
 */
#ifndef TETHER_JSONPICK_H
#define TETHER_JSONPICK_H

#include <stddef.h>
#include <cjson/cJSON.h>

/*
 * One member to keep. A list of them ends with {NULL, NULL}. sub NULL keeps the whole
 * value; otherwise only sub's members are kept of the value (an object), or of each
 * element (an array); a scalar value is kept as it is.
 */
struct json_pick {
	const char *key;
	const struct json_pick *sub;
};

/* Keeps nothing of an object: {} for any well-formed object. */
extern const struct json_pick json_pick_nothing[];

/*
 * Parses text[0..len) keeping what pick names (pick NULL: everything, as cJSON does).
 * Returns NULL when the text is not JSON, nests too deep, or memory runs out.
 */
cJSON *json_pick_parse(const char *text, size_t len, const struct json_pick *pick);

#endif
