/*
 * export — file formats out (see export.h).
 */
#include "export.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "alloc.h"
#include "utf8.h"
#include "vcard.h"

void export_time(long long t, char out[21])
{
    out[0] = '\0';
    if (t <= 0)
        return;
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void export_time_ms(long long ms, char out[25])
{
    out[0] = '\0';
    if (ms <= 0)
        return;
    export_time(ms / 1000, out);
    if (ms % 1000)
        snprintf(out + 19, 6, ".%03dZ", (int)(ms % 1000));
}

void export_xml_attr(struct buf *b, const char *name, const char *value, size_t len)
{
    buf_printf(b, " %s=\"", name);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)value[i];
        switch (c) {
        case '&': buf_puts(b, "&amp;"); break;
        case '<': buf_puts(b, "&lt;"); break;
        case '>': buf_puts(b, "&gt;"); break;
        case '"': buf_puts(b, "&quot;"); break;
        case '\t': buf_puts(b, "&#9;"); break;
        case '\n': buf_puts(b, "&#10;"); break;
        case '\r': buf_puts(b, "&#13;"); break;
        default:
            if (c >= 0x20)
                buf_putc(b, (char)c);
        }
    }
    buf_putc(b, '"');
}

static void attr_s(struct buf *b, const char *name, const char *value)
{
    export_xml_attr(b, name, value, strlen(value));
}

/* A value written as a "null" when the text is empty (the app's absent). */
static void attr_or_null(struct buf *b, const char *name, const char *value)
{
    attr_s(b, name, value && *value ? value : "null");
}

static void attr_ll(struct buf *b, const char *name, long long v)
{
    buf_printf(b, " %s=\"%lld\"", name, v);
}

/* An attribute the item kept as written under this name (extra) is written
 * with the extras, not from the field the archive read it into. */
static bool kept(const struct store_attr *x, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(x[i].name, name) == 0)
            return true;
    return false;
}

static void extras(struct buf *b, const struct store_attr *x, size_t n)
{
    for (size_t i = 0; i < n; i++)
        attr_s(b, x[i].name, x[i].value);
}

/* A field kept as written, else the value the app writes for an item it
 * knows nothing more of (NULL: leave the attribute out). */
static void field(struct buf *b, const char *name, const char *value, const char *dflt,
                  const struct store_attr *x, size_t nx)
{
    if (kept(x, nx, name))
        return;
    if (value)
        attr_s(b, name, value);
    else if (dflt)
        attr_s(b, name, dflt);
}

/* An item's date in ms: its own, or when it has none (SAVE, the page) when
 * it was stored, so that a phone restoring the file puts it in its place. */
static long long item_date(time_t sent_at, int sent_ms, time_t saved_at)
{
    return sent_at || sent_ms ? (long long)sent_at * 1000 + sent_ms : (long long)saved_at * 1000;
}

static void readable(struct buf *b, const char *value, long long t, const struct store_attr *x, size_t nx)
{
    char iso[21];
    export_time(t, iso);
    field(b, "readable_date", value, iso[0] ? iso : NULL, x, nx);
}

