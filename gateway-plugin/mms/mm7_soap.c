/*
 * mm7_soap — reading an MM7 SOAP envelope with libxml2 (see mm7_soap.h).
 */
#include "mm7_soap.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlerror.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"

static const struct {
    enum mm7_op op;
    const char *name;
} ops[] = {
    { MM7_OP_DELIVER_REQ, "DeliverReq" },
    { MM7_OP_DELIVER_RSP, "DeliverRsp" },
    { MM7_OP_DELIVERY_REPORT_REQ, "DeliveryReportReq" },
    { MM7_OP_DELIVERY_REPORT_RSP, "DeliveryReportRsp" },
    { MM7_OP_READ_REPLY_REQ, "ReadReplyReq" },
    { MM7_OP_READ_REPLY_RSP, "ReadReplyRsp" },
    { MM7_OP_SUBMIT_REQ, "SubmitReq" },
    { MM7_OP_SUBMIT_RSP, "SubmitRsp" },
    { MM7_OP_CANCEL_REQ, "CancelReq" },
    { MM7_OP_REPLACE_REQ, "ReplaceReq" },
    { MM7_OP_FAULT, "Fault" },
};

void mm7_soap_init(void)
{
    xmlInitParser();
}

const char *mm7_op_name(enum mm7_op op)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (ops[i].op == op)
            return ops[i].name;
    return "?";
}

static enum mm7_op op_of(const char *name)
{
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].name, name) == 0)
            return ops[i].op;
    return MM7_OP_UNKNOWN;
}

static bool is_request(enum mm7_op op)
{
    return op == MM7_OP_DELIVER_REQ || op == MM7_OP_DELIVERY_REPORT_REQ || op == MM7_OP_READ_REPLY_REQ ||
           op == MM7_OP_SUBMIT_REQ || op == MM7_OP_CANCEL_REQ || op == MM7_OP_REPLACE_REQ ||
           op == MM7_OP_UNKNOWN;
}

void mm7_envelope_cleanup(struct mm7_envelope *e)
{
    if (e == NULL)
        return;
    char **strs[] = { &e->op_name, &e->ns, &e->transaction_id, &e->version, &e->relay_server_id, &e->linked_id,
                      &e->subject, &e->priority, &e->content_href, &e->message_id, &e->mm_status,
                      &e->status_text, &e->status_detail, &e->fault_code, &e->fault_string };
    for (size_t i = 0; i < sizeof strs / sizeof strs[0]; i++)
        free(*strs[i]);
    mm7_address_cleanup(&e->sender);
    mm7_address_cleanup(&e->to);
    mm7_address_cleanup(&e->recipient);
    memset(e, 0, sizeof *e);
}

/* ---- tree helpers: elements by local name, in any namespace ---- */

static bool named(const xmlNode *n, const char *local)
{
    return n && n->type == XML_ELEMENT_NODE && strcmp((const char *)n->name, local) == 0;
}

static xmlNode *first_element(xmlNode *parent)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (c->type == XML_ELEMENT_NODE)
            return c;
    return NULL;
}

static xmlNode *child(xmlNode *parent, const char *local)
{
    for (xmlNode *c = parent ? parent->children : NULL; c; c = c->next)
        if (named(c, local))
            return c;
    return NULL;
}

/* The element's text with surrounding whitespace trimmed; NULL when empty. */
static char *text_of(xmlNode *n)
{
    if (n == NULL)
        return NULL;
    xmlChar *t = xmlNodeGetContent(n);
    if (t == NULL)
        return NULL;
    const char *b = (const char *)t, *e = b + strlen(b);
    while (b < e && strchr(" \t\r\n", *b))
        b++;
    while (e > b && strchr(" \t\r\n", e[-1]))
        e--;
    char *out = e > b ? xstrndup(b, (size_t)(e - b)) : NULL;
    xmlFree(t);
    return out;
}

static char *child_text(xmlNode *parent, const char *local)
{
    return text_of(child(parent, local));
}

/* An attribute by local name, with or without a namespace prefix (the
 * Vibes-style mm7:href). */
static char *attr(xmlNode *n, const char *local)
{
    for (xmlAttr *a = n ? n->properties : NULL; a; a = a->next) {
        if (strcmp((const char *)a->name, local) == 0) {
            xmlChar *v = xmlNodeListGetString(n->doc, a->children, 1);
            char *out = v ? xstrdup((const char *)v) : NULL;
            xmlFree(v);
            return out;
        }
    }
    return NULL;
}

