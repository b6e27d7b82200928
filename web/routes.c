/*
 * routes — the API table (see routes.h). Every state-changing route is a
 * POST with a JSON or upload body, so the CSRF checks in server.c cover it.
 */
#include "routes.h"

#include <stdlib.h>
#include <string.h>

static const struct route table[] = {
    { "POST", "/api/register",       ROUTE_BODY_JSON,   false, auth_register },
    { "POST", "/api/login",          ROUTE_BODY_JSON,   false, auth_login },
    { "POST", "/api/logout",         ROUTE_BODY_JSON,   true,  auth_logout },
    { "POST", "/api/password",       ROUTE_BODY_JSON,   true,  auth_password },
    { "GET",  "/api/me",             ROUTE_BODY_NONE,   true,  auth_me },
    { "GET",  "/api/page",           ROUTE_BODY_NONE,   false, auth_page },
    { "POST", "/api/lang",           ROUTE_BODY_JSON,   true,  auth_lang_set },
    { "POST", "/api/phone/start",    ROUTE_BODY_JSON,   true,  auth_phone_start },
    { "POST", "/api/phone/confirm",  ROUTE_BODY_JSON,   true,  auth_phone_confirm },
    { "POST", "/api/phone/unbind",   ROUTE_BODY_JSON,   true,  auth_phone_unbind },

    { "GET",  "/api/sms",            ROUTE_BODY_NONE,   true,  items_sms_list },
    { "POST", "/api/sms",            ROUTE_BODY_JSON,   true,  items_sms_add },
    { "GET",  "/api/sms/#",          ROUTE_BODY_NONE,   true,  items_sms_get },
    { "POST", "/api/sms/delete",     ROUTE_BODY_JSON,   true,  items_sms_delete },

    { "GET",  "/api/mms",            ROUTE_BODY_NONE,   true,  items_mms_list },
    { "POST", "/api/mms",            ROUTE_BODY_UPLOAD, true,  items_mms_add },
    { "GET",  "/api/mms/#",          ROUTE_BODY_NONE,   true,  items_mms_get },
    { "GET",  "/api/mms/#/parts/#",  ROUTE_BODY_NONE,   true,  items_mms_part },
    { "POST", "/api/mms/delete",     ROUTE_BODY_JSON,   true,  items_mms_delete },

    { "GET",  "/api/contacts",       ROUTE_BODY_NONE,   true,  items_contact_list },
    { "POST", "/api/contacts",       ROUTE_BODY_JSON,   true,  items_contact_add },
    { "GET",  "/api/contacts/#",     ROUTE_BODY_NONE,   true,  items_contact_get },
    { "POST", "/api/contacts/delete", ROUTE_BODY_JSON,  true,  items_contact_delete },

    { "POST", "/api/import",         ROUTE_BODY_UPLOAD, true,  transfer_import },
    { "POST", "/api/export",         ROUTE_BODY_JSON,   true,  transfer_export },
    { "POST", "/api/send",           ROUTE_BODY_JSON,   true,  transfer_send },
};

/* Match path against pattern; '#' takes one segment of 1..18 digits, > 0. */
static bool match(const char *pattern, const char *path, long long path_n[2])
{
    int k = 0;
    while (*pattern && *path) {
        if (*pattern == '#') {
            const char *p = path;
            long long v = 0;
            int digits = 0;
            while (*p >= '0' && *p <= '9') {
                if (++digits > 18)
                    return false;   /* before v * 10 could overflow */
                v = v * 10 + (*p - '0');
                p++;
            }
            if (digits == 0 || v <= 0 || (*p && *p != '/') || k >= 2)
                return false;
            path_n[k++] = v;
            path = p;
            pattern++;
            continue;
        }
        if (*pattern != *path)
            return false;
        pattern++, path++;
    }
    return *pattern == '\0' && *path == '\0';
}

const struct route *routes_match(const char *method, const char *path, long long path_n[2],
                                 bool *path_known)
{
    *path_known = false;
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        long long n[2] = { 0, 0 };
        if (!match(table[i].pattern, path, n))
            continue;
        if (strcmp(table[i].method, method) == 0) {
            path_n[0] = n[0];
            path_n[1] = n[1];
            return &table[i];
        }
        *path_known = true;
    }
    return NULL;
}

size_t routes_count(void)
{
    return sizeof table / sizeof table[0];
}

const struct route *routes_get(size_t i)
{
    return i < routes_count() ? &table[i] : NULL;
}

size_t routes_index(const struct route *r)
{
    return (size_t)(r - table);
}
