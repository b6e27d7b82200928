/*
 * fuzz_mm7 — libFuzzer harness for vaultmms's request reader
 * (mm7_request_parse: MIME on GMime, the SOAP envelope on libxml2, the MM
 * flattened). Input: the HTTP Content-Type on the first line, the body
 * after it. Aborts when a request read as fine breaks a promise the rules
 * and the store rely on — parts within their caps, every text field one
 * line of UTF-8 — or when our answer to it does not read back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "limit.h"
#include "log.h"
#include "mm7_request.h"
#include "utf8.h"

static const struct mm7_limits LIM = { 16 * 1024, 64 * 1024, 16, 3 };

/* A part's text field as the store takes it (store/mms.c): one line of
 * UTF-8, at most LIMIT_TEXT_FIELD_MAX bytes. */
static void line_ok(const char *s)
{
    if (s == NULL)
        return;
    size_t n = strlen(s);
    if (n > LIMIT_TEXT_FIELD_MAX || !utf8_valid(s, n))
        abort();
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20)
            abort();
}

static void text_ok(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    if (!init) {
        mm7_request_init();
        log_set_level(LOG_WARN);
        init = 1;
    }
    const uint8_t *nl = memchr(data, '\n', size < 300 ? size : 300);
    size_t ctlen = nl ? (size_t)(nl - data) : 0;
    char *ct = malloc(ctlen + 1);
    memcpy(ct, data, ctlen);
    ct[ctlen] = '\0';
    const uint8_t *body = nl ? nl + 1 : data;
    size_t blen = size - (size_t)(body - data);

    struct mm7_request r;
    enum mm7_result rc = mm7_request_parse(ct, body, blen, &LIM, &r);
    if (rc == MM7_OK) {
        text_ok(r.env.transaction_id);
        text_ok(r.env.subject);
        text_ok(r.env.ns);
        if (r.env.op == MM7_OP_DELIVER_REQ && (r.nparts == 0 || r.nparts > (size_t)LIM.parts_max))
            abort();
        size_t sum = 0;
        for (size_t i = 0; i < r.nparts; i++) {
            if (r.parts[i].content_type == NULL || r.parts[i].len > LIM.part_max ||
                (r.parts[i].len && r.parts[i].data == NULL))
                abort();
            line_ok(r.parts[i].content_type);
            line_ok(r.parts[i].content_id);
            line_ok(r.parts[i].location);
            line_ok(r.parts[i].name);
            sum += r.parts[i].len;
        }
        if (sum != r.bytes)
            abort();
        char digest[65];
        mm7_request_digest(&r, digest);
        /* our answer echoes its TransactionID and namespace: it must read back */
        size_t len;
        char *xml = mm7_emit_response(MM7_OP_DELIVER_RSP, r.env.transaction_id, r.env.ns, r.env.version, 1000,
                                      NULL, &len);
        struct mm7_envelope e;
        if (mm7_soap_parse(xml, len, "utf-8", 1 << 20, &e) != MM7_OK || e.status_code != 1000)
            abort();
        mm7_envelope_cleanup(&e);
        free(xml);
    }
    mm7_request_cleanup(&r);
    free(ct);
    return 0;
}
