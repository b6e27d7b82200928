/*
 * mms_pdu — MMS PDU headers and the WSP push PDU (see mms_pdu.h); the WSP
 * value encodings, Content-Type and multipart body are in mms_wsp.c.
 */
#include "mms_pdu.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "mms_wsp.h"

/* MMS header field codes (OMA-TS-MMS-ENC 7.4, binary code = field | 0x80) */
#define F_BCC 0x01
#define F_CC 0x02
#define F_CONTENT_LOCATION 0x03
#define F_CONTENT_TYPE 0x04
#define F_DATE 0x05
#define F_DELIVERY_REPORT 0x06
#define F_EXPIRY 0x08
#define F_FROM 0x09
#define F_MESSAGE_CLASS 0x0A
#define F_MESSAGE_ID 0x0B
#define F_MESSAGE_TYPE 0x0C
#define F_MMS_VERSION 0x0D
#define F_MESSAGE_SIZE 0x0E
#define F_PRIORITY 0x0F
#define F_READ_REPORT 0x10
#define F_REPORT_ALLOWED 0x11
#define F_RESPONSE_STATUS 0x12
#define F_RESPONSE_TEXT 0x13
#define F_STATUS 0x15
#define F_SUBJECT 0x16
#define F_TO 0x17
#define F_TRANSACTION_ID 0x18
#define F_RETRIEVE_STATUS 0x19
#define F_RETRIEVE_TEXT 0x1A

#define TOKEN_ADDRESS_PRESENT 0x80
#define TOKEN_INSERT_ADDRESS 0x81
#define TOKEN_ABSOLUTE 0x80
#define TOKEN_RELATIVE 0x81

/* The headers whose value is one octet (a Short-integer), and where in
 * struct mms_pdu it goes; written in this order. */
static const struct {
    int field;
    size_t off;
} octet_fields[] = {
    { F_PRIORITY, offsetof(struct mms_pdu, priority) },
    { F_DELIVERY_REPORT, offsetof(struct mms_pdu, delivery_report) },
    { F_READ_REPORT, offsetof(struct mms_pdu, read_report) },
    { F_REPORT_ALLOWED, offsetof(struct mms_pdu, report_allowed) },
    { F_STATUS, offsetof(struct mms_pdu, status) },
    { F_RESPONSE_STATUS, offsetof(struct mms_pdu, response_status) },
    { F_RETRIEVE_STATUS, offsetof(struct mms_pdu, retrieve_status) },
};
#define N_OCTET_FIELDS (sizeof octet_fields / sizeof octet_fields[0])

static int *octet_field(struct mms_pdu *pdu, size_t i)
{
    return (int *)((char *)pdu + octet_fields[i].off);
}

static int octet_value(const struct mms_pdu *pdu, size_t i)
{
    return *(const int *)((const char *)pdu + octet_fields[i].off);
}

/* WSP push headers */
#define WSP_CT_MMS 0x3E           /* application/vnd.wap.mms-message */
#define WSP_H_APPLICATION_ID 0x2F /* X-Wap-Application-Id */

/* ---- the struct ------------------------------------------------------------- */

void mms_pdu_init(struct mms_pdu *pdu, int type)
{
    memset(pdu, 0, sizeof *pdu);
    pdu->type = type;
    pdu->version = MMS_PDU_VERSION_1_2;
}

static void free_list(char **list, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(list[i]);
    free(list);
}

