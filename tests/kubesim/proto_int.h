/*
 * proto_int: the message descriptors proto.c's decoder walks (generated into
 * proto_desc.c by tools/proto_desc.py) and what its unit tests reach.
 */
#ifndef KUBESIM_PROTO_INT_H
#define KUBESIM_PROTO_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

/* How a field's value is read and written as JSON. */
enum proto_type {
	PROTO_STRING,
	PROTO_BYTES, /* base64 in JSON */
	PROTO_INT32,
	PROTO_INT64,
	PROTO_BOOL,
	PROTO_MESSAGE,
	PROTO_QUANTITY,	   /* resource.Quantity {1: string}: "100m" */
	PROTO_INTORSTRING, /* intstr.IntOrString {1: type, 2: intVal, 3: strVal} */
	PROTO_TIME,	   /* meta/v1 Time {1: seconds, 2: nanos}: RFC 3339, null when zero */
	PROTO_MICROTIME,   /* the same with microseconds */
	PROTO_DURATION,	   /* meta/v1 Duration {1: nanoseconds}: Go's "1h2m3s" */
	PROTO_RAW,	   /* runtime.RawExtension, FieldsV1 {1: bytes}: embedded JSON */
};

enum {
	PROTO_REPEATED = 1, /* a JSON array; a map when the message is a map entry */
	PROTO_POINTER = 2,  /* a Go pointer: present means set, so a zero value is kept */
	PROTO_INLINE = 4,   /* `json:",inline"`: the message's fields join the enclosing object */
	PROTO_KEEP = 8,	    /* no omitempty: a zero is written, an absent pointer or list is null */
};

struct proto_field {
	const char *name; /* the JSON name (k8s.io/api names proto fields by their JSON tag) */
	const char *go;	  /* the Go field the decoder's errors name; NULL: name capitalized */
	uint16_t num;
	uint8_t type; /* enum proto_type */
	uint8_t flags;
	uint16_t msg; /* PROTO_MESSAGE: index in proto_messages */
};

struct proto_message {
	const char *name; /* full proto name, "k8s.io.api.core.v1.Pod" */
	uint16_t first, count; /* its fields in proto_fields */
	bool map_entry;	       /* {1: key, 2: value} of a map field */
};

struct proto_kind {
	const char *api_version, *kind;
	uint16_t msg;
};

extern const struct proto_field proto_fields[];
extern const struct proto_message proto_messages[];
extern const size_t proto_nmessages;
extern const struct proto_kind proto_kinds[];
extern const size_t proto_nkinds;

/* The message's index by full name, or -1. */
int proto_message_find(const char *name);
/* Decodes the bytes of message msg into obj (an object); 0, or -1 with a message in err
 * naming the field. */
int proto_decode_message(cJSON *obj, int msg, const void *data, size_t len, char *err,
			 size_t errlen);
/* A meta/v1 Duration as Go's time.Duration.String() writes it: "1h2m3.5s", "0s". */
void proto_duration_string(int64_t ns, char *out, size_t n);

#endif