/* Sender, To, Recipient, SenderAddress: <Number>, <ShortCode>,
 * <RFC2822Address>, or the number as the element's own text. */
static void read_address(xmlNode *n, struct mm7_address *a)
{
    static const struct {
        const char *name;
        enum mm7_addr_kind kind;
    } kinds[] = { { "Number", MM7_ADDR_NUMBER }, { "ShortCode", MM7_ADDR_SHORTCODE },
                  { "RFC2822Address", MM7_ADDR_EMAIL } };
    mm7_address_cleanup(a);
    if (n == NULL)
        return;
    for (xmlNode *c = n->children; c && a->kind == MM7_ADDR_NONE; c = c->next) {
        for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
            if (named(c, kinds[i].name)) {
                a->value = text_of(c);
                if (a->value == NULL)
                    break;
                a->kind = kinds[i].kind;
                char *d = attr(c, "displayOnly");
                a->display_only = d && strcasecmp(d, "true") == 0;
                free(d);
                break;
            }
        }
    }
    if (a->kind == MM7_ADDR_NONE && first_element(n) == NULL && (a->value = text_of(n)) != NULL)
        a->kind = MM7_ADDR_TEXT;
    mm7_address_normalise(a);
}

static void read_status(xmlNode *holder, struct mm7_envelope *e)
{
    xmlNode *st = child(holder, "Status");
    char *code = child_text(st, "StatusCode");
    if (code) {
        e->status_code = atoi(code);
        free(code);
    }
    free(e->status_detail);
    e->status_detail = child_text(st, "StatusText");
    if (e->version == NULL)
        e->version = child_text(holder, "MM7Version");
}

static void read_body(xmlNode *op, struct mm7_envelope *e)
{
    if (e->op == MM7_OP_FAULT) {
        e->fault_code = child_text(op, "faultcode");
        e->fault_string = child_text(op, "faultstring");
        xmlNode *rsp = first_element(child(op, "detail"));
        if (rsp) {
            read_status(rsp, e);
            free(e->ns);
            e->ns = xstrdup(rsp->ns && rsp->ns->href ? (const char *)rsp->ns->href : "");
        }
        /* Mbuni's client reads a number from faultstring when there is no
         * status: some servers put it there */
        if (e->status_code == 0 && e->fault_string && strspn(e->fault_string, "0123456789") == 4 &&
            e->fault_string[4] == '\0')
            e->status_code = atoi(e->fault_string);
        return;
    }
    e->version = child_text(op, "MM7Version");
    e->relay_server_id = child_text(op, "MMSRelayServerID");
    e->linked_id = child_text(op, "LinkedID");
    e->subject = child_text(op, "Subject");
    e->priority = child_text(op, "Priority");
    e->message_id = child_text(op, "MessageID");
    e->mm_status = child_text(op, "MMStatus");
    e->status_text = child_text(op, "StatusText");
    read_address(child(op, "Sender"), &e->sender);
    read_address(child(op, "Recipient"), &e->recipient);
    xmlNode *rcpts = child(op, "Recipients");
    xmlNode *to = child(rcpts, "To");
    if (to == NULL)
        to = child(rcpts, "Cc");
    if (to == NULL)
        to = child(rcpts, "Bcc");
    read_address(to, &e->to);
    char *ts = child_text(op, "TimeStamp");
    time_t t = mm7_parse_datetime(ts);
    e->timestamp = t > 0 ? t : 0;
    free(ts);
    char *date = child_text(op, "Date");
    t = mm7_parse_datetime(date);
    e->date = t > 0 ? t : 0;
    free(date);
    xmlNode *content = child(op, "Content");
    if (content) {
        e->has_content = true;
        char *href = attr(content, "href");
        if (href && *href)
            e->content_href = href;
        else
            free(href);
    }
    if (child(op, "Status"))
        read_status(op, e);
}

/* ---- parsing ---- */

/* SAX hook: a DOCTYPE stops the parser before its internal subset is read,
 * so no entity is ever declared, let alone expanded. */
static void on_doctype(void *ctx, const xmlChar *name, const xmlChar *ext_id, const xmlChar *sys_id)
{
    xmlParserCtxtPtr c = ctx;
    *(bool *)c->_private = true;
    xmlStopParser(c);
}

/* One attempt in one encoding. *doctype: a DOCTYPE was met; *encoding_err:
 * the bytes were not valid in that encoding. */