void mms_pdu_cleanup(struct mms_pdu *pdu)
{
    size_t i;

    if (!pdu)
        return;
    free(pdu->transaction_id);
    free(pdu->message_id);
    free(pdu->from);
    free_list(pdu->to, pdu->nto);
    free_list(pdu->cc, pdu->ncc);
    free_list(pdu->bcc, pdu->nbcc);
    free(pdu->subject);
    free(pdu->response_text);
    free(pdu->retrieve_text);
    free(pdu->content_location);
    free(pdu->content_type);
    free(pdu->ct_type);
    free(pdu->ct_start);
    for (i = 0; i < pdu->nparts; i++) {
        struct mms_part *p = &pdu->parts[i];
        free(p->content_type);
        free(p->charset);
        free(p->name);
        free(p->content_id);
        free(p->content_location);
        free(p->data);
    }
    free(pdu->parts);
    memset(pdu, 0, sizeof *pdu);
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

struct mms_part *mms_pdu_add_part(struct mms_pdu *pdu, const char *content_type,
                                  const char *charset, const char *name,
                                  const char *content_id, const char *content_location,
                                  const unsigned char *data, size_t len)
{
    struct mms_part *p;

    pdu->parts = xrealloc(pdu->parts, (pdu->nparts + 1) * sizeof *pdu->parts);
    p = &pdu->parts[pdu->nparts++];
    memset(p, 0, sizeof *p);
    p->content_type = dup_or_null(content_type);
    p->charset = dup_or_null(charset);
    p->name = dup_or_null(name);
    p->content_id = dup_or_null(content_id);
    p->content_location = dup_or_null(content_location);
    p->data = xmalloc(len ? len : 1);
    if (len)
        memcpy(p->data, data, len);
    p->len = len;
    return p;
}

void mms_pdu_add_address(char ***list, size_t *n, const char *address)
{
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = xstrdup(address);
}

const char *mms_pdu_type_name(int type)
{
    static const char *const names[] = {
        "m-send-req", "m-send-conf", "m-notification-ind", "m-notifyresp-ind",
        "m-retrieve-conf", "m-acknowledge-ind", "m-delivery-ind",
    };
    if (type >= MMS_M_SEND_REQ && type <= MMS_M_DELIVERY_IND)
        return names[type - MMS_M_SEND_REQ];
    return "unknown";
}

const char *mms_pdu_result_text(enum mms_pdu_result r)
{
    switch (r) {
    case MMS_PDU_OK: return "ok";
    case MMS_PDU_TRUNCATED: return "truncated";
    case MMS_PDU_MALFORMED: return "malformed";
    case MMS_PDU_LIMIT: return "over a limit";
    case MMS_PDU_UNSUPPORTED: return "not an MMS PDU";
    case MMS_PDU_INVALID: return "a mandatory field is missing";
    }
    return "?";
}

bool mms_pdu_address_value(const char *address, char *out, size_t cap)
{
    const char *slash = strstr(address, "/TYPE=");
    size_t n = slash ? (size_t)(slash - address) : strlen(address);

    if (!slash && (slash = strstr(address, "/type=")) != NULL)
        n = (size_t)(slash - address);
    if (n + 1 > cap)
        return false;
    memcpy(out, address, n);
    out[n] = '\0';
    return true;
}

/* ---- encoding ----------------------------------------------------------------- */

static bool needs_tid(int type)
{
    return type == MMS_M_SEND_REQ || type == MMS_M_SEND_CONF || type == MMS_M_NOTIFICATION_IND ||
           type == MMS_M_NOTIFYRESP_IND || type == MMS_M_ACKNOWLEDGE_IND;
}

static void put_field_text(struct mms_wsp_writer *w, int field, const char *s)
{
    if (!s)
        return;
    mms_wsp_put_byte(w, 0x80 | (unsigned)field);
    mms_wsp_put_text(w, s);
}

static void put_field_octet(struct mms_wsp_writer *w, int field, int v)
{
    if (v == 0)
        return;
    if (v < 0x80 || v > 0xFF)
        w->bad = true;
    mms_wsp_put_byte(w, 0x80 | (unsigned)field);
    mms_wsp_put_byte(w, (unsigned)v & 0xFF);
}

static void put_field_encoded(struct mms_wsp_writer *w, int field, const char *s)
{
    if (!s)
        return;
    mms_wsp_put_byte(w, 0x80 | (unsigned)field);
    mms_wsp_put_encoded_string(w, s);
}

/* Value-length (token, Long-integer or Integer-value): Expiry, Delivery-Time */
static void put_field_time(struct mms_wsp_writer *w, int field, int64_t v, bool relative)
{
    struct mms_wsp_writer in = { NULL, 0, 0, false };

    if (v < 0)
        w->bad = true;
    mms_wsp_put_byte(&in, relative ? TOKEN_RELATIVE : TOKEN_ABSOLUTE);
    if (relative)
        mms_wsp_put_integer(&in, (uint64_t)v);
    else
        mms_wsp_put_long_integer(&in, (uint64_t)v);
    mms_wsp_put_byte(w, 0x80 | (unsigned)field);
    mms_wsp_put_value_length(w, in.len);
    mms_wsp_put_bytes(w, in.p, in.len);
    free(in.p);
}

static void put_from(struct mms_wsp_writer *w, const struct mms_pdu *pdu)
{
    struct mms_wsp_writer in = { NULL, 0, 0, false };

    if (!pdu->from && !pdu->from_insert)
        return;
    if (pdu->from_insert || !pdu->from) {
        mms_wsp_put_byte(&in, TOKEN_INSERT_ADDRESS);
    } else {
        mms_wsp_put_byte(&in, TOKEN_ADDRESS_PRESENT);
        mms_wsp_put_encoded_string(&in, pdu->from);
    }
    mms_wsp_put_byte(w, 0x80 | F_FROM);
    mms_wsp_put_value_length(w, in.len);
    mms_wsp_put_bytes(w, in.p, in.len);
    w->bad |= in.bad;
    free(in.p);
}

/* The SMIL part, if any (it makes the body multipart.related). */
static const struct mms_part *smil_part(const struct mms_pdu *pdu)
{
    size_t i;
    for (i = 0; i < pdu->nparts; i++)
        if (pdu->parts[i].content_type &&
            strcasecmp(pdu->parts[i].content_type, "application/smil") == 0)
            return &pdu->parts[i];
    return NULL;
}

static void put_body(struct mms_wsp_writer *w, const struct mms_pdu *pdu)
{
    const char *ct = pdu->content_type, *type = pdu->ct_type, *start = pdu->ct_start;

    if (!ct && pdu->nparts == 0)
        return;
    if (!ct) {
        const struct mms_part *smil = smil_part(pdu);
        if (smil) {
            ct = "application/vnd.wap.multipart.related";
            type = type ? type : "application/smil";
            start = start ? start : smil->content_id;
        } else {
            ct = "application/vnd.wap.multipart.mixed";
        }
    }
    mms_wsp_put_byte(w, 0x80 | F_CONTENT_TYPE);
    if (mms_wsp_is_multipart(ct)) {
        mms_wsp_put_content_type(w, ct, NULL, NULL, type, start);
        mms_wsp_put_multipart(w, pdu);
    } else if (pdu->nparts == 1) {
        /* a single-part body: the part's own content type and bytes */
        const struct mms_part *p = &pdu->parts[0];
        mms_wsp_put_content_type(w, ct, p->charset, p->name, NULL, NULL);
        mms_wsp_put_bytes(w, p->data, p->len);
    } else {
        w->bad = true; /* several parts need a multipart content type */
    }
}

enum mms_pdu_result mms_pdu_encode(const struct mms_pdu *pdu, unsigned char **out, size_t *len)
{
    struct mms_wsp_writer w = { NULL, 0, 0, false };
    size_t i;
    int version = pdu->version ? pdu->version : MMS_PDU_VERSION_1_2;

    if (pdu->type < MMS_M_SEND_REQ || pdu->type > 0xFF ||
        (needs_tid(pdu->type) && !pdu->transaction_id) ||
        (pdu->type == MMS_M_NOTIFICATION_IND && !pdu->content_location) ||
        pdu->nto + pdu->ncc + pdu->nbcc > MMS_PDU_MAX_ADDRESSES ||
        pdu->nparts > MMS_PDU_MAX_PARTS || version < 0x10 || version > 0x7F)
        return MMS_PDU_INVALID;

    /* Message-Type, Transaction-Id, MMS-Version first, in that order */
    put_field_octet(&w, F_MESSAGE_TYPE, pdu->type);
    put_field_text(&w, F_TRANSACTION_ID, pdu->transaction_id);
    mms_wsp_put_byte(&w, 0x80 | F_MMS_VERSION);
    mms_wsp_put_byte(&w, 0x80 | (unsigned)version);
    put_field_text(&w, F_MESSAGE_ID, pdu->message_id);
    if (pdu->has_date) {
        if (pdu->date < 0)
            w.bad = true;
        mms_wsp_put_byte(&w, 0x80 | F_DATE);
        mms_wsp_put_long_integer(&w, (uint64_t)pdu->date);
    }
    put_from(&w, pdu);
    for (i = 0; i < pdu->nto; i++)
        put_field_encoded(&w, F_TO, pdu->to[i]);
    for (i = 0; i < pdu->ncc; i++)
        put_field_encoded(&w, F_CC, pdu->cc[i]);
    for (i = 0; i < pdu->nbcc; i++)
        put_field_encoded(&w, F_BCC, pdu->bcc[i]);
    put_field_encoded(&w, F_SUBJECT, pdu->subject);
    put_field_octet(&w, F_MESSAGE_CLASS, pdu->message_class);
    if (pdu->has_message_size) {
        mms_wsp_put_byte(&w, 0x80 | F_MESSAGE_SIZE);
        mms_wsp_put_long_integer(&w, pdu->message_size);
    }
    if (pdu->has_expiry)
        put_field_time(&w, F_EXPIRY, pdu->expiry, pdu->expiry_relative);
    for (i = 0; i < N_OCTET_FIELDS; i++)
        put_field_octet(&w, octet_fields[i].field, octet_value(pdu, i));
    put_field_encoded(&w, F_RESPONSE_TEXT, pdu->response_text);
    put_field_encoded(&w, F_RETRIEVE_TEXT, pdu->retrieve_text);
    put_field_text(&w, F_CONTENT_LOCATION, pdu->content_location);
    put_body(&w, pdu); /* Content-Type last, then the body */

    if (w.bad) {
        free(w.p);
        return MMS_PDU_INVALID;
    }
    *out = w.p ? w.p : xmalloc(1);
    *len = w.len;
    return MMS_PDU_OK;
}

/* ---- decoding ------------------------------------------------------------------ */

static void replace(char **field, char *value)
{
    free(*field);
    *field = value;
}

/* An octet-valued field (a Short-integer); another shape is skipped and
 * leaves *v alone. */
static enum mms_pdu_result get_octet(struct mms_wsp_reader *r, int *v)
{
    unsigned b;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b < 0x80)
        return mms_wsp_skip_value(r);
    r->off++;
    *v = (int)b;
    return MMS_PDU_OK;
}

