/*
 * mms_pdu — the OMA MMS encapsulation (OMA-TS-MMS-ENC 1.2/1.3) and the WSP
 * encoding it rides on (WAP-230-WSP): the binary PDUs a handset and an MMSC
 * exchange over MM1 — m-send-req, m-send-conf, m-notification-ind,
 * m-notifyresp-ind, m-retrieve-conf, m-acknowledge-ind — with their WSP
 * multipart body, and the WSP connectionless push PDU that carries an
 * m-notification-ind to WAP push port 2948 in an SMS (smsudh.h cuts it into
 * segments).
 *
 * One struct mms_pdu holds every header this project reads or writes; the
 * encoder writes the ones that are set (a pointer not NULL, a number not 0)
 * in one fixed order that satisfies every message type (Message-Type,
 * Transaction-Id, MMS-Version first, Content-Type last), so the caller
 * chooses what a message carries. The decoder is for hostile input: every
 * length is checked against the octets left, uintvars over 32 bits and
 * Long-integers over 8 octets are refused, parts are capped at
 * MMS_PDU_MAX_PARTS and nested multiparts at MMS_PDU_MAX_DEPTH (their parts
 * are flattened into the one list), and it never reads past the buffer.
 * Unknown headers and parameters are skipped by their WSP shape. Every
 * decoded string is NUL-terminated UTF-8 without NUL bytes (an encoded
 * string in another charset is converted; bytes that are not valid in their
 * charset become U+FFFD).
 *
 * It is not an MMSC: no HTTP, no SMIL, no transcoding, no MIME (MM7's SOAP
 * and MIME live with their programs). Plain libc; results are malloc'd and
 * belong to the caller, inputs are borrowed.
 */
#ifndef SMSVAULT_MMS_PDU_H
#define SMSVAULT_MMS_PDU_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MMS_PDU_CONTENT_TYPE "application/vnd.wap.mms-message" /* HTTP Content-Type of every PDU */
#define MMS_PDU_MAX_PARTS 64        /* parts of one message, nested ones included */
#define MMS_PDU_MAX_DEPTH 3         /* multipart inside multipart inside multipart */
#define MMS_PDU_MAX_ADDRESSES 64    /* To + Cc + Bcc */
#define MMS_PDU_VERSION_1_2 0x12    /* MMS-Version: major << 4 | minor */
#define MMS_PDU_VERSION_1_3 0x13

enum mms_pdu_result {
    MMS_PDU_OK = 0,
    MMS_PDU_TRUNCATED,   /* a length runs past the end of the input */
    MMS_PDU_MALFORMED,   /* not what the encoding allows (bad uintvar, no NUL, ...) */
    MMS_PDU_LIMIT,       /* over a cap: parts, depth, addresses */
    MMS_PDU_UNSUPPORTED, /* well-formed but not an MMS PDU (no Message-Type first) */
    MMS_PDU_INVALID,     /* encoder: a mandatory field is missing */
};

/* X-Mms-Message-Type */
enum mms_pdu_type {
    MMS_M_SEND_REQ = 0x80,
    MMS_M_SEND_CONF = 0x81,
    MMS_M_NOTIFICATION_IND = 0x82,
    MMS_M_NOTIFYRESP_IND = 0x83,
    MMS_M_RETRIEVE_CONF = 0x84,
    MMS_M_ACKNOWLEDGE_IND = 0x85,
    MMS_M_DELIVERY_IND = 0x86,
};

/* Octet values (0 in a struct field: header absent). */
#define MMS_CLASS_PERSONAL 0x80       /* X-Mms-Message-Class */
#define MMS_CLASS_ADVERTISEMENT 0x81
#define MMS_CLASS_INFORMATIONAL 0x82
#define MMS_CLASS_AUTO 0x83
#define MMS_YES 0x80                  /* Delivery-Report, Read-Report, Report-Allowed */
#define MMS_NO 0x81
#define MMS_PRIORITY_LOW 0x80
#define MMS_PRIORITY_NORMAL 0x81
#define MMS_PRIORITY_HIGH 0x82
#define MMS_STATUS_EXPIRED 0x80       /* X-Mms-Status (m-notifyresp-ind, m-delivery-ind) */
#define MMS_STATUS_RETRIEVED 0x81
#define MMS_STATUS_REJECTED 0x82
#define MMS_STATUS_DEFERRED 0x83
#define MMS_STATUS_UNRECOGNISED 0x84
#define MMS_RESPONSE_OK 0x80          /* X-Mms-Response-Status (m-send-conf) */
#define MMS_RESPONSE_ERROR_UNSPECIFIED 0x81
#define MMS_RESPONSE_ERROR_SERVICE_DENIED 0x82
#define MMS_RESPONSE_ERROR_MESSAGE_FORMAT_CORRUPT 0x83
#define MMS_RESPONSE_ERROR_TRANSIENT_FAILURE 0xC0
#define MMS_RESPONSE_ERROR_PERMANENT_FAILURE 0xE0
#define MMS_RETRIEVE_OK 0x80          /* X-Mms-Retrieve-Status (m-retrieve-conf) */
#define MMS_RETRIEVE_ERROR_TRANSIENT_FAILURE 0xC0
#define MMS_RETRIEVE_ERROR_PERMANENT_FAILURE 0xE0
#define MMS_RETRIEVE_ERROR_MESSAGE_NOT_FOUND 0xE1

/* One body part. content_type is the bare media type, lower case when it
 * came as a WSP well-known code ("image/jpeg"); charset is a name
 * ("utf-8") or NULL; name is the name (or filename) parameter or NULL;
 * content_id is as sent, angle brackets included ("<smil>") or NULL. */
