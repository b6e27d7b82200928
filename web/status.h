/*
 * status — the one table that turns a store result into an HTTP answer:
 * status code, a stable machine code for the page, and a plain English
 * sentence a person can read. Handlers never pick HTTP codes for store
 * results themselves. It is not a response writer (see http.h).
 */
#ifndef SMSVAULT_WEB_STATUS_H
#define SMSVAULT_WEB_STATUS_H

#include "store.h"

struct status_entry {
    enum store_result result;
    unsigned http;        /* HTTP status */
    const char *code;     /* machine code sent as {"error": code} */
    const char *message;  /* shown to the person */
};

const struct status_entry *status_from_store(enum store_result r);

#endif
