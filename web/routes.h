/*
 * routes — the table of vaultweb's JSON API: method, path pattern, what body
 * it takes (none, JSON, upload) and whether it needs a session, and the
 * handler. Patterns are literal segments plus '#' for a positive item
 * number. It is not the dispatcher (server.c checks caps, content types,
 * CSRF and sessions from the table before calling a handler).
 */
#ifndef SMSVAULT_WEB_ROUTES_H
#define SMSVAULT_WEB_ROUTES_H

#include <stdbool.h>
#include <stddef.h>

#include "http.h"

typedef void route_fn(struct http_req *q, struct http_resp *r);

enum route_body { ROUTE_BODY_NONE, ROUTE_BODY_JSON, ROUTE_BODY_UPLOAD };

struct route {
    const char *method;
    const char *pattern;
    enum route_body body;
    bool auth;
    route_fn *fn;
};

/* The route for method + path, filling path_n; NULL if none. *path_known is
 * set when the path exists with another method (405 rather than 404). */
const struct route *routes_match(const char *method, const char *path, long long path_n[2],
                                 bool *path_known);

/* The table itself, for the metrics' route label (web_metrics.c). */
size_t routes_count(void);
const struct route *routes_get(size_t i);
size_t routes_index(const struct route *r);   /* r from routes_match or routes_get */

/* Handlers (auth.c, items.c, transfer.c). */
route_fn auth_register, auth_login, auth_logout, auth_password, auth_me, auth_page, auth_lang_set,
    auth_phone_start, auth_phone_confirm, auth_phone_unbind;
route_fn items_sms_list, items_sms_get, items_sms_add, items_sms_delete,
    items_mms_list, items_mms_get, items_mms_part, items_mms_add, items_mms_delete,
    items_contact_list, items_contact_get, items_contact_add, items_contact_delete;
route_fn transfer_import, transfer_export, transfer_send;

#endif
