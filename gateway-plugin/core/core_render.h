/*
 * core_render — the one renderer of an archived item for a phone (issue 8):
 * a delivery request (user, kind, n, msisdn: written by GET and by the web's
 * "send to my phone") becomes, at send time, the concrete MT the phone
 * receives:
 *
 *   SMS      its body byte for byte ("#n " first with [box] get_header), as
 *            several MT when it is longer than bearerbox concatenates
 *   contact  a Nokia Smart Messaging business card: the vCard as 8-bit
 *            data to port 9204 (UDH 06 05 04 23 F4 00 00), one MT that
 *            bearerbox concatenates when long, so the phone offers to save
 *            it; with [box] contact_delivery = text, "C4 name: number"
 *   MMS      its subject and text and the page's link — only for a request
 *            queued on channel sms before MMS went to vaultmms
 *            (store_outbox_channel_for), which delivers them as MMS
 *
 * and an item deleted between request and send becomes a notice to the
 * phone ("C4 was deleted before it could be sent"), in the account's
 * language. Plain C on the store API (no Kannel, no SQL): vaultbox's sender
 * runs core_render_pending in its transaction; the engine's tests run it on
 * the fake store. It does not send anything, nor decide when.
 */
#ifndef SMSVAULT_CORE_RENDER_H
#define SMSVAULT_CORE_RENDER_H

#include <stddef.h>

#include "core.h"
#include "store.h"

/* bearerbox concatenates at most 255 parts; a long text goes as several MT
 * of at most this many segments each (and at most LIMIT_SMS_BODY_MAX bytes:
 * 250 segments of two-byte characters such as é are more) */
#define CORE_MT_MAX_SEGMENTS 250
/* The longest card sent as one business card: bearerbox's split (gw/sms.c
 * sms_split) leaves 128 octets a part beside the port and concatenation
 * IEs, CORE_MT_MAX_SEGMENTS parts. A longer card (a photo in it) goes as a
 * card of its name and number only. */
#define CORE_CARD_MAX (CORE_MT_MAX_SEGMENTS * 128)

/* What a request rendered into: mts[0..count) in order (their data belongs
 * to the struct), and failed when the request cannot be carried out (the
 * item is gone: mts then hold the notice to the phone; the user is gone:
 * no MT at all). */
struct core_rendered {
    struct store_outbox_mt *mts;
    size_t count;
    const char *failed;   /* NULL, or why (a constant string) */
    void **owned;         /* the buffers mts point into */
    size_t nowned;
};

void core_rendered_cleanup(struct core_rendered *r);

/* Render one request with the store (inside the caller's transaction).
 * CORE_OK: *out is filled; CORE_RETRY / CORE_ERR: a store failure, *out
 * holds nothing. */
enum core_result core_render(const struct core_config *cfg, struct store *s, const struct store_outbox_request *req,
                             struct core_rendered *out);

/*
 * What a sender runs in its transaction (store_tx_begin): take up to max
 * queued requests of channel (store_outbox_take_requests), render each and
 * expand it into its MT (store_outbox_expand), each in a savepoint. A
 * request that cannot be rendered for another reason than a retry is
 * marked failed and logged, not tried for ever. *rendered (may be NULL):
 * how many were taken. CORE_RETRY / CORE_ERR: roll the transaction back.
 */
enum core_result core_render_pending(const struct core_config *cfg, struct store *s, const char *channel, int max,
                                     size_t *rendered);

#endif