/* Expiry / Delivery-Time: Value-length (Absolute Date-value | Relative
 * Delta-seconds-value). */
static enum mms_pdu_result get_time(struct mms_wsp_reader *r, struct mms_pdu *pdu)
{
    size_t len, saved;
    unsigned token;
    uint64_t v = 0;
    enum mms_pdu_result rc = mms_wsp_value_length(r, &len);

    if (rc != MMS_PDU_OK)
        return rc;
    saved = r->end;
    r->end = r->off + len;
    if ((rc = mms_wsp_byte(r, &token)) == MMS_PDU_OK) {
        if (token == TOKEN_ABSOLUTE)
            rc = mms_wsp_long_integer(r, &v);
        else if (token == TOKEN_RELATIVE)
            rc = mms_wsp_integer(r, &v);
        else
            rc = MMS_PDU_MALFORMED;
    }
    if (rc == MMS_PDU_OK && v > INT64_MAX)
        rc = MMS_PDU_MALFORMED;
    if (rc == MMS_PDU_OK) {
        pdu->has_expiry = true;
        pdu->expiry_relative = token == TOKEN_RELATIVE;
        pdu->expiry = (int64_t)v;
    }
    r->off = r->end;
    r->end = saved;
    return rc;
}

/* From: Value-length (Address-present-token Encoded-string-value |
 * Insert-address-token). */