void export_xml_sms(struct buf *b, const struct store_sms *m)
{
    const struct store_attr *x = m->extra;
    size_t nx = m->nextra;
    char *const *f = m->fields;
    buf_puts(b, "  <sms");
    field(b, "protocol", f[STORE_SMS_PROTOCOL], "0", x, nx);
    if (!kept(x, nx, "address"))
        attr_or_null(b, "address", m->peer);
    if (!kept(x, nx, "date"))
        attr_ll(b, "date", item_date(m->sent_at, m->sent_ms, m->saved_at));
    if (!kept(x, nx, "type"))
        attr_ll(b, "type", m->type ? m->type : STORE_SMS_RECEIVED);   /* not known: as before, received */
    field(b, "subject", f[STORE_SMS_SUBJECT], "null", x, nx);
    export_xml_attr(b, "body", m->body, m->body_len);
    field(b, "toa", f[STORE_SMS_TOA], "null", x, nx);
    field(b, "sc_toa", f[STORE_SMS_SC_TOA], "null", x, nx);
    field(b, "service_center", f[STORE_SMS_SERVICE_CENTER], "null", x, nx);
    field(b, "read", f[STORE_SMS_READ], "1", x, nx);
    field(b, "status", f[STORE_SMS_STATUS], "-1", x, nx);
    field(b, "locked", f[STORE_SMS_LOCKED], "0", x, nx);
    if (!kept(x, nx, "date_sent"))
        attr_ll(b, "date_sent", m->date_sent_ms);
    field(b, "sub_id", f[STORE_SMS_SUB_ID], NULL, x, nx);
    readable(b, f[STORE_SMS_READABLE_DATE], item_date(m->sent_at, m->sent_ms, m->saved_at) / 1000, x, nx);
    field(b, "contact_name", f[STORE_SMS_CONTACT_NAME], NULL, x, nx);
    extras(b, x, nx);
    buf_puts(b, " />\n");
}

/* Bytes an attribute value can carry as they are: UTF-8, and no C0 control
 * but tab, LF and CR (XML 1.0 has no way to write the others). */
static bool xml_text_ok(const unsigned char *p, size_t len)
{
    if (!utf8_valid((const char *)p, len))
        return false;
    for (size_t i = 0; i < len; i++)
        if (p[i] < 0x20 && p[i] != '\t' && p[i] != '\n' && p[i] != '\r')
            return false;
    return true;
}

static void export_part(struct buf *b, const struct store_mms_part *p)
{
    const struct store_attr *x = p->extra;
    size_t nx = p->nextra;
    char *const *f = p->fields;
    bool textual = strncasecmp(p->content_type, "text/", 5) == 0 ||
                   strncasecmp(p->content_type, "application/smil", 16) == 0;
    bool as_text = textual && p->len > 0 && xml_text_ok(p->data, p->len);
    buf_puts(b, "      <part");
    if (!kept(x, nx, "seq")) {
        if (f[STORE_PART_SEQ])
            attr_s(b, "seq", f[STORE_PART_SEQ]);
        else
            attr_ll(b, "seq", p->seq);
    }
    if (!kept(x, nx, "ct"))
        attr_s(b, "ct", p->content_type);
    if (!kept(x, nx, "name"))
        attr_or_null(b, "name", p->name);
    field(b, "chset", f[STORE_PART_CHSET], as_text ? "106" : "null", x, nx);
    field(b, "cd", f[STORE_PART_CD], "null", x, nx);
    field(b, "fn", f[STORE_PART_FN], "null", x, nx);
    if (!kept(x, nx, "cid")) {
        if (p->content_id[0]) {
            char *cid = xasprintf("<%s>", p->content_id);
            attr_s(b, "cid", cid);
            free(cid);
        } else {
            attr_s(b, "cid", "null");
        }
    }
    if (!kept(x, nx, "cl"))
        attr_or_null(b, "cl", p->content_location);
    field(b, "ctt_s", f[STORE_PART_CTT_S], "null", x, nx);
    field(b, "ctt_t", f[STORE_PART_CTT_T], "null", x, nx);
    if (as_text) {
        export_xml_attr(b, "text", (const char *)p->data, p->len);
    } else if (p->len == 0) {
        buf_puts(b, " text=\"null\"");
    } else {
        size_t cap = sodium_base64_encoded_len(p->len, sodium_base64_VARIANT_ORIGINAL);
        char *enc = xmalloc(cap);
        sodium_bin2base64(enc, cap, p->data, p->len, sodium_base64_VARIANT_ORIGINAL);
        buf_puts(b, " text=\"null\" data=\"");
        buf_puts(b, enc);
        buf_putc(b, '"');
        free(enc);
    }
    extras(b, x, nx);
    buf_puts(b, " />\n");
}

