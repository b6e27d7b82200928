/*
 * mm7_soap — the SOAP envelope of an MM7 message, read with libxml2 into
 * plain C (mm7_soap.c), and written (mm7_emit.c): our answers to an MMSC
 * (DeliverRsp, DeliveryReportRsp, ReadReplyRsp, a Fault carrying
 * VASPErrorRsp) and the SubmitReq we send.
 *
 * Reading is liberal the way real MMSCs need (mms-notes.md §2.7): any
 * namespace and prefix (elements are matched by local name, in any order),
 * a Header and Body in different namespaces, whitespace around every value,
 * Sender as Number, ShortCode, RFC2822Address or plain text, href with or
 * without a namespace prefix; the charset of the MIME part wins over the
 * XML declaration, and an envelope that is not valid in it is read again
 * as GB18030, then Latin-1, so that a stray non-UTF-8 Subject does not
 * lose the MMS. Reading is strict on safety: a size cap before parsing;
 * libxml2 with XML_PARSE_NONET and never NOENT / DTDLOAD / DTDATTR / HUGE
 * / XINCLUDE; a DOCTYPE stops the parser where it starts (before any
 * entity is declared) and the envelope is refused.
 *
 * Writing keeps the schema's element order (some MMSCs care) and echoes
 * the request's TransactionID, namespace and MM7Version.
 */
#ifndef SMSVAULT_MM7_SOAP_H
#define SMSVAULT_MM7_SOAP_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "mm7.h"

#define MM7_NS_DEFAULT "http://www.3gpp.org/ftp/Specs/archive/23_series/23.140/schema/REL-6-MM7-1-4"
#define MM7_VERSION_DEFAULT "6.8.0"
#define MM7_SOAP_ENV_NS "http://schemas.xmlsoap.org/soap/envelope/"

enum mm7_op {
    MM7_OP_UNKNOWN = 0,
    MM7_OP_DELIVER_REQ,
    MM7_OP_DELIVER_RSP,
    MM7_OP_DELIVERY_REPORT_REQ,
    MM7_OP_DELIVERY_REPORT_RSP,
    MM7_OP_READ_REPLY_REQ,
    MM7_OP_READ_REPLY_RSP,
    MM7_OP_SUBMIT_REQ,
    MM7_OP_SUBMIT_RSP,
    MM7_OP_CANCEL_REQ,
    MM7_OP_REPLACE_REQ,
    MM7_OP_FAULT,                /* env:Fault (with RSErrorRsp / VASPErrorRsp in detail) */
};

/* Once per process, before any other call (libxml2's xmlInitParser). */
void mm7_soap_init(void);

/* The element name of op ("DeliverReq"). */
const char *mm7_op_name(enum mm7_op op);

/* One MM7 message as read. Strings are trimmed, NULL when absent. */
struct mm7_envelope {
    enum mm7_op op;
    char *op_name;               /* the Body element's local name, as written */
    char *ns;                    /* its namespace ("" without one) */
    char *transaction_id;        /* Header/TransactionID */
    char *version;               /* MM7Version */
    /* DeliverReq */
    char *relay_server_id, *linked_id, *subject, *priority;
    struct mm7_address sender;   /* Sender (DeliverReq, DeliveryReportReq) */
    struct mm7_address to;       /* the first Recipients/To (our short code) */
    time_t timestamp;            /* TimeStamp; 0 when absent or unreadable */
    bool has_content;
    char *content_href;          /* Content/@href */
    /* DeliveryReportReq / ReadReplyReq */
    char *message_id;
    struct mm7_address recipient;
    char *mm_status, *status_text;
    time_t date;
    /* SubmitRsp, Fault (and any *Rsp) */
    int status_code;             /* Status/StatusCode, else a numeric faultstring; 0: none */
    char *status_detail;         /* Status/StatusText */
    char *fault_code, *fault_string;
};
void mm7_envelope_cleanup(struct mm7_envelope *e);

/*
 * Read an envelope of len bytes (at most max, else MM7_E_TOO_LARGE).
 * charset: the MIME part's (NULL: UTF-8 unless the XML says otherwise).
 * MM7_E_XML: not well-formed; MM7_E_DOCTYPE; MM7_E_NOT_SOAP: no
 * Envelope/Body or an empty Body; MM7_E_MISSING: a request without
 * TransactionID. On any result but MM7_OK, out->transaction_id may still
 * be set (for the fault's header) and out must be cleaned up.
 */
enum mm7_result mm7_soap_parse(const void *xml, size_t len, const char *charset, size_t max,
                               struct mm7_envelope *out);

/* ---- writing (mm7_emit.c); every result is malloc'd UTF-8 XML ---- */

/* Our answer to a request: DeliverRsp, DeliveryReportRsp or ReadReplyRsp
 * (rsp) with status. ns / version NULL: the defaults above. */
char *mm7_emit_response(enum mm7_op rsp, const char *transaction_id, const char *ns, const char *version,
                        int status, const char *detail, size_t *len);
/* A SOAP Fault with VASPErrorRsp { MM7Version, Status } in its detail;
 * transaction_id may be NULL (a request too broken to have one). */
char *mm7_emit_fault(const char *transaction_id, const char *ns, const char *version, int status,
                     const char *detail, size_t *len);

/* What a SubmitReq carries (one recipient: MMSCs may refuse several). */
struct mm7_submit {
    const char *transaction_id;
    const char *ns, *version;    /* NULL: the defaults */
    const char *vaspid, *vasid;  /* NULL or "": left out */
    const char *sender_shortcode;   /* SenderIdentification/SenderAddress/ShortCode */
    const char *recipient;       /* Recipients/To/Number */
    const char *service_code;    /* NULL or "": left out */
    const char *linked_id;       /* the MO's LinkedID when this answers one; NULL */
    time_t timestamp;
    const char *expiry;          /* "P7D" or an xs:dateTime; NULL: left out */
    bool delivery_report;
    const char *subject;         /* NULL: left out */
    const char *content_cid;     /* Content/@href = "cid:" content_cid */
    bool allow_adaptations;
};
char *mm7_emit_submit(const struct mm7_submit *req, size_t *len);

#endif
