/*
 * mm7_emit — writing MM7 SOAP envelopes with libxml2's tree API (see
 * mm7_soap.h): libxml2 escapes every value, so text from a request (a
 * TransactionID) or the archive (a Subject) cannot break the document.
 * Elements are written in the schema's sequence order (TS 23.140 REL-6
 * examples; mms-notes.md §2.4), with the mm7: prefix Mbuni and Nokia use.
 */
#include "mm7_soap.h"

#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"

struct doc {
    xmlDocPtr doc;
    xmlNsPtr env, mm7;
    xmlNodePtr body;
};

/* Envelope, Header with TransactionID (mustUnderstand), empty Body. */
static void doc_start(struct doc *d, const char *transaction_id, const char *ns)
{
    d->doc = xmlNewDoc(BAD_CAST "1.0");
    xmlNodePtr envelope = xmlNewDocNode(d->doc, NULL, BAD_CAST "Envelope", NULL);
    xmlDocSetRootElement(d->doc, envelope);
    d->env = xmlNewNs(envelope, BAD_CAST MM7_SOAP_ENV_NS, BAD_CAST "env");
    xmlSetNs(envelope, d->env);
    d->mm7 = NULL;
    if (transaction_id) {
        xmlNodePtr header = xmlNewChild(envelope, d->env, BAD_CAST "Header", NULL);
        xmlNodePtr tid = xmlNewTextChild(header, NULL, BAD_CAST "TransactionID", BAD_CAST transaction_id);
        xmlNsPtr m = xmlNewNs(tid, BAD_CAST(ns && *ns ? ns : MM7_NS_DEFAULT), BAD_CAST "mm7");
        xmlSetNs(tid, m);
        xmlNewNsProp(tid, d->env, BAD_CAST "mustUnderstand", BAD_CAST "1");
    }
    d->body = xmlNewChild(envelope, d->env, BAD_CAST "Body", NULL);
}

/* The MM7 element under parent, declaring the mm7 namespace on it. */
static xmlNodePtr mm7_root(struct doc *d, xmlNodePtr parent, const char *name, const char *ns)
{
    xmlNodePtr n = xmlNewChild(parent, NULL, BAD_CAST name, NULL);
    d->mm7 = xmlNewNs(n, BAD_CAST(ns && *ns ? ns : MM7_NS_DEFAULT), BAD_CAST "mm7");
    xmlSetNs(n, d->mm7);
    return n;
}

static xmlNodePtr add(struct doc *d, xmlNodePtr parent, const char *name, const char *text)
{
    return xmlNewTextChild(parent, d->mm7, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void add_status(struct doc *d, xmlNodePtr parent, int status, const char *detail)
{
    char code[16];
    snprintf(code, sizeof code, "%d", status);
    xmlNodePtr st = add(d, parent, "Status", NULL);
    add(d, st, "StatusCode", code);
    add(d, st, "StatusText", mm7_status_text(status));
    if (detail && *detail)
        add(d, st, "Details", detail);
}

static char *doc_finish(struct doc *d, size_t *len)
{
    xmlChar *mem = NULL;
    int n = 0;
    xmlDocDumpMemoryEnc(d->doc, &mem, &n, "UTF-8");
    xmlFreeDoc(d->doc);
    char *out = xmemdup0(mem ? (const char *)mem : "", mem && n > 0 ? (size_t)n : 0);
    *len = mem && n > 0 ? (size_t)n : 0;
    xmlFree(mem);
    return out;
}

char *mm7_emit_response(enum mm7_op rsp, const char *transaction_id, const char *ns, const char *version,
                        int status, const char *detail, size_t *len)
{
    struct doc d;
    doc_start(&d, transaction_id, ns);
    xmlNodePtr r = mm7_root(&d, d.body, mm7_op_name(rsp), ns);
    add(&d, r, "MM7Version", version && *version ? version : MM7_VERSION_DEFAULT);
    add_status(&d, r, status, detail);
    return doc_finish(&d, len);
}

char *mm7_emit_fault(const char *transaction_id, const char *ns, const char *version, int status,
                     const char *detail, size_t *len)
{
    struct doc d;
    doc_start(&d, transaction_id, ns);
    xmlNodePtr f = xmlNewChild(d.body, d.env, BAD_CAST "Fault", NULL);
    /* SOAP 1.1: Client when the request is at fault (resending it as it is
     * will fail again), Server when we are */
    bool client = (status >= 2000 && status < 3000) ||
                  (status >= 4000 && status < 5000 && status != MM7_SERVICE_UNAVAILABLE &&
                   status != MM7_SERVICE_ERROR && status != MM7_GENERAL_SERVICE_ERROR);
    xmlNewTextChild(f, NULL, BAD_CAST "faultcode", BAD_CAST(client ? "env:Client" : "env:Server"));
    xmlNewTextChild(f, NULL, BAD_CAST "faultstring", BAD_CAST mm7_status_text(status));
    xmlNodePtr detail_el = xmlNewChild(f, NULL, BAD_CAST "detail", NULL);
    xmlNodePtr r = mm7_root(&d, detail_el, "VASPErrorRsp", ns);
    add(&d, r, "MM7Version", version && *version ? version : MM7_VERSION_DEFAULT);
    add_status(&d, r, status, detail);
    return doc_finish(&d, len);
}

char *mm7_emit_submit(const struct mm7_submit *q, size_t *len)
{
    struct doc d;
    doc_start(&d, q->transaction_id, q->ns);
    xmlNodePtr r = mm7_root(&d, d.body, "SubmitReq", q->ns);
    /* the schema's sequence, in this order */
    add(&d, r, "MM7Version", q->version && *q->version ? q->version : MM7_VERSION_DEFAULT);
    xmlNodePtr sid = add(&d, r, "SenderIdentification", NULL);
    if (q->vaspid && *q->vaspid)
        add(&d, sid, "VASPID", q->vaspid);
    if (q->vasid && *q->vasid)
        add(&d, sid, "VASID", q->vasid);
    if (q->sender_shortcode && *q->sender_shortcode)
        add(&d, add(&d, sid, "SenderAddress", NULL), "ShortCode", q->sender_shortcode);
    add(&d, add(&d, add(&d, r, "Recipients", NULL), "To", NULL), "Number", q->recipient);
    if (q->service_code && *q->service_code)
        add(&d, r, "ServiceCode", q->service_code);
    if (q->linked_id && *q->linked_id)
        add(&d, r, "LinkedID", q->linked_id);
    add(&d, r, "MessageClass", "Personal");
    char ts[32];
    mm7_format_datetime(q->timestamp, ts);
    add(&d, r, "TimeStamp", ts);
    if (q->expiry && *q->expiry)
        add(&d, r, "ExpiryDate", q->expiry);
    add(&d, r, "DeliveryReport", q->delivery_report ? "true" : "false");
    add(&d, r, "Priority", "Normal");
    if (q->subject && *q->subject)
        add(&d, r, "Subject", q->subject);
    xmlNodePtr c = add(&d, r, "Content", NULL);
    char href[300];
    snprintf(href, sizeof href, "cid:%s", q->content_cid);
    xmlNewProp(c, BAD_CAST "href", BAD_CAST href);
    xmlNewProp(c, BAD_CAST "allowAdaptations", BAD_CAST(q->allow_adaptations ? "true" : "false"));
    return doc_finish(&d, len);
}
