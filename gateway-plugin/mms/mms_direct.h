/*
 * mms_direct — the PDUs of vaultmms's direct delivery path (issue 9,
 * "Download", path 2: an operator without MM7 for us), on common/mms_pdu
 * (OMA MMS encapsulation, WSP push) and common/smsudh (UDH):
 *
 *   - the m-notification-ind of one delivery (Transaction-Id made from the
 *     delivery's id, From the service short code, Subject, class Personal,
 *     size, expiry, X-Mms-Content-Location = the retrieval URL) in a WSP
 *     push, cut into binary SMS segments for WAP push port 2948 (UDH port
 *     addressing 2948 from 9200, concatenated when it needs more than one):
 *     the MT rows vaultbox sends;
 *   - the m-retrieve-conf the handset fetches there, built from the
 *     archived MMS: every part byte-exact with its content type, charset,
 *     name (Content-Location) and Content-ID, the SMIL part first and named
 *     as the multipart's start, From the short code, To the phone, Date the
 *     MMS's own (sent, else saved), its subject;
 *   - the m-retrieve-conf of a retrieval that finds nothing.
 *
 * Pure: no store, no HTTP, no clock (mms_retrieve serves these; the store
 * keeps the tokens). Results are malloc'd and belong to the caller. The
 * content types are parsed with GMime: mm7_mime_init must have run.
 */
#ifndef SMSVAULT_MMS_DIRECT_H
#define SMSVAULT_MMS_DIRECT_H

#include <stddef.h>
#include <stdint.h>

#include "smsudh.h"
#include "store.h"

#define MMS_DIRECT_TID_MAX 32
#define MMS_DIRECT_SUBJECT_MAX 40   /* bytes of the subject in a notification: it stays one or two SMS */

/* The Transaction-Id of delivery id ("smsvault-d42"), and back: the id a
 * Transaction-Id names, 0 when it is not one of ours. */
void mms_direct_tid(long long id, char out[MMS_DIRECT_TID_MAX]);
long long mms_direct_tid_id(const char *tid);

/* What the notification of one delivery says. */
struct mms_direct_notice {
    long long id;               /* the delivery (store_mms_retrieval) */
    const char *url;            /* its retrieval URL (X-Mms-Content-Location) */
    const char *sender;         /* the service short code */
    const char *subject;        /* the MMS's subject; NULL or "": none */
    uint64_t size;              /* bytes of the MMS */
    long expiry_s;              /* seconds it can be fetched (relative X-Mms-Expiry) */
};

/* One binary (8-bit) SMS: its complete UDH and its data. */
struct mms_direct_sms {
    unsigned char udh[SMSUDH_MAX + 1];
    size_t udhlen;
    unsigned char data[SMSUDH_SEGMENT];
    size_t len;
};

enum mms_direct_result {
    MMS_DIRECT_OK = 0,
    MMS_DIRECT_INVALID,         /* a field the PDU cannot carry (a URL with a NUL, no URL) */
    MMS_DIRECT_TOO_LONG,        /* more segments than a concatenated SMS may have */
};

/* The notification as SMS segments (*sms malloc'd, *count of them). The
 * WSP push's TID and the concatenation reference are the low octet of
 * the delivery id. */
enum mms_direct_result mms_direct_notification(const struct mms_direct_notice *n, struct mms_direct_sms **sms,
                                               size_t *count);

/* One archived MMS for the phone. */
struct mms_direct_message {
    long long id;               /* the delivery */
    const char *sender;         /* the service short code */
    const char *msisdn;         /* the phone */
    const struct store_mms *mms;
    const struct store_mms_part *parts;
    size_t nparts;
};

/* Its m-retrieve-conf (*out malloc'd). */
enum mms_direct_result mms_direct_retrieve_conf(const struct mms_direct_message *m, unsigned char **out,
                                                size_t *len);

/* The m-retrieve-conf of a retrieval that finds nothing (Retrieve-Status
 * Error-permanent-message-not-found): one answer for an unknown, a used
 * and an expired token alike. */
void mms_direct_not_found(unsigned char **out, size_t *len);

/* The same with Error-transient-failure: the archive could not be read
 * now, the handset may try the URL again. */
void mms_direct_try_later(unsigned char **out, size_t *len);

#endif
