/*
 * json — reading request bodies and fields with jansson, strictly: the body
 * must be one JSON object (duplicate keys refused, no NUL in strings), fields
 * have types and length limits, and every refusal names the field. It is not
 * a response writer (http_json does that).
 */
#ifndef SMSVAULT_WEB_JSON_H
#define SMSVAULT_WEB_JSON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* Parse body as a JSON object. Returns NULL and writes a message into err. */
json_t *json_body_object(const char *body, size_t len, char *err, size_t errlen);

/* Each json_field_* returns true when the field was read, false with the
 * reason (naming the field) in err. */

/* String field of at most max bytes. Missing/null: *out = NULL and read
 * unless required. *out is borrowed from obj. */
bool json_field_str(json_t *obj, const char *key, bool required, size_t max,
                    const char **out, size_t *len_out, char *err, size_t errlen);
/* Integer field within [min, max]; missing → def unless required. */
bool json_field_int(json_t *obj, const char *key, bool required, long long min, long long max,
                    long long def, long long *out, char *err, size_t errlen);
/* Array of item numbers (positive integers), at most max; malloc'd *out. */
bool json_field_ns(json_t *obj, const char *key, size_t max, long long **out, size_t *count,
                   char *err, size_t errlen);

#endif