static xmlDocPtr read_xml(const void *xml, size_t len, const char *encoding, bool *doctype, bool *encoding_err)
{
    xmlParserCtxtPtr ctxt = xmlNewParserCtxt();
    if (ctxt == NULL)
        return NULL;
    *doctype = false;
    *encoding_err = false;
    ctxt->_private = doctype;
    ctxt->sax->internalSubset = on_doctype;
    xmlDocPtr doc = xmlCtxtReadMemory(ctxt, xml, (int)len, "mm7.xml", encoding,
                                      XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
    if (doc && (*doctype || doc->intSubset || doc->extSubset || !ctxt->wellFormed)) {
        *doctype = *doctype || doc->intSubset || doc->extSubset;
        xmlFreeDoc(doc);
        doc = NULL;
    }
    if (doc == NULL && !*doctype) {
        int code = ctxt->errNo;
        *encoding_err = code == XML_ERR_INVALID_CHAR || code == XML_ERR_INVALID_ENCODING ||
                        code == XML_ERR_UNKNOWN_ENCODING || code == XML_ERR_UNSUPPORTED_ENCODING;
    }
    xmlFreeParserCtxt(ctxt);
    return doc;
}

static void quiet(void *ctx, xmlErrorPtr err) {}

/* WS-I R1019: the envelope's charset is the MIME part's, whatever its XML
 * declaration says (Vibes labels UTF-8 bytes "utf-16"). Without one: UTF-16
 * when the bytes say so (a BOM or "<" as 16 bits), else UTF-8. */
static const char *first_encoding(const unsigned char *p, size_t len, const char *charset)
{
    if (charset && *charset)
        return charset;
    if (len >= 2 && ((p[0] == 0xFF && p[1] == 0xFE) || (p[0] == 0xFE && p[1] == 0xFF) ||
                     (p[0] == '<' && p[1] == 0) || (p[0] == 0 && p[1] == '<')))
        return NULL;   /* libxml2 detects UTF-16 by itself */
    return "UTF-8";
}

enum mm7_result mm7_soap_parse(const void *xml, size_t len, const char *charset, size_t max,
                               struct mm7_envelope *out)
{
    memset(out, 0, sizeof *out);
    if (len > max || len > (size_t)0x7fffffff)
        return MM7_E_TOO_LARGE;
    if (len == 0)
        return MM7_E_XML;
    /* errors are results here, not lines on stderr (per thread in libxml2) */
    xmlSetStructuredErrorFunc(NULL, quiet);
    const char *enc = first_encoding(xml, len, charset);
    bool doctype = false, encoding_err = false;
    xmlDocPtr doc = read_xml(xml, len, enc, &doctype, &encoding_err);
    /* bytes not valid in that encoding (a Subject in a legacy charset inside
     * a UTF-8 envelope, a charset libxml2 does not know): read it as UTF-8,
     * then GB18030 (a Chinese MMSC), then Latin-1 (any byte is a character) */
    static const char *const fallbacks[] = { "UTF-8", "GB18030", "ISO-8859-1" };
    bool retry = doc == NULL && encoding_err;
    for (size_t i = 0; retry && doc == NULL && !doctype && i < sizeof fallbacks / sizeof fallbacks[0]; i++)
        if (enc == NULL || strcasecmp(enc, fallbacks[i]) != 0)
            doc = read_xml(xml, len, fallbacks[i], &doctype, &encoding_err);
    if (doctype)
        return MM7_E_DOCTYPE;
    if (doc == NULL)
        return MM7_E_XML;

    enum mm7_result rc = MM7_E_NOT_SOAP;
    xmlNode *env = xmlDocGetRootElement(doc);
    if (!named(env, "Envelope"))
        goto out;
    xmlNode *header = child(env, "Header");
    xmlNode *tid = child(header, "TransactionID");
    out->transaction_id = text_of(tid);
    xmlNode *op = first_element(child(env, "Body"));
    if (op == NULL)
        goto out;
    out->op_name = xstrdup((const char *)op->name);
    out->ns = xstrdup(op->ns && op->ns->href ? (const char *)op->ns->href : "");
    out->op = op_of(out->op_name);
    read_body(op, out);
    if (out->transaction_id == NULL && is_request(out->op))
        rc = MM7_E_MISSING;
    else
        rc = out->op == MM7_OP_UNKNOWN ? MM7_E_UNSUPPORTED : MM7_OK;
out:
    xmlFreeDoc(doc);
    return rc;
}
