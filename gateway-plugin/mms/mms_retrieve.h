/*
 * mms_retrieve — what vaultmms's retrieval URL answers (issue 9, the
 * direct path): the rules on the store; the listener is vaultmms.c's
 * (its own libmicrohttpd daemon on [mms] retrieve_listen:retrieve_port,
 * apart from the MM7 endpoint, since handsets reach it and MMSCs reach
 * the other).
 *
 *   GET  /mms/r/<token>   the delivery's m-retrieve-conf (200,
 *                         application/vnd.wap.mms-message), once: the token
 *                         is used by the fetch, in the transaction that
 *                         reads the MMS. Unknown, used or expired: 404 with
 *                         one m-retrieve-conf saying message-not-found, the
 *                         same bytes for all three. The archive unreadable
 *                         now: 503 (Error-transient-failure), the token
 *                         still unused.
 *   POST /mms/r/<token>   the handset's m-notifyresp-ind (Retrieved,
 *                         Rejected, Deferred; Unrecognised counts as
 *                         Rejected) or m-acknowledge-ind, its Transaction-Id
 *                         the delivery's: the delivery (and its outbox row)
 *                         delivered or rejected (store_mms_retrieval_answer);
 *                         200 with an empty body. 404 as above, also for a
 *                         Transaction-Id that is not this delivery's; 400
 *                         for a body that is not such a PDU.
 *
 * Neither the token nor the MMS's content is logged: the delivery id is.
 */
#ifndef SMSVAULT_MMS_RETRIEVE_H
#define SMSVAULT_MMS_RETRIEVE_H

#include <stddef.h>

struct store;

#define MMS_RETRIEVE_PATH "/mms/r/"   /* + token */
#define MMS_RETRIEVE_POST_MAX 4096    /* bytes of a handset's answer PDU */

struct mms_retrieve {
    const char *sender;         /* the service short code: From of what is fetched */
};

struct mms_retrieve_answer {
    int http_status;
    unsigned char *body;        /* malloc'd; may be NULL with len 0 */
    size_t len;
    const char *content_type;   /* NULL: none (an empty 200) */
    char what[40];              /* for the access log: "fetched d=42", "not-found", ... */
    const char *outcome;        /* for the metrics: GET "fetched"; POST "delivered", "rejected",
                                   "deferred"; either "unknown" (404), "unavailable" (503);
                                   POST "not-an-answer" (400) */
};
void mms_retrieve_answer_cleanup(struct mms_retrieve_answer *a);

/* GET of token on s (not inside a transaction; NULL: the database is
 * unreachable, 503). Always fills out. */
void mms_retrieve_get(const struct mms_retrieve *r, struct store *s, const char *token,
                      struct mms_retrieve_answer *out);
/* POST of body to token's URL (s NULL: 503 as above). Always fills out. */
void mms_retrieve_post(const struct mms_retrieve *r, struct store *s, const char *token, const void *body,
                       size_t len, struct mms_retrieve_answer *out);

#endif