static enum mms_pdu_result get_from(struct mms_wsp_reader *r, struct mms_pdu *pdu)
{
    size_t len, saved;
    unsigned token;
    char *addr = NULL;
    enum mms_pdu_result rc = mms_wsp_value_length(r, &len);

    if (rc != MMS_PDU_OK)
        return rc;
    saved = r->end;
    r->end = r->off + len;
    if ((rc = mms_wsp_byte(r, &token)) == MMS_PDU_OK) {
        if (token == TOKEN_INSERT_ADDRESS) {
            replace(&pdu->from, NULL);
            pdu->from_insert = true;
        } else if (token == TOKEN_ADDRESS_PRESENT) {
            if ((rc = mms_wsp_encoded_string(r, &addr)) == MMS_PDU_OK) {
                replace(&pdu->from, addr);
                pdu->from_insert = false;
            }
        } else {
            rc = MMS_PDU_MALFORMED;
        }
    }
    r->off = r->end;
    r->end = saved;
    return rc;
}

static enum mms_pdu_result get_address(struct mms_wsp_reader *r, struct mms_pdu *pdu,
                                       char ***list, size_t *n)
{
    char *addr = NULL;
    enum mms_pdu_result rc;

    if (pdu->nto + pdu->ncc + pdu->nbcc >= MMS_PDU_MAX_ADDRESSES)
        return MMS_PDU_LIMIT;
    if ((rc = mms_wsp_encoded_string(r, &addr)) != MMS_PDU_OK)
        return rc;
    *list = xrealloc(*list, (*n + 1) * sizeof **list);
    (*list)[(*n)++] = addr;
    return MMS_PDU_OK;
}

