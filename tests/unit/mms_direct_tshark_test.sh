#!/usr/bin/env bash
# mms_direct_tshark_test.sh <mms_direct_samples> — what vaultmms's direct
# path sends (gateway-plugin/mms/mms_direct.c), read by tshark (Debian,
# SV_PACKAGES): the notification's SMS segments as the SMPP submit_sm
# bearerbox writes for them, through tshark's SMPP, GSM SMS user data
# (UDH ports, concatenation and reassembly), WSP and MMSE dissectors; the
# m-retrieve-conf in an HTTP answer through its HTTP, MMSE and WSP
# multipart dissectors. Each field is compared with what was encoded; a
# packet tshark calls malformed fails the test.
set -euo pipefail
TSHARK_OPTS=(-d tcp.port==2775,smpp)
# shellcheck source=tests/unit/tshark_lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tshark_lib.sh" "$1"

# ---- a notification in one SMS: SMPP submit_sm to the phone
pcap notify-one -T 40000,2775
check "one SMS: 8-bit, UDHI, to the phone, ports 2948 from 9200, no concatenation" \
    "0x04|0x01|8613800000001|2948|9200|" \
    "$(field "$dir/notify-one.pcap" smpp.data_coding smpp.esm.submit.features smpp.destination_addr \
        gsm_sms.destination_port gsm_sms.originator_port gsm_sms.udh.mm.msg_parts)"
check "one SMS: WSP push of an MMS notification for the MMS user agent" \
    "0x2a|0x06|application/vnd.wap.mms-message|x-wap-application:mms.ua" \
    "$(field "$dir/notify-one.pcap" wsp.TID wsp.pdu_type wsp.header.content_type wsp.header.x_wap_application_id)"
check "one SMS: m-notification-ind headers" \
    "0x82|smsvault-d42|1.2|10659/TYPE=PLMN|Holiday|0x80|24680|604800.000000000|http://127.0.0.1:8089/mms/r/AbCdEfGhIjKlMnOpQrStUv" \
    "$(field "$dir/notify-one.pcap" mmse.message_type mmse.transaction_id mmse.mms_version mmse.from \
        mmse.subject mmse.message_class.id mmse.message_size mmse.expiry.rel mmse.content_location)"

# ---- a long notification: two concatenated SMS, reassembled by tshark
pcap notify-two -T 40000,2775
check "two SMS: each with ports 2948/9200 and concatenation reference 0x34, parts 1 and 2 of 2" \
    "$(printf '2948|9200|52|2|1\n2948|9200|52|2|2')" \
    "$(field "$dir/notify-two.pcap" gsm_sms.destination_port gsm_sms.originator_port gsm_sms.udh.mm.msg_id \
        gsm_sms.udh.mm.msg_parts gsm_sms.udh.mm.msg_part)"
check "two SMS: reassembled into one m-notification-ind with the whole URL" \
    "0x34|0x82|smsvault-d4660|300000|3600.000000000|http://mms-retrieval.operator-with-a-long-name.example.net:8089/mms/r/AbCdEfGhIjKlMnOpQrStUv" \
    "$(field "$dir/notify-two.pcap" wsp.TID mmse.message_type mmse.transaction_id mmse.message_size \
        mmse.expiry.rel mmse.content_location | grep -v '^|*$')"

# ---- the m-retrieve-conf of an archived MMS
pcap retrieve -T 80,40000
# From the short code, the MMS's own date; SMIL first though stored last
check_retrieve_conf "$dir/retrieve.pcap" \
    "application/vnd.wap.mms-message|0x84|smsvault-d42|1.2|smsvault-d42|Nov 14, 2023 22:13:20.000000000 UTC|10659/TYPE=PLMN|+8613800000001/TYPE=PLMN|0x80" \
    "$(printf '\xef\xbf\xbd%.0s' 1 2 3 4 5 6) Holiday" \
    "application/vnd.wap.multipart.related,application/smil,image/jpeg,text/plain|application/smil|<smil>" \
    '1,2,3|"<smil>","<photo.jpg>","<note.txt>"|photo.jpg,note.txt|UTF-8|photo.jpg,note.txt' \
    '<smil>|Hello from the archive'

tshark_done mms_direct_tshark
