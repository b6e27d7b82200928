/*
 * mm7_emit — the MMSC simulator's MM7 (3GPP TS 23.140, SOAP 1.1 with
 * attachments) writer: the DeliverReq and DeliveryReportReq an operator's
 * MMSC posts to a VASP, and the SubmitRsp / DeliveryReportRsp / Fault it
 * answers with, each in one of three dialects seen in real traffic
 * (reference/mms-notes.md 2.6-2.7, 3):
 *
 *   3gpp   the TS 23.140 example style: env: envelope, the MM7 element in a
 *          default namespace (REL-6-MM7-1-4, MM7Version 6.7.0), tab
 *          indentation, a TransactionID wrapped in newlines and tabs, odd
 *          Content-IDs ("</mmscsim/mm7-deliver-1>"), "Content-ID:<...>"
 *          without a space, boundary lines with trailing white space,
 *          text parts 8-bit and the rest base64.
 *   nokia  a Nokia MMS Center MC5.0 style: soap: envelope, mm7p6a0: prefix,
 *          TransactionID with soap:encodingStyle="", addresses as
 *          <Number>+86.../TYPE=PLMN</Number> (the short code too), a
 *          Content element with white space inside, the MMS as a nested
 *          multipart/related with capitalised Type=/Start= parameters,
 *          every part BASE64, images named by Content-Location only.
 *   mbuni  Mbuni's mmsbox style: <?xml version='1.0' ...?>, SOAP-ENV:
 *          envelope, mm7: prefix, REL-5-MM7-1-0 with MM7Version 5.3.0, one
 *          element per line, ShortCode for numbers of 6 digits or fewer,
 *          Content-IDs like <s1.2.Ab.msg>, parts in binary.
 *
 * Pure: no sockets, no clock, no randomness (the caller passes the time and
 * a seed for boundaries and ids), so tests/unit/mm7sim_test.c compares the
 * bytes with known-good files. Not here: parsing (mm7_parse.h), HTTP.
 */
#ifndef SMSVAULT_MM7_EMIT_H
#define SMSVAULT_MM7_EMIT_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mm7_status.h"   /* mm7_status_text: the standard texts of the codes */
#include "mms_pdu.h"

#define MM7_SOAP_NS "http://schemas.xmlsoap.org/soap/envelope/"
#define MM7_NS_PREFIX "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/"

enum mm7_dialect { MM7_3GPP, MM7_NOKIA, MM7_MBUNI };

/* "3gpp" | "nokia" | "mbuni": true and *out; else false. */
bool mm7_dialect_parse(const char *name, enum mm7_dialect *out);
const char *mm7_dialect_name(enum mm7_dialect d);
/* The namespace and MM7Version a dialect writes. */
const char *mm7_dialect_ns(enum mm7_dialect d);
const char *mm7_dialect_version(enum mm7_dialect d);

/* A request or response as HTTP: Content-Type value and body (malloc'd). */
struct mm7_http {
    char content_type[512];
    unsigned char *body;
    size_t len;
};
void mm7_http_cleanup(struct mm7_http *h);

/* DeliverReq: an MMS from a handset (sender, an MSISDN) to the VASP's short
 * code. parts are the MM's (from the handset's m-send-req); a part whose
 * type is application/smil makes it multipart/related. pad > 0 adds one
 * more part of pad octets (application/octet-stream), for oversize tests. */
struct mm7_deliver {
    const char *transaction_id;
    const char *relay_server_id;
    const char *linked_id;
    const char *sender;
    const char *recipient;
    const char *subject;            /* NULL: none */
    time_t timestamp;
    const struct mms_part *parts;
    size_t nparts;
    size_t pad;
    unsigned seed;                  /* boundaries and Content-IDs */
};
void mm7_emit_deliver_req(enum mm7_dialect d, const struct mm7_deliver *r, struct mm7_http *out);

/* DeliveryReportReq (text/xml) for a message the VASP submitted. */
struct mm7_report {
    const char *transaction_id;
    const char *relay_server_id;
    const char *message_id;
    const char *recipient;          /* the handset */
    const char *sender;             /* the VASP's short code */
    time_t date;
    const char *mm_status;          /* Retrieved | Rejected | Expired | Indeterminate | Forwarded */
    const char *status_text;        /* NULL: none */
};
void mm7_emit_delivery_report_req(enum mm7_dialect d, const struct mm7_report *r,
                                  struct mm7_http *out);

/* An answer (text/xml) to a request of kind req_kind ("SubmitReq" ->
 * "SubmitRsp"), in the request's own namespace and MM7Version. A status of
 * 1000-1999 gives the Rsp (with message_id when not NULL); any other gives
 * a SOAP Fault whose detail holds RSErrorRsp with that status. */
struct mm7_answer {
    const char *ns, *version, *transaction_id;
    const char *req_kind;
    int status;
    const char *status_text;        /* NULL: the code's standard text */
    const char *message_id;
};
void mm7_emit_answer(enum mm7_dialect d, const struct mm7_answer *a, struct mm7_http *out);

#endif