static enum mms_pdu_result get_version(struct mms_wsp_reader *r, struct mms_pdu *pdu)
{
    unsigned b;
    char *t = NULL;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b >= 0x80) {
        r->off++;
        pdu->version = (int)(b & 0x7F);
        return MMS_PDU_OK;
    }
    if (b >= 32 && (rc = mms_wsp_text(r, &t)) == MMS_PDU_OK) {
        /* Text-string "1.2" */
        if (t[0] >= '0' && t[0] <= '7' && t[1] == '.' && t[2] >= '0' && t[2] <= '9')
            pdu->version = (t[0] - '0') << 4 | (t[2] - '0');
        free(t);
        return MMS_PDU_OK;
    }
    return rc == MMS_PDU_OK ? mms_wsp_skip_value(r) : rc;
}

static enum mms_pdu_result get_class(struct mms_wsp_reader *r, struct mms_pdu *pdu)
{
    static const char *const names[] = { "personal", "advertisement", "informational", "auto" };
    unsigned b;
    char *t = NULL;
    size_t i;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b >= 0x80 || b < 32)
        return get_octet(r, &pdu->message_class);
    if ((rc = mms_wsp_text(r, &t)) != MMS_PDU_OK)
        return rc;
    for (i = 0; i < 4; i++)
        if (strcasecmp(t, names[i]) == 0)
            pdu->message_class = MMS_CLASS_PERSONAL + (int)i;
    free(t);
    return MMS_PDU_OK;
}

/* The body after Content-Type: multipart, or one part of that type. */
static enum mms_pdu_result get_body(struct mms_wsp_reader *r, struct mms_pdu *pdu)
{
    struct mms_wsp_ctype ct;
    enum mms_pdu_result rc = mms_wsp_content_type(r, &ct);

    if (rc != MMS_PDU_OK)
        return rc;
    replace(&pdu->content_type, ct.media);
    replace(&pdu->ct_type, ct.type);
    replace(&pdu->ct_start, ct.start);
    if (mms_wsp_is_multipart(ct.media)) {
        free(ct.charset);
        free(ct.name);
        return mms_wsp_multipart(r, pdu, 1);
    }
    struct mms_part *p = mms_pdu_add_part(pdu, ct.media, NULL, NULL, NULL, NULL,
                                          r->p + r->off, r->end - r->off);
    p->charset = ct.charset;
    p->name = ct.name;
    r->off = r->end;
    return MMS_PDU_OK;
}

