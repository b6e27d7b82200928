/*
 * mms_direct_samples DIR — writes what vaultmms's direct path sends, made
 * by gateway-plugin/mms/mms_direct, as text2pcap hex dumps into DIR, for
 * tests/unit/mms_direct_tshark_test.sh to decode with tshark's SMPP, GSM
 * SMS user data (UDH, reassembly), WSP and MMSE dissectors — an
 * implementation that is not ours:
 *
 *   notify-one.txt  the m-notification-ind of delivery 42, each of its SMS
 *                   segments (one) as an SMPP submit_sm to the phone, as
 *                   bearerbox writes it (esm_class UDHI, data_coding 4)
 *   notify-two.txt  the same for delivery 0x1234 with a long URL: two
 *                   concatenated segments, one submit_sm each
 *   retrieve.txt    HTTP response with the m-retrieve-conf of an archived
 *                   MMS (JPEG, UTF-8 text, SMIL stored last)
 *   jpeg.hex        the JPEG part's bytes (from the source array)
 *
 * The values written are the ones the script expects; both sides say them
 * once, here and there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm7_mime.h"
#include "mms_direct.h"
#include "text2pcap_hex.h"

static void put32(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 24);
    p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8);
    p[3] = (unsigned char)v;
}

/* One SMPP 3.4 submit_sm carrying one segment (UDH + 8-bit data). */
static void submit_sm(FILE *f, unsigned seq, const struct mms_direct_sms *sms)
{
    unsigned char pdu[400];
    size_t n = 16;
    static const char src[] = "10659", dst[] = "8613800000001";
    pdu[n++] = 0;                                  /* service_type "" */
    pdu[n++] = 0, pdu[n++] = 0;                    /* source ton, npi */
    memcpy(pdu + n, src, sizeof src), n += sizeof src;
    pdu[n++] = 1, pdu[n++] = 1;                    /* dest ton international, npi ISDN */
    memcpy(pdu + n, dst, sizeof dst), n += sizeof dst;
    pdu[n++] = 0x40;                               /* esm_class: UDHI */
    pdu[n++] = 0, pdu[n++] = 0;                    /* protocol_id, priority */
    pdu[n++] = 0, pdu[n++] = 0;                    /* schedule, validity "" */
    pdu[n++] = 0, pdu[n++] = 0;                    /* registered_delivery, replace */
    pdu[n++] = 4;                                  /* data_coding: 8-bit */
    pdu[n++] = 0;                                  /* sm_default_msg_id */
    pdu[n++] = (unsigned char)(sms->udhlen + sms->len);
    memcpy(pdu + n, sms->udh, sms->udhlen), n += sms->udhlen;
    memcpy(pdu + n, sms->data, sms->len), n += sms->len;
    put32(pdu, (unsigned)n);
    put32(pdu + 4, 4);                             /* submit_sm */
    put32(pdu + 8, 0);
    put32(pdu + 12, seq);
    t2p_packet(f, NULL, 0, pdu, n);
}

static int notification(const char *dir, const char *name, const struct mms_direct_notice *n)
{
    struct mms_direct_sms *sms = NULL;
    size_t count = 0;
    if (mms_direct_notification(n, &sms, &count) != MMS_DIRECT_OK)
        return -1;
    FILE *f = t2p_open(dir, name);
    if (f == NULL) {
        free(sms);
        return -1;
    }
    for (size_t i = 0; i < count; i++)
        submit_sm(f, (unsigned)i + 1, &sms[i]);
    free(sms);
    return t2p_close(f);
}

static const char smil[] =
    "<smil><head><layout><root-layout width=\"160\" height=\"120\"/></layout></head>"
    "<body><par dur=\"5000ms\"><img src=\"cid:photo.jpg\"/><text src=\"cid:note.txt\"/></par></body></smil>";

int main(int argc, char **argv)
{
    unsigned char jpeg[300];
    int rc = 0;
    if (argc != 2) {
        fprintf(stderr, "usage: mms_direct_samples DIR\n");
        return 2;
    }
    mm7_mime_init();

    struct mms_direct_notice one = { 42, "http://127.0.0.1:8089/mms/r/AbCdEfGhIjKlMnOpQrStUv", "10659",
                                     "Holiday", 24680, 604800 };
    rc |= notification(argv[1], "notify-one.txt", &one);
    struct mms_direct_notice two = {
        0x1234, "http://mms-retrieval.operator-with-a-long-name.example.net:8089/mms/r/AbCdEfGhIjKlMnOpQrStUv",
        "10659", "Holiday", 300000, 3600 };
    rc |= notification(argv[1], "notify-two.txt", &two);

    for (size_t i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 13);
    memcpy(jpeg, "\xff\xd8\xff\xe0", 4);
    const char *text = "Hello from the archive";
    struct store_mms_part parts[] = {
        { .seq = 0, .content_type = "image/jpeg", .name = "photo.jpg",
          .data = jpeg, .len = sizeof jpeg, .content_id = "photo.jpg", .content_location = "" },
        { .seq = 1, .content_type = "text/plain; charset=utf-8", .name = "note.txt",
          .data = (unsigned char *)text, .len = strlen(text), .content_id = "note.txt", .content_location = "" },
        { .seq = 2, .content_type = "application/smil", .name = "",
          .data = (unsigned char *)smil, .len = strlen(smil), .content_id = "smil", .content_location = "" },
    };
    struct store_mms mms = { .n = 3, .peer = "+8613800000001", .subject = "假日 Holiday", .text = "",
                             .sent_at = 1700000000, .saved_at = 1700000500 };
    struct mms_direct_message m = { 42, "10659", "+8613800000001", &mms, parts, 3 };
    unsigned char *out = NULL;
    size_t len = 0;
    if (mms_direct_retrieve_conf(&m, &out, &len) != MMS_DIRECT_OK)
        return 1;
    rc |= t2p_http(argv[1], "retrieve.txt", "HTTP/1.1 200 OK", out, len);
    free(out);

    rc |= t2p_hexfile(argv[1], "jpeg.hex", jpeg, sizeof jpeg);
    return rc ? 1 : 0;
}
