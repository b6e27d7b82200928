/*
 * phone_vcard — business cards the way a plain phone sends them: Nokia
 * Smart Messaging, the vCard text as an 8-bit binary SMS to application
 * port 9204 (UDH 06 05 04 23 F4 00 00), concatenated when long with an 8-
 * or 16-bit reference (smscsim splits it: MOBIN ... [ref16]); and a
 * received port-9204 MT printed as the cards it holds. It does not check
 * the card beyond what common/vcard reads.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alloc.h"
#include "phonesim.h"
#include "simcodec.h"
#include "smsudh.h"
#include "vcard.h"

#define VCARD_MAX_FILE (255 * 127) /* what 255 concatenated segments carry */

int phone_vcard_send(struct ctl *c)
{
    FILE *f = fopen(o.vcard_file, "rb");
    unsigned char *data = NULL, ies[6], udh[7];
    char *hex = NULL, *cmd = NULL, *ans = NULL, uhex[16];
    size_t n = 0;
    int rc = -1;

    if (!f) {
        fprintf(stderr, "phonesim: cannot read %s: %s\n", o.vcard_file, strerror(errno));
        goto out;
    }
    data = xmalloc(VCARD_MAX_FILE + 1);
    n = fread(data, 1, VCARD_MAX_FILE + 1, f);
    fclose(f);
    if (n == 0 || n > VCARD_MAX_FILE) {
        fprintf(stderr, "phonesim: %s: %s\n", o.vcard_file,
                n == 0 ? "empty" : "too long for one concatenated SMS");
        goto out;
    }
    /* UDH 06 05 04 23 F4 00 00: 16-bit ports, destination 9204, source 0 */
    udh[0] = 6;
    smsudh_port_ies(SMSUDH_PORT_VCARD, 0, ies);
    memcpy(udh + 1, ies, 6);
    simcodec_hex(udh, sizeof udh, uhex);
    hex = xmalloc(n * 2 + 1);
    simcodec_hex(data, n, hex);
    cmd = xasprintf("MOBIN %s %s %s %s%s\n", o.from, o.to, uhex, hex, o.vcard_ref16 ? " ref16" : "");
    ans = ctl_request(c, cmd);
    if (!ans || strncmp(ans, "OK ", 3) != 0) {
        fprintf(stderr, "phonesim: smscsim refused the vCard: %s\n", ans ? ans : "connection lost");
        goto out;
    }
    rc = 0;
out:
    free(data);
    free(hex);
    free(cmd);
    free(ans);
    return rc;
}

struct print_ctx {
    FILE *out;
    const char *src;
    size_t len;
    int n;
};

static void print_card(const char *name, const char *const *numbers, size_t nnumbers,
                       const char *raw, size_t raw_len, void *ctx)
{
    struct print_ctx *p = ctx;
    size_t i;

    fprintf(p->out, "VCARD from=%s bytes=%zu name=%s tel=", p->src, p->len, name);
    for (i = 0; i < nnumbers; i++)
        fprintf(p->out, "%s%s", i ? "," : "", numbers[i]);
    fputc('\n', p->out);
    p->n++;
    (void)raw;
    (void)raw_len;
}

void phone_vcard_print(FILE *out, const char *src, const unsigned char *data, size_t len)
{
    struct print_ctx p = { out, src, len, 0 };
    char *hex;

    if (o.hex) {
        hex = xmalloc(len * 2 + 1);
        simcodec_hex(data, len, hex);
        fprintf(out, "VCARD from=%s bytes=%zu hex=%s\n", src, len, hex);
        free(hex);
        return;
    }
    size_t cards = 0;
    if (vcard_parse((const char *)data, len, print_card, &p, &cards) != VCARD_OK || cards == 0) {
        hex = xmalloc(len * 2 + 1);
        simcodec_hex(data, len, hex);
        fprintf(out, "VCARD from=%s bytes=%zu unreadable hex=%s\n", src, len, hex);
        free(hex);
    }
}