void export_xml_mms(struct buf *b, const struct store_mms *m, const struct store_mms_part *parts, size_t n,
                    const struct store_mms_addr *addrs, size_t naddrs)
{
    const struct store_attr *x = m->extra;
    size_t nx = m->nextra;
    char *const *f = m->fields;
    int box = m->msg_box ? m->msg_box : STORE_MMS_INBOX;   /* not known: as before, received */
    buf_puts(b, "  <mms");
    if (!kept(x, nx, "date"))
        attr_ll(b, "date", item_date(m->sent_at, m->sent_ms, m->saved_at));
    field(b, "ct_t", f[STORE_MMS_CT_T], "application/vnd.wap.multipart.related", x, nx);
    if (!kept(x, nx, "msg_box"))
        attr_ll(b, "msg_box", box);
    if (!kept(x, nx, "address"))
        attr_or_null(b, "address", m->peer);
    if (!kept(x, nx, "sub"))
        attr_or_null(b, "sub", m->subject);
    /* X-Mms-Message-Type: a received MMS was an m-retrieve-conf (132), one sent an m-send-req (128) */
    field(b, "m_type", f[STORE_MMS_M_TYPE], box == STORE_MMS_INBOX ? "132" : "128", x, nx);
    if (!kept(x, nx, "date_sent"))
        attr_ll(b, "date_sent", m->date_sent_ms);
    for (int i = 0; i < STORE_MMS_NFIELDS; i++) {
        if (i == STORE_MMS_M_TYPE || i == STORE_MMS_CT_T || i == STORE_MMS_READABLE_DATE)
            continue;
        const char *dflt = i == STORE_MMS_READ || i == STORE_MMS_SEEN ? "1" : i == STORE_MMS_LOCKED ? "0" : NULL;
        field(b, store_mms_fields[i], f[i], dflt, x, nx);
    }
    readable(b, f[STORE_MMS_READABLE_DATE], item_date(m->sent_at, m->sent_ms, m->saved_at) / 1000, x, nx);
    extras(b, x, nx);
    buf_puts(b, ">\n    <parts>\n");
    for (size_t i = 0; i < n; i++)
        export_part(b, &parts[i]);
    buf_puts(b, "    </parts>\n    <addrs>\n");
    for (size_t i = 0; i < naddrs; i++) {
        buf_puts(b, "      <addr");
        attr_s(b, "address", addrs[i].address);
        if (!kept(addrs[i].extra, addrs[i].nextra, "type"))
            attr_ll(b, "type", addrs[i].type);
        field(b, "charset", addrs[i].charset, "106", addrs[i].extra, addrs[i].nextra);
        extras(b, addrs[i].extra, addrs[i].nextra);
        buf_puts(b, " />\n");
    }
    if (naddrs == 0 && m->peer[0]) {
        /* an MMS that came with no address list (the page, MM7): its peer sent it, or was sent it */
        buf_puts(b, "      <addr");
        attr_s(b, "address", m->peer);
        buf_printf(b, " type=\"%d\" charset=\"106\" />\n", box == STORE_MMS_INBOX ? STORE_ADDR_FROM : STORE_ADDR_TO);
    }
    buf_puts(b, "    </addrs>\n  </mms>\n");
}

void export_xml_head(struct buf *out, long long count)
{
    buf_puts(out, "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n");
    buf_printf(out, "<smses count=\"%lld\" backup_set=\"smsvault\">\n", count);
}

void export_xml_tail(struct buf *out) { buf_puts(out, "</smses>\n"); }

void export_xml_document(struct buf *out, const struct buf *items, long long count)
{
    export_xml_head(out, count);
    buf_append(out, items->data, items->len);
    export_xml_tail(out);
}

