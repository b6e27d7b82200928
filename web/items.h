/*
 * items — the list, preview, add and batch-delete handlers of the three
 * lists (SMS, MMS, contacts), and the JSON shapes of items and of the usage
 * bar shared by the other handlers. It is not import/export (transfer.c).
 */
#ifndef SMSVAULT_WEB_ITEMS_H
#define SMSVAULT_WEB_ITEMS_H

#include <jansson.h>

#include "http.h"
#include "store.h"

/* {allocated, used, sms, mms, contacts, last_grown_at}; NULL on error (*res set). */
json_t *items_usage_json(struct store *s, const char *user_id, enum store_result *res);
json_t *items_sms_json(const struct store_sms *m);
json_t *items_mms_json(const struct store_mms *m);
json_t *items_contact_json(const struct store_contact *c);
json_t *items_person_json(const struct store_person *p);
/* The "match" object of a delete or export: {q, upto, except: [n...]} —
 * every item the search q finds numbered up to upto, but the except ones
 * (store_match). False after answering 400; on true *except (may be NULL)
 * belongs to the caller, m borrows from in. */
bool items_read_match(json_t *match, struct http_resp *r, struct store_match *m, long long **except);
/* Is this MMS part type shown inline (allowed images and text)? */
const char *items_inline_type(const char *content_type);

#endif
