#!/usr/bin/env bash
# mms_tshark_test.sh <mms_pdu_samples> — our MMS encoder checked by an
# implementation that is not ours: tshark's WSP and MMSE dissectors
# (Debian tshark, installed by ./smsvault's SV_PACKAGES). The PDUs come
# from tests/unit/mms_pdu_samples.c; text2pcap wraps the WSP push in a UDP
# datagram to port 2948 (wap-wsp) and the MM1 exchanges in HTTP over TCP
# port 80, and each dissected field is compared with what was encoded.
# A dissector that flags a malformed packet fails the test too.
set -euo pipefail
# shellcheck source=tests/unit/tshark_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tshark_lib.sh" "$1"

# ---- the WSP push with an m-notification-ind, UDP to port 2948
pcap push -u 9200,2948
check "push: WSP TID, PDU type, content type, application id" \
    "0x2a|0x06|application/vnd.wap.mms-message|x-wap-application:mms.ua" \
    "$(field "$dir/push.pcap" wsp.TID wsp.pdu_type wsp.header.content_type wsp.header.x_wap_application_id)"
check "push: m-notification-ind headers" \
    "0x82|T7f3a0001|1.2|4242/TYPE=PLMN|Archived MMS #3|0x80|24680|604800.000000000|http://127.0.0.1:8081/mms/Q3k9x" \
    "$(field "$dir/push.pcap" mmse.message_type mmse.transaction_id mmse.mms_version mmse.from \
        mmse.subject mmse.message_class.id mmse.message_size mmse.expiry.rel mmse.content_location)"

# ---- m-retrieve-conf in an HTTP response
pcap retrieve -T 80,40000
# 假日: six UTF-8 octets, six U+FFFD in tshark's view
check_retrieve_conf "$dir/retrieve.pcap" \
    "application/vnd.wap.mms-message|0x84|T7f3a0001|1.2|smsvault-3-0001|Nov 14, 2023 22:13:20.000000000 UTC|4242/TYPE=PLMN|+15550100001/TYPE=PLMN|0x80" \
    "$(printf '\xef\xbf\xbd%.0s' 1 2 3 4 5 6) Holiday" \
    "application/vnd.wap.multipart.related,application/smil,image/jpeg,text/plain|application/smil|<smil>" \
    '1,2,3|"<smil>","<img1>","<txt1>"|smil.xml,beach.jpg,text.txt|UTF-8,UTF-8|beach.jpg' \
    '<smil>|Hello from the archive'

# ---- m-send-req (POST), m-send-conf, m-notifyresp-ind, m-acknowledge-ind
pcap send -T 40000,80
check "send-req: insert-address From, To with /TYPE=PLMN, one text part" \
    "0x80|phonesim-42|<insert address>|10659/TYPE=PLMN|to the archive|application/vnd.wap.multipart.mixed,text/plain|a.txt|keep me" \
    "$(field "$dir/send.pcap" mmse.message_type mmse.transaction_id mmse.from mmse.to mmse.subject \
        wsp.header.content_type wsp.parameter.name)|$(text_parts "$dir/send.pcap")"
pcap conf -T 80,40000
check "send-conf: status Ok, Message-ID" "0x81|phonesim-42|0x80|mmscsim-000001" \
    "$(field "$dir/conf.pcap" mmse.message_type mmse.transaction_id mmse.response_status mmse.message_id)"
pcap notifyresp -T 40000,80
check "notifyresp-ind: status Retrieved" "0x83|T7f3a0001|0x81" \
    "$(field "$dir/notifyresp.pcap" mmse.message_type mmse.transaction_id mmse.status)"
pcap ack -T 40000,80
check "acknowledge-ind: report allowed No" "0x85|T7f3a0001|0x81" \
    "$(field "$dir/ack.pcap" mmse.message_type mmse.transaction_id mmse.report_allowed)"

tshark_done mms_tshark
