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

static void readable(struct buf *b, long long t)
{
    char iso[21];
    export_time(t, iso);
    attr_s(b, "readable_date", iso);
}

void export_xml_sms(struct buf *b, const struct store_sms *m)
{
    buf_puts(b, "  <sms protocol=\"0\"");
    attr_s(b, "address", m->peer);
    buf_printf(b, " date=\"%lld\" type=\"1\" subject=\"null\"", (long long)m->sent_at * 1000);
    export_xml_attr(b, "body", m->body, m->body_len);
    buf_printf(b, " toa=\"null\" sc_toa=\"null\" service_center=\"null\" read=\"1\" status=\"-1\" locked=\"0\""
                  " date_sent=\"0\"");
    readable(b, m->sent_at);
    buf_puts(b, " contact_name=\"(Unknown)\" />\n");
}

void export_xml_mms(struct buf *b, const struct store_mms *m, const struct store_mms_part *parts, size_t n)
{
    buf_printf(b, "  <mms date=\"%lld\" ct_t=\"application/vnd.wap.multipart.related\" msg_box=\"1\"",
               (long long)m->sent_at * 1000);
    attr_s(b, "address", m->peer);
    if (m->subject[0])
        attr_s(b, "sub", m->subject);
    else
        buf_puts(b, " sub=\"null\"");
    buf_puts(b, " m_type=\"132\" read=\"1\" locked=\"0\" date_sent=\"0\"");
    readable(b, m->sent_at);
    buf_puts(b, " contact_name=\"(Unknown)\">\n    <parts>\n");
    for (size_t i = 0; i < n; i++) {
        const struct store_mms_part *p = &parts[i];
        buf_printf(b, "      <part seq=\"%d\"", p->seq);
        attr_s(b, "ct", p->content_type);
        attr_s(b, "name", p->name[0] ? p->name : "null");
        attr_s(b, "cl", p->name[0] ? p->name : "null");
        if (strncasecmp(p->content_type, "text/", 5) == 0 && memchr(p->data, 0, p->len) == NULL) {
            buf_puts(b, " chset=\"106\"");
            export_xml_attr(b, "text", (const char *)p->data, p->len);
        } else {
            size_t cap = sodium_base64_encoded_len(p->len, sodium_base64_VARIANT_ORIGINAL);
            char *enc = xmalloc(cap);
            sodium_bin2base64(enc, cap, p->data, p->len, sodium_base64_VARIANT_ORIGINAL);
            buf_puts(b, " text=\"null\" data=\"");
            buf_puts(b, enc);
            buf_putc(b, '"');
            free(enc);
        }
        buf_puts(b, " />\n");
    }
    buf_puts(b, "    </parts>\n    <addrs>\n      <addr");
    attr_s(b, "address", m->peer);
    buf_puts(b, " type=\"137\" charset=\"106\" />\n    </addrs>\n  </mms>\n");
}

void export_xml_document(struct buf *out, const struct buf *items, long long count)
{
    buf_puts(out, "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n");
    buf_printf(out, "<smses count=\"%lld\" backup_set=\"smsvault\">\n", count);
    buf_append(out, items->data, items->len);
    buf_puts(out, "</smses>\n");
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

void export_csv_sms_header(struct buf *b) { buf_puts(b, "n,peer,date,body\r\n"); }

void export_csv_sms(struct buf *b, const struct store_sms *m)
{
    char iso[21];
    export_time(m->sent_at, iso);
    buf_printf(b, "%lld,", m->n);
    csv_field(b, m->peer, strlen(m->peer));
    buf_printf(b, ",%s,", iso);
    csv_field(b, m->body, m->body_len);
    buf_puts(b, "\r\n");
}

void export_csv_contact_header(struct buf *b) { buf_puts(b, "n,name,number,uploaded_at,current\r\n"); }

void export_csv_contact(struct buf *b, const struct store_contact *c)
{
    char iso[21];
    export_time(c->uploaded_at, iso);
    buf_printf(b, "%lld,", c->n);
    csv_field(b, c->name, strlen(c->name));
    buf_putc(b, ',');
    csv_field(b, c->number, strlen(c->number));
    buf_printf(b, ",%s,%s\r\n", iso, c->current ? "yes" : "no");
}

void export_vcard_contact(struct buf *b, const struct store_contact *c)
{
    buf_append(b, c->vcard, c->vcard_len);
    if (c->vcard_len && c->vcard[c->vcard_len - 1] != '\n')
        buf_puts(b, "\r\n");
}