static void csv_field(struct buf *b, const char *s, size_t len)
{
    bool quote = false;
    for (size_t i = 0; i < len && !quote; i++)
        quote = s[i] == ',' || s[i] == '"' || s[i] == '\n' || s[i] == '\r';
    if (!quote) {
        buf_append(b, s, len);
        return;
    }
    buf_putc(b, '"');
    for (size_t i = 0; i < len; i++) {
        if (s[i] == '"')
            buf_putc(b, '"');
        buf_putc(b, s[i]);
    }
    buf_putc(b, '"');
}

/* The CSV of SMS: every field but the readable date (made from the date)
 * and a device's own attributes; the direction as a word (csv_type). */
static const char *const sms_types[] = { "", "received", "sent", "draft", "outbox", "failed", "queued" };

const char *export_sms_type(int type)
{
    return type >= 0 && type < (int)(sizeof sms_types / sizeof sms_types[0]) ? sms_types[type] : NULL;
}

void export_csv_sms_header(struct buf *b)
{
    buf_puts(b, "n,type,peer,date,date_sent,saved_from");
    for (int f = 0; f < STORE_SMS_NFIELDS; f++)
        if (f != STORE_SMS_READABLE_DATE)
            buf_printf(b, ",%s", store_sms_fields[f]);
    buf_puts(b, ",body\r\n");
}

void export_csv_sms(struct buf *b, const struct store_sms *m)
{
    char date[25], sent[25];
    export_time_ms((long long)m->sent_at * 1000 + m->sent_ms, date);
    export_time_ms(m->date_sent_ms, sent);
    const char *type = export_sms_type(m->type);
    buf_printf(b, "%lld,", m->n);
    if (type)
        buf_puts(b, type);
    else
        buf_printf(b, "%d", m->type);
    buf_putc(b, ',');
    csv_field(b, m->peer, strlen(m->peer));
    buf_printf(b, ",%s,%s,", date, sent);
    csv_field(b, m->phone, strlen(m->phone));
    for (int f = 0; f < STORE_SMS_NFIELDS; f++) {
        if (f == STORE_SMS_READABLE_DATE)
            continue;
        buf_putc(b, ',');
        if (m->fields[f])
            csv_field(b, m->fields[f], strlen(m->fields[f]));
    }
    buf_putc(b, ',');
    csv_field(b, m->body, m->body_len);
    buf_puts(b, "\r\n");
}

void export_csv_contact_header(struct buf *b) { buf_puts(b, "n,name,number,types,uid,uploaded_at,current\r\n"); }

void export_csv_contact(struct buf *b, const struct store_contact *c)
{
    char iso[21];
    const char *types = c->tel_types ? c->tel_types : "", *uid = c->uid ? c->uid : "";
    export_time(c->uploaded_at, iso);
    buf_printf(b, "%lld,", c->n);
    csv_field(b, c->name, strlen(c->name));
    buf_putc(b, ',');
    csv_field(b, c->number, strlen(c->number));
    buf_putc(b, ',');
    csv_field(b, types, strlen(types));
    buf_putc(b, ',');
    csv_field(b, uid, strlen(uid));
    buf_printf(b, ",%s,%s\r\n", iso, c->current ? "yes" : "no");
}

void export_csv_person(struct buf *b, const struct store_person *p)
{
    for (size_t i = 0; i < p->count; i++)
        export_csv_contact(b, &p->numbers[i]);
}

void export_vcard_person(struct buf *b, const struct store_person *p)
{
    size_t len = 0;
    char *card = store_person_card(p, &len);
    if (card == NULL) {   /* a stored text that is no card: the card of its current number */
        card = vcard_format(p->name, p->count ? p->numbers[p->count - 1].number : "");
        len = card ? strlen(card) : 0;
    }
    if (card)
        buf_append(b, card, len);
    if (len && card[len - 1] != '\n')
        buf_puts(b, "\r\n");
    free(card);
}

void export_vcard_contact(struct buf *b, const struct store_contact *c)
{
    buf_append(b, c->vcard, c->vcard_len);
    if (c->vcard_len && c->vcard[c->vcard_len - 1] != '\n')
        buf_puts(b, "\r\n");
}
