# tests/unit/tshark_lib.sh — what the tshark tests share (mms_tshark_test,
# mms_direct_tshark_test), sourced with the samples program as its
# argument: the program writes its hex dumps into a temp dir ($dir, where
# the pcaps go too, removed on exit); fails counts failed checks;
# TSHARK_OPTS (an array, set before sourcing) is added to every tshark call
# (decode-as rules). Our encoders are checked by an implementation that is
# not ours: tshark's dissectors, from Debian.
command -v tshark >/dev/null || { echo "tshark_lib: tshark is not installed (apt-get install tshark)" >&2; exit 1; }
command -v text2pcap >/dev/null || { echo "tshark_lib: text2pcap is not installed (wireshark-common)" >&2; exit 1; }
[[ -v TSHARK_OPTS ]] || TSHARK_OPTS=()
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
"${1:?tshark_lib: the samples program}" "$dir"
fails=0

# field <pcap> <field...>: the fields, '|' separated, every occurrence of a
# field joined by ',' (tshark's own "Running as root" note goes to stderr)
field() {
    local pcap=$1; shift
    local args=() f
    for f in "$@"; do args+=(-e "$f"); done
    tshark "${TSHARK_OPTS[@]}" -r "$pcap" -T fields -E separator='|' -E occurrence=a -E aggregator=',' \
        "${args[@]}" 2>/dev/null
}

# text_parts <pcap>: the lines of every text part, as tshark's
# line-based text dissector shows them
text_parts() {
    tshark "${TSHARK_OPTS[@]}" -r "$1" -V 2>/dev/null |
        awk '/Line-based text data/ { t = 1; next } t && /^ +[^ ]/ { sub(/^ +/, ""); print; t = 0 }'
}

check() { # check <what> <want> <got>
    if [[ $2 == "$3" ]]; then
        echo "tshark: ok   $1"
    else
        echo "tshark: FAIL $1"
        echo "    want: $2"
        echo "    got:  $3"
        fails=$((fails + 1))
    fi
}

# pcap <name> <text2pcap header option> <ports>: $dir/<name>.txt wrapped
# into $dir/<name>.pcap; a packet tshark calls malformed is a failure
pcap() {
    local out v
    out=$(text2pcap -q "$2" "$3" "$dir/$1.txt" "$dir/$1.pcap" 2>&1) || { echo "$out" >&2; exit 1; }
    v=$(tshark "${TSHARK_OPTS[@]}" -r "$dir/$1.pcap" -V 2>/dev/null)
    if grep -qiE 'malformed|exception' <<<"$v"; then
        echo "tshark: FAIL $1: tshark reports a malformed packet"
        sed -n '/Short Message Peer\|Wireless Session\|MMS Message/,$p' <<<"$v" | head -60
        fails=$((fails + 1))
    fi
}

# check_retrieve_conf <pcap> <headers> <subject> <multipart> <parts> <smil|text>:
# an m-retrieve-conf in an HTTP answer, field group by field group (the
# JPEG part against $dir/jpeg.hex). headers: HTTP content type, message
# type, Transaction-Id, version, Message-ID, Date, From, To, class;
# multipart: content types, type, start; parts: numbers, Content-IDs,
# Content-Locations, charsets, names.
check_retrieve_conf() {
    local p=$1
    check "retrieve-conf: HTTP content type, headers" "$2" \
        "$(field "$p" http.content_type mmse.message_type mmse.transaction_id mmse.mms_version mmse.message_id \
            mmse.date mmse.from mmse.to mmse.message_class.id)"
    # tshark 4.0 shows an Encoded-string-value as ASCII: each UTF-8 octet
    # of a non-ASCII subject is one U+FFFD; the charset octet (0xEA) and
    # the value length were understood, or the text would be cut or start
    # with junk
    check "retrieve-conf: UTF-8 subject with its charset octet" "$3" "$(field "$p" mmse.subject)"
    check "retrieve-conf: multipart.related; type; start" "$4" \
        "$(field "$p" wsp.header.content_type wsp.parameter.upart.type wsp.parameter.start)"
    check "retrieve-conf: the parts, their Content-ID, Content-Location, charset, name" "$5" \
        "$(field "$p" wsp.multipart wsp.header.content_id wsp.header.content_location wsp.parameter.charset \
            wsp.parameter.name)"
    check "retrieve-conf: the SMIL part parsed as SMIL, the text part as text" "$6" \
        "$(field "$p" smil.smil)|$(text_parts "$p")"
    check "retrieve-conf: the JPEG part byte for byte" "$(cat "$dir/jpeg.hex")" "$(field "$p" media.type)"
}

# tshark_done <name>: the verdict
tshark_done() {
    if [[ $fails -gt 0 ]]; then
        echo "$1: $fails check(s) failed"
        exit 1
    fi
    echo "$1: all checks passed"
}
