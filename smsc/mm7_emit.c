/*
 * mm7_emit — MM7 SOAP writer in three dialects (see mm7_emit.h). Each
 * dialect is a struct style (prefixes, indentation, line ends, how ids and
 * boundaries look, how parts are encoded); the messages are written once,
 * through it. Base64 is GLib's.
 */
#include "mm7_emit.h"

#include <glib.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

/* ---- a growing buffer -------------------------------------------------------- */

struct sb {
    char *p;
    size_t len, cap;
};

static void sb_add(struct sb *b, const void *d, size_t n)
{
    b->p = xgrow(b->p, &b->cap, b->len + n + 1);
    memcpy(b->p + b->len, d, n);
    b->len += n;
    b->p[b->len] = '\0';
}

static void sb_str(struct sb *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    b->p = xgrow(b->p, &b->cap, b->len + (size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* XML character data / attribute value. */
static void sb_xml(struct sb *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': sb_str(b, "&amp;"); break;
        case '<': sb_str(b, "&lt;"); break;
        case '>': sb_str(b, "&gt;"); break;
        case '"': sb_str(b, "&quot;"); break;
        case '\'': sb_str(b, "&apos;"); break;
        default: sb_add(b, s, 1); break;
        }
    }
}

/* Base64 in lines of 76 (RFC 2045), each ended by CRLF. */
static void sb_base64(struct sb *b, const unsigned char *d, size_t n)
{
    gchar *all = g_base64_encode(d, n);
    size_t len = strlen(all), i;

    for (i = 0; i < len; i += 76) {
        sb_add(b, all + i, len - i < 76 ? len - i : 76);
        sb_str(b, "\r\n");
    }
    g_free(all);
}

/* ---- dialects ------------------------------------------------------------------ */

struct style {
    enum mm7_dialect d;
    const char *decl;     /* XML declaration line */
    const char *env;      /* SOAP envelope prefix */
    const char *pfx;      /* MM7 element prefix with its colon, or "" */
    const char *ns, *version;
    const char *indent;   /* one level */
    const char *nl;       /* line end inside the XML */
};

static const struct style styles[] = {
    { MM7_3GPP, "<?xml version=\"1.0\"?>", "env", "",
      MM7_NS_PREFIX "REL-6-MM7-1-4", "6.7.0", "\t", "\r\n" },
    { MM7_NOKIA, "<?xml version=\"1.0\" encoding=\"utf-8\"?>", "soap", "mm7p6a0:",
      MM7_NS_PREFIX "REL-6-MM7-1-4", "6.8.0", "  ", "\r\n" },
    { MM7_MBUNI, "<?xml version='1.0' encoding='UTF-8'?>", "SOAP-ENV", "mm7:",
      MM7_NS_PREFIX "REL-5-MM7-1-0", "5.3.0", "", "\n" },
};

static const struct style *style_of(enum mm7_dialect d)
{
    return &styles[d == MM7_NOKIA ? 1 : d == MM7_MBUNI ? 2 : 0];
}

bool mm7_dialect_parse(const char *name, enum mm7_dialect *out)
{
    if (strcasecmp(name, "3gpp") == 0)
        *out = MM7_3GPP;
    else if (strcasecmp(name, "nokia") == 0)
        *out = MM7_NOKIA;
    else if (strcasecmp(name, "mbuni") == 0)
        *out = MM7_MBUNI;
    else
        return false;
    return true;
}

const char *mm7_dialect_name(enum mm7_dialect d)
{
    return d == MM7_NOKIA ? "nokia" : d == MM7_MBUNI ? "mbuni" : "3gpp";
}

const char *mm7_dialect_ns(enum mm7_dialect d)
{
    return style_of(d)->ns;
}

const char *mm7_dialect_version(enum mm7_dialect d)
{
    return style_of(d)->version;
}

void mm7_http_cleanup(struct mm7_http *h)
{
    free(h->body);
    memset(h, 0, sizeof *h);
}

/* ---- XML pieces ------------------------------------------------------------------ */

static void ind(struct sb *b, const struct style *s, int depth)
{
    int i;
    for (i = 0; i < depth; i++)
        sb_str(b, s->indent);
}

/* <pfx:name>value</pfx:name> on its own line at depth */
static void el(struct sb *b, const struct style *s, int depth, const char *name, const char *value)
{
    if (!value)
        return;
    ind(b, s, depth);
    sb_printf(b, "<%s%s>", s->pfx, name);
    sb_xml(b, value);
    sb_printf(b, "</%s%s>%s", s->pfx, name, s->nl);
}

static void open_el(struct sb *b, const struct style *s, int depth, const char *name)
{
    ind(b, s, depth);
    sb_printf(b, "<%s%s>%s", s->pfx, name, s->nl);
}

static void close_el(struct sb *b, const struct style *s, int depth, const char *name)
{
    ind(b, s, depth);
    sb_printf(b, "</%s%s>%s", s->pfx, name, s->nl);
}

/* <outer><Number|ShortCode>value</...></outer> */
static void address(struct sb *b, const struct style *s, int depth, const char *outer,
                    const char *value, bool short_code)
{
    char v[160];
    const char *kind = short_code ? "ShortCode" : "Number";

    if (s->d == MM7_NOKIA) {
        /* Nokia: everything is a Number, international with '+', /TYPE=PLMN */
        snprintf(v, sizeof v, "%s%s/TYPE=PLMN", short_code || value[0] == '+' ? "" : "+", value);
        kind = "Number";
    } else if (s->d == MM7_MBUNI) {
        /* Mbuni guesses: 6 digits or fewer is a short code */
        snprintf(v, sizeof v, "%s%s", strlen(value) <= 6 || value[0] == '+' ? "" : "+", value);
        kind = strlen(value) <= 6 ? "ShortCode" : "Number";
    } else {
        snprintf(v, sizeof v, "%s%s", short_code || value[0] == '+' ? "" : "+", value);
    }
    open_el(b, s, depth, outer);
    el(b, s, depth + 1, kind, v);
    close_el(b, s, depth, outer);
}

static void recipients(struct sb *b, const struct style *s, int depth, const char *to)
{
    open_el(b, s, depth, "Recipients");
    address(b, s, depth + 1, "To", to, true);
    close_el(b, s, depth, "Recipients");
}

static void iso_time(char *out, size_t cap, time_t t, bool offset)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, cap, offset ? "%Y-%m-%dT%H:%M:%S+00:00" : "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The envelope up to and including the Body start tag. */
static void envelope_start(struct sb *b, const struct style *s, const char *ns, const char *tid)
{
    sb_printf(b, "%s%s", s->decl, s->nl);
    switch (s->d) {
    case MM7_3GPP:
        sb_printf(b, "<env:Envelope xmlns:env=\"" MM7_SOAP_NS "\"> %s", s->nl);
        sb_printf(b, "      <env:Header>%s", s->nl);
        sb_printf(b, "\t\t<mm7:TransactionID xmlns:mm7=\"%s\" env:mustUnderstand=\"1\">%s", ns,
                  s->nl);
        sb_str(b, "\t\t\t");
        sb_xml(b, tid);
        sb_printf(b, "%s\t\t</mm7:TransactionID>%s", s->nl, s->nl);
        sb_printf(b, "\t</env:Header>%s\t<env:Body>%s", s->nl, s->nl);
        break;
    case MM7_NOKIA:
        sb_printf(b, "<soap:Envelope xmlns:soap=\"" MM7_SOAP_NS "\">%s", s->nl);
        sb_printf(b, "  <soap:Header>%s", s->nl);
        sb_printf(b,
                  "    <mm7p6a0:TransactionID soap:mustUnderstand=\"1\" soap:encodingStyle=\"\" "
                  "xmlns:mm7p6a0=\"%s\" xmlns:soap=\"" MM7_SOAP_NS "\">",
                  ns);
        sb_xml(b, tid);
        sb_printf(b, "</mm7p6a0:TransactionID>%s", s->nl);
        sb_printf(b, "</soap:Header>%s  <soap:Body>%s", s->nl, s->nl);
        break;
    case MM7_MBUNI:
        sb_printf(b, "<SOAP-ENV:Envelope xmlns:SOAP-ENV=\"" MM7_SOAP_NS "\">%s", s->nl);
        sb_printf(b, "<SOAP-ENV:Header>%s", s->nl);
        sb_printf(b, "<mm7:TransactionID xmlns:mm7=\"%s\" SOAP-ENV:mustUnderstand=\"1\">", ns);
        sb_xml(b, tid);
        sb_printf(b, "</mm7:TransactionID>%s</SOAP-ENV:Header>%s<SOAP-ENV:Body>%s", s->nl, s->nl,
                  s->nl);
        break;
    }
}

static void envelope_end(struct sb *b, const struct style *s)
{
    if (s->d == MM7_3GPP)
        sb_printf(b, "\t</env:Body>%s</env:Envelope>%s", s->nl, s->nl);
    else if (s->d == MM7_NOKIA)
        sb_printf(b, "</soap:Body>%s</soap:Envelope>%s", s->nl, s->nl);
    else
        sb_printf(b, "</SOAP-ENV:Body>%s</SOAP-ENV:Envelope>%s", s->nl, s->nl);
}

/* Start tag of the MM7 element in the Body, with its namespace. */
static void body_el_start(struct sb *b, const struct style *s, int depth, const char *name,
                          const char *ns)
{
    ind(b, s, depth);
    if (s->pfx[0])
        sb_printf(b, "<%s%s xmlns:%.*s=\"%s\">%s", s->pfx, name, (int)strlen(s->pfx) - 1, s->pfx,
                  ns, s->nl);
    else
        sb_printf(b, "<%s xmlns=\"%s\">%s", name, ns, s->nl);
}

/* ---- the MMS as a MIME part ---------------------------------------------------------- */

static bool is_text(const char *type)
{
    return strncasecmp(type, "text/", 5) == 0 || strcasecmp(type, "application/smil") == 0;
}

static const struct mms_part *find_smil(const struct mm7_deliver *r)
{
    size_t i;
    for (i = 0; i < r->nparts; i++)
        if (r->parts[i].content_type && strcasecmp(r->parts[i].content_type, "application/smil") == 0)
            return &r->parts[i];
    return NULL;
}

/* One body part of the MM, headers in the dialect's manner. */
static void mm_part(struct sb *b, const struct style *s, const char *ib, const struct mms_part *p,
                    const struct mms_part *smil)
{
    const char *type = p->content_type ? p->content_type : "application/octet-stream";
    bool b64 = s->d == MM7_NOKIA || (s->d == MM7_3GPP && !is_text(type));

    switch (s->d) {
    case MM7_3GPP:
        sb_printf(b, "--%s \r\nContent-Type: %s", ib, type);
        if (p->charset)
            sb_printf(b, "; charset=\"%s\"", p->charset);
        if (p->name)
            sb_printf(b, "; name=\"%s\"", p->name);
        sb_str(b, "\r\n");
        if (p->content_id)
            sb_printf(b, "Content-ID:%s\r\n", p->content_id);
        if (p->content_location)
            sb_printf(b, "Content-Location: %s\r\n", p->content_location);
        break;
    case MM7_NOKIA:
        sb_printf(b, "--%s\r\nContent-Type: %s", ib, type);
        if (p->name)
            sb_printf(b, "; Name=%s", p->name);
        if (p->charset)
            sb_str(b, strcasecmp(p->charset, "utf-8") == 0 ? "; Charset=UTF-8" : "; Charset=");
        if (p->charset && strcasecmp(p->charset, "utf-8") != 0)
            sb_str(b, p->charset);
        sb_str(b, "\r\n");
        /* the SMIL by Content-ID, the rest by Content-Location only */
        if (p == smil || !p->content_location) {
            if (p->content_id)
                sb_printf(b, "Content-ID: %s\r\n", p->content_id);
        } else {
            sb_printf(b, "Content-Location: %s\r\n", p->content_location);
        }
        break;
    case MM7_MBUNI:
        sb_printf(b, "--%s\r\nContent-Type: %s", ib, type);
        if (p->charset)
            sb_printf(b, "; charset=%s", p->charset);
        if (p->name)
            sb_printf(b, "; name=\"%s\"", p->name);
        sb_str(b, "\r\n");
        if (p->content_id)
            sb_printf(b, "Content-ID: %s\r\n", p->content_id);
        if (p->content_location)
            sb_printf(b, "Content-Location: %s\r\n", p->content_location);
        break;
    }
    if (b64)
        sb_str(b, s->d == MM7_NOKIA ? "Content-Transfer-Encoding: BASE64\r\n"
                                    : "Content-Transfer-Encoding: base64\r\n");
    else if (s->d == MM7_MBUNI && !is_text(type))
        sb_str(b, "Content-Transfer-Encoding: binary\r\n");
    sb_str(b, "\r\n");
    if (b64) {
        sb_base64(b, p->data, p->len);
    } else {
        sb_add(b, p->data, p->len);
        sb_str(b, "\r\n");
    }
}

/* The whole MM: its part headers (Content-Type, Content-ID) and body. */
static void mm_entity(struct sb *b, const struct style *s, const struct mm7_deliver *r,
                      const char *cid)
{
    const struct mms_part *smil = find_smil(r);
    char ib[96];
    size_t i;

    if (s->d == MM7_3GPP)
        snprintf(ib, sizeof ib, "StoryParts %u 8432 mmscsim", r->seed);
    else if (s->d == MM7_NOKIA)
        snprintf(ib, sizeof ib, "Nokia-mm-messageHandler-BoUnDaRy-=_-%u", r->seed * 7u + 1069507222u);
    else
        snprintf(ib, sizeof ib, "mbuni_part_%u_2", r->seed);
    switch (s->d) {
    case MM7_3GPP:
        sb_printf(b, "Content-Type: multipart/%s; boundary=\"%s\"", smil ? "related" : "mixed", ib);
        if (smil)
            sb_printf(b, "; type=\"application/smil\"%s%s%s", smil->content_id ? "; start=\"" : "",
                      smil->content_id ? smil->content_id : "", smil->content_id ? "\"" : "");
        sb_printf(b, "\r\nContent-ID:%s\r\n\r\n", cid);
        break;
    case MM7_NOKIA:
        sb_printf(b, "Content-Id: %s\r\nContent-Type: multipart/%s;", cid, smil ? "related" : "mixed");
        if (smil)
            sb_printf(b, " Type=\"application/smil\";%s%s%s", smil->content_id ? " Start=\"" : "",
                      smil->content_id ? smil->content_id : "", smil->content_id ? "\";" : "");
        sb_printf(b, " boundary=\"%s\"\r\n\r\n", ib);
        break;
    case MM7_MBUNI:
        sb_printf(b, "Content-Type: multipart/%s; boundary=%s", smil ? "related" : "mixed", ib);
        if (smil && smil->content_id)
            sb_printf(b, "; type=\"application/smil\"; start=\"%s\"", smil->content_id);
        sb_printf(b, "\r\nContent-ID: %s\r\n\r\n", cid);
        break;
    }
    for (i = 0; i < r->nparts; i++)
        mm_part(b, s, ib, &r->parts[i], smil);
    if (r->pad > 0) {
        struct mms_part pad = { (char *)"application/octet-stream", NULL, (char *)"pad.bin",
                                (char *)"<pad>", (char *)"pad.bin", NULL, r->pad };
        pad.data = xcalloc(1, r->pad);
        memset(pad.data, 'P', r->pad);
        mm_part(b, s, ib, &pad, smil);
        free(pad.data);
    }
    sb_printf(b, "--%s--\r\n", ib);
}

/* ---- DeliverReq -------------------------------------------------------------------- */

void mm7_emit_deliver_req(enum mm7_dialect d, const struct mm7_deliver *r, struct mm7_http *out)
{
    const struct style *s = style_of(d);
    struct sb b = { NULL, 0, 0 };
    char ob[96], soap_cid[96], mm_cid[96], ts[40];
    int depth = s->d == MM7_3GPP ? 2 : 0;

    memset(out, 0, sizeof *out);
    switch (d) {
    case MM7_3GPP:
        snprintf(ob, sizeof ob, "NextPart_000_%04X_01C19839.7237929064", r->seed & 0xFFFF);
        snprintf(soap_cid, sizeof soap_cid, "</mmscsim/mm7-deliver-%u>", r->seed);
        snprintf(mm_cid, sizeof mm_cid, "<mms-%u@mmscsim>", r->seed);
        break;
    case MM7_NOKIA:
        snprintf(ob, sizeof ob, "Nokia-mm-messageHandler-BoUnDaRy-=_-%u", r->seed * 3u + 735647067u);
        snprintf(soap_cid, sizeof soap_cid, "<MMSC%08X-SOAP>", r->seed);
        snprintf(mm_cid, sizeof mm_cid, "<MMSC%08X-MM>", r->seed);
        break;
    case MM7_MBUNI:
        snprintf(ob, sizeof ob, "mbuni_%u_1", r->seed);
        snprintf(soap_cid, sizeof soap_cid, "<s%ld.%u.Ab.msg>", (long)r->timestamp, r->seed);
        snprintf(mm_cid, sizeof mm_cid, "<c%ld.%u.Xy.msg>", (long)r->timestamp, r->seed);
        break;
    }
    iso_time(ts, sizeof ts, r->timestamp, d == MM7_3GPP);

    /* the SOAP part */
    if (d == MM7_NOKIA)
        sb_str(&b, "\r\n");
    if (d == MM7_3GPP)
        sb_printf(&b, "--%s \r\nContent-Type:text/xml; charset=\"utf-8\"\r\nContent-ID: %s\r\n\r\n",
                  ob, soap_cid);
    else if (d == MM7_NOKIA)
        sb_printf(&b, "--%s\r\nContent-Type: text/xml; charset=\"utf-8\"\r\nContent-ID: %s\r\n\r\n",
                  ob, soap_cid);
    else
        sb_printf(&b, "--%s\r\nContent-Type: text/xml\r\nContent-ID: %s\r\n\r\n", ob, soap_cid);
    envelope_start(&b, s, s->ns, r->transaction_id);
    body_el_start(&b, s, depth, "DeliverReq", s->ns);
    el(&b, s, depth + 1, "MM7Version", s->version);
    /* Mbuni writes Recipients right after the version (a strict parser
     * that wants schema order is surprised), the others after Sender */
    if (d == MM7_MBUNI)
        recipients(&b, s, depth + 1, r->recipient);
    else
        el(&b, s, depth + 1, "MMSRelayServerID", r->relay_server_id);
    el(&b, s, depth + 1, "LinkedID", r->linked_id);
    address(&b, s, depth + 1, "Sender", r->sender, false);
    if (d != MM7_MBUNI)
        recipients(&b, s, depth + 1, r->recipient);
    el(&b, s, depth + 1, "TimeStamp", ts);
    if (d != MM7_MBUNI)
        el(&b, s, depth + 1, "Priority", "Normal");
    el(&b, s, depth + 1, "Subject", r->subject);
    ind(&b, s, depth + 1);
    if (d == MM7_NOKIA)
        sb_printf(&b, "<%sContent href=\"cid:%.*s\">%s%s</%sContent>%s", s->pfx,
                  (int)strlen(mm_cid) - 2, mm_cid + 1, s->nl, "  ", s->pfx, s->nl);
    else
        sb_printf(&b, "<%sContent href=\"cid:%.*s\"/>%s", s->pfx, (int)strlen(mm_cid) - 2,
                  mm_cid + 1, s->nl);
    close_el(&b, s, depth, "DeliverReq");
    envelope_end(&b, s);
    sb_str(&b, "\r\n");

    /* the MM part */
    sb_printf(&b, "--%s%s\r\n", ob, d == MM7_3GPP ? " " : "");
    mm_entity(&b, s, r, mm_cid);
    sb_printf(&b, "--%s--\r\n", ob);

    if (d == MM7_3GPP)
        snprintf(out->content_type, sizeof out->content_type,
                 "multipart/related; boundary=\"%s\"; type=\"text/xml\"; start=\"%s\"", ob,
                 soap_cid);
    else if (d == MM7_NOKIA)
        snprintf(out->content_type, sizeof out->content_type,
                 "multipart/related; type=\"text/xml\"; boundary=\"%s\"; start=\"%s\"", ob,
                 soap_cid);
    else
        snprintf(out->content_type, sizeof out->content_type,
                 "multipart/related; type=\"text/xml\"; start=\"%s\"; boundary=%s", soap_cid, ob);
    out->body = (unsigned char *)b.p;
    out->len = b.len;
}

/* ---- DeliveryReportReq ------------------------------------------------------------------ */

void mm7_emit_delivery_report_req(enum mm7_dialect d, const struct mm7_report *r,
                                  struct mm7_http *out)
{
    const struct style *s = style_of(d);
    struct sb b = { NULL, 0, 0 };
    char ts[40];
    int depth = d == MM7_3GPP ? 2 : 0;

    memset(out, 0, sizeof *out);
    iso_time(ts, sizeof ts, r->date, d == MM7_3GPP);
    envelope_start(&b, s, s->ns, r->transaction_id);
    body_el_start(&b, s, depth, "DeliveryReportReq", s->ns);
    el(&b, s, depth + 1, "MM7Version", s->version);
    el(&b, s, depth + 1, "MMSRelayServerID", r->relay_server_id);
    el(&b, s, depth + 1, "MessageID", r->message_id);
    address(&b, s, depth + 1, "Recipient", r->recipient, false);
    address(&b, s, depth + 1, "Sender", r->sender, true);
    el(&b, s, depth + 1, "Date", ts);
    el(&b, s, depth + 1, "MMStatus", r->mm_status);
    el(&b, s, depth + 1, "StatusText", r->status_text);
    close_el(&b, s, depth, "DeliveryReportReq");
    envelope_end(&b, s);
    snprintf(out->content_type, sizeof out->content_type, "text/xml; charset=\"utf-8\"");
    out->body = (unsigned char *)b.p;
    out->len = b.len;
}

/* ---- answers --------------------------------------------------------------------------- */

void mm7_emit_answer(enum mm7_dialect d, const struct mm7_answer *a, struct mm7_http *out)
{
    const struct style *s = style_of(d);
    struct sb b = { NULL, 0, 0 };
    char rsp[64], code[16];
    const char *text = a->status_text ? a->status_text : mm7_status_text(a->status);
    int depth = d == MM7_3GPP ? 2 : 0;
    bool ok = a->status >= 1000 && a->status < 2000;
    size_t kl = strlen(a->req_kind);

    memset(out, 0, sizeof *out);
    /* "SubmitReq" -> "SubmitRsp" */
    snprintf(rsp, sizeof rsp, "%.*sRsp", (int)(kl > 3 && strcmp(a->req_kind + kl - 3, "Req") == 0
                                                    ? kl - 3 : kl), a->req_kind);
    snprintf(code, sizeof code, "%d", a->status);
    envelope_start(&b, s, a->ns, a->transaction_id ? a->transaction_id : "");
    if (!ok) {
        ind(&b, s, depth);
        sb_printf(&b, "<%s:Fault>%s", s->env, s->nl);
        ind(&b, s, depth + 1);
        sb_printf(&b, "<faultcode>%s:%s</faultcode>%s", s->env,
                  a->status / 1000 == 3 ? "Server" : "Client", s->nl);
        ind(&b, s, depth + 1);
        sb_str(&b, "<faultstring>");
        sb_xml(&b, text);
        sb_printf(&b, "</faultstring>%s", s->nl);
        ind(&b, s, depth + 1);
        sb_printf(&b, "<detail>%s", s->nl);
        depth += 2;
        snprintf(rsp, sizeof rsp, "RSErrorRsp");
    }
    body_el_start(&b, s, depth, rsp, a->ns);
    el(&b, s, depth + 1, "MM7Version", a->version);
    open_el(&b, s, depth + 1, "Status");
    el(&b, s, depth + 2, "StatusCode", code);
    el(&b, s, depth + 2, "StatusText", text);
    close_el(&b, s, depth + 1, "Status");
    if (ok)
        el(&b, s, depth + 1, "MessageID", a->message_id);
    close_el(&b, s, depth, rsp);
    if (!ok) {
        depth -= 2;
        ind(&b, s, depth + 1);
        sb_printf(&b, "</detail>%s", s->nl);
        ind(&b, s, depth);
        sb_printf(&b, "</%s:Fault>%s", s->env, s->nl);
    }
    envelope_end(&b, s);
    snprintf(out->content_type, sizeof out->content_type, "text/xml; charset=\"utf-8\"");
    out->body = (unsigned char *)b.p;
    out->len = b.len;
}
