/*
 * fake_store — an in-memory implementation of the parts of store.h that the
 * SMS command engine calls, for the engine's unit tests only (STYLE.md:
 * core tests may use a fake of the store interface). It keeps the store's
 * observable rules that replies depend on — the store's own username,
 * password, phone-number and space-growth rules (store/rules.c,
 * common/msisdn.c), per-kind numbering that is never reused, login
 * throttling per name tried (accounts or not) after N failures, with the
 * store's waits — and nothing else: no transactions, no SQL,
 * no concurrency, no server capacity.
 */
#ifndef SMSVAULT_FAKE_STORE_H
#define SMSVAULT_FAKE_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include "store.h"

struct store *fake_store_new(long long initial, long long threshold, long long step, long long cap);
void fake_store_free(struct store *s);

/* The next call of the named store function returns r (once). */
void fake_store_fail(struct store *s, const char *fn, enum store_result r);

/* Count failures failed logins for name (account or not): the fake has no
 * clock, so a test reaches a longer wait this way (5 free, then 1 s, 2 s,
 * ... 900 s). */
void fake_store_set_failures(struct store *s, const char *name, int failures);

/* Seed an MMS for a user (the SMS engine cannot receive MMS itself). */
long long fake_store_add_mms(struct store *s, const char *user_id, const char *peer,
                             const char *subject, const char *text);

/* Outbox rows queued so far, oldest first: texts, delivery requests (GET)
 * and the rows a rendered request became (core_render_pending). text is a
 * text row's text or a binary row's data ("" for a request). */
size_t fake_store_outbox_count(struct store *s);
const char *fake_store_outbox_text(struct store *s, size_t i, size_t *len);
const char *fake_store_outbox_msisdn(struct store *s, size_t i);

struct fake_outbox_row {
    long long id;                    /* i + 1 */
    enum store_outbox_kind kind;
    const char *msisdn, *text;
    size_t len;
    const unsigned char *udh;
    size_t udh_len;
    int coding;
    enum store_kind item_kind;       /* OUTBOX_REQUEST */
    long long item_n;
    long long parent;                /* a rendered request's id, or 0 */
    int state;                       /* 0 queued, 4 failed, 5 rendered (requests) */
};
/* Row i (borrowed until the next store call); false past the end. */
bool fake_store_outbox_row(struct store *s, size_t i, struct fake_outbox_row *out);

/* The id of the user msisdn is bound to ("" when none). */
const char *fake_store_user_of(struct store *s, const char *msisdn);

/* Items of a kind stored for a user. */
size_t fake_store_count(struct store *s, const char *user_id, enum store_kind kind);

/* Space used equals the sum of item sizes for every user, within the
 * allocation, and every stored SMS body, contact name and vCard is UTF-8. */
bool fake_store_consistent(struct store *s);

/* How many items the list calls (SMS, MMS, contacts) have returned so far:
 * what the engine read to lay out its pages. */
size_t fake_store_listed(struct store *s);

#endif