static enum mms_pdu_result get_header(struct mms_wsp_reader *r, struct mms_pdu *pdu,
                                      unsigned field)
{
    char *t = NULL;
    uint64_t v;
    enum mms_pdu_result rc = MMS_PDU_OK;

    switch (field) {
    case F_TRANSACTION_ID:
        if ((rc = mms_wsp_text(r, &t)) == MMS_PDU_OK)
            replace(&pdu->transaction_id, t);
        break;
    case F_MESSAGE_ID:
        if ((rc = mms_wsp_text(r, &t)) == MMS_PDU_OK)
            replace(&pdu->message_id, t);
        break;
    case F_CONTENT_LOCATION: {
        unsigned b;
        if ((rc = mms_wsp_peek(r, &b)) == MMS_PDU_OK) {
            if (b >= 32 && b < 128) {
                if ((rc = mms_wsp_text(r, &t)) == MMS_PDU_OK)
                    replace(&pdu->content_location, t);
            } else {
                rc = mms_wsp_skip_value(r); /* the m-mbox form with a status count */
            }
        }
        break;
    }
    case F_MMS_VERSION:
        rc = get_version(r, pdu);
        break;
    case F_DATE:
        if ((rc = mms_wsp_long_integer(r, &v)) == MMS_PDU_OK) {
            if (v > INT64_MAX)
                return MMS_PDU_MALFORMED;
            pdu->date = (int64_t)v;
            pdu->has_date = true;
        }
        break;
    case F_FROM:
        rc = get_from(r, pdu);
        break;
    case F_TO:
        rc = get_address(r, pdu, &pdu->to, &pdu->nto);
        break;
    case F_CC:
        rc = get_address(r, pdu, &pdu->cc, &pdu->ncc);
        break;
    case F_BCC:
        rc = get_address(r, pdu, &pdu->bcc, &pdu->nbcc);
        break;
    case F_SUBJECT:
        if ((rc = mms_wsp_encoded_string(r, &t)) == MMS_PDU_OK)
            replace(&pdu->subject, t);
        break;
    case F_RESPONSE_TEXT:
        if ((rc = mms_wsp_encoded_string(r, &t)) == MMS_PDU_OK)
            replace(&pdu->response_text, t);
        break;
    case F_RETRIEVE_TEXT:
        if ((rc = mms_wsp_encoded_string(r, &t)) == MMS_PDU_OK)
            replace(&pdu->retrieve_text, t);
        break;
    case F_MESSAGE_CLASS:
        rc = get_class(r, pdu);
        break;
    case F_MESSAGE_SIZE:
        if ((rc = mms_wsp_integer(r, &v)) == MMS_PDU_OK) {
            pdu->message_size = v;
            pdu->has_message_size = true;
        }
        break;
    case F_EXPIRY:
        rc = get_time(r, pdu);
        break;
    case F_MESSAGE_TYPE: /* a second Message-Type: refused */
        rc = MMS_PDU_MALFORMED;
        break;
    default: {
        size_t i;
        for (i = 0; i < N_OCTET_FIELDS; i++)
            if (octet_fields[i].field == (int)field)
                return get_octet(r, octet_field(pdu, i));
        rc = mms_wsp_skip_value(r);
        break;
    }
    }
    return rc;
}

enum mms_pdu_result mms_pdu_decode(const unsigned char *data, size_t len, struct mms_pdu *pdu)
{
    struct mms_wsp_reader r = { data, 0, len };
    unsigned b;
    enum mms_pdu_result rc;

    memset(pdu, 0, sizeof *pdu);
    if (!data || len < 2 || data[0] != (0x80 | F_MESSAGE_TYPE))
        return data && len >= 1 && data[0] == (0x80 | F_MESSAGE_TYPE) ? MMS_PDU_TRUNCATED
                                                                      : MMS_PDU_UNSUPPORTED;
    r.off = 1;
    mms_wsp_byte(&r, &b);
    if (b < 0x80)
        return MMS_PDU_UNSUPPORTED;
    pdu->type = (int)b;
    rc = MMS_PDU_OK;
    while (rc == MMS_PDU_OK && r.off < r.end) {
        mms_wsp_byte(&r, &b);
        if (b == (0x80 | F_CONTENT_TYPE)) {
            rc = get_body(&r, pdu);
            break; /* the body is the rest */
        }
        if (b >= 0x80) {
            rc = get_header(&r, pdu, b & 0x7F);
        } else if (b >= 32 && b < 127) {
            /* Application-header: Token-text Application-specific-value */
            char *name = NULL, *value = NULL;
            r.off--;
            if ((rc = mms_wsp_text(&r, &name)) == MMS_PDU_OK)
                rc = mms_wsp_text(&r, &value);
            free(name);
            free(value);
        } else {
            rc = MMS_PDU_MALFORMED;
        }
    }
    if (rc != MMS_PDU_OK)
        mms_pdu_cleanup(pdu);
    return rc;
}

/* ---- WSP push --------------------------------------------------------------------- */

