/*
 * mms_pdu_samples DIR — writes PDUs made by common/mms_pdu as text2pcap
 * hex dumps into DIR, for tests/unit/mms_tshark_test.sh to wrap in pcaps
 * and decode with tshark's WSP and MMSE dissectors, an implementation that
 * is not ours:
 *
 *   push.txt      WSP push (to UDP port 2948) carrying an m-notification-ind
 *   retrieve.txt  HTTP response, application/vnd.wap.mms-message,
 *                 m-retrieve-conf with SMIL + JPEG + UTF-8 text
 *   send.txt      HTTP POST of an m-send-req (insert-address From, To PLMN)
 *   conf.txt      HTTP response with an m-send-conf
 *   notifyresp.txt, ack.txt  HTTP POSTs of m-notifyresp-ind, m-acknowledge-ind
 *   jpeg.hex      the JPEG part's bytes (from the source array, not the encoder)
 *
 * The values written are the ones the script expects; both sides say them
 * once, here and there.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mms_pdu.h"
#include "text2pcap_hex.h"

static const char smil[] =
    "<smil><head><layout><root-layout width=\"160\" height=\"120\"/>"
    "<region id=\"Image\" top=\"0\" left=\"0\" width=\"160\" height=\"90\"/>"
    "<region id=\"Text\" top=\"90\" left=\"0\" width=\"160\" height=\"30\"/></layout></head>"
    "<body><par dur=\"5000ms\"><img src=\"cid:img1\" region=\"Image\"/>"
    "<text src=\"cid:txt1\" region=\"Text\"/></par></body></smil>";

int main(int argc, char **argv)
{
    struct mms_pdu p;
    unsigned char *out = NULL, *push = NULL, jpeg[200];
    size_t n = 0, pn = 0, i;
    int rc = 0;

    if (argc != 2) {
        fprintf(stderr, "usage: mms_pdu_samples DIR\n");
        return 2;
    }
    for (i = 0; i < sizeof jpeg; i++)
        jpeg[i] = (unsigned char)(i * 13);
    memcpy(jpeg, "\xff\xd8\xff\xe0", 4);

    /* m-notification-ind in a push */
    mms_pdu_init(&p, MMS_M_NOTIFICATION_IND);
    p.transaction_id = strdup("T7f3a0001");
    p.from = strdup("4242/TYPE=PLMN");
    p.subject = strdup("Archived MMS #3");
    p.message_class = MMS_CLASS_PERSONAL;
    p.message_size = 24680;
    p.has_message_size = true;
    p.expiry = 604800;
    p.has_expiry = p.expiry_relative = true;
    p.content_location = strdup("http://127.0.0.1:8081/mms/Q3k9x");
    if (mms_pdu_encode(&p, &out, &n) != MMS_PDU_OK)
        return 1;
    mms_pdu_push_encode(0x2A, out, n, &push, &pn);
    rc |= t2p_dump(argv[1], "push.txt", NULL, push, pn);
    mms_pdu_cleanup(&p);
    free(out);
    free(push);

    /* m-retrieve-conf */
    mms_pdu_init(&p, MMS_M_RETRIEVE_CONF);
    p.transaction_id = strdup("T7f3a0001");
    p.message_id = strdup("smsvault-3-0001");
    p.date = 1700000000;
    p.has_date = true;
    p.from = strdup("4242/TYPE=PLMN");
    mms_pdu_add_address(&p.to, &p.nto, "+15550100001/TYPE=PLMN");
    p.subject = strdup("假日 Holiday");
    p.message_class = MMS_CLASS_PERSONAL;
    mms_pdu_add_part(&p, "application/smil", "utf-8", NULL, "<smil>", "smil.xml",
                     (const unsigned char *)smil, strlen(smil));
    mms_pdu_add_part(&p, "image/jpeg", NULL, "beach.jpg", "<img1>", "beach.jpg", jpeg,
                     sizeof jpeg);
    mms_pdu_add_part(&p, "text/plain", "utf-8", NULL, "<txt1>", "text.txt",
                     (const unsigned char *)"Hello from the archive", 22);
    if (mms_pdu_encode(&p, &out, &n) != MMS_PDU_OK)
        return 1;
    rc |= t2p_http(argv[1], "retrieve.txt", "HTTP/1.1 200 OK", out, n);
    /* the JPEG part's bytes as tshark prints them (media.type) */
    rc |= t2p_hexfile(argv[1], "jpeg.hex", jpeg, sizeof jpeg);
    mms_pdu_cleanup(&p);
    free(out);

    /* m-send-req */
    mms_pdu_init(&p, MMS_M_SEND_REQ);
    p.transaction_id = strdup("phonesim-42");
    p.from_insert = true;
    mms_pdu_add_address(&p.to, &p.nto, "10659/TYPE=PLMN");
    p.subject = strdup("to the archive");
    p.message_class = MMS_CLASS_PERSONAL;
    mms_pdu_add_part(&p, "text/plain", "utf-8", "a.txt", "<a.txt>", "a.txt",
                     (const unsigned char *)"keep me", 7);
    if (mms_pdu_encode(&p, &out, &n) != MMS_PDU_OK)
        return 1;
    rc |= t2p_http(argv[1], "send.txt", "POST /mm1 HTTP/1.1", out, n);
    mms_pdu_cleanup(&p);
    free(out);

    /* m-send-conf */
    mms_pdu_init(&p, MMS_M_SEND_CONF);
    p.transaction_id = strdup("phonesim-42");
    p.response_status = MMS_RESPONSE_OK;
    p.message_id = strdup("mmscsim-000001");
    if (mms_pdu_encode(&p, &out, &n) != MMS_PDU_OK)
        return 1;
    rc |= t2p_http(argv[1], "conf.txt", "HTTP/1.1 200 OK", out, n);
    mms_pdu_cleanup(&p);
    free(out);

    /* m-notifyresp-ind and m-acknowledge-ind */
    mms_pdu_init(&p, MMS_M_NOTIFYRESP_IND);
    p.transaction_id = strdup("T7f3a0001");
    p.status = MMS_STATUS_RETRIEVED;
    if (mms_pdu_encode(&p, &out, &n) != MMS_PDU_OK)
        return 1;
    rc |= t2p_http(argv[1], "notifyresp.txt", "POST /mm1 HTTP/1.1", out, n);
    mms_pdu_cleanup(&p);
    free(out);
    mms_pdu_init(&p, MMS_M_ACKNOWLEDGE_IND);
    p.transaction_id = strdup("T7f3a0001");
    p.report_allowed = MMS_NO;
    if (mms_pdu_encode(&p, &out, &n) != MMS_PDU_OK)
        return 1;
    rc |= t2p_http(argv[1], "ack.txt", "POST /mm1 HTTP/1.1", out, n);
    mms_pdu_cleanup(&p);
    free(out);
    return rc ? 1 : 0;
}
