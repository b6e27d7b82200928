/*
 * fuzz_json — libFuzzer harness for vaultweb's strict request-body reader:
 * the bytes are a request body; every field reader runs on what parses.
 * Aborts when a string handed out holds a NUL or is not UTF-8, or an item
 * number list holds a number out of range. The readers return true when
 * they hand a value out: only then is it looked at (the harness once read
 * the value of a refused field, never set: corpus/fuzz_json/refused_field).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    char *body = malloc(size ? size : 1);
    memcpy(body, data, size);
    json_t *j = json_body_object(body, size, err, sizeof err);
    if (j) {
        static const char *const keys[] = { "username", "password", "body", "peer", "name", "number" };
        for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++) {
            const char *s;
            size_t l;
            if (json_field_str(j, keys[i], false, 1000, &s, &l, err, sizeof err) && s &&
                (strlen(s) != l || (l > 0 && !utf8_valid(s, l))))
                abort();
        }
        long long v;
        if (json_field_int(j, "limit", false, 1, 500, 50, &v, err, sizeof err) && (v < 1 || v > 500))
            abort();
        long long *ns = NULL;
        size_t count = 0;
        if (json_field_ns(j, "ns", 500, &ns, &count, err, sizeof err)) {
            if (count > 500)
                abort();
            for (size_t i = 0; i < count; i++)
                if (ns[i] < 1)
                    abort();
        }
        free(ns);
        json_decref(j);
    } else if (memchr(err, '\0', sizeof err) == NULL) {
        abort();
    }
    free(body);
    return 0;
}