void mms_pdu_push_encode(unsigned tid, const unsigned char *body, size_t len,
                         unsigned char **out, size_t *outlen)
{
    struct mms_wsp_writer w = { NULL, 0, 0, false };

    mms_wsp_put_byte(&w, tid & 0xFF);
    mms_wsp_put_byte(&w, MMS_PDU_WSP_PUSH);
    mms_wsp_put_uintvar(&w, 3); /* Content-Type + one header */
    mms_wsp_put_byte(&w, 0x80 | WSP_CT_MMS);
    mms_wsp_put_byte(&w, 0x80 | WSP_H_APPLICATION_ID);
    mms_wsp_put_byte(&w, 0x80 | MMS_PDU_APP_ID_MMS);
    mms_wsp_put_bytes(&w, body, len);
    *out = w.p;
    *outlen = w.len;
}

/* X-Wap-Application-Id: Integer-value or Uri text. */
static enum mms_pdu_result get_app_id(struct mms_wsp_reader *r, int *app_id)
{
    unsigned b;
    uint64_t v;
    char *t = NULL;
    enum mms_pdu_result rc = mms_wsp_peek(r, &b);

    if (rc != MMS_PDU_OK)
        return rc;
    if (b >= 32 && b < 128) {
        if ((rc = mms_wsp_text(r, &t)) == MMS_PDU_OK) {
            *app_id = strcasecmp(t, "x-wap-application:mms.ua") == 0 ? MMS_PDU_APP_ID_MMS : -1;
            free(t);
        }
        return rc;
    }
    if ((rc = mms_wsp_integer(r, &v)) == MMS_PDU_OK)
        *app_id = v > 0x7FFFFFFF ? -1 : (int)v;
    return rc;
}

enum mms_pdu_result mms_pdu_push_decode(const unsigned char *data, size_t len,
                                        struct mms_pdu_push *out)
{
    struct mms_wsp_reader r = { data, 0, len }, h;
    struct mms_pdu_push p;
    struct mms_wsp_ctype ct;
    uint32_t hlen;
    unsigned b;
    enum mms_pdu_result rc;

    memset(&p, 0, sizeof p);
    p.app_id = -1;
    if (!data || len < 2)
        return MMS_PDU_TRUNCATED;
    mms_wsp_byte(&r, &p.tid);
    mms_wsp_byte(&r, &b);
    p.pdu_type = (int)b;
    if (b != MMS_PDU_WSP_PUSH && b != 0x07)
        return MMS_PDU_UNSUPPORTED;
    if ((rc = mms_wsp_uintvar(&r, &hlen)) != MMS_PDU_OK)
        return rc;
    if (hlen > r.end - r.off)
        return MMS_PDU_TRUNCATED;
    h.p = data;
    h.off = r.off;
    h.end = r.off + hlen;
    if ((rc = mms_wsp_content_type(&h, &ct)) != MMS_PDU_OK)
        return rc;
    if (ct.media && strlen(ct.media) < sizeof p.content_type)
        strcpy(p.content_type, ct.media);
    mms_wsp_ctype_cleanup(&ct);
    while (rc == MMS_PDU_OK && h.off < h.end) {
        mms_wsp_peek(&h, &b);
        if (b >= 0x80) {
            h.off++;
            if ((b & 0x7F) == WSP_H_APPLICATION_ID)
                rc = get_app_id(&h, &p.app_id);
            else
                rc = mms_wsp_skip_value(&h);
        } else if (b == 0x7F) {
            h.off += h.end - h.off >= 2 ? 2 : h.end - h.off;
        } else if (b >= 0x01 && b <= 0x1F) {
            h.off++;
        } else if (b >= 32) {
            char *name = NULL;
            if ((rc = mms_wsp_text(&h, &name)) == MMS_PDU_OK) {
                if (strcasecmp(name, "X-Wap-Application-Id") == 0)
                    rc = get_app_id(&h, &p.app_id);
                else
                    rc = mms_wsp_skip_value(&h);
            }
            free(name);
        } else {
            rc = MMS_PDU_MALFORMED;
        }
    }
    if (rc != MMS_PDU_OK)
        return rc;
    p.body = data + h.end;
    p.body_len = len - h.end;
    *out = p;
    return MMS_PDU_OK;
}
