/*
 * json — strict request JSON (see json.h).
 */
#include "json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

json_t *json_body_object(const char *body, size_t len, char *err, size_t errlen)
{
    json_error_t je;
    if (len == 0) {
        snprintf(err, errlen, "the request body is empty");
        return NULL;
    }
    json_t *j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je);
    if (j == NULL) {
        snprintf(err, errlen, "malformed JSON at line %d column %d: %s", je.line, je.column, je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        snprintf(err, errlen, "the body must be a JSON object");
        return NULL;
    }
    return j;
}

bool json_field_str(json_t *obj, const char *key, bool required, size_t max,
                    const char **out, size_t *len_out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (required) {
            snprintf(err, errlen, "field '%s' is required", key);
            return false;
        }
        *out = NULL;
        if (len_out)
            *len_out = 0;
        return true;
    }
    if (!json_is_string(v)) {
        snprintf(err, errlen, "field '%s' must be a string", key);
        return false;
    }
    size_t len = json_string_length(v);
    if (len > max) {
        snprintf(err, errlen, "field '%s' is too long (at most %zu bytes)", key, max);
        return false;
    }
    *out = json_string_value(v);
    if (len_out)
        *len_out = len;
    return true;
}

bool json_field_int(json_t *obj, const char *key, bool required, long long min, long long max,
                    long long def, long long *out, char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (v == NULL || json_is_null(v)) {
        if (required) {
            snprintf(err, errlen, "field '%s' is required", key);
            return false;
        }
        *out = def;
        return true;
    }
    if (!json_is_integer(v)) {
        snprintf(err, errlen, "field '%s' must be an integer", key);
        return false;
    }
    long long x = json_integer_value(v);
    if (x < min || x > max) {
        snprintf(err, errlen, "field '%s' is out of range", key);
        return false;
    }
    *out = x;
    return true;
}

bool json_field_ns(json_t *obj, const char *key, size_t max, long long **out, size_t *count,
                   char *err, size_t errlen)
{
    json_t *v = json_object_get(obj, key);
    if (!json_is_array(v)) {
        snprintf(err, errlen, "field '%s' must be an array of item numbers", key);
        return false;
    }
    size_t n = json_array_size(v);
    if (n > max) {
        snprintf(err, errlen, "field '%s' has too many items (at most %zu)", key, max);
        return false;
    }
    long long *ns = xcalloc(n ? n : 1, sizeof *ns);
    for (size_t i = 0; i < n; i++) {
        json_t *e = json_array_get(v, i);
        if (!json_is_integer(e) || json_integer_value(e) <= 0) {
            free(ns);
            snprintf(err, errlen, "field '%s' must hold positive integers", key);
            return false;
        }
        ns[i] = json_integer_value(e);
    }
    *out = ns;
    *count = n;
    return true;
}