struct mms_part {
    char *content_type;
    char *charset;
    char *name;
    char *content_id;
    char *content_location;
    unsigned char *data;
    size_t len;
};

struct mms_pdu {
    int type;                 /* enum mms_pdu_type (mandatory) */
    char *transaction_id;
    int version;              /* MMS_PDU_VERSION_1_2 ...; 0 on encode means 1.2 */
    char *message_id;
    int64_t date;             /* Date, seconds since 1970 (with has_date) */
    bool has_date;
    char *from;               /* From address ("+8613.../TYPE=PLMN"); NULL: absent */
    bool from_insert;         /* From is the insert-address token (m-send-req) */
    char **to, **cc, **bcc;   /* arrays of addresses */
    size_t nto, ncc, nbcc;
    char *subject;            /* UTF-8; sent with charset utf-8 when not ASCII */
    int message_class;        /* MMS_CLASS_* */
    int priority;
    uint64_t message_size;    /* X-Mms-Message-Size (with has_message_size) */
    bool has_message_size;
    int64_t expiry;           /* X-Mms-Expiry: seconds, relative or absolute */
    bool has_expiry, expiry_relative;
    int delivery_report, read_report, report_allowed; /* MMS_YES / MMS_NO */
    int status;               /* X-Mms-Status */
    int response_status;      /* X-Mms-Response-Status */
    char *response_text;
    int retrieve_status;      /* X-Mms-Retrieve-Status */
    char *retrieve_text;
    char *content_location;   /* X-Mms-Content-Location (m-notification-ind: the URL) */

    /* Content-Type and body (m-send-req, m-retrieve-conf). content_type NULL
     * on encode: multipart.related with type application/smil when a part
     * is SMIL (start = its Content-ID), else multipart.mixed. A body whose
     * Content-Type is not multipart decodes as one part of that type. */
    char *content_type;       /* e.g. "application/vnd.wap.multipart.related" */
    char *ct_type;            /* its type parameter ("application/smil") or NULL */
    char *ct_start;           /* its start parameter ("<smil>") or NULL */
    struct mms_part *parts;
    size_t nparts;
};

/* A zeroed pdu of the given type, version 1.2. */
void mms_pdu_init(struct mms_pdu *pdu, int type);
/* Free every field (the struct itself is the caller's); safe twice. */
void mms_pdu_cleanup(struct mms_pdu *pdu);

/* Append a part; copies every argument (data may be NULL when len is 0;
 * the other strings may be NULL). Returns the part. */
struct mms_part *mms_pdu_add_part(struct mms_pdu *pdu, const char *content_type,
                                  const char *charset, const char *name,
                                  const char *content_id, const char *content_location,
                                  const unsigned char *data, size_t len);
/* Append an address to to/cc/bcc (copied). */
void mms_pdu_add_address(char ***list, size_t *n, const char *address);

/* Encode pdu. *out malloc'd. MMS_PDU_INVALID when type is 0, a
 * transaction_id is missing where the type needs one (send-req,
 * send-conf, notification-ind, notifyresp-ind, acknowledge-ind), a
 * notification-ind lacks
 * content_location, a string holds a byte the encoding cannot carry, or a
 * count is over a cap. */
enum mms_pdu_result mms_pdu_encode(const struct mms_pdu *pdu, unsigned char **out, size_t *len);

/* Decode an MMS PDU from data[0..len). On MMS_PDU_OK *pdu is filled (free
 * with mms_pdu_cleanup); on any other result *pdu is zeroed and owns
 * nothing. */
enum mms_pdu_result mms_pdu_decode(const unsigned char *data, size_t len, struct mms_pdu *pdu);

/* "m-send-req", ..., or "unknown". */
const char *mms_pdu_type_name(int type);
/* A short English text for a result ("truncated", ...). */
const char *mms_pdu_result_text(enum mms_pdu_result r);

/* The number of an address without its "/TYPE=..." suffix, copied into
 * out (NUL-terminated). True, or false when it does not fit in cap. */
bool mms_pdu_address_value(const char *address, char *out, size_t cap);

/* ---- WSP connectionless push (WAP-230-WSP 8.2.4.1) ------------------------ */

#define MMS_PDU_WSP_PUSH 0x06
#define MMS_PDU_APP_ID_MMS 0x04 /* X-Wap-Application-Id x-wap-application:mms.ua */

/* TID, PDU type 0x06, headers length (uintvar), Content-Type
 * application/vnd.wap.mms-message (0xBE), X-Wap-Application-Id mms.ua
 * (0xAF 0x84), then body (an encoded m-notification-ind). *out malloc'd. */
void mms_pdu_push_encode(unsigned tid, const unsigned char *body, size_t len,
                         unsigned char **out, size_t *outlen);

/* What a push PDU says; content_type is "" when it could not be named;
 * app_id is the numeric X-Wap-Application-Id (a textual
 * "x-wap-application:mms.ua" is mapped to 4), -1 when absent or unknown.
 * body points into the caller's data. */
struct mms_pdu_push {
    unsigned tid;
    int pdu_type;
    char content_type[96];
    int app_id;
    const unsigned char *body;
    size_t body_len;
};

/* Decode a WSP push (or confirmed push, 0x07) PDU. MMS_PDU_UNSUPPORTED for
 * another WSP PDU type. */
enum mms_pdu_result mms_pdu_push_decode(const unsigned char *data, size_t len,
                                        struct mms_pdu_push *out);

#endif
