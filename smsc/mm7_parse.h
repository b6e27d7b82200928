/*
 * mm7_parse — the MMSC simulator's MM7 reader: a SOAP 1.1 message, bare
 * text/xml or multipart/related with attachments (GMime), its envelope
 * (libxml2, no network, no entities, DOCTYPE refused) read by local names
 * in any namespace and order, and the MM it carries flattened into parts.
 * Used for the VASP's SubmitReq and for its answers (DeliverRsp,
 * DeliveryReportRsp, Faults). Liberal where real peers differ (any
 * REL-x namespace, /TYPE=PLMN, Content-ID with or without <>, href with or
 * without cid:, a missing start parameter, base64 parts); bounded: the
 * caller caps the body, parts are capped at MMS_PDU_MAX_PARTS and nesting
 * at MMS_PDU_MAX_DEPTH.
 */
#ifndef SMSVAULT_MM7_PARSE_H
#define SMSVAULT_MM7_PARSE_H

#include <stdbool.h>
#include <stddef.h>

#include "mms_pdu.h"

struct mm7_msg {
    char kind[48];            /* local name of the Body's element: SubmitReq, DeliverRsp, Fault */
    char ns[256];             /* its namespace */
    char version[32];         /* MM7Version */
    char transaction_id[256]; /* trimmed */
    int status;               /* Status/StatusCode anywhere (a Fault's detail too); 0: none */
    char status_text[256];
    char message_id[256];
    char sender[160];         /* SenderAddress (or Sender) value, /TYPE= kept */
    char **recipients;        /* Recipients' To/Cc/Bcc values, in order */
    size_t nrecipients;
    char *subject;            /* NULL: none */
    bool delivery_report;
    char content_href[256];
    bool has_content;
    struct mms_pdu content;   /* parts of the MM (content.parts), when has_content */
};

void mm7_msg_cleanup(struct mm7_msg *m);

/* Once per process, before any thread parses. */
void mm7_parse_init(void);

/* Parse an MM7 HTTP body with its Content-Type header value. Returns 0, or
 * the MM7 status code that says why not (2007 format corrupt, 4004
 * validation error), with a short reason in err. m is always initialised
 * (clean it up either way). */
int mm7_parse(const char *content_type, const unsigned char *body, size_t len,
              struct mm7_msg *m, char *err, size_t errlen);

#endif
