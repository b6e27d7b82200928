#!/usr/bin/env bash
# mms_tshark_test.sh <mms_pdu_samples> — our MMS encoder checked by an
# implementation that is not ours: tshark's WSP and MMSE dissectors
# (Debian tshark, installed by ./smsvault's SV_PACKAGES). The PDUs come
# from tests/unit/mms_pdu_samples.c; text2pcap wraps the WSP push in a UDP
# datagram to port 2948 (wap-wsp) and the MM1 exchanges in HTTP over TCP
# port 80, and each dissected field is compared with what was encoded.
# A dissector that flags a malformed packet fails the test too.
set -euo pipefail
samples=$1
command -v tshark >/dev/null || { echo "mms_tshark: tshark is not installed (apt-get install tshark)" >&2; exit 1; }
command -v text2pcap >/dev/null || { echo "mms_tshark: text2pcap is not installed (wireshark-common)" >&2; exit 1; }
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"$samples" "$dir"
fails=0

# field <pcap> <field...>: the fields, '|' separated (tshark's own
# "Running as root" note goes to stderr)
field() {
    local pcap=$1; shift
    local args=() f
    for f in "$@"; do args+=(-e "$f"); done
    tshark -r "$pcap" -T fields -E separator='|' -E occurrence=a -E aggregator=',' "${args[@]}" 2>/dev/null
}

# text_parts <pcap>: the lines of every text part, as tshark's
# line-based text dissector shows them
text_parts() {
    tshark -r "$1" -V 2>/dev/null | awk '/Line-based text data/ { t = 1; next } t && /^ +[^ ]/ { sub(/^ +/, ""); print; t = 0 }'
}

check() { # check <what> <want> <got>
    if [[ $2 == "$3" ]]; then
        echo "mms_tshark: ok   $1"
    else
        echo "mms_tshark: FAIL $1"
        echo "    want: $2"
        echo "    got:  $3"
        fails=$((fails + 1))
    fi
}

pcap() { # pcap <name> <text2pcap header option> <ports>
    local out
    out=$(text2pcap -q "$2" "$3" "$dir/$1.txt" "$dir/$1.pcap" 2>&1) || { echo "$out" >&2; exit 1; }
    local v
    v=$(tshark -r "$dir/$1.pcap" -V 2>/dev/null)
    if grep -qiE 'malformed|exception' <<<"$v"; then
        echo "mms_tshark: FAIL $1: tshark reports a malformed packet"
        sed -n '/Wireless Session\|MMS Message/,$p' <<<"$v" | head -60
        fails=$((fails + 1))
    fi
}

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
check "retrieve-conf: HTTP content type, headers" \
    "application/vnd.wap.mms-message|0x84|T7f3a0001|1.2|smsvault-3-0001|Nov 14, 2023 22:13:20.000000000 UTC|4242/TYPE=PLMN|+15550100001/TYPE=PLMN|0x80" \
    "$(field "$dir/retrieve.pcap" http.content_type mmse.message_type mmse.transaction_id \
        mmse.mms_version mmse.message_id mmse.date mmse.from mmse.to mmse.message_class.id)"
# tshark 4.0 shows an Encoded-string-value as ASCII: each of the six UTF-8
# octets of 假日 is one U+FFFD. The charset octet (0xEA) and the value
# length were understood, or the text would be cut or start with junk.
check "retrieve-conf: UTF-8 subject with its charset octet" \
    "$(printf '\xef\xbf\xbd%.0s' 1 2 3 4 5 6) Holiday" "$(field "$dir/retrieve.pcap" mmse.subject)"
check "retrieve-conf: multipart.related; type; start" \
    "application/vnd.wap.multipart.related,application/smil,image/jpeg,text/plain|application/smil|<smil>" \
    "$(field "$dir/retrieve.pcap" wsp.header.content_type wsp.parameter.upart.type wsp.parameter.start)"
check "retrieve-conf: three parts, their Content-ID, Content-Location, charset, name" \
    '1,2,3|"<smil>","<img1>","<txt1>"|smil.xml,beach.jpg,text.txt|UTF-8,UTF-8|beach.jpg' \
    "$(field "$dir/retrieve.pcap" wsp.multipart wsp.header.content_id wsp.header.content_location \
        wsp.parameter.charset wsp.parameter.name)"
check "retrieve-conf: the SMIL part parsed as SMIL, the text part as text" \
    '<smil>|Hello from the archive' \
    "$(field "$dir/retrieve.pcap" smil.smil)|$(text_parts "$dir/retrieve.pcap")"
check "retrieve-conf: the JPEG part byte for byte" \
    "$(cat "$dir/jpeg.hex")" "$(field "$dir/retrieve.pcap" media.type)"

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

if [[ $fails -gt 0 ]]; then
    echo "mms_tshark: $fails check(s) failed"
    exit 1
fi
echo "mms_tshark: all checks passed"
