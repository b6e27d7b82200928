/*
 * mm7_request — reading a whole MM7 request (see mm7_request.h).
 */
#include "mm7_request.h"

#include <glib.h>
#include <stdio.h>
#include <string.h>

void mm7_request_init(void)
{
    mm7_mime_init();
    mm7_soap_init();
}

enum mm7_result mm7_request_parse(const char *content_type, const void *body, size_t len,
                                  const struct mm7_limits *lim, struct mm7_request *out)
{
    memset(out, 0, sizeof *out);
    struct mm7_mime *m = NULL;
    enum mm7_result rc = mm7_mime_parse(content_type, body, len, lim, &m);
    if (rc != MM7_OK)
        return rc;
    size_t xlen = 0;
    const char *charset = NULL;
    const unsigned char *xml = mm7_mime_soap(m, &xlen, &charset);
    rc = mm7_soap_parse(xml, xlen, charset, lim->soap_max, &out->env);
    if (rc == MM7_OK && out->env.op == MM7_OP_DELIVER_REQ) {
        rc = mm7_mime_content(m, out->env.content_href, lim, &out->parts, &out->nparts);
        for (size_t i = 0; rc == MM7_OK && i < out->nparts; i++)
            out->bytes += out->parts[i].len;
    }
    mm7_mime_free(m);
    return rc;
}

void mm7_request_cleanup(struct mm7_request *r)
{
    if (r == NULL)
        return;
    mm7_envelope_cleanup(&r->env);
    mm7_parts_free(r->parts, r->nparts);
    memset(r, 0, sizeof *r);
}

/* A field and its length, so that ("ab","c") and ("a","bc") differ. */
static void field(GChecksum *c, const void *p, size_t len)
{
    char n[24];
    int k = snprintf(n, sizeof n, "%zu:", len);
    g_checksum_update(c, (const guchar *)n, k);
    if (len)
        g_checksum_update(c, p, (gssize)len);
}

static void text_field(GChecksum *c, const char *s)
{
    field(c, s ? s : "", s ? strlen(s) : 0);
}

void mm7_request_digest(const struct mm7_request *r, char out[65])
{
    GChecksum *c = g_checksum_new(G_CHECKSUM_SHA256);
    text_field(c, r->env.sender.value);
    text_field(c, r->env.subject);
    for (size_t i = 0; i < r->nparts; i++) {
        text_field(c, r->parts[i].content_type);
        text_field(c, r->parts[i].content_id);
        text_field(c, r->parts[i].name);
        field(c, r->parts[i].data, r->parts[i].len);
    }
    snprintf(out, 65, "%s", g_checksum_get_string(c));
    g_checksum_free(c);
}
