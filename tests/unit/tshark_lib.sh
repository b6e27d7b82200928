# tests/unit/tshark_lib.sh — what the tshark tests share (mms_tshark_test,
# mms_direct_tshark_test): sourced after setting dir (the samples' temp
# dir, where pcaps go) and fails=0; TSHARK_OPTS (an array) is added to
# every tshark call (decode-as rules). Our encoders are checked by an
# implementation that is not ours: tshark's dissectors, from Debian.
command -v tshark >/dev/null || { echo "tshark_lib: tshark is not installed (apt-get install tshark)" >&2; exit 1; }
command -v text2pcap >/dev/null || { echo "tshark_lib: text2pcap is not installed (wireshark-common)" >&2; exit 1; }
[[ -v TSHARK_OPTS ]] || TSHARK_OPTS=()

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

# tshark_done <name>: the verdict
tshark_done() {
    if [[ $fails -gt 0 ]]; then
        echo "$1: $fails check(s) failed"
        exit 1
    fi
    echo "$1: all checks passed"
}
