/*
 * status — store result → HTTP status (see status.h). STORE_NOT_FOUND is
 * 404 for another user's item too: the store does not tell them apart, and
 * neither do we. STORE_DENIED (a password or a code that was checked and is
 * wrong: login, password change, phone code) is 403: 401 belongs to the
 * session gate alone (server.c, {"error": "unauthenticated"}: log in), so
 * that a wrong current password never reads as "your session ended".
 */
#include "status.h"

#include <stddef.h>

static const struct status_entry table[] = {
    { STORE_OK,        200, "ok",        "Done." },
    { STORE_NOT_FOUND, 404, "not_found", "Not found." },
    { STORE_NO_SPACE,  507, "no_space",  "Not enough space: your storage cannot grow any further, so nothing was saved." },
    { STORE_CONFLICT,  409, "conflict",  "That already exists." },
    { STORE_RETRY,     503, "retry",     "The server is busy; please try again." },
    { STORE_INVALID,   400, "invalid",   "The input was refused; check the fields and try again." },
    { STORE_DENIED,    403, "denied",    "Wrong username, password or code." },
    { STORE_THROTTLED, 429, "throttled", "Too many failed attempts; please wait before trying again." },
    { STORE_ERR,       500, "error",     "Something went wrong on the server." },
};

const struct status_entry *status_from_store(enum store_result r)
{
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++)
        if (table[i].result == r)
            return &table[i];
    return &table[sizeof table / sizeof table[0] - 1];
}
