/*
 * fuzz_mms_pdu — libFuzzer harness for the MMS encapsulation decoder
 * (common/mms_pdu), the WSP push decoder and the UDH parser (common/smsudh),
 * each given the fuzzer's bytes in an exact-size heap block so that
 * AddressSanitizer sees any over-read. Aborts when a decoded string is not
 * UTF-8, a cap is exceeded, or a PDU the decoder accepted and the encoder
 * re-encodes does not decode again to the same parts.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mms_pdu.h"
#include "smsudh.h"
#include "utf8.h"

static void check_str(const char *s)
{
    if (s && !utf8_valid(s, strlen(s)))
        abort();
}

static void check_pdu(const struct mms_pdu *p)
{
    size_t i;
    if (p->nparts > MMS_PDU_MAX_PARTS || p->nto + p->ncc + p->nbcc > MMS_PDU_MAX_ADDRESSES)
        abort();
    check_str(p->transaction_id);
    check_str(p->subject);
    check_str(p->from);
    check_str(p->content_location);
    for (i = 0; i < p->nto; i++)
        check_str(p->to[i]);
    for (i = 0; i < p->nparts; i++) {
        check_str(p->parts[i].content_type);
        check_str(p->parts[i].name);
        check_str(p->parts[i].content_id);
    }
}

static void decode_all(const unsigned char *d, size_t n)
{
    struct mms_pdu p, again;
    unsigned char *out = NULL;
    size_t len = 0, i;

    if (mms_pdu_decode(d, n, &p) != MMS_PDU_OK)
        return;
    check_pdu(&p);
    if (mms_pdu_encode(&p, &out, &len) == MMS_PDU_OK) {
        if (mms_pdu_decode(out, len, &again) != MMS_PDU_OK || again.nparts != p.nparts)
            abort();
        for (i = 0; i < p.nparts; i++)
            if (again.parts[i].len != p.parts[i].len ||
                memcmp(again.parts[i].data, p.parts[i].data, p.parts[i].len) != 0)
                abort();
        mms_pdu_cleanup(&again);
        free(out);
    }
    mms_pdu_cleanup(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    unsigned char *c = malloc(size ? size : 1);
    struct mms_pdu_push push;
    struct smsudh u;

    memcpy(c, data, size);
    decode_all(c, size);
    if (mms_pdu_push_decode(c, size, &push) == MMS_PDU_OK) {
        if (push.body < c || push.body + push.body_len > c + size)
            abort();
        decode_all(push.body, push.body_len);
    }
    if (size > 0)
        smsudh_parse(c, size < (size_t)c[0] + 1 ? size : (size_t)c[0] + 1, &u);
    free(c);
    return 0;
}
